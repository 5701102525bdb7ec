//! The SCIM `ListResponse` (RFC 7644 §3.4.2): a page of users or groups, or every schema or
//! resource type of `/Schemas` and `/ResourceTypes` (RFC 7644 §4).

use idsync_proto::v1::{ListGroupsResponse, ListUsersResponse};
use serde::Serialize;

use super::LIST_RESPONSE_URN;
use super::group_out::GroupOut;
use super::user_out::UserOut;

/// A `ListResponse` of `R`; `Resources` is always present, `[]` when empty.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListResponseOut<R> {
    schemas: [&'static str; 1],
    total_results: u64,
    start_index: u32,
    items_per_page: usize,
    #[serde(rename = "Resources")]
    resources: Vec<R>,
}

impl<R> ListResponseOut<R> {
    /// A page of `resources` out of `total_results`, the first at 1-based `start_index`.
    pub(crate) fn new(total_results: u64, start_index: u32, resources: Vec<R>) -> Self {
        ListResponseOut {
            schemas: [LIST_RESPONSE_URN],
            total_results,
            // RFC 7644 §3.4.2.4: the index is 1-based.
            start_index: start_index.max(1),
            items_per_page: resources.len(),
            resources,
        }
    }

    /// Every resource there is, on one page.
    pub(crate) fn complete(resources: Vec<R>) -> Self {
        Self::new(resources.len() as u64, 1, resources)
    }
}

impl<'a> ListResponseOut<UserOut<'a>> {
    /// Renders a page of users; `base_url` is the SCIM base (`<public_url>/scim/v2`).
    pub(crate) fn users(page: &'a ListUsersResponse, base_url: &'a str) -> Self {
        let ListUsersResponse {
            total_results,
            start_index,
            resources,
        } = page;
        let resources = resources.iter().map(|user| UserOut::new(user, base_url)).collect();
        Self::new(*total_results, *start_index, resources)
    }
}

impl<'a> ListResponseOut<GroupOut<'a>> {
    /// Renders a page of groups; `base_url` is the SCIM base (`<public_url>/scim/v2`).
    pub(crate) fn groups(page: &'a ListGroupsResponse, base_url: &'a str) -> Self {
        let ListGroupsResponse {
            total_results,
            start_index,
            resources,
        } = page;
        let resources = resources.iter().map(|group| GroupOut::new(group, base_url)).collect();
        Self::new(*total_results, *start_index, resources)
    }
}

#[cfg(test)]
mod tests {
    use idsync_proto::v1::User;
    use serde_json::json;

    use super::*;

    #[test]
    fn an_empty_page_still_has_resources_and_a_one_based_start_index() {
        let page = ListUsersResponse {
            total_results: 0,
            start_index: 0,
            resources: vec![],
        };
        let body = serde_json::to_value(ListResponseOut::users(&page, "https://x/scim/v2")).unwrap();
        assert_eq!(
            body,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 0,
                "startIndex": 1,
                "itemsPerPage": 0,
                "Resources": []
            })
        );
    }

    #[test]
    fn items_per_page_counts_the_resources_on_this_page() {
        let user = |id: &str| User {
            id: id.into(),
            user_name: format!("{id}@x"),
            ..User::default()
        };
        let page = ListUsersResponse {
            total_results: 7,
            start_index: 6,
            resources: vec![user("a"), user("b")],
        };
        let body = serde_json::to_value(ListResponseOut::users(&page, "https://x/scim/v2")).unwrap();
        assert_eq!(body["totalResults"], 7);
        assert_eq!(body["startIndex"], 6);
        assert_eq!(body["itemsPerPage"], 2);
        assert_eq!(body["Resources"][1]["userName"], "b@x");
    }
}
