//! HTTPS on the SCIM listener: TLS with ALPN for h2 and http/1.1, a renewed certificate
//! picked up without a restart, and no plain HTTP on the TLS port. `grpc`: TLS and
//! mutual TLS between a gateway and a core.

mod grpc;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use idsync::node::{GatewayOptions, NodeConfig, TlsFiles, start_single_node};
use idsync_core::CoreSettings;
use idsync_storage::StoreOptions;
use idsync_storage::test_util::TestDb;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::RootCertStore;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// A test CA, and the leaves it signs.
pub(crate) struct Pki {
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl Pki {
    pub(crate) fn new() -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = params.self_signed(&ca_key).unwrap();
        Pki { ca, ca_key }
    }

    /// A new leaf for `localhost` and `127.0.0.1`: its PEM chain, its PEM key, and its DER.
    pub(crate) fn leaf(&self) -> (String, String, Vec<u8>) {
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap()
            .signed_by(&key, &self.ca, &self.ca_key)
            .unwrap();
        (leaf.pem(), key.serialize_pem(), leaf.der().to_vec())
    }

    /// The CA certificate, PEM.
    pub(crate) fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// Writes a new leaf to `<dir>/<name>.pem` and `<dir>/<name>.key`; their paths and
    /// the leaf's DER.
    pub(crate) fn write_leaf(&self, dir: &std::path::Path, name: &str) -> (TlsFiles, Vec<u8>) {
        let (cert, key, der) = self.leaf();
        let files = TlsFiles {
            cert: dir.join(format!("{name}.pem")),
            key: dir.join(format!("{name}.key")),
        };
        std::fs::write(&files.cert, cert).unwrap();
        std::fs::write(&files.key, key).unwrap();
        (files, der)
    }

    fn connector(&self, alpn: &[&[u8]]) -> TlsConnector {
        self.connector_for(alpn, rustls::ALL_VERSIONS)
    }

    /// A client that offers only `versions` of TLS.
    fn connector_for(&self, alpn: &[&[u8]], versions: &[&'static rustls::SupportedProtocolVersion]) -> TlsConnector {
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from(self.ca.der().to_vec())).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsConnector::from(Arc::new(config))
    }
}

/// Connects over TLS; the negotiated ALPN protocol and the server's leaf certificate.
async fn handshake(
    connector: &TlsConnector,
    addr: SocketAddr,
) -> (tokio_rustls::client::TlsStream<TcpStream>, Option<Vec<u8>>, Vec<u8>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let stream = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (_, session) = stream.get_ref();
    let alpn = session.alpn_protocol().map(<[u8]>::to_vec);
    let leaf = session.peer_certificates().unwrap()[0].to_vec();
    (stream, alpn, leaf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scim_listener_speaks_tls_with_alpn_and_picks_up_a_renewed_certificate() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    let (cert, key, first) = pki.leaf();
    std::fs::write(&files.cert, cert).unwrap();
    std::fs::write(&files.key, key).unwrap();
    let db = TestDb::sqlite();
    let node = start_single_node(NodeConfig {
        database_url: db.url().to_owned(),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        grpc_listen: None,
        grpc_tls: None,
        public_url: None,
        core: CoreSettings::default(),
        store: StoreOptions::default(),
        gateway: GatewayOptions {
            tls: Some(files.clone()),
            ops_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            ..GatewayOptions::default()
        },
    })
    .await
    .unwrap();
    assert!(node.public_url.starts_with("https://"), "{}", node.public_url);
    let addr = node.http_addr;

    let (_, alpn, leaf) = handshake(&pki.connector(&[b"h2", b"http/1.1"]), addr).await;
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]), "h2 first");
    assert_eq!(leaf, first);
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let (stream, _, _) = handshake(&pki.connector_for(&[b"h2"], &[version]), addr).await;
        assert_eq!(stream.get_ref().1.protocol_version(), Some(version.version));
    }
    let (mut stream, alpn, _) = handshake(&pki.connector(&[b"http/1.1"]), addr).await;
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut plain = TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), plain.read_to_end(&mut answer)).await;
    assert!(!answer.starts_with(b"HTTP/"), "{}", String::from_utf8_lossy(&answer));

    // A renewed certificate: new connections get it within the reload interval.
    let (cert, key, renewed) = pki.leaf();
    std::fs::write(&files.key, key).unwrap();
    std::fs::write(&files.cert, cert).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, _, leaf) = handshake(&pki.connector(&[b"http/1.1"]), addr).await;
        if leaf == renewed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was not picked up in 15 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    node.shutdown().await.unwrap();
}
