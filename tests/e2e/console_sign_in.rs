//! Signing in to the admin console over HTTP: who gets in, what the session cookie
//! says, how failures are throttled, and that signing out ends the session.

use std::time::Duration;

use idsync_core::CoreSettings;
use idsync_storage::records::Scope;
use idsync_tests::console::{ConsoleClient, console_url, location, set_cookie, try_sign_in};
use idsync_tests::{Backend, ShieldSettings, TestApp, on_both_backends};
use reqwest::StatusCode;

async fn only_an_admin_token_opens_a_session_and_its_cookie_is_http_only_and_strict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let base = console_url(&app);

    let wrong = try_sign_in(&base, "idsync_not-a-token").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        set_cookie(&wrong, "idsync_console").is_none(),
        "no session for a wrong token"
    );
    let page = wrong.text().await.unwrap();
    assert!(page.contains("not accepted"), "{page}");
    assert!(!page.contains("idsync_not-a-token"), "the token is not echoed");

    let scim = try_sign_in(&base, &app.token).await;
    assert_eq!(
        scim.status(),
        StatusCode::FORBIDDEN,
        "Entra's token is not an admin token"
    );
    assert!(set_cookie(&scim, "idsync_console").is_none());
    assert!(!scim.text().await.unwrap().contains(&app.token));

    let admin = app.new_token(Scope::Admin).await;
    let signed = try_sign_in(&base, &admin).await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed), Some("/admin"));
    let cookie = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with("idsync_console="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie} has {attribute}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP on loopback: no Secure");
    assert!(!cookie.contains(&admin), "the cookie is a session id, not the token");
}

async fn signing_out_ends_the_session_and_a_revoked_token_ends_it_too(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let console = ConsoleClient::sign_in(&app, &admin).await;
    let out = console.post("/sign-out", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), Some("/admin/sign-in"));
    let after = console.get_response("/users").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the old cookie opens nothing");
    assert_eq!(location(&after), Some("/admin/sign-in"));

    // A session whose token is revoked elsewhere (the CLI, another admin) is refused by
    // the core on its next page, which sends the admin to sign in.
    let console = ConsoleClient::sign_in(&app, &admin).await;
    let other_admin = app.new_token(Scope::Admin).await;
    let other = ConsoleClient::sign_in(&app, &other_admin).await;
    let session_token_id = {
        let (_, page) = console.get("/settings").await;
        let marker = page
            .find("data-testid=\"this-session\"")
            .expect("the session's own token is marked");
        let row = page[..marker].rfind("data-token-id=\"").unwrap() + "data-token-id=\"".len();
        page[row..row + page[row..].find('"').unwrap()].to_owned()
    };
    let revoked = other
        .post(&format!("/settings/tokens/{session_token_id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    // The core caches tokens briefly (`token_cache_ttl_secs`); within it the session may
    // still read, after it the core refuses and the console asks to sign in again.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let page = console.get_response("/users").await;
        if page.status() == StatusCode::SEE_OTHER {
            assert_eq!(location(&page), Some("/admin/sign-in"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the revoked session still reads");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn failed_sign_ins_are_throttled_per_address(backend: Backend) {
    let shield = ShieldSettings {
        auth_failure_burst: 3,
        auth_failures_per_minute: 1,
        ..ShieldSettings::default()
    };
    let app = TestApp::spawn_shielded(backend, CoreSettings::default(), shield).await;
    let base = console_url(&app);
    for _ in 0..4 {
        let wrong = try_sign_in(&base, "idsync_guess").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    // Out of failures: the address waits, and the answer is a page that says so.
    let http = reqwest::Client::new();
    let throttled = http.get(format!("{base}/sign-in")).send().await.unwrap();
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert!(
        throttled.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let page = throttled.text().await.unwrap();
    assert!(page.contains("Too many failed sign-ins"), "{page}");
}

on_both_backends!(
    only_an_admin_token_opens_a_session_and_its_cookie_is_http_only_and_strict,
    signing_out_ends_the_session_and_a_revoked_token_ends_it_too,
    failed_sign_ins_are_throttled_per_address,
);
