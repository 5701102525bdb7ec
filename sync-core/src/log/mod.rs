//! Reading the provisioning log (entries are written by `crate::write`): the
//! `ProvisioningLog` gRPC service's query, and the same query for `idsync log`.

pub mod service;

use idsync_proto::v1::{ListLogEntriesRequest, ListLogEntriesResponse, LogEntry, LogOutcome};
use idsync_storage::records::ResourceType;
use idsync_storage::{LogOperation, LogOutcome as StoredOutcome, LogQuery, LogRecord};

use crate::Core;
use crate::auth::Caller;
use crate::clock::{from_timestamp, to_timestamp};
use crate::error::{CoreError, CoreResult};

/// Entries per page when the request names no page size.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page.
pub const MAX_PAGE_SIZE: u32 = 1000;

impl Core {
    /// One page of the caller's tenant's log, newest first.
    pub async fn list_log_entries(
        &self,
        caller: &Caller,
        request: ListLogEntriesRequest,
    ) -> CoreResult<ListLogEntriesResponse> {
        let ListLogEntriesRequest {
            since,
            until,
            resource_type,
            resource_id,
            outcome,
            operation,
            page_size,
            page_token,
        } = request;
        crate::error::check_id("resourceId", &resource_id)?;
        let limit = page_size.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        let outcome = match LogOutcome::try_from(outcome) {
            Ok(LogOutcome::Unspecified) => None,
            Ok(LogOutcome::Success) => Some(StoredOutcome::Success),
            Ok(LogOutcome::Failure) => Some(StoredOutcome::Failure),
            Err(_) => return Err(CoreError::invalid_value(format!("unknown outcome {outcome}"))),
        };
        // A filter on a resource type or operation the log never records matches no
        // entry, as it always has.
        let (Some(resource_type), Some(operation)) = (
            known(resource_type, ResourceType::parse),
            known(operation, LogOperation::parse),
        ) else {
            return Ok(ListLogEntriesResponse::default());
        };
        let query = LogQuery {
            since_us: since.as_ref().map(from_timestamp),
            until_us: until.as_ref().map(from_timestamp),
            resource_type,
            resource_id: non_empty(resource_id),
            outcome,
            operation,
            before: parse_page_token(&page_token)?,
            // One more than asked tells whether there is a next page.
            limit: limit + 1,
        };
        let mut entries = self
            .read_tenant(caller, move |store, tenant| store.list_log(tenant, &query))
            .await?;
        let next_page_token = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries
                .last()
                .map(|e| format!("{}.{}", e.at_us, e.id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ListLogEntriesResponse {
            entries: entries.into_iter().map(to_entry).collect(),
            next_page_token,
        })
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// An optional filter in its stored spelling: `Some(None)` when absent (no filter),
/// `Some(Some(value))` when known, `None` when no entry can match it.
fn known<T>(s: String, parse: impl Fn(&str) -> Option<T>) -> Option<Option<T>> {
    if s.is_empty() {
        return Some(None);
    }
    parse(&s).map(Some)
}

fn parse_page_token(token: &str) -> CoreResult<Option<(i64, String)>> {
    if token.is_empty() {
        return Ok(None);
    }
    token
        .split_once('.')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
        .map(Some)
        .ok_or_else(|| CoreError::invalid_value("malformed page token; pass next_page_token as it was returned"))
}

/// The proto form of a log entry, as `ListLogEntries` and the admin overview show it.
pub(crate) fn to_entry(e: LogRecord) -> LogEntry {
    LogEntry {
        id: e.id,
        at: Some(to_timestamp(e.at_us)),
        token_id: e.token_id,
        operation: e.operation.as_str().to_owned(),
        resource_type: e.resource_type.as_str().to_owned(),
        resource_id: e.resource_id,
        outcome: match e.outcome {
            StoredOutcome::Success => LogOutcome::Success,
            StoredOutcome::Failure => LogOutcome::Failure,
        } as i32,
        grpc_code: e.grpc_code,
        http_status: e.http_status.and_then(|s| u32::try_from(s).ok()),
        scim_type: e.scim_type,
        detail: e.detail,
        attributes: e.attributes.0,
        request_id: e.request_id,
        trace_id: e.trace_id,
    }
}
