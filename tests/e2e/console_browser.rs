//! The admin console in a real browser (headless chromium over WebDriver): what an admin
//! does from sign-in to a revoked token, and the guards a browser meets.

use idsync_storage::records::Scope;
use idsync_tests::browser::Browser;
use idsync_tests::console::console_url;
use idsync_tests::{Backend, TestApp, on_both_backends};
use reqwest::StatusCode;
use serde_json::json;

/// Signs in through the form, as an admin would.
async fn sign_in(browser: &Browser, app: &TestApp, token: &str) {
    let console = console_url(app);
    browser.goto(&format!("{console}/sign-in")).await;
    browser.fill("input[name=token]", token).await;
    browser.click("form[action='/admin/sign-in'] button[type=submit]").await;
    browser.find("nav[aria-label=Console]").await;
    assert_eq!(browser.url().await, format!("{console}"), "the overview after sign-in");
}

/// `GET /Users` with `token`: its status.
async fn list_users_with(app: &TestApp, token: &str) -> StatusCode {
    app.http
        .get(format!("{}/Users", app.tenant_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn a_token_added_in_the_console_provisions_until_it_is_revoked_there(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let browser = Browser::start().await;
    sign_in(&browser, &app, &admin).await;

    // API Settings → Add New Token.
    browser.click("nav a[href='/admin/settings']").await;
    assert_eq!(browser.text("[data-testid=tenant-url]").await, app.tenant_url);
    browser.fill("#label", "Entra provisioning").await;
    let scope = browser.find("#scope").await;
    assert_eq!(
        scope.prop("value").await.unwrap().as_deref(),
        Some("scim"),
        "scope defaults to scim"
    );
    browser.click("[data-testid=add-token]").await;
    let secret = browser.text("[data-testid=new-token]").await;
    assert!(secret.len() >= 32, "a secret is shown: {secret:?}");
    assert!(
        !browser.url().await.contains(&secret),
        "the secret is not in the address"
    );
    // The copy button's script runs (headless chromium may refuse the clipboard; the
    // button says which).
    browser.click("button[data-copy=new-token]").await;
    let copied = browser.text("button[data-copy=new-token]").await;
    assert!(["Copied", "Select and copy"].contains(&copied.as_str()), "{copied}");
    let steps = browser.source().await;
    for step in ["Automatic", "Test Connection", "Save"] {
        assert!(steps.contains(step), "the Entra steps name {step}");
    }

    // Entra uses it.
    assert_eq!(list_users_with(&app, &secret).await, StatusCode::OK);
    let created = app
        .http
        .post(format!("{}/Users", app.tenant_url))
        .bearer_auth(&secret)
        .header("content-type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@contoso.com"})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let request_id = created.headers()["x-request-id"].to_str().unwrap().to_owned();

    // The write is in the provisioning log, by its request id.
    browser.goto(&format!("{}/log", console_url(&app))).await;
    let row = browser.find(&format!("tr[data-request-id='{request_id}']")).await;
    let row = row.text().await.unwrap();
    assert!(row.contains("create") && row.contains("User"), "{row}");

    // Revoke it in the tokens table, after a confirmation.
    browser.goto(&format!("{}/settings", console_url(&app))).await;
    assert!(
        !browser.source().await.contains(&secret),
        "the secret is shown once only"
    );
    browser
        .click("tr[data-token-label='Entra provisioning'] a[data-testid=revoke]")
        .await;
    assert_eq!(
        list_users_with(&app, &secret).await,
        StatusCode::OK,
        "not revoked before confirming"
    );
    browser.click("[data-testid=confirm-revoke]").await;
    browser.find("[data-testid=tokens]").await;
    assert_eq!(list_users_with(&app, &secret).await, StatusCode::UNAUTHORIZED);
    browser.close().await;
}

async fn a_rule_with_an_invalid_filter_is_shown_as_an_error_and_not_saved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let before = app.try_get_rules(&admin).await.unwrap();
    let browser = Browser::start().await;
    sign_in(&browser, &app, &admin).await;
    browser.click("nav a[href='/admin/rules']").await;
    browser.fill("#user_filter", "userName ew").await;
    browser.click("[data-testid=save-rules]").await;
    let error = browser.text("[data-testid=rules-error]").await;
    assert!(error.contains("invalidFilter"), "{error}");
    assert_eq!(
        browser
            .find("#user_filter")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("userName ew"),
        "what was typed is kept"
    );
    assert_eq!(app.try_get_rules(&admin).await.unwrap(), before, "nothing saved");
    browser.close().await;
}

async fn the_browser_meets_the_sign_in_page_and_a_form_without_its_csrf_token_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let console = console_url(&app);
    let browser = Browser::start().await;

    // No session: every page leads to sign-in.
    browser.goto(&format!("{console}/users")).await;
    assert_eq!(browser.url().await, format!("{console}/sign-in"));
    let field = browser.find("form[action='/admin/sign-in'] input[type=password]").await;
    assert_eq!(field.attr("name").await.unwrap().as_deref(), Some("token"));

    // A wrong token is refused on the page.
    browser.fill("input[name=token]", "not-a-token").await;
    browser.click("form[action='/admin/sign-in'] button[type=submit]").await;
    browser.wait_for_text("[role=alert]", "not accepted").await;

    // Signed in, a form whose CSRF field was removed is refused and changes nothing.
    sign_in(&browser, &app, &admin).await;
    browser.goto(&format!("{console}/settings")).await;
    let tokens_before = browser.find_all("[data-testid=tokens] tbody tr").await.len();
    browser
        .client
        .execute("document.querySelector('#add-token input[name=csrf]').remove()", vec![])
        .await
        .unwrap();
    browser.fill("#label", "forged").await;
    browser.click("[data-testid=add-token]").await;
    browser.wait_for_text("h1", "This form has expired").await;
    browser.goto(&format!("{console}/settings")).await;
    assert_eq!(
        browser.find_all("[data-testid=tokens] tbody tr").await.len(),
        tokens_before,
        "no token added"
    );

    // Signing out ends the session: pages lead to sign-in again.
    browser.click("form[action='/admin/sign-out'] button").await;
    browser.find("input[name=token]").await;
    browser.goto(&format!("{console}/settings")).await;
    assert_eq!(browser.url().await, format!("{console}/sign-in"));
    browser.close().await;
}

on_both_backends!(
    a_token_added_in_the_console_provisions_until_it_is_revoked_there,
    a_rule_with_an_invalid_filter_is_shown_as_an_error_and_not_saved,
    the_browser_meets_the_sign_in_page_and_a_form_without_its_csrf_token_is_refused,
);
