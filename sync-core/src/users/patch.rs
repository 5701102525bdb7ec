//! SCIM PATCH (RFC 7644 §3.5.2) applied to a User, with the shapes Entra really sends.
//!
//! Operations are applied in order to an in-memory copy; the caller stores the result
//! only if every operation succeeded, so a request applies atomically or not at all.
//! Tolerated beyond the RFC, because Entra ID sends each of them: operation names in any
//! letter case, `"True"`/`"False"` strings for booleans, path-less `add`/`replace` whose
//! value object has dotted or URN-qualified keys, `""`/`null` clearing an attribute,
//! filtered paths creating the element they name when it is absent, and `manager` given
//! as a bare id, an object or a one-element list.
//!
//! This module walks a request: it parses each operation and path and resolves them
//! against the schema. Where a value is stored is decided in its children: `singular` for
//! single-valued attributes, `elements` for multi-valued ones (`element` for one value).

mod element;
mod elements;
mod singular;

use idsync_proto::v1::{PatchOperation, User};
use prost_types::Value;
use prost_types::value::Kind;

use self::singular::{apply_complex, apply_leaf};
use crate::error::{CoreError, CoreResult, ScimType};
use crate::schema::{ENTERPRISE_URN, Resolved, is_enterprise_urn, resolve_user_path};
use crate::scim::path::{AttrPath, PatchPath, parse_attr_path, parse_patch_path};

/// A PATCH operation (RFC 7644 §3.5.2). It is parsed once, here, and this one type is
/// what every step of the walk takes, down to the list operations in [`elements`], so
/// an operation is never translated on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Sets a singular attribute, appends to a list, or sets the elements a filter
    /// matches.
    Add,
    /// Sets a singular attribute, replaces a whole list, or merges into the elements a
    /// filter matches.
    Replace,
    /// Unassigns a singular attribute, empties a list, or removes the elements a filter
    /// matches (or one sub-attribute of them).
    Remove,
}

/// Reads an operation name in any letter case (Entra sends `Add`, `Replace`, `Remove`
/// by default and lowercase with `aadOptscim062020`).
pub(crate) fn parse_op(op: &str) -> CoreResult<Op> {
    match op.to_ascii_lowercase().as_str() {
        "add" => Ok(Op::Add),
        "replace" => Ok(Op::Replace),
        "remove" => Ok(Op::Remove),
        other => Err(CoreError::invalid(
            ScimType::InvalidSyntax,
            format!("unknown PATCH op {other:?}; expected add, replace or remove"),
        )),
    }
}

/// Applies every operation to `user`, in order. On error `user` may be half-changed:
/// callers work on a copy and discard it.
pub fn apply_patch(user: &mut User, operations: &[PatchOperation]) -> CoreResult<()> {
    if operations.is_empty() {
        return Err(CoreError::invalid_value("a PATCH request needs at least one operation"));
    }
    for operation in operations {
        let op = parse_op(&operation.op)?;
        let value = operation.value.as_ref();
        match operation.path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(path) => {
                let path = parse_patch_path(path)
                    .map_err(|e| CoreError::invalid(ScimType::InvalidPath, format!("invalid path: {e}")))?;
                apply_at(user, op, &path, value)?;
            }
            None => apply_pathless(user, op, value)?,
        }
    }
    Ok(())
}

/// `add`/`replace` without a path: every key of the value object is a path of its own
/// (RFC 7644 §3.5.2.1 and Entra's `aadOptscim062020` shape with dotted/URN keys).
fn apply_pathless(user: &mut User, op: Op, value: Option<&Value>) -> CoreResult<()> {
    if op == Op::Remove {
        return Err(CoreError::invalid(ScimType::NoTarget, "remove needs a path"));
    }
    let Some(Kind::StructValue(object)) = kind(value) else {
        return Err(CoreError::invalid_value(
            "an operation without a path needs an object value",
        ));
    };
    for (key, v) in object.fields.iter().filter(|(key, _)| !is_schemas(key)) {
        if is_enterprise_urn(key) {
            apply_resolved(user, op, Resolved::Extension, key, Some(v))?;
            continue;
        }
        let path = parse_attr_path(key)
            .map_err(|e| CoreError::invalid(ScimType::InvalidPath, format!("invalid attribute {key:?}: {e}")))?;
        apply_at(user, op, &PatchPath::Attr(path), Some(v))?;
    }
    Ok(())
}

