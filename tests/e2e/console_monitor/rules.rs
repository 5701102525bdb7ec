//! The rules page: an invalid rule refused inline with nothing saved, valid rules saved
//! and shown, and a dry run that counts and saves nothing.

use idsync_proto::v1::{CreatePolicy, MatchPolicy, MatchingRule, RuleResource, Rules, UpdatePolicy};
use idsync_storage::records::Scope;
use idsync_tests::console::{ConsoleClient, location};
use idsync_tests::{Backend, CONTOSO_STAFF, TestApp, on_both_backends, scoping_rule};
use reqwest::StatusCode;

use super::section;

on_both_backends! {
    a_rule_with_an_invalid_filter_is_refused_inline_and_nothing_is_saved,
    valid_rules_are_saved_and_shown_and_an_empty_form_clears_them,
    a_dry_run_counts_who_would_leave_scope_and_saves_nothing,
}

async fn a_rule_with_an_invalid_filter_is_refused_inline_and_nothing_is_saved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.scope_users(CONTOSO_STAFF, CreatePolicy::Reject, UpdatePolicy::Deactivate)
        .await;
    let admin = app.new_token(Scope::Admin).await;
    let before = app.try_get_rules(&admin).await.unwrap();
    let console = ConsoleClient::sign_in(&app, &admin).await;

    for action in ["save", "dry-run"] {
        let answer = console
            .post(
                "/rules",
                &[
                    ("user_filter", "userName eq"),
                    ("user_create_policy", "accept-disabled"),
                    ("user_update_policy", "delete"),
                    ("group_filter", "displayName pr"),
                    ("match_policy", "none"),
                    ("action", action),
                ],
            )
            .await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{action}");
        let page = answer.text().await.unwrap();
        let error = section(&page, "rules-error", "div");
        assert!(error.contains("<code>invalidFilter</code>"), "{action}: {error}");
        assert!(page.contains(r#"role="alert""#));
        assert!(page.contains(r#"value="userName eq""#), "what was typed is kept");
        assert!(page.contains(r#"<option value="delete" selected>"#));
        assert!(!page.contains("dry-run-result"));
        assert_eq!(
            app.try_get_rules(&admin).await.unwrap(),
            before,
            "{action} changed nothing"
        );
    }
}

async fn valid_rules_are_saved_and_shown_and_an_empty_form_clears_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let console = ConsoleClient::sign_in(&app, &admin).await;
    let (status, page) = console.get("/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-testid="save-rules""#) && page.contains(r#"data-testid="dry-run""#));
    assert!(
        page.contains(r#"<option value="none" selected>"#),
        "no matching rule yet"
    );

    let saved = console
        .post(
            "/rules",
            &[
                ("user_filter", "userName ew \"@contoso.com\""),
                ("user_create_policy", "accept-disabled"),
                ("user_update_policy", "delete"),
                ("group_filter", ""),
                ("group_create_policy", "reject"),
                ("group_update_policy", "deactivate"),
                ("matching_attributes", "externalId\r\nemails[type eq \"work\"].value"),
                ("match_policy", "adopt"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), Some("/admin/rules?saved=1"));
    let expected = Rules {
        scoping: vec![scoping_rule(
            RuleResource::User,
            "userName ew \"@contoso.com\"",
            CreatePolicy::AcceptDisabled,
            UpdatePolicy::Delete,
        )],
        matching: Some(MatchingRule {
            attributes: vec!["externalId".into(), "emails[type eq \"work\"].value".into()],
            policy: MatchPolicy::Adopt as i32,
        }),
    };
    assert_eq!(app.try_get_rules(&admin).await.unwrap(), expected);

    let (_, page) = console.get("/rules?saved=1").await;
    assert!(page.contains(r#"data-testid="rules-saved""#), "{page}");
    assert!(
        page.contains(r#"value="userName ew &quot;@contoso.com&quot;""#),
        "{page}"
    );
    assert!(page.contains(r#"<option value="adopt" selected>"#));
    let (_, page) = console.get("/rules").await;
    assert!(!page.contains("rules-saved"), "the notice only after a save");

    let cleared = console
        .post(
            "/rules",
            &[
                ("user_filter", " "),
                ("group_filter", ""),
                ("matching_attributes", ""),
                ("match_policy", "none"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(cleared.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.try_get_rules(&admin).await.unwrap(), Rules::default());
}

async fn a_dry_run_counts_who_would_leave_scope_and_saves_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for user in ["ada@contoso.com", "bob@contoso.com", "eve@fabrikam.com"] {
        app.user_id(user).await;
    }
    app.group_id("Engineering").await;
    app.group_id("Sales").await;
    let admin = app.new_token(Scope::Admin).await;
    let console = ConsoleClient::sign_in(&app, &admin).await;

    let answer = console
        .post(
            "/rules",
            &[
                ("user_filter", "userName ew \"@contoso.com\""),
                ("user_create_policy", "reject"),
                ("user_update_policy", "deactivate"),
                ("group_filter", "displayName eq \"Engineering\""),
                ("group_create_policy", "reject"),
                ("group_update_policy", "deactivate"),
                ("match_policy", "none"),
                ("action", "dry-run"),
            ],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let page = answer.text().await.unwrap();
    let result = section(&page, "dry-run-result", "div");
    assert!(
        result.contains("1 of 3 users in scope would leave it; 1 of 2 groups."),
        "{result}"
    );
    assert!(
        page.contains(r#"value="displayName eq &quot;Engineering&quot;""#),
        "the typed rules stay in the form"
    );
    assert_eq!(
        app.try_get_rules(&admin).await.unwrap(),
        Rules::default(),
        "nothing saved"
    );

    let none = console
        .post(
            "/rules",
            &[("user_filter", ""), ("match_policy", "none"), ("action", "dry-run")],
        )
        .await;
    let page = none.text().await.unwrap();
    assert!(
        section(&page, "dry-run-result", "div").contains("0 of 3 users in scope would leave it; 0 of 2 groups."),
        "{page}"
    );
}
