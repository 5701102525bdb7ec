//! Launching idsync in each of its three modes, all the same way: a config, a `start_*`
//! function that opens what it needs and binds its listeners, and a running handle whose
//! `run_until(signal)` serves until the signal and then stops gracefully.
//!
//! - [`start_single_node`] (`idsync serve`): the gateway and the core in one process. The
//!   gateway calls the core's tonic services in-process as a tower service, through the
//!   same generated gRPC clients as over the network (same messages, metadata, status
//!   codes and deadlines, no HTTP/2); the core also listens on TCP for internal services.
//! - [`start_core`] (`idsync core`): the core alone, for gateways and internal services
//!   in other processes, with an optional metrics and health listener.
//! - [`start_gateway`] (`idsync gateway`): the gateway alone, in front of a remote core.
//!
//! This is where the binary wires the rooms together: the gateway library never sees
//! sync-core or storage.

mod grpc_tls;
mod running;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use idsync_core::admin::{self, Bootstrap};
use idsync_core::{BulkSettings, Core, CoreSettings};
use idsync_gateway::console::ConsoleSettings;
use idsync_gateway::observe::{self, ReadinessCheck};
use idsync_gateway::tls::ServerTls;
use idsync_gateway::{AppState, CoreTransport, GatewaySettings};
pub use idsync_gateway::{ShieldSettings, TlsFiles};
use idsync_storage::records::TenantRecord;
use idsync_storage::url::redact;
use idsync_storage::{Store, StoreOptions};
use tokio::net::TcpListener;

pub use grpc_tls::{CoreClientTls, GrpcServerTls, connect_core};
use running::Services;
pub use running::{RunningCore, RunningGateway, RunningNode};

/// What a single node needs.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// SQLite path or `postgres://…` URL.
    pub database_url: String,
    /// HTTP address of the gateway (port 0 picks one).
    pub listen: SocketAddr,
    /// gRPC address of the core for internal services; `None` keeps it in-process only.
    pub grpc_listen: Option<SocketAddr>,
    /// TLS (and optionally client certificates) on `grpc_listen`.
    pub grpc_tls: Option<GrpcServerTls>,
    /// Externally visible base URL; `None` derives `http://<listen>`.
    pub public_url: Option<String>,
    /// Core tunables.
    pub core: CoreSettings,
    /// How the database is opened (pool, SQLite sync, PostgreSQL timeouts).
    pub store: StoreOptions,
    /// The gateway's limits and listeners beside the SCIM one.
    pub gateway: GatewayOptions,
}

/// What the gateway needs besides its core and its SCIM listener.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Most operations in one `/Bulk` request.
    pub bulk_max_operations: usize,
    /// Load shedding, throttling of failed authentications, deadlines.
    pub shield: ShieldSettings,
    /// Where `/metrics`, `/healthz` and `/readyz` listen for the operator (`None`: no
    /// such listener).
    pub ops_listen: Option<SocketAddr>,
    /// Whether the public SCIM listener serves `/metrics` and `/readyz` too (for a
    /// deployment whose proxy exposes only that port to the scraper, and not to the
    /// internet).
    pub ops_on_public_listener: bool,
    /// HTTPS only on the SCIM listener, with this certificate and key.
    pub tls: Option<TlsFiles>,
    /// The admin console links a trace id to this URL, with `{trace_id}` where the id
    /// goes (e.g. `https://grafana.example.com/explore?traceId={trace_id}`); `None`
    /// shows trace ids as text.
    pub trace_url_template: Option<String>,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            max_body_bytes: idsync_gateway::DEFAULT_MAX_BODY_BYTES,
            bulk_max_operations: idsync_gateway::DEFAULT_BULK_MAX_OPERATIONS,
            shield: ShieldSettings::default(),
            ops_listen: None,
            ops_on_public_listener: false,
            tls: None,
            trace_url_template: None,
        }
    }
}

/// What a core on its own needs.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// SQLite path or `postgres://…` URL.
    pub database_url: String,
    /// gRPC address (port 0 picks one).
    pub grpc_listen: SocketAddr,
    /// TLS (and optionally client certificates) on `grpc_listen`.
    pub grpc_tls: Option<GrpcServerTls>,
    /// Address of `/metrics`, `/healthz` and `/readyz`; `None` serves none.
    pub ops_listen: Option<SocketAddr>,
    /// Core tunables.
    pub core: CoreSettings,
    /// How the database is opened (pool, SQLite sync, PostgreSQL timeouts).
    pub store: StoreOptions,
}

