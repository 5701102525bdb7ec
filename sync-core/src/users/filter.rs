//! Compiles a parsed SCIM filter into a storage predicate over the User schema.
//!
//! Every attribute is resolved against [`crate::schema`]; its type decides which
//! operators and literals are legal (RFC 7644 §3.4.2.2), its `caseExact` how text
//! compares. The result is pushed down to SQL by the storage crate: nothing here scans.

use idsync_storage::query::{ChildColumn, CompareOp as Op, Literal, Predicate, UserPredicate};

use crate::clock::parse_rfc3339_us;
use crate::error::{CoreError, CoreResult, ScimType};
use crate::groups::filter::{ref_comparison, ref_present, ref_value_filter};
use crate::groups::schema::USER_GROUP_SUBS;
use crate::schema::{AttrType, Leaf, MultiDef, Resolved, SubDef, leaf_def, resolve_user_path};
use crate::scim::filter::{CompValue, CompareOp, Filter, parse_filter_within};
use crate::scim::path::{AttrPath, parse_attr_path};
use crate::scim::{FilterLimits, ScimSyntaxError};
use idsync_proto::v1::SortOrder;
use idsync_storage::records::SortKey;

/// Parses (within `limits`) and compiles a filter string; empty means every user.
pub fn compile_user_filter(text: &str, limits: &FilterLimits) -> CoreResult<UserPredicate> {
    if text.trim().is_empty() {
        return Ok(UserPredicate::all());
    }
    let filter = parse_filter_within(text, limits).map_err(unparsable)?;
    compile(&filter)
}

/// Compiles a parsed filter over the User schema (the root search parses once and
/// compiles per resource type).
pub(crate) fn compile_parsed_user_filter(filter: &Filter) -> CoreResult<UserPredicate> {
    compile(filter)
}

/// Resolves `sortBy`/`sortOrder` (RFC 7644 §3.4.2.3); an empty `sortBy` keeps the
/// stable creation order. Only singular, stored attributes can be sorted on.
pub fn user_sort_key(sort_by: &str, order: i32) -> CoreResult<Option<SortKey>> {
    if sort_by.trim().is_empty() {
        return Ok(None);
    }
    let path = parse_attr_path(sort_by.trim())
        .map_err(|e| CoreError::invalid(ScimType::InvalidPath, format!("invalid sortBy: {e}")))?;
    let column = match resolve_user_path(&path) {
        Ok(Resolved::Leaf(def)) => def.column,
        _ => None,
    }
    .ok_or_else(|| CoreError::invalid_value(format!("cannot sort by {sort_by:?}: not a sortable attribute")))?;
    let descending = SortOrder::try_from(order).is_ok_and(|o| o == SortOrder::Descending);
    Ok(Some(SortKey { column, descending }))
}

/// A 400 `invalidFilter`.
pub(crate) fn invalid(detail: impl Into<String>) -> CoreError {
    CoreError::invalid(ScimType::InvalidFilter, detail)
}

/// A request filter that does not parse: 400 `invalidFilter`, or `tooMany` when it is
/// beyond the operator's [`FilterLimits`] (too long, too many `and`/`or`, too deep).
pub(crate) fn unparsable(error: ScimSyntaxError) -> CoreError {
    let scim_type = if error.over_limit {
        ScimType::TooMany
    } else {
        ScimType::InvalidFilter
    };
    CoreError::invalid(scim_type, error.to_string())
}

fn compile(filter: &Filter) -> CoreResult<UserPredicate> {
    Ok(match filter {
        Filter::And(a, b) => UserPredicate::And(Box::new(compile(a)?), Box::new(compile(b)?)),
        Filter::Or(a, b) => UserPredicate::Or(Box::new(compile(a)?), Box::new(compile(b)?)),
        Filter::Not(a) => UserPredicate::Not(Box::new(compile(a)?)),
        Filter::Present(path) => match resolve(path)? {
            Resolved::Leaf(def) => match def.column {
                Some(column) => UserPredicate::Row(Predicate::Present(column)),
                None if def.leaf == Leaf::MetaResourceType => UserPredicate::Row(Predicate::Const(true)),
                None => return Err(not_filterable(path)),
            },
            Resolved::Multi(multi, None) => UserPredicate::AnyChild(multi.attr, Predicate::Const(true)),
            Resolved::Multi(multi, Some(sub)) => UserPredicate::AnyChild(multi.attr, Predicate::Present(sub.column)),
            Resolved::Groups(sub) => UserPredicate::AnyGroup(ref_present(sub, path)?),
            Resolved::Complex { .. } | Resolved::Extension => {
                return Err(not_filterable(path));
            }
        },
        Filter::Compare { path, op, value } => match resolve(path)? {
            Resolved::Leaf(def) if def.leaf == Leaf::MetaResourceType => {
                let matches = matches!(value, CompValue::Str(s) if s.eq_ignore_ascii_case("User"));
                UserPredicate::Row(Predicate::Const(match op {
                    CompareOp::Eq => matches,
                    CompareOp::Ne => !matches,
                    _ => return Err(invalid("meta.resourceType supports only eq and ne")),
                }))
            }
            Resolved::Leaf(def) => {
                let column = def.column.ok_or_else(|| not_filterable(path))?;
                UserPredicate::Row(comparison(column, def.ty, def.case_exact, *op, value, path)?)
            }
            // A comparison on a multi-valued attribute itself tests its `value`
            // sub-attribute (RFC 7644 §3.4.2.2, "emails co …").
            Resolved::Multi(multi, sub) => {
                let sub = match sub {
                    Some(s) => s,
                    None => multi.sub("value").ok_or_else(|| not_filterable(path))?,
                };
                UserPredicate::AnyChild(multi.attr, child_comparison(sub, *op, value, path)?)
            }
            // `groups eq "g"` and `groups.value eq "g"`: the user's membership rows.
            Resolved::Groups(sub) => UserPredicate::AnyGroup(ref_comparison(USER_GROUP_SUBS, sub, *op, value, path)?),
            // `manager eq "M1"`, Entra's older reference check (docs/entra.md, C8): as for a
            // multi-valued attribute, a comparison on the manager itself tests its `value`.
            Resolved::Complex { attr: "manager", .. } => {
                let def = leaf_def(Leaf::ManagerValue);
                let column = def.column.ok_or_else(|| not_filterable(path))?;
                UserPredicate::Row(comparison(column, def.ty, def.case_exact, *op, value, path)?)
            }
            Resolved::Complex { .. } | Resolved::Extension => return Err(not_filterable(path)),
        },
        Filter::ValuePath { attr, filter } => match resolve(attr)? {
            Resolved::Multi(multi, None) => UserPredicate::AnyChild(multi.attr, compile_child(multi, filter)?),
            Resolved::Groups(None) => UserPredicate::AnyGroup(ref_value_filter(USER_GROUP_SUBS, "groups", filter)?),
            _ => return Err(invalid(format!("{attr} is not a multi-valued attribute"))),
        },
    })
}

