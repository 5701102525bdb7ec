//! Keyset pages of users (see [`crate::keyset`]): the page after or before a position,
//! found in the index instead of by skipping rows.

use diesel::prelude::*;

use super::{UserRow, load_children};
use crate::conn::MultiBackend;
use crate::error::{DbResultExt, StorageError};
use crate::keyset::{self, KeyTerm, Position, SeekPage, SortValue, UserSeek};
use crate::query::UserColumn;
use crate::records::{SortKey, UserRecord};
use crate::schema::users;
use crate::{Tx, filter_sql};

type Page = diesel::helper_types::IntoBoxed<'static, users::table, MultiBackend>;

impl Tx<'_> {
    /// One keyset page of the tenant's users that satisfy `query.predicate`, in the order
    /// of [`Tx::list_users`], and how many satisfy it in all. The page reads `limit + 1`
    /// rows from its position, whatever its depth; the count runs unless the first page
    /// is not full. Run it in a read transaction so that page and count see one snapshot.
    pub fn seek_users(&mut self, tenant_id: &str, query: &UserSeek) -> Result<SeekPage<UserRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "users").entered();
        let (position, window) = query.seek.window();
        let rows = if query.limit == 0 {
            Vec::new()
        } else {
            let mut page = users::table
                .into_boxed::<MultiBackend>()
                .filter(users::tenant_id.eq(tenant_id.to_owned()))
                .filter(filter_sql::compile(&query.predicate)?);
            if let Some(position) = position {
                page = page.filter(keyset::beyond(&terms(query.sort, position), window.backwards)?);
            }
            order(page, query.sort, window.backwards)
                .limit(keyset::probe_limit(query.limit))
                .select(UserRow::as_select())
                .load::<UserRow>(self.conn)
                .db()?
        };
        let (rows, before, after) = keyset::settle(rows, query.limit, &window);

        // A first page that is not full is everything there is.
        let total = if window.first && !after && query.limit > 0 {
            rows.len() as u64
        } else {
            let count = users::table
                .filter(users::tenant_id.eq(tenant_id))
                .filter(filter_sql::compile(&query.predicate)?)
                .count()
                .get_result::<i64>(self.conn)
                .db()?;
            u64::try_from(count).unwrap_or(0)
        };

        let mut children = load_children(self.conn, tenant_id, &rows)?;
        let items: Vec<UserRecord> = rows
            .into_iter()
            .map(|row| {
                let mine = children.remove(&row.id).unwrap_or_default();
                row.into_record(mine)
            })
            .collect();
        let (previous, next) = keyset::neighbours(&items, before, after, |user| user_position(user, query.sort));
        Ok(SeekPage {
            total,
            items,
            previous,
            next,
        })
    }
}

/// The order of [`Tx::list_users`], or its exact reverse.
pub(super) fn order(mut page: Page, sort: Option<SortKey>, backwards: bool) -> Page {
    if let Some(SortKey { column, descending }) = sort {
        for term in filter_sql::order_terms(filter_sql::user_column(column), descending != backwards) {
            page = page.then_order_by(term);
        }
    }
    if backwards {
        page.then_order_by(users::created_us.desc())
            .then_order_by(users::id.desc())
    } else {
        page.then_order_by(users::created_us.asc())
            .then_order_by(users::id.asc())
    }
}

/// The key terms of a position: the sort column (when sorted), creation time, id.
fn terms(sort: Option<SortKey>, position: &Position) -> Vec<KeyTerm<users::table>> {
    let mut terms = Vec::with_capacity(3);
    if let (Some(SortKey { column, descending }), Some(value)) = (sort, &position.sort) {
        terms.push(KeyTerm {
            column: Box::new(move || filter_sql::user_column(column)),
            descending,
            value: value.clone(),
        });
    }
    terms.push(keyset::timestamp_term(
        || Box::new(users::created_us),
        position.created_us,
    ));
    terms.push(keyset::id_term(|| Box::new(users::id.nullable()), &position.id));
    terms
}

/// Where `user` sits in a listing sorted by `sort`.
fn user_position(user: &UserRecord, sort: Option<SortKey>) -> Position {
    Position {
        sort: sort.map(|key| user_sort_value(user, key.column)),
        created_us: user.created_us,
        id: user.id.clone(),
    }
}

/// The stored value of `column` in `user`.
fn user_sort_value(user: &UserRecord, column: UserColumn) -> SortValue {
    let text = |value: &Option<String>| value.clone().map_or(SortValue::Null, SortValue::Text);
    match column {
        UserColumn::Id => SortValue::Text(user.id.clone()),
        UserColumn::UserName => SortValue::Text(user.user_name.clone()),
        UserColumn::ExternalId => text(&user.external_id),
        UserColumn::DisplayName => text(&user.display_name),
        UserColumn::NickName => text(&user.nick_name),
        UserColumn::ProfileUrl => text(&user.profile_url),
        UserColumn::Title => text(&user.title),
        UserColumn::UserType => text(&user.user_type),
        UserColumn::PreferredLanguage => text(&user.preferred_language),
        UserColumn::Locale => text(&user.locale),
        UserColumn::Timezone => text(&user.timezone),
        UserColumn::Active => user.active.map_or(SortValue::Null, SortValue::Bool),
        UserColumn::NameFormatted => text(&user.name_formatted),
        UserColumn::NameFamilyName => text(&user.name_family_name),
        UserColumn::NameGivenName => text(&user.name_given_name),
        UserColumn::NameMiddleName => text(&user.name_middle_name),
        UserColumn::NameHonorificPrefix => text(&user.name_honorific_prefix),
        UserColumn::NameHonorificSuffix => text(&user.name_honorific_suffix),
        UserColumn::EmployeeNumber => text(&user.employee_number),
        UserColumn::CostCenter => text(&user.cost_center),
        UserColumn::Organization => text(&user.organization),
        UserColumn::Division => text(&user.division),
        UserColumn::Department => text(&user.department),
        UserColumn::ManagerValue => text(&user.manager_value),
        UserColumn::ManagerRef => text(&user.manager_ref),
        UserColumn::ManagerDisplayName => text(&user.manager_display_name),
        UserColumn::Created => SortValue::Timestamp(user.created_us),
        UserColumn::LastModified => SortValue::Timestamp(user.last_modified_us),
    }
}
