//! `/metrics` after traffic: provisioning outcomes (User and Group writes, adoption and
//! scoping refusals), auth failures, HTTP and gRPC durations, pool health — each series
//! labelled with this test's tenant where it has one, so concurrent tests do not
//! disturb each other.

use idsync_proto::v1::{CreatePolicy, MatchPolicy, MatchingRule, RuleResource, Rules, UpdatePolicy, User};
use idsync_storage::records::Scope;
use idsync_tests::prometheus::{samples, value};
use idsync_tests::telemetry::telemetry;
use idsync_tests::{Backend, TestApp, on_both_backends, scoping_rule};
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

/// `idsync_provisioning_operations_total` for this test's tenant.
fn outcome_of(after: &[idsync_tests::prometheus::Sample], tenant: &str, resource: &str, op: &str, out: &str) -> f64 {
    value(
        after,
        OPERATIONS,
        &[
            ("tenant", tenant),
            ("resource_type", resource),
            ("operation", op),
            ("outcome", out),
        ],
    )
}

async fn group_writes_are_counted_like_user_writes(backend: Backend) {
    telemetry();
    let app = TestApp::spawn(backend).await;
    let member = app.created_user(&json!({"userName": "member@contoso.com"})).await;
    let member = member["id"].as_str().unwrap();

    let group = app
        .created_group(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                               "displayName": "Counted"}))
        .await;
    let id = group["id"].as_str().unwrap();
    let add = json!([{"op": "add", "path": "members", "value": [{"value": member}]}]);
    app.patched_group(id, add.clone()).await;
    app.patched_group(id, add).await; // Entra re-sends members it already added.
    let taken = app
        .create_group(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                              "displayName": "counted"}))
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert_eq!(app.delete_group(id).await.status(), StatusCode::NO_CONTENT);

    let after = samples(&scrape(&app).await);
    let tenant = app.tenant.id.as_str();
    assert_eq!(outcome_of(&after, tenant, "Group", "create", "created"), 1.0);
    assert_eq!(outcome_of(&after, tenant, "Group", "patch", "updated"), 1.0);
    assert_eq!(outcome_of(&after, tenant, "Group", "patch", "unchanged"), 1.0);
    assert_eq!(outcome_of(&after, tenant, "Group", "delete", "deleted"), 1.0);
    assert_eq!(
        value(
            &after,
            OPERATIONS,
            &[
                ("tenant", tenant),
                ("resource_type", "Group"),
                ("operation", "create"),
                ("outcome", "failed"),
                ("scim_type", "uniqueness")
            ]
        ),
        1.0
    );
}

async fn adoption_and_scoping_refusals_have_their_own_outcomes(backend: Backend) {
    telemetry();
    let app = TestApp::spawn(backend).await;
    app.set_rules(Rules {
        scoping: vec![scoping_rule(
            RuleResource::User,
            "userName ew \"@contoso.com\"",
            CreatePolicy::Reject,
            UpdatePolicy::Reject,
        )],
        matching: Some(MatchingRule {
            attributes: Vec::new(),
            policy: MatchPolicy::Adopt as i32,
        }),
    })
    .await;
    // An account the app made itself (its own token), then Entra's create of the same.
    let own = app.new_token(Scope::Scim).await;
    let existing = User {
        user_name: "ada@contoso.com".into(),
        active: Some(true),
        ..User::default()
    };
    app.grpc_create_user(&own, existing).await.unwrap();
    let adopted = app.create_user(&json!({"userName": "ada@contoso.com"})).await;
    assert_eq!(adopted.status(), StatusCode::CREATED);
    let adopted: serde_json::Value = adopted.json().await.unwrap();

    let outside = app.create_user(&json!({"userName": "eve@fabrikam.com"})).await;
    assert_eq!(outside.status(), StatusCode::BAD_REQUEST);
    let leave = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "userName", "value": "ada@fabrikam.com"}]});
    let refused = app.patch_user(adopted["id"].as_str().unwrap(), &leave).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let after = samples(&scrape(&app).await);
    let tenant = app.tenant.id.as_str();
    assert_eq!(outcome_of(&after, tenant, "User", "create", "adopted"), 1.0);
    assert_eq!(
        outcome_of(&after, tenant, "User", "create", "rejected_out_of_scope"),
        1.0
    );
    assert_eq!(
        outcome_of(&after, tenant, "User", "patch", "rejected_out_of_scope"),
        1.0
    );
    let failed = [("tenant", tenant), ("outcome", "failed")];
    assert_eq!(
        value(&after, OPERATIONS, &failed),
        0.0,
        "a refusal by rule is not a failure"
    );
}

on_both_backends!(
    provisioning_outcomes_and_auth_failures_are_counted_per_tenant,
    group_writes_are_counted_like_user_writes,
    adoption_and_scoping_refusals_have_their_own_outcomes,
    change_feed_subscribers_deliveries_and_lag_are_reported_per_tenant,
);

/// The `tenant` label of this app's series.
fn tenant_label(app: &TestApp) -> [(&'static str, &str); 1] {
    [("tenant", app.tenant.id.as_str())]
}

async fn change_feed_subscribers_deliveries_and_lag_are_reported_per_tenant(backend: Backend) {
    telemetry();
    let app = TestApp::spawn(backend).await;
    let tenant = tenant_label(&app);
    let before = samples(&scrape(&app).await);
    assert_eq!(value(&before, "idsync_changefeed_subscribers", &tenant), 0.0);

    let mut watcher = app.watch(None).await;
    let mut second = app.watch(None).await;
    let open = samples(&scrape(&app).await);
    assert_eq!(value(&open, "idsync_changefeed_subscribers", &tenant), 2.0);

    app.created_user(&json!({"userName": "fed@contoso.com"})).await;
    assert_eq!(watcher.next(1).await[0].event, "created");
    assert_eq!(second.next(1).await[0].event, "created");
    let delivered = samples(&scrape(&app).await);
    assert_eq!(value(&delivered, "idsync_changefeed_events_total", &tenant), 2.0);
    assert_eq!(value(&delivered, "idsync_changefeed_lag_seconds_count", &tenant), 2.0);
    let lag_sum = value(&delivered, "idsync_changefeed_lag_seconds_sum", &tenant);
    assert!(
        (0.0..30.0).contains(&lag_sum),
        "lag is the time from commit to delivery: {lag_sum}"
    );

    // A client that goes away is counted out once its stream notices.
    drop(second);
    let mut remaining = f64::NAN;
    for _ in 0..100 {
        remaining = value(&samples(&scrape(&app).await), "idsync_changefeed_subscribers", &tenant);
        if remaining == 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(remaining, 1.0, "the closed stream is no longer a subscriber");
    drop(watcher);
}
