//! SCIM PATCH (RFC 7644 §3.5.2) on a Group, with the shapes Entra really sends
//! (docs/entra.md, C13–C15, Q4, Q12, Q18).
//!
//! A request becomes a [`GroupPatch`]: the new values of `displayName` and
//! `externalId`, and a [`MemberDelta`] — which members to add and remove after every
//! operation ran in order. Planning needs neither the stored group nor its member list,
//! so a member change on a group of any size costs the same; the caller applies the
//! plan in one transaction, all of it or nothing.
//!
//! What is accepted:
//! * operation names in any letter case (`Add`, `remove`, …);
//! * `replace displayName` with a path, or path-less as `{"displayName": …}` (the
//!   flagged shape) — neither touches membership;
//! * `add members` with a list of `{"value", "$ref", "display", "type"}`, several at
//!   once; `$ref` may be `null` (Q12), `display` and `type` are ignored because the
//!   server knows them; adding a member already there changes nothing;
//! * `remove members` in both of Entra's shapes, each removing only the members named:
//!   legacy `{"op":"Remove","path":"members","value":[{"value":"id"}]}` and flagged
//!   `{"op":"remove","path":"members[value eq \"id\"]"}` (several ids may be joined with
//!   `or`); naming a non-member is a no-op; `remove members` without value and without
//!   filter removes every member (RFC 7644 §3.5.2.2), while an empty value list removes
//!   none.
//!
//! Deviation from RFC 7644 (docs/entra.md, D1): `replace members` ADDS the members it names
//! and never drops the others. The RFC makes it a full replacement, but Entra has been
//! seen sending `replace` with only the newly assigned member, and it never reads
//! membership back; full replacement would silently and permanently lose members,
//! whereas Entra always sends explicit removes. Use PUT to set a group's exact members.
//!
//! Refused: `id` and `meta` (readOnly, 400 `mutability`), changing a member's
//! sub-attributes in place (`members[…].display`, `members.value`: immutable, 400
//! `mutability`), removing `displayName` (required).

use std::collections::BTreeSet;

use idsync_proto::v1::PatchOperation;
use prost_types::Value;
use prost_types::value::Kind;

use super::convert::{required_display_name, required_member_id};
use super::schema::{GroupLeaf, GroupLeafDef, GroupResolved, MEMBER_SUBS, ref_sub, resolve_group_path};
use crate::error::{CoreError, CoreResult, ScimType};
use crate::schema::Mutability;
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::path::{AttrPath, PatchPath, parse_attr_path, parse_patch_path};
use crate::users::patch::{Op, is_clear, kind, parse_op};

/// What a PATCH request changes on a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPatch {
    /// The new `displayName`, when set.
    pub display_name: Option<String>,
    /// The new `externalId` (`Some(None)` clears it), when set.
    pub external_id: Option<Option<String>>,
    /// The membership changes.
    pub members: MemberDelta,
}

/// Membership changes in effect after every operation: first remove every member when
/// `clear`, then remove `remove`, then add `add`. The two sets never share an id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberDelta {
    /// Remove every member first.
    pub clear: bool,
    /// Member ids to remove.
    pub remove: BTreeSet<String>,
    /// Member ids to add; each must name a user or group of the tenant.
    pub add: BTreeSet<String>,
}

impl MemberDelta {
    fn add(&mut self, id: String) {
        self.remove.remove(&id);
        self.add.insert(id);
    }

    fn remove(&mut self, id: String) {
        self.add.remove(&id);
        if !self.clear {
            self.remove.insert(id);
        }
    }

    fn remove_all(&mut self) {
        *self = MemberDelta {
            clear: true,
            ..MemberDelta::default()
        };
    }
}

/// Turns the operations of one request into a plan, validating every one of them; any
/// error rejects the whole request.
pub fn plan_patch(operations: &[PatchOperation]) -> CoreResult<GroupPatch> {
    if operations.is_empty() {
        return Err(CoreError::invalid_value("a PATCH request needs at least one operation"));
    }
    let mut patch = GroupPatch::default();
    for operation in operations {
        let op = parse_op(&operation.op)?;
        let value = operation.value.as_ref();
        match operation.path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(path) => {
                let path = parse_patch_path(path)
                    .map_err(|e| CoreError::invalid(ScimType::InvalidPath, format!("invalid path: {e}")))?;
                patch.apply_at(op, &path, value)?;
            }
            None => patch.apply_pathless(op, value)?,
        }
    }
    Ok(patch)
}

impl GroupPatch {
    /// `add`/`replace` without a path: every key of the value object is a path.
    fn apply_pathless(&mut self, op: Op, value: Option<&Value>) -> CoreResult<()> {
        if op == Op::Remove {
            return Err(CoreError::invalid(ScimType::NoTarget, "remove needs a path"));
        }
        let Some(Kind::StructValue(object)) = kind(value) else {
            return Err(CoreError::invalid_value(
                "an operation without a path needs an object value",
            ));
        };
        for (key, v) in &object.fields {
            let path = parse_attr_path(key)
                .map_err(|e| CoreError::invalid(ScimType::InvalidPath, format!("invalid attribute {key:?}: {e}")))?;
            self.apply_attr(op, &path, Some(v))?;
        }
        Ok(())
    }

    fn apply_at(&mut self, op: Op, path: &PatchPath, value: Option<&Value>) -> CoreResult<()> {
        let (attr, filter, sub_attr) = match path {
            PatchPath::Attr(attr) => return self.apply_attr(op, attr, value),
            PatchPath::Filtered { attr, filter, sub_attr } => (attr, filter, sub_attr),
        };
        if !matches!(resolve(attr)?, GroupResolved::Members(None)) {
            return Err(CoreError::invalid(
                ScimType::InvalidPath,
                format!("{attr} is not a multi-valued attribute"),
            ));
        }
        if op != Op::Remove || sub_attr.is_some() {
            return Err(immutable_members());
        }
        // Entra's flagged removal: `members[value eq "id"]`.
        for id in filtered_ids(filter)? {
            self.members.remove(id);
        }
        Ok(())
    }

