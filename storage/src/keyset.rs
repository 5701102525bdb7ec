//! Keyset ("seek") paging: a page starts right after (or ends right before) the last row
//! the client saw, found through the sort order's index instead of by skipping rows.
//!
//! A page by `OFFSET` costs as many rows as it skips, so the last page of a million-row
//! listing reads a million rows. A page here is `WHERE <filter> AND <row beyond the
//! position> ORDER BY <sort>, created_us, id LIMIT n + 1`: with the default order it
//! seeks in the `(tenant_id, created_us, id)` index and reads n + 1 rows whatever the
//! depth (the extra row tells whether another page follows).
//!
//! "Beyond a position" is spelled out term by term, `a > x OR (a = x AND (b > y OR …))`,
//! preceded by `a >= x` so that the planner has a range to seek on; both backends read it
//! the same way. Each term compares the same expression the `ORDER BY` sorts on (the
//! folded twin column, or `idsync_lower(column)` against `idsync_lower(literal)`), so the
//! position and the order can never disagree, and NULLs sit where the order puts them:
//! last ascending, first descending. Walking backwards flips every term, which is the
//! exact reverse order.
//!
//! Rows inserted or deleted between pages neither repeat nor shift the walk: a position
//! is a value, not a row count. Every statement stays scoped by `tenant_id`; a position
//! only says where to start inside the caller's own, filtered rows.

use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};

use crate::conn::{MultiBackend, idsync_lower};
use crate::error::StorageError;
use crate::filter_sql::{Column, Cond};
use crate::query::{GroupPredicate, UserPredicate};
use crate::records::{GroupSortKey, SortKey};

/// The value of a row's sort column, as stored (unfolded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    /// The column has no value.
    Null,
    /// A text column.
    Text(String),
    /// A boolean column.
    Bool(bool),
    /// An instant column (microseconds since the epoch).
    Timestamp(i64),
}

/// Where a row sits in a listing's order: its sort value (when the listing is sorted),
/// then its creation time and id, which make the order total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The row's value of the sort column; `None` when the listing has no sort key.
    pub sort: Option<SortValue>,
    /// The row's creation time, microseconds since the epoch.
    pub created_us: i64,
    /// The row's id.
    pub id: String,
}

/// Which page of a keyset listing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seek {
    /// The first page.
    First,
    /// The page that starts right after this position.
    After(Position),
    /// The page that ends right before this position.
    Before(Position),
}

/// A keyset page request over the users of one tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSeek {
    /// Which users.
    pub predicate: UserPredicate,
    /// Ordering; `None` is creation order.
    pub sort: Option<SortKey>,
    /// Which page.
    pub seek: Seek,
    /// Maximum rows returned; 0 returns none but still counts.
    pub limit: u64,
}

/// A keyset page request over the groups of one tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSeek {
    /// Which groups.
    pub predicate: GroupPredicate,
    /// Ordering; `None` is creation order.
    pub sort: Option<GroupSortKey>,
    /// Which page.
    pub seek: Seek,
    /// Maximum rows returned; 0 returns none but still counts.
    pub limit: u64,
    /// Load the members of the page's groups.
    pub with_members: bool,
}

/// One keyset page, how many rows match in all, and where the neighbouring pages start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeekPage<R> {
    /// All rows that match, regardless of paging.
    pub total: u64,
    /// The page, in the listing's order.
    pub items: Vec<R>,
    /// The first row's position when rows come before it: [`Seek::Before`] it reads the
    /// previous page. `None` on the first page.
    pub previous: Option<Position>,
    /// The last row's position when rows follow it: [`Seek::After`] it reads the next
    /// page. `None` on the last page.
    pub next: Option<Position>,
}

/// How a page was read, and what the extra row told.
pub(crate) struct Window {
    /// Rows were read backwards (a [`Seek::Before`]) and must be reversed.
    pub(crate) backwards: bool,
    /// The first page: nothing comes before it.
    pub(crate) first: bool,
}

impl Seek {
    /// The position to seek from, and the direction.
    pub(crate) fn window(&self) -> (Option<&Position>, Window) {
        match self {
            Seek::First => (
                None,
                Window {
                    backwards: false,
                    first: true,
                },
            ),
            Seek::After(p) => (
                Some(p),
                Window {
                    backwards: false,
                    first: false,
                },
            ),
            Seek::Before(p) => (
                Some(p),
                Window {
                    backwards: true,
                    first: false,
                },
            ),
        }
    }
}

/// `LIMIT` with the one extra row that tells whether more follow.
pub(crate) fn probe_limit(limit: u64) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

