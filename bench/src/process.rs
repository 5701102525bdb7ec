//! A server the harness starts as a child process: its stdout read line by line (that
//! is where idsync and the ceiling print their Tenant URL and Secret Token), its stderr
//! in a log file, stopped with SIGTERM and waited for, and killed if the harness leaves
//! early.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How long a server may take to stop after SIGTERM (idsync flushes telemetry for up
/// to 5 s per exporter) before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A running child process.
pub struct Process {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    log: PathBuf,
}

impl Process {
    /// Starts `command` with stdout piped to this process and stderr to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Result<Process> {
        let stderr = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {name} ({:?})", command.get_program()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Process {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            lines,
            log: log.to_owned(),
        })
    }

    /// The process id, for `/proc/<pid>`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a stdout line starting with `prefix` (after leading blanks) and returns
    /// the rest of it, trimmed. Fails, with the end of the log, when the process exits
    /// first or `timeout` passes.
    pub fn value_after(&self, prefix: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(value) = line.trim_start().strip_prefix(prefix) {
                        return Ok(value.trim().to_owned());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    bail!(
                        "{} printed no `{prefix}` within {timeout:?}{}",
                        self.name,
                        self.log_tail()
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    bail!("{} exited before printing `{prefix}`{}", self.name, self.log_tail())
                }
            }
        }
    }

    /// Closes the child's stdin (the OTLP sink reports and exits on end of input).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Sends SIGTERM and waits for a clean exit; kills it after [`STOP_TIMEOUT`].
    pub fn stop(mut self) -> Result<()> {
        let pid = self.pid().to_string();
        // std offers only SIGKILL; kill(1) sends the signal a graceful stop needs.
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.wait(STOP_TIMEOUT)
    }

    /// Waits up to `timeout` for the process to exit on its own; it must exit 0.
    pub fn wait(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    bail!("{} exited with {status}{}", self.name, self.log_tail());
                }
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!(
                    "{} did not exit within {timeout:?}; killed{}",
                    self.name,
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The last lines of the log, to explain a failure.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        format!("\n--- last lines of {} ---\n{tail}", self.log.display())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
