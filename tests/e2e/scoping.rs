//! Scoping rules through real SCIM requests: creates and updates out of scope under
//! each policy, and out-of-scope users refused as group members.

use idsync_proto::v1::{CreatePolicy, RuleResource, Rules, UpdatePolicy};
use idsync_tests::{
    Backend, CONTOSO_STAFF as RULE, TestApp, assert_scim_error, on_both_backends, patch_op, scoping_rule,
    set_department, user_in_department as user,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn id_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

async fn a_create_out_of_scope_is_rejected_naming_the_rule_and_nothing_is_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.scope_users(RULE, CreatePolicy::Reject, UpdatePolicy::Deactivate)
        .await;

    let response = app.create_user(&user("temp@contoso.com", "Contractors")).await;
    let body = assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("temp@contoso.com") && detail.contains(RULE), "{detail}");
    assert_eq!(
        app.find_users("userName eq \"temp@contoso.com\"").await["totalResults"],
        0
    );

    let in_scope = app.create_user(&user("ada@contoso.com", "Engineering")).await;
    assert_eq!(in_scope.status(), StatusCode::CREATED);
}

async fn a_create_out_of_scope_is_stored_disabled_and_activated_once_patched_into_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.scope_users(RULE, CreatePolicy::AcceptDisabled, UpdatePolicy::Deactivate)
        .await;

    let id = id_of(app.create_user(&user("temp@contoso.com", "Contractors")).await).await;
    let stored = app.stored_user(&id).await.unwrap();
    assert!(stored.active == Some(false) && stored.out_of_scope);
    assert_eq!(app.get_json(&format!("/Users/{id}")).await["active"], false);

    // Still out of scope: asking to activate it does not.
    let still_out = app
        .patch_user(
            &id,
            &patch_op(json!([{"op": "Replace", "path": "active", "value": true}])),
        )
        .await;
    assert!(still_out.status().is_success());
    assert_eq!(app.stored_user(&id).await.unwrap().active, Some(false));

    let response = app.patch_user(&id, &set_department("Engineering")).await;
    assert!(response.status().is_success(), "{:?}", response.text().await);
    let stored = app.stored_user(&id).await.unwrap();
    assert!(stored.active == Some(true) && !stored.out_of_scope);
    assert_eq!(app.get_json(&format!("/Users/{id}")).await["active"], true);
}

async fn an_update_out_of_scope_deactivates_and_marks_the_user_by_default(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.scope_users(RULE, CreatePolicy::Reject, UpdatePolicy::Unspecified)
        .await;
    let id = id_of(app.create_user(&user("ada@contoso.com", "Engineering")).await).await;

    let response = app.patch_user(&id, &set_department("Contractors")).await;
    assert!(response.status().is_success());
    let stored = app.stored_user(&id).await.unwrap();
    assert!(stored.active == Some(false) && stored.out_of_scope);
    assert_eq!(stored.department.as_deref(), Some("Contractors"));
}

async fn an_update_out_of_scope_deletes_the_user_under_the_delete_policy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.scope_users(RULE, CreatePolicy::Reject, UpdatePolicy::Delete).await;
    let id = id_of(app.create_user(&user("ada@contoso.com", "Engineering")).await).await;
    let group = app.group_id("Engineers").await;
    app.patched_group(
        &group,
        json!([{"op": "add", "path": "members", "value": [{"value": id}]}]),
    )
    .await;

    let response = app.put_user(&id, &user("ada@fabrikam.com", "Engineering")).await;
    let body = assert_scim_error(response, StatusCode::NOT_FOUND, None).await;
    assert!(body["detail"].as_str().unwrap().contains("deleted"), "{body}");
    assert!(app.stored_user(&id).await.is_none());
    assert!(app.members_of(&group).await.is_empty());
}

async fn an_update_out_of_scope_is_rejected_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.scope_users(RULE, CreatePolicy::Reject, UpdatePolicy::Reject).await;
    let id = id_of(app.create_user(&user("ada@contoso.com", "Engineering")).await).await;

    let response = app.patch_user(&id, &set_department("Contractors")).await;
    let body = assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert!(body["detail"].as_str().unwrap().contains(RULE), "{body}");
    let stored = app.stored_user(&id).await.unwrap();
    assert_eq!(stored.department.as_deref(), Some("Engineering"));
    assert!(stored.active == Some(true) && !stored.out_of_scope);
    assert_eq!(stored.version, 1);
}

async fn an_out_of_scope_user_is_refused_as_a_group_member_and_nothing_is_applied(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.scope_users(RULE, CreatePolicy::AcceptDisabled, UpdatePolicy::Deactivate)
        .await;
    let inside = id_of(app.create_user(&user("ada@contoso.com", "Engineering")).await).await;
    let outside = id_of(app.create_user(&user("temp@contoso.com", "Contractors")).await).await;
    let group = app.group_id("Engineers").await;

    let response = app
        .patch_group(
            &group,
            json!([{"op": "add", "path": "members", "value": [{"value": inside}, {"value": outside}]}]),
        )
        .await;
    let body = assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert!(body["detail"].as_str().unwrap().contains(&outside), "{body}");
    assert!(app.members_of(&group).await.is_empty());

    let created = app
        .create_group(&json!({"displayName": "Contractors", "members": [{"value": outside}]}))
        .await;
    assert_scim_error(created, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
}

async fn a_group_scoping_rule_rejects_groups_out_of_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.set_rules(Rules {
        scoping: vec![scoping_rule(
            RuleResource::Group,
            "displayName sw \"Team \"",
            CreatePolicy::Reject,
            UpdatePolicy::Reject,
        )],
        matching: None,
    })
    .await;
    let refused = app.create_group(&json!({"displayName": "Everyone"})).await;
    assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert_eq!(app.find_groups("displayName eq \"Everyone\"").await["totalResults"], 0);

    let id = app.group_id("Team Blue").await;
    let rename = app
        .patch_group(&id, json!([{"op": "replace", "path": "displayName", "value": "Blue"}]))
        .await;
    assert_scim_error(rename, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert_eq!(app.group(&id).await["displayName"], "Team Blue");
}

on_both_backends!(
    a_create_out_of_scope_is_rejected_naming_the_rule_and_nothing_is_stored,
    a_create_out_of_scope_is_stored_disabled_and_activated_once_patched_into_scope,
    an_update_out_of_scope_deactivates_and_marks_the_user_by_default,
    an_update_out_of_scope_deletes_the_user_under_the_delete_policy,
    an_update_out_of_scope_is_rejected_and_changes_nothing,
    an_out_of_scope_user_is_refused_as_a_group_member_and_nothing_is_applied,
    a_group_scoping_rule_rejects_groups_out_of_scope,
);
