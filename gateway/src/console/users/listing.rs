//! What the Users and Groups pages share: the query of a paged, searchable list, safe
//! SCIM filters built from what an admin typed, links, and a refused search shown inline.

use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;

use crate::ApiError;
use crate::console::error::ConsoleError;

/// Rows per page of every list of these pages.
pub(crate) const PAGE_SIZE: u32 = 25;

/// The query string of a list page: `?q=…&filter=…&start=…`. Every field is text so
/// that a hand-edited URL never fails to parse: a bad `start` reads as the first page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pub(crate) q: String,
    #[serde(default)]
    pub(crate) filter: String,
    #[serde(default)]
    start: String,
}

impl ListQuery {
    /// The 1-based index of the page's first row.
    pub(crate) fn start(&self) -> u32 {
        self.start
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|&start| start > 0)
            .unwrap_or(1)
    }
}

/// A SCIM string literal holding `text` exactly: JSON-escaped, in quotes (RFC 7644
/// §3.4.2.2 takes JSON strings), so nothing typed can end the literal early.
pub(crate) fn literal(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// `a sw "text" or b sw "text" …` over `attributes`, for `text` trimmed; empty (no
/// filter) when nothing but spaces was typed.
pub(crate) fn starts_with_any(attributes: &[&str], text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let literal = literal(text);
    attributes
        .iter()
        .map(|attribute| format!("{attribute} sw {literal}"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Both filters, when both are given.
pub(crate) fn both(a: &str, b: &str) -> String {
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, _) => b.trim().to_owned(),
        (_, true) => a.trim().to_owned(),
        _ => format!("({}) and ({})", a.trim(), b.trim()),
    }
}

/// `path?name=value&…`, leaving out empty values.
pub(crate) fn href(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// `/admin/<kind>/<id>` with the id percent-encoded as one path segment.
pub(crate) fn detail_href(kind: &str, id: &str) -> String {
    let mut out = format!("/admin/{kind}/");
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A search the core refused (a 400: an invalid filter, a literal too long): shown on
/// the page next to the form, with the status; anything else fails the page.
pub(crate) fn refused_search(status: tonic::Status) -> Result<ApiError, ConsoleError> {
    if status.code() == tonic::Code::InvalidArgument {
        let error = ApiError::from(status);
        if error.status() == StatusCode::BAD_REQUEST {
            return Ok(error);
        }
        return Err(ConsoleError::Api(error));
    }
    Err(ConsoleError::from(status))
}

/// The refused search's `scimType` and detail, for the form.
pub(crate) fn search_error(error: &ApiError) -> Markup {
    html! {
        p.error role="alert" data-testid="filter-error" {
            @if let Some(scim_type) = error.scim_type() {
                code { (scim_type.as_str()) } ": "
            }
            (error.detail())
        }
    }
}

/// What a detail page shows when the core does not know the id in this tenant.
pub(crate) fn not_found_as(what: &'static str) -> impl Fn(tonic::Status) -> ConsoleError {
    move |status| match status.code() {
        tonic::Code::NotFound => ConsoleError::NotFound(what.to_owned()),
        _ => ConsoleError::from(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_stays_inside_its_literal() {
        assert_eq!(
            starts_with_any(&["userName", "emails.value"], r#"a" or id pr or "\"#),
            r#"userName sw "a\" or id pr or \"\\" or emails.value sw "a\" or id pr or \"\\""#
        );
        assert_eq!(literal("tab\there"), r#""tab\there""#);
    }

    #[test]
    fn two_filters_are_joined_only_when_both_are_given() {
        assert_eq!(both("a eq 1", " "), "a eq 1");
        assert_eq!(both("", "b eq 2"), "b eq 2");
        assert_eq!(both("a eq 1", "b eq 2"), "(a eq 1) and (b eq 2)");
    }

    #[test]
    fn links_encode_their_values_and_skip_empty_ones() {
        assert_eq!(
            href("/admin/users", &[("q", "a&b c"), ("filter", ""), ("start", "26")]),
            "/admin/users?q=a%26b+c&start=26"
        );
        assert_eq!(href("/admin/users", &[("q", "")]), "/admin/users");
        assert_eq!(detail_href("users", "a/b?c"), "/admin/users/a%2Fb%3Fc");
    }

    #[test]
    fn a_missing_or_bad_start_is_the_first_page() {
        let query = |start: &str| ListQuery {
            start: start.to_owned(),
            ..ListQuery::default()
        };
        assert_eq!(query("").start(), 1);
        assert_eq!(query("0").start(), 1);
        assert_eq!(query("x").start(), 1);
        assert_eq!(query("26").start(), 26);
    }
}
