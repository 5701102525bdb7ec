//! Starting the measured servers as child processes: the ceiling (this binary's hidden
//! `ceiling` command), idsync (`idsync serve` on loopback port 0 and a fresh database,
//! its tenants and the console's admin token made with `idsync tenant create` and
//! `idsync token create` on the same database), and the OTLP sink. Each prints where it
//! listens; nothing is guessed.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::database::Database;
use crate::process::Process;

/// How long a server may take to print its Tenant URL (migrations included).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A tenant the clients speak for.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Its Tenant URL.
    pub url: String,
    /// A Secret Token of scope `scim`.
    pub token: String,
}

/// A running server and its tenants.
pub struct Server {
    /// The process.
    pub process: Process,
    /// One or more tenants.
    pub tenants: Vec<Tenant>,
}

/// `program` without the caller's `IDSYNC_*`, `OTEL_*` and `RUST_LOG` settings, so that
/// only what the harness sets reaches the server.
fn clean_command(program: &Path) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("IDSYNC_") || text.starts_with("OTEL_") || text == "RUST_LOG" {
            command.env_remove(&name);
        }
    }
    command
}

/// Starts the ceiling: `<this binary> ceiling`.
pub fn ceiling(exe: &Path, logs: &Path) -> Result<Server> {
    let mut command = clean_command(exe);
    command.args(["ceiling", "--listen", "127.0.0.1:0"]);
    let process = Process::spawn("the ceiling", command, &logs.join("ceiling.log"))?;
    let tenant = Tenant {
        url: process.value_after("Tenant URL:", START_TIMEOUT)?,
        token: process.value_after("Secret Token:", START_TIMEOUT)?,
    };
    Ok(Server {
        process,
        tenants: vec![tenant],
    })
}

/// How to start one idsync.
pub struct Idsync<'a> {
    /// The `idsync` binary.
    pub binary: &'a Path,
    /// A fresh database.
    pub database: &'a Database,
    /// 1: the tenant `serve` creates on first start; more: that many new tenants.
    pub tenants: usize,
    /// `IDSYNC_LOG` for the server; `None` keeps idsync's default.
    pub log_filter: Option<&'a str>,
    /// Further environment (telemetry).
    pub env: Vec<(String, String)>,
    /// Where its stderr goes.
    pub log: PathBuf,
}

/// Starts `idsync serve` and makes its tenants.
pub fn idsync(spec: &Idsync<'_>) -> Result<Server> {
    let mut command = clean_command(spec.binary);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0"])
        .env("IDSYNC_DATABASE_URL", spec.database.url())
        // The per-tenant rate limit guards against abuse; the harness measures how fast
        // idsync can go, so it is off (a variable, which binaries without it ignore).
        .env("IDSYNC_TENANT_RPS", "0")
        // The operator's listener on a port the system picks.
        .env("IDSYNC_OPS_LISTEN", "127.0.0.1:0");
    if let Some(filter) = spec.log_filter {
        command.env("IDSYNC_LOG", filter);
    }
    command.envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let process = Process::spawn("idsync", command, &spec.log)?;
    let first = Tenant {
        url: process.value_after("Tenant URL:", START_TIMEOUT)?,
        token: process.value_after("Secret Token:", START_TIMEOUT)?,
    };
    if spec.tenants <= 1 {
        return Ok(Server {
            process,
            tenants: vec![first],
        });
    }
    let public_url = first.url.trim_end_matches("/scim/v2").to_owned();
    let mut tenants = Vec::with_capacity(spec.tenants);
    for n in 1..=spec.tenants {
        let name = format!("bench-{n:03}");
        let url = cli(
            spec.binary,
            spec.database,
            ["--public-url", public_url.as_str(), "tenant", "create", name.as_str()],
        )?;
        let token = cli(
            spec.binary,
            spec.database,
            ["token", "create", "--tenant", name.as_str(), "--label", "idsync-bench"],
        )?;
        tenants.push(Tenant { url, token });
    }
    Ok(Server { process, tenants })
}

