//! The rule RPCs: who may call them, validation with positions, defaults on read back.

use idsync_proto::v1::{CreatePolicy, MatchPolicy, MatchingRule, RuleResource, Rules, UpdatePolicy};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, on_both_backends, scoping_rule};
use reqwest::StatusCode;
use serde_json::json;
use tonic::Code;

fn user_rule(filter: &str) -> Rules {
    Rules {
        scoping: vec![scoping_rule(
            RuleResource::User,
            filter,
            CreatePolicy::Unspecified,
            UpdatePolicy::Unspecified,
        )],
        matching: None,
    }
}

async fn an_invalid_scoping_filter_is_refused_with_its_position(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let error = app
        .try_set_rules(
            &admin,
            user_rule("userName ew \"@contoso.com\" and department is \"x\""),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert_eq!(
        idsync_core::error::scim_type_of(&error).as_deref(),
        Some("invalidFilter")
    );
    assert!(error.message().contains("at character 43"), "{}", error.message());

    let unknown = app
        .try_set_rules(&admin, user_rule("shoeSize gt 40"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert!(unknown.message().contains("shoeSize"), "{}", unknown.message());

    let bad_attribute = Rules {
        scoping: Vec::new(),
        matching: Some(MatchingRule {
            attributes: vec!["displayName".into()],
            policy: MatchPolicy::Adopt as i32,
        }),
    };
    let error = app.try_set_rules(&admin, bad_attribute).await.unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(error.message().contains("displayName"), "{}", error.message());
    assert_eq!(app.try_get_rules(&admin).await.unwrap(), Rules::default());
}

async fn rules_read_back_with_their_defaults_filled_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let mut rules = user_rule("active eq true");
    rules.matching = Some(MatchingRule {
        attributes: Vec::new(),
        policy: MatchPolicy::Unspecified as i32,
    });
    let stored = app.try_set_rules(&admin, rules).await.unwrap();
    assert_eq!(stored, app.try_get_rules(&admin).await.unwrap());
    assert_eq!(stored.scoping[0].create_policy, CreatePolicy::Reject as i32);
    assert_eq!(stored.scoping[0].update_policy, UpdatePolicy::Deactivate as i32);
    let matching = stored.matching.unwrap();
    assert_eq!(matching.attributes, ["externalId", "userName"]);
    assert_eq!(matching.policy, MatchPolicy::Conflict as i32);

    // Setting is replacing: an empty set clears everything.
    assert_eq!(
        app.try_set_rules(&admin, Rules::default()).await.unwrap(),
        Rules::default()
    );
}

async fn scim_and_read_tokens_may_not_touch_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reader = app.new_token(Scope::Read).await;
    for token in [app.token.as_str(), reader.as_str()] {
        let get = app.try_get_rules(token).await.unwrap_err();
        assert_eq!(get.code(), Code::PermissionDenied);
        let set = app.try_set_rules(token, user_rule("active eq true")).await.unwrap_err();
        assert_eq!(set.code(), Code::PermissionDenied);
    }
    let admin = app.new_token(Scope::Admin).await;
    assert_eq!(app.try_get_rules(&admin).await.unwrap(), Rules::default());
}

async fn admin_tokens_may_not_write_scim_resources(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let response = app
        .send(
            reqwest::Method::POST,
            "/Users",
            Some(&admin),
            Some(&json!({"userName": "ada@contoso.com"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let group = app
        .send(
            reqwest::Method::POST,
            "/Groups",
            Some(&admin),
            Some(&json!({"displayName": "G"})),
        )
        .await;
    assert_eq!(group.status(), StatusCode::FORBIDDEN);
}

async fn rules_belong_to_one_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.set_rules(user_rule("userName ew \"@contoso.com\"")).await;
    let (_, other_admin) = app.new_tenant("fabrikam", Scope::Admin).await;
    assert_eq!(app.try_get_rules(&other_admin).await.unwrap(), Rules::default());
}

on_both_backends!(
    an_invalid_scoping_filter_is_refused_with_its_position,
    rules_read_back_with_their_defaults_filled_in,
    scim_and_read_tokens_may_not_touch_rules,
    admin_tokens_may_not_write_scim_resources,
    rules_belong_to_one_tenant,
);
