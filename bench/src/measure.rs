//! What a phase measured, raw, and how it becomes a report row: CPU snapshots of the
//! server, of PostgreSQL's backends for its database and of the harness itself, taken
//! before and after a phase; and the sums over phases for the `total` row.

use std::collections::HashMap;

use crate::procfs::CpuClock;
use crate::report::Phase;
use crate::stats::{self, Latency};

/// CPU time used so far by everything a phase is charged for, in µs.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The server process.
    pub server: Option<u64>,
    /// The harness process.
    pub client: Option<u64>,
    /// Each PostgreSQL backend serving the server's database, by pid.
    pub database: Option<HashMap<u32, u64>>,
}

impl Snapshot {
    /// Reads the CPU clocks of `server_pid`, this process and `backends` (when given).
    pub fn take(clock: CpuClock, server_pid: u32, backends: Option<Vec<u32>>) -> Snapshot {
        Snapshot {
            server: clock.cpu_us(server_pid).ok(),
            client: clock.cpu_us(std::process::id()).ok(),
            database: backends.map(|pids| {
                pids.into_iter()
                    .filter_map(|pid| clock.cpu_us(pid).ok().map(|us| (pid, us)))
                    .collect()
            }),
        }
    }
}

/// CPU used between two snapshots: `(server, client, database)` in µs.
///
/// A backend that appeared during the phase is charged all its CPU; one that exited
/// during it is not seen at all (idsync's pool keeps its connections, so this is rare).
pub fn cpu_between(before: &Snapshot, after: &Snapshot) -> (Option<u64>, Option<u64>, Option<u64>) {
    let delta = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?));
    let database = match (&before.database, &after.database) {
        (Some(before), Some(after)) => Some(
            after
                .iter()
                .map(|(pid, us)| us.saturating_sub(before.get(pid).copied().unwrap_or(0)))
                .sum(),
        ),
        _ => None,
    };
    (
        delta(before.server, after.server),
        delta(before.client, after.client),
        database,
    )
}

/// One phase's raw measurements.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// The phase's name.
    pub name: String,
    /// Latency of every request sent, µs.
    pub samples: Vec<u64>,
    /// Failed requests (and items whose prerequisite failed).
    pub errors: u64,
    /// Wall-clock time.
    pub seconds: f64,
    /// Server CPU over the phase, µs.
    pub server_cpu_us: Option<u64>,
    /// PostgreSQL backends' CPU over the phase, µs.
    pub db_cpu_us: Option<u64>,
    /// The harness's CPU over the phase, µs.
    pub client_cpu_us: Option<u64>,
    /// The first few failures.
    pub error_samples: Vec<String>,
}

impl Measured {
    /// The report row (ratios are filled in later, across servers).
    pub fn to_phase(&self) -> Phase {
        let mut samples = self.samples.clone();
        let latency = Latency::of(&mut samples);
        let requests = samples.len() as u64;
        Phase {
            name: self.name.clone(),
            requests,
            errors: self.errors,
            seconds: self.seconds,
            req_per_s: stats::per_second(requests, self.seconds),
            p50_us: latency.p50_us,
            p99_us: latency.p99_us,
            max_us: latency.max_us,
            server_cpu_us_per_req: stats::per_request(self.server_cpu_us, requests),
            db_cpu_us_per_req: stats::per_request(self.db_cpu_us, requests),
            client_cpu_us_per_req: stats::per_request(self.client_cpu_us, requests),
            vs_ceiling: None,
            vs_telemetry_off: None,
        }
    }

    /// `total`: every phase's requests, time and CPU together, latency over all samples.
    pub fn total(phases: &[Measured]) -> Measured {
        let sum = |f: fn(&Measured) -> Option<u64>| phases.iter().map(f).sum::<Option<u64>>();
        Measured {
            name: "total".into(),
            samples: phases.iter().flat_map(|p| p.samples.iter().copied()).collect(),
            errors: phases.iter().map(|p| p.errors).sum(),
            seconds: phases.iter().map(|p| p.seconds).sum(),
            server_cpu_us: sum(|p| p.server_cpu_us),
            db_cpu_us: sum(|p| p.db_cpu_us),
            client_cpu_us: sum(|p| p.client_cpu_us),
            error_samples: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_deltas_charge_new_backends_in_full() {
        let before = Snapshot {
            server: Some(1_000),
            client: Some(50),
            database: Some(HashMap::from([(7, 100), (8, 200)])),
        };
        let after = Snapshot {
            server: Some(4_000),
            client: Some(80),
            database: Some(HashMap::from([(7, 150), (9, 30)])),
        };
        assert_eq!(cpu_between(&before, &after), (Some(3_000), Some(30), Some(80)));
        let unknown = Snapshot::default();
        assert_eq!(cpu_between(&unknown, &after), (None, None, None));
    }

    #[test]
    fn a_phase_becomes_a_row_and_phases_add_up() {
        let phase = |name: &str, samples: Vec<u64>, seconds: f64, cpu: u64| Measured {
            name: name.into(),
            samples,
            seconds,
            server_cpu_us: Some(cpu),
            ..Measured::default()
        };
        let phases = [
            phase("create", vec![300, 100, 200, 400], 2.0, 4_000),
            phase("get", vec![50; 4], 1.0, 400),
        ];
        let row = phases[0].to_phase();
        assert_eq!(
            (row.requests, row.req_per_s, row.p50_us, row.p99_us),
            (4, 2.0, 200, 400)
        );
        assert_eq!(row.server_cpu_us_per_req, Some(1_000.0));
        assert_eq!(row.db_cpu_us_per_req, None);
        let total = Measured::total(&phases).to_phase();
        assert_eq!(total.name, "total");
        assert_eq!((total.requests, total.seconds, total.p50_us), (8, 3.0, 50));
        assert_eq!(total.server_cpu_us_per_req, Some(550.0));
        assert_eq!(total.client_cpu_us_per_req, None);
    }
}
