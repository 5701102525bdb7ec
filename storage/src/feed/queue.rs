//! PostgreSQL's side of the feed: writers append to `change_queue`, sealers number
//! what is committed into `changes`. The module documentation of `feed` explains why
//! this order is safe; this file holds the statements.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::{INSERT_BATCH, NewChange, pack_names};
use crate::conn::AnyConnection;
use crate::error::{DbResultExt, StorageError};
use crate::schema::change_queue;

/// The first key of the advisory lock that sealers take, `(SEAL_LOCK, hashtext(tenant))`.
/// Any fixed number: it only has to be the same in every replica. Tenants whose ids
/// hash alike merely take turns.
const SEAL_LOCK: i32 = 0x1d5c_0002;

/// A `change_queue` row about to be inserted; `id` and `xact` take their defaults.
#[derive(Insertable)]
#[diesel(table_name = change_queue, treat_none_as_default_value = false)]
struct QueuedRow<'a> {
    tenant_id: &'a str,
    at_us: i64,
    resource_type: &'a str,
    resource_id: &'a str,
    event: &'a str,
    attributes: String,
    member_id: Option<&'a str>,
    member_type: Option<&'a str>,
    token_id: Option<&'a str>,
    request_id: Option<&'a str>,
}

/// Queues `events` in the writer's transaction, in order. Takes no lock another writer
/// waits for: the foreign key on `tenants` shares the tenant row.
pub(super) fn append(
    conn: &mut PgConnection,
    tenant_id: &str,
    at_us: i64,
    token_id: Option<&str>,
    request_id: Option<&str>,
    events: &[NewChange],
) -> Result<(), StorageError> {
    let rows: Vec<QueuedRow<'_>> = events
        .iter()
        .map(|e| QueuedRow {
            tenant_id,
            at_us,
            resource_type: e.resource_type.as_str(),
            resource_id: &e.resource_id,
            event: e.event.as_str(),
            attributes: pack_names(&e.attributes),
            member_id: e.member.as_ref().map(|(id, _)| id.as_str()),
            member_type: e.member.as_ref().map(|(_, t)| t.as_str()),
            token_id,
            request_id,
        })
        .collect();
    for chunk in rows.chunks(INSERT_BATCH) {
        diesel::insert_into(change_queue::table)
            .values(chunk)
            .execute(conn)
            .db()?;
    }
    Ok(())
}

/// The PostgreSQL connection inside `conn`: the queue exists only there.
fn pg(conn: &mut AnyConnection) -> Result<&mut PgConnection, StorageError> {
    match conn {
        AnyConnection::Postgresql(c) => Ok(c),
        AnyConnection::Sqlite(_) => Err(StorageError::Internal("the change queue is PostgreSQL's".into())),
    }
}

/// Whether the tenant has queued events that this statement's snapshot sees committed.
pub(super) fn has_queued_events(conn: &mut AnyConnection, tenant_id: &str) -> Result<bool, StorageError> {
    diesel::select(diesel::dsl::exists(
        change_queue::table.filter(change_queue::tenant_id.eq(tenant_id)),
    ))
    .get_result(pg(conn)?)
    .db()
}

/// The tenants that have committed, queued events.
pub(super) fn tenants_with_queued_events(conn: &mut AnyConnection) -> Result<Vec<String>, StorageError> {
    change_queue::table
        .select(change_queue::tenant_id)
        .distinct()
        .load(pg(conn)?)
        .db()
}

#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = BigInt)]
    sealed: i64,
}

/// Numbers the tenant's committed, queued events into `changes` and returns how many.
/// Runs in a write transaction of its own, which must be READ COMMITTED (PostgreSQL's
/// default): the seal statement then starts after the lock is granted, and its snapshot
/// sees everything the previous sealer committed. (Under a stricter default isolation a
/// stale head would collide on the primary key of `changes` and fail; it cannot number
/// twice.)
pub(super) fn seal(conn: &mut AnyConnection, tenant_id: &str) -> Result<u64, StorageError> {
    let conn = pg(conn)?;
    diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind::<Integer, _>(SEAL_LOCK)
        .bind::<Text, _>(tenant_id)
        .execute(conn)
        .db()?;
    // Data-modifying CTEs share one snapshot: `moved` is exactly the committed rows
    // that `head` and the insert number, and the UPDATE advances the head by as many.
    let sealed: Option<Sealed> = diesel::sql_query(
        "WITH moved AS (
             DELETE FROM change_queue WHERE tenant_id = $1
             RETURNING id, xact, at_us, resource_type, resource_id, event, attributes,
                       member_id, member_type, token_id, request_id
         ), keyed AS (
             SELECT m.*, min(m.id) OVER (PARTITION BY m.xact) AS txn_key FROM moved m
         ), numbered AS (
             SELECT k.*, row_number() OVER (ORDER BY k.txn_key, k.id) AS n FROM keyed k
         ), head AS (
             SELECT feed_seq FROM tenants WHERE id = $1
         ), inserted AS (
             INSERT INTO changes (tenant_id, seq, at_us, resource_type, resource_id, event, attributes,
                                  member_id, member_type, token_id, request_id)
             SELECT $1, head.feed_seq + numbered.n, at_us, resource_type, resource_id, event, attributes,
                    member_id, member_type, token_id, request_id
               FROM numbered CROSS JOIN head
         )
         UPDATE tenants SET feed_seq = feed_seq + (SELECT count(*) FROM moved)
          WHERE id = $1 AND EXISTS (SELECT 1 FROM moved)
         RETURNING (SELECT count(*) FROM moved) AS sealed",
    )
    .bind::<Text, _>(tenant_id)
    .get_result(conn)
    .optional()
    .db()?;
    Ok(sealed.map_or(0, |s| s.sealed.unsigned_abs()))
}

/// Reclaims the queue's dead rows. Outside any transaction (VACUUM cannot run in one);
/// a replica already vacuuming it makes this a no-op rather than a wait.
pub(super) fn vacuum(conn: &mut AnyConnection) -> Result<(), StorageError> {
    diesel::sql_query("VACUUM (SKIP_LOCKED) change_queue")
        .execute(pg(conn)?)
        .map(drop)
        .db()
}
