//! The provisioning log page: a SCIM write found by its request id, filters, paging,
//! a filter refused inline, and trace links.

use idsync::node::{CoreClientTls, GatewayConfig, GatewayOptions, RunningGateway, start_gateway};
use idsync_storage::records::Scope;
use idsync_tests::console::{console_url, set_cookie, try_sign_in};
use idsync_tests::{Backend, TestApp, on_both_backends};
use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{scim, section, signed_in};

on_both_backends! {
    the_log_finds_a_write_by_its_request_id_and_filters_failures,
    the_log_pages_by_fifty_keeping_its_filters,
    a_log_filter_that_cannot_be_read_is_refused_inline,
    the_log_is_filtered_by_time,
    trace_ids_link_to_the_tracing_ui_only_when_a_template_is_configured,
}

async fn the_log_finds_a_write_by_its_request_id_and_filters_failures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, created) = scim(&app, Method::POST, "/Users", json!({"userName": "ada@contoso.com"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, duplicate) = scim(&app, Method::POST, "/Users", json!({"userName": "ADA@contoso.com"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let ada = app.find_users("userName eq \"ada@contoso.com\"").await["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let console = signed_in(&app).await;

    let (status, page) = console.get("/log").await;
    assert_eq!(status, StatusCode::OK);
    let log = section(&page, "log", "table");
    let row = format!(r#"<tr data-request-id="{created}">"#);
    assert!(log.contains(&row), "{log}");
    assert!(log.contains(&format!(r#"<tr data-request-id="{duplicate}">"#)), "{log}");
    let created_row = &log[log.find(&row).unwrap()..];
    let created_row = &created_row[..created_row.find("</tr>").unwrap()];
    assert!(
        created_row.contains(&format!(r#"href="/admin/users/{ada}""#)),
        "{created_row}"
    );
    assert!(created_row.contains("<code>userName</code>") && created_row.contains("outcome-success"));
    assert!(
        !page.contains("ada@contoso.com") && !page.contains("ADA@contoso.com"),
        "names, never values"
    );

    let (status, page) = console.get("/log?outcome=failure").await;
    assert_eq!(status, StatusCode::OK);
    let log = section(&page, "log", "table");
    assert!(log.contains(&format!(r#"data-request-id="{duplicate}""#)), "{log}");
    assert!(!log.contains(&created), "only failures: {log}");
    assert!(!log.contains("outcome-success"), "{log}");
    assert!(log.contains("409") && log.contains("<code>uniqueness</code>"), "{log}");
    assert!(
        page.contains(r#"<option value="failure" selected>"#),
        "the form shows the filter"
    );

    let (_, page) = console.get("/log?outcome=success&operation=delete").await;
    assert!(page.contains(r#"data-testid="log-empty""#), "{page}");
    let (_, page) = console.get(&format!("/log?resource_type=User&resource_id={ada}")).await;
    assert!(page.contains(&created) && !page.contains(&duplicate), "by resource");
}

async fn the_log_pages_by_fifty_keeping_its_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user_id("ada@contoso.com").await;
    for i in 0..51 {
        assert_eq!(
            app.delete_user(&format!("missing-{i}")).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    let console = signed_in(&app).await;
    let (_, page) = console.get("/log?outcome=failure").await;
    assert_eq!(page.matches("<tr data-request-id=").count(), 50);
    assert!(!page.contains("log-newest"), "the first page");
    let older = page.split(r#"rel="next" href=""#).nth(1).unwrap();
    let older = older[..older.find('"').unwrap()].replace("&amp;", "&");
    assert!(older.starts_with("/admin/log?outcome=failure&page_token="), "{older}");

    let (status, page) = console.get(older.trim_start_matches("/admin")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page.matches("<tr data-request-id=").count(),
        1,
        "the oldest failure, not the success"
    );
    assert!(!page.contains("outcome-success"));
    assert!(
        page.contains(r#"href="/admin/log?outcome=failure" data-testid="log-newest""#),
        "{page}"
    );
    assert!(!page.contains("log-older"), "the last page");
}

async fn a_log_filter_that_cannot_be_read_is_refused_inline(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = signed_in(&app).await;
    let (status, page) = console.get("/log?since=yesterday&outcome=failure").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = section(&page, "filter-error", "div");
    assert!(error.contains("Since is not a date and time"), "{error}");
    assert!(page.contains(r#"role="alert""#));
    assert!(page.contains(r#"value="yesterday""#), "what was typed is kept");
    assert!(page.contains(r#"<option value="failure" selected>"#));
    let (status, _) = console
        .get("/log?since=2024-05-01T10%3A30&until=2024-05-02T10%3A30")
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn the_log_is_filtered_by_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, created) = scim(&app, Method::POST, "/Users", json!({"userName": "ada@contoso.com"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let console = signed_in(&app).await;
    // The form's `datetime-local` values, in UTC, an hour either side of the write.
    let at = |hours: i64| {
        (chrono::Utc::now() + chrono::Duration::hours(hours))
            .format("%Y-%m-%dT%H%%3A%M")
            .to_string()
    };
    let listed = |page: &str| section(page, "log", "table").contains(&created);
    let (status, page) = console.get(&format!("/log?since={}", at(-1))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(listed(&page), "since an hour ago: {page}");
    let (_, page) = console.get(&format!("/log?since={}", at(1))).await;
    assert!(!page.contains(&created), "since an hour from now");
    let (_, page) = console.get(&format!("/log?until={}", at(-1))).await;
    assert!(!page.contains(&created), "until an hour ago");
    let (_, page) = console.get(&format!("/log?since={}&until={}", at(-1), at(1))).await;
    assert!(listed(&page), "between the two");
}

/// A standalone gateway in front of `app`'s core, configured with `options`.
async fn gateway_with(app: &TestApp, options: GatewayOptions) -> RunningGateway {
    start_gateway(GatewayConfig {
        core_url: app.grpc_url(),
        core_tls: CoreClientTls::default(),
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        gateway: options,
    })
    .await
    .unwrap()
}

/// `GET <console>/log` of a session opened on the console at `base`.
async fn log_page(base: &str, token: &str) -> String {
    let signed = try_sign_in(base, token).await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&signed, "idsync_console").unwrap();
    let page = reqwest::Client::new()
        .get(format!("{base}/log"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    page.text().await.unwrap()
}

async fn trace_ids_link_to_the_tracing_ui_only_when_a_template_is_configured(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let created = app
        .request(Method::POST, "/Users")
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&json!({"userName": "ada@contoso.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let admin = app.new_token(Scope::Admin).await;

    let plain = log_page(&console_url(&app), &admin).await;
    assert!(plain.contains(&format!("<code>{trace_id}</code>")), "{plain}");
    assert!(!plain.contains("traces.example"), "no link without a template");

    let template = "https://traces.example/explore?left={trace_id}&from=now-1h";
    let gateway = gateway_with(
        &app,
        GatewayOptions {
            trace_url_template: Some(template.to_string()),
            ..GatewayOptions::default()
        },
    )
    .await;
    let linked = log_page(&format!("{}/admin", gateway.public_url), &admin).await;
    let link = format!(
        r#"<a href="https://traces.example/explore?left={trace_id}&amp;from=now-1h"><code>{trace_id}</code></a>"#
    );
    assert!(linked.contains(&link), "{linked}");
    assert!(!linked.contains("target="), "the same tab");
}
