//! The HTTP server side: one span and one `http.server.request.duration` measurement
//! per request, and an access-log line.
//!
//! [`HttpServerLayer`] wraps the whole application. The span continues the caller's
//! W3C trace (`traceparent`/`tracestate`) and is named `METHOD` until routing calls
//! [`record_route`] with the matched template, which renames it `METHOD /route/{id}`
//! and sets `http.route`. Nothing of the query string, the headers or the body is
//! recorded. Probes and scrapes (`/healthz`, `/readyz`, `/metrics`) are measured but
//! not traced, so they do not flood the trace store.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use http::{Request, Response};
use opentelemetry::global;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_http::HeaderExtractor;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::metrics::{HttpRequestRecord, HttpServerMetrics, normalize_method};
use crate::scope::{self, UNKNOWN_TENANT};

/// Paths that are measured but never traced.
const UNTRACED: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Traces and measures every request of the service it wraps.
#[derive(Clone, Default)]
pub struct HttpServerLayer {
    metrics: HttpServerMetrics,
}

impl HttpServerLayer {
    /// A layer whose instruments come from the global meter.
    pub fn new() -> Self {
        HttpServerLayer {
            metrics: HttpServerMetrics::new(),
        }
    }
}

impl<S> Layer<S> for HttpServerLayer {
    type Service = HttpServer<S>;

    fn layer(&self, inner: S) -> HttpServer<S> {
        HttpServer {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service made by [`HttpServerLayer`].
#[derive(Clone)]
pub struct HttpServer<S> {
    inner: S,
    metrics: HttpServerMetrics,
}

impl<S, B, RB> Service<Request<B>> for HttpServer<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<RB>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let start = Instant::now();
        let nested = scope::is_active();
        let traced = !UNTRACED.contains(&request.uri().path());
        let span = if traced {
            server_span(&request, nested)
        } else {
            tracing::Span::none()
        };
        let method = normalize_method(request.method().as_str());
        let scheme = scheme(&request);
        let scope = scope::new_scope();
        let future = {
            let _entered = span.enter();
            scope::sync_within(&scope, || self.inner.call(request))
        };
        let future = scope::within(scope.clone(), future.instrument(span.clone()));
        let metrics = self.metrics.clone();
        Box::pin(async move {
            let result = future.await;
            let status = match &result {
                Ok(response) => response.status().as_u16(),
                Err(_) => 500,
            };
            let tenant = scope.tenant().unwrap_or(UNKNOWN_TENANT);
            let route = scope.route();
            span.record("http.response.status_code", status);
            span.record("tenant", tenant);
            if status >= 500 {
                span.record("otel.status_code", "ERROR");
                span.record("error.type", status);
            }
            let elapsed = start.elapsed();
            // A SCIM Bulk operation is replayed through the router as a request of its
            // own: traced as a child of the bulk request, but measured only once, as
            // the one request the client sent.
            if !nested {
                metrics.record(
                    elapsed.as_secs_f64(),
                    &HttpRequestRecord {
                        method,
                        route,
                        status,
                        scheme,
                        tenant,
                    },
                );
            }
            let duration_ms = elapsed.as_secs_f64() * 1000.0;
            let route = route.unwrap_or("");
            span.in_scope(|| {
                if traced {
                    tracing::info!(method, route, status, tenant, duration_ms, "request finished");
                } else {
                    tracing::debug!(method, route, status, duration_ms, "probe answered");
                }
            });
            result
        })
    }
}

/// The server span of `request`. A request nested in another (a Bulk operation) is a
/// child of the current span; any other continues the caller's trace when it sent one.
fn server_span<B>(request: &Request<B>, nested: bool) -> tracing::Span {
    let headers = request.headers();
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().host())
        .unwrap_or("");
    let (address, port) = match host.rsplit_once(':') {
        Some((a, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (a, p.parse::<u16>().ok()),
        _ => (host, None),
    };
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    let method = normalize_method(request.method().as_str());
    let span = tracing::info_span!(
        "http",
        otel.name = method,
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = method,
        http.route = Empty,
        http.response.status_code = Empty,
        url.scheme = scheme(request),
        url.path = request.uri().path(),
        server.address = address,
        server.port = port,
        network.protocol.version = protocol_version(request.version()),
        request_id,
        tenant = Empty,
        error.type = Empty,
    );
    if !nested {
        let parent = global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)));
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
    }
    span
}

/// Called by the router once a route matched: names the span after the route template
/// (`PATCH /scim/v2/Users/{id}`) and labels the request's metrics with it.
pub fn record_route(method: &http::Method, route: &str) {
    scope::set_route(route);
    let span = tracing::Span::current();
    if span.is_disabled() {
        return;
    }
    span.record("http.route", route);
    // The OpenTelemetry span has started by now, so rename it through its context.
    let name = format!("{} {route}", normalize_method(method.as_str()));
    span.context().span().update_name(name);
}

fn scheme<B>(request: &Request<B>) -> &'static str {
    let forwarded = request
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match forwarded.or(request.uri().scheme_str()) {
        Some(s) if s.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    }
}

fn protocol_version(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "0.9",
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_2 => "2",
        http::Version::HTTP_3 => "3",
        _ => "1.1",
    }
}
