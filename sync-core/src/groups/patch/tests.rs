#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use serde_json::json;

use super::{GroupPatch, MemberDelta, plan_patch};
use crate::error::ScimType;
use crate::test_support::{op, scim_type};

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn delta(clear: bool, remove: &[&str], add: &[&str]) -> MemberDelta {
    MemberDelta {
        clear,
        remove: ids(remove),
        add: ids(add),
    }
}

fn members(operations: &[idsync_proto::v1::PatchOperation]) -> MemberDelta {
    plan_patch(operations).unwrap().members
}

fn refused(operations: &[idsync_proto::v1::PatchOperation]) -> ScimType {
    scim_type(plan_patch(operations).unwrap_err())
}

#[test]
fn legacy_and_flagged_member_adds_with_null_refs_add_every_member_named() {
    let legacy = op(
        "Add",
        Some("members"),
        Some(json!([{"$ref": null, "value": "u1"}, {"value": "u2", "display": "Bob", "type": "User"}])),
    );
    let flagged = op("add", Some("members"), Some(json!([{"value": "u3"}])));
    assert_eq!(members(&[legacy, flagged]), delta(false, &[], &["u1", "u2", "u3"]));
}

#[test]
fn a_single_member_object_or_bare_id_is_read_as_a_one_element_list() {
    assert_eq!(
        members(&[op("add", Some("members"), Some(json!({"value": "u1"})))]),
        delta(false, &[], &["u1"])
    );
    assert_eq!(
        members(&[op("add", Some("members"), Some(json!(["u2"])))]),
        delta(false, &[], &["u2"])
    );
}

#[test]
fn legacy_remove_with_a_value_list_removes_only_the_members_named() {
    let legacy = op(
        "Remove",
        Some("members"),
        Some(json!([{"$ref": null, "value": "u1"}, {"value": "u2"}])),
    );
    assert_eq!(members(&[legacy]), delta(false, &["u1", "u2"], &[]));
}

#[test]
fn flagged_remove_with_a_value_filter_removes_only_that_member() {
    let flagged = op("remove", Some("members[value eq \"u1\"]"), None);
    assert_eq!(members(&[flagged]), delta(false, &["u1"], &[]));
    let several = op("remove", Some("members[value eq \"u1\" or VALUE eq \"u2\"]"), None);
    assert_eq!(members(&[several]), delta(false, &["u1", "u2"], &[]));
}

#[test]
fn remove_members_without_value_or_filter_removes_all_but_an_empty_list_removes_none() {
    assert_eq!(members(&[op("remove", Some("members"), None)]), delta(true, &[], &[]));
    assert_eq!(
        members(&[op("remove", Some("members"), Some(json!(null)))]),
        delta(true, &[], &[])
    );
    assert_eq!(
        members(&[op("Remove", Some("members"), Some(json!([])))]),
        delta(false, &[], &[])
    );
}

#[test]
fn replace_members_adds_and_never_drops_the_others_per_decision_d1() {
    let replace = op("replace", Some("members"), Some(json!([{"value": "673"}])));
    assert_eq!(members(&[replace]), delta(false, &[], &["673"]));
    let pathless = op("Replace", None, Some(json!({"members": [{"value": "674"}]})));
    assert_eq!(members(&[pathless]), delta(false, &[], &["674"]));
}

#[test]
fn operations_apply_in_order_so_the_last_word_on_a_member_wins() {
    let add = |id: &str| op("add", Some("members"), Some(json!([{"value": id}])));
    let remove = |id: &str| op("remove", Some(&format!("members[value eq \"{id}\"]")), None);
    assert_eq!(members(&[add("u1"), remove("u1")]), delta(false, &["u1"], &[]));
    assert_eq!(members(&[remove("u1"), add("u1")]), delta(false, &[], &["u1"]));
    let clear = op("remove", Some("members"), None);
    assert_eq!(
        members(&[add("u1"), clear.clone(), add("u2"), remove("u3")]),
        delta(true, &[], &["u2"])
    );
    assert_eq!(members(&[add("u1"), add("u1")]), delta(false, &[], &["u1"]));
}

