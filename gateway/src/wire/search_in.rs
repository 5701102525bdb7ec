//! A `SearchRequest` body (RFC 7644 §3.4.3) → the request and projection it stands for at
//! `/Users/.search`, `/Groups/.search` or the root `/.search`.
//!
//! The parameters mean what they mean in a query string (RFC 7644 §3.4.2): a `startIndex`
//! below 1 reads as 1, a negative `count` as 0, and a `count` above the core's page limit
//! is clamped by the core. Names match ignoring ASCII case. `attributes` and
//! `excludedAttributes` are lists of strings (one comma-separated string is accepted too).
//! `schemas`, when sent, must name the SearchRequest message. `cursor` (RFC 9865 §3), a
//! string, asks for cursor paging at `/Users/.search` and `/Groups/.search`; not together
//! with `startIndex`, and not at the root, whose result spans two resource types.

use idsync_proto::v1::{ListGroupsRequest, ListUsersRequest, SearchResourcesRequest, SortOrder};
use serde_json::Value;

use super::{SEARCH_REQUEST_URN, Slot, slots, wrong_type};
use crate::errors::ApiError;
use crate::projection::Projection;
use crate::query::{clamp_u32, refuse_mixed_paging, sort_order};

/// A parsed `SearchRequest`, for whichever endpoint received it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SearchBody {
    /// Filter, paging and sorting, passed to the core as given.
    pub(crate) query: SearchQuery,
    /// Which attributes of each result to return.
    pub(crate) projection: Projection,
}

/// The query parameters of a `SearchRequest` (RFC 7644 §3.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchQuery {
    pub(crate) filter: String,
    pub(crate) start_index: u32,
    pub(crate) count: Option<u32>,
    pub(crate) sort_by: String,
    pub(crate) sort_order: SortOrder,
    /// RFC 9865: present (even empty) asks for cursor paging.
    pub(crate) cursor: Option<String>,
}

impl SearchBody {
    /// `POST /Users/.search`: `groups` is loaded only if it may be returned.
    pub(crate) fn users(self) -> (ListUsersRequest, Projection) {
        let SearchQuery {
            filter,
            start_index,
            count,
            sort_by,
            sort_order,
            cursor,
        } = self.query;
        let request = ListUsersRequest {
            filter,
            start_index,
            count,
            sort_by,
            sort_order: sort_order as i32,
            exclude_groups: !self.projection.may_return("groups"),
            cursor,
        };
        (request, self.projection)
    }

    /// `POST /Groups/.search`: `members` is loaded only if it may be returned.
    pub(crate) fn groups(self) -> (ListGroupsRequest, Projection) {
        let SearchQuery {
            filter,
            start_index,
            count,
            sort_by,
            sort_order,
            cursor,
        } = self.query;
        let request = ListGroupsRequest {
            filter,
            start_index,
            count,
            sort_by,
            sort_order: sort_order as i32,
            exclude_members: !self.projection.may_return("members"),
            cursor,
        };
        (request, self.projection)
    }

    /// `POST /.search`: every resource type; neither `groups` nor `members` is loaded
    /// unless it may be returned. Paging there is by index only: a `cursor` is 400
    /// `invalidValue`.
    pub(crate) fn every_type(self) -> Result<(SearchResourcesRequest, Projection), ApiError> {
        let SearchQuery {
            filter,
            start_index,
            count,
            sort_by,
            sort_order,
            cursor,
        } = self.query;
        if cursor.is_some() {
            return Err(ApiError::invalid_value(
                "cursor paging is offered by /Users/.search and /Groups/.search, not by the root /.search",
            ));
        }
        let request = SearchResourcesRequest {
            filter,
            start_index,
            count,
            sort_by,
            sort_order: sort_order as i32,
            exclude_groups: !self.projection.may_return("groups"),
            exclude_members: !self.projection.may_return("members"),
        };
        Ok((request, self.projection))
    }
}

impl TryFrom<Value> for SearchBody {
    type Error = ApiError;

