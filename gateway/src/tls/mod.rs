//! HTTPS on the SCIM listener: rustls on ring (no OpenSSL for serving), TLS 1.2 and 1.3,
//! ALPN for `h2` and `http/1.1`. The certificate and key are PEM files; a renewed pair is
//! picked up while serving (the files are checked every few seconds), so a certificate
//! rotation needs no restart and drops no connection: connections already open keep
//! the certificate they were made with, new ones get the new one. A pair that fails to
//! load is logged and the old one kept.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// The PEM files of the listener's certificate chain and private key.
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
        load(self).map(|_| ())
    }
}

/// How often the files are checked for a renewal.
pub const RELOAD_CHECK: Duration = Duration::from_secs(2);

/// The certificate rustls hands every new connection, replaced when the files change.
#[derive(Debug)]
pub(crate) struct CertReloader {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
    /// The files' modification times when they were last loaded.
    loaded: Mutex<(Option<SystemTime>, Option<SystemTime>)>,
}

impl ResolvesServerCert for CertReloader {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(PoisonError::into_inner).clone())
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// Reads and checks a certificate chain and its key.
fn load(files: &TlsFiles) -> io::Result<CertifiedKey> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| invalid(format!("{}: {e}", files.cert.display())))?;
    if certs.is_empty() {
        return Err(invalid(format!("{}: no certificate in it", files.cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| invalid(format!("{}: {e}", files.key.display())))?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| invalid(format!("{}: {e}", files.key.display())))?;
    let certified = CertifiedKey::new(certs, signing);
    certified.keys_match().map_err(|e| {
        invalid(format!(
            "{} and {} do not match: {e}",
            files.cert.display(),
            files.key.display()
        ))
    })?;
    Ok(certified)
}

impl CertReloader {
    /// Loads the files; an error names the file at fault.
    pub(crate) fn new(files: TlsFiles) -> io::Result<Arc<Self>> {
        let stamps = (modified(&files.cert), modified(&files.key));
        let certified = load(&files)?;
        Ok(Arc::new(CertReloader {
            files,
            current: RwLock::new(Arc::new(certified)),
            loaded: Mutex::new(stamps),
        }))
    }

    /// Loads the files again if either changed since the last load. A pair that does not
    /// load is logged and the certificate in use kept.
    pub(crate) fn reload_if_changed(&self) {
        let stamps = (modified(&self.files.cert), modified(&self.files.key));
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if *loaded == stamps {
            return;
        }
        match load(&self.files) {
            Ok(certified) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(certified);
                *loaded = stamps;
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
            }
            Err(error) => tracing::warn!(%error, "the renewed TLS certificate does not load; keeping the current one"),
        }
    }

    /// The acceptor of new connections: TLS 1.2 and 1.3, ALPN `h2` then `http/1.1`.
    pub(crate) fn acceptor(self: &Arc<Self>) -> io::Result<TlsAcceptor> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }

    /// Checks the files every [`RELOAD_CHECK`] until the task is dropped.
    pub(crate) async fn watch(self: Arc<Self>) {
        loop {
            tokio::time::sleep(RELOAD_CHECK).await;
            let reloader = self.clone();
            if let Err(error) = tokio::task::spawn_blocking(move || reloader.reload_if_changed()).await {
                tracing::warn!(%error, "checking the TLS certificate failed");
            }
        }
    }
}
