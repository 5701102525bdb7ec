//! One invocation, start to end: the ceiling measured first, then idsync on a fresh
//! database (twice in `telemetry` mode: off, then exporting to the OTLP sink), each
//! server started, driven through the mode's workload, measured and stopped in turn, so
//! that no two servers ever compete for the CPUs. `console` mode has no ceiling (there
//! is no do-nothing console): idsync is filled through SCIM, then its console pages read.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::client::{Connection, Endpoint};
use crate::console::{self, Targets};
use crate::database::Database;
use crate::driver::{Driver, Meters};
use crate::measure::Measured;
use crate::procfs::{self, CpuClock, Machine};
use crate::report::{CEILING, Report, Run, TELEMETRY_OFF};
use crate::servers::{self, Idsync, Server, Sink};
use crate::workload::Workload;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Entra's incremental cycle over every user.
    Cycle,
    /// Reads at a size.
    Scale,
    /// Entra's first cycle with groups and memberships.
    InitialSync {
        /// Groups in all tenants together.
        groups: usize,
        /// Groups each user joins.
        groups_per_user: usize,
    },
    /// The cycle with telemetry off, then on.
    Telemetry,
    /// The admin console's pages at a size.
    Console {
        /// Groups, every user a member of one.
        groups: usize,
        /// How often each page is read.
        repeat: usize,
    },
}

impl Mode {
    /// The mode's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Cycle => "cycle",
            Mode::Scale => "scale",
            Mode::InitialSync { .. } => "initial-sync",
            Mode::Telemetry => "telemetry",
            Mode::Console { .. } => "console",
        }
    }
}

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct Options {
    /// What to measure.
    pub mode: Mode,
    /// Users over all tenants.
    pub users: usize,
    /// Client connections.
    pub concurrency: usize,
    /// Tenants.
    pub tenants: usize,
    /// A PostgreSQL admin URL; `None` for SQLite.
    pub database_url: Option<String>,
    /// The idsync binary.
    pub idsync_bin: PathBuf,
    /// `IDSYNC_LOG` for idsync; `None` keeps its default.
    pub server_log: Option<String>,
    /// `scale`: how many users to read by filter and by id (`None`: every one).
    pub reads: Option<usize>,
    /// `scale`: page through the users after the reads.
    pub paging: bool,
}

/// Measures, and says where the servers' logs are (kept when something failed).
pub fn run(options: &Options) -> Result<Report> {
    let workload = Arc::new(match options.mode {
        Mode::Cycle | Mode::Telemetry => Workload::cycle(options.users, options.tenants),
        Mode::Scale => Workload::scale(options.users, options.tenants, options.reads, options.paging),
        Mode::InitialSync {
            groups,
            groups_per_user,
        } => Workload::initial_sync(options.users, groups, groups_per_user, options.tenants),
        Mode::Console { groups, .. } => Workload::console(options.users, groups),
    });
    let logs = tempfile::Builder::new().prefix("idsync-bench-logs-").tempdir()?;
    let bench = Bench {
        options,
        workload,
        runtime: tokio::runtime::Builder::new_multi_thread().enable_all().build()?,
        clock: CpuClock::system(),
        exe: std::env::current_exe()?,
        logs: logs.path().to_owned(),
    };
    let result = bench.all();
    let failed = result.as_ref().map_or(true, |report| report.errors() > 0);
    if failed {
        eprintln!("the servers' logs are kept in {}", logs.keep().display());
    }
    result
}

struct Bench<'a> {
    options: &'a Options,
    workload: Arc<Workload>,
    runtime: tokio::runtime::Runtime,
    clock: CpuClock,
    exe: PathBuf,
    logs: PathBuf,
}

