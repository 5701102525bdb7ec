//! [`Store`]: the pools, and the transactions that every read and write runs in.
//! `pool` reports on the pools (state, checkout waits, a ping) for metrics and health.

mod pool;
mod source;

use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use pool::{PoolObserver, PoolState, READ_POOL, SHARED_POOL, WRITE_POOL};

use crate::conn::{self, AnyConnection, AnyManager, Backend, DatabaseUrl, SessionSettings, TxMode};
use crate::error::{DbResultExt, StorageError, from_pool};
use crate::gate::ConnectGate;
pub(crate) use source::Lease;
use source::Source;

/// How to open a [`Store`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Connections in the pool that serves reads (and, on PostgreSQL, writes too).
    /// SQLite always writes through one dedicated connection.
    pub max_connections: u32,
    /// Connections kept open while idle; `None` keeps `max_connections` open.
    pub min_idle: Option<u32>,
    /// How long a call waits for a free connection before it fails with
    /// [`StorageError::Unavailable`].
    pub connection_timeout: Duration,
    /// How long SQLite waits on a lock held by another process before it gives up.
    pub sqlite_busy_timeout: Duration,
    /// How SQLite syncs its write-ahead log (see [`SqliteSynchronous`]).
    pub sqlite_synchronous: SqliteSynchronous,
    /// PostgreSQL's `statement_timeout` on every connection: a statement running longer
    /// is cancelled (and its call answers 503). Migrations and retention run without it.
    pub pg_statement_timeout: Duration,
    /// PostgreSQL's `lock_timeout` on every connection: a statement waiting longer for a
    /// row or table lock gives up (503) rather than queueing behind a stuck writer.
    pub pg_lock_timeout: Duration,
    /// Most members a read ([`Store::read`]) returns inline with a group; a group with
    /// more is [`StorageError::TooManyMembers`], and its members are paged through
    /// [`Tx::group_members`] instead. A write's own read-back is not capped.
    pub max_inline_members: usize,
    /// Longest string value written, in bytes of UTF-8 as sent and as lower-cased; at
    /// most [`crate::text::MAX_TEXT_BYTES`], what PostgreSQL can index (a larger value
    /// is lowered to it).
    pub max_string_bytes: usize,
}

/// SQLite's `synchronous` setting in WAL mode, i.e. what a commit survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSynchronous {
    /// The WAL is synced at checkpoints, not at each commit: a committed write survives
    /// the process crashing (or `kill -9`), but the last commits before a power loss or
    /// an operating-system crash may be lost (the database stays consistent).
    #[default]
    Normal,
    /// The WAL is synced at every commit: a committed write survives power loss too, at
    /// the cost of an fsync per write.
    Full,
}

impl SqliteSynchronous {
    /// The PRAGMA value.
    pub fn as_str(self) -> &'static str {
        match self {
            SqliteSynchronous::Normal => "NORMAL",
            SqliteSynchronous::Full => "FULL",
        }
    }
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            max_connections: 8,
            min_idle: Some(1),
            connection_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
            sqlite_synchronous: SqliteSynchronous::Normal,
            pg_statement_timeout: Duration::from_secs(30),
            pg_lock_timeout: Duration::from_secs(10),
            max_inline_members: 10_000,
            max_string_bytes: crate::text::MAX_TEXT_BYTES,
        }
    }
}

