//! Discovery over HTTP and gRPC: `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`,
//! checked against the examples of RFC 7643 §8.5–§8.7 and against what idsync does.

use idsync_core::CoreSettings;
use idsync_proto::v1::discovery_client::DiscoveryClient;
use idsync_proto::v1::{GetSchemaRequest, ListSchemasRequest};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, assert_no_nulls, assert_scim_error, authed, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tonic::{Code, Request};

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// RFC 7643 §8.5, verbatim.
fn rfc_service_provider_config() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "http://example.com/help/scim.html",
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576},
        "filter": {"supported": true, "maxResults": 200},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [
            {"name": "OAuth Bearer Token",
             "description": "Authentication scheme using the OAuth Bearer Token Standard",
             "specUri": "http://www.rfc-editor.org/info/rfc6750",
             "documentationUri": "http://example.com/help/oauth.html",
             "type": "oauthbearertoken",
             "primary": true},
            {"name": "HTTP Basic",
             "description": "Authentication scheme using the HTTP Basic Standard",
             "specUri": "http://www.rfc-editor.org/info/rfc2617",
             "documentationUri": "http://example.com/help/httpBasic.html",
             "type": "httpbasic"}
        ],
        "meta": {
            "location": "https://example.com/v2/ServiceProviderConfig",
            "resourceType": "ServiceProviderConfig",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"3694e05e9dff594\""
        }
    })
}

/// RFC 7643 §8.6, verbatim.
fn rfc_resource_types() -> Value {
    json!([
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
         "id": "User", "name": "User", "endpoint": "/Users", "description": "User Account",
         "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
         "schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                               "required": true}],
         "meta": {"location": "https://example.com/v2/ResourceTypes/User", "resourceType": "ResourceType"}},
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
         "id": "Group", "name": "Group", "endpoint": "/Groups", "description": "Group",
         "schema": "urn:ietf:params:scim:schemas:core:2.0:Group",
         "meta": {"location": "https://example.com/v2/ResourceTypes/Group", "resourceType": "ResourceType"}}
    ])
}

/// Every key of the RFC example is ours too, with a value of the same JSON kind, except
/// the `optional` paths the RFC marks OPTIONAL and idsync leaves out.
fn assert_rfc_shape(ours: &Value, rfc: &Value, path: &str, optional: &[&str]) {
    match (ours, rfc) {
        (Value::Object(ours), Value::Object(rfc)) => {
            for (key, expected) in rfc {
                let at = format!("{path}.{key}");
                if optional.contains(&at.as_str()) {
                    continue;
                }
                let actual = ours.get(key).unwrap_or_else(|| panic!("{at} is missing"));
                assert_rfc_shape(actual, expected, &at, optional);
            }
        }
        (Value::Array(ours), Value::Array(rfc)) => {
            if let Some(template) = rfc.first() {
                assert!(!ours.is_empty(), "{path} is empty");
                for item in ours {
                    assert_rfc_shape(item, template, &format!("{path}[]"), optional);
                }
            }
        }
        (ours, rfc) => assert_eq!(kind(ours), kind(rfc), "{path}: {ours} vs {rfc}"),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn assert_list_response(body: &Value, count: usize) {
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(
        (body["totalResults"].as_u64(), body["itemsPerPage"].as_u64()),
        (Some(count as u64), Some(count as u64))
    );
    assert_eq!(body["startIndex"], 1);
    assert_eq!(body["Resources"].as_array().map(Vec::len), Some(count));
}

async fn the_service_provider_config_advertises_exactly_what_idsync_supports(backend: Backend) {
    let settings = CoreSettings {
        max_page_size: 50,
        ..CoreSettings::default()
    };
    let app = TestApp::spawn_with(backend, settings).await;
    let config = app.get_json("/ServiceProviderConfig").await;
    assert_no_nulls(&config);
    let optional = [
        ".documentationUri",
        ".authenticationSchemes[].documentationUri",
        ".meta.created",
        ".meta.lastModified",
        ".meta.version",
    ];
    assert_rfc_shape(&config, &rfc_service_provider_config(), "", &optional);
    assert_eq!(config["filter"], json!({"supported": true, "maxResults": 50}));
    assert_eq!(
        config["bulk"],
        json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576}),
        "the Bulk limits the gateway enforces"
    );
    for feature in ["patch", "changePassword", "sort", "etag"] {
        assert_eq!(config[feature], json!({"supported": true}), "{feature}");
    }
    assert_eq!(config["authenticationSchemes"][0]["type"], "oauthbearertoken");
    assert_eq!(
        config["meta"]["location"],
        format!("{}/ServiceProviderConfig", app.tenant_url)
    );
}

