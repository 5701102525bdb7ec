//! The change feed: a per-tenant, gapless, ordered log of committed changes.
//!
//! Readers see `changes`: rows numbered `seq` 1, 2, 3, … per tenant, with no gaps. A
//! watcher's cursor is a seq; it reads `seq > cursor` in order and resumes from there.
//! How a writer's events get their numbers differs between the backends.
//!
//! **SQLite** has one writer at a time. [`Tx::append_changes`] bumps `tenants.feed_seq`
//! and inserts numbered rows in the writer's transaction; a rollback gives the numbers
//! back with the rest of the work.
//!
//! **PostgreSQL** runs writers concurrently. Numbering in the writer's transaction (the
//! scheme before the `change_queue` migration) took the tenant row's lock until commit,
//! so every write of a tenant waited for the previous one's commit and fsync. Instead:
//!
//! 1. *Append.* A writer inserts its events into `change_queue` (see `queue`), as the
//!    last statement of its transaction that touches shared rows (the provisioning-log
//!    entry after it only inserts a row of its own). Each row's `id` is drawn from a
//!    sequence as it is inserted; `xact` is the writing transaction. No other writer
//!    waits for anything this takes.
//! 2. *Seal.* A sealer takes a per-tenant advisory lock that only sealers take, then in
//!    one statement deletes every queued row of the tenant its snapshot sees (exactly
//!    the committed ones), numbers them from `feed_seq + 1` ordered by (the smallest
//!    `id` of the row's transaction, `id`), inserts them into `changes`, advances
//!    `feed_seq`, and commits. [`Store::changes_after`] and [`Store::feed_bounds`] seal
//!    the tenant before they read; the core's background task seals every tenant
//!    about once a second ([`Store::seal_changes`]), so the queue stays short when
//!    nobody watches.
//!
//! Why that keeps the feed's promise:
//!
//! - *Gapless, and nothing to skip past.* Only sealers hand out numbers, one at a time
//!   per tenant, and each continues from the head the previous one committed (its
//!   statement starts after the lock is granted, so its snapshot sees that commit). A
//!   seal's rows and its new head commit together, so every snapshot sees seqs 1..head
//!   (less what retention pruned) and a number never appears below one a reader has
//!   already seen. A rolled-back writer's rows never become visible, so they never get
//!   a number.
//! - *Order.* If transaction B depends on A — it waited for A's commit on a row lock or
//!   a unique-index check, or it read a row A committed — B drew its ids after A
//!   committed, so they are all larger than A's; and a snapshot that sees B committed
//!   sees A committed. A is therefore sealed before B, or in the same seal and ordered
//!   first. The same holds when A committed before B began. Every event about one
//!   resource comes from a transaction that wrote that resource's row (the user or
//!   group row, or the `(group, member)` row of a membership event), so **per
//!   resource, the feed is in commit order**. Only transactions that overlapped in
//!   time and shared no row may appear in either order; that is the commit order of a
//!   schedule no client can tell from the real one.
//! - *A transaction's events stay together*, in the order it appended them: they
//!   become visible at once, so one seal takes all of them.
//! - *Two or more replicas* share the advisory lock and the queue in the database: any
//!   replica's sealer numbers any replica's events, one sealer at a time per tenant.
//! - *Head.* [`FeedBounds::head`] is the last sealed seq; [`Store::feed_bounds`] seals
//!   first, so a watcher that starts "from now" does not get events committed before
//!   the call, as before.
//! - *Retention.* [`Store::prune_changes`] seals first, then deletes each tenant's
//!   changes up to its first one young enough to keep (a prefix, by seq); it
//!   never deletes from the queue: a queued event gets its number first. A
//!   watcher whose next seq was pruned meanwhile finds a batch that does not start at
//!   `cursor + 1` and is told its cursor expired; it cannot skip silently.
//! - *Latency.* A local commit wakes this process's watchers, which seal and read at
//!   once; watchers on other replicas find it at their next poll.
//! - *Upkeep.* Sealing leaves dead queue rows. After moving rows the background seal
//!   vacuums the queue itself, so it stays small whether or not autovacuum runs.

mod names;
mod queue;

pub(crate) use names::{pack_names, unpack_names};

use diesel::prelude::*;

use crate::cached;
use crate::conn::{AnyConnection, Backend};
use crate::error::{DbResultExt, StorageError};
use crate::records::ResourceType;
use crate::schema::{changes, tenants};
use crate::{Store, Tx};

/// Events inserted per statement: 11 parameters each stays far below the parameter
/// limits of SQLite (32 766) and PostgreSQL (65 535).
const INSERT_BATCH: usize = 500;

