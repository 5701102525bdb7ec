//! The accept loop of the gateway's HTTP listener: axum's `serve`, plus what it does not
//! expose — TLS (`tls`), and a deadline for reading a request's headers. A client that
//! opens connections and sends its headers a byte at a time (slowloris) would otherwise
//! hold each connection, and its task, for as long as it likes; past the deadline hyper
//! answers 408 and closes it (and a TLS handshake gets the same time). Every
//! connection's requests carry the peer's address (`ConnectInfo`), and a shutdown stops
//! accepting, lets requests in flight finish and closes idle keep-alive connections.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::rt::{Read, Write};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Serves `app` on `listener` (over TLS when `tls` is given) until `shutdown`
/// completes, then waits for the open connections to finish their requests.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    // Connections watch `stop` and finish gracefully when it closes; the loop waits
    // for every connection to drop its `done` receiver.
    let (stop, stopping) = watch::channel(());
    let (done_tx, done) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: wait a little rather than spin, as axum does.
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small SCIM answers on keep-alive connections must not wait for Nagle's algorithm.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let service = app.clone().map_request(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            request
        });
        let (builder, tls, stop, done) = (builder.clone(), tls.clone(), stop.clone(), done.clone());
        tokio::spawn(async move {
            let _done = done;
            match tls {
                None => drive(&builder, TokioIo::new(tcp), service, &stop, peer).await,
                Some(acceptor) => match tokio::time::timeout(header_read_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => drive(&builder, TokioIo::new(stream), service, &stop, peer).await,
                    Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake not finished in time"),
                },
            }
        });
    }
    drop(listener);
    drop(stopping);
    drop(done);
    done_tx.closed().await;
    Ok(())
}

/// Serves one connection until it ends, finishing it gracefully once `stop` closes.
async fn drive<I, S>(builder: &Builder<TokioExecutor>, io: I, service: S, stop: &watch::Sender<()>, peer: SocketAddr)
where
    I: Read + Write + Unpin + Send + 'static,
    S: tower::Service<Request<Incoming>, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let connection = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service));
    let mut connection = pin!(connection);
    let mut stopped = pin!(stop.closed());
    let mut stopping = false;
    loop {
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(error) = ended {
                    tracing::trace!(%error, %peer, "connection ended with an error");
                }
                return;
            }
            () = &mut stopped, if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
