//! The overview (`GET /admin`): the tenant at a glance — how many users and groups it
//! holds, when Entra last called and how its last write ended, what failed in the last
//! day, and where the change feed stands. One `GetOverview` call answers all of it.

use axum::extract::State;
use axum::response::Html;
use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::{FailureCount, GetOverviewRequest, LogEntry, LogOutcome, Overview};
use maud::{Markup, html};

use super::error::ConsoleError;
use super::log::{LOG_PATH, datetime_local};
use super::page::{self, Section};
use super::session::Signed;
use crate::AppState;

/// `GET /admin`.
pub(crate) async fn show(State(state): State<AppState>, signed: Signed) -> Result<Html<String>, ConsoleError> {
    let overview = AdminClient::new(state.core_channel())
        .get_overview(signed.request(GetOverviewRequest {}))
        .await?
        .into_inner();
    Ok(page::layout(&signed, Section::Overview, "Overview", body(&overview)))
}

fn body(overview: &Overview) -> Markup {
    html! {
        h1 { "Overview" }
        div.cards {
            div.card {
                h2 { "Users" }
                p.figure data-testid="users-count" { (overview.users) }
                p { span data-testid="active-users-count" { (overview.active_users) } " active" }
                p { a href="/admin/users" { "All users" } }
            }
            div.card {
                h2 { "Groups" }
                p.figure data-testid="groups-count" { (overview.groups) }
                p { a href="/admin/groups" { "All groups" } }
            }
        }
        h2 { "Last request from Entra" }
        (last_request(overview))
        h2 { "Failures in the last 24 hours" }
        (failures(&overview.failures_last_day))
        h2 { "Change feed" }
        dl.attributes {
            dt { "Head cursor" }
            dd { code data-testid="feed-head" { (overview.feed_head) } }
            dt { "Watchers" }
            dd {
                span data-testid="watchers" { (overview.watchers) }
                span.hint { " open WatchChanges streams on the core that answered" }
            }
        }
    }
}

/// When Entra (a `scim` token of the tenant) last called, and its last write.
fn last_request(overview: &Overview) -> Markup {
    if overview.last_scim_request.is_none() && overview.last_scim_write.is_none() {
        return html! {
            p data-testid="last-request" {
                "No request from Entra yet. Connect it with the Tenant URL and a Secret Token from "
                a href="/admin/settings" { "API Settings" } "."
            }
        };
    }
    html! {
        dl.attributes data-testid="last-request" {
            dt { "Last request" }
            dd { (page::time(overview.last_scim_request.as_ref())) }
            dt { "Last write" }
            dd {
                @match &overview.last_scim_write {
                    Some(write) => (last_write(write)),
                    None => { "None yet" }
                }
            }
        }
    }
}

fn last_write(write: &LogEntry) -> Markup {
    let failed = write.outcome == LogOutcome::Failure as i32;
    html! {
        (page::time(write.at.as_ref())) ": " (write.operation) " " (write.resource_type) " — "
        @if failed {
            span.outcome-failure { "failed" }
            @if let Some(status) = write.http_status { " (" (status) ")" }
            @if let Some(scim_type) = &write.scim_type { " " code { (scim_type) } }
            @if let Some(detail) = &write.detail { br; span.hint { (detail) } }
        } @else {
            span.outcome-success { "succeeded" }
        }
    }
}

/// Failed writes of the last day by `scimType`, each linking to the log's failures of
/// that day (the log has no `scimType` filter).
fn failures(counts: &[FailureCount]) -> Markup {
    if counts.is_empty() {
        return html! { p data-testid="no-failures" { "No failed writes in the last 24 hours." } };
    }
    let since = chrono::Utc::now() - chrono::Duration::hours(24);
    let href = format!("{LOG_PATH}?outcome=failure&since={}", datetime_local(since));
    html! {
        table data-testid="failures" {
            (page::table_head(&["scimType", "Failed writes", "Log"]))
            tbody {
                @for failure in counts {
                    tr {
                        td {
                            @if failure.scim_type.is_empty() { span.hint { "(none)" } }
                            @else { code { (failure.scim_type) } }
                        }
                        td { (failure.count) }
                        td { a href=(href) { "Show in the log" } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_entra_never_called_points_to_api_settings() {
        let html = body(&Overview::default()).into_string();
        assert!(html.contains("No request from Entra yet"));
        assert!(html.contains(r#"href="/admin/settings""#));
        assert!(html.contains("No failed writes"));
    }

    #[test]
    fn a_failed_last_write_shows_its_scim_type_and_failures_link_to_the_log() {
        let overview = Overview {
            last_scim_write: Some(LogEntry {
                operation: "create".into(),
                resource_type: "User".into(),
                outcome: LogOutcome::Failure as i32,
                http_status: Some(409),
                scim_type: Some("uniqueness".into()),
                detail: Some("<taken>".into()),
                ..LogEntry::default()
            }),
            failures_last_day: vec![FailureCount {
                scim_type: "uniqueness".into(),
                count: 2,
            }],
            ..Overview::default()
        };
        let html = body(&overview).into_string();
        assert!(html.contains("outcome-failure"));
        assert!(html.contains("&lt;taken&gt;"));
        assert!(html.contains(r#"href="/admin/log?outcome=failure&amp;since="#));
    }
}
