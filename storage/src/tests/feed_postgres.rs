//! PostgreSQL's change feed under load: writers of one tenant that do not wait for each
//! other's commit, and watchers on other stores (as on other replicas) that see every
//! event exactly once, in seq order with no gap, and each resource's events in the
//! order their transactions committed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::Duration;

use diesel::prelude::*;

use super::{tenant, tick, user};
use crate::conn::AnyConnection;
use crate::records::ResourceType;
use crate::schema::users;
use crate::test_util::TestDb;
use crate::{ChangeEvent, ChangeRecord, NewChange, StorageError, Store, StoreOptions, Tx};

fn event(resource_id: &str, attribute: String) -> NewChange {
    NewChange::of(ResourceType::User, resource_id, ChangeEvent::Updated, vec![attribute])
}

fn ids(feed: &[ChangeRecord]) -> Vec<(i64, &str)> {
    feed.iter().map(|c| (c.seq, c.change.resource_id.as_str())).collect()
}

/// A store of its own, as another replica would have.
fn replica(db: &TestDb) -> Store {
    db.store_with(StoreOptions {
        max_connections: 2,
        ..StoreOptions::default()
    })
}

#[test]
fn a_writer_does_not_wait_for_another_writers_commit() {
    let db = TestDb::postgres();
    let store = db.store();
    let t = tenant(&store, "a");
    let (appended, on_appended) = mpsc::channel();
    let (release, on_release) = mpsc::channel::<()>();
    let open = {
        let (store, t) = (store.clone(), t.clone());
        thread::spawn(move || {
            store.write(|tx| {
                tx.append_changes(&t, tick(), None, None, &[event("open", "a".into())])?;
                appended.send(()).expect("the test listens");
                on_release.recv().expect("the test releases");
                Ok::<_, StorageError>(())
            })
        })
    };
    on_appended.recv().expect("the open writer appended");

    // A second writer on another store; in a thread, so that a wait fails the test
    // below instead of hanging it.
    let (done, on_done) = mpsc::channel();
    {
        let (other, t) = (replica(&db), t.clone());
        thread::spawn(move || {
            let _ =
                done.send(other.write(|tx| tx.append_changes(&t, tick(), None, None, &[event("next", "b".into())])));
        });
    }
    let next = on_done.recv_timeout(Duration::from_secs(60));
    let readable = store.changes_after(&t, 0, 10);
    release.send(()).expect("the open writer waits");
    assert_eq!(next, Ok(Ok(())), "the second writer committed while the first was open");
    assert_eq!(ids(&readable.expect("read")), [(1, "next")], "readable at once");

    assert_eq!(open.join().expect("thread"), Ok(()));
    let feed = store.changes_after(&t, 0, 10).expect("read");
    assert_eq!(ids(&feed), [(1, "next"), (2, "open")], "numbered in commit order");
}

#[test]
fn an_uncommitted_append_is_invisible_and_holds_up_no_reader() {
    let db = TestDb::postgres();
    let store = db.store();
    let t = tenant(&store, "a");
    store
        .write(|tx| tx.append_changes(&t, tick(), None, None, &[event("first", "a".into())]))
        .expect("append");
    let (appended, on_appended) = mpsc::channel();
    let (release, on_release) = mpsc::channel::<()>();
    let open = {
        let (store, t) = (store.clone(), t.clone());
        thread::spawn(move || {
            store.write(|tx| {
                tx.append_changes(&t, tick(), None, None, &[event("open", "b".into())])?;
                appended.send(()).expect("the test listens");
                on_release.recv().expect("the test releases");
                Err::<(), _>(StorageError::Conflict {
                    what: "rolled back".into(),
                })
            })
        })
    };
    on_appended.recv().expect("the open writer appended");
    let reader = replica(&db);
    assert_eq!(ids(&reader.changes_after(&t, 0, 10).expect("read")), [(1, "first")]);
    assert_eq!(reader.feed_bounds(&t).expect("bounds").map(|b| b.head), Some(1));
    release.send(()).expect("the open writer waits");
    assert!(open.join().expect("thread").is_err());
    store
        .write(|tx| tx.append_changes(&t, tick(), None, None, &[event("after", "c".into())]))
        .expect("append");
    assert_eq!(
        ids(&reader.changes_after(&t, 0, 10).expect("read")),
        [(1, "first"), (2, "after")],
        "the rolled-back events never got a number"
    );
}

/// Bumps the version of user `id` (taking its row lock until commit) and returns it.
fn bump_version(tx: &mut Tx<'_>, tenant_id: &str, id: &str) -> Result<i64, StorageError> {
    let AnyConnection::Postgresql(conn) = &mut *tx.conn else {
        panic!("a PostgreSQL test");
    };
    diesel::update(
        users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(id)),
    )
    .set(users::version.eq(users::version + 1))
    .returning(users::version)
    .get_result(conn)
    .map_err(|e| StorageError::Internal(e.to_string()))
}

