use axum::http::StatusCode;
use idsync_proto::v1::{Address, EnterpriseUser, Manager, MultiValue, Name, User};
use serde_json::json;

use super::*;
use crate::errors::ScimType;

fn parse(body: serde_json::Value) -> User {
    user_from_json(body).unwrap()
}

fn rejected(body: serde_json::Value) -> ApiError {
    user_from_json(body).unwrap_err()
}

/// docs/entra.md, C4: the create payload of the kpifire mapping.
#[test]
fn entras_kpifire_create_payload_is_read_in_full_and_client_meta_is_ignored() {
    let user = parse(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "ada@contoso.com",
        "active": true,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "phoneNumbers": [{"type": "work", "value": "+1 555 0100"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
        "meta": {"resourceType": "User"}
    }));
    assert_eq!(
        user,
        User {
            user_name: "ada@contoso.com".into(),
            active: Some(true),
            name: Some(Name {
                given_name: Some("Ada".into()),
                family_name: Some("Lovelace".into()),
                ..Name::default()
            }),
            phone_numbers: vec![MultiValue {
                value: Some("+1 555 0100".into()),
                r#type: Some("work".into()),
                ..MultiValue::default()
            }],
            enterprise: Some(EnterpriseUser {
                department: Some("R&D".into()),
                ..EnterpriseUser::default()
            }),
            ..User::default()
        }
    );
}

/// docs/entra.md, C4 notes: the default non-gallery mapping adds these attributes.
#[test]
fn the_default_custom_app_mapping_is_read_too() {
    let user = parse(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": "ada",
        "userName": "ada@contoso.com",
        "active": "True",
        "displayName": "Ada Lovelace",
        "title": "Countess",
        "preferredLanguage": "en-GB",
        "emails": [{"primary": true, "type": "work", "value": "ada@contoso.com"}],
        "name": {"formatted": "Ada Lovelace"},
        "addresses": [{"type": "work", "formatted": "1 St James's Sq", "streetAddress": "1 St James's Sq",
                       "locality": "London", "postalCode": "SW1Y", "country": "GB", "primary": "False"}],
        "roles": [],
        "password": "p@ss"
    }));
    assert_eq!(user.external_id.as_deref(), Some("ada"));
    assert_eq!(user.active, Some(true));
    assert_eq!(user.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(user.title.as_deref(), Some("Countess"));
    assert_eq!(user.preferred_language.as_deref(), Some("en-GB"));
    assert_eq!(user.password.as_deref(), Some("p@ss"));
    assert_eq!(user.emails[0].primary, Some(true));
    assert_eq!(
        user.addresses,
        vec![Address {
            formatted: Some("1 St James's Sq".into()),
            street_address: Some("1 St James's Sq".into()),
            locality: Some("London".into()),
            region: None,
            postal_code: Some("SW1Y".into()),
            country: Some("GB".into()),
            r#type: Some("work".into()),
            primary: Some(false),
        }]
    );
    assert!(user.roles.is_empty());
}

#[test]
fn active_accepts_legacy_strings_in_any_case() {
    for (value, expected) in [
        (json!("False"), false),
        (json!("TRUE"), true),
        (json!("false"), false),
        (json!(false), false),
    ] {
        assert_eq!(parse(json!({"userName": "a", "active": value})).active, Some(expected));
    }
}

#[test]
fn anything_else_for_active_is_invalid_value() {
    for bad in [json!("no"), json!(0), json!({}), json!(["True"])] {
        let error = rejected(json!({"userName": "a", "active": bad}));
        assert_eq!(
            (error.status(), error.scim_type()),
            (StatusCode::BAD_REQUEST, Some(ScimType::InvalidValue))
        );
        assert!(error.detail().contains("'active'"));
    }
}

#[test]
fn attribute_names_are_case_insensitive_at_every_level() {
    let user = parse(json!({
        "USERNAME": "ada@contoso.com",
        "Active": "false",
        "NAME": {"GIVENNAME": "Ada", "familyname": "Lovelace"},
        "PhoneNumbers": [{"TYPE": "work", "Value": "+1", "PRIMARY": "True", "$REF": "tel:+1"}],
        "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {"Department": "Ops", "MANAGER": {"VALUE": "m1"}}
    }));
    assert_eq!(user.user_name, "ada@contoso.com");
    assert_eq!(user.active, Some(false));
    let name = user.name.unwrap();
    assert_eq!(
        (name.given_name.as_deref(), name.family_name.as_deref()),
        (Some("Ada"), Some("Lovelace"))
    );
    assert_eq!(
        user.phone_numbers,
        vec![MultiValue {
            value: Some("+1".into()),
            display: None,
            r#type: Some("work".into()),
            primary: Some(true),
            r#ref: Some("tel:+1".into()),
        }]
    );
    let enterprise = user.enterprise.unwrap();
    assert_eq!(enterprise.department.as_deref(), Some("Ops"));
    assert_eq!(enterprise.manager.unwrap().value.as_deref(), Some("m1"));
}

