//! Cursor paging of groups (RFC 9865): `GET /Groups?cursor=…` as keyset pages.

use idsync_proto::v1::{ListGroupsRequest, ListGroupsResponse};
use idsync_storage::keyset::GroupSeek;

use super::convert::record_to_group;
use super::filter::{compile_group_filter, group_sort_key};
use crate::Core;
use crate::auth::Caller;
use crate::cursor::{CursorKey, Listing, refuse_mixed_paging};
use crate::error::CoreResult;

impl Core {
    /// Lists groups of the caller's tenant one cursor page at a time, as
    /// [`Core::seek_users`] does users. With `exclude_members`, members are not read.
    pub(crate) async fn seek_groups(
        &self,
        caller: &Caller,
        key: CursorKey,
        request: ListGroupsRequest,
    ) -> CoreResult<ListGroupsResponse> {
        let ListGroupsRequest {
            filter,
            start_index,
            count,
            sort_by,
            sort_order,
            exclude_members,
            cursor,
        } = request;
        refuse_mixed_paging(start_index)?;
        let predicate = compile_group_filter(&filter, &self.settings.filter_limits)?;
        let sort = group_sort_key(&sort_by, sort_order)?;
        let cursors = self.cursors(key, Listing::Groups, &format!("{predicate:?} {sort:?}"));
        let query = GroupSeek {
            predicate,
            sort,
            seek: cursors.read(cursor.as_deref().unwrap_or_default())?,
            limit: self.page(1, count).2,
            with_members: !exclude_members,
        };
        let page = self
            .read_tenant(caller, move |store, tenant| store.seek_groups(tenant, &query))
            .await?;
        Ok(ListGroupsResponse {
            total_results: page.total,
            start_index: 1,
            resources: page.items.iter().map(|g| record_to_group(g, exclude_members)).collect(),
            next_cursor: page.next.map(|at| cursors.issue(&at, false)),
            previous_cursor: page.previous.map(|at| cursors.issue(&at, true)),
        })
    }
}
