//! Row shapes of `users` and `user_values`, and their conversion to and from
//! [`UserRecord`].

use diesel::prelude::*;

use crate::error::StorageError;
use crate::filter_sql::fold_case;
use crate::query::MultiValuedAttr;
use crate::records::{ChildValue, UserRecord, normalize_user_name};
use crate::schema::{user_values, users};

/// The stored spelling of a multi-valued attribute in `user_values.attr`.
pub(crate) fn attr_name(attr: MultiValuedAttr) -> &'static str {
    match attr {
        MultiValuedAttr::Emails => "emails",
        MultiValuedAttr::PhoneNumbers => "phoneNumbers",
        MultiValuedAttr::Ims => "ims",
        MultiValuedAttr::Photos => "photos",
        MultiValuedAttr::Entitlements => "entitlements",
        MultiValuedAttr::Roles => "roles",
        MultiValuedAttr::X509Certificates => "x509Certificates",
        MultiValuedAttr::Addresses => "addresses",
    }
}

fn attr_from_name(name: &str) -> Option<MultiValuedAttr> {
    Some(match name {
        "emails" => MultiValuedAttr::Emails,
        "phoneNumbers" => MultiValuedAttr::PhoneNumbers,
        "ims" => MultiValuedAttr::Ims,
        "photos" => MultiValuedAttr::Photos,
        "entitlements" => MultiValuedAttr::Entitlements,
        "roles" => MultiValuedAttr::Roles,
        "x509Certificates" => MultiValuedAttr::X509Certificates,
        "addresses" => MultiValuedAttr::Addresses,
        _ => return None,
    })
}

/// A `users` row as read (without the derived `user_name_norm`).
#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub(crate) tenant_id: String,
    pub(crate) id: String,
    user_name: String,
    external_id: Option<String>,
    display_name: Option<String>,
    nick_name: Option<String>,
    profile_url: Option<String>,
    title: Option<String>,
    user_type: Option<String>,
    preferred_language: Option<String>,
    locale: Option<String>,
    timezone: Option<String>,
    active: Option<bool>,
    password_hash: Option<String>,
    name_formatted: Option<String>,
    name_family_name: Option<String>,
    name_given_name: Option<String>,
    name_middle_name: Option<String>,
    name_honorific_prefix: Option<String>,
    name_honorific_suffix: Option<String>,
    employee_number: Option<String>,
    cost_center: Option<String>,
    organization: Option<String>,
    division: Option<String>,
    department: Option<String>,
    manager_value: Option<String>,
    manager_ref: Option<String>,
    manager_display_name: Option<String>,
    created_us: i64,
    last_modified_us: i64,
    version: i64,
    created_by_token: Option<String>,
    out_of_scope: bool,
    adopted_by_token: Option<String>,
}

impl UserRow {
    /// The record, with its children (already in order).
    pub(crate) fn into_record(self, children: Vec<(MultiValuedAttr, ChildValue)>) -> UserRecord {
        let UserRow {
            tenant_id,
            id,
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
            manager_display_name,
            created_us,
            last_modified_us,
            version,
            created_by_token,
            out_of_scope,
            adopted_by_token,
        } = self;
        UserRecord {
            tenant_id,
            id,
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
            manager_display_name,
            created_us,
            last_modified_us,
            version,
            created_by_token,
            out_of_scope,
            adopted_by_token,
            children,
        }
    }
}

/// Every column of a `users` row except its key: what an insert adds to the key and
/// what an update overwrites.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(crate) struct UserFields<'a> {
    user_name: &'a str,
    user_name_norm: String,
    external_id: Option<&'a str>,
    display_name: Option<&'a str>,
    nick_name: Option<&'a str>,
    profile_url: Option<&'a str>,
    title: Option<&'a str>,
    user_type: Option<&'a str>,
    preferred_language: Option<&'a str>,
    locale: Option<&'a str>,
    timezone: Option<&'a str>,
    active: Option<bool>,
    password_hash: Option<&'a str>,
    name_formatted: Option<&'a str>,
    name_family_name: Option<&'a str>,
    name_given_name: Option<&'a str>,
    name_middle_name: Option<&'a str>,
    name_honorific_prefix: Option<&'a str>,
    name_honorific_suffix: Option<&'a str>,
    employee_number: Option<&'a str>,
    cost_center: Option<&'a str>,
    organization: Option<&'a str>,
    division: Option<&'a str>,
    department: Option<&'a str>,
    manager_value: Option<&'a str>,
    manager_ref: Option<&'a str>,
    manager_display_name: Option<&'a str>,
    created_us: i64,
    last_modified_us: i64,
    version: i64,
    created_by_token: Option<&'a str>,
    out_of_scope: bool,
    adopted_by_token: Option<&'a str>,
    display_name_norm: Option<String>,
    name_given_name_norm: Option<String>,
    name_family_name_norm: Option<String>,
}

