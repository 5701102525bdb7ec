//! The change feed and the provisioning log: gapless numbering under concurrent writers,
//! rollbacks, retention, and log queries; on PostgreSQL, writers that do not wait for
//! each other and a watcher that sees every event once, in order, while they write.

use std::sync::{Arc, Barrier};
use std::thread;

use super::{count_statements, tenant, tick};
use crate::conn::TxMode;
use crate::records::ResourceType;
use crate::{
    AttributeNames, Backend, ChangeEvent, LogOperation, LogOutcome, LogQuery, LogRecord, NewChange, StorageError, Store,
};

crate::tests::on_both_backends! {
    changes_are_numbered_from_one_per_tenant_in_append_order,
    a_rolled_back_write_gives_its_numbers_back,
    concurrent_writers_leave_no_gap_and_no_duplicate,
    pruning_moves_the_first_retained_seq_but_never_the_head,
    pruning_takes_a_prefix_of_each_tenants_feed,
    the_log_lists_newest_first_with_filters_and_keyset_pages,
    many_events_are_appended_in_a_few_statements,
}

fn change(resource_id: &str, event: &str) -> NewChange {
    NewChange::of(
        ResourceType::User,
        resource_id,
        ChangeEvent::parse(event).expect("a known event"),
        vec!["active".into(), "name.givenName".into()],
    )
}

fn append(store: &Store, t: &str, events: &[NewChange]) -> Result<(), StorageError> {
    store.write(|tx| tx.append_changes(t, tick(), Some("tok"), Some("req"), events))
}

/// The tenant's feed head, after sealing what is committed.
fn head(store: &Store, t: &str) -> i64 {
    store.feed_bounds(t).expect("bounds").expect("tenant").head
}

fn changes_are_numbered_from_one_per_tenant_in_append_order(store: &Store) {
    let a = tenant(store, "a");
    let b = tenant(store, "b");
    assert_eq!(
        append(store, &a, &[change("u1", "created"), change("u1", "updated")]),
        Ok(())
    );
    assert_eq!(head(store, &a), 2);
    assert_eq!(append(store, &b, &[change("u9", "created")]), Ok(()));
    assert_eq!(head(store, &b), 1);
    assert_eq!(append(store, &a, &[change("u1", "deleted")]), Ok(()));
    assert_eq!(append(store, &a, &[]), Ok(()));
    assert_eq!(head(store, &a), 3, "nothing to append leaves the head");
    let feed = store.changes_after(&a, 0, 100).expect("read");
    let seqs: Vec<i64> = feed.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    let events: Vec<&str> = feed.iter().map(|c| c.change.event.as_str()).collect();
    assert_eq!(events, ["created", "updated", "deleted"]);
    assert_eq!(feed[0].change.attributes, ["active", "name.givenName"]);
    assert_eq!(feed[0].token_id.as_deref(), Some("tok"));
    assert_eq!(store.changes_after(&a, 2, 100).expect("read").len(), 1);
    assert_eq!(store.changes_after(&a, 0, 2).expect("read").len(), 2);
    assert_eq!(
        append(store, "no-such-tenant", &[change("x", "created")]),
        Err(StorageError::NotFound)
    );
}

fn a_rolled_back_write_gives_its_numbers_back(store: &Store) {
    let t = tenant(store, "a");
    let failed: Result<i64, StorageError> = store.write(|tx| {
        tx.append_changes(&t, tick(), None, None, &[change("u1", "created")])?;
        Err(StorageError::Conflict { what: "test".into() })
    });
    assert!(failed.is_err());
    assert_eq!(append(store, &t, &[change("u2", "created")]), Ok(()));
    let bounds = store.feed_bounds(&t).expect("bounds").expect("tenant");
    assert_eq!((bounds.first_retained, bounds.head), (1, 1));
}

