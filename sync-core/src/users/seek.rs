//! Cursor paging of users (RFC 9865): `GET /Users?cursor=…` as keyset pages, so the last
//! page of a million users costs what the first costs.

use std::collections::HashMap;

use idsync_proto::v1::{GroupRef, ListUsersRequest, ListUsersResponse, User};
use idsync_storage::keyset::{SeekPage, UserSeek};
use idsync_storage::records::UserRecord;
use idsync_storage::{StorageError, Tx};

use super::convert::record_to_user;
use super::filter::{compile_user_filter, user_sort_key};
use crate::Core;
use crate::auth::Caller;
use crate::cursor::{CursorKey, Listing, refuse_mixed_paging};
use crate::error::CoreResult;
use crate::groups::convert::membership_to_ref;

impl Core {
    /// Lists users of the caller's tenant matching a SCIM filter, one cursor page at a
    /// time (RFC 9865): `request.cursor` empty is the first page, otherwise a cursor of an
    /// earlier answer to the same filter and sort, sealed under `key`. The answer carries
    /// `next_cursor` unless it is the last page and `previous_cursor` unless the first
    /// (`start_index` is 1 and means nothing then; the gateway leaves it out).
    pub(crate) async fn seek_users(
        &self,
        caller: &Caller,
        key: CursorKey,
        request: ListUsersRequest,
    ) -> CoreResult<ListUsersResponse> {
        let ListUsersRequest {
            filter,
            start_index,
            count,
            sort_by,
            sort_order,
            exclude_groups,
            cursor,
        } = request;
        refuse_mixed_paging(start_index)?;
        let predicate = compile_user_filter(&filter, &self.settings.filter_limits)?;
        let sort = user_sort_key(&sort_by, sort_order)?;
        let cursors = self.cursors(key, Listing::Users, &format!("{predicate:?} {sort:?}"));
        let query = UserSeek {
            predicate,
            sort,
            seek: cursors.read(cursor.as_deref().unwrap_or_default())?,
            limit: self.page(1, count).2,
        };
        let page = self
            .read_tenant(caller, move |store, tenant| {
                store.read(|tx| seek_user_page(tx, tenant, &query, exclude_groups))
            })
            .await?;
        Ok(ListUsersResponse {
            total_results: page.total,
            start_index: 1,
            resources: page.items,
            next_cursor: page.next.map(|at| cursors.issue(&at, false)),
            previous_cursor: page.previous.map(|at| cursors.issue(&at, true)),
        })
    }
}

/// A keyset page of users as the API shows them, with `groups` of all its users in one
/// query (none when `exclude_groups`). Run it in a read transaction.
fn seek_user_page(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    query: &UserSeek,
    exclude_groups: bool,
) -> Result<SeekPage<User>, StorageError> {
    let page = tx.seek_users(tenant_id, query)?;
    let mut groups: HashMap<String, Vec<GroupRef>> = if exclude_groups || page.items.is_empty() {
        HashMap::new()
    } else {
        let ids: Vec<&str> = page.items.iter().map(|u| u.id.as_str()).collect();
        tx.memberships(tenant_id, &ids)?
            .into_iter()
            .map(|(user_id, groups)| (user_id, groups.iter().map(membership_to_ref).collect()))
            .collect()
    };
    let users = page
        .items
        .iter()
        .map(|record: &UserRecord| record_to_user(record, groups.remove(&record.id).unwrap_or_default()))
        .collect();
    Ok(SeekPage {
        total: page.total,
        items: users,
        previous: page.previous,
        next: page.next,
    })
}
