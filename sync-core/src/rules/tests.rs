#![allow(clippy::unwrap_used)]

use idsync_storage::query::MultiValuedAttr;
use idsync_storage::records::{
    ChildValue, CreatePolicy, MatchPolicy, RuleResource, ScopingRuleRecord, UpdatePolicy, UserRecord,
};

use super::matching::adopted;
use super::scope::{Decision, WriteKind, decide};
use super::spec::{MatchAttribute, compile_scoping_filter, matching_rule, parse_match_attributes};
use crate::error::CoreError;

fn rule(create_policy: CreatePolicy, update_policy: UpdatePolicy) -> ScopingRuleRecord {
    ScopingRuleRecord {
        tenant_id: "t".into(),
        resource: RuleResource::User,
        filter: "active eq true".into(),
        create_policy,
        update_policy,
    }
}

#[test]
fn a_create_out_of_scope_follows_the_create_policy() {
    let reject = rule(CreatePolicy::Reject, UpdatePolicy::Delete);
    let accept = rule(CreatePolicy::AcceptDisabled, UpdatePolicy::Delete);
    assert_eq!(decide(Some(&reject), WriteKind::Create, false, false), Decision::Reject);
    assert_eq!(
        decide(Some(&accept), WriteKind::Create, false, false),
        Decision::Disable
    );
    assert_eq!(decide(Some(&reject), WriteKind::Create, true, false), Decision::Keep);
}

#[test]
fn an_update_that_leaves_scope_follows_the_update_policy() {
    let cases = [
        (UpdatePolicy::Deactivate, Decision::Disable),
        (UpdatePolicy::Delete, Decision::Delete),
        (UpdatePolicy::Reject, Decision::Reject),
    ];
    for (policy, expected) in cases {
        let r = rule(CreatePolicy::Reject, policy);
        assert_eq!(
            decide(Some(&r), WriteKind::Update, false, false),
            expected,
            "{policy:?}"
        );
    }
}

#[test]
fn a_marked_resource_stays_disabled_until_a_write_brings_it_back() {
    let r = rule(CreatePolicy::Reject, UpdatePolicy::Delete);
    assert_eq!(decide(Some(&r), WriteKind::Update, false, true), Decision::Disable);
    assert_eq!(decide(Some(&r), WriteKind::Update, true, true), Decision::Restore);
    assert_eq!(decide(None, WriteKind::Update, true, true), Decision::Restore);
    assert_eq!(decide(None, WriteKind::Update, true, false), Decision::Keep);
}

#[test]
fn a_scoping_filter_syntax_error_names_its_position() {
    let error = compile_scoping_filter(RuleResource::User, "userName eq").unwrap_err();
    let CoreError::Invalid { detail, .. } = error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("at character 12"), "{detail}");
    assert!(detail.contains("User scoping filter"), "{detail}");
}

#[test]
fn a_scoping_filter_uses_each_resource_types_schema() {
    assert!(compile_scoping_filter(RuleResource::User, "userName sw \"a\"").is_ok());
    assert!(compile_scoping_filter(RuleResource::Group, "userName sw \"a\"").is_err());
    assert!(compile_scoping_filter(RuleResource::Group, "displayName sw \"a\"").is_ok());
    assert!(compile_scoping_filter(RuleResource::User, "  ").is_err());
}

#[test]
fn matching_attributes_parse_ignoring_name_case_and_blanks_but_not_the_type_value() {
    assert_eq!(MatchAttribute::parse("EXTERNALID").unwrap(), MatchAttribute::ExternalId);
    assert_eq!(
        MatchAttribute::parse("emails[ primary eq true ].value").unwrap(),
        MatchAttribute::PrimaryEmail
    );
    assert_eq!(
        MatchAttribute::parse("Emails[Type eq \"work\"].Value").unwrap(),
        MatchAttribute::WorkEmail
    );
    assert!(MatchAttribute::parse("emails[type eq \"WORK\"].value").is_err());
    assert!(MatchAttribute::parse("displayName").is_err());
}

#[test]
fn an_empty_attribute_list_means_external_id_then_user_name_and_repeats_are_refused() {
    assert_eq!(
        parse_match_attributes(&[]).unwrap(),
        [MatchAttribute::ExternalId, MatchAttribute::UserName]
    );
    assert!(parse_match_attributes(&["userName".into(), "USERNAME".into()]).is_err());
    let stored = matching_rule("t", &["username".into()], MatchPolicy::Adopt).unwrap();
    assert_eq!(stored.attributes, ["userName"]);
}

fn email(value: &str, type_: &str, primary: bool) -> (MultiValuedAttr, ChildValue) {
    let child = ChildValue {
        value: Some(value.into()),
        type_: Some(type_.into()),
        primary: Some(primary),
        ..ChildValue::default()
    };
    (MultiValuedAttr::Emails, child)
}

