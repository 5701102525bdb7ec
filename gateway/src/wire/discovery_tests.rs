//! Rendering of discovery resources: exact JSON for known proto messages, in the shapes of
//! RFC 7643 §8.5 (service provider configuration), §8.6 (resource types) and §8.7.1
//! (schemas).

use idsync_proto::v1::{
    Attribute, AttributeMutability, AttributeReturned, AttributeType, AttributeUniqueness, AuthenticationScheme,
    BulkSupport, FeatureSupport, FilterSupport, Pagination, ResourceType, Schema, SchemaExtension,
    ServiceProviderConfig,
};
use serde_json::{Value, json};

use super::discovery_out::{ResourceTypeOut, ServiceProviderConfigOut};
use super::schema_out::SchemaOut;

const BASE: &str = "https://example.com/scim/v2";

fn supported(supported: bool) -> Option<FeatureSupport> {
    Some(FeatureSupport { supported })
}

#[test]
fn pagination_renders_as_rfc_9865_section_4_leaving_out_what_the_core_left_out() {
    let mut config = ServiceProviderConfig {
        pagination: Some(Pagination {
            cursor: true,
            index: true,
            default_pagination_method: "index".into(),
            default_page_size: 100,
            max_page_size: 1000,
            cursor_timeout: Some(3600),
        }),
        ..ServiceProviderConfig::default()
    };
    let body = serde_json::to_value(ServiceProviderConfigOut::new(&config, BASE)).unwrap();
    assert_eq!(
        body["pagination"],
        json!({
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": 100,
            "maxPageSize": 1000,
            "cursorTimeout": 3600
        })
    );
    config.pagination = Some(Pagination {
        cursor: false,
        index: true,
        ..Pagination::default()
    });
    let body = serde_json::to_value(ServiceProviderConfigOut::new(&config, BASE)).unwrap();
    assert_eq!(body["pagination"], json!({"cursor": false, "index": true}));
    config.pagination = None;
    let body = serde_json::to_value(ServiceProviderConfigOut::new(&config, BASE)).unwrap();
    assert!(body.get("pagination").is_none());
}

#[test]
fn the_service_provider_config_renders_every_rfc_7643_section_5_attribute() {
    let config = ServiceProviderConfig {
        documentation_uri: None,
        patch: supported(true),
        bulk: Some(BulkSupport {
            supported: false,
            max_operations: 0,
            max_payload_size: 0,
        }),
        filter: Some(FilterSupport {
            supported: true,
            max_results: 200,
        }),
        change_password: supported(true),
        sort: supported(true),
        etag: None,
        authentication_schemes: vec![AuthenticationScheme {
            r#type: "oauthbearertoken".into(),
            name: "OAuth Bearer Token".into(),
            description: "Authentication scheme using the OAuth Bearer Token Standard".into(),
            spec_uri: Some("http://www.rfc-editor.org/info/rfc6750".into()),
            documentation_uri: Some(String::new()),
            primary: true,
        }],
        pagination: None,
    };
    let body = serde_json::to_value(ServiceProviderConfigOut::new(&config, BASE)).unwrap();
    assert_eq!(
        body,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": 200},
            "changePassword": {"supported": true},
            "sort": {"supported": true},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication scheme using the OAuth Bearer Token Standard",
                "specUri": "http://www.rfc-editor.org/info/rfc6750",
                "primary": true
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": "https://example.com/scim/v2/ServiceProviderConfig"
            }
        })
    );
}

#[test]
fn a_resource_type_renders_as_in_rfc_7643_section_8_6() {
    let user = ResourceType {
        id: "User".into(),
        name: "User".into(),
        description: "User Account".into(),
        endpoint: "/Users".into(),
        schema: "urn:ietf:params:scim:schemas:core:2.0:User".into(),
        schema_extensions: vec![SchemaExtension {
            schema: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".into(),
            required: true,
        }],
    };
    let body = serde_json::to_value(ResourceTypeOut::new(&user, "https://example.com/v2")).unwrap();
    // RFC 7643 §8.6, first example, verbatim.
    let rfc = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
        "schemaExtensions": [
            {
                "schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "required": true
            }
        ],
        "meta": {
            "location": "https://example.com/v2/ResourceTypes/User",
            "resourceType": "ResourceType"
        }
    });
    assert_eq!(body, rfc);
    let group = ResourceType {
        id: "Group".into(),
        schema_extensions: vec![],
        ..user
    };
    let body = serde_json::to_value(ResourceTypeOut::new(&group, BASE)).unwrap();
    assert!(body.get("schemaExtensions").is_none(), "no empty list: {body}");
}

