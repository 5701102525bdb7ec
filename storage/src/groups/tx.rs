//! The group operations of [`Tx`] and [`Store`].

use std::collections::HashMap;

use super::directory::{group_members_in, is_member_in, user_groups_in};
use super::members::{
    add_members_in, clear_members_in, groups_among_in, groups_containing_in, lock_group_nesting_in, reaches_in,
    remove_members_in, resolve_members_in,
};
use super::{delete_group_in, get_group_in, insert_group_in, list_groups_in, memberships_in, update_group_in};
use crate::error::StorageError;
use crate::records::{
    GroupMembersPage, GroupPage, GroupQuery, GroupRecord, MemberRecord, MembershipRecord, ResolvedMember,
    UserGroupsPage,
};
use crate::{Store, Tx};

impl Tx<'_> {
    /// Stores a new group and its members. The members' types must already be resolved
    /// (see [`Tx::resolve_members`]); nothing here checks that they exist.
    ///
    /// [`StorageError::Conflict`] with `groups.display_name` when the tenant already has
    /// this displayName in any letter case, `groups.id` when the id is taken;
    /// [`StorageError::NotFound`] when the tenant does not exist.
    pub fn insert_group(&mut self, group: &GroupRecord) -> Result<(), StorageError> {
        insert_group_in(self.conn, group)
    }

    /// One group of the tenant; its members (ordered by id, with their current names)
    /// only when `with_members`.
    pub fn get_group(
        &mut self,
        tenant_id: &str,
        id: &str,
        with_members: bool,
    ) -> Result<Option<GroupRecord>, StorageError> {
        get_group_in(self.conn, tenant_id, id, with_members)
    }

    /// Replaces the stored row of group `(group.tenant_id, group.id)` with `group`
    /// (every field, including `version`, which the caller has bumped; not its members)
    /// if the stored version is `expected_version`.
    ///
    /// [`StorageError::NotFound`] when the group does not exist,
    /// [`StorageError::VersionMismatch`] when it has another version,
    /// [`StorageError::Conflict`] when the new displayName is taken.
    pub fn update_group(&mut self, group: &GroupRecord, expected_version: i64) -> Result<(), StorageError> {
        update_group_in(self.conn, group, expected_version)
    }

    /// Deletes a group with its membership rows, and takes it out of every group it is
    /// a member of (bumping their versions and setting their `last_modified_us` to
    /// `now_us`); with `Some(version)`, only if that is the stored version. Returns the
    /// ids of the groups it was taken out of. Errors as for [`Tx::update_group`].
    pub fn delete_group(
        &mut self,
        tenant_id: &str,
        id: &str,
        expected_version: Option<i64>,
        now_us: i64,
    ) -> Result<Vec<String>, StorageError> {
        delete_group_in(self.conn, tenant_id, id, expected_version, now_us)
    }

    /// One page of the tenant's groups that satisfy `query.predicate`, and how many
    /// satisfy it in all: at most three statements whatever the page size (page, count,
    /// members), two when `query.with_members` is false.
    ///
    /// Order: by `query.sort` when given (as for users), then by creation time and id.
    pub fn list_groups(&mut self, tenant_id: &str, query: &GroupQuery) -> Result<GroupPage, StorageError> {
        list_groups_in(self.conn, tenant_id, query)
    }

    /// Which of `ids` name a user or a group of the tenant, with the type of each and
    /// whether a scoping rule marked it out of scope; ids that name neither (including
    /// those of other tenants) are left out. Two statements per 500 ids.
    pub fn resolve_members(&mut self, tenant_id: &str, ids: &[String]) -> Result<Vec<ResolvedMember>, StorageError> {
        resolve_members_in(self.conn, tenant_id, ids)
    }

    /// Adds members to a group (types resolved by the caller); members already there
    /// are left as they are. Returns the ids of those added. One statement per 500 members,
    /// whatever the size of the group. Does not touch the group's version.
    pub fn add_members(
        &mut self,
        tenant_id: &str,
        group_id: &str,
        members: &[MemberRecord],
    ) -> Result<Vec<String>, StorageError> {
        add_members_in(self.conn, tenant_id, group_id, members)
    }

    /// Removes the named members from a group; ids that are not members are ignored.
    /// Returns those removed. One statement per 500 ids. Does not touch the group's
    /// version.
    pub fn remove_members(
        &mut self,
        tenant_id: &str,
        group_id: &str,
        ids: &[String],
    ) -> Result<Vec<MemberRecord>, StorageError> {
        remove_members_in(self.conn, tenant_id, group_id, ids)
    }

    /// Removes every member of a group; returns those removed.
    pub fn clear_members(&mut self, tenant_id: &str, group_id: &str) -> Result<Vec<MemberRecord>, StorageError> {
        clear_members_in(self.conn, tenant_id, group_id)
    }

    /// The ids of the groups that have `member_id` (a user or a group) as a direct
    /// member, ordered by id.
    pub fn groups_containing(&mut self, tenant_id: &str, member_id: &str) -> Result<Vec<String>, StorageError> {
        groups_containing_in(self.conn, tenant_id, member_id)
    }

    /// Which of `ids` name a group of the tenant (a plain read: no row locks).
    pub fn groups_among(&mut self, tenant_id: &str, ids: &[String]) -> Result<Vec<String>, StorageError> {
        groups_among_in(self.conn, tenant_id, ids)
    }

    /// Serializes, per tenant, the writes that nest groups in groups, until this
    /// transaction ends: a write that checks for cycles then sees every nesting committed
    /// before it (PostgreSQL: a transaction-scoped advisory lock; SQLite has one writer
    /// anyway). Take it before locking any row, so it cannot join a lock cycle.
    pub fn lock_group_nesting(&mut self, tenant_id: &str) -> Result<(), StorageError> {
        lock_group_nesting_in(self.conn, tenant_id)
    }

    /// Whether `target` is one of the groups `roots` or nested in one of them at any
    /// depth: adding any of `roots` to `target` would close a cycle. One query per
    /// level of nesting.
    pub fn reaches(&mut self, tenant_id: &str, roots: &[String], target: &str) -> Result<bool, StorageError> {
        reaches_in(self.conn, tenant_id, roots, target)
    }

    /// The groups each of `user_ids` is a direct member of (the read-only `User.groups`),
    /// ordered by displayName: one query per 500 users. Users in no group are absent.
    pub fn memberships(
        &mut self,
        tenant_id: &str,
        user_ids: &[&str],
    ) -> Result<HashMap<String, Vec<MembershipRecord>>, StorageError> {
        memberships_in(self.conn, tenant_id, user_ids)
    }

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
        user_groups_in(self.conn, tenant_id, user_id, offset, limit)
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
        group_members_in(self.conn, tenant_id, group_id, offset, limit)
    }

    /// Whether `member_id` (a user or a group) is a direct member of group `group_id`;
    /// `None` when the tenant has no such group. An id that names nothing in the tenant
    /// is not a member. One statement.
    pub fn is_member(
        &mut self,
        tenant_id: &str,
        group_id: &str,
        member_id: &str,
    ) -> Result<Option<bool>, StorageError> {
        is_member_in(self.conn, tenant_id, group_id, member_id)
    }
}

impl Store {
    /// See [`Tx::get_group`].
    pub fn get_group(
        &self,
        tenant_id: &str,
        id: &str,
        with_members: bool,
    ) -> Result<Option<GroupRecord>, StorageError> {
        self.read(|tx| tx.get_group(tenant_id, id, with_members))
    }

    /// See [`Tx::delete_group`].
    pub fn delete_group(
        &self,
        tenant_id: &str,
        id: &str,
        expected_version: Option<i64>,
        now_us: i64,
    ) -> Result<Vec<String>, StorageError> {
        self.write(|tx| tx.delete_group(tenant_id, id, expected_version, now_us))
    }

    /// See [`Tx::list_groups`].
    pub fn list_groups(&self, tenant_id: &str, query: &GroupQuery) -> Result<GroupPage, StorageError> {
        self.read(|tx| tx.list_groups(tenant_id, query))
    }

    /// See [`Tx::memberships`].
    pub fn memberships(
        &self,
        tenant_id: &str,
        user_ids: &[&str],
    ) -> Result<HashMap<String, Vec<MembershipRecord>>, StorageError> {
        self.read(|tx| tx.memberships(tenant_id, user_ids))
    }
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
