//! The console's monitoring pages over HTTP: the overview's counts and failures (here),
//! the provisioning log (`log`: found by request id, filtered, paged, linked to traces)
//! and the rules form (`rules`: saved, refused, dry-run), each checked against what the
//! core holds.

mod log;
mod rules;

use idsync_storage::records::Scope;
use idsync_tests::console::ConsoleClient;
use idsync_tests::{Backend, TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends! {
    the_overview_counts_users_active_users_and_groups_and_shows_entras_last_write,
    a_failed_write_is_counted_by_scim_type_on_the_overview,
}

/// The text of the element with `data-testid="{id}"` up to its first child tag.
pub(super) fn testid(html: &str, id: &str) -> String {
    let marker = format!(r#"data-testid="{id}""#);
    let at = html.find(&marker).unwrap_or_else(|| panic!("no {marker} in {html}"));
    let start = at + html[at..].find('>').unwrap() + 1;
    let end = start + html[start..].find('<').unwrap();
    html[start..end].trim().to_string()
}

/// The markup of the element with `data-testid="{id}"`, up to the end of `tag`.
pub(super) fn section<'h>(html: &'h str, id: &str, tag: &str) -> &'h str {
    let at = html
        .find(&format!(r#"data-testid="{id}""#))
        .unwrap_or_else(|| panic!("no {id} in {html}"));
    let end = at + html[at..].find(&format!("</{tag}>")).unwrap();
    &html[at..end]
}

pub(super) async fn signed_in(app: &TestApp) -> ConsoleClient {
    let admin = app.new_token(Scope::Admin).await;
    ConsoleClient::sign_in(app, &admin).await
}

/// Sends a SCIM request as Entra; returns its status and its `x-request-id`.
pub(super) async fn scim(app: &TestApp, method: Method, path: &str, body: serde_json::Value) -> (StatusCode, String) {
    let response = app.request(method, path).json(&body).send().await.unwrap();
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_string();
    (response.status(), request_id)
}

async fn the_overview_counts_users_active_users_and_groups_and_shows_entras_last_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = signed_in(&app).await;
    let (status, page) = console.get("").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<title>Overview"), "{page}");
    assert!(
        testid(&page, "last-request").starts_with("No request from Entra yet"),
        "{page}"
    );
    assert!(page.contains(r#"href="/admin/settings""#));
    assert_eq!(testid(&page, "users-count"), "0");

    app.created_user(&json!({"userName": "ada@contoso.com", "active": true}))
        .await;
    app.created_user(&json!({"userName": "bob@contoso.com", "active": false}))
        .await;
    app.group_id("Engineering").await;

    let (_, page) = console.get("").await;
    assert_eq!(testid(&page, "users-count"), "2");
    assert_eq!(testid(&page, "active-users-count"), "1");
    assert_eq!(testid(&page, "groups-count"), "1");
    let last = section(&page, "last-request", "dl");
    assert!(
        last.contains("create Group") && last.contains("outcome-success"),
        "{last}"
    );
    assert_eq!(
        last.matches(" UTC").count(),
        2,
        "the last request and write have times: {last}"
    );
    assert!(page.contains(r#"data-testid="no-failures""#), "{page}");
    let head: u64 = testid(&page, "feed-head").parse().unwrap();
    assert!(head > 0, "three writes are in the feed");
    assert_eq!(testid(&page, "watchers"), "0");
}

async fn a_failed_write_is_counted_by_scim_type_on_the_overview(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.created_user(&json!({"userName": "ada@contoso.com"})).await;
    let duplicate = app.create_user(&json!({"userName": "ADA@contoso.com"})).await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let console = signed_in(&app).await;

    let (_, page) = console.get("").await;
    let failures = section(&page, "failures", "table");
    assert!(
        failures.contains("<code>uniqueness</code></td><td>1</td>"),
        "{failures}"
    );
    assert!(
        failures.contains(r#"href="/admin/log?outcome=failure&amp;since="#),
        "{failures}"
    );
    let last = section(&page, "last-request", "dl");
    assert!(
        last.contains("outcome-failure") && last.contains("409") && last.contains("uniqueness"),
        "{last}"
    );
    assert!(!page.contains("ADA@contoso.com"), "the overview shows no value");
}
