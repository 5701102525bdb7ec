//! The SCIM `ListResponse` (RFC 7644 §3.4.2): a page of users or groups, or every schema or
//! resource type of `/Schemas` and `/ResourceTypes` (RFC 7644 §4).
//!
//! A page of cursor paging (RFC 9865 §2) carries `nextCursor` unless it is the last and
//! `previousCursor` unless it is the first, and no `startIndex`: the index of such a page
//! is not known, and RFC 9865's examples leave it out. A cursor answer that fits on one
//! page carries no cursor and is rendered like the first page by index.

use idsync_proto::v1::resource::Resource;
use idsync_proto::v1::{ListGroupsResponse, ListUsersResponse, SearchResourcesResponse};
use serde::Serialize;

use super::LIST_RESPONSE_URN;
use super::group_out::GroupOut;
use super::user_out::UserOut;
use crate::errors::ApiError;

/// A `ListResponse` of `R`; `Resources` is always present, `[]` when empty.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListResponseOut<R> {
    schemas: [&'static str; 1],
    total_results: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_index: Option<u32>,
    items_per_page: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_cursor: Option<String>,
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
            start_index: Some(start_index.max(1)),
            items_per_page: resources.len(),
            next_cursor: None,
            previous_cursor: None,
            resources,
        }
    }

    /// The same page with the cursors of its neighbours (RFC 9865); with either, the page
    /// has no `startIndex`.
    pub(crate) fn with_cursors(mut self, next: Option<&str>, previous: Option<&str>) -> Self {
        if next.is_some() || previous.is_some() {
            self.start_index = None;
        }
        self.next_cursor = next.map(str::to_owned);
        self.previous_cursor = previous.map(str::to_owned);
        self
    }

    /// The same page with every resource passed through `f` (a projection).
    pub(crate) fn try_map<T, E>(self, f: impl FnMut(R) -> Result<T, E>) -> Result<ListResponseOut<T>, E> {
        let ListResponseOut {
            schemas,
            total_results,
            start_index,
            items_per_page,
            next_cursor,
            previous_cursor,
            resources,
        } = self;
        let resources = resources.into_iter().map(f).collect::<Result<Vec<_>, E>>()?;
        Ok(ListResponseOut {
            schemas,
            total_results,
            start_index,
            items_per_page,
            next_cursor,
            previous_cursor,
            resources,
        })
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
            next_cursor,
            previous_cursor,
        } = page;
        let resources = resources.iter().map(|user| UserOut::new(user, base_url)).collect();
        Self::new(*total_results, *start_index, resources)
            .with_cursors(next_cursor.as_deref(), previous_cursor.as_deref())
    }
}

impl<'a> ListResponseOut<GroupOut<'a>> {
    /// Renders a page of groups; `base_url` is the SCIM base (`<public_url>/scim/v2`);
    /// `member_display` renders members' `display`.
    pub(crate) fn groups(page: &'a ListGroupsResponse, base_url: &'a str, member_display: bool) -> Self {
        let ListGroupsResponse {
            total_results,
            start_index,
            resources,
            next_cursor,
            previous_cursor,
        } = page;
        let resources = resources
            .iter()
            .map(|group| GroupOut::new(group, base_url, member_display))
            .collect();
        Self::new(*total_results, *start_index, resources)
            .with_cursors(next_cursor.as_deref(), previous_cursor.as_deref())
    }
}

