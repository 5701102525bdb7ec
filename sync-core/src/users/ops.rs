//! The User operations, independent of transport: each takes the authenticated caller,
//! is scoped to the caller's tenant, and runs its storage work on the blocking pool
//! (inside the caller's span). Every write goes through `Core::logged`/`Core::commit`,
//! which also report its outcome to the core's telemetry.

use std::collections::HashMap;

use idsync_proto::v1::{GroupRef, ListUsersRequest, ListUsersResponse, PatchOperation, User};
use idsync_storage::query::MultiValuedAttr;
use idsync_storage::records::ResourceType;
use idsync_storage::records::{UserQuery, UserRecord};
use idsync_storage::{ChangeEvent, StorageError, Tx};

use super::convert::{record_to_user, user_to_record};
use super::diff::{changed_attributes, update_event, user_event};
use super::filter::{compile_user_filter, user_sort_key};
use super::patch::apply_patch;
use crate::Core;
use crate::auth::Caller;
use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};
use crate::groups::convert::membership_to_ref;
use crate::password::hash_password;
use crate::rules;
use crate::rules::scope::{Outcome, WriteKind};
use crate::write::{Effects, Intent, Operation, WriteError, check_version, judged, scope_detail};

impl Core {
    /// Creates a user in the caller's tenant. readOnly values in the request are ignored
    /// (RFC 7644 §3.3).
    pub async fn create_user(&self, caller: &Caller, user: User) -> CoreResult<User> {
        tracing::debug!(user_name = %user.user_name, "creating a user");
        let intent = Intent::new(Operation::Create, ResourceType::User, None);
        self.logged(caller, intent, |intent| async move {
            let (mut record, password) = self.user_record(user)?;
            // A new account is active unless the client says otherwise.
            record.active.get_or_insert(true);
            // The one readOnly leaf a User body can carry (`id`, `groups` and `meta` never
            // reach a record).
            record.manager_display_name = None;
            let now = now_us();
            record.tenant_id = caller.tenant_id.clone();
            record.id = crate::new_resource_id();
            record.created_us = now;
            record.last_modified_us = now;
            record.version = 1;
            record.created_by_token = Some(caller.token_id.clone());
            if let Some(password) = password {
                record.password_hash = Some(hash_password(password).await?);
            }
            let token = caller.token_id.clone();
            let cache = self.rules.clone();
            let (record, groups) = self
                .commit(caller, &intent, move |tx| -> Result<_, WriteError> {
                    let rules = cache.rules(tx, &record.tenant_id)?;
                    // A matching rule may link this identity to an account that exists.
                    let adopting = rules::matching::user_to_adopt(tx, &rules, &record, &token)?;
                    let (mut stored, adopted) = match adopting {
                        Some(existing) => {
                            let next = rules::matching::adopted(&existing, record, &token, now_us());
                            tx.update_user_from(&existing, &next, existing.version)
                                .map_err(WriteError::naming(&next.user_name))?;
                            (next, Some(existing))
                        }
                        None => {
                            tx.insert_user(&record).map_err(WriteError::naming(&record.user_name))?;
                            (record, None)
                        }
                    };
                    let outcome = rules::scope::scope_user(tx, &rules, &mut stored, WriteKind::Create)?;
                    // Only an adopted account can already belong to groups.
                    let groups = match &adopted {
                        Some(_) => group_refs(tx, &stored.tenant_id, &[&stored.id])?
                            .remove(&stored.id)
                            .unwrap_or_default(),
                        None => Vec::new(),
                    };
                    let effects = match &adopted {
                        // The account existed: to the feed it changed like an update.
                        Some(existing) => adoption(existing, &stored, &outcome),
                        None => created(&stored, &outcome),
                    };
                    Ok(((stored, groups), effects))
                })
                .await
                .map_err(|e| e.answer(ResourceType::User, None))?;
            Ok(record_to_user(&record, groups))
        })
        .await
    }

    /// Reads one user of the caller's tenant, with the groups it is a direct member of
    /// unless `exclude_groups` (which saves the lookup).
    pub async fn get_user(&self, caller: &Caller, id: String, exclude_groups: bool) -> CoreResult<User> {
        let (record, groups) = self.load_user(caller, &id, !exclude_groups).await?;
        Ok(record_to_user(&record, groups))
    }

    /// Lists users of the caller's tenant matching a SCIM filter (RFC 7644 §3.4.2).
    pub async fn list_users(&self, caller: &Caller, request: ListUsersRequest) -> CoreResult<ListUsersResponse> {
        let ListUsersRequest {
            filter,
            start_index,
            count,
            sort_by,
            sort_order,
            exclude_groups,
            // Cursor paging is `Core::seek_users`; the service routes it there.
            cursor: _,
        } = request;
        tracing::debug!(%filter, "listing users");
        let predicate = compile_user_filter(&filter, &self.settings.filter_limits)?;
        let (start_index, offset, limit) = self.page(start_index, count);
        let query = UserQuery {
            predicate,
            sort: user_sort_key(&sort_by, sort_order)?,
            offset,
            limit,
        };
        let (total, resources) = if query.is_keyed_lookup() {
            self.read_tenant_by_key(caller, move |tx, tenant| user_page(tx, tenant, &query, exclude_groups))
                .await?
        } else {
            self.read_tenant(caller, move |store, tenant| {
                store.read(|tx| user_page(tx, tenant, &query, exclude_groups))
            })
            .await?
        };
        Ok(ListUsersResponse {
            total_results: total,
            start_index,
            resources,
            next_cursor: None,
            previous_cursor: None,
        })
    }