/// What a gateway on its own needs.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The core's gRPC URL, e.g. `http://core:50051` or `https://core:50051`.
    pub core_url: String,
    /// How an `https://` core is verified, and the certificate shown to it.
    pub core_tls: CoreClientTls,
    /// HTTP address (port 0 picks one).
    pub listen: SocketAddr,
    /// Externally visible base URL; `None` derives `http://<listen>`.
    pub public_url: Option<String>,
    /// The gateway's limits and listeners beside the SCIM one.
    pub gateway: GatewayOptions,
}

/// Opens (and migrates) the database, failing fast if it cannot be reached.
pub async fn open_store(database_url: &str, options: StoreOptions) -> Result<Store> {
    let url = database_url.to_string();
    tokio::task::spawn_blocking(move || Store::open(&url, options))
        .await?
        .with_context(|| format!("opening database {}", redact(database_url)))
}

/// Opens (and migrates) the database on one connection, for a one-shot command: no
/// pool, so no background thread is left talking to the database when it exits.
pub async fn open_store_for_command(database_url: &str, options: StoreOptions) -> Result<Store> {
    let url = database_url.to_string();
    tokio::task::spawn_blocking(move || Store::open_single(&url, options))
        .await?
        .with_context(|| format!("opening database {}", redact(database_url)))
}

/// Starts gateway and core in this process.
pub async fn start_single_node(config: NodeConfig) -> Result<RunningNode> {
    let store = open_store(&config.database_url, config.store.clone()).await?;
    let boot_store = store.clone();
    let bootstrap = tokio::task::spawn_blocking(move || admin::bootstrap_if_empty(&boot_store)).await??;
    // The gateway serves /Bulk; the core advertises it. One source for both.
    let mut core_settings = config.core.clone();
    core_settings.bulk = bulk_settings(config.gateway.bulk_max_operations, config.gateway.max_body_bytes);
    let core = Core::new(store.clone(), core_settings);
    let mut services = Services::new(Some(store.clone()), Some(core.clone()));

    let grpc_addr = match config.grpc_listen {
        Some(addr) => {
            let listener = bind(addr, "gRPC").await?;
            let bound = listener.local_addr()?;
            serve_grpc(&mut services, core.clone(), listener, config.grpc_tls.as_ref())?;
            Some(bound)
        }
        None => None,
    };
    let in_process = idsync_core::server::in_process(core.clone())
        .await
        .context("starting the in-process core")?;
    let listener = bind(config.listen, "HTTP").await?;
    let http_addr = listener.local_addr()?;
    let public_url = public_url_or(config.public_url, http_addr, config.gateway.tls.is_some());
    let state = gateway_state(CoreTransport::service(in_process), &public_url, &config.gateway);
    let ops_addr = serve_gateway_ops(&mut services, &state, config.gateway.ops_listen).await?;
    let stopped = services.stopped();
    services.spawn(idsync_gateway::serve(listener, state, stopped));
    Ok(RunningNode {
        http_addr,
        ops_addr,
        grpc_addr,
        public_url,
        bootstrap,
        store,
        services,
    })
}

/// Starts a core on its own: gRPC, and metrics and health when asked.
pub async fn start_core(config: CoreConfig) -> Result<RunningCore> {
    let store = open_store(&config.database_url, config.store.clone()).await?;
    let core = Core::new(store.clone(), config.core);
    let mut services = Services::new(Some(store.clone()), Some(core.clone()));
    let listener = bind(config.grpc_listen, "gRPC").await?;
    let grpc_addr = listener.local_addr()?;
    let ops_addr = match config.ops_listen {
        Some(addr) => {
            let ops_listener = bind(addr, "operations").await?;
            let bound = ops_listener.local_addr()?;
            let stopped = services.stopped();
            services.spawn(observe::serve_ops(
                ops_listener,
                database_answers(store.clone()),
                stopped,
            ));
            Some(bound)
        }
        None => None,
    };
    serve_grpc(&mut services, core, listener, config.grpc_tls.as_ref())?;
    Ok(RunningCore {
        grpc_addr,
        ops_addr,
        services,
    })
}

