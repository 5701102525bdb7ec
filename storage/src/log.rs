//! The provisioning log: one row per write attempt, successful or not.
//!
//! Entries carry what an admin needs to see what was provisioned and why something
//! failed — operation, resource, outcome, status, the changed attribute names — but
//! never attribute values or secrets; the core decides what goes in.

use diesel::prelude::*;

use crate::cached::on_backend;
use crate::error::{DbResultExt, StorageError};
use crate::feed::{pack_names, unpack_names};
use crate::records::ResourceType;
use crate::schema::provisioning_log as log;
use crate::{Store, Tx};

/// What a write attempt did, as the log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogOperation {
    /// A POST.
    Create,
    /// A PUT.
    Replace,
    /// A PATCH.
    Patch,
    /// A DELETE (or an update that a scoping rule turned into one).
    Delete,
}

impl LogOperation {
    /// The stored spelling (`create`, `replace`, `patch`, `delete`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogOperation::Create => "create",
            LogOperation::Replace => "replace",
            LogOperation::Patch => "patch",
            LogOperation::Delete => "delete",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<LogOperation> {
        [
            LogOperation::Create,
            LogOperation::Replace,
            LogOperation::Patch,
            LogOperation::Delete,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// Whether a write attempt succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogOutcome {
    /// It committed (or changed nothing and needed no commit).
    Success,
    /// It was refused or failed; nothing it tried was kept.
    Failure,
}

impl LogOutcome {
    /// The stored spelling (`success`, `failure`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogOutcome::Success => "success",
            LogOutcome::Failure => "failure",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<LogOutcome> {
        match s {
            "success" => Some(LogOutcome::Success),
            "failure" => Some(LogOutcome::Failure),
            _ => None,
        }
    }
}

/// A stored spelling the log does not know: the row was not written by this version.
fn unknown(what: &str, value: &str) -> StorageError {
    StorageError::Internal(format!("unknown {what} {value:?} in the provisioning log"))
}

impl TryFrom<String> for LogOperation {
    type Error = StorageError;
    fn try_from(s: String) -> Result<Self, StorageError> {
        LogOperation::parse(&s).ok_or_else(|| unknown("operation", &s))
    }
}

impl TryFrom<String> for LogOutcome {
    type Error = StorageError;
    fn try_from(s: String) -> Result<Self, StorageError> {
        LogOutcome::parse(&s).ok_or_else(|| unknown("outcome", &s))
    }
}

impl TryFrom<String> for ResourceType {
    type Error = StorageError;
    fn try_from(s: String) -> Result<Self, StorageError> {
        ResourceType::parse(&s).ok_or_else(|| unknown("resource type", &s))
    }
}

/// One entry of the provisioning log.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
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
    /// What the attempt did.
    #[diesel(deserialize_as = String)]
    pub operation: LogOperation,
    /// What it did it to.
    #[diesel(deserialize_as = String)]
    pub resource_type: ResourceType,
    /// The resource's id; absent for a create that failed.
    pub resource_id: Option<String>,
    /// Whether it succeeded.
    #[diesel(deserialize_as = String)]
    pub outcome: LogOutcome,
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

/// Attribute names, stored packed (`feed::names`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttributeNames(pub Vec<String>);

impl From<String> for AttributeNames {
    fn from(joined: String) -> AttributeNames {
        AttributeNames(unpack_names(&joined))
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
    pub resource_type: Option<ResourceType>,
    /// Only this resource.
    pub resource_id: Option<String>,
    /// Only this outcome.
    pub outcome: Option<LogOutcome>,
    /// Only this operation.
    pub operation: Option<LogOperation>,
    /// Keyset paging: only entries strictly older than this `(at_us, id)`.
    pub before: Option<(i64, String)>,
    /// At most this many entries.
    pub limit: u32,
}

impl Tx<'_> {
    /// Appends an entry. [`StorageError::NotFound`] when its tenant does not exist.
    pub fn insert_log_entry(&mut self, e: &LogRecord) -> Result<(), StorageError> {
        // Every write runs this: on the backend's own connection, the cached prepared
        // statement runs without its SQL being rendered again (see `crate::cached`).
        let insert = diesel::insert_into(log::table).values((
            log::tenant_id.eq(&e.tenant_id),
            log::id.eq(&e.id),
            log::at_us.eq(e.at_us),
            log::token_id.eq(e.token_id.as_deref()),
            log::operation.eq(e.operation.as_str()),
            log::resource_type.eq(e.resource_type.as_str()),
            log::resource_id.eq(e.resource_id.as_deref()),
            log::outcome.eq(e.outcome.as_str()),
            log::grpc_code.eq(e.grpc_code.as_deref()),
            log::http_status.eq(e.http_status),
            log::scim_type.eq(e.scim_type.as_deref()),
            log::detail.eq(e.detail.as_deref()),
            log::attributes.eq(pack_names(&e.attributes.0)),
            log::request_id.eq(e.request_id.as_deref()),
            log::trace_id.eq(e.trace_id.as_deref()),
        ));
        on_backend!(&mut *self.conn, |c| insert.execute(c)).db()?;
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
        if let Some(t) = query.resource_type {
            q = q.filter(log::resource_type.eq(t.as_str()));
        }
        if let Some(id) = &query.resource_id {
            q = q.filter(log::resource_id.eq(id.clone()));
        }
        if let Some(outcome) = query.outcome {
            q = q.filter(log::outcome.eq(outcome.as_str()));
        }
        if let Some(op) = query.operation {
            q = q.filter(log::operation.eq(op.as_str()));
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
    /// One tenant at a time, through the `(tenant_id, at_us, id)` index its listing
    /// uses: a second index on `at_us` alone would cost every write one more B-tree.
    pub fn prune_log(&mut self, before_us: i64) -> Result<u64, StorageError> {
        crate::conn::without_timeouts(self.conn)?;
        let mut pruned = 0;
        for tenant_id in self.tenant_ids()? {
            let old = log::table
                .filter(log::tenant_id.eq(&tenant_id))
                .filter(log::at_us.lt(before_us));
            pruned += diesel::delete(old).execute(self.conn).db()? as u64;
        }
        Ok(pruned)
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