/// One result of a search over every resource type: a User or a Group, rendered as itself.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum ResourceOut<'a> {
    // Boxed: a rendered User is several times the size of a rendered Group.
    User(Box<UserOut<'a>>),
    Group(GroupOut<'a>),
}

impl<'a> ListResponseOut<ResourceOut<'a>> {
    /// Renders a page of a root search; `base_url` is the SCIM base. A result that is
    /// neither a User nor a Group means the core and gateway disagree on the contract:
    /// 500, logged here. `member_display` renders groups' members' `display`.
    pub(crate) fn search(
        page: &'a SearchResourcesResponse,
        base_url: &'a str,
        member_display: bool,
    ) -> Result<Self, ApiError> {
        let SearchResourcesResponse {
            total_results,
            start_index,
            resources,
        } = page;
        let resources = resources
            .iter()
            .map(|resource| match &resource.resource {
                Some(Resource::User(user)) => Ok(ResourceOut::User(Box::new(UserOut::new(user, base_url)))),
                Some(Resource::Group(group)) => Ok(ResourceOut::Group(GroupOut::new(group, base_url, member_display))),
                None => {
                    tracing::error!("the core answered a search result that is no known resource type");
                    Err(ApiError::internal())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(*total_results, *start_index, resources))
    }
}

#[cfg(test)]
mod tests {
    use idsync_proto::v1::{Group, User};
    use serde_json::json;

    use super::*;

    #[test]
    fn an_empty_page_still_has_resources_and_a_one_based_start_index() {
        let page = ListUsersResponse {
            total_results: 0,
            start_index: 0,
            resources: vec![],
            ..ListUsersResponse::default()
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
            ..ListUsersResponse::default()
        };
        let body = serde_json::to_value(ListResponseOut::users(&page, "https://x/scim/v2")).unwrap();
        assert_eq!(body["totalResults"], 7);
        assert_eq!(body["startIndex"], 6);
        assert_eq!(body["itemsPerPage"], 2);
        assert_eq!(body["Resources"][1]["userName"], "b@x");
    }

    #[test]
    fn a_cursor_page_names_its_neighbours_and_no_start_index() {
        let page = ListGroupsResponse {
            total_results: 30,
            start_index: 1,
            resources: vec![],
            next_cursor: Some("bmV4dA".into()),
            previous_cursor: Some("cHJldg".into()),
        };
        let body = serde_json::to_value(ListResponseOut::groups(&page, "https://x/scim/v2", false)).unwrap();
        assert_eq!(
            body,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 30,
                "itemsPerPage": 0,
                "nextCursor": "bmV4dA",
                "previousCursor": "cHJldg",
                "Resources": []
            })
        );
        let first = ListUsersResponse {
            total_results: 30,
            start_index: 1,
            next_cursor: Some("bmV4dA".into()),
            ..ListUsersResponse::default()
        };
        let body = serde_json::to_value(ListResponseOut::users(&first, "https://x/scim/v2")).unwrap();
        assert_eq!((body.get("previousCursor"), body.get("startIndex")), (None, None));
        assert_eq!(body["nextCursor"], "bmV4dA");
    }

    #[test]
    fn a_search_page_renders_each_result_as_its_own_resource_type() {
        let wrap = |resource| idsync_proto::v1::Resource {
            resource: Some(resource),
        };
        let page = SearchResourcesResponse {
            total_results: 9,
            start_index: 3,
            resources: vec![
                wrap(Resource::User(User {
                    id: "u1".into(),
                    user_name: "ada@x".into(),
                    ..User::default()
                })),
                wrap(Resource::Group(Group {
                    id: "g1".into(),
                    display_name: "Ops".into(),
                    members_excluded: true,
                    ..Group::default()
                })),
            ],
        };
        let list = ListResponseOut::search(&page, "https://x/scim/v2", false).unwrap();
        let body = serde_json::to_value(list).unwrap();
        assert_eq!(
            (body["totalResults"].as_u64(), body["startIndex"].as_u64()),
            (Some(9), Some(3))
        );
        assert_eq!(body["itemsPerPage"], 2);
        assert_eq!(
            body["Resources"],
            json!([
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "ada@x"},
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g1", "displayName": "Ops"}
            ])
        );
    }

    #[test]
    fn a_search_result_of_no_known_type_is_an_internal_error() {
        let page = SearchResourcesResponse {
            total_results: 1,
            start_index: 1,
            resources: vec![idsync_proto::v1::Resource { resource: None }],
        };
        let error = ListResponseOut::search(&page, "https://x/scim/v2", false)
            .err()
            .unwrap();
        assert_eq!(error.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}