impl<'a> UserFields<'a> {
    pub(crate) fn of(u: &'a UserRecord) -> UserFields<'a> {
        // Destructured so that a new record field is a compile error here.
        let UserRecord {
            tenant_id: _,
            id: _,
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
            manager_display_name,
            created_us,
            last_modified_us,
            version,
            created_by_token,
            out_of_scope,
            adopted_by_token,
            children: _,
        } = u;
        UserFields {
            user_name,
            user_name_norm: normalize_user_name(user_name),
            external_id: external_id.as_deref(),
            display_name: display_name.as_deref(),
            nick_name: nick_name.as_deref(),
            profile_url: profile_url.as_deref(),
            title: title.as_deref(),
            user_type: user_type.as_deref(),
            preferred_language: preferred_language.as_deref(),
            locale: locale.as_deref(),
            timezone: timezone.as_deref(),
            active: *active,
            password_hash: password_hash.as_deref(),
            name_formatted: name_formatted.as_deref(),
            name_family_name: name_family_name.as_deref(),
            name_given_name: name_given_name.as_deref(),
            name_middle_name: name_middle_name.as_deref(),
            name_honorific_prefix: name_honorific_prefix.as_deref(),
            name_honorific_suffix: name_honorific_suffix.as_deref(),
            employee_number: employee_number.as_deref(),
            cost_center: cost_center.as_deref(),
            organization: organization.as_deref(),
            division: division.as_deref(),
            department: department.as_deref(),
            manager_value: manager_value.as_deref(),
            manager_ref: manager_ref.as_deref(),
            manager_display_name: manager_display_name.as_deref(),
            created_us: *created_us,
            last_modified_us: *last_modified_us,
            version: *version,
            created_by_token: created_by_token.as_deref(),
            out_of_scope: *out_of_scope,
            adopted_by_token: adopted_by_token.as_deref(),
            display_name_norm: display_name.as_deref().map(fold_case),
            name_given_name_norm: name_given_name.as_deref().map(fold_case),
            name_family_name_norm: name_family_name.as_deref().map(fold_case),
        }
    }
}

/// The columns of a `users` row that no index holds: what every update of
/// [`Tx::update_user_from`](crate::Tx::update_user_from) writes. With the indexed ones
/// ([`UserKeyChanges`]) they are [`UserFields`]. That list is spelled out again rather
/// than embedded here: diesel's embedded `Insertable` walks nested tuples, and cost the
/// cycle 1.7 % more instructions under callgrind (docs/benchmarks.md).
#[derive(AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub(crate) struct UserPlainFields<'a> {
    user_name: &'a str,
    display_name: Option<&'a str>,
    nick_name: Option<&'a str>,
    profile_url: Option<&'a str>,
    title: Option<&'a str>,
    user_type: Option<&'a str>,
    preferred_language: Option<&'a str>,
    locale: Option<&'a str>,
    timezone: Option<&'a str>,
    password_hash: Option<&'a str>,
    name_formatted: Option<&'a str>,
    name_family_name: Option<&'a str>,
    name_given_name: Option<&'a str>,
    name_middle_name: Option<&'a str>,
    name_honorific_prefix: Option<&'a str>,
    name_honorific_suffix: Option<&'a str>,
    employee_number: Option<&'a str>,
    cost_center: Option<&'a str>,
    organization: Option<&'a str>,
    division: Option<&'a str>,
    department: Option<&'a str>,
    manager_value: Option<&'a str>,
    manager_ref: Option<&'a str>,
    manager_display_name: Option<&'a str>,
    last_modified_us: i64,
    version: i64,
    created_by_token: Option<&'a str>,
    out_of_scope: bool,
    adopted_by_token: Option<&'a str>,
}

