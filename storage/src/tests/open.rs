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

#[test]
fn a_new_sqlite_database_its_wal_and_its_folder_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("data");
    let path = folder.join("idsync.db");
    let store = Store::open(&path.display().to_string(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "contoso");
    store.write(|tx| tx.insert_user(&user(&t, "ada"))).expect("insert");
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700, "folder");
    for suffix in ["", "-wal", "-shm"] {
        let file = folder.join(format!("idsync.db{suffix}"));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

/// `PRAGMA synchronous` as a string of the number SQLite reports (1 NORMAL, 2 FULL).
fn sqlite_synchronous(store: &Store) -> i32 {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        synchronous: i32,
    }
    store
        .write(|tx| match &mut *tx.conn {
            crate::conn::AnyConnection::Sqlite(c) => {
                use diesel::RunQueryDsl;
                let rows: Vec<Setting> = diesel::sql_query("PRAGMA synchronous").load(c).expect("pragma");
                Ok::<_, StorageError>(rows[0].synchronous)
            }
            crate::conn::AnyConnection::Postgresql(_) => unreachable!("an SQLite store"),
        })
        .expect("read the setting")
}

#[test]
fn sqlite_synchronous_is_normal_by_default_and_full_when_asked() {
    let db = TestDb::sqlite();
    assert_eq!(sqlite_synchronous(&db.store()), 1, "NORMAL");
    let full = db.store_with(StoreOptions {
        sqlite_synchronous: crate::SqliteSynchronous::Full,
        ..StoreOptions::default()
    });
    assert_eq!(sqlite_synchronous(&full), 2, "FULL");
}

#[test]
fn postgres_connections_bound_statements_and_lock_waits() {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        setting: String,
    }
    let db = TestDb::postgres();
    let store = db.store_with(StoreOptions {
        pg_lock_timeout: Duration::from_millis(300),
        ..StoreOptions::default()
    });
    let show = |name: &str| {
        store
            .read(|tx| match &mut *tx.conn {
                crate::conn::AnyConnection::Postgresql(c) => {
                    use diesel::RunQueryDsl;
                    let rows: Vec<Setting> = diesel::sql_query(format!("SELECT current_setting('{name}') AS setting"))
                        .load(c)
                        .expect("setting");
                    Ok::<_, StorageError>(rows[0].setting.clone())
                }
                crate::conn::AnyConnection::Sqlite(_) => unreachable!("a PostgreSQL store"),
            })
            .expect("read the setting")
    };
    assert_eq!(show("statement_timeout"), "30s");
    assert_eq!(show("lock_timeout"), "300ms");

    // A writer holds a user's row; a second writer of the same row gives up after the
    // lock timeout with Unavailable (503), instead of queueing behind it.
    let t = tenant(&store, "contoso");
    let ada = user(&t, "ada");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let holder = {
        let store = store.clone();
        let mut next = ada.clone();
        next.version = 2;
        std::thread::spawn(move || {
            store.write(|tx| {
                tx.update_user(&next, 1)?;
                held_tx.send(()).expect("signal");
                std::thread::sleep(Duration::from_millis(1500));
                Ok::<_, StorageError>(())
            })
        })
    };
    held_rx.recv().expect("the row is held");
    let started = Instant::now();
    let mut other = ada.clone();
    other.version = 2;
    let refused = store.write(|tx| tx.update_user(&other, 1));
    assert!(matches!(refused, Err(StorageError::Unavailable(_))), "{refused:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "gave up after {:?}",
        started.elapsed()
    );
    holder.join().expect("holder").expect("the first writer commits");
}
