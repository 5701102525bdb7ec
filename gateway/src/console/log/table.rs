//! The log's entries as a table: one row per write attempt, keyed by its request id.

use idsync_proto::v1::{LogEntry, LogOutcome};
use maud::{Markup, html};

use super::filter::encode;
use crate::console::page;

/// The entries, newest first; a trace id links to `trace_url_template` when there is one.
pub(crate) fn entries(entries: &[LogEntry], trace_url_template: Option<&str>) -> Markup {
    html! {
        table data-testid="log" {
            caption.hint { "Attribute names only: the log never records a value." }
            (page::table_head(&["Time", "Operation", "Resource", "Outcome", "Attributes", "Error", "Request id", "Trace id"]))
            tbody {
                @for entry in entries { (row(entry, trace_url_template)) }
            }
        }
    }
}

fn row(entry: &LogEntry, trace_url_template: Option<&str>) -> Markup {
    let failed = entry.outcome == LogOutcome::Failure as i32;
    html! {
        tr data-request-id=[entry.request_id.as_deref()] {
            td { (page::time(entry.at.as_ref())) }
            td { (entry.operation) }
            td { (resource(entry)) }
            td {
                @if failed { span.outcome-failure { "failure" } } @else { span.outcome-success { "success" } }
            }
            td {
                @for (i, attribute) in entry.attributes.iter().enumerate() {
                    @if i > 0 { ", " }
                    code { (attribute) }
                }
            }
            td {
                @if let Some(status) = entry.http_status { (status) " " }
                @if let Some(scim_type) = &entry.scim_type { code { (scim_type) } }
                @if let Some(detail) = &entry.detail { br; span.hint { (detail) } }
            }
            td { @if let Some(id) = &entry.request_id { code { (id) } } }
            td { @if let Some(id) = &entry.trace_id { (trace(id, trace_url_template)) } }
        }
    }
}

/// The resource's type and id, the id linking to its page.
fn resource(entry: &LogEntry) -> Markup {
    let section = match entry.resource_type.as_str() {
        "User" => Some("users"),
        "Group" => Some("groups"),
        _ => None,
    };
    html! {
        (entry.resource_type)
        @if let Some(id) = &entry.resource_id {
            " "
            @match section {
                Some(section) => { a href=(format!("/admin/{section}/{}", encode(id))) { code { (id) } } }
                None => { code { (id) } }
            }
        }
    }
}

/// A trace id, linked to the tracing UI when one is configured (in the same tab: the
/// admin comes back with the browser's Back).
fn trace(id: &str, template: Option<&str>) -> Markup {
    match template {
        Some(template) => html! { a href=(template.replace("{trace_id}", &encode(id))) { code { (id) } } },
        None => html! { code { (id) } },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_create() -> LogEntry {
        LogEntry {
            operation: "create".into(),
            resource_type: "User".into(),
            resource_id: Some("u 1".into()),
            outcome: LogOutcome::Failure as i32,
            http_status: Some(409),
            scim_type: Some("uniqueness".into()),
            attributes: vec!["userName".into(), "active".into()],
            request_id: Some("req-1".into()),
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            ..LogEntry::default()
        }
    }

    #[test]
    fn a_row_is_keyed_by_its_request_id_and_links_to_its_resource() {
        let html = entries(&[failed_create()], None).into_string();
        assert!(html.contains(r#"<tr data-request-id="req-1">"#), "{html}");
        assert!(html.contains(r#"href="/admin/users/u%201""#), "{html}");
        assert!(html.contains("<code>userName</code>, <code>active</code>"));
        assert!(html.contains("outcome-failure"));
        assert!(!html.contains("<a href=\"https"), "no trace link without a template");
    }

    #[test]
    fn the_trace_id_links_to_the_template_when_there_is_one() {
        let html = entries(
            &[failed_create()],
            Some("https://grafana.example/explore?traceId={trace_id}&x=1"),
        )
        .into_string();
        assert!(
            html.contains(r#"href="https://grafana.example/explore?traceId=4bf92f3577b34da6a3ce929d0e0e4736&amp;x=1""#),
            "{html}"
        );
        assert!(!html.contains("target="));
    }
}