#[test]
fn a_rename_by_path_or_pathless_value_leaves_membership_alone() {
    for rename in [
        op("Replace", Some("displayName"), Some(json!("Eng Team"))),
        op("replace", None, Some(json!({"displayName": "Eng Team"}))),
        op(
            "replace",
            Some("urn:ietf:params:scim:schemas:core:2.0:Group:displayName"),
            Some(json!("Eng Team")),
        ),
    ] {
        assert_eq!(
            plan_patch(&[rename]).unwrap(),
            GroupPatch {
                display_name: Some("Eng Team".into()),
                ..GroupPatch::default()
            }
        );
    }
}

#[test]
fn external_id_is_set_replaced_and_cleared() {
    let set = plan_patch(&[op("add", Some("externalId"), Some(json!("8aa1")))]).unwrap();
    assert_eq!(set.external_id, Some(Some("8aa1".into())));
    for clear in [
        op("remove", Some("externalId"), None),
        op("replace", Some("externalId"), Some(json!(""))),
        op("replace", Some("externalId"), Some(json!(null))),
    ] {
        assert_eq!(plan_patch(&[clear]).unwrap().external_id, Some(None));
    }
}

#[test]
fn read_only_and_immutable_targets_are_mutability_errors() {
    for path in [
        "id",
        "meta",
        "meta.created",
        "members.value",
        "members[value eq \"u1\"].display",
    ] {
        assert_eq!(
            refused(&[op("replace", Some(path), Some(json!("x")))]),
            ScimType::Mutability,
            "{path}"
        );
    }
    assert_eq!(
        refused(&[op("replace", None, Some(json!({"id": "other"})))]),
        ScimType::Mutability
    );
    assert_eq!(
        refused(&[op(
            "replace",
            Some("members[value eq \"u1\"]"),
            Some(json!({"value": "u2"}))
        )]),
        ScimType::Mutability
    );
    assert_eq!(
        refused(&[op("remove", Some("displayName"), None)]),
        ScimType::Mutability
    );
    assert_eq!(
        refused(&[op("replace", Some("displayName"), Some(json!("")))]),
        ScimType::Mutability
    );
}

#[test]
fn malformed_operations_name_what_is_wrong() {
    let cases = [
        (op("jump", Some("members"), Some(json!([]))), ScimType::InvalidSyntax),
        (op("add", Some("members["), Some(json!([]))), ScimType::InvalidPath),
        (op("add", Some("owners"), Some(json!([]))), ScimType::InvalidPath),
        (
            op("add", Some("displayName[value eq \"x\"]"), None),
            ScimType::InvalidPath,
        ),
        (
            op("add", Some("members"), Some(json!([{"value": "u1", "primary": true}]))),
            ScimType::InvalidPath,
        ),
        (op("add", Some("members"), None), ScimType::InvalidValue),
        (
            op("add", Some("members"), Some(json!([{"$ref": null}]))),
            ScimType::InvalidValue,
        ),
        (
            op("add", Some("members"), Some(json!([{"value": 7}]))),
            ScimType::InvalidValue,
        ),
        (op("add", Some("members"), Some(json!([3]))), ScimType::InvalidValue),
        (
            op("replace", Some("displayName"), Some(json!(5))),
            ScimType::InvalidValue,
        ),
        (op("replace", None, Some(json!("x"))), ScimType::InvalidValue),
        (op("remove", None, None), ScimType::NoTarget),
        (
            op("remove", Some("members[type eq \"User\"]"), None),
            ScimType::InvalidFilter,
        ),
    ];
    for (operation, expected) in cases {
        assert_eq!(refused(std::slice::from_ref(&operation)), expected, "{operation:?}");
    }
    assert_eq!(refused(&[]), ScimType::InvalidValue);
}

#[test]
fn one_bad_operation_rejects_the_whole_request() {
    let good = op("add", Some("members"), Some(json!([{"value": "u1"}])));
    let bad = op("replace", Some("id"), Some(json!("x")));
    assert_eq!(refused(&[good, bad]), ScimType::Mutability);
}
