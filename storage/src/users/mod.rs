//! Users and their multi-valued attributes.
//!
//! The user operations of [`Tx`]: each runs inside the caller's transaction and scopes
//! every statement by `tenant_id`. A list is a fixed number of statements whatever the
//! page size: at most one page query, one batched load of the page's children and one
//! count.
//!
//! The statements every Entra cycle runs (insert, read by id, the `userName eq` lookup,
//! the update of one user) have a static shape and run on the backend's own connection,
//! so each is prepared once per connection and found again by its type (see
//! `crate::cached`).

mod children;
mod lookup;
mod rows;
mod seek;

use std::collections::HashMap;

use diesel::prelude::*;

use crate::cached::{self, on_backend};
use crate::conn::{AnyConnection, MultiBackend};
use crate::error::{DbResultExt, StorageError, stale_or_missing};
use crate::query::MultiValuedAttr;
use crate::records::{ChildValue, MemberType, UserPage, UserQuery, UserRecord};
use crate::schema::{user_values, users};
use crate::{Tx, filter_sql, paging};

use children::{children_of, insert_children, replace_children, write_changed_children};
pub(crate) use rows::attr_name;
use rows::{ChildRow, NewUser, UserFields, UserKeyChanges, UserPlainFields, UserRow};

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
        user.check_text(self.text_cap)?;
        let _span = crate::trace::db_span!(self.conn, "INSERT", "users").entered();
        let row = NewUser::of(user);
        on_backend!(&mut *self.conn, |c| diesel::insert_into(users::table)
            .values(&row)
            .execute(c))
        .db()?;
        insert_children(self.conn, user)
    }

    /// One user of the tenant, with its multi-valued attributes in stored order.
    pub fn get_user(&mut self, tenant_id: &str, id: &str) -> Result<Option<UserRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "users").entered();
        let row = on_backend!(&mut *self.conn, |c| users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(id))
            .select(UserRow::as_select())
            .first(c)
            .optional())
        .db()?;
        let Some(row) = row else { return Ok(None) };
        let children = children_of(self.conn, tenant_id, id)?;
        Ok(Some(row.into_record(children)))
    }

    /// Replaces the stored user `(user.tenant_id, user.id)` with `user` (every field,
    /// including `version`, which the caller has bumped) if the stored version is
    /// `expected_version`: every column but the key is overwritten and the multi-valued
    /// attributes are replaced. When the caller holds the stored user, prefer
    /// [`Tx::update_user_from`], which writes only the values that changed.
    ///
    /// [`StorageError::NotFound`] when the user does not exist,
    /// [`StorageError::VersionMismatch`] when it has another version,
    /// [`StorageError::Conflict`] when the new userName is taken.
    pub fn update_user(&mut self, user: &UserRecord, expected_version: i64) -> Result<(), StorageError> {
        user.check_text(self.text_cap)?;
        let _span = crate::trace::db_span!(self.conn, "UPDATE", "users").entered();
        update_user_row(self.conn, user, expected_version)?;
        replace_children(self.conn, user)
    }

    /// Writes `next` over `previous`, the user as stored at `expected_version` (the
    /// caller read it, and the version check proves nobody wrote since): the user row,
    /// and of the multi-valued attributes only the values that differ. A PATCH of one
    /// phone number rewrites one `user_values` row, not all of them. Errors as for
    /// [`Tx::update_user`].
    pub fn update_user_from(
        &mut self,
        previous: &UserRecord,
        next: &UserRecord,
        expected_version: i64,
    ) -> Result<(), StorageError> {
        let _span = crate::trace::db_span!(self.conn, "UPDATE", "users").entered();
        if (&previous.tenant_id, &previous.id) != (&next.tenant_id, &next.id) {
            return Err(StorageError::Internal("update_user_from: two different users".into()));
        }
        next.check_text(self.text_cap)?;
        update_changed_user_row(self.conn, previous, next, expected_version)?;
        write_changed_children(self.conn, previous, next)
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
        let _span = crate::trace::db_span!(self.conn, "DELETE", "users").entered();
        let target = users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(id));
        let deleted = on_backend!(&mut *self.conn, |c| match expected_version {
            Some(v) => diesel::delete(target.filter(users::version.eq(v))).execute(c),
            None => diesel::delete(target).execute(c),
        })
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
    ///
    /// From an `OFFSET` of 10,000 on (`paging::FAR_OFFSET`), the count comes first, and a page in the
    /// second half is read from the end in the exact reverse order, then turned around:
    /// the page at offset 999,900 of a million costs a count and 100 rows, not a
    /// million rows.
    pub fn list_users(&mut self, tenant_id: &str, query: &UserQuery) -> Result<UserPage, StorageError> {
        self.list_users_counting_from(tenant_id, query, paging::FAR_OFFSET)
    }

    /// [`Tx::list_users`], counting first from `OFFSET` `far_offset` on (tests lower it).
    pub(crate) fn list_users_counting_from(
        &mut self,
        tenant_id: &str,
        query: &UserQuery,
        far_offset: u64,
    ) -> Result<UserPage, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "users").entered();
        if let Some(key) = lookup::Key::of(query) {
            return lookup::find(self.conn, tenant_id, &key, query).and_then(|(total, rows)| {
                Ok(UserPage {
                    total,
                    users: with_children(self.conn, tenant_id, rows)?,
                })
            });
        }
        let matching = || -> Result<_, StorageError> {
            Ok(users::table
                .into_boxed::<MultiBackend>()
                .filter(users::tenant_id.eq(tenant_id.to_owned()))
                .filter(filter_sql::compile(&query.predicate)?))
        };
        let count = |conn: &mut AnyConnection| {
            users::table
                .filter(users::tenant_id.eq(tenant_id))
                .filter(filter_sql::compile(&query.predicate)?)
                .count()
                .get_result::<i64>(conn)
                .db()
        };
        // A far page by OFFSET steps over every row before it: `offset_page` counts
        // first past FAR_OFFSET (the count reads only an index) and reads a page in the
        // second half from the end, so the last page of a million costs what the first
        // does.
        let load = |conn: &mut AnyConnection, backward: bool, limit: i64, offset: i64| {
            seek::order(matching()?, query.sort, backward)
                .limit(limit)
                .offset(offset)
                .select(UserRow::as_select())
                .load::<UserRow>(conn)
                .db()
        };
        let (total, rows) = paging::offset_page(self.conn, query.offset, query.limit, far_offset, count, load)?;
        Ok(UserPage {
            total,
            users: with_children(self.conn, tenant_id, rows)?,
        })
    }
}

