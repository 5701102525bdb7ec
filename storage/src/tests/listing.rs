//! Paging, sorting and the fixed statement count of a list.

use super::{count_statements, email, phone, tenant, tick, user};
use crate::Store;
use crate::conn::TxMode;
use crate::query::{UserColumn, UserPredicate};
use crate::records::{SortKey, UserQuery, UserRecord};

crate::tests::on_both_backends! {
    pages_partition_the_users_and_share_one_total,
    ties_in_creation_time_fall_back_to_the_id,
    text_sorts_ignore_case_and_put_nulls_last_ascending,
    descending_text_sorts_are_the_exact_reverse,
    user_names_booleans_and_instants_sort_too,
    every_user_of_a_page_comes_with_its_own_children_in_order,
    a_list_runs_the_same_statements_for_three_users_as_for_thirty,
    far_pages_read_from_the_end_are_the_pages_read_from_the_start,
}

fn page(store: &Store, tenant_id: &str, sort: Option<SortKey>, offset: u64, limit: u64) -> (u64, Vec<String>) {
    let q = UserQuery {
        predicate: UserPredicate::all(),
        sort,
        offset,
        limit,
    };
    let page = store.read(|tx| tx.list_users(tenant_id, &q)).expect("list");
    (page.total, page.users.into_iter().map(|u| u.user_name).collect())
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i:02}")).collect()
}

fn pages_partition_the_users_and_share_one_total(store: &Store) {
    let t = tenant(store, "contoso");
    for name in names(25) {
        store.write(|tx| tx.insert_user(&user(&t, &name))).expect("insert");
    }
    let mut seen = Vec::new();
    for (offset, expected_len) in [(0, 10), (10, 10), (20, 5)] {
        let (total, users) = page(store, &t, None, offset, 10);
        assert_eq!((total, users.len()), (25, expected_len));
        seen.extend(users);
    }
    assert_eq!(seen, names(25));
    assert_eq!(page(store, &t, None, 25, 10), (25, vec![]));
    assert_eq!(page(store, &t, None, 1_000, 10), (25, vec![]));
    assert_eq!(page(store, &t, None, 0, 0), (25, vec![]));
    assert_eq!(page(store, &t, None, 24, u64::MAX), (25, vec!["user24".to_owned()]));
}

fn ties_in_creation_time_fall_back_to_the_id(store: &Store) {
    let t = tenant(store, "contoso");
    let at = tick();
    for (id, name) in [("c", "first"), ("a", "second"), ("b", "third")] {
        let u = UserRecord {
            id: id.into(),
            created_us: at,
            ..user(&t, name)
        };
        store.write(|tx| tx.insert_user(&u)).expect("insert");
    }
    assert_eq!(page(store, &t, None, 0, 10).1, ["second", "third", "first"]);
}

/// Users with these display names, created in this order; returns nothing.
fn with_display_names(store: &Store, t: &str, display_names: &[Option<&str>]) {
    for (i, d) in display_names.iter().enumerate() {
        let u = UserRecord {
            display_name: d.map(str::to_owned),
            ..user(t, &format!("u{i}"))
        };
        store.write(|tx| tx.insert_user(&u)).expect("insert");
    }
}

fn by(column: UserColumn, descending: bool) -> Option<SortKey> {
    Some(SortKey { column, descending })
}

fn text_sorts_ignore_case_and_put_nulls_last_ascending(store: &Store) {
    let t = tenant(store, "contoso");
    with_display_names(
        store,
        &t,
        &[
            Some("bob"),
            None,
            Some("Ada"),
            Some("émile"),
            None,
            Some("Zed"),
            Some("ADA"),
        ],
    );
    // "Ada" and "ADA" tie and keep creation order; "é" sorts after "z" (code points).
    let (_, sorted) = page(store, &t, by(UserColumn::DisplayName, false), 0, 100);
    assert_eq!(sorted, ["u2", "u6", "u0", "u5", "u3", "u1", "u4"]);
    // Paging through a sorted list sees the same order.
    let (_, second) = page(store, &t, by(UserColumn::DisplayName, false), 3, 3);
    assert_eq!(second, ["u5", "u3", "u1"]);
}

fn descending_text_sorts_are_the_exact_reverse(store: &Store) {
    let t = tenant(store, "contoso");
    with_display_names(
        store,
        &t,
        &[Some("bob"), None, Some("Ada"), Some("émile"), None, Some("Zed")],
    );
    let (_, sorted) = page(store, &t, by(UserColumn::DisplayName, true), 0, 100);
    // NULLs first, then z→a; ties (the two NULLs) still in creation order.
    assert_eq!(sorted, ["u1", "u4", "u3", "u5", "u0", "u2"]);
}

