//! The ceiling: a SCIM server that does nothing, on the gateway's HTTP stack (axum on
//! hyper, `TCP_NODELAY`, Tokio's default multi-threaded runtime). It checks the bearer
//! token, parses every JSON body, and answers the status Entra expects with a fixed body
//! of the size idsync's answer has. What idsync adds above it is idsync's own cost.
//!
//! Run by the harness as `idsync-bench ceiling`, a process of its own whose CPU is read
//! from `/proc` exactly as idsync's is. Like `idsync serve` on first start it prints
//! `Tenant URL:` and `Secret Token:` on stdout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

const SCIM_JSON: &str = "application/scim+json";
const ERROR: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"missing or invalid bearer token"}"#;
const INVALID_JSON: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidSyntax","detail":"the body is not JSON"}"#;
const EMPTY_LIST: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}"#;

struct Ceiling {
    authorization: String,
    base: String,
    next_id: AtomicU64,
}

type Shared = Arc<Ceiling>;

/// Serves on `listen` until SIGTERM or Ctrl-C, then exits cleanly.
pub async fn serve(listen: SocketAddr) -> Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let token = format!("ceiling_{:016x}", std::process::id() as u64 ^ 0x5ca1_ab1e_0000);
    let base = format!("http://{addr}/scim/v2");
    let state = Arc::new(Ceiling {
        authorization: format!("Bearer {token}"),
        base: base.clone(),
        next_id: AtomicU64::new(1),
    });
    let app = Router::new()
        .route("/scim/v2/Users", get(list_users).post(create_user))
        .route("/scim/v2/Users/{id}", get(get_user).patch(patch_user).delete(delete))
        .route("/scim/v2/Groups", get(list_groups).post(create_group))
        .route("/scim/v2/Groups/{id}", get(get_group).patch(patch_group).delete(delete))
        .with_state(state);
    println!("Tenant URL:   {base}\nSecret Token: {token}");
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).with_graceful_shutdown(stopped()).await?;
    Ok(())
}

async fn stopped() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! { _ = term.recv() => {}, _ = tokio::signal::ctrl_c() => {} }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The user idsync would answer for a kpifire create, with `id`.
fn user(base: &str, id: &str) -> String {
    format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"{id}","externalId":"00000001234-bench-4000-8000-entra","userName":"bench.user0001234@contoso.example","name":{{"givenName":"Given1234","familyName":"Family1234"}},"displayName":"Bench User 1234","active":true,"emails":[{{"value":"bench.user0001234@contoso.example","type":"work","primary":true}}],"phoneNumbers":[{{"value":"+1 555 1234","type":"work"}}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{{"department":"R&D"}},"meta":{{"resourceType":"User","created":"2026-01-01T00:00:00.000000Z","lastModified":"2026-01-01T00:00:00.000000Z","location":"{base}/Users/{id}","version":"W/\"1\""}}}}"#
    )
}

/// An empty group, as created.
fn group(base: &str, id: &str) -> String {
    format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"{id}","displayName":"Bench Group 00001","members":[],"meta":{{"resourceType":"Group","created":"2026-01-01T00:00:00.000000Z","lastModified":"2026-01-01T00:00:00.000000Z","location":"{base}/Groups/{id}","version":"W/\"1\""}}}}"#
    )
}

/// A fresh id per create, shaped like a UUID.
fn new_id(state: &Ceiling) -> String {
    format!(
        "00000000-0000-4000-8000-{:012x}",
        state.next_id.fetch_add(1, Ordering::Relaxed)
    )
}

/// The refusal a request earns, if any: 401 without the token, 400 when `body` (when
/// there is one) is not JSON. The body is parsed in full, then dropped.
fn refusal(state: &Ceiling, headers: &HeaderMap, body: Option<&Bytes>) -> Option<Response> {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|value| value.as_bytes() == state.authorization.as_bytes());
    if !authorized {
        return Some(answer(StatusCode::UNAUTHORIZED, ERROR.to_owned(), None));
    }
    match body.map(|b| serde_json::from_slice::<serde_json::Value>(b)) {
        Some(Err(_)) => Some(answer(StatusCode::BAD_REQUEST, INVALID_JSON.to_owned(), None)),
        _ => None,
    }
}

fn answer(status: StatusCode, body: String, location: Option<String>) -> Response {
    let mut response = (status, [(header::CONTENT_TYPE, SCIM_JSON)], body).into_response();
    if status.is_success() {
        response
            .headers_mut()
            .insert(header::ETAG, HeaderValue::from_static("W/\"1\""));
    }
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

async fn list_users(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(refused) = refusal(&state, &headers, None) {
        return refused;
    }
    let body = format!(
        r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{}]}}"#,
        user(&state.base, "00000000-0000-4000-8000-000000000001")
    );
    answer(StatusCode::OK, body, None)
}

async fn create_user(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refusal(&state, &headers, Some(&body)) {
        return refused;
    }
    let id = new_id(&state);
    let location = format!("{}/Users/{id}", state.base);
    answer(StatusCode::CREATED, user(&state.base, &id), Some(location))
}

async fn get_user(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(refused) = refusal(&state, &headers, None) {
        return refused;
    }
    answer(StatusCode::OK, user(&state.base, &id), None)
}

async fn patch_user(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Response {
    if let Some(refused) = refusal(&state, &headers, Some(&body)) {
        return refused;
    }
    answer(StatusCode::OK, user(&state.base, &id), None)
}

async fn delete(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(refused) = refusal(&state, &headers, None) {
        return refused;
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Group matches find nothing: in Entra's first cycle, the only one that sends them here.
async fn list_groups(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(refused) = refusal(&state, &headers, None) {
        return refused;
    }
    answer(StatusCode::OK, EMPTY_LIST.to_owned(), None)
}

async fn create_group(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refusal(&state, &headers, Some(&body)) {
        return refused;
    }
    let id = new_id(&state);
    let location = format!("{}/Groups/{id}", state.base);
    answer(StatusCode::CREATED, group(&state.base, &id), Some(location))
}

async fn get_group(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(refused) = refusal(&state, &headers, None) {
        return refused;
    }
    answer(StatusCode::OK, group(&state.base, &id), None)
}

/// Group PATCH answers 204, as idsync's does.
async fn patch_group(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refusal(&state, &headers, Some(&body)) {
        return refused;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::ETAG, HeaderValue::from_static("W/\"2\""));
    response
}
