//! What text both backends can store: the checks every user and group write passes
//! before it reaches the database, so that SQLite and PostgreSQL refuse the same input
//! with the same [`StorageError::InvalidValue`].
//!
//! * PostgreSQL cannot store NUL (U+0000) in `text`; SQLite can. Both refuse it here.
//! * A B-tree index entry in PostgreSQL must fit in about a third of a page (2,704 bytes
//!   with 8 KiB pages). The longest indexed entry is `(tenant_id, attr, value_norm)`:
//!   a 36-byte tenant id, an attribute name of at most 16 bytes and the lower-cased
//!   value, with their headers. [`MAX_TEXT_BYTES`] leaves room for all of it, and the
//!   lower-cased form is checked too, because lower-casing can make a string longer
//!   (`İ`, 2 bytes, becomes `i̇`, 3).

use crate::StorageError;
use crate::records::{GroupRecord, MemberRecord, UserRecord};
use crate::users::attr_name;

/// The longest string value stored, in bytes of UTF-8, as sent and as lower-cased.
pub const MAX_TEXT_BYTES: usize = 2048;

/// Refuses `value` for `field` when it holds NUL or is longer than [`MAX_TEXT_BYTES`]
/// (or lower-cases to something longer).
pub fn check_text(field: &str, value: &str) -> Result<(), StorageError> {
    check_text_within(field, value, MAX_TEXT_BYTES)
}

/// [`check_text`] with `max` bytes instead of [`MAX_TEXT_BYTES`] (the operator's
/// `max_string_bytes`).
pub fn check_text_within(field: &str, value: &str, max: usize) -> Result<(), StorageError> {
    if storable(value, max) {
        return Ok(());
    }
    if value.contains('\0') {
        return Err(StorageError::InvalidValue(format!(
            "{field} contains a NUL character (U+0000), which cannot be stored"
        )));
    }
    let too_long = |len: usize| len > max;
    // Lower-casing at most grows a string by half; only then is it worth doing.
    if too_long(value.len()) || (too_long(value.len() * 3 / 2) && too_long(value.to_lowercase().len())) {
        return Err(StorageError::InvalidValue(format!(
            "{field} is {} bytes long; at most {max} bytes of UTF-8 are stored",
            value.len()
        )));
    }
    Ok(())
}

/// Whether `value` passes [`check_text`]: the cheap test every value takes, so that
/// the error (and its field name) is only built for a value that fails.
fn storable(value: &str, max: usize) -> bool {
    value.len() * 3 / 2 <= max && !value.as_bytes().contains(&0)
}

fn check_optional(field: &str, value: Option<&String>, max: usize) -> Result<(), StorageError> {
    value.map_or(Ok(()), |v| check_text_within(field, v, max))
}

impl UserRecord {
    /// [`check_text_within`] `max` over every string the client wrote, named as SCIM
    /// names it.
    pub fn check_text(&self, max: usize) -> Result<(), StorageError> {
        check_text_within("userName", &self.user_name, max)?;
        let single = [
            ("externalId", &self.external_id),
            ("displayName", &self.display_name),
            ("nickName", &self.nick_name),
            ("profileUrl", &self.profile_url),
            ("title", &self.title),
            ("userType", &self.user_type),
            ("preferredLanguage", &self.preferred_language),
            ("locale", &self.locale),
            ("timezone", &self.timezone),
            ("name.formatted", &self.name_formatted),
            ("name.familyName", &self.name_family_name),
            ("name.givenName", &self.name_given_name),
            ("name.middleName", &self.name_middle_name),
            ("name.honorificPrefix", &self.name_honorific_prefix),
            ("name.honorificSuffix", &self.name_honorific_suffix),
            ("employeeNumber", &self.employee_number),
            ("costCenter", &self.cost_center),
            ("organization", &self.organization),
            ("division", &self.division),
            ("department", &self.department),
            ("manager.value", &self.manager_value),
            ("manager.$ref", &self.manager_ref),
            ("manager.displayName", &self.manager_display_name),
        ];
        for (field, value) in single {
            check_optional(field, value.as_ref(), max)?;
        }
        for (attr, child) in &self.children {
            let name = attr_name(*attr);
            let subs = [
                ("value", &child.value),
                ("display", &child.display),
                ("type", &child.type_),
                ("$ref", &child.ref_),
                ("formatted", &child.formatted),
                ("streetAddress", &child.street_address),
                ("locality", &child.locality),
                ("region", &child.region),
                ("postalCode", &child.postal_code),
                ("country", &child.country),
            ];
            for (sub, value) in subs {
                if let Some(value) = value.as_deref().filter(|v| !storable(v, max)) {
                    check_text_within(&format!("{name}.{sub}"), value, max)?;
                }
            }
        }
        Ok(())
    }
}

