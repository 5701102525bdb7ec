//! `POST /Users/.search` and `POST /.search` (RFC 7644 §3.4.3): a query whose parameters
//! travel in a `SearchRequest` body instead of the URL, answered 200 with a `ListResponse`.
//!
//! A search from the root covers every resource type the filter can match. Users are the
//! only resource type served so far, so it searches Users; when Groups land, run the
//! search against each type and concatenate the pages in resource-type order (adding up
//! `totalResults`), which is what RFC 7644 §3.4.2 asks of a root query.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;

use crate::errors::ApiError;
use crate::extract::ScimJson;
use crate::forward::Forwarded;
use crate::users::render_user_list;
use crate::wire::search_in::SearchBody;
use crate::{AppState, SCIM_BASE_PATH};

/// The `.search` routes, with their full paths under [`SCIM_BASE_PATH`].
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{SCIM_BASE_PATH}/Users/.search"), post(search_users))
        .route(&format!("{SCIM_BASE_PATH}/.search"), post(search_root))
}

/// `POST /Users/.search` → 200 `ListResponse` of users.
async fn search_users(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ScimJson(search): ScimJson<SearchBody>,
) -> Result<Response, ApiError> {
    let SearchBody { request, projection } = search;
    let page = state.users().list_users(forwarded.request(request)).await?.into_inner();
    render_user_list(&state, &page, &projection)
}

/// `POST /.search` → 200 `ListResponse` over every resource type (Users, for now).
async fn search_root(
    state: State<AppState>,
    forwarded: Forwarded,
    search: ScimJson<SearchBody>,
) -> Result<Response, ApiError> {
    search_users(state, forwarded, search).await
}
