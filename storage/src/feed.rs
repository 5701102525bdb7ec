//! The change feed: a per-tenant, gapless, commit-ordered log of changes.
//!
//! A writer appends its events with [`Tx::append_changes`] in the transaction that makes
//! the change. The numbers come from `tenants.feed_seq`, bumped by one `UPDATE …
//! RETURNING`: on PostgreSQL that takes the tenant row's lock until commit, so a second
//! writer of the same tenant gets its numbers only after the first has committed (seq
//! order is commit order, and a reader that sees seq n has already seen every m < n);
//! SQLite has one writer at a time anyway. A rolled-back transaction gives its numbers
//! back with the rest of its work, so there are never gaps.
//!
//! Call it last in a transaction: the tenant row lock is then held only for the
//! inserts and the commit.

use diesel::prelude::*;

use crate::conn::AnyConnection;
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
                attributes: split_names(&r.attributes),
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
    /// Appends `events` to the tenant's feed and returns the seq of the last one (the
    /// current head when `events` is empty, without taking the lock). See the module
    /// documentation for why the numbers are gapless and in commit order.
    ///
    /// [`StorageError::NotFound`] when the tenant does not exist.
    pub fn append_changes(
        &mut self,
        tenant_id: &str,
        at_us: i64,
        token_id: Option<&str>,
        request_id: Option<&str>,
        events: &[NewChange],
    ) -> Result<i64, StorageError> {
        if events.is_empty() {
            return Ok(self.feed_bounds(tenant_id)?.ok_or(StorageError::NotFound)?.head);
        }
        let n = i64::try_from(events.len()).map_err(|_| StorageError::Internal("too many events".into()))?;
        let bump = diesel::update(tenants::table.filter(tenants::id.eq(tenant_id)))
            .set(tenants::feed_seq.eq(tenants::feed_seq + n))
            .returning(tenants::feed_seq);
        let head: i64 = match &mut *self.conn {
            AnyConnection::Sqlite(c) => bump.get_result(c),
            AnyConnection::Postgresql(c) => bump.get_result(c),
        }
        .optional()
        .db()?
        .ok_or(StorageError::NotFound)?;
        let rows: Vec<NewChangeRow<'_>> = (head - n + 1..)
            .zip(events)
            .map(|(seq, e)| NewChangeRow {
                tenant_id,
                seq,
                at_us,
                resource_type: e.resource_type.as_str(),
                resource_id: &e.resource_id,
                event: e.event.as_str(),
                attributes: join_names(&e.attributes),
                member_id: e.member.as_ref().map(|(id, _)| id.as_str()),
                member_type: e.member.as_ref().map(|(_, t)| t.as_str()),
                token_id,
                request_id,
            })
            .collect();
        // One multi-row INSERT per chunk: a PATCH that adds a thousand members appends a
        // thousand events in a few statements, not a thousand.
        for chunk in rows.chunks(INSERT_BATCH) {
            let insert = diesel::insert_into(changes::table).values(chunk);
            match &mut *self.conn {
                AnyConnection::Sqlite(c) => insert.execute(c),
                AnyConnection::Postgresql(c) => insert.execute(c),
            }
            .db()?;
        }
        Ok(head)
    }

    /// Up to `limit` changes of the tenant with `seq > after`, in seq order: one
    /// statement on the primary key.
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

    /// The retained range of the tenant's feed; `None` when the tenant does not exist.
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

    /// Deletes the changes of every tenant committed before `before_us`; returns how
    /// many went.
    pub fn prune_changes(&mut self, before_us: i64) -> Result<u64, StorageError> {
        let n = diesel::delete(changes::table.filter(changes::at_us.lt(before_us)))
            .execute(self.conn)
            .db()?;
        Ok(n as u64)
    }
}

impl Store {
    /// See [`Tx::changes_after`].
    pub fn changes_after(&self, tenant_id: &str, after: i64, limit: u32) -> Result<Vec<ChangeRecord>, StorageError> {
        self.read(|tx| tx.changes_after(tenant_id, after, limit))
    }

    /// See [`Tx::feed_bounds`].
    pub fn feed_bounds(&self, tenant_id: &str) -> Result<Option<FeedBounds>, StorageError> {
        self.read(|tx| tx.feed_bounds(tenant_id))
    }

    /// See [`Tx::prune_changes`].
    pub fn prune_changes(&self, before_us: i64) -> Result<u64, StorageError> {
        self.write(|tx| tx.prune_changes(before_us))
    }
}
