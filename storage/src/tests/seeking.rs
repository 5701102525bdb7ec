//! Keyset paging: walks by position return every row once, in the list's order, with
//! filters, sorts, and writes between pages; a deep page costs what the first costs.

use super::{count_statements, group, tenant, text, tick, user};
use crate::Store;
use crate::conn::TxMode;
use crate::keyset::{GroupSeek, Position, Seek, SeekPage, UserSeek};
use crate::query::{CompareOp, GroupPredicate, UserColumn, UserPredicate};
use crate::records::{SortKey, UserQuery, UserRecord};

crate::tests::on_both_backends! {
    a_forward_walk_returns_every_user_once_in_list_order,
    a_backward_walk_returns_the_same_pages_in_reverse,
    sorted_walks_follow_the_sort_with_nulls_and_ties,
    a_filtered_walk_returns_only_the_matches,
    rows_written_between_pages_are_neither_repeated_nor_skipped,
    a_deep_page_runs_the_same_statements_as_the_first,
    groups_walk_by_position_too,
}

fn seek(
    store: &Store,
    t: &str,
    predicate: &UserPredicate,
    sort: Option<SortKey>,
    seek: Seek,
    limit: u64,
) -> SeekPage<UserRecord> {
    let query = UserSeek {
        predicate: predicate.clone(),
        sort,
        seek,
        limit,
    };
    store.read(|tx| tx.seek_users(t, &query)).expect("seek")
}

/// Every page from the first, following `next`; checks the total and `previous` on the way.
fn walk(store: &Store, t: &str, predicate: &UserPredicate, sort: Option<SortKey>, limit: u64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut at = Seek::First;
    let mut expected_total = None;
    loop {
        let first = at == Seek::First;
        let page = seek(store, t, predicate, sort, at, limit);
        assert!(page.items.len() as u64 <= limit);
        assert_eq!(first, page.previous.is_none() || page.items.is_empty());
        let total = *expected_total.get_or_insert(page.total);
        assert_eq!(page.total, total);
        seen.extend(page.items.iter().map(|u| u.user_name.clone()));
        match page.next {
            Some(next) => at = Seek::After(next),
            None => break,
        }
    }
    seen
}

/// The whole list by `OFFSET`, for comparison.
fn listed(store: &Store, t: &str, predicate: &UserPredicate, sort: Option<SortKey>) -> Vec<String> {
    let query = UserQuery {
        predicate: predicate.clone(),
        sort,
        offset: 0,
        limit: 10_000,
    };
    let page = store.read(|tx| tx.list_users(t, &query)).expect("list");
    page.users.into_iter().map(|u| u.user_name).collect()
}

fn insert(store: &Store, u: &UserRecord) {
    store.write(|tx| tx.insert_user(u)).expect("insert");
}

fn a_forward_walk_returns_every_user_once_in_list_order(store: &Store) {
    let t = tenant(store, "contoso");
    let other = tenant(store, "fabrikam");
    for i in 0..23 {
        insert(store, &user(&t, &format!("user{i:02}")));
        insert(store, &user(&other, &format!("other{i:02}")));
    }
    // Two users created in the same microsecond: the id breaks the tie.
    let at = tick();
    for (id, name) in [("zz", "tied-b"), ("aa", "tied-a")] {
        insert(
            store,
            &UserRecord {
                id: id.into(),
                created_us: at,
                ..user(&t, name)
            },
        );
    }
    let all = UserPredicate::all();
    let expected = listed(store, &t, &all, None);
    assert_eq!(expected.len(), 25);
    for limit in [1, 3, 7, 25, 100] {
        assert_eq!(walk(store, &t, &all, None, limit), expected, "page size {limit}");
    }
    let last = seek(store, &t, &all, None, Seek::First, 100);
    assert_eq!((last.total, last.next, last.previous), (25, None, None));
    // Zero rows asked: the total, no positions.
    let none = seek(store, &t, &all, None, Seek::First, 0);
    assert_eq!((none.total, none.items.len(), none.next), (25, 0, None));
}

fn a_backward_walk_returns_the_same_pages_in_reverse(store: &Store) {
    let t = tenant(store, "contoso");
    for i in 0..10 {
        insert(store, &user(&t, &format!("user{i:02}")));
    }
    let all = UserPredicate::all();
    let names = |page: &SeekPage<UserRecord>| page.items.iter().map(|u| u.user_name.clone()).collect::<Vec<_>>();
    let mut forward = Vec::new();
    let mut at = Seek::First;
    let last_page = loop {
        let page = seek(store, &t, &all, None, at, 4);
        forward.push(names(&page));
        match page.next.clone() {
            Some(next) => at = Seek::After(next),
            None => break page,
        }
    };
    assert_eq!(forward.len(), 3);
    let mut backward = vec![forward[2].clone()];
    let mut previous: Option<Position> = last_page.previous;
    while let Some(position) = previous {
        let page = seek(store, &t, &all, None, Seek::Before(position), 4);
        assert!(page.next.is_some(), "a page read backwards always has a next");
        backward.push(names(&page));
        previous = page.previous;
    }
    backward.reverse();
    assert_eq!(backward, forward);
}

