//! The published Group schema and `User.groups` against what the core stores, filters,
//! patches and enforces.

use std::collections::BTreeSet;

use idsync_proto::v1::{Group, GroupRef, User};
use idsync_storage::records::MembershipRecord;

use super::*;
use crate::error::ScimType;
use crate::groups::convert::membership_to_ref;
use crate::groups::patch::plan_patch;
use crate::groups::schema::{GROUP_LEAVES, MEMBER_SUBS, USER_GROUP_SUBS};
use crate::test_support::{op, scim_type, tenant_core};

fn sub_names(a: &Attribute) -> BTreeSet<&str> {
    a.sub_attributes.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn every_stored_group_attribute_is_published_exactly_once_and_nothing_else() {
    let mut stored = BTreeSet::new();
    for def in GROUP_LEAVES.iter().filter(|d| d.attr != "meta") {
        stored.insert(format!("{GROUP_URN}|{}", def.attr));
        if let Some(sub) = def.sub {
            stored.insert(format!("{GROUP_URN}|{}.{sub}", def.attr));
        }
    }
    stored.insert(format!("{GROUP_URN}|members"));
    for sub in MEMBER_SUBS {
        stored.insert(format!("{GROUP_URN}|members.{}", sub.name));
    }
    assert_eq!(published_paths(&[GROUP_URN]), stored);
    let names: Vec<_> = schema(GROUP_URN).attributes.iter().map(|a| a.name.clone()).collect();
    assert_eq!(names, ["id", "externalId", "displayName", "members"]);
}

#[test]
fn group_attributes_carry_the_characteristics_of_their_table() {
    let group = schema(GROUP_URN);
    let display_name = attr(&group.attributes, "displayName");
    assert!(display_name.required && !display_name.case_exact);
    assert_eq!(display_name.uniqueness(), AttributeUniqueness::Server);
    assert_eq!(display_name.mutability(), AttributeMutability::ReadWrite);

    let members = attr(&group.attributes, "members");
    assert!(members.multi_valued);
    assert_eq!(members.mutability(), AttributeMutability::ReadWrite);
    for sub in MEMBER_SUBS {
        let published = attr(&members.sub_attributes, sub.name);
        assert_eq!(published.case_exact, sub.case_exact, "members.{}", sub.name);
        assert_eq!(
            published.mutability(),
            spec::attribute_mutability(sub.mutability),
            "members.{}",
            sub.name
        );
    }
    let display = attr(&members.sub_attributes, "display");
    assert_eq!(display.mutability(), AttributeMutability::ReadOnly);
    assert_eq!(attr(&members.sub_attributes, "$ref").reference_types, ["User", "Group"]);
}

/// The published mutability is what group PATCH does: a readOnly or immutable attribute
/// is refused with `mutability`, a readWrite one is written.
#[test]
fn group_patch_enforces_exactly_the_published_mutability() {
    let group = schema(GROUP_URN);
    for a in &group.attributes {
        let value = match a.name.as_str() {
            "members" => json!([{"value": "u1"}]),
            _ => json!("Value"),
        };
        let planned = plan_patch(&[op("replace", Some(&a.name), Some(value))]);
        match a.mutability() {
            AttributeMutability::ReadWrite => assert!(planned.is_ok(), "{}: {planned:?}", a.name),
            other => assert_eq!(
                scim_type(planned.unwrap_err()),
                ScimType::Mutability,
                "{} is {other:?}",
                a.name
            ),
        }
    }
    for sub in &attr(&group.attributes, "members").sub_attributes {
        assert_ne!(sub.mutability(), AttributeMutability::ReadWrite, "members.{}", sub.name);
        for path in [
            format!("members.{}", sub.name),
            format!("members[value eq \"u1\"].{}", sub.name),
        ] {
            let planned = plan_patch(&[op("replace", Some(&path), Some(json!("x")))]);
            assert_eq!(scim_type(planned.unwrap_err()), ScimType::Mutability, "{path}");
        }
    }
}

/// `User.groups` publishes what the core fills in: `$ref` is never set, so it is not
/// published (nor filterable).
#[test]
fn a_users_groups_publish_exactly_the_sub_attributes_the_core_fills_in() {
    let GroupRef {
        value,
        r#ref,
        display,
        r#type,
    } = membership_to_ref(&MembershipRecord {
        group_id: "g1".into(),
        display_name: "Ops".into(),
    });
    let filled: BTreeSet<&str> = [
        ("value", Some(value)),
        ("$ref", r#ref),
        ("display", display),
        ("type", r#type),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.map(|_| name))
    .collect();
    let user = schema(USER_URN);
    let groups = attr(&user.attributes, "groups");
    assert_eq!(sub_names(groups), filled);
    let table: BTreeSet<&str> = USER_GROUP_SUBS.iter().map(|s| s.name).collect();
    assert_eq!(table, filled);
    assert_eq!(
        attr(&groups.sub_attributes, "type").canonical_values,
        ["direct", "indirect"]
    );
}

fn group_with(attribute: &str, value: &str, tag: &str) -> Group {
    match attribute {
        "displayName" => Group {
            display_name: value.into(),
            ..Group::default()
        },
        "externalId" => Group {
            display_name: format!("{attribute}-{tag}"),
            external_id: Some(value.into()),
            ..Group::default()
        },
        other => panic!("teach this test to write the Group attribute {other}"),
    }
}

/// Every writable string attribute published `uniqueness: server` is refused when a
/// second resource of the tenant takes its value (in another letter case unless
/// caseExact); one published `none` is not.
#[tokio::test]
async fn published_uniqueness_is_what_the_store_enforces() {
    let (core, caller, _db) = tenant_core().await;
    let group = schema(GROUP_URN);
    let writable = group.attributes.iter().filter(|a| {
        a.mutability() == AttributeMutability::ReadWrite && a.r#type() == AttributeType::String && !a.multi_valued
    });
    for a in writable {
        let again = if a.case_exact { "Shared-Value" } else { "SHARED-value" };
        core.create_group(&caller, group_with(&a.name, "Shared-Value", "first"))
            .await
            .unwrap();
        let second = core.create_group(&caller, group_with(&a.name, again, "second")).await;
        match a.uniqueness() {
            AttributeUniqueness::Server => {
                assert!(
                    matches!(second, Err(CoreError::Uniqueness(_))),
                    "{}: {second:?}",
                    a.name
                );
            }
            _ => assert!(second.is_ok(), "{}: {second:?}", a.name),
        }
    }

    let user = schema(USER_URN);
    let unique: Vec<&str> = user
        .attributes
        .iter()
        .filter(|a| a.uniqueness() == AttributeUniqueness::Server)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(unique, ["id", "userName"]);
    let person = |user_name: &str, external_id: &str| User {
        user_name: user_name.into(),
        external_id: Some(external_id.into()),
        ..User::default()
    };
    core.create_user(&caller, person("ada@contoso.com", "E1"))
        .await
        .unwrap();
    let same_name = core.create_user(&caller, person("ADA@contoso.com", "E2")).await;
    assert!(matches!(same_name, Err(CoreError::Uniqueness(_))), "{same_name:?}");
    let same_external_id = core.create_user(&caller, person("bob@contoso.com", "E1")).await;
    assert!(same_external_id.is_ok(), "externalId is published uniqueness none");
}
