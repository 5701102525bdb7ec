//! What an HTTP request hands on to sync-core as gRPC metadata.
//!
//! The bearer token travels verbatim in `authorization`: the core, not the gateway,
//! resolves it to a tenant and rejects it (UNAUTHENTICATED → 401). The request id
//! travels too, so the core's log lines name it. The caller's W3C trace context is
//! copied as well, but the traced channel (`observe::CoreChannel`) replaces it with the
//! context of the gateway's own gRPC client span, so the core's span is that span's
//! child; it passes through verbatim only when tracing is off.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, HeaderName};
use axum::http::request::Parts;
use tonic::Extensions;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};

use crate::shield::RequestDeadline;

/// `x-request-id`: set by the gateway when the client sent none, echoed on the response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers copied into gRPC metadata under the same (lowercase) names.
const FORWARDED: [&str; 4] = ["authorization", "x-request-id", "traceparent", "tracestate"];

/// The metadata every call to sync-core carries, taken from the HTTP request, and the
/// request's deadline.
pub(crate) struct Forwarded(MetadataMap, Option<Instant>);

impl<S: Send + Sync> FromRequestParts<S> for Forwarded {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let deadline = parts.extensions.get::<RequestDeadline>().map(|d| d.0);
        Ok(Forwarded::from_headers(&parts.headers).until(deadline))
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
        Forwarded(metadata, None)
    }

    /// Metadata made elsewhere (the console's session), for a request that must be
    /// answered by `deadline`.
    pub(crate) fn new(metadata: MetadataMap, deadline: Option<Instant>) -> Self {
        Forwarded(metadata, deadline)
    }

    /// The same, for a request that must be answered by `deadline`.
    pub(crate) fn until(self, deadline: Option<Instant>) -> Self {
        Forwarded(self.0, deadline)
    }

    /// A request to sync-core carrying `message` and this metadata, with what is left of
    /// the HTTP request's time as its gRPC deadline (`grpc-timeout`).
    pub(crate) fn request<T>(self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::from_parts(self.0, Extensions::default(), message);
        if let Some(deadline) = self.1 {
            request.set_timeout(
                deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(1)),
            );
        }
        request
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_time_left_of_the_request_becomes_the_grpc_deadline() {
        let deadline = Instant::now() + Duration::from_secs(5);
        let request = Forwarded::from_headers(&HeaderMap::new())
            .until(Some(deadline))
            .request(());
        let timeout = request
            .metadata()
            .get("grpc-timeout")
            .expect("a deadline")
            .to_str()
            .unwrap();
        let micros: u64 = timeout.strip_suffix('u').expect("in microseconds").parse().unwrap();
        assert!((4_000_000..=5_000_000).contains(&micros), "{timeout}");
        let none = Forwarded::from_headers(&HeaderMap::new()).request(());
        assert!(none.metadata().get("grpc-timeout").is_none());
    }

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
