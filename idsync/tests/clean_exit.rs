//! No idsync command crashes at exit, on either backend.
//!
//! A one-shot command that left connection-pool threads opening PostgreSQL connections
//! (libpq negotiates TLS, so inside OpenSSL) while `exit()` ran OpenSSL's cleanup died
//! by SIGSEGV about once in six runs, after printing its answer. These tests run every
//! subcommand many times, and `serve` started and stopped by SIGTERM many times, and
//! fail on any run that ends by a signal or with a non-zero status.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

mod support;

use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use idsync_storage::test_util::TestDb;
use support::process::{start, start_logging, words};
use support::{BIN, describe, explain, killed_by_signal};

/// Runs of each of the two busiest one-shot commands on PostgreSQL.
const CLI_RUNS: usize = 200;
/// Runs of every other subcommand.
const OTHER_RUNS: usize = 25;
/// `serve` started and stopped by SIGTERM, on PostgreSQL.
const SERVE_RUNS: usize = 50;
/// Two runs at a time: the race needs the machine busy as much as it needs repeats.
const PARALLEL: usize = 2;

fn run(args: &[String], database_url: &str) -> Output {
    Command::new(BIN)
        .args(args)
        .env("IDSYNC_DATABASE_URL", database_url)
        .env_remove("IDSYNC_PUBLIC_URL")
        .env("IDSYNC_LOG", "warn")
        .output()
        .expect("idsync runs")
}

/// Runs `args_of(i)` for i in 0..runs, `PARALLEL` at a time; returns the failures.
fn run_many(runs: usize, database_url: &str, args_of: impl Fn(usize) -> Vec<String> + Sync) -> Vec<String> {
    let failures = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut next = next.lock().unwrap();
                        let i = *next;
                        *next += 1;
                        i
                    };
                    if i >= runs {
                        return;
                    }
                    let args = args_of(i);
                    let output = run(&args, database_url);
                    if !output.status.success() || killed_by_signal(output.status) {
                        let args: Vec<&str> = args.iter().map(String::as_str).collect();
                        failures.lock().unwrap().push(explain(&args, &output));
                    }
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

fn assert_all_clean(what: &str, runs: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} of {runs} runs of {what} failed; the first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

/// Every subcommand, `CLI_RUNS` or `OTHER_RUNS` times, on `db`.
fn every_subcommand_exits_cleanly(db: &TestDb, runs: usize, other_runs: usize) {
    let url = db.url();
    let setup = run(&words("tenant create acme"), url);
    assert!(
        setup.status.success(),
        "{}",
        explain(&["tenant", "create", "acme"], &setup)
    );

    let failures = run_many(runs, url, |i| words(&format!("tenant create t{i}")));
    assert_all_clean("`tenant create`", runs, &failures);
    let failures = run_many(runs, url, |_| words("token list"));
    assert_all_clean("`token list`", runs, &failures);

    let token_ids = Mutex::new(Vec::new());
    let failures = run_many(other_runs, url, |i| {
        words(&format!("token create --tenant acme --label run{i}"))
    });
    assert_all_clean("`token create`", other_runs, &failures);
    let listed = run(&words("token list --tenant acme"), url);
    for line in String::from_utf8_lossy(&listed.stdout).lines().skip(1) {
        if let Some(id) = line.split_whitespace().next() {
            token_ids.lock().unwrap().push(id.to_owned());
        }
    }
    let token_ids = token_ids.into_inner().unwrap();
    assert_eq!(token_ids.len(), other_runs, "one token per `token create`");
    let failures = run_many(other_runs, url, |i| words(&format!("token revoke {}", token_ids[i])));
    assert_all_clean("`token revoke`", other_runs, &failures);

    for command in [
        "tenant list",
        "rules show --tenant acme",
        "log --tenant acme",
        "migrate",
    ] {
        let failures = run_many(other_runs, url, |_| words(command));
        assert_all_clean(&format!("`{command}`"), other_runs, &failures);
    }
    let failures = run_many(other_runs, url, |i| {
        let mut args = words("rules set --tenant acme --resource user --filter");
        args.push(format!("userName ew \"@run{i}.example\""));
        args
    });
    assert_all_clean("`rules set`", other_runs, &failures);
}

#[test]
fn every_cli_subcommand_exits_cleanly_on_postgres_run_after_run() {
    every_subcommand_exits_cleanly(&TestDb::postgres(), CLI_RUNS, OTHER_RUNS);
}

#[test]
fn every_cli_subcommand_exits_cleanly_on_sqlite_run_after_run() {
    every_subcommand_exits_cleanly(&TestDb::sqlite(), CLI_RUNS / 2, OTHER_RUNS / 2);
}

/// One `serve`: started, made to use its database, stopped by `signal`.
///
/// It listens on ports the system picks (port 0) and the test reads them from its
/// `idsync serving` log line: a port picked in advance can be taken by another test's
/// server meanwhile, whose `/readyz` would then answer for one still starting.
async fn serve_once(database_url: &str, client: &reqwest::Client, signal: &str) -> Result<(), String> {
    let args = words("serve --listen 127.0.0.1:0 --grpc-listen 127.0.0.1:0");
    let (mut serve, listening) = start_logging("serve", &args, database_url)?;
    let ops = listening.ops.ok_or("serve named no operations listener")?;
    let ready = serve.ready(client, &format!("http://{ops}/readyz")).await;
    let stopped = serve.stop(signal).await;
    ready.and(stopped)
}

/// Whether `pid` catches SIGINT and SIGTERM (`SigCgt` in `/proc/<pid>/status`).
fn catches_stop_signals(pid: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (2 - 1)) != 0 && mask & (1 << (15 - 1)) != 0)
}

