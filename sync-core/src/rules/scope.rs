//! Scoping rules applied inside a write's transaction, to the row it just wrote.
//!
//! The question "is this resource in scope" is one SQL query over that row with the
//! rule's filter compiled exactly as a list filter, so a rule and `GET /Users?filter=`
//! can never disagree. What follows from the answer is [`decide`], a pure function.

use idsync_storage::Tx;
use idsync_storage::records::{CreatePolicy, ScopingRuleRecord, UpdatePolicy, UserRecord};

use super::cache::TenantRules;
use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};

/// Which kind of write produced the row being judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteKind {
    /// A create (an adoption by a matching rule counts as one: the request is a POST).
    Create,
    /// A replace or a PATCH.
    Update,
}

/// What the scoping rule makes of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Nothing to do.
    Keep,
    /// Back in scope (or no rule any more): clear the marker, activate.
    Restore,
    /// Out of scope: mark it, deactivate.
    Disable,
    /// Out of scope, policy `delete`: delete it in this transaction.
    Delete,
    /// Out of scope, policy `reject`: abort the transaction.
    Reject,
}

/// What the rule decides for a write of `kind` whose result is `in_scope`, given that
/// the resource was `marked` out of scope before it.
///
/// An update policy applies only when an update *moves* a resource out of scope: one
/// already marked stays marked and disabled whatever it is sent, until a write brings it
/// back. A resource that was never judged (stored before the rule existed) is judged on
/// its first update.
pub(crate) fn decide(rule: Option<&ScopingRuleRecord>, kind: WriteKind, in_scope: bool, marked: bool) -> Decision {
    let Some(rule) = rule.filter(|_| !in_scope) else {
        return if marked { Decision::Restore } else { Decision::Keep };
    };
    match kind {
        WriteKind::Create => match rule.create_policy {
            CreatePolicy::Reject => Decision::Reject,
            CreatePolicy::AcceptDisabled => Decision::Disable,
        },
        WriteKind::Update if marked => Decision::Disable,
        WriteKind::Update => match rule.update_policy {
            UpdatePolicy::Deactivate => Decision::Disable,
            UpdatePolicy::Delete => Decision::Delete,
            UpdatePolicy::Reject => Decision::Reject,
        },
    }
}

/// What the scoping rule did to the write that [`scope_user`] or [`scope_group`]
/// judged, so that the write's feed events and log entry can say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Stored as the write left it (perhaps still disabled and marked from before).
    Kept,
    /// Stored, and this write marked it out of scope (a user is also deactivated).
    Disabled,
    /// Stored, and this write brought it back in scope (a user is also reactivated).
    Restored,
    /// The update policy `delete` deleted it; the ids of the groups it left.
    Deleted(Vec<String>),
}

/// Judges the user that `kind` has just written as `user` (already stored, in this
/// transaction) under the tenant's `rules` and applies the decision; `user` comes back
/// as stored afterwards.
pub(crate) fn scope_user(
    tx: &mut Tx<'_>,
    rules: &TenantRules,
    user: &mut UserRecord,
    kind: WriteKind,
) -> CoreResult<Outcome> {
    let in_scope = match &rules.user_scope {
        Some((_, predicate)) => tx.user_satisfies(&user.tenant_id, &user.id, predicate)?,
        None => true,
    };
    let rule = rules.user_scope.as_ref().map(|(rule, _)| rule);
    Ok(match decide(rule, kind, in_scope, user.out_of_scope) {
        Decision::Keep => Outcome::Kept,
        Decision::Restore if set_user(tx, user, false, true)? => Outcome::Restored,
        Decision::Disable if set_user(tx, user, true, false)? => Outcome::Disabled,
        Decision::Restore | Decision::Disable => Outcome::Kept,
        Decision::Delete => {
            let left = tx.delete_user(&user.tenant_id, &user.id, None, now_us())?;
            Outcome::Deleted(left)
        }
        Decision::Reject => return Err(refused("user", &user.user_name, rule, kind)),
    })
}

/// Sets the marker and `active`; whether the stored row changed.
fn set_user(tx: &mut Tx<'_>, user: &mut UserRecord, out_of_scope: bool, active: bool) -> CoreResult<bool> {
    if user.out_of_scope == out_of_scope && user.active == Some(active) {
        return Ok(false);
    }
    tx.set_user_scope(&user.tenant_id, &user.id, out_of_scope, active)?;
    user.out_of_scope = out_of_scope;
    user.active = Some(active);
    Ok(true)
}

/// Judges the group `(tenant_id, id)` that `kind` has just written, as [`scope_user`]
/// does a user. Groups have no `active`: disabling one marks it out of scope, so it
/// cannot become a member of another group.
pub(crate) fn scope_group(
    tx: &mut Tx<'_>,
    rules: &TenantRules,
    tenant_id: &str,
    id: &str,
    kind: WriteKind,
) -> CoreResult<Outcome> {
    let in_scope = match &rules.group_scope {
        Some((_, predicate)) => tx.group_satisfies(tenant_id, id, predicate)?,
        None => true,
    };
    let marked = kind == WriteKind::Update && tx.group_out_of_scope(tenant_id, id)? == Some(true);
    let rule = rules.group_scope.as_ref().map(|(rule, _)| rule);
    match decide(rule, kind, in_scope, marked) {
        Decision::Keep => {}
        Decision::Restore => {
            tx.set_group_scope(tenant_id, id, false)?;
            return Ok(Outcome::Restored);
        }
        Decision::Disable if marked => {}
        Decision::Disable => {
            tx.set_group_scope(tenant_id, id, true)?;
            return Ok(Outcome::Disabled);
        }
        Decision::Delete => {
            let parents = tx.delete_group(tenant_id, id, None, now_us())?;
            return Ok(Outcome::Deleted(parents));
        }
        Decision::Reject => {
            let name = tx
                .get_group(tenant_id, id, false)?
                .map(|g| g.display_name)
                .unwrap_or_default();
            return Err(refused("group", &name, rule, kind));
        }
    }
    Ok(Outcome::Kept)
}

/// 400 `invalidValue` naming the rule that refused the write ([`CoreError::OutOfScope`],
/// which telemetry counts as `rejected_out_of_scope`).
fn refused(what: &str, name: &str, rule: Option<&ScopingRuleRecord>, kind: WriteKind) -> CoreError {
    let filter = rule.map(|r| r.filter.as_str()).unwrap_or_default();
    let (verb, policy) = match kind {
        WriteKind::Create => ("created", "create policy reject"),
        WriteKind::Update => ("updated", "update policy reject"),
    };
    CoreError::OutOfScope(format!(
        "{what} {name:?} cannot be {verb}: it does not satisfy the tenant's {} scoping rule `{filter}` ({policy}); nothing was changed",
        rule.map(|r| r.resource.as_str()).unwrap_or_default(),
    ))
}

/// The 400 `invalidValue` that refuses a write adding the members `ids`, which a
/// scoping rule put out of scope (storage reports the mark when it resolves members).
pub(crate) fn out_of_scope_refusal(ids: &[&str]) -> CoreError {
    let named = ids.iter().map(|id| format!("{id:?}")).collect::<Vec<_>>().join(", ");
    CoreError::invalid_value(format!(
        "{named} cannot be added to a group: out of scope of the tenant's scoping rule; the request changed nothing"
    ))
}
