//! The provisioning log: one row per write attempt, successful or not.
//!
//! Entries carry what an admin needs to see what was provisioned and why something
//! failed — operation, resource, outcome, status, the changed attribute names — but
//! never attribute values or secrets; the core decides what goes in.

use diesel::prelude::*;

use crate::error::{DbResultExt, StorageError};
use crate::feed::{join_names, split_names};
use crate::schema::provisioning_log as log;
use crate::{Store, Tx};

/// One entry of the provisioning log.
#[derive(Debug, Clone, PartialEq, Eq, Default, Queryable, Selectable)]
#[diesel(table_name = log)]
#[allow(missing_docs)]
pub struct LogRecord {
    pub tenant_id: String,
    /// A time-ordered UUID (v7).
    pub id: String,
    /// Microseconds since the epoch.
    pub at_us: i64,
    /// The token of the call (its public id, never the secret).
    pub token_id: Option<String>,
    /// `create`, `replace`, `patch` or `delete`.
    pub operation: String,
    /// `User` or `Group`.
    pub resource_type: String,
    /// The resource's id; absent for a create that failed.
    pub resource_id: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// For failures: the gRPC code name (`ALREADY_EXISTS`, …).
    pub grpc_code: Option<String>,
    /// For failures: the HTTP status the gateway answers with.
    pub http_status: Option<i32>,
    /// For failures: the SCIM `scimType`, when one applies.
    pub scim_type: Option<String>,
    /// For failures: what went wrong, without attribute values.
    pub detail: Option<String>,
    /// Names of the attributes the write changed, comma-separated.
    #[diesel(deserialize_as = String)]
    pub attributes: AttributeNames,
    /// The caller's `x-request-id`.
    pub request_id: Option<String>,
    /// The trace id of the caller's `traceparent`.
    pub trace_id: Option<String>,
}

/// Attribute names, stored comma-separated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttributeNames(pub Vec<String>);

impl From<String> for AttributeNames {
    fn from(joined: String) -> AttributeNames {
        AttributeNames(split_names(&joined))
    }
}

/// Which log entries to read, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogQuery {
    /// Only entries at or after this instant.
    pub since_us: Option<i64>,
    /// Only entries before this instant.
    pub until_us: Option<i64>,
    /// Only this resource type.
    pub resource_type: Option<String>,
    /// Only this resource.
    pub resource_id: Option<String>,
    /// Only this outcome (`success` or `failure`).
    pub outcome: Option<String>,
    /// Only this operation.
    pub operation: Option<String>,
    /// Keyset paging: only entries strictly older than this `(at_us, id)`.
    pub before: Option<(i64, String)>,
    /// At most this many entries.
    pub limit: u32,
}

impl Tx<'_> {
    /// Appends an entry. [`StorageError::NotFound`] when its tenant does not exist.
    pub fn insert_log_entry(&mut self, e: &LogRecord) -> Result<(), StorageError> {
        diesel::insert_into(log::table)
            .values((
                log::tenant_id.eq(&e.tenant_id),
                log::id.eq(&e.id),
                log::at_us.eq(e.at_us),
                log::token_id.eq(e.token_id.as_deref()),
                log::operation.eq(&e.operation),
                log::resource_type.eq(&e.resource_type),
                log::resource_id.eq(e.resource_id.as_deref()),
                log::outcome.eq(&e.outcome),
                log::grpc_code.eq(e.grpc_code.as_deref()),
                log::http_status.eq(e.http_status),
                log::scim_type.eq(e.scim_type.as_deref()),
                log::detail.eq(e.detail.as_deref()),
                log::attributes.eq(join_names(&e.attributes.0)),
                log::request_id.eq(e.request_id.as_deref()),
                log::trace_id.eq(e.trace_id.as_deref()),
            ))
            .execute(self.conn)
            .db()?;
        Ok(())
    }

    /// The tenant's entries that match `query`, newest first: one statement on the
    /// `(tenant_id, at_us, id)` index.
    pub fn list_log(&mut self, tenant_id: &str, query: &LogQuery) -> Result<Vec<LogRecord>, StorageError> {
        let mut q = log::table.filter(log::tenant_id.eq(tenant_id)).into_boxed();
        if let Some(since) = query.since_us {
            q = q.filter(log::at_us.ge(since));
        }
        if let Some(until) = query.until_us {
            q = q.filter(log::at_us.lt(until));
        }
        if let Some(t) = &query.resource_type {
            q = q.filter(log::resource_type.eq(t.clone()));
        }
        if let Some(id) = &query.resource_id {
            q = q.filter(log::resource_id.eq(id.clone()));
        }
        if let Some(outcome) = &query.outcome {
            q = q.filter(log::outcome.eq(outcome.clone()));
        }
        if let Some(op) = &query.operation {
            q = q.filter(log::operation.eq(op.clone()));
        }
        if let Some((at, id)) = &query.before {
            q = q.filter(log::at_us.lt(*at).or(log::at_us.eq(*at).and(log::id.lt(id.clone()))));
        }
        q.order((log::at_us.desc(), log::id.desc()))
            .limit(i64::from(query.limit))
            .select(LogRecord::as_select())
            .load(self.conn)
            .db()
    }

    /// Deletes the entries of every tenant older than `before_us`; returns how many.
    pub fn prune_log(&mut self, before_us: i64) -> Result<u64, StorageError> {
        let n = diesel::delete(log::table.filter(log::at_us.lt(before_us)))
            .execute(self.conn)
            .db()?;
        Ok(n as u64)
    }
}

impl Store {
    /// Appends an entry in a transaction of its own (for failed writes, whose own
    /// transaction rolled back).
    pub fn insert_log_entry(&self, entry: &LogRecord) -> Result<(), StorageError> {
        self.write(|tx| tx.insert_log_entry(entry))
    }

    /// See [`Tx::list_log`].
    pub fn list_log(&self, tenant_id: &str, query: &LogQuery) -> Result<Vec<LogRecord>, StorageError> {
        self.read(|tx| tx.list_log(tenant_id, query))
    }

    /// See [`Tx::prune_log`].
    pub fn prune_log(&self, before_us: i64) -> Result<u64, StorageError> {
        self.write(|tx| tx.prune_log(before_us))
    }
}
