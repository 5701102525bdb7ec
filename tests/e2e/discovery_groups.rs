//! The published Group schema and the membership references of both resource types,
//! checked against RFC 7643 §8.7.1 and against what idsync renders.

use idsync_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::discovery::{assert_attribute, find};

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

async fn the_group_schema_is_rfc_7643s_with_what_idsync_enforces(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let group = &app.get_json(&format!("/Schemas/{GROUP_URN}")).await;
    let names: Vec<_> = group["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["name"])
        .collect();
    assert_eq!(names, ["id", "externalId", "displayName", "members"]);
    // RFC 7643 §8.7.1 but for what idsync enforces: displayName is required (§4.2) and
    // unique in the tenant ignoring case; member ids are compared exactly.
    assert_attribute(
        find(group, "displayName"),
        &json!({"name": "displayName", "type": "string", "multiValued": false, "required": true,
                "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "server"}),
    );
    assert_attribute(
        find(group, "members"),
        &json!({"name": "members", "type": "complex", "multiValued": true, "required": false,
        "mutability": "readWrite", "returned": "default", "subAttributes": [
            {"name": "value", "type": "string", "multiValued": false, "required": false, "caseExact": true,
             "mutability": "immutable", "returned": "default", "uniqueness": "none"},
            {"name": "$ref", "type": "reference", "referenceTypes": ["User", "Group"], "multiValued": false,
             "required": false, "caseExact": true, "mutability": "immutable", "returned": "default",
             "uniqueness": "none"},
            {"name": "display", "type": "string", "multiValued": false, "required": false, "caseExact": false,
             "mutability": "readOnly", "returned": "request", "uniqueness": "none"},
            {"name": "type", "type": "string", "multiValued": false, "required": false, "caseExact": false,
             "canonicalValues": ["User", "Group"], "mutability": "immutable", "returned": "default",
             "uniqueness": "none"}]}),
    );
}

fn sub_attribute_names(attribute: &Value) -> Vec<String> {
    let mut names: Vec<String> = attribute["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn keys(element: &Value) -> Vec<String> {
    let mut keys: Vec<String> = element.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// What `/Schemas` says a member and a User's group carry is what idsync renders: by
/// default every sub-attribute but the `returned: request` one, and that one when asked.
async fn published_member_and_group_sub_attributes_are_the_rendered_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app
        .created_user(&json!({"userName": "ada@contoso.com", "displayName": "Ada"}))
        .await;
    let ada = ada["id"].as_str().unwrap();
    let inner = app.group_id("Inner").await;
    let outer = app.group_id("Outer").await;
    app.patched_group(
        &outer,
        json!([{"op": "add", "path": "members", "value": [{"value": ada}, {"value": inner}]}]),
    )
    .await;

    let group_schema = app.get_json(&format!("/Schemas/{GROUP_URN}")).await;
    let members = find(&group_schema, "members");
    let published = sub_attribute_names(members);
    let on_request: Vec<String> = members["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["returned"] == "request")
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(on_request, ["display"]);
    let by_default: Vec<String> = published.iter().filter(|n| !on_request.contains(n)).cloned().collect();
    for member in app.group(&outer).await["members"].as_array().unwrap() {
        assert_eq!(keys(member), by_default, "{member}");
    }
    let asked = app
        .get_json(&format!("/Groups/{outer}?attributes=members,members.display"))
        .await;
    for member in asked["members"].as_array().unwrap() {
        assert_eq!(keys(member), published, "{member}");
    }
    let user_schema = app.get_json(&format!("/Schemas/{USER_URN}")).await;
    let published = sub_attribute_names(find(&user_schema, "groups"));
    assert_eq!(published, ["display", "type", "value"], "a User's groups carry no $ref");
    let user = app.get_json(&format!("/Users/{ada}")).await;
    assert_eq!(keys(&user["groups"][0]), published);
}

on_both_backends!(
    the_group_schema_is_rfc_7643s_with_what_idsync_enforces,
    published_member_and_group_sub_attributes_are_the_rendered_ones,
);
