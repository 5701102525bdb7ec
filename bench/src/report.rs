//! What one run of the harness found: per server, per phase, the figures the table
//! prints and `--json` writes. The same structures serve both.

use serde::Serialize;

use crate::procfs::Machine;
use crate::stats;

/// The name of the ceiling's run; idsync's runs are compared with it.
pub const CEILING: &str = "ceiling";
/// The name of idsync's run with telemetry off, the baseline of the run with it on.
pub const TELEMETRY_OFF: &str = "idsync (telemetry off)";

/// Everything one invocation measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `cycle`, `scale`, `initial-sync`, `telemetry` or `console`.
    pub mode: String,
    /// When the run started (UTC, RFC 3339).
    pub date: String,
    /// Where it ran.
    pub machine: Machine,
    /// Users per server.
    pub users: usize,
    /// Keep-alive client connections.
    pub concurrency: usize,
    /// Tenants, each driven by its own clients.
    pub tenants: usize,
    /// Groups (`initial-sync` and `console`).
    pub groups: Option<usize>,
    /// `console`: how often each page was read by the one client, after
    /// [`WARM_UP`](crate::console::WARM_UP) unmeasured reads.
    pub repeats: Option<usize>,
    /// `sqlite` or `postgresql`.
    pub database: String,
    /// The servers measured, ceiling first.
    pub runs: Vec<Run>,
}

/// One server's measurements.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// `ceiling`, `idsync`, `idsync (telemetry off)`, `idsync (telemetry on)`, or in
    /// `console` mode `idsync (setup)` and `idsync (console)` (one server, two runs).
    pub server: String,
    /// Each phase in order, then `total` over all of them.
    pub phases: Vec<Phase>,
    /// The server's peak resident memory (`VmHWM`) at the end, in KiB.
    pub peak_rss_kib: Option<u64>,
    /// The database's size at the end, in bytes (SQLite files, or `pg_database_size`).
    pub database_bytes: Option<u64>,
    /// Spans the OTLP sink received from this server (`telemetry` mode, telemetry on).
    pub spans_exported: Option<u64>,
    /// The first few failures, to say what went wrong.
    pub error_samples: Vec<String>,
}

/// The figures of one phase on one server.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Phase {
    /// `create`, `lookup`, `patch`, `get`, `disable`, `delete`, … or `total`.
    pub name: String,
    /// Requests sent.
    pub requests: u64,
    /// Requests that failed: a wrong status, a transport error or a wrong answer.
    pub errors: u64,
    /// Wall-clock time of the phase.
    pub seconds: f64,
    /// Requests per second of wall-clock time.
    pub req_per_s: f64,
    /// Median latency, µs (request sent to answer read).
    pub p50_us: u64,
    /// 99th percentile latency, µs.
    pub p99_us: u64,
    /// Slowest request, µs.
    pub max_us: u64,
    /// The server process's CPU time (user + system) per request, µs.
    pub server_cpu_us_per_req: Option<f64>,
    /// PostgreSQL's CPU time for this server's database per request, µs.
    pub db_cpu_us_per_req: Option<f64>,
    /// The harness's own CPU time per request, µs (it shares the machine).
    pub client_cpu_us_per_req: Option<f64>,
    /// `req_per_s` over the ceiling's for the same phase.
    pub vs_ceiling: Option<f64>,
    /// `req_per_s` over the telemetry-off run's for the same phase.
    pub vs_telemetry_off: Option<f64>,
}

impl Report {
    /// Requests that failed, over every run.
    pub fn errors(&self) -> u64 {
        self.runs
            .iter()
            .flat_map(|r| r.phases.iter().filter(|p| p.name != "total"))
            .map(|p| p.errors)
            .sum()
    }

    /// Fills in each run's ratios to the ceiling and, for telemetry on, to telemetry off.
    pub fn compare(&mut self) {
        let rates = |runs: &[Run], server: &str| -> Vec<(String, f64)> {
            runs.iter()
                .filter(|r| r.server == server)
                .flat_map(|r| r.phases.iter().map(|p| (p.name.clone(), p.req_per_s)))
                .collect()
        };
        let ceiling = rates(&self.runs, CEILING);
        let off = rates(&self.runs, TELEMETRY_OFF);
        let lookup = |table: &[(String, f64)], name: &str| table.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        for run in &mut self.runs {
            for phase in &mut run.phases {
                if run.server != CEILING {
                    phase.vs_ceiling = stats::ratio(phase.req_per_s, lookup(&ceiling, &phase.name));
                }
                if run.server != CEILING && run.server != TELEMETRY_OFF {
                    phase.vs_telemetry_off = stats::ratio(phase.req_per_s, lookup(&off, &phase.name));
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn phase(name: &str, rps: f64) -> Phase {
        Phase {
            name: name.into(),
            requests: 100,
            req_per_s: rps,
            ..Phase::default()
        }
    }

    pub(crate) fn run(server: &str, phases: Vec<Phase>) -> Run {
        Run {
            server: server.into(),
            phases,
            peak_rss_kib: None,
            database_bytes: None,
            spans_exported: None,
            error_samples: Vec::new(),
        }
    }

    #[test]
    fn ratios_compare_the_same_phase() {
        let mut report = Report {
            mode: "telemetry".into(),
            date: String::new(),
            machine: Machine::describe(),
            users: 100,
            concurrency: 4,
            tenants: 1,
            groups: None,
            repeats: None,
            database: "sqlite".into(),
            runs: vec![
                run(CEILING, vec![phase("create", 1000.0), phase("get", 4000.0)]),
                run(TELEMETRY_OFF, vec![phase("create", 500.0), phase("get", 1000.0)]),
                run(
                    "idsync (telemetry on)",
                    vec![phase("create", 250.0), phase("get", 900.0)],
                ),
            ],
        };
        report.compare();
        let on = &report.runs[2].phases;
        assert_eq!(on[0].vs_ceiling, Some(0.25));
        assert_eq!(on[0].vs_telemetry_off, Some(0.5));
        assert_eq!(on[1].vs_telemetry_off, Some(0.9));
        assert_eq!(report.runs[1].phases[1].vs_ceiling, Some(0.25));
        assert_eq!(report.runs[1].phases[1].vs_telemetry_off, None);
        assert_eq!(report.runs[0].phases[0].vs_ceiling, None);
        assert_eq!(report.errors(), 0);
    }
}
