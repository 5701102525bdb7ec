//! Building SCIM responses: the `application/scim+json` body and the `ETag` header.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::errors::ApiError;
use crate::extract::IfNoneMatch;
use crate::projection::Projection;
use crate::wire::list::ListResponseOut;

/// The media type of every SCIM response body (RFC 7644 §3.1).
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// A body serialized as SCIM JSON with `Content-Type: application/scim+json`.
pub(crate) struct Scim<T>(pub T);

impl<T: Serialize> IntoResponse for Scim<T> {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(scim_json_bytes(&self.0)));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_CONTENT_TYPE));
        response
    }
}

/// Serializes `body`; our typed bodies cannot fail, but if one ever does, answer with a
/// bare SCIM 500 rather than panic.
pub(crate) fn scim_json_bytes<T: Serialize>(body: &T) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_else(|error| {
        tracing::error!(%error, "could not serialize a response body");
        let status = StatusCode::INTERNAL_SERVER_ERROR;
        format!(
            r#"{{"schemas":["{}"],"status":"{}","detail":"internal error"}}"#,
            crate::wire::ERROR_URN,
            status.as_str()
        )
        .into_bytes()
    })
}

/// A resource as SCIM JSON with its `ETag`; a 201 also gets `Location` (RFC 7644 §3.3).
pub(crate) fn resource<T: Serialize>(
    status: StatusCode,
    version: Option<i64>,
    location: Option<String>,
    body: T,
) -> Response {
    let mut headers = HeaderMap::new();
    if let Some(version) = version {
        headers.insert(header::ETAG, etag(version));
    }
    if status == StatusCode::CREATED {
        match location.map(HeaderValue::try_from) {
            Some(Ok(location)) => {
                headers.insert(header::LOCATION, location);
            }
            Some(Err(error)) => tracing::warn!(%error, "meta.location is not a valid header value"),
            None => {}
        }
    }
    (status, headers, Scim(body)).into_response()
}

/// [`resource`], shaped by `attributes`/`excludedAttributes`. The default projection
/// serializes `out` as it is; any other goes through JSON once.
pub(crate) fn projected_resource<T: Serialize>(
    status: StatusCode,
    version: Option<i64>,
    location: Option<String>,
    out: T,
    projection: &Projection,
) -> Result<Response, ApiError> {
    if projection.is_all() {
        return Ok(resource(status, version, location, out));
    }
    Ok(resource(status, version, location, projection.render(&out)?))
}

/// A `ListResponse` with each resource shaped by `attributes`/`excludedAttributes`.
pub(crate) fn projected_list<R: Serialize>(
    list: ListResponseOut<R>,
    projection: &Projection,
) -> Result<Response, ApiError> {
    if projection.is_all() {
        return Ok(Scim(list).into_response());
    }
    Ok(Scim(list.try_map(|r| projection.render(&r))?).into_response())
}

/// `304 Not Modified` (the `ETag` and no body) when `If-None-Match` names `version`,
/// the resource's current version, or is `*` (RFC 7232 §3.2, RFC 7644 §3.14).
pub(crate) fn not_modified(if_none_match: &IfNoneMatch, version: Option<i64>) -> Option<Response> {
    let version = version.filter(|v| if_none_match.matches(*v))?;
    Some((StatusCode::NOT_MODIFIED, [(header::ETAG, etag(version))]).into_response())
}

/// The weak entity tag of a resource version, `W/"<version>"` (RFC 7644 §3.14).
pub(crate) fn etag(version: i64) -> HeaderValue {
    // Digits, '-', 'W', '/' and '"' are all valid header bytes.
    HeaderValue::from_str(&format!("W/\"{version}\"")).unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_weak_and_quoted() {
        assert_eq!(etag(3), "W/\"3\"");
        assert_eq!(etag(0), "W/\"0\"");
    }

    #[test]
    fn scim_bodies_carry_the_scim_media_type() {
        let response = Scim(serde_json::json!({"a": 1})).into_response();
        assert_eq!(response.headers()[header::CONTENT_TYPE], SCIM_CONTENT_TYPE);
    }
}
