//! Prepared statements that diesel would otherwise prepare again on every call.
//!
//! diesel keeps a connection's prepared statements in a cache keyed by the query's
//! type when the query says its SQL is static (`QueryId::HAS_STATIC_QUERY_ID`), or by
//! its SQL text when it is merely "safe to cache". It refuses every `UPDATE`: its
//! `UpdateStatement` marks itself unsafe to cache, because it cannot tell a changeset
//! whose columns vary (an `Option` field skipped when `None`) from one whose columns
//! never do. Each such call parses and plans the statement anew: on SQLite that is
//! `sqlite3RunParser`, `yy_reduce` and `resolveExprStep` in a profile, on PostgreSQL a
//! parse and plan per execution.
//!
//! [`update`] builds the same `UPDATE … SET … WHERE …` from its parts
//! without that blanket refusal, and names it by a marker type `K`, so the connection
//! prepares it once. The parts still speak for themselves: an `IN` list or raw SQL
//! inside them still makes the statement uncacheable. It is sound only when every value
//! of the statement's type renders the same text: use changesets whose columns are
//! fixed (a tuple of assignments, or a struct with `treat_none_as_null`), and keep the
//! marker private to the one function that builds the statement.
//!
//! (Wrapping diesel's own `UpdateStatement` and overriding `is_safe_to_cache_prepared`
//! does not work: diesel asks the question of `&T`, whose impl does not forward the
//! override but walks the statement, and the walk reports the refusal.)

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AsChangeset, AstPass, QueryFragment, QueryId};
use diesel::query_source::Table;
use diesel::{QueryResult, RunQueryDsl};

/// `UPDATE table SET values WHERE predicate`, prepared once per connection under the
/// marker type `K` (see the module docs). It has no `RETURNING` form: SQLite gathers
/// returned rows in a temporary B-tree per execution, which costs more than reading
/// the row back in the same transaction.
pub(crate) struct StaticUpdate<K, F, V, P> {
    /// The table, as diesel renders it after `UPDATE`.
    from: F,
    values: V,
    predicate: P,
    marker: PhantomData<fn() -> K>,
}

/// `UPDATE table SET values WHERE predicate` under the marker `K`.
///
/// The caller promises that every statement it builds under `K` renders the same SQL.
pub(crate) fn update<K: 'static, T, V, P>(
    table: T,
    values: V,
    predicate: P,
) -> StaticUpdate<K, T::FromClause, V::Changeset, P>
where
    T: Table,
    V: AsChangeset<Target = T>,
{
    StaticUpdate {
        from: table.from_clause(),
        values: values.as_changeset(),
        predicate,
        marker: PhantomData,
    }
}

impl<K: 'static, F, V, P> QueryId for StaticUpdate<K, F, V, P> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<K, F, V, P, DB> QueryFragment<DB> for StaticUpdate<K, F, V, P>
where
    DB: Backend,
    F: QueryFragment<DB>,
    V: QueryFragment<DB>,
    P: QueryFragment<DB>,
{
    // diesel's `UpdateStatement::walk_ast` without its `unsafe_to_cache_prepared`.
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        self.from.walk_ast(out.reborrow())?;
        out.push_sql(" SET ");
        self.values.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        self.predicate.walk_ast(out.reborrow())
    }
}

impl<K, F, V, P, Conn> RunQueryDsl<Conn> for StaticUpdate<K, F, V, P> {}

/// `UPDATE table SET values WHERE predicate` whose `SET` list may vary, prepared once
/// per connection for each SQL text it renders: diesel keys its cache by the text when
/// a statement has no static id and nothing in it refuses caching. Each execution
/// renders the text to look it up.
pub(crate) struct TextKeyedUpdate<F, V, P>(StaticUpdate<(), F, V, P>);

/// `UPDATE table SET values WHERE predicate`, cached by its SQL text.
pub(crate) fn update_by_text<T, V, P>(
    table: T,
    values: V,
    predicate: P,
) -> TextKeyedUpdate<T::FromClause, V::Changeset, P>
where
    T: Table,
    V: AsChangeset<Target = T>,
{
    TextKeyedUpdate(update::<(), _, _, _>(table, values, predicate))
}

impl<F, V, P> QueryId for TextKeyedUpdate<F, V, P> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<F, V, P, DB> QueryFragment<DB> for TextKeyedUpdate<F, V, P>
where
    DB: Backend,
    StaticUpdate<(), F, V, P>: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }
}

impl<F, V, P, Conn> RunQueryDsl<Conn> for TextKeyedUpdate<F, V, P> {}

/// Runs `$body` with `$c` bound to the backend's own connection behind an
/// [`crate::conn::AnyConnection`], so that `$body` is compiled once per backend.
///
/// Through `AnyConnection` itself, diesel renders every statement's SQL text again on
/// each execution (the multi-backend wrapper serializes the query before the backend
/// sees it), even when the prepared statement is cached. On the concrete connection a
/// statement with a static query id goes straight to its cached prepared statement.
/// Use it for the statements that every request runs.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::conn::AnyConnection::Sqlite($c) => $body,
            $crate::conn::AnyConnection::Postgresql($c) => $body,
        }
    };
}

pub(crate) use on_backend;
