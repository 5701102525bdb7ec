#![allow(clippy::unwrap_used)]

use idsync_proto::v1::{EnterpriseUser, Manager, Name, User};
use serde_json::json;

use super::{apply_complex, apply_leaf, complex, display_leaf, slot};
use crate::error::ScimType;
use crate::schema::{ENTERPRISE_URN, Leaf, LeafDef, Mutability, USER_LEAVES, USER_URN};
use crate::test_support::{op, scim_type, value};
use crate::users::convert::user_to_record;
use crate::users::diff::changed_attributes;
use crate::users::patch::{Op, apply_patch};

fn grace() -> User {
    User {
        id: "u1".into(),
        user_name: "grace@contoso.com".into(),
        ..User::default()
    }
}

/// The path of `def`, qualified by its schema URN so that no leaf relies on a default.
fn path(def: &LeafDef) -> String {
    format!("{}:{}", def.urn, display_leaf(def))
}

/// How the change feed names a change to `def` (`users::diff`), which maps record
/// fields to attribute names without going through PATCH: the enterprise `manager` is
/// named as a whole.
fn feed_name(def: &LeafDef) -> String {
    if def.urn == ENTERPRISE_URN {
        format!("{ENTERPRISE_URN}:{}", def.attr)
    } else {
        display_leaf(def)
    }
}

#[test]
fn the_mapping_stores_exactly_the_leaves_the_schema_publishes_as_writable() {
    // So through a real request the refusal below is reachable only for leaves the
    // table itself calls readOnly, and it answers them as the table does.
    for def in USER_LEAVES {
        let stored = slot(def.leaf).is_some();
        assert_eq!(stored, def.mutability != Mutability::ReadOnly, "{}", path(def));
    }
}

#[test]
fn a_leaf_without_a_field_is_refused_even_when_called_writable_and_nothing_is_written() {
    // A table row that claimed `manager.displayName` (or `id`, `meta.*`) writable used
    // to reach a catch-all that wrote the manager's displayName.
    let unstored: Vec<&LeafDef> = USER_LEAVES.iter().filter(|d| slot(d.leaf).is_none()).collect();
    assert!(unstored.iter().any(|d| d.leaf == Leaf::ManagerDisplayName));
    for def in unstored {
        let writable = LeafDef {
            mutability: Mutability::ReadWrite,
            ..*def
        };
        for (op, v) in [(Op::Add, Some("x")), (Op::Replace, Some("x")), (Op::Remove, None)] {
            let mut user = grace();
            let v = v.map(|v| value(json!(v)));
            let e = apply_leaf(&mut user, op, &writable, v.as_ref()).unwrap_err();
            assert_eq!(scim_type(e), ScimType::Mutability, "{op:?} {}", path(def));
            assert_eq!(user, grace(), "{op:?} {}", path(def));
        }
    }
}

#[test]
fn every_leaf_of_the_schema_table_round_trips_through_the_mapping() {
    for def in USER_LEAVES {
        let path = path(def);
        let before = grace();
        let written = match def.leaf {
            Leaf::Active => json!(true),
            _ => json!(format!("v-{path}")),
        };
        let mut user = before.clone();
        let result = apply_patch(&mut user, &[op("replace", Some(&path), Some(written.clone()))]);
        if def.mutability == Mutability::ReadOnly {
            assert_eq!(scim_type(result.unwrap_err()), ScimType::Mutability, "{path}");
            assert_eq!(user, before, "{path}");
            continue;
        }
        result.unwrap();
        let (old, _) = user_to_record(before.clone()).unwrap();
        let (new, password) = user_to_record(user.clone()).unwrap();
        if def.leaf == Leaf::Password {
            // Handed back for hashing, never stored as given.
            assert_eq!(password.as_deref(), written.as_str(), "{path}");
            assert_eq!(new, old, "{path}");
        } else {
            // Exactly this attribute changed, to the value written.
            assert_eq!(changed_attributes(&old, &new), [feed_name(def)], "{path}");
            if let Some(text) = written.as_str() {
                assert!(format!("{new:?}").contains(&format!("{text:?}")), "{path}: {new:?}");
            }
        }
        let removed = apply_patch(&mut user, &[op("remove", Some(&path), None)]);
        if def.leaf == Leaf::UserName {
            assert_eq!(scim_type(removed.unwrap_err()), ScimType::Mutability, "{path}");
        } else {
            removed.unwrap();
            assert_eq!(user_to_record(user).unwrap(), (old, None), "{path}");
        }
    }
}

#[test]
fn unknown_or_server_set_leaves_are_refused_and_the_user_left_as_it_was() {
    let ext = ENTERPRISE_URN;
    let shoe_size = format!("{ext}:shoeSize");
    let manager_name = format!("{ext}:manager.displayName");
    let manager = format!("{ext}:manager");
    let cases = [
        (
            op("replace", Some("name.nickName"), Some(json!("x"))),
            ScimType::InvalidPath,
        ),
        (op("add", Some(&shoe_size), Some(json!("44"))), ScimType::InvalidPath),
        (
            op("add", Some(ext), Some(json!({"shoeSize": "44"}))),
            ScimType::InvalidPath,
        ),
        (
            op("replace", Some("name"), Some(json!({"nickName": "x"}))),
            ScimType::InvalidPath,
        ),
        (
            op("replace", Some(&manager_name), Some(json!("Boss"))),
            ScimType::Mutability,
        ),
        (
            op("add", Some(&manager), Some(json!({"displayName": "Boss"}))),
            ScimType::Mutability,
        ),
        (
            op("replace", None, Some(json!({"meta.created": "2020-01-01T00:00:00Z"}))),
            ScimType::Mutability,
        ),
    ];
    for (operation, expected) in cases {
        let mut user = grace();
        user.enterprise = Some(EnterpriseUser {
            manager: Some(Manager {
                value: Some("M1".into()),
                ..Manager::default()
            }),
            ..EnterpriseUser::default()
        });
        let before = user.clone();
        let e = apply_patch(&mut user, std::slice::from_ref(&operation)).unwrap_err();
        assert_eq!(scim_type(e), expected, "{operation:?}");
        assert_eq!(user, before, "{operation:?}");
    }
}

#[test]
fn every_complex_attribute_of_the_schema_table_has_its_own_handling() {
    for def in USER_LEAVES.iter().filter(|d| d.sub.is_some()) {
        assert!(complex(def.urn, def.attr, def.attr).is_ok(), "{}", path(def));
    }
}

#[test]
fn an_unknown_complex_attribute_is_refused_and_nothing_is_written() {
    // Reachable only if the schema table gained a complex attribute; until then
    // anything but `manager` and `meta` was handled as `name` (a remove cleared it).
    let unknown = [(USER_URN, "manager"), (ENTERPRISE_URN, "name"), (USER_URN, "badge")];
    for (urn, attr) in unknown {
        for (op, v) in [
            (Op::Add, Some(json!({"value": "x"}))),
            (Op::Replace, Some(json!(""))),
            (Op::Remove, None),
        ] {
            let mut user = grace();
            user.name = Some(Name {
                given_name: Some("Grace".into()),
                ..Name::default()
            });
            let before = user.clone();
            let v = v.map(value);
            let e = apply_complex(&mut user, op, urn, attr, attr, v.as_ref()).unwrap_err();
            assert_eq!(scim_type(e), ScimType::InvalidPath, "{op:?} {urn}:{attr}");
            assert_eq!(user, before, "{op:?} {urn}:{attr}");
        }
    }
}
