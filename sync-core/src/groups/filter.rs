//! Compiles a parsed SCIM filter into a storage predicate over the Group schema, and
//! the filters on membership references that Groups and Users share.
//!
//! Entra checks a membership with `id eq "g" and members[value eq "u"]`, and also
//! sends `members eq "u"` and `members.value eq "u"` (docs/entra.md, C16): all three become
//! an `EXISTS` over the group's membership rows, so the answer is one indexed lookup.
//! On a User, `groups.value eq "g"`, `groups eq "g"` and `groups[value eq "g"]` test
//! the user's own membership rows the same way.

use idsync_proto::v1::SortOrder;
use idsync_storage::query::{GroupPredicate, MemberColumn, Predicate};
use idsync_storage::records::GroupSortKey;

use super::schema::{GroupLeaf, GroupResolved, MEMBER_SUBS, RefSubDef, ref_sub, resolve_group_path};
use crate::error::{CoreError, CoreResult, ScimType};
use crate::scim::FilterLimits;
use crate::scim::filter::{CompValue, CompareOp, Filter, parse_filter_within};
use crate::scim::path::{AttrPath, parse_attr_path};
use crate::users::filter::{comparison, invalid, not_filterable, unparsable};

/// Parses and compiles a filter string; empty means every group.
pub fn compile_group_filter(text: &str, limits: &FilterLimits) -> CoreResult<GroupPredicate> {
    if text.trim().is_empty() {
        return Ok(GroupPredicate::all());
    }
    let filter = parse_filter_within(text, limits).map_err(unparsable)?;
    compile(&filter)
}

/// Compiles a parsed filter over the Group schema (the root search parses once and
/// compiles per resource type).
pub(crate) fn compile_parsed_group_filter(filter: &Filter) -> CoreResult<GroupPredicate> {
    compile(filter)
}

/// Resolves `sortBy`/`sortOrder` (RFC 7644 §3.4.2.3) for groups; an empty `sortBy`
/// keeps the stable creation order.
pub fn group_sort_key(sort_by: &str, order: i32) -> CoreResult<Option<GroupSortKey>> {
    if sort_by.trim().is_empty() {
        return Ok(None);
    }
    let path = parse_attr_path(sort_by.trim())
        .map_err(|e| CoreError::invalid(ScimType::InvalidPath, format!("invalid sortBy: {e}")))?;
    let column = match resolve_group_path(&path) {
        Ok(GroupResolved::Leaf(def)) => def.column,
        _ => None,
    }
    .ok_or_else(|| CoreError::invalid_value(format!("cannot sort by {sort_by:?}: not a sortable attribute")))?;
    let descending = SortOrder::try_from(order).is_ok_and(|o| o == SortOrder::Descending);
    Ok(Some(GroupSortKey { column, descending }))
}

fn resolve(path: &AttrPath) -> CoreResult<GroupResolved> {
    resolve_group_path(path).map_err(|e| invalid(format!("unknown attribute {:?}", e.0)))
}

