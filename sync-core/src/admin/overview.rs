//! `GetOverview`: the caller's tenant at a glance, for the admin console's first page.
//!
//! Everything but the feed head comes from one read transaction, so the counts, the last
//! uses and the failures describe one moment; each is a single aggregate statement (see
//! `idsync_storage`'s `summary`). All but one read a range of an index; counting the
//! active users reads the tenant's user rows, which grows with the tenant (about 30 ms of
//! the call at 100,000 users, `docs/benchmarks.md`). The feed head is read through
//! `Store::feed_bounds`, which first numbers what writers committed (PostgreSQL), so it
//! is the cursor of the newest change a watcher could be handed now.

use idsync_proto::v1::{FailureCount, Overview};
use idsync_storage::records::{Scope, TenantRecord};
use idsync_storage::{FailureCount as StoredFailures, LogRecord, Store, UserCounts};

use super::service::tenant_to_proto;
use crate::Core;
use crate::auth::Caller;
use crate::clock::{now_us, to_timestamp};
use crate::error::{CoreError, CoreResult};

/// How far back `failures_last_day` looks.
const FAILURE_WINDOW_US: i64 = 24 * 60 * 60 * 1_000_000;

/// What the store tells about a tenant, before it becomes an [`Overview`].
struct Summary {
    tenant: TenantRecord,
    users: UserCounts,
    groups: u64,
    last_scim_request_us: Option<i64>,
    last_scim_write: Option<LogRecord>,
    failures: Vec<StoredFailures>,
    feed_head: i64,
}

impl Core {
    /// The overview of the caller's own tenant. `watchers` counts the tenant's change
    /// streams open on this process only: other replicas hold their own.
    pub async fn overview(&self, caller: &Caller) -> CoreResult<Overview> {
        let since_us = now_us().saturating_sub(FAILURE_WINDOW_US);
        let summary = self
            .read_tenant(caller, move |store, tenant| summarize(store, tenant, since_us))
            .await?;
        let Summary {
            tenant,
            users,
            groups,
            last_scim_request_us,
            last_scim_write,
            failures,
            feed_head,
        } = summary;
        Ok(Overview {
            tenant: Some(tenant_to_proto(&tenant)),
            users: users.users,
            active_users: users.active,
            groups,
            last_scim_request: last_scim_request_us.map(to_timestamp),
            last_scim_write: last_scim_write.map(crate::log::to_entry),
            failures_last_day: failures
                .into_iter()
                .map(|f| FailureCount {
                    scim_type: f.scim_type.unwrap_or_default(),
                    count: f.count,
                })
                .collect(),
            feed_head: u64::try_from(feed_head).unwrap_or(0),
            watchers: self.feed.watchers.of(&caller.tenant_id),
        })
    }
}

/// Reads the tenant's summary, failures counted from `since_us`. Blocking.
fn summarize(store: &Store, tenant_id: &str, since_us: i64) -> CoreResult<Summary> {
    let gone = || CoreError::NotFound("the tenant no longer exists".into());
    let feed_head = store.feed_bounds(tenant_id)?.ok_or_else(gone)?.head;
    let summary = store.read(|tx| {
        let Some(tenant) = tx.tenant(tenant_id)? else {
            return Ok(None);
        };
        Ok(Some(Summary {
            tenant,
            users: tx.count_users(tenant_id)?,
            groups: tx.count_groups(tenant_id)?,
            // Entra signs in with a `scim` token: its last use is Entra's last call, and
            // its newest log entry is Entra's last write.
            last_scim_request_us: tx.last_token_use(tenant_id, Scope::Scim)?,
            last_scim_write: tx.newest_log_entry_by_scope(tenant_id, Scope::Scim)?,
            failures: tx.failures_since(tenant_id, since_us)?,
            feed_head,
        }))
    })?;
    summary.ok_or_else(gone)
}
