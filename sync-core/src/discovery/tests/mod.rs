#![allow(clippy::unwrap_used)]

mod group;
mod rfc7643;

use std::collections::BTreeSet;
use std::time::Duration;

use idsync_proto::v1::{Attribute, AttributeMutability, AttributeReturned, AttributeType, AttributeUniqueness, Schema};
use idsync_storage::test_util::TestDb;
use serde_json::{Value, json};

use super::notes::{self, CORE_NOTES, ENTERPRISE_NOTES, GROUP_NOTES};
use super::*;
use crate::CoreSettings;
use crate::schema::{USER_LEAVES, USER_MULTI};

fn core_with(settings: CoreSettings) -> (Core, TestDb) {
    let db = TestDb::sqlite();
    (Core::new(db.store(), settings), db)
}

fn schema(id: &str) -> Schema {
    SCHEMAS.iter().find(|s| s.id == id).unwrap().clone()
}

fn attr<'a>(attributes: &'a [Attribute], name: &str) -> &'a Attribute {
    attributes
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

/// `urn|attr` and `urn|attr.sub` of every attribute published in the schemas `urns`.
fn published_paths(urns: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for schema in urns.iter().map(|urn| schema(urn)) {
        for a in &schema.attributes {
            out.insert(format!("{}|{}", schema.id, a.name));
            for s in &a.sub_attributes {
                out.insert(format!("{}|{}.{}", schema.id, a.name, s.name));
            }
        }
    }
    out
}

#[test]
fn every_stored_user_attribute_is_published_exactly_once_and_nothing_else() {
    let mut stored = BTreeSet::new();
    for def in USER_LEAVES.iter().filter(|d| d.attr != "meta") {
        stored.insert(format!("{}|{}", def.urn, def.attr));
        if let Some(sub) = def.sub {
            stored.insert(format!("{}|{}.{}", def.urn, def.attr, sub));
        }
    }
    for multi in USER_MULTI {
        stored.insert(format!("{USER_URN}|{}", multi.name));
        for sub in multi.subs {
            stored.insert(format!("{USER_URN}|{}.{}", multi.name, sub.name));
        }
    }
    // Derived from membership, not stored on the user: what a User's groups carry.
    for derived in ["groups", "groups.value", "groups.display", "groups.type"] {
        stored.insert(format!("{USER_URN}|{derived}"));
    }
    assert_eq!(published_paths(&[USER_URN, ENTERPRISE_URN]), stored);
    let names: Vec<_> = schema(USER_URN).attributes.iter().map(|a| a.name.clone()).collect();
    let unique: BTreeSet<_> = names.iter().collect();
    assert_eq!(names.len(), unique.len(), "no attribute twice: {names:?}");
}

#[test]
fn every_attribute_has_a_description_and_every_note_names_an_attribute() {
    fn check(attributes: &[Attribute], parent: &str) {
        for a in attributes {
            assert!(!a.description.is_empty(), "{parent}{} has no description", a.name);
            check(&a.sub_attributes, &format!("{}.", a.name));
        }
    }
    for schema in SCHEMAS.iter() {
        assert!(!schema.description.is_empty());
        check(&schema.attributes, "");
    }
    let published = published_paths(&[USER_URN, ENTERPRISE_URN, GROUP_URN]);
    for (urn, table) in [
        (USER_URN, CORE_NOTES),
        (ENTERPRISE_URN, ENTERPRISE_NOTES),
        (GROUP_URN, GROUP_NOTES),
    ] {
        for note in table {
            let hit = match note.path.strip_prefix("*.") {
                Some(sub) => published.iter().any(|p| p.ends_with(&format!(".{sub}"))),
                None => published.contains(&format!("{urn}|{}", note.path)),
            };
            assert!(hit, "note {} names no published attribute", note.path);
        }
    }
    assert!(notes::find(CORE_NOTES, "EMAILS", Some("TYPE")).is_some_and(|n| !n.canonical.is_empty()));
    assert!(notes::find(CORE_NOTES, "roles", Some("display")).is_some_and(|n| n.path == "*.display"));
}

#[test]
fn id_username_and_password_carry_their_rfc_characteristics() {
    let user = schema(USER_URN);
    let id = attr(&user.attributes, "id");
    assert_eq!(id.mutability(), AttributeMutability::ReadOnly);
    assert_eq!(id.returned(), AttributeReturned::Always);
    assert_eq!(id.uniqueness(), AttributeUniqueness::Server);
    assert!(id.case_exact && !id.required);

    let user_name = attr(&user.attributes, "userName");
    assert!(user_name.required && !user_name.case_exact);
    assert_eq!(user_name.uniqueness(), AttributeUniqueness::Server);
    assert_eq!(user_name.mutability(), AttributeMutability::ReadWrite);

    let password = attr(&user.attributes, "password");
    assert_eq!(password.mutability(), AttributeMutability::WriteOnly);
    assert_eq!(password.returned(), AttributeReturned::Never);

    let groups = attr(&user.attributes, "groups");
    assert!(groups.multi_valued);
    assert_eq!(groups.mutability(), AttributeMutability::ReadOnly);
    assert!(
        groups
            .sub_attributes
            .iter()
            .all(|s| s.mutability() == AttributeMutability::ReadOnly)
    );
    assert!(user.attributes.iter().all(|a| a.name != "meta"), "meta is in no schema");
}