/// The database: pooled connections to SQLite or PostgreSQL, chosen by the URL.
///
/// Cheap to clone (the pools are shared) and safe to share between threads. Every
/// method is synchronous and blocks on the database: call it from
/// `tokio::task::spawn_blocking`. Each call is one transaction; [`Store::write`] and
/// [`Store::read`] run several operations in one.
///
/// On SQLite, writes go through a pool of exactly one connection and take the write
/// lock when they begin, so writers queue instead of failing with `SQLITE_BUSY`; reads
/// use their own pool of read-only connections and run concurrently (WAL).
///
/// A service closes its store with [`Store::close`] before the process exits; a
/// one-shot command opens one with [`Store::open_single`], which runs no pool threads.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    read: Source,
    write: Source,
    observer: pool::ObserverSlot,
    gate: Arc<ConnectGate>,
    connection_timeout: Duration,
    max_inline_members: usize,
    max_string_bytes: usize,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `url` and applies pending migrations.
    ///
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://path`, `file:path` or
    /// a plain path is an SQLite file, created (with its folder) when missing. One
    /// connection is opened first, so an unreachable database fails at once with the
    /// driver's own message rather than after the pool's retries.
    pub fn open(url: &str, options: StoreOptions) -> Result<Store, StorageError> {
        let url = DatabaseUrl::parse(url)?;
        url.ensure_parent_dir()?;
        let backend = url.backend;

        let gate = Arc::new(ConnectGate::default());
        let bootstrap = AnyManager::new(url.clone(), SessionSettings::of(&options), false, gate.clone());
        let mut first = conn::connect_once(&bootstrap)?;
        let applied = conn::run_migrations(&mut first)?;
        if !applied.is_empty() {
            tracing::info!(?backend, migrations = ?applied, "applied database migrations");
        }
        drop(first);

        let observer = pool::ObserverSlot::default();
        let pool = |name: &'static str, manager: AnyManager, max_size: u32, min_idle: Option<u32>| {
            r2d2::Pool::builder()
                .max_size(max_size.max(1))
                .min_idle(min_idle.map(|n| n.min(max_size.max(1))))
                .connection_timeout(options.connection_timeout)
                // A PostgreSQL connection can die with its server or network, so a
                // checkout pings it unless it proved alive within the last
                // `PROVEN_ALIVE_FOR`; an SQLite connection is a file handle in this
                // process, and the ping (`SELECT 1`, compiled anew each time) was a
                // statement more per request for nothing.
                .test_on_check_out(backend == Backend::Postgres)
                // No reaper: r2d2 would otherwise schedule a job every 30 s that drops
                // (and so closes, over TLS) idle connections on its own thread, which
                // nothing could wait for at exit. Broken connections are still found
                // and replaced when they are checked out.
                .idle_timeout(None)
                .max_lifetime(None)
                .event_handler(Box::new(pool::Events {
                    pool: name,
                    observer: observer.clone(),
                }))
                .build(manager)
                .map(|pool| Source::Pool(pool, gate.clone()))
                .map_err(from_pool)
        };
        let (read, write) = match backend {
            Backend::Postgres => {
                let pool = pool(SHARED_POOL, bootstrap, options.max_connections, options.min_idle)?;
                (pool.clone(), pool)
            }
            Backend::Sqlite => {
                let readers = AnyManager::new(url, SessionSettings::of(&options), true, gate.clone());
                (
                    pool(READ_POOL, readers, options.max_connections, options.min_idle)?,
                    pool(WRITE_POOL, bootstrap, 1, Some(1))?,
                )
            }
        };
        Ok(Store {
            backend,
            read,
            write,
            observer,
            gate,
            connection_timeout: options.connection_timeout,
            max_inline_members: options.max_inline_members,
            max_string_bytes: options.max_string_bytes.min(crate::text::MAX_TEXT_BYTES),
        })
    }

    /// Opens the database at `url` on one connection, opened here on the calling
    /// thread, and applies pending migrations: for a one-shot command, which then has
    /// no pool and no background thread that could still be talking to the database
    /// when the process exits. Calls take turns on the connection, so a closure given
    /// to [`Store::write`] or [`Store::read`] must not call the store again.
    pub fn open_single(url: &str, options: StoreOptions) -> Result<Store, StorageError> {
        let url = DatabaseUrl::parse(url)?;
        url.ensure_parent_dir()?;
        let backend = url.backend;
        let gate = Arc::new(ConnectGate::default());
        let manager = AnyManager::new(url, SessionSettings::of(&options), false, gate.clone());
        let mut conn = conn::connect_once(&manager)?;
        let applied = conn::run_migrations(&mut conn)?;
        if !applied.is_empty() {
            tracing::info!(?backend, migrations = ?applied, "applied database migrations");
        }
        let single = Source::Single(Arc::new(Mutex::new(conn)));
        Ok(Store {
            backend,
            read: single.clone(),
            write: single,
            observer: pool::ObserverSlot::default(),
            gate,
            connection_timeout: options.connection_timeout,
            max_inline_members: options.max_inline_members,
            max_string_bytes: options.max_string_bytes.min(crate::text::MAX_TEXT_BYTES),
        })
    }

    /// Stops this store (and every clone of it) from opening or checking connections,
    /// and waits until no pool thread is doing either, at most for the connection
    /// timeout. Calls after it fail with [`StorageError::Unavailable`] unless they
    /// find an idle connection. A service calls it when it has stopped serving, so
    /// that it exits with no pool thread in the middle of a connect.
    pub fn close(self) {
        let still_inside = self.gate.close_and_drain(self.connection_timeout);
        if still_inside > 0 {
            tracing::warn!(
                connects = still_inside,
                "the database pool was still opening connections when the store closed"
            );
        }
    }

    /// Applies pending migrations (already done by [`Store::open`]); returns the
    /// versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, StorageError> {
        let mut conn = self.write.get()?;
        conn::run_migrations(&mut conn)
    }

    /// Which engine this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `f` in one write transaction: everything it does commits together, or
    /// nothing does when it returns an error. The error type is the caller's (anything a
    /// [`StorageError`] converts into), so a layer above can abort with its own errors.
    ///
    /// Do not call other `Store` methods that write from inside `f`: on SQLite they
    /// would wait for the one write connection that `f` holds.
    pub fn write<T, E: From<StorageError>>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let mut conn = self.write.get()?;
        let text_cap = self.max_string_bytes;
        conn::transaction(&mut conn, TxMode::Write, |conn| {
            f(&mut Tx {
                conn,
                member_cap: None,
                text_cap,
            })
        })
    }

    /// Runs `f` in one read-only transaction, which sees a single consistent snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, StorageError>) -> Result<T, StorageError> {
        self.reader(self.read.get()?).read(f)
    }

    /// A read connection lent at once, without waiting, where a short read costs less
    /// on the calling thread than the hop to a blocking thread and back: on SQLite,
    /// whose reads are work on a local file that never waits for the writer (WAL).
    ///
    /// `None` on PostgreSQL, where every read is a round trip that must not hold an
    /// async worker; when every read connection is lent (waiting for one would block
    /// the caller); and on a store opened with [`Store::open_single`].
    pub fn idle_local_reader(&self) -> Option<LocalReader<'_>> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        self.read.try_get().map(|lease| self.reader(lease))
    }

    fn reader<'s>(&self, lease: Lease<'s>) -> LocalReader<'s> {
        LocalReader {
            lease,
            member_cap: Some(self.max_inline_members),
            text_cap: self.max_string_bytes,
        }
    }

    /// Runs `f` on a connection of the write pool outside any transaction: for a
    /// statement that cannot run inside one (`VACUUM`), or a single statement that
    /// needs no `BEGIN`/`COMMIT` around it.
    pub(crate) fn outside_transaction<T>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut conn = self.write.get()?;
        f(&mut conn)
    }

    /// A connection of the read pool, outside any transaction (tests instrument it).
    #[cfg(test)]
    pub(crate) fn read_connection(&self) -> Lease<'_> {
        self.read.get().expect("a read connection")
    }

    /// A connection of the write pool, outside any transaction (tests instrument it).
    #[cfg(test)]
    pub(crate) fn write_connection(&self) -> Lease<'_> {
        self.write.get().expect("a write connection")
    }
}

