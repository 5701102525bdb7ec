//! Conversions between the proto `Group` and the stored `GroupRecord`, and the
//! read-only `GroupRef`s of `User.groups`.
//!
//! Both directions destructure exhaustively, so a field added to either type is a
//! compile error here. Of a member the client sends, only its `value` (the member's id)
//! counts: `type` is what the id turns out to name, and `display` is read from the
//! member itself.

use idsync_proto::v1::{Group, GroupRef, Member, Meta};
use idsync_storage::records::{GroupRecord, MemberRecord, MembershipRecord};
use idsync_storage::text::check_text;

use crate::clock::to_timestamp;
use crate::error::{CoreError, CoreResult};

/// Builds the proto view of a stored group. `members_excluded` says the members were
/// not loaded (and `members` is therefore empty, not cleared).
pub fn record_to_group(record: &GroupRecord, members_excluded: bool) -> Group {
    let GroupRecord {
        tenant_id: _,
        id,
        display_name,
        external_id,
        created_us,
        last_modified_us,
        version,
        created_by_token: _,
        members,
    } = record;
    Group {
        id: id.clone(),
        external_id: external_id.clone(),
        display_name: display_name.clone(),
        members: if members_excluded {
            Vec::new()
        } else {
            members.iter().map(member_to_proto).collect()
        },
        members_excluded,
        meta: Some(Meta {
            resource_type: "Group".into(),
            created: Some(to_timestamp(*created_us)),
            last_modified: Some(to_timestamp(*last_modified_us)),
            version: *version,
        }),
    }
}

/// A member as the wire shows it: id, type and current name; no `$ref`.
pub(crate) fn member_to_proto(member: &MemberRecord) -> Member {
    let MemberRecord {
        id,
        member_type,
        display,
    } = member;
    Member {
        value: id.clone(),
        r#ref: None,
        display: display.clone(),
        r#type: Some(member_type.as_str().into()),
    }
}

/// A group as `User.groups` shows it: only direct memberships exist.
pub fn membership_to_ref(membership: &MembershipRecord) -> GroupRef {
    let MembershipRecord { group_id, display_name } = membership;
    GroupRef {
        value: group_id.clone(),
        r#ref: None,
        display: Some(display_name.clone()),
        r#type: Some("direct".into()),
    }
}

/// The client-writable content of a group as it would be stored, and the ids of the
/// members it names (each once, in the order given). Server-owned fields are left for
/// the caller to fill in; the members still have to be resolved.
pub fn group_to_parts(group: Group) -> CoreResult<(GroupRecord, Vec<String>)> {
    let Group {
        id: _,
        external_id,
        display_name,
        members,
        members_excluded: _,
        meta: _,
    } = group;
    let record = GroupRecord {
        display_name: required_display_name(display_name)?,
        external_id: external_id.filter(|e| !e.is_empty()),
        ..GroupRecord::default()
    };
    let mut ids = Vec::with_capacity(members.len());
    for Member { value, .. } in members {
        let id = required_member_id(value)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok((record, ids))
}

/// `displayName` is required and must have a non-blank value (RFC 7643 §4.2).
pub(crate) fn required_display_name(display_name: String) -> CoreResult<String> {
    if display_name.trim().is_empty() {
        return Err(CoreError::invalid_value(
            "displayName is required and must not be empty",
        ));
    }
    Ok(display_name)
}

/// A member's `value` is the member's id and is required. It names a resource by id,
/// so it must also be text an id can be ([`check_text`]): a value holding NUL is
/// refused here, before it is looked up, the same way on both backends.
pub(crate) fn required_member_id(value: String) -> CoreResult<String> {
    if value.trim().is_empty() {
        return Err(CoreError::invalid_value(
            "each member needs a value: the id of a user or group of this tenant",
        ));
    }
    check_text("members.value", &value)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use idsync_storage::records::MemberType;

    use super::*;

    #[test]
    fn members_of_a_create_count_once_and_need_an_id() {
        let member = |value: &str| Member {
            value: value.into(),
            r#ref: Some("https://example.com/Users/x".into()),
            display: Some("ignored".into()),
            r#type: Some("Group".into()),
        };
        let group = Group {
            display_name: "Engineering".into(),
            external_id: Some(String::new()),
            members: vec![member("u1"), member("u2"), member("u1")],
            ..Group::default()
        };
        let (record, ids) = group_to_parts(group.clone()).unwrap();
        assert_eq!(
            (record.display_name.as_str(), record.external_id),
            ("Engineering", None)
        );
        assert_eq!(ids, ["u1", "u2"]);

        let nameless = Group {
            display_name: "  ".into(),
            ..group.clone()
        };
        assert!(matches!(group_to_parts(nameless), Err(CoreError::Invalid { .. })));
        let anonymous = Group {
            members: vec![member("")],
            ..group
        };
        assert!(matches!(group_to_parts(anonymous), Err(CoreError::Invalid { .. })));
    }

    #[test]
    fn excluded_members_are_marked_and_never_shown() {
        let record = GroupRecord {
            id: "g1".into(),
            display_name: "Engineering".into(),
            version: 3,
            members: vec![MemberRecord {
                id: "u1".into(),
                member_type: MemberType::User,
                display: Some("Ada".into()),
            }],
            ..GroupRecord::default()
        };
        let full = record_to_group(&record, false);
        assert_eq!(full.members[0].r#type.as_deref(), Some("User"));
        assert_eq!(full.members[0].display.as_deref(), Some("Ada"));
        assert!(!full.members_excluded);
        let lean = record_to_group(&record, true);
        assert!(lean.members.is_empty() && lean.members_excluded);
        assert_eq!(lean.meta.unwrap().version, 3);
    }
}
