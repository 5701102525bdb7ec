//! The certificate a TLS listener hands each new connection, replaced when its files
//! change. Connections already open keep the certificate they were made with.

use std::io;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::{TlsFiles, invalid, modified};

/// The listener's certified key, and the files it came from.
#[derive(Debug)]
pub(super) struct CertReloader {
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

/// Reads and checks a certificate chain and its key.
pub(super) fn load(files: &TlsFiles) -> io::Result<CertifiedKey> {
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
    pub(super) fn new(files: TlsFiles) -> io::Result<Arc<Self>> {
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
    pub(super) fn reload_if_changed(&self) {
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
}
