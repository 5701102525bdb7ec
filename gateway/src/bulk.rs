//! `POST /Bulk` (RFC 7644 §3.7): many operations in one request, with `bulkId`
//! references between them.
//!
//! Each operation is replayed through this same router as an ordinary request with the
//! caller's own headers, so a bulk `POST /Users` is validated, authorized and answered
//! exactly like a single one — there is no second implementation of any endpoint here.
//! The token is checked before the body is read (401/403 at once). Operations run in
//! request order, except that one referring to a `bulkId` created by a later operation
//! waits until that one has run (RFC 7644 §3.7.2), in one topological pass; references
//! that can never resolve (unknown, circular, or to a failed operation) fail with 409.
//! Each operation counts against the tenant's request rate like a request of its own.
//! `failOnErrors` stops processing after that many failures. Limits: at most
//! `bulk_max_operations` operations and `max_body_bytes` of payload (413 otherwise).

use std::collections::{BTreeSet, HashMap, HashSet};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::BodyExt;
use serde::Serialize;
use serde_json::Value;
use tower::ServiceExt;

use crate::errors::ApiError;
use crate::extract::{check_body_content_type, parse_json};
use crate::forward::Forwarded;
use crate::response::Scim;
use crate::{AppState, SCIM_BASE_PATH};

use idsync_proto::scim::{BULK_REQUEST_URN as BULK_REQUEST, BULK_RESPONSE_URN as BULK_RESPONSE};
use idsync_proto::v1::{TokenScope, WhoAmIRequest};
const BULK_ID_PREFIX: &str = "bulkId:";

/// The `/Bulk` route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(&format!("{SCIM_BASE_PATH}/Bulk"), post(bulk))
}

/// One operation of a BulkRequest.
#[derive(Debug, Clone)]
struct Operation {
    method: Method,
    path: String,
    bulk_id: Option<String>,
    version: Option<String>,
    data: Option<Value>,
}

/// One operation's outcome in the BulkResponse.
#[derive(Debug, Serialize)]
struct OperationResult {
    method: String,
    #[serde(rename = "bulkId", skip_serializing_if = "Option::is_none")]
    bulk_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<Value>,
}

#[derive(Debug, Serialize)]
struct BulkResponse {
    schemas: [&'static str; 1],
    #[serde(rename = "Operations")]
    operations: Vec<OperationResult>,
}

async fn bulk(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    authorize_writer(&state, &parts.headers).await?;
    check_body_content_type(&parts.headers)?;
    let bytes = read_limited(body, state.settings().max_body_bytes).await?;
    let (operations, fail_on_errors) = parse_bulk(&parse_json(&bytes)?, state.settings().bulk_max_operations)?;
    let router = crate::app(state.clone());
    let results = run(
        &router,
        state.scim_base_url(),
        &parts.headers,
        operations,
        fail_on_errors,
    )
    .await;
    Ok(Scim(BulkResponse {
        schemas: [BULK_RESPONSE],
        operations: results,
    })
    .into_response())
}

/// Asks the core who the token is before the body is read: a bad token costs one call,
/// not a parse and a replay of every operation. Bulk only writes, so it needs `scim`.
async fn authorize_writer(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let who = state
        .discovery()
        .who_am_i(Forwarded::from_headers(headers).request(WhoAmIRequest {}))
        .await?
        .into_inner();
    if who.scope != TokenScope::Scim as i32 {
        return Err(ApiError::forbidden(
            "/Bulk writes resources: it needs a token with the scim scope",
        ));
    }
    Ok(())
}

async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if exceeds_limit(e.as_ref()) => Err(ApiError::payload_too_large(format!(
            "a bulk request may carry at most {limit} bytes"
        ))),
        Err(e) => Err(ApiError::invalid_syntax(format!(
            "could not read the request body: {e}"
        ))),
    }
}

