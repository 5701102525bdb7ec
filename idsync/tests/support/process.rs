//! Running `idsync serve` (and its siblings) as child processes: started with their logs
//! on a pipe, ready when they answer, stopped by a signal, killed if a test ends early.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{BIN, describe, killed_by_signal};

/// Splits a command line on whitespace.
pub fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

/// An idsync process under test, killed if the test ends early.
pub struct Process {
    /// What it is, for messages.
    pub what: &'static str,
    /// The child process.
    pub child: Child,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `idsync args` on `database_url`, logging warnings only.
pub fn start(what: &'static str, args: &[String], database_url: &str) -> Process {
    let child = idsync_command(args, database_url, "warn")
        .spawn()
        .expect("idsync starts");
    Process { what, child }
}

/// `idsync args` on `database_url`, logging at `log_level`, its stdout discarded.
pub fn idsync_command(args: &[String], database_url: &str, log_level: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("IDSYNC_DATABASE_URL", database_url)
        // The operator's listener on a port the system picks, never the shared default.
        .env("IDSYNC_OPS_LISTEN", "127.0.0.1:0")
        .env("IDSYNC_LOG", log_level)
        .stdout(Stdio::null());
    command
}

impl Process {
    /// Waits until `url` answers 200. `/readyz` asks the database, so the pool has just
    /// lent out a connection and may be opening a replacement when a signal arrives.
    pub async fn ready(&mut self, client: &reqwest::Client, url: &str) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("{} ended before it was ready: {}", self.what, describe(status)));
            }
            if Instant::now() > deadline {
                return Err(format!("{} was not ready within 30 s", self.what));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends `signal` (`TERM` or `INT`) and waits for a clean exit.
    pub async fn stop(mut self, signal: &str) -> Result<(), String> {
        // One that already ended (it failed to start, say) is a failure to report with
        // how it ended, not a reason to abandon the test at `kill`.
        if let Some(status) = self.child.try_wait().unwrap() {
            return Err(format!(
                "{} had already ended before SIG{signal}: {}",
                self.what,
                describe(status)
            ));
        }
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                return Err(format!("{} did not stop within 20 s of SIG{signal}", self.what));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        if status.success() && !killed_by_signal(status) {
            Ok(())
        } else {
            Err(format!(
                "{} stopped by SIG{signal} ended with {}",
                self.what,
                describe(status)
            ))
        }
    }
}

/// Where a started server listens, as its `… serving` log line names it.
pub struct Listening {
    /// The SCIM listener (`serve`, `gateway`); empty for `core`.
    pub http: String,
    /// The core's gRPC listener (`serve`, `core`), when the line names it.
    pub grpc: Option<String>,
    /// The operator's listener (`/metrics`, `/healthz`, `/readyz`).
    pub ops: Option<String>,
}

/// Starts `idsync args` with INFO logs on a pipe, and waits for the addresses its
/// `… serving` line names; the rest of stderr is drained in the background. Tests
/// give every listener port 0 and read where it landed here: a port picked free by
/// the test and bound later by the child could be taken in between by anything else
/// on the machine.
pub fn start_logging(what: &'static str, args: &[String], database_url: &str) -> Result<(Process, Listening), String> {
    let mut child = idsync_command(args, database_url, "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("idsync starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let process = Process { what, child };
    let (found, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        let mut found = Some(found);
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            let fields = &event["fields"];
            let serving = fields["message"].as_str().is_some_and(|m| m.ends_with(" serving"));
            if serving && let Some(found) = found.take() {
                // An address, or one logged as an `Option`: `Some(127.0.0.1:9464)` or `None`.
                let field = |name: &str| {
                    let value = fields[name].as_str()?;
                    match value.strip_prefix("Some(") {
                        Some(inner) => inner.strip_suffix(')').map(str::to_owned),
                        None => (value != "None").then(|| value.to_owned()),
                    }
                };
                let _ = found.send(Listening {
                    http: field("http").unwrap_or_default(),
                    grpc: field("grpc"),
                    ops: field("ops"),
                });
            }
        }
    });
    match address.recv_timeout(Duration::from_secs(30)) {
        Ok(listening) => Ok((process, listening)),
        Err(_) => Err(format!("{what} named no HTTP address within 30 s")),
    }
}