impl<'a> UserPlainFields<'a> {
    pub(crate) fn of(u: &'a UserRecord) -> UserPlainFields<'a> {
        // Destructured so that a new record field is a compile error here.
        let UserRecord {
            tenant_id: _,
            id: _,
            user_name,
            external_id: _,
            display_name,
            nick_name,
            profile_url,
            title,
            user_type,
            preferred_language,
            locale,
            timezone,
            active: _,
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
            manager_display_name,
            created_us: _,
            last_modified_us,
            version,
            created_by_token,
            out_of_scope,
            adopted_by_token,
            children: _,
        } = u;
        UserPlainFields {
            user_name,
            display_name: display_name.as_deref(),
            nick_name: nick_name.as_deref(),
            profile_url: profile_url.as_deref(),
            title: title.as_deref(),
            user_type: user_type.as_deref(),
            preferred_language: preferred_language.as_deref(),
            locale: locale.as_deref(),
            timezone: timezone.as_deref(),
            password_hash: password_hash.as_deref(),
            name_formatted: name_formatted.as_deref(),
            name_family_name: name_family_name.as_deref(),
            name_given_name: name_given_name.as_deref(),
            name_middle_name: name_middle_name.as_deref(),
            name_honorific_prefix: name_honorific_prefix.as_deref(),
            name_honorific_suffix: name_honorific_suffix.as_deref(),
            employee_number: employee_number.as_deref(),
            cost_center: cost_center.as_deref(),
            organization: organization.as_deref(),
            division: division.as_deref(),
            department: department.as_deref(),
            manager_value: manager_value.as_deref(),
            manager_ref: manager_ref.as_deref(),
            manager_display_name: manager_display_name.as_deref(),
            last_modified_us: *last_modified_us,
            version: *version,
            created_by_token: created_by_token.as_deref(),
            out_of_scope: *out_of_scope,
            adopted_by_token: adopted_by_token.as_deref(),
        }
    }
}

/// The columns of a `users` row that an index holds, each only when its value changes
/// (`None` leaves it out of the `SET` list; `Some(None)` writes NULL).
///
/// SQLite deletes and reinserts an index entry whenever a column of that index is in
/// an `UPDATE`'s `SET` list, even to the same value: a page of the index, and its WAL
/// frame, written for nothing. An update that names only the key columns that changed
/// leaves the other indexes alone (PostgreSQL compares values and needs no help).
#[derive(AsChangeset)]
#[diesel(table_name = users)]
pub(crate) struct UserKeyChanges<'a> {
    user_name_norm: Option<String>,
    external_id: Option<Option<&'a str>>,
    active: Option<Option<bool>>,
    created_us: Option<i64>,
    display_name_norm: Option<Option<String>>,
    name_given_name_norm: Option<Option<String>>,
    name_family_name_norm: Option<Option<String>>,
}

impl<'a> UserKeyChanges<'a> {
    /// What `next` changes of the key columns of `previous`, as stored. The raw values
    /// are compared: a folded twin changes only with its source.
    pub(crate) fn between(previous: &UserRecord, next: &'a UserRecord) -> UserKeyChanges<'a> {
        fn changed<T: PartialEq, U>(before: &T, after: &T, value: impl FnOnce() -> U) -> Option<U> {
            (before != after).then(value)
        }
        let folded = |v: &Option<String>| v.as_deref().map(fold_case);
        UserKeyChanges {
            user_name_norm: changed(&previous.user_name, &next.user_name, || {
                normalize_user_name(&next.user_name)
            }),
            external_id: changed(&previous.external_id, &next.external_id, || next.external_id.as_deref()),
            active: changed(&previous.active, &next.active, || next.active),
            created_us: changed(&previous.created_us, &next.created_us, || next.created_us),
            display_name_norm: changed(&previous.display_name, &next.display_name, || {
                folded(&next.display_name)
            }),
            name_given_name_norm: changed(&previous.name_given_name, &next.name_given_name, || {
                folded(&next.name_given_name)
            }),
            name_family_name_norm: changed(&previous.name_family_name, &next.name_family_name, || {
                folded(&next.name_family_name)
            }),
        }
    }
}

/// A new `users` row.
#[derive(Insertable)]
#[diesel(table_name = users)]
pub(crate) struct NewUser<'a> {
    tenant_id: &'a str,
    id: &'a str,
    #[diesel(embed)]
    fields: UserFields<'a>,
}