fn concurrent_writers_leave_no_gap_and_no_duplicate(store: &Store) {
    const THREADS: usize = 8;
    const WRITES: usize = 15;
    let t = tenant(store, "a");
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (store, t, start) = (store.clone(), t.clone(), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                (0..WRITES)
                    .map(|j| {
                        let n = 1 + (i + j) % 3;
                        let events: Vec<NewChange> =
                            (0..n).map(|k| change(&format!("{i}-{j}-{k}"), "created")).collect();
                        append(&store, &t, &events).map(|()| n)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut total = 0;
    for h in handles {
        total += h
            .join()
            .expect("thread")
            .into_iter()
            .map(|r| r.expect("append"))
            .sum::<usize>();
    }
    let feed = store.changes_after(&t, 0, 10_000).expect("read");
    let seqs: Vec<i64> = feed.iter().map(|c| c.seq).collect();
    let expected: Vec<i64> = (1..=total as i64).collect();
    assert_eq!(seqs, expected);
    // A transaction's events are consecutive: `i-j-k` for k = 0, 1, … follow each other.
    for pair in feed.windows(2) {
        let (a, b) = (&pair[0].change.resource_id, &pair[1].change.resource_id);
        if b.ends_with("-1") || b.ends_with("-2") {
            assert_eq!(a[..a.len() - 1], b[..b.len() - 1], "{a} then {b}");
        }
    }
    // One writer's transactions follow each other in time, so the feed keeps their order.
    for i in 0..THREADS {
        let writes: Vec<usize> = feed
            .iter()
            .filter_map(|c| {
                let mut parts = c.change.resource_id.split('-');
                let writer: usize = parts.next()?.parse().ok()?;
                let write: usize = parts.next()?.parse().ok()?;
                (writer == i && c.change.resource_id.ends_with("-0")).then_some(write)
            })
            .collect();
        assert_eq!(writes, (0..WRITES).collect::<Vec<_>>(), "writer {i}");
    }
}

fn pruning_moves_the_first_retained_seq_but_never_the_head(store: &Store) {
    let t = tenant(store, "a");
    store
        .write(|tx| tx.append_changes(&t, 1_000, None, None, &[change("u1", "created")]))
        .expect("old");
    store
        .write(|tx| tx.append_changes(&t, 5_000, None, None, &[change("u1", "updated")]))
        .expect("new");
    assert_eq!(store.prune_changes(2_000), Ok(1));
    let bounds = store.feed_bounds(&t).expect("bounds").expect("tenant");
    assert_eq!((bounds.first_retained, bounds.head), (2, 2));
    assert_eq!(store.prune_changes(10_000), Ok(1));
    let bounds = store.feed_bounds(&t).expect("bounds").expect("tenant");
    assert_eq!(
        (bounds.first_retained, bounds.head),
        (3, 2),
        "an empty feed starts after the head"
    );
    assert_eq!(append(store, &t, &[change("u1", "deleted")]), Ok(()));
    assert_eq!(head(store, &t), 3);
    assert_eq!(store.feed_bounds("nope"), Ok(None));
}

fn pruning_takes_a_prefix_of_each_tenants_feed(store: &Store) {
    let a = tenant(store, "a");
    let b = tenant(store, "b");
    let at = |t: &str, at_us: i64, id: &str| {
        store
            .write(|tx| tx.append_changes(t, at_us, None, None, &[change(id, "updated")]))
            .expect("append");
    };
    // In `a`, an old event (1,500) follows a young one (5,000): commit times need not
    // follow seq order.
    at(&a, 1_000, "u1");
    at(&a, 5_000, "u2");
    at(&a, 1_500, "u3");
    at(&a, 6_000, "u4");
    at(&b, 1_000, "v1");
    at(&b, 1_200, "v2");
    assert_eq!(store.prune_changes(2_000), Ok(3), "a's first event and both of b's");
    let bounds = |t: &str| {
        let bounds = store.feed_bounds(t).expect("bounds").expect("tenant");
        (bounds.first_retained, bounds.head)
    };
    assert_eq!(bounds(&a), (2, 4), "a keeps seq 2..=4: no gap where 1,500 was");
    let kept: Vec<String> = store
        .changes_after(&a, 0, 10)
        .expect("read")
        .into_iter()
        .map(|c| c.change.resource_id)
        .collect();
    assert_eq!(kept, ["u2", "u3", "u4"]);
    assert_eq!(bounds(&b), (3, 2), "b is empty and starts after its head");
}

pub(super) fn entry(t: &str, id: &str, at_us: i64, outcome: &str, resource_id: &str) -> LogRecord {
    LogRecord {
        tenant_id: t.into(),
        id: id.into(),
        at_us,
        token_id: None,
        operation: LogOperation::Patch,
        resource_type: ResourceType::User,
        resource_id: Some(resource_id.into()),
        outcome: LogOutcome::parse(outcome).expect("a known outcome"),
        grpc_code: None,
        http_status: None,
        scim_type: None,
        detail: None,
        attributes: AttributeNames::default(),
        request_id: None,
        trace_id: None,
    }
}

fn the_log_lists_newest_first_with_filters_and_keyset_pages(store: &Store) {
    let t = tenant(store, "a");
    let other = tenant(store, "b");
    for (id, at, outcome, rid) in [
        ("e1", 100, "success", "u1"),
        ("e2", 200, "failure", "u2"),
        ("e3", 200, "success", "u1"),
        ("e4", 300, "success", "u2"),
    ] {
        store
            .insert_log_entry(&entry(&t, id, at, outcome, rid))
            .expect("insert");
    }
    store
        .insert_log_entry(&entry(&other, "x1", 400, "failure", "u1"))
        .expect("insert");
    let ids = |q: LogQuery| -> Vec<String> {
        store
            .list_log(&t, &q)
            .expect("list")
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    let all = LogQuery {
        limit: 10,
        ..LogQuery::default()
    };
    assert_eq!(ids(all.clone()), ["e4", "e3", "e2", "e1"]);
    assert_eq!(
        ids(LogQuery {
            outcome: Some(LogOutcome::Failure),
            ..all.clone()
        }),
        ["e2"]
    );
    assert_eq!(
        ids(LogQuery {
            resource_id: Some("u1".into()),
            ..all.clone()
        }),
        ["e3", "e1"]
    );
    assert_eq!(
        ids(LogQuery {
            since_us: Some(200),
            until_us: Some(300),
            ..all.clone()
        }),
        ["e3", "e2"]
    );
    assert_eq!(
        ids(LogQuery {
            limit: 2,
            ..all.clone()
        }),
        ["e4", "e3"]
    );
    assert_eq!(
        ids(LogQuery {
            limit: 2,
            before: Some((200, "e3".into())),
            ..all.clone()
        }),
        ["e2", "e1"]
    );
    assert_eq!(store.prune_log(250), Ok(3));
    assert_eq!(ids(all), ["e4"]);
}

fn many_events_are_appended_in_a_few_statements(store: &Store) {
    let t = tenant(store, "contoso");
    let events: Vec<NewChange> = (0..1_200)
        .map(|i| NewChange::membership("g1", &format!("u{i}"), ResourceType::User, ChangeEvent::MemberAdded))
        .collect();
    let ((), statements) = count_statements(store, TxMode::Write, |tx| {
        tx.append_changes(&t, tick(), None, Some("req"), &events)
    });
    // BEGIN, three INSERTs of at most 500 rows, COMMIT; SQLite numbers the events
    // itself, with two more statements: the seq bump and the read of the new head.
    let expected = match store.backend() {
        Backend::Sqlite => 7,
        Backend::Postgres => 5,
    };
    assert_eq!(statements, expected);
    assert_eq!(head(store, &t), 1_200);
    let stored = store.changes_after(&t, 0, 2_000).expect("the feed reads back");
    assert_eq!(stored.len(), 1_200);
    assert!(
        stored.iter().zip(1..).all(|(c, seq)| c.seq == seq
            && c.change.member.as_ref().map(|(id, _)| id.clone()) == Some(format!("u{}", seq - 1)))
    );
}
