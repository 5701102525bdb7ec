//! `/Users` (RFC 7644 §3.3–§3.6): unpack the HTTP request, call sync-core's `Users`
//! service, render the answer. No rule about users is decided here.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use idsync_proto::v1::{
    CreateUserRequest, DeleteUserRequest, GetUserRequest, PatchUserRequest, ReplaceUserRequest, User,
};

use crate::errors::ApiError;
use crate::extract::{IfMatch, ResourceId, ScimJson};
use crate::forward::Forwarded;
use crate::query::{Projection, list_users_request};
use crate::response::{Scim, resource};
use crate::wire::list::ListResponseOut;
use crate::wire::patch::PatchBody;
use crate::wire::user_in::UserBody;
use crate::wire::user_out::UserOut;
use crate::{AppState, SCIM_BASE_PATH};

/// The `/Users` routes, with their full paths under [`SCIM_BASE_PATH`].
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{SCIM_BASE_PATH}/Users"), get(list_users).post(create_user))
        .route(
            &format!("{SCIM_BASE_PATH}/Users/{{id}}"),
            get(get_user).put(replace_user).patch(patch_user).delete(delete_user),
        )
}

/// `GET /Users?filter=…&startIndex=…&count=…` → 200 `ListResponse` (an empty page when
/// nothing matches: Entra quarantines a job that gets 404 here).
async fn list_users(
    State(state): State<AppState>,
    forwarded: Forwarded,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let request = list_users_request(query.as_deref())?;
    let page = state.users().list_users(forwarded.request(request)).await?.into_inner();
    Ok(Scim(ListResponseOut::users(&page, state.scim_base_url())).into_response())
}

/// `POST /Users` → 201 with `Location` and `ETag`.
async fn create_user(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ScimJson(UserBody(user)): ScimJson<UserBody>,
) -> Result<Response, ApiError> {
    let request = CreateUserRequest { user: Some(user) };
    let user = state
        .users()
        .create_user(forwarded.request(request))
        .await?
        .into_inner();
    Ok(render_user(&state, StatusCode::CREATED, &user))
}

/// `GET /Users/{id}` → 200 with `ETag`; `excludedAttributes=groups` skips the
/// membership lookup.
async fn get_user(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let exclude_groups = Projection::parse(query.as_deref()).leaves_out("groups");
    let user = state
        .users()
        .get_user(forwarded.request(GetUserRequest { id, exclude_groups }))
        .await?
        .into_inner();
    Ok(render_user(&state, StatusCode::OK, &user))
}

/// `PUT /Users/{id}` → 200 with `ETag`; `If-Match` becomes a version check.
async fn replace_user(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    IfMatch(if_match): IfMatch,
    ScimJson(UserBody(user)): ScimJson<UserBody>,
) -> Result<Response, ApiError> {
    let request = ReplaceUserRequest {
        id,
        user: Some(user),
        if_match,
    };
    let user = state
        .users()
        .replace_user(forwarded.request(request))
        .await?
        .into_inner();
    Ok(render_user(&state, StatusCode::OK, &user))
}

/// `PATCH /Users/{id}` → 200 with the full user and `ETag`.
async fn patch_user(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    IfMatch(if_match): IfMatch,
    ScimJson(PatchBody(operations)): ScimJson<PatchBody>,
) -> Result<Response, ApiError> {
    let request = PatchUserRequest {
        id,
        operations,
        if_match,
    };
    let user = state.users().patch_user(forwarded.request(request)).await?.into_inner();
    Ok(render_user(&state, StatusCode::OK, &user))
}

/// `DELETE /Users/{id}` → 204 without a body.
async fn delete_user(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    IfMatch(if_match): IfMatch,
) -> Result<StatusCode, ApiError> {
    state
        .users()
        .delete_user(forwarded.request(DeleteUserRequest { id, if_match }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user as SCIM JSON with `ETag`; a 201 also gets `Location` (RFC 7644 §3.3).
fn render_user(state: &AppState, status: StatusCode, user: &User) -> Response {
    let out = UserOut::new(user, state.scim_base_url());
    resource(status, out.version(), out.location(), out)
}
