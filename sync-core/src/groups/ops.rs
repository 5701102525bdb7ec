//! The Group operations, independent of transport: each takes the authenticated caller,
//! is scoped to the caller's tenant, and runs its storage work on the blocking pool.
//!
//! Every write is one transaction: read the group's row (not its members), check
//! `If-Match`, check that every member to add is a user or group of the tenant, write
//! only the membership rows named, and bump the version when anything changed. A member
//! id that names nothing fails the whole request before anything is written.
//!
//! Storage work runs inside the caller's span, and every write reports its outcome to
//! the core's telemetry (as the User writes do).

use std::collections::HashMap;

use idsync_proto::v1::{Group, ListGroupsRequest, ListGroupsResponse, PatchGroupResponse, PatchOperation};
use idsync_storage::records::{GroupQuery, GroupRecord, MemberRecord, MemberType};
use idsync_storage::{StorageError, Tx};
use idsync_telemetry::provisioning::{Operation, Outcome, ResourceType};

use super::convert::{group_to_parts, record_to_group};
use super::filter::{compile_group_filter, group_sort_key};
use super::patch::{GroupPatch, MemberDelta, plan_patch};
use crate::auth::Caller;
use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};
use crate::rules;
use crate::rules::scope::{Outcome as Scoped, WriteKind};
use crate::telemetry::in_current_span;
use crate::{Core, MAX_WRITE_ATTEMPTS};

/// A write refused inside its transaction, before it wrote anything: some member ids
/// name no user or group of the tenant, or one a scoping rule put out of scope.
struct Refused(CoreError);

/// The group after a write (when asked for) and its version.
type Written = (Option<GroupRecord>, i64);

/// What a replace or PATCH of a group did.
enum GroupWrite {
    /// Stored: `Updated`, or `Unchanged` when nothing changed (no new version).
    Stored(Written, Outcome),
    /// The scoping rule's update policy `delete` deleted the group (committed).
    DeletedByRule,
}

impl Core {
    /// Creates a group in the caller's tenant, with the members it names (Entra creates
    /// groups empty and adds members by PATCH).
    pub async fn create_group(&self, caller: &Caller, group: Group) -> CoreResult<Group> {
        let created = self.insert_new_group(caller, group).await;
        let id = created.as_ref().map(|g| g.id.as_str()).unwrap_or_default();
        let outcome = created.as_ref().map(|_| Outcome::Created);
        self.telemetry
            .operation(caller, ResourceType::Group, Operation::Create, id, outcome);
        created
    }

    async fn insert_new_group(&self, caller: &Caller, group: Group) -> CoreResult<Group> {
        let (record, member_ids) = group_to_parts(group)?;
        let now = now_us();
        let record = GroupRecord {
            tenant_id: caller.tenant_id.clone(),
            id: uuid::Uuid::new_v4().to_string(),
            created_us: now,
            last_modified_us: now,
            version: 1,
            created_by_token: Some(caller.token_id.clone()),
            ..record
        };
        let display_name = record.display_name.clone();
        let store = self.store.clone();
        let stored = tokio::task::spawn_blocking(in_current_span(move || {
            store.write(|tx| -> CoreResult<GroupRecord> {
                let members = resolve_members(tx, &record.tenant_id, &member_ids)
                    .map_err(|e| write_error(e, &display_name, None))?
                    .map_err(|Refused(e)| e)?;
                let record = GroupRecord { members, ..record };
                tx.insert_group(&record)
                    .map_err(|e| write_error(e, &display_name, None))?;
                rules::scope::scope_group(tx, &record.tenant_id, &record.id, WriteKind::Create)?;
                if record.members.is_empty() {
                    return Ok(record);
                }
                // Read back so that members show their names.
                let stored = tx.get_group(&record.tenant_id, &record.id, true)?;
                Ok(stored.unwrap_or(record))
            })
        }))
        .await??;
        Ok(record_to_group(&stored, false))
    }

    /// Reads one group of the caller's tenant; its members only unless excluded.
    pub async fn get_group(&self, caller: &Caller, id: String, exclude_members: bool) -> CoreResult<Group> {
        let store = self.store.clone();
        let tenant = caller.tenant_id.clone();
        let lookup = id.clone();
        let record = tokio::task::spawn_blocking(in_current_span(move || {
            store.get_group(&tenant, &lookup, !exclude_members)
        }))
        .await??
        .ok_or_else(|| CoreError::not_found("group", &id))?;
        Ok(record_to_group(&record, exclude_members))
    }

