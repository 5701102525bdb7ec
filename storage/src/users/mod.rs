//! Users and their multi-valued attributes.
//!
//! The user operations of [`Tx`]: each runs inside the caller's transaction and scopes
//! every statement by `tenant_id`. A list is a fixed number of statements whatever the
//! page size: at most one page query, one batched load of the page's children and one
//! count.

mod rows;
mod seek;

use std::collections::HashMap;

use diesel::prelude::*;

use crate::conn::{AnyConnection, MultiBackend};
use crate::error::{DbResultExt, StorageError, stale_or_missing};
use crate::query::MultiValuedAttr;
use crate::records::{ChildValue, MemberType, SortKey, UserPage, UserQuery, UserRecord};
use crate::schema::{user_values, users};
use crate::{Tx, filter_sql, paging};

pub(crate) use rows::attr_name;
use rows::{ChildRow, NewChild, NewUser, UserFields, UserRow, new_children};

/// Rows per multi-row insert and ids per `IN (…)` list, well below both backends'
/// bind-parameter limits.
pub(crate) const BATCH: usize = 500;

impl Tx<'_> {
    /// Stores a new user and its multi-valued attributes.
    ///
    /// [`StorageError::Conflict`] with `users.user_name` when the tenant already has
    /// this userName in any letter case, `users.id` when the id is taken;
    /// [`StorageError::NotFound`] when the tenant does not exist.
    pub fn insert_user(&mut self, user: &UserRecord) -> Result<(), StorageError> {
        let _span = crate::trace::db_span(self.conn, "INSERT", "users").entered();
        diesel::insert_into(users::table)
            .values(NewUser::of(user))
            .execute(self.conn)
            .db()?;
        insert_children(self.conn, user)
    }

    /// One user of the tenant, with its multi-valued attributes in stored order.
    pub fn get_user(&mut self, tenant_id: &str, id: &str) -> Result<Option<UserRecord>, StorageError> {
        let _span = crate::trace::db_span(self.conn, "SELECT", "users").entered();
        let row = users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(id))
            .select(UserRow::as_select())
            .first(self.conn)
            .optional()
            .db()?;
        let Some(row) = row else { return Ok(None) };
        let children = user_values::table
            .filter(user_values::tenant_id.eq(tenant_id))
            .filter(user_values::user_id.eq(id))
            .order(user_values::ord)
            .select(ChildRow::as_select())
            .load(self.conn)
            .db()?
            .into_iter()
            .map(ChildRow::into_child)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(row.into_record(children)))
    }

    /// Replaces the stored user `(user.tenant_id, user.id)` with `user` (every field,
    /// including `version`, which the caller has bumped) if the stored version is
    /// `expected_version`: every column but the key is overwritten and the multi-valued
    /// attributes are replaced.
    ///
    /// [`StorageError::NotFound`] when the user does not exist,
    /// [`StorageError::VersionMismatch`] when it has another version,
    /// [`StorageError::Conflict`] when the new userName is taken.
    pub fn update_user(&mut self, user: &UserRecord, expected_version: i64) -> Result<(), StorageError> {
        let _span = crate::trace::db_span(self.conn, "UPDATE", "users").entered();
        let updated = diesel::update(
            users::table
                .filter(users::tenant_id.eq(&user.tenant_id))
                .filter(users::id.eq(&user.id))
                .filter(users::version.eq(expected_version)),
        )
        .set(UserFields::of(user))
        .execute(self.conn)
        .db()?;
        if updated == 0 {
            return Err(why_unchanged(self.conn, &user.tenant_id, &user.id));
        }
        diesel::delete(
            user_values::table
                .filter(user_values::tenant_id.eq(&user.tenant_id))
                .filter(user_values::user_id.eq(&user.id)),
        )
        .execute(self.conn)
        .db()?;
        insert_children(self.conn, user)
    }

    /// Deletes a user and its multi-valued attributes, and takes it out of every group
    /// (bumping those groups' versions and setting their `last_modified_us` to
    /// `now_us`); with `Some(version)`, only if that is the stored version. Returns the
    /// ids of the groups it was taken out of. Errors as for [`Tx::update_user`].
    ///
    /// The multi-valued attributes go by cascade; the memberships are deleted here.
    pub fn delete_user(
        &mut self,
        tenant_id: &str,
        id: &str,
        expected_version: Option<i64>,
        now_us: i64,
    ) -> Result<Vec<String>, StorageError> {
        let _span = crate::trace::db_span(self.conn, "DELETE", "users").entered();
        let target = users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(id));
        let deleted = match expected_version {
            Some(v) => diesel::delete(target.filter(users::version.eq(v))).execute(self.conn),
            None => diesel::delete(target).execute(self.conn),
        }
        .db()?;
        if deleted == 0 {
            return Err(why_unchanged(self.conn, tenant_id, id));
        }
        self.leave_every_group(tenant_id, id, MemberType::User, now_us)
    }

    /// One page of the tenant's users that satisfy `query.predicate`, and how many
    /// satisfy it in all. At most three statements whatever the page size: the page,
    /// its users' multi-valued attributes in one batch, and a count when the page
    /// alone does not tell the total.
    ///
    /// The count is skipped when the page itself tells the total (it is the last page
    /// and not empty, or it is the first page and not full) — the common case of a
    /// lookup such as `userName eq "…"`, which then costs a single statement when nothing
    /// matches. Run it in a read transaction so that page and count see one snapshot.
    ///
    /// Order: by `query.sort` when given (text case-insensitively, by code point;
    /// NULLs last ascending, first descending), then by creation time and id.
    pub fn list_users(&mut self, tenant_id: &str, query: &UserQuery) -> Result<UserPage, StorageError> {
        let _span = crate::trace::db_span(self.conn, "SELECT", "users").entered();
        let (limit, offset) = paging::limit_offset(query.limit, query.offset);
        let rows = if limit == 0 {
            Vec::new()
        } else {
            let page = users::table
                .into_boxed::<MultiBackend>()
                .filter(users::tenant_id.eq(tenant_id.to_owned()))
                .filter(filter_sql::compile(&query.predicate)?);
            order(page, query.sort)
                .limit(limit)
                .offset(offset)
                .select(UserRow::as_select())
                .load::<UserRow>(self.conn)
                .db()?
        };

        let total = paging::total(query.offset, query.limit, rows.len(), || {
            users::table
                .filter(users::tenant_id.eq(tenant_id))
                .filter(filter_sql::compile(&query.predicate)?)
                .count()
                .get_result::<i64>(self.conn)
                .db()
        })?;

        let mut children = load_children(self.conn, tenant_id, &rows)?;
        let users = rows
            .into_iter()
            .map(|row| {
                let mine = children.remove(&row.id).unwrap_or_default();
                row.into_record(mine)
            })
            .collect();
        Ok(UserPage { total, users })
    }
}

