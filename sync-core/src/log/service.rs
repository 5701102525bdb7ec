//! The tonic `idsync.v1.ProvisioningLog` service.

use idsync_proto::v1::provisioning_log_server::ProvisioningLog;
use idsync_proto::v1::{ListLogEntriesRequest, ListLogEntriesResponse};
use idsync_storage::records::Scope;
use tonic::{Request, Response, Status};

use crate::Core;

/// Who may read the log: the tenant's admins and internal readers, not Entra's token.
pub(crate) const LOG_READERS: &[Scope] = &[Scope::Admin, Scope::Read];

/// Serves `idsync.v1.ProvisioningLog` over a [`Core`].
#[derive(Clone)]
pub struct LogService {
    core: Core,
}

impl LogService {
    /// The service over `core`.
    pub fn new(core: Core) -> Self {
        LogService { core }
    }
}

#[tonic::async_trait]
impl ProvisioningLog for LogService {
    async fn list_log_entries(
        &self,
        request: Request<ListLogEntriesRequest>,
    ) -> Result<Response<ListLogEntriesResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), LOG_READERS).await?;
        Ok(Response::new(
            self.core.list_log_entries(&caller, request.into_inner()).await?,
        ))
    }
}
