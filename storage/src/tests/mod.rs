//! Storage tests. Every case runs on SQLite and on PostgreSQL: each test is a function
//! of a [`Store`], and `on_both_backends!` makes one `#[test]` per backend of it, each
//! on a fresh database.

mod concurrency;
mod delta;
mod directory;
mod feed;
mod feed_postgres;
mod filters;
mod group_filters;
mod groups;
mod listing;
mod membership;
mod open;
mod plans;
mod pools;
mod rules;
mod seeking;
mod sqlite_build;
mod statistics;
mod summary;
mod tenants_tokens;
mod upgrade;
mod users;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use diesel::connection::{Connection, InstrumentationEvent};

use crate::conn::{self, TxMode};
use crate::query::{ChildColumn, CompareOp, Literal, MultiValuedAttr, Predicate, UserColumn, UserPredicate};
use crate::records::{ChildValue, GroupRecord, MemberRecord, MemberType, TenantRecord, UserQuery, UserRecord};
use crate::{StorageError, Store, Tx};

/// `mod sqlite { #[test] fn name() }` and `mod postgres { … }` for each test function.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let db = $crate::test_util::TestDb::sqlite();
                    super::$name(&db.store());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let db = $crate::test_util::TestDb::postgres();
                    super::$name(&db.store());
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

/// A clock for test records: strictly increasing, so creation order is insertion order.
pub(crate) fn tick() -> i64 {
    static NOW: AtomicI64 = AtomicI64::new(1_700_000_000_000_000);
    NOW.fetch_add(1_000, Ordering::Relaxed)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Creates a tenant named `name` and returns its id.
pub(crate) fn tenant(store: &Store, name: &str) -> String {
    let id = new_id();
    store
        .create_tenant(&TenantRecord {
            id: id.clone(),
            name: name.to_owned(),
            public_url: None,
            operator: false,
            created_us: tick(),
        })
        .expect("create tenant");
    id
}

/// A minimal active user, created now.
pub(crate) fn user(tenant_id: &str, user_name: &str) -> UserRecord {
    let now = tick();
    UserRecord {
        tenant_id: tenant_id.to_owned(),
        id: new_id(),
        user_name: user_name.to_owned(),
        active: Some(true),
        created_us: now,
        last_modified_us: now,
        version: 1,
        ..UserRecord::default()
    }
}

pub(crate) fn email(value: &str, type_: &str, primary: bool) -> (MultiValuedAttr, ChildValue) {
    (
        MultiValuedAttr::Emails,
        ChildValue {
            value: Some(value.to_owned()),
            type_: Some(type_.to_owned()),
            primary: Some(primary),
            ..ChildValue::default()
        },
    )
}

pub(crate) fn phone(value: &str, type_: &str) -> (MultiValuedAttr, ChildValue) {
    (
        MultiValuedAttr::PhoneNumbers,
        ChildValue {
            value: Some(value.to_owned()),
            type_: Some(type_.to_owned()),
            ..ChildValue::default()
        },
    )
}

/// Runs `f` in one transaction of `mode` on a connection that hands every event of
/// diesel's instrumentation to `watch`.
fn instrumented<T>(
    store: &Store,
    mode: TxMode,
    watch: impl FnMut(InstrumentationEvent<'_>) + Send + 'static,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, StorageError>,
) -> T {
    let mut conn = match mode {
        TxMode::Read => store.read_connection(),
        TxMode::Write => store.write_connection(),
    };
    conn.set_instrumentation(watch);
    let result = conn::transaction(&mut conn, mode, |conn| {
        f(&mut Tx {
            conn,
            member_cap: None,
            text_cap: crate::text::MAX_TEXT_BYTES,
        })
    })
    .expect("transaction");
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    result
}

/// Runs `f` in one transaction of `mode` and counts the statements it sends to the
/// database, `BEGIN` and `COMMIT` included.
pub(crate) fn count_statements<T>(
    store: &Store,
    mode: TxMode,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, StorageError>,
) -> (T, usize) {
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&statements);
    let watch = move |event: InstrumentationEvent<'_>| {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    };
    let result = instrumented(store, mode, watch, f);
    (result, statements.load(Ordering::Relaxed))
}

/// Runs `f` in one read transaction and returns the SQL of the statements it sent,
/// without their bindings: also those diesel does not cache, which `sqlite_stmt` never
/// lists.
pub(crate) fn sent_statements<T>(
    store: &Store,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, StorageError>,
) -> (T, Vec<String>) {
    let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorder = Arc::clone(&sent);
    let watch = move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let sql = text.split(" -- binds:").next().unwrap_or_default().to_owned();
            recorder.lock().expect("not poisoned").push(sql);
        }
    };
    let result = instrumented(store, TxMode::Read, watch, f);
    let sent = sent.lock().expect("not poisoned").clone();
    (result, sent)
}

/// A group named `display_name`, created now, with no members.
pub(crate) fn group(tenant_id: &str, display_name: &str) -> GroupRecord {
    let now = tick();
    GroupRecord {
        tenant_id: tenant_id.to_owned(),
        id: new_id(),
        display_name: display_name.to_owned(),
        created_us: now,
        last_modified_us: now,
        version: 1,
        ..GroupRecord::default()
    }
}

/// A member reference for writes (its display is read, never written).
pub(crate) fn member(id: &str, member_type: MemberType) -> MemberRecord {
    MemberRecord {
        id: id.to_owned(),
        member_type,
        display: None,
    }
}

/// Every user of the tenant, in the default order.
pub(crate) fn all_users(store: &Store, tenant_id: &str) -> Vec<UserRecord> {
    store
        .read(|tx| tx.list_users(tenant_id, &UserQuery::all(1_000)))
        .expect("list users")
        .users
}

// Predicate shorthands.

pub(crate) fn cmp(column: UserColumn, op: CompareOp, value: Literal, case_exact: bool) -> UserPredicate {
    UserPredicate::Row(Predicate::Compare {
        column,
        op,
        value,
        case_exact,
    })
}

/// A case-insensitive text comparison.
pub(crate) fn text(column: UserColumn, op: CompareOp, value: &str) -> UserPredicate {
    cmp(column, op, Literal::Text(value.to_owned()), false)
}

/// A case-exact text comparison.
pub(crate) fn exact(column: UserColumn, op: CompareOp, value: &str) -> UserPredicate {
    cmp(column, op, Literal::Text(value.to_owned()), true)
}

pub(crate) fn present(column: UserColumn) -> UserPredicate {
    UserPredicate::Row(Predicate::Present(column))
}

pub(crate) fn and(a: UserPredicate, b: UserPredicate) -> UserPredicate {
    UserPredicate::And(Box::new(a), Box::new(b))
}

pub(crate) fn or(a: UserPredicate, b: UserPredicate) -> UserPredicate {
    UserPredicate::Or(Box::new(a), Box::new(b))
}

pub(crate) fn not(p: UserPredicate) -> UserPredicate {
    UserPredicate::Not(Box::new(p))
}

pub(crate) fn child_text(column: ChildColumn, op: CompareOp, value: &str, case_exact: bool) -> Predicate<ChildColumn> {
    Predicate::Compare {
        column,
        op,
        value: Literal::Text(value.to_owned()),
        case_exact,
    }
}

pub(crate) fn child_and(a: Predicate<ChildColumn>, b: Predicate<ChildColumn>) -> Predicate<ChildColumn> {
    Predicate::And(Box::new(a), Box::new(b))
}
