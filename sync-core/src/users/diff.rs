//! What a user write changed, as the change feed and the provisioning log name it:
//! SCIM attribute names (`name.givenName`, `phoneNumbers`, the enterprise extension's
//! `urn:…:User:department`), never values. A new password is named `password`.

use idsync_storage::NewChange;
use idsync_storage::records::UserRecord;

use crate::schema::{ENTERPRISE_URN, USER_MULTI};

/// The resource type of user events.
pub(crate) const USER: &str = "User";

/// Names of the attributes that differ between `old` and `new` (for a create, pass a
/// default record as `old`), in schema order.
pub(crate) fn changed_attributes(old: &UserRecord, new: &UserRecord) -> Vec<String> {
    let mut names = Vec::new();
    macro_rules! diff {
        ($($field:ident => $name:expr),* $(,)?) => {
            $( if old.$field != new.$field { names.push(String::from($name)); } )*
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
        let values = |u: &UserRecord| {
            u.children
                .iter()
                .filter(|(attr, _)| *attr == def.attr)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        };
        if values(old) != values(new) {
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
    if (&old.manager_value, &old.manager_ref) != (&new.manager_value, &new.manager_ref) {
        names.push(format!("{ENTERPRISE_URN}:manager"));
    }
    names
}

/// The feed event of a stored user's update: `deactivated` or `reactivated` when
/// `active` flipped (Entra's soft delete and its undo), `updated` otherwise.
pub(crate) fn update_event(old: &UserRecord, new: &UserRecord, attributes: Vec<String>) -> NewChange {
    let event = match (old.is_active(), new.is_active()) {
        (true, false) => "deactivated",
        (false, true) => "reactivated",
        _ => "updated",
    };
    user_event(&new.id, event, attributes)
}

/// A user event.
pub(crate) fn user_event(id: &str, event: &str, attributes: Vec<String>) -> NewChange {
    NewChange {
        resource_type: USER.to_owned(),
        resource_id: id.to_owned(),
        event: event.to_owned(),
        attributes,
        ..NewChange::default()
    }
}

#[cfg(test)]
mod tests {
    use idsync_storage::query::MultiValuedAttr;
    use idsync_storage::records::ChildValue;

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
        assert_eq!(update_event(&old, &new, names).event, "deactivated");
        assert_eq!(update_event(&new, &old, Vec::new()).event, "reactivated");
        assert_eq!(update_event(&old, &old, Vec::new()).event, "updated");
    }
}
