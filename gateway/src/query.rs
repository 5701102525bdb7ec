//! Query parameters: those of `GET /Users` (RFC 7644 §3.4.2) and `attributes` /
//! `excludedAttributes` of any request that returns a resource (RFC 7644 §3.9).
//!
//! Paging is by index (`startIndex`, RFC 7644 §3.4.2.4) or by cursor (`cursor`, RFC
//! 9865 §2: present, even empty, asks for it); one request uses one of them.
//!
//! Entra form-encodes the query (`+` for spaces, `%22` for quotes) and the SCIM validator
//! has been seen sending raw quotes, so the query is decoded as form data. Parameter
//! names match in any ASCII case; unknown parameters (`aadOptscim062020`, …) are ignored.

use std::borrow::Cow;

use idsync_proto::v1::{ListGroupsRequest, ListUsersRequest, SortOrder};

use crate::errors::ApiError;
use crate::projection::Projection;

/// The `attributes` and `excludedAttributes` parameters (each may repeat).
pub(crate) fn projection(query: Option<&str>) -> Result<Projection, ApiError> {
    let mut attributes: Vec<Cow<'_, str>> = Vec::new();
    let mut excluded: Vec<Cow<'_, str>> = Vec::new();
    for (name, value) in params(query) {
        if name.eq_ignore_ascii_case("attributes") {
            attributes.push(value);
        } else if name.eq_ignore_ascii_case("excludedAttributes") {
            excluded.push(value);
        }
    }
    let attributes: Vec<&str> = attributes.iter().map(AsRef::as_ref).collect();
    let excluded: Vec<&str> = excluded.iter().map(AsRef::as_ref).collect();
    Projection::parse(&attributes, &excluded)
}

/// Whether the query carries a `filter` parameter (even an empty one).
pub(crate) fn has_filter(query: Option<&str>) -> bool {
    params(query).any(|(name, _)| name.eq_ignore_ascii_case("filter"))
}

fn params(query: Option<&str>) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
}

/// What a list request asks for, whatever the resource.
struct ListParams {
    filter: String,
    start_index: u32,
    count: Option<u32>,
    sort_by: String,
    sort_order: SortOrder,
    cursor: Option<String>,
}

/// Reads `filter`, `startIndex`, `count`, `sortBy`, `sortOrder` and `cursor` (names in
/// any ASCII case) from a raw query.
///
/// Paging follows RFC 7644 §3.4.2.4: a `startIndex` below 1 is read as 1 and a negative
/// `count` as 0. A value that is not an integer is 400 `invalidValue`; an empty one is
/// treated as absent. The filter text is passed on untouched for the core to parse.
/// `startIndex` and `cursor` together are 400 `invalidValue` (see [`refuse_mixed_paging`]).
fn list_params(query: Option<&str>) -> Result<ListParams, ApiError> {
    let mut list = ListParams {
        filter: String::new(),
        start_index: 1,
        count: None,
        sort_by: String::new(),
        sort_order: SortOrder::Unspecified,
        cursor: None,
    };
    let mut by_index = false;
    for (name, value) in params(query) {
        if name.eq_ignore_ascii_case("filter") {
            list.filter = value.into_owned();
        } else if name.eq_ignore_ascii_case("startIndex") {
            by_index = true;
            if let Some(index) = integer(&value, "startIndex")? {
                list.start_index = clamp_u32(index.max(1));
            }
        } else if name.eq_ignore_ascii_case("count") {
            list.count = integer(&value, "count")?.map(|count| clamp_u32(count.max(0)));
        } else if name.eq_ignore_ascii_case("sortBy") {
            list.sort_by = value.into_owned();
        } else if name.eq_ignore_ascii_case("sortOrder") {
            list.sort_order = sort_order(&value)?;
        } else if name.eq_ignore_ascii_case("cursor") {
            list.cursor = Some(value.into_owned());
        }
    }
    refuse_mixed_paging(by_index, list.cursor.is_some())?;
    Ok(list)
}

