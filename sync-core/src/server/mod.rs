//! The gRPC server: the idsync services plus `grpc.health.v1` and server reflection, on a
//! TCP listener or any stream of connections such as TLS ones (for internal services and separate gateways) or in-process as a tower
//! service (single-node mode: the same tonic services, messages, metadata, status codes
//! and deadlines, without HTTP/2 framing, a pipe or a task per call).
//!
//! Every call is traced and measured by `GrpcServerLayer` (a span continuing the
//! caller's `traceparent`, `rpc.server.duration`), over the network and in-process
//! alike. Health follows the database through [`ReadinessGate`]: a new service adds its
//! name to the gate's list.
//!
//! Layout: this file builds the routes and serves them on TCP; [`InProcess`]
//! (`in_process.rs`) is the core as a tower service, doing per call what tonic's
//! transport server does (the `grpc-timeout` deadline, telemetry, errors as statuses).

mod in_process;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::io;

use idsync_proto::v1::admin_server::AdminServer;
use idsync_proto::v1::changes_server::ChangesServer;
use idsync_proto::v1::directory_server::DirectoryServer;
use idsync_proto::v1::discovery_server::DiscoveryServer;
use idsync_proto::v1::groups_server::GroupsServer;
use idsync_proto::v1::provisioning_log_server::ProvisioningLogServer;
use idsync_proto::v1::search_server::SearchServer;
use idsync_proto::v1::users_server::UsersServer;
use idsync_telemetry::grpc::GrpcServerLayer;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_stream::Stream;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic::transport::server::Connected;
use tower_http::catch_panic::CatchPanicLayer;

pub use self::in_process::InProcess;
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

/// Every service the core offers, routed by gRPC path (unknown ones answer
/// `UNIMPLEMENTED`); the transport adds the telemetry layer.
pub async fn routes(core: Core) -> Result<Routes, tonic_reflection::server::Error> {
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
    Ok(Routes::new(health)
        .add_service(reflection)
        .add_service(UsersServer::new(UsersService::new(core.clone())))
        .add_service(DiscoveryServer::new(DiscoveryService::new(core.clone())))
        .add_service(GroupsServer::new(GroupsService::new(core.clone())))
        .add_service(SearchServer::new(SearchService::new(core.clone())))
        .add_service(DirectoryServer::new(DirectoryService::new(core.clone())))
        .add_service(ChangesServer::new(ChangesService::new(core.clone())))
        .add_service(ProvisioningLogServer::new(LogService::new(core.clone())))
        .add_service(AdminServer::new(AdminService::new(core)))
        .prepare())
}

/// Serves the core on `listener` until `shutdown` completes, finishing calls in flight
/// (open change streams end at once; their clients resume from their cursor).
pub async fn serve(
    core: Core,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_incoming(core, TcpListenerStream::new(listener), shutdown).await
}

/// Serves the core on the connections `incoming` yields (TLS streams, for one) until
/// `shutdown` completes, as [`serve`] does on a TCP listener.
pub async fn serve_incoming<I, IO, IE>(
    core: Core,
    incoming: I,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()>
where
    I: Stream<Item = Result<IO, IE>>,
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let closer = core.clone();
    let shutdown = async move {
        shutdown.await;
        closer.close_streams();
    };
    let routes = routes(core).await.map_err(io::Error::other)?;
    Server::builder()
        .layer(GrpcServerLayer::new())
        // Inside the telemetry layer, so a panic's INTERNAL is traced and timed like any.
        .layer(CatchPanicLayer::custom(answer_panic))
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(io::Error::other)
}

/// The answer to a call whose handler panicked: gRPC `INTERNAL`, with the panic logged
/// and counted (`idsync.panics`, `layer="grpc"`). A panic is a bug; this keeps it from
/// resetting the caller's HTTP/2 stream. (In `serve`, where the gateway calls the core in
/// process, the gateway's own HTTP layer catches it.)
fn answer_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> tonic::codegen::http::Response<tonic::body::Body> {
    idsync_telemetry::panics::record_panic("grpc", panic.as_ref());
    tonic::Status::internal("internal error").into_http()
}

/// The core inside this process, as a tower service that the generated clients call
/// directly: see [`InProcess`]. Nothing is spawned and nothing listens; calls run in the
/// caller's task. A graceful stop is the caller's (the gateway finishes its requests)
/// plus [`Core::close_streams`] for open change streams.
pub async fn in_process(core: Core) -> io::Result<InProcess> {
    let routes = routes(core).await.map_err(io::Error::other)?;
    Ok(InProcess::new(routes))
}
