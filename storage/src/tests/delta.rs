//! What the hot paths write and read: a user update that writes only the values that
//! changed, the static lookups, and the stamp that a rule change moves on.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

use super::{count_statements, email, exact, phone, tenant, text, tick, user};
use crate::Store;
use crate::conn::TxMode;
use crate::query::{CompareOp, Predicate, UserColumn, UserPredicate};
use crate::records::{CreatePolicy, MatchPolicy, MatchingRuleRecord, RuleResource, ScopingRuleRecord, UpdatePolicy};
use crate::records::{UserQuery, UserRecord};

crate::tests::on_both_backends! {
    a_delta_update_reads_back_as_the_new_user_whatever_the_values_did,
    a_delta_update_of_one_value_writes_one_value_row,
    the_static_lookups_find_what_the_general_filter_finds,
    setting_or_clearing_a_rule_moves_the_rules_stamp_on,
}

/// `previous` at the next version with `children`.
fn next_version(
    previous: &UserRecord,
    children: Vec<(crate::query::MultiValuedAttr, crate::records::ChildValue)>,
) -> UserRecord {
    UserRecord {
        version: previous.version + 1,
        last_modified_us: tick(),
        children,
        ..previous.clone()
    }
}

fn a_delta_update_reads_back_as_the_new_user_whatever_the_values_did(store: &Store) {
    let t = tenant(store, "contoso");
    let mut stored = UserRecord {
        children: vec![
            email("a@example.com", "work", true),
            phone("+1 1", "work"),
            email("b@example.com", "home", false),
        ],
        ..user(&t, "ada")
    };
    store.write(|tx| tx.insert_user(&stored)).unwrap();
    let steps = [
        // One value changed in place.
        vec![
            email("a@example.com", "work", true),
            phone("+1 2", "work"),
            email("b@example.com", "home", false),
        ],
        // Another attribute at a position, and a value added at the end.
        vec![
            phone("+1 2", "work"),
            email("a@example.com", "work", true),
            email("b@example.com", "home", false),
            phone("+1 3", "mobile"),
        ],
        // Shorter: the tail goes.
        vec![phone("+1 2", "work")],
        // Nothing at all.
        vec![],
        // Back from nothing.
        vec![email("c@example.com", "work", true), phone("+1 4", "work")],
    ];
    for children in steps {
        let next = UserRecord {
            title: Some(format!("title {}", children.len())),
            ..next_version(&stored, children)
        };
        store
            .write(|tx| tx.update_user_from(&stored, &next, stored.version))
            .unwrap();
        assert_eq!(store.read(|tx| tx.get_user(&t, &next.id)), Ok(Some(next.clone())));
        stored = next;
    }
}

fn a_delta_update_of_one_value_writes_one_value_row(store: &Store) {
    let t = tenant(store, "contoso");
    let stored = UserRecord {
        children: vec![
            email("a@example.com", "work", true),
            phone("+1 1", "work"),
            phone("+1 9", "mobile"),
        ],
        ..user(&t, "ada")
    };
    store.write(|tx| tx.insert_user(&stored)).unwrap();
    let unchanged = next_version(&stored, stored.children.clone());
    let (_, row_only) = count_statements(store, TxMode::Write, |tx| {
        tx.update_user_from(&stored, &unchanged, stored.version)
    });
    let one_phone = next_version(
        &unchanged,
        vec![
            email("a@example.com", "work", true),
            phone("+1 2", "work"),
            phone("+1 9", "mobile"),
        ],
    );
    let (_, one_value) = count_statements(store, TxMode::Write, |tx| {
        tx.update_user_from(&unchanged, &one_phone, unchanged.version)
    });
    // The user row, plus exactly one statement for the one value that changed (a
    // full rewrite would delete all three and insert them again).
    assert_eq!(one_value, row_only + 1);
    assert_eq!(store.read(|tx| tx.get_user(&t, &stored.id)), Ok(Some(one_phone)));
}

fn the_static_lookups_find_what_the_general_filter_finds(store: &Store) {
    let t = tenant(store, "contoso");
    let mut users = Vec::new();
    for (name, external) in [("Ada@Example.com", "E-1"), ("grace", "e-1"), ("alan", "E-2")] {
        let u = UserRecord {
            external_id: Some(external.into()),
            children: vec![email(&format!("{name}@mail"), "work", true)],
            ..user(&t, name)
        };
        store.write(|tx| tx.insert_user(&u)).unwrap();
        users.push(u);
    }
    let other = tenant(store, "fabrikam");
    store
        .write(|tx| tx.insert_user(&user(&other, "ada@example.com")))
        .unwrap();

    let lookups = [
        text(UserColumn::UserName, CompareOp::Eq, "ADA@example.COM"),
        exact(UserColumn::ExternalId, CompareOp::Eq, "E-1"),
        exact(UserColumn::Id, CompareOp::Eq, &users[2].id),
        text(UserColumn::UserName, CompareOp::Eq, "nobody"),
    ];
    for predicate in lookups {
        let fast = UserQuery {
            predicate: predicate.clone(),
            ..UserQuery::all(10)
        };
        // The same condition, wrapped so that it takes the general compiler's path.
        let general = UserQuery {
            predicate: UserPredicate::And(
                Box::new(predicate.clone()),
                Box::new(UserPredicate::Row(Predicate::Const(true))),
            ),
            ..UserQuery::all(10)
        };
        let found = store.read(|tx| tx.list_users(&t, &fast)).unwrap();
        assert_eq!(
            found,
            store.read(|tx| tx.list_users(&t, &general)).unwrap(),
            "{predicate:?}"
        );
        // A page past the first still counts them all.
        let later = UserQuery {
            offset: 1,
            ..fast.clone()
        };
        assert_eq!(store.read(|tx| tx.list_users(&t, &later)).unwrap().total, found.total);
    }
    let ada = UserQuery {
        predicate: text(UserColumn::UserName, CompareOp::Eq, "ada@EXAMPLE.com"),
        ..UserQuery::all(10)
    };
    assert_eq!(
        store.read(|tx| tx.list_users(&t, &ada)).unwrap().users,
        vec![users[0].clone()]
    );
}

fn setting_or_clearing_a_rule_moves_the_rules_stamp_on(store: &Store) {
    let t = tenant(store, "contoso");
    let stamp = || store.read(|tx| tx.rules_version(&t)).unwrap().unwrap();
    let before = stamp();
    let rule = ScopingRuleRecord {
        tenant_id: t.clone(),
        resource: RuleResource::User,
        filter: "active eq true".into(),
        create_policy: CreatePolicy::Reject,
        update_policy: UpdatePolicy::Deactivate,
    };
    store.write(|tx| tx.put_scoping_rule(&rule)).unwrap();
    let after_scoping = stamp();
    assert!(after_scoping > before);
    let matching = MatchingRuleRecord {
        tenant_id: t.clone(),
        attributes: vec!["userName".into()],
        policy: MatchPolicy::Adopt,
    };
    store.write(|tx| tx.put_matching_rule(&matching)).unwrap();
    let after_matching = stamp();
    assert!(after_matching > after_scoping);
    store
        .write(|tx| tx.delete_scoping_rule(&t, RuleResource::User))
        .unwrap();
    assert!(stamp() > after_matching);
    // Reads and user writes leave it alone.
    let settled = stamp();
    store.read(|tx| tx.scoping_rules(&t)).unwrap();
    store.write(|tx| tx.insert_user(&user(&t, "ada"))).unwrap();
    assert_eq!(stamp(), settled);
    assert_eq!(store.read(|tx| tx.rules_version("no-such-tenant")).unwrap(), None);
}
