//! The tonic `idsync.v1.Directory` service: unpack, authenticate, call the operation,
//! answer. These are reads: `scim`, `read` and `admin` tokens may call them.

use idsync_proto::v1::directory_server::Directory;
use idsync_proto::v1::{
    CheckMembershipRequest, CheckMembershipResponse, ListGroupMembersRequest, ListGroupMembersResponse,
    ListUserGroupsRequest, ListUserGroupsResponse,
};
use tonic::{Request, Response, Status};

use crate::Core;
use crate::users::service::READERS;

/// Serves `idsync.v1.Directory` over a [`Core`].
#[derive(Clone)]
pub struct DirectoryService {
    core: Core,
}

impl DirectoryService {
    /// The service over `core`.
    pub fn new(core: Core) -> Self {
        DirectoryService { core }
    }
}

#[tonic::async_trait]
impl Directory for DirectoryService {
    async fn list_user_groups(
        &self,
        request: Request<ListUserGroupsRequest>,
    ) -> Result<Response<ListUserGroupsResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), READERS).await?;
        Ok(Response::new(
            self.core.list_user_groups(&caller, request.into_inner()).await?,
        ))
    }

    async fn list_group_members(
        &self,
        request: Request<ListGroupMembersRequest>,
    ) -> Result<Response<ListGroupMembersResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), READERS).await?;
        Ok(Response::new(
            self.core.list_group_members(&caller, request.into_inner()).await?,
        ))
    }

    async fn check_membership(
        &self,
        request: Request<CheckMembershipRequest>,
    ) -> Result<Response<CheckMembershipResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), READERS).await?;
        Ok(Response::new(
            self.core.check_membership(&caller, request.into_inner()).await?,
        ))
    }
}
