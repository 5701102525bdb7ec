//! The report as a table for people: one row per server and phase, then each server's
//! memory, database size and exported spans, then what failed. Pure. A report without
//! a ceiling run (`console`) has no `vs ceiling` column; one whose pages were read a set
//! number of times (`console`) has a `max ms` column and says how they were read.

use std::fmt::Write as _;

use crate::report::{CEILING, Phase, Report, Run};

/// Renders `report` as text.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let groups = report.groups.map(|g| format!(", {g} groups")).unwrap_or_default();
    let _ = writeln!(
        out,
        "idsync-bench {}: {} users{groups}, {} clients, {} tenant(s), {} — {}",
        report.mode, report.users, report.concurrency, report.tenants, report.database, report.date
    );
    let m = &report.machine;
    let _ = writeln!(
        out,
        "machine: {} CPUs ({}), {:.1} GiB; the harness and the servers share them\n",
        m.cpus,
        if m.cpu_model.is_empty() {
            "unknown CPU"
        } else {
            &m.cpu_model
        },
        m.memory_kib as f64 / (1024.0 * 1024.0)
    );
    let phases = || report.runs.iter().flat_map(|r| r.phases.iter());
    let columns = Columns {
        db: phases().any(|p| p.db_cpu_us_per_req.is_some()),
        off: phases().any(|p| p.vs_telemetry_off.is_some()),
        ceiling: report.runs.iter().any(|r| r.server == CEILING),
        max: report.repeats.is_some(),
    };

    let mut header = vec![
        "server", "phase", "requests", "errors", "seconds", "req/s", "p50 ms", "p99 ms",
    ];
    if columns.max {
        header.push("max ms");
    }
    header.push("server µs/req");
    if columns.db {
        header.push("db µs/req");
    }
    header.push("client µs/req");
    if columns.ceiling {
        header.push("vs ceiling");
    }
    if columns.off {
        header.push("vs off");
    }
    let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    for run in &report.runs {
        for (i, phase) in run.phases.iter().enumerate() {
            let server = if i == 0 { run.server.as_str() } else { "" };
            rows.push(row(server, phase, &columns));
        }
    }
    out.push_str(&align(&rows));
    out.push('\n');
    if let Some(repeats) = report.repeats {
        let _ = writeln!(
            out,
            "pages: one keep-alive client, signed in with an admin token, read each page {repeats} times, one\n\
             request at a time, after {} unmeasured reads. Latency is taken at the client over loopback:\n\
             an upper bound of the server-side render time.\n",
            crate::console::WARM_UP
        );
    }
    for run in &report.runs {
        if let Some(line) = notes(run) {
            let _ = writeln!(out, "{line}");
        }
    }
    let errors = report.errors();
    if errors > 0 {
        let _ = writeln!(
            out,
            "\n!!! {errors} REQUESTS FAILED: these figures are not a valid measurement !!!"
        );
        for run in &report.runs {
            for sample in &run.error_samples {
                let _ = writeln!(out, "  {}: {sample}", run.server);
            }
        }
    }
    out
}

/// The optional columns a report's table has.
struct Columns {
    db: bool,
    off: bool,
    ceiling: bool,
    max: bool,
}

