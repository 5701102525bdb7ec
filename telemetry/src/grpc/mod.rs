//! gRPC spans and metrics, as tower layers over `http` requests so they fit tonic's
//! server (`Server::builder().layer(..)`) and any client channel alike.
//!
//! * [`GrpcServerLayer`] (the core): a server span continuing the caller's W3C trace
//!   context from the metadata, `rpc.server.duration` by service, method and status,
//!   and the caller's tenant in the `idsync-tenant` response header.
//! * [`GrpcClientLayer`] (the gateway): a client span under the current span, whose
//!   context is injected as `traceparent`, so the core's span becomes its child; the
//!   tenant the core names is handed to the current request's scope.
//!
//! Health checks and reflection are measured but not traced.

mod body;
mod client;
mod server;

use std::time::Instant;

pub use body::ObservedBody;
pub use client::{GrpcClient, GrpcClientLayer};
pub use server::{GrpcServer, GrpcServerLayer};

use crate::metrics::RpcServerMetrics;

/// `rpc.grpc.status_code` of `UNIMPLEMENTED`: the method does not exist.
const UNIMPLEMENTED: i32 = 12;

/// Service and method of a gRPC path `/package.Service/Method`.
fn service_and_method(path: &str) -> (&str, &str) {
    let path = path.strip_prefix('/').unwrap_or(path);
    match path.split_once('/') {
        Some((service, method)) if !service.is_empty() && !method.is_empty() && !method.contains('/') => {
            (service, method)
        }
        _ => ("_OTHER", "_OTHER"),
    }
}

/// Calls that are measured but not traced.
fn is_untraced(service: &str) -> bool {
    service == "grpc.health.v1.Health" || service.starts_with("grpc.reflection.")
}

/// Whether a server span with this status is an error (semantic conventions for gRPC:
/// UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS).
fn is_server_error(code: i32) -> bool {
    matches!(code, 2 | 4 | 12 | 13 | 14 | 15)
}

/// What is done when a call is over (its body ended or was dropped).
pub struct CallEnd {
    span: tracing::Span,
    start: Instant,
    server: Option<ServerCall>,
}

struct ServerCall {
    metrics: RpcServerMetrics,
    service: String,
    method: String,
}

impl CallEnd {
    fn end(self, code: i32) {
        self.span.record("rpc.grpc.status_code", code);
        if let Some(call) = self.server {
            if is_server_error(code) {
                self.span.record("otel.status_code", "ERROR");
            }
            // Unknown methods are not worth a series each: the path is the caller's.
            let (service, method) = if code == UNIMPLEMENTED {
                ("_OTHER", "_OTHER")
            } else {
                (call.service.as_str(), call.method.as_str())
            };
            let millis = self.start.elapsed().as_secs_f64() * 1000.0;
            call.metrics.record(millis, service, method, code);
        } else if code != 0 {
            self.span.record("otel.status_code", "ERROR");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_paths_split_into_service_and_method() {
        assert_eq!(
            service_and_method("/idsync.v1.Users/PatchUser"),
            ("idsync.v1.Users", "PatchUser")
        );
        assert_eq!(service_and_method("/"), ("_OTHER", "_OTHER"));
        assert_eq!(service_and_method("/a/b/c"), ("_OTHER", "_OTHER"));
    }

    #[test]
    fn only_server_side_failures_mark_a_server_span_as_an_error() {
        assert!(!is_server_error(0));
        assert!(!is_server_error(5), "NOT_FOUND is the caller's business");
        assert!(!is_server_error(16), "UNAUTHENTICATED too");
        assert!(is_server_error(13));
        assert!(is_server_error(14));
    }
}
