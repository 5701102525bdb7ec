//! Several threads on one store: writers queue, invariants hold, readers do not wait.

use std::sync::{Arc, Barrier, mpsc};
use std::thread;

use super::{all_users, group, member, tenant, tick, user};
use crate::records::{MemberType, UserRecord};
use crate::{StorageError, Store};

crate::tests::on_both_backends! {
    concurrent_writers_queue_instead_of_failing,
    of_concurrent_updates_from_one_version_exactly_one_wins,
    of_concurrent_case_variants_of_a_user_name_exactly_one_is_stored,
    readers_do_not_wait_for_an_open_write_transaction,
    a_user_deleted_while_being_added_to_a_group_leaves_no_membership_behind,
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
            .map(|j| store.write(|tx| tx.insert_user(&user(&tid, &format!("u{i}-{j}")))))
            .collect::<Vec<_>>()
    });
    assert!(results.iter().flatten().all(Result::is_ok), "{results:?}");
    assert_eq!(all_users(store, &t).len(), THREADS * 20);
}

fn of_concurrent_updates_from_one_version_exactly_one_wins(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    let base = ada.clone();
    let results = together(store, move |store, i| {
        let next = UserRecord {
            title: Some(format!("writer {i}")),
            version: 2,
            ..base.clone()
        };
        store.write(|tx| tx.update_user(&next, 1))
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(StorageError::VersionMismatch { current: 2 }))),
        "{results:?}"
    );
    assert_eq!(
        store
            .read(|tx| tx.get_user(&t, &ada.id))
            .expect("get")
            .map(|u| u.version),
        Some(2)
    );
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
        store.write(|tx| tx.insert_user(&user(&tid, &name)))
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
    store.write(|tx| tx.insert_user(&user(&t, "before"))).expect("insert");
    let (inserted_tx, inserted) = mpsc::channel();
    let (release_tx, release) = mpsc::channel::<()>();
    let writer = {
        let (store, t) = (store.clone(), t.clone());
        thread::spawn(move || {
            store.write(|tx| {
                tx.insert_user(&user(&t, "during"))?;
                inserted_tx.send(()).expect("signal");
                release.recv().expect("release");
                Ok::<_, StorageError>(())
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

fn a_user_deleted_while_being_added_to_a_group_leaves_no_membership_behind(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    let g = group(&t, "Engineering");
    store.write(|tx| tx.insert_group(&g)).expect("insert group");

    let (resolved, wait_for_resolved) = mpsc::channel();
    let (go, wait_for_go) = mpsc::channel::<()>();
    let adder = {
        let (store, t, g, id) = (store.clone(), t.clone(), g.id.clone(), ada.id.clone());
        thread::spawn(move || {
            store.write(|tx| {
                let found = tx.resolve_members(&t, std::slice::from_ref(&id))?;
                resolved.send(found.len()).expect("send");
                wait_for_go.recv().expect("go");
                // Give the delete every chance to run between the check and the insert.
                thread::sleep(std::time::Duration::from_millis(200));
                tx.add_members(&t, &g, &[member(&id, MemberType::User)])
            })
        })
    };
    assert_eq!(wait_for_resolved.recv().expect("resolved"), 1);
    let deleter = {
        let (store, t, id) = (store.clone(), t.clone(), ada.id.clone());
        thread::spawn(move || store.write(|tx| tx.delete_user(&t, &id, None, tick())))
    };
    go.send(()).expect("send");
    assert_eq!(adder.join().expect("adder").map(|v| v.len()), Ok(1));
    assert!(deleter.join().expect("deleter").is_ok());
    let members = store.get_group(&t, &g.id, true).expect("get").expect("found").members;
    assert!(members.is_empty(), "a deleted user stayed a member: {members:?}");
}