    /// Lists groups of the caller's tenant matching a SCIM filter (RFC 7644 §3.4.2).
    /// With `exclude_members`, members are not even read.
    pub async fn list_groups(&self, caller: &Caller, request: ListGroupsRequest) -> CoreResult<ListGroupsResponse> {
        let ListGroupsRequest {
            filter,
            start_index,
            count,
            sort_by,
            sort_order,
            exclude_members,
        } = request;
        let (start_index, offset, limit) = self.page(start_index, count);
        let query = GroupQuery {
            predicate: compile_group_filter(&filter)?,
            sort: group_sort_key(&sort_by, sort_order)?,
            offset,
            limit,
            with_members: !exclude_members,
        };
        let store = self.store.clone();
        let tenant = caller.tenant_id.clone();
        let page = tokio::task::spawn_blocking(in_current_span(move || store.list_groups(&tenant, &query))).await??;
        Ok(ListGroupsResponse {
            total_results: page.total,
            start_index,
            resources: page
                .groups
                .iter()
                .map(|g| record_to_group(g, exclude_members))
                .collect(),
        })
    }

    /// Replaces a group's writable attributes and its whole member list (HTTP PUT,
    /// RFC 7644 §3.5.1).
    pub async fn replace_group(
        &self,
        caller: &Caller,
        id: String,
        group: Group,
        if_match: Option<i64>,
    ) -> CoreResult<Group> {
        let (record, member_ids) = group_to_parts(group)?;
        let change = GroupPatch {
            display_name: Some(record.display_name),
            external_id: Some(record.external_id),
            members: MemberDelta {
                clear: true,
                add: member_ids.into_iter().collect(),
                ..MemberDelta::default()
            },
        };
        let written = self.write_group(caller, &id, if_match, change, Some(true)).await;
        let (group, _) = self.finish_group_write(caller, Operation::Replace, &id, written)?;
        let group = group.ok_or_else(|| CoreError::not_found("group", &id))?;
        Ok(record_to_group(&group, false))
    }

    /// Applies a SCIM PATCH to a group, all operations or none (RFC 7644 §3.5.2). The
    /// group comes back only when `return_group` asks for it (without members when
    /// `exclude_members`); the new version always does.
    pub async fn patch_group(
        &self,
        caller: &Caller,
        id: String,
        operations: Vec<PatchOperation>,
        if_match: Option<i64>,
        return_group: bool,
        exclude_members: bool,
    ) -> CoreResult<PatchGroupResponse> {
        let read_back = return_group.then_some(!exclude_members);
        let written = match plan_patch(&operations) {
            Ok(change) => self.write_group(caller, &id, if_match, change, read_back).await,
            Err(e) => Err(e),
        };
        let (group, version) = self.finish_group_write(caller, Operation::Patch, &id, written)?;
        Ok(PatchGroupResponse {
            group: group.map(|g| record_to_group(&g, exclude_members)),
            version,
        })
    }

    /// Deletes a group of the caller's tenant with its memberships, both its own members
    /// and its place in other groups.
    pub async fn delete_group(&self, caller: &Caller, id: String, if_match: Option<i64>) -> CoreResult<()> {
        let store = self.store.clone();
        let tenant = caller.tenant_id.clone();
        let lookup = id.clone();
        let deleted = tokio::task::spawn_blocking(in_current_span(move || {
            store.delete_group(&tenant, &lookup, if_match, now_us())
        }))
        .await
        .map_err(CoreError::from)
        .and_then(|r| {
            r.map_err(|e| match e {
                StorageError::NotFound => CoreError::not_found("group", &id),
                other => other.into(),
            })
        });
        let outcome = deleted.as_ref().map(|()| Outcome::Deleted);
        self.telemetry
            .operation(caller, ResourceType::Group, Operation::Delete, &id, outcome);
        deleted
    }

    /// Reports a group replace or PATCH and hands back what it wrote. An update that the
    /// scoping rule's `delete` policy turned into a delete counts as `deleted`, though
    /// the caller is answered 404.
    fn finish_group_write(
        &self,
        caller: &Caller,
        operation: Operation,
        id: &str,
        result: CoreResult<GroupWrite>,
    ) -> CoreResult<Written> {
        let outcome = match &result {
            Ok(GroupWrite::Stored(_, outcome)) => Ok(*outcome),
            Ok(GroupWrite::DeletedByRule) => Ok(Outcome::Deleted),
            Err(e) => Err(e),
        };
        self.telemetry
            .operation(caller, ResourceType::Group, operation, id, outcome);
        match result? {
            GroupWrite::Stored(written, _) => Ok(written),
            GroupWrite::DeletedByRule => Err(CoreError::NotFound(format!(
                "group {id:?} left the tenant's Group scoping rule and was deleted (update policy delete)"
            ))),
        }
    }