async fn resource_types_describe_users_and_groups_as_rfc_7643_shows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let list = app.get_json("/ResourceTypes").await;
    assert_list_response(&list, 2);
    assert_no_nulls(&list);
    let rfc = rfc_resource_types();
    for (ours, example) in list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .zip(rfc.as_array().unwrap())
    {
        assert_rfc_shape(ours, example, "", &[]);
        for key in ["schemas", "id", "name", "endpoint", "description", "schema"] {
            assert_eq!(ours[key], example[key], "{key}");
        }
        let id = ours["id"].as_str().unwrap();
        assert_eq!(
            ours["meta"]["location"],
            format!("{}/ResourceTypes/{id}", app.tenant_url)
        );
        assert_eq!(&app.get_json(&format!("/ResourceTypes/{id}")).await, ours);
    }
    assert_eq!(
        list["Resources"][0]["schemaExtensions"],
        json!([{"schema": ENTERPRISE_URN, "required": false}]),
        "users without enterprise attributes are valid"
    );
    assert_eq!(app.get_json("/ResourceTypes/user").await["id"], "User");
    assert_scim_error(app.get("/ResourceTypes/Device").await, StatusCode::NOT_FOUND, None).await;
}

/// `attribute` has every characteristic `rfc` prints (sub-attributes matched by name).
pub(crate) fn assert_attribute(ours: &Value, rfc: &Value) {
    let name = rfc["name"].as_str().unwrap();
    for (key, expected) in rfc.as_object().unwrap() {
        if key == "subAttributes" {
            for sub in expected.as_array().unwrap() {
                let mine = ours["subAttributes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["name"] == sub["name"]);
                assert_attribute(mine.unwrap_or_else(|| panic!("{name}.{} is missing", sub["name"])), sub);
            }
        } else if key != "description" {
            assert_eq!(&ours[key], expected, "{name}.{key}");
        }
    }
}

pub(crate) fn find<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap()
}

