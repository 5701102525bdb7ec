//! Group predicates and membership tests on both backends, including Entra's membership
//! check `id eq "g" and members[value eq "u"]` and `groups.value eq "g"` on users.

use super::{group, member, tenant, tick, user};
use crate::Store;
use crate::query::{CompareOp, GroupColumn, GroupPredicate, Literal, MemberColumn, Predicate, UserPredicate};
use crate::records::{GroupQuery, GroupRecord, GroupSortKey, MemberType, UserQuery};

crate::tests::on_both_backends! {
    display_name_eq_ignores_case_as_uniqueness_does,
    group_columns_compare_by_their_types,
    a_membership_check_finds_the_group_only_when_the_user_is_a_member,
    member_type_and_presence_of_members_can_be_tested,
    users_are_found_by_the_groups_they_belong_to,
    groups_sort_by_display_name_ignoring_case,
    another_tenants_groups_and_memberships_never_match,
}

fn text(column: GroupColumn, op: CompareOp, value: &str, case_exact: bool) -> GroupPredicate {
    GroupPredicate::Row(Predicate::Compare {
        column,
        op,
        value: Literal::Text(value.to_owned()),
        case_exact,
    })
}

fn member_is(column: MemberColumn, value: &str) -> Predicate<MemberColumn> {
    Predicate::Compare {
        column,
        op: CompareOp::Eq,
        value: Literal::Text(value.to_owned()),
        case_exact: column != MemberColumn::MemberType,
    }
}

fn and(a: GroupPredicate, b: GroupPredicate) -> GroupPredicate {
    GroupPredicate::And(Box::new(a), Box::new(b))
}

/// The display names of the matching groups, in the default order.
fn names(store: &Store, tenant_id: &str, predicate: GroupPredicate) -> Vec<String> {
    let query = GroupQuery {
        predicate,
        with_members: false,
        ..GroupQuery::all(100)
    };
    let page = store.list_groups(tenant_id, &query).expect("list");
    assert_eq!(page.total, page.groups.len() as u64);
    page.groups.into_iter().map(|g| g.display_name).collect()
}

fn insert(store: &Store, g: &GroupRecord) {
    store.write(|tx| tx.insert_group(g)).expect("insert group");
}

fn display_name_eq_ignores_case_as_uniqueness_does(store: &Store) {
    let t = tenant(store, "contoso");
    insert(store, &group(&t, "Engineering"));
    insert(store, &group(&t, "Émigrés"));
    for probe in ["engineering", "ENGINEERING", "Engineering"] {
        assert_eq!(
            names(store, &t, text(GroupColumn::DisplayName, CompareOp::Eq, probe, false)),
            ["Engineering"]
        );
    }
    assert_eq!(
        names(
            store,
            &t,
            text(GroupColumn::DisplayName, CompareOp::Eq, "ÉMIGRÉS", false)
        ),
        ["Émigrés"]
    );
    assert!(
        names(
            store,
            &t,
            text(GroupColumn::DisplayName, CompareOp::Eq, "engineering", true)
        )
        .is_empty()
    );
    assert!(names(store, &t, text(GroupColumn::DisplayName, CompareOp::Eq, "Eng", false)).is_empty());
}

fn group_columns_compare_by_their_types(store: &Store) {
    let t = tenant(store, "contoso");
    let before = tick();
    let eng = GroupRecord {
        external_id: Some("AbC".into()),
        ..group(&t, "Engineering")
    };
    insert(store, &eng);
    insert(store, &group(&t, "Ops"));
    assert_eq!(
        names(store, &t, text(GroupColumn::Id, CompareOp::Eq, &eng.id, true)),
        ["Engineering"]
    );
    assert_eq!(
        names(store, &t, text(GroupColumn::ExternalId, CompareOp::Eq, "AbC", true)),
        ["Engineering"]
    );
    assert!(names(store, &t, text(GroupColumn::ExternalId, CompareOp::Eq, "abc", true)).is_empty());
    assert_eq!(
        names(
            store,
            &t,
            text(GroupColumn::DisplayName, CompareOp::StartsWith, "op", false)
        ),
        ["Ops"]
    );
    let created_after = GroupPredicate::Row(Predicate::Compare {
        column: GroupColumn::Created,
        op: CompareOp::Gt,
        value: Literal::Timestamp(before),
        case_exact: false,
    });
    assert_eq!(names(store, &t, created_after), ["Engineering", "Ops"]);
    // The comparison really is applied: after Engineering's creation, only Ops.
    let created_after_eng = GroupPredicate::Row(Predicate::Compare {
        column: GroupColumn::Created,
        op: CompareOp::Gt,
        value: Literal::Timestamp(eng.created_us),
        case_exact: false,
    });
    assert_eq!(names(store, &t, created_after_eng), ["Ops"]);
    let no_external_id = GroupPredicate::Not(Box::new(GroupPredicate::Row(Predicate::Present(
        GroupColumn::ExternalId,
    ))));
    assert_eq!(names(store, &t, no_external_id), ["Ops"]);
}

