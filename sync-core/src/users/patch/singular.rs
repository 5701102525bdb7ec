//! PATCH on the singular attributes of a User: a leaf of the schema table (`title`,
//! `name.givenName`, the enterprise `department`) or a whole complex attribute (`name`,
//! `manager`, `meta`), and which field of the proto `User` each one is stored in.

use idsync_proto::v1::{EnterpriseUser, Manager, Name, User};
use prost_types::Value;
use prost_types::value::Kind;

use super::{Op, is_clear, kind};
use crate::error::{CoreError, CoreResult, ScimType};
use crate::schema::{Leaf, LeafDef, Mutability};

/// A whole complex singular attribute: `name`, `manager` or `meta`.
pub(super) fn apply_complex(
    user: &mut User,
    op: Op,
    urn: &'static str,
    attr: &str,
    shown: &str,
    value: Option<&Value>,
) -> CoreResult<()> {
    if attr.eq_ignore_ascii_case("meta") {
        return Err(CoreError::invalid(ScimType::Mutability, "meta is readOnly"));
    }
    let is_manager = attr.eq_ignore_ascii_case("manager");
    if op == Op::Remove || is_clear(value) {
        if is_manager {
            user.enterprise.get_or_insert_with(EnterpriseUser::default).manager = None;
        } else {
            user.name = None;
        }
        return Ok(());
    }
    // Q9: the manager arrives as a bare id, an object, or a one-element list of objects.
    let value = match kind(value) {
        Some(Kind::ListValue(list)) if is_manager && list.values.len() == 1 => list.values.first(),
        _ => value,
    };
    match kind(value) {
        Some(Kind::StringValue(id)) if is_manager => {
            let manager = user
                .enterprise
                .get_or_insert_with(EnterpriseUser::default)
                .manager
                .get_or_insert_with(Manager::default);
            *manager = Manager {
                value: Some(id.clone()),
                ..Manager::default()
            };
            Ok(())
        }
        Some(Kind::StructValue(object)) => {
            for (key, v) in &object.fields {
                let def = crate::schema::complex_leaves(urn, attr)
                    .find(|d| d.sub.is_some_and(|s| s.eq_ignore_ascii_case(key)))
                    .ok_or_else(|| {
                        CoreError::invalid(ScimType::InvalidPath, format!("{shown} has no sub-attribute {key:?}"))
                    })?;
                apply_leaf(user, op, def, Some(v))?;
            }
            Ok(())
        }
        _ => Err(CoreError::invalid_value(format!("{shown} needs an object value"))),
    }
}

/// A singular scalar.
pub(super) fn apply_leaf(user: &mut User, op: Op, def: &LeafDef, value: Option<&Value>) -> CoreResult<()> {
    if def.mutability == Mutability::ReadOnly {
        return Err(CoreError::invalid(
            ScimType::Mutability,
            format!("{} is readOnly", display_leaf(def)),
        ));
    }
    let clear = op == Op::Remove || is_clear(value);
    if op != Op::Remove && value.is_none() {
        return Err(CoreError::invalid_value(format!("{} needs a value", display_leaf(def))));
    }
    if def.leaf == Leaf::Active {
        // Removed or nulled, `active` is unassigned (RFC 7644 §3.5.2.2). An account
        // without it is not known to be active and counts as inactive, so removing the
        // flag never re-enables a disabled user (a deprovisioning hazard).
        user.active = if clear { None } else { Some(as_bool(value, def)?) };
        return Ok(());
    }
    let text = if clear { None } else { Some(as_string(value, def)?) };
    if def.leaf == Leaf::UserName {
        return match text {
            Some(t) => {
                user.user_name = t;
                Ok(())
            }
            None => Err(CoreError::invalid(
                ScimType::Mutability,
                "userName is required and cannot be removed",
            )),
        };
    }
    *string_slot(user, def.leaf) = text;
    Ok(())
}

fn string_slot(user: &mut User, leaf: Leaf) -> &mut Option<String> {
    let name = || Name::default();
    let ent = || EnterpriseUser::default();
    match leaf {
        Leaf::ExternalId => &mut user.external_id,
        Leaf::DisplayName => &mut user.display_name,
        Leaf::NickName => &mut user.nick_name,
        Leaf::ProfileUrl => &mut user.profile_url,
        Leaf::Title => &mut user.title,
        Leaf::UserType => &mut user.user_type,
        Leaf::PreferredLanguage => &mut user.preferred_language,
        Leaf::Locale => &mut user.locale,
        Leaf::Timezone => &mut user.timezone,
        Leaf::Password => &mut user.password,
        Leaf::NameFormatted => &mut user.name.get_or_insert_with(name).formatted,
        Leaf::NameFamilyName => &mut user.name.get_or_insert_with(name).family_name,
        Leaf::NameGivenName => &mut user.name.get_or_insert_with(name).given_name,
        Leaf::NameMiddleName => &mut user.name.get_or_insert_with(name).middle_name,
        Leaf::NameHonorificPrefix => &mut user.name.get_or_insert_with(name).honorific_prefix,
        Leaf::NameHonorificSuffix => &mut user.name.get_or_insert_with(name).honorific_suffix,
        Leaf::EmployeeNumber => &mut user.enterprise.get_or_insert_with(ent).employee_number,
        Leaf::CostCenter => &mut user.enterprise.get_or_insert_with(ent).cost_center,
        Leaf::Organization => &mut user.enterprise.get_or_insert_with(ent).organization,
        Leaf::Division => &mut user.enterprise.get_or_insert_with(ent).division,
        Leaf::Department => &mut user.enterprise.get_or_insert_with(ent).department,
        Leaf::ManagerValue => &mut manager(user).value,
        Leaf::ManagerRef => &mut manager(user).r#ref,
        // Everything else is readOnly or not a string and was handled before; a spare
        // slot keeps this total without panicking.
        _ => &mut manager(user).display_name,
    }
}

fn manager(user: &mut User) -> &mut Manager {
    user.enterprise
        .get_or_insert_with(EnterpriseUser::default)
        .manager
        .get_or_insert_with(Manager::default)
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
