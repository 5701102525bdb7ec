//! The `idsync` binary as an operator runs it: subcommands' stdout, `serve` on first
//! start, graceful shutdown on SIGTERM, and the split `core` + `gateway` processes.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use idsync_storage::test_util::TestDb;

mod support;
use support::{BIN, describe, explain, killed_by_signal};

fn idsync(args: &[&str], database_url: &str) -> Output {
    let output = Command::new(BIN)
        .args(args)
        .env("IDSYNC_DATABASE_URL", database_url)
        .env_remove("IDSYNC_PUBLIC_URL")
        .env("IDSYNC_LOG", "warn")
        .env("IDSYNC_OPS_LISTEN", "127.0.0.1:0")
        .output()
        .expect("idsync runs");
    assert!(output.status.success(), "{}", explain(args, &output));
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str], database_url: &str) -> Running {
    let child = Command::new(BIN)
        .args(args)
        .env("IDSYNC_DATABASE_URL", database_url)
        .env("IDSYNC_LOG", "warn")
        .env("IDSYNC_OPS_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("idsync starts");
    Running(child)
}

async fn wait_healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/healthz")).await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "{base} never became healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn probe(tenant_url: &str, token: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .get(format!(
            "{tenant_url}/Users?filter=userName+eq+%22{}%22",
            "b4fa7c1e-0000-4000-8000-000000000000"
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("probe sent")
        .status()
}

#[test]
fn tenant_and_token_commands_print_only_what_an_admin_pastes() {
    let db = TestDb::sqlite();
    let url = db.url();
    idsync(&["migrate"], url);
    let tenant = idsync(
        &[
            "tenant",
            "create",
            "contoso",
            "--public-url",
            "https://scim.example.com/",
        ],
        url,
    );
    assert_eq!(stdout(&tenant), "https://scim.example.com/scim/v2\n");
    let token = idsync(
        &[
            "token", "create", "--tenant", "contoso", "--scope", "read", "--label", "ci",
        ],
        url,
    );
    let secret = stdout(&token);
    let lines: Vec<&str> = secret.lines().collect();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("idsync_") && lines[0].len() == 50, "{secret}");

    let list = stdout(&idsync(&["token", "list", "--tenant", "contoso"], url));
    assert!(
        list.contains("contoso") && list.contains("read") && list.contains("ci"),
        "{list}"
    );
    assert!(!list.contains(lines[0]), "secrets are never listed");
    let id = list
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a token row")
        .to_string();
    idsync(&["token", "revoke", &id], url);
    let list = stdout(&idsync(&["token", "list"], url));
    let row: Vec<&str> = list
        .lines()
        .find(|l| l.starts_with(&id))
        .expect("still listed")
        .split_whitespace()
        .collect();
    // ID TENANT SCOPE CREATED EXPIRES LAST-USED REVOKED LABEL
    assert_eq!(row[4], "-", "no expiry: {row:?}");
    assert_ne!(row[6], "-", "revocation time shown: {row:?}");

    let tenants = stdout(&idsync(&["tenant", "list"], url));
    assert!(
        tenants.contains("contoso") && tenants.contains("https://scim.example.com/scim/v2"),
        "{tenants}"
    );

    let duplicate = Command::new(BIN)
        .args(["tenant", "create", "contoso"])
        .env("IDSYNC_DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(!duplicate.status.success());
    assert!(
        !killed_by_signal(duplicate.status),
        "{}",
        explain(&["tenant", "create", "contoso"], &duplicate)
    );
    assert!(duplicate.stdout.is_empty());
}

#[test]
fn help_reads_like_a_manual() {
    let output = Command::new(BIN).arg("--help").output().expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "Tenant URL",
        "Secret Token",
        "serve",
        "core",
        "gateway",
        "tenant",
        "token",
        "migrate",
        "IDSYNC_DATABASE_URL",
    ] {
        assert!(text.contains(needle), "--help mentions {needle}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_bootstraps_a_tenant_answers_entra_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let (http, grpc) = (free_port(), free_port());
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{http}"),
            "--grpc-listen",
            &format!("127.0.0.1:{grpc}"),
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("IDSYNC_DATABASE_URL")
        .env("IDSYNC_LOG", "warn")
        .env("IDSYNC_OPS_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut tenant_url, mut token) = (String::new(), String::new());
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        if let Some(v) = line.trim().strip_prefix("Tenant URL:") {
            tenant_url = v.trim().to_string();
        }
        if let Some(v) = line.trim().strip_prefix("Secret Token:") {
            token = v.trim().to_string();
            break;
        }
        line.clear();
    }
    assert_eq!(tenant_url, format!("http://127.0.0.1:{http}/scim/v2"));
    assert!(token.starts_with("idsync_"));
    assert!(dir.path().join("idsync.db").exists(), "SQLite lives in --data-dir");
    wait_healthy(&format!("http://127.0.0.1:{http}")).await;
    assert_eq!(probe(&tenant_url, &token).await, reqwest::StatusCode::OK);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful shutdown exits 0, not {}", describe(exit));

    // A second start on the same data keeps the tenant and prints no new token.
    let (http, grpc) = (free_port(), free_port());
    let again = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{http}"),
            "--grpc-listen",
            &format!("127.0.0.1:{grpc}"),
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .env("IDSYNC_LOG", "warn")
        .env("IDSYNC_OPS_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut again = Running(again);
    wait_healthy(&format!("http://127.0.0.1:{http}")).await;
    let restarted_url = format!("http://127.0.0.1:{http}/scim/v2");
    assert_eq!(
        probe(&restarted_url, &token).await,
        reqwest::StatusCode::OK,
        "the first token survives a restart"
    );
    let _ = again.0.kill();
    let output = again.0.wait_with_output_taken();
    assert!(!output.contains("Secret Token"), "no second bootstrap: {output}");
}

trait TakeOutput {
    fn wait_with_output_taken(&mut self) -> String;
}

impl TakeOutput for Child {
    fn wait_with_output_taken(&mut self) -> String {
        let _ = self.wait();
        let mut text = String::new();
        if let Some(mut out) = self.stdout.take() {
            use std::io::Read;
            let _ = out.read_to_string(&mut text);
        }
        text
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_and_gateway_run_as_separate_processes_on_postgres() {
    let db = TestDb::postgres();
    let url = db.url();
    idsync(&["tenant", "create", "acme"], url);
    let token = stdout(&idsync(&["token", "create", "--tenant", "acme"], url))
        .trim()
        .to_string();
    let (http, grpc) = (free_port(), free_port());
    let _core = spawn(&["core", "--grpc-listen", &format!("127.0.0.1:{grpc}")], url);
    let _gateway = spawn(
        &[
            "gateway",
            "--core",
            &format!("http://127.0.0.1:{grpc}"),
            "--listen",
            &format!("127.0.0.1:{http}"),
        ],
        url,
    );
    let base = format!("http://127.0.0.1:{http}");
    wait_healthy(&base).await;
    let tenant_url = format!("{base}/scim/v2");
    let deadline = Instant::now() + Duration::from_secs(30);
    // The gateway may be up before the core listens: retry the probe briefly.
    loop {
        let status = probe(&tenant_url, &token).await;
        if status == reqwest::StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "probe kept failing with {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let created = reqwest::Client::new()
        .post(format!("{tenant_url}/Users"))
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body(r#"{"userName":"split@acme.example"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
}

fn idsync_fails(args: &[&str], database_url: &str) -> String {
    let output = Command::new(BIN)
        .args(args)
        .env("IDSYNC_DATABASE_URL", database_url)
        .env("IDSYNC_LOG", "warn")
        .env("IDSYNC_OPS_LISTEN", "127.0.0.1:0")
        .output()
        .expect("idsync runs");
    assert!(!output.status.success(), "idsync {args:?} succeeded");
    assert!(
        !killed_by_signal(output.status),
        "a refusal is an exit, not a crash: {}",
        explain(args, &output)
    );
    assert!(output.stdout.is_empty(), "a refused command prints nothing to stdout");
    String::from_utf8(output.stderr).expect("utf-8")
}

#[test]
fn rules_commands_set_show_and_clear_a_tenants_rules() {
    let db = TestDb::sqlite();
    let url = db.url();
    idsync(&["tenant", "create", "contoso"], url);
    let none = "scoping   none (every resource is in scope)\nmatching  none (a duplicate userName is a conflict)\n";
    assert_eq!(stdout(&idsync(&["rules", "show", "--tenant", "contoso"], url)), none);

    let filter = r#"userName ew "@contoso.com" and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department ne "Contractors""#;
    idsync(
        &[
            "rules",
            "set",
            "--tenant",
            "contoso",
            "--resource",
            "user",
            "--filter",
            filter,
            "--create-policy",
            "accept-disabled",
            "--update-policy",
            "delete",
        ],
        url,
    );
    let set = idsync(
        &[
            "rules",
            "set",
            "--tenant",
            "contoso",
            "--matching",
            "externalId, emails[type eq \"work\"].value",
            "--match-policy",
            "adopt",
        ],
        url,
    );
    let expected = format!(
        "scoping   User   create=accept-disabled update=delete     filter={filter}\n\
         matching  policy=adopt    attributes=externalId,emails[type eq \"work\"].value\n"
    );
    assert_eq!(stdout(&set), expected);
    assert_eq!(
        stdout(&idsync(&["rules", "show", "--tenant", "contoso"], url)),
        expected
    );

    let cleared = idsync(
        &[
            "rules",
            "clear",
            "--tenant",
            "contoso",
            "--resource",
            "user",
            "--matching",
        ],
        url,
    );
    assert_eq!(stdout(&cleared), none);
}

#[test]
fn rules_set_refuses_an_invalid_rule_with_its_position_and_keeps_the_old_one() {
    let db = TestDb::sqlite();
    let url = db.url();
    idsync(&["tenant", "create", "contoso"], url);
    idsync(
        &[
            "rules",
            "set",
            "--tenant",
            "contoso",
            "--resource",
            "group",
            "--filter",
            "displayName pr",
        ],
        url,
    );

    let stderr = idsync_fails(
        &[
            "rules",
            "set",
            "--tenant",
            "contoso",
            "--resource",
            "group",
            "--filter",
            "displayName eq",
        ],
        url,
    );
    assert!(
        stderr.contains("invalid Group scoping filter") && stderr.contains("at character 15"),
        "{stderr}"
    );
    let stderr = idsync_fails(
        &[
            "rules",
            "set",
            "--tenant",
            "contoso",
            "--matching",
            "externalId,nickName",
        ],
        url,
    );
    assert!(stderr.contains("nickName"), "{stderr}");
    let stderr = idsync_fails(&["rules", "show", "--tenant", "nobody"], url);
    assert!(stderr.contains("nobody"), "{stderr}");

    let show = stdout(&idsync(&["rules", "show", "--tenant", "contoso"], url));
    assert!(
        show.contains("filter=displayName pr") && show.contains("matching  none"),
        "{show}"
    );
}

#[test]
fn log_prints_a_tenants_write_attempts_newest_first_and_filters_failures() {
    use idsync_storage::records::ResourceType;
    use idsync_storage::{AttributeNames, LogOperation, LogOutcome, LogRecord};
    let db = TestDb::sqlite();
    let url = db.url();
    idsync(&["tenant", "create", "contoso"], url);
    let store = db.store();
    let tenant = store.tenant_by_name("contoso").unwrap().unwrap();
    let now = chrono::Utc::now().timestamp_micros();
    let entry = |id: &str, at_us: i64, failure: bool| LogRecord {
        tenant_id: tenant.id.clone(),
        id: id.into(),
        at_us,
        token_id: None,
        operation: if failure {
            LogOperation::Create
        } else {
            LogOperation::Patch
        },
        resource_type: ResourceType::User,
        resource_id: (!failure).then(|| "user-1".to_string()),
        outcome: if failure {
            LogOutcome::Failure
        } else {
            LogOutcome::Success
        },
        grpc_code: None,
        http_status: failure.then_some(409),
        scim_type: failure.then(|| "uniqueness".to_string()),
        detail: failure.then(|| "userName \"…\" is already taken".to_string()),
        attributes: AttributeNames(if failure { vec![] } else { vec!["active".into()] }),
        request_id: None,
        trace_id: None,
    };
    store
        .insert_log_entry(&entry("e1", now - 3_600_000_000 * 5, false))
        .unwrap();
    store.insert_log_entry(&entry("e2", now - 1_000_000, true)).unwrap();
    store.insert_log_entry(&entry("e3", now, false)).unwrap();

    let all = stdout(&idsync(&["log", "--tenant", "contoso"], url));
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 4, "{all}");
    assert!(lines[0].starts_with("TIME") && lines[0].contains("SCIMTYPE"), "{all}");
    assert!(
        lines[1].contains("patch") && lines[1].contains("user-1") && lines[1].contains("active"),
        "{all}"
    );
    assert!(
        lines[2].contains("failure") && lines[2].contains("409") && lines[2].contains("uniqueness"),
        "{all}"
    );
    let failures = stdout(&idsync(&["log", "--tenant", "contoso", "--failures"], url));
    assert_eq!(failures.lines().count(), 2, "{failures}");
    let recent = stdout(&idsync(
        &["log", "--tenant", "contoso", "--since", "2h", "--limit", "1"],
        url,
    ));
    assert_eq!(recent.lines().count(), 2, "{recent}");
    assert!(recent.lines().nth(1).unwrap().contains("success"), "{recent}");

    let bad = Command::new(BIN)
        .args(["log", "--tenant", "contoso", "--since", "soon"])
        .env("IDSYNC_DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--since"));
}

#[test]
fn plain_http_on_a_public_address_needs_allow_plaintext_and_tls_needs_both_files() {
    let db = TestDb::sqlite();
    let url = db.url();
    let stderr = idsync_fails(&["serve", "--listen", "0.0.0.0:0", "--grpc-listen", "127.0.0.1:0"], url);
    assert!(
        stderr.contains("refusing plain HTTP") && stderr.contains("--allow-plaintext"),
        "{stderr}"
    );
    let stderr = idsync_fails(
        &["gateway", "--listen", "0.0.0.0:0", "--core", "http://127.0.0.1:1"],
        url,
    );
    assert!(stderr.contains("--allow-plaintext"), "{stderr}");
    let stderr = idsync_fails(&["serve", "--tls-cert", "/nonexistent/cert.pem"], url);
    assert!(stderr.contains("--tls-key"), "{stderr}");
    let stderr = idsync_fails(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--grpc-listen",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ],
        url,
    );
    assert!(
        stderr.contains("/nonexistent/cert.pem"),
        "a missing file is named: {stderr}"
    );
}

#[test]
fn plain_grpc_on_a_public_address_needs_allow_plaintext_and_grpc_tls_files_are_checked_at_start() {
    let db = TestDb::sqlite();
    let url = db.url();
    let stderr = idsync_fails(&["core", "--grpc-listen", "0.0.0.0:0"], url);
    assert!(
        stderr.contains("refusing plain gRPC") && stderr.contains("--grpc-tls-cert"),
        "{stderr}"
    );
    let stderr = idsync_fails(&["serve", "--listen", "127.0.0.1:0", "--grpc-listen", "0.0.0.0:0"], url);
    assert!(stderr.contains("refusing plain gRPC"), "{stderr}");
    let stderr = idsync_fails(&["core", "--grpc-client-ca", "/nonexistent/ca.pem"], url);
    assert!(stderr.contains("--grpc-tls-cert"), "{stderr}");
    // The same keys in the config file, checked the same way.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("idsync.toml");
    std::fs::write(
        &config,
        "grpc_listen = \"127.0.0.1:0\"\ngrpc_tls_cert = \"/nonexistent/grpc.pem\"\ngrpc_tls_key = \"/nonexistent/grpc.key\"\n",
    )
    .unwrap();
    let stderr = idsync_fails(&["core", "--config", config.to_str().unwrap()], url);
    assert!(stderr.contains("/nonexistent/grpc.pem"), "{stderr}");
    std::fs::write(&config, "core_client_cert = \"/nonexistent/client.pem\"\n").unwrap();
    let stderr = idsync_fails(
        &[
            "gateway",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--core",
            "https://127.0.0.1:1",
        ],
        url,
    );
    assert!(stderr.contains("--core-client-key"), "{stderr}");
    let stderr = idsync_fails(
        &[
            "gateway",
            "--listen",
            "127.0.0.1:0",
            "--core",
            "https://127.0.0.1:1",
            "--core-ca",
            "/nonexistent/core-ca.pem",
        ],
        url,
    );
    assert!(stderr.contains("/nonexistent/core-ca.pem"), "{stderr}");
}

#[test]
fn a_trace_url_template_without_the_trace_id_is_refused_at_start() {
    let db = TestDb::sqlite();
    let url = db.url();
    let no_id = "https://grafana.example.com/explore";
    let stderr = idsync_fails(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--grpc-listen",
            "127.0.0.1:0",
            "--trace-url-template",
            no_id,
        ],
        url,
    );
    assert!(
        stderr.contains("--trace-url-template must contain {trace_id}"),
        "{stderr}"
    );
    let stderr = idsync_fails(
        &[
            "gateway",
            "--listen",
            "127.0.0.1:0",
            "--core",
            "http://127.0.0.1:1",
            "--trace-url-template",
            no_id,
        ],
        url,
    );
    assert!(stderr.contains("{trace_id}"), "{stderr}");
    // The same key in the config file, checked the same way.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("idsync.toml");
    std::fs::write(&config, format!("trace_url_template = \"{no_id}\"\n")).unwrap();
    let stderr = idsync_fails(
        &[
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--grpc-listen",
            "127.0.0.1:0",
        ],
        url,
    );
    assert!(stderr.contains("{trace_id}"), "{stderr}");
}
