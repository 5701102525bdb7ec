//! The predicate compiler: [`UserPredicate`] → one boxed diesel condition over `users`.
//!
//! The SQL it produces is the same text on both backends; the migrations and the
//! per-connection setup make that text mean the same thing:
//!
//! * case-insensitive comparisons lowercase both sides: the literal in Rust, the column
//!   with `idsync_lower` (Rust's `str::to_lowercase` on SQLite, `lower()` under ICU on
//!   PostgreSQL), or through the `*_norm` columns that the application fills with the
//!   same folding, so `userName eq` and `emails.value eq` hit an index;
//! * text orders by code point: SQLite's BINARY collation, PostgreSQL `COLLATE "C"`
//!   columns;
//! * `LIKE` is case-sensitive (SQLite runs with `PRAGMA case_sensitive_like = ON`) and
//!   the pattern's `%`, `_` and `\` are escaped (`ESCAPE '\'`);
//! * every leaf is two-valued: `column IS NOT NULL AND column op literal`, so `NOT`
//!   never meets SQL's NULL and `not (title eq "x")` holds for a user with no title.
//!
//! Multi-valued attributes become `EXISTS (SELECT 1 FROM user_values WHERE
//! user_values.tenant_id = users.tenant_id AND user_values.user_id = users.id AND
//! user_values.attr = '<attr>' AND <child condition>)`. Groups and membership tests
//! (`members[value eq …]`, `groups.value eq …`) live in the `groups` submodule.

use diesel::dsl::{not, sql};
use diesel::expression::BoxableExpression;
use diesel::expression::expression_types::NotSelectable;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping, is_aggregate};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};

use crate::conn::{MultiBackend, idsync_lower};
use crate::error::StorageError;
use crate::query::{ChildColumn, CompareOp, Literal, MultiValuedAttr, Predicate, UserColumn, UserPredicate};
use crate::records::normalize_user_name;
use crate::schema::{user_values, users};
use crate::users::attr_name;

mod groups;

pub(crate) use groups::{compile_group, group_column};

/// A two-valued SQL condition over the rows of table `T`.
pub(crate) type Cond<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Bool>>;
type MaybeCond<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Nullable<Bool>>>;
type TextExpr<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Nullable<Text>>>;
type BoolExpr<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Nullable<Bool>>>;
type BigIntExpr<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = BigInt>>;

/// How a predicate column maps to SQL. Constructors are functions because boxed
/// expressions cannot be cloned and a leaf may mention its column twice.
pub(crate) enum Column<T> {
    /// A text column.
    Text {
        /// The column as stored.
        column: fn() -> TextExpr<T>,
        /// False for NOT NULL columns, which need no NULL guard.
        nullable: bool,
        /// A twin column holding the value as the application folded it (and
        /// indexed), used instead of `idsync_lower(column)`.
        norm: Option<Norm<T>>,
        /// Whether a case-insensitive sort lowercases the column (ids do not need it).
        fold_for_sort: bool,
    },
    /// A nullable boolean column (both, `active` and `primary`, may be unassigned).
    Bool(fn() -> BoolExpr<T>),
    /// A NOT NULL instant column (microseconds since the epoch).
    Timestamp(fn() -> BigIntExpr<T>),
}

/// A column that stores its twin's value case-folded by the application.
pub(crate) struct Norm<T> {
    /// The folded column.
    pub(crate) column: fn() -> TextExpr<T>,
    /// How the application folds values into it (and so how to fold literals).
    pub(crate) fold: fn(&str) -> String,
}