/// Cuts the probe row off a page read in `window`'s direction and puts the page in the
/// listing's order; returns the page and whether rows lie before and after it.
pub(crate) fn settle<R>(mut rows: Vec<R>, limit: u64, window: &Window) -> (Vec<R>, bool, bool) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let beyond = rows.len() > limit;
    rows.truncate(limit);
    if window.backwards {
        rows.reverse();
        // We came from the page after this one.
        (rows, beyond, true)
    } else {
        (rows, !window.first, beyond)
    }
}

/// The neighbours' positions of a settled page.
pub(crate) fn neighbours<R>(
    rows: &[R],
    before: bool,
    after: bool,
    position: impl Fn(&R) -> Position,
) -> (Option<Position>, Option<Position>) {
    let previous = before.then(|| rows.first().map(&position)).flatten();
    let next = after.then(|| rows.last().map(&position)).flatten();
    (previous, next)
}

/// One term of the order: a column, its direction, and the position's value of it.
pub(crate) struct KeyTerm<T> {
    /// The column's SQL (a function: boxed expressions cannot be cloned).
    pub(crate) column: Box<dyn Fn() -> Column<T>>,
    /// Sorted descending (NULLs first).
    pub(crate) descending: bool,
    /// The position's value.
    pub(crate) value: SortValue,
}

/// The rows strictly beyond the position `terms` describe, in the order the terms sort
/// (reversed when `backwards`).
pub(crate) fn beyond<T: Table + 'static>(terms: &[KeyTerm<T>], backwards: bool) -> Result<Cond<T>, StorageError> {
    let Some(first) = terms.first() else {
        return Ok(Box::new(sql::<Bool>("1 = 0")));
    };
    let descending = |term: &KeyTerm<T>| term.descending != backwards;
    // Built from the last term outwards: beyond(i) = gt(i) OR (eq(i) AND beyond(i+1)).
    let mut tail: Option<Cond<T>> = None;
    for term in terms.iter().rev() {
        let gt = strictly_after((term.column)(), descending(term), &term.value)?;
        tail = Some(match tail {
            None => gt,
            Some(rest) => Box::new(gt.or(equal((term.column)(), &term.value)?.and(rest))),
        });
    }
    let tail = tail.unwrap_or_else(|| Box::new(sql::<Bool>("1 = 0")));
    // `a >= x` first: a range the planner can seek in the index on (neither SQLite nor
    // PostgreSQL seeks on an `OR`).
    let seek = at_or_after((first.column)(), descending(first), &first.value)?;
    Ok(Box::new(seek.and(tail)))
}

/// The row comes at or after `value` in the term's direction: a plain `>=` (or `<=`)
/// where the column cannot be NULL, so that an index on it serves as a range.
fn at_or_after<T: Table + 'static>(
    column: Column<T>,
    descending: bool,
    value: &SortValue,
) -> Result<Cond<T>, StorageError> {
    Ok(match (&column, value) {
        (Column::Timestamp(t), SortValue::Timestamp(v)) => {
            let v = *v;
            if descending {
                Box::new(t().le(v))
            } else {
                Box::new(t().ge(v))
            }
        }
        (Column::Text { nullable: false, .. }, SortValue::Text(text)) => {
            let (key, literal) = text_key(&column, text).ok_or_else(mismatch)?;
            if descending {
                Box::new(key.le(literal).assume_not_null())
            } else {
                Box::new(key.ge(literal).assume_not_null())
            }
        }
        _ => {
            let after = strictly_after(column_again(&column), descending, value)?;
            Box::new(after.or(equal(column, value)?))
        }
    })
}

/// A second handle on the same column (its parts are function pointers).
fn column_again<T>(column: &Column<T>) -> Column<T> {
    match column {
        Column::Text {
            column,
            nullable,
            norm,
            fold_for_sort,
        } => Column::Text {
            column: *column,
            nullable: *nullable,
            norm: norm.as_ref().map(|n| crate::filter_sql::Norm {
                column: n.column,
                fold: n.fold,
            }),
            fold_for_sort: *fold_for_sort,
        },
        Column::Bool(b) => Column::Bool(*b),
        Column::Timestamp(t) => Column::Timestamp(*t),
    }
}

fn mismatch() -> StorageError {
    StorageError::InvalidQuery("the paging position does not fit the listing's sort".into())
}

type TextExpr<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Nullable<Text>>>;

