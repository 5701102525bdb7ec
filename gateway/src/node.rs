//! Launching idsync: the single-node mode (gateway plus an in-process core) and a
//! gateway in front of a remote core.
//!
//! This is the only place where the gateway crate reaches sync-core, and only to start it
//! in this process; every request still crosses a real gRPC (HTTP/2) boundary, over an
//! in-memory duplex pipe. The core also listens on TCP for internal services.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::{Context, Result};
use idsync_core::admin::{self, Bootstrap};
use idsync_core::storage::records::TenantRecord;
use idsync_core::storage::{Store, StoreOptions};
use idsync_core::{BulkSettings, Core, CoreSettings};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

use crate::{AppState, GatewaySettings};

/// What a single node needs.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// SQLite path or `postgres://…` URL.
    pub database_url: String,
    /// HTTP address of the gateway (port 0 picks one).
    pub listen: SocketAddr,
    /// gRPC address of the core for internal services; `None` keeps it in-process only.
    pub grpc_listen: Option<SocketAddr>,
    /// Externally visible base URL; `None` derives `http://<listen>`.
    pub public_url: Option<String>,
    /// Core tunables.
    pub core: CoreSettings,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Most operations in one `/Bulk` request.
    pub bulk_max_operations: usize,
}

/// A running single node.
pub struct RunningNode {
    /// Where the SCIM gateway listens.
    pub http_addr: SocketAddr,
    /// Where the core's gRPC listens, if it does.
    pub grpc_addr: Option<SocketAddr>,
    /// The server's public base URL.
    pub public_url: String,
    /// The tenant and token created on first start with an empty database.
    pub bootstrap: Option<Bootstrap>,
    /// The core's store (for tests and tools in the same process).
    pub store: Store,
    core: Core,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
    _close_store: CloseOnDrop,
}

/// Closes a node's store when the node goes away without [`RunningNode::shutdown`] (a
/// test that just ends, a panic), so that no pool thread goes on opening connections
/// for a node that no longer exists.
struct CloseOnDrop(Store);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.clone().close();
    }
}

/// Opens (and migrates) the database, failing fast if it cannot be reached.
pub async fn open_store(database_url: &str) -> Result<Store> {
    let url = database_url.to_string();
    tokio::task::spawn_blocking(move || Store::open(&url, StoreOptions::default()))
        .await?
        .with_context(|| format!("opening database {}", redact(database_url)))
}

/// Opens (and migrates) the database on one connection, for a one-shot command: no
/// pool, so no background thread is left talking to the database when it exits.
pub async fn open_store_for_command(database_url: &str) -> Result<Store> {
    let url = database_url.to_string();
    tokio::task::spawn_blocking(move || Store::open_single(&url, StoreOptions::default()))
        .await?
        .with_context(|| format!("opening database {}", redact(database_url)))
}

/// Closes a service's store once it has stopped serving: no connection is opened after
/// it, and it returns when none is being opened (see `Store::close`).
pub async fn close_store(store: Store) {
    let _ = tokio::task::spawn_blocking(move || store.close()).await;
}

/// Opens the database and builds a core over it.
pub async fn open_core(database_url: &str, settings: CoreSettings) -> Result<Core> {
    Ok(Core::new(open_store(database_url).await?, settings))
}

/// Starts gateway and core in this process.
pub async fn start_single_node(config: NodeConfig) -> Result<RunningNode> {
    let store = open_store(&config.database_url).await?;
    let boot_store = store.clone();
    let bootstrap = tokio::task::spawn_blocking(move || admin::bootstrap_if_empty(&boot_store)).await??;
    // The gateway serves /Bulk; the core advertises it. One source for both.
    let mut core_settings = config.core.clone();
    core_settings.bulk = bulk_settings(config.bulk_max_operations, config.max_body_bytes);
    let core = Core::new(store.clone(), core_settings);
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();

    let grpc_addr = match config.grpc_listen {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding gRPC {addr}"))?;
            let bound = listener.local_addr()?;
            tasks.push(tokio::spawn(idsync_core::server::serve(
                core.clone(),
                listener,
                wait_for(stopped.clone()),
            )));
            Some(bound)
        }
        None => None,
    };
    let channel = idsync_core::server::in_process(core.clone())
        .await
        .context("starting the in-process core")?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding HTTP {}", config.listen))?;
    let http_addr = listener.local_addr()?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{http_addr}"));
    let state = AppState::new(
        channel,
        GatewaySettings {
            public_url: public_url.clone(),
            max_body_bytes: config.max_body_bytes,
            bulk_max_operations: config.bulk_max_operations,
        },
    );
    tasks.push(tokio::spawn(crate::serve(listener, state, wait_for(stopped))));
    Ok(RunningNode {
        http_addr,
        grpc_addr,
        public_url,
        bootstrap,
        _close_store: CloseOnDrop(store.clone()),
        store,
        core,
        stop,
        tasks,
    })
}

impl RunningNode {
    /// The Tenant URL of `tenant` on this node.
    pub fn tenant_url(&self, tenant: &TenantRecord) -> String {
        admin::tenant_url(tenant, &self.public_url)
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<()> {
        signal.await;
        self.shutdown().await
    }

    /// Stops accepting, finishes requests in flight, waits for both servers, and closes
    /// the store.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.stop.send(true);
        self.core.close_streams();
        let mut result = Ok(());
        for task in self.tasks {
            if let Err(e) = task
                .await
                .map_err(anyhow::Error::from)
                .and_then(|r| r.map_err(Into::into))
                && result.is_ok()
            {
                result = Err(e);
            }
        }
        close_store(self.store).await;
        result
    }
}

/// Runs a gateway in front of the core at `core_url` until `shutdown` completes.
pub async fn run_gateway(
    listener: TcpListener,
    core_url: &str,
    settings: GatewaySettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let channel = connect_core(core_url)?;
    let state = AppState::new(channel, settings);
    crate::serve(listener, state, shutdown).await?;
    Ok(())
}

/// What `/ServiceProviderConfig` advertises for the `/Bulk` the gateway serves.
pub fn bulk_settings(max_operations: usize, max_payload_bytes: usize) -> BulkSettings {
    BulkSettings {
        supported: true,
        max_operations: u32::try_from(max_operations).unwrap_or(u32::MAX),
        max_payload_size: u64::try_from(max_payload_bytes).unwrap_or(u64::MAX),
    }
}

/// A lazily connecting, persistent HTTP/2 channel to a core (reconnects on its own).
pub fn connect_core(core_url: &str) -> Result<Channel> {
    Ok(Endpoint::from_shared(core_url.to_string())
        .with_context(|| format!("invalid core URL {core_url}"))?
        .http2_keep_alive_interval(std::time::Duration::from_secs(30))
        .tcp_nodelay(true)
        .connect_lazy())
}

async fn wait_for(mut stopped: watch::Receiver<bool>) {
    while !*stopped.borrow_and_update() {
        if stopped.changed().await.is_err() {
            return;
        }
    }
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn database_passwords_are_redacted_from_messages() {
        assert_eq!(
            redact("postgres://idsync:s3cret@db:5432/x"),
            "postgres://idsync:***@db:5432/x"
        );
        assert_eq!(redact("postgres://db/x"), "postgres://db/x");
        assert_eq!(redact("./idsync-data/idsync.db"), "./idsync-data/idsync.db");
    }
}
