//! A fresh database for each idsync run: a SQLite file in a temporary folder, or a
//! PostgreSQL database `idsync_bench_…` created on the server of an admin URL and dropped
//! (`WITH (FORCE)`) when this value is. Also what the report needs of it: its size, and
//! the pids of the PostgreSQL backends serving it (to charge their CPU).

use anyhow::{Context, Result};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use idsync_storage::url::{redact, with_database};

/// A database that exists for one idsync run.
pub enum Database {
    /// `idsync.db` in a temporary folder (removed with it).
    Sqlite {
        /// The folder; the WAL and shared-memory files live beside the database.
        dir: tempfile::TempDir,
        /// The database file's path, idsync's database URL.
        url: String,
    },
    /// A database of its own on a PostgreSQL server.
    Postgres {
        /// Where it was created and is dropped from.
        admin_url: String,
        /// Its name.
        name: String,
        /// Its URL, for idsync.
        url: String,
    },
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

impl Database {
    /// A new SQLite database (the file is created by idsync).
    pub fn sqlite() -> Result<Database> {
        let dir = tempfile::Builder::new().prefix("idsync-bench-").tempdir()?;
        let url = dir.path().join("idsync.db").display().to_string();
        Ok(Database::Sqlite { dir, url })
    }

    /// A new, empty database on the PostgreSQL server of `admin_url`.
    pub fn postgres(admin_url: &str) -> Result<Database> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("idsync_bench_{}_{nanos}", std::process::id());
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin(admin_url)?)
            .with_context(|| format!("creating the database {name}"))?;
        Ok(Database::Postgres {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
        })
    }

    /// The database URL idsync is given.
    pub fn url(&self) -> &str {
        match self {
            Database::Sqlite { url, .. } | Database::Postgres { url, .. } => url,
        }
    }

    /// `sqlite` or `postgresql`.
    pub fn kind(&self) -> &'static str {
        match self {
            Database::Sqlite { .. } => "sqlite",
            Database::Postgres { .. } => "postgresql",
        }
    }

    /// Bytes on disk: the SQLite files (database, WAL, shared memory), or PostgreSQL's
    /// `pg_database_size`.
    pub fn size_bytes(&self) -> Result<u64> {
        match self {
            Database::Sqlite { dir, .. } => {
                let mut total = 0;
                for entry in std::fs::read_dir(dir.path())? {
                    total += entry?.metadata()?.len();
                }
                Ok(total)
            }
            Database::Postgres { admin_url, name, .. } => {
                let size: Size = diesel::sql_query("SELECT pg_database_size($1) AS bytes")
                    .bind::<Text, _>(name)
                    .get_result(&mut admin(admin_url)?)?;
                Ok(u64::try_from(size.bytes).unwrap_or(0))
            }
        }
    }

    /// The pids of the PostgreSQL backends connected to this database; none for SQLite.
    pub fn backend_pids(&self) -> Result<Vec<u32>> {
        let Database::Postgres { admin_url, name, .. } = self else {
            return Ok(Vec::new());
        };
        let pids: Vec<Pid> = diesel::sql_query("SELECT pid FROM pg_stat_activity WHERE datname = $1")
            .bind::<Text, _>(name)
            .load(&mut admin(admin_url)?)?;
        Ok(pids.into_iter().filter_map(|p| u32::try_from(p.pid).ok()).collect())
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres { admin_url, name, .. } = self {
            let dropped = admin(admin_url).and_then(|mut conn| {
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .map_err(Into::into)
            });
            if let Err(error) = dropped {
                eprintln!("warning: could not drop the benchmark database {name}: {error:#}");
            }
        }
    }
}

/// A connection to the admin database.
fn admin(admin_url: &str) -> Result<PgConnection> {
    // As idsync-storage does: initialise OpenSSL without its atexit cleanup before libpq
    // first uses it, so that no exit-time cleanup races a closing TLS connection.
    openssl_sys::init();
    PgConnection::establish(admin_url).with_context(|| format!("connecting to PostgreSQL at {}", redact(admin_url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_lives_in_a_folder_of_its_own() {
        let db = Database::sqlite().unwrap();
        assert!(db.url().ends_with("idsync.db") && db.kind() == "sqlite");
        assert_eq!(db.size_bytes().unwrap(), 0);
        assert!(db.backend_pids().unwrap().is_empty());
    }
}