/// The SQL of a `users` column.
pub(crate) fn user_column(column: UserColumn) -> Column<users::table> {
    use users as u;
    macro_rules! text {
        ($col:ident) => {
            Column::Text {
                column: || Box::new(u::$col),
                nullable: true,
                norm: None,
                fold_for_sort: true,
            }
        };
    }
    // A text column with a folded, indexed twin (see the `folded_names` migration).
    macro_rules! folded {
        ($col:ident, $norm:ident) => {
            Column::Text {
                column: || Box::new(u::$col),
                nullable: true,
                norm: Some(Norm {
                    column: || Box::new(u::$norm),
                    fold: fold_case,
                }),
                fold_for_sort: true,
            }
        };
    }
    match column {
        UserColumn::Id => Column::Text {
            column: || Box::new(u::id.nullable()),
            nullable: false,
            norm: None,
            fold_for_sort: false,
        },
        UserColumn::UserName => Column::Text {
            column: || Box::new(u::user_name.nullable()),
            nullable: false,
            norm: Some(Norm {
                column: || Box::new(u::user_name_norm.nullable()),
                fold: normalize_user_name,
            }),
            fold_for_sort: true,
        },
        UserColumn::ExternalId => text!(external_id),
        UserColumn::DisplayName => folded!(display_name, display_name_norm),
        UserColumn::NickName => text!(nick_name),
        UserColumn::ProfileUrl => text!(profile_url),
        UserColumn::Title => text!(title),
        UserColumn::UserType => text!(user_type),
        UserColumn::PreferredLanguage => text!(preferred_language),
        UserColumn::Locale => text!(locale),
        UserColumn::Timezone => text!(timezone),
        UserColumn::Active => Column::Bool(|| Box::new(u::active)),
        UserColumn::NameFormatted => text!(name_formatted),
        UserColumn::NameFamilyName => folded!(name_family_name, name_family_name_norm),
        UserColumn::NameGivenName => folded!(name_given_name, name_given_name_norm),
        UserColumn::NameMiddleName => text!(name_middle_name),
        UserColumn::NameHonorificPrefix => text!(name_honorific_prefix),
        UserColumn::NameHonorificSuffix => text!(name_honorific_suffix),
        UserColumn::EmployeeNumber => text!(employee_number),
        UserColumn::CostCenter => text!(cost_center),
        UserColumn::Organization => text!(organization),
        UserColumn::Division => text!(division),
        UserColumn::Department => text!(department),
        UserColumn::ManagerValue => text!(manager_value),
        UserColumn::ManagerRef => text!(manager_ref),
        UserColumn::ManagerDisplayName => text!(manager_display_name),
        UserColumn::Created => Column::Timestamp(|| Box::new(u::created_us)),
        UserColumn::LastModified => Column::Timestamp(|| Box::new(u::last_modified_us)),
    }
}

/// The SQL of a `user_values` column.
fn child_column(column: ChildColumn) -> Column<user_values::table> {
    use user_values as v;
    macro_rules! text {
        ($col:ident) => {
            Column::Text {
                column: || Box::new(v::$col),
                nullable: true,
                norm: None,
                fold_for_sort: true,
            }
        };
    }
    match column {
        ChildColumn::Value => Column::Text {
            column: || Box::new(v::value),
            nullable: true,
            norm: Some(Norm {
                column: || Box::new(v::value_norm),
                fold: fold_case,
            }),
            fold_for_sort: true,
        },
        ChildColumn::Display => text!(display),
        ChildColumn::Type => text!(type_),
        ChildColumn::Primary => Column::Bool(|| Box::new(v::is_primary)),
        ChildColumn::Ref => text!(ref_),
        ChildColumn::Formatted => text!(formatted),
        ChildColumn::StreetAddress => text!(street_address),
        ChildColumn::Locality => text!(locality),
        ChildColumn::Region => text!(region),
        ChildColumn::PostalCode => text!(postal_code),
        ChildColumn::Country => text!(country),
    }
}

/// One `ORDER BY` term over table `T`.
pub(crate) type OrderTerm<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = NotSelectable>>;

