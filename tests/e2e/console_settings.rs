//! The console's API Settings (Tenant URL, Secret Tokens) and Tenants pages, over HTTP.

use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::{ListTenantsRequest, ListTokensRequest, TokenInfo, TokenScope};
use idsync_storage::records::Scope;
use idsync_tests::console::{ConsoleClient, location};
use idsync_tests::{Backend, TestApp, authed, on_both_backends};
use reqwest::{Method, StatusCode};

/// The text of the element with `data-testid="{id}"` (a leaf such as a copyable value).
fn testid_text(html: &str, id: &str) -> Option<String> {
    let marker = format!(r#"data-testid="{id}""#);
    let at = html.find(&marker)? + marker.len();
    let start = at + html[at..].find('>')? + 1;
    let end = start + html[start..].find('<')?;
    Some(html[start..end].to_owned())
}

/// The `data-token-id` of the tokens table's row labelled `label`.
fn token_id(html: &str, label: &str) -> String {
    let marker = format!(r#"data-token-label="{label}" data-token-id=""#);
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("a row for {label}: {html}"))
        + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

/// The opening tag of the tokens table's row labelled `label`.
fn token_row<'h>(html: &'h str, label: &str) -> &'h str {
    let at = html.find(&format!(r#"<tr data-token-label="{label}""#)).unwrap();
    &html[at..at + html[at..].find('>').unwrap()]
}

async fn tokens(app: &TestApp, admin: &str) -> Vec<TokenInfo> {
    let mut client = AdminClient::connect(app.grpc_url()).await.unwrap();
    client
        .list_tokens(authed(admin, ListTokensRequest {}))
        .await
        .unwrap()
        .into_inner()
        .tokens
}

/// Creates a token on the settings page; returns the page and the secret shown.
async fn created_token(console: &ConsoleClient, label: &str, scope: &str) -> (String, String) {
    let answer = console
        .post(
            "/settings/tokens",
            &[("label", label), ("scope", scope), ("expires", "")],
        )
        .await;
    assert_eq!(
        answer.status(),
        StatusCode::OK,
        "the secret is answered, not redirected to"
    );
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let page = answer.text().await.unwrap();
    let secret = testid_text(&page, "new-token").expect("the new secret is shown");
    (page, secret)
}

async fn the_settings_page_shows_the_tenant_url(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = ConsoleClient::sign_in(&app, &app.new_token(Scope::Admin).await).await;
    let answer = console.get_response("/settings").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let page = answer.text().await.unwrap();
    assert!(page.contains("API Settings"), "{page}");
    assert_eq!(
        testid_text(&page, "tenant-url").as_deref(),
        Some(app.tenant_url.as_str())
    );
    assert!(page.contains(r#"id="add-token""#), "{page}");
    // The expiry is optional and warned about: Entra must get a token that never expires.
    assert!(
        page.contains(r#"<option value="scim" selected>"#),
        "scope defaults to scim: {page}"
    );
    let expires = &page[page.find(r#"name="expires""#).unwrap()..];
    assert!(
        !expires[..expires.find('>').unwrap()].contains("required"),
        "optional: {expires}"
    );
    let warning = &page[page.find(r#"id="expires-warning""#).expect("a warning by the expiry")..];
    assert!(warning[..warning.find("</p>").unwrap()].contains("Entra"), "{warning}");
    assert!(
        page.contains(r#"data-testid="this-session""#),
        "the session's own token is marked"
    );
}

async fn a_new_token_is_shown_once_and_works_for_scim(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = ConsoleClient::sign_in(&app, &app.new_token(Scope::Admin).await).await;
    let (page, secret) = created_token(&console, "Entra production", "scim").await;
    assert_eq!(
        testid_text(&page, "new-token-tenant-url").as_deref(),
        Some(app.tenant_url.as_str())
    );
    for step in [
        "Provisioning Mode",
        "Automatic",
        "Test Connection",
        "Save",
        "Start provisioning",
    ] {
        assert!(page.contains(step), "the Entra steps name {step:?}");
    }
    assert!(page.contains("will not be shown again"));

    let users = app.send(Method::GET, "/Users", Some(&secret), None).await;
    assert_eq!(users.status(), StatusCode::OK, "the new secret is a working scim token");

    let (status, settings) = console.get("/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!settings.contains(&secret), "the secret is shown only once");
    assert!(token_row(&settings, "Entra production").contains(r#"data-status="active""#));
    let (_, overview) = console.get("").await;
    assert!(!overview.contains(&secret));
}

async fn an_expiry_in_the_past_is_refused_inline_and_creates_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let console = ConsoleClient::sign_in(&app, &admin).await;
    let before = tokens(&app, &admin).await.len();
    let answer = console
        .post(
            "/settings/tokens",
            &[("label", "Stale"), ("scope", "read"), ("expires", "2000-01-01")],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let page = answer.text().await.unwrap();
    assert!(
        page.contains(r#"role="alert""#) && page.contains("in the past"),
        "{page}"
    );
    assert!(page.contains(r#"value="Stale""#), "what was typed is kept");
    assert!(page.contains(r#"<option value="read" selected>"#), "{page}");
    assert!(testid_text(&page, "new-token").is_none());
    assert_eq!(tokens(&app, &admin).await.len(), before);

    let answer = console
        .post(
            "/settings/tokens",
            &[("label", "Odd"), ("scope", "scim"), ("expires", "soon")],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(tokens(&app, &admin).await.len(), before);
}

async fn a_revoked_token_is_refused_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = ConsoleClient::sign_in(&app, &app.new_token(Scope::Admin).await).await;
    let (page, secret) = created_token(&console, "Entra staging", "scim").await;
    let id = token_id(&page, "Entra staging");

    let (status, confirm) = console.get(&format!("/settings/tokens/{id}/revoke")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        confirm.contains("Entra staging") && confirm.contains("scim"),
        "{confirm}"
    );
    assert!(confirm.contains(r#"data-testid="confirm-revoke""#), "{confirm}");
    assert!(!confirm.contains(r#"data-testid="own-token""#));

    let answer = console.post(&format!("/settings/tokens/{id}/revoke"), &[]).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let back = location(&answer).unwrap().to_owned();
    assert_eq!(back, format!("/admin/settings?revoked={id}"));
    let (_, settings) = console.get(back.trim_start_matches("/admin")).await;
    assert!(
        testid_text(&settings, "revoked-notice")
            .unwrap()
            .contains("Entra staging")
    );
    assert!(token_row(&settings, "Entra staging").contains(r#"data-status="revoked""#));

    let users = app.send(Method::GET, "/Users", Some(&secret), None).await;
    assert_eq!(users.status(), StatusCode::UNAUTHORIZED);

    let (status, _) = console.get("/settings/tokens/nosuchid/revoke").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let answer = console.post("/settings/tokens/nosuchid/revoke", &[]).await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
}

async fn revoking_the_sessions_own_token_signs_the_admin_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let console = ConsoleClient::sign_in(&app, &admin).await;
    let (_, settings) = console.get("/settings").await;
    let own = tokens(&app, &admin)
        .await
        .into_iter()
        .find(|t| t.scope == TokenScope::Admin as i32)
        .unwrap()
        .id;
    assert!(settings.contains(&format!(r#"data-token-id="{own}""#)));
    let (_, confirm) = console.get(&format!("/settings/tokens/{own}/revoke")).await;
    assert!(confirm.contains(r#"data-testid="own-token""#), "{confirm}");
    let answer = console.post(&format!("/settings/tokens/{own}/revoke"), &[]).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), Some("/admin/sign-in"));
    let later = console.get_response("/settings").await;
    assert_eq!(later.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&later), Some("/admin/sign-in"));
}

async fn a_token_form_without_the_csrf_field_is_refused_and_creates_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let console = ConsoleClient::sign_in(&app, &admin).await;
    let before = tokens(&app, &admin).await.len();
    let answer = console
        .post_raw("/settings/tokens", &[("label", "Forged"), ("scope", "admin")])
        .await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_eq!(tokens(&app, &admin).await.len(), before);
}

async fn only_an_operator_tenants_admin_gets_the_tenants_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, other_admin) = app.new_tenant("fabrikam", Scope::Admin).await;
    let console = ConsoleClient::sign_in(&app, &other_admin).await;
    let (status, page) = console.get("/tenants").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!page.contains(r#"data-testid="tenants""#));
    let answer = console
        .post("/tenants", &[("name", "sneaky"), ("public_url", "")])
        .await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let (_, settings) = console.get("/settings").await;
    assert!(
        !settings.contains(r#"href="/admin/tenants""#),
        "no link to a page it may not see"
    );

    let operator = app.new_token(Scope::Admin).await;
    let mut admin = AdminClient::connect(app.grpc_url()).await.unwrap();
    let names: Vec<String> = admin
        .list_tenants(authed(&operator, ListTenantsRequest {}))
        .await
        .unwrap()
        .into_inner()
        .tenants
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(!names.contains(&"sneaky".to_owned()), "{names:?}");
}

async fn an_operator_lists_and_creates_tenants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert!(app.tenant.operator, "the bootstrapped tenant is the operator");
    let console = ConsoleClient::sign_in(&app, &app.new_token(Scope::Admin).await).await;
    let (status, page) = console.get("/tenants").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-testid="tenants""#));
    assert!(page.contains(&format!(
        r#"data-tenant-name="default" data-tenant-id="{}""#,
        app.tenant.id
    )));
    assert!(page.contains(&app.tenant_url), "the list shows each Tenant URL");

    let answer = console
        .post(
            "/tenants",
            &[("name", "contoso"), ("public_url", "https://contoso.example.com/")],
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let page = answer.text().await.unwrap();
    assert_eq!(
        testid_text(&page, "new-tenant-url").as_deref(),
        Some("https://contoso.example.com/scim/v2")
    );
    assert!(page.contains(r#"data-tenant-name="contoso""#));
    // The first token is the new tenant's admin token: its console opens with it, on its
    // own tenant.
    let first = testid_text(&page, "new-tenant-token").expect("the first token is shown");
    let theirs = ConsoleClient::sign_in(&app, &first).await;
    let (_, overview) = theirs.get("").await;
    assert_eq!(testid_text(&overview, "tenant-name").as_deref(), Some("contoso"));
    let (_, tenants) = console.get("/tenants").await;
    assert!(!tenants.contains(&first), "the secret is shown once");

    let answer = console
        .post("/tenants", &[("name", "contoso"), ("public_url", "")])
        .await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    let page = answer.text().await.unwrap();
    assert!(page.contains(r#"data-testid="tenant-error""#), "{page}");
    let answer = console
        .post("/tenants", &[("name", "not a name!"), ("public_url", "")])
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(answer.text().await.unwrap().contains(r#"value="not a name!""#));
}

on_both_backends!(
    the_settings_page_shows_the_tenant_url,
    a_new_token_is_shown_once_and_works_for_scim,
    an_expiry_in_the_past_is_refused_inline_and_creates_nothing,
    a_revoked_token_is_refused_at_once,
    revoking_the_sessions_own_token_signs_the_admin_out,
    a_token_form_without_the_csrf_field_is_refused_and_creates_nothing,
    only_an_operator_tenants_admin_gets_the_tenants_page,
    an_operator_lists_and_creates_tenants,
);
