//! Connections: one diesel connection type over both backends, the r2d2 manager that
//! opens it from a URL, per-connection setup, migrations and transactions.
//!
//! Everything here is crate-private plumbing; the public face is [`crate::Store`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{DbResultExt, StorageError};
use crate::gate::ConnectGate;
use crate::store::{SqliteSynchronous, StoreOptions};

pub(crate) const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub(crate) const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend. Queries written once against it run on both; the
/// few statements diesel cannot express through it (multi-row inserts) match on it.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL (or a compatible engine).
    Postgresql(PgConnection),
    /// An SQLite file.
    Sqlite(SqliteConnection),
}

/// Which database engine a [`crate::Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An embedded SQLite file (single node).
    Sqlite,
    /// PostgreSQL (scale-out).
    Postgres,
}

diesel::define_sql_function! {
    /// Unicode-aware lowercase, identical on both backends: on SQLite it is registered
    /// on every connection as Rust's `str::to_lowercase`; on PostgreSQL the migrations
    /// create it around `lower()` under a Unicode collation.
    fn idsync_lower(x: Nullable<Text>) -> Nullable<Text>;
}

/// A database URL resolved to its backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DatabaseUrl {
    pub(crate) backend: Backend,
    /// What the driver opens (diesel understands `sqlite://` and `file:` itself).
    pub(crate) url: String,
    /// The SQLite file on disk, whose folder is created when missing.
    pub(crate) sqlite_path: Option<PathBuf>,
}

impl DatabaseUrl {
    /// Picks the backend from the scheme: `postgres://`/`postgresql://` is PostgreSQL;
    /// `sqlite://path`, `file:path` or a plain path is SQLite.
    pub(crate) fn parse(url: &str) -> Result<DatabaseUrl, StorageError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(StorageError::Config("the database URL is empty".into()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl {
                backend: Backend::Postgres,
                url: url.to_owned(),
                sqlite_path: None,
            });
        }
        if let Some((scheme, _)) = url.split_once("://")
            && scheme != "sqlite"
            && scheme != "file"
        {
            return Err(StorageError::Config(format!(
                "unsupported database URL scheme `{scheme}://` (use postgres://, sqlite:// or a file path)"
            )));
        }
        let path = if let Some(rest) = url.strip_prefix("sqlite://") {
            strip_query(rest).to_owned()
        } else if let Some(rest) = url.strip_prefix("file:") {
            file_uri_path(strip_query(rest))
        } else {
            url.to_owned()
        };
        if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
            return Err(StorageError::Config(
                "an in-memory SQLite database is private to one connection; use a file path".into(),
            ));
        }
        Ok(DatabaseUrl {
            backend: Backend::Sqlite,
            url: url.to_owned(),
            sqlite_path: Some(PathBuf::from(path)),
        })
    }

    /// Creates the SQLite file's folder (mode 0700) and the file itself (mode 0600)
    /// when they are missing, so that only the service's user can read tokens' hashes
    /// and identity data. SQLite gives its `-wal` and `-shm` files the database file's
    /// mode. Existing files and folders are left as they are.
    pub(crate) fn ensure_parent_dir(&self) -> Result<(), StorageError> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let Some(path) = self.sqlite_path.as_deref() else {
            return Ok(());
        };
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.exists()
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|e| {
                    StorageError::Config(format!("cannot create the database folder {}: {e}", parent.display()))
                })?;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(StorageError::Config(format!(
                "cannot create the database file {}: {e}",
                path.display()
            ))),
        }
    }
}

fn strip_query(s: &str) -> &str {
    s.split(['?', '#']).next().unwrap_or(s)
}

/// `file:///abs`, `file://localhost/abs`, `file:/abs` and `file:rel` to a path.
fn file_uri_path(rest: &str) -> String {
    match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(slash) => after[slash..].to_owned(),
            None => String::new(),
        },
        None => rest.to_owned(),
    }
}

/// Opens [`AnyConnection`]s for r2d2, choosing the backend from the URL up front so a
/// failure reports the driver's own message (diesel's `MultiConnection::establish`
/// would try each backend and only say the URL is invalid).
#[derive(Debug, Clone)]
pub(crate) struct AnyManager {
    url: DatabaseUrl,
    session: SessionSettings,
    /// Connections of the SQLite read pool refuse writes (`PRAGMA query_only`), so a
    /// write can never bypass the single writer.
    read_only: bool,
    /// Shared by the managers of one store; shut by `Store::close`.
    gate: Arc<ConnectGate>,
}

impl AnyManager {
    pub(crate) fn new(
        url: DatabaseUrl,
        session: SessionSettings,
        read_only: bool,
        gate: Arc<ConnectGate>,
    ) -> AnyManager {
        AnyManager {
            url,
            session,
            read_only,
            gate,
        }
    }

