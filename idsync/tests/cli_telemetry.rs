//! The `idsync` binary's telemetry as an operator meets it: OTLP export configured by
//! `OTEL_*` variables and flushed on SIGTERM, JSON log lines when stderr is not a
//! terminal, and `idsync core --metrics-listen`.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use idsync_storage::test_util::TestDb;
use idsync_telemetry::test_util::{Collector, eventually};

mod support;
use support::{BIN, describe};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Kills the child if the test ends early.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_until_ok(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(url).await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "{url} never answered 200");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_exports_over_otlp_http_and_flushes_when_stopped() {
    let collector = Collector::http().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (http, grpc, ops) = (free_port(), free_port(), free_port());
    let child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{http}")])
        .args(["--grpc-listen", &format!("127.0.0.1:{grpc}")])
        .args(["--ops-listen", &format!("127.0.0.1:{ops}")])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("IDSYNC_DATABASE_URL")
        .env("IDSYNC_LOG", "info")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint())
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        .env("OTEL_SERVICE_NAME", "idsync-under-test")
        // Nothing would leave before an hour: whatever arrives was flushed at shutdown.
        .env("OTEL_BSP_SCHEDULE_DELAY", "3600000")
        .env("OTEL_METRIC_EXPORT_INTERVAL", "3600000")
        .stdout(Stdio::piped())
        // Not a terminal: the log must be JSON lines.
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let mut log = child.0.stderr.take().unwrap();
    let log_reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut log, &mut text).unwrap();
        text
    });
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let (mut tenant_url, mut token, mut line) = (String::new(), String::new(), String::new());
    while out.read_line(&mut line).unwrap() > 0 && token.is_empty() {
        if let Some(v) = line.trim().strip_prefix("Tenant URL:") {
            tenant_url = v.trim().to_string();
        }
        if let Some(v) = line.trim().strip_prefix("Secret Token:") {
            token = v.trim().to_string();
        }
        line.clear();
    }
    wait_until_ok(&format!("http://127.0.0.1:{ops}/readyz")).await;
    let listed = reqwest::Client::new()
        .get(format!("{tenant_url}/Users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), reqwest::StatusCode::OK);
    assert!(collector.spans().is_empty(), "nothing is exported before the flush");

    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "serve stopped by SIGTERM ended with {}", describe(exit));
    let flushed = eventually(Duration::from_secs(5), || {
        collector
            .spans()
            .iter()
            .any(|s| s.name == "GET /scim/v2/Users" && s.service == "idsync-under-test")
            && collector.metric_names().contains("http.server.request.duration")
    })
    .await;
    assert!(flushed, "spans and metrics flushed on shutdown: {}", collector.dump());
    assert!(!collector.dump().contains(&token), "the token is never exported");

    // The log: one JSON object per line; the request's line carries its trace and
    // request ids; the token never appears.
    let log = log_reader.join().unwrap();
    assert!(!log.contains(&token), "the token is never logged");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .all(|l| l["timestamp"].is_string() && l["level"].is_string())
    );
    let finished = lines
        .iter()
        .find(|l| l.to_string().contains("request finished") && l.to_string().contains("/scim/v2/Users"))
        .unwrap_or_else(|| panic!("no `request finished` line for GET /Users in {log}"));
    let text = finished.to_string();
    assert!(
        text.contains("\"trace_id\"") && text.contains("\"request_id\""),
        "{finished}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_alone_serves_metrics_and_readiness_on_its_metrics_listener() {
    let db = TestDb::sqlite();
    let (grpc, ops) = (free_port(), free_port());
    let core = Command::new(BIN)
        .args(["core", "--grpc-listen", &format!("127.0.0.1:{grpc}")])
        .args(["--metrics-listen", &format!("127.0.0.1:{ops}")])
        .env("IDSYNC_DATABASE_URL", db.url())
        .env("IDSYNC_LOG", "warn")
        .spawn()
        .unwrap();
    let _core = Running(core);
    let base = format!("http://127.0.0.1:{ops}");
    wait_until_ok(&format!("{base}/healthz")).await;
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::OK, "the database answers");
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(metrics.status(), reqwest::StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("db_client_connection_max{"), "{text}");
}