fn row(server: &str, p: &Phase, columns: &Columns) -> Vec<String> {
    let mut cells = vec![
        server.to_owned(),
        p.name.clone(),
        p.requests.to_string(),
        p.errors.to_string(),
        format!("{:.2}", p.seconds),
        format!("{:.0}", p.req_per_s),
        ms(p.p50_us),
        ms(p.p99_us),
    ];
    if columns.max {
        cells.push(ms(p.max_us));
    }
    cells.push(optional(p.server_cpu_us_per_req, 0));
    if columns.db {
        cells.push(optional(p.db_cpu_us_per_req, 0));
    }
    cells.push(optional(p.client_cpu_us_per_req, 0));
    if columns.ceiling {
        cells.push(optional(p.vs_ceiling, 3));
    }
    if columns.off {
        cells.push(optional(p.vs_telemetry_off, 3));
    }
    cells
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn optional(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// A run's figures that are not per phase, or `None` when it has none.
fn notes(run: &Run) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(kib) = run.peak_rss_kib {
        parts.push(format!("peak RSS {:.1} MiB", kib as f64 / 1024.0));
    }
    if let Some(bytes) = run.database_bytes {
        parts.push(format!("database {:.1} MiB", bytes as f64 / (1024.0 * 1024.0)));
    }
    if let Some(spans) = run.spans_exported {
        parts.push(format!("{spans} spans exported"));
    }
    (!parts.is_empty()).then(|| format!("{}: {}", run.server, parts.join(", ")))
}

/// Columns padded to their widest cell: the first two left-aligned, numbers right.
fn align(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, width))| {
                let pad = " ".repeat(width.saturating_sub(cell.chars().count()));
                if c < 2 {
                    format!("{cell}{pad}")
                } else {
                    format!("{pad}{cell}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procfs::Machine;
    use crate::report::{CEILING, Report};

    fn report(errors: u64) -> Report {
        let phase = |name: &str, rps: f64, cpu: f64| Phase {
            name: name.into(),
            requests: 5000,
            req_per_s: rps,
            p50_us: 1_250,
            p99_us: 10_500,
            server_cpu_us_per_req: Some(cpu),
            client_cpu_us_per_req: Some(30.0),
            ..Phase::default()
        };
        let mut idsync = crate::report::tests::run(
            "idsync",
            vec![phase("create", 800.0, 900.0), phase("get", 2000.0, 300.0)],
        );
        idsync.phases[1].errors = errors;
        idsync.peak_rss_kib = Some(51_200);
        idsync.database_bytes = Some(3 * 1024 * 1024);
        if errors > 0 {
            idsync.error_samples.push("GET /Users/x: 500 instead of 200".into());
        }
        let mut report = Report {
            mode: "cycle".into(),
            date: "2026-01-01T00:00:00Z".into(),
            machine: Machine {
                cpus: 2,
                cpu_model: "Test CPU".into(),
                memory_kib: 2 * 1024 * 1024,
            },
            users: 5000,
            concurrency: 16,
            tenants: 1,
            groups: None,
            repeats: None,
            database: "sqlite".into(),
            runs: vec![
                crate::report::tests::run(
                    CEILING,
                    vec![phase("create", 8000.0, 50.0), phase("get", 10000.0, 40.0)],
                ),
                idsync,
            ],
        };
        report.compare();
        report
    }

    #[test]
    fn rows_line_up_under_their_headers() {
        let text = render(&report(0));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("idsync-bench cycle: 5000 users, 16 clients, 1 tenant(s), sqlite"));
        assert!(lines[1].contains("2 CPUs (Test CPU), 2.0 GiB"));
        let header = lines.iter().position(|l| l.starts_with("server")).unwrap();
        assert!(!lines[header].contains("db µs/req") && !lines[header].contains("vs off"));
        let end_of = |line: &str, cell: &str| {
            line.find(cell)
                .map(|i| line[..i].chars().count() + cell.chars().count())
        };
        let ratio_end = end_of(lines[header], "vs ceiling");
        assert_eq!(
            lines[header + 1].split_whitespace().collect::<Vec<_>>()[0..3],
            ["ceiling", "create", "5000"]
        );
        assert!(lines[header + 1].ends_with('-'));
        let idsync_create = lines[header + 3];
        assert!(idsync_create.starts_with("idsync   create"), "{idsync_create}");
        assert_eq!(end_of(idsync_create, "0.100"), ratio_end, "{text}");
        assert!(idsync_create.contains("1.25") && idsync_create.contains("10.50"));
        assert!(lines[header + 4].starts_with("         get"));
        assert!(text.contains("idsync: peak RSS 50.0 MiB, database 3.0 MiB"));
        assert!(!text.contains("FAILED"));
    }

    #[test]
    fn failures_are_shouted() {
        let text = render(&report(3));
        assert!(text.contains("!!! 3 REQUESTS FAILED"), "{text}");
        assert!(text.contains("idsync: GET /Users/x: 500 instead of 200"));
    }

    #[test]
    fn console_pages_show_their_maximum_and_no_ceiling() {
        let mut report = report(0);
        report.mode = "console".into();
        report.repeats = Some(200);
        report.runs.remove(0);
        report.runs[0].phases[0].name = "/admin/users?q=bench.user00500".into();
        report.runs[0].phases[0].max_us = 42_000;
        let text = render(&report);
        let header = text.lines().find(|l| l.starts_with("server")).unwrap();
        assert!(header.contains("max ms") && !header.contains("vs ceiling"), "{header}");
        let row = text.lines().find(|l| l.contains("/admin/users?q=")).unwrap();
        assert!(row.contains("42.00") && row.trim_end().ends_with("30"), "{row}");
        assert!(
            text.contains("each page 200 times") && text.contains("an upper bound"),
            "{text}"
        );
    }

    #[test]
    fn optional_columns_appear_when_measured() {
        let mut report = report(0);
        report.runs[1].phases[0].db_cpu_us_per_req = Some(123.0);
        report.runs[1].phases[0].vs_telemetry_off = Some(0.875);
        let text = render(&report);
        assert!(text.contains("db µs/req") && text.contains("vs off") && text.contains("0.875"));
    }
}
