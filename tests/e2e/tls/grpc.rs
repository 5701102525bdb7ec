//! TLS between a gateway and a core in other processes: the core's gRPC listener speaks
//! TLS only, asks for a client certificate signed by `--grpc-client-ca` (mutual TLS),
//! and picks up a renewed certificate; a gateway that verifies the core with `--core-ca`
//! and shows an accepted certificate gets through, every other one gets 503.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use idsync::node::{
    CoreClientTls, CoreConfig, GatewayConfig, GatewayOptions, GrpcServerTls, RunningGateway, TlsFiles, connect_core,
    open_store, start_core, start_gateway, tenant_url,
};
use idsync_core::CoreSettings;
use idsync_core::admin::bootstrap_if_empty;
use idsync_storage::StoreOptions;
use idsync_storage::test_util::TestDb;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::Pki;

const LOCAL: &str = "127.0.0.1:0";

async fn gateway(core_url: &str, core_tls: CoreClientTls) -> RunningGateway {
    start_gateway(GatewayConfig {
        core_url: core_url.to_owned(),
        core_tls,
        listen: LOCAL.parse().unwrap(),
        public_url: None,
        gateway: GatewayOptions::default(),
    })
    .await
    .unwrap()
}

/// The status and body of `GET /Users` through `gateway`.
async fn list_users(
    gateway: &RunningGateway,
    tenant: &idsync_storage::records::TenantRecord,
    token: &str,
) -> (u16, String) {
    let url = format!("{}/Users", tenant_url(tenant, &gateway.public_url));
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// A handshake with the core as a gRPC client presenting `client`; the leaf the core
/// showed and the protocol it chose.
async fn core_handshake(pki: &Pki, client: &TlsFiles, addr: SocketAddr) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca_pem().as_bytes()).unwrap())
        .unwrap();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&client.cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(&client.key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let tcp = TcpStream::connect(addr).await.unwrap();
    let stream = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (_, session) = stream.get_ref();
    (
        session.peer_certificates().unwrap()[0].to_vec(),
        session.alpn_protocol().map(<[u8]>::to_vec),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_and_core_speak_mutual_tls_and_the_core_picks_up_a_renewed_certificate_and_client_ca() {
    let (server_ca, client_ca, rogue_ca) = (Pki::new(), Pki::new(), Pki::new());
    let dir = tempfile::tempdir().unwrap();
    let (core_files, first_leaf) = server_ca.write_leaf(dir.path(), "core");
    let (gateway_files, _) = client_ca.write_leaf(dir.path(), "gateway");
    let (rogue_files, _) = rogue_ca.write_leaf(dir.path(), "rogue");
    let write_ca = |name: &str, pki: &Pki| {
        let path = dir.path().join(name);
        std::fs::write(&path, pki.ca_pem()).unwrap();
        path
    };
    let (server_ca_file, client_ca_file, rogue_ca_file) = (
        write_ca("server-ca.pem", &server_ca),
        write_ca("client-ca.pem", &client_ca),
        write_ca("rogue-ca.pem", &rogue_ca),
    );

    let db = TestDb::sqlite();
    let store = open_store(db.url(), StoreOptions::default()).await.unwrap();
    let boot = bootstrap_if_empty(&store).unwrap().unwrap();
    let core = start_core(CoreConfig {
        database_url: db.url().to_owned(),
        grpc_listen: LOCAL.parse().unwrap(),
        grpc_tls: Some(GrpcServerTls {
            files: core_files.clone(),
            client_ca: Some(client_ca_file.clone()),
        }),
        ops_listen: None,
        core: CoreSettings::default(),
        store: StoreOptions::default(),
    })
    .await
    .unwrap();
    let https = format!("https://localhost:{}", core.grpc_addr.port());

    // Verified both ways: the SCIM request reaches the core.
    let trusted = gateway(
        &https,
        CoreClientTls {
            ca: Some(server_ca_file.clone()),
            identity: Some(gateway_files.clone()),
        },
    )
    .await;
    let (status, body) = list_users(&trusted, &boot.tenant, &boot.secret).await;
    assert_eq!(status, 200, "{body}");

    // Every other way in is refused by the handshake; the gateway answers 503.
    let refused = [
        (
            "no client certificate",
            https.clone(),
            CoreClientTls {
                ca: Some(server_ca_file.clone()),
                identity: None,
            },
        ),
        (
            "a client certificate from another CA",
            https.clone(),
            CoreClientTls {
                ca: Some(server_ca_file.clone()),
                identity: Some(rogue_files.clone()),
            },
        ),
        (
            "a core certificate the gateway does not trust",
            https.clone(),
            CoreClientTls {
                ca: Some(rogue_ca_file.clone()),
                identity: Some(gateway_files.clone()),
            },
        ),
        (
            "plain HTTP/2 to the TLS port",
            format!("http://127.0.0.1:{}", core.grpc_addr.port()),
            CoreClientTls::default(),
        ),
    ];
    for (what, url, tls) in refused {
        let refused = gateway(&url, tls).await;
        let (status, body) = list_users(&refused, &boot.tenant, &boot.secret).await;
        assert_eq!(status, 503, "{what}: {body}");
        refused.run_until(async {}).await.unwrap();
    }

    // The CA and client files only make sense over https, and a bad file fails at once.
    let plain = CoreClientTls {
        ca: Some(server_ca_file.clone()),
        identity: None,
    };
    let error = connect_core("http://127.0.0.1:1", &plain).unwrap_err();
    assert!(format!("{error:#}").contains("https://"), "{error:#}");
    let missing = CoreClientTls {
        ca: Some(dir.path().join("missing.pem")),
        identity: None,
    };
    let error = connect_core(&https, &missing).unwrap_err();
    assert!(format!("{error:#}").contains("missing.pem"), "{error:#}");

    // ALPN h2, and a renewed certificate for new connections, while the trusted
    // gateway's open connection keeps working.
    let (leaf, alpn) = core_handshake(&server_ca, &gateway_files, core.grpc_addr).await;
    assert_eq!(leaf, first_leaf);
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    let (renewed_files, renewed_leaf) = server_ca.write_leaf(dir.path(), "renewed");
    std::fs::rename(&renewed_files.key, &core_files.key).unwrap();
    std::fs::rename(&renewed_files.cert, &core_files.cert).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while core_handshake(&server_ca, &gateway_files, core.grpc_addr).await.0 != renewed_leaf {
        assert!(
            Instant::now() < deadline,
            "the renewed gRPC certificate was not picked up in 15 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, body) = list_users(&trusted, &boot.tenant, &boot.secret).await;
    assert_eq!(status, 200, "{body}");

    // A rotated client CA applies to new connections: the file now names the other CA,
    // whose gateway gets in, and a gateway of the old CA no longer does.
    let rotated = dir.path().join("client-ca.pem.new");
    std::fs::write(&rotated, rogue_ca.ca_pem()).unwrap();
    std::fs::rename(&rotated, &client_ca_file).unwrap();
    let with_identity = |identity: &TlsFiles| CoreClientTls {
        ca: Some(server_ca_file.clone()),
        identity: Some(identity.clone()),
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let newcomer = gateway(&https, with_identity(&rogue_files)).await;
        let (status, _) = list_users(&newcomer, &boot.tenant, &boot.secret).await;
        newcomer.run_until(async {}).await.unwrap();
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rotated client CA was not picked up in 15 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let old_ca = gateway(&https, with_identity(&gateway_files)).await;
    let (status, body) = list_users(&old_ca, &boot.tenant, &boot.secret).await;
    assert_eq!(status, 503, "a certificate of the CA taken out: {body}");
    old_ca.run_until(async {}).await.unwrap();
    trusted.run_until(async {}).await.unwrap();
    core.run_until(async {}).await.unwrap();
}
