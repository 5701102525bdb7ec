//! The rules page (`/admin/rules`): the tenant's scoping rules (one per resource type)
//! and its matching rule, edited as one form. "Dry run" asks the core how many users
//! and groups in scope today the typed rules would put out of scope, saving nothing;
//! "Save" replaces the rules as a whole. Either way the core judges every rule first: an
//! invalid one comes back inline with its `scimType` and detail, and nothing changes.
//!
//! - `form`: the fields, read into `Rules` and written from them.

mod form;

use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::{DryRunRulesRequest, DryRunRulesResponse, GetRulesRequest, SetRulesRequest};
use maud::{Markup, html};

use form::RulesForm;

use super::error::ConsoleError;
use super::page::{self, Section};
use super::session::Signed;
use crate::{ApiError, AppState};

/// Where a save leads: the page with its notice.
const SAVED: &str = "/admin/rules?saved=1";

/// What the page shows above the form.
enum Outcome {
    Nothing,
    Saved,
    DryRun(DryRunRulesResponse),
    /// The core refused the rules (INVALID_ARGUMENT).
    Refused(ApiError),
    /// The form's own controls hold something no rule can say.
    Problems(Vec<String>),
}

/// `GET /admin/rules` (`?saved=1` after a save).
pub(crate) async fn show(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let rules = AdminClient::new(state.core_channel())
        .get_rules(signed.request(GetRulesRequest {}))
        .await?
        .into_inner();
    let saved = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(name, value)| name == "saved" && value == "1");
    let outcome = if saved { Outcome::Saved } else { Outcome::Nothing };
    Ok(render(&signed, StatusCode::OK, &RulesForm::from_rules(&rules), outcome))
}

/// `POST /admin/rules`: a dry run or a save, by the button that sent the form.
pub(crate) async fn submit(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<RulesForm>,
) -> Result<Response, ConsoleError> {
    let rules = match form.rules() {
        Ok(rules) => rules,
        Err(problems) => {
            return Ok(render(
                &signed,
                StatusCode::BAD_REQUEST,
                &form,
                Outcome::Problems(problems),
            ));
        }
    };
    let mut admin = AdminClient::new(state.core_channel());
    let outcome = match form.action.as_str() {
        "dry-run" => admin
            .dry_run_rules(signed.request(DryRunRulesRequest { rules: Some(rules) }))
            .await
            .map(|answer| Outcome::DryRun(answer.into_inner())),
        "save" => match admin
            .set_rules(signed.request(SetRulesRequest { rules: Some(rules) }))
            .await
        {
            Ok(_) => {
                tracing::info!(tenant = %signed.session.who.tenant_id, "rules saved from the console");
                return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, SAVED)]).into_response());
            }
            Err(status) => Err(status),
        },
        _ => Ok(Outcome::Problems(vec!["Choose Dry run or Save rules.".to_owned()])),
    };
    match outcome {
        Ok(outcome @ Outcome::Problems(_)) => Ok(render(&signed, StatusCode::BAD_REQUEST, &form, outcome)),
        Ok(outcome) => Ok(render(&signed, StatusCode::OK, &form, outcome)),
        Err(status) if status.code() == tonic::Code::InvalidArgument => Ok(render(
            &signed,
            StatusCode::BAD_REQUEST,
            &form,
            Outcome::Refused(ApiError::from(status)),
        )),
        Err(status) => Err(status.into()),
    }
}

fn render(signed: &Signed, status: StatusCode, form: &RulesForm, outcome: Outcome) -> Response {
    let body = html! {
        h1 { "Rules" }
        p.hint {
            "Scoping rules decide which users and groups are provisioned; the matching rule decides whether "
            "a created user is linked to an account that already exists. Changes apply to the next write."
        }
        (outcome_markup(&outcome))
        (form.markup(signed))
    };
    (status, page::layout(signed, Section::Rules, "Rules", body)).into_response()
}

fn outcome_markup(outcome: &Outcome) -> Markup {
    match outcome {
        Outcome::Nothing => html! {},
        Outcome::Saved => html! { p.notice role="status" data-testid="rules-saved" { "The rules were saved." } },
        Outcome::DryRun(answer) => html! {
            div.notice role="status" data-testid="dry-run-result" {
                p {
                    (answer.users_leaving_scope) " of " (answer.users_in_scope) " users in scope would leave it; "
                    (answer.groups_leaving_scope) " of " (answer.groups_in_scope) " groups."
                }
                p.hint { "Nothing was saved." }
            }
        },
        Outcome::Refused(error) => html! {
            div.error role="alert" data-testid="rules-error" {
                p {
                    "The rules were not accepted"
                    @if let Some(scim_type) = error.scim_type() { " (" code { (scim_type.as_str()) } ")" }
                    ": " (error.detail())
                }
                p { "Nothing was saved." }
            }
        },
        Outcome::Problems(problems) => html! {
            div.error role="alert" data-testid="rules-error" {
                @for problem in problems { p { (problem) } }
            }
        },
    }
}
