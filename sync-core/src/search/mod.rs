//! The root search (RFC 7644 §3.4.3, `POST /.search`): one filter and one page over
//! every resource type of the caller's tenant.
//!
//! The result is every matching User (in creation order, as `/Users` lists them) then
//! every matching Group (likewise), and `startIndex`/`count` page over that sequence,
//! so a page may end in the Users and start again in the Groups. Both lists are read in
//! one snapshot, so `totalResults` is exact and no page sees a half-made change.
//!
//! `sortBy` is refused (400 `invalidValue`): ordering users and groups together would
//! need one collation across two tables on both databases, and merging two sorted pages
//! in the core would not agree with the database on every case-insensitive string, so
//! pages could repeat or skip resources. `/Users/.search` and `/Groups/.search` sort.
//!
//! Layout: `filter` turns one filter into a predicate per resource type; [`service`] is
//! the tonic service.

pub mod filter;
pub mod service;

#[cfg(test)]
mod tests;

use idsync_proto::v1::resource::Resource as Kind;
use idsync_proto::v1::{Resource, SearchResourcesRequest, SearchResourcesResponse};
use idsync_storage::records::{GroupQuery, UserQuery};

use self::filter::{RootFilter, compile_root_filter};
use crate::Core;
use crate::auth::Caller;
use crate::error::{CoreError, CoreResult};
use crate::groups::convert::record_to_group;
use crate::users::user_page;

impl Core {
    /// Searches Users and Groups of the caller's tenant with one filter and pages over
    /// both (see the module documentation).
    pub async fn search_resources(
        &self,
        caller: &Caller,
        request: SearchResourcesRequest,
    ) -> CoreResult<SearchResourcesResponse> {
        let SearchResourcesRequest {
            filter,
            start_index,
            count,
            sort_by,
            sort_order: _, // without sortBy, sortOrder has nothing to order (RFC 7644 §3.4.2.3)
            exclude_groups,
            exclude_members,
        } = request;
        if !sort_by.trim().is_empty() {
            return Err(CoreError::invalid_value(
                "sortBy is not supported when searching every resource type; \
                 sort with /Users/.search or /Groups/.search",
            ));
        }
        let RootFilter { users, groups } = compile_root_filter(&filter, &self.settings.filter_limits)?;
        let (start_index, offset, limit) = self.page(start_index, count);
        let page = self.read_tenant(caller, move |store, tenant| {
            store.read(|tx| {
                let (user_total, users) = match users {
                    Some(predicate) => {
                        let query = UserQuery {
                            predicate,
                            sort: None,
                            offset,
                            limit,
                        };
                        user_page(tx, tenant, &query, exclude_groups)?
                    }
                    None => (0, Vec::new()),
                };
                // The groups' part of the page: what is left of it after the users,
                // starting where the users' part of the sequence ends.
                let group_offset = offset.saturating_sub(user_total);
                let group_limit = limit.saturating_sub(users.len() as u64);
                let (group_total, groups) = match groups {
                    Some(predicate) => {
                        let query = GroupQuery {
                            predicate,
                            sort: None,
                            offset: group_offset,
                            limit: group_limit,
                            with_members: !exclude_members,
                        };
                        let page = tx.list_groups(tenant, &query)?;
                        let groups = page.groups.iter().map(|g| record_to_group(g, exclude_members));
                        (page.total, groups.collect())
                    }
                    None => (0, Vec::new()),
                };
                let resources = users
                    .into_iter()
                    .map(Kind::User)
                    .chain(groups.into_iter().map(Kind::Group))
                    .map(|resource| Resource {
                        resource: Some(resource),
                    })
                    .collect::<Vec<_>>();
                Ok((user_total.saturating_add(group_total), resources))
            })
        });
        let (total_results, resources) = page.await?;
        Ok(SearchResourcesResponse {
            total_results,
            start_index,
            resources,
        })
    }
}
