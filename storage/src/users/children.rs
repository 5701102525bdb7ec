//! The statements over `user_values`, a user's multi-valued attributes: read one user's
//! values, insert them, replace them, and write only those that changed.
//!
//! Every statement here has a static shape and runs on the backend's own connection,
//! so each is prepared once per connection (see `crate::cached`). A value is addressed
//! by its position `ord` in the user's list of values, which is what makes a delta
//! possible: position `i` of the stored list and of the new list are the same row.

use diesel::prelude::*;

use super::BATCH;
use super::rows::{ChildRow, NewChild, new_children};
use crate::cached::{self, on_backend};
use crate::conn::AnyConnection;
use crate::error::{DbResultExt, StorageError};
use crate::query::MultiValuedAttr;
use crate::records::{ChildValue, UserRecord};
use crate::schema::user_values;

/// The multi-valued attributes of one user, in stored order.
pub(super) fn children_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<(MultiValuedAttr, ChildValue)>, StorageError> {
    // Built per backend: `as_select` is typed by the backend it loads from.
    on_backend!(conn, |c| user_values::table
        .filter(user_values::tenant_id.eq(tenant_id))
        .filter(user_values::user_id.eq(user_id))
        .order(user_values::ord)
        .select(ChildRow::as_select())
        .load(c))
    .db()?
    .into_iter()
    .map(ChildRow::into_child)
    .collect()
}

/// Inserts the multi-valued attributes of `user`. On SQLite, one cached single-row
/// statement per value: in-process, a cached statement run three times costs less than
/// a three-row statement parsed anew (diesel does not cache a multi-row `INSERT`). On
/// PostgreSQL, where each statement is a round trip, one multi-row statement per
/// `BATCH` values.
pub(super) fn insert_children(conn: &mut AnyConnection, user: &UserRecord) -> Result<(), StorageError> {
    let rows = new_children(user)?;
    match conn {
        AnyConnection::Sqlite(c) => {
            for row in &rows {
                diesel::insert_into(user_values::table).values(row).execute(c).db()?;
            }
        }
        AnyConnection::Postgresql(c) => {
            for chunk in rows.chunks(BATCH) {
                match chunk {
                    [row] => diesel::insert_into(user_values::table).values(row).execute(c),
                    _ => diesel::insert_into(user_values::table).values(chunk).execute(c),
                }
                .db()?;
            }
        }
    }
    Ok(())
}

/// Deletes every multi-valued attribute of `user` and inserts its own.
pub(super) fn replace_children(conn: &mut AnyConnection, user: &UserRecord) -> Result<(), StorageError> {
    delete_children_from(conn, user, 0)?;
    insert_children(conn, user)
}

/// Writes the multi-valued attributes of `next` over those of `previous` (the same
/// user, as stored): a value at a position where both lists hold the same value is left
/// alone, a changed one is overwritten in place, new positions are inserted and
/// positions past the end of `next` deleted.
///
/// Should a row not be where `previous` says (it cannot, while the caller's version
/// check holds), the values are replaced wholesale rather than left half-written.
pub(super) fn write_changed_children(
    conn: &mut AnyConnection,
    previous: &UserRecord,
    next: &UserRecord,
) -> Result<(), StorageError> {
    if previous.children == next.children {
        return Ok(());
    }
    let rows = new_children(next)?;
    for (row, new) in rows.iter().zip(&next.children) {
        match previous.children.get(ord_index(row)) {
            Some(old) if old == new => {}
            Some(old) => {
                let written = if old.0 == new.0 {
                    overwrite_value(conn, row)?
                } else {
                    move_child(conn, row)?
                };
                if written != 1 {
                    return replace_children(conn, next);
                }
            }
            None => {
                on_backend!(&mut *conn, |c| diesel::insert_into(user_values::table)
                    .values(row)
                    .execute(c))
                .db()?;
            }
        }
    }
    if previous.children.len() > rows.len() {
        delete_children_from(conn, next, rows.len())?;
    }
    Ok(())
}

fn ord_index(row: &NewChild<'_>) -> usize {
    usize::try_from(row.ord).unwrap_or(usize::MAX)
}

/// Marker of the cached `UPDATE user_values` of [`overwrite_value`].
struct OverwriteValue;

/// Overwrites the value at `row.ord`, which stays with the same attribute: every column
/// but the key, the row addressed by its whole key; how many rows it changed.
fn overwrite_value(conn: &mut AnyConnection, row: &NewChild<'_>) -> Result<usize, StorageError> {
    let statement = cached::update::<OverwriteValue, _, _, _>(
        user_values::table,
        &row.fields,
        user_values::tenant_id
            .eq(row.tenant_id)
            .and(user_values::user_id.eq(row.user_id))
            .and(user_values::attr.eq(row.fields.attr()))
            .and(user_values::ord.eq(row.ord)),
    );
    on_backend!(conn, |c| statement.execute(c)).db()
}

/// Puts `row` at its position, where another attribute's value was: the old row goes
/// and the new one is inserted (the key changes, so no `UPDATE`); how many rows went.
fn move_child(conn: &mut AnyConnection, row: &NewChild<'_>) -> Result<usize, StorageError> {
    let old = diesel::delete(
        user_values::table
            .filter(user_values::tenant_id.eq(row.tenant_id))
            .filter(user_values::user_id.eq(row.user_id))
            .filter(user_values::ord.eq(row.ord)),
    );
    let deleted = on_backend!(&mut *conn, |c| old.execute(c)).db()?;
    if deleted == 1 {
        on_backend!(&mut *conn, |c| diesel::insert_into(user_values::table)
            .values(row)
            .execute(c))
        .db()?;
    }
    Ok(deleted)
}

/// Deletes the values of `user` at positions `from` and beyond.
fn delete_children_from(conn: &mut AnyConnection, user: &UserRecord, from: usize) -> Result<(), StorageError> {
    let from = i32::try_from(from).unwrap_or(i32::MAX);
    let statement = diesel::delete(
        user_values::table
            .filter(user_values::tenant_id.eq(&user.tenant_id))
            .filter(user_values::user_id.eq(&user.id))
            .filter(user_values::ord.ge(from)),
    );
    on_backend!(conn, |c| statement.execute(c)).db()?;
    Ok(())
}
