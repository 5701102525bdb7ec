//! Keyset pages of groups (see [`crate::keyset`]): the page after or before a position,
//! found in the index instead of by skipping rows.

use diesel::prelude::*;

use super::members;
use super::rows::GroupRow;
use crate::conn::MultiBackend;
use crate::error::{DbResultExt, StorageError};
use crate::keyset::{self, GroupSeek, KeyTerm, Position, SeekPage, SortValue};
use crate::query::GroupColumn;
use crate::records::{GroupRecord, GroupSortKey};
use crate::schema::groups;
use crate::{Store, Tx, filter_sql};

type Page = diesel::helper_types::IntoBoxed<'static, groups::table, MultiBackend>;

impl Tx<'_> {
    /// One keyset page of the tenant's groups that satisfy `query.predicate`, in the
    /// order of [`Tx::list_groups`], and how many satisfy it in all; members only when
    /// `query.with_members`. Costs as [`Tx::seek_users`] does: `limit + 1` rows from the
    /// position whatever its depth. Run it in a read transaction.
    pub fn seek_groups(&mut self, tenant_id: &str, query: &GroupSeek) -> Result<SeekPage<GroupRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "groups").entered();
        let (position, window) = query.seek.window();
        let rows = if query.limit == 0 {
            Vec::new()
        } else {
            let mut page = groups::table
                .into_boxed::<MultiBackend>()
                .filter(groups::tenant_id.eq(tenant_id.to_owned()))
                .filter(filter_sql::compile_group(&query.predicate)?);
            if let Some(position) = position {
                page = page.filter(keyset::beyond(&terms(query.sort, position), window.backwards)?);
            }
            order(page, query.sort, window.backwards)
                .limit(keyset::probe_limit(query.limit))
                .select(GroupRow::as_select())
                .load::<GroupRow>(self.conn)
                .db()?
        };
        let (rows, before, after) = keyset::settle(rows, query.limit, &window);

        // A first page that is not full is everything there is.
        let total = if window.first && !after && query.limit > 0 {
            rows.len() as u64
        } else {
            let count = groups::table
                .filter(groups::tenant_id.eq(tenant_id))
                .filter(filter_sql::compile_group(&query.predicate)?)
                .count()
                .get_result::<i64>(self.conn)
                .db()?;
            u64::try_from(count).unwrap_or(0)
        };

        let mut members = if query.with_members && !rows.is_empty() {
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            members::load_named_members(self.conn, tenant_id, &ids, self.member_cap)?
        } else {
            Default::default()
        };
        let items: Vec<GroupRecord> = rows
            .into_iter()
            .map(|row| {
                let mine = members.remove(&row.id).unwrap_or_default();
                row.into_record(mine)
            })
            .collect();
        let (previous, next) = keyset::neighbours(&items, before, after, |group| group_position(group, query.sort));
        Ok(SeekPage {
            total,
            items,
            previous,
            next,
        })
    }
}

impl Store {
    /// See [`Tx::seek_groups`].
    pub fn seek_groups(&self, tenant_id: &str, query: &GroupSeek) -> Result<SeekPage<GroupRecord>, StorageError> {
        self.read(|tx| tx.seek_groups(tenant_id, query))
    }
}

/// The order of [`Tx::list_groups`], or its exact reverse.
pub(super) fn order(mut page: Page, sort: Option<GroupSortKey>, backwards: bool) -> Page {
    if let Some(GroupSortKey { column, descending }) = sort {
        for term in filter_sql::order_terms(filter_sql::group_column(column), descending != backwards) {
            page = page.then_order_by(term);
        }
    }
    if backwards {
        page.then_order_by(groups::created_us.desc())
            .then_order_by(groups::id.desc())
    } else {
        page.then_order_by(groups::created_us.asc())
            .then_order_by(groups::id.asc())
    }
}

/// The key terms of a position: the sort column (when sorted), creation time, id.
fn terms(sort: Option<GroupSortKey>, position: &Position) -> Vec<KeyTerm<groups::table>> {
    let mut terms = Vec::with_capacity(3);
    if let (Some(GroupSortKey { column, descending }), Some(value)) = (sort, &position.sort) {
        terms.push(KeyTerm {
            column: Box::new(move || filter_sql::group_column(column)),
            descending,
            value: value.clone(),
        });
    }
    terms.push(keyset::timestamp_term(
        || Box::new(groups::created_us),
        position.created_us,
    ));
    terms.push(keyset::id_term(|| Box::new(groups::id.nullable()), &position.id));
    terms
}

/// Where `group` sits in a listing sorted by `sort`.
fn group_position(group: &GroupRecord, sort: Option<GroupSortKey>) -> Position {
    let value = |column: GroupColumn| match column {
        GroupColumn::Id => SortValue::Text(group.id.clone()),
        GroupColumn::ExternalId => group.external_id.clone().map_or(SortValue::Null, SortValue::Text),
        GroupColumn::DisplayName => SortValue::Text(group.display_name.clone()),
        GroupColumn::Created => SortValue::Timestamp(group.created_us),
        GroupColumn::LastModified => SortValue::Timestamp(group.last_modified_us),
    };
    Position {
        sort: sort.map(|key| value(key.column)),
        created_us: group.created_us,
        id: group.id.clone(),
    }
}