fn sorted_walks_follow_the_sort_with_nulls_and_ties(store: &Store) {
    let t = tenant(store, "contoso");
    let display_names = [
        Some("bob"),
        None,
        Some("Ada"),
        Some("émile"),
        None,
        Some("Zed"),
        Some("ADA"),
        Some("ada"),
        None,
    ];
    for (i, d) in display_names.iter().enumerate() {
        insert(
            store,
            &UserRecord {
                display_name: d.map(str::to_owned),
                active: (i % 3 != 0).then_some(i % 2 == 0),
                ..user(&t, &format!("U{i}"))
            },
        );
    }
    let all = UserPredicate::all();
    for column in [
        UserColumn::DisplayName,
        UserColumn::UserName,
        UserColumn::Active,
        UserColumn::Created,
        UserColumn::Id,
        UserColumn::Title,
    ] {
        for descending in [false, true] {
            let sort = Some(SortKey { column, descending });
            let expected = listed(store, &t, &all, sort);
            for limit in [1, 2, 4] {
                assert_eq!(
                    walk(store, &t, &all, sort, limit),
                    expected,
                    "{column:?} descending={descending} page size {limit}"
                );
            }
        }
    }
}

fn a_filtered_walk_returns_only_the_matches(store: &Store) {
    let t = tenant(store, "contoso");
    for i in 0..20 {
        let name = if i % 3 == 0 {
            format!("admin{i:02}")
        } else {
            format!("user{i:02}")
        };
        insert(store, &user(&t, &name));
    }
    let admins = text(UserColumn::UserName, CompareOp::StartsWith, "admin");
    let expected = listed(store, &t, &admins, None);
    assert_eq!(expected.len(), 7);
    assert_eq!(walk(store, &t, &admins, None, 2), expected);
    let sort = Some(SortKey {
        column: UserColumn::UserName,
        descending: true,
    });
    assert_eq!(walk(store, &t, &admins, sort, 3), listed(store, &t, &admins, sort));
}

fn rows_written_between_pages_are_neither_repeated_nor_skipped(store: &Store) {
    let t = tenant(store, "contoso");
    let mut users = Vec::new();
    for i in 0..12 {
        let u = user(&t, &format!("user{i:02}"));
        insert(store, &u);
        users.push(u);
    }
    let all = UserPredicate::all();
    let first = seek(store, &t, &all, None, Seek::First, 4);
    let mut seen: Vec<String> = first.items.iter().map(|u| u.user_name.clone()).collect();
    assert_eq!(seen, ["user00", "user01", "user02", "user03"]);
    // Between pages: the last row seen and a row not yet seen go, two rows arrive.
    let now = tick();
    for gone in [&users[3], &users[5]] {
        store
            .write(|tx| tx.delete_user(&t, &gone.id, None, now))
            .expect("delete");
    }
    insert(store, &user(&t, "late1"));
    insert(store, &user(&t, "late2"));
    let mut at = first.next.map(Seek::After);
    while let Some(position) = at {
        let page = seek(store, &t, &all, None, position, 4);
        assert_eq!(page.total, 12);
        seen.extend(page.items.iter().map(|u| u.user_name.clone()));
        at = page.next.map(Seek::After);
    }
    let expected: Vec<String> = ["user00", "user01", "user02", "user03", "user04"]
        .into_iter()
        .chain([
            "user06", "user07", "user08", "user09", "user10", "user11", "late1", "late2",
        ])
        .map(str::to_owned)
        .collect();
    assert_eq!(seen, expected);
}

fn a_deep_page_runs_the_same_statements_as_the_first(store: &Store) {
    let t = tenant(store, "contoso");
    for i in 0..30 {
        insert(store, &user(&t, &format!("user{i:02}")));
    }
    let all = UserPredicate::all();
    let statements = |at: Seek| {
        let query = UserSeek {
            predicate: all.clone(),
            sort: None,
            seek: at,
            limit: 5,
        };
        count_statements(store, TxMode::Read, |tx| tx.seek_users(&t, &query))
    };
    let (mut page, first_statements) = statements(Seek::First);
    while let Some(next) = page.next.clone() {
        page = statements(Seek::After(next)).0;
        if page.next.is_some() {
            let (_, deep_statements) = statements(Seek::After(page.next.clone().expect("next")));
            assert_eq!(deep_statements, first_statements);
        }
    }
    // BEGIN, page, children, count, COMMIT.
    assert_eq!(first_statements, 5);
    assert_eq!(page.items.last().map(|u| u.user_name.as_str()), Some("user29"));
}

fn groups_walk_by_position_too(store: &Store) {
    let t = tenant(store, "contoso");
    let other = tenant(store, "fabrikam");
    for name in ["beta", "Alpha", "gamma", "delta", "ALPHA2", "epsilon", "zeta"] {
        store.write(|tx| tx.insert_group(&group(&t, name))).expect("group");
        store
            .write(|tx| tx.insert_group(&group(&other, &format!("other-{name}"))))
            .expect("group");
    }
    for sort in [
        None,
        Some(crate::records::GroupSortKey {
            column: crate::query::GroupColumn::DisplayName,
            descending: false,
        }),
        Some(crate::records::GroupSortKey {
            column: crate::query::GroupColumn::DisplayName,
            descending: true,
        }),
    ] {
        let expected: Vec<String> = store
            .list_groups(
                &t,
                &crate::records::GroupQuery {
                    sort,
                    ..crate::records::GroupQuery::all(100)
                },
            )
            .expect("list")
            .groups
            .into_iter()
            .map(|g| g.display_name)
            .collect();
        let mut seen = Vec::new();
        let mut at = Seek::First;
        loop {
            let query = GroupSeek {
                predicate: GroupPredicate::all(),
                sort,
                seek: at,
                limit: 2,
                with_members: true,
            };
            let page = store.seek_groups(&t, &query).expect("seek groups");
            assert_eq!(page.total, 7);
            seen.extend(page.items.into_iter().map(|g| g.display_name));
            match page.next {
                Some(next) => at = Seek::After(next),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{sort:?}");
    }
}