/// A `changes` row about to be inserted.
#[derive(Insertable)]
#[diesel(table_name = changes, treat_none_as_default_value = false)]
struct NewChangeRow<'a> {
    tenant_id: &'a str,
    seq: i64,
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

/// What happened to a resource, as the feed records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeEvent {
    /// The resource was created.
    Created,
    /// Attributes of the resource changed.
    Updated,
    /// A group's `displayName` changed.
    Renamed,
    /// The resource was disabled: a user's `active` went false (Entra's soft delete),
    /// or a scoping rule marked it out of scope.
    Deactivated,
    /// The resource came back: `active` true again, or back in scope.
    Reactivated,
    /// The resource was deleted.
    Deleted,
    /// A member joined the group.
    MemberAdded,
    /// A member left the group.
    MemberRemoved,
}

impl ChangeEvent {
    /// Every event, in the order the documentation lists them.
    pub const ALL: [ChangeEvent; 8] = [
        ChangeEvent::Created,
        ChangeEvent::Updated,
        ChangeEvent::Renamed,
        ChangeEvent::Deactivated,
        ChangeEvent::Reactivated,
        ChangeEvent::Deleted,
        ChangeEvent::MemberAdded,
        ChangeEvent::MemberRemoved,
    ];

    /// The stored spelling, which the gRPC change feed also uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeEvent::Created => "created",
            ChangeEvent::Updated => "updated",
            ChangeEvent::Renamed => "renamed",
            ChangeEvent::Deactivated => "deactivated",
            ChangeEvent::Reactivated => "reactivated",
            ChangeEvent::Deleted => "deleted",
            ChangeEvent::MemberAdded => "member_added",
            ChangeEvent::MemberRemoved => "member_removed",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<ChangeEvent> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// A change about to be appended to a tenant's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChange {
    /// What kind of resource changed.
    pub resource_type: ResourceType,
    /// The id of the resource that changed (for membership events: the group).
    pub resource_id: String,
    /// What happened.
    pub event: ChangeEvent,
    /// Names of the attributes that changed (never their values).
    pub attributes: Vec<String>,
    /// For membership events: the member added or removed, and what it is.
    pub member: Option<(String, ResourceType)>,
}

impl NewChange {
    /// `event` on the resource `resource_type` `resource_id`, naming the attributes.
    pub fn of(resource_type: ResourceType, resource_id: &str, event: ChangeEvent, attributes: Vec<String>) -> Self {
        NewChange {
            resource_type,
            resource_id: resource_id.to_owned(),
            event,
            attributes,
            member: None,
        }
    }

    /// A `member_added` or `member_removed` event on `group_id`.
    pub fn membership(group_id: &str, member_id: &str, member_type: ResourceType, event: ChangeEvent) -> Self {
        NewChange {
            resource_type: ResourceType::Group,
            resource_id: group_id.to_owned(),
            event,
            attributes: vec!["members".to_owned()],
            member: Some((member_id.to_owned(), member_type)),
        }
    }
}

/// A change as stored in the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    /// Position in the tenant's feed: 1, 2, 3, … with no gaps, in commit order.
    pub seq: i64,
    /// When the change was committed, microseconds since the epoch.
    pub at_us: i64,
    /// What changed.
    pub change: NewChange,
    /// The token whose call made the change.
    pub token_id: Option<String>,
    /// The request id of that call.
    pub request_id: Option<String>,
}

/// What is retained of a tenant's feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedBounds {
    /// The smallest seq still stored (`head + 1` when none is).
    pub first_retained: i64,
    /// The last seq handed out (0 before the first change).
    pub head: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = changes)]
struct ChangeRow {
    seq: i64,
    at_us: i64,
    resource_type: String,
    resource_id: String,
    event: String,
    attributes: String,
    member_id: Option<String>,
    member_type: Option<String>,
    token_id: Option<String>,
    request_id: Option<String>,
}

impl TryFrom<ChangeRow> for ChangeRecord {
    type Error = StorageError;

