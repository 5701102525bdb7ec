//! `POST /Users/.search`, `POST /Groups/.search` and `POST /.search` (RFC 7644 §3.4.3): a
//! query whose parameters travel in a `SearchRequest` body instead of the URL, answered
//! 200 with a `ListResponse`.
//!
//! A search of one resource type is that type's list. A search from the root covers
//! every resource type: the core applies the filter to Users and to Groups and pages
//! over every matching User followed by every matching Group (see sync-core's `search`
//! for how a filter naming one type's attributes treats the other type, and why
//! `sortBy` is refused there). Each result is rendered as itself, and `attributes` /
//! `excludedAttributes` apply to each; `groups` and `members` are not even read unless
//! the projection may return them.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;

use crate::errors::ApiError;
use crate::extract::ScimJson;
use crate::forward::Forwarded;
use crate::groups::{member_display, render_group_list};
use crate::response::projected_list;
use crate::users::render_user_list;
use crate::wire::list::ListResponseOut;
use crate::wire::search_in::SearchBody;
use crate::{AppState, SCIM_BASE_PATH};

/// The `.search` routes, with their full paths under [`SCIM_BASE_PATH`].
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{SCIM_BASE_PATH}/Users/.search"), post(search_users))
        .route(&format!("{SCIM_BASE_PATH}/Groups/.search"), post(search_groups))
        .route(&format!("{SCIM_BASE_PATH}/.search"), post(search_root))
}

/// `POST /Users/.search` → 200 `ListResponse` of users.
async fn search_users(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ScimJson(search): ScimJson<SearchBody>,
) -> Result<Response, ApiError> {
    let (request, projection) = search.users();
    let page = state.users().list_users(forwarded.request(request)).await?.into_inner();
    render_user_list(&state, &page, &projection)
}

/// `POST /Groups/.search` → 200 `ListResponse` of groups.
async fn search_groups(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ScimJson(search): ScimJson<SearchBody>,
) -> Result<Response, ApiError> {
    let (request, projection) = search.groups();
    let page = state
        .groups()
        .list_groups(forwarded.request(request))
        .await?
        .into_inner();
    render_group_list(&state, &page, &projection)
}

/// `POST /.search` → 200 `ListResponse` of users, then groups.
async fn search_root(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ScimJson(search): ScimJson<SearchBody>,
) -> Result<Response, ApiError> {
    let (request, projection) = search.every_type()?;
    let page = state
        .search()
        .search_resources(forwarded.request(request))
        .await?
        .into_inner();
    let list = ListResponseOut::search(&page, state.scim_base_url(), member_display(&projection))?;
    projected_list(list, &projection)
}