/// A new `admin` token of the tenant `serve` made on first start (`default`), made with
/// `idsync token create` on the server's database while it runs: the console's sign-in.
pub fn admin_token(binary: &Path, database: &Database) -> Result<String> {
    cli(
        binary,
        database,
        [
            "token",
            "create",
            "--tenant",
            "default",
            "--scope",
            "admin",
            "--label",
            "idsync-bench console",
        ],
    )
}

/// Runs an administrative `idsync` command on the server's database; its one line.
fn cli<const N: usize>(binary: &Path, database: &Database, args: [&str; N]) -> Result<String> {
    let output = clean_command(binary)
        .args(args)
        .env("IDSYNC_DATABASE_URL", database.url())
        .env("IDSYNC_LOG", "warn")
        .output()
        .with_context(|| format!("running idsync {}", args.join(" ")))?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || stdout.is_empty() || stdout.contains('\n') {
        bail!(
            "idsync {} failed ({}): {stdout}\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}

/// The OTLP sink: `<this binary> otlp-sink`.
pub struct Sink {
    process: Process,
    /// `http://127.0.0.1:<port>`, for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub endpoint: String,
}

impl Sink {
    /// Starts it.
    pub fn start(exe: &Path, logs: &Path) -> Result<Sink> {
        let mut command = clean_command(exe);
        command.arg("otlp-sink");
        let process = Process::spawn("the OTLP sink", command, &logs.join("otlp-sink.log"))?;
        let endpoint = process.value_after("OTLP endpoint:", START_TIMEOUT)?;
        Ok(Sink { process, endpoint })
    }

    /// Stops it; the number of spans it received.
    pub fn finish(mut self) -> Result<u64> {
        self.process.close_stdin();
        let spans = self.process.value_after("spans received:", START_TIMEOUT)?;
        self.process.wait(START_TIMEOUT)?;
        spans
            .parse()
            .with_context(|| format!("the sink's span count {spans:?}"))
    }
}

/// The `idsync` binary to measure: `explicit` when given; else, when run by cargo, the
/// one `cargo build -p idsync` makes in this binary's profile and target folder (built
/// now, so it is never stale); else the `idsync` beside this binary.
pub fn idsync_binary(explicit: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path);
    }
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("this binary has no folder")?;
    let sibling = dir.join("idsync");
    if let Some(cargo) = std::env::var_os("CARGO") {
        let profile = match dir.file_name().and_then(OsStr::to_str) {
            Some("debug") | None => "dev",
            Some(other) => other,
        };
        let target_dir = dir.parent().context("no target folder")?;
        // The workspace's manifest, spelled as cargo spells it (`bench/..` would count as
        // another path and rebuild idsync each time).
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("no workspace")?;
        let manifest = workspace.join("Cargo.toml");
        eprintln!("building idsync ({profile} profile)…");
        let status = without_package_env(Command::new(cargo))
            .args([
                "build",
                "--quiet",
                "--profile",
                profile,
                "-p",
                "idsync",
                "--bin",
                "idsync",
            ])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(target_dir)
            .status()
            .context("running cargo build")?;
        if !status.success() {
            bail!("cargo build -p idsync failed ({status})");
        }
    }
    if !sibling.is_file() {
        bail!(
            "no idsync binary at {}: build it (cargo build --release --bin idsync) or pass --idsync-bin",
            sibling.display()
        );
    }
    Ok(sibling)
}

/// `command` without the variables cargo sets for the package it runs (`cargo run`,
/// `cargo test`). A nested cargo would pass them on to build scripts, and some watch
/// them (ring's watches `CARGO_MANIFEST_DIR`): each build would then undo the other's.
fn without_package_env(mut command: Command) -> Command {
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        let per_package = text.starts_with("CARGO_PKG_")
            || matches!(
                text.as_ref(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_MANIFEST_LINKS"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_TARGET_TMPDIR"
                    | "OUT_DIR"
            );
        if per_package {
            command.env_remove(&name);
        }
    }
    command
}