fn compile(filter: &Filter) -> CoreResult<GroupPredicate> {
    Ok(match filter {
        Filter::And(a, b) => GroupPredicate::And(Box::new(compile(a)?), Box::new(compile(b)?)),
        Filter::Or(a, b) => GroupPredicate::Or(Box::new(compile(a)?), Box::new(compile(b)?)),
        Filter::Not(a) => GroupPredicate::Not(Box::new(compile(a)?)),
        Filter::Present(path) => match resolve(path)? {
            GroupResolved::Leaf(def) => match def.column {
                Some(column) => GroupPredicate::Row(Predicate::Present(column)),
                None if def.leaf == GroupLeaf::MetaResourceType => GroupPredicate::all(),
                None => return Err(not_filterable(path)),
            },
            GroupResolved::Members(sub) => GroupPredicate::AnyMember(ref_present(sub, path)?),
            GroupResolved::Meta => return Err(not_filterable(path)),
        },
        Filter::Compare { path, op, value } => match resolve(path)? {
            GroupResolved::Leaf(def) if def.leaf == GroupLeaf::MetaResourceType => {
                let matches = matches!(value, CompValue::Str(s) if s.eq_ignore_ascii_case("Group"));
                GroupPredicate::Row(Predicate::Const(match op {
                    CompareOp::Eq => matches,
                    CompareOp::Ne => !matches,
                    _ => return Err(invalid("meta.resourceType supports only eq and ne")),
                }))
            }
            GroupResolved::Leaf(def) => {
                let column = def.column.ok_or_else(|| not_filterable(path))?;
                GroupPredicate::Row(comparison(column, def.ty, def.case_exact, *op, value, path)?)
            }
            GroupResolved::Members(sub) => {
                GroupPredicate::AnyMember(ref_comparison(MEMBER_SUBS, sub, *op, value, path)?)
            }
            GroupResolved::Meta => return Err(not_filterable(path)),
        },
        Filter::ValuePath { attr, filter } => match resolve(attr)? {
            GroupResolved::Members(None) => {
                GroupPredicate::AnyMember(ref_value_filter(MEMBER_SUBS, "members", filter)?)
            }
            _ => return Err(invalid(format!("{attr} is not a multi-valued attribute"))),
        },
    })
}

/// `members pr` / `groups.value pr`: some membership row exists (and has the value).
pub(crate) fn ref_present(sub: Option<&RefSubDef>, path: &AttrPath) -> CoreResult<Predicate<MemberColumn>> {
    match sub {
        None => Ok(Predicate::Const(true)),
        Some(sub) => sub.column.map(Predicate::Present).ok_or_else(|| not_filterable(path)),
    }
}

/// `members eq "u"`, `members.value eq "u"`, `groups.value eq "g"`: a comparison on one
/// sub-attribute of a membership reference; the attribute itself means its `value`
/// (RFC 7644 §3.4.2.2).
pub(crate) fn ref_comparison(
    subs: &'static [RefSubDef],
    sub: Option<&RefSubDef>,
    op: CompareOp,
    value: &CompValue,
    path: &AttrPath,
) -> CoreResult<Predicate<MemberColumn>> {
    let sub = match sub {
        Some(sub) => sub,
        None => ref_sub(subs, "value").ok_or_else(|| not_filterable(path))?,
    };
    let column = sub.column.ok_or_else(|| not_filterable(path))?;
    comparison(column, sub.ty, sub.case_exact, op, value, path)
}

/// The inside of `members[…]` or `groups[…]`, whose paths name sub-attributes of the
/// reference called `name`.
pub(crate) fn ref_value_filter(
    subs: &'static [RefSubDef],
    name: &str,
    filter: &Filter,
) -> CoreResult<Predicate<MemberColumn>> {
    let sub_of = |path: &AttrPath| -> CoreResult<&'static RefSubDef> {
        if path.urn.is_some() || path.sub_attr.is_some() {
            return Err(invalid(format!("{path} is not a sub-attribute of {name}")));
        }
        ref_sub(subs, &path.attr).ok_or_else(|| invalid(format!("{name} has no sub-attribute {:?}", path.attr)))
    };
    let recurse = |f: &Filter| ref_value_filter(subs, name, f);
    Ok(match filter {
        Filter::And(a, b) => Predicate::And(Box::new(recurse(a)?), Box::new(recurse(b)?)),
        Filter::Or(a, b) => Predicate::Or(Box::new(recurse(a)?), Box::new(recurse(b)?)),
        Filter::Not(a) => Predicate::Not(Box::new(recurse(a)?)),
        Filter::Present(path) => ref_present(Some(sub_of(path)?), path)?,
        Filter::Compare { path, op, value } => ref_comparison(subs, Some(sub_of(path)?), *op, value, path)?,
        Filter::ValuePath { .. } => return Err(invalid("value filters cannot be nested")),
    })
}

#[cfg(test)]
mod tests;
