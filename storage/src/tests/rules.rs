//! Tenant rules and the in-transaction checks that apply them.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

use super::{exact, tenant, text, user};
use crate::Store;
use crate::query::{CompareOp, UserColumn};
use crate::records::{
    CreatePolicy, MatchPolicy, MatchingRuleRecord, RuleResource, ScopingRuleRecord, UpdatePolicy, UserRecord,
};

crate::tests::on_both_backends! {
    rules_round_trip_and_setting_one_replaces_it,
    a_stored_user_is_tested_against_a_predicate_in_sql,
    candidates_leave_out_users_linked_to_the_calling_token,
    scope_markers_are_found_among_member_ids,
}

fn scoping(tenant_id: &str, filter: &str) -> ScopingRuleRecord {
    ScopingRuleRecord {
        tenant_id: tenant_id.into(),
        resource: RuleResource::User,
        filter: filter.into(),
        create_policy: CreatePolicy::AcceptDisabled,
        update_policy: UpdatePolicy::Delete,
    }
}

fn rules_round_trip_and_setting_one_replaces_it(store: &Store) {
    let t = tenant(store, "contoso");
    let matching = MatchingRuleRecord {
        tenant_id: t.clone(),
        attributes: vec!["externalId".into(), "emails[type eq \"work\"].value".into()],
        policy: MatchPolicy::Adopt,
    };
    store
        .write(|tx| {
            tx.put_scoping_rule(&scoping(&t, "a pr"))?;
            tx.put_scoping_rule(&scoping(&t, "b pr"))?;
            tx.put_matching_rule(&matching)
        })
        .unwrap();
    let (rules, found) = store
        .read(|tx| Ok((tx.scoping_rules(&t)?, tx.matching_rule(&t)?)))
        .unwrap();
    assert_eq!(rules, [scoping(&t, "b pr")]);
    assert_eq!(found, Some(matching));
    assert!(store.write(|tx| tx.delete_matching_rule(&t)).unwrap());
    assert_eq!(store.read(|tx| tx.matching_rule(&t)).unwrap(), None);
}

fn a_stored_user_is_tested_against_a_predicate_in_sql(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "Ada@Contoso.com");
    store.write(|tx| tx.insert_user(&ada)).unwrap();
    let ends_with = |s: &str| text(UserColumn::UserName, CompareOp::EndsWith, s);
    let (inside, outside) = store
        .read(|tx| {
            Ok((
                tx.user_satisfies(&t, &ada.id, &ends_with("@contoso.com"))?,
                tx.user_satisfies(&t, &ada.id, &ends_with("@fabrikam.com"))?,
            ))
        })
        .unwrap();
    assert!(inside && !outside);
}

fn candidates_leave_out_users_linked_to_the_calling_token(store: &Store) {
    let t = tenant(store, "contoso");
    let with = |name: &str, created: Option<&str>, adopted: Option<&str>| UserRecord {
        created_by_token: created.map(str::to_owned),
        adopted_by_token: adopted.map(str::to_owned),
        external_id: Some("same".into()),
        ..user(&t, name)
    };
    let users = [
        with("nobody", None, None),
        with("app", Some("app"), None),
        with("entra-created", Some("entra"), None),
        with("entra-adopted", Some("app"), Some("entra")),
        with("taken-from-entra", Some("entra"), Some("other")),
    ];
    for u in &users {
        store.write(|tx| tx.insert_user(u)).unwrap();
    }
    let same = exact(UserColumn::ExternalId, CompareOp::Eq, "same");
    let ids = store.read(|tx| tx.unlinked_users(&t, &same, "entra", 10)).unwrap();
    let expected: Vec<String> = [0, 1, 4].iter().map(|&i| users[i].id.clone()).collect();
    assert_eq!(ids, expected);
    assert_eq!(
        store.read(|tx| tx.unlinked_users(&t, &same, "entra", 2)).unwrap().len(),
        2
    );
}

fn scope_markers_are_found_among_member_ids(store: &Store) {
    let t = tenant(store, "contoso");
    let ada = user(&t, "ada");
    let bob = user(&t, "bob");
    store.write(|tx| tx.insert_user(&ada)).unwrap();
    store.write(|tx| tx.insert_user(&bob)).unwrap();
    store.write(|tx| tx.set_user_scope(&t, &bob.id, true, false)).unwrap();
    let stored = store.read(|tx| tx.get_user(&t, &bob.id)).unwrap().unwrap();
    assert!(stored.out_of_scope && stored.active == Some(false) && stored.version == bob.version);
    let ids = [ada.id.clone(), bob.id.clone(), "nobody".into()];
    let marked: Vec<(String, bool)> = store
        .write(|tx| tx.resolve_members(&t, &ids))
        .unwrap()
        .into_iter()
        .map(|m| (m.id, m.out_of_scope))
        .collect();
    let mut expected = vec![(ada.id, false), (bob.id, true)];
    expected.sort();
    let mut marked = marked;
    marked.sort();
    assert_eq!(marked, expected);
}
