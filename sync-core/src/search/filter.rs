//! One filter over several resource types (RFC 7644 §3.4.2.2 at the root): which Users
//! and which Groups it selects.
//!
//! A Group has no `userName` and a User no `members`. On the root, an attribute that a
//! resource type does not define is *unknown* on that type, the way SQL treats NULL
//! (Kleene's three-valued logic): a comparison or `pr` on it is neither true nor false,
//! `not` leaves it unknown, `and` is false as soon as one side is false and `or` true as
//! soon as one side is true, and a resource matches only when the whole filter is true.
//! So `userName eq "ada"` and `not (userName eq "ada")` select no Group, while
//! `userName sw "a" or displayName sw "a"` selects Users by either attribute and Groups
//! by `displayName`. Where every attribute is defined the result is exactly the filter
//! of `/Users` or `/Groups`.
//!
//! Still 400 `invalidFilter`: a filter that does not parse, one naming an attribute that
//! no resource type defines, and one misusing an attribute of a type that defines it
//! (`meta.created gt "yesterday"`) — every such error of the per-type lists is checked
//! on every type, whether or not the rest of the filter could still match there.

use idsync_storage::query::{GroupPredicate, UserPredicate};

use crate::error::{CoreError, CoreResult, ScimType};
use crate::groups::filter::compile_parsed_group_filter;
use crate::groups::schema::resolve_group_path;
use crate::schema::resolve_user_path;
use crate::scim::FilterLimits;
use crate::scim::filter::{Filter, parse_filter_within};
use crate::scim::path::AttrPath;
use crate::users::filter::compile_parsed_user_filter;

/// What a root filter selects of each resource type; `None` selects nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct RootFilter {
    /// The Users it selects.
    pub users: Option<UserPredicate>,
    /// The Groups it selects.
    pub groups: Option<GroupPredicate>,
}

/// Parses a root filter and compiles it for Users and for Groups; empty selects
/// everything.
pub fn compile_root_filter(text: &str, limits: &FilterLimits) -> CoreResult<RootFilter> {
    if text.trim().is_empty() {
        return Ok(RootFilter {
            users: Some(UserPredicate::all()),
            groups: Some(GroupPredicate::all()),
        });
    }
    let filter = parse_filter_within(text, limits).map_err(crate::users::filter::unparsable)?;
    validate(&filter)?;
    let users = truth(&filter, &|path| resolve_user_path(path).is_ok()).when_true;
    let groups = truth(&filter, &|path| resolve_group_path(path).is_ok()).when_true;
    Ok(RootFilter {
        users: users.map(|f| compile_parsed_user_filter(&f)).transpose()?,
        groups: groups.map(|f| compile_parsed_group_filter(&f)).transpose()?,
    })
}

fn invalid(detail: impl Into<String>) -> CoreError {
    CoreError::invalid(ScimType::InvalidFilter, detail)
}

/// The attribute a comparison, `pr` or `attr[…]` tests; `None` for `and`, `or`, `not`.
fn tested(filter: &Filter) -> Option<&AttrPath> {
    match filter {
        Filter::Compare { path, .. } | Filter::Present(path) => Some(path),
        Filter::ValuePath { attr, .. } => Some(attr),
        Filter::And(..) | Filter::Or(..) | Filter::Not(..) => None,
    }
}

/// Checks every test of the filter on every type that defines its attribute, and that
/// some type does.
fn validate(filter: &Filter) -> CoreResult<()> {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => {
            validate(a)?;
            validate(b)
        }
        Filter::Not(a) => validate(a),
        _ => {
            let path = tested(filter).ok_or_else(|| invalid("empty filter"))?;
            let on_users = resolve_user_path(path).is_ok();
            let on_groups = resolve_group_path(path).is_ok();
            if !on_users && !on_groups {
                return Err(invalid(format!(
                    "unknown attribute {:?}: neither Users nor Groups define it",
                    path.to_string()
                )));
            }
            if on_users {
                compile_parsed_user_filter(filter)?;
            }
            if on_groups {
                compile_parsed_group_filter(filter)?;
            }
            Ok(())
        }
    }
}

/// Where a filter is true and where it is false on one resource type, each as a filter
/// over that type's attributes only; `None` is "nowhere". Where it is neither, it tests
/// an attribute the type does not define.
struct Truth {
    when_true: Option<Filter>,
    when_false: Option<Filter>,
}

/// The [`Truth`] of `filter` on a resource type that defines the attributes `defined`
/// accepts.
fn truth(filter: &Filter, defined: &dyn Fn(&AttrPath) -> bool) -> Truth {
    match filter {
        Filter::And(a, b) => {
            let (a, b) = (truth(a, defined), truth(b, defined));
            Truth {
                when_true: both(a.when_true, b.when_true, Filter::and),
                when_false: either(a.when_false, b.when_false, Filter::or),
            }
        }
        Filter::Or(a, b) => {
            let (a, b) = (truth(a, defined), truth(b, defined));
            Truth {
                when_true: either(a.when_true, b.when_true, Filter::or),
                when_false: both(a.when_false, b.when_false, Filter::and),
            }
        }
        Filter::Not(a) => {
            let a = truth(a, defined);
            Truth {
                when_true: a.when_false,
                when_false: a.when_true,
            }
        }
        test if tested(test).is_some_and(defined) => Truth {
            when_true: Some(test.clone()),
            when_false: Some(Filter::negate(test.clone())),
        },
        _ => Truth {
            when_true: None,
            when_false: None,
        },
    }
}

/// `a and b` where `None` is "nowhere".
fn both(a: Option<Filter>, b: Option<Filter>, join: fn(Filter, Filter) -> Filter) -> Option<Filter> {
    Some(join(a?, b?))
}

/// `a or b` where `None` is "nowhere".
fn either(a: Option<Filter>, b: Option<Filter>, join: fn(Filter, Filter) -> Filter) -> Option<Filter> {
    match (a, b) {
        (Some(a), Some(b)) => Some(join(a, b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests;
