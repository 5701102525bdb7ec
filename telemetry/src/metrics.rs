//! The instruments of the transport layers: HTTP server and gRPC server durations.
//!
//! Names and attributes follow the OpenTelemetry semantic conventions; Prometheus sees
//! them with dots as underscores and the unit as a suffix
//! (`http_server_request_duration_seconds_bucket`, `rpc_server_duration_milliseconds_count`).
//! Instruments are created from the global meter when their holder is built, so build
//! holders after [`crate::install`]; before it they are no-ops.
//!
//! Label cardinality is bounded on purpose: routes are templates, unknown methods and
//! unknown gRPC methods collapse to `_OTHER`, and `tenant` is a tenant id — a deployment
//! serves a few to a few hundred tenants, which Prometheus handles comfortably.

use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::{KeyValue, global};

use crate::pipeline::SCOPE;

/// `http.server.request.duration` (seconds).
pub const HTTP_SERVER_REQUEST_DURATION: &str = "http.server.request.duration";
/// `rpc.server.duration` (milliseconds).
pub const RPC_SERVER_DURATION: &str = "rpc.server.duration";

/// The meter every idsync instrument is created from.
pub fn meter() -> Meter {
    global::meter(SCOPE)
}

/// Request latencies are sub-millisecond when healthy, seconds when not.
const HTTP_BUCKETS_S: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const RPC_BUCKETS_MS: [f64; 14] = [
    0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0,
];

/// The HTTP server's instruments.
#[derive(Clone)]
pub struct HttpServerMetrics {
    duration: Histogram<f64>,
}

/// One finished HTTP request, as its metrics see it.
pub struct HttpRequestRecord<'a> {
    /// The request method (normalized to `_OTHER` when not a standard one).
    pub method: &'a str,
    /// The route template, when a route matched.
    pub route: Option<&'a str>,
    /// The response status.
    pub status: u16,
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The tenant id, or [`crate::scope::UNKNOWN_TENANT`].
    pub tenant: &'a str,
}

impl HttpServerMetrics {
    /// Instruments from the global meter.
    pub fn new() -> Self {
        HttpServerMetrics {
            duration: meter()
                .f64_histogram(HTTP_SERVER_REQUEST_DURATION)
                .with_unit("s")
                .with_description("Duration of HTTP server requests.")
                .with_boundaries(HTTP_BUCKETS_S.to_vec())
                .build(),
        }
    }

    /// Records one request that took `seconds`.
    pub fn record(&self, seconds: f64, request: &HttpRequestRecord<'_>) {
        let mut attributes = Vec::with_capacity(6);
        attributes.push(KeyValue::new("http.request.method", normalize_method(request.method)));
        if let Some(route) = request.route {
            attributes.push(KeyValue::new("http.route", route.to_string()));
        }
        attributes.push(KeyValue::new("http.response.status_code", i64::from(request.status)));
        attributes.push(KeyValue::new("url.scheme", request.scheme.to_string()));
        attributes.push(KeyValue::new("tenant", request.tenant.to_string()));
        if request.status >= 500 {
            attributes.push(KeyValue::new("error.type", request.status.to_string()));
        }
        self.duration.record(seconds, &attributes);
    }
}

impl Default for HttpServerMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The methods semantic conventions know; any other is `_OTHER`.
pub fn normalize_method(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("_OTHER")
}

/// The gRPC server's instruments.
#[derive(Clone)]
pub struct RpcServerMetrics {
    duration: Histogram<f64>,
}

impl RpcServerMetrics {
    /// Instruments from the global meter.
    pub fn new() -> Self {
        RpcServerMetrics {
            duration: meter()
                .f64_histogram(RPC_SERVER_DURATION)
                .with_unit("ms")
                .with_description("Duration of gRPC calls served by the core.")
                .with_boundaries(RPC_BUCKETS_MS.to_vec())
                .build(),
        }
    }

    /// Records one call to `service`/`method` that ended with gRPC `code` after `millis`.
    pub fn record(&self, millis: f64, service: &str, method: &str, code: i32) {
        self.duration.record(
            millis,
            &[
                KeyValue::new("rpc.system", "grpc"),
                KeyValue::new("rpc.service", service.to_string()),
                KeyValue::new("rpc.method", method.to_string()),
                KeyValue::new("rpc.grpc.status_code", i64::from(code)),
            ],
        );
    }
}

impl Default for RpcServerMetrics {
    fn default() -> Self {
        Self::new()
    }
}
