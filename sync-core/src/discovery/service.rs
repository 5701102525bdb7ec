//! The tonic `idsync.v1.Discovery` service.
//!
//! Any valid token of any tenant may read it, whatever its scope: the answers are the
//! same for every tenant and reveal no tenant's data. A token is still required (RFC 7644
//! §4 allows, but does not demand, anonymous discovery): one rule for every endpoint
//! means nothing about the service can be probed without a credential, and Entra always
//! sends its token anyway.

use idsync_proto::v1::discovery_server::Discovery;
use idsync_proto::v1::{
    GetResourceTypeRequest, GetSchemaRequest, GetServiceProviderConfigRequest, ListResourceTypesRequest,
    ListResourceTypesResponse, ListSchemasRequest, ListSchemasResponse, ResourceType, Schema, ServiceProviderConfig,
    WhoAmIRequest, WhoAmIResponse,
};
use idsync_storage::records::Scope;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use crate::Core;
use crate::admin::service::scope_to_proto;

const ANY_SCOPE: &[Scope] = &[Scope::Scim, Scope::Read, Scope::Admin];

/// Serves `idsync.v1.Discovery` over a [`Core`].
#[derive(Clone)]
pub struct DiscoveryService {
    core: Core,
}

impl DiscoveryService {
    /// The service over `core`.
    pub fn new(core: Core) -> Self {
        DiscoveryService { core }
    }

    async fn authenticate(&self, metadata: &MetadataMap) -> Result<(), Status> {
        self.core.authorize(metadata, ANY_SCOPE).await?;
        Ok(())
    }
}

#[tonic::async_trait]
impl Discovery for DiscoveryService {
    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), ANY_SCOPE).await?;
        Ok(Response::new(WhoAmIResponse {
            tenant_id: caller.tenant_id,
            token_id: caller.token_id,
            scope: scope_to_proto(caller.scope) as i32,
        }))
    }

    async fn get_service_provider_config(
        &self,
        request: Request<GetServiceProviderConfigRequest>,
    ) -> Result<Response<ServiceProviderConfig>, Status> {
        self.authenticate(request.metadata()).await?;
        Ok(Response::new(self.core.service_provider_config()))
    }

    async fn list_resource_types(
        &self,
        request: Request<ListResourceTypesRequest>,
    ) -> Result<Response<ListResourceTypesResponse>, Status> {
        self.authenticate(request.metadata()).await?;
        Ok(Response::new(ListResourceTypesResponse {
            resource_types: self.core.resource_types(),
        }))
    }

    async fn get_resource_type(
        &self,
        request: Request<GetResourceTypeRequest>,
    ) -> Result<Response<ResourceType>, Status> {
        self.authenticate(request.metadata()).await?;
        let GetResourceTypeRequest { id } = request.into_inner();
        Ok(Response::new(self.core.resource_type(&id)?))
    }

    async fn list_schemas(
        &self,
        request: Request<ListSchemasRequest>,
    ) -> Result<Response<ListSchemasResponse>, Status> {
        self.authenticate(request.metadata()).await?;
        Ok(Response::new(ListSchemasResponse {
            schemas: self.core.schemas().to_vec(),
        }))
    }

    async fn get_schema(&self, request: Request<GetSchemaRequest>) -> Result<Response<Schema>, Status> {
        self.authenticate(request.metadata()).await?;
        let GetSchemaRequest { id } = request.into_inner();
        Ok(Response::new(self.core.schema(&id)?))
    }
}
