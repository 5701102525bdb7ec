//! PATCH on the singular attributes of a User: a leaf of the schema table (`title`,
//! `name.givenName`, the enterprise `department`) or a whole complex attribute (`name`,
//! `manager`, `meta`), and which field of the proto `User` each one is stored in.

use idsync_proto::v1::{EnterpriseUser, Manager, Name, User};
use prost_types::Value;
use prost_types::value::Kind;

use super::element::compare_text;
use super::{Op, is_clear, kind};
use crate::error::{CoreError, CoreResult, ScimType};
use crate::schema::{ENTERPRISE_URN, Leaf, LeafDef, Mutability, USER_URN, complex_leaves};
use crate::scim::filter::{CompValue, CompareOp, Filter};

/// A whole complex singular attribute: `name`, `manager` or `meta`.
pub(super) fn apply_complex(
    user: &mut User,
    op: Op,
    urn: &'static str,
    attr: &str,
    shown: &str,
    value: Option<&Value>,
) -> CoreResult<()> {
    let clear = op == Op::Remove || is_clear(value);
    let value = match complex(urn, attr, shown)? {
        Complex::Meta => return Err(CoreError::invalid(ScimType::Mutability, "meta is readOnly")),
        Complex::Name if clear => {
            user.name = None;
            return Ok(());
        }
        Complex::Manager if clear => {
            enterprise(user).manager = None;
            return Ok(());
        }
        Complex::Name => value,
        Complex::Manager => {
            let value = only_element(value);
            if let Some(Kind::StringValue(id)) = kind(value) {
                *manager(user) = Manager {
                    value: Some(id.clone()),
                    ..Manager::default()
                };
                return Ok(());
            }
            value
        }
    };
    // A value object: each key names one of the attribute's leaves.
    let Some(Kind::StructValue(object)) = kind(value) else {
        return Err(CoreError::invalid_value(format!("{shown} needs an object value")));
    };
    for (key, v) in &object.fields {
        let def = complex_leaves(urn, attr)
            .find(|d| d.sub.is_some_and(|s| s.eq_ignore_ascii_case(key)))
            .ok_or_else(|| {
                CoreError::invalid(ScimType::InvalidPath, format!("{shown} has no sub-attribute {key:?}"))
            })?;
        apply_leaf(user, op, def, Some(v))?;
    }
    Ok(())
}

/// The complex singular attributes of a User.
enum Complex {
    /// `name`.
    Name,
    /// The enterprise extension's `manager`.
    Manager,
    /// `meta`, which only the server sets.
    Meta,
}

/// Which complex attribute `attr` of schema `urn` is. One the schema table gains later
/// is refused until it is given its own handling here, rather than treated like another.
fn complex(urn: &str, attr: &str, shown: &str) -> CoreResult<Complex> {
    let is = |schema: &str, name: &str| urn == schema && attr.eq_ignore_ascii_case(name);
    if is(USER_URN, "name") {
        Ok(Complex::Name)
    } else if is(ENTERPRISE_URN, "manager") {
        Ok(Complex::Manager)
    } else if is(USER_URN, "meta") {
        Ok(Complex::Meta)
    } else {
        Err(CoreError::invalid(
            ScimType::InvalidPath,
            format!("{shown} is not a complex attribute PATCH can set"),
        ))
    }
}

/// Entra sends the manager as a bare id, an object, or a one-element list of either:
/// the list stands for its one element. Any other value is returned as it came.
fn only_element(value: Option<&Value>) -> Option<&Value> {
    if let Some(Kind::ListValue(list)) = kind(value)
        && let [only] = list.values.as_slice()
    {
        Some(only)
    } else {
        value
    }
}

/// `remove` on `manager[filter]`, as Entra sends it (`…:manager[value eq "M1"]`,
/// docs/entra.md, C8): the manager is unassigned when it matches the filter, and left
/// as it is when it does not (the filter selects nothing to remove). A single-valued
/// attribute has nothing else a filter could select, so `add` and `replace` are refused.
pub(super) fn remove_manager_if(user: &mut User, op: Op, filter: &Filter, shown: &str) -> CoreResult<()> {
    if op != Op::Remove {
        return Err(CoreError::invalid(
            ScimType::InvalidPath,
            format!(
                "{shown} is single-valued: a value filter can select it only for remove; \
                 set it with path `{ENTERPRISE_URN}:manager` (or `manager`) and a string id, \
                 an object or a one-element list"
            ),
        ));
    }
    // The filter is checked even when there is no manager to remove.
    let current = user.enterprise.as_ref().and_then(|e| e.manager.clone());
    let present = current.is_some();
    if manager_matches(&current.unwrap_or_default(), filter)? && present {
        enterprise(user).manager = None;
    }
    Ok(())
}