fn attribute(name: &str, kind: AttributeType) -> Attribute {
    Attribute {
        name: name.into(),
        r#type: kind as i32,
        multi_valued: false,
        description: format!("{name}."),
        required: false,
        canonical_values: vec![],
        case_exact: false,
        mutability: AttributeMutability::ReadWrite as i32,
        returned: AttributeReturned::Default as i32,
        uniqueness: AttributeUniqueness::None as i32,
        reference_types: vec![],
        sub_attributes: vec![],
    }
}

#[test]
fn schema_attributes_render_their_characteristics_as_rfc_7643_section_7_spells_them() {
    let emails = Attribute {
        multi_valued: true,
        sub_attributes: vec![
            attribute("value", AttributeType::String),
            Attribute {
                canonical_values: vec!["work".into(), "home".into(), "other".into()],
                ..attribute("type", AttributeType::String)
            },
            attribute("primary", AttributeType::Boolean),
            Attribute {
                reference_types: vec!["external".into()],
                case_exact: true,
                ..attribute("$ref", AttributeType::Reference)
            },
        ],
        ..attribute("emails", AttributeType::Complex)
    };
    let password = Attribute {
        mutability: AttributeMutability::WriteOnly as i32,
        returned: AttributeReturned::Never as i32,
        ..attribute("password", AttributeType::String)
    };
    let id = Attribute {
        case_exact: true,
        mutability: AttributeMutability::ReadOnly as i32,
        returned: AttributeReturned::Always as i32,
        uniqueness: AttributeUniqueness::Server as i32,
        ..attribute("id", AttributeType::String)
    };
    let schema = Schema {
        id: "urn:ietf:params:scim:schemas:core:2.0:User".into(),
        name: "User".into(),
        description: "User Account".into(),
        attributes: vec![id, password, emails],
    };
    let body = serde_json::to_value(SchemaOut::new(&schema, BASE)).unwrap();
    let plain = |name: &str, kind: &str| -> Value {
        json!({"name": name, "type": kind, "multiValued": false, "description": format!("{name}."),
               "required": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"})
    };
    let mut value = plain("value", "string");
    value["caseExact"] = json!(false);
    let mut kind = plain("type", "string");
    kind["caseExact"] = json!(false);
    kind["canonicalValues"] = json!(["work", "home", "other"]);
    let mut reference = plain("$ref", "reference");
    reference["caseExact"] = json!(true);
    reference["referenceTypes"] = json!(["external"]);
    assert_eq!(
        body,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": "urn:ietf:params:scim:schemas:core:2.0:User",
            "name": "User",
            "description": "User Account",
            "attributes": [
                {"name": "id", "type": "string", "multiValued": false, "description": "id.", "required": false,
                 "caseExact": true, "mutability": "readOnly", "returned": "always", "uniqueness": "server"},
                {"name": "password", "type": "string", "multiValued": false, "description": "password.",
                 "required": false, "caseExact": false, "mutability": "writeOnly", "returned": "never",
                 "uniqueness": "none"},
                {"name": "emails", "type": "complex", "multiValued": true, "description": "emails.",
                 "required": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
                 "subAttributes": [value, kind, plain("primary", "boolean"), reference]}
            ],
            "meta": {
                "resourceType": "Schema",
                "location": "https://example.com/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"
            }
        })
    );
}

#[test]
fn unknown_enum_numbers_render_as_the_rfc_7643_defaults() {
    let odd = Attribute {
        r#type: 99,
        mutability: 99,
        returned: 99,
        uniqueness: 99,
        ..attribute("odd", AttributeType::String)
    };
    let schema = Schema {
        attributes: vec![odd],
        ..Schema::default()
    };
    let body = serde_json::to_value(SchemaOut::new(&schema, BASE)).unwrap();
    let odd = &body["attributes"][0];
    assert_eq!(
        (&odd["type"], &odd["mutability"], &odd["returned"], &odd["uniqueness"]),
        (&json!("string"), &json!("readWrite"), &json!("default"), &json!("none"))
    );
}