    fn apply_attr(&mut self, op: Op, path: &AttrPath, value: Option<&Value>) -> CoreResult<()> {
        match resolve(path)? {
            GroupResolved::Leaf(def) => self.apply_leaf(op, def, value),
            GroupResolved::Meta => Err(CoreError::invalid(ScimType::Mutability, "meta is readOnly")),
            GroupResolved::Members(Some(_)) => Err(immutable_members()),
            // docs/entra.md, D1: `replace` adds, like `add` (see the module documentation).
            GroupResolved::Members(None) if op != Op::Remove => {
                for id in member_ids(value)? {
                    self.members.add(id);
                }
                Ok(())
            }
            GroupResolved::Members(None) => {
                if matches!(kind(value), None | Some(Kind::NullValue(_))) {
                    self.members.remove_all();
                    return Ok(());
                }
                // Entra's legacy removal: the members to remove are listed in `value`.
                for id in member_ids(value)? {
                    self.members.remove(id);
                }
                Ok(())
            }
        }
    }

    fn apply_leaf(&mut self, op: Op, def: &GroupLeafDef, value: Option<&Value>) -> CoreResult<()> {
        let name = match def.sub {
            Some(sub) => format!("{}.{sub}", def.attr),
            None => def.attr.to_owned(),
        };
        if def.mutability == Mutability::ReadOnly {
            return Err(CoreError::invalid(ScimType::Mutability, format!("{name} is readOnly")));
        }
        if op != Op::Remove && value.is_none() {
            return Err(CoreError::invalid_value(format!("{name} needs a value")));
        }
        let text = if op == Op::Remove || is_clear(value) {
            None
        } else {
            match kind(value) {
                Some(Kind::StringValue(s)) => Some(s.clone()),
                _ => return Err(CoreError::invalid_value(format!("{name} must be a string"))),
            }
        };
        match (def.leaf, text) {
            (GroupLeaf::DisplayName, Some(text)) => self.display_name = Some(required_display_name(text)?),
            (GroupLeaf::DisplayName, None) => {
                return Err(CoreError::invalid(
                    ScimType::Mutability,
                    "displayName is required and cannot be removed",
                ));
            }
            (GroupLeaf::ExternalId, text) => self.external_id = Some(text),
            // Every other leaf is readOnly and was refused above.
            _ => return Err(CoreError::invalid(ScimType::Mutability, format!("{name} is readOnly"))),
        }
        Ok(())
    }
}

fn resolve(path: &AttrPath) -> CoreResult<GroupResolved> {
    resolve_group_path(path)
        .map_err(|e| CoreError::invalid(ScimType::InvalidPath, format!("unknown attribute {:?}", e.0)))
}

fn immutable_members() -> CoreError {
    CoreError::invalid(
        ScimType::Mutability,
        "members are added and removed whole: a member's sub-attributes are immutable (RFC 7643 §4.2)",
    )
}

/// The ids a `members` value names: a list of member objects, one object, or bare ids.
fn member_ids(value: Option<&Value>) -> CoreResult<Vec<String>> {
    let Some(value) = value.filter(|v| !matches!(v.kind, None | Some(Kind::NullValue(_)))) else {
        return Err(CoreError::invalid_value(
            "members needs a list of members, e.g. [{\"value\": \"<id>\"}]",
        ));
    };
    match &value.kind {
        Some(Kind::ListValue(list)) => list.values.iter().map(member_id).collect(),
        _ => Ok(vec![member_id(value)?]),
    }
}

/// One member: `{"value": id, "$ref": …, "display": …, "type": …}` or a bare id. Only
/// `value` counts; unknown sub-attributes are refused.
fn member_id(value: &Value) -> CoreResult<String> {
    match &value.kind {
        Some(Kind::StringValue(id)) => required_member_id(id.clone()),
        Some(Kind::StructValue(object)) => {
            let mut id = String::new();
            for (key, v) in &object.fields {
                let sub = ref_sub(MEMBER_SUBS, key).ok_or_else(|| {
                    CoreError::invalid(ScimType::InvalidPath, format!("members has no sub-attribute {key:?}"))
                })?;
                if sub.name == "value" {
                    match &v.kind {
                        Some(Kind::StringValue(s)) => id = s.clone(),
                        _ => return Err(CoreError::invalid_value("members.value must be a string")),
                    }
                }
            }
            required_member_id(id)
        }
        _ => Err(CoreError::invalid_value(
            "each member must be an object such as {\"value\": \"<id>\"}",
        )),
    }
}

/// The ids named by the filter of `members[…]`: `value eq "id"`, joined with `or`.
fn filtered_ids(filter: &Filter) -> CoreResult<Vec<String>> {
    match filter {
        Filter::Or(a, b) => {
            let mut ids = filtered_ids(a)?;
            ids.extend(filtered_ids(b)?);
            Ok(ids)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::Str(id),
        } if path.urn.is_none() && path.sub_attr.is_none() && path.attr.eq_ignore_ascii_case("value") => {
            Ok(vec![required_member_id(id.clone())?])
        }
        _ => Err(CoreError::invalid(
            ScimType::InvalidFilter,
            format!(
                "members[{filter}]: members are removed by id, as members[value eq \"<id>\"] \
                 (several joined with or)"
            ),
        )),
    }
}

#[cfg(test)]
mod tests;