impl Bench<'_> {
    fn all(&self) -> Result<Report> {
        let options = self.options;
        let mut report = Report {
            mode: options.mode.name().to_owned(),
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            machine: Machine::describe(),
            users: options.users,
            concurrency: options.concurrency,
            tenants: options.tenants,
            groups: match options.mode {
                Mode::InitialSync { groups, .. } | Mode::Console { groups, .. } => Some(groups),
                _ => None,
            },
            repeats: match options.mode {
                Mode::Console { repeat, .. } => Some(repeat),
                _ => None,
            },
            database: if options.database_url.is_some() {
                "postgresql"
            } else {
                "sqlite"
            }
            .to_owned(),
            runs: Vec::new(),
        };
        if let Mode::Console { repeat, .. } = options.mode {
            report.runs = self.console(repeat)?;
            return Ok(report);
        }
        // The ceiling has one tenant; it serves every client alike.
        let ceiling = servers::ceiling(&self.exe, &self.logs)?;
        let endpoint = Arc::new(Endpoint::new(&ceiling.tenants[0].url, &ceiling.tenants[0].token)?);
        let endpoints = vec![endpoint; options.tenants];
        report
            .runs
            .push(self.measure(CEILING, &ceiling, &endpoints, None, false)?);
        ceiling.process.stop()?;

        if options.mode == Mode::Telemetry {
            let sink = Sink::start(&self.exe, &self.logs)?;
            report.runs.push(self.idsync(TELEMETRY_OFF, Vec::new())?);
            let on = vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(), sink.endpoint.clone()),
                // Every span exported: a queue the load cannot overflow, sent often.
                ("OTEL_BSP_MAX_QUEUE_SIZE".to_owned(), "262144".to_owned()),
                ("OTEL_BSP_SCHEDULE_DELAY".to_owned(), "250".to_owned()),
            ];
            let mut run = self.idsync("idsync (telemetry on)", on)?;
            run.spans_exported = Some(sink.finish()?);
            report.runs.push(run);
        } else {
            report.runs.push(self.idsync("idsync", Vec::new())?);
        }
        report.compare();
        Ok(report)
    }

    /// Starts idsync on a fresh database, measures it, stops it, drops the database.
    fn idsync(&self, label: &str, env: Vec<(String, String)>) -> Result<Run> {
        let (database, server) = self.start_idsync(label, env)?;
        let endpoints = server
            .tenants
            .iter()
            .map(|t| Endpoint::new(&t.url, &t.token).map(Arc::new))
            .collect::<Result<Vec<_>>>()?;
        let postgres = (database.kind() == "postgresql").then_some(&database);
        let mut run = self.measure(label, &server, &endpoints, postgres, true)?;
        run.database_bytes = database.size_bytes().ok();
        server.process.stop().with_context(|| format!("stopping {label}"))?;
        Ok(run)
    }

    /// Starts idsync on a fresh database. The database outlives the server: stop the
    /// server first.
    fn start_idsync(&self, label: &str, env: Vec<(String, String)>) -> Result<(Database, Server)> {
        let database = match &self.options.database_url {
            Some(url) => Database::postgres(url)?,
            None => Database::sqlite()?,
        };
        let log_name = label.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
        let server = servers::idsync(&Idsync {
            binary: &self.options.idsync_bin,
            database: &database,
            tenants: self.options.tenants,
            log_filter: self.options.server_log.as_deref(),
            env,
            log: self.logs.join(format!("{log_name}.log")),
        })?;
        Ok((database, server))
    }

    /// `console`: fills idsync through SCIM (the workload's phases, the `setup` run),
    /// signs in to its console with a new admin token and reads each page `repeat` times
    /// (the `pages` run).
    fn console(&self, repeat: usize) -> Result<Vec<Run>> {
        let (database, server) = self.start_idsync("idsync", Vec::new())?;
        let tenant = &server.tenants[0];
        let endpoint = Arc::new(Endpoint::new(&tenant.url, &tenant.token)?);
        let pid = server.process.pid();
        let meters = || Meters {
            clock: self.clock,
            server_pid: pid,
            database: (database.kind() == "postgresql").then_some(&database),
        };
        let mut driver = Driver::new(
            self.workload.clone(),
            std::slice::from_ref(&endpoint),
            self.options.concurrency,
            true,
            meters(),
        )?;
        let setup = self.runtime.block_on(self.drive(SETUP, &mut driver))?;
        let user = self.options.users / 2;
        let id = |ids: &[std::sync::OnceLock<String>], n: usize, what: &str| {
            ids.get(n)
                .and_then(|slot| slot.get())
                .cloned()
                .with_context(|| format!("{what} {n} has no id: its create failed"))
        };
        let targets = Targets {
            users: self.options.users,
            user,
            user_id: id(&driver.shared().users, user, "user")?,
            group_id: id(&driver.shared().groups, 0, "group")?,
        };
        drop(driver);
        let mut runs = vec![run_of(SETUP, &setup, pid)];

        let token = servers::admin_token(&self.options.idsync_bin, &database)?;
        let pages = console::pages(&targets);
        let measured = self.runtime.block_on(async {
            let mut conn = Connection::new(endpoint.clone());
            let cookie = console::sign_in(&mut conn, &token).await?;
            anyhow::Ok(console::read_pages(&mut conn, &cookie, &pages, repeat, &meters()).await)
        })?;
        let mut run = run_of(PAGES, &measured, pid);
        run.database_bytes = database.size_bytes().ok();
        runs.push(run);
        server.process.stop().context("stopping idsync")?;
        Ok(runs)
    }

    /// Drives the workload against `server`; its figures.
    fn measure(
        &self,
        label: &str,
        server: &Server,
        endpoints: &[Arc<Endpoint>],
        database: Option<&Database>,
        strict: bool,
    ) -> Result<Run> {
        let pid = server.process.pid();
        let meters = Meters {
            clock: self.clock,
            server_pid: pid,
            database,
        };
        let mut driver = Driver::new(
            self.workload.clone(),
            endpoints,
            self.options.concurrency,
            strict,
            meters,
        )?;
        let measured = self.runtime.block_on(self.drive(label, &mut driver))?;
        drop(driver);
        Ok(run_of(label, &measured, pid))
    }

    /// Test Connection, then every phase of the workload in turn, each reported on
    /// stderr as it ends.
    async fn drive(&self, label: &str, driver: &mut Driver<'_>) -> Result<Vec<Measured>> {
        driver.probe().await?;
        let mut measured = Vec::new();
        for index in 0..self.workload.phases.len() {
            let phase = driver.phase(index).await?;
            eprintln!(
                "{label:>22} {:<8} {:>7} requests {:>5} errors {:>7.1} s",
                phase.name,
                phase.samples.len(),
                phase.errors,
                phase.seconds
            );
            measured.push(phase);
        }
        Ok(measured)
    }
}

/// `console`'s run that fills idsync through SCIM.
const SETUP: &str = "idsync (setup)";
/// `console`'s run that reads the pages.
const PAGES: &str = "idsync (console)";

/// The run of the server `pid` that measured `measured`: a row per phase and `total`.
fn run_of(label: &str, measured: &[Measured], pid: u32) -> Run {
    let mut phases: Vec<_> = measured.iter().map(Measured::to_phase).collect();
    phases.push(Measured::total(measured).to_phase());
    Run {
        server: label.to_owned(),
        phases,
        peak_rss_kib: procfs::peak_rss_kib(pid).ok(),
        database_bytes: None,
        spans_exported: None,
        error_samples: measured
            .iter()
            .flat_map(|m| m.error_samples.iter().map(move |s| format!("{}: {s}", m.name)))
            .take(5)
            .collect(),
    }
}
