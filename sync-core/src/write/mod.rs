//! The one path every write of users and groups takes: [`Core::logged`] around the whole
//! operation, [`Core::commit`] around each write transaction, and (`skeleton`) the steps
//! every write follows inside them: read, apply, check the version, let the scoping rule
//! judge, commit, retry on a lost race, with one error mapping.
//!
//! `commit` runs the caller's storage work and, in the SAME transaction, appends its
//! change-feed events and the provisioning-log success entry, so a change, its event and
//! its log entry commit together or not at all. `logged` records what `commit` could
//! not: a failure (after the rollback, in a small transaction of its own — a failure to
//! log is a warning, never the client's error) or a success that changed nothing (Entra
//! re-sending unchanged values), which commits no transaction at all.
//!
//! Both also feed the core's telemetry: `commit` derives the metric outcome of the
//! write from its [`Effects`] (created, updated, deactivated, reactivated, deleted,
//! adopted), and `logged` counts every operation exactly once (`unchanged` when nothing
//! was committed, `rejected_out_of_scope` for [`CoreError::OutOfScope`], `failed`
//! otherwise). Storage work runs inside the caller's span.
//!
//! Log entries carry attribute NAMES, never values: failure details have every quoted
//! string redacted, because error messages quote the offending values.

mod group;
mod skeleton;

use std::future::Future;
use std::sync::{Arc, OnceLock};

use idsync_proto::scim;
use idsync_storage::records::ResourceType;
use idsync_storage::{AttributeNames, ChangeEvent, LogOutcome, LogRecord, NewChange, StorageError, Tx};
use idsync_telemetry::provisioning::{
    Operation as MetricOperation, Outcome as MetricOutcome, ResourceType as MetricResource,
};

use crate::Core;
use crate::auth::Caller;
use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};
use crate::telemetry::in_current_span;

pub(crate) use group::GroupCommit;
/// What a write attempt does, as the provisioning log names it.
pub(crate) use idsync_storage::LogOperation as Operation;
pub(crate) use skeleton::{WriteError, check_version, judged, scope_detail};

/// The metric label of an operation.
fn metric_operation(operation: Operation) -> MetricOperation {
    match operation {
        Operation::Create => MetricOperation::Create,
        Operation::Replace => MetricOperation::Replace,
        Operation::Patch => MetricOperation::Patch,
        Operation::Delete => MetricOperation::Delete,
    }
}

/// One write attempt: what is being done to which resource.
#[derive(Debug)]
pub(crate) struct Intent {
    operation: Operation,
    resource_type: ResourceType,
    resource_id: Option<String>,
    /// Set when a `commit` of this attempt has written its success entry: what the
    /// committed write did, for telemetry (its outcome and the resource's id).
    committed: OnceLock<(MetricOutcome, Option<String>)>,
}

impl Intent {
    /// An attempt on a `resource_type`; `resource_id` is `None` for a create until it
    /// commits.
    pub(crate) fn new(operation: Operation, resource_type: ResourceType, resource_id: Option<&str>) -> Intent {
        Intent {
            operation,
            resource_type,
            resource_id: resource_id.map(str::to_owned),
            committed: OnceLock::new(),
        }
    }

    fn metric_resource(&self) -> MetricResource {
        match self.resource_type {
            ResourceType::User => MetricResource::User,
            ResourceType::Group => MetricResource::Group,
        }
    }
}

/// What a committed write did: its feed events and the attribute names it changed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Effects {
    /// The resource's id (for a create, the new id).
    pub(crate) resource_id: Option<String>,
    /// Names of the changed attributes (`members` for membership changes).
    pub(crate) attributes: Vec<String>,
    /// Feed events, in the order they happened.
    pub(crate) events: Vec<NewChange>,
    /// What the write turned out to be when a rule made it something else than the
    /// request asked for (an update that the scoping rule's `delete` policy turned into
    /// a delete); `None`: the intent's operation.
    pub(crate) operation: Option<Operation>,
    /// Why, when a tenant rule decided the outcome (adoption by a matching rule,
    /// scoping); attribute names and policies only, never values.
    pub(crate) detail: Option<String>,
    /// A matching rule linked this create to an account that already existed.
    pub(crate) adopted: bool,
}