fn user_names_booleans_and_instants_sort_too(store: &Store) {
    let t = tenant(store, "contoso");
    for (name, active) in [("carol", true), ("Bob", false), ("alice", true), ("dave", false)] {
        store
            .write(|tx| {
                tx.insert_user(&UserRecord {
                    active: Some(active),
                    ..user(&t, name)
                })
            })
            .expect("insert");
    }
    assert_eq!(
        page(store, &t, by(UserColumn::UserName, false), 0, 10).1,
        ["alice", "Bob", "carol", "dave"]
    );
    assert_eq!(
        page(store, &t, by(UserColumn::UserName, true), 0, 10).1,
        ["dave", "carol", "Bob", "alice"]
    );
    assert_eq!(
        page(store, &t, by(UserColumn::Active, false), 0, 10).1,
        ["Bob", "dave", "carol", "alice"]
    );
    assert_eq!(
        page(store, &t, by(UserColumn::Active, true), 0, 10).1,
        ["carol", "alice", "Bob", "dave"]
    );
    assert_eq!(
        page(store, &t, by(UserColumn::Created, true), 0, 10).1,
        ["dave", "alice", "Bob", "carol"]
    );
    assert_eq!(
        page(store, &t, by(UserColumn::Title, false), 0, 10).1,
        ["carol", "Bob", "alice", "dave"]
    );
}

fn every_user_of_a_page_comes_with_its_own_children_in_order(store: &Store) {
    let t = tenant(store, "contoso");
    let mut expected = Vec::new();
    for i in 0..7 {
        let mut u = user(&t, &format!("u{i}"));
        for j in 0..i {
            u.children.push(email(&format!("u{i}.{j}@x"), "work", j == 0));
            if j % 2 == 0 {
                u.children.push(phone(&format!("+{i}{j}"), "mobile"));
            }
        }
        store.write(|tx| tx.insert_user(&u)).expect("insert");
        expected.push(u);
    }
    let q = UserQuery {
        offset: 2,
        limit: 4,
        ..UserQuery::all(0)
    };
    let got = store.read(|tx| tx.list_users(&t, &q)).expect("list");
    assert_eq!(got.total, 7);
    assert_eq!(got.users, expected[2..6]);
}

fn count_list_statements(store: &Store, tenant_id: &str, limit: u64) -> usize {
    let (listed, statements) = count_statements(store, TxMode::Read, |tx| {
        tx.list_users(tenant_id, &UserQuery::all(limit))
    });
    assert!(listed.users.iter().all(|u| u.children.len() == 2));
    statements
}

fn a_list_runs_the_same_statements_for_three_users_as_for_thirty(store: &Store) {
    let small = tenant(store, "small");
    let large = tenant(store, "large");
    let empty = tenant(store, "empty");
    for (t, n) in [(&small, 3), (&large, 30)] {
        for i in 0..n {
            let u = UserRecord {
                children: vec![email(&format!("{i}@x"), "work", true), phone("+1", "work")],
                ..user(t, &format!("u{i}"))
            };
            store.write(|tx| tx.insert_user(&u)).expect("insert");
        }
    }
    // The whole list fits the page: BEGIN, page, children, COMMIT.
    assert_eq!(count_list_statements(store, &small, 100), 4);
    assert_eq!(count_list_statements(store, &large, 100), 4);
    // A full page needs the count too.
    assert_eq!(count_list_statements(store, &small, 3), 5);
    assert_eq!(count_list_statements(store, &large, 30), 5);
    // A lookup that finds nothing: BEGIN, page, COMMIT.
    assert_eq!(count_list_statements(store, &empty, 100), 3);
}

/// The count-first path (forced here from offset 0) reads a page in the second half from
/// the end, in the exact reverse order; every page, sorted or not, with ties and NULLs,
/// must be the one the forward `OFFSET` reads.
fn far_pages_read_from_the_end_are_the_pages_read_from_the_start(store: &Store) {
    let t = tenant(store, "contoso");
    let at = tick();
    for i in 0..23 {
        let u = UserRecord {
            // Every third user shares a creation time with the next, and every fourth has
            // no displayName, so ties and NULLs are in every order.
            created_us: at + i / 3,
            display_name: (i % 4 != 0).then(|| format!("Name {}", (i * 7) % 5)),
            ..user(&t, &format!("user{i:02}"))
        };
        store.write(|tx| tx.insert_user(&u)).expect("insert");
    }
    let sorts = [
        None,
        Some(SortKey {
            column: UserColumn::DisplayName,
            descending: false,
        }),
        Some(SortKey {
            column: UserColumn::DisplayName,
            descending: true,
        }),
        Some(SortKey {
            column: UserColumn::UserName,
            descending: true,
        }),
    ];
    for sort in sorts {
        for offset in [0, 5, 11, 12, 17, 20, 22, 23, 40] {
            for limit in [1, 4, 10, 100] {
                let q = UserQuery {
                    predicate: UserPredicate::all(),
                    sort,
                    offset,
                    limit,
                };
                let ids = |far_offset: u64| {
                    let page = store
                        .read(|tx| tx.list_users_counting_from(&t, &q, far_offset))
                        .expect("list");
                    (page.total, page.users.into_iter().map(|u| u.id).collect::<Vec<_>>())
                };
                assert_eq!(ids(0), ids(u64::MAX), "sort {sort:?}, offset {offset}, limit {limit}");
            }
        }
    }
}
