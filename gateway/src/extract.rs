//! Request extractors whose rejections are SCIM errors: the JSON body, the resource id in
//! the path, `If-Match` and `If-None-Match`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use idsync_proto::v1::VersionCheck;
use serde_json::Value;

use crate::errors::ApiError;

/// A SCIM JSON request body read into `T`.
///
/// Accepts `application/scim+json` and `application/json` (any parameters, `charset` only
/// UTF-8) or no `Content-Type` at all; anything else is 415. The size limit comes from
/// `DefaultBodyLimit` (413). Bytes that are not JSON are 400 `invalidSyntax`; JSON that
/// `T` cannot use is whatever `T::try_from` answers (400 `invalidValue`, naming the
/// attribute).
pub(crate) struct ScimJson<T>(pub T);

impl<S, T> FromRequest<S> for ScimJson<T>
where
    S: Send + Sync,
    T: TryFrom<Value, Error = ApiError>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        check_body_content_type(req.headers())?;
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large("the request body is larger than this server accepts")
            } else {
                ApiError::invalid_syntax(format!("could not read the request body: {}", rejection.body_text()))
            }
        })?;
        T::try_from(parse_json(&bytes)?).map(ScimJson)
    }
}

/// Parses a request body; any failure is 400 `invalidSyntax` with serde's position.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    // A UTF-8 byte order mark is not JSON (RFC 8259 §8.1), but harmless: skip it.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_syntax(
            "the request body is empty; a JSON object is required",
        ));
    }
    serde_json::from_slice(bytes).map_err(|error| ApiError::invalid_syntax(format!("malformed JSON: {error}")))
}

/// Whether a body with this `Content-Type` may be read as SCIM JSON (RFC 7644 §3.1, §8.1).
pub(crate) fn check_body_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get(header::CONTENT_TYPE) {
        None => Ok(()),
        Some(value) if is_json_media_type(value) => Ok(()),
        Some(_) => Err(ApiError::unsupported_media_type(
            "request bodies must be application/scim+json or application/json",
        )),
    }
}

fn is_json_media_type(value: &HeaderValue) -> bool {
    let Ok(value) = value.to_str() else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/scim+json") && !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    // JSON is UTF-8 (RFC 8259 §8.1); other parameters are irrelevant.
    parts.all(|param| match param.split_once('=') {
        Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => {
            charset.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    })
}

/// The `{id}` of `/Users/{id}`; an undecodable id names no resource (404).
pub(crate) struct ResourceId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ResourceId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(ResourceId(id)),
            Err(rejection) => {
                tracing::debug!(%rejection, "unusable resource id in path");
                Err(ApiError::not_found("no resource has this id"))
            }
        }
    }
}

/// The version precondition of `If-Match` (RFC 7644 §3.14): `W/"3"` or `"3"` checks
/// version 3, `*` or no header checks nothing.
pub(crate) struct IfMatch(pub Option<VersionCheck>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_if_match(&parts.headers).map(IfMatch)
    }
}

pub(crate) fn parse_if_match(headers: &HeaderMap) -> Result<Option<VersionCheck>, ApiError> {
    let mut values = headers.get_all(header::IF_MATCH).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return match headers.contains_key(header::IF_MATCH) {
            true => Err(invalid_if_match()),
            false => Ok(None),
        };
    };
    let value = value.to_str().map_err(|_| invalid_if_match())?.trim();
    if value == "*" {
        return Ok(None);
    }
    let tag = value.strip_prefix("W/").unwrap_or(value);
    let version = tag
        .strip_prefix('"')
        .and_then(|tag| tag.strip_suffix('"'))
        .and_then(|digits| digits.parse::<i64>().ok())
        .ok_or_else(invalid_if_match)?;
    Ok(Some(VersionCheck { version }))
}

/// `If-None-Match` on a read (RFC 7644 §3.14, RFC 7232 §3.2): `*` or entity tags,
/// compared weakly with the resource's version. A syntactically valid tag this server
/// never issued (`"abc"`) simply matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IfNoneMatch {
    /// No header: always answer in full.
    Absent,
    /// `*`: any current representation matches.
    Any,
    /// The versions named by the tags.
    Versions(Vec<i64>),
}

