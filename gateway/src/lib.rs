//! The SCIM 2.0 HTTP face of idsync, the endpoint Microsoft Entra ID provisions into.
//!
//! This crate owns HTTP and nothing behind it: routing under `/scim/v2`, SCIM JSON ⇄
//! `idsync.v1` proto messages, the `application/scim+json` media type, SCIM error
//! envelopes, `meta.location` from the public base URL, `ETag`/`If-Match`, and request
//! limits. Every request becomes one gRPC call to sync-core over a [`CoreTransport`] (a
//! network channel, or the core's services in the same process), with the bearer token
//! forwarded as metadata; the core authenticates, validates and decides.
//! The library must not touch storage or decide business rules, and reaches sync-core
//! only through `idsync-proto`; Cargo enforces it (it depends on neither sync-core nor
//! storage). The `idsync` binary wires a core to it.
//!
//! Layout:
//! - [`app`] builds the router and [`serve`] runs it (this file);
//! - `users`, `groups`: the `/Users` (and `/Me`) and `/Groups` handlers;
//! - [`console`]: the admin console's pages under `/admin/`;
//! - `bulk`: `/Bulk`, replaying each operation through the router;
//! - `search`: the `.search` endpoints, per type and at the root;
//! - `discovery`: `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`;
//! - `wire`: SCIM JSON ⇄ proto messages (`*_in` read, `*_out`, `list`, `render` write);
//! - `projection`: `attributes` / `excludedAttributes` on rendered resources;
//! - `extract`, `query`: bodies, ids, `If-Match` / `If-None-Match`, query strings;
//! - `forward`: the gRPC request metadata (token, trace context, request id);
//! - `errors`: [`ApiError`] and its rendering, over the contract in `idsync_proto::scim`;
//! - `response`: the `application/scim+json` answers;
//! - `normalize`: tolerance of sloppy slashes;
//! - [`observe`]: `/metrics`, `/readyz` and route names for traces and metrics;
//! - `transport`: [`CoreTransport`], the way to sync-core (network or in-process);
//! - [`tls`]: certificates and acceptors of the SCIM listener and the core's gRPC one;
//! - `app_tests`: router-level tests.

// Tests may unwrap; `clippy --lib` still holds the library itself to `unwrap_used`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod bulk;
pub mod console;
mod discovery;
mod errors;
mod extract;
mod forward;
mod groups;
mod listen;
mod normalize;
pub mod observe;
mod projection;
mod query;
mod response;
mod search;
mod shield;
pub mod tls;
mod transport;
mod users;
mod wire;

#[cfg(test)]
mod app_tests;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, OriginalUri};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use idsync_proto::v1::discovery_client::DiscoveryClient;
use idsync_proto::v1::groups_client::GroupsClient;
use idsync_proto::v1::search_client::SearchClient;
use idsync_proto::v1::users_client::UsersClient;
use idsync_telemetry::grpc::GrpcClient;
use idsync_telemetry::http::HttpServerLayer;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;

use crate::observe::CoreChannel;

pub use errors::{ApiError, SCIM_ERROR_DOMAIN, ScimType};
pub use forward::REQUEST_ID;
pub use response::SCIM_CONTENT_TYPE;
pub use shield::ShieldSettings;
pub use tls::TlsFiles;
pub use transport::CoreTransport;

/// Path of the SCIM base under the public URL: the Tenant URL is `<public_url>/scim/v2`.
pub const SCIM_BASE_PATH: &str = "/scim/v2";

/// Default for [`GatewaySettings::max_body_bytes`]: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Default for [`GatewaySettings::bulk_max_operations`].
pub const DEFAULT_BULK_MAX_OPERATIONS: usize = 1000;

/// What the gateway needs to know about its deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySettings {
    /// Externally visible base URL without a trailing slash, e.g. `https://app.example.com`;
    /// `meta.location` and `Location` are built from it.
    pub public_url: String,
    /// Largest accepted request body; larger ones get 413. Also the Bulk `maxPayloadSize`.
    pub max_body_bytes: usize,
    /// Most operations one `/Bulk` request may carry (`maxOperations`); more get 413.
    pub bulk_max_operations: usize,
    /// Load shedding, the throttling of failed authentications, deadlines.
    pub shield: ShieldSettings,
    /// Whether `/metrics` and `/readyz` are served on this (public) listener too; by
    /// default they are only on the operator's listener (`observe::serve_ops`).
    pub ops_on_public_listener: bool,
    /// HTTPS only, with this certificate and key; `None` serves plain HTTP.
    pub tls: Option<TlsFiles>,
    /// The admin console under `/admin/`.
    pub console: console::ConsoleSettings,
}