    fn try_from(body: Value) -> Result<Self, ApiError> {
        let Value::Object(map) = body else {
            return Err(ApiError::invalid_syntax("a SearchRequest must be a JSON object"));
        };
        let [
            schemas,
            filter,
            start_index,
            count,
            sort_by,
            order,
            attributes,
            excluded,
            cursor,
        ] = slots(
            map,
            None,
            [
                "schemas",
                "filter",
                "startIndex",
                "count",
                "sortBy",
                "sortOrder",
                "attributes",
                "excludedAttributes",
                "cursor",
            ],
        );
        check_schemas(schemas)?;
        let start_index = integer(start_index)?;
        let cursor = cursor.string()?;
        refuse_mixed_paging(start_index.is_some(), cursor.is_some())?;
        let start_index = start_index.map_or(1, |i| clamp_u32(i.max(1)));
        let count = integer(count)?.map(|c| clamp_u32(c.max(0)));
        let sort_order = match order.string()? {
            Some(order) => sort_order(&order)?,
            None => SortOrder::Unspecified,
        };
        let attributes = names(attributes)?;
        let excluded = names(excluded)?;
        let projection = Projection::parse(
            &attributes.iter().map(String::as_str).collect::<Vec<_>>(),
            &excluded.iter().map(String::as_str).collect::<Vec<_>>(),
        )?;
        let query = SearchQuery {
            filter: filter.string()?.unwrap_or_default(),
            start_index,
            count,
            sort_by: sort_by.string()?.unwrap_or_default(),
            sort_order,
            cursor,
        };
        Ok(SearchBody { query, projection })
    }
}

fn check_schemas(schemas: Slot<'_>) -> Result<(), ApiError> {
    let attr = schemas.attr();
    match schemas.into_present() {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(urns)) if urns.iter().any(|u| u.as_str().is_some_and(is_search_urn)) => Ok(()),
        Some(Value::Array(_)) => Err(ApiError::invalid_syntax(format!(
            "schemas must contain {SEARCH_REQUEST_URN}"
        ))),
        Some(other) => Err(wrong_type(attr, "an array", &other)),
    }
}

fn is_search_urn(urn: &str) -> bool {
    urn.eq_ignore_ascii_case(SEARCH_REQUEST_URN)
}

/// An integer parameter; digits beyond `i64` saturate.
fn integer(slot: Slot<'_>) -> Result<Option<i64>, ApiError> {
    let attr = slot.attr();
    match slot.into_present() {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Ok(Some(i)),
            (None, Some(_)) => Ok(Some(i64::MAX)),
            (None, None) => Err(ApiError::invalid_value(format!("'{attr}' must be an integer, not {n}"))),
        },
        Some(other) => Err(wrong_type(attr, "an integer", &other)),
    }
}

