//! TLS for idsync's listeners: rustls on ring (no OpenSSL for serving), TLS 1.2 and 1.3.
//!
//! - The SCIM listener serves HTTPS with ALPN `h2` then `http/1.1` ([`ServerTls::https`]).
//! - The core's gRPC listener serves HTTP/2 only, and can ask every client for a
//!   certificate signed by a given CA: mutual TLS between gateway and core
//!   ([`ServerTls::grpc`]).
//!
//! The certificate and key are PEM files. A renewed pair is picked up while serving (the
//! files are checked every [`RELOAD_CHECK`]), so a rotation needs no restart and drops no
//! connection: connections already open keep the certificate they were made with, new
//! ones get the new one. A pair that fails to load is logged and the old one kept. The
//! client CA of mutual TLS is checked and reloaded the same way (`client_ca`).

mod client_ca;
mod reloader;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_rustls::TlsAcceptor;

use client_ca::ClientCaReloader;
use reloader::CertReloader;

/// The PEM files of a listener's certificate chain and private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl TlsFiles {
    /// Whether the files hold a certificate chain and its matching key: for a start-up
    /// that must fail at once, naming the file at fault, rather than later.
    pub fn check(&self) -> io::Result<()> {
        reloader::load(self).map(|_| ())
    }
}

/// How often the files are checked for a renewal.
pub const RELOAD_CHECK: Duration = Duration::from_secs(2);

/// When `path` was last modified, if it can be read.
fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// The certificates of a PEM file of CA certificates (at least one), e.g. `--core-ca`
/// or `--grpc-client-ca`; an error names the file.
pub fn read_ca_file(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect())
        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(invalid(format!("{}: no certificate in it", path.display())));
    }
    Ok(certs)
}

/// A TLS listener's acceptor, whose certificate follows its files.
#[derive(Clone)]
pub struct ServerTls {
    reloader: Arc<CertReloader>,
    /// The CA of client certificates, with `--grpc-client-ca`.
    client_ca: Option<Arc<ClientCaReloader>>,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("reloader", &self.reloader)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// HTTPS: ALPN `h2` then `http/1.1`, no client certificate asked for.
    pub fn https(files: &TlsFiles) -> io::Result<ServerTls> {
        ServerTls::new(files, None, &[b"h2", b"http/1.1"])
    }

    /// gRPC: ALPN `h2` only. With `client_ca`, a client must present a certificate that
    /// chains to one of the file's CA certificates, or the handshake fails (mutual TLS).
    pub fn grpc(files: &TlsFiles, client_ca: Option<&Path>) -> io::Result<ServerTls> {
        ServerTls::new(files, client_ca, &[b"h2"])
    }

    fn new(files: &TlsFiles, client_ca: Option<&Path>, alpn: &[&[u8]]) -> io::Result<ServerTls> {
        let reloader = CertReloader::new(files.clone())?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(e.to_string()))?;
        let client_ca = client_ca
            .map(|path| ClientCaReloader::new(path.to_owned(), provider))
            .transpose()?;
        let builder = match &client_ca {
            None => builder.with_no_client_auth(),
            Some(verifier) => builder.with_client_cert_verifier(verifier.clone()),
        };
        let mut config = builder.with_cert_resolver(reloader.clone());
        config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
        Ok(ServerTls {
            reloader,
            client_ca,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The acceptor of new connections.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }

    /// Checks the files every [`RELOAD_CHECK`], loading a renewed pair or a changed
    /// client CA, until the future is dropped.
    pub async fn watch(self) {
        loop {
            tokio::time::sleep(RELOAD_CHECK).await;
            let (reloader, client_ca) = (self.reloader.clone(), self.client_ca.clone());
            let checked = tokio::task::spawn_blocking(move || {
                reloader.reload_if_changed();
                if let Some(client_ca) = client_ca {
                    client_ca.reload_if_changed();
                }
            });
            if let Err(error) = checked.await {
                tracing::warn!(%error, "checking the TLS files failed");
            }
        }
    }
}
