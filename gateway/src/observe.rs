//! The gateway's operational face: `GET /metrics` (Prometheus text), `GET /readyz`
//! (is the core reachable and its database answering?), the route middleware that
//! names each request's span and metrics after its route template, and a small
//! stand-alone listener with the same endpoints for `idsync core` run alone.
//!
//! These paths live outside `/scim/v2` and need no token: they are meant for the
//! orchestrator and the metrics scraper on the operator's network.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use idsync_telemetry::grpc::GrpcClient;
use tokio::net::TcpListener;
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::AppState;
use crate::transport::CoreTransport;

/// The channel to sync-core, over either transport: every call through it is traced,
/// carries the current trace context, and reports the caller's tenant back to the
/// request's metrics.
pub type CoreChannel = GrpcClient<CoreTransport>;

/// How long `/readyz` waits for the core's answer.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// The content type of the Prometheus text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Names the current request after the route that matched (installed with
/// `Router::layer`, so it runs once the route is known).
pub(crate) async fn record_route(matched: Option<MatchedPath>, request: Request, next: Next) -> Response {
    if let Some(route) = &matched {
        idsync_telemetry::http::record_route(request.method(), route.as_str());
    }
    next.run(request).await
}

/// `GET /metrics`: every metric of this process.
pub(crate) async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(PROMETHEUS_TEXT))],
        idsync_telemetry::render_prometheus(),
    )
        .into_response()
}

/// `GET /readyz`: 200 when the core answers its health check with SERVING (which it
/// does only while its database answers), 503 otherwise.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    readiness_response(core_is_serving(state.core_channel()).await)
}

impl AppState {
    /// Whether the core answers its health check with SERVING: the readiness of this
    /// gateway, for its operational listener ([`serve_ops`]).
    pub fn readiness(&self) -> ReadinessCheck {
        let channel = self.core_channel();
        Arc::new(move || Box::pin(core_is_serving(channel.clone())))
    }
}

async fn core_is_serving(channel: CoreChannel) -> bool {
    let mut health = HealthClient::new(channel);
    let check = health.check(HealthCheckRequest { service: String::new() });
    match tokio::time::timeout(READINESS_TIMEOUT, check).await {
        Ok(Ok(answer)) => answer.into_inner().status == ServingStatus::Serving as i32,
        Ok(Err(status)) => {
            tracing::debug!(code = ?status.code(), "readiness: the core's health check failed");
            false
        }
        Err(_) => {
            tracing::debug!("readiness: the core did not answer in time");
            false
        }
    }
}

fn readiness_response(ready: bool) -> Response {
    let (status, body) = if ready {
        (StatusCode::OK, r#"{"status":"ready"}"#)
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"unavailable"}"#)
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// Answers whether the process is ready (e.g. the core's database ping).
pub type ReadinessCheck = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// The operational listener (`--ops-listen`): `/metrics`, `/healthz` and `/readyz` (by
/// `ready`), until `shutdown` completes. Meant for the operator's network: no token.
pub async fn serve_ops(
    listener: TcpListener,
    ready: ReadinessCheck,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "metrics and health (operations) listening");
    }
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(crate::healthz))
        .route(
            "/readyz",
            get(|State(ready): State<ReadinessCheck>| async move { readiness_response(ready().await) }),
        )
        .with_state(ready);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