/// RFC 9865 §2.4 lets a client pick index or cursor paging per request and says nothing
/// of both at once; rather than guess which one it meant, such a request is 400
/// `invalidValue`.
pub(crate) fn refuse_mixed_paging(by_index: bool, by_cursor: bool) -> Result<(), ApiError> {
    if by_index && by_cursor {
        return Err(ApiError::invalid_value(
            "startIndex and cursor cannot be combined: page by index or by cursor",
        ));
    }
    Ok(())
}

/// `GET /Users?…`; the caller decides `exclude_groups` from the projection.
pub(crate) fn list_users_request(query: Option<&str>) -> Result<ListUsersRequest, ApiError> {
    let ListParams {
        filter,
        start_index,
        count,
        sort_by,
        sort_order,
        cursor,
    } = list_params(query)?;
    Ok(ListUsersRequest {
        filter,
        start_index,
        count,
        sort_by,
        sort_order: sort_order as i32,
        exclude_groups: false,
        cursor,
    })
}

/// `GET /Groups?…`; the caller decides `exclude_members` from the projection.
pub(crate) fn list_groups_request(query: Option<&str>) -> Result<ListGroupsRequest, ApiError> {
    let ListParams {
        filter,
        start_index,
        count,
        sort_by,
        sort_order,
        cursor,
    } = list_params(query)?;
    Ok(ListGroupsRequest {
        filter,
        start_index,
        count,
        sort_by,
        sort_order: sort_order as i32,
        exclude_members: false,
        cursor,
    })
}

/// `sortOrder`: `ascending` or `descending` in any case (RFC 7644 §3.4.2.3).
pub(crate) fn sort_order(value: &str) -> Result<SortOrder, ApiError> {
    match value.trim() {
        "" => Ok(SortOrder::Unspecified),
        v if v.eq_ignore_ascii_case("ascending") => Ok(SortOrder::Ascending),
        v if v.eq_ignore_ascii_case("descending") => Ok(SortOrder::Descending),
        _ => Err(ApiError::invalid_value("sortOrder must be 'ascending' or 'descending'")),
    }
}

/// An integer parameter; `None` when empty. Digits beyond `i64` saturate.
fn integer(value: &str, name: &str) -> Result<Option<i64>, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<i64>() {
        Ok(n) => Ok(Some(n)),
        Err(e) if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) => Ok(Some(i64::MAX)),
        Err(e) if matches!(e.kind(), std::num::IntErrorKind::NegOverflow) => Ok(Some(i64::MIN)),
        Err(_) => Err(ApiError::invalid_value(format!(
            "query parameter '{name}' must be an integer"
        ))),
    }
}