fn apply_at(user: &mut User, op: Op, path: &PatchPath, value: Option<&Value>) -> CoreResult<()> {
    match path {
        PatchPath::Attr(attr) => {
            // The extension's URN alone parses as `urn:…:2.0` + `User`: it names the object.
            if attr.sub_attr.is_none() && is_enterprise_urn(&attr.to_string()) {
                return apply_resolved(user, op, Resolved::Extension, &attr.to_string(), value);
            }
            let resolved = resolve(attr)?;
            apply_resolved(user, op, resolved, &attr.to_string(), value)
        }
        PatchPath::Filtered { attr, filter, sub_attr } => {
            let resolved = resolve(attr)?;
            // Entra removes a manager with `…:manager[value eq "M1"]` (docs/entra.md, C8).
            if let Resolved::Complex { attr: "manager", .. } = resolved
                && sub_attr.is_none()
            {
                return singular::remove_manager_if(user, op, filter, &attr.to_string());
            }
            let Resolved::Multi(multi, None) = resolved else {
                return Err(CoreError::invalid(
                    ScimType::InvalidPath,
                    format!("{attr} is not a multi-valued attribute"),
                ));
            };
            let sub = match sub_attr {
                Some(s) => Some(multi.sub(s).ok_or_else(|| {
                    CoreError::invalid(
                        ScimType::InvalidPath,
                        format!("{} has no sub-attribute {s:?}", multi.name),
                    )
                })?),
                None => None,
            };
            elements::apply_to_matches(user, op, multi, filter, sub, value)
        }
    }
}

fn resolve(path: &AttrPath) -> CoreResult<Resolved> {
    resolve_user_path(path)
        .map_err(|e| CoreError::invalid(ScimType::InvalidPath, format!("unknown attribute {:?}", e.0)))
}

fn apply_resolved(user: &mut User, op: Op, target: Resolved, shown: &str, value: Option<&Value>) -> CoreResult<()> {
    match target {
        Resolved::Leaf(def) => apply_leaf(user, op, def, value),
        Resolved::Complex { urn, attr } => apply_complex(user, op, urn, attr, shown, value),
        Resolved::Extension => apply_extension(user, op, value),
        Resolved::Groups(_) => Err(CoreError::invalid(
            ScimType::Mutability,
            "groups is readOnly: change group membership instead",
        )),
        Resolved::Multi(multi, sub) => elements::apply_to_list(user, op, multi, sub, value),
    }
}

/// The whole enterprise extension object, keyed by its URN.
fn apply_extension(user: &mut User, op: Op, value: Option<&Value>) -> CoreResult<()> {
    if op == Op::Remove || is_clear(value) {
        user.enterprise = None;
        return Ok(());
    }
    let Some(Kind::StructValue(object)) = kind(value) else {
        return Err(CoreError::invalid_value(format!(
            "{ENTERPRISE_URN} needs an object value"
        )));
    };
    for (key, v) in object.fields.iter().filter(|(key, _)| !is_schemas(key)) {
        let path = AttrPath {
            urn: Some(ENTERPRISE_URN.to_string()),
            attr: key.clone(),
            sub_attr: None,
        };
        let path = match key.split_once('.') {
            Some((attr, sub)) => AttrPath {
                attr: attr.to_string(),
                sub_attr: Some(sub.to_string()),
                ..path
            },
            None => path,
        };
        let resolved = resolve(&path)?;
        apply_resolved(user, op, resolved, &path.to_string(), Some(v))?;
    }
    Ok(())
}

/// `schemas` inside a value object restates which schemas the object uses (clients that
/// serialise a whole resource or extension model send it, e.g. scim2-models). It is not
/// an attribute one can set: idsync derives a resource's `schemas` from its content
/// (RFC 7643 §3), so the key is skipped rather than refused as an unknown attribute.
fn is_schemas(key: &str) -> bool {
    key.eq_ignore_ascii_case("schemas")
}

pub(crate) fn kind(value: Option<&Value>) -> Option<&Kind> {
    value.and_then(|v| v.kind.as_ref())
}

/// `null` and `""` clear an attribute (Entra's validator sends both).
pub(crate) fn is_clear(value: Option<&Value>) -> bool {
    match kind(value) {
        None | Some(Kind::NullValue(_)) => value.is_some(),
        Some(Kind::StringValue(s)) => s.is_empty(),
        Some(Kind::NumberValue(_) | Kind::BoolValue(_) | Kind::StructValue(_) | Kind::ListValue(_)) => false,
    }
}

#[cfg(test)]
mod tests;
