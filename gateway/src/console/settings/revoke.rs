//! Revoking a token: a confirmation page first, because whatever uses the token is
//! refused from that moment, Entra's provisioning included, without a warning to anyone.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::{ListTokensRequest, RevokeTokenRequest};
use maud::html;

use super::super::error::{ConsoleError, SIGN_IN_PATH};
use super::super::page::{self, Section};
use super::super::session::{SESSION_COOKIE, Signed, clear_cookie};
use super::tokens::{Status, revoke_href, scope_name};
use crate::AppState;

fn no_such_token() -> ConsoleError {
    ConsoleError::NotFound("This tenant has no token with that id.".to_owned())
}

/// `GET /admin/settings/tokens/{id}/revoke`: what revoking the token would stop, and a
/// button that does it.
pub(crate) async fn confirm_revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let tokens = AdminClient::new(state.core_channel())
        .list_tokens(signed.request(ListTokensRequest {}))
        .await?
        .into_inner()
        .tokens;
    let token = tokens
        .into_iter()
        .find(|token| token.id == id)
        .ok_or_else(no_such_token)?;
    let status = Status::of(&token, chrono::Utc::now().timestamp());
    let own = token.id == signed.session.who.token_id;
    let body = html! {
        h1 { "Revoke token «" (token.label) "»" }
        dl.attributes data-testid="revoke-token" {
            dt { "Label" } dd { (token.label) }
            dt { "Scope" } dd { (scope_name(token.scope)) }
            dt { "Created" } dd { (page::time(token.created.as_ref())) }
            dt { "Last used" } dd { (page::time(token.last_used.as_ref())) }
        }
        @if status == Status::Revoked {
            p.notice role="status" { "This token was already revoked at " (page::time(token.revoked.as_ref())) "." }
            p { a href="/admin/settings" { "Back to API Settings" } }
        } @else {
            p.warning {
                strong { "Revoking cannot be undone." }
                " Every request with this token is refused from now on: if Entra provisions with it, "
                "provisioning stops at once, until Entra is given a new token."
            }
            @if own {
                p.warning data-testid="own-token" {
                    "You signed in to this console with this token: revoking it signs you out."
                }
            }
            form method="post" action=(revoke_href(&token.id)) {
                (page::csrf_field(&signed))
                div.actions {
                    button.danger type="submit" data-testid="confirm-revoke" { "Revoke token" }
                    a href="/admin/settings" data-testid="cancel" { "Cancel" }
                }
            }
        }
    };
    Ok(page::layout(&signed, Section::Settings, "Revoke token", body))
}

/// `POST /admin/settings/tokens/{id}/revoke`: revokes the token, then back to the
/// settings page with a notice; to sign-in when it was the session's own token.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let revoked = AdminClient::new(state.core_channel())
        .revoke_token(signed.request(RevokeTokenRequest { id }))
        .await
        .map_err(|status| match status.code() {
            tonic::Code::NotFound => no_such_token(),
            _ => status.into(),
        })?
        .into_inner()
        .token
        .unwrap_or_default();
    if revoked.id == signed.session.who.token_id {
        // The session's token no longer works: end the session now rather than let the
        // next page find out.
        let console = state.console();
        console.sessions.close(&signed.session_id);
        let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, SIGN_IN_PATH)]).into_response();
        response
            .headers_mut()
            .insert(header::SET_COOKIE, clear_cookie(SESSION_COOKIE, console.secure_cookies));
        return Ok(response);
    }
    let id: String = form_urlencoded::byte_serialize(revoked.id.as_bytes()).collect();
    let back = format!("/admin/settings?revoked={id}");
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response())
}
