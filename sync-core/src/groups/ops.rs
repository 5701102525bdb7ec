//! The Group operations, independent of transport: each takes the authenticated caller,
//! is scoped to the caller's tenant, and runs its storage work on the blocking pool.
//!
//! Every write is one transaction: read the group's row (not its members), check
//! `If-Match`, check that every member to add is a user or group of the tenant, write
//! only the membership rows named, and bump the version when anything changed. A member
//! id that names nothing, or a member that a scoping rule put out of scope, fails the
//! whole request before anything is written. Then the tenant's Group scoping rule judges
//! the group as written (it may mark it, delete it or refuse the write), in the same
//! transaction, and the feed events say what that made of the write.

use std::collections::HashMap;

use idsync_proto::v1::{Group, ListGroupsRequest, ListGroupsResponse, PatchGroupResponse, PatchOperation};
use idsync_storage::records::{GroupQuery, GroupRecord, MemberRecord, MemberType, ResolvedMember, ResourceType};
use idsync_storage::{ChangeEvent, NewChange, StorageError, Tx};

use super::convert::{group_to_parts, record_to_group};
use super::filter::{compile_group_filter, group_sort_key};
use super::patch::{GroupPatch, MemberDelta, plan_patch};
use crate::Core;
use crate::auth::Caller;
use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};
use crate::rules;
use crate::rules::scope::WriteKind;
use crate::write::{Effects, Intent, Operation, WriteError, check_version, judged, scope_detail};

/// The group after a write (when asked for) and its version.
type Written = (Option<GroupRecord>, i64);

impl Core {
    /// Creates a group in the caller's tenant, with the members it names (Entra creates
    /// groups empty and adds members by PATCH).
    pub async fn create_group(&self, caller: &Caller, group: Group) -> CoreResult<Group> {
        let intent = Intent::new(Operation::Create, ResourceType::Group, None);
        self.logged(caller, intent, |intent| async move {
            let (record, member_ids) = group_to_parts(group)?;
            let now = now_us();
            let record = GroupRecord {
                tenant_id: caller.tenant_id.clone(),
                id: crate::new_resource_id(),
                created_us: now,
                last_modified_us: now,
                version: 1,
                created_by_token: Some(caller.token_id.clone()),
                ..record
            };
            let cache = self.rules.clone();
            let stored = self
                .commit(caller, &intent, move |tx| {
                    let members = resolve_members(tx, &record.tenant_id, &member_ids)?;
                    let record = GroupRecord { members, ..record };
                    tx.insert_group(&record)
                        .map_err(WriteError::naming(&record.display_name))?;
                    let rules = cache.rules(tx, &record.tenant_id)?;
                    let outcome =
                        rules::scope::scope_group(tx, &rules, &record.tenant_id, &record.id, WriteKind::Create)?;
                    let mut effects = creation(&record);
                    effects.detail = scope_detail(ResourceType::Group, &outcome);
                    if record.members.is_empty() {
                        return Ok((record, effects));
                    }
                    // Read back so that members show their names.
                    let stored = tx.get_group(&record.tenant_id, &record.id, true)?;
                    Ok((stored.unwrap_or(record), effects))
                })
                .await
                .map_err(|e: WriteError| e.answer(ResourceType::Group, None))?;
            Ok(record_to_group(&stored, false))
        })
        .await
    }

