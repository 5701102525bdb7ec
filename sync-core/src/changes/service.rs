//! The tonic `idsync.v1.Changes` service.

use idsync_proto::v1::WatchChangesRequest;
use idsync_proto::v1::changes_server::Changes;
use tonic::{Request, Response, Status};

use super::watch::ChangeStream;
use crate::Core;
use crate::users::service::READERS;

/// Serves `idsync.v1.Changes` over a [`Core`]: `scim` and `read` tokens watch their
/// own tenant.
#[derive(Clone)]
pub struct ChangesService {
    core: Core,
}

impl ChangesService {
    /// The service over `core`.
    pub fn new(core: Core) -> Self {
        ChangesService { core }
    }
}

#[tonic::async_trait]
impl Changes for ChangesService {
    type WatchChangesStream = ChangeStream;

    async fn watch_changes(
        &self,
        request: Request<WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        let caller = self.core.authorize(request.metadata(), READERS).await?;
        Ok(Response::new(
            self.core.watch_changes(&caller, request.into_inner()).await?,
        ))
    }
}