/// Whether a body error is a length limit — ours, or the router's `DefaultBodyLimit`
/// wrapped inside axum's error.
fn exceeds_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// Validates the envelope and every operation before anything runs.
fn parse_bulk(body: &Value, max_operations: usize) -> Result<(Vec<Operation>, Option<usize>), ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::invalid_syntax("a BulkRequest must be a JSON object"))?;
    let field = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    if let Some(schemas) = field("schemas") {
        let named = schemas
            .as_array()
            .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(BULK_REQUEST)));
        if !named {
            return Err(ApiError::invalid_value(format!("schemas must contain {BULK_REQUEST}")));
        }
    }
    let fail_on_errors = match field("failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => return Err(ApiError::invalid_value("failOnErrors must be a positive integer")),
        },
    };
    let list = field("Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::invalid_value("a BulkRequest needs an Operations list"))?;
    if list.len() > max_operations {
        return Err(ApiError::payload_too_large(format!(
            "a bulk request may carry at most {max_operations} operations; this one has {}",
            list.len()
        )));
    }
    let mut seen = HashMap::new();
    let operations = list
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let op = parse_operation(i, op)?;
            if let Some(id) = &op.bulk_id
                && seen.insert(id.clone(), i).is_some()
            {
                return Err(ApiError::invalid_value(format!(
                    "bulkId {id:?} is used by more than one operation"
                )));
            }
            Ok(op)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((operations, fail_on_errors))
}

fn parse_operation(index: usize, value: &Value) -> Result<Operation, ApiError> {
    let at = |what: &str| ApiError::invalid_value(format!("Operations[{index}]: {what}"));
    let object = value.as_object().ok_or_else(|| at("must be an object"))?;
    let field = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let text = |name: &str| field(name).and_then(Value::as_str).map(str::to_string);
    let method = match text("method").map(|m| m.to_ascii_uppercase()).as_deref() {
        Some("POST") => Method::POST,
        Some("PUT") => Method::PUT,
        Some("PATCH") => Method::PATCH,
        Some("DELETE") => Method::DELETE,
        _ => return Err(at("method must be POST, PUT, PATCH or DELETE")),
    };
    let path = text("path").ok_or_else(|| at("path is required"))?;
    let top = path.trim_start_matches('/').split('/').next().unwrap_or_default();
    if !path.starts_with('/') || !(top.eq_ignore_ascii_case("Users") || top.eq_ignore_ascii_case("Groups")) {
        return Err(at("path must name /Users or /Groups"));
    }
    let bulk_id = text("bulkId");
    if method == Method::POST && bulk_id.is_none() {
        return Err(at("bulkId is required with POST"));
    }
    let data = field("data").filter(|d| !d.is_null()).cloned();
    if method != Method::DELETE && data.is_none() {
        return Err(at("data is required"));
    }
    Ok(Operation {
        method,
        path,
        bulk_id,
        version: text("version"),
        data,
    })
}

/// Runs the operations in one topological pass over their `bulkId` references: an
/// operation waits for every other operation that defines a `bulkId` it refers to, and
/// of those ready to run the first in request order goes next (Kahn's algorithm with the
/// ready set ordered by index), so each operation is looked at once.
async fn run(
    router: &Router,
    base_url: &str,
    headers: &HeaderMap,
    operations: Vec<Operation>,
    fail_on_errors: Option<usize>,
) -> Vec<OperationResult> {
    let defined: HashMap<&str, usize> = operations
        .iter()
        .enumerate()
        .filter_map(|(i, op)| op.bulk_id.as_deref().map(|b| (b, i)))
        .collect();
    let references: Vec<Vec<String>> = operations.iter().map(references).collect();
    let mut waiting_on = vec![0_usize; operations.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); operations.len()];
    for (i, refs) in references.iter().enumerate() {
        let mut definers: Vec<usize> = refs
            .iter()
            .filter_map(|r| defined.get(r.as_str()).copied())
            .filter(|&j| j != i)
            .collect();
        definers.sort_unstable();
        definers.dedup();
        waiting_on[i] = definers.len();
        for j in definers {
            dependents[j].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..operations.len()).filter(|&i| waiting_on[i] == 0).collect();
    let mut created: HashMap<String, String> = HashMap::new();
    let mut failed: HashSet<String> = HashSet::new();
    let mut results: Vec<Option<OperationResult>> = operations.iter().map(|_| None).collect();
    let mut errors = 0;
    while let Some(i) = ready.pop_first() {
        if fail_on_errors.is_some_and(|limit| errors >= limit) {
            break;
        }
        let op = &operations[i];
        // A reference no operation defines (or the operation's own) cannot resolve.
        let result = match references[i].iter().find(|r| !created.contains_key(*r)) {
            Some(missing) => unresolved(op, missing, failed.contains(missing.as_str())),
            None => execute(router, base_url, headers, op, &created).await,
        };
        let ok = result.status.starts_with('2');
        match (&op.bulk_id, ok, op.method == Method::POST) {
            (Some(b), true, true) => {
                if let Some(id) = result.location.as_deref().and_then(|l| l.rsplit('/').next()) {
                    created.insert(b.clone(), id.to_string());
                }
            }
            (Some(b), false, _) => {
                failed.insert(b.clone());
            }
            _ => {}
        }
        if !ok {
            errors += 1;
        }
        results[i] = Some(result);
        for &d in &dependents[i] {
            waiting_on[d] -= 1;
            if waiting_on[d] == 0 {
                ready.insert(d);
            }
        }
    }
    // Whatever never became ready waits on a cycle, unless failOnErrors stopped the run.
    let stopped = fail_on_errors.is_some_and(|limit| errors >= limit);
    results
        .into_iter()
        .zip(&operations)
        .filter_map(|(result, op)| match result {
            Some(r) => Some(r),
            None if stopped => None,
            None => Some(unresolved(op, "a circular reference", false)),
        })
        .collect()
}

