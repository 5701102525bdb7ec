//! Latency percentiles and the arithmetic of a phase's figures. Pure.

/// The nearest-rank percentile `p` (0–100) of `sorted` (ascending); 0 when empty.
///
/// Nearest rank: the smallest value with at least `p` % of the values at or below it,
/// so p100 is the maximum and every answer is a value that was measured.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let p = p.clamp(0.0, 100.0);
    // ceil(p/100 · n) as a 1-based rank, at least 1.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The latency figures of one phase, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Latency {
    /// Median.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// The slowest request.
    pub max_us: u64,
}

impl Latency {
    /// Sorts `samples` in place and reads the percentiles off them.
    pub fn of(samples: &mut [u64]) -> Latency {
        samples.sort_unstable();
        Latency {
            p50_us: percentile(samples, 50.0),
            p99_us: percentile(samples, 99.0),
            max_us: samples.last().copied().unwrap_or(0),
        }
    }
}

/// `count` per second over `seconds`; 0 for an empty interval.
pub fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 { count as f64 / seconds } else { 0.0 }
}

/// `total` divided among `requests`; `None` when nothing was requested or measured.
pub fn per_request(total: Option<u64>, requests: u64) -> Option<f64> {
    match total {
        Some(total) if requests > 0 => Some(total as f64 / requests as f64),
        _ => None,
    }
}

/// `value / baseline`, when both are known and the baseline is not zero.
pub fn ratio(value: f64, baseline: Option<f64>) -> Option<f64> {
    baseline.filter(|b| *b > 0.0).map(|b| value / b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), 50);
        assert_eq!(percentile(&values, 99.0), 99);
        assert_eq!(percentile(&values, 100.0), 100);
        assert_eq!(percentile(&values, 0.0), 1);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
        // 10 values: p99 is the 10th (the maximum), p50 the 5th.
        let ten: Vec<u64> = (1..=10).map(|v| v * 10).collect();
        assert_eq!(percentile(&ten, 99.0), 100);
        assert_eq!(percentile(&ten, 50.0), 50);
        assert_eq!(percentile(&ten, 51.0), 60);
    }

    #[test]
    fn latency_sorts_its_samples() {
        let mut samples = vec![30, 10, 20, 40];
        let latency = Latency::of(&mut samples);
        assert_eq!(samples, [10, 20, 30, 40]);
        assert_eq!(
            latency,
            Latency {
                p50_us: 20,
                p99_us: 40,
                max_us: 40
            }
        );
        assert_eq!(Latency::of(&mut []), Latency::default());
    }

    #[test]
    fn rates_and_ratios() {
        assert_eq!(per_second(500, 2.0), 250.0);
        assert_eq!(per_second(500, 0.0), 0.0);
        assert_eq!(per_request(Some(1_000), 4), Some(250.0));
        assert_eq!(per_request(Some(1_000), 0), None);
        assert_eq!(per_request(None, 4), None);
        assert_eq!(ratio(50.0, Some(200.0)), Some(0.25));
        assert_eq!(ratio(50.0, Some(0.0)), None);
        assert_eq!(ratio(50.0, None), None);
    }
}