    /// Reads one group of the caller's tenant; its members only unless excluded.
    pub async fn get_group(&self, caller: &Caller, id: String, exclude_members: bool) -> CoreResult<Group> {
        let lookup = id.clone();
        let record = self
            .read_tenant(caller, move |store, tenant| {
                store.get_group(tenant, &lookup, !exclude_members)
            })
            .await?
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
            // Cursor paging is `Core::seek_groups`; the service routes it there.
            cursor: _,
        } = request;
        let (start_index, offset, limit) = self.page(start_index, count);
        let query = GroupQuery {
            predicate: compile_group_filter(&filter, &self.settings.filter_limits)?,
            sort: group_sort_key(&sort_by, sort_order)?,
            offset,
            limit,
            with_members: !exclude_members,
        };
        let page = self
            .read_tenant(caller, move |store, tenant| store.list_groups(tenant, &query))
            .await?;
        Ok(ListGroupsResponse {
            total_results: page.total,
            start_index,
            resources: page
                .groups
                .iter()
                .map(|g| record_to_group(g, exclude_members))
                .collect(),
            next_cursor: None,
            previous_cursor: None,
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
        let intent = Intent::new(Operation::Replace, ResourceType::Group, Some(&id));
        self.logged(caller, intent, |intent| async move {
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
            let (group, _) = self
                .write_group(caller, &intent, &id, if_match, change, Some(true))
                .await?;
            let group = group.ok_or_else(|| CoreError::not_found("group", &id))?;
            Ok(record_to_group(&group, false))
        })
        .await
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
        self.check_patch_size(operations.len())?;
        let intent = Intent::new(Operation::Patch, ResourceType::Group, Some(&id));
        self.logged(caller, intent, |intent| async move {
            let change = plan_patch(&operations)?;
            let read_back = return_group.then_some(!exclude_members);
            let (group, version) = self
                .write_group(caller, &intent, &id, if_match, change, read_back)
                .await?;
            Ok(PatchGroupResponse {
                group: group.map(|g| record_to_group(&g, exclude_members)),
                version,
            })
        })
        .await
    }

    /// Deletes a group of the caller's tenant with its memberships, both its own members
    /// and its place in other groups.
    pub async fn delete_group(&self, caller: &Caller, id: String, if_match: Option<i64>) -> CoreResult<()> {
        self.delete_resource(
            caller,
            ResourceType::Group,
            id,
            if_match,
            |tx, tenant, id, version, now| tx.delete_group(tenant, id, version, now),
        )
        .await
    }

    /// Applies `change` in one transaction with optimistic concurrency, retried when
    /// another writer got there first (unless the caller named a version). With
    /// `read_back = Some(with_members)` the group as stored afterwards comes back too.
    async fn write_group(
        &self,
        caller: &Caller,
        intent: &std::sync::Arc<Intent>,
        id: &str,
        if_match: Option<i64>,
        change: GroupPatch,
        read_back: Option<bool>,
    ) -> CoreResult<Written> {
        if change.members.add.contains(id) {
            return Err(CoreError::invalid_value(format!(
                "group {id:?} cannot be a member of itself"
            )));
        }
        let change = std::sync::Arc::new(change);
        self.retrying(ResourceType::Group, id, if_match, || {
            let tenant = caller.tenant_id.clone();
            let target = id.to_owned();
            let change = change.clone();
            let cache = self.rules.clone();
            self.commit(caller, intent, move |tx| {
                let (written, effects) = apply_change(tx, &tenant, &target, if_match, &change, read_back)?;
                let rules = cache.rules(tx, &tenant)?;
                let outcome = rules::scope::scope_group(tx, &rules, &tenant, &target, WriteKind::Update)?;
                let effects = judged(ResourceType::Group, &target, effects, &outcome);
                Ok(((written, outcome), effects))
            })
        })
        .await
    }
}

/// One group write inside its transaction (see the module documentation), with its
/// feed events: `renamed` or `updated` for the group's own attributes, then one
/// `member_removed` / `member_added` per member whose membership really changed (a PUT
/// that clears and re-adds a member changes nothing for it).
fn apply_change(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    id: &str,
    if_match: Option<i64>,
    change: &GroupPatch,
    read_back: Option<bool>,
) -> Result<(Written, Effects), WriteError> {
    let current = tx.get_group(tenant_id, id, false)?.ok_or(StorageError::NotFound)?;
    check_version(ResourceType::Group, if_match, current.version)?;
    let add: Vec<String> = change.members.add.iter().cloned().collect();
    // Writes that nest groups take turns per tenant, before any row lock, so that two
    // of them cannot each pass the cycle check on a snapshot without the other's edge.
    if !add.is_empty() && !tx.groups_among(tenant_id, &add)?.is_empty() {
        tx.lock_group_nesting(tenant_id)?;
    }
    let added = resolve_members(tx, tenant_id, &add)?;
    refuse_cycles(tx, tenant_id, id, &added)?;
    let mut removed: Vec<MemberRecord> = Vec::new();
    if change.members.clear {
        removed.extend(tx.clear_members(tenant_id, id)?);
    }
    if !change.members.remove.is_empty() {
        let remove: Vec<String> = change.members.remove.iter().cloned().collect();
        removed.extend(tx.remove_members(tenant_id, id, &remove)?);
    }
    let added_ids = if added.is_empty() {
        Vec::new()
    } else {
        tx.add_members(tenant_id, id, &added)?
    };
    let mut next = current.clone();
    if let Some(display_name) = &change.display_name {
        next.display_name.clone_from(display_name);
    }
    if let Some(external_id) = &change.external_id {
        next.external_id.clone_from(external_id);
    }
    let effects = change_effects(&current, &next, &added, &added_ids, removed);
    // Nothing changed (Entra re-sends members it already added): no write, no version.
    if !effects.attributes.is_empty() {
        next.version = current.version + 1;
        next.last_modified_us = now_us().max(current.last_modified_us);
        tx.update_group(&next, current.version)
            .map_err(WriteError::naming(&next.display_name))?;
    }
    let group = match read_back {
        Some(with_members) => tx.get_group(tenant_id, id, with_members)?,
        None => None,
    };
    Ok(((group, next.version), effects))
}

/// The events and changed attribute names of a group write.
fn change_effects(
    current: &GroupRecord,
    next: &GroupRecord,
    resolved: &[MemberRecord],
    added_ids: &[String],
    removed: Vec<MemberRecord>,
) -> Effects {
    let mut attributes = Vec::new();
    if current.display_name != next.display_name {
        attributes.push("displayName".to_owned());
    }
    if current.external_id != next.external_id {
        attributes.push("externalId".to_owned());
    }
    let mut events = Vec::new();
    if !attributes.is_empty() {
        let event = if attributes.iter().any(|a| a == "displayName") {
            ChangeEvent::Renamed
        } else {
            ChangeEvent::Updated
        };
        events.push(group_event(&current.id, event, attributes.clone()));
    }
    // Net membership change: a member both removed (by a clear) and re-added stays.
    let added: HashMap<&str, MemberType> = resolved
        .iter()
        .filter(|m| added_ids.contains(&m.id))
        .map(|m| (m.id.as_str(), m.member_type))
        .collect();
    let removed_ids: HashMap<&str, MemberType> = removed.iter().map(|m| (m.id.as_str(), m.member_type)).collect();
    let mut gone: Vec<(&str, MemberType)> = removed_ids
        .iter()
        .filter(|(id, _)| !added.contains_key(*id))
        .map(|(id, t)| (*id, *t))
        .collect();
    gone.sort_by_key(|(id, _)| *id);
    let mut new: Vec<(&str, MemberType)> = added
        .iter()
        .filter(|(id, _)| !removed_ids.contains_key(*id))
        .map(|(id, t)| (*id, *t))
        .collect();
    new.sort_by_key(|(id, _)| *id);
    for (member, t) in &gone {
        events.push(NewChange::membership(
            &current.id,
            member,
            *t,
            ChangeEvent::MemberRemoved,
        ));
    }
    for (member, t) in &new {
        events.push(NewChange::membership(&current.id, member, *t, ChangeEvent::MemberAdded));
    }
    if !gone.is_empty() || !new.is_empty() {
        attributes.push("members".to_owned());
    }
    Effects {
        resource_id: None,
        attributes,
        events,
        ..Effects::default()
    }
}

/// The effects of a group's creation: `created`, then `member_added` per member.
fn creation(record: &GroupRecord) -> Effects {
    let mut attributes = vec!["displayName".to_owned()];
    if record.external_id.is_some() {
        attributes.push("externalId".to_owned());
    }
    if !record.members.is_empty() {
        attributes.push("members".to_owned());
    }
    let mut events = vec![group_event(&record.id, ChangeEvent::Created, attributes.clone())];
    events.extend(
        record
            .members
            .iter()
            .map(|m| NewChange::membership(&record.id, &m.id, m.member_type, ChangeEvent::MemberAdded)),
    );
    Effects {
        resource_id: Some(record.id.clone()),
        attributes,
        events,
        ..Effects::default()
    }
}

fn group_event(id: &str, event: ChangeEvent, attributes: Vec<String>) -> NewChange {
    NewChange::of(ResourceType::Group, id, event, attributes)
}

/// Refuses to add to group `id` a group that already contains it at any depth (or is
/// it): nested groups must form no cycle, or "the members of a group, transitively"
/// would have no answer.
fn refuse_cycles(tx: &mut Tx<'_>, tenant_id: &str, id: &str, added: &[MemberRecord]) -> Result<(), WriteError> {
    let nested: Vec<String> = added
        .iter()
        .filter(|m| m.member_type == MemberType::Group)
        .map(|m| m.id.clone())
        .collect();
    if nested.is_empty() || !tx.reaches(tenant_id, &nested, id)? {
        return Ok(());
    }
    let mut culprits = Vec::new();
    for group in &nested {
        if tx.reaches(tenant_id, std::slice::from_ref(group), id)? {
            culprits.push(group.as_str());
        }
    }
    Err(WriteError::Refused(CoreError::invalid_value(format!(
        "group {id:?} is already nested in {culprits:?}: adding them as members would make a cycle"
    ))))
}

/// The members `ids` name, typed; refused naming every id that names no user or group
/// of the tenant, or when one is out of scope.
fn resolve_members(tx: &mut Tx<'_>, tenant_id: &str, ids: &[String]) -> Result<Vec<MemberRecord>, WriteError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: HashMap<String, ResolvedMember> = tx
        .resolve_members(tenant_id, ids)?
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    let mut members = Vec::with_capacity(ids.len());
    let mut unknown = Vec::new();
    let mut out_of_scope = Vec::new();
    for id in ids {
        match found.get(id) {
            Some(member) => {
                if member.out_of_scope {
                    out_of_scope.push(id.as_str());
                }
                members.push(MemberRecord {
                    id: id.clone(),
                    member_type: member.member_type,
                    display: None,
                });
            }
            None => unknown.push(id.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(WriteError::Refused(unknown_members(&unknown)));
    }
    // A member that a scoping rule disabled is not provisioned: it joins no group.
    if !out_of_scope.is_empty() {
        return Err(WriteError::Refused(rules::scope::out_of_scope_refusal(&out_of_scope)));
    }
    Ok(members)
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
