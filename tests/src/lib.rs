//! Helpers for idsync's end-to-end tests: start the real system on ephemeral ports, on
//! SQLite or PostgreSQL, and talk to it over HTTP and gRPC with typed helpers.
//!
//! PostgreSQL tests connect to `IDSYNC_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), create a fresh database per test and
//! drop it afterwards; an unreachable server fails the test, it never skips.
//!
//! It must not reach into private modules: tests speak to the system only through its
//! public faces (HTTP, gRPC, the node launcher, storage's public API for fixtures).
//!
//! Layout:
//! - this file: [`TestApp`] (a node on a fresh database), `on_both_backends!` and the
//!   typed HTTP helpers;
//! - `feed`: [`Watcher`], a change-feed stream with helpers;
//! - [`telemetry`]: the binary's one telemetry pipeline (in-process OTLP collector,
//!   captured logs);
//! - [`prometheus`]: reads and parses `/metrics`;
//! - [`console`]: the admin console over HTTP, signed in;
//! - [`browser`]: headless chromium over WebDriver, for the console's browser tests.

pub mod browser;
pub mod console;
pub mod prometheus;
pub mod telemetry;

use std::net::SocketAddr;

pub use idsync::node::ShieldSettings;
use idsync::node::{GatewayOptions, NodeConfig, RunningNode, start_single_node};
use idsync_core::CoreSettings;
use idsync_core::admin;
use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::directory_client::DirectoryClient;
use idsync_proto::v1::users_client::UsersClient;
use idsync_proto::v1::{
    CreatePolicy, CreateUserRequest, GetRulesRequest, MatchPolicy, MatchingRule, RuleResource, Rules, ScopingRule,
    SetRulesRequest, UpdatePolicy, User,
};
pub use idsync_storage::StoreOptions;
use idsync_storage::records::UserRecord;
use idsync_storage::records::{Scope, TenantRecord};
use idsync_storage::test_util::TestDb;

