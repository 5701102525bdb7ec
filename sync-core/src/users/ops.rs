//! The User operations, independent of transport: each takes the authenticated caller,
//! is scoped to the caller's tenant, and runs its storage work on the blocking pool.

use std::collections::HashMap;

use idsync_proto::v1::{GroupRef, ListUsersRequest, ListUsersResponse, PatchOperation, User};
use idsync_storage::records::{UserQuery, UserRecord};
use idsync_storage::{StorageError, Tx};

use super::convert::{record_to_user, user_to_record};
use super::diff::{USER, changed_attributes, update_event, user_event};
use super::filter::{compile_user_filter, user_sort_key};
use super::patch::apply_patch;
use crate::auth::Caller;
use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};
use crate::groups::convert::membership_to_ref;
use crate::password::hash_password;
use crate::write::{Effects, Intent, Operation};
use crate::{Core, MAX_WRITE_ATTEMPTS};

impl Core {
    /// Creates a user in the caller's tenant. readOnly values in the request are ignored
    /// (RFC 7644 §3.3).
    pub async fn create_user(&self, caller: &Caller, user: User) -> CoreResult<User> {
        let intent = Intent::new(Operation::Create, USER, None);
        self.logged(caller, intent, |intent| async move {
            let (mut record, password) = user_to_record(user)?;
            // The one readOnly leaf a User body can carry (`id`, `groups` and `meta` never
            // reach a record).
            record.manager_display_name = None;
            let now = now_us();
            record.tenant_id = caller.tenant_id.clone();
            record.id = uuid::Uuid::new_v4().to_string();
            record.created_us = now;
            record.last_modified_us = now;
            record.version = 1;
            record.created_by_token = Some(caller.token_id.clone());
            if let Some(password) = password {
                record.password_hash = Some(hash_password(password).await?);
            }
            let stored = record.clone();
            self.commit(caller, &intent, move |tx| {
                tx.insert_user(&stored)?;
                let attributes = changed_attributes(&UserRecord::default(), &stored);
                Ok(((), created(&stored.id, attributes)))
            })
            .await
            .map_err(|e: StorageError| match e {
                StorageError::Conflict { .. } => taken(&record.user_name),
                other => other.into(),
            })?;
            Ok(record_to_user(&record, Vec::new()))
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
        } = request;
        let predicate = compile_user_filter(&filter)?;
        let (start_index, offset, limit) = self.page(start_index, count);
        let query = UserQuery {
            predicate,
            sort: user_sort_key(&sort_by, sort_order)?,
            offset,
            limit,
        };
        let store = self.store.clone();
        let tenant = caller.tenant_id.clone();
        // One snapshot: the page, then the groups of all its users in one query.
        let (total, resources) = tokio::task::spawn_blocking(move || {
            store.read(|tx| {
                let page = tx.list_users(&tenant, &query)?;
                let mut groups = if exclude_groups || page.users.is_empty() {
                    HashMap::new()
                } else {
                    let ids: Vec<&str> = page.users.iter().map(|u| u.id.as_str()).collect();
                    group_refs(tx, &tenant, &ids)?
                };
                let resources = page
                    .users
                    .iter()
                    .map(|record| record_to_user(record, groups.remove(&record.id).unwrap_or_default()))
                    .collect::<Vec<_>>();
                Ok((page.total, resources))
            })
        })
        .await??;
        Ok(ListUsersResponse {
            total_results: total,
            start_index,
            resources,
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
        let intent = Intent::new(Operation::Replace, USER, Some(&id));
        self.logged(caller, intent, |intent| async move {
            let (record, groups) = self
                .rewrite_user(caller, &intent, &id, if_match, |_| Ok(user.clone()))
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
        let intent = Intent::new(Operation::Patch, USER, Some(&id));
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
        let intent = Intent::new(Operation::Delete, USER, Some(&id));
        self.logged(caller, intent, |intent| async move {
            let tenant = caller.tenant_id.clone();
            let target = id.clone();
            self.commit(caller, &intent, move |tx| {
                let groups = tx.delete_user(&tenant, &target, if_match, now_us())?;
                let mut events: Vec<_> = groups
                    .iter()
                    .map(|g| crate::groups::membership_event(g, &target, "User", "member_removed"))
                    .collect();
                events.push(user_event(&target, "deleted", Vec::new()));
                Ok((
                    (),
                    Effects {
                        events,
                        ..Effects::default()
                    },
                ))
            })
            .await
            .map_err(|e: StorageError| match e {
                StorageError::NotFound => CoreError::not_found("user", &id),
                other => other.into(),
            })
        })
        .await
    }

    /// One user and, when `with_groups`, the groups it is a direct member of: one
    /// snapshot, one more statement for the groups.
    async fn load_user(&self, caller: &Caller, id: &str, with_groups: bool) -> CoreResult<(UserRecord, Vec<GroupRef>)> {
        let store = self.store.clone();
        let tenant = caller.tenant_id.clone();
        let lookup = id.to_string();
        let found = tokio::task::spawn_blocking(move || {
            store.read(|tx| {
                let Some(record) = tx.get_user(&tenant, &lookup)? else {
                    return Ok(None);
                };
                let groups = if with_groups {
                    group_refs(tx, &tenant, &[&lookup])?.remove(&lookup).unwrap_or_default()
                } else {
                    Vec::new()
                };
                Ok(Some((record, groups)))
            })
        })
        .await??;
        found.ok_or_else(|| CoreError::not_found("user", id))
    }

    /// Read-modify-write with optimistic concurrency: `change` computes the new content
    /// from the stored user; the write succeeds only if nobody wrote in between (the
    /// database checks the version), otherwise it is recomputed from the fresh state.
    /// Answers the user as stored, and its groups, read with it (no user write changes
    /// them).
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
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let (current, groups) = self.load_user(caller, id, true).await?;
            if let Some(expected) = if_match
                && expected != current.version
            {
                return Err(CoreError::VersionMismatch(format!(
                    "If-Match names version {expected} but the user is at version {}",
                    current.version
                )));
            }
            let (mut next, password) = user_to_record(change(&current)?)?;
            next.tenant_id = current.tenant_id.clone();
            next.id = current.id.clone();
            next.created_us = current.created_us;
            next.created_by_token = current.created_by_token.clone();
            next.password_hash = current.password_hash.clone();
            // readOnly: a PUT body's value is ignored (RFC 7644 §3.5.1); PATCH refuses it.
            next.manager_display_name = current.manager_display_name.clone();
            next.last_modified_us = current.last_modified_us;
            next.version = current.version;
            if password.is_none() && next == current {
                // Nothing changed: no write, no new version (Entra re-sends unchanged values).
                return Ok((current, groups));
            }
            if let Some(password) = password {
                next.password_hash = Some(hash_password(password).await?);
            }
            next.version = current.version + 1;
            next.last_modified_us = now_us().max(current.last_modified_us);
            let stored = next.clone();
            let expected = current.version;
            let attributes = changed_attributes(&current, &next);
            let event = update_event(&current, &next, attributes.clone());
            let effects = Effects {
                resource_id: None,
                attributes,
                events: vec![event],
            };
            let written = self
                .commit(caller, intent, move |tx| {
                    tx.update_user(&stored, expected)?;
                    Ok(((), effects))
                })
                .await;
            match written {
                Ok(()) => return Ok((next, groups)),
                Err(StorageError::VersionMismatch { .. }) if if_match.is_none() => continue,
                Err(StorageError::Conflict { .. }) => return Err(taken(&next.user_name)),
                Err(StorageError::NotFound) => return Err(CoreError::not_found("user", id)),
                Err(other) => return Err(other.into()),
            }
        }
        Err(CoreError::VersionMismatch(
            "the user kept changing concurrently; retry".into(),
        ))
    }
}

/// The effects of a user's creation: one `created` event naming the attributes set.
fn created(id: &str, attributes: Vec<String>) -> Effects {
    Effects {
        resource_id: Some(id.to_owned()),
        attributes: attributes.clone(),
        events: vec![user_event(id, "created", attributes)],
    }
}

fn taken(user_name: &str) -> CoreError {
    CoreError::Uniqueness(format!(
        "userName {user_name:?} is already taken (userName is unique ignoring case)"
    ))
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