    fn open(&self) -> Result<AnyConnection, diesel::r2d2::Error> {
        let Some(_pass) = self.gate.enter() else {
            return Err(closed());
        };
        match self.url.backend {
            Backend::Postgres => {
                keep_openssl_alive_until_exit();
                let mut conn = PgConnection::establish(&self.url.url).map_err(diesel::r2d2::Error::ConnectionError)?;
                prepare_postgres(&mut conn, &self.session).map_err(diesel::r2d2::Error::QueryError)?;
                Ok(AnyConnection::Postgresql(conn))
            }
            Backend::Sqlite => {
                let mut conn =
                    SqliteConnection::establish(&self.url.url).map_err(diesel::r2d2::Error::ConnectionError)?;
                prepare_sqlite(&mut conn, &self.session, self.read_only).map_err(diesel::r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

/// What every connection of a store is set to when it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionSettings {
    sqlite_busy_timeout: Duration,
    sqlite_synchronous: SqliteSynchronous,
    pg_statement_timeout: Duration,
    pg_lock_timeout: Duration,
}

impl SessionSettings {
    pub(crate) fn of(options: &StoreOptions) -> SessionSettings {
        SessionSettings {
            sqlite_busy_timeout: options.sqlite_busy_timeout,
            sqlite_synchronous: options.sqlite_synchronous,
            pg_statement_timeout: options.pg_statement_timeout,
            pg_lock_timeout: options.pg_lock_timeout,
        }
    }
}

/// Per-connection PostgreSQL settings: no statement runs, and no lock is waited for,
/// beyond the configured bounds (0 turns either off).
fn prepare_postgres(conn: &mut PgConnection, session: &SessionSettings) -> QueryResult<()> {
    conn.batch_execute(&format!(
        "SET statement_timeout = {}; SET lock_timeout = {};",
        session.pg_statement_timeout.as_millis(),
        session.pg_lock_timeout.as_millis(),
    ))
}

/// Lifts `statement_timeout` and `lock_timeout` for the rest of the current
/// PostgreSQL transaction (`SET LOCAL`): for migrations and retention, which may
/// rightly take long on a large database. Nothing on SQLite.
pub(crate) fn without_timeouts(conn: &mut AnyConnection) -> Result<(), StorageError> {
    if let AnyConnection::Postgresql(c) = conn {
        c.batch_execute("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0;")
            .db()?;
    }
    Ok(())
}

/// Per-connection SQLite settings. None of them persist in the file except WAL.
fn prepare_sqlite(conn: &mut SqliteConnection, session: &SessionSettings, read_only: bool) -> QueryResult<()> {
    // busy_timeout first, so that switching to WAL waits for a concurrent opener.
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {};
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = {};
         PRAGMA foreign_keys = ON;
         PRAGMA case_sensitive_like = ON;
         PRAGMA query_only = {};",
        session.sqlite_busy_timeout.as_millis(),
        session.sqlite_synchronous.as_str(),
        if read_only { "ON" } else { "OFF" },
    ))?;
    // `case_sensitive_like` makes LIKE case-sensitive as on PostgreSQL; the filter
    // compiler lowercases both sides itself when a comparison ignores case.
    idsync_lower_utils::register_impl(conn, |x: Option<String>| x.map(|s| s.to_lowercase()))
}

/// How long a pooled connection that proved alive (it was opened, or answered a ping)
/// is lent again without another ping.
///
/// The ping is a round trip and a statement the server parses, once per checkout: more
/// than one statement in ten of a busy PostgreSQL pool. A connection that died within
/// the window fails its first statement instead, and is pinged, found dead and replaced
/// at its first checkout after the window.
pub(crate) const PROVEN_ALIVE_FOR: Duration = Duration::from_secs(1);

/// A connection of a pool, and when it last proved alive.
pub(crate) struct PoolConnection {
    /// The connection.
    pub(crate) conn: AnyConnection,
    /// When it was opened or last answered a ping.
    alive_at: Instant,
}

impl r2d2::ManageConnection for AnyManager {
    type Connection = PoolConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PoolConnection, Self::Error> {
        let conn = self.open()?;
        Ok(PoolConnection {
            conn,
            alive_at: Instant::now(),
        })
    }

    fn is_valid(&self, pooled: &mut PoolConnection) -> Result<(), Self::Error> {
        let Some(_pass) = self.gate.enter() else {
            return Err(closed());
        };
        if pooled.alive_at.elapsed() < PROVEN_ALIVE_FOR {
            return Ok(());
        }
        pooled.conn.ping().map_err(diesel::r2d2::Error::QueryError)?;
        pooled.alive_at = Instant::now();
        Ok(())
    }

    fn has_broken(&self, pooled: &mut PoolConnection) -> bool {
        pooled.conn.is_broken()
    }
}

/// What connection work answers once its store is closed.
fn closed() -> diesel::r2d2::Error {
    diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection("the store is closed".to_owned()))
}

/// Initialises OpenSSL, once per process, with `OPENSSL_INIT_NO_ATEXIT` (which the
/// `openssl-sys` crate's `init` passes), before libpq first uses it.
///
/// The decision: OpenSSL's atexit cleanup does not run in an idsync process. It frees
/// OpenSSL's global locks and method stores while `exit()` runs, and any thread still
/// in OpenSSL at that moment (a TLS handshake to PostgreSQL, a connection being closed)
/// then uses freed memory and the process dies by SIGSEGV after its work is done. The
/// stores close before exit and their pools run no background jobs (see
/// `Store::close`), so no such thread should remain; but the cleanup buys nothing in a
/// process about to be gone (the kernel reclaims its memory), so it is not worth the
/// risk. The first initialisation decides: libpq's own later calls cannot register the
/// handler again.
fn keep_openssl_alive_until_exit() {
    openssl_sys::init();
}

/// Opens one connection outside any pool, failing fast with the driver's message.
pub(crate) fn connect_once(manager: &AnyManager) -> Result<AnyConnection, StorageError> {
    manager
        .open()
        .map_err(|e| StorageError::Unavailable(format!("cannot open the database: {e}")))
}

/// Runs the pending migrations of the connection's backend; returns their versions.
///
/// All of them run in one write transaction that first takes a lock (SQLite's write
/// lock, a PostgreSQL advisory lock), so replicas starting together apply each
/// migration once: the others wait, then find nothing pending.
pub(crate) fn run_migrations(conn: &mut AnyConnection) -> Result<Vec<String>, StorageError> {
    /// Any fixed number; it only has to be the same in every replica.
    const MIGRATION_LOCK: i64 = 0x1d5c_0000_0001;
    transaction(conn, TxMode::Write, |conn| {
        let applied = match conn {
            AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
            AnyConnection::Postgresql(c) => {
                c.batch_execute("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0;")
                    .db()?;
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                    .execute(c)
                    .db()?;
                c.run_pending_migrations(POSTGRES_MIGRATIONS)
            }
        }
        .map_err(|e| StorageError::Internal(format!("migration failed: {e}")))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
}

/// How a transaction starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxMode {
    /// One consistent snapshot; writes are refused.
    Read,
    /// Writes. On SQLite the write lock is taken at `BEGIN` (`IMMEDIATE`), so a
    /// transaction that reads first cannot fail later with `SQLITE_BUSY` on upgrade.
    Write,
}

/// Runs `f` in a transaction: committed when it returns `Ok`, rolled back otherwise.
pub(crate) fn transaction<T, E: From<StorageError>>(
    conn: &mut AnyConnection,
    mode: TxMode,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E> {
    let begin = match (&*conn, mode) {
        (AnyConnection::Sqlite(_), TxMode::Read) => "BEGIN",
        (AnyConnection::Sqlite(_), TxMode::Write) => "BEGIN IMMEDIATE",
        (AnyConnection::Postgresql(_), TxMode::Read) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        (AnyConnection::Postgresql(_), TxMode::Write) => "BEGIN",
    };
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, begin),
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction_sql(c, begin),
    }
    .db()
    .map_err(E::from)?;
    type Manager = <AnyConnection as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn).db().map_err(E::from)?;
            Ok(value)
        }
        Err(err) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(err),
            Err(rollback) => Err(E::from(crate::error::from_diesel(rollback))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_path(url: &str) -> Option<String> {
        let parsed = DatabaseUrl::parse(url).ok()?;
        assert_eq!(parsed.backend, Backend::Sqlite);
        parsed.sqlite_path.map(|p| p.display().to_string())
    }

    #[test]
    fn the_scheme_picks_the_backend() {
        for url in ["postgres://u@h/db", "postgresql://u:p@h:5432/db?sslmode=require"] {
            assert_eq!(DatabaseUrl::parse(url).map(|u| u.backend), Ok(Backend::Postgres));
        }
        assert_eq!(
            sqlite_path("sqlite:///var/lib/idsync/db.sqlite3").as_deref(),
            Some("/var/lib/idsync/db.sqlite3")
        );
        assert_eq!(
            sqlite_path("sqlite://data/db.sqlite3?mode=rwc").as_deref(),
            Some("data/db.sqlite3")
        );
        assert_eq!(sqlite_path("file:data/db.sqlite3").as_deref(), Some("data/db.sqlite3"));
        assert_eq!(sqlite_path("file:///tmp/x.db").as_deref(), Some("/tmp/x.db"));
        assert_eq!(sqlite_path("file://localhost/tmp/x.db").as_deref(), Some("/tmp/x.db"));
        assert_eq!(
            sqlite_path("idsync-data/idsync.sqlite3").as_deref(),
            Some("idsync-data/idsync.sqlite3")
        );
    }

    #[test]
    fn unusable_urls_are_refused_with_a_reason() {
        for url in [
            "",
            "  ",
            ":memory:",
            "sqlite://:memory:",
            "file::memory:",
            "file:x?mode=memory",
            "mysql://h/db",
        ] {
            assert!(
                matches!(DatabaseUrl::parse(url), Err(StorageError::Config(_))),
                "{url:?} should be refused"
            );
        }
    }
}
