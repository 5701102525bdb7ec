//! Where a [`super::Store`] takes its connections from: an r2d2 pool (a service), or one
//! connection opened up front (a one-shot command, which then runs no pool threads at
//! all and cannot leave one opening a connection while the process exits).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::conn::{AnyConnection, AnyManager};
use crate::error::{StorageError, from_pool};
use crate::gate::ConnectGate;

/// The pools' type.
pub(super) type Pool = r2d2::Pool<AnyManager>;

/// A pool, or a single connection shared by every caller in turn.
#[derive(Clone)]
pub(super) enum Source {
    /// Pooled connections, opened in the background by r2d2's threads, and the gate the
    /// store closes.
    Pool(Pool, Arc<ConnectGate>),
    /// One connection, opened by the caller of `Store::open_single`.
    Single(Arc<Mutex<AnyConnection>>),
}

/// A connection on loan from a [`Source`]; it goes back when dropped.
pub(crate) enum Lease<'s> {
    /// From a pool.
    Pooled(r2d2::PooledConnection<AnyManager>),
    /// The single connection, held exclusively.
    Single(MutexGuard<'s, AnyConnection>),
}

impl Source {
    /// A connection, waiting at most the pool's connection timeout.
    pub(super) fn get(&self) -> Result<Lease<'_>, StorageError> {
        match self {
            Source::Pool(pool, gate) if gate.is_closed() => idle(pool),
            Source::Pool(pool, _) => pool.get().map(Lease::Pooled).map_err(from_pool),
            Source::Single(conn) => Ok(Lease::Single(conn.lock().unwrap_or_else(PoisonError::into_inner))),
        }
    }

    /// A pooled connection that is idle right now, lent without waiting; `None` when
    /// every one is lent, and always for a single connection (a one-shot command, whose
    /// callers take turns on it anyway).
    pub(super) fn try_get(&self) -> Option<Lease<'_>> {
        match self {
            Source::Pool(pool, _) => pool.try_get().map(Lease::Pooled),
            Source::Single(_) => None,
        }
    }

    /// A connection, waiting at most `timeout` for a pooled one.
    pub(super) fn get_timeout(&self, timeout: Duration) -> Result<Lease<'_>, StorageError> {
        match self {
            Source::Pool(pool, gate) if gate.is_closed() => idle(pool),
            Source::Pool(pool, _) => pool.get_timeout(timeout).map(Lease::Pooled).map_err(from_pool),
            Source::Single(_) => self.get(),
        }
    }
}

/// An idle connection of a closed store's pool, or at once the error a closed store
/// answers: no new connection will come, so waiting the connection timeout for one
/// (as `get` would) only delays a background task, and with it a shutdown.
fn idle(pool: &Pool) -> Result<Lease<'_>, StorageError> {
    pool.try_get()
        .map(Lease::Pooled)
        .ok_or_else(|| StorageError::Unavailable("no database connection available: the store is closed".into()))
}

impl std::ops::Deref for Lease<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            Lease::Pooled(pooled) => &pooled.conn,
            Lease::Single(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Lease::Pooled(pooled) => &mut pooled.conn,
            Lease::Single(conn) => conn,
        }
    }
}
