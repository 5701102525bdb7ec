//! Discovery (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`,
//! read from sync-core's `Discovery` service and rendered as SCIM JSON. The gateway
//! invents none of it.
//!
//! Only GET (and HEAD) are routed; other methods get the router's SCIM 405. A valid token
//! is required as everywhere else (see the core's `discovery::service` for why). Paging
//! and sorting parameters are ignored, as RFC 7644 §4 says; a `filter` is answered 403 so
//! that a client cannot mistake an unfiltered answer for a filtered one.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use idsync_proto::v1::{
    GetResourceTypeRequest, GetSchemaRequest, GetServiceProviderConfigRequest, ListResourceTypesRequest,
    ListSchemasRequest,
};

use crate::errors::ApiError;
use crate::extract::ResourceId;
use crate::forward::Forwarded;
use crate::query::has_filter;
use crate::response::Scim;
use crate::wire::discovery_out::{ResourceTypeOut, ServiceProviderConfigOut};
use crate::wire::list::ListResponseOut;
use crate::wire::schema_out::SchemaOut;
use crate::{AppState, SCIM_BASE_PATH};

/// The discovery routes, with their full paths under [`SCIM_BASE_PATH`].
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{SCIM_BASE_PATH}/ServiceProviderConfig"),
            get(get_service_provider_config),
        )
        .route(&format!("{SCIM_BASE_PATH}/ResourceTypes"), get(list_resource_types))
        .route(
            &format!("{SCIM_BASE_PATH}/ResourceTypes/{{id}}"),
            get(get_resource_type),
        )
        .route(&format!("{SCIM_BASE_PATH}/Schemas"), get(list_schemas))
        .route(&format!("{SCIM_BASE_PATH}/Schemas/{{id}}"), get(get_schema))
}

/// RFC 7644 §4: "If a "filter" is provided, the service provider SHOULD respond with HTTP
/// status code 403". Checked after the core has authenticated the caller, so a request
/// without a valid token still gets 401.
fn refuse_filter(query: Option<&str>) -> Result<(), ApiError> {
    match has_filter(query) {
        true => Err(ApiError::forbidden(
            "discovery endpoints do not support filtering (RFC 7644 §4)",
        )),
        false => Ok(()),
    }
}

/// `GET /ServiceProviderConfig` → 200, the features this service supports.
async fn get_service_provider_config(
    State(state): State<AppState>,
    forwarded: Forwarded,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let config = state
        .discovery()
        .get_service_provider_config(forwarded.request(GetServiceProviderConfigRequest {}))
        .await?
        .into_inner();
    refuse_filter(query.as_deref())?;
    Ok(Scim(ServiceProviderConfigOut::new(&config, state.scim_base_url())).into_response())
}

/// `GET /ResourceTypes` → 200 `ListResponse` of every resource type.
async fn list_resource_types(
    State(state): State<AppState>,
    forwarded: Forwarded,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let types = state
        .discovery()
        .list_resource_types(forwarded.request(ListResourceTypesRequest {}))
        .await?
        .into_inner()
        .resource_types;
    refuse_filter(query.as_deref())?;
    let base_url = state.scim_base_url();
    let resources = types.iter().map(|t| ResourceTypeOut::new(t, base_url)).collect();
    Ok(Scim(ListResponseOut::complete(resources)).into_response())
}

/// `GET /ResourceTypes/{id}` → 200, or 404 for an unknown resource type.
async fn get_resource_type(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let resource_type = state
        .discovery()
        .get_resource_type(forwarded.request(GetResourceTypeRequest { id }))
        .await?
        .into_inner();
    refuse_filter(query.as_deref())?;
    Ok(Scim(ResourceTypeOut::new(&resource_type, state.scim_base_url())).into_response())
}

/// `GET /Schemas` → 200 `ListResponse` of every schema.
async fn list_schemas(
    State(state): State<AppState>,
    forwarded: Forwarded,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let schemas = state
        .discovery()
        .list_schemas(forwarded.request(ListSchemasRequest {}))
        .await?
        .into_inner()
        .schemas;
    refuse_filter(query.as_deref())?;
    let base_url = state.scim_base_url();
    let resources = schemas.iter().map(|s| SchemaOut::new(s, base_url)).collect();
    Ok(Scim(ListResponseOut::complete(resources)).into_response())
}

/// `GET /Schemas/{urn}` → 200, or 404 for an unknown schema.
async fn get_schema(
    State(state): State<AppState>,
    forwarded: Forwarded,
    ResourceId(id): ResourceId,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let schema = state
        .discovery()
        .get_schema(forwarded.request(GetSchemaRequest { id }))
        .await?
        .into_inner();
    refuse_filter(query.as_deref())?;
    Ok(Scim(SchemaOut::new(&schema, state.scim_base_url())).into_response())
}
