//! One SCIM request is one trace: gateway server span → gateway gRPC client span (when
//! the core is in another process) → core server span → storage spans; an internal gRPC
//! caller's trace is continued.

use idsync::node::{GatewayConfig, start_gateway, tenant_url};
use idsync_proto::v1::ListUsersRequest;
use idsync_proto::v1::users_client::UsersClient;
use idsync_telemetry::test_util::CollectedSpan;
use idsync_tests::telemetry::telemetry;
use idsync_tests::{Backend, TestApp, authed, on_both_backends};
use reqwest::StatusCode;
use serde_json::json;

use super::{new_span_id, new_trace_id};

const SERVER: i32 = 2;
const CLIENT: i32 = 3;

fn the<'a>(spans: &'a [CollectedSpan], what: &str, pick: impl Fn(&CollectedSpan) -> bool) -> &'a CollectedSpan {
    let found: Vec<_> = spans.iter().filter(|s| pick(s)).collect();
    assert_eq!(found.len(), 1, "exactly one {what} in {spans:#?}");
    found[0]
}

fn db_system(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    }
}

/// How the gateway that answers the PATCH reaches the core.
#[derive(Clone, Copy, PartialEq)]
enum Hop {
    /// `serve`: the core's services in the gateway's process.
    InProcess,
    /// `gateway --core URL`: gRPC over the network.
    Network,
}

/// Sends a traced PATCH through a gateway that reaches the core by `hop`, and checks
/// that it is one trace: HTTP server span → (gRPC client span, over the network only)
/// → core server span → storage spans.
async fn one_scim_patch_is_one_trace(backend: Backend, hop: Hop) {
    let telemetry = telemetry();
    let app = TestApp::spawn(backend).await;
    let user = app
        .created_user(&json!({"userName": "traced@contoso.com", "displayName": "Before"}))
        .await;
    let id = user["id"].as_str().unwrap();
    let gateway = match hop {
        Hop::InProcess => None,
        Hop::Network => Some(
            start_gateway(GatewayConfig {
                core_url: app.grpc_url(),
                core_tls: idsync::node::CoreClientTls::default(),
                listen: "127.0.0.1:0".parse().unwrap(),
                public_url: None,
                gateway: idsync::node::GatewayOptions::default(),
            })
            .await
            .unwrap(),
        ),
    };
    let tenant_url = match &gateway {
        Some(gateway) => tenant_url(&app.tenant, &gateway.public_url),
        None => app.tenant_url.clone(),
    };
    let (trace_id, caller_span) = (new_trace_id(), new_span_id());
    let response = app
        .http
        .patch(format!("{tenant_url}/Users/{id}"))
        .bearer_auth(&app.token)
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .header("content-type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "Replace", "path": "displayName", "value": "After"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let spans = telemetry
        .spans_of(&trace_id, |spans| {
            spans.iter().any(|s| s.name == "UPDATE users") && spans.iter().any(|s| s.name.starts_with("PATCH"))
        })
        .await;
    let http = the(&spans, "HTTP server span", |s| {
        s.kind == SERVER && s.name.starts_with("PATCH")
    });
    assert_eq!(http.name, "PATCH /scim/v2/Users/{id}");
    assert_eq!(http.parent_span_id, caller_span, "the caller's trace is continued");
    for (key, value) in [
        ("http.request.method", "PATCH"),
        ("http.route", "/scim/v2/Users/{id}"),
        ("http.response.status_code", "200"),
        ("url.scheme", "http"),
        ("server.address", "127.0.0.1"),
        ("tenant", app.tenant.id.as_str()),
    ] {
        assert_eq!(
            http.attributes.get(key).map(String::as_str),
            Some(value),
            "{key} in {http:#?}"
        );
    }

    let clients: Vec<_> = spans
        .iter()
        .filter(|s| s.kind == CLIENT && s.attributes.contains_key("rpc.system"))
        .collect();
    let core_parent = match hop {
        Hop::InProcess => {
            assert!(clients.is_empty(), "no gRPC client span in process: {clients:#?}");
            &http.span_id
        }
        Hop::Network => {
            let client = the(&spans, "gRPC client span", |s| {
                s.kind == CLIENT && s.attributes.contains_key("rpc.system")
            });
            assert_eq!(client.name, "idsync.v1.Users/PatchUser");
            assert_eq!(client.parent_span_id, http.span_id);
            for (key, value) in [
                ("rpc.system", "grpc"),
                ("rpc.service", "idsync.v1.Users"),
                ("rpc.method", "PatchUser"),
                ("rpc.grpc.status_code", "0"),
            ] {
                assert_eq!(
                    client.attributes.get(key).map(String::as_str),
                    Some(value),
                    "{key} in {client:#?}"
                );
            }
            &client.span_id
        }
    };

    let core = the(&spans, "core server span", |s| {
        s.kind == SERVER && s.name == "idsync.v1.Users/PatchUser"
    });
    assert_eq!(
        &core.parent_span_id, core_parent,
        "the core continues the gateway's span (the client span over the network)"
    );
    assert_eq!(core.attributes.get("rpc.system").map(String::as_str), Some("grpc"));
    assert_eq!(core.attributes.get("tenant"), Some(&app.tenant.id));

    let storage: Vec<_> = spans
        .iter()
        .filter(|s| s.attributes.contains_key("db.system"))
        .collect();
    let names: Vec<_> = storage.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"SELECT users") && names.contains(&"UPDATE users"),
        "{names:?}"
    );
    for span in storage {
        assert_eq!(
            span.parent_span_id, core.span_id,
            "{span:#?} nests under the core's span"
        );
        assert_eq!(span.kind, CLIENT);
        assert_eq!(span.attributes["db.system"], db_system(backend));
        let keys: Vec<_> = span.attributes.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["db.collection.name", "db.operation.name", "db.system"],
            "storage spans carry no statement and no values"
        );
        for value in span.attributes.values() {
            assert!(!value.contains(id) && !value.contains("traced@") && !value.contains("After"));
        }
    }
}

