//! Membership rows: idempotent adds, removes that name their members, the read-only
//! `User.groups` view, and a fixed statement count whatever the size of the group.

use super::{count_statements, group, member, tenant, tick, user};
use crate::conn::TxMode;
use crate::records::{GroupQuery, GroupRecord, MemberRecord, MemberType, MembershipRecord, ResolvedMember};
use crate::{StorageError, Store, Tx};

crate::tests::on_both_backends! {
    adding_an_existing_member_adds_no_row_and_fails_nothing,
    removing_members_removes_only_those_named,
    clearing_a_group_removes_every_member_and_nothing_else,
    members_resolve_to_users_or_groups_of_the_tenant_only,
    user_groups_list_direct_memberships_by_group_name,
    adding_or_removing_a_member_costs_the_same_statements_for_three_members_as_for_two_thousand,
    a_list_without_members_never_loads_them,
}

fn ids(members: &[MemberRecord]) -> Vec<&str> {
    members.iter().map(|m| m.id.as_str()).collect()
}

fn members_of(store: &Store, tenant_id: &str, group_id: &str) -> Vec<String> {
    let g = store.get_group(tenant_id, group_id, true).expect("get").expect("found");
    ids(&g.members).into_iter().map(str::to_owned).collect()
}

/// A group with members `m0`, `m1`, … (ids that name no user: storage does not check).
fn group_with(store: &Store, tenant_id: &str, name: &str, n: usize) -> GroupRecord {
    let g = GroupRecord {
        members: (0..n).map(|i| member(&format!("m{i}"), MemberType::User)).collect(),
        ..group(tenant_id, name)
    };
    store.write(|tx| tx.insert_group(&g)).expect("insert group");
    g
}

fn adding_an_existing_member_adds_no_row_and_fails_nothing(store: &Store) {
    let t = tenant(store, "contoso");
    let g = group_with(store, &t, "Engineering", 2);
    let again = [member("m1", MemberType::User), member("m2", MemberType::User)];
    assert_eq!(
        store.write(|tx| tx.add_members(&t, &g.id, &again)).map(|v| v.len()),
        Ok(1)
    );
    assert_eq!(
        store.write(|tx| tx.add_members(&t, &g.id, &again)).map(|v| v.len()),
        Ok(0)
    );
    assert_eq!(members_of(store, &t, &g.id), ["m0", "m1", "m2"]);
}

fn removing_members_removes_only_those_named(store: &Store) {
    let t = tenant(store, "contoso");
    let g = group_with(store, &t, "Engineering", 4);
    let other = group_with(store, &t, "Other", 4);
    let named = ["m1".to_owned(), "m3".to_owned(), "not-a-member".to_owned()];
    assert_eq!(
        store.write(|tx| tx.remove_members(&t, &g.id, &named)).map(|v| v.len()),
        Ok(2)
    );
    assert_eq!(members_of(store, &t, &g.id), ["m0", "m2"]);
    assert_eq!(members_of(store, &t, &other.id), ["m0", "m1", "m2", "m3"]);
    assert_eq!(
        store.write(|tx| tx.remove_members(&t, &g.id, &named)).map(|v| v.len()),
        Ok(0)
    );
}

fn clearing_a_group_removes_every_member_and_nothing_else(store: &Store) {
    let t = tenant(store, "contoso");
    let g = group_with(store, &t, "Engineering", 3);
    let other = group_with(store, &t, "Other", 2);
    assert_eq!(store.write(|tx| tx.clear_members(&t, &g.id)).map(|v| v.len()), Ok(3));
    assert!(members_of(store, &t, &g.id).is_empty());
    assert_eq!(members_of(store, &t, &other.id).len(), 2);
}

fn members_resolve_to_users_or_groups_of_the_tenant_only(store: &Store) {
    let t = tenant(store, "contoso");
    let elsewhere = tenant(store, "fabrikam");
    let ada = user(&t, "ada");
    let eve = user(&elsewhere, "eve");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    store.write(|tx| tx.insert_user(&eve)).expect("insert");
    let g = group_with(store, &t, "Engineering", 0);
    let asked = [ada.id.clone(), g.id.clone(), eve.id.clone(), "nobody".to_owned()];
    let mut found = store.write(|tx| tx.resolve_members(&t, &asked)).expect("resolve");
    found.sort_by(|x, y| x.id.cmp(&y.id));
    let resolved = |id: &str, member_type| ResolvedMember {
        id: id.to_owned(),
        member_type,
        out_of_scope: false,
    };
    let mut expected = vec![resolved(&ada.id, MemberType::User), resolved(&g.id, MemberType::Group)];
    expected.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(found, expected);
}

