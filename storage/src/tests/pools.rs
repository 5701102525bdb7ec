//! What the pools report for metrics and health: state, checkout waits, a ping.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{on_both_backends, tenant};
use crate::{Backend, PoolObserver, READ_POOL, SHARED_POOL, Store, WRITE_POOL};

#[derive(Default)]
struct Recorder(Mutex<Vec<&'static str>>);

impl PoolObserver for Recorder {
    fn checked_out(&self, pool: &'static str, _waited: Duration) {
        self.0.lock().expect("lock").push(pool);
    }

    fn timed_out(&self, _pool: &'static str, _waited: Duration) {}
}

fn every_pool_reports_its_size_and_lent_connections(store: &Store) {
    let names: Vec<_> = store.pool_states().iter().map(|s| s.name).collect();
    match store.backend() {
        Backend::Sqlite => assert_eq!(names, [READ_POOL, WRITE_POOL]),
        Backend::Postgres => assert_eq!(names, [SHARED_POOL]),
    }
    let before = store.pool_states()[0];
    assert!(before.max_size >= 1 && before.connections >= before.idle, "{before:?}");
    let held = store.read_connection();
    let during = store.pool_states()[0];
    assert_eq!(
        during.connections - during.idle,
        before.connections - before.idle + 1,
        "a lent connection is not idle"
    );
    drop(held);
}

fn the_registered_observer_hears_of_every_checkout(store: &Store) {
    let recorder = Arc::new(Recorder::default());
    assert!(store.observe_pools(recorder.clone()));
    assert!(
        !store.observe_pools(Arc::new(Recorder::default())),
        "only the first observer counts"
    );
    tenant(store, "acme");
    store.list_tenants().expect("list");
    let seen = recorder.0.lock().expect("lock").clone();
    match store.backend() {
        Backend::Sqlite => assert_eq!(seen, [WRITE_POOL, READ_POOL]),
        Backend::Postgres => assert_eq!(seen, [SHARED_POOL, SHARED_POOL]),
    }
}

fn a_reachable_database_answers_the_ping(store: &Store) {
    store.ping(Duration::from_secs(2)).expect("the database answers");
}

/// After `close`, a call that finds no idle connection fails at once: no connection
/// will be opened, so waiting the pool's connection timeout (5 s) for one only held up
/// a background task, and a shutdown waiting for it. On SQLite an idle connection still
/// serves; PostgreSQL checks a connection as it is lent, and a closed store checks none.
fn a_closed_store_answers_at_once_when_no_connection_is_idle(store: &Store) {
    let clone = store.clone();
    // Hold every connection of the pool a read uses, so none is idle.
    let size = store.pool_states()[0].max_size as usize;
    let held: Vec<_> = (0..size).map(|_| store.read_connection()).collect();
    store.clone().close();
    let started = std::time::Instant::now();
    let refused = clone.list_tenants();
    assert!(
        matches!(&refused, Err(crate::StorageError::Unavailable(detail)) if detail.contains("closed")),
        "{refused:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    drop(held);
    let started = std::time::Instant::now();
    let after = clone.list_tenants();
    match store.backend() {
        Backend::Sqlite => assert!(after.is_ok(), "an idle connection still serves: {after:?}"),
        Backend::Postgres => assert!(matches!(after, Err(crate::StorageError::Unavailable(_))), "{after:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

/// A read on the calling thread ([`Store::idle_local_reader`]) is lent only on SQLite
/// and only when a read connection is idle right now: it never waits for one (that
/// would block an async worker), and PostgreSQL's reads, round trips, never get one.
fn an_idle_local_reader_is_lent_only_on_sqlite_and_never_waited_for(store: &Store) {
    let tenant_id = tenant(store, "acme");
    let Some(reader) = store.idle_local_reader() else {
        assert_eq!(store.backend(), Backend::Postgres, "SQLite lends an idle reader");
        return;
    };
    assert_eq!(store.backend(), Backend::Sqlite, "PostgreSQL lends none");
    let seen = reader
        .read(|tx| tx.tenant_by_name("acme"))
        .expect("a read on this thread");
    assert_eq!(seen.map(|t| t.id), Some(tenant_id));

    let size = store.pool_states()[0].max_size as usize;
    let held: Vec<_> = (0..size).map(|_| store.read_connection()).collect();
    let started = std::time::Instant::now();
    assert!(store.idle_local_reader().is_none(), "every read connection is lent");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "no wait for a connection: {:?}",
        started.elapsed()
    );
    drop(held);
    assert!(store.idle_local_reader().is_some(), "lent again once one is back");
}

on_both_backends!(
    an_idle_local_reader_is_lent_only_on_sqlite_and_never_waited_for,
    every_pool_reports_its_size_and_lent_connections,
    the_registered_observer_hears_of_every_checkout,
    a_reachable_database_answers_the_ping,
    a_closed_store_answers_at_once_when_no_connection_is_idle,
);

#[derive(diesel::QueryableByName)]
struct BackendPid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// The PostgreSQL backend behind the pool's connection.
fn backend_pid(store: &Store) -> i32 {
    use diesel::RunQueryDsl;
    let mut conn = store.read_connection();
    let row: BackendPid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result(&mut *conn)
        .expect("pg_backend_pid");
    row.pid
}

/// A checkout trusts a connection that proved alive within `PROVEN_ALIVE_FOR` and pings
/// one that did not: a connection whose backend died while it sat in the pool is found
/// dead at its next checkout after that and replaced, so the caller never sees it.
#[test]
fn a_postgresql_connection_killed_in_the_pool_is_replaced_at_checkout() {
    use diesel::{Connection, RunQueryDsl};
    let db = crate::test_util::TestDb::postgres();
    let store = db.store_with(crate::StoreOptions {
        max_connections: 1,
        min_idle: Some(1),
        ..crate::StoreOptions::default()
    });
    tenant(&store, "acme");
    let first = backend_pid(&store);

    let mut outside = diesel::PgConnection::establish(db.url()).expect("a connection outside the pool");
    diesel::sql_query("SELECT pg_terminate_backend($1)")
        .bind::<diesel::sql_types::Integer, _>(first)
        .execute(&mut outside)
        .expect("terminate the pool's backend");
    std::thread::sleep(crate::conn::PROVEN_ALIVE_FOR + Duration::from_millis(200));

    let tenants = store.list_tenants().expect("the next caller gets a live connection");
    assert!(tenants.iter().any(|t| t.name == "acme"), "{tenants:?}");
    assert_ne!(backend_pid(&store), first, "the dead connection was replaced");
}

/// A one-shot command's single connection is never lent as a local reader: its callers
/// take turns on it, and there is no async worker to spare a hop for.
#[test]
fn a_single_connection_store_lends_no_local_reader() {
    let db = crate::test_util::TestDb::sqlite();
    let store = Store::open_single(db.url(), crate::StoreOptions::default()).expect("open single");
    assert!(store.idle_local_reader().is_none());
}
