//! The User operations, independent of transport: each takes the authenticated caller,
//! is scoped to the caller's tenant, and runs its storage work on the blocking pool
//! (inside the caller's span). Every write reports its outcome to the core's telemetry.

use idsync_proto::v1::{ListUsersRequest, ListUsersResponse, PatchOperation, User};
use idsync_storage::StorageError;
use idsync_storage::records::{UserQuery, UserRecord};
use idsync_telemetry::provisioning::{Operation, Outcome, ResourceType};

use super::convert::{record_to_user, user_to_record};
use super::filter::{compile_user_filter, user_sort_key};
use super::patch::apply_patch;
use crate::Core;
use crate::auth::Caller;
use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};
use crate::password::hash_password;
use crate::telemetry::in_current_span;

/// How often a read-modify-write retries when another writer got there first.
const MAX_WRITE_ATTEMPTS: usize = 5;

impl Core {
    /// Creates a user in the caller's tenant.
    pub async fn create_user(&self, caller: &Caller, user: User) -> CoreResult<User> {
        let created = self.insert_new_user(caller, user).await;
        let id = created.as_ref().map(|u| u.id.as_str()).unwrap_or_default();
        let outcome = created.as_ref().map(|_| Outcome::Created);
        self.telemetry
            .operation(caller, ResourceType::User, Operation::Create, id, outcome);
        created
    }

    async fn insert_new_user(&self, caller: &Caller, user: User) -> CoreResult<User> {
        tracing::debug!(user_name = %user.user_name, "creating a user");
        let (mut record, password) = user_to_record(user)?;
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
        let store = self.store.clone();
        let stored = record.clone();
        tokio::task::spawn_blocking(in_current_span(move || store.insert_user(&stored)))
            .await?
            .map_err(|e| match e {
                StorageError::Conflict { .. } => taken(&record.user_name),
                other => other.into(),
            })?;
        Ok(record_to_user(&record, Vec::new()))
    }

    /// Reads one user of the caller's tenant.
    pub async fn get_user(&self, caller: &Caller, id: String) -> CoreResult<User> {
        let record = self.load_user(caller, &id).await?;
        Ok(record_to_user(&record, Vec::new()))
    }

    /// Lists users of the caller's tenant matching a SCIM filter (RFC 7644 §3.4.2).
    pub async fn list_users(&self, caller: &Caller, request: ListUsersRequest) -> CoreResult<ListUsersResponse> {
        let ListUsersRequest {
            filter,
            start_index,
            count,
            sort_by,
            sort_order,
            exclude_groups: _,
        } = request;
        tracing::debug!(%filter, "listing users");
        let predicate = compile_user_filter(&filter)?;
        let start_index = start_index.max(1);
        let count = count
            .unwrap_or(self.settings.default_page_size)
            .min(self.settings.max_page_size);
        let query = UserQuery {
            predicate,
            sort: user_sort_key(&sort_by, sort_order)?,
            offset: u64::from(start_index - 1),
            limit: u64::from(count),
        };
        let store = self.store.clone();
        let tenant = caller.tenant_id.clone();
        let page = tokio::task::spawn_blocking(in_current_span(move || store.list_users(&tenant, &query))).await??;
        Ok(ListUsersResponse {
            total_results: page.total,
            start_index,
            resources: page.users.iter().map(|r| record_to_user(r, Vec::new())).collect(),
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
        let result = self.rewrite_user(caller, &id, if_match, |_| Ok(user.clone())).await;
        self.finish_rewrite(caller, Operation::Replace, &id, result)
    }

    /// Applies a SCIM PATCH to a user, all operations or none (RFC 7644 §3.5.2).
    pub async fn patch_user(
        &self,
        caller: &Caller,
        id: String,
        operations: Vec<PatchOperation>,
        if_match: Option<i64>,
    ) -> CoreResult<User> {
        let result = self
            .rewrite_user(caller, &id, if_match, |current| {
                let mut user = record_to_user(current, Vec::new());
                apply_patch(&mut user, &operations)?;
                Ok(user)
            })
            .await;
        self.finish_rewrite(caller, Operation::Patch, &id, result)
    }

    /// Deletes a user of the caller's tenant.
    pub async fn delete_user(&self, caller: &Caller, id: String, if_match: Option<i64>) -> CoreResult<()> {
        let store = self.store.clone();
        let tenant = caller.tenant_id.clone();
        let target = id.clone();
        let deleted =
            tokio::task::spawn_blocking(in_current_span(move || store.delete_user(&tenant, &target, if_match)))
                .await
                .map_err(CoreError::from)
                .and_then(|r| {
                    r.map_err(|e| match e {
                        StorageError::NotFound => CoreError::NotFound("user not found".into()),
                        other => other.into(),
                    })
                });
        let outcome = deleted.as_ref().map(|()| Outcome::Deleted);
        self.telemetry
            .operation(caller, ResourceType::User, Operation::Delete, &id, outcome);
        deleted
    }

    /// Reports a replace or patch and hands back its user.
    fn finish_rewrite(
        &self,
        caller: &Caller,
        operation: Operation,
        id: &str,
        result: CoreResult<(User, Outcome)>,
    ) -> CoreResult<User> {
        let outcome = result.as_ref().map(|(_, outcome)| *outcome);
        self.telemetry
            .operation(caller, ResourceType::User, operation, id, outcome);
        result.map(|(user, _)| user)
    }

    async fn load_user(&self, caller: &Caller, id: &str) -> CoreResult<UserRecord> {
        let store = self.store.clone();
        let tenant = caller.tenant_id.clone();
        let lookup = id.to_string();
        tokio::task::spawn_blocking(in_current_span(move || store.get_user(&tenant, &lookup)))
            .await??
            .ok_or_else(|| CoreError::not_found("user", id))
    }

    /// Read-modify-write with optimistic concurrency: `change` computes the new content
    /// from the stored user; the write succeeds only if nobody wrote in between (the
    /// database checks the version), otherwise it is recomputed from the fresh state.
    /// The outcome tells whether `active` turned (deactivated, reactivated).
    async fn rewrite_user<F>(
        &self,
        caller: &Caller,
        id: &str,
        if_match: Option<i64>,
        change: F,
    ) -> CoreResult<(User, Outcome)>
    where
        F: Fn(&UserRecord) -> CoreResult<User>,
    {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let current = self.load_user(caller, id).await?;
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
            next.last_modified_us = current.last_modified_us;
            next.version = current.version;
            if password.is_none() && next == current {
                // Nothing changed: no write, no new version (Entra re-sends unchanged values).
                return Ok((record_to_user(&current, Vec::new()), Outcome::Unchanged));
            }
            if let Some(password) = password {
                next.password_hash = Some(hash_password(password).await?);
            }
            next.version = current.version + 1;
            next.last_modified_us = now_us().max(current.last_modified_us);
            let store = self.store.clone();
            let stored = next.clone();
            let expected = current.version;
            match tokio::task::spawn_blocking(in_current_span(move || store.update_user(&stored, expected))).await? {
                Ok(()) => {
                    let outcome = Outcome::of_update(current.active, next.active);
                    return Ok((record_to_user(&next, Vec::new()), outcome));
                }
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

fn taken(user_name: &str) -> CoreError {
    CoreError::Uniqueness(format!(
        "userName {user_name:?} is already taken (userName is unique ignoring case)"
    ))
}
