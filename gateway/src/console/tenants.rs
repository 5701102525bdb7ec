//! Tenants: an operator tenant's admin lists the tenants and creates new ones.
//!
//! Only an operator's session gets the page (others get 403 here, and the core would
//! refuse their calls anyway). A new tenant has no token yet: `CreateToken` acts on the
//! caller's own tenant, so its first token is minted with the CLI on the server.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::{CreateTenantRequest, CreateTokenRequest, ListTenantsRequest, Tenant, TokenScope};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::ConsoleError;
use super::page::{self, Section};
use super::session::Signed;
use super::settings::tenant_url;
use crate::{ApiError, AppState};

/// The form as sent; a missing field reads as empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NewTenant {
    name: String,
    public_url: String,
}

fn operator_only(signed: &Signed) -> Result<(), ConsoleError> {
    if signed.session.who.operator {
        Ok(())
    } else {
        Err(ApiError::forbidden("Only an admin of an operator tenant manages tenants.").into())
    }
}

async fn tenants(state: &AppState, signed: &Signed) -> Result<Vec<Tenant>, ConsoleError> {
    let listed = AdminClient::new(state.core_channel())
        .list_tenants(signed.request(ListTenantsRequest {}))
        .await?;
    Ok(listed.into_inner().tenants)
}

/// `GET /admin/tenants`.
pub(crate) async fn list(State(state): State<AppState>, signed: Signed) -> Result<Html<String>, ConsoleError> {
    operator_only(&signed)?;
    let tenants = tenants(&state, &signed).await?;
    Ok(render(
        &state,
        &signed,
        &tenants,
        None,
        &form(&state, &signed, &NewTenant::default(), None),
    ))
}

/// `POST /admin/tenants`: creates a tenant and shows its Tenant URL, or the form again
/// with what was wrong.
pub(crate) async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(sent): Form<NewTenant>,
) -> Result<(StatusCode, Html<String>), ConsoleError> {
    operator_only(&signed)?;
    let name = sent.name.trim();
    let public_url = sent.public_url.trim();
    let request = CreateTenantRequest {
        name: name.to_owned(),
        public_url: (!public_url.is_empty()).then(|| public_url.to_owned()),
    };
    let (status, problem) = if name.is_empty() {
        (StatusCode::BAD_REQUEST, "Give the tenant a name.".to_owned())
    } else {
        match AdminClient::new(state.core_channel())
            .create_tenant(signed.request(request))
            .await
        {
            Ok(created) => {
                let created = created.into_inner();
                // The new tenant's first admin token: its admin signs in with it and
                // creates the Secret Token for Entra.
                let first = CreateTokenRequest {
                    scope: TokenScope::Admin as i32,
                    label: "first admin token".to_owned(),
                    expires: None,
                    tenant_id: Some(created.id.clone()),
                };
                let secret = AdminClient::new(state.core_channel())
                    .create_token(signed.request(first))
                    .await?
                    .into_inner()
                    .secret;
                let tenants = tenants(&state, &signed).await?;
                let shown = created_box(&state, &created, Some(&secret));
                let form = form(&state, &signed, &NewTenant::default(), None);
                return Ok((StatusCode::OK, render(&state, &signed, &tenants, Some(shown), &form)));
            }
            Err(status) if matches!(status.code(), tonic::Code::InvalidArgument | tonic::Code::AlreadyExists) => {
                let error = ApiError::from(status);
                (error.status(), error.detail().to_owned())
            }
            Err(status) => return Err(status.into()),
        }
    };
    let tenants = tenants(&state, &signed).await?;
    let form = form(&state, &signed, &sent, Some(&problem));
    Ok((status, render(&state, &signed, &tenants, None, &form)))
}

fn render(
    state: &AppState,
    signed: &Signed,
    tenants: &[Tenant],
    created: Option<Markup>,
    form: &Markup,
) -> Html<String> {
    let server = &state.settings().public_url;
    let body = html! {
        h1 { "Tenants" }
        @if let Some(created) = created { (created) }
        table data-testid="tenants" {
            (page::table_head(&["Name", "ID", "Tenant URL", "Operator", "Created"]))
            tbody {
                @for tenant in tenants {
                    tr data-tenant-name=(tenant.name) data-tenant-id=(tenant.id) {
                        td { (tenant.name) }
                        td { code { (tenant.id) } }
                        td { code { (tenant_url(tenant.public_url.as_deref(), server)) } }
                        td { @if tenant.operator { "yes" } @else { "no" } }
                        td { (page::time(tenant.created.as_ref())) }
                    }
                }
            }
        }
        (form)
    };
    page::layout(signed, Section::Tenants, "Tenants", body)
}

/// What the operator needs to connect the new tenant: its Tenant URL, and its first
/// token when there is one to show (shown once, like any new secret).
fn created_box(state: &AppState, tenant: &Tenant, first_token: Option<&str>) -> Markup {
    let url = tenant_url(tenant.public_url.as_deref(), &state.settings().public_url);
    html! {
        section.secret aria-labelledby="new-tenant-heading" data-testid="new-tenant" {
            h2 #new-tenant-heading { "Tenant «" (tenant.name) "» was created" }
            dl.attributes {
                dt { "Tenant URL" }
                dd { (page::copyable("new-tenant-url", &url)) }
                @if let Some(secret) = first_token {
                    dt { "Admin token" }
                    dd { (page::copyable("new-tenant-token", secret)) }
                }
            }
            @if first_token.is_some() {
                p.warning { strong { "Copy the token now: it will not be shown again." }
                    " Sign in to the console with it to create the tenant's Secret Token for Entra." }
            } @else {
                p { "The tenant has no token yet. On the server, mint its first admin token with" }
                pre { code { "idsync token create --tenant " (tenant.name) " --scope admin" } }
                p { "then sign in to the console with it to create the Secret Token for Entra." }
            }
        }
    }
}

fn form(state: &AppState, signed: &Signed, sent: &NewTenant, problem: Option<&str>) -> Markup {
    html! {
        section aria-labelledby="add-tenant-heading" {
            h2 #add-tenant-heading { "Add a tenant" }
            @if let Some(problem) = problem {
                p.error role="alert" data-testid="tenant-error" { (problem) }
            }
            form #add-tenant method="post" action="/admin/tenants" {
                (page::csrf_field(signed))
                label for="name" { "Name" }
                input #name type="text" name="name" value=(sent.name) required aria-describedby="name-hint";
                p.hint #name-hint { "1–64 letters, digits, '-', '_' or '.'; it names the tenant in the CLI." }
                label for="public_url" { "Public URL (optional)" }
                input #public_url type="url" name="public_url" value=(sent.public_url) aria-describedby="public-url-hint";
                p.hint #public-url-hint {
                    "The base URL this tenant's Entra reaches idsync at, if not this server's ("
                    code { (state.settings().public_url) } "); its Tenant URL is this plus " code { "/scim/v2" } "."
                }
                div.actions {
                    button type="submit" data-testid="add-tenant" { "Add tenant" }
                }
            }
        }
    }
}