/// A list of attribute names: an array of strings or one comma-separated string.
fn names(slot: Slot<'_>) -> Result<Vec<String>, ApiError> {
    let attr = slot.attr();
    match slot.into_present() {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s]),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                other => Err(wrong_type(attr, "a list of strings", &other)),
            })
            .collect(),
        Some(other) => Err(wrong_type(attr, "a list of strings", &other)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::errors::ScimType;

    fn parse(body: Value) -> Result<SearchBody, ApiError> {
        SearchBody::try_from(body)
    }

    #[test]
    fn every_rfc_7644_search_parameter_is_read() {
        let search = parse(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "attributes": ["displayName", "userName"],
            "filter": "displayName sw \"smith\"",
            "startIndex": 1,
            "count": 10,
            "sortBy": "userName",
            "sortOrder": "descending"
        }))
        .unwrap();
        assert!(search.projection.may_return("userName") && !search.projection.may_return("emails"));
        let (users, _) = search.clone().users();
        assert_eq!(
            users,
            ListUsersRequest {
                filter: "displayName sw \"smith\"".into(),
                start_index: 1,
                count: Some(10),
                sort_by: "userName".into(),
                sort_order: SortOrder::Descending as i32,
                exclude_groups: true,
                cursor: None,
            }
        );
        let (groups, _) = search.clone().groups();
        assert_eq!(
            (groups.filter, groups.count, groups.sort_by, groups.exclude_members),
            (users.filter.clone(), Some(10), "userName".to_string(), true)
        );
        let (root, _) = search.every_type().unwrap();
        assert_eq!(
            root,
            SearchResourcesRequest {
                filter: users.filter,
                start_index: 1,
                count: Some(10),
                sort_by: "userName".into(),
                sort_order: SortOrder::Descending as i32,
                exclude_groups: true,
                exclude_members: true,
            }
        );
    }

    #[test]
    fn members_and_groups_are_loaded_unless_the_projection_leaves_them_out() {
        let (root, _) = parse(json!({})).unwrap().every_type().unwrap();
        assert!(!root.exclude_groups && !root.exclude_members);
        let (root, _) = parse(json!({"attributes": ["members.value"]}))
            .unwrap()
            .every_type()
            .unwrap();
        assert!(root.exclude_groups && !root.exclude_members);
        let (root, _) = parse(json!({"excludedAttributes": "members"}))
            .unwrap()
            .every_type()
            .unwrap();
        assert!(!root.exclude_groups && root.exclude_members);
        let (groups, _) = parse(json!({"excludedAttributes": ["members"]})).unwrap().groups();
        assert!(groups.exclude_members);
    }

    #[test]
    fn an_empty_search_lists_everything_from_the_first_result() {
        let search = parse(json!({})).unwrap();
        assert_eq!(search.query.filter, "");
        assert_eq!((search.query.start_index, search.query.count), (1, None));
        assert!(search.projection.is_all());
    }

    #[test]
    fn names_match_in_any_case_and_paging_is_clamped() {
        let search = parse(json!({"STARTINDEX": -4, "Count": -1, "excludedattributes": "emails,groups"})).unwrap();
        assert_eq!((search.query.start_index, search.query.count), (1, Some(0)));
        assert!(search.users().0.exclude_groups);
        let huge = parse(json!({"count": 18446744073709551615u64})).unwrap();
        assert_eq!(huge.query.count, Some(u32::MAX));
    }

    #[test]
    fn a_cursor_in_the_body_asks_for_cursor_paging_of_one_resource_type() {
        let search = parse(json!({"cursor": "", "count": 10, "filter": "userName sw \"j\""})).unwrap();
        assert_eq!(search.query.cursor.as_deref(), Some(""));
        assert_eq!(search.clone().users().0.cursor.as_deref(), Some(""));
        assert_eq!(search.clone().groups().0.cursor.as_deref(), Some(""));
        let root = search.every_type().unwrap_err();
        assert_eq!(root.scim_type(), Some(ScimType::InvalidValue));
        assert_eq!(parse(json!({"count": 3})).unwrap().query.cursor, None);
    }

    #[test]
    fn a_cursor_with_a_start_index_or_of_another_type_is_invalid_value() {
        for body in [json!({"cursor": "", "startIndex": 1}), json!({"cursor": 5})] {
            let error = parse(body.clone()).unwrap_err();
            assert_eq!(error.scim_type(), Some(ScimType::InvalidValue), "{body}");
        }
    }

    #[test]
    fn wrong_types_and_values_are_400() {
        for (body, scim_type) in [
            (json!([]), ScimType::InvalidSyntax),
            (
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}),
                ScimType::InvalidSyntax,
            ),
            (json!({"schemas": "x"}), ScimType::InvalidValue),
            (json!({"count": 1.5}), ScimType::InvalidValue),
            (json!({"count": "10"}), ScimType::InvalidValue),
            (json!({"filter": 3}), ScimType::InvalidValue),
            (json!({"sortOrder": "sideways"}), ScimType::InvalidValue),
            (json!({"attributes": [1]}), ScimType::InvalidValue),
            (
                json!({"attributes": ["userName"], "excludedAttributes": ["emails"]}),
                ScimType::InvalidValue,
            ),
            (json!({"attributes": ["user name"]}), ScimType::InvalidValue),
        ] {
            let error = parse(body.clone()).unwrap_err();
            assert_eq!(error.scim_type(), Some(scim_type), "{body}: {}", error.detail());
        }
    }
}
