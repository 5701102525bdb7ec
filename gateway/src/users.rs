//! `/Users` (RFC 7644 §3.3–§3.6): unpack the HTTP request, call sync-core's `Users`
//! service, render the answer. No rule about users is decided here.
//!
//! Every answer that carries a user honours `attributes` / `excludedAttributes`
//! (RFC 7644 §3.9); `GET /Users/{id}` honours `If-None-Match`. `/Me` is not implemented.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{any, get};
use idsync_proto::v1::{
    CreateUserRequest, DeleteUserRequest, GetUserRequest, ListUsersResponse, PatchUserRequest, ReplaceUserRequest, User,
};

use crate::errors::ApiError;
use crate::extract::{IfMatch, IfNoneMatch, ResourceId, ScimJson};
use crate::forward::Forwarded;
use crate::projection::Projection;
use crate::query::{list_users_request, projection};
use crate::response::{not_modified, projected_list, projected_resource};
use crate::wire::list::ListResponseOut;
use crate::wire::patch::PatchBody;
use crate::wire::user_in::UserBody;
use crate::wire::user_out::UserOut;
use crate::{AppState, SCIM_BASE_PATH};

/// The `/Users` and `/Me` routes, with their full paths under [`SCIM_BASE_PATH`].
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{SCIM_BASE_PATH}/Users"), get(list_users).post(create_user))
        .route(
            &format!("{SCIM_BASE_PATH}/Users/{{id}}"),
            get(get_user).put(replace_user).patch(patch_user).delete(delete_user),
        )
        .route(&format!("{SCIM_BASE_PATH}/Me"), any(me))
        .route(&format!("{SCIM_BASE_PATH}/Me/{{*rest}}"), any(me))
}

/// `GET /Users?filter=…&startIndex=…&count=…` → 200 `ListResponse` (an empty page when
/// nothing matches: Entra quarantines a job that gets 404 here).
async fn list_users(
    State(state): State<AppState>,
    forwarded: Forwarded,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let projection = projection(query.as_deref())?;
    let mut request = list_users_request(query.as_deref())?;
    request.exclude_groups = !projection.may_return("groups");
    let page = state.users().list_users(forwarded.request(request)).await?.into_inner();
    render_user_list(&state, &page, &projection)
}

/// `POST /Users` → 201 with `Location` and `ETag`.
async fn create_user(
    State(state): State<AppState>,
    forwarded: Forwarded,
    RawQuery(query): RawQuery,
    ScimJson(UserBody(user)): ScimJson<UserBody>,
) -> Result<Response, ApiError> {
    let projection = projection(query.as_deref())?;
    let request = CreateUserRequest { user: Some(user) };
    let user = state
        .users()
        .create_user(forwarded.request(request))
        .await?
        .into_inner();
    render_user(&state, StatusCode::CREATED, &user, &projection)
}

/// `GET /Users/{id}` → 200 with `ETag`, or 304 without a body when `If-None-Match`
/// names the current version (or is `*`).
async fn get_user(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    RawQuery(query): RawQuery,
    if_none_match: IfNoneMatch,
) -> Result<Response, ApiError> {
    let projection = projection(query.as_deref())?;
    let request = GetUserRequest {
        id,
        exclude_groups: !projection.may_return("groups"),
    };
    let user = state.users().get_user(forwarded.request(request)).await?.into_inner();
    if let Some(unchanged) = not_modified(&if_none_match, user.meta.as_ref().map(|m| m.version)) {
        return Ok(unchanged);
    }
    render_user(&state, StatusCode::OK, &user, &projection)
}

/// `PUT /Users/{id}` → 200 with `ETag`; `If-Match` becomes a version check.
async fn replace_user(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    RawQuery(query): RawQuery,
    IfMatch(if_match): IfMatch,
    ScimJson(UserBody(user)): ScimJson<UserBody>,
) -> Result<Response, ApiError> {
    let projection = projection(query.as_deref())?;
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
    render_user(&state, StatusCode::OK, &user, &projection)
}

/// `PATCH /Users/{id}` → 200 with the user and `ETag`.
async fn patch_user(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    RawQuery(query): RawQuery,
    IfMatch(if_match): IfMatch,
    ScimJson(PatchBody(operations)): ScimJson<PatchBody>,
) -> Result<Response, ApiError> {
    let projection = projection(query.as_deref())?;
    let request = PatchUserRequest {
        id,
        operations,
        if_match,
    };
    let user = state.users().patch_user(forwarded.request(request)).await?.into_inner();
    render_user(&state, StatusCode::OK, &user, &projection)
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

/// `/Me` (RFC 7644 §3.11), any method: a Secret Token names a tenant, not a User, so
/// there is no authenticated subject to alias.
async fn me() -> ApiError {
    ApiError::not_implemented("/Me is not supported: a bearer token here identifies a tenant, not a User")
}

/// A page of users as a `ListResponse`, each user projected.
pub(crate) fn render_user_list(
    state: &AppState,
    page: &ListUsersResponse,
    projection: &Projection,
) -> Result<Response, ApiError> {
    projected_list(ListResponseOut::users(page, state.scim_base_url()), projection)
}

/// The user as SCIM JSON with `ETag`, shaped by `attributes`/`excludedAttributes`; a 201
/// also gets `Location` (RFC 7644 §3.3).
fn render_user(
    state: &AppState,
    status: StatusCode,
    user: &User,
    projection: &Projection,
) -> Result<Response, ApiError> {
    let out = UserOut::new(user, state.scim_base_url());
    projected_resource(status, out.version(), out.location(), out, projection)
}
