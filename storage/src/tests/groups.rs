//! Group rows: round trips, displayName uniqueness, versions, deletes that clean up
//! membership, and tenant isolation.

use super::{group, member, tenant, tick, user};
use crate::records::{GroupQuery, GroupRecord, MemberRecord, MemberType, UserRecord};
use crate::{StorageError, Store};

crate::tests::on_both_backends! {
    a_group_reads_back_with_its_members_in_id_order_and_their_names,
    a_group_reads_back_without_members_when_they_are_not_asked_for,
    display_names_are_unique_per_tenant_whatever_their_case,
    the_same_display_name_may_exist_in_two_tenants,
    an_update_replaces_the_row_but_leaves_the_members_alone,
    an_update_with_a_stale_version_is_a_version_mismatch,
    renaming_onto_a_taken_display_name_conflicts_and_changes_nothing,
    deleting_a_group_takes_it_out_of_every_group_and_bumps_their_versions,
    deleting_a_user_takes_it_out_of_every_group_and_bumps_their_versions,
    a_group_of_another_tenant_is_invisible_and_untouchable,
    far_group_pages_read_from_the_end_are_the_pages_read_from_the_start,
}

fn insert(store: &Store, g: &GroupRecord) {
    store.write(|tx| tx.insert_group(g)).expect("insert group");
}

fn insert_user(store: &Store, u: &UserRecord) {
    store.write(|tx| tx.insert_user(u)).expect("insert user");
}

fn a_group_reads_back_with_its_members_in_id_order_and_their_names(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = UserRecord {
        id: "u-b".into(),
        display_name: Some("Ada Lovelace".into()),
        ..user(&t, "ada@contoso.com")
    };
    let bob = UserRecord {
        id: "u-a".into(),
        ..user(&t, "bob@contoso.com")
    };
    insert_user(store, &ada);
    insert_user(store, &bob);
    let inner = GroupRecord {
        id: "g-c".into(),
        ..group(&t, "Inner")
    };
    insert(store, &inner);
    let outer = GroupRecord {
        external_id: Some("8aa1a0c0".into()),
        created_by_token: Some("token-1".into()),
        members: vec![
            member("u-b", MemberType::User),
            member("g-c", MemberType::Group),
            member("u-a", MemberType::User),
        ],
        ..group(&t, "Engineering")
    };
    insert(store, &outer);

    let read = store.get_group(&t, &outer.id, true).expect("get").expect("found");
    let shown = |id: &str, member_type, display: &str| MemberRecord {
        id: id.into(),
        member_type,
        display: Some(display.into()),
    };
    assert_eq!(
        read,
        GroupRecord {
            members: vec![
                shown("g-c", MemberType::Group, "Inner"),
                shown("u-a", MemberType::User, "bob@contoso.com"),
                shown("u-b", MemberType::User, "Ada Lovelace"),
            ],
            ..outer
        }
    );
}

fn a_group_reads_back_without_members_when_they_are_not_asked_for(store: &Store) {
    let t = tenant(store, "contoso");
    let u = user(&t, "ada");
    insert_user(store, &u);
    let g = GroupRecord {
        members: vec![member(&u.id, MemberType::User)],
        ..group(&t, "Engineering")
    };
    insert(store, &g);
    let read = store.get_group(&t, &g.id, false).expect("get").expect("found");
    assert_eq!(read, GroupRecord { members: vec![], ..g });
}

fn display_names_are_unique_per_tenant_whatever_their_case(store: &Store) {
    let t = tenant(store, "contoso");
    insert(store, &group(&t, "Engineering"));
    for taken in ["Engineering", "ENGINEERING", "engineering"] {
        assert_eq!(
            store.write(|tx| tx.insert_group(&group(&t, taken))),
            Err(StorageError::Conflict {
                what: "groups.display_name".into()
            }),
            "{taken}"
        );
    }
    let first = group(&t, "Ops");
    insert(store, &first);
    let same_id = GroupRecord {
        id: first.id.clone(),
        ..group(&t, "Other")
    };
    assert_eq!(
        store.write(|tx| tx.insert_group(&same_id)),
        Err(StorageError::Conflict {
            what: "groups.id".into()
        })
    );
}

fn the_same_display_name_may_exist_in_two_tenants(store: &Store) {
    let a = tenant(store, "a");
    let b = tenant(store, "b");
    insert(store, &group(&a, "Engineering"));
    insert(store, &group(&b, "engineering"));
    for t in [&a, &b] {
        assert_eq!(store.list_groups(t, &GroupQuery::all(10)).map(|p| p.total), Ok(1));
    }
}

