//! The core's side of a gRPC call.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use http::{HeaderValue, Request, Response};
use opentelemetry::global;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_http::HeaderExtractor;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::body::ObservedBody;
use super::{CallEnd, ServerCall, is_untraced, service_and_method};
use crate::metrics::RpcServerMetrics;
use crate::scope::{self, TENANT_HEADER};

/// Traces and measures every call the wrapped gRPC server answers.
#[derive(Clone, Default)]
pub struct GrpcServerLayer {
    metrics: RpcServerMetrics,
}

impl GrpcServerLayer {
    /// A layer whose instruments come from the global meter.
    pub fn new() -> Self {
        GrpcServerLayer {
            metrics: RpcServerMetrics::new(),
        }
    }
}

impl<S> Layer<S> for GrpcServerLayer {
    type Service = GrpcServer<S>;

    fn layer(&self, inner: S) -> GrpcServer<S> {
        GrpcServer {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service made by [`GrpcServerLayer`].
#[derive(Clone)]
pub struct GrpcServer<S> {
    inner: S,
    metrics: RpcServerMetrics,
}

impl<S, B, RB> Service<Request<B>> for GrpcServer<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = Response<ObservedBody<RB>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let start = Instant::now();
        let (service, method) = service_and_method(request.uri().path());
        let (service, method) = (service.to_string(), method.to_string());
        let span = if is_untraced(&service) {
            tracing::Span::none()
        } else {
            server_span(&request, &service, &method)
        };
        let scope = scope::new_scope();
        let future = {
            let _entered = span.enter();
            scope::sync_within(&scope, || self.inner.call(request))
        };
        let future = scope::within(scope.clone(), future.instrument(span.clone()));
        let metrics = self.metrics.clone();
        Box::pin(async move {
            let result = future.await;
            let tenant = scope.tenant();
            if let Some(tenant) = tenant {
                span.record("tenant", tenant);
            }
            let end = CallEnd {
                span,
                start,
                server: Some(ServerCall {
                    metrics,
                    service,
                    method,
                }),
            };
            result.map(|response| {
                let (mut parts, body) = response.into_parts();
                if let Some(value) = tenant.and_then(|t| HeaderValue::from_str(t).ok()) {
                    parts.headers.insert(TENANT_HEADER, value);
                }
                let body = ObservedBody::new(body, &parts.headers, end);
                Response::from_parts(parts, body)
            })
        })
    }
}

/// The server span of a call, continuing the caller's trace when it sent one.
fn server_span<B>(request: &Request<B>, service: &str, method: &str) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let span = tracing::info_span!(
        "grpc",
        otel.name = format!("{service}/{method}"),
        otel.kind = "server",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = Empty,
        request_id,
        tenant = Empty,
    );
    let parent = global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(request.headers())));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    span
}