mod feed;
pub use feed::{Watcher, grpc_url_of, summary};
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
        Self::spawn_with(backend, CoreSettings::default()).await
    }

    /// Like [`TestApp::spawn`], with the core's tunables (page sizes, bulk limits) given.
    pub async fn spawn_with(backend: Backend, core: CoreSettings) -> TestApp {
        Self::spawn_shielded(backend, core, ShieldSettings::default()).await
    }

    /// Like [`TestApp::spawn_with`], with the gateway's load and failure limits given.
    pub async fn spawn_shielded(backend: Backend, core: CoreSettings, shield: ShieldSettings) -> TestApp {
        Self::spawn_configured(backend, core, shield, StoreOptions::default()).await
    }

    /// Like [`TestApp::spawn_shielded`], with the store's options given too.
    pub async fn spawn_configured(
        backend: Backend,
        core: CoreSettings,
        shield: ShieldSettings,
        store: StoreOptions,
    ) -> TestApp {
        let db = match backend {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => TestDb::postgres(),
        };
        let node = start_node(db.url(), core, shield, store).await;
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

    /// Stops this node (gracefully, ending open change streams) and starts a new one on
    /// the same database, as a restart or a deploy does. Tenants and tokens carry over.
    pub async fn restart(self, core: CoreSettings) -> TestApp {
        let TestApp {
            node,
            tenant_url: _,
            token,
            tenant,
            http,
            _db,
        } = self;
        node.shutdown().await.expect("the node stops");
        let node = start_node(_db.url(), core, ShieldSettings::default(), StoreOptions::default()).await;
        let tenant_url = node.tenant_url(&tenant);
        TestApp {
            node,
            tenant_url,
            token,
            tenant,
            http,
            _db,
        }
    }

    /// Another node (gateway + core replica) on the same database, as in scale-out.
    pub async fn replica(&self, core: CoreSettings) -> RunningNode {
        start_node(self._db.url(), core, ShieldSettings::default(), StoreOptions::default()).await
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

    /// A request to `<tenant URL><path>` with the default tenant's token, for headers
    /// the typed helpers do not set.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.tenant_url))
            .bearer_auth(&self.token)
    }

    /// `GET <path>` as the default tenant, asserting 200; the JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("json")
    }

    /// `GET /Users/{id}` with `If-None-Match: <tags>`.
    pub async fn get_user_if_none_match(&self, id: &str, tags: &str) -> Response {
        self.get_if_none_match(&format!("/Users/{id}"), tags).await
    }

    /// `GET <path>` with `If-None-Match: <tags>`.
    pub async fn get_if_none_match(&self, path: &str, tags: &str) -> Response {
        self.request(Method::GET, path)
            .header("if-none-match", tags)
            .send()
            .await
            .expect("request sent")
    }

    /// `PUT /Users/{id}` with `If-Match: <tag>`.
    pub async fn put_user_if_match(&self, id: &str, tag: &str, body: &Value) -> Response {
        self.request(Method::PUT, &format!("/Users/{id}"))
            .header("if-match", tag)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// `DELETE /Users/{id}` with `If-Match: <tag>`.
    pub async fn delete_user_if_match(&self, id: &str, tag: &str) -> Response {
        self.request(Method::DELETE, &format!("/Users/{id}"))
            .header("if-match", tag)
            .send()
            .await
            .expect("request sent")
    }

    /// `POST /Users/.search` with a `SearchRequest` body.
    pub async fn search_users(&self, body: &Value) -> Response {
        self.send(Method::POST, "/Users/.search", Some(&self.token), Some(body))
            .await
    }

    /// `POST /Groups/.search` with a `SearchRequest` body.
    pub async fn search_groups(&self, body: &Value) -> Response {
        self.send(Method::POST, "/Groups/.search", Some(&self.token), Some(body))
            .await
    }

    /// `POST /.search` (the root of the Tenant URL) with a `SearchRequest` body.
    pub async fn search_root(&self, body: &Value) -> Response {
        self.send(Method::POST, "/.search", Some(&self.token), Some(body)).await
    }

    /// The stored password hash of a user of the default tenant (never returned over SCIM).
    pub async fn password_hash(&self, id: &str) -> Option<String> {
        let store = self.node.store.clone();
        let (tenant, id) = (self.tenant.id.clone(), id.to_string());
        tokio::task::spawn_blocking(move || store.read(|tx| tx.get_user(&tenant, &id)))
            .await
            .expect("blocking task")
            .expect("storage answers")
            .expect("the user exists")
            .password_hash
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

    /// Creates a user named `user_name` and returns its id.
    pub async fn user_id(&self, user_name: &str) -> String {
        let user = self.created_user(&serde_json::json!({"userName": user_name})).await;
        user["id"].as_str().expect("an id").to_string()
    }

    /// `POST /Groups` as the default tenant.
    pub async fn create_group(&self, body: &Value) -> Response {
        self.send(Method::POST, "/Groups", Some(&self.token), Some(body)).await
    }

    /// Creates a group and returns its JSON, asserting 201.
    pub async fn created_group(&self, body: &Value) -> Value {
        let response = self.create_group(body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("json")
    }

    /// Creates an empty group named `display_name`, as Entra does, and returns its id.
    pub async fn group_id(&self, display_name: &str) -> String {
        let group = self
            .created_group(&serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": display_name,
            }))
            .await;
        group["id"].as_str().expect("an id").to_string()
    }

    /// `PATCH /Groups/{id}` as the default tenant with these operations.
    pub async fn patch_group(&self, id: &str, operations: Value) -> Response {
        self.send(
            Method::PATCH,
            &format!("/Groups/{id}"),
            Some(&self.token),
            Some(&patch_op(operations)),
        )
        .await
    }

    /// `PATCH /Groups/{id}`, asserting Entra's expected `204 No Content`.
    pub async fn patched_group(&self, id: &str, operations: Value) {
        let response = self.patch_group(id, operations).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{:?}", response.text().await);
    }

    /// `PUT /Groups/{id}` as the default tenant.
    pub async fn put_group(&self, id: &str, body: &Value) -> Response {
        self.send(Method::PUT, &format!("/Groups/{id}"), Some(&self.token), Some(body))
            .await
    }

    /// `DELETE /Groups/{id}` as the default tenant.
    pub async fn delete_group(&self, id: &str) -> Response {
        self.send(Method::DELETE, &format!("/Groups/{id}"), Some(&self.token), None)
            .await
    }

    /// `GET /Groups/{id}` (members included), asserting 200.
    pub async fn group(&self, id: &str) -> Value {
        let response = self.get(&format!("/Groups/{id}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }

    /// The ids of a group's members, sorted.
    pub async fn members_of(&self, group_id: &str) -> Vec<String> {
        let group = self.group(group_id).await;
        let mut ids: Vec<String> = group["members"]
            .as_array()
            .expect("a members array")
            .iter()
            .map(|m| m["value"].as_str().expect("a member id").to_string())
            .collect();
        ids.sort();
        ids
    }

    /// `GET /Groups?excludedAttributes=members&filter=…` as Entra sends it.
    pub async fn find_groups(&self, filter: &str) -> Value {
        let path = format!("/Groups?excludedAttributes=members&filter={}", form_encode(filter));
        let response = self.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "filter {filter}");
        response.json().await.expect("json")
    }
}

/// Tenant rules (scoping and matching) through the `Admin` gRPC service.
impl TestApp {
    /// `SetRules` with `token`.
    pub async fn try_set_rules(&self, token: &str, rules: Rules) -> Result<Rules, tonic::Status> {
        let mut admin = AdminClient::connect(self.grpc_url()).await.expect("gRPC connects");
        admin
            .set_rules(authed(token, SetRulesRequest { rules: Some(rules) }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// `SetRules` with a fresh `admin` token of the default tenant, asserting success.
    pub async fn set_rules(&self, rules: Rules) -> Rules {
        let token = self.new_token(Scope::Admin).await;
        self.try_set_rules(&token, rules).await.expect("rules are set")
    }

    /// `GetRules` with `token`.
    pub async fn try_get_rules(&self, token: &str) -> Result<Rules, tonic::Status> {
        let mut admin = AdminClient::connect(self.grpc_url()).await.expect("gRPC connects");
        admin
            .get_rules(authed(token, GetRulesRequest {}))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Sets only a User scoping rule.
    pub async fn scope_users(&self, filter: &str, create: CreatePolicy, update: UpdatePolicy) {
        self.set_rules(Rules {
            scoping: vec![scoping_rule(RuleResource::User, filter, create, update)],
            matching: None,
        })
        .await;
    }

    /// Sets only a matching rule.
    pub async fn match_users(&self, attributes: &[&str], policy: MatchPolicy) {
        self.set_rules(Rules {
            scoping: Vec::new(),
            matching: Some(MatchingRule {
                attributes: attributes.iter().map(|a| (*a).to_string()).collect(),
                policy: policy as i32,
            }),
        })
        .await;
    }

    /// The stored record of a user of the default tenant, with what SCIM does not show
    /// (scope marker, adopting connection); `None` when it does not exist.
    pub async fn stored_user(&self, id: &str) -> Option<UserRecord> {
        let store = self.node.store.clone();
        let (tenant, id) = (self.tenant.id.clone(), id.to_string());
        tokio::task::spawn_blocking(move || store.read(|tx| tx.get_user(&tenant, &id)))
            .await
            .expect("blocking task")
            .expect("storage answers")
    }

    /// A client of the core's `Directory` service (membership reads).
    pub async fn directory(&self) -> DirectoryClient<tonic::transport::Channel> {
        DirectoryClient::connect(self.grpc_url()).await.expect("gRPC connects")
    }

    /// Creates a group named `display_name` with these members over SCIM; returns its id.
    pub async fn group_with(&self, display_name: &str, members: &[&str]) -> String {
        let members: Vec<Value> = members.iter().map(|id| serde_json::json!({"value": id})).collect();
        let group = self
            .created_group(&serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": display_name,
                "members": members,
            }))
            .await;
        group["id"].as_str().expect("an id").to_string()
    }

    /// Creates a user over gRPC with `token`, as an internal service of the app does.
    pub async fn grpc_create_user(&self, token: &str, user: User) -> Result<User, tonic::Status> {
        let mut users = UsersClient::connect(self.grpc_url()).await.expect("gRPC connects");
        users
            .create_user(authed(token, CreateUserRequest { user: Some(user) }))
            .await
            .map(tonic::Response::into_inner)
    }
}

/// The enterprise extension's URN.
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The enterprise `department`, as a PATCH path and as a changed attribute's name.
pub const DEPARTMENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
/// A scoping filter: users of contoso.com outside the Contractors department.
pub const CONTOSO_STAFF: &str = "userName ew \"@contoso.com\" and \
                                 urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department ne \"Contractors\"";

/// A User body with `userName`, `active: true` and an enterprise `department`.
pub fn user_in_department(user_name: &str, department: &str) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_URN],
        "userName": user_name,
        "active": true,
        ENTERPRISE_URN: {"department": department},
    })
}

