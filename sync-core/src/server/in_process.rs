//! The core as a tower service: what single-node `serve` calls instead of a channel.
//!
//! A generated client (`UsersClient<InProcess>`, …) encodes its protobuf message and
//! metadata into an `http::Request` exactly as it does for a network channel; this
//! service hands that request straight to the core's routes, and the answer — headers,
//! body, `grpc-status` trailers — straight back. The only thing that goes is HTTP/2:
//! no framing, no HPACK, no pipe, no connection task, no task per call (the call runs
//! in the caller's task).
//!
//! Per call it does what tonic's transport server does around the same routes:
//! - the telemetry layer (`GrpcServerLayer`): server span continuing the caller's
//!   `traceparent`, `rpc.server.duration`, the `idsync-tenant` response header;
//! - the caller's deadline (`grpc-timeout`): past it the call is dropped and answered
//!   `CANCELLED` "Timeout expired", tonic's own answer (its `GrpcTimeout` and
//!   `RecoverError`, which are not public: [`TimeoutExpired`] is turned into the status
//!   by tonic's own `Status::from_error`);
//! - a request with only what crossed the wire: extensions set by the caller's side
//!   (tonic's `GrpcMethod`, the caller's own) are not handed to the server, nor the
//!   server's back, as no network transport could carry them.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use idsync_telemetry::grpc::{GrpcServer, GrpcServerLayer};
use tonic::body::Body;
use tonic::codegen::http::{self, HeaderMap, Request, Response};
use tonic::service::Routes;
use tonic::{Status, TimeoutExpired};
use tower::{BoxError, Layer, Service};

/// The metadata key of the caller's deadline (gRPC over HTTP/2, "Timeout").
const GRPC_TIMEOUT: &str = "grpc-timeout";

/// The core's services as one tower service over gRPC's HTTP requests. Cheap to clone;
/// clones share the routes.
#[derive(Clone)]
pub struct InProcess {
    inner: GrpcServer<Routes>,
}

impl InProcess {
    /// The service over `routes`, with the telemetry layer a network server has.
    pub(super) fn new(routes: Routes) -> Self {
        InProcess {
            inner: GrpcServerLayer::new().layer(routes),
        }
    }
}

impl Service<Request<Body>> for InProcess {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match Service::<Request<Body>>::poll_ready(&mut self.inner, cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(never)) => match never {},
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let (mut parts, body) = request.into_parts();
        parts.extensions = http::Extensions::new();
        parts.version = http::Version::HTTP_2;
        let deadline = grpc_timeout(&parts.headers);
        let call = self.inner.call(Request::from_parts(parts, body));
        Box::pin(async move {
            let answered = match deadline {
                None => call.await,
                Some(deadline) => match tokio::time::timeout(deadline, call).await {
                    Ok(answered) => answered,
                    // tonic's transport server answers an expired deadline with this status.
                    Err(_) => return Ok(Status::from_error(Box::new(TimeoutExpired(()))).into_http()),
                },
            };
            let (mut parts, body) = match answered {
                Ok(response) => response.into_parts(),
                Err(never) => match never {},
            };
            parts.extensions = http::Extensions::new();
            Ok(Response::from_parts(parts, Body::new(body)))
        })
    }
}

/// The caller's deadline from `grpc-timeout` (gRPC over HTTP/2: at most 8 digits and a
/// unit `H`, `M`, `S`, `m`, `u` or `n`). A malformed value is ignored, as tonic does.
fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(GRPC_TIMEOUT)?.to_str().ok()?;
    let unit_at = value.len().checked_sub(1)?;
    let (amount, unit) = value.split_at(unit_at);
    if amount.is_empty() || amount.len() > 8 || !amount.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = amount.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parsed(value: &str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(GRPC_TIMEOUT, value.parse().unwrap());
        grpc_timeout(&headers)
    }

    #[test]
    fn grpc_timeouts_are_read_in_every_unit_and_malformed_ones_are_ignored() {
        assert_eq!(parsed("3H"), Some(Duration::from_secs(3 * 3600)));
        assert_eq!(parsed("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parsed("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parsed("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parsed("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parsed("99999999n"), Some(Duration::from_nanos(99_999_999)));
        assert_eq!(parsed("123456789S"), None, "more than 8 digits");
        assert_eq!(parsed("5s"), None, "unknown unit");
        assert_eq!(parsed("S"), None, "no amount");
        assert_eq!(parsed("-5S"), None);
        assert_eq!(grpc_timeout(&HeaderMap::new()), None);
    }
}
