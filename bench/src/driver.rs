//! Drives a workload against one server: `concurrency` clients, each with its own
//! keep-alive connection and bound to one tenant (client `c` speaks for tenant
//! `c % tenants`), work through each phase's items for their tenant until none are left;
//! the next phase starts when every client is done. Around each phase the CPU clocks
//! of the server, its database's backends and the harness are read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use hyper::Method;

use crate::client::{Connection, Endpoint};
use crate::database::Database;
use crate::measure::{Measured, Snapshot, cpu_between};
use crate::procfs::CpuClock;
use crate::steps::{Shared, Tally, Worker};
use crate::workload::Workload;

/// Whose CPU a phase is charged.
pub struct Meters<'a> {
    /// Converts clock ticks.
    pub clock: CpuClock,
    /// The server process.
    pub server_pid: u32,
    /// Its database, when it is PostgreSQL's (for the backends' CPU).
    pub database: Option<&'a Database>,
}

impl Meters<'_> {
    /// The CPU clocks now.
    pub fn snapshot(&self) -> Snapshot {
        let backends = self.database.and_then(|db| db.backend_pids().ok());
        Snapshot::take(self.clock, self.server_pid, backends)
    }
}

/// The clients of one server.
pub struct Driver<'a> {
    workers: Vec<Worker>,
    shared: Arc<Shared>,
    meters: Meters<'a>,
}

impl<'a> Driver<'a> {
    /// `concurrency` clients over `endpoints` (one per tenant, at most `concurrency`).
    pub fn new(
        workload: Arc<Workload>,
        endpoints: &[Arc<Endpoint>],
        concurrency: usize,
        strict: bool,
        meters: Meters<'a>,
    ) -> Result<Driver<'a>> {
        if endpoints.is_empty() || endpoints.len() > concurrency || endpoints.len() != workload.tenants {
            bail!(
                "{} tenants need between 1 and {concurrency} endpoints, one each; got {}",
                workload.tenants,
                endpoints.len()
            );
        }
        let workers = (0..concurrency)
            .map(|c| {
                let tenant = c % endpoints.len();
                Worker::new(tenant, Connection::new(endpoints[tenant].clone()))
            })
            .collect();
        Ok(Driver {
            workers,
            shared: Arc::new(Shared::new(workload, strict)),
            meters,
        })
    }

    /// Entra's Test Connection on every client (which also opens the connections):
    /// `GET /Users?filter=userName eq "<random>"` must answer 200. Not measured.
    pub async fn probe(&mut self) -> Result<()> {
        for worker in &mut self.workers {
            let path = crate::scim::lookup_user(usize::MAX / 2);
            if worker.call(Method::GET, &path, None, 200).await.is_none() {
                let tally = std::mem::take(&mut worker.tally);
                bail!("Test Connection failed: {}", tally.samples.join("; "));
            }
            worker.tally = Tally::default();
        }
        Ok(())
    }

    /// What the clients share: the ids the server gave the users and groups so far.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Runs phase `index` of the workload to its end; what it measured.
    pub async fn phase(&mut self, index: usize) -> Result<Measured> {
        let step = self.shared.workload.phases[index].step;
        let next: Arc<Vec<AtomicUsize>> =
            Arc::new((0..self.shared.workload.tenants).map(|_| AtomicUsize::new(0)).collect());
        let before = self.meters.snapshot();
        let started = Instant::now();
        let mut running = Vec::with_capacity(self.workers.len());
        for mut worker in self.workers.drain(..) {
            let (shared, next) = (self.shared.clone(), next.clone());
            running.push(tokio::spawn(async move {
                let items = &shared.workload.phases[index].items[worker.tenant];
                loop {
                    let k = next[worker.tenant].fetch_add(1, Ordering::Relaxed);
                    let Some(&n) = items.get(k) else { break };
                    worker.run(&shared, step, n).await;
                }
                worker
            }));
        }
        for task in running {
            self.workers.push(task.await.context("a client task failed")?);
        }
        let seconds = started.elapsed().as_secs_f64();
        let after = self.meters.snapshot();
        let (server_cpu_us, client_cpu_us, db_cpu_us) = cpu_between(&before, &after);
        let mut measured = Measured {
            name: step.name().to_owned(),
            seconds,
            server_cpu_us,
            client_cpu_us,
            db_cpu_us,
            ..Measured::default()
        };
        for worker in &mut self.workers {
            let tally = std::mem::take(&mut worker.tally);
            measured.samples.extend(tally.latencies);
            measured.errors += tally.errors;
            measured.error_samples.extend(tally.samples);
        }
        measured.error_samples.truncate(5);
        Ok(measured)
    }
}
