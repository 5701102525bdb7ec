//! SCIM Group JSON (POST/PUT bodies) → proto `Group`.
//!
//! Attribute names match without regard to ASCII case (RFC 7643 §2.1). `id`, `meta`
//! and `schemas` are ignored — so is Entra's private schema URI
//! `http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group`
//! (docs/entra.md, Q11) — as is any attribute the schema does not define. A member is
//! an object `{"value", "$ref", "display", "type"}` whose `$ref` may be `null`
//! (docs/entra.md, Q12), or a bare id.

use idsync_proto::v1::{Group, Member};
use serde_json::Value;

use super::{Attr, Slot, slots, wrong_type};
use crate::errors::ApiError;

/// A Group as sent in a POST or PUT body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupBody(pub Group);

impl TryFrom<Value> for GroupBody {
    type Error = ApiError;

    fn try_from(body: Value) -> Result<Self, ApiError> {
        group_from_json(body).map(GroupBody)
    }
}

/// Reads a Group body. The result's `id` and `meta` are always empty: they are
/// server-assigned. Whether the group is acceptable (a displayName, members that
/// exist) is the core's call.
pub(crate) fn group_from_json(body: Value) -> Result<Group, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::invalid_syntax("the request body must be a JSON object"));
    };
    let [external_id, display_name, members] = slots(map, None, ["externalId", "displayName", "members"]);
    Ok(Group {
        id: String::new(),
        external_id: external_id.string()?,
        display_name: display_name.string()?.unwrap_or_default(),
        members: members_from_json(members)?,
        members_excluded: false,
        meta: None,
    })
}

fn members_from_json(slot: Slot<'_>) -> Result<Vec<Member>, ApiError> {
    let attr = slot.attr();
    slot.array()?.into_iter().map(|item| member(item, attr)).collect()
}

fn member(item: Value, attr: Attr<'_>) -> Result<Member, ApiError> {
    let map = match item {
        Value::String(value) => {
            return Ok(Member {
                value,
                r#ref: None,
                display: None,
                r#type: None,
            });
        }
        Value::Object(map) => map,
        other => return Err(wrong_type(attr, "an array of objects", &other)),
    };
    let [value, reference, display, kind] = slots(map, Some(attr.name()), ["value", "$ref", "display", "type"]);
    Ok(Member {
        value: value.string()?.unwrap_or_default(),
        r#ref: reference.string()?,
        display: display.string()?,
        r#type: kind.string()?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::errors::ScimType;

    /// docs/entra.md, C12: Entra's create, with its private schema URI and `meta`.
    #[test]
    fn entras_group_create_reads_display_name_and_external_id_and_ignores_the_rest() {
        let group = group_from_json(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-0000-4000-8000-000000000000",
            "displayName": "Engineering",
            "meta": {"resourceType": "Group"},
            "id": "client-chosen"
        }))
        .unwrap();
        assert_eq!(
            group,
            Group {
                external_id: Some("8aa1a0c0-0000-4000-8000-000000000000".into()),
                display_name: "Engineering".into(),
                ..Group::default()
            }
        );
    }

    #[test]
    fn members_are_objects_with_a_null_ref_or_bare_ids_in_any_key_case() {
        let group = group_from_json(json!({
            "DISPLAYNAME": "Eng",
            "Members": [{"$ref": null, "VALUE": "u1", "display": "Ada"}, "u2", null]
        }))
        .unwrap();
        let values: Vec<&str> = group.members.iter().map(|m| m.value.as_str()).collect();
        assert_eq!(values, ["u1", "u2"]);
        assert_eq!(group.members[0].display.as_deref(), Some("Ada"));
        assert_eq!(group.members[0].r#ref, None);
    }

    #[test]
    fn wrongly_typed_group_attributes_are_invalid_values_naming_the_attribute() {
        for (body, named) in [
            (json!({"displayName": 5}), "'displayName'"),
            (json!({"displayName": "x", "members": "u1"}), "'members'"),
            (json!({"displayName": "x", "members": [5]}), "'members'"),
            (
                json!({"displayName": "x", "members": [{"value": true}]}),
                "'members.value'",
            ),
        ] {
            let error = group_from_json(body).unwrap_err();
            assert_eq!(error.scim_type(), Some(ScimType::InvalidValue));
            assert!(error.detail().contains(named), "{}", error.detail());
        }
        let error = group_from_json(json!([])).unwrap_err();
        assert_eq!(error.scim_type(), Some(ScimType::InvalidSyntax));
    }
}