impl GatewaySettings {
    /// Settings for `public_url` with the default body limit.
    pub fn new(public_url: impl Into<String>) -> Self {
        GatewaySettings {
            public_url: public_url.into(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            bulk_max_operations: DEFAULT_BULK_MAX_OPERATIONS,
            shield: ShieldSettings::default(),
            ops_on_public_listener: false,
            tls: None,
            console: console::ConsoleSettings::default(),
        }
    }
}

/// Shared by all handlers: the sync-core clients (all over one traced channel), the
/// HTTP telemetry layer and the settings. A clone is one reference count: axum clones
/// the state for every route layer and extractor a request passes, dozens of times per
/// request, and cloning each client field by field cost about 7,700 instructions a
/// request (1.2 % of all, under callgrind; `docs/benchmarks.md`).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares.
struct Shared {
    core: CoreChannel,
    users: UsersClient<CoreChannel>,
    discovery: DiscoveryClient<CoreChannel>,
    groups: GroupsClient<CoreChannel>,
    search: SearchClient<CoreChannel>,
    http_layer: HttpServerLayer,
    shield: Arc<shield::Shield>,
    console: console::Console,
    settings: GatewaySettings,
    /// `<public_url>/scim/v2`, computed once.
    scim_base_url: String,
}

impl AppState {
    /// State over one transport to sync-core (a persistent HTTP/2 channel, or the core in
    /// this process), shared by a client of each of its services. Calls through it are
    /// traced, whichever client makes them.
    pub fn new(core: impl Into<CoreTransport>, settings: GatewaySettings) -> Self {
        let scim_base_url = format!("{}{SCIM_BASE_PATH}", settings.public_url.trim_end_matches('/'));
        let core: CoreTransport = core.into();
        let https = settings.tls.is_some() || settings.public_url.starts_with("https://");
        // A call to the core in this process gets no client span: the core's server
        // span is the request's span's child, with nothing between them to time.
        let core = if core.is_in_process() {
            GrpcClient::in_process(core)
        } else {
            GrpcClient::new(core)
        };
        AppState(Arc::new(Shared {
            users: UsersClient::new(core.clone()),
            discovery: DiscoveryClient::new(core.clone()),
            groups: GroupsClient::new(core.clone()),
            search: SearchClient::new(core.clone()),
            core,
            http_layer: HttpServerLayer::new(),
            shield: Arc::new(shield::Shield::new(settings.shield)),
            console: console::Console::new(&settings.console, https),
            settings,
            scim_base_url,
        }))
    }

    /// The settings this state was built with.
    pub fn settings(&self) -> &GatewaySettings {
        &self.0.settings
    }

    /// The channel to sync-core; a client of any core service is `XClient::new(this)`.
    fn core_channel(&self) -> CoreChannel {
        self.0.core.clone()
    }

    /// A handle on the `Users` client; clones share the channel.
    fn users(&self) -> UsersClient<CoreChannel> {
        self.0.users.clone()
    }

    /// A handle on the `Discovery` client; clones share the channel.
    fn discovery(&self) -> DiscoveryClient<CoreChannel> {
        self.0.discovery.clone()
    }

    /// A handle on the `Groups` client; clones share the channel.
    fn groups(&self) -> GroupsClient<CoreChannel> {
        self.0.groups.clone()
    }

    /// A handle on the `Search` client; clones share the channel.
    fn search(&self) -> SearchClient<CoreChannel> {
        self.0.search.clone()
    }

    /// The admin console's sessions and settings.
    fn console(&self) -> &console::Console {
        &self.0.console
    }

    /// The SCIM base URL, `<public_url>/scim/v2`.
    fn scim_base_url(&self) -> &str {
        &self.0.scim_base_url
    }
}

/// The gateway's HTTP application: SCIM routes, `/healthz` (and `/readyz`, `/metrics`
/// when [`GatewaySettings::ops_on_public_listener`]), SCIM
/// 404/405 fallbacks, path normalization, body limit, request ids, and a span and
/// metrics per request (no header is ever recorded; `Authorization` is also marked
/// sensitive for any layer that would), and a panic caught as a SCIM 500.
pub fn app(state: AppState) -> Router {
    let body_limit = state.0.settings.max_body_bytes;
    let http_layer = state.0.http_layer.clone();
    let shield = state.0.shield.clone();
    let ops = match state.0.settings.ops_on_public_listener {
        true => Router::new()
            .route("/readyz", get(observe::readyz))
            .route("/metrics", get(observe::metrics)),
        false => Router::new(),
    };
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .merge(ops)
        .merge(users::routes())
        .merge(bulk::routes())
        .merge(search::routes())
        .merge(discovery::routes())
        .merge(groups::routes())
        .merge(console::routes(state.clone()))
        .fallback(unknown_route)
        // After every route is added: it is installed on the routes that exist.
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(observe::record_route))
        .with_state(state);
    let routes = ServiceBuilder::new()
        .map_request(normalize::normalize_path)
        .service(routes);
    Router::new().fallback_service(routes).layer(
        ServiceBuilder::new()
            .layer(SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
                header::PROXY_AUTHORIZATION,
                header::COOKIE,
            ]))
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(http_layer)
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            // Inside the telemetry layer: a shed or throttled request is traced and counted.
            .layer(axum::middleware::from_fn_with_state(shield, shield::shield))
            // Inside the telemetry layer, so a panic's 500 is traced and counted like any.
            .layer(CatchPanicLayer::custom(answer_panic)),
    )
}

/// The answer to a request whose handler panicked: a SCIM 500, with the panic logged
/// and counted (`idsync.panics`). A panic is a bug; this keeps it from dropping the
/// connection.
fn answer_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    idsync_telemetry::panics::record_panic("http", panic.as_ref());
    errors::ApiError::internal().into_response()
}

/// Serves [`app`] on `listener` until `shutdown` completes, then finishes the requests in
/// flight and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, scim_base_url = state.scim_base_url(), "SCIM gateway listening");
    }
    let header_read_timeout = state.settings().shield.header_read_timeout;
    let (acceptor, _watching) = match &state.settings().tls {
        None => (None, None),
        Some(files) => {
            let tls = tls::ServerTls::https(files)?;
            let acceptor = tls.acceptor();
            (Some(acceptor), Some(AbortOnDrop(tokio::spawn(tls.watch()))))
        }
    };
    listen::serve(listener, app(state), acceptor, header_read_timeout, shutdown).await
}

/// Stops a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `GET /healthz`: the process is up and serving HTTP.
async fn healthz() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        r#"{"status":"ok"}"#,
    )
}

async fn unknown_route(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::not_found(format!("no endpoint at {}", uri.path()))
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
