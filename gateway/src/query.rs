//! Query parameters: paging, filtering and sorting of `GET /Users` and `GET /Groups`
//! (RFC 7644 §3.4.2), and `attributes`/`excludedAttributes` (RFC 7644 §3.9) on any
//! request.
//!
//! Entra form-encodes the query (`+` for spaces, `%22` for quotes) and the SCIM validator
//! has been seen sending raw quotes, so the query is decoded as form data. Parameter
//! names match in any ASCII case; unknown parameters (`aadOptscim062020`, …) are ignored.
//! Of the attribute lists the gateway only needs to know whether they leave out
//! `members` (groups) or `groups` (users): the core then skips loading them.

use idsync_proto::v1::{ListGroupsRequest, ListUsersRequest, SortOrder};

use crate::errors::ApiError;

/// `attributes` and `excludedAttributes` (RFC 7644 §3.9): comma-separated attribute
/// names, possibly URN-qualified, in any letter case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Projection {
    /// `attributes`, when given: only these (and the always-returned ones) come back.
    attributes: Option<Vec<String>>,
    /// `excludedAttributes`.
    excluded: Vec<String>,
}

impl Projection {
    /// Reads the two lists from a raw query; everything else is ignored.
    pub(crate) fn parse(query: Option<&str>) -> Projection {
        let mut projection = Projection::default();
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            projection.take(&name, &value);
        }
        projection
    }

    /// Keeps the parameter when it is one of the two lists; true when it was.
    fn take(&mut self, name: &str, value: &str) -> bool {
        let names = value
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if name.eq_ignore_ascii_case("attributes") {
            self.attributes.get_or_insert_with(Vec::new).extend(names);
        } else if name.eq_ignore_ascii_case("excludedAttributes") {
            self.excluded.extend(names);
        } else {
            return false;
        }
        true
    }

    /// Whether the request names either list, i.e. asks for a shaped resource back.
    pub(crate) fn is_requested(&self) -> bool {
        self.attributes.is_some() || !self.excluded.is_empty()
    }

    /// Whether the response leaves out the top-level attribute `attr`: it is excluded,
    /// or `attributes` names neither it nor one of its sub-attributes.
    pub(crate) fn leaves_out(&self, attr: &str) -> bool {
        if self.excluded.iter().any(|name| names_attribute(name, attr)) {
            return true;
        }
        self.attributes.as_ref().is_some_and(|wanted| {
            !wanted.iter().any(|name| {
                let top = name.rsplit(':').next().unwrap_or(name);
                let top = top.split('.').next().unwrap_or(top);
                top.eq_ignore_ascii_case(attr)
            })
        })
    }
}

/// Whether `name` (`members`, `urn:…:Group:members`) is the attribute `attr` itself.
fn names_attribute(name: &str, attr: &str) -> bool {
    name.rsplit(':').next().unwrap_or(name).eq_ignore_ascii_case(attr)
}

/// What a list request asks for, whatever the resource.
struct ListParams {
    filter: String,
    start_index: u32,
    count: Option<u32>,
    sort_by: String,
    sort_order: SortOrder,
    projection: Projection,
}

/// Reads `filter`, `startIndex`, `count`, `sortBy`, `sortOrder` and the attribute
/// lists from a raw query.
///
/// Paging follows RFC 7644 §3.4.2.4: a `startIndex` below 1 is read as 1 and a negative
/// `count` as 0. A value that is not an integer is 400 `invalidValue`; an empty one is
/// treated as absent. The filter text is passed on untouched for the core to parse.
fn list_params(query: Option<&str>) -> Result<ListParams, ApiError> {
    let mut params = ListParams {
        filter: String::new(),
        start_index: 1,
        count: None,
        sort_by: String::new(),
        sort_order: SortOrder::Unspecified,
        projection: Projection::default(),
    };
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if name.eq_ignore_ascii_case("filter") {
            params.filter = value.into_owned();
        } else if name.eq_ignore_ascii_case("startIndex") {
            if let Some(index) = integer(&value, "startIndex")? {
                params.start_index = clamp_u32(index.max(1));
            }
        } else if name.eq_ignore_ascii_case("count") {
            params.count = integer(&value, "count")?.map(|count| clamp_u32(count.max(0)));
        } else if name.eq_ignore_ascii_case("sortBy") {
            params.sort_by = value.into_owned();
        } else if name.eq_ignore_ascii_case("sortOrder") {
            params.sort_order = sort_order(&value)?;
        } else {
            params.projection.take(&name, &value);
        }
    }
    Ok(params)
}

/// `GET /Users?…`; `excludedAttributes=groups` skips the membership lookup.
pub(crate) fn list_users_request(query: Option<&str>) -> Result<ListUsersRequest, ApiError> {
    let params = list_params(query)?;
    Ok(ListUsersRequest {
        exclude_groups: params.projection.leaves_out("groups"),
        filter: params.filter,
        start_index: params.start_index,
        count: params.count,
        sort_by: params.sort_by,
        sort_order: params.sort_order as i32,
    })
}

/// `GET /Groups?…`; `excludedAttributes=members` (what Entra always sends) keeps the
/// members from being loaded at all.
pub(crate) fn list_groups_request(query: Option<&str>) -> Result<ListGroupsRequest, ApiError> {
    let params = list_params(query)?;
    Ok(ListGroupsRequest {
        exclude_members: params.projection.leaves_out("members"),
        filter: params.filter,
        start_index: params.start_index,
        count: params.count,
        sort_by: params.sort_by,
        sort_order: params.sort_order as i32,
    })
}

/// `sortOrder`: `ascending` or `descending` in any case (RFC 7644 §3.4.2.3).
fn sort_order(value: &str) -> Result<SortOrder, ApiError> {
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

fn clamp_u32(n: i64) -> u32 {
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
    fn excluded_attributes_are_read_case_insensitively_as_a_comma_separated_list() {
        let groups = list_groups_request(Some("EXCLUDEDATTRIBUTES=displayName,+Members&filter=x")).unwrap();
        assert!(groups.exclude_members);
        let qualified = "excludedAttributes=urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Acore%3A2.0%3AGroup%3Amembers";
        assert!(list_groups_request(Some(qualified)).unwrap().exclude_members);
        assert!(
            !list_groups_request(Some("excludedAttributes=members.display"))
                .unwrap()
                .exclude_members
        );
        assert!(!list_groups_request(None).unwrap().exclude_members);
        let users = list_users_request(Some("excludedAttributes=groups")).unwrap();
        assert!(users.exclude_groups);
        assert!(
            !list_users_request(Some("excludedAttributes=members"))
                .unwrap()
                .exclude_groups
        );
    }

    #[test]
    fn an_attributes_list_that_omits_an_attribute_leaves_it_out() {
        assert!(
            list_groups_request(Some("attributes=id,displayName"))
                .unwrap()
                .exclude_members
        );
        assert!(
            !list_groups_request(Some("attributes=displayName,members.value"))
                .unwrap()
                .exclude_members
        );
        let projection = Projection::parse(Some("attributes=userName"));
        assert!(projection.is_requested() && projection.leaves_out("groups"));
        let nothing = Projection::parse(Some("filter=x&aadOptscim062020"));
        assert!(!nothing.is_requested() && !nothing.leaves_out("members"));
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