#[test]
fn manager_is_read_from_an_object_a_bare_id_or_a_one_element_list() {
    let manager_of = |manager: serde_json::Value| {
        parse(json!({"userName": "a", ENTERPRISE_USER_URN: {"manager": manager}}))
            .enterprise
            .unwrap()
            .manager
    };
    let full = Manager {
        value: Some("M1".into()),
        r#ref: Some("https://x/scim/v2/Users/M1".into()),
        display_name: Some("Grace".into()),
    };
    let object = json!({"value": "M1", "$ref": "https://x/scim/v2/Users/M1", "displayName": "Grace"});
    assert_eq!(manager_of(object.clone()), Some(full.clone()));
    assert_eq!(manager_of(json!([object])), Some(full));
    assert_eq!(
        manager_of(json!("M1")),
        Some(Manager {
            value: Some("M1".into()),
            ..Manager::default()
        })
    );
    assert_eq!(
        manager_of(json!(["M1"])),
        Some(Manager {
            value: Some("M1".into()),
            ..Manager::default()
        })
    );
    assert_eq!(manager_of(json!(null)), None);
    assert_eq!(manager_of(json!([])), None);
}

#[test]
fn a_manager_list_with_two_entries_or_a_number_is_invalid_value() {
    for bad in [json!([{"value": "a"}, {"value": "b"}]), json!(7), json!([7])] {
        let error = rejected(json!({"userName": "a", ENTERPRISE_USER_URN: {"manager": bad}}));
        assert_eq!(error.scim_type(), Some(ScimType::InvalidValue));
        assert!(error.detail().contains("manager"), "{}", error.detail());
    }
}

#[test]
fn unknown_schemas_attributes_and_read_only_ones_are_ignored() {
    let user = parse(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "id": "client-chosen",
        "userName": "a",
        "groups": [{"value": "g1"}],
        "meta": {"resourceType": "User", "version": "W/\"9\""},
        "favouriteColour": "teal",
        "urn:example:params:scim:schemas:extension:custom:2.0:User": {"x": 1}
    }));
    assert_eq!(
        user,
        User {
            user_name: "a".into(),
            ..User::default()
        }
    );
}

#[test]
fn null_attributes_are_not_set() {
    let user = parse(json!({
        "userName": "a", "externalId": null, "name": null, "active": null, "emails": null,
        "phoneNumbers": [null, {"value": "+1", "type": null}], ENTERPRISE_USER_URN: null, "password": null
    }));
    assert_eq!(
        user,
        User {
            user_name: "a".into(),
            phone_numbers: vec![MultiValue {
                value: Some("+1".into()),
                ..MultiValue::default()
            }],
            ..User::default()
        }
    );
}

#[test]
fn wrong_types_for_string_attributes_name_the_attribute() {
    for (body, attr) in [
        (json!({"userName": 42}), "'userName'"),
        (json!({"userName": "a", "displayName": ["x"]}), "'displayName'"),
        (json!({"userName": "a", "name": {"givenName": 1}}), "'name.givenName'"),
        (json!({"userName": "a", "emails": [{"value": true}]}), "'emails.value'"),
        (json!({"userName": "a", "emails": {"value": "x"}}), "'emails'"),
        (json!({"userName": "a", "addresses": ["x"]}), "'addresses'"),
        (
            json!({"userName": "a", ENTERPRISE_USER_URN: {"department": 5}}),
            "User:department'",
        ),
        (
            json!({"userName": "a", ENTERPRISE_USER_URN: "Ops"}),
            "enterprise:2.0:User'",
        ),
    ] {
        let error = rejected(body);
        assert_eq!(
            (error.status(), error.scim_type()),
            (StatusCode::BAD_REQUEST, Some(ScimType::InvalidValue))
        );
        assert!(error.detail().contains(attr), "{} lacks {attr}", error.detail());
    }
}

#[test]
fn a_body_that_is_not_an_object_is_invalid_syntax() {
    for bad in [json!([]), json!("user"), json!(null), json!(1)] {
        assert_eq!(rejected(bad).scim_type(), Some(ScimType::InvalidSyntax));
    }
}

#[test]
fn bare_strings_in_multi_valued_attributes_are_read_as_values() {
    let user = parse(json!({"userName": "a", "emails": ["a@b.c"]}));
    assert_eq!(
        user.emails,
        vec![MultiValue {
            value: Some("a@b.c".into()),
            ..MultiValue::default()
        }]
    );
}
