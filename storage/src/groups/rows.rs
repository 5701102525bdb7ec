//! Row shapes of `groups` and `group_members`, and their conversion to and from
//! [`GroupRecord`].

use diesel::prelude::*;

use crate::error::StorageError;
use crate::records::{GroupRecord, MemberRecord, MemberType, normalize_group_display_name};
use crate::schema::{group_members, groups};

/// A `groups` row as read (without the derived `display_name_norm`).
#[derive(Queryable, Selectable)]
#[diesel(table_name = groups)]
pub(crate) struct GroupRow {
    tenant_id: String,
    pub(crate) id: String,
    display_name: String,
    external_id: Option<String>,
    created_us: i64,
    last_modified_us: i64,
    version: i64,
    created_by_token: Option<String>,
}

impl GroupRow {
    /// The record, with its members (already in order, or empty when not loaded).
    pub(crate) fn into_record(self, members: Vec<MemberRecord>) -> GroupRecord {
        let GroupRow {
            tenant_id,
            id,
            display_name,
            external_id,
            created_us,
            last_modified_us,
            version,
            created_by_token,
        } = self;
        GroupRecord {
            tenant_id,
            id,
            display_name,
            external_id,
            created_us,
            last_modified_us,
            version,
            created_by_token,
            members,
        }
    }
}

/// Every column of a `groups` row except its key: what an insert adds to the key and
/// what an update overwrites.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = groups, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(crate) struct GroupFields<'a> {
    display_name: &'a str,
    display_name_norm: String,
    external_id: Option<&'a str>,
    created_us: i64,
    last_modified_us: i64,
    version: i64,
    created_by_token: Option<&'a str>,
}

impl<'a> GroupFields<'a> {
    pub(crate) fn of(g: &'a GroupRecord) -> GroupFields<'a> {
        // Destructured so that a new record field is a compile error here.
        let GroupRecord {
            tenant_id: _,
            id: _,
            display_name,
            external_id,
            created_us,
            last_modified_us,
            version,
            created_by_token,
            members: _,
        } = g;
        GroupFields {
            display_name,
            display_name_norm: normalize_group_display_name(display_name),
            external_id: external_id.as_deref(),
            created_us: *created_us,
            last_modified_us: *last_modified_us,
            version: *version,
            created_by_token: created_by_token.as_deref(),
        }
    }
}

/// A new `groups` row.
#[derive(Insertable)]
#[diesel(table_name = groups)]
pub(crate) struct NewGroup<'a> {
    tenant_id: &'a str,
    id: &'a str,
    #[diesel(embed)]
    fields: GroupFields<'a>,
}

impl<'a> NewGroup<'a> {
    pub(crate) fn of(g: &'a GroupRecord) -> NewGroup<'a> {
        NewGroup {
            tenant_id: &g.tenant_id,
            id: &g.id,
            fields: GroupFields::of(g),
        }
    }
}

/// A new `group_members` row.
#[derive(Insertable)]
#[diesel(table_name = group_members)]
pub(crate) struct NewMember<'a> {
    pub(crate) tenant_id: &'a str,
    pub(crate) group_id: &'a str,
    pub(crate) member_id: &'a str,
    pub(crate) member_type: &'static str,
}

/// A membership row joined with its member's names: the group, the member's id and
/// type, the user's displayName and userName, the group's displayName.
#[derive(Queryable)]
pub(crate) struct MemberRow {
    group_id: String,
    member_id: String,
    member_type: String,
    user_display_name: Option<String>,
    user_name: Option<String>,
    group_display_name: Option<String>,
}

impl MemberRow {
    /// The group id and the member as read: a user shows its displayName, else its
    /// userName; a group its displayName.
    pub(crate) fn into_member(self) -> Result<(String, MemberRecord), StorageError> {
        let member_type = MemberType::parse(&self.member_type)
            .ok_or_else(|| StorageError::Internal(format!("unknown member type {:?}", self.member_type)))?;
        let display = self.user_display_name.or(self.user_name).or(self.group_display_name);
        Ok((
            self.group_id,
            MemberRecord {
                id: self.member_id,
                member_type,
                display,
            },
        ))
    }
}
