//! The harness as its users run it, at a tiny size so that it never rots: every mode on
//! SQLite (`console` in a test of its own: it has no ceiling), the cycle on PostgreSQL
//! with a client per tenant, and a run with failures, which must say so and exit
//! non-zero. No timing is asserted anywhere.
//!
//! The idsync measured is the `idsync` binary beside this package's binary (cargo builds
//! it for idsync's own tests in `cargo test --workspace`); `cargo test -p idsync-bench`
//! alone needs `cargo build -p idsync` first.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BENCH: &str = env!("CARGO_BIN_EXE_idsync-bench");

fn idsync_bin() -> PathBuf {
    let path = Path::new(BENCH).with_file_name("idsync");
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build -p idsync` (cargo test --workspace builds it)",
        path.display()
    );
    path
}

fn bench(args: &[&str], idsync: &Path) -> Output {
    Command::new(BENCH)
        .args(args)
        .env("IDSYNC_BIN", idsync)
        .env("IDSYNC_LOG", "debug") // must not reach the servers
        .output()
        .unwrap()
}

fn explain(output: &Output) -> String {
    format!(
        "status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `mode` with `extra` options; its JSON report, after checking it is whole.
fn measure(mode: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let mut args = vec![
        mode,
        "--users",
        "24",
        "--concurrency",
        "3",
        "--json",
        json.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = bench(&args, &idsync_bin());
    assert!(output.status.success(), "{mode}: {}", explain(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("vs ceiling") && !table.contains("FAILED"), "{table}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["mode"], mode);
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs[0]["server"], "ceiling");
    for run in runs {
        let phases = run["phases"].as_array().unwrap();
        assert_eq!(phases.last().unwrap()["name"], "total");
        for phase in phases {
            assert_eq!(phase["errors"], 0, "{run}");
            assert!(phase["requests"].as_u64().unwrap() > 0, "{run}");
            if run["server"] != "ceiling" {
                assert!(phase["vs_ceiling"].is_number(), "{run}");
            }
        }
        assert!(run["peak_rss_kib"].as_u64().unwrap() > 0);
    }
    report
}

fn phase_names(run: &Value) -> Vec<String> {
    run["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_mode_runs_on_sqlite() {
    let cycle = measure("cycle", &[]);
    assert_eq!(
        phase_names(&cycle["runs"][1]),
        ["create", "lookup", "patch", "get", "disable", "delete", "total"]
    );
    assert_eq!(cycle["runs"][1]["phases"][0]["requests"], 24);
    assert!(cycle["runs"][1]["database_bytes"].as_u64().unwrap() > 0);

    let scale = measure("scale", &[]);
    assert_eq!(
        phase_names(&scale["runs"][1]),
        [
            "create", "lookup", "get", "walk", "index1", "indexN", "cursor1", "cursorN", "total"
        ]
    );

    let sync = measure("initial-sync", &["--groups", "3"]);
    assert_eq!(phase_names(&sync["runs"][1]), ["users", "groups", "members", "total"]);
    // 24 users: a lookup and a create each; 3 groups likewise; 3 member batches.
    let requests: Vec<u64> = sync["runs"][1]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["requests"].as_u64().unwrap())
        .collect();
    assert_eq!(requests, [48, 6, 3, 57]);

    let telemetry = measure("telemetry", &[]);
    let on = &telemetry["runs"][2];
    assert_eq!(on["server"], "idsync (telemetry on)");
    assert!(on["spans_exported"].as_u64().unwrap() > 0, "{on}");
    assert!(on["phases"][0]["vs_telemetry_off"].is_number());
}

#[test]
fn every_console_page_answers_200_to_a_signed_in_admin() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let args = [
        "console",
        "--users",
        "50",
        "--concurrency",
        "3",
        "--groups",
        "3",
        "--repeat",
        "2",
        "--json",
        json.to_str().unwrap(),
    ];
    let output = bench(&args, &idsync_bin());
    assert!(output.status.success(), "console: {}", explain(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(!table.contains("vs ceiling") && !table.contains("FAILED"), "{table}");
    assert!(table.contains("max ms") && table.contains("upper bound"), "{table}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        (report["mode"].as_str(), report["repeats"].as_u64()),
        (Some("console"), Some(2))
    );
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "no ceiling: {report}");
    assert_eq!(runs[0]["server"], "idsync (setup)");
    assert_eq!(
        phase_names(&runs[0]),
        ["create", "groups", "members", "disable", "refused", "total"]
    );
    assert_eq!(runs[1]["server"], "idsync (console)");
    assert_eq!(
        phase_names(&runs[1]),
        [
            "/admin",
            "/admin/settings",
            "/admin/users",
            "/admin/users?q=bench.user00000",
            "/admin/users?q=Family0",
            "/admin/users?q=nobody%40contoso",
            "/admin/users?filter=active+eq+false",
            "/admin/users?start=25",
            "/admin/users/{id}",
            "/admin/groups",
            "/admin/groups/{id}",
            "/admin/log",
            "/admin/log?outcome=failure",
            "/admin/rules",
            "total"
        ]
    );
    for run in runs {
        for phase in run["phases"].as_array().unwrap() {
            assert_eq!(phase["errors"], 0, "{run}");
            assert!(phase["requests"].as_u64().unwrap() > 0, "{run}");
        }
    }
    let pages = runs[1]["phases"].as_array().unwrap();
    assert!(pages[..12].iter().all(|p| p["requests"] == 2), "{}", runs[1]);
    assert!(runs[1]["database_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn the_cycle_runs_on_postgresql_with_a_client_per_tenant() {
    let admin = std::env::var("IDSYNC_TEST_PG_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let report = measure("cycle", &["--tenants", "3", "--database-url", &admin]);
    assert_eq!(report["database"], "postgresql");
    assert_eq!(report["tenants"], 3);
    let idsync = &report["runs"][1];
    assert!(idsync["phases"][0]["db_cpu_us_per_req"].is_number(), "{idsync}");
    assert!(idsync["database_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn a_run_with_failures_says_so_and_exits_non_zero() {
    // A stand-in for idsync that is really the ceiling: its canned answers fail the
    // checks made of idsync (a lookup in the first cycle must find nothing).
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("idsync");
    std::fs::write(&fake, format!("#!/bin/sh\nexec '{BENCH}' ceiling\n")).unwrap();
    let mut permissions = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&fake, permissions).unwrap();
    let output = bench(
        &["initial-sync", "--users", "6", "--concurrency", "2", "--groups", "1"],
        &fake,
    );
    assert_eq!(output.status.code(), Some(1), "{}", explain(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("REQUESTS FAILED"), "{table}");
    assert!(table.contains("1 results, not 0"), "{table}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a valid measurement"), "{stderr}");
    // The servers' logs are kept for a failed run; this one was meant to fail.
    let logs = stderr
        .lines()
        .find_map(|l| l.strip_prefix("the servers' logs are kept in "))
        .expect("the run names its logs");
    assert!(Path::new(logs).join("idsync.log").is_file());
    std::fs::remove_dir_all(logs).unwrap();
}

#[test]
fn impossible_options_are_refused() {
    let output = bench(&["cycle", "--tenants", "4", "--concurrency", "2"], &idsync_bin());
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--tenants"));
    let output = bench(&["console", "--tenants", "2"], &idsync_bin());
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("one tenant"));
}