/// A read connection on loan from [`Store::idle_local_reader`], for one read transaction.
pub struct LocalReader<'s> {
    lease: Lease<'s>,
    member_cap: Option<usize>,
    text_cap: usize,
}

impl LocalReader<'_> {
    /// Runs `f` in one read-only transaction, as [`Store::read`] does, and gives the
    /// connection back to the pool.
    pub fn read<T>(mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, StorageError>) -> Result<T, StorageError> {
        let (member_cap, text_cap) = (self.member_cap, self.text_cap);
        conn::transaction(&mut self.lease, TxMode::Read, |conn| {
            f(&mut Tx {
                conn,
                member_cap,
                text_cap,
            })
        })
    }
}

impl std::fmt::Debug for LocalReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalReader").finish_non_exhaustive()
    }
}

/// An open transaction, handed out by [`Store::write`] and [`Store::read`].
///
/// Writes through a read transaction fail. Every user and group operation is scoped by
/// the tenant id it is given (or the record's `tenant_id`): nothing here can read or
/// change another tenant's users or groups. Its operations live with their resource:
/// `impl Tx` blocks in `tenants`, `tokens`, `users`, `groups`, `rules`, `feed` and `log`.
pub struct Tx<'c> {
    pub(crate) conn: &'c mut AnyConnection,
    /// Most members returned inline with a group (reads only; see
    /// [`StoreOptions::max_inline_members`]).
    pub(crate) member_cap: Option<usize>,
    /// Longest string value written ([`StoreOptions::max_string_bytes`]).
    pub(crate) text_cap: usize,
}

impl Tx<'_> {
    /// Runs `f` inside a savepoint of this transaction: when `f` fails, what it wrote is
    /// rolled back and the transaction goes on without it. So several writes can share
    /// one transaction (group commit) and each still succeeds or fails as a whole.
    ///
    /// The inner result is `f`'s; a panic in `f` rolls back to the savepoint and goes on
    /// unwinding. The outer error says the savepoint itself could not be
    /// set, released or rolled back to: the transaction is then in an unknown state, and
    /// the caller must roll it back whole.
    pub fn savepoint<T, E>(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<Result<T, E>, StorageError> {
        use diesel::connection::{Connection, TransactionManager};
        type Manager = <AnyConnection as Connection>::TransactionManager;
        Manager::begin_transaction(self.conn).db()?;
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self))) {
            Ok(result) => result,
            Err(panic) => {
                // Back to the enclosing transaction before unwinding on, so that its
                // own rollback ends the whole transaction, not just this savepoint.
                let _ = Manager::rollback_transaction(self.conn);
                std::panic::resume_unwind(panic);
            }
        };
        match &result {
            Ok(_) => Manager::commit_transaction(self.conn).db()?,
            Err(_) => Manager::rollback_transaction(self.conn).db()?,
        }
        Ok(result)
    }
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}
