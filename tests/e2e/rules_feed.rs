//! Tenant rules and the change feed / provisioning log together: what a watcher sees and
//! what the log records when a scoping or matching rule decides a write's outcome.

use std::time::Duration;

use idsync_proto::v1::{CreatePolicy, ListLogEntriesRequest, LogEntry, LogOutcome, MatchPolicy, UpdatePolicy, User};
use idsync_storage::records::Scope;
use idsync_tests::{
    Backend, CONTOSO_STAFF as RULE, DEPARTMENT, TestApp, assert_scim_error, on_both_backends, set_department, summary,
    user_in_department as user,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends! {
    an_update_moving_a_user_out_of_scope_is_deactivated_and_back_in_scope_reactivated,
    the_delete_policy_feeds_and_logs_a_delete_caused_by_the_rule,
    the_reject_policy_feeds_nothing_and_logs_a_failure_with_its_scim_type,
    an_adoption_feeds_an_update_of_the_adopted_account_and_logs_a_successful_create,
}

async fn log(app: &TestApp) -> Vec<LogEntry> {
    let reader = app.new_token(Scope::Read).await;
    app.log_entries(&reader, ListLogEntriesRequest::default())
        .await
        .expect("the log answers")
}

fn detail(entry: &LogEntry) -> &str {
    entry.detail.as_deref().unwrap_or_default()
}

async fn an_update_moving_a_user_out_of_scope_is_deactivated_and_back_in_scope_reactivated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.scope_users(RULE, CreatePolicy::AcceptDisabled, UpdatePolicy::Deactivate)
        .await;
    let ada = app.created_user(&user("ada@contoso.com", "Engineering")).await;
    let ada = ada["id"].as_str().unwrap().to_string();
    let mut watcher = app.watch(None).await;

    let moved = app.patch_user(&ada, &set_department("Contractors")).await;
    assert_eq!(moved.status(), StatusCode::OK);
    let body: Value = moved.json().await.unwrap();
    assert_eq!(body["active"], false);
    let back = app.patch_user(&ada, &set_department("Engineering")).await;
    assert_eq!(back.status(), StatusCode::OK);
    // A create out of scope is still a create, stored disabled.
    let temp = app.created_user(&user("temp@contoso.com", "Contractors")).await;
    assert_eq!(temp["active"], false);
    let temp = temp["id"].as_str().unwrap().to_string();

    let events = watcher.next(3).await;
    assert_eq!(
        summary(&events),
        [
            ("deactivated".to_string(), ada.clone()),
            ("reactivated".to_string(), ada.clone()),
            ("created".to_string(), temp.clone()),
        ]
    );
    assert_eq!(events[0].attributes, ["active", DEPARTMENT]);
    assert_eq!(events[1].attributes, ["active", DEPARTMENT]);

    let log = log(&app).await;
    let success = LogOutcome::Success as i32;
    assert_eq!(
        log.iter()
            .map(|e| (e.operation.as_str(), e.outcome))
            .collect::<Vec<_>>(),
        [
            ("create", success),
            ("patch", success),
            ("patch", success),
            ("create", success)
        ]
    );
    assert!(detail(&log[0]).contains("stored disabled"), "{:?}", log[0]);
    assert_eq!(log[0].resource_id.as_deref(), Some(temp.as_str()));
    assert!(detail(&log[1]).contains("reactivated"), "{:?}", log[1]);
    assert!(detail(&log[2]).contains("stored disabled"), "{:?}", log[2]);
    assert_eq!(log[2].attributes, ["active", DEPARTMENT]);
    assert_eq!(log[3].detail, None);
}