#[test]
fn complex_attributes_are_built_from_the_leaves_inside_them() {
    let user = schema(USER_URN);
    let name = attr(&user.attributes, "name");
    assert_eq!((name.r#type(), name.multi_valued), (AttributeType::Complex, false));
    let subs: Vec<_> = name.sub_attributes.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        subs,
        [
            "formatted",
            "familyName",
            "givenName",
            "middleName",
            "honorificPrefix",
            "honorificSuffix"
        ]
    );

    let enterprise = schema(ENTERPRISE_URN);
    let manager = attr(&enterprise.attributes, "manager");
    assert_eq!(manager.mutability(), AttributeMutability::ReadWrite);
    let display = attr(&manager.sub_attributes, "displayName");
    assert_eq!(display.mutability(), AttributeMutability::ReadOnly);
    assert_eq!(attr(&manager.sub_attributes, "$ref").reference_types, ["User"]);
    // Entra's kpifire mapping must be discoverable (docs/entra.md, C18).
    assert_eq!(
        attr(&enterprise.attributes, "department").r#type(),
        AttributeType::String
    );
    let phones = attr(&user.attributes, "phoneNumbers");
    assert!(phones.multi_valued);
    assert!(
        attr(&phones.sub_attributes, "type")
            .canonical_values
            .contains(&"work".to_string())
    );
    attr(&phones.sub_attributes, "value");
}

fn enum_json(a: &Attribute) -> Value {
    let ty = match a.r#type() {
        AttributeType::String => "string",
        AttributeType::Boolean => "boolean",
        AttributeType::Decimal => "decimal",
        AttributeType::Integer => "integer",
        AttributeType::DateTime => "dateTime",
        AttributeType::Binary => "binary",
        AttributeType::Reference => "reference",
        AttributeType::Complex => "complex",
        AttributeType::Unspecified => "?",
    };
    let mutability = match a.mutability() {
        AttributeMutability::ReadOnly => "readOnly",
        AttributeMutability::ReadWrite => "readWrite",
        AttributeMutability::Immutable => "immutable",
        AttributeMutability::WriteOnly => "writeOnly",
        AttributeMutability::Unspecified => "?",
    };
    let returned = match a.returned() {
        AttributeReturned::Always => "always",
        AttributeReturned::Never => "never",
        AttributeReturned::Default => "default",
        AttributeReturned::Request => "request",
        AttributeReturned::Unspecified => "?",
    };
    let uniqueness = match a.uniqueness() {
        AttributeUniqueness::None => "none",
        AttributeUniqueness::Server => "server",
        AttributeUniqueness::Global => "global",
        AttributeUniqueness::Unspecified => "?",
    };
    json!({"type": ty, "multiValued": a.multi_valued, "required": a.required, "caseExact": a.case_exact,
           "mutability": mutability, "returned": returned, "uniqueness": uniqueness,
           "canonicalValues": a.canonical_values, "referenceTypes": a.reference_types})
}

/// Where idsync deliberately differs from RFC 7643 §8.7.1, and why: the characteristic
/// that differs, or `absent` for an attribute idsync does not publish.
const DEVIATIONS: &[(&str, &str)] = &[
    // Ids and references to resources are compared exactly, as ids are: idsync stores
    // and filters these case-sensitively.
    ("manager.value", "caseExact"),
    ("manager.$ref", "caseExact"),
    ("members.value", "caseExact"),
    ("members.$ref", "caseExact"),
    ("groups.value", "caseExact"),
    // A User's groups are rendered without `$ref`, so it is not published either.
    ("groups.$ref", "absent"),
    // RFC 7643 §4.2 says displayName is REQUIRED; its §8.7.1 example says otherwise.
    ("displayName@Group", "required"),
    // Entra matches groups by displayName: the store keeps it unique per tenant ignoring
    // case (RFC 7643 §4.2 leaves uniqueness open; the example says none).
    ("displayName@Group", "uniqueness"),
];

fn is_deviation(path: &str, schema: &str, key: &str) -> bool {
    DEVIATIONS
        .iter()
        .any(|(p, k)| (*p == path || *p == format!("{path}@{schema}")) && *k == key)
}

