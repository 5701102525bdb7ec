//! The directory reads: a user's groups and a group's members page by page with exact
//! totals, a membership check, `None` for ids the tenant does not have, and a fixed
//! number of statements whatever the size of the group.

use super::{count_statements, group, member, tenant, user};
use crate::Store;
use crate::conn::TxMode;
use crate::records::{GroupRecord, MemberType, UserRecord};

crate::tests::on_both_backends! {
    a_groups_members_page_in_member_id_order_with_the_total_on_every_page,
    a_users_groups_page_by_group_name_and_count_only_direct_membership,
    a_membership_check_is_true_only_for_direct_members_of_the_tenants_group,
    another_tenants_user_or_group_is_unknown,
    directory_reads_cost_the_same_statements_for_three_members_as_for_two_thousand,
}

/// `n` users of the tenant named `u000`, `u001`, … and a group holding all of them.
fn group_of_users(store: &Store, tenant_id: &str, name: &str, n: usize) -> (GroupRecord, Vec<UserRecord>) {
    let users: Vec<UserRecord> = (0..n).map(|i| user(tenant_id, &format!("{name}-u{i:04}"))).collect();
    store
        .write(|tx| users.iter().try_for_each(|u| tx.insert_user(u)))
        .expect("insert users");
    let g = GroupRecord {
        members: users.iter().map(|u| member(&u.id, MemberType::User)).collect(),
        ..group(tenant_id, name)
    };
    store.write(|tx| tx.insert_group(&g)).expect("insert group");
    (g, users)
}

fn a_groups_members_page_in_member_id_order_with_the_total_on_every_page(store: &Store) {
    let t = tenant(store, "contoso");
    let (g, users) = group_of_users(store, &t, "Engineering", 5);
    let nested = group(&t, "Nested");
    store.write(|tx| tx.insert_group(&nested)).expect("insert");
    store
        .write(|tx| tx.add_members(&t, &g.id, &[member(&nested.id, MemberType::Group)]))
        .expect("add");

    let mut expected: Vec<(String, Option<String>)> = users
        .iter()
        .map(|u| (u.id.clone(), Some(u.user_name.clone())))
        .chain([(nested.id.clone(), Some("Nested".to_owned()))])
        .collect();
    expected.sort();
    let mut seen = Vec::new();
    for offset in [0, 4] {
        let page = store.group_members(&t, &g.id, offset, 4).expect("read").expect("found");
        assert_eq!(page.total, 6, "offset {offset}");
        seen.extend(page.members.into_iter().map(|m| (m.id, m.display)));
    }
    assert_eq!(seen, expected);
    let past = store.group_members(&t, &g.id, 10, 4).expect("read").expect("found");
    assert_eq!((past.total, past.members.len()), (6, 0));
    let empty = store.group_members(&t, &nested.id, 0, 4).expect("read").expect("found");
    assert_eq!((empty.total, empty.members.len()), (0, 0));
    assert_eq!(store.group_members(&t, "nope", 0, 4), Ok(None));
}

fn a_users_groups_page_by_group_name_and_count_only_direct_membership(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    let loner = user(&t, "loner");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    store.write(|tx| tx.insert_user(&loner)).expect("insert");
    let mut names = Vec::new();
    for name in ["zeta", "Alpha", "mid"] {
        let g = GroupRecord {
            members: vec![member(&ada.id, MemberType::User)],
            ..group(&t, name)
        };
        store.write(|tx| tx.insert_group(&g)).expect("insert group");
        names.push(g);
    }
    let outer = GroupRecord {
        members: vec![member(&names[0].id, MemberType::Group)],
        ..group(&t, "Outer")
    };
    store.write(|tx| tx.insert_group(&outer)).expect("insert group");

    let first = store.user_groups(&t, &ada.id, 0, 2).expect("read").expect("found");
    let second = store.user_groups(&t, &ada.id, 2, 2).expect("read").expect("found");
    assert_eq!((first.total, second.total), (3, 3));
    let shown: Vec<&str> = first
        .groups
        .iter()
        .chain(&second.groups)
        .map(|g| g.display_name.as_str())
        .collect();
    assert_eq!(shown, ["Alpha", "mid", "zeta"]);
    let none = store.user_groups(&t, &loner.id, 0, 2).expect("read").expect("found");
    assert_eq!((none.total, none.groups.len()), (0, 0));
    assert_eq!(store.user_groups(&t, "nope", 0, 2), Ok(None));
    // A group id is not a user.
    assert_eq!(store.user_groups(&t, &names[0].id, 0, 2), Ok(None));
}

fn a_membership_check_is_true_only_for_direct_members_of_the_tenants_group(store: &Store) {
    let t = tenant(store, "contoso");
    let (inner, users) = group_of_users(store, &t, "Inner", 2);
    let outer = GroupRecord {
        members: vec![member(&inner.id, MemberType::Group)],
        ..group(&t, "Outer")
    };
    store.write(|tx| tx.insert_group(&outer)).expect("insert group");
    assert_eq!(store.is_member(&t, &inner.id, &users[0].id), Ok(Some(true)));
    assert_eq!(store.is_member(&t, &outer.id, &inner.id), Ok(Some(true)));
    assert_eq!(
        store.is_member(&t, &outer.id, &users[0].id),
        Ok(Some(false)),
        "not transitive"
    );
    assert_eq!(store.is_member(&t, &inner.id, "nobody"), Ok(Some(false)));
    assert_eq!(store.is_member(&t, "nope", &users[0].id), Ok(None));
}

fn another_tenants_user_or_group_is_unknown(store: &Store) {
    let t = tenant(store, "contoso");
    let other = tenant(store, "fabrikam");
    let (g, users) = group_of_users(store, &t, "Engineering", 2);
    let u = &users[0].id;
    assert_eq!(store.group_members(&other, &g.id, 0, 10), Ok(None));
    assert_eq!(store.user_groups(&other, u, 0, 10), Ok(None));
    assert_eq!(store.is_member(&other, &g.id, u), Ok(None));
    // The other tenant's own group does not see this tenant's user as a member.
    let theirs = group(&other, "Engineering");
    store.write(|tx| tx.insert_group(&theirs)).expect("insert");
    assert_eq!(store.is_member(&other, &theirs.id, u), Ok(Some(false)));
}

fn directory_reads_cost_the_same_statements_for_three_members_as_for_two_thousand(store: &Store) {
    let t = tenant(store, "contoso");
    let mut costs = Vec::new();
    for size in [3_u64, 2_000] {
        let (g, users) = group_of_users(store, &t, &format!("size {size}"), size as usize);
        let u = &users[0].id;
        let cost = |offset: u64, limit: u64| {
            let (page, members) =
                count_statements(store, TxMode::Read, |tx| tx.group_members(&t, &g.id, offset, limit));
            assert_eq!(page.map(|p| p.total), Some(size));
            let (page, groups) = count_statements(store, TxMode::Read, |tx| tx.user_groups(&t, u, offset, limit));
            assert_eq!(page.map(|p| p.total), Some(1));
            (members, groups)
        };
        let (_, check) = count_statements(store, TxMode::Read, |tx| tx.is_member(&t, &g.id, u));
        costs.push([cost(0, 2), cost(size - 1, 2), cost(5_000, 2), (check, check)]);
    }
    // BEGIN, page, COMMIT — plus the count when the page is full (the total is unknown)
    // or empty (whether the group or user exists is unknown); the user is in one group.
    let expected = [(4, 3), (3, 4), (4, 4), (3, 3)];
    assert_eq!(costs, [expected, expected]);
}
