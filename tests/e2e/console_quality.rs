//! The console's pages as people with different means use them: WCAG 2.1 AA as axe-core
//! checks it (labels, contrast, names, structure) on every page, the keyboard alone, and
//! a phone-sized window.

use fantoccini::key::Key;
use idsync_proto::v1::{CreatePolicy, RuleResource, Rules, UpdatePolicy};
use idsync_storage::records::Scope;
use idsync_tests::browser::Browser;
use idsync_tests::console::console_url;
use idsync_tests::{Backend, TestApp, on_both_backends, scoping_rule};
use serde_json::json;

/// A tenant with something on every page: users, a group, a failure, a rule.
async fn populated(backend: Backend) -> (TestApp, String, String) {
    let app = TestApp::spawn(backend).await;
    let ada = app
        .created_user(&json!({"userName": "ada@contoso.com", "displayName": "Ada Lovelace",
                              "emails": [{"type": "work", "value": "ada@contoso.com"}]}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = app.group_with("Engineering", &[ada.as_str()]).await;
    app.create_user(&json!({"userName": "ada@contoso.com"})).await;
    app.set_rules(Rules {
        scoping: vec![scoping_rule(
            RuleResource::User,
            r#"userName ew "@contoso.com""#,
            CreatePolicy::Reject,
            UpdatePolicy::Deactivate,
        )],
        matching: None,
    })
    .await;
    (app, ada, group)
}

async fn every_page_meets_wcag_aa_as_axe_checks_it(backend: Backend) {
    let (app, ada, group) = populated(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let console = console_url(&app);
    let browser = Browser::start().await;
    browser.goto(&format!("{console}/sign-in")).await;
    let mut broken = Vec::new();
    broken.extend(
        browser
            .accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("sign-in: {v}")),
    );
    browser.fill("input[name=token]", &admin).await;
    browser.click("form[action='/admin/sign-in'] button[type=submit]").await;
    browser.find("nav[aria-label=Console]").await;
    let pages = [
        String::new(),
        "/settings".into(),
        "/users".into(),
        "/users?filter=userName+eq".into(),
        format!("/users/{ada}"),
        "/groups".into(),
        format!("/groups/{group}"),
        "/log".into(),
        "/rules".into(),
        "/tenants".into(),
        format!("/settings/tokens/{}/revoke", "no-such-token"),
    ];
    for path in &pages {
        browser.goto(&format!("{console}{path}")).await;
        browser.find("main h1").await;
        broken.extend(
            browser
                .accessibility_violations()
                .await
                .into_iter()
                .map(|v| format!("{path}: {v}")),
        );
    }
    // The pages that answer a form: a new secret, and a rule refused.
    browser.goto(&format!("{console}/settings")).await;
    browser.fill("#label", "Entra").await;
    browser.click("[data-testid=add-token]").await;
    browser.find("[data-testid=new-token]").await;
    broken.extend(
        browser
            .accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("new token: {v}")),
    );
    browser.goto(&format!("{console}/rules")).await;
    browser.fill("#user_filter", "userName ew").await;
    browser.click("[data-testid=save-rules]").await;
    browser.find("[data-testid=rules-error]").await;
    broken.extend(
        browser
            .accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("rules error: {v}")),
    );
    assert!(broken.is_empty(), "accessibility violations:\n{}", broken.join("\n"));
    browser.close().await;
}

async fn an_admin_signs_in_and_moves_around_with_the_keyboard_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let console = console_url(&app);
    let browser = Browser::start().await;
    browser.goto(&format!("{console}/sign-in")).await;
    // The token field has the focus: type, then Enter submits.
    let focused = browser.client.active_element().await.unwrap();
    assert_eq!(focused.attr("name").await.unwrap().as_deref(), Some("token"));
    focused
        .send_keys(&format!("{admin}{}", char::from(Key::Enter)))
        .await
        .unwrap();
    browser.find("nav[aria-label=Console]").await;

    // The first Tab reaches "Skip to content", which moves the focus to the page.
    let body = browser.find("body").await;
    body.send_keys(&char::from(Key::Tab).to_string()).await.unwrap();
    let skip = browser.client.active_element().await.unwrap();
    assert_eq!(skip.text().await.unwrap(), "Skip to content");
    skip.send_keys(&char::from(Key::Enter).to_string()).await.unwrap();
    let main = browser.client.active_element().await.unwrap();
    assert_eq!(main.attr("id").await.unwrap().as_deref(), Some("main"));

    // Tab onwards reaches the navigation's links; Enter follows one.
    let mut reached = None;
    for _ in 0..20 {
        let here = browser.client.active_element().await.unwrap();
        if here.attr("href").await.unwrap().as_deref() == Some("/admin/users") {
            reached = Some(here);
            break;
        }
        here.send_keys(&char::from(Key::Tab).to_string()).await.unwrap();
    }
    let users = reached.expect("Tab reaches the Users link");
    users.send_keys(&char::from(Key::Enter).to_string()).await.unwrap();
    browser.wait_for_text("main h1", "Users").await;
    assert_eq!(browser.url().await, format!("{console}/users"));
    browser.close().await;
}

async fn on_a_phone_sized_window_no_page_scrolls_sideways(backend: Backend) {
    let (app, ada, _) = populated(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let console = console_url(&app);
    let phone = Browser::start_sized(390, 844).await;
    phone.goto(&format!("{console}/sign-in")).await;
    phone.fill("input[name=token]", &admin).await;
    phone.click("form[action='/admin/sign-in'] button[type=submit]").await;
    phone.find("nav[aria-label=Console]").await;
    let mut wide = Vec::new();
    for path in [
        String::new(),
        "/settings".into(),
        "/users".into(),
        format!("/users/{ada}"),
        "/log".into(),
        "/rules".into(),
    ] {
        phone.goto(&format!("{console}{path}")).await;
        phone.find("main h1").await;
        if phone.scrolls_sideways().await {
            wide.push(path);
        }
    }
    assert!(wide.is_empty(), "pages wider than a phone: {wide:?}");
    phone.close().await;
}

async fn with_javascript_off_an_admin_signs_in_adds_a_token_and_revokes_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let console = console_url(&app);
    let browser = Browser::start_without_javascript().await;
    browser.goto(&format!("{console}/sign-in")).await;
    browser.fill("input[name=token]", &admin).await;
    browser.click("form[action='/admin/sign-in'] button[type=submit]").await;
    browser.find("nav[aria-label=Console]").await;
    browser.goto(&format!("{console}/settings")).await;
    browser.fill("#label", "no script").await;
    browser.click("[data-testid=add-token]").await;
    let secret = browser.text("[data-testid=new-token]").await;
    assert!(secret.starts_with("idsync_"), "{secret}");
    // The page's own script really is off: its copy button does nothing.
    browser.click("button[data-copy=new-token]").await;
    assert_eq!(browser.text("button[data-copy=new-token]").await, "Copy");
    browser.goto(&format!("{console}/settings")).await;
    browser
        .click("tr[data-token-label='no script'] a[data-testid=revoke]")
        .await;
    browser.click("[data-testid=confirm-revoke]").await;
    browser.find("[data-testid=revoked-notice]").await;
    let refused = app
        .http
        .get(format!("{}/Users", app.tenant_url))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    browser.close().await;
}

on_both_backends!(
    with_javascript_off_an_admin_signs_in_adds_a_token_and_revokes_it,
    every_page_meets_wcag_aa_as_axe_checks_it,
    an_admin_signs_in_and_moves_around_with_the_keyboard_alone,
    on_a_phone_sized_window_no_page_scrolls_sideways,
);