fn user_groups_list_direct_memberships_by_group_name(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    let bob = user(&t, "bob");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    store.write(|tx| tx.insert_user(&bob)).expect("insert");
    let mut made = Vec::new();
    for name in ["zeta", "Alpha", "mid"] {
        let g = GroupRecord {
            members: vec![member(&ada.id, MemberType::User)],
            ..group(&t, name)
        };
        store.write(|tx| tx.insert_group(&g)).expect("insert group");
        made.push(g);
    }
    // A group nested in another does not make its members members of the outer group.
    let outer = GroupRecord {
        members: vec![member(&made[0].id, MemberType::Group)],
        ..group(&t, "Outer")
    };
    store.write(|tx| tx.insert_group(&outer)).expect("insert group");

    let found = store
        .read(|tx| tx.memberships(&t, &[ada.id.as_str(), bob.id.as_str()]))
        .expect("memberships");
    let of = |g: &GroupRecord| MembershipRecord {
        group_id: g.id.clone(),
        display_name: g.display_name.clone(),
    };
    assert_eq!(found[&ada.id], [of(&made[1]), of(&made[2]), of(&made[0])]);
    assert!(!found.contains_key(&bob.id));
}

/// What the core does for `PATCH … add members` of one user: read the group row,
/// resolve the id, insert it, bump the version.
fn add_one(tx: &mut Tx<'_>, t: &str, g: &str, id: &str) -> Result<u64, StorageError> {
    let current = tx.get_group(t, g, false)?.ok_or(StorageError::NotFound)?;
    let resolved = tx.resolve_members(t, &[id.to_owned()])?;
    let members: Vec<MemberRecord> = resolved.iter().map(|m| member(&m.id, m.member_type)).collect();
    let added = tx.add_members(t, g, &members)?;
    let next = GroupRecord {
        version: current.version + 1,
        last_modified_us: tick(),
        ..current.clone()
    };
    tx.update_group(&next, current.version)?;
    Ok(added.len() as u64)
}

/// And for `PATCH … remove members[value eq "…"]`.
fn remove_one(tx: &mut Tx<'_>, t: &str, g: &str, id: &str) -> Result<u64, StorageError> {
    let current = tx.get_group(t, g, false)?.ok_or(StorageError::NotFound)?;
    let removed = tx.remove_members(t, g, &[id.to_owned()])?.len() as u64;
    let next = GroupRecord {
        version: current.version + 1,
        ..current.clone()
    };
    tx.update_group(&next, current.version)?;
    Ok(removed)
}

fn adding_or_removing_a_member_costs_the_same_statements_for_three_members_as_for_two_thousand(store: &Store) {
    let t = tenant(store, "contoso");
    let newcomer = user(&t, "newcomer");
    store.write(|tx| tx.insert_user(&newcomer)).expect("insert");
    let mut costs = Vec::new();
    for size in [3, 2_000] {
        let g = group_with(store, &t, &format!("size {size}"), size);
        let (added, add_cost) = count_statements(store, TxMode::Write, |tx| add_one(tx, &t, &g.id, &newcomer.id));
        let (removed, remove_cost) =
            count_statements(store, TxMode::Write, |tx| remove_one(tx, &t, &g.id, &newcomer.id));
        assert_eq!((added, removed), (1, 1));
        assert_eq!(members_of(store, &t, &g.id).len(), size);
        costs.push((add_cost, remove_cost));
    }
    // BEGIN, group row, users lookup, groups lookup, insert, version bump, COMMIT; the
    // remove needs no lookup.
    assert_eq!(costs, [(7, 5), (7, 5)]);
}

fn a_list_without_members_never_loads_them(store: &Store) {
    let t = tenant(store, "contoso");
    for name in ["a", "b", "c"] {
        group_with(store, &t, name, 2);
    }
    let list = |with_members| {
        count_statements(store, TxMode::Read, |tx| {
            tx.list_groups(
                &t,
                &GroupQuery {
                    with_members,
                    ..GroupQuery::all(10)
                },
            )
        })
    };
    let (page, cost) = list(false);
    assert_eq!(cost, 3, "BEGIN, page, COMMIT");
    assert!(page.groups.iter().all(|g| g.members.is_empty()));
    let (page, cost) = list(true);
    assert_eq!(cost, 4, "BEGIN, page, members of the whole page, COMMIT");
    assert!(page.groups.iter().all(|g| g.members.len() == 2));
}