/// Evaluates a filter over the manager's sub-attributes (`value`, `$ref`,
/// `displayName`), with the letter-case rules of the schema table.
fn manager_matches(manager: &Manager, filter: &Filter) -> CoreResult<bool> {
    let leaf = |name: &str| {
        complex_leaves(ENTERPRISE_URN, "manager")
            .find(|d| d.sub.is_some_and(|s| s.eq_ignore_ascii_case(name)))
            .ok_or_else(|| CoreError::invalid(ScimType::InvalidPath, format!("manager has no sub-attribute {name:?}")))
    };
    let text = |def: &LeafDef| match def.leaf {
        Leaf::ManagerValue => manager.value.as_deref(),
        Leaf::ManagerRef => manager.r#ref.as_deref(),
        _ => manager.display_name.as_deref(),
    };
    Ok(match filter {
        Filter::And(a, b) => manager_matches(manager, a)? && manager_matches(manager, b)?,
        Filter::Or(a, b) => manager_matches(manager, a)? || manager_matches(manager, b)?,
        Filter::Not(a) => !manager_matches(manager, a)?,
        Filter::Present(path) if path.urn.is_none() && path.sub_attr.is_none() => {
            text(leaf(&path.attr)?).is_some_and(|t| !t.is_empty())
        }
        Filter::Compare { path, op, value } if path.urn.is_none() && path.sub_attr.is_none() => {
            let def = leaf(&path.attr)?;
            match (value, op) {
                (CompValue::Str(want), _) => compare_text(text(def), *op, want, def.case_exact),
                (CompValue::Null, CompareOp::Eq) => text(def).is_none(),
                (CompValue::Null, CompareOp::Ne) => text(def).is_some(),
                _ => return Err(bad_manager_filter(filter)),
            }
        }
        _ => return Err(bad_manager_filter(filter)),
    })
}

fn bad_manager_filter(filter: &Filter) -> CoreError {
    CoreError::invalid(
        ScimType::InvalidPath,
        format!("[{filter}] is not a valid filter on manager: compare its value, $ref or displayName"),
    )
}

/// A singular scalar: `op` with `value` on the leaf `def`.
pub(super) fn apply_leaf(user: &mut User, op: Op, def: &LeafDef, value: Option<&Value>) -> CoreResult<()> {
    // The table says what is published as readOnly, `slot` what PATCH can store. Both
    // are asked, so a leaf that one calls writable and the other does not is refused:
    // it is never written to some other field instead.
    let Some(slot) = slot(def.leaf).filter(|_| def.mutability != Mutability::ReadOnly) else {
        return Err(CoreError::invalid(
            ScimType::Mutability,
            format!("{} is readOnly", display_leaf(def)),
        ));
    };
    let clear = op == Op::Remove || is_clear(value);
    if op != Op::Remove && value.is_none() {
        return Err(CoreError::invalid_value(format!("{} needs a value", display_leaf(def))));
    }
    match slot {
        Slot::Active => {
            // Removed or nulled, `active` is unassigned (RFC 7644 §3.5.2.2). An account
            // without it is not known to be active and counts as inactive, so removing the
            // flag never re-enables a disabled user (a deprovisioning hazard).
            user.active = if clear { None } else { Some(as_bool(value, def)?) };
        }
        Slot::UserName if clear => {
            return Err(CoreError::invalid(
                ScimType::Mutability,
                "userName is required and cannot be removed",
            ));
        }
        Slot::UserName => user.user_name = as_string(value, def)?,
        Slot::Text(field) => {
            // The value is read first: `field` creates the `name`, enterprise or
            // `manager` object it reaches into, and a refused value leaves none behind.
            let text = if clear { None } else { Some(as_string(value, def)?) };
            *field(user) = text;
        }
    }
    Ok(())
}

