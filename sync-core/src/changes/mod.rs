//! The change feed as clients see it: [`watch`] streams a tenant's feed (replay, then
//! follow), [`service`] is the tonic `idsync.v1.Changes` service, and [`FeedHub`] ties
//! the writers of this process to its watchers, bounds the streams and counts them per
//! tenant (`watchers`).
//!
//! Writers append events in their own transaction (see `crate::write`); watchers read
//! the feed from their cursor, in batches (on PostgreSQL each read first seals what was
//! committed since, see `Store::changes_after`). A local commit wakes its own
//! tenant's watchers at once (no other's: each would run a query for nothing); commits by
//! other replicas are found by the periodic catch-up read (every
//! `CoreSettings::watch_poll_interval`), so correctness never depends on a wake-up.

pub mod service;
pub mod watch;
mod watchers;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use idsync_storage::Store;
use tokio::sync::{Semaphore, watch as signal};

use crate::clock::now_us;

/// Wake-ups for this process's watchers, and the budget of concurrent streams.
#[derive(Clone)]
pub(crate) struct FeedHub {
    /// Per tenant with watchers here: bumped after every local commit that appended
    /// events of that tenant, so a write wakes only its own tenant's streams.
    commits: Arc<Mutex<HashMap<String, signal::Sender<u64>>>>,
    /// Set when the server stops: every stream ends so graceful shutdown can finish.
    closing: signal::Sender<bool>,
    /// One permit per open stream.
    pub(crate) streams: Arc<Semaphore>,
    /// Open streams per tenant, for the admin overview.
    pub(crate) watchers: watchers::WatcherCount,
}

impl FeedHub {
    pub(crate) fn new(max_streams: usize) -> FeedHub {
        FeedHub {
            commits: Arc::default(),
            closing: signal::Sender::new(false),
            streams: Arc::new(Semaphore::new(max_streams)),
            watchers: watchers::WatcherCount::default(),
        }
    }

    /// Tells local watchers of `tenant` that new changes are committed.
    pub(crate) fn notify(&self, tenant: &str) {
        let mut commits = self.commits.lock().unwrap_or_else(PoisonError::into_inner);
        match commits.get(tenant) {
            Some(sender) if sender.receiver_count() > 0 => sender.send_modify(|n| *n = n.wrapping_add(1)),
            // Its last watcher left: forget the tenant.
            Some(_) => {
                commits.remove(tenant);
            }
            None => {}
        }
    }

    /// Wake-ups for a watcher of `tenant`.
    pub(crate) fn commits(&self, tenant: &str) -> signal::Receiver<u64> {
        let mut commits = self.commits.lock().unwrap_or_else(PoisonError::into_inner);
        commits
            .entry(tenant.to_owned())
            .or_insert_with(|| signal::Sender::new(0))
            .subscribe()
    }

    pub(crate) fn closing(&self) -> signal::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends every open stream (clients reconnect with their last cursor).
    pub(crate) fn close(&self) {
        self.closing.send_replace(true);
    }
}

/// Aborts a background task when the last [`crate::Core`] holding it goes away.
pub(crate) struct AbortOnDrop(pub(crate) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How often the background task seals the feed and checks planner statistics.
const UPKEEP_EVERY: Duration = Duration::from_secs(1);

/// The store's background upkeep, until the core is dropped:
///
/// - about once a second, seals the committed events that no watcher has read yet
///   (PostgreSQL numbers events after commit; see `idsync_storage`'s feed), so the
///   queue stays short and other replicas' watchers find them at their next poll;
/// - at the same pace, re-analyzes tables whose planner statistics went stale, so
///   plans never depend on whether autovacuum runs, and vacuums those autovacuum would
///   (apart, one vacuum at a time, so that sealing never waits for one);
/// - every `prune_interval`, deletes feed events and log entries past their retention.
///
/// Several replicas may do all of this at once: each step is safe to repeat.
pub(crate) async fn maintain_forever(
    store: Store,
    change_retention: Duration,
    log_retention: Duration,
    prune_interval: Duration,
) {
    let tick = prune_interval.min(UPKEEP_EVERY).max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune: Option<Instant> = None;
    let vacuuming = Arc::new(AtomicBool::new(false));
    loop {
        ticker.tick().await;
        let prune = last_prune.is_none_or(|at| at.elapsed() >= prune_interval);
        if prune {
            last_prune = Some(Instant::now());
        }
        vacuum_apart(&store, &vacuuming);
        let store = store.clone();
        let done = tokio::task::spawn_blocking(move || upkeep(&store, prune, change_retention, log_retention)).await;
        if let Err(e) = done {
            tracing::warn!(error = %e, "the store's upkeep task failed");
        }
    }
}

/// Starts [`Store::vacuum_if_due`] on the blocking pool unless the last one is still
/// running: a vacuum of a large table takes seconds, and sealing the feed must not wait
/// for it.
fn vacuum_apart(store: &Store, vacuuming: &Arc<AtomicBool>) {
    if vacuuming.swap(true, Ordering::AcqRel) {
        return;
    }
    let store = store.clone();
    let vacuuming = Arc::clone(vacuuming);
    tokio::task::spawn_blocking(move || {
        match store.vacuum_if_due() {
            Ok(tables) if tables.is_empty() => {}
            Ok(tables) => tracing::debug!(?tables, "vacuumed"),
            Err(e) => tracing::warn!(error = %e, "vacuuming failed"),
        }
        vacuuming.store(false, Ordering::Release);
    });
}

/// One round of [`maintain_forever`]; failures are logged and retried next round.
fn upkeep(store: &Store, prune: bool, change_retention: Duration, log_retention: Duration) {
    if let Err(e) = store.seal_changes() {
        tracing::warn!(error = %e, "sealing the change feed failed");
    }
    match store.refresh_statistics() {
        Ok(tables) if tables.is_empty() => {}
        Ok(tables) => tracing::debug!(?tables, "refreshed planner statistics"),
        Err(e) => tracing::warn!(error = %e, "refreshing planner statistics failed"),
    }
    if !prune {
        return;
    }
    let now = now_us();
    let age = |d: Duration| now.saturating_sub(i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let pruned = store
        .prune_changes(age(change_retention))
        .and_then(|changes| Ok((changes, store.prune_log(age(log_retention))?)));
    match pruned {
        Ok((0, 0)) => {}
        Ok((changes, entries)) => tracing::info!(changes, entries, "pruned expired changes and log entries"),
        Err(e) => tracing::warn!(error = %e, "pruning expired changes failed"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests assert by unwrapping
mod tests {
    use super::FeedHub;

    #[test]
    fn a_commit_wakes_only_its_own_tenants_watchers() {
        let hub = FeedHub::new(4);
        let a = hub.commits("a");
        let mut b = hub.commits("b");
        hub.notify("b");
        assert!(!a.has_changed().unwrap(), "another tenant's commit");
        assert!(b.has_changed().unwrap());
        b.mark_unchanged();
        hub.notify("a");
        assert!(a.has_changed().unwrap());
        assert!(!b.has_changed().unwrap());
        hub.notify("nobody watches"); // no watcher: nothing to do, nothing kept

        drop(a);
        hub.notify("a"); // the last watcher left: the tenant is forgotten
        let watched = hub.commits.lock().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(watched, ["b"]);
    }
}
