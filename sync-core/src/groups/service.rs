//! The tonic `idsync.v1.Groups` service: unpack, authenticate, call the operation,
//! answer. Rights are those of Users: `scim` writes, `scim` and `read` read.

use idsync_proto::v1::groups_server::Groups;
use idsync_proto::v1::{
    CreateGroupRequest, DeleteGroupRequest, DeleteGroupResponse, GetGroupRequest, Group, ListGroupsRequest,
    ListGroupsResponse, PatchGroupRequest, PatchGroupResponse, ReplaceGroupRequest,
};
use tonic::{Request, Response, Status};

use crate::Core;
use crate::cursor::CursorKey;
use crate::error::{CoreError, check_id};
use crate::users::service::{READERS, WRITERS};

/// Serves `idsync.v1.Groups` over a [`Core`].
#[derive(Clone)]
pub struct GroupsService {
    core: Core,
}

impl GroupsService {
    /// The service over `core`.
    pub fn new(core: Core) -> Self {
        GroupsService { core }
    }
}

fn required(group: Option<Group>) -> Result<Group, CoreError> {
    group.ok_or_else(|| CoreError::invalid_value("the request carries no group"))
}

#[tonic::async_trait]
impl Groups for GroupsService {
    async fn create_group(&self, request: Request<CreateGroupRequest>) -> Result<Response<Group>, Status> {
        let caller = self.core.authorize(request.metadata(), WRITERS).await?;
        let CreateGroupRequest { group } = request.into_inner();
        Ok(Response::new(self.core.create_group(&caller, required(group)?).await?))
    }

    async fn get_group(&self, request: Request<GetGroupRequest>) -> Result<Response<Group>, Status> {
        let caller = self.core.authorize(request.metadata(), READERS).await?;
        let GetGroupRequest { id, exclude_members } = request.into_inner();
        check_id("id", &id)?;
        Ok(Response::new(self.core.get_group(&caller, id, exclude_members).await?))
    }

    async fn list_groups(&self, request: Request<ListGroupsRequest>) -> Result<Response<ListGroupsResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), READERS).await?;
        if request.get_ref().cursor.is_some() {
            let key = CursorKey::of_call(request.metadata(), &caller.tenant_id);
            return Ok(Response::new(
                self.core.seek_groups(&caller, key, request.into_inner()).await?,
            ));
        }
        Ok(Response::new(
            self.core.list_groups(&caller, request.into_inner()).await?,
        ))
    }

    async fn replace_group(&self, request: Request<ReplaceGroupRequest>) -> Result<Response<Group>, Status> {
        let caller = self.core.authorize(request.metadata(), WRITERS).await?;
        let ReplaceGroupRequest { id, group, if_match } = request.into_inner();
        check_id("id", &id)?;
        let group = required(group)?;
        Ok(Response::new(
            self.core
                .replace_group(&caller, id, group, if_match.map(|v| v.version))
                .await?,
        ))
    }

    async fn patch_group(&self, request: Request<PatchGroupRequest>) -> Result<Response<PatchGroupResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), WRITERS).await?;
        let PatchGroupRequest {
            id,
            operations,
            if_match,
            return_group,
            exclude_members,
        } = request.into_inner();
        check_id("id", &id)?;
        Ok(Response::new(
            self.core
                .patch_group(
                    &caller,
                    id,
                    operations,
                    if_match.map(|v| v.version),
                    return_group,
                    exclude_members,
                )
                .await?,
        ))
    }

    async fn delete_group(
        &self,
        request: Request<DeleteGroupRequest>,
    ) -> Result<Response<DeleteGroupResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), WRITERS).await?;
        let DeleteGroupRequest { id, if_match } = request.into_inner();
        check_id("id", &id)?;
        self.core.delete_group(&caller, id, if_match.map(|v| v.version)).await?;
        Ok(Response::new(DeleteGroupResponse {}))
    }
}
