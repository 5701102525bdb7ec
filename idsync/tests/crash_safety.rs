//! Crash safety: every write `idsync serve` acknowledged survives `kill -9`.
//!
//! Eight clients create users and patch their `displayName` as fast as the server lets
//! them. The server is killed with SIGKILL in the middle of it, restarted on the same
//! database, and every acknowledged (2xx) create must be there with its userName, and
//! its `displayName` must be the last acknowledged value — or the value of the one
//! PATCH that was in flight when the server died, which may or may not have committed.
//! On SQLite with the default `synchronous = NORMAL` (a process crash, not a power
//! loss) and on PostgreSQL.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use idsync_storage::test_util::TestDb;
use serde_json::{Value, json};
use support::process::{start_logging, words};
use support::{BIN, describe, killed_by_signal};

/// Clients writing at once.
const CLIENTS: usize = 8;
/// How long they write before the kill.
const WRITING: Duration = Duration::from_millis(2500);

/// One user as a client saw it.
struct Written {
    id: String,
    user_name: String,
    /// The last `displayName` a 2xx confirmed.
    acknowledged: String,
    /// A `displayName` sent but not confirmed when the server died.
    in_flight: Option<String>,
}

/// What one client did before the kill.
#[derive(Default)]
struct Client {
    users: Vec<Written>,
    creates_acknowledged: usize,
    patches_acknowledged: usize,
}

/// Runs a one-shot `idsync` command and returns its last line of output.
fn command(args: &[String], database_url: &str) -> String {
    let output = std::process::Command::new(BIN)
        .args(args)
        .env("IDSYNC_DATABASE_URL", database_url)
        .env("IDSYNC_LOG", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {}", describe(output.status));
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap()
        .trim()
        .to_owned()
}

/// Creates users and patches them until `stop`, recording what was acknowledged.
async fn write_until(
    http: reqwest::Client,
    base: String,
    token: String,
    client: usize,
    stop: Arc<AtomicBool>,
) -> Client {
    let mut seen = Client::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let user_name = format!("c{client}-u{n}@crash.example");
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                          "userName": user_name, "displayName": "v0"});
        let created = http
            .post(format!("{base}/Users"))
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
            .send()
            .await;
        let Ok(created) = created else { break };
        if !created.status().is_success() {
            break;
        }
        let Ok(created) = created.json::<Value>().await else {
            break;
        };
        seen.creates_acknowledged += 1;
        let mut user = Written {
            id: created["id"].as_str().unwrap().to_owned(),
            user_name,
            acknowledged: "v0".into(),
            in_flight: None,
        };
        for version in 1..=2 {
            let name = format!("v{version}");
            user.in_flight = Some(name.clone());
            let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                               "Operations": [{"op": "replace", "path": "displayName", "value": name}]});
            let patched = http
                .patch(format!("{base}/Users/{}", user.id))
                .bearer_auth(&token)
                .header("content-type", "application/scim+json")
                .body(patch.to_string())
                .send()
                .await;
            match patched {
                Ok(r) if r.status().is_success() => {
                    user.acknowledged = name;
                    user.in_flight = None;
                    seen.patches_acknowledged += 1;
                }
                _ => break,
            }
        }
        let died = user.in_flight.is_some();
        seen.users.push(user);
        if died {
            break;
        }
    }
    seen
}

async fn acknowledged_writes_survive_kill_9(db: &TestDb) {
    let url = db.url();
    command(&words("tenant create acme"), url);
    let token = command(&words("token create --tenant acme --scope scim --label crash"), url);
    // The tenant rate limit is off: the clients write as fast as the server goes.
    let args = words("serve --listen 127.0.0.1:0 --grpc-listen 127.0.0.1:0 --tenant-rps 0");
    let (mut serve, listening) = start_logging("serve", &args, url).unwrap();
    let http = reqwest::Client::new();
    let ops = listening.ops.expect("an operations listener");
    serve.ready(&http, &format!("http://{ops}/readyz")).await.unwrap();
    let base = format!("http://{}/scim/v2", listening.http);

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| tokio::spawn(write_until(http.clone(), base.clone(), token.clone(), c, stop.clone())))
        .collect();
    tokio::time::sleep(WRITING).await;
    serve.child.kill().unwrap(); // SIGKILL: no shutdown, no flush, no checkpoint
    let status = serve.child.wait().unwrap();
    assert!(killed_by_signal(status), "{}", describe(status));
    stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for client in clients {
        seen.push(client.await.unwrap());
    }
    drop(serve);

    let (mut again, listening) = start_logging("serve after kill -9", &args, url).unwrap();
    let ops = listening.ops.expect("an operations listener");
    again.ready(&http, &format!("http://{ops}/readyz")).await.unwrap();
    let base = format!("http://{}/scim/v2", listening.http);
    let creates: usize = seen.iter().map(|c| c.creates_acknowledged).sum();
    let patches: usize = seen.iter().map(|c| c.patches_acknowledged).sum();
    assert!(creates >= 5 * CLIENTS, "the load ran: {creates} creates acknowledged");
    for user in seen.iter().flat_map(|c| &c.users) {
        let found = http
            .get(format!("{base}/Users/{}", user.id))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(found.status(), 200, "acknowledged user {} is gone", user.user_name);
        let found: Value = found.json().await.unwrap();
        assert_eq!(found["userName"], user.user_name.as_str());
        let display = found["displayName"].as_str().unwrap();
        assert!(
            display == user.acknowledged || user.in_flight.as_deref() == Some(display),
            "{}: displayName {display:?}, acknowledged {:?}, in flight {:?}",
            user.user_name,
            user.acknowledged,
            user.in_flight
        );
    }
    again.stop("TERM").await.unwrap();
    eprintln!(
        "kill -9 under load, {:?}: {creates} creates and {patches} patches acknowledged, all found after restart",
        db.backend()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_on_sqlite() {
    acknowledged_writes_survive_kill_9(&TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_on_postgres() {
    acknowledged_writes_survive_kill_9(&TestDb::postgres()).await;
}