/// The `bulkId:` references in an operation's path and data.
fn references(op: &Operation) -> Vec<String> {
    let mut refs = Vec::new();
    if let Some(r) = op.path.split('/').find_map(|s| s.strip_prefix(BULK_ID_PREFIX)) {
        refs.push(r.to_string());
    }
    if let Some(data) = &op.data {
        collect_refs(data, &mut refs);
    }
    refs
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(r) = s.strip_prefix(BULK_ID_PREFIX) {
                refs.push(r.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        Value::Object(map) => map.values().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

fn substitute(value: &mut Value, created: &HashMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID_PREFIX).and_then(|r| created.get(r)) {
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, created)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute(v, created)),
        _ => {}
    }
}

fn unresolved(op: &Operation, reference: &str, failed: bool) -> OperationResult {
    let detail = if failed {
        format!("bulkId {reference:?} names an operation that failed")
    } else {
        format!(
            "cannot resolve bulkId {reference:?}: {}",
            "it is unknown or part of a circular reference"
        )
    };
    let error = ApiError::conflict_invalid_value(detail);
    OperationResult {
        method: op.method.to_string(),
        bulk_id: op.bulk_id.clone(),
        version: None,
        location: None,
        status: "409".into(),
        response: Some(error.to_json()),
    }
}

/// Replays one operation through the router with the caller's credentials.
async fn execute(
    router: &Router,
    base_url: &str,
    headers: &HeaderMap,
    op: &Operation,
    created: &HashMap<String, String>,
) -> OperationResult {
    let path: String = op
        .path
        .split('/')
        .map(|s| match s.strip_prefix(BULK_ID_PREFIX).and_then(|r| created.get(r)) {
            Some(id) => id.clone(),
            None => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut builder = Request::builder()
        .method(op.method.clone())
        .uri(format!("{SCIM_BASE_PATH}{path}"));
    for name in [header::AUTHORIZATION, header::HeaderName::from_static("x-request-id")] {
        if let Some(v) = headers.get(&name) {
            builder = builder.header(name, v.clone());
        }
    }
    if let Some(version) = &op.version
        && let Ok(v) = HeaderValue::from_str(version)
    {
        builder = builder.header(header::IF_MATCH, v);
    }
    let body = match &op.data {
        Some(data) => {
            let mut data = data.clone();
            substitute(&mut data, created);
            builder = builder.header(header::CONTENT_TYPE, crate::SCIM_CONTENT_TYPE);
            Body::from(serde_json::to_vec(&data).unwrap_or_default())
        }
        None => Body::empty(),
    };
    let base = OperationResult {
        method: op.method.to_string(),
        bulk_id: op.bulk_id.clone(),
        version: None,
        location: None,
        status: "500".into(),
        response: None,
    };
    let Ok(request) = builder.body(body) else {
        return OperationResult {
            response: Some(ApiError::invalid_value("unusable path").to_json()),
            status: "400".into(),
            ..base
        };
    };
    let response = match router.clone().oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = response.status();
    let (version, location) = {
        let text = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        (text(header::ETAG), text(header::LOCATION))
    };
    let body = response
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    // POST answers with Location; other operations are located by their own path.
    let location =
        location.or_else(|| (status.is_success() && op.method != Method::DELETE).then(|| format!("{base_url}{path}")));
    OperationResult {
        status: status.as_u16().to_string(),
        version,
        location,
        response: (!status.is_success()).then(|| serde_json::from_slice(&body).unwrap_or(Value::Null)),
        ..base
    }
}