async fn one_scim_patch_is_one_trace_from_gateway_through_core_to_storage(backend: Backend) {
    one_scim_patch_is_one_trace(backend, Hop::InProcess).await;
}

async fn through_a_gateway_on_its_own_the_grpc_hop_has_a_client_span(backend: Backend) {
    one_scim_patch_is_one_trace(backend, Hop::Network).await;
}

async fn a_grpc_call_from_an_internal_service_continues_its_trace(backend: Backend) {
    let telemetry = telemetry();
    let app = TestApp::spawn(backend).await;
    let mut users = UsersClient::connect(app.grpc_url()).await.unwrap();
    let (trace_id, caller_span) = (new_trace_id(), new_span_id());
    let mut request = authed(&app.token, ListUsersRequest::default());
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{caller_span}-01").parse().unwrap(),
    );
    users.list_users(request).await.unwrap();

    // The server span ends after its children, so it can be exported in a later batch:
    // wait for both before looking.
    let spans = telemetry
        .spans_of(&trace_id, |spans| {
            spans.iter().any(|s| s.name == "SELECT users") && spans.iter().any(|s| s.kind == SERVER)
        })
        .await;
    let core = the(&spans, "core server span", |s| s.kind == SERVER);
    assert_eq!(core.name, "idsync.v1.Users/ListUsers");
    assert_eq!(core.parent_span_id, caller_span);
    let list = the(&spans, "user listing", |s| s.name == "SELECT users");
    assert_eq!(list.parent_span_id, core.span_id);
}

on_both_backends!(
    one_scim_patch_is_one_trace_from_gateway_through_core_to_storage,
    through_a_gateway_on_its_own_the_grpc_hop_has_a_client_span,
    a_grpc_call_from_an_internal_service_continues_its_trace,
);