    /// Applies `change` in one transaction with optimistic concurrency, retried when
    /// another writer got there first (unless the caller named a version). With
    /// `read_back = Some(with_members)` the group as stored afterwards comes back too.
    async fn write_group(
        &self,
        caller: &Caller,
        id: &str,
        if_match: Option<i64>,
        change: GroupPatch,
        read_back: Option<bool>,
    ) -> CoreResult<GroupWrite> {
        if change.members.add.contains(id) {
            return Err(CoreError::invalid_value(format!(
                "group {id:?} cannot be a member of itself"
            )));
        }
        let display_name = change.display_name.clone().unwrap_or_default();
        let change = std::sync::Arc::new(change);
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let store = self.store.clone();
            let tenant = caller.tenant_id.clone();
            let target = id.to_owned();
            let change = change.clone();
            let display_name = display_name.clone();
            let written = tokio::task::spawn_blocking(in_current_span(move || {
                store.write(|tx| -> CoreResult<(Written, bool, Scoped)> {
                    let (written, changed) = apply_change(tx, &tenant, &target, if_match, &change, read_back)
                        .map_err(|e| write_error(e, &display_name, Some(&target)))?
                        .map_err(|Refused(e)| e)?;
                    let outcome = rules::scope::scope_group(tx, &tenant, &target, WriteKind::Update)?;
                    Ok((written, changed, outcome))
                })
            }))
            .await?;
            match written {
                Ok((written, changed, Scoped::Kept)) => {
                    let outcome = if changed { Outcome::Updated } else { Outcome::Unchanged };
                    return Ok(GroupWrite::Stored(written, outcome));
                }
                Ok((_, _, Scoped::Deleted)) => return Ok(GroupWrite::DeletedByRule),
                Err(CoreError::VersionMismatch(_)) if if_match.is_none() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(CoreError::VersionMismatch(
            "the group kept changing concurrently; retry".into(),
        ))
    }
}

/// One group write inside its transaction (see the module documentation); also tells
/// whether anything changed.
fn apply_change(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    id: &str,
    if_match: Option<i64>,
    change: &GroupPatch,
    read_back: Option<bool>,
) -> Result<Result<(Written, bool), Refused>, StorageError> {
    let current = tx.get_group(tenant_id, id, false)?.ok_or(StorageError::NotFound)?;
    if let Some(expected) = if_match
        && expected != current.version
    {
        return Err(StorageError::VersionMismatch {
            current: current.version,
        });
    }
    let add: Vec<String> = change.members.add.iter().cloned().collect();
    let added = match resolve_members(tx, tenant_id, &add)? {
        Ok(members) => members,
        Err(unknown) => return Ok(Err(unknown)),
    };
    let mut changed_rows = 0;
    if change.members.clear {
        changed_rows += tx.clear_members(tenant_id, id)?;
    }
    if !change.members.remove.is_empty() {
        let remove: Vec<String> = change.members.remove.iter().cloned().collect();
        changed_rows += tx.remove_members(tenant_id, id, &remove)?;
    }
    if !added.is_empty() {
        changed_rows += tx.add_members(tenant_id, id, &added)?;
    }
    let mut next = current.clone();
    if let Some(display_name) = &change.display_name {
        next.display_name.clone_from(display_name);
    }
    if let Some(external_id) = &change.external_id {
        next.external_id.clone_from(external_id);
    }
    // Nothing changed (Entra re-sends members it already added): no write, no version.
    let changed = next != current || changed_rows > 0;
    if changed {
        next.version = current.version + 1;
        next.last_modified_us = now_us().max(current.last_modified_us);
        tx.update_group(&next, current.version)?;
    }
    let group = match read_back {
        Some(with_members) => tx.get_group(tenant_id, id, with_members)?,
        None => None,
    };
    Ok(Ok(((group, next.version), changed)))
}

/// The members `ids` name, typed, or every id that names no user or group of the tenant.
fn resolve_members(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    ids: &[String],
) -> Result<Result<Vec<MemberRecord>, Refused>, StorageError> {
    if ids.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let found: HashMap<String, MemberType> = tx.resolve_members(tenant_id, ids)?.into_iter().collect();
    let mut members = Vec::with_capacity(ids.len());
    let mut unknown = Vec::new();
    for id in ids {
        match found.get(id) {
            Some(member_type) => members.push(MemberRecord {
                id: id.clone(),
                member_type: *member_type,
                display: None,
            }),
            None => unknown.push(id.clone()),
        }
    }
    if !unknown.is_empty() {
        return Ok(Err(Refused(unknown_members(&unknown))));
    }
    // A member that a scoping rule disabled is not provisioned: it joins no group.
    if let Some(refusal) = rules::scope::out_of_scope_members(tx, tenant_id, ids)? {
        return Ok(Err(Refused(refusal)));
    }
    Ok(Ok(members))
}

/// 400 `invalidValue` naming (the first few of) the ids that name nothing.
fn unknown_members(ids: &[String]) -> CoreError {
    const SHOWN: usize = 10;
    let mut named = ids
        .iter()
        .take(SHOWN)
        .map(|id| format!("{id:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        named.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    CoreError::invalid_value(format!(
        "no user or group of this tenant has the id {named}; the request changed nothing"
    ))
}

fn write_error(e: StorageError, display_name: &str, id: Option<&str>) -> CoreError {
    match (e, id) {
        (StorageError::Conflict { .. }, _) => CoreError::Uniqueness(format!(
            "displayName {display_name:?} is already taken (group displayName is unique ignoring case)"
        )),
        (StorageError::NotFound, Some(id)) => CoreError::not_found("group", id),
        (other, _) => other.into(),
    }
}
