//! Storage for idsync: this crate owns the database — the diesel schema, the migrations
//! of both backends (SQLite and PostgreSQL), the connection pools, the transactions and
//! every SQL statement. It knows tables, rows and predicates over columns; it must not
//! know SCIM syntax, gRPC or HTTP.
//!
//! Layout:
//!
//! - `store`: [`Store`] opens the database, owns the pools and runs each call in a transaction, a [`Tx`].
//! - `store/pool`: what the pools tell about themselves (state, checkout waits, a ping) for metrics and health.
//! - `store/source`: where a store takes connections from: an r2d2 pool, or one connection for a one-shot command.
//! - `gate`: the gate that opening and checking connections pass; [`Store::close`] shuts it and drains it.
//! - `cached`: `Cached`, for statements whose SQL is fixed but that diesel would prepare on every call.
//! - `conn`: one connection type over both backends; URLs, per-connection setup, migrations, transactions.
//! - `schema`: the diesel view of the tables that `migrations/{sqlite,postgres}` create.
//! - `records`: the plain records that cross the crate boundary, and the normalization behind uniqueness.
//! - `query`: the storage-neutral predicates that sync-core compiles SCIM filters into.
//! - `filter_sql`: compiles [`query::UserPredicate`]s into SQL conditions and sort terms.
//! - `filter_sql/groups`: compiles [`query::GroupPredicate`]s and membership tests.
//! - `tenants`: the tenant statements, and the [`Store`] calls that run one in a transaction of its own.
//! - `tokens`: the bearer-token statements (tokens stored as hashes), and their [`Store`] calls.
//! - `users`: the statements over users and their multi-valued attributes.
//! - `users/rows`: the row shapes of `users` and `user_values`, and their conversion to and from records.
//! - `groups`: the statements over group rows (insert, read, update, delete, list), and their [`Store`] calls.
//! - `groups/members`: the membership statements: resolve, add, remove and clear members; read them and `User.groups`.
//! - `groups/nesting`: what keeps nested groups free of cycles: the nesting lock and the reachability test.
//! - `groups/directory`: the paged membership reads of the directory API, and their [`Store`] calls.
//! - `groups/rows`: the row shapes of `groups` and `group_members`, and their conversion to and from records.
//! - `rules`: a tenant's scoping and matching rules, and the in-transaction checks that apply them.
//! - `feed`: the change feed, appended in the writer's transaction, and its [`Store`] calls;
//!   `feed/queue`: PostgreSQL's queue of appended events and the sealer that numbers them.
//! - `statistics`: planner statistics refreshed by idsync itself on PostgreSQL, whether or not autovacuum runs.
//! - `log`: the provisioning log, one entry per write attempt, and its [`Store`] calls.
//! - `summary`: aggregates over one tenant (counts of users and groups, in scope or not, the
//!   last use of its tokens, its newest and failed log entries) for the admin overview and rule dry runs.
//! - `paging`: `LIMIT`/`OFFSET` of a page, and a total counted only when the page cannot tell it.
//! - [`keyset`]: keyset paging: the page after or before a position, sought in the index, never by `OFFSET`
//!   (`users/seek` and `groups/seek` hold its statements).
//! - `trace`: the spans around an operation's statements, named as OpenTelemetry's database conventions ask.
//! - `error`: [`StorageError`], and the private mapping of diesel's and r2d2's errors onto it.
//! - [`url`]: database URLs: the admin URL with another database, the password hidden.
//! - `test_util` (feature `test-util`): `TestDb`, a fresh database on either backend for tests.
//! - `tests`: this crate's tests, on SQLite and on PostgreSQL.
//!
//! Every operation is a method of [`Tx`], written in an `impl Tx<'_>` block in its
//! resource's module, so that one transaction can chain several of them (a write, then
//! its change-feed events and its provisioning-log entry) and commit them together. A
//! [`Store`] method that runs a single operation in a transaction of its own exists only
//! where the service needs one; everything else goes through [`Store::write`] or
//! [`Store::read`].
//!
//! sync-core resolves SCIM filters against its schema into a [`query::UserPredicate`] or
//! [`query::GroupPredicate`] and calls these synchronous methods (from
//! `spawn_blocking`), receiving plain [`records`] and a [`StorageError`] that says what
//! happened (conflict, stale version, unavailable) rather than how a database said it.
//! Invariants live in the database, so they hold across replicas: case-insensitive
//! userName and group displayName uniqueness are unique indexes on normalized columns,
//! versions are checked by conditional updates, membership is one row per (group,
//! member), and every statement is scoped by `tenant_id`.

mod cached;
mod conn;
mod error;
mod feed;
mod filter_sql;
mod gate;
mod groups;
pub mod keyset;
mod log;
mod paging;
pub mod query;
pub mod records;
mod rules;
mod schema;
mod statistics;
mod store;
mod summary;
mod tenants;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
pub mod text;
mod tokens;
mod trace;
pub mod url;
mod users;

#[cfg(test)]
mod tests;

pub use conn::Backend;
pub use error::StorageError;
pub use feed::{ChangeEvent, ChangeRecord, FeedBounds, NewChange};
pub use log::{AttributeNames, LogOperation, LogOutcome, LogQuery, LogRecord};
pub use store::{
    LocalReader, PoolObserver, PoolState, READ_POOL, SHARED_POOL, SqliteSynchronous, Store, StoreOptions, Tx,
    WRITE_POOL,
};
pub use summary::{FailureCount, ScopeCount, UserCounts};
