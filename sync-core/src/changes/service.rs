//! The tonic `idsync.v1.Changes` service.

use idsync_proto::v1::WatchChangesRequest;
use idsync_proto::v1::changes_server::Changes;
use idsync_storage::records::Scope;
use tonic::{Request, Response, Status};

use super::watch::ChangeStream;
use crate::Core;

/// Who may watch: `scim` and `read` tokens. Not `admin`, although it may read the
/// directory: a stream is a standing subscription held by a service, not a console's
/// look, and an admin token's job is managing tokens and rules.
const WATCHERS: &[Scope] = &[Scope::Scim, Scope::Read];

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
        let caller = self.core.authorize(request.metadata(), WATCHERS).await?;
        Ok(Response::new(
            self.core.watch_changes(&caller, request.into_inner()).await?,
        ))
    }
}
