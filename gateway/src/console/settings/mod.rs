//! API Settings: the Tenant URL and the Secret Tokens that Entra (and other clients)
//! authenticate with.
//!
//! A new token's secret is shown once, in the answer to the form that created it: a
//! 200, never a redirect, so the secret is in no URL, history entry or later page (the
//! core keeps only its hash, and every console page is `Cache-Control: no-store`).
//! Revoking goes through a confirmation page, because whatever uses the token, Entra's
//! provisioning included, is refused from that moment.
//!
//! Layout: this file renders the page; `form` parses and renders "Add New Token";
//! `tokens` the table of tokens; `revoke` the confirmation and the revocation.

mod form;
mod revoke;
mod tokens;

use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Html;
use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::{ListTokensRequest, TokenInfo};
use maud::{Markup, html};

use self::form::NewToken;
pub(crate) use self::revoke::{confirm_revoke, revoke};
use super::error::ConsoleError;
use super::page::{self, Section};
use super::session::Signed;
use crate::{ApiError, AppState};

/// The Tenant URL an admin pastes into Entra: the tenant's own public URL when it has
/// one, else the gateway's, without a trailing '/', plus `/scim/v2` (as the core's
/// `admin::tenant_url` computes it).
pub(crate) fn tenant_url(tenant_public_url: Option<&str>, server_public_url: &str) -> String {
    let base = tenant_public_url.unwrap_or(server_public_url).trim_end_matches('/');
    format!("{base}/scim/v2")
}

/// What the page shows besides the form.
struct Facts {
    tenant_url: String,
    tokens: Vec<TokenInfo>,
}

/// The session's Tenant URL (from what sign-in learnt of the tenant: the overview that
/// would tell it again counts every user) and its tokens.
async fn facts(state: &AppState, signed: &Signed) -> Result<Facts, ConsoleError> {
    let listed = AdminClient::new(state.core_channel())
        .list_tokens(signed.request(ListTokensRequest {}))
        .await?;
    Ok(Facts {
        tenant_url: tenant_url(
            signed.session.who.tenant_public_url.as_deref(),
            &state.settings().public_url,
        ),
        tokens: listed.into_inner().tokens,
    })
}

/// `GET /admin/settings`; `?revoked=<id>` after a revocation shows a notice.
pub(crate) async fn show(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, ConsoleError> {
    let facts = facts(&state, &signed).await?;
    let revoked = query.as_deref().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "revoked")
            .map(|(_, id)| id.into_owned())
    });
    // Only a token of this tenant that is revoked earns the notice: the query string is
    // anyone's to write.
    let notice = revoked
        .and_then(|id| {
            facts
                .tokens
                .iter()
                .find(|token| token.id == id && token.revoked.is_some())
        })
        .map(|token| {
            html! {
                p.notice role="status" data-testid="revoked-notice" {
                    "Token «" (token.label) "» was revoked. Requests with it are refused from now on."
                }
            }
        });
    let body = render(
        &signed,
        &facts,
        notice,
        None,
        &form::render(&signed, &NewToken::default(), None),
    );
    Ok(body)
}

/// `POST /admin/settings/tokens`: creates a token and answers the page with its secret,
/// or the form again with what was wrong (400, nothing created).
pub(crate) async fn create_token(
    State(state): State<AppState>,
    signed: Signed,
    Form(sent): Form<NewToken>,
) -> Result<(StatusCode, Html<String>), ConsoleError> {
    let request = match sent.to_request(chrono::Utc::now()) {
        Ok(request) => request,
        Err(problem) => return refused(&state, &signed, &sent, StatusCode::BAD_REQUEST, &problem).await,
    };
    let created = match AdminClient::new(state.core_channel())
        .create_token(signed.request(request))
        .await
    {
        Ok(created) => created.into_inner(),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let error = ApiError::from(status);
            return refused(&state, &signed, &sent, error.status(), error.detail()).await;
        }
        Err(status) => return Err(status.into()),
    };
    let token = created.token.unwrap_or_default();
    let facts = facts(&state, &signed).await?;
    let shown = new_secret(&token, &created.secret, &facts.tenant_url);
    let form = form::render(&signed, &NewToken::default(), None);
    Ok((StatusCode::OK, render(&signed, &facts, None, Some(shown), &form)))
}

/// The page with the form as sent and `problem` beside it.
async fn refused(
    state: &AppState,
    signed: &Signed,
    sent: &NewToken,
    status: StatusCode,
    problem: &str,
) -> Result<(StatusCode, Html<String>), ConsoleError> {
    let facts = facts(state, signed).await?;
    let form = form::render(signed, sent, Some(problem));
    Ok((status, render(signed, &facts, None, None, &form)))
}

fn render(
    signed: &Signed,
    facts: &Facts,
    notice: Option<Markup>,
    secret: Option<Markup>,
    form: &Markup,
) -> Html<String> {
    let body = html! {
        h1 { "API Settings" }
        @if let Some(notice) = notice { (notice) }
        @if let Some(secret) = secret { (secret) }
        section aria-labelledby="tenant-url-heading" {
            h2 #tenant-url-heading { "Tenant URL" }
            p.hint { "Entra sends provisioning requests here. Paste it into the Tenant URL field of the enterprise application's Provisioning page." }
            (page::copyable("tenant-url", &facts.tenant_url))
        }
        (form)
        (tokens::table(signed, &facts.tokens))
    };
    page::layout(signed, Section::Settings, "API Settings", body)
}

/// The one place a secret is ever shown: right after its token was created, with what
/// to do with it in Entra.
fn new_secret(token: &TokenInfo, secret: &str, tenant_url: &str) -> Markup {
    html! {
        section.secret aria-labelledby="new-token-heading" data-testid="new-token-box" {
            h2 #new-token-heading { "New token «" (token.label) "»" }
            p.warning role="status" {
                strong { "Copy the Secret Token now: it will not be shown again." }
                " idsync keeps only a hash of it. If it is lost, create another and revoke this one."
            }
            dl.attributes {
                dt { "Tenant URL" }
                dd { (page::copyable("new-token-tenant-url", tenant_url)) }
                dt { "Secret Token" }
                dd { (page::copyable("new-token", secret)) }
            }
            h3 { "Connect Entra" }
            ol.steps data-testid="entra-steps" {
                li { "In the Microsoft Entra admin center, open " strong { "Enterprise applications" }
                     ", then your application, then " strong { "Provisioning" } "." }
                li { "Set " strong { "Provisioning Mode" } " to " strong { "Automatic" } "." }
                li { "Under " strong { "Admin Credentials" } ", paste the " strong { "Tenant URL" }
                     " and this " strong { "Secret Token" } "." }
                li { "Click " strong { "Test Connection" } "." }
                li { "Click " strong { "Save" } "." }
                li { "Set " strong { "Provisioning Status" } " to " strong { "On" }
                     " (or click " strong { "Start provisioning" } ")." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_url_prefers_the_tenants_public_url_and_drops_a_trailing_slash() {
        assert_eq!(
            tenant_url(None, "https://idsync.example.com/"),
            "https://idsync.example.com/scim/v2"
        );
        assert_eq!(
            tenant_url(Some("https://contoso.example.com//"), "https://idsync.example.com"),
            "https://contoso.example.com/scim/v2"
        );
    }
}
