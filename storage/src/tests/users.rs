use super::{all_users, email, exact, phone, tenant, text, tick, user};
use crate::query::{CompareOp, MultiValuedAttr, Predicate, UserColumn, UserPredicate};
use crate::records::{ChildValue, UserQuery, UserRecord};
use crate::{StorageError, Store};

crate::tests::on_both_backends! {
    a_user_reads_back_with_every_field_and_its_children_in_order,
    user_names_are_unique_per_tenant_whatever_their_case,
    unicode_user_names_are_unique_whatever_their_case,
    the_same_user_name_may_exist_in_two_tenants,
    a_user_id_is_taken_once_per_tenant,
    a_user_of_a_missing_tenant_is_refused_as_not_found,
    an_update_with_the_stored_version_replaces_fields_and_children,
    an_update_with_a_stale_version_is_a_version_mismatch,
    an_update_of_a_missing_user_is_not_found,
    renaming_onto_a_taken_user_name_conflicts_and_changes_nothing,
    a_deleted_user_and_its_children_are_gone,
    a_delete_checks_the_version_when_given_one,
    a_user_of_another_tenant_is_invisible_and_untouchable,
    a_failed_write_transaction_leaves_nothing_behind,
    writes_in_one_transaction_commit_together,
}

/// A user with every field set and children of several attributes, interleaved.
fn full_user(tenant_id: &str) -> UserRecord {
    let s = |v: &str| Some(v.to_owned());
    UserRecord {
        external_id: s("ext-1"),
        display_name: s("Ada Lovelace"),
        nick_name: s("ada"),
        profile_url: s("https://example.com/ada"),
        title: s("Countess"),
        user_type: s("Employee"),
        preferred_language: s("en-GB"),
        locale: s("en-GB"),
        timezone: s("Europe/London"),
        active: Some(false),
        password_hash: s("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
        name_formatted: s("Ms. Augusta Ada King"),
        name_family_name: s("King"),
        name_given_name: s("Augusta"),
        name_middle_name: s("Ada"),
        name_honorific_prefix: s("Ms."),
        name_honorific_suffix: s("III"),
        employee_number: s("1815"),
        cost_center: s("CC-1"),
        organization: s("Analytical Engines"),
        division: s("Maths"),
        department: s("Poetical Science"),
        manager_value: s("babbage-id"),
        manager_ref: s("https://example.com/Users/babbage-id"),
        manager_display_name: s("Charles Babbage"),
        last_modified_us: tick(),
        version: 7,
        created_by_token: s("token-1"),
        children: vec![
            email("ada@work.example", "work", true),
            phone("+44 20 7946 0000", "work"),
            email("ada@home.example", "home", false),
            (
                MultiValuedAttr::Addresses,
                ChildValue {
                    type_: s("work"),
                    primary: Some(true),
                    formatted: s("1 Main St\nLondon"),
                    street_address: s("1 Main St"),
                    locality: s("London"),
                    region: s("Greater London"),
                    postal_code: s("W1"),
                    country: s("GB"),
                    ..ChildValue::default()
                },
            ),
            (
                MultiValuedAttr::Ims,
                ChildValue {
                    value: s("ada-im"),
                    type_: s("xmpp"),
                    ..ChildValue::default()
                },
            ),
            (
                MultiValuedAttr::Photos,
                ChildValue {
                    value: s("https://example.com/ada.png"),
                    type_: s("photo"),
                    ..ChildValue::default()
                },
            ),
            (
                MultiValuedAttr::Entitlements,
                ChildValue {
                    value: s("engine"),
                    display: s("Engine"),
                    ..ChildValue::default()
                },
            ),
            (
                MultiValuedAttr::Roles,
                ChildValue {
                    value: s("analyst"),
                    ..ChildValue::default()
                },
            ),
            (
                MultiValuedAttr::X509Certificates,
                ChildValue {
                    value: s("MIIB"),
                    ..ChildValue::default()
                },
            ),
            (
                MultiValuedAttr::Emails,
                ChildValue {
                    value: s("ada@ref.example"),
                    ref_: s("urn:ref"),
                    ..ChildValue::default()
                },
            ),
            (MultiValuedAttr::Emails, ChildValue::default()),
        ],
        ..user(tenant_id, "Ada@Example.com")
    }
}

fn a_user_reads_back_with_every_field_and_its_children_in_order(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = full_user(&t);
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    assert_eq!(store.read(|tx| tx.get_user(&t, &ada.id)), Ok(Some(ada.clone())));
    assert_eq!(all_users(store, &t), vec![ada]);
    assert_eq!(store.read(|tx| tx.get_user(&t, "missing")), Ok(None));
}

fn user_names_are_unique_per_tenant_whatever_their_case(store: &Store) {
    let t = tenant(store, "contoso");
    store.write(|tx| tx.insert_user(&user(&t, "Ada@X"))).expect("insert");
    assert_eq!(
        store.write(|tx| tx.insert_user(&user(&t, "ada@x"))),
        Err(StorageError::Conflict {
            what: "users.user_name".into()
        })
    );
    assert_eq!(all_users(store, &t).len(), 1);
}

fn unicode_user_names_are_unique_whatever_their_case(store: &Store) {
    let t = tenant(store, "contoso");
    store.write(|tx| tx.insert_user(&user(&t, "ÉMILE"))).expect("insert");
    assert_eq!(
        store.write(|tx| tx.insert_user(&user(&t, "émile"))),
        Err(StorageError::Conflict {
            what: "users.user_name".into()
        })
    );
    store
        .write(|tx| tx.insert_user(&user(&t, "emile")))
        .expect("e without accent is another name");
}

fn the_same_user_name_may_exist_in_two_tenants(store: &Store) {
    let a = tenant(store, "a");
    let b = tenant(store, "b");
    store
        .write(|tx| tx.insert_user(&user(&a, "ada@x")))
        .expect("insert in a");
    store
        .write(|tx| tx.insert_user(&user(&b, "ADA@X")))
        .expect("insert in b");
}

fn a_user_id_is_taken_once_per_tenant(store: &Store) {
    let a = tenant(store, "a");
    let b = tenant(store, "b");
    let first = user(&a, "first");
    store.write(|tx| tx.insert_user(&first)).expect("insert");
    let same_id = UserRecord {
        id: first.id.clone(),
        ..user(&a, "second")
    };
    assert_eq!(
        store.write(|tx| tx.insert_user(&same_id)),
        Err(StorageError::Conflict {
            what: "users.id".into()
        })
    );
    let other_tenant = UserRecord {
        tenant_id: b,
        ..same_id
    };
    store
        .write(|tx| tx.insert_user(&other_tenant))
        .expect("ids are per tenant");
}

fn a_user_of_a_missing_tenant_is_refused_as_not_found(store: &Store) {
    assert_eq!(
        store.write(|tx| tx.insert_user(&user("no-such-tenant", "ada"))),
        Err(StorageError::NotFound)
    );
}

fn an_update_with_the_stored_version_replaces_fields_and_children(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = full_user(&t);
    store.write(|tx| tx.insert_user(&ada)).expect("insert");

    let changed = UserRecord {
        user_name: "ada.king@example.com".into(),
        title: None,
        department: Some("Engines".into()),
        active: Some(true),
        version: ada.version + 1,
        last_modified_us: tick(),
        children: vec![phone("+44 1", "mobile"), email("new@example.com", "work", true)],
        ..ada.clone()
    };
    store.write(|tx| tx.update_user(&changed, ada.version)).expect("update");
    assert_eq!(store.read(|tx| tx.get_user(&t, &ada.id)), Ok(Some(changed.clone())));

    // The new name is what the unique index and the filters see now.
    let by_name = |name: &str| {
        let q = UserQuery {
            predicate: text(UserColumn::UserName, CompareOp::Eq, name),
            ..UserQuery::all(10)
        };
        store.read(|tx| tx.list_users(&t, &q)).expect("list").total
    };
    assert_eq!(by_name("ADA.KING@example.com"), 1);
    assert_eq!(by_name("ada@example.com"), 0);
    store
        .write(|tx| tx.insert_user(&user(&t, "ada@example.com")))
        .expect("the old name is free again");
}

fn an_update_with_a_stale_version_is_a_version_mismatch(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    let v2 = UserRecord {
        title: Some("v2".into()),
        version: 2,
        ..ada.clone()
    };
    store.write(|tx| tx.update_user(&v2, 1)).expect("update to v2");

    let stale = UserRecord {
        title: Some("stale".into()),
        version: 2,
        children: vec![email("x@y", "work", true)],
        ..ada.clone()
    };
    assert_eq!(
        store.write(|tx| tx.update_user(&stale, 1)),
        Err(StorageError::VersionMismatch { current: 2 })
    );
    assert_eq!(store.read(|tx| tx.get_user(&t, &ada.id)), Ok(Some(v2)));
}

fn an_update_of_a_missing_user_is_not_found(store: &Store) {
    let t = tenant(store, "contoso");
    assert_eq!(
        store.write(|tx| tx.update_user(&user(&t, "ghost"), 1)),
        Err(StorageError::NotFound)
    );
}

fn renaming_onto_a_taken_user_name_conflicts_and_changes_nothing(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = UserRecord {
        children: vec![email("ada@x", "work", true)],
        ..user(&t, "ada")
    };
    store.write(|tx| tx.insert_user(&ada)).expect("insert ada");
    store.write(|tx| tx.insert_user(&user(&t, "bob"))).expect("insert bob");

    let renamed = UserRecord {
        user_name: "BOB".into(),
        version: 2,
        children: vec![],
        ..ada.clone()
    };
    assert_eq!(
        store.write(|tx| tx.update_user(&renamed, 1)),
        Err(StorageError::Conflict {
            what: "users.user_name".into()
        })
    );
    assert_eq!(store.read(|tx| tx.get_user(&t, &ada.id)), Ok(Some(ada)));
}

fn a_deleted_user_and_its_children_are_gone(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = full_user(&t);
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    store
        .write(|tx| tx.delete_user(&t, &ada.id, None, tick()))
        .expect("delete");
    assert_eq!(store.read(|tx| tx.get_user(&t, &ada.id)), Ok(None));
    assert_eq!(
        store.write(|tx| tx.delete_user(&t, &ada.id, None, tick())),
        Err(StorageError::NotFound)
    );

    let any_email = UserPredicate::AnyChild(
        MultiValuedAttr::Emails,
        Predicate::Present(crate::query::ChildColumn::Value),
    );
    assert_eq!(
        store
            .read(|tx| tx.list_users(
                &t,
                &UserQuery {
                    predicate: any_email,
                    ..UserQuery::all(10)
                }
            ))
            .map(|p| p.total),
        Ok(0)
    );
    // Same id and children again: nothing of the old rows is left to collide with.
    store.write(|tx| tx.insert_user(&ada)).expect("insert again");
    assert_eq!(store.read(|tx| tx.get_user(&t, &ada.id)), Ok(Some(ada)));
}

fn a_delete_checks_the_version_when_given_one(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = UserRecord {
        version: 3,
        ..user(&t, "ada")
    };
    store.write(|tx| tx.insert_user(&ada)).expect("insert");
    assert_eq!(
        store.write(|tx| tx.delete_user(&t, &ada.id, Some(2), tick())),
        Err(StorageError::VersionMismatch { current: 3 })
    );
    assert!(store.read(|tx| tx.get_user(&t, &ada.id)).expect("get").is_some());
    store
        .write(|tx| tx.delete_user(&t, &ada.id, Some(3), tick()))
        .expect("delete");
    assert_eq!(
        store.write(|tx| tx.delete_user(&t, &ada.id, Some(3), tick())),
        Err(StorageError::NotFound)
    );
}

fn a_user_of_another_tenant_is_invisible_and_untouchable(store: &Store) {
    let a = tenant(store, "a");
    let b = tenant(store, "b");
    let ada = UserRecord {
        children: vec![email("ada@x", "work", true)],
        ..user(&a, "ada")
    };
    store.write(|tx| tx.insert_user(&ada)).expect("insert");

    assert_eq!(store.read(|tx| tx.get_user(&b, &ada.id)), Ok(None));
    let everything = store.read(|tx| tx.list_users(&b, &UserQuery::all(100))).expect("list");
    assert_eq!((everything.total, everything.users.len()), (0, 0));
    let by_name = UserQuery {
        predicate: exact(UserColumn::UserName, CompareOp::Eq, "ada"),
        ..UserQuery::all(10)
    };
    assert_eq!(store.read(|tx| tx.list_users(&b, &by_name)).map(|p| p.total), Ok(0));

    let hijack = UserRecord {
        tenant_id: b.clone(),
        title: Some("hijacked".into()),
        version: 2,
        ..ada.clone()
    };
    assert_eq!(
        store.write(|tx| tx.update_user(&hijack, 1)),
        Err(StorageError::NotFound)
    );
    assert_eq!(
        store.write(|tx| tx.delete_user(&b, &ada.id, None, tick())),
        Err(StorageError::NotFound)
    );
    assert_eq!(
        store.write(|tx| tx.delete_user(&b, &ada.id, Some(1), tick())),
        Err(StorageError::NotFound)
    );
    assert_eq!(store.read(|tx| tx.get_user(&a, &ada.id)), Ok(Some(ada)));
}

fn a_failed_write_transaction_leaves_nothing_behind(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = UserRecord {
        children: vec![email("ada@x", "work", true)],
        ..user(&t, "ada")
    };
    let outcome: Result<(), StorageError> = store.write(|tx| {
        tx.insert_user(&ada)?;
        tx.insert_user(&user(&t, "ADA")) // conflicts: the whole transaction rolls back
    });
    assert_eq!(
        outcome,
        Err(StorageError::Conflict {
            what: "users.user_name".into()
        })
    );
    assert_eq!(store.read(|tx| tx.get_user(&t, &ada.id)), Ok(None));
    store.write(|tx| tx.insert_user(&ada)).expect("nothing was left behind");
}

fn writes_in_one_transaction_commit_together(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    let bob = user(&t, "bob");
    store
        .write(|tx| {
            tx.insert_user(&ada)?;
            tx.insert_user(&bob)?;
            let read_back = tx.get_user(&t, &ada.id)?;
            assert_eq!(read_back.as_ref(), Some(&ada), "a transaction sees its own writes");
            tx.update_user(
                &UserRecord {
                    version: 2,
                    ..ada.clone()
                },
                1,
            )
        })
        .expect("write");
    let versions: Vec<i64> = all_users(store, &t).iter().map(|u| u.version).collect();
    assert_eq!(versions, [2, 1]);
}