/// `serve` sent SIGTERM as soon as it catches it, while it is still starting: it must
/// finish starting, then stop cleanly, never die by the signal.
async fn a_stop_signal_during_start_up_ends_serve_cleanly(db: &TestDb) {
    let mut failures = Vec::new();
    for run in 0..OTHER_RUNS / 5 {
        let args = words("serve --listen 127.0.0.1:0 --grpc-listen 127.0.0.1:0");
        let serve = start("serve", &args, db.url());
        let deadline = Instant::now() + Duration::from_secs(30);
        while !catches_stop_signals(serve.child.id()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(200));
        }
        if let Err(why) = serve.stop("TERM").await {
            failures.push(format!("run {run}: {why}"));
        }
    }
    assert_all_clean("`serve` stopped by SIGTERM while starting", OTHER_RUNS / 5, &failures);
}

/// `serve` catches SIGTERM and SIGINT while it is still starting, not only once it
/// serves: here its database never answers (a listener that accepts and stays silent),
/// so it stays in start-up, and it must already catch both signals there. Before the
/// handlers moved ahead of start-up they were installed only after the servers ran.
#[test]
fn serve_catches_stop_signals_before_it_has_finished_starting() {
    let silent_database = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("postgres://idsync@{}/idsync", silent_database.local_addr().unwrap());
    let args = words("serve --listen 127.0.0.1:0 --grpc-listen 127.0.0.1:0");
    let serve = start("serve", &args, &url);
    // Once serve has connected to the database it is inside start-up, and stays there.
    let (_held, _) = silent_database.accept().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !catches_stop_signals(serve.child.id()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        catches_stop_signals(serve.child.id()),
        "serve, still starting, does not catch SIGTERM and SIGINT"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_signal_during_start_up_ends_serve_cleanly_on_sqlite() {
    a_stop_signal_during_start_up_ends_serve_cleanly(&TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_signal_during_start_up_ends_serve_cleanly_on_postgres() {
    a_stop_signal_during_start_up_ends_serve_cleanly(&TestDb::postgres()).await;
}

async fn serve_stops_cleanly(db: &TestDb, runs: usize, signal: &str) {
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    for run in 0..runs {
        if let Err(why) = serve_once(db.url(), &client, signal).await {
            failures.push(format!("run {run}: {why}"));
        }
    }
    assert_all_clean(&format!("`serve` stopped by SIG{signal}"), runs, &failures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stopped_by_sigterm_exits_cleanly_on_postgres_every_time() {
    serve_stops_cleanly(&TestDb::postgres(), SERVE_RUNS, "TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stopped_by_sigterm_exits_cleanly_on_sqlite_every_time() {
    serve_stops_cleanly(&TestDb::sqlite(), SERVE_RUNS / 2, "TERM").await;
}

/// Split processes and Ctrl-C, fewer times: the same shutdown path as `serve`.
const SPLIT_RUNS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stopped_by_sigint_exits_cleanly_on_postgres_every_time() {
    serve_stops_cleanly(&TestDb::postgres(), SPLIT_RUNS, "INT").await;
}

/// `core` and `gateway` as separate processes, both used (a SCIM read through the
/// gateway reaches the core and its database), then stopped: gateway first, then core,
/// alternating SIGTERM and SIGINT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_and_gateway_stopped_by_sigterm_or_sigint_exit_cleanly_on_postgres() {
    let db = TestDb::postgres();
    let url = db.url();
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    for run in 0..SPLIT_RUNS {
        let signal = if run % 2 == 0 { "TERM" } else { "INT" };
        // Every listener on port 0, read back from the `… serving` line: ports picked
        // free here and bound later by the child were sometimes taken in between by the
        // other tests' servers, and the core then failed to start ("exit status 1").
        let core_args = words("core --grpc-listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0");
        let (mut core, core_at) = match start_logging("core", &core_args, url) {
            Ok(started) => started,
            Err(why) => {
                failures.push(format!("run {run}: {why}"));
                continue;
            }
        };
        let (Some(grpc), Some(ops)) = (core_at.grpc, core_at.ops) else {
            failures.push(format!("run {run}: core named no gRPC or operations address"));
            continue;
        };
        let gateway_args = words(&format!(
            "gateway --core http://{grpc} --listen 127.0.0.1:0 --ops-listen 127.0.0.1:0"
        ));
        let (mut gateway, gateway_at) = match start_logging("gateway", &gateway_args, url) {
            Ok(started) => started,
            Err(why) => {
                failures.push(format!("run {run}: {why}"));
                let _ = core.stop(signal).await;
                continue;
            }
        };
        let gateway_ops = gateway_at.ops.unwrap_or_default();
        let core_ready = core.ready(&client, &format!("http://{ops}/readyz")).await;
        let gateway_ready = gateway.ready(&client, &format!("http://{gateway_ops}/readyz")).await;
        let gateway_stopped = gateway.stop(signal).await;
        let core_stopped = core.stop(signal).await;
        for result in [core_ready, gateway_ready, gateway_stopped, core_stopped] {
            if let Err(why) = result {
                failures.push(format!("run {run}: {why}"));
            }
        }
    }
    assert_all_clean("`core` + `gateway` stopped by a signal", SPLIT_RUNS, &failures);
}

#[test]
fn a_child_killed_by_a_signal_is_reported_by_its_signal_not_as_a_failure() {
    let output = Command::new("sh").args(["-c", "kill -TERM $$"]).output().unwrap();
    assert!(killed_by_signal(output.status));
    assert_eq!(
        describe(output.status),
        "killed by signal 15 (SIGTERM: terminated), no core dumped (check `ulimit -c`)"
    );
    let explained = explain(&["serve"], &output);
    assert!(explained.contains("killed by signal 15 (SIGTERM"), "{explained}");
}