impl IfNoneMatch {
    /// Whether a resource at `version` matches, so the answer is 304 Not Modified.
    pub(crate) fn matches(&self, version: i64) -> bool {
        match self {
            IfNoneMatch::Absent => false,
            IfNoneMatch::Any => true,
            IfNoneMatch::Versions(versions) => versions.contains(&version),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_if_none_match(&parts.headers)
    }
}

pub(crate) fn parse_if_none_match(headers: &HeaderMap) -> Result<IfNoneMatch, ApiError> {
    let invalid = || ApiError::invalid_value(r#"If-None-Match must be * or entity tags like W/"3""#);
    let mut versions = Vec::new();
    let mut any_header = false;
    for value in headers.get_all(header::IF_NONE_MATCH) {
        any_header = true;
        let value = value.to_str().map_err(|_| invalid())?.trim();
        if value == "*" {
            return Ok(IfNoneMatch::Any);
        }
        let mut rest = value;
        loop {
            rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
            if rest.is_empty() {
                break;
            }
            let quoted = rest.strip_prefix("W/").unwrap_or(rest);
            let (tag, after) = quoted
                .strip_prefix('"')
                .and_then(|q| q.split_once('"'))
                .ok_or_else(invalid)?;
            if let Ok(version) = tag.parse::<i64>() {
                versions.push(version);
            }
            rest = after;
        }
    }
    Ok(match any_header {
        false => IfNoneMatch::Absent,
        true => IfNoneMatch::Versions(versions),
    })
}

fn invalid_if_match() -> ApiError {
    ApiError::invalid_value(r#"If-Match must be a single entity tag this server issued, like W/"3", or *"#)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ScimType;

    fn headers(name: header::HeaderName, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn if_match(values: &[&str]) -> Result<Option<i64>, ApiError> {
        parse_if_match(&headers(header::IF_MATCH, values)).map(|check| check.map(|c| c.version))
    }

    #[test]
    fn if_match_accepts_weak_and_strong_tags_and_star() {
        assert_eq!(if_match(&[r#"W/"3""#]).unwrap(), Some(3));
        assert_eq!(if_match(&[r#""42""#]).unwrap(), Some(42));
        assert_eq!(if_match(&[r#"  W/"7"  "#]).unwrap(), Some(7));
        assert_eq!(if_match(&["*"]).unwrap(), None);
        assert_eq!(if_match(&[]).unwrap(), None);
    }

    #[test]
    fn an_unparsable_if_match_is_invalid_value() {
        for bad in [
            &["3"][..],
            &[r#"W/"abc""#],
            &[r#""1", "2""#],
            &[r#"W/"1""#, r#"W/"2""#],
            &[""],
            &[r#"W/"3"#],
        ] {
            let error = if_match(bad).unwrap_err();
            assert_eq!(
                (error.status(), error.scim_type()),
                (StatusCode::BAD_REQUEST, Some(ScimType::InvalidValue))
            );
        }
    }

    #[test]
    fn if_none_match_reads_star_and_lists_of_weak_or_strong_tags() {
        let parse = |values: &[&str]| parse_if_none_match(&headers(header::IF_NONE_MATCH, values)).unwrap();
        assert_eq!(parse(&[]), IfNoneMatch::Absent);
        assert_eq!(parse(&["*"]), IfNoneMatch::Any);
        assert_eq!(parse(&[r#"W/"3""#]), IfNoneMatch::Versions(vec![3]));
        assert_eq!(
            parse(&[r#"W/"1", "2""#, r#" W/"7" "#]),
            IfNoneMatch::Versions(vec![1, 2, 7])
        );
        assert_eq!(parse(&[r#""abc", W/"x,y""#]), IfNoneMatch::Versions(vec![]));
        assert!(parse(&[r#"W/"4""#]).matches(4) && !parse(&[r#"W/"4""#]).matches(5));
        assert!(parse(&["*"]).matches(1) && !parse(&[]).matches(1));
    }

    #[test]
    fn an_unparsable_if_none_match_is_invalid_value() {
        for bad in ["3", r#"W/"3"#, "W/3", r#""1" junk"#] {
            let error = parse_if_none_match(&headers(header::IF_NONE_MATCH, &[bad])).unwrap_err();
            assert_eq!(error.scim_type(), Some(ScimType::InvalidValue), "{bad}");
        }
    }

    #[test]
    fn scim_and_plain_json_bodies_are_accepted_with_any_charset_spelling() {
        for ok in [
            "application/scim+json",
            "application/json",
            "application/scim+json; charset=utf-8",
            "Application/SCIM+JSON;Charset=UTF-8",
            "application/json;charset=\"utf-8\"",
            "application/json; charset=utf-8; profile=x",
        ] {
            assert!(
                check_body_content_type(&headers(header::CONTENT_TYPE, &[ok])).is_ok(),
                "{ok}"
            );
        }
        assert!(check_body_content_type(&HeaderMap::new()).is_ok());
    }

    #[test]
    fn other_media_types_are_415() {
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/xml",
            "application/json; charset=iso-8859-1",
            "application/jsonp",
            "",
        ] {
            let error = check_body_content_type(&headers(header::CONTENT_TYPE, &[bad])).unwrap_err();
            assert_eq!(error.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{bad}");
        }
    }

    #[test]
    fn malformed_or_empty_json_is_invalid_syntax() {
        for bad in [&b"{"[..], b"{\"userName\": }", b"", b"  \n", b"\xff\xfe", b"nul"] {
            let error = parse_json(bad).unwrap_err();
            assert_eq!(error.scim_type(), Some(ScimType::InvalidSyntax), "{bad:?}");
        }
        assert_eq!(parse_json(b"\xEF\xBB\xBF{}").unwrap(), serde_json::json!({}));
    }
}
