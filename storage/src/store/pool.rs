//! What the pools tell about themselves: their state, how long checkouts wait, and
//! whether the database answers at all.
//!
//! This crate stays free of any metrics library: the core reads [`Store::pool_states`]
//! when its metrics are collected and registers a [`PoolObserver`] that r2d2's event
//! hook calls on every checkout, so waits are measured where they happen.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use diesel::RunQueryDsl;
use r2d2::HandleEvent;
use r2d2::event::{CheckoutEvent, TimeoutEvent};

use super::Store;
use super::source::Source;
use crate::conn::Backend;
use crate::error::{DbResultExt, StorageError};

/// Name of the SQLite read pool.
pub const READ_POOL: &str = "read";
/// Name of the SQLite single-writer pool.
pub const WRITE_POOL: &str = "write";
/// Name of the PostgreSQL pool, which serves reads and writes.
pub const SHARED_POOL: &str = "main";

/// Told about every connection checkout; implemented by whoever measures the pools.
pub trait PoolObserver: Send + Sync + 'static {
    /// A connection of `pool` was handed out after `waited`.
    fn checked_out(&self, pool: &'static str, waited: Duration);
    /// A caller gave up on `pool` after waiting `waited`.
    fn timed_out(&self, pool: &'static str, waited: Duration);
}

/// One pool's state at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// [`READ_POOL`], [`WRITE_POOL`] or [`SHARED_POOL`].
    pub name: &'static str,
    /// Open connections, idle or lent out.
    pub connections: u32,
    /// Open connections not lent out.
    pub idle: u32,
    /// Most connections the pool opens.
    pub max_size: u32,
}

/// The observer a store's pools report to, once one is registered.
pub(super) type ObserverSlot = Arc<OnceLock<Arc<dyn PoolObserver>>>;

/// r2d2's event hook for one pool, forwarding to the registered observer.
pub(super) struct Events {
    pub(super) pool: &'static str,
    pub(super) observer: ObserverSlot,
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl HandleEvent for Events {
    fn handle_checkout(&self, event: CheckoutEvent) {
        if let Some(observer) = self.observer.get() {
            observer.checked_out(self.pool, event.duration());
        }
    }

    fn handle_timeout(&self, event: TimeoutEvent) {
        if let Some(observer) = self.observer.get() {
            observer.timed_out(self.pool, event.timeout());
        }
    }
}

impl Store {
    /// The state of each pool (two on SQLite, one on PostgreSQL).
    pub fn pool_states(&self) -> Vec<PoolState> {
        let state = |name, source: &Source| match source {
            Source::Pool(pool, _) => {
                let s = pool.state();
                PoolState {
                    name,
                    connections: s.connections,
                    idle: s.idle_connections,
                    max_size: pool.max_size(),
                }
            }
            Source::Single(conn) => PoolState {
                name,
                connections: 1,
                idle: u32::from(conn.try_lock().is_ok()),
                max_size: 1,
            },
        };
        match self.backend {
            Backend::Sqlite => vec![state(READ_POOL, &self.read), state(WRITE_POOL, &self.write)],
            Backend::Postgres => vec![state(SHARED_POOL, &self.read)],
        }
    }

    /// Registers the observer of every checkout. Only the first registration takes
    /// effect; returns whether this one did.
    pub fn observe_pools(&self, observer: Arc<dyn PoolObserver>) -> bool {
        self.observer.set(observer).is_ok()
    }

    /// Checks that the database answers a trivial query within `timeout`.
    /// [`StorageError::Unavailable`] when it does not.
    pub fn ping(&self, timeout: Duration) -> Result<(), StorageError> {
        let mut conn = self.read.get_timeout(timeout)?;
        diesel::sql_query("SELECT 1").execute(&mut *conn).db()?;
        Ok(())
    }
}