fn an_update_replaces_the_row_but_leaves_the_members_alone(store: &Store) {
    let t = tenant(store, "contoso");
    let u = user(&t, "ada");
    insert_user(store, &u);
    let g = GroupRecord {
        external_id: Some("x".into()),
        members: vec![member(&u.id, MemberType::User)],
        ..group(&t, "Engineering")
    };
    insert(store, &g);
    let renamed = GroupRecord {
        display_name: "Eng Team".into(),
        external_id: None,
        version: 2,
        last_modified_us: tick(),
        members: vec![],
        ..g.clone()
    };
    store.write(|tx| tx.update_group(&renamed, 1)).expect("update");
    let read = store.get_group(&t, &g.id, true).expect("get").expect("found");
    assert_eq!(
        (read.display_name.as_str(), read.external_id, read.version),
        ("Eng Team", None, 2)
    );
    assert_eq!(read.members.len(), 1, "the row update did not touch the members");
}

fn an_update_with_a_stale_version_is_a_version_mismatch(store: &Store) {
    let t = tenant(store, "contoso");
    let g = GroupRecord {
        version: 4,
        ..group(&t, "Engineering")
    };
    insert(store, &g);
    let next = GroupRecord {
        version: 4,
        display_name: "X".into(),
        ..g.clone()
    };
    assert_eq!(
        store.write(|tx| tx.update_group(&next, 3)),
        Err(StorageError::VersionMismatch { current: 4 })
    );
    let missing = GroupRecord {
        id: "nope".into(),
        ..next
    };
    assert_eq!(
        store.write(|tx| tx.update_group(&missing, 4)),
        Err(StorageError::NotFound)
    );
}

fn renaming_onto_a_taken_display_name_conflicts_and_changes_nothing(store: &Store) {
    let t = tenant(store, "contoso");
    insert(store, &group(&t, "Engineering"));
    let ops = group(&t, "Ops");
    insert(store, &ops);
    let renamed = GroupRecord {
        display_name: "ENGINEERING".into(),
        version: 2,
        ..ops.clone()
    };
    assert_eq!(
        store.write(|tx| tx.update_group(&renamed, 1)),
        Err(StorageError::Conflict {
            what: "groups.display_name".into()
        })
    );
    assert_eq!(store.get_group(&t, &ops.id, false), Ok(Some(ops)));
}

fn deleting_a_group_takes_it_out_of_every_group_and_bumps_their_versions(store: &Store) {
    let t = tenant(store, "contoso");
    let u = user(&t, "ada");
    insert_user(store, &u);
    let inner = GroupRecord {
        members: vec![member(&u.id, MemberType::User)],
        ..group(&t, "Inner")
    };
    insert(store, &inner);
    let outer = GroupRecord {
        members: vec![member(&inner.id, MemberType::Group), member(&u.id, MemberType::User)],
        ..group(&t, "Outer")
    };
    insert(store, &outer);
    let bystander = group(&t, "Bystander");
    insert(store, &bystander);

    let now = tick();
    store
        .write(|tx| tx.delete_group(&t, &inner.id, None, now))
        .expect("delete");
    assert_eq!(store.get_group(&t, &inner.id, true), Ok(None));
    let outer_now = store.get_group(&t, &outer.id, true).expect("get").expect("found");
    let ids: Vec<&str> = outer_now.members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, [u.id.as_str()]);
    assert_eq!((outer_now.version, outer_now.last_modified_us), (2, now));
    assert_eq!(store.get_group(&t, &bystander.id, false), Ok(Some(bystander)));
    assert!(
        store
            .read(|tx| tx.memberships(&t, &[u.id.as_str()]))
            .expect("memberships")[&u.id]
            .len()
            == 1
    );
    assert_eq!(
        store.write(|tx| tx.delete_group(&t, &inner.id, None, now)),
        Err(StorageError::NotFound)
    );
    // Its own membership rows went with it: the same id can come back empty.
    insert(
        store,
        &GroupRecord {
            members: vec![],
            ..inner.clone()
        },
    );
    assert_eq!(
        store.get_group(&t, &inner.id, true).map(|g| g.map(|g| g.members)),
        Ok(Some(vec![]))
    );
}