async fn the_delete_policy_feeds_and_logs_a_delete_caused_by_the_rule(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.scope_users(RULE, CreatePolicy::Reject, UpdatePolicy::Delete).await;
    let ada = app.created_user(&user("ada@contoso.com", "Engineering")).await;
    let ada = ada["id"].as_str().unwrap().to_string();
    let group = app
        .created_group(&json!({"displayName": "Engineers", "members": [{"value": ada}]}))
        .await;
    let group = group["id"].as_str().unwrap().to_string();
    let mut watcher = app.watch(None).await;

    // The client gets the rule's answer: the user is gone.
    let moved = app.patch_user(&ada, &set_department("Contractors")).await;
    assert_scim_error(moved, StatusCode::NOT_FOUND, None).await;
    assert!(app.stored_user(&ada).await.is_none());

    let events = watcher.next(2).await;
    assert_eq!(
        summary(&events),
        [
            ("member_removed".to_string(), group.clone()),
            ("deleted".to_string(), ada.clone()),
        ]
    );
    assert_eq!(events[0].member_id.as_deref(), Some(ada.as_str()));
    watcher.assert_quiet(Duration::from_millis(500)).await;

    // One entry for the attempt: a successful delete that the rule caused.
    let log = log(&app).await;
    assert_eq!(log.len(), 3, "{log:?}");
    let deleted = &log[0];
    assert_eq!(deleted.operation, "delete");
    assert_eq!(deleted.outcome, LogOutcome::Success as i32);
    assert_eq!(deleted.resource_id.as_deref(), Some(ada.as_str()));
    assert!(detail(deleted).contains("update policy delete"), "{deleted:?}");
}

async fn the_reject_policy_feeds_nothing_and_logs_a_failure_with_its_scim_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.scope_users(RULE, CreatePolicy::Reject, UpdatePolicy::Reject).await;
    let ada = app.created_user(&user("ada@contoso.com", "Engineering")).await;
    let ada = ada["id"].as_str().unwrap().to_string();
    let mut watcher = app.watch(None).await;

    let moved = app.patch_user(&ada, &set_department("Contractors")).await;
    assert_scim_error(moved, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let refused = app.create_user(&user("temp@contoso.com", "Contractors")).await;
    assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    watcher.assert_quiet(Duration::from_millis(800)).await;
    let stored = app.stored_user(&ada).await.unwrap();
    assert!(stored.active == Some(true) && !stored.out_of_scope && stored.department.as_deref() == Some("Engineering"));

    let log = log(&app).await;
    let failure = LogOutcome::Failure as i32;
    assert_eq!(
        log.iter()
            .map(|e| (e.operation.as_str(), e.outcome, e.http_status, e.scim_type.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("create", failure, Some(400), Some("invalidValue")),
            ("patch", failure, Some(400), Some("invalidValue")),
            ("create", LogOutcome::Success as i32, None, None),
        ]
    );
    assert_eq!(log[1].resource_id.as_deref(), Some(ada.as_str()));
    assert!(detail(&log[1]).contains("update policy reject"), "{:?}", log[1]);
    // Never a value: the refused userName is redacted from the detail.
    assert!(!detail(&log[0]).contains("temp@contoso.com"), "{:?}", log[0]);
}

async fn an_adoption_feeds_an_update_of_the_adopted_account_and_logs_a_successful_create(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.match_users(&[], MatchPolicy::Adopt).await;
    let app_token = app.new_token(Scope::Scim).await;
    let existing = User {
        user_name: "ADA@contoso.com".into(),
        display_name: Some("Made by the app".into()),
        active: Some(true),
        ..User::default()
    };
    let existing = app.grpc_create_user(&app_token, existing).await.unwrap().id;
    let mut watcher = app.watch(None).await;

    let adopted = app
        .created_user(&json!({
            "userName": "ada@contoso.com",
            "externalId": "ext-ada",
            "active": true,
            "name": {"givenName": "Ada"},
        }))
        .await;
    assert_eq!(adopted["id"], existing.as_str());

    let events = watcher.next(1).await;
    assert_eq!(summary(&events), [("updated".to_string(), existing.clone())]);
    assert_eq!(
        events[0].attributes,
        ["userName", "externalId", "displayName", "name.givenName"]
    );
    watcher.assert_quiet(Duration::from_millis(500)).await;

    let log = log(&app).await;
    let adoption = &log[0];
    assert_eq!(adoption.operation, "create");
    assert_eq!(adoption.outcome, LogOutcome::Success as i32);
    assert_eq!(adoption.resource_id.as_deref(), Some(existing.as_str()));
    assert!(detail(adoption).contains("adopted"), "{adoption:?}");
    assert_eq!(log.len(), 2, "{log:?}");
}
