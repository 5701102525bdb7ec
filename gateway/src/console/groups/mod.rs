//! The Groups pages: the tenant's groups, searched by displayName and paged by the
//! core, and one group's attributes and members (`detail`).
//!
//! The list asks for groups without their members, so a group of 100k members costs
//! what an empty one does. A member count per row would be one `ListGroupMembers` call
//! per group, so the list has none; the detail page shows it.

mod detail;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idsync_proto::v1::groups_client::GroupsClient;
use idsync_proto::v1::{Group, ListGroupsRequest, SortOrder};
use maud::{Markup, html};

pub(crate) use detail::detail;

use super::error::ConsoleError;
use super::page::{self, Section};
use super::session::Signed;
use super::users::listing::{ListQuery, PAGE_SIZE, detail_href, href, refused_search, search_error, starts_with_any};
use crate::AppState;

/// `GET /admin/groups`: a search by displayName prefix and a page of groups, by name.
/// `displayName sw` reads the index of the case-folded names.
pub(crate) async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let start = query.start();
    let request = ListGroupsRequest {
        filter: starts_with_any(&["displayName"], &query.q),
        start_index: start,
        count: Some(PAGE_SIZE),
        sort_by: "displayName".to_owned(),
        sort_order: SortOrder::Ascending as i32,
        exclude_members: true,
        cursor: None,
    };
    let answer = GroupsClient::new(state.core_channel())
        .list_groups(signed.request(request))
        .await;
    let (status, results) = match answer {
        Ok(page) => (StatusCode::OK, Ok(page.into_inner())),
        Err(status) => (StatusCode::BAD_REQUEST, Err(refused_search(status)?)),
    };
    let body = html! {
        h1 { "Groups" }
        form method="get" action="/admin/groups" role="search" {
            label for="q" { "Search by displayName" }
            input #q type="search" name="q" value=(query.q) aria-describedby="q-hint";
            p.hint #q-hint { "Matches the beginning of the group's displayName, ignoring case." }
            @if let Err(error) = &results {
                (search_error(error))
            }
            div.actions {
                button type="submit" { "Search" }
                a href="/admin/groups" { "Show all groups" }
            }
        }
        @if let Ok(page) = &results {
            p data-testid="groups-total" { (page.total_results) " " (if page.total_results == 1 { "group" } else { "groups" }) }
            @if !page.resources.is_empty() {
                (table(&page.resources))
            }
            (page::pager(u64::from(start), u64::from(PAGE_SIZE), page.total_results, |start| {
                href("/admin/groups", &[("q", &query.q), ("start", &start.to_string())])
            }))
        }
    };
    Ok((status, page::layout(&signed, Section::Groups, "Groups", body)).into_response())
}

fn table(groups: &[Group]) -> Markup {
    html! {
        table data-testid="groups" {
            (page::table_head(&["displayName", "externalId", "Last modified"]))
            tbody {
                @for group in groups {
                    tr {
                        td { a href=(detail_href("groups", &group.id)) { (group.display_name) } }
                        td { (group.external_id.as_deref().unwrap_or("—")) }
                        td { (page::time(group.meta.as_ref().and_then(|meta| meta.last_modified.as_ref()))) }
                    }
                }
            }
        }
    }
}
