//! `idsync-bench`: measures idsync against a do-nothing ceiling server in the same run.
//!
//! It owns the benchmark: the workloads (Entra's calls, in Entra's order), the clients
//! that send them, the ceiling, and the figures. It must not change what it measures:
//! idsync runs as the operator runs it, the built `idsync serve` binary in a process of
//! its own, configured only through its documented flags and variables. It sends load
//! only to loopback addresses, and a run with any failed request exits non-zero.
//!
//! - `ceiling` — the do-nothing SCIM server (hidden `ceiling` command)
//! - `client` — one keep-alive HTTP/1.1 connection per client, on hyper
//! - `console` — `console` mode's sign-in and page reads
//! - `database` — a fresh SQLite file or PostgreSQL database per idsync run
//! - `driver` — clients per tenant working through each phase; CPU read around it
//! - `measure` — CPU snapshots and a phase's raw figures, the `total` row
//! - `modes` — one invocation: the ceiling, then idsync (twice for `telemetry`; no
//!   ceiling for `console`)
//! - `process` — child processes: stdout lines, a log file, SIGTERM
//! - `procfs` — `/proc` parsing: CPU time, peak RSS, the machine
//! - `report` — the figures as data (the table and `--json` alike), ratios
//! - `scim` — Entra's request paths and bodies
//! - `servers` — starting the ceiling, idsync (and its tenants) and the OTLP sink
//! - `sink` — the OTLP sink of `telemetry` mode (hidden `otlp-sink` command)
//! - `stats` — percentiles and rates
//! - `steps` — what one item of a phase sends and checks
//! - `table` — the figures as a table
//! - `workload` — each mode's phases and items

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod ceiling;
mod client;
mod console;
mod database;
mod driver;
mod measure;
mod modes;
mod process;
mod procfs;
mod report;
mod scim;
mod servers;
mod sink;
mod stats;
mod steps;
mod table;
mod workload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::modes::{Mode, Options};

const MANUAL: &str = "\
Measures idsync against a do-nothing ceiling server in the same run.

Each run starts the ceiling (a SCIM server on idsync's HTTP stack that checks the token,
parses every body and answers canned SCIM bodies) and drives the mode's workload against
it, then starts `idsync serve` on a fresh database and drives the same workload. Both are
child processes on loopback ports; their CPU is read from /proc/<pid>/stat.

  idsync-bench cycle --users 5000 --concurrency 16
  idsync-bench cycle --tenants 16 --database-url postgres://postgres@127.0.0.1:5432/postgres
  idsync-bench scale --users 50000
  idsync-bench scale --users 1000000 --reads 100000
  idsync-bench initial-sync --users 5000 --groups 100
  idsync-bench telemetry --json telemetry.json
  idsync-bench console --users 100000
  idsync-bench console --users 100000 --database-url postgres://postgres@127.0.0.1:5432/postgres

`console` has no ceiling (nothing does nothing like a console page): it fills idsync
through SCIM (users, groups with every user a member of one, one user in a hundred
disabled and created again to be refused), signs in to the admin console at /admin/ with
an admin token made by `idsync token create --scope admin`, and reads each page --repeat
times with one keep-alive client, one request at a time, after a warm-up. A page that
does not answer 200 (a redirect to the sign-in page included) is a failed request.
Its latency is taken at the client over loopback: an upper bound of the render time.

Columns: requests; errors; req/s (wall clock); p50 and p99 latency (ms, request sent to
answer read); server µs/req (the server process's user+system CPU over the phase per
request); db µs/req (PostgreSQL backends of idsync's database); client µs/req (this
harness); vs ceiling (req/s over the ceiling's for the same phase); vs off (telemetry on
over off); max ms (`console`: the slowest read of the page). Any failed request makes
the run invalid and the exit status 1.";

