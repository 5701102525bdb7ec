//! How many `WatchChanges` streams of each tenant are open on this process, for the
//! admin overview.
//!
//! A stream counts from the moment it is granted until its task ends, whichever way it
//! ends: the client went away (the task sees its channel close), the server shuts down,
//! or an error ended it. The count is held by a guard, [`Watching`], that the stream's
//! task owns, so no path out of the task can forget to give it back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Open streams per tenant (a tenant without one has no entry).
#[derive(Clone, Debug, Default)]
pub(crate) struct WatcherCount {
    open: Arc<Mutex<HashMap<String, u32>>>,
}

impl WatcherCount {
    /// Counts one more open stream of `tenant` until the returned guard is dropped.
    pub(crate) fn open(&self, tenant: &str) -> Watching {
        *self.lock().entry(tenant.to_owned()).or_default() += 1;
        Watching {
            count: self.clone(),
            tenant: tenant.to_owned(),
        }
    }

    /// The streams of `tenant` open now.
    pub(crate) fn of(&self, tenant: &str) -> u32 {
        self.lock().get(tenant).copied().unwrap_or(0)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, u32>> {
        // Each update is a single step on the map: a panicking holder leaves it whole.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One open stream, counted until this is dropped.
#[derive(Debug)]
pub(crate) struct Watching {
    count: WatcherCount,
    tenant: String,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let mut open = self.count.lock();
        if let Some(n) = open.get_mut(&self.tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                // Forget the tenant, so the map holds only tenants being watched.
                open.remove(&self.tenant);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use idsync_proto::v1::WatchChangesRequest;

    use super::WatcherCount;

    #[test]
    fn streams_are_counted_per_tenant_until_their_guard_is_dropped() {
        let count = WatcherCount::default();
        assert_eq!(count.of("a"), 0);
        let first = count.open("a");
        let second = count.open("a");
        let other = count.open("b");
        assert_eq!((count.of("a"), count.of("b")), (2, 1));
        drop(first);
        assert_eq!(count.of("a"), 1);
        drop(second);
        drop(other);
        assert_eq!((count.of("a"), count.of("b")), (0, 0));
        assert!(count.lock().is_empty(), "tenants without streams are forgotten");
    }

    #[tokio::test]
    async fn a_stream_counts_while_open_and_not_after_its_client_drops_it() {
        let (core, caller, _db) = crate::test_support::tenant_core().await;
        let watchers = || core.feed.watchers.of(&caller.tenant_id);
        assert_eq!(watchers(), 0);
        let stream = core
            .watch_changes(&caller, WatchChangesRequest::default())
            .await
            .expect("a stream");
        assert_eq!(watchers(), 1, "counted as soon as the call answers");
        let refused = WatchChangesRequest {
            after_cursor: Some(99),
            ..WatchChangesRequest::default()
        };
        assert!(core.watch_changes(&caller, refused).await.is_err());
        assert_eq!(watchers(), 1, "a refused stream is never counted");
        drop(stream);
        // The stream's task notices the closed channel at its next wait: give it time.
        let deadline = Instant::now() + Duration::from_secs(10);
        while watchers() != 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(watchers(), 0, "given back once the client went away");
    }
}
