//! Signing in with an `admin` token of a tenant, and signing out.
//!
//! The token is checked by sync-core (`WhoAmI`), like any call's. A wrong token answers
//! 401, which the gateway's shield counts against the client's address: after a burst
//! of failures the address waits, as it would for failed SCIM authentications.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::discovery_client::DiscoveryClient;
use idsync_proto::v1::{GetTenantRequest, TokenScope, WhoAmIRequest};
use maud::{Markup, html};
use serde::Deserialize;
use tonic::metadata::AsciiMetadataValue;

use super::error::ConsoleError;
use super::page;
use super::session::{SESSION_COOKIE, SIGN_IN_COOKIE, Signed, SignedInAs, clear_cookie, cookie, random_id, set_cookie};
use crate::AppState;

/// How long a sign-in form stays usable.
const SIGN_IN_FORM_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// `GET /admin/sign-in`: the form, with a fresh CSRF token in a cookie and a field.
pub(crate) async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if cookie(&headers, SESSION_COOKIE).is_some_and(|id| state.console().sessions.get(id).is_some()) {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response();
    }
    form(&state, StatusCode::OK, None)
}

fn form(state: &AppState, status: StatusCode, problem: Option<&str>) -> Response {
    let csrf = random_id();
    let cookie = set_cookie(SIGN_IN_COOKIE, &csrf, SIGN_IN_FORM_AGE, state.console().secure_cookies);
    (
        status,
        [(header::SET_COOKIE, cookie)],
        page::bare("Sign in", sign_in_body(&csrf, problem)),
    )
        .into_response()
}

fn sign_in_body(csrf: &str, problem: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in to the console" }
        p.hint { "Use an admin token of your tenant. Create one with "
                 code { "idsync token create --tenant <name> --scope admin" } "." }
        @if let Some(problem) = problem {
            p.error role="alert" { (problem) }
        }
        form method="post" action="/admin/sign-in" {
            input type="hidden" name="csrf" value=(csrf);
            label for="token" { "Admin token" }
            input #token type="password" name="token" autocomplete="off" required autofocus;
            div.actions { button type="submit" { "Sign in" } }
        }
    }
}

/// The sign-in form as sent.
#[derive(Deserialize)]
pub(crate) struct SignIn {
    token: String,
}

/// `POST /admin/sign-in` (the CSRF field was checked by the guard).
pub(crate) async fn submit(State(state): State<AppState>, Form(SignIn { token }): Form<SignIn>) -> Response {
    let token = token.trim();
    let Ok(mut bearer) = AsciiMetadataValue::try_from(format!("Bearer {token}")) else {
        return form(&state, StatusCode::UNAUTHORIZED, Some("That token was not accepted."));
    };
    bearer.set_sensitive(true);
    let authed = Authed(bearer);
    let who = match DiscoveryClient::new(state.core_channel())
        .who_am_i(authed.request(WhoAmIRequest {}))
        .await
    {
        Ok(who) => who.into_inner(),
        Err(status) if status.code() == tonic::Code::Unauthenticated => {
            return form(&state, StatusCode::UNAUTHORIZED, Some("That token was not accepted."));
        }
        Err(status) => return ConsoleError::from(status).into_response(),
    };
    if who.scope != TokenScope::Admin as i32 {
        let problem = "That token is valid but is not an admin token. The console needs a token with the admin scope.";
        return form(&state, StatusCode::FORBIDDEN, Some(problem));
    }
    let tenant = match AdminClient::new(state.core_channel())
        .get_tenant(authed.request(GetTenantRequest {}))
        .await
    {
        Ok(tenant) => tenant.into_inner(),
        Err(status) => return ConsoleError::from(status).into_response(),
    };
    let console = state.console();
    let signed_in_as = SignedInAs {
        tenant_id: who.tenant_id,
        tenant_name: tenant.name,
        tenant_public_url: tenant.public_url,
        operator: tenant.operator,
        token_id: who.token_id,
    };
    let id = console.sessions.open(authed.0, signed_in_as);
    tracing::info!(tenant = %tenant.id, "console session opened");
    let session_cookie = set_cookie(SESSION_COOKIE, &id, console.limits.max_age, console.secure_cookies);
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, session_cookie);
    headers.append(header::SET_COOKIE, clear_cookie(SIGN_IN_COOKIE, console.secure_cookies));
    response
}

/// A token being tried, before any session exists.
struct Authed(AsciiMetadataValue);

impl Authed {
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert("authorization", self.0.clone());
        request
    }
}

/// `POST /admin/sign-out`: the session is closed and its cookie removed.
pub(crate) async fn sign_out(State(state): State<AppState>, signed: Signed) -> Response {
    let console = state.console();
    console.sessions.close(&signed.session_id);
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, super::error::SIGN_IN_PATH)]).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(SESSION_COOKIE, console.secure_cookies));
    response
}
