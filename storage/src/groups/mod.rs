//! Groups and their membership.
//!
//! The group operations of [`Tx`]: like those of `users`, each runs inside the caller's
//! transaction and scopes every statement by `tenant_id`. The group row and its
//! membership rows are written by separate statements: a group's row never carries its
//! member list, so a membership change touches only the membership rows it names (see
//! `members`) and the group row's version. A list is a fixed number of statements
//! whatever the page size: the page, the count when needed, and one batched member load
//! only when members are asked for. `nesting` guards against cycles of nested groups;
//! `directory` holds the membership reads of the directory API.

mod directory;
mod members;
mod nesting;
mod rows;
mod seek;

use diesel::prelude::*;

use rows::{GroupFields, GroupRow, NewGroup};

use crate::conn::{AnyConnection, MultiBackend};
use crate::error::{DbResultExt, StorageError, stale_or_missing};
use crate::records::{GroupPage, GroupQuery, GroupRecord, MemberType};
use crate::schema::groups;
use crate::{Store, Tx, filter_sql, paging};

impl Tx<'_> {
    /// Stores a new group and its members. The members' types must already be resolved
    /// (see [`Tx::resolve_members`]); nothing here checks that they exist.
    ///
    /// [`StorageError::Conflict`] with `groups.display_name` when the tenant already has
    /// this displayName in any letter case, `groups.id` when the id is taken;
    /// [`StorageError::NotFound`] when the tenant does not exist.
    pub fn insert_group(&mut self, group: &GroupRecord) -> Result<(), StorageError> {
        group.check_text(self.text_cap)?;
        let _span = crate::trace::db_span!(self.conn, "INSERT", "groups").entered();
        diesel::insert_into(groups::table)
            .values(NewGroup::of(group))
            .execute(self.conn)
            .db()?;
        self.add_members(&group.tenant_id, &group.id, &group.members)?;
        Ok(())
    }

    /// One group of the tenant; its members (ordered by id, with their current names)
    /// only when `with_members`.
    pub fn get_group(
        &mut self,
        tenant_id: &str,
        id: &str,
        with_members: bool,
    ) -> Result<Option<GroupRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "groups").entered();
        let row = groups::table
            .filter(groups::tenant_id.eq(tenant_id))
            .filter(groups::id.eq(id))
            .select(GroupRow::as_select())
            .first(self.conn)
            .optional()
            .db()?;
        let Some(row) = row else { return Ok(None) };
        let members = if with_members {
            members::load_named_members(self.conn, tenant_id, &[id], self.member_cap)?
                .remove(id)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(Some(row.into_record(members)))
    }

    /// Replaces the stored row of group `(group.tenant_id, group.id)` with `group`
    /// (every field, including `version`, which the caller has bumped; not its members)
    /// if the stored version is `expected_version`.
    ///
    /// [`StorageError::NotFound`] when the group does not exist,
    /// [`StorageError::VersionMismatch`] when it has another version,
    /// [`StorageError::Conflict`] when the new displayName is taken.
    pub fn update_group(&mut self, group: &GroupRecord, expected_version: i64) -> Result<(), StorageError> {
        group.check_text(self.text_cap)?;
        let _span = crate::trace::db_span!(self.conn, "UPDATE", "groups").entered();
        let updated = diesel::update(
            groups::table
                .filter(groups::tenant_id.eq(&group.tenant_id))
                .filter(groups::id.eq(&group.id))
                .filter(groups::version.eq(expected_version)),
        )
        .set(GroupFields::of(group))
        .execute(self.conn)
        .db()?;
        if updated == 0 {
            return Err(why_unchanged(self.conn, &group.tenant_id, &group.id));
        }
        Ok(())
    }

    /// Deletes a group with its membership rows, and takes it out of every group it is
    /// a member of (bumping their versions and setting their `last_modified_us` to
    /// `now_us`); with `Some(version)`, only if that is the stored version. Returns the
    /// ids of the groups it was taken out of. Errors as for [`Tx::update_group`].
    ///
    /// Its own membership rows go by cascade; the rows naming it as a member are
    /// deleted here.
    pub fn delete_group(
        &mut self,
        tenant_id: &str,
        id: &str,
        expected_version: Option<i64>,
        now_us: i64,
    ) -> Result<Vec<String>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "DELETE", "groups").entered();
        let target = groups::table
            .filter(groups::tenant_id.eq(tenant_id))
            .filter(groups::id.eq(id));
        let deleted = match expected_version {
            Some(v) => diesel::delete(target.filter(groups::version.eq(v))).execute(self.conn),
            None => diesel::delete(target).execute(self.conn),
        }
        .db()?;
        if deleted == 0 {
            return Err(why_unchanged(self.conn, tenant_id, id));
        }
        self.leave_every_group(tenant_id, id, MemberType::Group, now_us)
    }

    /// One page of the tenant's groups that satisfy `query.predicate`, and how many
    /// satisfy it in all: at most three statements whatever the page size (page, count,
    /// members), two when `query.with_members` is false, and one when the page also tells
    /// the total, as it does for Entra's `excludedAttributes=members` lookups. Run it in a
    /// read transaction so that page and count see one snapshot.
    ///
    /// Order: by `query.sort` when given (as for users), then by creation time and id.
    pub fn list_groups(&mut self, tenant_id: &str, query: &GroupQuery) -> Result<GroupPage, StorageError> {
        self.list_groups_counting_from(tenant_id, query, paging::FAR_OFFSET)
    }

    /// [`Tx::list_groups`], counting first from `OFFSET` `far_offset` on (tests lower it).
    pub(crate) fn list_groups_counting_from(
        &mut self,
        tenant_id: &str,
        query: &GroupQuery,
        far_offset: u64,
    ) -> Result<GroupPage, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "groups").entered();
        let matching = || -> Result<_, StorageError> {
            Ok(groups::table
                .into_boxed::<MultiBackend>()
                .filter(groups::tenant_id.eq(tenant_id.to_owned()))
                .filter(filter_sql::compile_group(&query.predicate)?))
        };
        let count = |conn: &mut AnyConnection| {
            groups::table
                .filter(groups::tenant_id.eq(tenant_id))
                .filter(filter_sql::compile_group(&query.predicate)?)
                .count()
                .get_result::<i64>(conn)
                .db()
        };
        let load = |conn: &mut AnyConnection, backward: bool, limit: i64, offset: i64| {
            seek::order(matching()?, query.sort, backward)
                .limit(limit)
                .offset(offset)
                .select(GroupRow::as_select())
                .load::<GroupRow>(conn)
                .db()
        };
        let (total, rows) = paging::offset_page(self.conn, query.offset, query.limit, far_offset, count, load)?;

        let mut members = if query.with_members && !rows.is_empty() {
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            members::load_named_members(self.conn, tenant_id, &ids, self.member_cap)?
        } else {
            Default::default()
        };
        let groups = rows
            .into_iter()
            .map(|row| {
                let mine = members.remove(&row.id).unwrap_or_default();
                row.into_record(mine)
            })
            .collect();
        Ok(GroupPage { total, groups })
    }
}

/// After a conditional write touched no row: gone, or another version.
fn why_unchanged(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> StorageError {
    stale_or_missing(
        groups::table
            .filter(groups::tenant_id.eq(tenant_id))
            .filter(groups::id.eq(id))
            .select(groups::version)
            .first::<i64>(conn)
            .optional()
            .db(),
    )
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

    /// See [`Tx::list_groups`].
    pub fn list_groups(&self, tenant_id: &str, query: &GroupQuery) -> Result<GroupPage, StorageError> {
        self.read(|tx| tx.list_groups(tenant_id, query))
    }
}
