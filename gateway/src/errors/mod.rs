//! `ApiError`, the gateway's one error type, and the SCIM `Error` envelope it renders as
//! (RFC 7644 §3.12).
//!
//! Use the named constructors for failures the gateway finds itself (malformed JSON, a
//! wrong content type, an unknown route); failures reported by sync-core go through
//! `ApiError::from(tonic::Status)`, whose table lives in [`grpc`]. Every error answers
//! with `Content-Type: application/scim+json`; 5xx answers never carry internal detail.

mod grpc;

pub use idsync_proto::scim::{SCIM_ERROR_DOMAIN, ScimType};

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::response::{SCIM_CONTENT_TYPE, scim_json_bytes};
use crate::wire::ERROR_URN;

/// An HTTP failure rendered as a SCIM `Error` resource.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {detail}")]
pub struct ApiError {
    status: StatusCode,
    scim_type: Option<ScimType>,
    detail: Cow<'static, str>,
    /// Seconds for `Retry-After` (429 only).
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            scim_type,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 400 with an optional `scimType`.
    pub fn bad_request(scim_type: Option<ScimType>, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, scim_type, detail)
    }

    /// 400 `invalidSyntax`: the body is not JSON or not the expected message structure.
    pub fn invalid_syntax(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::bad_request(Some(ScimType::InvalidSyntax), detail)
    }

    /// 400 `invalidValue`: a value (attribute, query parameter, header) is unusable.
    pub fn invalid_value(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::bad_request(Some(ScimType::InvalidValue), detail)
    }

    /// 401; the response carries `WWW-Authenticate: Bearer realm="idsync"`.
    pub fn unauthorized(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, None, detail)
    }

    /// 403: authenticated, but the token's scope does not allow the call.
    pub fn forbidden(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, None, detail)
    }

    /// 404: no such resource or endpoint.
    pub fn not_found(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }

    /// 405: the route exists but not for this method (the router adds `Allow`).
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "method not allowed on this endpoint",
        )
    }

    /// 409 `uniqueness`: the resource conflicts with an existing one.
    pub fn conflict(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, Some(ScimType::Uniqueness), detail)
    }

    /// 412: the `If-Match` version is not the stored one.
    pub fn precondition_failed(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, None, detail)
    }

    /// 413: the body is larger than `GatewaySettings::max_body_bytes`.
    pub fn payload_too_large(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, None, detail)
    }

    /// 415: the body's `Content-Type` is neither SCIM nor plain JSON.
    pub fn unsupported_media_type(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, None, detail)
    }

    /// 429 with `Retry-After: <retry_after_secs>`.
    pub fn too_many_requests(detail: impl Into<Cow<'static, str>>, retry_after_secs: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after_secs),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, None, detail)
        }
    }

    /// 503 with `Retry-After`: the gateway is serving as many requests as it may.
    pub fn overloaded(retry_after_secs: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after_secs),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "the service is at capacity; retry after the time given",
            )
        }
    }

    /// 504: the request's deadline (`request_timeout_secs`) passed before it was
    /// answered. A write may still have been applied; retrying it is safe with the
    /// usual SCIM answers (409 for a create that happened).
    pub fn deadline_exceeded() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            None,
            "the request was not answered within its deadline; retry later",
        )
    }

    /// 500 with a generic detail; log the cause before building it.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, "internal error")
    }

    /// 501: the core does not implement the operation.
    pub fn not_implemented(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, None, detail)
    }

    /// 503: sync-core cannot be reached right now.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "service temporarily unavailable; retry later",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The SCIM `scimType`, if any.
    pub fn scim_type(&self) -> Option<ScimType> {
        self.scim_type
    }

    /// The human-readable `detail`.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// `Retry-After` seconds (429 only).
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// A 409 `invalidValue`: an operation depends on something that cannot exist, such
    /// as an unresolvable `bulkId` (RFC 7644 §3.7.2).
    pub fn conflict_invalid_value(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, Some(ScimType::InvalidValue), detail)
    }

    /// The SCIM `Error` resource as JSON (for embedding, e.g. in a BulkResponse).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.body()).unwrap_or(serde_json::Value::Null)
    }

    fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            schemas: [ERROR_URN],
            status: self.status.as_str(),
            scim_type: self.scim_type.map(ScimType::as_str),
            detail: &self.detail,
        }
    }
}

/// The SCIM `Error` resource (RFC 7644 §3.12); `status` is a JSON string.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    schemas: [&'static str; 1],
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scim_type: Option<&'static str>,
    detail: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, scim_json_bytes(&self.body())).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_CONTENT_TYPE));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="idsync""#),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn render(error: ApiError) -> (Response, serde_json::Value) {
        let response = error.into_response();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            Response::from_parts(parts, Default::default()),
            serde_json::from_slice(&bytes).unwrap(),
        )
    }

    #[tokio::test]
    async fn an_error_renders_as_a_scim_error_resource_with_a_string_status() {
        let (response, body) = render(ApiError::conflict("userName is taken")).await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(response.headers()[header::CONTENT_TYPE], SCIM_CONTENT_TYPE);
        assert_eq!(
            body,
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "409",
                "scimType": "uniqueness",
                "detail": "userName is taken"
            })
        );
    }

    #[tokio::test]
    async fn scim_type_is_omitted_when_there_is_none() {
        let (_, body) = render(ApiError::not_found("no such user")).await;
        assert!(body.get("scimType").is_none());
        assert_eq!(body["status"], "404");
    }

    #[tokio::test]
    async fn unauthorized_carries_a_bearer_challenge_and_throttling_a_retry_after() {
        let (response, _) = render(ApiError::unauthorized("bad token")).await;
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], r#"Bearer realm="idsync""#);
        let (response, _) = render(ApiError::too_many_requests("slow down", 7)).await;
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }

    #[test]
    fn scim_type_keywords_round_trip_and_unknown_ones_are_rejected() {
        for t in ScimType::ALL {
            assert_eq!(ScimType::parse(t.as_str()), Some(t));
        }
        assert_eq!(ScimType::parse("INVALIDFILTER"), Some(ScimType::InvalidFilter));
        assert_eq!(ScimType::parse("somethingElse"), None);
    }
}