/// Every characteristic the RFC prints must be ours too, attribute by attribute.
fn assert_matches_rfc(ours: &[Attribute], rfc: &[Value], parent: &str, schema: &str) {
    for expected in rfc {
        let name = expected["name"].as_str().unwrap();
        let path = format!("{parent}{name}");
        let Some(mine) = ours.iter().find(|a| a.name == name) else {
            assert!(
                is_deviation(&path, schema, "absent"),
                "{schema} {path} is not published"
            );
            continue;
        };
        assert!(
            !is_deviation(&path, schema, "absent"),
            "{path} is listed as absent but is published"
        );
        let actual = enum_json(mine);
        for (key, want) in expected.as_object().unwrap() {
            if matches!(key.as_str(), "name" | "subAttributes") {
                continue;
            }
            let deviation = is_deviation(&path, schema, key);
            if deviation {
                assert_ne!(
                    &actual[key], want,
                    "{path}.{key} is listed as a deviation but matches the RFC"
                );
            } else {
                assert_eq!(&actual[key], want, "{schema} {path}: {key}");
            }
        }
        if let Some(subs) = expected.get("subAttributes").and_then(Value::as_array) {
            assert_matches_rfc(&mine.sub_attributes, subs, &format!("{path}."), schema);
        }
    }
}

#[test]
fn published_schemas_agree_with_the_rfc_7643_examples() {
    assert_matches_rfc(&schema(USER_URN).attributes, &rfc7643::user(), "", "User");
    assert_matches_rfc(
        &schema(ENTERPRISE_URN).attributes,
        &rfc7643::enterprise(),
        "",
        "EnterpriseUser",
    );
    assert_matches_rfc(&schema(GROUP_URN).attributes, &rfc7643::group(), "", "Group");
}

#[test]
fn pagination_advertises_both_methods_with_index_the_default_and_the_configured_limits() {
    let (core, _db) = core_with(CoreSettings {
        default_page_size: 10,
        max_page_size: 250,
        cursor_timeout: Duration::from_secs(600),
        ..CoreSettings::default()
    });
    assert_eq!(
        core.service_provider_config().pagination,
        Some(idsync_proto::v1::Pagination {
            cursor: true,
            index: true,
            default_pagination_method: "index".into(),
            default_page_size: 10,
            max_page_size: 250,
            cursor_timeout: Some(600),
        })
    );
}

#[test]
fn the_service_provider_config_advertises_exactly_what_is_configured() {
    let settings = CoreSettings {
        token_cache_ttl: Duration::ZERO,
        default_page_size: 10,
        max_page_size: 250,
        bulk: BulkSettings::default(),
        ..CoreSettings::default()
    };
    let (core, _db) = core_with(settings);
    let config = core.service_provider_config();
    assert_eq!(
        config.filter,
        Some(FilterSupport {
            supported: true,
            max_results: 250
        })
    );
    assert_eq!(
        config.bulk,
        Some(BulkSupport {
            supported: false,
            max_operations: 0,
            max_payload_size: 0
        })
    );
    for feature in [config.patch, config.change_password, config.sort, config.etag] {
        assert_eq!(feature, Some(FeatureSupport { supported: true }));
    }
    assert_eq!(config.authentication_schemes.len(), 1);
    assert_eq!(config.authentication_schemes[0].r#type, "oauthbearertoken");
    assert!(config.authentication_schemes[0].primary);

    let bulk = BulkSettings {
        supported: true,
        max_operations: 50,
        max_payload_size: 1 << 20,
    };
    let (core, _db) = core_with(CoreSettings {
        bulk,
        ..CoreSettings::default()
    });
    assert_eq!(
        core.service_provider_config().bulk,
        Some(BulkSupport {
            supported: true,
            max_operations: 50,
            max_payload_size: 1 << 20
        })
    );
}

#[test]
fn resource_types_and_schemas_are_found_by_id_ignoring_case() {
    let (core, _db) = core_with(CoreSettings::default());
    let ids: Vec<_> = core.resource_types().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["User", "Group"]);
    let user = core.resource_type("user").unwrap();
    assert_eq!((user.endpoint.as_str(), user.schema.as_str()), ("/Users", USER_URN));
    assert_eq!(user.schema_extensions[0].schema, ENTERPRISE_URN);
    assert!(!user.schema_extensions[0].required);
    assert!(matches!(core.resource_type("Device"), Err(CoreError::NotFound(_))));

    let upper = ENTERPRISE_URN.to_ascii_uppercase();
    assert_eq!(core.schema(&upper).unwrap().id, ENTERPRISE_URN);
    assert!(matches!(core.schema("urn:example:nope"), Err(CoreError::NotFound(_))));
    let ids: Vec<_> = core.schemas().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [USER_URN, ENTERPRISE_URN, GROUP_URN]);
}
