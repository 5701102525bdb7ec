//! The tonic `idsync.v1.Users` service: unpack, authenticate, call the operation, answer.

use idsync_proto::v1::users_server::Users;
use idsync_proto::v1::{
    CreateUserRequest, DeleteUserRequest, DeleteUserResponse, GetUserRequest, ListUsersRequest, ListUsersResponse,
    PatchUserRequest, ReplaceUserRequest, User,
};
use idsync_storage::records::Scope;
use tonic::{Request, Response, Status};

use crate::Core;
use crate::cursor::CursorKey;
use crate::error::{CoreError, check_id};

/// Who may read users, groups, the directory and search: `scim` (Entra), `read`
/// (internal services) and `admin` (the admin console signs in with one and shows the
/// tenant's users and groups).
pub(crate) const READERS: &[Scope] = &[Scope::Scim, Scope::Read, Scope::Admin];
/// Who may write: `scim` only.
pub(crate) const WRITERS: &[Scope] = &[Scope::Scim];

/// Serves `idsync.v1.Users` over a [`Core`].
#[derive(Clone)]
pub struct UsersService {
    core: Core,
}

impl UsersService {
    /// The service over `core`.
    pub fn new(core: Core) -> Self {
        UsersService { core }
    }
}

fn required(user: Option<User>) -> Result<User, CoreError> {
    user.ok_or_else(|| CoreError::invalid_value("the request carries no user"))
}

#[tonic::async_trait]
impl Users for UsersService {
    async fn create_user(&self, request: Request<CreateUserRequest>) -> Result<Response<User>, Status> {
        let caller = self.core.authorize(request.metadata(), WRITERS).await?;
        let CreateUserRequest { user } = request.into_inner();
        Ok(Response::new(self.core.create_user(&caller, required(user)?).await?))
    }

    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let caller = self.core.authorize(request.metadata(), READERS).await?;
        let GetUserRequest { id, exclude_groups } = request.into_inner();
        check_id("id", &id)?;
        Ok(Response::new(self.core.get_user(&caller, id, exclude_groups).await?))
    }

    async fn list_users(&self, request: Request<ListUsersRequest>) -> Result<Response<ListUsersResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), READERS).await?;
        if request.get_ref().cursor.is_some() {
            let key = CursorKey::of_call(request.metadata(), &caller.tenant_id);
            return Ok(Response::new(
                self.core.seek_users(&caller, key, request.into_inner()).await?,
            ));
        }
        Ok(Response::new(
            self.core.list_users(&caller, request.into_inner()).await?,
        ))
    }

    async fn replace_user(&self, request: Request<ReplaceUserRequest>) -> Result<Response<User>, Status> {
        let caller = self.core.authorize(request.metadata(), WRITERS).await?;
        let ReplaceUserRequest { id, user, if_match } = request.into_inner();
        check_id("id", &id)?;
        let user = required(user)?;
        Ok(Response::new(
            self.core
                .replace_user(&caller, id, user, if_match.map(|v| v.version))
                .await?,
        ))
    }

    async fn patch_user(&self, request: Request<PatchUserRequest>) -> Result<Response<User>, Status> {
        let caller = self.core.authorize(request.metadata(), WRITERS).await?;
        let PatchUserRequest {
            id,
            operations,
            if_match,
        } = request.into_inner();
        check_id("id", &id)?;
        Ok(Response::new(
            self.core
                .patch_user(&caller, id, operations, if_match.map(|v| v.version))
                .await?,
        ))
    }

    async fn delete_user(&self, request: Request<DeleteUserRequest>) -> Result<Response<DeleteUserResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), WRITERS).await?;
        let DeleteUserRequest { id, if_match } = request.into_inner();
        check_id("id", &id)?;
        self.core.delete_user(&caller, id, if_match.map(|v| v.version)).await?;
        Ok(Response::new(DeleteUserResponse {}))
    }
}
