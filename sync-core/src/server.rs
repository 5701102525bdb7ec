//! The gRPC server: the idsync services plus `grpc.health.v1` and server reflection, on a
//! TCP listener (for internal services and separate gateways) or in-process over a
//! duplex pipe (single-node mode: the HTTP/2 boundary stays real without a port).
//!
//! Every call is traced and measured by `GrpcServerLayer` (a span continuing the
//! caller's `traceparent`, `rpc.server.duration`). Health follows the database through
//! [`ReadinessGate`]: a new service adds its name to the gate's list.

use std::future::Future;
use std::io;

use hyper_util::rt::TokioIo;
use idsync_proto::v1::admin_server::AdminServer;
use idsync_proto::v1::changes_server::ChangesServer;
use idsync_proto::v1::directory_server::DirectoryServer;
use idsync_proto::v1::discovery_server::DiscoveryServer;
use idsync_proto::v1::groups_server::GroupsServer;
use idsync_proto::v1::provisioning_log_server::ProvisioningLogServer;
use idsync_proto::v1::search_server::SearchServer;
use idsync_proto::v1::users_server::UsersServer;
use idsync_telemetry::grpc::GrpcServerLayer;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::server::NamedService;
use tonic::transport::server::Router;
use tonic::transport::{Channel, Endpoint, Server, Uri};
use tower::layer::util::{Identity, Stack};

use crate::Core;
use crate::admin::service::AdminService;
use crate::changes::service::ChangesService;
use crate::directory::service::DirectoryService;
use crate::discovery::service::DiscoveryService;
use crate::groups::service::GroupsService;
use crate::health::ReadinessGate;
use crate::log::service::LogService;
use crate::search::service::SearchService;
use crate::users::service::UsersService;

/// The core's router: every service behind the telemetry layer.
pub type CoreRouter = Router<Stack<GrpcServerLayer, Identity>>;

/// Builds the router with every service the core offers.
pub async fn router(core: Core) -> Result<CoreRouter, tonic_reflection::server::Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter.set_serving::<UsersServer<UsersService>>().await;
    reporter.set_serving::<GroupsServer<GroupsService>>().await;
    reporter.set_serving::<SearchServer<SearchService>>().await;
    reporter.set_serving::<DirectoryServer<DirectoryService>>().await;
    reporter.set_serving::<AdminServer<AdminService>>().await;
    reporter.set_serving::<DiscoveryServer<DiscoveryService>>().await;
    reporter.set_serving::<ChangesServer<ChangesService>>().await;
    reporter.set_serving::<ProvisioningLogServer<LogService>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(idsync_proto::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let health = ReadinessGate::new(
        health,
        reporter,
        core.store().clone(),
        vec![
            <UsersServer<UsersService> as NamedService>::NAME,
            <GroupsServer<GroupsService> as NamedService>::NAME,
            <SearchServer<SearchService> as NamedService>::NAME,
            <DirectoryServer<DirectoryService> as NamedService>::NAME,
            <AdminServer<AdminService> as NamedService>::NAME,
            <DiscoveryServer<DiscoveryService> as NamedService>::NAME,
            <ChangesServer<ChangesService> as NamedService>::NAME,
            <ProvisioningLogServer<LogService> as NamedService>::NAME,
        ],
    );
    Ok(Server::builder()
        .layer(GrpcServerLayer::new())
        .add_service(health)
        .add_service(reflection)
        .add_service(UsersServer::new(UsersService::new(core.clone())))
        .add_service(DiscoveryServer::new(DiscoveryService::new(core.clone())))
        .add_service(GroupsServer::new(GroupsService::new(core.clone())))
        .add_service(SearchServer::new(SearchService::new(core.clone())))
        .add_service(DirectoryServer::new(DirectoryService::new(core.clone())))
        .add_service(ChangesServer::new(ChangesService::new(core.clone())))
        .add_service(ProvisioningLogServer::new(LogService::new(core.clone())))
        .add_service(AdminServer::new(AdminService::new(core))))
}

/// Serves the core on `listener` until `shutdown` completes, finishing calls in flight
/// (open change streams end at once; their clients resume from their cursor).
pub async fn serve(
    core: Core,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let closer = core.clone();
    let shutdown = async move {
        shutdown.await;
        closer.close_streams();
    };
    let router = router(core).await.map_err(io::Error::other)?;
    router
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await
        .map_err(io::Error::other)
}

/// Starts the core inside this process and returns a channel to it. Each connection is a
/// fresh in-memory duplex pipe carrying real HTTP/2, so the gRPC boundary (metadata,
/// status codes, deadlines) is exactly what a remote client sees.
pub async fn in_process(core: Core) -> io::Result<Channel> {
    let router = router(core).await.map_err(io::Error::other)?;
    let (tx, rx) = mpsc::channel::<io::Result<tokio::io::DuplexStream>>(16);
    tokio::spawn(async move {
        if let Err(e) = router.serve_with_incoming(ReceiverStream::new(rx)).await {
            tracing::error!(error = %e, "in-process core stopped");
        }
    });
    Endpoint::from_static("http://in-process.idsync")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let tx = tx.clone();
            async move {
                let (client, server) = tokio::io::duplex(256 * 1024);
                tx.send(Ok(server))
                    .await
                    .map_err(|_| io::Error::other("the in-process core has stopped"))?;
                Ok::<_, io::Error>(TokioIo::new(client))
            }
        }))
        .await
        .map_err(io::Error::other)
}
