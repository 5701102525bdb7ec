//! What an HTTP request hands on to sync-core as gRPC metadata.
//!
//! The bearer token travels verbatim in `authorization`: the core, not the gateway,
//! resolves it to a tenant and rejects it (UNAUTHENTICATED → 401). The request id
//! travels too, so the core's log lines name it. The caller's W3C trace context is
//! copied as well, but the traced channel (`observe::CoreChannel`) replaces it with the
//! context of the gateway's own gRPC client span, so the core's span is that span's
//! child; it passes through verbatim only when tracing is off.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, HeaderName};
use axum::http::request::Parts;
use tonic::Extensions;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};

/// `x-request-id`: set by the gateway when the client sent none, echoed on the response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers copied into gRPC metadata under the same (lowercase) names.
const FORWARDED: [&str; 4] = ["authorization", "x-request-id", "traceparent", "tracestate"];

/// The metadata every call to sync-core carries, taken from the HTTP request.
pub(crate) struct Forwarded(MetadataMap);

impl<S: Send + Sync> FromRequestParts<S> for Forwarded {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Forwarded::from_headers(&parts.headers))
    }
}

impl Forwarded {
    /// Copies the forwarded headers. A header whose bytes gRPC metadata cannot carry is
    /// dropped; for `authorization` that means the core sees no token and answers
    /// UNAUTHENTICATED.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut metadata = MetadataMap::with_capacity(FORWARDED.len());
        for name in FORWARDED {
            let Some(value) = headers.get(name) else {
                continue;
            };
            match AsciiMetadataValue::try_from(value.as_bytes()) {
                Ok(mut value) => {
                    value.set_sensitive(name == AUTHORIZATION.as_str());
                    metadata.insert(name, value);
                }
                Err(_) => tracing::debug!(header = name, "header not representable as gRPC metadata; dropped"),
            }
        }
        Forwarded(metadata)
    }

    /// A request to sync-core carrying `message` and this metadata.
    pub(crate) fn request<T>(self, message: T) -> tonic::Request<T> {
        tonic::Request::from_parts(self.0, Extensions::default(), message)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_token_request_id_and_trace_context_are_forwarded_verbatim() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer s3cr3t"));
        headers.insert(REQUEST_ID, HeaderValue::from_static("req-1"));
        headers.insert(
            "traceparent",
            HeaderValue::from_static("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        );
        headers.insert("tracestate", HeaderValue::from_static("congo=t61rcWkgMzE"));
        headers.insert("cookie", HeaderValue::from_static("session=1"));
        let request = Forwarded::from_headers(&headers).request(());
        let metadata = request.metadata();
        assert_eq!(metadata.get("authorization").unwrap(), "Bearer s3cr3t");
        assert!(metadata.get("authorization").unwrap().is_sensitive());
        assert_eq!(metadata.get("x-request-id").unwrap(), "req-1");
        assert_eq!(
            metadata.get("traceparent").unwrap(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        );
        assert_eq!(metadata.get("tracestate").unwrap(), "congo=t61rcWkgMzE");
        assert!(metadata.get("cookie").is_none());
    }

    #[test]
    fn a_missing_token_stays_missing() {
        let request = Forwarded::from_headers(&HeaderMap::new()).request(());
        assert!(request.metadata().get("authorization").is_none());
    }
}
