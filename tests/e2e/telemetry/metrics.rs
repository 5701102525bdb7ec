//! `/metrics` after traffic: provisioning outcomes, auth failures, HTTP and gRPC
//! durations, pool health — each series labelled with this test's tenant where it has
//! one, so concurrent tests do not disturb each other.

use idsync_tests::prometheus::{samples, value};
use idsync_tests::telemetry::telemetry;
use idsync_tests::{Backend, TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::scrape;

const OPERATIONS: &str = "idsync_provisioning_operations_total";
const AUTH_FAILURES: &str = "idsync_auth_failures_total";

fn patch_active(active: bool) -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "replace", "path": "active", "value": active}]})
}

async fn provisioning_outcomes_and_auth_failures_are_counted_per_tenant(backend: Backend) {
    telemetry();
    let app = TestApp::spawn(backend).await;
    let before = samples(&scrape(&app).await);

    let user = app.created_user(&json!({"userName": "counted@contoso.com"})).await;
    let id = user["id"].as_str().unwrap();
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "path": "displayName", "value": "Counted"}]});
    assert_eq!(app.patch_user(id, &rename).await.status(), StatusCode::OK);
    assert_eq!(app.patch_user(id, &rename).await.status(), StatusCode::OK, "unchanged");
    assert_eq!(app.patch_user(id, &patch_active(false)).await.status(), StatusCode::OK);
    assert_eq!(app.patch_user(id, &patch_active(true)).await.status(), StatusCode::OK);
    let taken = app.create_user(&json!({"userName": "COUNTED@contoso.com"})).await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert_eq!(app.delete_user(id).await.status(), StatusCode::NO_CONTENT);
    let unknown = app
        .send(Method::GET, "/Users", Some("idsync_no-such-token"), None)
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let missing = app.send(Method::GET, "/Users", None, None).await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);

    let after = samples(&scrape(&app).await);
    let tenant = app.tenant.id.as_str();
    let outcome = |operation: &str, outcome: &str| {
        value(
            &after,
            OPERATIONS,
            &[
                ("tenant", tenant),
                ("resource_type", "User"),
                ("operation", operation),
                ("outcome", outcome),
            ],
        )
    };
    assert_eq!(outcome("create", "created"), 1.0);
    assert_eq!(outcome("patch", "updated"), 1.0);
    assert_eq!(outcome("patch", "unchanged"), 1.0);
    assert_eq!(outcome("patch", "deactivated"), 1.0);
    assert_eq!(outcome("patch", "reactivated"), 1.0);
    assert_eq!(outcome("delete", "deleted"), 1.0);
    assert_eq!(
        value(
            &after,
            OPERATIONS,
            &[
                ("tenant", tenant),
                ("operation", "create"),
                ("outcome", "failed"),
                ("scim_type", "uniqueness")
            ]
        ),
        1.0
    );
    for reason in ["unknown", "missing"] {
        let labels = [("reason", reason), ("tenant", "unknown")];
        assert!(
            value(&after, AUTH_FAILURES, &labels) > value(&before, AUTH_FAILURES, &labels),
            "auth failures ({reason}) counted"
        );
    }

    let requests = |route: &str, method: &str, status: &str| {
        value(
            &after,
            "http_server_request_duration_seconds_count",
            &[
                ("tenant", tenant),
                ("http_route", route),
                ("http_request_method", method),
                ("http_response_status_code", status),
            ],
        )
    };
    assert_eq!(requests("/scim/v2/Users/{id}", "PATCH", "200"), 4.0);
    assert_eq!(requests("/scim/v2/Users", "POST", "201"), 1.0);
    assert_eq!(requests("/scim/v2/Users", "POST", "409"), 1.0);
    assert_eq!(requests("/scim/v2/Users/{id}", "DELETE", "204"), 1.0);
    let unauthenticated = [("tenant", "unknown"), ("http_response_status_code", "401")];
    assert!(
        value(&after, "http_server_request_duration_seconds_count", &unauthenticated)
            >= value(&before, "http_server_request_duration_seconds_count", &unauthenticated) + 2.0
    );

    let patch_calls = [
        ("rpc_service", "idsync.v1.Users"),
        ("rpc_method", "PatchUser"),
        ("rpc_grpc_status_code", "0"),
    ];
    assert!(
        value(&after, "rpc_server_duration_milliseconds_count", &patch_calls)
            >= value(&before, "rpc_server_duration_milliseconds_count", &patch_calls) + 4.0
    );
    assert!(value(&after, "db_client_connection_max", &[]) >= 1.0);
    assert!(value(&after, "db_client_connection_wait_time_seconds_count", &[]) >= 1.0);
    assert!(
        after
            .iter()
            .any(|s| s.name == "db_client_connection_count" && s.labels["db_client_connection_state"] == "used"),
        "pool usage is reported"
    );
}

on_both_backends!(provisioning_outcomes_and_auth_failures_are_counted_per_tenant);
