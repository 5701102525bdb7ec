//! The provisioning log: every write attempt with its outcome, never a value.

use idsync_proto::v1::{ListLogEntriesRequest, LogEntry, LogOutcome};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, assert_scim_error, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tonic::Code;

on_both_backends! {
    the_log_records_successes_and_failures_with_their_scim_type_but_never_a_value,
    reads_and_failed_filters_are_not_writes_and_are_not_logged,
    admin_and_read_tokens_may_read_the_log_but_scim_tokens_may_not,
    the_log_pages_newest_first_and_filters_by_resource_and_outcome,
    a_patch_that_changes_nothing_is_one_success_entry_naming_no_attribute,
}

const SECRET_PASSWORD: &str = "Tr0ub4dor&3-horse";

async fn entries(app: &TestApp, request: ListLogEntriesRequest) -> Vec<LogEntry> {
    let reader = app.new_token(Scope::Read).await;
    app.log_entries(&reader, request).await.expect("the log answers")
}

async fn the_log_records_successes_and_failures_with_their_scim_type_but_never_a_value(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .request(Method::POST, "/Users")
        .header("x-request-id", "req-create-ada")
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .json(&json!({"userName": "ada@contoso.com", "password": SECRET_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let ada: serde_json::Value = created.json().await.unwrap();
    let ada = ada["id"].as_str().unwrap().to_string();
    let duplicate = app.create_user(&json!({"userName": "ADA@contoso.com"})).await;
    assert_scim_error(duplicate, StatusCode::CONFLICT, Some("uniqueness")).await;
    let readonly = app
        .patch_user(
            &ada,
            &idsync_tests::patch_op(json!([{"op": "replace", "path": "id", "value": "x"}])),
        )
        .await;
    assert_scim_error(readonly, StatusCode::BAD_REQUEST, Some("mutability")).await;
    let deactivated = app
        .patch_user(
            &ada,
            &idsync_tests::patch_op(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        )
        .await;
    assert_eq!(deactivated.status(), StatusCode::OK);

    let log = entries(&app, ListLogEntriesRequest::default()).await;
    let shape: Vec<(&str, i32, Option<u32>, Option<&str>)> = log
        .iter()
        .map(|e| (e.operation.as_str(), e.outcome, e.http_status, e.scim_type.as_deref()))
        .collect();
    let (ok, failed) = (LogOutcome::Success as i32, LogOutcome::Failure as i32);
    assert_eq!(
        shape,
        [
            ("patch", ok, None, None),
            ("patch", failed, Some(400), Some("mutability")),
            ("create", failed, Some(409), Some("uniqueness")),
            ("create", ok, None, None),
        ]
    );
    let (deactivate, create) = (&log[0], &log[3]);
    assert_eq!(deactivate.attributes, ["active"]);
    assert_eq!(deactivate.resource_id.as_deref(), Some(ada.as_str()));
    assert_eq!(create.resource_id.as_deref(), Some(ada.as_str()));
    assert_eq!(create.attributes, ["userName", "active", "password"]);
    assert_eq!(create.request_id.as_deref(), Some("req-create-ada"));
    assert_eq!(create.trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(log[2].grpc_code.as_deref(), Some("ALREADY_EXISTS"));
    assert!(
        log[2].detail.as_deref().unwrap_or("").contains("already taken"),
        "{:?}",
        log[2]
    );
    assert!(log.iter().all(|e| e.token_id.is_some() && e.request_id.is_some()));
    let everything = format!("{log:?}");
    for value in [SECRET_PASSWORD, "ada@contoso.com", "ADA@contoso.com", &app.token] {
        assert!(!everything.contains(value), "the log shows {value:?}: {everything}");
    }
}

async fn reads_and_failed_filters_are_not_writes_and_are_not_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let bad_filter = app.get("/Users?filter=nope+eq+1").await;
    assert_scim_error(bad_filter, StatusCode::BAD_REQUEST, Some("invalidFilter")).await;
    assert_eq!(app.get("/Users").await.status(), StatusCode::OK);
    assert!(entries(&app, ListLogEntriesRequest::default()).await.is_empty());
    let missing = app.delete_user("no-such-user").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let log = entries(&app, ListLogEntriesRequest::default()).await;
    assert_eq!(log.len(), 1, "a failed delete is a write attempt");
    assert_eq!((log[0].operation.as_str(), log[0].http_status), ("delete", Some(404)));
}

async fn admin_and_read_tokens_may_read_the_log_but_scim_tokens_may_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user_id("ada@contoso.com").await;
    let admin = app.new_token(Scope::Admin).await;
    let reader = app.new_token(Scope::Read).await;
    assert_eq!(
        app.log_entries(&admin, ListLogEntriesRequest::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.log_entries(&reader, ListLogEntriesRequest::default())
            .await
            .unwrap()
            .len(),
        1
    );
    let denied = app
        .log_entries(&app.token, ListLogEntriesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let (_, other_admin) = app.new_tenant("fabrikam", Scope::Admin).await;
    let other = app
        .log_entries(&other_admin, ListLogEntriesRequest::default())
        .await
        .unwrap();
    assert!(other.is_empty(), "a tenant sees only its own log");
}

async fn the_log_pages_newest_first_and_filters_by_resource_and_outcome(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.user_id("ada@contoso.com").await;
    let group = app.group_id("Engineering").await;
    app.patched_group(
        &group,
        json!([{"op": "Add", "path": "members", "value": [{"value": ada}]}]),
    )
    .await;
    app.patch_group(
        &group,
        json!([{"op": "Add", "path": "members", "value": [{"value": "ghost"}]}]),
    )
    .await;
    let reader = app.new_token(Scope::Read).await;
    let first = app
        .log_entries(
            &reader,
            ListLogEntriesRequest {
                page_size: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    let mut client = idsync_proto::v1::provisioning_log_client::ProvisioningLogClient::connect(app.grpc_url())
        .await
        .unwrap();
    let page = client
        .list_log_entries(idsync_tests::authed(
            &reader,
            ListLogEntriesRequest {
                page_size: Some(3),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let next = client
        .list_log_entries(idsync_tests::authed(
            &reader,
            ListLogEntriesRequest {
                page_size: Some(3),
                page_token: page.next_page_token.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((page.entries.len(), next.entries.len()), (3, 1));
    assert!(next.next_page_token.is_empty());
    assert_eq!(next.entries[0].resource_id.as_deref(), Some(ada.as_str()));
    let on_group = app
        .log_entries(
            &reader,
            ListLogEntriesRequest {
                resource_id: group.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(on_group.len(), 3);
    assert_eq!(on_group[1].attributes, ["members"]);
    let failures = app
        .log_entries(
            &reader,
            ListLogEntriesRequest {
                outcome: LogOutcome::Failure as i32,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].scim_type.as_deref(), Some("invalidValue"));
    let bad = app
        .log_entries(
            &reader,
            ListLogEntriesRequest {
                page_token: "garbage".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
}

/// Entra re-sends values it already sent: such a PATCH writes no new version, and the
/// log still has exactly one entry for it, a success that names no attribute.
async fn a_patch_that_changes_nothing_is_one_success_entry_naming_no_attribute(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app
        .created_user(&json!({"userName": "same@contoso.com", "title": "A"}))
        .await;
    let id = user["id"].as_str().unwrap();
    let same = idsync_tests::patch_op(json!([{"op": "Replace", "path": "title", "value": "A"}]));
    let changed = idsync_tests::patch_op(json!([{"op": "Replace", "path": "title", "value": "B"}]));
    assert_eq!(app.patch_user(id, &same).await.status(), StatusCode::OK);
    assert_eq!(app.patch_user(id, &changed).await.status(), StatusCode::OK);

    let log = entries(&app, ListLogEntriesRequest::default()).await;
    let patches: Vec<(i32, Vec<&str>)> = log
        .iter()
        .filter(|e| e.operation == "patch")
        .map(|e| (e.outcome, e.attributes.iter().map(String::as_str).collect()))
        .collect();
    let ok = LogOutcome::Success as i32;
    // Newest first: the change, then the PATCH that changed nothing.
    assert_eq!(patches, [(ok, vec!["title"]), (ok, vec![])]);
}
