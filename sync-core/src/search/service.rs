//! The tonic `idsync.v1.Search` service: unpack, authenticate, call the operation,
//! answer. A search is a read: `scim` and `read` tokens may search.

use idsync_proto::v1::search_server::Search;
use idsync_proto::v1::{SearchResourcesRequest, SearchResourcesResponse};
use tonic::{Request, Response, Status};

use crate::Core;
use crate::users::service::READERS;

/// Serves `idsync.v1.Search` over a [`Core`].
#[derive(Clone)]
pub struct SearchService {
    core: Core,
}

impl SearchService {
    /// The service over `core`.
    pub fn new(core: Core) -> Self {
        SearchService { core }
    }
}

#[tonic::async_trait]
impl Search for SearchService {
    async fn search_resources(
        &self,
        request: Request<SearchResourcesRequest>,
    ) -> Result<Response<SearchResourcesResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), READERS).await?;
        Ok(Response::new(
            self.core.search_resources(&caller, request.into_inner()).await?,
        ))
    }
}
