//! Helpers for idsync's end-to-end tests: start the real system on ephemeral ports, on
//! SQLite or PostgreSQL, and talk to it over HTTP and gRPC with typed helpers.
//!
//! PostgreSQL tests connect to `IDSYNC_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), create a fresh database per test and
//! drop it afterwards; an unreachable server fails the test, it never skips.
//!
//! [`telemetry`] installs the binary's one telemetry pipeline (an in-process OTLP
//! collector, captured logs); [`prometheus`] reads `/metrics`.

pub mod prometheus;
pub mod telemetry;

use std::net::SocketAddr;

use idsync_core::CoreSettings;
use idsync_core::admin;
use idsync_core::storage::records::{Scope, TenantRecord};
use idsync_gateway::node::{NodeConfig, RunningNode, start_single_node};
use idsync_storage::test_util::TestDb;
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// PostgreSQL from `IDSYNC_TEST_PG_URL`.
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for an `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )+
        }
    };
}

/// A running single node with its default tenant's token.
pub struct TestApp {
    /// The node (gateway + in-process core + core gRPC listener).
    pub node: RunningNode,
    /// The default tenant's Tenant URL (`…/scim/v2`).
    pub tenant_url: String,
    /// The default tenant's `scim` token.
    pub token: String,
    /// The default tenant.
    pub tenant: TenantRecord,
    /// An HTTP client.
    pub http: reqwest::Client,
    _db: TestDb,
}

impl TestApp {
    /// Starts idsync on a fresh database of `backend`, on ephemeral ports.
    pub async fn spawn(backend: Backend) -> TestApp {
        let db = match backend {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => TestDb::postgres(),
        };
        let node = start_single_node(NodeConfig {
            database_url: db.url().to_string(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            grpc_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            public_url: None,
            core: CoreSettings::default(),
            max_body_bytes: 1024 * 1024,
            bulk_max_operations: 1000,
        })
        .await
        .expect("idsync starts");
        let boot = node.bootstrap.as_ref().expect("a fresh database bootstraps a tenant");
        let tenant_url = node.tenant_url(&boot.tenant);
        let token = boot.secret.clone();
        let tenant = boot.tenant.clone();
        TestApp {
            node,
            tenant_url,
            token,
            tenant,
            http: reqwest::Client::new(),
            _db: db,
        }
    }

    /// The core's gRPC URL.
    pub fn grpc_url(&self) -> String {
        format!(
            "http://{}",
            self.node.grpc_addr.expect("the test node listens for gRPC")
        )
    }

    /// Creates another tenant with a token of `scope`; returns the tenant and the secret.
    pub async fn new_tenant(&self, name: &str, scope: Scope) -> (TenantRecord, String) {
        let store = self.node.store.clone();
        let name = name.to_string();
        tokio::task::spawn_blocking(move || {
            let tenant = admin::create_tenant(&store, &name, None, false).expect("tenant created");
            let (_, secret) = admin::create_token(&store, &tenant.id, scope, "test", None).expect("token created");
            (tenant, secret)
        })
        .await
        .expect("blocking task")
    }

    /// Mints another token of `scope` for the default tenant.
    pub async fn new_token(&self, scope: Scope) -> String {
        let store = self.node.store.clone();
        let tenant_id = self.tenant.id.clone();
        tokio::task::spawn_blocking(move || {
            admin::create_token(&store, &tenant_id, scope, "test", None)
                .expect("token created")
                .1
        })
        .await
        .expect("blocking task")
    }

    /// Sends a request to `<tenant URL><path>` with `token` and an optional JSON body.
    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Response {
        let mut request = self.http.request(method, format!("{}{path}", self.tenant_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json; charset=utf-8")
                .body(serde_json::to_vec(body).expect("json"));
        }
        request.send().await.expect("request sent")
    }

    /// `POST /Users` as the default tenant.
    pub async fn create_user(&self, body: &Value) -> Response {
        self.send(Method::POST, "/Users", Some(&self.token), Some(body)).await
    }

    /// `GET <path>` as the default tenant.
    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, Some(&self.token), None).await
    }

    /// `PATCH /Users/{id}` as the default tenant.
    pub async fn patch_user(&self, id: &str, body: &Value) -> Response {
        self.send(Method::PATCH, &format!("/Users/{id}"), Some(&self.token), Some(body))
            .await
    }

    /// `PUT /Users/{id}` as the default tenant.
    pub async fn put_user(&self, id: &str, body: &Value) -> Response {
        self.send(Method::PUT, &format!("/Users/{id}"), Some(&self.token), Some(body))
            .await
    }

    /// `DELETE /Users/{id}` as the default tenant.
    pub async fn delete_user(&self, id: &str) -> Response {
        self.send(Method::DELETE, &format!("/Users/{id}"), Some(&self.token), None)
            .await
    }

    /// `GET /Users?filter=…` (form-encoded as Entra does) as the default tenant.
    pub async fn find_users(&self, filter: &str) -> Value {
        let query: String = form_encode(filter);
        let response = self.get(&format!("/Users?filter={query}")).await;
        assert_eq!(response.status(), StatusCode::OK, "filter {filter}");
        response.json().await.expect("json")
    }

    /// Creates a user and returns its JSON, asserting 201.
    pub async fn created_user(&self, body: &Value) -> Value {
        let response = self.create_user(body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("json")
    }
}

/// Form-encodes a query value the way Entra does (`+` for spaces, `%22` for quotes).
pub fn form_encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Asserts a SCIM error response: status, content type, envelope and `scimType`.
pub async fn assert_scim_error(response: Response, status: StatusCode, scim_type: Option<&str>) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        content_type.starts_with("application/scim+json"),
        "content type {content_type}"
    );
    let body: Value = response.json().await.expect("json error body");
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
    assert_eq!(body["status"], status.as_u16().to_string(), "{body}");
    match scim_type {
        Some(t) => assert_eq!(body["scimType"], t, "{body}"),
        None => assert!(body.get("scimType").is_none(), "{body}"),
    }
    body
}

/// A gRPC request carrying `Authorization: Bearer <token>` metadata.
pub fn authed<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {token}").parse().expect("a token is valid metadata");
    request.metadata_mut().insert("authorization", value);
    request
}