impl Effects {
    /// The metric outcome of a committed write of `intent`: a rule's delete or adoption
    /// first, then the operation, then what the resource's own events say.
    fn outcome(&self, intent: &Intent) -> MetricOutcome {
        if self.operation == Some(Operation::Delete) {
            return MetricOutcome::Deleted;
        }
        if self.adopted {
            return MetricOutcome::Adopted;
        }
        match intent.operation {
            Operation::Create => return MetricOutcome::Created,
            Operation::Delete => return MetricOutcome::Deleted,
            Operation::Replace | Operation::Patch => {}
        }
        // The strongest of what the resource's own events say: a delete outweighs a
        // deactivation, which outweighs a reactivation, which outweighs any update.
        self.events
            .iter()
            .filter(|e| e.resource_type == intent.resource_type)
            .map(|e| update_outcome(e.event))
            .max_by_key(|outcome| outcome_rank(*outcome))
            .unwrap_or(if self.events.is_empty() {
                MetricOutcome::Unchanged
            } else {
                MetricOutcome::Updated
            })
    }
}

/// What an event of the resource itself makes of an update.
fn update_outcome(event: ChangeEvent) -> MetricOutcome {
    match event {
        ChangeEvent::Deleted => MetricOutcome::Deleted,
        ChangeEvent::Deactivated => MetricOutcome::Deactivated,
        ChangeEvent::Reactivated => MetricOutcome::Reactivated,
        ChangeEvent::Created
        | ChangeEvent::Updated
        | ChangeEvent::Renamed
        | ChangeEvent::MemberAdded
        | ChangeEvent::MemberRemoved => MetricOutcome::Updated,
    }
}

/// How strongly an update outcome speaks, when one write has several events.
fn outcome_rank(outcome: MetricOutcome) -> u8 {
    match outcome {
        MetricOutcome::Deleted => 4,
        MetricOutcome::Deactivated => 3,
        MetricOutcome::Reactivated => 2,
        MetricOutcome::Created
        | MetricOutcome::Updated
        | MetricOutcome::Unchanged
        | MetricOutcome::Adopted
        | MetricOutcome::RejectedOutOfScope => 1,
    }
}

impl Core {
    /// Runs a whole write operation (all its retries) and makes sure its outcome is in
    /// the provisioning log exactly once: see the module documentation.
    pub(crate) async fn logged<T, F, Fut>(&self, caller: &Caller, intent: Intent, op: F) -> CoreResult<T>
    where
        F: FnOnce(Arc<Intent>) -> Fut,
        Fut: Future<Output = CoreResult<T>>,
    {
        let intent = Arc::new(intent);
        let result = op(Arc::clone(&intent)).await;
        // A committed write logged its own outcome, even when the client is answered
        // with an error (an update that a scoping rule turned into a delete).
        if let Some((outcome, id)) = intent.committed.get().cloned() {
            let id = id.or_else(|| intent.resource_id.clone()).unwrap_or_default();
            self.telemetry.operation(
                caller,
                intent.metric_resource(),
                metric_operation(intent.operation),
                &id,
                Ok(outcome),
            );
            return result;
        }
        let id = intent.resource_id.clone().unwrap_or_default();
        let counted = match &result {
            // Nothing was committed: a success that changed nothing.
            Ok(_) => Ok(MetricOutcome::Unchanged),
            Err(e) => Err(e),
        };
        self.telemetry.operation(
            caller,
            intent.metric_resource(),
            metric_operation(intent.operation),
            &id,
            counted,
        );
        let entry = match &result {
            Ok(_) => entry(caller, &intent, now_us(), None, &[]),
            Err(e) => failure_entry(caller, &intent, e),
        };
        let store = self.store.clone();
        let written = tokio::task::spawn_blocking(in_current_span(move || store.insert_log_entry(&entry))).await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not write a provisioning log entry"),
            Err(e) => tracing::warn!(error = %e, "could not write a provisioning log entry"),
        }
        result
    }

    /// Runs `work` in one write transaction and, in the same transaction, appends its
    /// [`Effects`] to the change feed and the success entry to the provisioning log.
    /// Any error rolls all of it back.
    pub(crate) async fn commit<T, E, W>(&self, caller: &Caller, intent: &Arc<Intent>, work: W) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
        W: FnOnce(&mut Tx<'_>) -> Result<(T, Effects), E> + Send + 'static,
    {
        let caller_in = caller.clone();
        let intent_in = Arc::clone(intent);
        let write = move |tx: &mut Tx<'_>| -> Result<(T, bool, MetricOutcome, Option<String>), E> {
            let (value, effects) = work(tx)?;
            let now = now_us();
            let tenant = caller_in.tenant_id.as_str();
            // A write that changed nothing (Entra re-sending members) has no events:
            // it need not touch the feed at all.
            if !effects.events.is_empty() {
                tx.append_changes(
                    tenant,
                    now,
                    Some(&caller_in.token_id),
                    caller_in.request_id.as_deref(),
                    &effects.events,
                )?;
            }
            let mut entry = entry(&caller_in, &intent_in, now, None, &effects.attributes);
            if effects.resource_id.is_some() {
                entry.resource_id.clone_from(&effects.resource_id);
            }
            if let Some(operation) = effects.operation {
                entry.operation = operation;
            }
            entry.detail.clone_from(&effects.detail);
            tx.insert_log_entry(&entry)?;
            let outcome = effects.outcome(&intent_in);
            Ok((value, !effects.events.is_empty(), outcome, effects.resource_id))
        };
        let committed = match &self.group_commit {
            Some(group) => group.write(write).await,
            None => {
                let store = self.store.clone();
                tokio::task::spawn_blocking(in_current_span(move || store.write(write)))
                    .await
                    .map_err(|e| E::from(StorageError::Internal(format!("blocking task failed: {e}"))))?
            }
        };
        let (value, changed, outcome, resource_id) = committed?;
        // One success per attempt: a write commits once.
        let _ = intent.committed.set((outcome, resource_id));
        if changed {
            self.feed.notify(&caller.tenant_id);
        }
        Ok(value)
    }
}

