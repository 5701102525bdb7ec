//! `/Groups` (RFC 7644 §3.3–§3.6): unpack the HTTP request, call sync-core's `Groups`
//! service, render the answer. No rule about groups is decided here.
//!
//! `excludedAttributes=members` (or an `attributes` list without it) tells the core not
//! to load members at all, which is how Entra always reads groups. A PATCH answers
//! `204 No Content` with the new `ETag` (Microsoft's preference for groups, and no
//! member list is serialized), unless the request names `attributes` or
//! `excludedAttributes`, which ask for the group back: then 200 with it.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use idsync_proto::v1::{
    CreateGroupRequest, DeleteGroupRequest, GetGroupRequest, Group, ListGroupsResponse, PatchGroupRequest,
    PatchGroupResponse, ReplaceGroupRequest,
};

use crate::errors::ApiError;
use crate::extract::{IfMatch, IfNoneMatch, ResourceId, ScimJson};
use crate::forward::Forwarded;
use crate::projection::Projection;
use crate::query::{list_groups_request, projection};
use crate::response::{etag, not_modified, projected_list, projected_resource};
use crate::wire::GROUP_URN;
use crate::wire::group_in::GroupBody;
use crate::wire::group_out::GroupOut;
use crate::wire::list::ListResponseOut;
use crate::wire::patch::PatchBody;
use crate::{AppState, SCIM_BASE_PATH};

/// The `/Groups` routes, with their full paths under [`SCIM_BASE_PATH`].
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{SCIM_BASE_PATH}/Groups"), get(list_groups).post(create_group))
        .route(
            &format!("{SCIM_BASE_PATH}/Groups/{{id}}"),
            get(get_group)
                .put(replace_group)
                .patch(patch_group)
                .delete(delete_group),
        )
}

/// `GET /Groups?filter=…&startIndex=…&count=…&excludedAttributes=members` → 200
/// `ListResponse` (an empty page when nothing matches).
async fn list_groups(
    State(state): State<AppState>,
    forwarded: Forwarded,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let projection = projection(query.as_deref())?;
    let mut request = list_groups_request(query.as_deref())?;
    request.exclude_members = !projection.may_return("members");
    let page = state
        .groups()
        .list_groups(forwarded.request(request))
        .await?
        .into_inner();
    render_group_list(&state, &page, &projection)
}

/// Whether members' `display` (`returned: request`) was asked for.
pub(crate) fn member_display(projection: &Projection) -> bool {
    projection.requests(GROUP_URN, "members", "display")
}

/// A page of groups as a `ListResponse`, each group projected.
pub(crate) fn render_group_list(
    state: &AppState,
    page: &ListGroupsResponse,
    projection: &Projection,
) -> Result<Response, ApiError> {
    let list = ListResponseOut::groups(page, state.scim_base_url(), member_display(projection));
    projected_list(list, projection)
}

/// `POST /Groups` → 201 with `Location` and `ETag`.
async fn create_group(
    State(state): State<AppState>,
    forwarded: Forwarded,
    RawQuery(query): RawQuery,
    ScimJson(GroupBody(group)): ScimJson<GroupBody>,
) -> Result<Response, ApiError> {
    let projection = projection(query.as_deref())?;
    let request = CreateGroupRequest { group: Some(group) };
    let group = state
        .groups()
        .create_group(forwarded.request(request))
        .await?
        .into_inner();
    render_group(&state, StatusCode::CREATED, &group, &projection)
}

/// `GET /Groups/{id}` → 200 with `ETag`, or 304 without a body when `If-None-Match`
/// names the current version (or is `*`).
async fn get_group(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    RawQuery(query): RawQuery,
    if_none_match: IfNoneMatch,
) -> Result<Response, ApiError> {
    let projection = projection(query.as_deref())?;
    let exclude_members = !projection.may_return("members");
    let group = state
        .groups()
        .get_group(forwarded.request(GetGroupRequest { id, exclude_members }))
        .await?
        .into_inner();
    if let Some(unchanged) = not_modified(&if_none_match, group.meta.as_ref().map(|m| m.version)) {
        return Ok(unchanged);
    }
    render_group(&state, StatusCode::OK, &group, &projection)
}

/// `PUT /Groups/{id}` → 200 with `ETag`; `If-Match` becomes a version check.
async fn replace_group(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    IfMatch(if_match): IfMatch,
    RawQuery(query): RawQuery,
    ScimJson(GroupBody(group)): ScimJson<GroupBody>,
) -> Result<Response, ApiError> {
    let projection = projection(query.as_deref())?;
    let request = ReplaceGroupRequest {
        id,
        group: Some(group),
        if_match,
    };
    let group = state
        .groups()
        .replace_group(forwarded.request(request))
        .await?
        .into_inner();
    render_group(&state, StatusCode::OK, &group, &projection)
}

/// `PATCH /Groups/{id}` → 204 with `ETag`, or 200 with the group when the query names
/// `attributes` or `excludedAttributes`.
async fn patch_group(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    IfMatch(if_match): IfMatch,
    RawQuery(query): RawQuery,
    ScimJson(PatchBody(operations)): ScimJson<PatchBody>,
) -> Result<Response, ApiError> {
    let projection = projection(query.as_deref())?;
    let request = PatchGroupRequest {
        id,
        operations,
        if_match,
        return_group: !projection.is_all(),
        exclude_members: !projection.may_return("members"),
    };
    let PatchGroupResponse { group, version } = state
        .groups()
        .patch_group(forwarded.request(request))
        .await?
        .into_inner();
    Ok(match group {
        Some(group) => render_group(&state, StatusCode::OK, &group, &projection)?,
        None => (StatusCode::NO_CONTENT, [(header::ETAG, etag(version))]).into_response(),
    })
}

/// `DELETE /Groups/{id}` → 204 without a body.
async fn delete_group(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    IfMatch(if_match): IfMatch,
) -> Result<StatusCode, ApiError> {
    state
        .groups()
        .delete_group(forwarded.request(DeleteGroupRequest { id, if_match }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The group as SCIM JSON with `ETag`, shaped by `attributes`/`excludedAttributes`; a
/// 201 also gets `Location` (RFC 7644 §3.3).
fn render_group(
    state: &AppState,
    status: StatusCode,
    group: &Group,
    projection: &Projection,
) -> Result<Response, ApiError> {
    let out = GroupOut::new(group, state.scim_base_url(), member_display(projection));
    projected_resource(status, out.version(), out.location(), out, projection)
}
