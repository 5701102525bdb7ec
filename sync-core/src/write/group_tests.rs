//! Group commit: each write of a shared transaction succeeds or fails as a whole, and
//! is answered only once it is committed.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, mpsc};
use std::time::Duration;

use idsync_storage::records::TenantRecord;
use idsync_storage::test_util::TestDb;
use idsync_storage::{StorageError, Store, StoreOptions};

use super::GroupCommit;

fn tenant(name: &str) -> TenantRecord {
    TenantRecord {
        id: format!("id-{name}"),
        name: name.to_owned(),
        public_url: None,
        operator: false,
        created_us: 1,
    }
}

/// `n` writes at once, each creating a tenant; `taken` of them ask for a name that is
/// already stored.
async fn concurrent_creates(group: &Arc<GroupCommit>, store: &Store, n: usize, taken: &[usize]) {
    let writes: Vec<_> = (0..n)
        .map(|i| {
            let group = Arc::clone(group);
            let record = if taken.contains(&i) {
                TenantRecord {
                    id: format!("other-{i}"),
                    ..tenant("taken")
                }
            } else {
                tenant(&format!("t{i}"))
            };
            tokio::spawn(async move { group.write(move |tx| tx.create_tenant(&record)).await })
        })
        .collect();
    for (i, write) in writes.into_iter().enumerate() {
        let answer = write.await.unwrap();
        if taken.contains(&i) {
            assert!(matches!(answer, Err(StorageError::Conflict { .. })), "{i}: {answer:?}");
        } else {
            answer.unwrap();
            // Answered means committed: a read on another connection sees it.
            let seen = store.tenant_by_name(&format!("t{i}")).unwrap();
            assert_eq!(seen.map(|t| t.id), Some(format!("id-t{i}")), "{i}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_commit_together_and_a_failed_one_fails_alone() {
    let db = TestDb::sqlite();
    let store = db.store();
    store.create_tenant(&tenant("taken")).unwrap();
    let group = GroupCommit::new(store.clone());
    concurrent_creates(&group, &store, 200, &[3, 50, 199]).await;
    let names = store.list_tenants().unwrap().len();
    assert_eq!(names, 1 + 197, "every write but the three refused is stored");
}

/// Holds SQLite's one write connection until the returned sender sends (or drops).
fn hold_the_writer(store: &Store) -> (mpsc::Sender<()>, std::thread::JoinHandle<Result<(), StorageError>>) {
    let (held_tx, held_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let store = store.clone();
    let holder = std::thread::spawn(move || {
        store.write(|_| -> Result<(), StorageError> {
            held_tx.send(()).unwrap();
            let _ = release_rx.recv();
            Ok(())
        })
    });
    held_rx.recv().unwrap();
    (release_tx, holder)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_that_queue_behind_a_transaction_share_the_next_one() {
    let db = TestDb::sqlite();
    let store = db.store_with(StoreOptions {
        connection_timeout: Duration::from_secs(60),
        ..StoreOptions::default()
    });
    let group = GroupCommit::new(store.clone());
    let (release, holder) = hold_the_writer(&store);
    let write = |i: usize| {
        let group = Arc::clone(&group);
        tokio::spawn(async move { group.write(move |tx| tx.create_tenant(&tenant(&format!("t{i}")))).await })
    };
    // The first write's batch takes it and waits for the writer ...
    let mut writes = vec![write(0)];
    while group.queued() > 0 || !group.lock().draining {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // ... and the other nine queue behind it.
    writes.extend((1..10).map(write));
    while group.queued() < 9 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    release.send(()).unwrap();
    for write in writes {
        write.await.unwrap().unwrap();
    }
    holder.join().unwrap().unwrap();
    assert_eq!(group.transactions.load(std::sync::atomic::Ordering::Relaxed), 2);
    assert_eq!(store.list_tenants().unwrap().len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_is_answered_only_after_its_transaction_commits() {
    let db = TestDb::sqlite();
    let store = db.store();
    let group = GroupCommit::new(store.clone());

    // Hold SQLite's one write connection, so the batch cannot begin.
    let (release_tx, holder) = hold_the_writer(&store);

    let write = {
        let group = Arc::clone(&group);
        tokio::spawn(async move { group.write(|tx| tx.create_tenant(&tenant("late"))).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!write.is_finished(), "not answered while its transaction cannot commit");
    assert_eq!(store.tenant_by_name("late").unwrap(), None);
    release_tx.send(()).unwrap();
    write.await.unwrap().unwrap();
    assert!(store.tenant_by_name("late").unwrap().is_some());
    holder.join().unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_panics_stores_nothing_and_the_queue_goes_on() {
    let db = TestDb::sqlite();
    let store = db.store();
    let group = GroupCommit::new(store.clone());
    let panicked = group
        .write(|tx| -> Result<(), StorageError> {
            tx.create_tenant(&tenant("half-done"))?;
            panic!("a bug in a write");
        })
        .await;
    assert!(panicked.is_err(), "{panicked:?}");
    assert_eq!(store.tenant_by_name("half-done").unwrap(), None, "rolled back");
    concurrent_creates(&group, &store, 20, &[]).await;
}
