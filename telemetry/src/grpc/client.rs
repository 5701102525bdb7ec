//! The calling side of a gRPC call (the gateway calling the core).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use http::{Request, Response};
use opentelemetry::global;
use opentelemetry_http::HeaderInjector;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::body::ObservedBody;
use super::{CallEnd, is_untraced, service_and_method};
use crate::scope::{self, TENANT_HEADER};

/// Traces the calls made through the wrapped channel and propagates their context.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcClientLayer;

impl<S> Layer<S> for GrpcClientLayer {
    type Service = GrpcClient<S>;

    fn layer(&self, inner: S) -> GrpcClient<S> {
        GrpcClient::new(inner)
    }
}

/// A channel whose calls are traced: [`GrpcClientLayer`] over `S`.
#[derive(Debug, Clone)]
pub struct GrpcClient<S> {
    inner: S,
    /// Whether each call gets a client span of its own. A call to a service in this
    /// process has no network between the two ends for a client span to time: the
    /// server's span is then the direct child of the caller's span.
    client_spans: bool,
}

impl<S> GrpcClient<S> {
    /// Wraps `inner`, a channel to another process (e.g. a `tonic::transport::Channel`):
    /// every call gets a client span, the parent of the server's.
    pub fn new(inner: S) -> Self {
        GrpcClient {
            inner,
            client_spans: true,
        }
    }

    /// Wraps `inner`, services in this process: calls carry the current span's context
    /// to the server, whose span becomes its child, and get no client span.
    pub fn in_process(inner: S) -> Self {
        GrpcClient {
            inner,
            client_spans: false,
        }
    }
}

impl<S, B, RB> Service<Request<B>> for GrpcClient<S>
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

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let start = Instant::now();
        let (service, method) = service_and_method(request.uri().path());
        let traced = !is_untraced(service);
        let span = if !traced || !self.client_spans {
            tracing::Span::none()
        } else {
            tracing::info_span!(
                "grpc.client",
                otel.name = format!("{service}/{method}"),
                otel.kind = "client",
                otel.status_code = Empty,
                rpc.system = "grpc",
                rpc.service = service,
                rpc.method = method,
                rpc.grpc.status_code = Empty,
                server.address = request.uri().host().unwrap_or(""),
            )
        };
        // Trace headers the caller copied in are replaced by this span's context (or, in
        // process, by the caller's). With tracing off they pass through untouched, so the
        // hop stays transparent.
        let carried = if traced && !self.client_spans {
            tracing::Span::current()
        } else {
            span.clone()
        };
        if !carried.is_disabled() {
            request.headers_mut().remove("traceparent");
            request.headers_mut().remove("tracestate");
            let context = carried.context();
            global::get_text_map_propagator(|p| p.inject_context(&context, &mut HeaderInjector(request.headers_mut())));
        }
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        let future = future.instrument(span.clone());
        Box::pin(async move {
            let result = future.await;
            let end = CallEnd {
                span,
                start,
                server: None,
            };
            match result {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    if let Some(tenant) = parts.headers.get(TENANT_HEADER).and_then(|v| v.to_str().ok()) {
                        scope::set_tenant(tenant);
                    }
                    let body = ObservedBody::new(body, &parts.headers, end);
                    Ok(Response::from_parts(parts, body))
                }
                Err(error) => {
                    // The call never got an answer: the core is unreachable.
                    end.end(14);
                    Err(error)
                }
            }
        })
    }
}
