//! How the gateway reaches sync-core: [`CoreTransport`], one cloneable tower service over
//! gRPC's HTTP requests that the generated clients call. It is either a tonic
//! [`Channel`] (HTTP/2 to a core in another process: `idsync gateway --core URL`) or
//! the core's own services in this process (`idsync serve`, which the binary wires; this
//! crate never sees sync-core). Messages, metadata, status codes and deadlines are the
//! same through both.

use std::task::{Context, Poll};

use axum::http::{Request, Response};
use tonic::body::Body;
use tonic::transport::Channel;
use tower::util::BoxCloneSyncService;
use tower::{BoxError, Service, ServiceExt};

/// The transport under every call to sync-core. Cheap to clone.
#[derive(Clone)]
pub struct CoreTransport {
    service: BoxCloneSyncService<Request<Body>, Response<Body>, BoxError>,
    in_process: bool,
}

impl CoreTransport {
    /// Over the network: a channel to a core in another process.
    pub fn network(channel: Channel) -> Self {
        CoreTransport {
            service: BoxCloneSyncService::new(channel.map_err(Into::into)),
            in_process: false,
        }
    }

    /// Any service in this process that answers gRPC's HTTP requests, such as the
    /// core's services.
    pub fn service<S>(service: S) -> Self
    where
        S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        CoreTransport {
            service: BoxCloneSyncService::new(service.map_err(Into::into)),
            in_process: true,
        }
    }

    /// Whether the core runs in this process (no network between gateway and core).
    pub fn is_in_process(&self) -> bool {
        self.in_process
    }
}

impl From<Channel> for CoreTransport {
    fn from(channel: Channel) -> Self {
        CoreTransport::network(channel)
    }
}

impl Service<Request<Body>> for CoreTransport {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = <BoxCloneSyncService<Request<Body>, Response<Body>, BoxError> as Service<Request<Body>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.service.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        self.service.call(request)
    }
}