impl GroupRecord {
    /// [`check_text_within`] `max` over the group's own strings (its members' ids are
    /// checked as they are added: [`check_member_ids`]).
    pub fn check_text(&self, max: usize) -> Result<(), StorageError> {
        check_text_within("displayName", &self.display_name, max)?;
        check_optional("externalId", self.external_id.as_ref(), max)
    }
}

/// [`check_text`] over members' ids (`members.value`): ids keep the built-in ceiling.
pub fn check_member_ids(members: &[MemberRecord]) -> Result<(), StorageError> {
    members.iter().try_for_each(|m| check_text("members.value", &m.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::MultiValuedAttr;
    use crate::records::ChildValue;

    fn invalid(result: Result<(), StorageError>) -> String {
        match result {
            Err(StorageError::InvalidValue(detail)) => detail,
            other => panic!("expected InvalidValue, got {other:?}"),
        }
    }

    #[test]
    fn nul_is_refused_wherever_it_is() {
        assert!(invalid(check_text("userName", "a\0b")).starts_with("userName contains a NUL"));
        assert!(check_text("userName", "ab").is_ok());
    }

    #[test]
    fn length_counts_bytes_and_the_lower_cased_form() {
        assert!(check_text("x", &"a".repeat(MAX_TEXT_BYTES)).is_ok());
        let detail = invalid(check_text("x", &"a".repeat(MAX_TEXT_BYTES + 1)));
        assert!(detail.contains("2049 bytes"), "{detail}");
        // 1,024 × `İ` is 2,048 bytes as sent and 3,072 lower-cased.
        let dotted = "\u{130}".repeat(MAX_TEXT_BYTES / 2);
        assert_eq!(dotted.len(), MAX_TEXT_BYTES);
        invalid(check_text("x", &dotted));
        // 2,048 × `é`-sized text that does not grow passes.
        assert!(check_text("x", &"\u{e9}".repeat(MAX_TEXT_BYTES / 2)).is_ok());
    }

    #[test]
    fn records_name_the_offending_attribute() {
        let mut user = UserRecord {
            user_name: "ada".into(),
            ..UserRecord::default()
        };
        assert!(user.check_text(MAX_TEXT_BYTES).is_ok());
        user.children.push((
            MultiValuedAttr::Addresses,
            ChildValue {
                street_address: Some("1\0 Main".into()),
                ..ChildValue::default()
            },
        ));
        assert!(invalid(user.check_text(MAX_TEXT_BYTES)).starts_with("addresses.streetAddress contains a NUL"));
        user.children.clear();
        user.department = Some("d".repeat(MAX_TEXT_BYTES + 1));
        assert!(invalid(user.check_text(MAX_TEXT_BYTES)).starts_with("department is 2049 bytes"));
        // The operator's lower cap.
        user.department = Some("d".repeat(101));
        assert!(user.check_text(101).is_ok());
        assert_eq!(
            invalid(user.check_text(100)),
            "department is 101 bytes long; at most 100 bytes of UTF-8 are stored"
        );

        let mut group = GroupRecord {
            display_name: "g".into(),
            ..GroupRecord::default()
        };
        assert!(group.check_text(MAX_TEXT_BYTES).is_ok());
        group.external_id = Some("e\0".into());
        assert!(invalid(group.check_text(MAX_TEXT_BYTES)).starts_with("externalId contains a NUL"));
        let members = [MemberRecord {
            id: "x\0".into(),
            member_type: crate::records::ResourceType::User,
            display: None,
        }];
        assert!(invalid(check_member_ids(&members)).starts_with("members.value contains a NUL"));
    }
}