fn entry(
    caller: &Caller,
    intent: &Intent,
    at_us: i64,
    failure: Option<&CoreError>,
    attributes: &[String],
) -> LogRecord {
    let (grpc_code, http_status, scim_type, detail) = match failure {
        Some(e) => {
            let (code, scim_type) = e.code();
            (
                Some(scim::code_name(code).to_owned()),
                Some(i32::from(scim::http_status(code))),
                scim_type.map(|t| t.as_str().to_owned()),
                Some(redact_quoted(&e.public_detail())),
            )
        }
        None => (None, None, None, None),
    };
    LogRecord {
        tenant_id: caller.tenant_id.clone(),
        id: crate::new_resource_id(),
        at_us,
        token_id: Some(caller.token_id.clone()),
        operation: intent.operation,
        resource_type: intent.resource_type,
        resource_id: intent.resource_id.clone(),
        outcome: if failure.is_some() {
            LogOutcome::Failure
        } else {
            LogOutcome::Success
        },
        grpc_code,
        http_status,
        scim_type,
        detail,
        attributes: AttributeNames(attributes.to_vec()),
        request_id: caller.request_id.clone(),
        trace_id: caller.trace_id.clone(),
    }
}

fn failure_entry(caller: &Caller, intent: &Intent, e: &CoreError) -> LogRecord {
    entry(caller, intent, now_us(), Some(e), &[])
}

/// Replaces the inside of every double-quoted run with `…`: error messages quote the
/// values they refuse (`userName "ada@x" is already taken`), and the log keeps none.
pub(crate) fn redact_quoted(detail: &str) -> String {
    let mut out = String::with_capacity(detail.len());
    let mut inside = false;
    let mut escaped = false;
    for c in detail.chars() {
        if inside {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    out.push_str("…\"");
                    inside = false;
                }
                _ => escaped = false,
            }
        } else {
            out.push(c);
            inside = c == '"';
        }
    }
    if inside {
        out.push_str("…\"");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_redacted_from_failure_details() {
        assert_eq!(
            redact_quoted(r#"userName "ada@contoso.com" is already taken"#),
            r#"userName "…" is already taken"#
        );
        assert_eq!(redact_quoted(r#"a "b\"c" d "e"#), r#"a "…" d "…""#);
        assert_eq!(redact_quoted("no quotes"), "no quotes");
    }
}
