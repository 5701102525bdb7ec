//! The change feed as clients see it: [`watch`] streams a tenant's feed (replay, then
//! follow), [`service`] is the tonic `idsync.v1.Changes` service, and [`FeedHub`] ties
//! the writers of this process to its watchers and bounds the streams.
//!
//! Writers append events in their own transaction (see `crate::write`); watchers only
//! ever READ the feed table, from their cursor, in batches. A local commit wakes its own
//! tenant's watchers at once (no other's: each would run a query for nothing); commits by
//! other replicas are found by the periodic catch-up read (every
//! `CoreSettings::watch_poll_interval`), so correctness never depends on a wake-up.

pub mod service;
pub mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

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
}

impl FeedHub {
    pub(crate) fn new(max_streams: usize) -> FeedHub {
        FeedHub {
            commits: Arc::default(),
            closing: signal::Sender::new(false),
            streams: Arc::new(Semaphore::new(max_streams)),
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

/// Deletes feed events and log entries past their retention, every `interval`. Several
/// replicas may do this at once: the deletes are idempotent.
pub(crate) async fn prune_forever(
    store: Store,
    change_retention: Duration,
    log_retention: Duration,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(10)));
    loop {
        ticker.tick().await;
        let store = store.clone();
        let pruned = tokio::task::spawn_blocking(move || {
            let now = now_us();
            let age = |d: Duration| now.saturating_sub(i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
            Ok::<_, idsync_storage::StorageError>((
                store.prune_changes(age(change_retention))?,
                store.prune_log(age(log_retention))?,
            ))
        })
        .await;
        match pruned {
            Ok(Ok((0, 0))) => {}
            Ok(Ok((changes, entries))) => tracing::info!(changes, entries, "pruned expired changes and log entries"),
            Ok(Err(e)) => tracing::warn!(error = %e, "pruning expired changes failed"),
            Err(e) => tracing::warn!(error = %e, "pruning expired changes failed"),
        }
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