    fn try_from(r: ChangeRow) -> Result<ChangeRecord, StorageError> {
        let unknown = |what: &str, value: &str| StorageError::Internal(format!("unknown {what} {value:?} in the feed"));
        let resource_type =
            ResourceType::parse(&r.resource_type).ok_or_else(|| unknown("resource type", &r.resource_type))?;
        let event = ChangeEvent::parse(&r.event).ok_or_else(|| unknown("event", &r.event))?;
        let member = match (r.member_id, r.member_type) {
            (Some(id), Some(t)) => Some((id, ResourceType::parse(&t).ok_or_else(|| unknown("member type", &t))?)),
            (None, None) => None,
            (id, t) => {
                return Err(StorageError::Internal(format!(
                    "a feed row with member {id:?} of type {t:?}: both or neither"
                )));
            }
        };
        Ok(ChangeRecord {
            seq: r.seq,
            at_us: r.at_us,
            change: NewChange {
                resource_type,
                resource_id: r.resource_id,
                event,
                attributes: unpack_names(&r.attributes),
                member,
            },
            token_id: r.token_id,
            request_id: r.request_id,
        })
    }
}

/// Attribute names as stored: comma-separated (SCIM names never contain commas).
pub(crate) fn join_names(names: &[String]) -> String {
    names.join(",")
}

