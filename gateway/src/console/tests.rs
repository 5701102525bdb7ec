//! The console's frame, tested on the router alone (no core behind it: these paths
//! answer before any call to sync-core).

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use tonic::transport::Endpoint;
use tower::ServiceExt;

use super::guard::CONTENT_SECURITY_POLICY;
use crate::{AppState, GatewaySettings, app};

fn state() -> AppState {
    let channel = Endpoint::from_static("http://127.0.0.1:1").connect_lazy();
    AppState::new(channel, GatewaySettings::new("https://app.example.com"))
}

async fn send(request: Request<Body>) -> (axum::response::Response, String) {
    let response = app(state()).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = String::from_utf8(to_bytes(body, usize::MAX).await.unwrap().to_vec()).unwrap();
    (axum::response::Response::from_parts(parts, Body::empty()), body)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_sign_in_form_asks_for_a_token_and_sets_its_csrf_cookie() {
    let (response, body) = send(get("/admin/sign-in")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(body.contains(r#"name="token""#), "{body}");
    assert!(body.contains(r#"<label for="token">"#), "{body}");
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("idsync_console_sign_in="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Secure"));
    let csrf = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    assert!(
        body.contains(&format!(r#"name="csrf" value="{csrf}""#)),
        "the form carries the cookie's token"
    );
}

#[tokio::test]
async fn every_console_answer_forbids_inline_script_and_framing_and_pages_are_not_cached() {
    for uri in [
        "/admin/sign-in",
        "/admin/users",
        "/admin/no-such-page",
        "/admin/assets/console.css",
    ] {
        let (response, _) = send(get(uri)).await;
        let headers = response.headers();
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            CONTENT_SECURITY_POLICY,
            "{uri}"
        );
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{uri}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
    }
    let (response, _) = send(get("/admin/sign-in")).await;
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn a_page_without_a_session_redirects_to_sign_in() {
    for uri in [
        "/admin",
        "/admin/",
        "/admin/settings",
        "/admin/users/some-id",
        "/admin/log?outcome=failure",
    ] {
        let (response, _) = send(get(uri)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(response.headers()[header::LOCATION], "/admin/sign-in", "{uri}");
    }
}

#[tokio::test]
async fn a_sign_in_post_without_the_matching_csrf_token_is_refused() {
    let form = |cookie: Option<&str>, body: &str| {
        let mut request =
            Request::post("/admin/sign-in").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.body(Body::from(body.to_owned())).unwrap()
    };
    for (cookie, body) in [
        (None, "token=t&csrf=abc"),
        (Some("idsync_console_sign_in=abc"), "token=t"),
        (Some("idsync_console_sign_in=abc"), "token=t&csrf=abd"),
        (Some("idsync_console_sign_in="), "token=t&csrf="),
    ] {
        let (response, page) = send(form(cookie, body)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{cookie:?} {body}");
        assert!(page.contains("This form has expired"), "{page}");
        assert!(page.starts_with("<!DOCTYPE html>"), "an HTML page, not SCIM JSON");
    }
}

#[tokio::test]
async fn a_post_of_a_page_without_a_session_goes_to_sign_in() {
    let request = Request::post("/admin/settings/tokens")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("label=x&scope=scim"))
        .unwrap();
    let (response, _) = send(request).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/admin/sign-in");
}

#[tokio::test]
async fn assets_are_served_with_their_types_and_unknown_pages_are_html_404s() {
    let (response, body) = send(get("/admin/assets/console.js")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(body.contains("data-copy") || body.contains("dataset.copy"));
    let (response, _) = send(get("/admin/assets/console.css")).await;
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let (response, body) = send(get("/admin/no/such/page")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body.contains("There is no console page at this address."));
}

#[tokio::test]
async fn a_page_whose_core_cannot_be_reached_is_an_html_503_without_detail() {
    let state = state();
    let id = state.console().sessions.open(
        tonic::metadata::AsciiMetadataValue::from_static("Bearer idsync_s3cret"),
        super::session::SignedInAs {
            tenant_id: "t".into(),
            tenant_name: "contoso".into(),
            tenant_public_url: None,
            operator: false,
            token_id: "k".into(),
        },
    );
    let request = Request::get("/admin/users")
        .header(header::COOKIE, format!("idsync_console={id}"))
        .body(Body::empty())
        .unwrap();
    let response = app(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = String::from_utf8(to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap();
    assert!(
        body.starts_with("<!DOCTYPE html>") && body.contains("Service unavailable"),
        "{body}"
    );
    for leak in ["127.0.0.1:1", "transport", "Connection refused", "s3cret"] {
        assert!(!body.contains(leak), "the page shows {leak:?}: {body}");
    }
}
