use idsync_proto::v1::{Address, EnterpriseUser, GroupRef, Manager, Meta, MultiValue, Name, User};
use prost_types::Timestamp;
use serde_json::json;

use super::*;
use crate::wire::user_in::user_from_json;

const BASE: &str = "https://app.example.com/scim/v2";

fn render(user: &User) -> serde_json::Value {
    serde_json::to_value(UserOut::new(user, BASE)).unwrap()
}

fn meta(version: i64) -> Meta {
    Meta {
        resource_type: "User".into(),
        created: Some(Timestamp {
            seconds: 1_735_689_600,
            nanos: 0,
        }),
        last_modified: Some(Timestamp {
            seconds: 1_735_689_600,
            nanos: 250_000_000,
        }),
        version,
    }
}

/// docs/entra.md, C4: the response Entra expects to a create.
#[test]
fn a_created_user_renders_as_entra_expects() {
    let user = User {
        id: "2819c223".into(),
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
        password: Some("never shown".into()),
        meta: Some(meta(1)),
        ..User::default()
    };
    assert_eq!(
        render(&user),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "id": "2819c223",
            "userName": "ada@contoso.com",
            "name": {"familyName": "Lovelace", "givenName": "Ada"},
            "active": true,
            "phoneNumbers": [{"type": "work", "value": "+1 555 0100"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
            "meta": {
                "resourceType": "User",
                "created": "2025-01-01T00:00:00Z",
                "lastModified": "2025-01-01T00:00:00.250Z",
                "location": "https://app.example.com/scim/v2/Users/2819c223",
                "version": "W/\"1\""
            }
        })
    );
    let out = UserOut::new(&user, BASE);
    assert_eq!(
        out.location().as_deref(),
        Some("https://app.example.com/scim/v2/Users/2819c223")
    );
    assert_eq!(out.version(), Some(1));
}

#[test]
fn a_deactivated_user_renders_active_as_a_json_false() {
    let user = User {
        id: "u".into(),
        user_name: "a".into(),
        active: Some(false),
        ..User::default()
    };
    assert_eq!(render(&user)["active"], json!(false));
}

#[test]
fn absent_and_empty_values_are_omitted_never_null() {
    let user = User {
        id: "u".into(),
        user_name: "a".into(),
        title: Some(String::new()),
        name: Some(Name::default()),
        enterprise: Some(EnterpriseUser {
            department: Some(String::new()),
            manager: Some(Manager::default()),
            ..EnterpriseUser::default()
        }),
        ..User::default()
    };
    assert_eq!(
        render(&user),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u", "userName": "a"})
    );
}

#[test]
fn every_attribute_renders_under_its_canonical_name() {
    let mv = |v: &str| MultiValue {
        value: Some(v.into()),
        primary: Some(true),
        ..MultiValue::default()
    };
    let user = User {
        id: "u".into(),
        external_id: Some("e".into()),
        user_name: "a".into(),
        display_name: Some("d".into()),
        nick_name: Some("n".into()),
        profile_url: Some("p".into()),
        title: Some("t".into()),
        user_type: Some("ut".into()),
        preferred_language: Some("pl".into()),
        locale: Some("l".into()),
        timezone: Some("tz".into()),
        emails: vec![mv("em")],
        ims: vec![mv("im")],
        photos: vec![mv("ph")],
        addresses: vec![Address {
            street_address: Some("s".into()),
            r#type: Some("work".into()),
            ..Address::default()
        }],
        groups: vec![GroupRef {
            value: "g1".into(),
            r#ref: Some("r".into()),
            display: Some("G".into()),
            r#type: Some("direct".into()),
        }],
        entitlements: vec![mv("en")],
        roles: vec![mv("ro")],
        x509_certificates: vec![mv("x5")],
        enterprise: Some(EnterpriseUser {
            employee_number: Some("1".into()),
            cost_center: Some("2".into()),
            organization: Some("3".into()),
            division: Some("4".into()),
            department: Some("5".into()),
            manager: Some(Manager {
                value: Some("M".into()),
                r#ref: Some("R".into()),
                display_name: Some("D".into()),
            }),
        }),
        ..User::default()
    };
    let body = render(&user);
    for key in [
        "externalId",
        "displayName",
        "nickName",
        "profileUrl",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
        "emails",
        "ims",
        "photos",
        "addresses",
        "groups",
        "entitlements",
        "roles",
        "x509Certificates",
    ] {
        assert!(body.get(key).is_some(), "{key} missing from {body}");
    }
    assert_eq!(body["emails"], json!([{"value": "em", "primary": true}]));
    assert_eq!(body["addresses"], json!([{"streetAddress": "s", "type": "work"}]));
    assert_eq!(
        body["groups"],
        json!([{"value": "g1", "$ref": "r", "display": "G", "type": "direct"}])
    );
    assert_eq!(
        body[ENTERPRISE_USER_URN],
        json!({"employeeNumber": "1", "costCenter": "2", "organization": "3", "division": "4", "department": "5",
               "manager": {"value": "M", "$ref": "R", "displayName": "D"}})
    );
    assert!(body.get("password").is_none());
    assert!(body.get("meta").is_none());
}

#[test]
fn a_parsed_user_renders_back_to_the_same_attributes() {
    let sent = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "ada",
        "userName": "ada@contoso.com",
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "displayName": "Ada",
        "active": false,
        "emails": [{"value": "ada@contoso.com", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}, {"value": "+1 555 0101", "type": "mobile"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "42", "department": "R&D", "manager": {"value": "M1"}
        }
    });
    let mut user = user_from_json(sent.clone()).unwrap();
    user.id = "u1".into();
    let mut rendered = render(&user);
    rendered.as_object_mut().unwrap().remove("id");
    assert_eq!(rendered, sent);
}

#[test]
fn timestamps_are_utc_with_fractional_seconds_only_when_needed() {
    let stamp = |seconds, nanos| {
        let user = User {
            id: "u".into(),
            user_name: "a".into(),
            meta: Some(Meta {
                created: Some(Timestamp { seconds, nanos }),
                ..meta(3)
            }),
            ..User::default()
        };
        render(&user)["meta"]["created"].clone()
    };
    assert_eq!(stamp(0, 0), json!("1970-01-01T00:00:00Z"));
    assert_eq!(
        stamp(1_735_689_600, 123_456_789),
        json!("2025-01-01T00:00:00.123456789Z")
    );
    assert_eq!(
        stamp(0, -1),
        serde_json::Value::Null,
        "an invalid timestamp is left out"
    );
}

#[test]
fn an_empty_resource_type_from_the_core_still_renders_as_user() {
    let user = User {
        id: "u".into(),
        user_name: "a".into(),
        meta: Some(Meta {
            resource_type: String::new(),
            ..meta(2)
        }),
        ..User::default()
    };
    let body = render(&user);
    assert_eq!(body["meta"]["resourceType"], "User");
    assert_eq!(body["meta"]["version"], "W/\"2\"");
}