    /// Replaces a user's writable attributes (HTTP PUT, RFC 7644 §3.5.1). readOnly
    /// attributes in the request are ignored; an absent password keeps the stored one.
    pub async fn replace_user(
        &self,
        caller: &Caller,
        id: String,
        user: User,
        if_match: Option<i64>,
    ) -> CoreResult<User> {
        let intent = Intent::new(Operation::Replace, ResourceType::User, Some(&id));
        self.logged(caller, intent, |intent| async move {
            let (record, groups) = self
                .rewrite_user(caller, &intent, &id, if_match, |current| {
                    // A PUT that leaves `active` out keeps it: a replace must neither
                    // re-enable a disabled account nor disable one by omission.
                    let mut user = user.clone();
                    user.active = user.active.or(current.active);
                    Ok(user)
                })
                .await?;
            Ok(record_to_user(&record, groups))
        })
        .await
    }

    /// Applies a SCIM PATCH to a user, all operations or none (RFC 7644 §3.5.2).
    pub async fn patch_user(
        &self,
        caller: &Caller,
        id: String,
        operations: Vec<PatchOperation>,
        if_match: Option<i64>,
    ) -> CoreResult<User> {
        self.check_patch_size(operations.len())?;
        let intent = Intent::new(Operation::Patch, ResourceType::User, Some(&id));
        self.logged(caller, intent, |intent| async move {
            let (record, groups) = self
                .rewrite_user(caller, &intent, &id, if_match, |current| {
                    let mut user = record_to_user(current, Vec::new());
                    apply_patch(&mut user, &operations)?;
                    Ok(user)
                })
                .await?;
            Ok(record_to_user(&record, groups))
        })
        .await
    }

    /// Deletes a user of the caller's tenant, and its memberships in every group: a
    /// `member_removed` event per group it leaves, then `deleted`.
    pub async fn delete_user(&self, caller: &Caller, id: String, if_match: Option<i64>) -> CoreResult<()> {
        self.delete_resource(
            caller,
            ResourceType::User,
            id,
            if_match,
            |tx, tenant, id, version, now| tx.delete_user(tenant, id, version, now),
        )
        .await
    }

    /// The record a User stands for ([`user_to_record`]), refused when one of its
    /// multi-valued attributes holds more than `max_values_per_attribute` values.
    fn user_record(&self, user: User) -> CoreResult<(UserRecord, Option<String>)> {
        let (record, password) = user_to_record(user)?;
        let max = self.settings.max_values_per_attribute;
        let mut counts: HashMap<MultiValuedAttr, usize> = HashMap::new();
        for (attr, _) in &record.children {
            let n = counts.entry(*attr).or_default();
            *n += 1;
            if *n > max {
                return Err(CoreError::invalid_value(format!(
                    "a multi-valued attribute may hold at most {max} values; {} has more",
                    crate::schema::USER_MULTI
                        .iter()
                        .find(|m| m.attr == *attr)
                        .map_or("one", |m| m.name)
                )));
            }
        }
        Ok((record, password))
    }

    /// One user and, when `with_groups`, the groups it is a direct member of: one
    /// snapshot, one more statement for the groups.
    async fn load_user(&self, caller: &Caller, id: &str, with_groups: bool) -> CoreResult<(UserRecord, Vec<GroupRef>)> {
        let lookup = id.to_string();
        let found = self.read_tenant_by_key(caller, move |tx, tenant| {
            let Some(record) = tx.get_user(tenant, &lookup)? else {
                return Ok(None);
            };
            let groups = if with_groups {
                group_refs(tx, tenant, &[&lookup])?.remove(&lookup).unwrap_or_default()
            } else {
                Vec::new()
            };
            Ok(Some((record, groups)))
        });
        found.await?.ok_or_else(|| CoreError::not_found("user", id))
    }

