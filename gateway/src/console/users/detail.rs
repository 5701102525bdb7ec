//! One user: its attributes, the groups it is a direct member of (paged), and the
//! newest entries of its provisioning log.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use idsync_proto::v1::directory_client::DirectoryClient;
use idsync_proto::v1::provisioning_log_client::ProvisioningLogClient;
use idsync_proto::v1::users_client::UsersClient;
use idsync_proto::v1::{
    GetUserRequest, ListLogEntriesRequest, ListLogEntriesResponse, ListUserGroupsRequest, ListUserGroupsResponse,
    LogEntry, LogOutcome, MultiValue, User,
};
use maud::{Markup, html};

use super::listing::{ListQuery, PAGE_SIZE, detail_href, href, not_found_as};
use super::{active, full_name};
use crate::AppState;
use crate::console::error::ConsoleError;
use crate::console::page::{self, Section};
use crate::console::session::Signed;

/// How many log entries the page shows, newest first.
const HISTORY: u32 = 50;

const NO_SUCH_USER: &str = "There is no user with this id in your tenant.";

/// `GET /admin/users/{id}`; `?start=` pages the groups.
pub(crate) async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, ConsoleError> {
    let start = query.start();
    let channel = state.core_channel();
    let mut users = UsersClient::new(channel.clone());
    let mut directory = DirectoryClient::new(channel.clone());
    let mut log = ProvisioningLogClient::new(channel);
    // Three independent reads; the user's decides whether there is a page at all.
    let (user, groups, history) = tokio::join!(
        users.get_user(signed.request(GetUserRequest {
            id: id.clone(),
            exclude_groups: true
        })),
        directory.list_user_groups(signed.request(ListUserGroupsRequest {
            user_id: id.clone(),
            start_index: start,
            count: Some(PAGE_SIZE),
        })),
        log.list_log_entries(signed.request(ListLogEntriesRequest {
            resource_type: "User".to_owned(),
            resource_id: id.clone(),
            page_size: Some(HISTORY),
            ..ListLogEntriesRequest::default()
        })),
    );
    let user = user.map_err(not_found_as(NO_SUCH_USER))?.into_inner();
    let groups = groups.map_err(not_found_as(NO_SUCH_USER))?.into_inner();
    let history = history?.into_inner();
    let body = html! {
        p { a href="/admin/users" { "← All users" } }
        h1 data-testid="user-name" { (user.user_name) }
        (attributes(&user))
        h2 #groups { "Groups" }
        (group_table(&user.id, start, &groups))
        h2 #history { "History" }
        (history_table(&history))
    };
    Ok(page::layout(&signed, Section::Users, &user.user_name, body))
}

fn or_dash(value: Option<&str>) -> &str {
    value.unwrap_or("—")
}

fn attributes(user: &User) -> Markup {
    let name = user.name.clone().unwrap_or_default();
    let meta = user.meta.clone().unwrap_or_default();
    let enterprise = user.enterprise.clone().unwrap_or_default();
    let manager = enterprise.manager.unwrap_or_default();
    html! {
        dl.attributes data-testid="user-attributes" {
            dt { "id" } dd { (page::copyable("user-id", &user.id)) }
            dt { "externalId" } dd { (or_dash(user.external_id.as_deref())) }
            dt { "userName" } dd { (user.user_name) }
            dt { "displayName" } dd data-testid="user-display-name" { (or_dash(user.display_name.as_deref())) }
            dt { "Name" } dd { (full_name(user).as_deref().unwrap_or("—")) }
            @for (label, part) in [
                ("name.givenName", &name.given_name),
                ("name.middleName", &name.middle_name),
                ("name.familyName", &name.family_name),
                ("name.honorificPrefix", &name.honorific_prefix),
                ("name.honorificSuffix", &name.honorific_suffix),
            ] {
                @if let Some(part) = part {
                    dt { (label) } dd { (part) }
                }
            }
            dt { "emails" } dd data-testid="user-emails" { (values(&user.emails)) }
            dt { "phoneNumbers" } dd { (values(&user.phone_numbers)) }
            dt { "active" } dd data-testid="user-active" { (active(user.active)) }
            @if let Some(title) = &user.title {
                dt { "title" } dd { (title) }
            }
            @if let Some(department) = &enterprise.department {
                dt { "department" } dd data-testid="user-department" { (department) }
            }
            @if manager.value.is_some() || manager.display_name.is_some() {
                dt { "manager" }
                dd data-testid="user-manager" {
                    @let shown = manager.display_name.as_deref().or(manager.value.as_deref()).unwrap_or("—");
                    @if let Some(value) = manager.value.as_deref().filter(|value| !value.is_empty()) {
                        a href=(detail_href("users", value)) { (shown) }
                    } @else {
                        (shown)
                    }
                }
            }
            dt { "created" } dd { (page::time(meta.created.as_ref())) }
            dt { "lastModified" } dd { (page::time(meta.last_modified.as_ref())) }
            dt { "version" } dd { (meta.version) }
        }
    }
}

