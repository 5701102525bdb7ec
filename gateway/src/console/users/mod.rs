//! The Users pages: the tenant's users, searched and paged by the core, and one user's
//! attributes, groups and provisioning history (`detail`).
//!
//! The search box becomes a SCIM filter of `sw` (starts with) comparisons, the typed
//! text JSON-escaped inside one literal, asked in two steps. First `userName` alone: a
//! range of its folded index on both backends (what an admin types most, a UPN, is
//! there). Only when no userName starts with the text, the names or the emails: other
//! text in displayName and the given and family names, each a range of its own folded
//! index, so a page costs about what the first step does at 100,000 users; text with
//! an `@` in the emails, which compares every user of the tenant (an `EXISTS` over each
//! user's values), measured in `docs/benchmarks.md`. The filter box reaches anything
//! else.

mod detail;
pub(crate) mod listing;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idsync_proto::v1::users_client::UsersClient;
use idsync_proto::v1::{ListUsersRequest, ListUsersResponse, SortOrder, User};
use maud::{Markup, html};

pub(crate) use detail::detail;
use listing::{ListQuery, PAGE_SIZE, both, detail_href, href, refused_search, search_error, starts_with_any};

use super::error::ConsoleError;
use super::page::{self, Section};
use super::session::Signed;
use crate::{ApiError, AppState};

/// The filter of the search box's first step: the userName prefix; empty when nothing
/// was typed.
fn user_name_filter(q: &str) -> String {
    starts_with_any(&["userName"], q)
}

/// The filter of the second step, when no userName starts with the text: the emails
/// for text with an `@`, else the names.
fn name_or_email_filter(q: &str) -> String {
    if q.contains('@') {
        starts_with_any(&["emails.value"], q)
    } else {
        starts_with_any(&["displayName", "name.givenName", "name.familyName"], q)
    }
}

/// A page of users matching the filter box and the search box (in two steps, above);
/// whether the second step answered.
async fn search(
    state: &AppState,
    signed: &Signed,
    query: &ListQuery,
    start: u32,
) -> Result<(ListUsersResponse, bool), tonic::Status> {
    let request = |search: String| ListUsersRequest {
        filter: both(&query.filter, &search),
        start_index: start,
        count: Some(PAGE_SIZE),
        sort_by: "userName".to_owned(),
        sort_order: SortOrder::Ascending as i32,
        exclude_groups: true,
        cursor: None,
    };
    let mut users = UsersClient::new(state.core_channel());
    let page = users
        .list_users(signed.request(request(user_name_filter(&query.q))))
        .await?
        .into_inner();
    if page.total_results > 0 || query.q.trim().is_empty() {
        return Ok((page, false));
    }
    let page = users
        .list_users(signed.request(request(name_or_email_filter(&query.q))))
        .await?
        .into_inner();
    Ok((page, true))
}

/// `GET /admin/users`: the search form and a page of matching users, by userName.
pub(crate) async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let start = query.start();
    let (status, results) = match search(&state, &signed, &query, start).await {
        Ok(found) => (StatusCode::OK, Ok(found)),
        Err(status) => (StatusCode::BAD_REQUEST, Err(refused_search(status)?)),
    };
    let body = html! {
        h1 { "Users" }
        (search_form(&query, results.as_ref().err()))
        @if let Ok((page, by_name)) = &results {
            @if *by_name {
                p.hint data-testid="searched-names" {
                    "No userName starts with “" (query.q.trim()) "”; these users' "
                    @if query.q.contains('@') { "email addresses" } @else { "names" }
                    " start with it."
                }
            }
            p data-testid="users-total" { (page.total_results) " " (if page.total_results == 1 { "user" } else { "users" }) }
            @if !page.resources.is_empty() {
                (table(&page.resources))
            }
            (page::pager(u64::from(start), u64::from(PAGE_SIZE), page.total_results, |start| {
                href("/admin/users", &[("q", &query.q), ("filter", &query.filter), ("start", &start.to_string())])
            }))
        }
    };
    Ok((status, page::layout(&signed, Section::Users, "Users", body)).into_response())
}