fn deleting_a_user_takes_it_out_of_every_group_and_bumps_their_versions(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    let bob = user(&t, "bob");
    insert_user(store, &ada);
    insert_user(store, &bob);
    let both = GroupRecord {
        members: vec![member(&ada.id, MemberType::User), member(&bob.id, MemberType::User)],
        ..group(&t, "Both")
    };
    let only_bob = GroupRecord {
        members: vec![member(&bob.id, MemberType::User)],
        ..group(&t, "Only Bob")
    };
    insert(store, &both);
    insert(store, &only_bob);

    let now = tick();
    store
        .write(|tx| tx.delete_user(&t, &ada.id, None, now))
        .expect("delete");
    let both_now = store.get_group(&t, &both.id, true).expect("get").expect("found");
    assert_eq!(both_now.members.iter().map(|m| &m.id).collect::<Vec<_>>(), [&bob.id]);
    assert_eq!((both_now.version, both_now.last_modified_us), (2, now));
    assert_eq!(
        store.get_group(&t, &only_bob.id, false).map(|g| g.map(|g| g.version)),
        Ok(Some(1))
    );
    assert!(
        store
            .read(|tx| tx.memberships(&t, &[ada.id.as_str()]))
            .expect("memberships")
            .is_empty()
    );
}

fn a_group_of_another_tenant_is_invisible_and_untouchable(store: &Store) {
    let a = tenant(store, "a");
    let b = tenant(store, "b");
    let u = user(&a, "ada");
    insert_user(store, &u);
    let g = GroupRecord {
        members: vec![member(&u.id, MemberType::User)],
        ..group(&a, "Engineering")
    };
    insert(store, &g);

    assert_eq!(store.get_group(&b, &g.id, true), Ok(None));
    assert_eq!(store.list_groups(&b, &GroupQuery::all(10)).map(|p| p.total), Ok(0));
    let hijack = GroupRecord {
        tenant_id: b.clone(),
        display_name: "hijacked".into(),
        version: 2,
        ..g.clone()
    };
    assert_eq!(
        store.write(|tx| tx.update_group(&hijack, 1)),
        Err(StorageError::NotFound)
    );
    assert_eq!(
        store.write(|tx| tx.delete_group(&b, &g.id, None, tick())),
        Err(StorageError::NotFound)
    );
    let stranger = user(&b, "eve");
    insert_user(store, &stranger);
    assert_eq!(
        store.write(|tx| tx.add_members(&b, &g.id, &[member(&stranger.id, MemberType::User)])),
        Err(StorageError::NotFound),
        "membership rows need a group of their own tenant"
    );
    assert_eq!(
        store.write(|tx| tx.remove_members(&b, &g.id, std::slice::from_ref(&u.id))),
        Ok(vec![])
    );
    assert_eq!(store.write(|tx| tx.clear_members(&b, &g.id)), Ok(vec![]));
    assert_eq!(
        store.write(|tx| tx.resolve_members(&b, &[u.id.clone(), g.id.clone()])),
        Ok(vec![])
    );
    assert!(
        store
            .read(|tx| tx.memberships(&b, &[u.id.as_str()]))
            .expect("memberships")
            .is_empty()
    );
    assert_eq!(
        store.write(|tx| tx.delete_user(&b, &u.id, None, tick())),
        Err(StorageError::NotFound)
    );
    assert_eq!(
        store.get_group(&a, &g.id, true).map(|g| g.map(|g| g.members.len())),
        Ok(Some(1))
    );
}

/// As for users (`listing.rs`): the count-first path, forced from offset 0, gives every
/// page the forward `OFFSET` gives, sorted or not, with ties and NULLs.
fn far_group_pages_read_from_the_end_are_the_pages_read_from_the_start(store: &Store) {
    use crate::query::{GroupColumn, GroupPredicate};
    use crate::records::GroupSortKey;
    let t = tenant(store, "contoso");
    let at = tick();
    for i in 0..17 {
        let g = GroupRecord {
            created_us: at + i / 3,
            external_id: (i % 4 != 0).then(|| format!("ext {}", (i * 7) % 5)),
            ..group(&t, &format!("group{i:02}"))
        };
        insert(store, &g);
    }
    let sorts = [
        None,
        Some(GroupSortKey {
            column: GroupColumn::ExternalId,
            descending: false,
        }),
        Some(GroupSortKey {
            column: GroupColumn::DisplayName,
            descending: true,
        }),
    ];
    for sort in sorts {
        for offset in [0, 8, 9, 13, 16, 17, 30] {
            for limit in [1, 3, 100] {
                let q = GroupQuery {
                    predicate: GroupPredicate::all(),
                    sort,
                    offset,
                    limit,
                    with_members: false,
                };
                let ids = |far_offset: u64| {
                    let page = store
                        .read(|tx| tx.list_groups_counting_from(&t, &q, far_offset))
                        .expect("list");
                    (page.total, page.groups.into_iter().map(|g| g.id).collect::<Vec<_>>())
                };
                assert_eq!(ids(0), ids(u64::MAX), "sort {sort:?}, offset {offset}, limit {limit}");
            }
        }
    }
}