    /// Read-modify-write with optimistic concurrency, on the write skeleton: `change`
    /// computes the new content from the stored user; the write succeeds only if nobody
    /// wrote in between (the database checks the version), otherwise it is recomputed
    /// from the fresh state. Answers the user as stored, and its groups, read with it (no
    /// user write changes them).
    async fn rewrite_user<F>(
        &self,
        caller: &Caller,
        intent: &std::sync::Arc<Intent>,
        id: &str,
        if_match: Option<i64>,
        change: F,
    ) -> CoreResult<(UserRecord, Vec<GroupRef>)>
    where
        F: Fn(&UserRecord) -> CoreResult<User>,
    {
        self.retrying(ResourceType::User, id, if_match, || async {
            let (current, groups) = self.load_user(caller, id, true).await?;
            check_version(ResourceType::User, if_match, current.version)?;
            let (mut next, password) = self.user_record(change(&current)?)?;
            next.tenant_id = current.tenant_id.clone();
            next.id = current.id.clone();
            next.created_us = current.created_us;
            next.created_by_token = current.created_by_token.clone();
            next.adopted_by_token = current.adopted_by_token.clone();
            next.out_of_scope = current.out_of_scope;
            next.password_hash = current.password_hash.clone();
            // readOnly: a PUT body's value is ignored (RFC 7644 §3.5.1); PATCH refuses it.
            next.manager_display_name = current.manager_display_name.clone();
            next.last_modified_us = current.last_modified_us;
            next.version = current.version;
            if password.is_none() && next == current {
                // Nothing changed: no write, no new version (Entra re-sends unchanged values).
                return Ok(((current, groups), Outcome::Kept));
            }
            if let Some(password) = password {
                next.password_hash = Some(hash_password(password).await?);
            }
            next.version = current.version + 1;
            next.last_modified_us = now_us().max(current.last_modified_us);
            let expected = current.version;
            let cache = self.rules.clone();
            let (stored, outcome) = self
                .commit(caller, intent, move |tx| -> Result<_, WriteError> {
                    let mut stored = next;
                    // Only the values that differ from the version read are written.
                    tx.update_user_from(&current, &stored, expected)
                        .map_err(WriteError::naming(&stored.user_name))?;
                    let rules = cache.rules(tx, &stored.tenant_id)?;
                    let outcome = rules::scope::scope_user(tx, &rules, &mut stored, WriteKind::Update)?;
                    let effects = updated(&current, &stored, &outcome);
                    Ok(((stored, outcome), effects))
                })
                .await?;
            Ok(((stored, groups), outcome))
        })
        .await
    }
}

/// The effects of a user's creation: one `created` event naming the attributes set,
/// even when the scoping rule stored it disabled (`accept-disabled`: `active` false).
fn created(user: &UserRecord, outcome: &Outcome) -> Effects {
    let attributes = changed_attributes(&UserRecord::default(), user);
    Effects {
        resource_id: Some(user.id.clone()),
        attributes: attributes.clone(),
        events: vec![user_event(&user.id, ChangeEvent::Created, attributes)],
        detail: scope_detail(ResourceType::User, outcome),
        ..Effects::default()
    }
}

/// The effects of a create that the matching rule turned into the adoption of
/// `existing`: the event of an update of that account (`updated`, or `deactivated` /
/// `reactivated` when `active` flipped), logged as the create it was asked as, with the
/// adopted id.
fn adoption(existing: &UserRecord, adopted: &UserRecord, outcome: &Outcome) -> Effects {
    let attributes = changed_attributes(existing, adopted);
    let mut detail = String::from("adopted an existing user (matching rule policy adopt)");
    if let Some(scope) = scope_detail(ResourceType::User, outcome) {
        detail = format!("{detail}; {scope}");
    }
    Effects {
        resource_id: Some(adopted.id.clone()),
        attributes: attributes.clone(),
        events: vec![update_event(existing, adopted, attributes)],
        detail: Some(detail),
        adopted: true,
        ..Effects::default()
    }
}

/// The effects of an update of `current`, as the scoping rule left it: the update's
/// event (`deactivated` when the rule disabled the user, `reactivated` when it brought
/// it back), or, under the update policy `delete`, the delete's (see [`judged`]).
fn updated(current: &UserRecord, stored: &UserRecord, outcome: &Outcome) -> Effects {
    let attributes = changed_attributes(current, stored);
    let effects = Effects {
        attributes: attributes.clone(),
        events: vec![update_event(current, stored, attributes)],
        ..Effects::default()
    };
    judged(ResourceType::User, &stored.id, effects, outcome)
}

/// One page of users as the API shows them and how many match in all: the page, then
/// the groups of all its users in one query (none when `exclude_groups`). Run it in a
/// read transaction so that both see one snapshot.
pub(crate) fn user_page(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    query: &UserQuery,
    exclude_groups: bool,
) -> Result<(u64, Vec<User>), StorageError> {
    let page = tx.list_users(tenant_id, query)?;
    let mut groups = if exclude_groups || page.users.is_empty() {
        HashMap::new()
    } else {
        let ids: Vec<&str> = page.users.iter().map(|u| u.id.as_str()).collect();
        group_refs(tx, tenant_id, &ids)?
    };
    let users = page
        .users
        .iter()
        .map(|record| record_to_user(record, groups.remove(&record.id).unwrap_or_default()))
        .collect();
    Ok((page.total, users))
}

/// `User.groups` of each of `user_ids` (absent: in no group), in one query.
fn group_refs(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    user_ids: &[&str],
) -> Result<HashMap<String, Vec<GroupRef>>, StorageError> {
    Ok(tx
        .memberships(tenant_id, user_ids)?
        .into_iter()
        .map(|(user_id, groups)| (user_id, groups.iter().map(membership_to_ref).collect()))
        .collect())
}