#[test]
fn matching_values_come_from_the_attribute_each_rule_names() {
    let user = UserRecord {
        user_name: "ada".into(),
        children: vec![
            email("home@example.com", "home", true),
            email("ada@contoso.com", "work", false),
        ],
        ..UserRecord::default()
    };
    assert_eq!(MatchAttribute::ExternalId.value_of(&user), None);
    assert_eq!(MatchAttribute::UserName.value_of(&user), Some("ada"));
    assert_eq!(MatchAttribute::PrimaryEmail.value_of(&user), Some("home@example.com"));
    assert_eq!(MatchAttribute::WorkEmail.value_of(&user), Some("ada@contoso.com"));
    for attribute in [MatchAttribute::ExternalId, MatchAttribute::WorkEmail] {
        assert!(attribute.predicate("x\"y").is_ok());
    }
}

#[test]
fn an_adopted_user_keeps_identity_and_history_and_takes_every_incoming_value() {
    let existing = UserRecord {
        tenant_id: "t".into(),
        id: "u1".into(),
        user_name: "ADA".into(),
        display_name: Some("old".into()),
        password_hash: Some("hash".into()),
        created_us: 10,
        last_modified_us: 20,
        version: 3,
        created_by_token: Some("app".into()),
        ..UserRecord::default()
    };
    let incoming = UserRecord {
        user_name: "ada".into(),
        external_id: Some("e".into()),
        created_by_token: Some("entra".into()),
        ..UserRecord::default()
    };
    let next = adopted(&existing, incoming, "entra", 15);
    assert_eq!((next.id.as_str(), next.tenant_id.as_str()), ("u1", "t"));
    assert_eq!((next.user_name.as_str(), next.display_name), ("ada", None));
    assert_eq!(next.external_id.as_deref(), Some("e"));
    assert_eq!(next.created_by_token.as_deref(), Some("app"));
    assert_eq!(next.adopted_by_token.as_deref(), Some("entra"));
    assert_eq!(next.password_hash.as_deref(), Some("hash"));
    assert_eq!((next.created_us, next.last_modified_us, next.version), (10, 20, 4));
}

/// Replacing a tenant's rules from many writers at once (operators, replicas) must
/// serialize: each replacement deletes then inserts, and two that interleave would
/// both insert the same row.
fn concurrent_replacements_all_succeed(db: &idsync_storage::test_util::TestDb) {
    use super::admin::{TenantRules, get_rules, replace_rules};
    let store = db.store();
    let tenant = crate::admin::create_tenant(&store, "racers", None, false).unwrap();
    let results: Vec<_> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let (store, tenant_id) = (&store, tenant.id.as_str());
                scope.spawn(move || {
                    let rules = TenantRules {
                        scoping: vec![ScopingRuleRecord {
                            tenant_id: tenant_id.to_owned(),
                            resource: RuleResource::User,
                            filter: format!("userName ew \"@w{i}.example\""),
                            create_policy: CreatePolicy::Reject,
                            update_policy: UpdatePolicy::Deactivate,
                        }],
                        matching: None,
                    };
                    replace_rules(store, tenant_id, rules).map(|_| ())
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for result in &results {
        assert!(result.is_ok(), "every replacement succeeds: {result:?}");
    }
    let stored = get_rules(&store, &tenant.id).unwrap();
    assert_eq!(stored.scoping.len(), 1, "one user rule survives: {stored:?}");
}

#[test]
fn concurrent_rule_replacements_all_succeed_on_postgres() {
    concurrent_replacements_all_succeed(&idsync_storage::test_util::TestDb::postgres());
}

#[test]
fn concurrent_rule_replacements_all_succeed_on_sqlite() {
    concurrent_replacements_all_succeed(&idsync_storage::test_util::TestDb::sqlite());
}

/// Two cores on one database stand for two replicas: each keeps its own compiled
/// rules, and a rule set or cleared through one must govern the very next write
/// through the other.
#[tokio::test]
async fn a_rule_set_through_one_replica_governs_the_next_write_through_another() {
    use idsync_proto::v1::User;

    use super::admin::{TenantRules, replace_rules};

    let (a, caller, db) = crate::test_support::tenant_core().await;
    let b = crate::Core::new(db.store(), crate::CoreSettings::default());
    let named = |name: &str, title: Option<&str>| User {
        user_name: name.into(),
        title: title.map(Into::into),
        ..User::default()
    };
    // Each replica writes once, and so keeps the tenant's rules (none yet).
    a.create_user(&caller, named("first", None)).await.unwrap();
    b.create_user(&caller, named("second", None)).await.unwrap();

    let engineers_only = TenantRules {
        scoping: vec![ScopingRuleRecord {
            tenant_id: caller.tenant_id.clone(),
            resource: RuleResource::User,
            filter: "title eq \"engineer\"".into(),
            create_policy: CreatePolicy::Reject,
            update_policy: UpdatePolicy::Reject,
        }],
        matching: None,
    };
    replace_rules(a.store(), &caller.tenant_id, engineers_only).unwrap();
    let refused = b.create_user(&caller, named("third", None)).await.unwrap_err();
    assert!(matches!(refused, CoreError::OutOfScope(_)), "{refused:?}");
    b.create_user(&caller, named("fourth", Some("engineer"))).await.unwrap();

    replace_rules(a.store(), &caller.tenant_id, TenantRules::default()).unwrap();
    b.create_user(&caller, named("fifth", None)).await.unwrap();
    a.create_user(&caller, named("sixth", None)).await.unwrap();
}
