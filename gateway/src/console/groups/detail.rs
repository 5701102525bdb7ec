//! One group: its attributes and its direct members, a page at a time.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use idsync_proto::v1::directory_client::DirectoryClient;
use idsync_proto::v1::groups_client::GroupsClient;
use idsync_proto::v1::{GetGroupRequest, Group, ListGroupMembersRequest, ListGroupMembersResponse};
use maud::{Markup, html};

use crate::AppState;
use crate::console::error::ConsoleError;
use crate::console::page::{self, Section};
use crate::console::session::Signed;
use crate::console::users::listing::{ListQuery, PAGE_SIZE, detail_href, href, not_found_as};

const NO_SUCH_GROUP: &str = "There is no group with this id in your tenant.";

/// `GET /admin/groups/{id}`; `?start=` pages the members.
pub(crate) async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, ConsoleError> {
    let start = query.start();
    let channel = state.core_channel();
    let mut groups = GroupsClient::new(channel.clone());
    let mut directory = DirectoryClient::new(channel);
    // The members come from the directory, a page at a time, never with the group.
    let (group, members) = tokio::join!(
        groups.get_group(signed.request(GetGroupRequest {
            id: id.clone(),
            exclude_members: true
        })),
        directory.list_group_members(signed.request(ListGroupMembersRequest {
            group_id: id.clone(),
            start_index: start,
            count: Some(PAGE_SIZE),
        })),
    );
    let group = group.map_err(not_found_as(NO_SUCH_GROUP))?.into_inner();
    let members = members.map_err(not_found_as(NO_SUCH_GROUP))?.into_inner();
    let body = html! {
        p { a href="/admin/groups" { "← All groups" } }
        h1 data-testid="group-name" { (group.display_name) }
        (attributes(&group, members.total_results))
        h2 #members { "Members" }
        (member_table(&group.id, start, &members))
    };
    Ok(page::layout(&signed, Section::Groups, &group.display_name, body))
}

fn attributes(group: &Group, member_count: u64) -> Markup {
    let meta = group.meta.clone().unwrap_or_default();
    html! {
        dl.attributes data-testid="group-attributes" {
            dt { "id" } dd { (page::copyable("group-id", &group.id)) }
            dt { "externalId" } dd { (group.external_id.as_deref().unwrap_or("—")) }
            dt { "displayName" } dd { (group.display_name) }
            dt { "Members" } dd data-testid="member-count" { (member_count) }
            dt { "created" } dd { (page::time(meta.created.as_ref())) }
            dt { "lastModified" } dd { (page::time(meta.last_modified.as_ref())) }
            dt { "version" } dd { (meta.version) }
        }
    }
}

fn member_table(group_id: &str, start: u32, members: &ListGroupMembersResponse) -> Markup {
    html! {
        @if !members.members.is_empty() {
            table data-testid="members" {
                (page::table_head(&["Member", "Type", "id"]))
                tbody {
                    @for member in &members.members {
                        @let kind = member.r#type.as_deref().unwrap_or("User");
                        @let shown = member.display.as_deref().filter(|display| !display.is_empty()).unwrap_or(&member.value);
                        tr {
                            td {
                                a href=(detail_href(if kind == "Group" { "groups" } else { "users" }, &member.value)) { (shown) }
                            }
                            td { (kind) }
                            td { code { (member.value) } }
                        }
                    }
                }
            }
        }
        (page::pager(u64::from(start), u64::from(PAGE_SIZE), members.total_results, |start| {
            href(&detail_href("groups", group_id), &[("start", &start.to_string())]) + "#members"
        }))
    }
}
