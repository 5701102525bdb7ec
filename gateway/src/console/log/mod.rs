//! The provisioning log (`GET /admin/log`): every write attempt of the tenant, newest
//! first, filtered by outcome, operation, resource and time, paged by the core's page
//! tokens. Entries name the attributes a write touched, never their values (the core
//! records no values).
//!
//! - `filter`: the filter form, read from the query string and written back into links;
//! - `table`: the entries.

mod filter;
mod table;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idsync_proto::v1::ListLogEntriesResponse;
use idsync_proto::v1::provisioning_log_client::ProvisioningLogClient;
use maud::{Markup, html};

use filter::Filter;
pub(crate) use filter::datetime_local;

use super::error::ConsoleError;
use super::page::{self, Section};
use super::session::Signed;
use crate::{ApiError, AppState};

/// Where the log lives.
pub(crate) const LOG_PATH: &str = "/admin/log";
/// Entries per page.
const PAGE_SIZE: u32 = 50;

/// `GET /admin/log`: the filter form and a page of entries. A filter that cannot be read
/// (a malformed date) is refused inline with 400, without asking the core.
pub(crate) async fn list(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let filter = Filter::from_query(query.as_deref());
    let request = match filter.request() {
        Ok(request) => request,
        Err(problems) => return Ok(render(&signed, StatusCode::BAD_REQUEST, &filter, refused(&problems))),
    };
    let answer = ProvisioningLogClient::new(state.core_channel())
        .list_log_entries(signed.request(request))
        .await;
    let listing = match answer {
        Ok(answer) => listing(
            &filter,
            &answer.into_inner(),
            state.console().trace_url_template.as_deref(),
        ),
        // The core judges what the form cannot (e.g. a page token that is not its own).
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let error = ApiError::from(status);
            return Ok(render(
                &signed,
                StatusCode::BAD_REQUEST,
                &filter,
                refused(&[error.detail().to_owned()]),
            ));
        }
        Err(status) => return Err(status.into()),
    };
    Ok(render(&signed, StatusCode::OK, &filter, listing))
}

fn render(signed: &Signed, status: StatusCode, filter: &Filter, listing: Markup) -> Response {
    let body = html! {
        h1 { "Provisioning log" }
        p.hint { "Every create, replace, patch and delete of users and groups, successful or not, newest first." }
        (filter.form())
        (listing)
    };
    (status, page::layout(signed, Section::Log, "Provisioning log", body)).into_response()
}

fn refused(problems: &[String]) -> Markup {
    html! {
        div.error role="alert" data-testid="filter-error" {
            @for problem in problems { p { (problem) } }
        }
    }
}

fn listing(filter: &Filter, answer: &ListLogEntriesResponse, trace_url_template: Option<&str>) -> Markup {
    let first_page = filter.page_token.is_empty();
    html! {
        @if answer.entries.is_empty() {
            p data-testid="log-empty" {
                @if first_page { "No write attempts match these filters." } @else { "No older entries." }
            }
        } @else {
            (table::entries(&answer.entries, trace_url_template))
        }
        nav.pager aria-label="Pages" {
            @if !first_page {
                a href=(filter.href(None)) data-testid="log-newest" { "← Newest" }
            }
            @if !answer.next_page_token.is_empty() {
                a rel="next" href=(filter.href(Some(&answer.next_page_token))) data-testid="log-older" { "Older entries →" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use idsync_proto::v1::LogEntry;

    use super::*;

    #[test]
    fn the_older_link_carries_the_filters_and_the_newest_link_drops_the_token() {
        let filter = Filter::from_query(Some("outcome=failure&page_token=p1"));
        let answer = ListLogEntriesResponse {
            entries: vec![LogEntry {
                request_id: Some("r".into()),
                ..LogEntry::default()
            }],
            next_page_token: "p2".into(),
        };
        let html = listing(&filter, &answer, None).into_string();
        assert!(
            html.contains(r#"href="/admin/log?outcome=failure&amp;page_token=p2""#),
            "{html}"
        );
        assert!(
            html.contains(r#"href="/admin/log?outcome=failure" data-testid="log-newest""#),
            "{html}"
        );
    }

    #[test]
    fn the_first_page_has_no_newest_link_and_the_last_no_older_one() {
        let html = listing(&Filter::default(), &ListLogEntriesResponse::default(), None).into_string();
        assert!(html.contains("No write attempts match"));
        assert!(!html.contains("log-newest") && !html.contains("log-older"));
    }
}
