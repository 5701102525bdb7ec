//! The running handles of the three modes, and what they share: the servers' tasks, one
//! stop signal, and the store to close once they have stopped.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Result;
use idsync_core::Core;
use idsync_core::admin::Bootstrap;
use idsync_storage::Store;
use idsync_storage::records::TenantRecord;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running single node (`idsync serve`).
pub struct RunningNode {
    /// Where the SCIM gateway listens.
    pub http_addr: SocketAddr,
    /// Where `/metrics`, `/healthz` and `/readyz` listen, if they do.
    pub ops_addr: Option<SocketAddr>,
    /// Where the core's gRPC listens, if it does.
    pub grpc_addr: Option<SocketAddr>,
    /// The server's public base URL.
    pub public_url: String,
    /// The tenant and token created on first start with an empty database.
    pub bootstrap: Option<Bootstrap>,
    /// The core's store (for tests and tools in the same process).
    pub store: Store,
    pub(super) services: Services,
}

/// A running core on its own (`idsync core`).
pub struct RunningCore {
    /// Where its gRPC listens.
    pub grpc_addr: SocketAddr,
    /// Where `/metrics`, `/healthz` and `/readyz` listen, if they do.
    pub ops_addr: Option<SocketAddr>,
    pub(super) services: Services,
}

/// A running gateway on its own (`idsync gateway`).
pub struct RunningGateway {
    /// Where the SCIM gateway listens.
    pub http_addr: SocketAddr,
    /// Where `/metrics`, `/healthz` and `/readyz` listen, if they do.
    pub ops_addr: Option<SocketAddr>,
    /// The server's public base URL.
    pub public_url: String,
    pub(super) services: Services,
}

impl RunningNode {
    /// The Tenant URL of `tenant` on this node.
    pub fn tenant_url(&self, tenant: &TenantRecord) -> String {
        super::tenant_url(tenant, &self.public_url)
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<()> {
        signal.await;
        self.shutdown().await
    }

    /// Stops accepting, finishes requests in flight, waits for both servers, and closes
    /// the store.
    pub async fn shutdown(self) -> Result<()> {
        self.services.shutdown().await
    }
}

impl RunningCore {
    /// Serves until `signal` completes, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<()> {
        signal.await;
        self.services.shutdown().await
    }
}

impl RunningGateway {
    /// Serves until `signal` completes, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<()> {
        signal.await;
        self.services.shutdown().await
    }
}

/// The servers of one mode: spawned tasks that stop on one signal, the core whose change
/// streams end with them, and the store closed after them.
pub(super) struct Services {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
    core: Option<Core>,
    /// Closed however the services end: by [`Services::shutdown`] or by being dropped
    /// (a test that just ends, a panic), so that no pool thread goes on opening
    /// connections for servers that no longer exist.
    store: Option<CloseOnDrop>,
}

impl Services {
    pub(super) fn new(store: Option<Store>, core: Option<Core>) -> Services {
        Services {
            stop: watch::channel(false).0,
            tasks: Vec::new(),
            core,
            store: store.map(CloseOnDrop),
        }
    }

    /// A future that completes when the services are told to stop.
    pub(super) fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stopped = self.stop.subscribe();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    }

    /// Runs one server until it stops.
    pub(super) fn spawn(&mut self, server: impl Future<Output = std::io::Result<()>> + Send + 'static) {
        self.tasks.push(tokio::spawn(server));
    }

    /// Stops accepting, finishes requests in flight, waits for every server, then closes
    /// the store. Reports the first server that failed.
    async fn shutdown(mut self) -> Result<()> {
        let _ = self.stop.send(true);
        if let Some(core) = &self.core {
            core.close_streams();
        }
        let mut result = Ok(());
        for task in std::mem::take(&mut self.tasks) {
            let ended = match task.await {
                Ok(served) => served.map_err(anyhow::Error::from),
                Err(join) => Err(anyhow::Error::from(join)),
            };
            if let Err(e) = ended
                && result.is_ok()
            {
                result = Err(e);
            }
        }
        if let Some(closer) = self.store.take() {
            // Closing waits for connects in flight: off the async workers.
            let _ = tokio::task::spawn_blocking(move || drop(closer)).await;
        }
        result
    }
}

/// A store that is closed when this is dropped.
struct CloseOnDrop(Store);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.clone().close();
    }
}