/// A PATCH body (Entra's capitalised op) replacing the enterprise `department`.
pub fn set_department(department: &str) -> Value {
    patch_op(serde_json::json!([{"op": "Replace", "path": DEPARTMENT, "value": department}]))
}

/// A scoping rule message.
pub fn scoping_rule(resource: RuleResource, filter: &str, create: CreatePolicy, update: UpdatePolicy) -> ScopingRule {
    ScopingRule {
        resource: resource as i32,
        filter: filter.to_string(),
        create_policy: create as i32,
        update_policy: update as i32,
    }
}

/// Starts a single node on `database_url` on ephemeral ports.
async fn start_node(
    database_url: &str,
    core: CoreSettings,
    shield: ShieldSettings,
    store: StoreOptions,
) -> RunningNode {
    start_single_node(NodeConfig {
        database_url: database_url.to_string(),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        grpc_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        grpc_tls: None,
        public_url: None,
        core,
        store,
        gateway: GatewayOptions {
            shield,
            ops_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            ..GatewayOptions::default()
        },
    })
    .await
    .expect("idsync starts")
}

/// A SCIM `PatchOp` body around `operations`.
pub fn patch_op(operations: Value) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations,
    })
}

/// `ids` sorted, as owned strings (to compare with [`TestApp::members_of`]).
pub fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_string()).collect();
    ids.sort();
    ids
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

/// A `SearchRequest` body (RFC 7644 §3.4.3) with the given parameters merged in.
pub fn search_request(parameters: Value) -> Value {
    let mut body = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]});
    if let (Some(body), Value::Object(parameters)) = (body.as_object_mut(), parameters) {
        body.extend(parameters);
    }
    body
}

/// Asserts that no value anywhere in `json` is `null` (SCIM answers leave absent values out).
pub fn assert_no_nulls(json: &Value) {
    match json {
        Value::Null => panic!("a SCIM answer contains null"),
        Value::Array(items) => items.iter().for_each(assert_no_nulls),
        Value::Object(map) => {
            for (key, value) in map {
                assert!(!value.is_null(), "{key} is null");
                assert_no_nulls(value);
            }
        }
        _ => {}
    }
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