/// The search form. It is a GET form, so a search is a link that can be bookmarked,
/// and it carries no CSRF token: that token must never end up in a URL.
fn search_form(query: &ListQuery, error: Option<&ApiError>) -> Markup {
    html! {
        form method="get" action="/admin/users" role="search" {
            label for="q" { "Search by userName, name or email" }
            input #q type="search" name="q" value=(query.q) aria-describedby="q-hint";
            p.hint #q-hint {
                "Matches the beginning of the userName; when no userName matches, of the "
                "displayName, given or family name (or, for text with an @, of an email address)."
            }
            label for="filter" { "or a SCIM filter" }
            input #filter type="text" name="filter" value=(query.filter) aria-describedby="filter-hint"
                spellcheck="false" autocomplete="off" aria-invalid=[error.map(|_| "true")];
            p.hint #filter-hint { "For example " code { "active eq false" } " or " code { r#"emails.value ew "@contoso.com""# } "." }
            @if let Some(error) = error {
                (search_error(error))
            }
            div.actions {
                button type="submit" { "Search" }
                a href="/admin/users" { "Show all users" }
            }
        }
    }
}

/// The primary email, or else the first.
fn email(user: &User) -> Option<&str> {
    user.emails
        .iter()
        .find(|email| email.primary == Some(true))
        .or_else(|| user.emails.first())
        .and_then(|email| email.value.as_deref())
}

/// The name as one line: `formatted`, or else the given and family names.
pub(crate) fn full_name(user: &User) -> Option<String> {
    let name = user.name.as_ref()?;
    if let Some(formatted) = name.formatted.as_deref().filter(|formatted| !formatted.is_empty()) {
        return Some(formatted.to_owned());
    }
    let parts: Vec<&str> = [name.given_name.as_deref(), name.family_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn table(users: &[User]) -> Markup {
    html! {
        table data-testid="users" {
            (page::table_head(&["userName", "displayName", "Name", "Email", "Active", "Last modified"]))
            tbody {
                @for user in users {
                    tr {
                        td { a href=(detail_href("users", &user.id)) { (user.user_name) } }
                        td { (user.display_name.as_deref().unwrap_or("—")) }
                        td { (full_name(user).as_deref().unwrap_or("—")) }
                        td { (email(user).unwrap_or("—")) }
                        td { (active(user.active)) }
                        td { (page::time(user.meta.as_ref().and_then(|meta| meta.last_modified.as_ref()))) }
                    }
                }
            }
        }
    }
}

/// `active` as shown; the core stores `true` for a user created without it.
pub(crate) fn active(active: Option<bool>) -> &'static str {
    match active {
        Some(false) => "no",
        Some(true) | None => "yes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_box_compares_user_name_prefixes_then_names_or_addresses() {
        assert_eq!(user_name_filter("  "), "");
        assert_eq!(user_name_filter(" ada "), r#"userName sw "ada""#);
        assert_eq!(
            name_or_email_filter(" ada "),
            r#"displayName sw "ada" or name.givenName sw "ada" or name.familyName sw "ada""#
        );
        assert_eq!(name_or_email_filter("ada@c"), r#"emails.value sw "ada@c""#);
    }

    #[test]
    fn the_name_is_the_formatted_one_or_its_parts() {
        use idsync_proto::v1::Name;
        let user = |name: Name| User {
            name: Some(name),
            ..User::default()
        };
        let parts = Name {
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            ..Name::default()
        };
        assert_eq!(full_name(&user(parts.clone())).as_deref(), Some("Ada Lovelace"));
        let formatted = Name {
            formatted: Some("Lady Ada".into()),
            ..parts
        };
        assert_eq!(full_name(&user(formatted)).as_deref(), Some("Lady Ada"));
        assert_eq!(full_name(&User::default()), None);
    }
}