/// The `ORDER BY` terms of a sort on `column` (RFC 7644 §3.4.2.3): text by its folded
/// twin or lowercased (code-point order, so both backends agree), NULLs last ascending
/// and first descending (the exact reverse). Callers append their tie-breakers.
pub(crate) fn order_terms<T: Table + 'static>(column: Column<T>, descending: bool) -> Vec<OrderTerm<T>> {
    fn direction<T, E>(key: E, descending: bool) -> OrderTerm<T>
    where
        E: ExpressionMethods + 'static,
        diesel::dsl::Asc<E>: BoxableExpression<T, MultiBackend, SqlType = NotSelectable>,
        diesel::dsl::Desc<E>: BoxableExpression<T, MultiBackend, SqlType = NotSelectable>,
    {
        if descending {
            Box::new(key.desc())
        } else {
            Box::new(key.asc())
        }
    }
    match column {
        Column::Text {
            column,
            nullable,
            norm,
            fold_for_sort,
        } => {
            let key: TextExpr<T> = match norm {
                Some(norm) => (norm.column)(),
                None if fold_for_sort => Box::new(idsync_lower(column())),
                None => column(),
            };
            let mut terms = Vec::with_capacity(2);
            if nullable {
                terms.push(direction(column().is_null(), descending));
            }
            terms.push(direction(key, descending));
            terms
        }
        Column::Bool(column) => vec![
            direction(column().is_null(), descending),
            direction(column(), descending),
        ],
        Column::Timestamp(column) => vec![direction(column(), descending)],
    }
}

/// The case folding of case-insensitive comparisons, the same as `idsync_lower` on
/// SQLite and as the `*_norm` columns.
pub(crate) fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

/// Compiles a user predicate into one condition over `users`.
pub(crate) fn compile(predicate: &UserPredicate) -> Result<Cond<users::table>, StorageError> {
    Ok(match predicate {
        UserPredicate::Row(p) => compile_row(p, &user_column)?,
        UserPredicate::AnyChild(attr, p) => any_child(*attr, p)?,
        UserPredicate::AnyGroup(p) => groups::any_group(p)?,
        UserPredicate::And(a, b) => Box::new(compile(a)?.and(compile(b)?)),
        UserPredicate::Or(a, b) => Box::new(compile(a)?.or(compile(b)?)),
        UserPredicate::Not(p) => Box::new(not(compile(p)?)),
    })
}

/// `EXISTS (subquery)` over a subquery built for [`MultiBackend`].
///
/// diesel's own `exists()` renders its subquery per concrete backend and so refuses a
/// boxed `MultiBackend` statement; this node renders it as is.
struct Exists(Box<dyn QueryFragment<MultiBackend> + Send>);

impl Expression for Exists {
    type SqlType = Bool;
}

// The subquery names its outer table in raw SQL, so the node fits any table's query.
impl<QS> AppearsOnTable<QS> for Exists {}

impl<QS> SelectableExpression<QS> for Exists {}