/// A multi-valued attribute: one line per value, with its type and primary mark.
fn values(values: &[MultiValue]) -> Markup {
    html! {
        @if values.is_empty() {
            "—"
        } @else {
            ul {
                @for value in values {
                    li {
                        (or_dash(value.value.as_deref()))
                        @if let Some(kind) = value.r#type.as_deref() { " (" (kind) ")" }
                        @if value.primary == Some(true) { " · primary" }
                    }
                }
            }
        }
    }
}

fn group_table(user_id: &str, start: u32, groups: &ListUserGroupsResponse) -> Markup {
    html! {
        @if !groups.groups.is_empty() {
            table data-testid="user-groups" {
                (page::table_head(&["Group", "id"]))
                tbody {
                    @for group in &groups.groups {
                        tr {
                            td { a href=(detail_href("groups", &group.id)) { (group.display_name) } }
                            td { code { (group.id) } }
                        }
                    }
                }
            }
        }
        (page::pager(u64::from(start), u64::from(PAGE_SIZE), groups.total_results, |start| {
            href(&detail_href("users", user_id), &[("start", &start.to_string())]) + "#groups"
        }))
    }
}

fn history_table(history: &ListLogEntriesResponse) -> Markup {
    html! {
        @if history.entries.is_empty() {
            p data-testid="user-history" { "No provisioning log entries for this user." }
        } @else {
            @if !history.next_page_token.is_empty() {
                p.hint { "The newest " (HISTORY) " entries; the provisioning log has older ones." }
            }
            table data-testid="user-history" {
                (page::table_head(&["Time", "Operation", "Outcome", "Attributes", "Error", "Request id"]))
                tbody {
                    @for entry in &history.entries {
                        (history_row(entry))
                    }
                }
            }
        }
    }
}

fn history_row(entry: &LogEntry) -> Markup {
    let (class, outcome) = match LogOutcome::try_from(entry.outcome) {
        Ok(LogOutcome::Success) => ("outcome-success", "success"),
        Ok(LogOutcome::Failure) => ("outcome-failure", "failure"),
        Ok(LogOutcome::Unspecified) | Err(_) => ("", "—"),
    };
    html! {
        tr {
            td { (page::time(entry.at.as_ref())) }
            td data-testid="history-operation" { (entry.operation) }
            td class=(class) data-testid="history-outcome" { (outcome) }
            td { @if entry.attributes.is_empty() { "—" } @else { (entry.attributes.join(", ")) } }
            td {
                @if let Some(scim_type) = &entry.scim_type { code { (scim_type) } " " }
                (entry.detail.as_deref().unwrap_or(if entry.scim_type.is_none() { "—" } else { "" }))
            }
            td { @if let Some(id) = &entry.request_id { code { (id) } } @else { "—" } }
        }
    }
}
