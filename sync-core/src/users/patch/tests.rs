#![allow(clippy::unwrap_used)]

use idsync_proto::v1::{MultiValue, Name, User};
use serde_json::json;

use super::apply_patch;
use crate::error::ScimType;
use crate::test_support::{op, scim_type};

const DEPT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";

fn ada() -> User {
    User {
        id: "u1".into(),
        user_name: "ada@contoso.com".into(),
        active: Some(true),
        name: Some(Name {
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            ..Name::default()
        }),
        ..User::default()
    }
}

#[test]
fn entra_legacy_disable_with_a_capitalised_op_and_a_string_boolean() {
    let mut user = ada();
    apply_patch(&mut user, &[op("Replace", Some("active"), Some(json!("False")))]).unwrap();
    assert_eq!(user.active, Some(false));
    apply_patch(&mut user, &[op("Replace", Some("active"), Some(json!("True")))]).unwrap();
    assert_eq!(user.active, Some(true));
    apply_patch(&mut user, &[op("replace", Some("active"), Some(json!(false)))]).unwrap();
    assert_eq!(user.active, Some(false));
}

#[test]
fn entra_legacy_update_sets_each_singular_attribute() {
    let mut user = ada();
    apply_patch(
        &mut user,
        &[
            op("Replace", Some("name.givenName"), Some(json!("Augusta"))),
            op("Replace", Some("name.familyName"), Some(json!("King"))),
            op("Replace", Some(DEPT), Some(json!("Ops"))),
            op("Replace", Some("userName"), Some(json!("augusta@contoso.com"))),
        ],
    )
    .unwrap();
    let name = user.name.as_ref().unwrap();
    assert_eq!(name.given_name.as_deref(), Some("Augusta"));
    assert_eq!(name.family_name.as_deref(), Some("King"));
    assert_eq!(user.enterprise.unwrap().department.as_deref(), Some("Ops"));
    assert_eq!(user.user_name, "augusta@contoso.com");
}

#[test]
fn flagged_pathless_replace_resolves_dotted_and_urn_keys() {
    let mut user = ada();
    let patch = json!({
        "userName": "augusta@contoso.com",
        "name.givenName": "Augusta",
        "NAME.familyName": "King",
        DEPT: "Ops",
        "active": false,
    });
    apply_patch(&mut user, &[op("replace", None, Some(patch))]).unwrap();
    assert_eq!(user.user_name, "augusta@contoso.com");
    assert_eq!(user.name.as_ref().unwrap().given_name.as_deref(), Some("Augusta"));
    assert_eq!(user.name.as_ref().unwrap().family_name.as_deref(), Some("King"));
    assert_eq!(user.enterprise.as_ref().unwrap().department.as_deref(), Some("Ops"));
    assert_eq!(user.active, Some(false));
}

#[test]
fn pathless_add_with_an_extension_object_sets_its_attributes() {
    let mut user = ada();
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    apply_patch(
        &mut user,
        &[op(
            "add",
            None,
            Some(json!({ ext: {"department": "R&D", "costCenter": "42"} })),
        )],
    )
    .unwrap();
    let e = user.enterprise.unwrap();
    assert_eq!(e.department.as_deref(), Some("R&D"));
    assert_eq!(e.cost_center.as_deref(), Some("42"));
}

#[test]
fn empty_string_null_and_remove_clear_an_attribute() {
    let mut user = ada();
    user.title = Some("Engineer".into());
    user.display_name = Some("Ada".into());
    user.nick_name = Some("A".into());
    apply_patch(
        &mut user,
        &[
            op("replace", Some("title"), Some(json!(""))),
            op("replace", Some("displayName"), Some(json!(null))),
            op("remove", Some("nickName"), None),
        ],
    )
    .unwrap();
    assert_eq!((user.title, user.display_name, user.nick_name), (None, None, None));
}

#[test]
fn filtered_path_creates_the_work_phone_when_absent_and_updates_it_after() {
    let mut user = ada();
    let path = "phoneNumbers[type eq \"work\"].value";
    apply_patch(&mut user, &[op("Add", Some(path), Some(json!("+1 555 0100")))]).unwrap();
    assert_eq!(
        user.phone_numbers,
        vec![MultiValue {
            value: Some("+1 555 0100".into()),
            r#type: Some("work".into()),
            ..MultiValue::default()
        }]
    );
    apply_patch(&mut user, &[op("replace", Some(path), Some(json!("+1 555 0199")))]).unwrap();
    assert_eq!(user.phone_numbers.len(), 1);
    assert_eq!(user.phone_numbers[0].value.as_deref(), Some("+1 555 0199"));
}

#[test]
fn a_filter_that_no_created_element_could_match_creates_nothing() {
    let mut user = ada();
    let path = "phoneNumbers[type eq \"work\" and type eq \"home\"].value";
    let e = apply_patch(&mut user, &[op("add", Some(path), Some(json!("+1 555 0100")))]).unwrap_err();
    assert_eq!(scim_type(e), ScimType::NoTarget);
    assert!(user.phone_numbers.is_empty());
}