impl ValidGrouping<()> for Exists {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for Exists {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<MultiBackend> for Exists {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql("EXISTS (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

/// A user with a value of a multi-valued attribute that satisfies a condition, in the
/// form each backend's planner answers from the values' index (`user_values_value_idx`,
/// `(tenant_id, attr, value_norm)`) rather than by visiting every user of the tenant.
///
/// * SQLite: `users.id IN (SELECT user_values.user_id … WHERE user_values.tenant_id =
///   users.tenant_id …)`. SQLite runs a correlated `EXISTS` once per user; the `IN` list
///   it builds once from a range of the index and seeks the users by key.
/// * PostgreSQL: `EXISTS (… AND user_values.user_id = users.id)`, which its planner turns
///   into a semi-join free to start from either side; a correlated `IN` it would run as
///   a subplan per user.
///
/// Both hold for the same users: `user_id` is never NULL, so `NOT IN` is as two-valued
/// as `NOT EXISTS`.
struct AnyChildMatch {
    /// `SELECT user_values.user_id FROM user_values WHERE <tenant and condition>`.
    ids: Box<dyn QueryFragment<MultiBackend> + Send>,
    /// `SELECT 1 FROM user_values WHERE <tenant, user and condition>`.
    correlated: Box<dyn QueryFragment<MultiBackend> + Send>,
}

impl Expression for AnyChildMatch {
    type SqlType = Bool;
}

impl AppearsOnTable<users::table> for AnyChildMatch {}

impl SelectableExpression<users::table> for AnyChildMatch {}

impl ValidGrouping<()> for AnyChildMatch {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for AnyChildMatch {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<MultiBackend> for AnyChildMatch {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        // `backend()` is how diesel's own SQL-function nodes learn the backend; every
        // pass carries it.
        if matches!(out.backend(), MultiBackend::Sqlite(_)) {
            out.push_sql("users.id IN (");
            self.ids.walk_ast(out.reborrow())?;
        } else {
            out.push_sql("EXISTS (");
            self.correlated.walk_ast(out.reborrow())?;
        }
        out.push_sql(")");
        Ok(())
    }
}

fn any_child(attr: MultiValuedAttr, predicate: &Predicate<ChildColumn>) -> Result<Cond<users::table>, StorageError> {
    let values = || -> Result<_, StorageError> {
        Ok(user_values::table
            .into_boxed::<MultiBackend>()
            .filter(sql::<Bool>("user_values.tenant_id = users.tenant_id"))
            .filter(user_values::attr.eq(attr_name(attr)))
            .filter(compile_row(predicate, &child_column)?))
    };
    Ok(Box::new(AnyChildMatch {
        ids: Box::new(values()?.select(user_values::user_id)),
        correlated: Box::new(
            values()?
                .filter(sql::<Bool>("user_values.user_id = users.id"))
                .select(sql::<Integer>("1")),
        ),
    }))
}

/// Compiles a predicate over one table's columns.
fn compile_row<T, C>(predicate: &Predicate<C>, resolve: &impl Fn(C) -> Column<T>) -> Result<Cond<T>, StorageError>
where
    T: Table + 'static,
    C: Copy + std::fmt::Debug,
{
    Ok(match predicate {
        Predicate::Const(true) => Box::new(sql::<Bool>("1 = 1")),
        Predicate::Const(false) => Box::new(sql::<Bool>("1 = 0")),
        Predicate::And(a, b) => Box::new(compile_row(a, resolve)?.and(compile_row(b, resolve)?)),
        Predicate::Or(a, b) => Box::new(compile_row(a, resolve)?.or(compile_row(b, resolve)?)),
        Predicate::Not(p) => Box::new(not(compile_row(p, resolve)?)),
        Predicate::Present(c) => present(resolve(*c)),
        Predicate::Compare {
            column,
            op,
            value,
            case_exact,
        } => {
            // `a ne b` is exactly `not (a eq b)`: true for NULL, because the equality
            // below is two-valued.
            let (op, negate) = match op {
                CompareOp::Ne => (CompareOp::Eq, true),
                other => (*other, false),
            };
            let holds = compare(resolve(*column), op, value, *case_exact)
                .map_err(|why| StorageError::InvalidQuery(format!("{column:?} {op:?} {value:?}: {why}")))?;
            if negate { Box::new(not(holds)) } else { holds }
        }
    })
}

fn present<T: Table + 'static>(column: Column<T>) -> Cond<T> {
    match column {
        Column::Text { column, nullable, .. } => guarded(column, nullable, Box::new(column().ne(String::new()))),
        Column::Bool(column) => Box::new(column().is_not_null()),
        // NOT NULL columns always have a value.
        Column::Timestamp(_) => Box::new(sql::<Bool>("1 = 1")),
    }
}

/// `column IS NOT NULL AND condition`: false, never NULL, when the column is NULL.
fn guarded<T: Table + 'static>(column: fn() -> TextExpr<T>, nullable: bool, condition: MaybeCond<T>) -> Cond<T> {
    if nullable {
        Box::new(column().is_not_null().and(condition).assume_not_null())
    } else {
        Box::new(condition.assume_not_null())
    }
}

fn compare<T: Table + 'static>(
    column: Column<T>,
    op: CompareOp,
    value: &Literal,
    case_exact: bool,
) -> Result<Cond<T>, &'static str> {
    match (column, value) {
        (
            Column::Text {
                column, nullable, norm, ..
            },
            Literal::Text(text),
        ) => Ok(compare_text(column, nullable, norm, op, text, case_exact)),
        (Column::Text { .. }, _) => Err("a text column needs a text literal"),
        (Column::Bool(column), Literal::Bool(b)) => {
            let b = *b;
            let condition: MaybeCond<T> = match op {
                CompareOp::Eq | CompareOp::Ne => Box::new(column().eq(b)),
                CompareOp::Gt => Box::new(column().gt(b)),
                CompareOp::Ge => Box::new(column().ge(b)),
                CompareOp::Lt => Box::new(column().lt(b)),
                CompareOp::Le => Box::new(column().le(b)),
                CompareOp::Contains | CompareOp::StartsWith | CompareOp::EndsWith => {
                    return Err("co, sw and ew apply to text only");
                }
            };
            Ok(Box::new(column().is_not_null().and(condition).assume_not_null()))
        }
        (Column::Bool(_), _) => Err("a boolean column needs a boolean literal"),
        (Column::Timestamp(column), Literal::Timestamp(t)) => {
            let t = *t;
            Ok(match op {
                CompareOp::Eq | CompareOp::Ne => Box::new(column().eq(t)),
                CompareOp::Gt => Box::new(column().gt(t)),
                CompareOp::Ge => Box::new(column().ge(t)),
                CompareOp::Lt => Box::new(column().lt(t)),
                CompareOp::Le => Box::new(column().le(t)),
                CompareOp::Contains | CompareOp::StartsWith | CompareOp::EndsWith => {
                    return Err("co, sw and ew apply to text only");
                }
            })
        }
        (Column::Timestamp(_), _) => Err("a timestamp column needs a timestamp literal"),
    }
}

fn compare_text<T: Table + 'static>(
    column: fn() -> TextExpr<T>,
    nullable: bool,
    norm: Option<Norm<T>>,
    op: CompareOp,
    text: &str,
    case_exact: bool,
) -> Cond<T> {
    let condition: MaybeCond<T> = match (case_exact, norm) {
        // Equality on the indexed norm column narrows to the candidates; the exact
        // comparison then decides.
        (true, Some(norm)) if op == CompareOp::Eq => {
            Box::new((norm.column)().eq((norm.fold)(text)).and(column().eq(text.to_owned())))
        }
        (true, _) => text_op(column(), op, text.to_owned()),
        (false, Some(norm)) if op == CompareOp::StartsWith => prefix_range(norm.column, (norm.fold)(text)),
        (false, Some(norm)) => text_op((norm.column)(), op, (norm.fold)(text)),
        (false, None) => text_op(Box::new(idsync_lower(column())), op, fold_case(text)),
    };
    guarded(column, nullable, condition)
}

