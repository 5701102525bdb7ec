//! What Linux's `/proc` says about a process and the machine: CPU time used
//! (`/proc/<pid>/stat`), peak resident memory (`VmHWM` in `/proc/<pid>/status`), the CPU
//! model and memory. Parsing is pure; reading is a file read.

use std::process::Command;

use anyhow::{Context, Result, bail};

/// Converts `/proc/<pid>/stat` clock ticks into microseconds.
#[derive(Debug, Clone, Copy)]
pub struct CpuClock {
    ticks_per_second: u64,
}

impl CpuClock {
    /// The system's `USER_HZ` from `getconf CLK_TCK`; Linux's 100 if that cannot run.
    pub fn system() -> CpuClock {
        let ticks = Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse::<u64>().ok())
            .filter(|t| *t > 0)
            .unwrap_or(100);
        CpuClock::with_ticks(ticks)
    }

    /// A clock of `ticks_per_second` ticks.
    pub fn with_ticks(ticks_per_second: u64) -> CpuClock {
        CpuClock {
            ticks_per_second: ticks_per_second.max(1),
        }
    }

    /// User plus system CPU time of process `pid` (all its threads) so far, in µs.
    pub fn cpu_us(self, pid: u32) -> Result<u64> {
        let path = format!("/proc/{pid}/stat");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        Ok(self.ticks_to_us(cpu_ticks(&text)?))
    }

    /// `ticks` in µs.
    pub fn ticks_to_us(self, ticks: u64) -> u64 {
        ticks.saturating_mul(1_000_000) / self.ticks_per_second
    }
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line, in clock ticks.
///
/// The command name (field 2) is in parentheses and may hold spaces and `)`, so the
/// fields are counted from the last `)`.
pub fn cpu_ticks(stat: &str) -> Result<u64> {
    let (_, rest) = stat.rsplit_once(')').context("no `)` after the command name")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): utime is field 14, index 11 here.
    if fields.len() < 13 {
        bail!("only {} fields after the command name", fields.len());
    }
    let utime: u64 = fields[11].parse().context("utime")?;
    let stime: u64 = fields[12].parse().context("stime")?;
    Ok(utime + stime)
}

/// The value of `key` (e.g. `VmHWM`, `MemTotal`) in a `/proc` `Key:   123 kB` listing, in kB.
pub fn kib_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == key).then(|| value.split_whitespace().next()?.parse().ok())?
    })
}

/// Peak resident set size of process `pid` (`VmHWM`), in KiB.
pub fn peak_rss_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    kib_field(&text, "VmHWM").context("no VmHWM in /proc/<pid>/status")
}

/// The first `model name` of a `/proc/cpuinfo`.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == "model name").then(|| value.trim().to_owned())
    })
}

/// The machine the figures were measured on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    /// CPUs this process may use.
    pub cpus: usize,
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// `MemTotal` from `/proc/meminfo`, in KiB.
    pub memory_kib: u64,
}

impl Machine {
    /// Reads the machine's description; unknown parts stay empty or 0.
    pub fn describe() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        Machine {
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model: cpu_model(&read("/proc/cpuinfo")).unwrap_or_default(),
            memory_kib: kib_field(&read("/proc/meminfo"), "MemTotal").unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "4242 (idsync (x) y) S 1 4242 4242 0 -1 4194560 1830 0 0 0 \
                        250 37 0 0 20 0 9 0 123456 1000000 2000 18446744073709551615";

    #[test]
    fn stat_fields_are_counted_after_the_last_parenthesis() {
        assert_eq!(cpu_ticks(STAT).unwrap(), 287);
        assert!(cpu_ticks("4242 (idsync) S 1 2").is_err());
        assert!(cpu_ticks("no parenthesis").is_err());
    }

    #[test]
    fn ticks_become_microseconds() {
        assert_eq!(CpuClock::with_ticks(100).ticks_to_us(287), 2_870_000);
        assert_eq!(CpuClock::with_ticks(1000).ticks_to_us(3), 3_000);
        assert_eq!(CpuClock::with_ticks(0).ticks_to_us(1), 1_000_000);
    }

    #[test]
    fn status_and_meminfo_fields() {
        let status = "Name:\tidsync\nVmPeak:\t  900 kB\nVmHWM:\t   51234 kB\nVmRSS:\t 40000 kB\n";
        assert_eq!(kib_field(status, "VmHWM"), Some(51_234));
        assert_eq!(kib_field(status, "VmSwap"), None);
        assert_eq!(kib_field("MemTotal:       24568636 kB\n", "MemTotal"), Some(24_568_636));
    }

    #[test]
    fn the_cpu_model_is_the_first_model_name() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: other\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(cpu_model(""), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let clock = CpuClock::system();
        assert!(clock.cpu_us(std::process::id()).is_ok());
        assert!(peak_rss_kib(std::process::id()).unwrap() > 0);
    }
}
