//! SCIM `PatchOp` bodies (RFC 7644 §3.5.2) → proto `PatchOperation`s.
//!
//! The gateway only transcribes: `op` and `path` go through verbatim and `value` becomes a
//! `google.protobuf.Value` of the same shape. Interpreting them (op case, dotted keys in
//! path-less values, Entra's string booleans, filtered paths) is sync-core's job.

use std::collections::BTreeMap;

use idsync_proto::v1::PatchOperation;
use prost_types::value::Kind;
use prost_types::{ListValue, NullValue, Struct};
use serde_json::Value;

use super::{Attr, Slot, slots, wrong_type};
use crate::errors::ApiError;

/// The operations of a PATCH body, in order; never empty.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PatchBody(pub Vec<PatchOperation>);

impl TryFrom<Value> for PatchBody {
    type Error = ApiError;

    fn try_from(body: Value) -> Result<Self, ApiError> {
        patch_operations_from_json(body).map(PatchBody)
    }
}

/// Reads `{"schemas": [...], "Operations": [{"op", "path", "value"}, ...]}`; the
/// `Operations` key and the operation keys match without regard to ASCII case. `schemas`
/// is not checked: Entra always sends the PatchOp URN, and nothing else would change.
pub(crate) fn patch_operations_from_json(body: Value) -> Result<Vec<PatchOperation>, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::invalid_syntax("the request body must be a JSON object"));
    };
    let [operations] = slots(map, None, ["Operations"]);
    let operations = operations.array()?;
    if operations.is_empty() {
        return Err(ApiError::invalid_value(
            "a PATCH request needs a non-empty 'Operations' array",
        ));
    }
    operations.into_iter().map(operation_from_json).collect()
}

fn operation_from_json(operation: Value) -> Result<PatchOperation, ApiError> {
    let attr = Attr::top("Operations");
    let Value::Object(map) = operation else {
        return Err(wrong_type(attr, "an array of objects", &operation));
    };
    let [op, path, value] = slots(map, Some("Operations"), ["op", "path", "value"]);
    let op_attr = op.attr();
    let Some(op) = op.string()? else {
        return Err(ApiError::invalid_value(format!("attribute '{op_attr}' is required")));
    };
    Ok(PatchOperation {
        op,
        path: path.string()?,
        value: value_or_absent(value),
    })
}

/// `value` absent from the operation is `None`; an explicit `null` is a null `Value`, so
/// the core can tell `{"op":"replace","path":"title","value":null}` from no value.
fn value_or_absent(slot: Slot<'_>) -> Option<prost_types::Value> {
    slot.into_present().map(json_to_value)
}

/// Converts any JSON value into a `google.protobuf.Value` of the same shape. Numbers
/// become doubles, as the protobuf type prescribes: integers beyond 2^53 lose precision.
pub(crate) fn json_to_value(json: Value) -> prost_types::Value {
    let kind = match json {
        Value::Null => Kind::NullValue(NullValue::NullValue as i32),
        Value::Bool(b) => Kind::BoolValue(b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Kind::StringValue(s),
        Value::Array(items) => Kind::ListValue(ListValue {
            values: items.into_iter().map(json_to_value).collect(),
        }),
        Value::Object(map) => Kind::StructValue(Struct {
            fields: map
                .into_iter()
                .map(|(k, v)| (k, json_to_value(v)))
                .collect::<BTreeMap<_, _>>(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
