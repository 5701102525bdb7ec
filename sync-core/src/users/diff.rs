//! What a user write changed, as the change feed and the provisioning log name it:
//! SCIM attribute names (`name.givenName`, `phoneNumbers`, the enterprise extension's
//! `urn:…:User:department`), never values. A new password is named `password`.

use idsync_storage::query::MultiValuedAttr;
use idsync_storage::records::{ChildValue, ResourceType, UserRecord};
use idsync_storage::{ChangeEvent, NewChange};

use crate::schema::{ENTERPRISE_URN, USER_MULTI};

/// Names of the attributes that differ between `old` and `new` (for a create, pass a
/// default record as `old`), in schema order.
///
/// Every field of [`UserRecord`] is named below, so a field added to the record does
/// not compile here until it says how the feed names it (or why it never shows).
pub(crate) fn changed_attributes(old: &UserRecord, new: &UserRecord) -> Vec<String> {
    let UserRecord {
        // Identity and bookkeeping: not attributes a client changes.
        tenant_id: _,
        id: _,
        created_us: _,
        last_modified_us: _,
        version: _,
        created_by_token: _,
        adopted_by_token: _,
        out_of_scope: _,
        // readOnly, derived from `manager` (compared with it below).
        manager_display_name: _,
        user_name,
        external_id,
        display_name,
        nick_name,
        profile_url,
        title,
        user_type,
        preferred_language,
        locale,
        timezone,
        active,
        password_hash,
        name_formatted,
        name_family_name,
        name_given_name,
        name_middle_name,
        name_honorific_prefix,
        name_honorific_suffix,
        employee_number,
        cost_center,
        organization,
        division,
        department,
        manager_value,
        manager_ref,
        children,
    } = new;
    let mut names = Vec::new();
    macro_rules! diff {
        ($($field:ident => $name:expr),* $(,)?) => {
            $( if &old.$field != $field { names.push(String::from($name)); } )*
        };
    }
    diff! {
        user_name => "userName",
        external_id => "externalId",
        display_name => "displayName",
        nick_name => "nickName",
        profile_url => "profileUrl",
        title => "title",
        user_type => "userType",
        preferred_language => "preferredLanguage",
        locale => "locale",
        timezone => "timezone",
        active => "active",
        password_hash => "password",
        name_formatted => "name.formatted",
        name_family_name => "name.familyName",
        name_given_name => "name.givenName",
        name_middle_name => "name.middleName",
        name_honorific_prefix => "name.honorificPrefix",
        name_honorific_suffix => "name.honorificSuffix",
    }
    for def in USER_MULTI {
        fn values(children: &[(MultiValuedAttr, ChildValue)], attr: MultiValuedAttr) -> Vec<&ChildValue> {
            children.iter().filter(|(a, _)| *a == attr).map(|(_, v)| v).collect()
        }
        if values(&old.children, def.attr) != values(children, def.attr) {
            names.push(def.name.to_owned());
        }
    }
    diff! {
        employee_number => format!("{ENTERPRISE_URN}:employeeNumber"),
        cost_center => format!("{ENTERPRISE_URN}:costCenter"),
        organization => format!("{ENTERPRISE_URN}:organization"),
        division => format!("{ENTERPRISE_URN}:division"),
        department => format!("{ENTERPRISE_URN}:department"),
    }
    if (&old.manager_value, &old.manager_ref) != (manager_value, manager_ref) {
        names.push(format!("{ENTERPRISE_URN}:manager"));
    }
    names
}

/// The feed event of a stored user's update: `deactivated` or `reactivated` when
/// `active` flipped (Entra's soft delete and its undo), `updated` otherwise.
pub(crate) fn update_event(old: &UserRecord, new: &UserRecord, attributes: Vec<String>) -> NewChange {
    let event = match (old.is_active(), new.is_active()) {
        (true, false) => ChangeEvent::Deactivated,
        (false, true) => ChangeEvent::Reactivated,
        _ => ChangeEvent::Updated,
    };
    user_event(&new.id, event, attributes)
}

/// A user event.
pub(crate) fn user_event(id: &str, event: ChangeEvent, attributes: Vec<String>) -> NewChange {
    NewChange::of(ResourceType::User, id, event, attributes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_attributes_are_named_as_scim_names_them_and_never_valued() {
        let old = UserRecord {
            user_name: "ada".into(),
            active: Some(true),
            ..UserRecord::default()
        };
        let new = UserRecord {
            active: Some(false),
            name_given_name: Some("Ada".into()),
            department: Some("R&D".into()),
            password_hash: Some("$argon2id$…".into()),
            children: vec![(
                MultiValuedAttr::PhoneNumbers,
                ChildValue {
                    value: Some("+1 555".into()),
                    ..ChildValue::default()
                },
            )],
            ..old.clone()
        };
        let names = changed_attributes(&old, &new);
        assert_eq!(
            names,
            [
                "active",
                "password",
                "name.givenName",
                "phoneNumbers",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            ]
        );
        assert_eq!(update_event(&old, &new, names).event, ChangeEvent::Deactivated);
        assert_eq!(update_event(&new, &old, Vec::new()).event, ChangeEvent::Reactivated);
        assert_eq!(update_event(&old, &old, Vec::new()).event, ChangeEvent::Updated);
    }
}