impl<'a> NewUser<'a> {
    pub(crate) fn of(u: &'a UserRecord) -> NewUser<'a> {
        NewUser {
            tenant_id: &u.tenant_id,
            id: &u.id,
            fields: UserFields::of(u),
        }
    }
}

/// A `user_values` row as read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = user_values)]
pub(crate) struct ChildRow {
    pub(crate) user_id: String,
    attr: String,
    value: Option<String>,
    display: Option<String>,
    type_: Option<String>,
    is_primary: Option<bool>,
    ref_: Option<String>,
    formatted: Option<String>,
    street_address: Option<String>,
    locality: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
}

impl ChildRow {
    pub(crate) fn into_child(self) -> Result<(MultiValuedAttr, ChildValue), StorageError> {
        let attr = attr_from_name(&self.attr)
            .ok_or_else(|| StorageError::Internal(format!("unknown multi-valued attribute {:?}", self.attr)))?;
        Ok((
            attr,
            ChildValue {
                value: self.value,
                display: self.display,
                type_: self.type_,
                primary: self.is_primary,
                ref_: self.ref_,
                formatted: self.formatted,
                street_address: self.street_address,
                locality: self.locality,
                region: self.region,
                postal_code: self.postal_code,
                country: self.country,
            },
        ))
    }
}

/// A new `user_values` row: its key, and the columns a delta update overwrites.
#[derive(Insertable)]
#[diesel(table_name = user_values)]
pub(crate) struct NewChild<'a> {
    pub(crate) tenant_id: &'a str,
    pub(crate) user_id: &'a str,
    pub(crate) ord: i32,
    #[diesel(embed)]
    pub(crate) fields: ChildFields<'a>,
}

/// Every column of a `user_values` row but `(tenant_id, user_id, ord)`. As a changeset
/// (a delta update of one value that stays with its attribute) it leaves `attr` out and
/// writes every other column, always all of them (so the statement's text is fixed and
/// its prepared statement cached). Leaving `attr`, a key column, out matters on SQLite:
/// an `UPDATE` that may change the key gathers the rows in a temporary B-tree first.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = user_values, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(crate) struct ChildFields<'a> {
    #[diesel(skip_update)]
    attr: &'a str,
    value: Option<&'a str>,
    value_norm: Option<String>,
    display: Option<&'a str>,
    type_: Option<&'a str>,
    is_primary: Option<bool>,
    ref_: Option<&'a str>,
    formatted: Option<&'a str>,
    street_address: Option<&'a str>,
    locality: Option<&'a str>,
    region: Option<&'a str>,
    postal_code: Option<&'a str>,
    country: Option<&'a str>,
}

impl<'a> ChildFields<'a> {
    /// The attribute name, as stored.
    pub(crate) fn attr(&self) -> &'a str {
        self.attr
    }
}

/// The child rows of a user; `ord` is the position in `children`, so the whole list
/// (not only each attribute's values) reads back in the order it was written, and a
/// value is addressed by `(tenant_id, user_id, ord)` alone.
pub(crate) fn new_children(u: &UserRecord) -> Result<Vec<NewChild<'_>>, StorageError> {
    u.children
        .iter()
        .enumerate()
        .map(|(ord, (attr, c))| {
            Ok(NewChild {
                tenant_id: &u.tenant_id,
                user_id: &u.id,
                ord: i32::try_from(ord)
                    .map_err(|_| StorageError::InvalidQuery("too many multi-valued attribute values".into()))?,
                fields: ChildFields {
                    attr: attr_name(*attr),
                    value: c.value.as_deref(),
                    value_norm: c.value.as_deref().map(fold_case),
                    display: c.display.as_deref(),
                    type_: c.type_.as_deref(),
                    is_primary: c.primary,
                    ref_: c.ref_.as_deref(),
                    formatted: c.formatted.as_deref(),
                    street_address: c.street_address.as_deref(),
                    locality: c.locality.as_deref(),
                    region: c.region.as_deref(),
                    postal_code: c.postal_code.as_deref(),
                    country: c.country.as_deref(),
                },
            })
        })
        .collect()
}
