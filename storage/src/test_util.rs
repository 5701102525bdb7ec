//! A fresh database per test, on either backend (feature `test-util`).
//!
//! PostgreSQL tests read the admin URL from `IDSYNC_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and **panic** when the server cannot
//! be reached: a PostgreSQL test never passes by skipping.

use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::url::{redact, with_database};
use crate::{Backend, Store, StoreOptions};

/// Where `TestDb::postgres` connects when `IDSYNC_TEST_PG_URL` is unset.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A throwaway database: a temporary SQLite file, or a PostgreSQL database created for
/// this value and dropped (`WITH (FORCE)`) when it is dropped.
pub struct TestDb {
    url: String,
    backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Removed with the folder.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        database: String,
    },
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("url", &redact(&self.url))
            .field("backend", &self.backend)
            .finish()
    }
}

impl TestDb {
    /// A new, empty SQLite file in a temporary folder (no migrations run yet).
    pub fn sqlite() -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix("idsync-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary folder: {e}"));
        let url = dir.path().join("idsync.sqlite3").display().to_string();
        TestDb {
            url,
            backend: Backend::Sqlite,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A new, empty PostgreSQL database `idsync_test_<uuid>` on the server of
    /// `IDSYNC_TEST_PG_URL`.
    ///
    /// # Panics
    ///
    /// When the server is unreachable or refuses to create the database.
    pub fn postgres() -> TestDb {
        let admin_url = std::env::var("IDSYNC_TEST_PG_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_PG_URL.to_owned());
        let database = format!("idsync_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is unreachable at {} (set IDSYNC_TEST_PG_URL to an admin URL of a running server): {e}",
                redact(&admin_url)
            )
        });
        diesel::sql_query(format!("CREATE DATABASE \"{database}\""))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create the test database {database}: {e}"));
        let url = with_database(&admin_url, &database);
        TestDb {
            url,
            backend: Backend::Postgres,
            cleanup: Cleanup::Postgres { admin_url, database },
        }
    }

    /// The database URL, as `Store::open` takes it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which backend this database is on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Opens (and migrates) a store on this database with default options.
    ///
    /// # Panics
    ///
    /// When the store cannot be opened.
    pub fn store(&self) -> Store {
        self.store_with(StoreOptions::default())
    }

    /// Opens (and migrates) a store on this database.
    ///
    /// # Panics
    ///
    /// When the store cannot be opened.
    pub fn store_with(&self, options: StoreOptions) -> Store {
        Store::open(&self.url, options).unwrap_or_else(|e| panic!("cannot open a store on {}: {e}", redact(&self.url)))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, database } = &self.cleanup {
            let dropped = PgConnection::establish(admin_url)
                .map_err(|e| e.to_string())
                .and_then(|mut admin| {
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"))
                        .execute(&mut admin)
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = dropped {
                eprintln!("warning: could not drop the test database {database}: {e}");
            }
        }
    }
}
