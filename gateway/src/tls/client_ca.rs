//! The verifier of client certificates on a mutual-TLS listener, rebuilt when its CA
//! file changes, so that a rotated CA (or one taken out of it) applies to new
//! connections without a restart, as a renewed server certificate does.
//!
//! One difference from rustls' own verifier: no CA names are sent as hints in the
//! handshake (`root_hint_subjects` must lend a slice for as long as the verifier lives,
//! which a replaceable verifier cannot). Hints only help a client that holds several
//! certificates choose; idsync's gateway holds one.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};

use super::{invalid, modified, read_ca_file};

/// The verifier in use, and the file it came from.
#[derive(Debug)]
pub(super) struct ClientCaReloader {
    path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<dyn ClientCertVerifier>>,
    /// The file's modification time when it was last loaded.
    loaded: Mutex<Option<SystemTime>>,
}

/// A verifier that accepts client certificates chaining to a CA of `path`.
fn build(path: &Path, provider: &Arc<CryptoProvider>) -> io::Result<Arc<dyn ClientCertVerifier>> {
    let mut roots = RootCertStore::empty();
    for cert in read_ca_file(path)? {
        roots
            .add(cert)
            .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| invalid(format!("{}: {e}", path.display())))
}

impl ClientCaReloader {
    /// Loads the CA file; an error names it.
    pub(super) fn new(path: PathBuf, provider: Arc<CryptoProvider>) -> io::Result<Arc<Self>> {
        let stamp = modified(&path);
        let verifier = build(&path, &provider)?;
        Ok(Arc::new(ClientCaReloader {
            path,
            provider,
            current: RwLock::new(verifier),
            loaded: Mutex::new(stamp),
        }))
    }

    /// Loads the file again if it changed since the last load. A file that does not load
    /// is logged and the CA in use kept.
    pub(super) fn reload_if_changed(&self) {
        let stamp = modified(&self.path);
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if *loaded == stamp {
            return;
        }
        match build(&self.path, &self.provider) {
            Ok(verifier) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = verifier;
                *loaded = stamp;
                tracing::info!(ca = %self.path.display(), "client CA reloaded");
            }
            Err(error) => tracing::warn!(%error, "the changed client CA does not load; keeping the current one"),
        }
    }

    fn current(&self) -> Arc<dyn ClientCertVerifier> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl ClientCertVerifier for ClientCaReloader {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.current().verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.current().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.current().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.current().supported_verify_schemes()
    }
}
