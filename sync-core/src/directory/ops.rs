//! The directory operations, independent of transport: each is scoped to the caller's
//! tenant and runs its storage work on the blocking pool.

use idsync_proto::v1::{
    CheckMembershipRequest, CheckMembershipResponse, ListGroupMembersRequest, ListGroupMembersResponse,
    ListUserGroupsRequest, ListUserGroupsResponse, UserGroup,
};
use idsync_storage::records::MembershipRecord;

use crate::Core;
use crate::auth::Caller;
use crate::error::{CoreError, CoreResult, check_id};
use crate::groups::convert::member_to_proto;

impl Core {
    /// The groups a user of the caller's tenant is a direct member of, one page.
    pub async fn list_user_groups(
        &self,
        caller: &Caller,
        request: ListUserGroupsRequest,
    ) -> CoreResult<ListUserGroupsResponse> {
        let ListUserGroupsRequest {
            user_id,
            start_index,
            count,
        } = request;
        check_id("userId", &user_id)?;
        let (start_index, offset, limit) = self.page(start_index, count);
        let lookup = user_id.clone();
        let page = self
            .read_tenant(caller, move |store, tenant| {
                store.user_groups(tenant, &lookup, offset, limit)
            })
            .await?
            .ok_or_else(|| CoreError::not_found("user", &user_id))?;
        Ok(ListUserGroupsResponse {
            total_results: page.total,
            start_index,
            groups: page.groups.into_iter().map(user_group).collect(),
        })
    }

    /// The direct members of a group of the caller's tenant, one page.
    pub async fn list_group_members(
        &self,
        caller: &Caller,
        request: ListGroupMembersRequest,
    ) -> CoreResult<ListGroupMembersResponse> {
        let ListGroupMembersRequest {
            group_id,
            start_index,
            count,
        } = request;
        check_id("groupId", &group_id)?;
        let (start_index, offset, limit) = self.page(start_index, count);
        let lookup = group_id.clone();
        let page = self
            .read_tenant(caller, move |store, tenant| {
                store.group_members(tenant, &lookup, offset, limit)
            })
            .await?
            .ok_or_else(|| CoreError::not_found("group", &group_id))?;
        Ok(ListGroupMembersResponse {
            total_results: page.total,
            start_index,
            members: page.members.iter().map(member_to_proto).collect(),
        })
    }

    /// Whether an id is a direct member of a group of the caller's tenant.
    pub async fn check_membership(
        &self,
        caller: &Caller,
        request: CheckMembershipRequest,
    ) -> CoreResult<CheckMembershipResponse> {
        let CheckMembershipRequest { group_id, member_id } = request;
        check_id("groupId", &group_id)?;
        check_id("memberId", &member_id)?;
        let lookup = group_id.clone();
        let member = self
            .read_tenant(caller, move |store, tenant| {
                store.is_member(tenant, &lookup, &member_id)
            })
            .await?
            .ok_or_else(|| CoreError::not_found("group", &group_id))?;
        // Only direct membership is checked, so a member is always a direct one.
        Ok(CheckMembershipResponse { member, direct: member })
    }
}

fn user_group(membership: MembershipRecord) -> UserGroup {
    let MembershipRecord { group_id, display_name } = membership;
    UserGroup {
        id: group_id,
        display_name,
    }
}