#[derive(Debug, Parser)]
#[command(name = "idsync-bench", about = "Measures idsync against a do-nothing ceiling", long_about = MANUAL)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Entra's incremental cycle, each phase over every user before the next: create,
    /// lookup by userName, PATCH (legacy "Replace"), GET by id, PATCH active "False", DELETE.
    Cycle(Common),
    /// Create --users users, then time lookups and GETs at that size; reports p99, the
    /// server's peak RSS and the database's size.
    Scale {
        #[command(flatten)]
        common: Common,
        /// Read only about this many users by filter and by id, spread over all of them
        /// (default: every user).
        #[arg(long, value_name = "N")]
        reads: Option<usize>,
        /// Stop after the reads: no cursor walk and no first and last pages (at a
        /// million users the walk alone takes minutes).
        #[arg(long)]
        no_paging: bool,
    },
    /// Entra's first cycle: per user a lookup finding nothing then a create; then groups
    /// the same way; then memberships added by group PATCH in batches of up to 100.
    InitialSync {
        #[command(flatten)]
        common: Common,
        /// Groups, over all tenants.
        #[arg(long, default_value_t = 100)]
        groups: usize,
        /// Groups each user joins (among its tenant's).
        #[arg(long, default_value_t = 2)]
        groups_per_user: usize,
    },
    /// The cycle against idsync with telemetry off, then on (every span exported over
    /// OTLP/gRPC to a sink this harness runs); reports the ratio on/off.
    Telemetry(Common),
    /// The admin console's pages at --users users: fills idsync through SCIM, signs in
    /// with an admin token, reads each page --repeat times; p50, p99 and max per page.
    Console {
        #[command(flatten)]
        common: Common,
        /// Groups; every user is a member of one.
        #[arg(long, default_value_t = 100)]
        groups: usize,
        /// Measured reads of each page (after a warm-up), one at a time.
        #[arg(long, default_value_t = 200)]
        repeat: usize,
    },
    /// The ceiling server (run by the harness).
    #[command(hide = true)]
    Ceiling {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
    },
    /// The OTLP sink (run by the harness).
    #[command(hide = true)]
    OtlpSink,
}

/// Options every mode takes.
#[derive(Debug, Args)]
struct Common {
    /// Users, over all tenants.
    #[arg(long, default_value_t = 5000)]
    users: usize,
    /// Keep-alive HTTP/1.1 client connections.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Tenants, each driven by its own clients (at most --concurrency).
    #[arg(long, default_value_t = 1)]
    tenants: usize,
    /// A PostgreSQL admin URL (e.g. postgres://postgres@127.0.0.1:5432/postgres): each
    /// idsync run gets a fresh database there, dropped afterwards. Default: SQLite in a
    /// temporary folder.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Also write the figures as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// The idsync binary to measure. Default: built now by cargo in this binary's profile
    /// (when run by cargo), else the `idsync` beside this binary.
    #[arg(long, env = "IDSYNC_BIN", value_name = "PATH")]
    idsync_bin: Option<PathBuf>,
    /// IDSYNC_LOG for idsync (default: idsync's own, `info`; its log goes to a file).
    #[arg(long, value_name = "FILTER")]
    server_log: Option<String>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("idsync-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let mut reads = None;
    let mut paging = true;
    let (mode, common) = match cli.command {
        Command::Ceiling { listen } => {
            tokio::runtime::Runtime::new()?.block_on(ceiling::serve(listen))?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::OtlpSink => {
            tokio::runtime::Runtime::new()?.block_on(sink::serve())?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Cycle(common) => (Mode::Cycle, common),
        Command::Scale {
            common,
            reads: sample,
            no_paging,
        } => {
            reads = sample;
            paging = !no_paging;
            (Mode::Scale, common)
        }
        Command::Telemetry(common) => (Mode::Telemetry, common),
        Command::Console { common, groups, repeat } => {
            if common.tenants != 1 || groups == 0 || repeat == 0 {
                bail!("console reads one tenant's pages: --tenants must be 1, --groups and --repeat at least 1");
            }
            (Mode::Console { groups, repeat }, common)
        }
        Command::InitialSync {
            common,
            groups,
            groups_per_user,
        } => (
            Mode::InitialSync {
                groups,
                groups_per_user,
            },
            common,
        ),
    };
    if common.users == 0 || common.concurrency == 0 {
        bail!("--users and --concurrency must be at least 1");
    }
    if common.tenants == 0 || common.tenants > common.concurrency || common.tenants > common.users {
        bail!("--tenants must be between 1 and both --concurrency and --users");
    }
    if let Some(url) = &common.database_url
        && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        bail!("--database-url must be a postgres:// URL (SQLite is the default)");
    }
    let options = Options {
        mode,
        users: common.users,
        concurrency: common.concurrency,
        tenants: common.tenants,
        database_url: common.database_url,
        idsync_bin: servers::idsync_binary(common.idsync_bin)?,
        server_log: common.server_log,
        reads,
        paging,
    };
    let report = modes::run(&options)?;
    print!("{}", table::render(&report));
    if let Some(path) = &common.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n").map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    }
    let errors = report.errors();
    if errors > 0 {
        eprintln!("\nidsync-bench: {errors} REQUESTS FAILED; this run is not a valid measurement");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