pub(crate) fn split_names(joined: &str) -> Vec<String> {
    joined.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

impl Tx<'_> {
    /// Appends `events` to the tenant's feed. Call it last in a write transaction, after
    /// every statement that writes shared rows: see the module documentation for why
    /// the events then get gapless numbers in an order that agrees with commit order.
    ///
    /// On SQLite the events are numbered at once; on PostgreSQL they are queued and
    /// numbered by the next seal after the transaction commits.
    ///
    /// [`StorageError::NotFound`] when the tenant does not exist.
    pub fn append_changes(
        &mut self,
        tenant_id: &str,
        at_us: i64,
        token_id: Option<&str>,
        request_id: Option<&str>,
        events: &[NewChange],
    ) -> Result<(), StorageError> {
        if events.is_empty() {
            return Ok(());
        }
        match &mut *self.conn {
            AnyConnection::Sqlite(c) => append_numbered(c, tenant_id, at_us, token_id, request_id, events),
            AnyConnection::Postgresql(c) => queue::append(c, tenant_id, at_us, token_id, request_id, events),
        }
    }

    /// Up to `limit` sealed changes of the tenant with `seq > after`, in seq order: one
    /// statement on the primary key. (On PostgreSQL, [`Store::changes_after`] seals
    /// first; a transaction sees only what was sealed before it.)
    pub fn changes_after(
        &mut self,
        tenant_id: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<ChangeRecord>, StorageError> {
        let rows = changes::table
            .filter(changes::tenant_id.eq(tenant_id))
            .filter(changes::seq.gt(after))
            .order(changes::seq)
            .limit(i64::from(limit))
            .select(ChangeRow::as_select())
            .load(self.conn)
            .db()?;
        rows.into_iter().map(ChangeRecord::try_from).collect()
    }

    /// The retained range of the tenant's sealed feed; `None` when the tenant does not
    /// exist.
    pub fn feed_bounds(&mut self, tenant_id: &str) -> Result<Option<FeedBounds>, StorageError> {
        let head: Option<i64> = tenants::table
            .filter(tenants::id.eq(tenant_id))
            .select(tenants::feed_seq)
            .first(self.conn)
            .optional()
            .db()?;
        let Some(head) = head else { return Ok(None) };
        let first: Option<i64> = changes::table
            .filter(changes::tenant_id.eq(tenant_id))
            .select(diesel::dsl::min(changes::seq))
            .first(self.conn)
            .db()?;
        Ok(Some(FeedBounds {
            first_retained: first.unwrap_or(head + 1),
            head,
        }))
    }

    /// Deletes, per tenant, the sealed changes before its first one committed at or
    /// after `before_us`; returns how many went. What goes is always a prefix of the
    /// feed, so the retained range stays gapless even where commit times are not in seq
    /// order, and the delete walks the `(tenant_id, seq)` key: no index on `at_us`
    /// costs every write a B-tree. Queued events are left for the sealer: they are
    /// numbered first.
    pub fn prune_changes(&mut self, before_us: i64) -> Result<u64, StorageError> {
        crate::conn::without_timeouts(self.conn)?;
        let mut pruned = 0;
        for tenant_id in self.tenant_ids()? {
            let first_kept: Option<i64> = changes::table
                .filter(changes::tenant_id.eq(&tenant_id))
                .filter(changes::at_us.ge(before_us))
                .order(changes::seq)
                .select(changes::seq)
                .first(self.conn)
                .optional()
                .db()?;
            let tenant = changes::table.filter(changes::tenant_id.eq(&tenant_id));
            pruned += match first_kept {
                Some(seq) => diesel::delete(tenant.filter(changes::seq.lt(seq))).execute(self.conn),
                None => diesel::delete(tenant).execute(self.conn),
            }
            .db()? as u64;
        }
        Ok(pruned)
    }
}

/// SQLite's append: the single writer numbers its events itself.
fn append_numbered(
    conn: &mut diesel::SqliteConnection,
    tenant_id: &str,
    at_us: i64,
    token_id: Option<&str>,
    request_id: Option<&str>,
    events: &[NewChange],
) -> Result<(), StorageError> {
    /// Marker of the cached statement below (see `crate::cached`).
    struct BumpFeedSeq;
    let n = i64::try_from(events.len()).map_err(|_| StorageError::Internal("too many events".into()))?;
    // The bump and the read of the new head are two statements: SQLite collects the
    // rows of an `UPDATE … RETURNING` in a temporary B-tree, which cost more than
    // reading the row back (the write lock is held, so nothing moves in between).
    let bumped = cached::update::<BumpFeedSeq, _, _, _>(
        tenants::table,
        tenants::feed_seq.eq(tenants::feed_seq + n),
        tenants::id.eq(tenant_id),
    )
    .execute(conn)
    .db()?;
    if bumped == 0 {
        return Err(StorageError::NotFound);
    }
    let head: i64 = tenants::table
        .filter(tenants::id.eq(tenant_id))
        .select(tenants::feed_seq)
        .first(conn)
        .db()?;
    let rows: Vec<NewChangeRow<'_>> = (head - n + 1..)
        .zip(events)
        .map(|(seq, e)| NewChangeRow {
            tenant_id,
            seq,
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
    // One multi-row INSERT per chunk: a PATCH that adds a thousand members appends a
    // thousand events in a few statements, not a thousand.
    // Nearly every write appends one event: one row inserted by a statement diesel
    // caches (a multi-row INSERT it prepares again on every call).
    if let [row] = rows.as_slice() {
        diesel::insert_into(changes::table).values(row).execute(conn).db()?;
        return Ok(());
    }
    for chunk in rows.chunks(INSERT_BATCH) {
        diesel::insert_into(changes::table).values(chunk).execute(conn).db()?;
    }
    Ok(())
}

impl Store {
    /// Seals the tenant's committed events (PostgreSQL), then reads as
    /// [`Tx::changes_after`] does.
    pub fn changes_after(&self, tenant_id: &str, after: i64, limit: u32) -> Result<Vec<ChangeRecord>, StorageError> {
        self.seal_tenant(tenant_id)?;
        self.read(|tx| tx.changes_after(tenant_id, after, limit))
    }

    /// Seals the tenant's committed events (PostgreSQL), then answers as
    /// [`Tx::feed_bounds`] does: the head counts every event committed before the call.
    pub fn feed_bounds(&self, tenant_id: &str) -> Result<Option<FeedBounds>, StorageError> {
        self.seal_tenant(tenant_id)?;
        self.read(|tx| tx.feed_bounds(tenant_id))
    }

    /// Seals every tenant's committed events (PostgreSQL), so that retention applies
    /// to all of them, then prunes as [`Tx::prune_changes`] does.
    pub fn prune_changes(&self, before_us: i64) -> Result<u64, StorageError> {
        self.seal_changes()?;
        self.write(|tx| tx.prune_changes(before_us))
    }

    /// Numbers every tenant's committed, queued events into the feed and returns how
    /// many it sealed; then, if it sealed any, vacuums the queue so that its dead rows
    /// do not pile up when autovacuum is off or late. PostgreSQL only: on SQLite events
    /// are numbered when they are appended, and this returns 0. A background task calls
    /// it about once a second; replicas may call it at the same time.
    pub fn seal_changes(&self) -> Result<u64, StorageError> {
        if self.backend() != Backend::Postgres {
            return Ok(0);
        }
        let tenants = self.outside_transaction(queue::tenants_with_queued_events)?;
        let mut sealed = 0;
        for tenant in tenants {
            sealed += self.write(|tx| queue::seal(tx.conn, &tenant))?;
        }
        if sealed > 0 {
            self.outside_transaction(queue::vacuum)?;
        }
        Ok(sealed)
    }

    /// Seals one tenant's committed events (PostgreSQL; nothing to do on SQLite). A
    /// tenant with nothing queued costs one indexed read and no write transaction.
    fn seal_tenant(&self, tenant_id: &str) -> Result<(), StorageError> {
        if self.backend() != Backend::Postgres
            || !self.outside_transaction(|conn| queue::has_queued_events(conn, tenant_id))?
        {
            return Ok(());
        }
        self.write(|tx| queue::seal(tx.conn, tenant_id)).map(drop)
    }
}