/// After a conditional write touched no row: gone, or another version.
fn why_unchanged(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> StorageError {
    stale_or_missing(
        users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(id))
            .select(users::version)
            .first::<i64>(conn)
            .optional()
            .db(),
    )
}

/// Inserts the multi-valued attributes of `user`, `BATCH` rows per statement.
fn insert_children(conn: &mut AnyConnection, user: &UserRecord) -> Result<(), StorageError> {
    let children = new_children(user)?;
    for chunk in children.chunks(BATCH) {
        insert_child_rows(conn, chunk)?;
    }
    Ok(())
}

/// One multi-row `INSERT`. `MultiConnection` cannot batch inserts, so the statement is
/// built per backend.
fn insert_child_rows(conn: &mut AnyConnection, rows: &[NewChild<'_>]) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        AnyConnection::Sqlite(c) => diesel::insert_into(user_values::table).values(rows).execute(c),
        AnyConnection::Postgresql(c) => diesel::insert_into(user_values::table).values(rows).execute(c),
    }
    .db()?;
    Ok(())
}

/// Applies the sort key, then creation order and id so that pages are stable.
fn order(
    mut query: diesel::helper_types::IntoBoxed<'static, users::table, MultiBackend>,
    sort: Option<SortKey>,
) -> diesel::helper_types::IntoBoxed<'static, users::table, MultiBackend> {
    if let Some(SortKey { column, descending }) = sort {
        for term in filter_sql::order_terms(filter_sql::user_column(column), descending) {
            query = query.then_order_by(term);
        }
    }
    query
        .then_order_by(users::created_us.asc())
        .then_order_by(users::id.asc())
}

/// The children of a page of users, in order, by user id: one query per page (split
/// only past `BATCH` users).
fn load_children(
    conn: &mut AnyConnection,
    tenant_id: &str,
    rows: &[UserRow],
) -> Result<HashMap<String, Vec<(MultiValuedAttr, ChildValue)>>, StorageError> {
    let mut by_user: HashMap<String, Vec<(MultiValuedAttr, ChildValue)>> = HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(BATCH) {
        let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
        let children = user_values::table
            .filter(user_values::tenant_id.eq(tenant_id))
            .filter(user_values::user_id.eq_any(ids))
            .order((user_values::user_id, user_values::ord))
            .select(ChildRow::as_select())
            .load(conn)
            .db()?;
        for child in children {
            let user_id = child.user_id.clone();
            by_user.entry(user_id).or_default().push(child.into_child()?);
        }
    }
    Ok(by_user)
}
