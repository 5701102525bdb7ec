//! Groups and their membership.
//!
//! Like `users`, every function takes a connection already inside a transaction and
//! scopes every statement by `tenant_id`. The group row and its membership rows are
//! written by separate statements: a group's row never carries its member list, so a
//! membership change touches only the membership rows it names (see `members`) and the
//! group row's version. A list is a fixed number of statements whatever the page size:
//! the page, the count when needed, and one batched member load only when members are
//! asked for. `directory` holds the membership reads of the directory API.

mod directory;
mod members;
mod rows;
mod tx;

use diesel::prelude::*;

use members::{add_members_in, load_members_in};
pub(crate) use members::{forget_member_in, memberships_in};
use rows::{GroupFields, GroupRow, NewGroup};

use crate::conn::{AnyConnection, MultiBackend};
use crate::error::{DbResultExt, StorageError};
use crate::records::{GroupPage, GroupQuery, GroupRecord, GroupSortKey, MemberType};
use crate::schema::groups;
use crate::{filter_sql, paging};

/// Inserts a group and its members (whose types the caller has resolved).
pub(crate) fn insert_group_in(conn: &mut AnyConnection, group: &GroupRecord) -> Result<(), StorageError> {
    let _span = crate::trace::db_span(conn, "INSERT", "groups").entered();
    diesel::insert_into(groups::table)
        .values(NewGroup::of(group))
        .execute(conn)
        .db()?;
    add_members_in(conn, &group.tenant_id, &group.id, &group.members)?;
    Ok(())
}

/// Reads one group, with its members when `with_members`.
pub(crate) fn get_group_in(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    with_members: bool,
) -> Result<Option<GroupRecord>, StorageError> {
    let _span = crate::trace::db_span(conn, "SELECT", "groups").entered();
    let row = groups::table
        .filter(groups::tenant_id.eq(tenant_id))
        .filter(groups::id.eq(id))
        .select(GroupRow::as_select())
        .first(conn)
        .optional()
        .db()?;
    let Some(row) = row else { return Ok(None) };
    let members = if with_members {
        load_members_in(conn, tenant_id, &[id])?.remove(id).unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(Some(row.into_record(members)))
}

/// Overwrites a group's row (every column but the key; not its members), provided its
/// stored version is `expected_version`.
pub(crate) fn update_group_in(
    conn: &mut AnyConnection,
    group: &GroupRecord,
    expected_version: i64,
) -> Result<(), StorageError> {
    let _span = crate::trace::db_span(conn, "UPDATE", "groups").entered();
    let updated = diesel::update(
        groups::table
            .filter(groups::tenant_id.eq(&group.tenant_id))
            .filter(groups::id.eq(&group.id))
            .filter(groups::version.eq(expected_version)),
    )
    .set(GroupFields::of(group))
    .execute(conn)
    .db()?;
    if updated == 0 {
        return Err(why_unchanged(conn, &group.tenant_id, &group.id));
    }
    Ok(())
}

/// Deletes a group (if its stored version is `expected_version` when one is given): its
/// own membership rows go by cascade, and it leaves every group it was a member of.
pub(crate) fn delete_group_in(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    expected_version: Option<i64>,
    now_us: i64,
) -> Result<Vec<String>, StorageError> {
    let _span = crate::trace::db_span(conn, "DELETE", "groups").entered();
    let target = groups::table
        .filter(groups::tenant_id.eq(tenant_id))
        .filter(groups::id.eq(id));
    let deleted = match expected_version {
        Some(v) => diesel::delete(target.filter(groups::version.eq(v))).execute(conn),
        None => diesel::delete(target).execute(conn),
    }
    .db()?;
    if deleted == 0 {
        return Err(why_unchanged(conn, tenant_id, id));
    }
    forget_member_in(conn, tenant_id, id, MemberType::Group, now_us)
}

/// After a conditional write touched no row: gone, or another version.
fn why_unchanged(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> StorageError {
    let current = groups::table
        .filter(groups::tenant_id.eq(tenant_id))
        .filter(groups::id.eq(id))
        .select(groups::version)
        .first::<i64>(conn)
        .optional()
        .db();
    match current {
        Ok(Some(current)) => StorageError::VersionMismatch { current },
        Ok(None) => StorageError::NotFound,
        Err(e) => e,
    }
}

/// One page of a tenant's groups and how many match in all: one page query, one count
/// when the page does not tell the total, and one batched member load only when
/// `query.with_members` — Entra's `excludedAttributes=members` lookups cost a single
/// statement. Run it in a read transaction so that page and count see one snapshot.
pub(crate) fn list_groups_in(
    conn: &mut AnyConnection,
    tenant_id: &str,
    query: &GroupQuery,
) -> Result<GroupPage, StorageError> {
    let _span = crate::trace::db_span(conn, "SELECT", "groups").entered();
    let (limit, offset) = paging::limit_offset(query.limit, query.offset);
    let rows = if limit == 0 {
        Vec::new()
    } else {
        let page = groups::table
            .into_boxed::<MultiBackend>()
            .filter(groups::tenant_id.eq(tenant_id.to_owned()))
            .filter(filter_sql::compile_group(&query.predicate)?);
        order(page, query.sort)
            .limit(limit)
            .offset(offset)
            .select(GroupRow::as_select())
            .load::<GroupRow>(conn)
            .db()?
    };

    let total = paging::total(query.offset, query.limit, rows.len(), || {
        groups::table
            .filter(groups::tenant_id.eq(tenant_id))
            .filter(filter_sql::compile_group(&query.predicate)?)
            .count()
            .get_result::<i64>(conn)
            .db()
    })?;

    let mut members = if query.with_members && !rows.is_empty() {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        load_members_in(conn, tenant_id, &ids)?
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

/// Applies the sort key, then creation order and id so that pages are stable.
fn order(
    mut query: diesel::helper_types::IntoBoxed<'static, groups::table, MultiBackend>,
    sort: Option<GroupSortKey>,
) -> diesel::helper_types::IntoBoxed<'static, groups::table, MultiBackend> {
    if let Some(GroupSortKey { column, descending }) = sort {
        for term in filter_sql::order_terms(filter_sql::group_column(column), descending) {
            query = query.then_order_by(term);
        }
    }
    query
        .then_order_by(groups::created_us.asc())
        .then_order_by(groups::id.asc())
}
