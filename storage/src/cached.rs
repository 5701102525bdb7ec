//! Prepared statements that diesel would otherwise prepare again on every call.
//!
//! diesel keeps a connection's prepared statements in a cache keyed by the query's
//! type when the query says its SQL is static (`QueryId::HAS_STATIC_QUERY_ID`), or by
//! its SQL text when it is merely "safe to cache". It refuses some statements whose
//! text is in fact fixed: every `UPDATE` (diesel cannot tell a changeset whose columns
//! vary from one whose columns never do) and every query that carries a type without a
//! static id. Each such call parses and plans the statement anew: on SQLite that is
//! `sqlite3RunParser`, `yy_reduce` and `resolveExprStep` in a profile, on PostgreSQL a
//! parse and plan per execution.
//!
//! [`Cached`] wraps such a statement and vouches for it: *every value of this Rust
//! type renders the same SQL text*, so the statement may be cached under the marker
//! type `K`. It is sound only when that holds; keep the marker private to the one
//! function that builds the statement, and use it only for shapes with no optional
//! clause (a changeset with `treat_none_as_null`, a fixed list of columns, no `IN`
//! list, no raw SQL).

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// A statement whose SQL text is the same for every value of its type, cached by the
/// connection under the marker type `K` (see the module docs).
pub(crate) struct Cached<K, Q> {
    statement: Q,
    marker: PhantomData<fn() -> K>,
}

/// `statement`, to be prepared once per connection under the marker `K`.
///
/// The caller promises that every statement it wraps under `K` renders the same SQL.
pub(crate) fn cached<K: 'static, Q>(statement: Q) -> Cached<K, Q> {
    Cached {
        statement,
        marker: PhantomData,
    }
}

impl<K: 'static, Q> QueryId for Cached<K, Q> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<K, Q, DB> QueryFragment<DB> for Cached<K, Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.statement.walk_ast(pass)
    }

    // The point of the wrapper: the text is fixed (the caller's promise), whatever the
    // wrapped statement would say.
    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<K, Q: Query> Query for Cached<K, Q> {
    type SqlType = Q::SqlType;
}

impl<K, Q, Conn> RunQueryDsl<Conn> for Cached<K, Q> {}

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
