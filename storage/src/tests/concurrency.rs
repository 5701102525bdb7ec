//! Several threads on one store: writers queue, invariants hold, readers do not wait.

use std::sync::{Arc, Barrier, mpsc};
use std::thread;

use super::{all_users, tenant, user};
use crate::records::UserRecord;
use crate::{StorageError, Store};

crate::tests::on_both_backends! {
    concurrent_writers_queue_instead_of_failing,
    of_concurrent_updates_from_one_version_exactly_one_wins,
    of_concurrent_case_variants_of_a_user_name_exactly_one_is_stored,
    readers_do_not_wait_for_an_open_write_transaction,
}

const THREADS: usize = 8;

/// Runs `f(i)` on `THREADS` threads released together; returns their results.
fn together<T: Send + 'static>(store: &Store, f: impl Fn(&Store, usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let f = Arc::new(f);
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (store, f, start) = (store.clone(), Arc::clone(&f), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                f(&store, i)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().expect("thread")).collect()
}

fn concurrent_writers_queue_instead_of_failing(store: &Store) {
    let t = tenant(store, "contoso");
    let tid = t.clone();
    let results = together(store, move |store, i| {
        (0..20)
            .map(|j| store.insert_user(&user(&tid, &format!("u{i}-{j}"))))
            .collect::<Vec<_>>()
    });
    assert!(results.iter().flatten().all(Result::is_ok), "{results:?}");
    assert_eq!(all_users(store, &t).len(), THREADS * 20);
}

fn of_concurrent_updates_from_one_version_exactly_one_wins(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    store.insert_user(&ada).expect("insert");
    let base = ada.clone();
    let results = together(store, move |store, i| {
        let next = UserRecord {
            title: Some(format!("writer {i}")),
            version: 2,
            ..base.clone()
        };
        store.update_user(&next, 1)
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(StorageError::VersionMismatch { current: 2 }))),
        "{results:?}"
    );
    assert_eq!(store.get_user(&t, &ada.id).expect("get").map(|u| u.version), Some(2));
}

fn of_concurrent_case_variants_of_a_user_name_exactly_one_is_stored(store: &Store) {
    let t = tenant(store, "contoso");
    let tid = t.clone();
    let results = together(store, move |store, i| {
        let name: String = "ada@x"
            .chars()
            .enumerate()
            .map(|(k, c)| {
                if (i >> (k % 3)) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        store.insert_user(&user(&tid, &name))
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    let conflict = StorageError::Conflict {
        what: "users.user_name".into(),
    };
    assert!(
        results.iter().all(|r| r.is_ok() || r.as_ref() == Err(&conflict)),
        "{results:?}"
    );
    assert_eq!(all_users(store, &t).len(), 1);
}

fn readers_do_not_wait_for_an_open_write_transaction(store: &Store) {
    let t = tenant(store, "contoso");
    store.insert_user(&user(&t, "before")).expect("insert");
    let (inserted_tx, inserted) = mpsc::channel();
    let (release_tx, release) = mpsc::channel::<()>();
    let writer = {
        let (store, t) = (store.clone(), t.clone());
        thread::spawn(move || {
            store.write(|tx| {
                tx.insert_user(&user(&t, "during"))?;
                inserted_tx.send(()).expect("signal");
                release.recv().expect("release");
                Ok(())
            })
        })
    };
    inserted.recv().expect("the writer inserted");
    // The write transaction is still open: a reader sees the last committed state.
    let names: Vec<String> = all_users(store, &t).into_iter().map(|u| u.user_name).collect();
    assert_eq!(names, ["before"]);
    release_tx.send(()).expect("release");
    writer.join().expect("writer").expect("write");
    assert_eq!(all_users(store, &t).len(), 2);
}