/// What a watcher saw: every event in seq order.
fn watch(store: &Store, tenant_id: &str, total: usize, writers_done: &AtomicBool) -> Vec<ChangeRecord> {
    let mut seen: Vec<ChangeRecord> = Vec::new();
    let mut cursor = 0;
    let mut idle_after_done = 0;
    while seen.len() < total {
        let finished = writers_done.load(Ordering::SeqCst);
        let batch = store.changes_after(tenant_id, cursor, 37).expect("read");
        if batch.is_empty() {
            idle_after_done += usize::from(finished);
            assert!(
                idle_after_done < 3,
                "saw {} of {total} events, then nothing",
                seen.len()
            );
            thread::yield_now();
            continue;
        }
        for change in batch {
            assert_eq!(change.seq, cursor + 1, "no gap, no repeat");
            cursor = change.seq;
            seen.push(change);
        }
    }
    assert!(store.changes_after(tenant_id, cursor, 10).expect("read").is_empty());
    seen
}

#[test]
fn watchers_see_every_event_of_concurrent_writers_once_in_order() {
    const WRITERS: usize = 8;
    const WRITES: usize = 40;
    const RESOURCES: usize = 3;
    let db = TestDb::postgres();
    let setup = db.store();
    let t = tenant(&setup, "a");
    let resources: Vec<String> = (0..RESOURCES)
        .map(|i| {
            let u = user(&t, &format!("u{i}@contoso.com"));
            setup.write(|tx| tx.insert_user(&u)).expect("user");
            u.id
        })
        .collect();
    // Each write bumps one resource's version and appends an event naming it, plus
    // 0–2 events about the write itself, so each transaction appends 1–3.
    let extras = |i: usize, j: usize| (i + j) % 3;
    let total: usize = (0..WRITERS)
        .flat_map(|i| (0..WRITES).map(move |j| 1 + extras(i, j)))
        .sum();

    let done = Arc::new(AtomicBool::new(false));
    let watchers: Vec<_> = (0..2)
        .map(|_| {
            let (store, t, done) = (replica(&db), t.clone(), Arc::clone(&done));
            thread::spawn(move || watch(&store, &t, total, &done))
        })
        .collect();
    let start = Arc::new(Barrier::new(WRITERS));
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            let (store, t, start, resources) = (replica(&db), t.clone(), Arc::clone(&start), resources.clone());
            thread::spawn(move || {
                start.wait();
                for j in 0..WRITES {
                    let resource = &resources[(i * 7 + j) % RESOURCES];
                    store
                        .write(|tx| {
                            let version = bump_version(tx, &t, resource)?;
                            let mut events = vec![event(resource, format!("v{version}"))];
                            events.extend((0..extras(i, j)).map(|k| event(&format!("{i}-{j}-{k}"), "extra".into())));
                            tx.append_changes(&t, tick(), None, None, &events)
                        })
                        .expect("write");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    done.store(true, Ordering::SeqCst);

    let feeds: Vec<Vec<ChangeRecord>> = watchers.into_iter().map(|w| w.join().expect("watcher")).collect();
    assert_eq!(feeds[0], feeds[1], "both watchers saw the same feed");
    let feed = &feeds[0];
    assert_eq!(feed.len(), total);
    assert_eq!(
        feed.iter().map(|c| c.seq).collect::<Vec<_>>(),
        (1..=total as i64).collect::<Vec<_>>()
    );
    // Exactly once, and each resource's versions in commit order: 2, 3, 4, …
    let mut versions: HashMap<&str, Vec<i64>> = HashMap::new();
    let mut once = HashSet::new();
    for c in feed {
        assert!(once.insert((c.change.resource_id.clone(), c.change.attributes.clone())));
        if let Some(v) = c.change.attributes[0].strip_prefix('v') {
            versions
                .entry(c.change.resource_id.as_str())
                .or_default()
                .push(v.parse().expect("a version"));
        }
    }
    let bumps: usize = versions.values().map(Vec::len).sum();
    assert_eq!(bumps, WRITERS * WRITES);
    for (resource, seen) in versions {
        let expected: Vec<i64> = (2..2 + seen.len() as i64).collect();
        assert_eq!(seen, expected, "versions of {resource}");
    }
    // A transaction's extra events follow its resource event.
    for pair in feed.windows(2) {
        if pair[1].change.attributes == ["extra"] {
            let (before, this) = (&pair[0].change.resource_id, &pair[1].change.resource_id);
            let ends_with_zero = this.ends_with("-0");
            assert!(
                if ends_with_zero {
                    resources.contains(before)
                } else {
                    before[..before.len() - 1] == this[..this.len() - 1]
                },
                "{before} then {this}"
            );
        }
    }
    // The background seal finds nothing left and keeps the queue vacuumed.
    assert_eq!(setup.seal_changes(), Ok(0));
}