/// Compiles the inside of `attr[…]`, whose paths name sub-attributes of `multi`.
fn compile_child(multi: &MultiDef, filter: &Filter) -> CoreResult<Predicate<ChildColumn>> {
    let sub_of = |path: &AttrPath| -> CoreResult<&'static SubDef> {
        if path.urn.is_some() || path.sub_attr.is_some() {
            return Err(invalid(format!("{path} is not a sub-attribute of {}", multi.name)));
        }
        multi
            .sub(&path.attr)
            .ok_or_else(|| invalid(format!("{} has no sub-attribute {:?}", multi.name, path.attr)))
    };
    Ok(match filter {
        Filter::And(a, b) => Predicate::And(Box::new(compile_child(multi, a)?), Box::new(compile_child(multi, b)?)),
        Filter::Or(a, b) => Predicate::Or(Box::new(compile_child(multi, a)?), Box::new(compile_child(multi, b)?)),
        Filter::Not(a) => Predicate::Not(Box::new(compile_child(multi, a)?)),
        Filter::Present(path) => Predicate::Present(sub_of(path)?.column),
        Filter::Compare { path, op, value } => child_comparison(sub_of(path)?, *op, value, path)?,
        Filter::ValuePath { .. } => return Err(invalid("value filters cannot be nested")),
    })
}

fn child_comparison(
    sub: &SubDef,
    op: CompareOp,
    value: &CompValue,
    path: &AttrPath,
) -> CoreResult<Predicate<ChildColumn>> {
    comparison(sub.column, sub.ty, sub.case_exact, op, value, path)
}

fn resolve(path: &AttrPath) -> CoreResult<Resolved> {
    resolve_user_path(path).map_err(|e| invalid(format!("unknown attribute {:?}", e.0)))
}

/// A 400 `invalidFilter` for an attribute that has no stored column to test.
pub(crate) fn not_filterable(path: &AttrPath) -> CoreError {
    invalid(format!("attribute {path} cannot be used in a filter"))
}

/// Builds `column op value`, checking the operator and literal against the type.
pub(crate) fn comparison<C>(
    column: C,
    ty: AttrType,
    case_exact: bool,
    op: CompareOp,
    value: &CompValue,
    path: &AttrPath,
) -> CoreResult<Predicate<C>> {
    let op = match op {
        CompareOp::Eq => Op::Eq,
        CompareOp::Ne => Op::Ne,
        CompareOp::Co => Op::Contains,
        CompareOp::Sw => Op::StartsWith,
        CompareOp::Ew => Op::EndsWith,
        CompareOp::Gt => Op::Gt,
        CompareOp::Ge => Op::Ge,
        CompareOp::Lt => Op::Lt,
        CompareOp::Le => Op::Le,
    };
    // `eq null` / `ne null` read as absence / presence.
    if let CompValue::Null = value {
        return match op {
            Op::Eq => Ok(Predicate::Not(Box::new(Predicate::Present(column)))),
            Op::Ne => Ok(Predicate::Present(column)),
            _ => Err(invalid(format!("null can only be compared with eq or ne ({path})"))),
        };
    }
    let substring = matches!(op, Op::Contains | Op::StartsWith | Op::EndsWith);
    let literal = match (ty, value) {
        (AttrType::String | AttrType::Reference | AttrType::Binary, CompValue::Str(s)) => Literal::Text(s.clone()),
        (AttrType::Boolean, CompValue::Bool(b)) if !substring => Literal::Bool(*b),
        (AttrType::DateTime, CompValue::Str(s)) if !substring => Literal::Timestamp(
            parse_rfc3339_us(s).ok_or_else(|| invalid(format!("{path} needs an RFC 3339 dateTime, not {s:?}")))?,
        ),
        (AttrType::Boolean | AttrType::DateTime, _) if substring => {
            return Err(invalid(format!("co, sw and ew apply to strings, not to {path}")));
        }
        _ => return Err(invalid(format!("{path} cannot be compared with {value}"))),
    };
    Ok(Predicate::Compare {
        column,
        op,
        value: literal,
        case_exact,
    })
}

#[cfg(test)]
mod tests;
