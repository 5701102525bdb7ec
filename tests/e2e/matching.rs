//! Matching rules: an Entra create meets an account the app created itself.

use idsync_proto::v1::{MatchPolicy, User};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, assert_scim_error, on_both_backends};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A user created by the app's own service through gRPC, with its own `scim` token.
async fn created_by_the_app(app: &TestApp, user_name: &str, external_id: Option<&str>) -> String {
    let token = app.new_token(Scope::Scim).await;
    let user = User {
        user_name: user_name.into(),
        external_id: external_id.map(str::to_string),
        display_name: Some("Made by the app".into()),
        active: Some(true),
        ..User::default()
    };
    app.grpc_create_user(&token, user).await.unwrap().id
}

fn entra_user(user_name: &str, external_id: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": external_id,
        "active": true,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
    })
}

async fn an_entra_create_adopts_the_account_the_app_created_and_keeps_its_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.match_users(&[], MatchPolicy::Adopt).await;
    let existing = created_by_the_app(&app, "ADA@contoso.com", None).await;

    let response = app.create_user(&entra_user("ada@contoso.com", "ext-ada")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], existing.as_str());
    assert_eq!(body["userName"], "ada@contoso.com");
    assert_eq!(body["externalId"], "ext-ada");
    assert_eq!(body["name"]["givenName"], "Ada");
    assert!(
        body.get("displayName").is_none(),
        "a full replace drops what Entra did not send"
    );
    assert_eq!(body["meta"]["version"], "W/\"2\"");

    let stored = app.stored_user(&existing).await.unwrap();
    assert!(stored.adopted_by_token.is_some());
    assert_ne!(stored.adopted_by_token, stored.created_by_token);
    assert_eq!(
        app.find_users("userName eq \"ada@contoso.com\"").await["totalResults"],
        1
    );

    // Now linked to Entra's connection: a second create is today's conflict.
    let again = app.create_user(&entra_user("ada@contoso.com", "ext-ada")).await;
    assert_scim_error(again, StatusCode::CONFLICT, Some("uniqueness")).await;
}

async fn the_first_attribute_with_candidates_decides(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.match_users(&["externalId", "userName"], MatchPolicy::Adopt).await;
    let by_external_id = created_by_the_app(&app, "old-name@contoso.com", Some("ext-ada")).await;
    created_by_the_app(&app, "someone@contoso.com", None).await;

    let body: Value = app
        .create_user(&entra_user("ada@contoso.com", "ext-ada"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["id"], by_external_id.as_str());
    assert_eq!(body["userName"], "ada@contoso.com");

    // externalId is caseExact: another case is no match, so userName is tried next.
    let fresh = app.create_user(&entra_user("bob@contoso.com", "EXT-ADA")).await;
    assert_eq!(fresh.status(), StatusCode::CREATED);
    let fresh: Value = fresh.json().await.unwrap();
    assert_ne!(fresh["id"], by_external_id.as_str());
}

async fn a_match_under_the_conflict_policy_is_409_naming_the_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.match_users(&["emails[type eq \"work\"].value"], MatchPolicy::Conflict)
        .await;
    let token = app.new_token(Scope::Scim).await;
    let mut user = User {
        user_name: "a.lovelace".into(),
        ..User::default()
    };
    user.emails.push(idsync_proto::v1::MultiValue {
        value: Some("Ada@Contoso.com".into()),
        r#type: Some("work".into()),
        ..Default::default()
    });
    let existing = app.grpc_create_user(&token, user).await.unwrap().id;

    let mut body = entra_user("ada@contoso.com", "ext-ada");
    body["emails"] = json!([{"value": "ada@contoso.com", "type": "work", "primary": true}]);
    let response = app.create_user(&body).await;
    let error = assert_scim_error(response, StatusCode::CONFLICT, Some("uniqueness")).await;
    let detail = error["detail"].as_str().unwrap();
    assert!(detail.contains(&existing) && detail.contains("emails"), "{detail}");
    assert_eq!(
        app.find_users("userName eq \"ada@contoso.com\"").await["totalResults"],
        0
    );
}

async fn two_candidates_are_a_409_even_under_the_adopt_policy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Before the rule: with it, the app's second create would adopt its first user.
    let first = created_by_the_app(&app, "one@contoso.com", Some("ext-ada")).await;
    let second = created_by_the_app(&app, "two@contoso.com", Some("ext-ada")).await;
    app.match_users(&["externalId"], MatchPolicy::Adopt).await;

    let response = app.create_user(&entra_user("ada@contoso.com", "ext-ada")).await;
    let error = assert_scim_error(response, StatusCode::CONFLICT, Some("uniqueness")).await;
    assert!(error["detail"].as_str().unwrap().contains("more than one"), "{error}");
    for id in [first, second] {
        assert!(app.stored_user(&id).await.unwrap().adopted_by_token.is_none());
    }
}

async fn a_user_created_by_the_same_token_is_never_adopted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.match_users(&["externalId", "userName"], MatchPolicy::Adopt).await;
    let mine = app.created_user(&entra_user("ada@contoso.com", "ext-ada")).await;

    // Same externalId, other userName: no candidate (own user), so a second user.
    let other = app.create_user(&entra_user("ada2@contoso.com", "ext-ada")).await;
    assert_eq!(other.status(), StatusCode::CREATED);
    let other: Value = other.json().await.unwrap();
    assert_ne!(other["id"], mine["id"]);
    // Same userName: the unique index answers, as without rules.
    let same = app.create_user(&entra_user("ADA@contoso.com", "ext-other")).await;
    assert_scim_error(same, StatusCode::CONFLICT, Some("uniqueness")).await;
}

async fn without_a_matching_rule_an_app_created_user_name_is_a_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    created_by_the_app(&app, "ada@contoso.com", Some("ext-ada")).await;
    let response = app.create_user(&entra_user("ada@contoso.com", "ext-ada")).await;
    assert_scim_error(response, StatusCode::CONFLICT, Some("uniqueness")).await;
    // And an externalId alone never links anything.
    let other = app.create_user(&entra_user("bob@contoso.com", "ext-ada")).await;
    assert_eq!(other.status(), StatusCode::CREATED);
}

on_both_backends!(
    an_entra_create_adopts_the_account_the_app_created_and_keeps_its_id,
    the_first_attribute_with_candidates_decides,
    a_match_under_the_conflict_policy_is_409_naming_the_account,
    two_candidates_are_a_409_even_under_the_adopt_policy,
    a_user_created_by_the_same_token_is_never_adopted,
    without_a_matching_rule_an_app_created_user_name_is_a_conflict,
);