fn a_membership_check_finds_the_group_only_when_the_user_is_a_member(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    let bob = user(&t, "bob");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    store.write(|tx| tx.insert_user(&bob)).expect("insert");
    let eng = GroupRecord {
        members: vec![member(&ada.id, MemberType::User)],
        ..group(&t, "Engineering")
    };
    insert(store, &eng);
    let ops = GroupRecord {
        members: vec![member(&bob.id, MemberType::User)],
        ..group(&t, "Ops")
    };
    insert(store, &ops);
    let check = |g: &str, u: &str| {
        names(
            store,
            &t,
            and(
                text(GroupColumn::Id, CompareOp::Eq, g, true),
                GroupPredicate::AnyMember(member_is(MemberColumn::MemberId, u)),
            ),
        )
    };
    assert_eq!(check(&eng.id, &ada.id), ["Engineering"]);
    assert!(check(&eng.id, &bob.id).is_empty());
    assert!(check(&ops.id, &ada.id).is_empty());
    assert_eq!(
        names(
            store,
            &t,
            GroupPredicate::AnyMember(member_is(MemberColumn::MemberId, &bob.id))
        ),
        ["Ops"]
    );
}

fn member_type_and_presence_of_members_can_be_tested(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    let inner = GroupRecord {
        members: vec![member(&ada.id, MemberType::User)],
        ..group(&t, "Inner")
    };
    insert(store, &inner);
    let outer = GroupRecord {
        members: vec![member(&inner.id, MemberType::Group)],
        ..group(&t, "Outer")
    };
    insert(store, &outer);
    insert(store, &group(&t, "Empty"));
    assert_eq!(
        names(
            store,
            &t,
            GroupPredicate::AnyMember(member_is(MemberColumn::MemberType, "group"))
        ),
        ["Outer"]
    );
    assert_eq!(
        names(store, &t, GroupPredicate::AnyMember(Predicate::Const(true))),
        ["Inner", "Outer"]
    );
    assert_eq!(
        names(
            store,
            &t,
            GroupPredicate::Not(Box::new(GroupPredicate::AnyMember(Predicate::Const(true))))
        ),
        ["Empty"]
    );
}

fn users_are_found_by_the_groups_they_belong_to(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    let bob = user(&t, "bob");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    store.write(|tx| tx.insert_user(&bob)).expect("insert");
    let eng = GroupRecord {
        members: vec![member(&ada.id, MemberType::User)],
        ..group(&t, "Engineering")
    };
    insert(store, &eng);
    // A group whose id equals a user's id as a member must not count as that user.
    let nested = GroupRecord {
        members: vec![member(&eng.id, MemberType::Group)],
        ..group(&t, "Nested")
    };
    insert(store, &nested);
    let in_group = |g: &str| {
        let query = UserQuery {
            predicate: UserPredicate::AnyGroup(member_is(MemberColumn::GroupId, g)),
            ..UserQuery::all(10)
        };
        let page = store.read(|tx| tx.list_users(&t, &query)).expect("list");
        page.users.into_iter().map(|u| u.user_name).collect::<Vec<_>>()
    };
    assert_eq!(in_group(&eng.id), ["ada"]);
    assert!(in_group(&nested.id).is_empty(), "only direct members");
    assert!(in_group("no-such-group").is_empty());
}

fn groups_sort_by_display_name_ignoring_case(store: &Store) {
    let t = tenant(store, "contoso");
    for name in ["bravo", "Alpha", "charlie"] {
        insert(store, &group(&t, name));
    }
    let sorted = |descending| {
        let query = GroupQuery {
            sort: Some(GroupSortKey {
                column: GroupColumn::DisplayName,
                descending,
            }),
            ..GroupQuery::all(10)
        };
        let page = store.list_groups(&t, &query).expect("list");
        page.groups.into_iter().map(|g| g.display_name).collect::<Vec<_>>()
    };
    assert_eq!(sorted(false), ["Alpha", "bravo", "charlie"]);
    assert_eq!(sorted(true), ["charlie", "bravo", "Alpha"]);
}

fn another_tenants_groups_and_memberships_never_match(store: &Store) {
    let a = tenant(store, "a");
    let b = tenant(store, "b");
    let ada = user(&a, "ada");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    let eng = GroupRecord {
        members: vec![member(&ada.id, MemberType::User)],
        ..group(&a, "Engineering")
    };
    insert(store, &eng);
    assert!(
        names(
            store,
            &b,
            text(GroupColumn::DisplayName, CompareOp::Eq, "engineering", false)
        )
        .is_empty()
    );
    assert!(
        names(
            store,
            &b,
            GroupPredicate::AnyMember(member_is(MemberColumn::MemberId, &ada.id))
        )
        .is_empty()
    );
    let query = UserQuery {
        predicate: UserPredicate::AnyGroup(member_is(MemberColumn::GroupId, &eng.id)),
        ..UserQuery::all(10)
    };
    assert_eq!(store.read(|tx| tx.list_users(&b, &query)).map(|p| p.total), Ok(0));
}
