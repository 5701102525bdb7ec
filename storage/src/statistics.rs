//! Planner statistics that do not wait for autovacuum (PostgreSQL).
//!
//! PostgreSQL caches query plans per connection: diesel's prepared statements, and the
//! foreign-key checks every insert of a child row runs (`SELECT 1 FROM users WHERE
//! tenant_id = $1 AND id = $2 FOR KEY SHARE`). After five executions a statement may
//! switch to a generic plan, costed once with the statistics of that moment and kept
//! until something invalidates it. Planned while `users` held a few rows and had never
//! been analyzed, every index that starts with `tenant_id` costs the same as the
//! primary key, and the foreign-key check was seen to keep
//! `Index Scan using users_display_name_idx … Filter: (id = $2)`, which reads every
//! user of the tenant: creates slowed down linearly as a tenant grew, until an
//! `ANALYZE` (run by autovacuum, if it runs at all) invalidated the plan.
//!
//! So idsync refreshes the statistics itself, by autovacuum's own rule: a table is
//! analyzed once more than `50 + 10 %` of its rows changed since it last was.
//! Analyzing invalidates the cached plans of the table in every connection, and once a
//! table has statistics its primary key wins clearly (a tenant's share of the rows is
//! known). When autovacuum does run, it resets the same counter and this finds
//! nothing to do.

use diesel::prelude::*;
use diesel::sql_types::{Array, Text};

use crate::Store;
use crate::conn::{AnyConnection, Backend};
use crate::error::{DbResultExt, StorageError};

/// The tables whose statistics idsync keeps fresh. `change_queue` is not among them:
/// its vacuum keeps its size estimate current, and its contents are transient.
const TABLES: [&str; 10] = [
    "tenants",
    "tokens",
    "users",
    "user_values",
    "groups",
    "group_members",
    "tenant_rules",
    "tenant_matching_rules",
    "changes",
    "provisioning_log",
];

#[derive(QueryableByName)]
struct Stale {
    #[diesel(sql_type = Text)]
    name: String,
}

impl Store {
    /// Analyzes the tables that changed enough since their last `ANALYZE` and returns
    /// their names. Cheap when nothing is due: one read of `pg_stat_user_tables`, or
    /// SQLite's estimate of each table's size. A background task calls it about once a
    /// second; replicas may call it at the same time (a table another one is analyzing
    /// is skipped).
    pub fn refresh_statistics(&self) -> Result<Vec<&'static str>, StorageError> {
        self.outside_transaction(|conn| match conn {
            AnyConnection::Sqlite(conn) => optimize_sqlite(conn),
            AnyConnection::Postgresql(conn) => analyze_postgres(conn),
        })
    }

    /// Vacuums the PostgreSQL tables that autovacuum's rule finds due, and returns
    /// their names (nothing on SQLite): more than `50 + 20 %` of a table's rows dead,
    /// or more than `1000 + 20 %` inserted since its last vacuum (autovacuum's default
    /// thresholds). Dead rows are reclaimed, and the visibility map is set, so counts
    /// and index reads need not visit the heap (the console's overview counts every
    /// user from an index). One read of `pg_stat_user_tables` when nothing is due. It
    /// may run for seconds on a large table, so the caller runs it apart from the
    /// upkeep that must stay prompt; a table another replica is vacuuming is skipped.
    pub fn vacuum_if_due(&self) -> Result<Vec<&'static str>, StorageError> {
        // Not even a checkout on SQLite, whose one write connection the writers need.
        if self.backend() == Backend::Sqlite {
            return Ok(Vec::new());
        }
        self.outside_transaction(|conn| match conn {
            AnyConnection::Sqlite(_) => Ok(Vec::new()),
            AnyConnection::Postgresql(conn) => vacuum_postgres(conn),
        })
    }
}

/// `VACUUM` of the tables autovacuum's rule finds due.
fn vacuum_postgres(conn: &mut diesel::PgConnection) -> Result<Vec<&'static str>, StorageError> {
    run_where_due(
        conn,
        "s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0)
         OR s.n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, 0)",
        "VACUUM (SKIP_LOCKED)",
    )
}

/// `ANALYZE` of the tables autovacuum's rule finds due.
fn analyze_postgres(conn: &mut diesel::PgConnection) -> Result<Vec<&'static str>, StorageError> {
    run_where_due(
        conn,
        "s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)",
        "ANALYZE (SKIP_LOCKED)",
    )
}

/// Runs `command` over the tables of [`TABLES`] whose `pg_stat_user_tables` row (`s`,
/// with its `pg_class` row `c`) satisfies `due_when`; returns their names. Both texts
/// are constants of this module.
fn run_where_due(
    conn: &mut diesel::PgConnection,
    due_when: &'static str,
    command: &'static str,
) -> Result<Vec<&'static str>, StorageError> {
    let stale: Vec<Stale> = diesel::sql_query(format!(
        "SELECT s.relname::text AS name
           FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
          WHERE s.schemaname = current_schema()
            AND s.relname = ANY($1)
            AND ({due_when})"
    ))
    .bind::<Array<Text>, _>(&TABLES[..])
    .load(conn)
    .db()?;
    // Names from our own list, never from the database, go into the statement.
    let due: Vec<&'static str> = TABLES
        .into_iter()
        .filter(|t| stale.iter().any(|s| s.name == *t))
        .collect();
    if !due.is_empty() {
        diesel::sql_query(format!("{command} {}", due.join(", ")))
            .execute(conn)
            .db()?;
    }
    Ok(due)
}

/// A line of `PRAGMA optimize`'s dry run: one statement it would run.
#[derive(QueryableByName)]
struct Planned {
    #[diesel(sql_type = Text)]
    #[diesel(column_name = "optimize")]
    statement: String,
}

/// `PRAGMA optimize` over every table (`0x10000`), analyzing within SQLite's own row
/// limit (`0x10`): first as a dry run (`0x1`), which lists the `ANALYZE` statements it
/// would run, so the caller learns which tables; then for real when any is due.
fn optimize_sqlite(conn: &mut diesel::SqliteConnection) -> Result<Vec<&'static str>, StorageError> {
    let planned: Vec<Planned> = diesel::sql_query("PRAGMA optimize = 0x10013").load(conn).db()?;
    let due: Vec<&'static str> = TABLES
        .into_iter()
        .filter(|t| {
            let quoted = format!("\"{t}\"");
            planned
                .iter()
                .any(|p| p.statement.starts_with("ANALYZE") && p.statement.contains(&quoted))
        })
        .collect();
    if !due.is_empty() {
        diesel::sql_query("PRAGMA optimize = 0x10012").execute(conn).db()?;
    }
    Ok(due)
}