/// Marker of the cached `UPDATE users` of [`update_user_row`].
struct UpdateUserRow;

/// The `WHERE` of a versioned update: the row of `user`, if it is at `expected_version`.
type VersionedRow<'a> = diesel::dsl::And<
    diesel::dsl::And<diesel::dsl::Eq<users::tenant_id, &'a str>, diesel::dsl::Eq<users::id, &'a str>>,
    diesel::dsl::Eq<users::version, i64>,
>;

fn versioned_row(user: &UserRecord, expected_version: i64) -> VersionedRow<'_> {
    users::tenant_id
        .eq(user.tenant_id.as_str())
        .and(users::id.eq(user.id.as_str()))
        .and(users::version.eq(expected_version))
}

/// `Ok` when a versioned update of `user` changed its row; else why it did not.
fn updated_or_why(conn: &mut AnyConnection, updated: usize, user: &UserRecord) -> Result<(), StorageError> {
    if updated == 0 {
        return Err(why_unchanged(conn, &user.tenant_id, &user.id));
    }
    Ok(())
}

/// Overwrites every column of the user row but its key, if the stored version is
/// `expected_version`. The changeset always names every column (`treat_none_as_null`),
/// so the statement's text is fixed and cached, which diesel does not do for an
/// `UPDATE` by itself.
fn update_user_row(conn: &mut AnyConnection, user: &UserRecord, expected_version: i64) -> Result<(), StorageError> {
    let statement = cached::update::<UpdateUserRow, _, _, _>(
        users::table,
        UserFields::of(user),
        versioned_row(user, expected_version),
    );
    let updated = on_backend!(&mut *conn, |c| statement.execute(c)).db()?;
    updated_or_why(conn, updated, user)
}

/// Writes `next` over `previous` (stored at `expected_version`): every plain column,
/// and of the indexed ones only those whose value changes, so that an index whose key
/// stays the same is not written (`UserKeyChanges`). One prepared statement per set
/// of changed key columns, cached by its text.
fn update_changed_user_row(
    conn: &mut AnyConnection,
    previous: &UserRecord,
    next: &UserRecord,
    expected_version: i64,
) -> Result<(), StorageError> {
    let statement = cached::update_by_text(
        users::table,
        (UserPlainFields::of(next), UserKeyChanges::between(previous, next)),
        versioned_row(next, expected_version),
    );
    let updated = on_backend!(&mut *conn, |c| statement.execute(c)).db()?;
    updated_or_why(conn, updated, next)
}

/// The records of a page of rows, with their multi-valued attributes in one batch.
fn with_children(
    conn: &mut AnyConnection,
    tenant_id: &str,
    rows: Vec<UserRow>,
) -> Result<Vec<UserRecord>, StorageError> {
    if let [row] = rows.as_slice() {
        // One user (a lookup by userName or id): the static per-user statement, cached,
        // instead of an `IN (…)` list that SQLite would prepare again.
        let children = children_of(conn, tenant_id, &row.id)?;
        let mut rows = rows;
        return Ok(rows.pop().map(|row| row.into_record(children)).into_iter().collect());
    }
    let mut children = load_children(conn, tenant_id, &rows)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine = children.remove(&row.id).unwrap_or_default();
            row.into_record(mine)
        })
        .collect())
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
