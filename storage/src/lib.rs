//! Storage for idsync: the diesel schema, the migrations of both backends (SQLite and
//! PostgreSQL), r2d2 connection pools, transactions, and the compiler that turns the
//! storage-neutral predicates of [`query`] into SQL.
//!
//! It knows tables, rows and predicates over columns; it must not know SCIM syntax,
//! gRPC or HTTP. sync-core resolves SCIM filters against its schema into a
//! [`query::UserPredicate`] or [`query::GroupPredicate`] and calls the synchronous
//! methods of [`Store`] and [`Tx`] (from
//! `spawn_blocking`), receiving plain [`records`] and a [`StorageError`] that says what
//! happened (conflict, stale version, unavailable) rather than how a database said it.
//! Invariants live in the database, so they hold across replicas: case-insensitive
//! userName and group displayName uniqueness are unique indexes on normalized columns,
//! versions are checked by conditional updates, membership is one row per (group,
//! member), and every statement is scoped by `tenant_id`.
//!
//! Layout: [`Store`] (`store`) owns the pools and hands out transactions ([`Tx`]);
//! `conn` opens connections from a URL, sets SQLite up (WAL, one writer), runs the
//! embedded migrations (`migrations/{sqlite,postgres}`) and begins transactions;
//! `schema` mirrors the tables; `tenants`, `tokens`, `users`, `groups` and `rules` (scoping and matching
//! rules, and the in-transaction checks that apply them) hold the
//! statements of each resource as functions over a connection already in a transaction,
//! so that later writes (change feed, provisioning log) can join the same transaction;
//! `feed` is the change feed and `log` the provisioning log, both appended in the
//! writer's transaction; `filter_sql` compiles predicates; `error` maps diesel's errors. With the
//! `test-util` feature, `test_util::TestDb` gives tests a fresh database on either
//! backend.

mod conn;
mod error;
mod feed;
mod filter_sql;
mod gate;
mod groups;
mod log;
mod paging;
pub mod query;
pub mod records;
mod rules;
mod schema;
mod store;
mod tenants;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
mod tokens;
mod trace;
mod users;

#[cfg(test)]
mod tests;

pub use conn::Backend;
pub use error::StorageError;
pub use feed::{ChangeEvent, ChangeRecord, FeedBounds, NewChange};
pub use log::{AttributeNames, LogOperation, LogOutcome, LogQuery, LogRecord};
pub use store::{PoolObserver, PoolState, READ_POOL, SHARED_POOL, Store, StoreOptions, Tx, WRITE_POOL};