/// Starts a gateway on its own, in front of the core at `config.core_url`.
pub async fn start_gateway(config: GatewayConfig) -> Result<RunningGateway> {
    let channel = connect_core(&config.core_url, &config.core_tls)?;
    let listener = bind(config.listen, "HTTP").await?;
    let http_addr = listener.local_addr()?;
    let public_url = public_url_or(config.public_url, http_addr, config.gateway.tls.is_some());
    let state = gateway_state(CoreTransport::network(channel), &public_url, &config.gateway);
    let mut services = Services::new(None, None);
    let ops_addr = serve_gateway_ops(&mut services, &state, config.gateway.ops_listen).await?;
    let stopped = services.stopped();
    services.spawn(idsync_gateway::serve(listener, state, stopped));
    Ok(RunningGateway {
        http_addr,
        ops_addr,
        public_url,
        services,
    })
}

/// The gateway's state over `core` (in-process or network), for `public_url`.
fn gateway_state(core: CoreTransport, public_url: &str, options: &GatewayOptions) -> AppState {
    AppState::new(
        core,
        GatewaySettings {
            public_url: public_url.to_owned(),
            max_body_bytes: options.max_body_bytes,
            bulk_max_operations: options.bulk_max_operations,
            shield: options.shield,
            ops_on_public_listener: options.ops_on_public_listener,
            tls: options.tls.clone(),
            console: ConsoleSettings {
                trace_url_template: options.trace_url_template.clone(),
                ..ConsoleSettings::default()
            },
        },
    )
}

/// The gateway's operational listener, when asked for: `/metrics`, `/healthz`, and
/// `/readyz` (the core answers its health check). Returns where it listens.
async fn serve_gateway_ops(
    services: &mut Services,
    state: &AppState,
    ops_listen: Option<SocketAddr>,
) -> Result<Option<SocketAddr>> {
    let Some(addr) = ops_listen else {
        return Ok(None);
    };
    let listener = bind(addr, "operations").await?;
    let bound = listener.local_addr()?;
    let stopped = services.stopped();
    services.spawn(observe::serve_ops(listener, state.readiness(), stopped));
    Ok(Some(bound))
}

/// `/readyz` of a core on its own: the database answers within two seconds.
fn database_answers(store: Store) -> ReadinessCheck {
    Arc::new(move || {
        let store = store.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || store.ping(Duration::from_secs(2)).is_ok())
                .await
                .unwrap_or(false)
        })
    })
}

/// Serves the core's gRPC on `listener`, over TLS when `tls` is given, until the
/// services stop.
fn serve_grpc(services: &mut Services, core: Core, listener: TcpListener, tls: Option<&GrpcServerTls>) -> Result<()> {
    let stopped = services.stopped();
    match tls {
        None => services.spawn(idsync_core::server::serve(core, listener, stopped)),
        Some(tls) => {
            let acceptor =
                ServerTls::grpc(&tls.files, tls.client_ca.as_deref()).context("loading the gRPC TLS certificate")?;
            let incoming = grpc_tls::tls_incoming(listener, acceptor);
            services.spawn(idsync_core::server::serve_incoming(core, incoming, stopped));
        }
    }
    Ok(())
}

async fn bind(addr: SocketAddr, what: &str) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {what} {addr}"))
}

fn public_url_or(public_url: Option<String>, bound: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    public_url.unwrap_or_else(|| format!("{scheme}://{bound}"))
}

/// The Tenant URL of `tenant` on a server whose public base URL is `public_url`.
pub fn tenant_url(tenant: &TenantRecord, public_url: &str) -> String {
    admin::tenant_url(tenant, public_url)
}

/// What a bootstrap printed, for the operator of a fresh `serve`.
pub fn first_start_message(bootstrap: &Bootstrap, public_url: &str) -> String {
    format!(
        "idsync is ready. Connect Microsoft Entra ID with:\n  Tenant URL:   {}\n  Secret Token: {}\nThe token is shown only now; create more with `idsync token create`.",
        tenant_url(&bootstrap.tenant, public_url),
        bootstrap.secret
    )
}

/// What `/ServiceProviderConfig` advertises for the `/Bulk` the gateway serves.
pub fn bulk_settings(max_operations: usize, max_payload_bytes: usize) -> BulkSettings {
    BulkSettings {
        supported: true,
        max_operations: u32::try_from(max_operations).unwrap_or(u32::MAX),
        max_payload_size: u64::try_from(max_payload_bytes).unwrap_or(u64::MAX),
    }
}
