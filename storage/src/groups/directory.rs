//! Membership reads for the directory API: a user's groups, a group's members, one
//! membership. Each is one query over `group_members` joined for names, plus — for the
//! pages — one aggregate that counts the rows and at the same time tells whether the
//! user or group exists. The aggregate runs only when the page does not tell both: an
//! empty page cannot say whether its owner exists, a full page cannot say the total.
//! Neither statement's count depends on the size of the group.

use diesel::prelude::*;

use super::members::named_members;
use super::rows::MemberRow;
use crate::error::{DbResultExt, StorageError};
use crate::records::{GroupMembersPage, MemberType, MembershipRecord, UserGroupsPage};
use crate::schema::{group_members, groups, users};
use crate::{Store, Tx, paging};

/// The page total when the page tells it: some rows, and fewer than asked for. Then
/// its owner exists too (the rows were joined to it).
fn evident_total(offset: u64, limit: u64, returned: usize) -> Option<u64> {
    let returned = returned as u64;
    (returned > 0 && returned < limit).then(|| offset.saturating_add(returned))
}

impl Tx<'_> {
    /// One page of the groups user `user_id` is a direct member of (`offset` rows
    /// skipped, at most `limit`), ordered by displayName case-insensitively, then group
    /// id; and how many there are in all. `None` when the tenant has no such user.
    ///
    /// One statement, plus one aggregate (count and existence) unless the page holds
    /// some rows but fewer than `limit`; never more, whatever the number of groups.
    pub fn user_groups(
        &mut self,
        tenant_id: &str,
        user_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Option<UserGroupsPage>, StorageError> {
        let (sql_limit, sql_offset) = paging::limit_offset(limit, offset);
        let rows: Vec<(String, String)> = if limit == 0 {
            Vec::new()
        } else {
            group_members::table
                .inner_join(
                    groups::table.on(groups::tenant_id
                        .eq(group_members::tenant_id)
                        .and(groups::id.eq(group_members::group_id))),
                )
                // Membership rows of a deleted user are removed with it; joining the user
                // anyway makes "a row means the user exists" hold by construction.
                .inner_join(
                    users::table.on(users::tenant_id
                        .eq(group_members::tenant_id)
                        .and(users::id.eq(group_members::member_id))),
                )
                .filter(group_members::tenant_id.eq(tenant_id))
                .filter(group_members::member_id.eq(user_id))
                .filter(group_members::member_type.eq(MemberType::User.as_str()))
                .order((groups::display_name_norm, groups::id))
                .limit(sql_limit)
                .offset(sql_offset)
                .select((groups::id, groups::display_name))
                .load(self.conn)
                .db()?
        };
        let total = match evident_total(offset, limit, rows.len()) {
            Some(total) => total,
            None => {
                // One row (the user, with its membership count) or none (no such user).
                let counted: Option<(String, i64)> = users::table
                    .left_join(
                        group_members::table.on(group_members::tenant_id
                            .eq(users::tenant_id)
                            .and(group_members::member_id.eq(users::id))
                            .and(group_members::member_type.eq(MemberType::User.as_str()))),
                    )
                    .filter(users::tenant_id.eq(tenant_id))
                    .filter(users::id.eq(user_id))
                    .group_by(users::id)
                    .select((users::id, diesel::dsl::count(group_members::group_id.nullable())))
                    .first(self.conn)
                    .optional()
                    .db()?;
                let Some((_, count)) = counted else { return Ok(None) };
                u64::try_from(count).unwrap_or(0)
            }
        };
        let groups = rows
            .into_iter()
            .map(|(group_id, display_name)| MembershipRecord { group_id, display_name })
            .collect();
        Ok(Some(UserGroupsPage { total, groups }))
    }

    /// One page of the direct members of group `group_id`, ordered by member id (the
    /// membership key's order, so no sort), with their current names; and how many
    /// there are in all. `None` when the tenant has no such group. Statements as for
    /// [`Tx::user_groups`].
    pub fn group_members(
        &mut self,
        tenant_id: &str,
        group_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Option<GroupMembersPage>, StorageError> {
        let (sql_limit, sql_offset) = paging::limit_offset(limit, offset);
        // No join to the owning group: the foreign key (with its cascade) already means
        // that a membership row's group exists.
        let rows: Vec<MemberRow> = if limit == 0 {
            Vec::new()
        } else {
            named_members(tenant_id)
                .filter(group_members::group_id.eq(group_id))
                .order(group_members::member_id)
                .limit(sql_limit)
                .offset(sql_offset)
                .load(self.conn)
                .db()?
        };
        let total = match evident_total(offset, limit, rows.len()) {
            Some(total) => total,
            None => {
                let counted: Option<(String, i64)> = groups::table
                    .left_join(
                        group_members::table.on(group_members::tenant_id
                            .eq(groups::tenant_id)
                            .and(group_members::group_id.eq(groups::id))),
                    )
                    .filter(groups::tenant_id.eq(tenant_id))
                    .filter(groups::id.eq(group_id))
                    .group_by(groups::id)
                    .select((groups::id, diesel::dsl::count(group_members::member_id.nullable())))
                    .first(self.conn)
                    .optional()
                    .db()?;
                let Some((_, count)) = counted else { return Ok(None) };
                u64::try_from(count).unwrap_or(0)
            }
        };
        let members = rows
            .into_iter()
            .map(|row| row.into_member().map(|(_, member)| member))
            .collect::<Result<_, _>>()?;
        Ok(Some(GroupMembersPage { total, members }))
    }

    /// Whether `member_id` (a user or a group) is a direct member of group `group_id`;
    /// `None` when the tenant has no such group. An id that names nothing in the tenant
    /// is not a member. One statement: the group's row, left-joined to the one
    /// membership row.
    pub fn is_member(
        &mut self,
        tenant_id: &str,
        group_id: &str,
        member_id: &str,
    ) -> Result<Option<bool>, StorageError> {
        let found: Option<(String, Option<String>)> = groups::table
            .left_join(
                group_members::table.on(group_members::tenant_id
                    .eq(groups::tenant_id)
                    .and(group_members::group_id.eq(groups::id))
                    .and(group_members::member_id.eq(member_id))),
            )
            .filter(groups::tenant_id.eq(tenant_id))
            .filter(groups::id.eq(group_id))
            .select((groups::id, group_members::member_id.nullable()))
            .first(self.conn)
            .optional()
            .db()?;
        Ok(found.map(|(_, member)| member.is_some()))
    }
}

impl Store {
    /// See [`Tx::user_groups`]; page and count read one snapshot.
    pub fn user_groups(
        &self,
        tenant_id: &str,
        user_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Option<UserGroupsPage>, StorageError> {
        self.read(|tx| tx.user_groups(tenant_id, user_id, offset, limit))
    }

    /// See [`Tx::group_members`]; page and count read one snapshot.
    pub fn group_members(
        &self,
        tenant_id: &str,
        group_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Option<GroupMembersPage>, StorageError> {
        self.read(|tx| tx.group_members(tenant_id, group_id, offset, limit))
    }

    /// See [`Tx::is_member`].
    pub fn is_member(&self, tenant_id: &str, group_id: &str, member_id: &str) -> Result<Option<bool>, StorageError> {
        self.read(|tx| tx.is_member(tenant_id, group_id, member_id))
    }
}