fn text_op<T: Table + 'static>(x: TextExpr<T>, op: CompareOp, text: String) -> MaybeCond<T> {
    match op {
        CompareOp::Eq | CompareOp::Ne => Box::new(x.eq(text)),
        CompareOp::Gt => Box::new(x.gt(text)),
        CompareOp::Ge => Box::new(x.ge(text)),
        CompareOp::Lt => Box::new(x.lt(text)),
        CompareOp::Le => Box::new(x.le(text)),
        CompareOp::Contains => Box::new(x.like(format!("%{}%", escape_like(&text))).escape('\\')),
        CompareOp::StartsWith => Box::new(x.like(format!("{}%", escape_like(&text))).escape('\\')),
        CompareOp::EndsWith => Box::new(x.like(format!("%{}", escape_like(&text))).escape('\\')),
    }
}

/// `sw` on an indexed column: the `LIKE` that decides, inside the range of the index
/// that holds every string with the prefix. Text compares by code point on both
/// backends (SQLite's BINARY, PostgreSQL's `COLLATE "C"`), so the range is exact, and
/// the planner can seek it even where it cannot read a bound `LIKE` pattern (SQLite
/// built with `SQLITE_ENABLE_QPSG`; PostgreSQL without `text_pattern_ops`).
fn prefix_range<T: Table + 'static>(column: fn() -> TextExpr<T>, prefix: String) -> MaybeCond<T> {
    let like = column().like(format!("{}%", escape_like(&prefix))).escape('\\');
    if prefix.is_empty() {
        return Box::new(like);
    }
    let from = column().ge(prefix.clone());
    match prefix_upper_bound(&prefix) {
        Some(to) => Box::new(from.and(column().lt(to)).and(like)),
        None => Box::new(from.and(like)),
    }
}

/// The least string greater than every string that starts with `prefix`: its last
/// character that can be incremented, incremented, and what follows dropped; `None`
/// when every character is `char::MAX`.
pub(crate) fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            0xD800 => Some('\u{E000}'),
            code => char::from_u32(code),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Escapes LIKE's wildcards so the literal matches only itself.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_off\now"), r"50\%\_off\\now");
        assert_eq!(escape_like("plain"), "plain");
    }
}