async fn schemas_publish_user_enterprise_user_and_group(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let list = app.get_json("/Schemas").await;
    assert_list_response(&list, 3);
    assert_no_nulls(&list);
    let ids: Vec<_> = list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].clone())
        .collect();
    assert_eq!(ids, [USER_URN, ENTERPRISE_URN, GROUP_URN]);
    for schema in list["Resources"].as_array().unwrap() {
        let id = schema["id"].as_str().unwrap();
        assert_eq!(
            schema["schemas"],
            json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"])
        );
        assert_eq!(
            schema["meta"],
            json!({"resourceType": "Schema", "location": format!("{}/Schemas/{id}", app.tenant_url)})
        );
        assert_eq!(&app.get_json(&format!("/Schemas/{id}")).await, schema);
    }
    let user = &list["Resources"][0];
    // RFC 7643 §8.7.1, descriptions left out.
    assert_attribute(
        find(user, "userName"),
        &json!({"name": "userName", "type": "string", "multiValued": false, "required": true,
                "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "server"}),
    );
    assert_attribute(
        find(user, "password"),
        &json!({"name": "password", "type": "string", "multiValued": false,
        "required": false, "caseExact": false, "mutability": "writeOnly", "returned": "never", "uniqueness": "none"}),
    );
    assert_attribute(
        find(user, "phoneNumbers"),
        &json!({"name": "phoneNumbers", "type": "complex",
        "multiValued": true, "required": false, "mutability": "readWrite", "returned": "default", "subAttributes": [
            {"name": "value", "type": "string", "multiValued": false, "required": false, "caseExact": false,
             "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
            {"name": "type", "type": "string", "multiValued": false, "required": false, "caseExact": false,
             "canonicalValues": ["work", "home", "mobile", "fax", "pager", "other"],
             "mutability": "readWrite", "returned": "default", "uniqueness": "none"}]}),
    );
    assert_attribute(
        find(user, "groups"),
        &json!({"name": "groups", "type": "complex", "multiValued": true,
        "required": false, "mutability": "readOnly", "returned": "default"}),
    );
    assert_attribute(
        find(user, "id"),
        &json!({"name": "id", "mutability": "readOnly", "returned": "always",
        "uniqueness": "server", "caseExact": true}),
    );
    assert!(
        user["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["name"] != "meta")
    );
    let enterprise = &list["Resources"][1];
    assert_attribute(
        find(enterprise, "department"),
        &json!({"name": "department", "type": "string",
        "multiValued": false, "required": false, "caseExact": false, "mutability": "readWrite",
        "returned": "default", "uniqueness": "none"}),
    );
    assert_eq!(
        find(enterprise, "manager")["subAttributes"].as_array().map(Vec::len),
        Some(3)
    );
    let lower = app
        .get_json(&format!("/Schemas/{}", ENTERPRISE_URN.to_lowercase()))
        .await;
    assert_eq!(lower["id"], ENTERPRISE_URN);
    let unknown = app.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Device").await;
    assert_scim_error(unknown, StatusCode::NOT_FOUND, None).await;
}

async fn discovery_needs_a_valid_token_of_any_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas", "/Schemas/urn:x"] {
        let anonymous = app.send(Method::GET, path, None, None).await;
        assert_scim_error(anonymous, StatusCode::UNAUTHORIZED, None).await;
    }
    for scope in [Scope::Read, Scope::Admin] {
        let token = app.new_token(scope).await;
        let response = app.send(Method::GET, "/Schemas", Some(&token), None).await;
        assert_eq!(response.status(), StatusCode::OK, "{scope:?}");
    }
}

async fn discovery_refuses_filters_and_writes_and_ignores_paging(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/Schemas?filter=id+pr",
        "/ResourceTypes?FILTER=",
        "/ServiceProviderConfig?filter=x",
    ] {
        assert_scim_error(app.get(path).await, StatusCode::FORBIDDEN, None).await;
    }
    let paged = app.get_json("/Schemas?startIndex=2&count=1&sortBy=name").await;
    assert_list_response(&paged, 3);
    for (method, path) in [
        (Method::POST, "/Schemas"),
        (Method::PUT, "/ServiceProviderConfig"),
        (Method::DELETE, "/ResourceTypes/User"),
        (Method::PATCH, "/Schemas/urn:x"),
    ] {
        let response = app.send(method.clone(), path, Some(&app.token), Some(&json!({}))).await;
        assert_scim_error(response, StatusCode::METHOD_NOT_ALLOWED, None).await;
    }
}

async fn internal_services_read_the_same_schemas_over_grpc(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut discovery = DiscoveryClient::connect(app.grpc_url()).await.unwrap();
    let anonymous = discovery
        .list_schemas(Request::new(ListSchemasRequest {}))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let reader = app.new_token(Scope::Read).await;
    let schemas = discovery
        .list_schemas(authed(&reader, ListSchemasRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(schemas.schemas.len(), 3);
    let missing = discovery
        .get_schema(authed(&reader, GetSchemaRequest { id: "urn:nope".into() }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

/// The advertised `changePassword` is true: a PATCH of `password` replaces the stored hash.
async fn change_password_is_advertised_because_it_works(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(
        app.get_json("/ServiceProviderConfig").await["changePassword"]["supported"],
        true
    );
    let user = app
        .created_user(&json!({"userName": "pw@contoso.com", "password": "first-Secret-1"}))
        .await;
    let id = user["id"].as_str().unwrap();
    let before = app.password_hash(id).await.expect("a hash is stored");
    let patch = json!({"Operations": [{"op": "replace", "path": "password", "value": "second-Secret-2"}]});
    let response = app.patch_user(id, &patch).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("password").is_none(), "writeOnly");
    let after = app.password_hash(id).await.expect("a hash is stored");
    assert_ne!(before, after);
}

on_both_backends!(
    the_service_provider_config_advertises_exactly_what_idsync_supports,
    resource_types_describe_users_and_groups_as_rfc_7643_shows,
    schemas_publish_user_enterprise_user_and_group,
    discovery_needs_a_valid_token_of_any_scope,
    discovery_refuses_filters_and_writes_and_ignores_paging,
    internal_services_read_the_same_schemas_over_grpc,
    change_password_is_advertised_because_it_works,
);
