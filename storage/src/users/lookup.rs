//! The lookups a provisioning client makes for every identity it syncs — `userName eq`,
//! `externalId eq`, `id eq`, unsorted — as static statements.
//!
//! The general filter compiler builds a boxed query, whose SQL diesel renders on every
//! call and SQLite then finds or parses again. These three shapes are the bulk of all
//! list calls (Entra looks every user up by its matching attribute before it creates or
//! updates it), so they get statements of their own, prepared once per connection. The
//! condition is exactly what the compiler would produce for the same predicate (see
//! [`Key::of`]); any other filter, or a sort, takes the general path.

use diesel::prelude::*;

use super::rows::UserRow;
use crate::cached::on_backend;
use crate::conn::AnyConnection;
use crate::error::{DbResultExt, StorageError};
use crate::paging;
use crate::query::{CompareOp, Literal, Predicate, UserColumn, UserPredicate};
use crate::records::{UserQuery, normalize_user_name};
use crate::schema::users;

/// A lookup by one indexed column, with the value as the column stores it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Key {
    /// `userName eq` (case-insensitive): the normalized userName.
    UserName(String),
    /// `externalId eq` (caseExact).
    ExternalId(String),
    /// `id eq` (caseExact).
    Id(String),
}

impl Key {
    /// The key of an unsorted query whose whole filter is one of the three lookups,
    /// with the case rule that the compiler would apply: a case-insensitive `userName`
    /// compares `user_name_norm` with the normalized value; a case-exact `externalId`
    /// or `id` compares the column itself (`column IS NOT NULL AND column = v` is
    /// `column = v`).
    pub(super) fn of(query: &UserQuery) -> Option<Key> {
        if query.sort.is_some() {
            return None;
        }
        let UserPredicate::Row(Predicate::Compare {
            column,
            op: CompareOp::Eq,
            value: Literal::Text(text),
            case_exact,
        }) = &query.predicate
        else {
            return None;
        };
        match (column, case_exact) {
            (UserColumn::UserName, false) => Some(Key::UserName(normalize_user_name(text))),
            (UserColumn::ExternalId, true) => Some(Key::ExternalId(text.clone())),
            (UserColumn::Id, true) => Some(Key::Id(text.clone())),
            _ => None,
        }
    }
}

impl UserQuery {
    /// Whether this is one of the keyed lookups above: an index probe for one key,
    /// which reads a page of the few users that have it and no more.
    pub fn is_keyed_lookup(&self) -> bool {
        Key::of(self).is_some()
    }
}

/// The page of users with `key`, in creation order, and how many have it in all (the
/// count runs only when the page cannot tell, as for every list).
pub(super) fn find(
    conn: &mut AnyConnection,
    tenant_id: &str,
    key: &Key,
    query: &UserQuery,
) -> Result<(u64, Vec<UserRow>), StorageError> {
    let (limit, offset) = paging::limit_offset(query.limit, query.offset);
    // One static statement per column: the macro writes the three out.
    macro_rules! by {
        ($column:ident, $value:expr) => {{
            let matching = users::table
                .filter(users::tenant_id.eq(tenant_id))
                .filter(users::$column.eq($value));
            let rows = if limit == 0 {
                Vec::new()
            } else {
                // Built per backend: `as_select` is typed by the backend it loads from.
                on_backend!(&mut *conn, |c| matching
                    .clone()
                    .order((users::created_us.asc(), users::id.asc()))
                    .limit(limit)
                    .offset(offset)
                    .select(UserRow::as_select())
                    .load(c))
                .db()?
            };
            let total = paging::total(query.offset, query.limit, rows.len(), || {
                on_backend!(&mut *conn, |c| matching.count().get_result::<i64>(c)).db()
            })?;
            Ok((total, rows))
        }};
    }
    match key {
        Key::UserName(norm) => by!(user_name_norm, norm),
        Key::ExternalId(value) => by!(external_id, value),
        Key::Id(value) => by!(id, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::SortKey;

    fn query(predicate: UserPredicate) -> UserQuery {
        UserQuery {
            predicate,
            sort: None,
            offset: 0,
            limit: 10,
        }
    }

    fn eq(column: UserColumn, text: &str, case_exact: bool) -> UserPredicate {
        UserPredicate::Row(Predicate::Compare {
            column,
            op: CompareOp::Eq,
            value: Literal::Text(text.into()),
            case_exact,
        })
    }

    #[test]
    fn the_three_lookups_take_the_static_path_with_the_compilers_case_rules() {
        assert_eq!(
            Key::of(&query(eq(UserColumn::UserName, "Ada@Example.COM", false))),
            Some(Key::UserName(normalize_user_name("Ada@Example.COM")))
        );
        assert_eq!(
            Key::of(&query(eq(UserColumn::ExternalId, "E-1", true))),
            Some(Key::ExternalId("E-1".into()))
        );
        assert_eq!(
            Key::of(&query(eq(UserColumn::Id, "u1", true))),
            Some(Key::Id("u1".into()))
        );
    }

    #[test]
    fn other_filters_and_sorted_queries_take_the_general_path() {
        assert_eq!(Key::of(&query(eq(UserColumn::UserName, "ada", true))), None);
        assert_eq!(Key::of(&query(eq(UserColumn::ExternalId, "e", false))), None);
        assert_eq!(Key::of(&query(eq(UserColumn::DisplayName, "Ada", false))), None);
        assert_eq!(Key::of(&query(UserPredicate::all())), None);
        let mut sorted = query(eq(UserColumn::UserName, "ada", false));
        sorted.sort = Some(SortKey {
            column: UserColumn::UserName,
            descending: false,
        });
        assert_eq!(Key::of(&sorted), None);
    }
}