/// Where PATCH stores a client-writable leaf.
enum Slot {
    /// `active`: a flag that a remove or a `null` unassigns.
    Active,
    /// `userName`: required text, so it cannot be cleared.
    UserName,
    /// Optional text, in the field this accessor reaches.
    Text(fn(&mut User) -> &mut Option<String>),
}

/// The field `leaf` is stored in, or `None` for a leaf that only the server sets (`id`,
/// `meta.*`, `manager.displayName`). The match lists every [`Leaf`] and has no wildcard:
/// a leaf added to the schema does not compile until it is given a field here or `None`.
fn slot(leaf: Leaf) -> Option<Slot> {
    Some(match leaf {
        Leaf::Id
        | Leaf::ManagerDisplayName
        | Leaf::MetaResourceType
        | Leaf::MetaCreated
        | Leaf::MetaLastModified
        | Leaf::MetaLocation
        | Leaf::MetaVersion => return None,
        Leaf::Active => Slot::Active,
        Leaf::UserName => Slot::UserName,
        Leaf::ExternalId => Slot::Text(|u| &mut u.external_id),
        Leaf::DisplayName => Slot::Text(|u| &mut u.display_name),
        Leaf::NickName => Slot::Text(|u| &mut u.nick_name),
        Leaf::ProfileUrl => Slot::Text(|u| &mut u.profile_url),
        Leaf::Title => Slot::Text(|u| &mut u.title),
        Leaf::UserType => Slot::Text(|u| &mut u.user_type),
        Leaf::PreferredLanguage => Slot::Text(|u| &mut u.preferred_language),
        Leaf::Locale => Slot::Text(|u| &mut u.locale),
        Leaf::Timezone => Slot::Text(|u| &mut u.timezone),
        Leaf::Password => Slot::Text(|u| &mut u.password),
        Leaf::NameFormatted => Slot::Text(|u| &mut name(u).formatted),
        Leaf::NameFamilyName => Slot::Text(|u| &mut name(u).family_name),
        Leaf::NameGivenName => Slot::Text(|u| &mut name(u).given_name),
        Leaf::NameMiddleName => Slot::Text(|u| &mut name(u).middle_name),
        Leaf::NameHonorificPrefix => Slot::Text(|u| &mut name(u).honorific_prefix),
        Leaf::NameHonorificSuffix => Slot::Text(|u| &mut name(u).honorific_suffix),
        Leaf::EmployeeNumber => Slot::Text(|u| &mut enterprise(u).employee_number),
        Leaf::CostCenter => Slot::Text(|u| &mut enterprise(u).cost_center),
        Leaf::Organization => Slot::Text(|u| &mut enterprise(u).organization),
        Leaf::Division => Slot::Text(|u| &mut enterprise(u).division),
        Leaf::Department => Slot::Text(|u| &mut enterprise(u).department),
        Leaf::ManagerValue => Slot::Text(|u| &mut manager(u).value),
        Leaf::ManagerRef => Slot::Text(|u| &mut manager(u).r#ref),
    })
}

fn name(user: &mut User) -> &mut Name {
    user.name.get_or_insert_with(Name::default)
}

fn enterprise(user: &mut User) -> &mut EnterpriseUser {
    user.enterprise.get_or_insert_with(EnterpriseUser::default)
}

fn manager(user: &mut User) -> &mut Manager {
    enterprise(user).manager.get_or_insert_with(Manager::default)
}

fn display_leaf(def: &LeafDef) -> String {
    match def.sub {
        Some(sub) => format!("{}.{sub}", def.attr),
        None => def.attr.to_string(),
    }
}

fn as_string(value: Option<&Value>, def: &LeafDef) -> CoreResult<String> {
    match kind(value) {
        Some(Kind::StringValue(s)) => Ok(s.clone()),
        _ => Err(CoreError::invalid_value(format!(
            "{} must be a string",
            display_leaf(def)
        ))),
    }
}

fn as_bool(value: Option<&Value>, def: &LeafDef) -> CoreResult<bool> {
    match kind(value) {
        Some(Kind::BoolValue(b)) => Ok(*b),
        Some(Kind::StringValue(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Kind::StringValue(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(CoreError::invalid_value(format!(
            "{} must be a boolean",
            display_leaf(def)
        ))),
    }
}

#[cfg(test)]
mod tests;