pub(crate) fn clamp_u32(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;
    use crate::errors::ScimType;

    fn parse(query: &str) -> ListUsersRequest {
        list_users_request(Some(query)).unwrap()
    }

    #[test]
    fn entra_form_encoded_filters_decode_plus_as_space() {
        assert_eq!(
            parse("filter=userName+eq+%22a%40b.c%22").filter,
            r#"userName eq "a@b.c""#
        );
        assert_eq!(
            parse("filter=userName+eq+%227d420df3-9995-4831-a406-ecf8166f5f6a%22").filter,
            r#"userName eq "7d420df3-9995-4831-a406-ecf8166f5f6a""#
        );
    }

    #[test]
    fn a_literal_plus_arrives_percent_encoded() {
        assert_eq!(
            parse("filter=userName+eq+%22a%2Bb%40c.d%22").filter,
            r#"userName eq "a+b@c.d""#
        );
    }

    #[test]
    fn unencoded_quotes_from_the_scim_validator_are_kept() {
        assert_eq!(
            parse(r#"filter=userName+eq+"x%40y.uk""#).filter,
            r#"userName eq "x@y.uk""#
        );
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        let request = parse("aadOptscim062020&excludedAttributes=members&filter=userName+eq+%22a%22&sortBy=x");
        assert_eq!(request.filter, r#"userName eq "a""#);
        assert_eq!((request.start_index, request.count), (1, None));
    }

    #[test]
    fn no_query_lists_from_the_first_result_with_the_default_page_size() {
        let request = list_users_request(None).unwrap();
        assert_eq!(
            (request.filter.as_str(), request.start_index, request.count),
            ("", 1, None)
        );
    }

    #[test]
    fn paging_is_clamped_as_rfc_7644_prescribes() {
        let request = parse("startIndex=6&count=5");
        assert_eq!((request.start_index, request.count), (6, Some(5)));
        let request = parse("startIndex=0&count=-3");
        assert_eq!((request.start_index, request.count), (1, Some(0)));
        let request = parse("startIndex=-9&count=0");
        assert_eq!((request.start_index, request.count), (1, Some(0)));
        let request = parse("STARTINDEX=2&Count=99999999999999999999999");
        assert_eq!((request.start_index, request.count), (2, Some(u32::MAX)));
        let request = parse("startIndex=&count=");
        assert_eq!((request.start_index, request.count), (1, None));
    }

    #[test]
    fn attributes_and_excluded_attributes_are_read_in_any_case_and_may_repeat() {
        assert!(projection(None).unwrap().is_all());
        assert!(projection(Some("filter=x&count=2")).unwrap().is_all());
        let only = projection(Some("ATTRIBUTES=userName&attributes=name.givenName")).unwrap();
        assert!(!only.may_return("emails") && only.may_return("username") && only.may_return("name"));
        let except = projection(Some("excludedattributes=emails%2Cgroups")).unwrap();
        assert!(!except.may_return("groups") && except.may_return("userName"));
        let both = projection(Some("attributes=userName&excludedAttributes=emails")).unwrap_err();
        assert_eq!(both.scim_type(), Some(ScimType::InvalidValue));
    }

    #[test]
    fn a_filter_parameter_is_noticed_even_when_empty() {
        assert!(has_filter(Some("FILTER=")));
        assert!(has_filter(Some("count=1&filter=id+pr")));
        assert!(!has_filter(Some("filters=x")));
        assert!(!has_filter(None));
    }

    #[test]
    fn a_cursor_parameter_asks_for_cursor_paging_even_when_empty() {
        assert_eq!(parse("cursor").cursor.as_deref(), Some(""));
        assert_eq!(parse("Cursor=&count=10").cursor.as_deref(), Some(""));
        assert_eq!(parse("cursor=AbC-_9&count=10").cursor.as_deref(), Some("AbC-_9"));
        assert_eq!(parse("count=10").cursor, None);
        let groups = list_groups_request(Some("cursor=xyz")).unwrap();
        assert_eq!(groups.cursor.as_deref(), Some("xyz"));
    }

    #[test]
    fn start_index_and_cursor_together_are_invalid_value() {
        for query in ["startIndex=1&cursor", "cursor=abc&STARTINDEX=5", "startIndex=&cursor="] {
            let error = list_users_request(Some(query)).unwrap_err();
            assert_eq!(
                (error.status(), error.scim_type()),
                (StatusCode::BAD_REQUEST, Some(ScimType::InvalidValue)),
                "{query}"
            );
            assert!(error.detail().contains("cannot be combined"));
        }
    }

    #[test]
    fn non_numeric_paging_is_invalid_value() {
        for query in ["count=abc", "startIndex=1.5", "count=5x", "startIndex=%22%22"] {
            let error = list_users_request(Some(query)).unwrap_err();
            assert_eq!(
                (error.status(), error.scim_type()),
                (StatusCode::BAD_REQUEST, Some(ScimType::InvalidValue))
            );
            assert!(error.detail().contains("must be an integer"), "{query}");
        }
    }
}
