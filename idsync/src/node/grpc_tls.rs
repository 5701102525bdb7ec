//! TLS between the core's gRPC listener and its clients: the core serves HTTP/2 over TLS
//! (`--grpc-tls-cert/--grpc-tls-key`), can require client certificates signed by a CA
//! (`--grpc-client-ca`, mutual TLS), and a gateway verifies the core against `--core-ca`
//! and presents its own certificate (`--core-client-cert/--core-client-key`).
//!
//! The certificates and acceptors are the gateway library's (`idsync_gateway::tls`), so
//! both listeners load, check and renew certificates the same way; this module only
//! turns a TCP listener into a stream of TLS connections for tonic.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use idsync_gateway::TlsFiles;
use idsync_gateway::tls::{self, ServerTls};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

/// TLS on a core's gRPC listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrpcServerTls {
    /// The listener's certificate chain and key.
    pub files: TlsFiles,
    /// When given, clients must present a certificate that chains to a CA in this PEM
    /// file (mutual TLS); others fail the handshake.
    pub client_ca: Option<PathBuf>,
}

impl GrpcServerTls {
    /// Loads the files, for a start-up that fails at once naming the file at fault.
    pub fn check(&self) -> io::Result<()> {
        ServerTls::grpc(&self.files, self.client_ca.as_deref()).map(|_| ())
    }
}

/// How a gateway reaches a core whose URL is `https://…`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoreClientTls {
    /// PEM file of the CA certificates that may sign the core's certificate; without it,
    /// the system's trusted roots.
    pub ca: Option<PathBuf>,
    /// The gateway's own certificate and key, for a core that requires client
    /// certificates.
    pub identity: Option<TlsFiles>,
}

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS connections made to `listener`, for tonic's `serve_with_incoming`. Each
/// handshake runs in its own task, so a slow or silent client holds up no other; a
/// failed one is logged at debug level and dropped. The certificate files are checked
/// for a renewal every [`idsync_gateway::tls::RELOAD_CHECK`]. Everything stops when the stream is dropped.
pub(crate) fn tls_incoming(listener: TcpListener, tls: ServerTls) -> ReceiverStream<io::Result<TlsStream<TcpStream>>> {
    let (sender, receiver) = mpsc::channel(64);
    tokio::spawn(async move {
        let watching = tokio::spawn(tls.clone().watch());
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::debug!(%error, "gRPC accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = sender.closed() => break,
            };
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY");
            }
            let (sender, acceptor) = (sender.clone(), tls.acceptor());
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        // A send fails only once the server stopped: the connection closes.
                        let _ = sender.send(Ok(stream)).await;
                    }
                    Ok(Err(error)) => tracing::debug!(%error, %peer, "gRPC TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "gRPC TLS handshake not finished in time"),
                }
            });
        }
        watching.abort();
    });
    ReceiverStream::new(receiver)
}

/// A lazily connecting, persistent HTTP/2 channel to the core at `core_url`
/// (reconnects on its own). An `https://` URL is verified against `tls.ca` (or the
/// system's roots) and presents `tls.identity` when given; the files are read now, so a
/// bad one fails the start.
pub fn connect_core(core_url: &str, tls: &CoreClientTls) -> Result<Channel> {
    let mut endpoint = Endpoint::from_shared(core_url.to_string())
        .with_context(|| format!("invalid core URL {core_url}"))?
        .http2_keep_alive_interval(Duration::from_secs(30))
        .tcp_nodelay(true);
    if core_url.starts_with("https://") {
        let mut config = ClientTlsConfig::new();
        config = match &tls.ca {
            Some(ca) => {
                tls::read_ca_file(ca).context("loading --core-ca")?;
                let pem = std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?;
                config.ca_certificate(Certificate::from_pem(pem))
            }
            None => config.with_native_roots(),
        };
        if let Some(files) = &tls.identity {
            files
                .check()
                .context("loading --core-client-cert and --core-client-key")?;
            let cert = std::fs::read(&files.cert).with_context(|| format!("reading {}", files.cert.display()))?;
            let key = std::fs::read(&files.key).with_context(|| format!("reading {}", files.key.display()))?;
            config = config.identity(Identity::from_pem(cert, key));
        }
        endpoint = endpoint.tls_config(config).context("configuring TLS to the core")?;
    } else if tls.ca.is_some() || tls.identity.is_some() {
        anyhow::bail!("--core-ca and --core-client-cert need an https:// core URL, not {core_url}");
    }
    Ok(endpoint.connect_lazy())
}