#[test]
fn several_sub_attributes_of_one_filtered_element_land_in_one_element() {
    let mut user = ada();
    apply_patch(
        &mut user,
        &[
            op(
                "Add",
                Some("addresses[type eq \"work\"].streetAddress"),
                Some(json!("1 Main St")),
            ),
            op(
                "Add",
                Some("addresses[type eq \"work\"].locality"),
                Some(json!("Springfield")),
            ),
        ],
    )
    .unwrap();
    assert_eq!(user.addresses.len(), 1);
    assert_eq!(user.addresses[0].street_address.as_deref(), Some("1 Main St"));
    assert_eq!(user.addresses[0].locality.as_deref(), Some("Springfield"));
    assert_eq!(user.addresses[0].r#type.as_deref(), Some("work"));
}

#[test]
fn manager_is_accepted_as_a_string_an_object_or_a_one_element_list() {
    let path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
    for v in [
        json!("M1"),
        json!({"value": "M1"}),
        json!([{"$ref": null, "value": "M1"}]),
    ] {
        let mut user = ada();
        apply_patch(&mut user, &[op("Add", Some(path), Some(v.clone()))]).unwrap();
        let manager = user.enterprise.unwrap().manager.unwrap();
        assert_eq!(manager.value.as_deref(), Some("M1"), "shape {v}");
    }
    let mut user = ada();
    apply_patch(&mut user, &[op("Add", Some(path), Some(json!("M1")))]).unwrap();
    apply_patch(&mut user, &[op("replace", Some(path), Some(json!("")))]).unwrap();
    assert_eq!(user.enterprise.unwrap().manager, None);
}

#[test]
fn entras_legacy_manager_shape_without_the_urn_sets_the_enterprise_manager() {
    // docs/entra.md, C8 and Q9: the documented legacy form, and its bare sub-attribute.
    let legacy = json!([{"$ref": "https://app.example.com/scim/v2/Users/M1", "value": "M1"}]);
    let mut user = ada();
    apply_patch(&mut user, &[op("Add", Some("manager"), Some(legacy))]).unwrap();
    let manager = user.enterprise.clone().unwrap().manager.unwrap();
    assert_eq!(manager.value.as_deref(), Some("M1"));
    assert_eq!(
        manager.r#ref.as_deref(),
        Some("https://app.example.com/scim/v2/Users/M1")
    );
    apply_patch(&mut user, &[op("Replace", Some("manager.value"), Some(json!("M2")))]).unwrap();
    assert_eq!(
        user.enterprise.clone().unwrap().manager.unwrap().value.as_deref(),
        Some("M2")
    );
    apply_patch(&mut user, &[op("Remove", Some("manager"), None)]).unwrap();
    assert_eq!(user.enterprise.unwrap().manager, None);
}

#[test]
fn a_value_filtered_remove_of_the_manager_clears_it_only_when_it_matches() {
    let urn_path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
    for path in [
        format!("{urn_path}[value eq \"M1\"]"),
        "manager[value eq \"M1\"]".to_string(),
    ] {
        let mut user = ada();
        apply_patch(&mut user, &[op("add", Some(urn_path), Some(json!("M2")))]).unwrap();
        apply_patch(&mut user, &[op("remove", Some(&path), None)]).unwrap();
        let kept = user.enterprise.clone().unwrap().manager.unwrap();
        assert_eq!(kept.value.as_deref(), Some("M2"), "{path}: another manager is kept");
        apply_patch(&mut user, &[op("replace", Some(urn_path), Some(json!("M1")))]).unwrap();
        apply_patch(&mut user, &[op("remove", Some(&path), None)]).unwrap();
        assert_eq!(user.enterprise.unwrap().manager, None, "{path}");
    }
}

#[test]
fn a_value_filter_on_the_manager_other_than_remove_is_400_naming_the_accepted_forms() {
    let mut user = ada();
    let error = apply_patch(
        &mut user,
        &[op("replace", Some("manager[value eq \"M1\"]"), Some(json!("M3")))],
    )
    .unwrap_err();
    let detail = error.public_detail();
    assert!(
        detail.contains("only for remove") && detail.contains("a string id, an object or a one-element list"),
        "{detail}"
    );
    assert_eq!(scim_type(error), ScimType::InvalidPath);
    let error = apply_patch(&mut user, &[op("remove", Some("manager[shoeSize eq \"9\"]"), None)]).unwrap_err();
    assert_eq!(scim_type(error), ScimType::InvalidPath);
}

#[test]
fn a_schemas_key_in_a_value_object_is_ignored_not_refused() {
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    // scim2-tester sends the extension as its model serialises it, `schemas` included.
    let mut user = ada();
    apply_patch(
        &mut user,
        &[op(
            "add",
            Some(ext),
            Some(json!({"schemas": [ext], "employeeNumber": "7", "manager": {"value": "M1"}})),
        )],
    )
    .unwrap();
    let e = user.enterprise.unwrap();
    assert_eq!(e.employee_number.as_deref(), Some("7"));
    assert_eq!(e.manager.unwrap().value.as_deref(), Some("M1"));

    let mut user = ada();
    let core = "urn:ietf:params:scim:schemas:core:2.0:User";
    apply_patch(
        &mut user,
        &[op(
            "replace",
            None,
            Some(json!({"Schemas": [core, ext], "title": "Countess"})),
        )],
    )
    .unwrap();
    assert_eq!(user.title.as_deref(), Some("Countess"));
}

#[test]
fn read_only_targets_are_refused_with_mutability() {
    for path in ["id", "meta.created", "meta", "groups"] {
        let e = apply_patch(&mut ada(), &[op("replace", Some(path), Some(json!("x")))]).unwrap_err();
        assert_eq!(scim_type(e), ScimType::Mutability, "path {path}");
    }
}

#[test]
fn bad_operations_are_refused_with_the_right_keyword() {
    let cases = [
        (op("merge", Some("title"), Some(json!("x"))), ScimType::InvalidSyntax),
        (op("remove", None, None), ScimType::NoTarget),
        (op("replace", Some("shoeSize"), Some(json!(1))), ScimType::InvalidPath),
        (op("replace", Some("name..x"), Some(json!(1))), ScimType::InvalidPath),
        (
            op("replace", Some("active"), Some(json!("maybe"))),
            ScimType::InvalidValue,
        ),
        (op("replace", Some("title"), Some(json!(7))), ScimType::InvalidValue),
        (op("replace", None, Some(json!("x"))), ScimType::InvalidValue),
        (op("remove", Some("userName"), None), ScimType::Mutability),
    ];
    for (operation, expected) in cases {
        let e = apply_patch(&mut ada(), std::slice::from_ref(&operation)).unwrap_err();
        assert_eq!(scim_type(e), expected, "operation {operation:?}");
    }
    assert_eq!(
        scim_type(apply_patch(&mut ada(), &[]).unwrap_err()),
        ScimType::InvalidValue
    );
}

#[test]
fn adding_emails_appends_and_a_new_primary_demotes_the_old_one() {
    let mut user = ada();
    user.emails = vec![MultiValue {
        value: Some("a@x".into()),
        primary: Some(true),
        ..MultiValue::default()
    }];
    apply_patch(
        &mut user,
        &[op(
            "add",
            Some("emails"),
            Some(json!([{"value": "b@x", "primary": "True"}])),
        )],
    )
    .unwrap();
    assert_eq!(user.emails.len(), 2);
    // The old primary is demoted to an explicit false; the new one is true.
    assert_eq!(
        (user.emails[0].primary, user.emails[1].primary),
        (Some(false), Some(true))
    );
    // adding the same value again is a no-op
    apply_patch(
        &mut user,
        &[op(
            "add",
            Some("emails"),
            Some(json!([{"value": "b@x", "primary": true}])),
        )],
    )
    .unwrap();
    assert_eq!(user.emails.len(), 2);
}

#[test]
fn removing_by_value_filter_removes_only_the_matching_element() {
    let mut user = ada();
    user.emails = vec![
        MultiValue {
            value: Some("a@x".into()),
            r#type: Some("work".into()),
            ..MultiValue::default()
        },
        MultiValue {
            value: Some("b@x".into()),
            r#type: Some("home".into()),
            ..MultiValue::default()
        },
    ];
    apply_patch(&mut user, &[op("remove", Some("emails[type eq \"WORK\"]"), None)]).unwrap();
    assert_eq!(user.emails.len(), 1);
    assert_eq!(user.emails[0].value.as_deref(), Some("b@x"));
}

#[test]
fn a_failing_operation_reports_an_error_so_the_caller_can_discard_the_copy() {
    let mut user = ada();
    let before = user.clone();
    let result = apply_patch(
        &mut user,
        &[
            op("replace", Some("title"), Some(json!("CTO"))),
            op("replace", Some("id"), Some(json!("x"))),
        ],
    );
    assert!(result.is_err());
    // The first op touched the working copy; atomicity comes from not storing it.
    assert_ne!(user, before);
}

#[test]
fn removing_or_nulling_active_unassigns_it_and_never_re_enables_a_user() {
    for start in [Some(true), Some(false)] {
        for operation in [
            op("remove", Some("active"), None),
            op("replace", Some("active"), Some(json!(null))),
        ] {
            let mut user = ada();
            user.active = start;
            apply_patch(&mut user, std::slice::from_ref(&operation)).unwrap();
            // Unassigned (RFC 7644 §3.5.2.2), which the store treats as inactive.
            assert_eq!(user.active, None, "{operation:?} from {start:?}");
        }
    }
}
