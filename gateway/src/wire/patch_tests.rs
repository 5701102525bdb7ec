use axum::http::StatusCode;
use prost_types::value::Kind;
use serde_json::json;

use super::*;
use crate::errors::ScimType;

fn ops(body: serde_json::Value) -> Vec<PatchOperation> {
    patch_operations_from_json(body).unwrap()
}

fn string(s: &str) -> Option<prost_types::Value> {
    Some(prost_types::Value {
        kind: Some(Kind::StringValue(s.into())),
    })
}

fn op(op: &str, path: Option<&str>, value: Option<prost_types::Value>) -> PatchOperation {
    PatchOperation {
        op: op.into(),
        path: path.map(Into::into),
        value,
    }
}

/// docs/entra.md, C5: one capitalised op per attribute.
#[test]
fn entras_legacy_update_keeps_ops_paths_and_values_verbatim() {
    let operations = ops(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "name.givenName", "value": "Augusta"},
            {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0199"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"}
        ]
    }));
    assert_eq!(
        operations,
        vec![
            op("Replace", Some("name.givenName"), string("Augusta")),
            op(
                "Add",
                Some("phoneNumbers[type eq \"work\"].value"),
                string("+1 555 0199")
            ),
            op(
                "Replace",
                Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
                string("Ops")
            ),
        ]
    );
}

/// docs/entra.md, C6: `aadOptscim062020` folds attributes into one path-less value object
/// whose keys are paths; the gateway must not interpret them.
#[test]
fn entras_flagged_update_passes_the_dotted_key_object_through() {
    let operations = ops(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0199"},
            {"op": "replace", "value": {
                "userName": "augusta@contoso.com",
                "name.givenName": "Augusta",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Ops",
                "active": false}}
        ]
    }));
    assert_eq!(operations.len(), 2);
    assert_eq!(operations[1].op, "replace");
    assert_eq!(operations[1].path, None);
    let Some(Kind::StructValue(fields)) = operations[1].value.clone().and_then(|v| v.kind) else {
        panic!("expected an object value");
    };
    assert_eq!(fields.fields["name.givenName"], string("Augusta").unwrap());
    assert_eq!(
        fields.fields["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],
        string("Ops").unwrap()
    );
    assert_eq!(fields.fields["active"].kind, Some(Kind::BoolValue(false)));
}

/// docs/entra.md, C7: disable in both modes; the string stays a string for the core.
#[test]
fn disable_arrives_as_a_string_or_a_boolean() {
    let legacy = ops(json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}));
    assert_eq!(legacy, vec![op("Replace", Some("active"), string("False"))]);
    let flagged = ops(json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}));
    assert_eq!(flagged[0].value.clone().unwrap().kind, Some(Kind::BoolValue(false)));
}

/// docs/entra.md, C14/C15: member lists with `$ref: null`, and a value-less remove.
#[test]
fn member_adds_and_removes_keep_null_refs_and_missing_values_apart() {
    let add = ops(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "2819c223"}, {"value": "77aa0e10"}]}]}));
    let Some(Kind::ListValue(list)) = add[0].value.clone().and_then(|v| v.kind) else {
        panic!("expected a list")
    };
    let Some(Kind::StructValue(first)) = list.values[0].kind.clone() else {
        panic!("expected an object")
    };
    assert_eq!(first.fields["$ref"].kind, Some(Kind::NullValue(0)));
    assert_eq!(first.fields["value"], string("2819c223").unwrap());

    let remove = ops(json!({"Operations": [{"op": "remove", "path": "members[value eq \"2819c223\"]"}]}));
    assert_eq!(remove, vec![op("remove", Some("members[value eq \"2819c223\"]"), None)]);
}

/// docs/entra.md, C8: manager removal with an empty string, and an explicit null value.
#[test]
fn an_explicit_null_value_differs_from_no_value() {
    let operations = ops(json!({"Operations": [
        {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": ""},
        {"op": "replace", "path": "title", "value": null},
        {"op": "remove", "path": "title"}
    ]}));
    assert_eq!(operations[0].value, string(""));
    assert_eq!(operations[1].value.clone().unwrap().kind, Some(Kind::NullValue(0)));
    assert_eq!(operations[2].value, None);
}

#[test]
fn operation_keys_match_without_regard_to_case() {
    let operations = ops(json!({"operations": [{"OP": "Add", "Path": "title", "VALUE": "x"}]}));
    assert_eq!(operations, vec![op("Add", Some("title"), string("x"))]);
}

#[test]
fn missing_or_empty_operations_are_invalid_value() {
    for bad in [
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}),
        json!({"Operations": []}),
        json!({"Operations": null}),
        json!({"Operations": {"op": "add"}}),
        json!({"Operations": [{"path": "title", "value": "x"}]}),
        json!({"Operations": [{"op": 1}]}),
        json!({"Operations": ["add"]}),
        json!({"Operations": [{"op": "add", "path": 5}]}),
    ] {
        let error = patch_operations_from_json(bad.clone()).unwrap_err();
        assert_eq!(
            (error.status(), error.scim_type()),
            (StatusCode::BAD_REQUEST, Some(ScimType::InvalidValue)),
            "{bad}"
        );
    }
    let error = patch_operations_from_json(json!([])).unwrap_err();
    assert_eq!(error.scim_type(), Some(ScimType::InvalidSyntax));
}

#[test]
fn every_json_type_converts_to_the_same_protobuf_value() {
    let value = json_to_value(json!({
        "null": null, "true": true, "false": false, "int": 42, "neg": -7, "float": 1.5,
        "string": "s", "list": [1, "two", null, [true]], "object": {"nested": {"deep": "x"}}
    }));
    let Some(Kind::StructValue(object)) = value.kind else {
        panic!("expected an object")
    };
    let kind = |key: &str| object.fields[key].kind.clone().unwrap();
    assert_eq!(kind("null"), Kind::NullValue(0));
    assert_eq!(kind("true"), Kind::BoolValue(true));
    assert_eq!(kind("false"), Kind::BoolValue(false));
    assert_eq!(kind("int"), Kind::NumberValue(42.0));
    assert_eq!(kind("neg"), Kind::NumberValue(-7.0));
    assert_eq!(kind("float"), Kind::NumberValue(1.5));
    assert_eq!(kind("string"), Kind::StringValue("s".into()));
    let Kind::ListValue(list) = kind("list") else {
        panic!("expected a list")
    };
    let kinds: Vec<_> = list.values.into_iter().map(|v| v.kind.unwrap()).collect();
    assert_eq!(
        kinds[..3],
        [
            Kind::NumberValue(1.0),
            Kind::StringValue("two".into()),
            Kind::NullValue(0)
        ]
    );
    let Kind::ListValue(inner) = &kinds[3] else {
        panic!("expected a nested list")
    };
    assert_eq!(inner.values[0].kind, Some(Kind::BoolValue(true)));
    let Kind::StructValue(outer) = kind("object") else {
        panic!("expected an object")
    };
    let Some(Kind::StructValue(nested)) = outer.fields["nested"].kind.clone() else {
        panic!("expected nesting")
    };
    assert_eq!(nested.fields["deep"], string("x").unwrap());
}
