//! Opening a store: URLs, folders, migrations, failures that are fast and clear.

use std::time::{Duration, Instant};

use super::{tenant, user};
use crate::test_util::TestDb;
use crate::{Backend, StorageError, Store, StoreOptions};

#[test]
fn a_store_is_cheap_to_share_between_threads() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Store>();
    shareable::<StorageError>();
}

#[test]
fn an_unreachable_postgres_fails_at_once_with_the_drivers_message() {
    let started = Instant::now();
    let err = Store::open("postgres://postgres@127.0.0.1:1/idsync", StoreOptions::default()).expect_err("must fail");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    match err {
        StorageError::Unavailable(message) => assert!(message.contains("127.0.0.1"), "{message}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn an_unknown_scheme_is_a_configuration_error() {
    let err = Store::open("mysql://localhost/idsync", StoreOptions::default()).expect_err("must fail");
    assert!(matches!(err, StorageError::Config(_)), "{err:?}");
}

#[test]
fn opening_an_sqlite_file_creates_its_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a/b/idsync.sqlite3");
    let store = Store::open(&format!("sqlite://{}", path.display()), StoreOptions::default()).expect("open");
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.exists());
}

fn reopening_keeps_the_data_and_migrates_nothing(db: &TestDb) {
    let t = {
        let store = db.store();
        let t = tenant(&store, "contoso");
        store.write(|tx| tx.insert_user(&user(&t, "ada"))).expect("insert");
        t
    };
    let store = db.store();
    assert_eq!(store.migrate(), Ok(vec![]));
    assert_eq!(
        store
            .read(|tx| tx.list_users(&t, &crate::records::UserQuery::all(10)))
            .map(|p| p.total),
        Ok(1)
    );
    assert_eq!(store.backend(), db.backend());
}

#[test]
fn reopening_sqlite_keeps_the_data_and_migrates_nothing() {
    reopening_keeps_the_data_and_migrates_nothing(&TestDb::sqlite());
}

#[test]
fn reopening_postgres_keeps_the_data_and_migrates_nothing() {
    reopening_keeps_the_data_and_migrates_nothing(&TestDb::postgres());
}

#[test]
fn stores_opened_together_on_postgres_migrate_once() {
    let db = TestDb::postgres();
    let url = db.url().to_owned();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Store::open(&url, StoreOptions::default()).map(|_| ()))
        })
        .collect();
    for h in handles {
        h.join().expect("thread").expect("open");
    }
}

#[test]
fn a_write_nested_in_a_write_on_sqlite_gives_up_as_unavailable() {
    let db = TestDb::sqlite();
    let store = db.store_with(StoreOptions {
        connection_timeout: Duration::from_millis(300),
        ..StoreOptions::default()
    });
    let t = tenant(&store, "contoso");
    let nested = store.write(|_| store.write(|tx| tx.insert_user(&user(&t, "ada"))));
    assert!(matches!(nested, Err(StorageError::Unavailable(_))), "{nested:?}");
}
