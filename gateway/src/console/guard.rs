//! What every console answer gets, and what every console form must carry.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error::{ConsoleError, SIGN_IN_PATH};
use super::session::{SESSION_COOKIE, SIGN_IN_COOKIE, cookie};
use crate::AppState;

/// No inline script or style, nothing from another origin, no framing.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Sets the security headers of every console answer; pages are never cached.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let asset = request.uri().path().starts_with("/admin/assets/");
    let mut response = next.run(request).await;
    secure(response.headers_mut(), asset);
    response
}

/// The headers of [`security_headers`], on `headers`.
pub(crate) fn secure(headers: &mut axum::http::HeaderMap, asset: bool) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// The most a console form may weigh; the largest is the rules form.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// Refuses a POST whose `csrf` field is not the one its session (or, for sign-in, its
/// sign-in cookie) issued: 403, nothing done. The body is read here and handed on.
pub(crate) async fn require_csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let expected = if request.uri().path() == SIGN_IN_PATH {
        cookie(request.headers(), SIGN_IN_COOKIE).map(str::to_owned)
    } else {
        match cookie(request.headers(), SESSION_COOKIE).and_then(|id| state.console().sessions.get(id)) {
            Some(session) => Some(session.csrf.clone()),
            None => return ConsoleError::SignIn.into_response(),
        }
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return ConsoleError::Api(crate::ApiError::payload_too_large("the form is too large")).into_response();
    };
    let sent = form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == "csrf")
        .map(|(_, value)| value.into_owned());
    let matches = match (expected, sent) {
        (Some(expected), Some(sent)) if !expected.is_empty() => bool::from(expected.as_bytes().ct_eq(sent.as_bytes())),
        _ => false,
    };
    if !matches {
        return ConsoleError::Csrf.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