/// The text a term compares: the sort expression, and the literal folded the same way.
fn text_key<T: Table + 'static>(column: &Column<T>, raw: &str) -> Option<(TextExpr<T>, TextExpr<T>)> {
    let Column::Text {
        column,
        norm,
        fold_for_sort,
        ..
    } = column
    else {
        return None;
    };
    Some(match norm {
        Some(norm) => ((norm.column)(), Box::new((norm.fold)(raw).into_sql::<Nullable<Text>>())),
        None if *fold_for_sort => (
            Box::new(idsync_lower(column())),
            Box::new(idsync_lower(raw.to_owned().into_sql::<Nullable<Text>>())),
        ),
        None => (column(), Box::new(raw.to_owned().into_sql::<Nullable<Text>>())),
    })
}

/// The row comes strictly after `value` in the term's direction.
fn strictly_after<T: Table + 'static>(
    column: Column<T>,
    descending: bool,
    value: &SortValue,
) -> Result<Cond<T>, StorageError> {
    let never = || -> Cond<T> { Box::new(sql::<Bool>("1 = 0")) };
    Ok(match (&column, value) {
        (
            Column::Text {
                column: raw, nullable, ..
            },
            SortValue::Text(text),
        ) => {
            let nullable = *nullable;
            let raw = *raw;
            let (key, literal) = text_key(&column, text).ok_or_else(mismatch)?;
            match (descending, nullable) {
                (false, true) => Box::new(raw().is_null().or(key.gt(literal)).assume_not_null()),
                (false, false) => Box::new(key.gt(literal).assume_not_null()),
                (true, true) => Box::new(raw().is_not_null().and(key.lt(literal)).assume_not_null()),
                (true, false) => Box::new(key.lt(literal).assume_not_null()),
            }
        }
        // NULLs sort last ascending and first descending.
        (Column::Text { column: raw, .. }, SortValue::Null) if descending => Box::new(raw().is_not_null()),
        (Column::Bool(b), SortValue::Null) if descending => Box::new(b().is_not_null()),
        (Column::Text { .. } | Column::Bool(_) | Column::Timestamp(_), SortValue::Null) => never(),
        (Column::Bool(b), SortValue::Bool(v)) => {
            let v = *v;
            if descending {
                Box::new(b().is_not_null().and(b().lt(v)).assume_not_null())
            } else {
                Box::new(b().is_null().or(b().gt(v)).assume_not_null())
            }
        }
        (Column::Timestamp(t), SortValue::Timestamp(v)) => {
            let v = *v;
            if descending {
                Box::new(t().lt(v))
            } else {
                Box::new(t().gt(v))
            }
        }
        _ => return Err(mismatch()),
    })
}

/// The row's value of the term equals `value` (NULL equals NULL here, as in the order).
fn equal<T: Table + 'static>(column: Column<T>, value: &SortValue) -> Result<Cond<T>, StorageError> {
    Ok(match (&column, value) {
        (Column::Text { column: raw, .. }, SortValue::Text(text)) => {
            let raw = *raw;
            let (key, literal) = text_key(&column, text).ok_or_else(mismatch)?;
            Box::new(raw().is_not_null().and(key.eq(literal)).assume_not_null())
        }
        (Column::Text { column: raw, .. }, SortValue::Null) => Box::new(raw().is_null()),
        (Column::Bool(b), SortValue::Null) => Box::new(b().is_null()),
        (Column::Bool(b), SortValue::Bool(v)) => Box::new(b().is_not_null().and(b().eq(*v)).assume_not_null()),
        (Column::Timestamp(t), SortValue::Timestamp(v)) => Box::new(t().eq(*v)),
        (Column::Timestamp(_), SortValue::Null) => Box::new(sql::<Bool>("1 = 0")),
        _ => return Err(mismatch()),
    })
}

/// A NOT NULL instant column as a key term.
pub(crate) fn timestamp_term<T: Table + 'static>(
    column: fn() -> Box<dyn BoxableExpression<T, MultiBackend, SqlType = BigInt>>,
    value: i64,
) -> KeyTerm<T> {
    KeyTerm {
        column: Box::new(move || Column::Timestamp(column)),
        descending: false,
        value: SortValue::Timestamp(value),
    }
}

/// A NOT NULL id column (compared as stored) as a key term.
pub(crate) fn id_term<T: Table + 'static>(column: fn() -> TextExpr<T>, value: &str) -> KeyTerm<T> {
    KeyTerm {
        column: Box::new(move || Column::Text {
            column,
            nullable: false,
            norm: None,
            fold_for_sort: false,
        }),
        descending: false,
        value: SortValue::Text(value.to_owned()),
    }
}
