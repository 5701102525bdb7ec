//! Conversions between the proto `User` and the stored `UserRecord`.
//!
//! Both directions destructure exhaustively, so a field added to either type is a compile
//! error here rather than a value silently dropped. Values are stored exactly as given
//! (Entra compares what it reads back with its source; a normalized value would be
//! re-sent every cycle).

use idsync_proto::v1::{Address, EnterpriseUser, GroupRef, Manager, Meta, MultiValue, Name, User};
use idsync_storage::query::{ChildColumn, MultiValuedAttr};
use idsync_storage::records::{ChildValue, UserRecord};

use crate::clock::to_timestamp;
use crate::error::{CoreError, CoreResult};
use crate::schema::USER_MULTI;

/// Builds the proto view of a stored user. `password` is never set (writeOnly).
pub fn record_to_user(record: &UserRecord, groups: Vec<GroupRef>) -> User {
    let UserRecord {
        tenant_id: _,
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
        password_hash: _,
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
        created_by_token: _,
        // Internal bookkeeping of the rules, not SCIM attributes.
        out_of_scope: _,
        adopted_by_token: _,
        children,
    } = record;
    let name = Name {
        formatted: name_formatted.clone(),
        family_name: name_family_name.clone(),
        given_name: name_given_name.clone(),
        middle_name: name_middle_name.clone(),
        honorific_prefix: name_honorific_prefix.clone(),
        honorific_suffix: name_honorific_suffix.clone(),
    };
    let manager = Manager {
        value: manager_value.clone(),
        r#ref: manager_ref.clone(),
        display_name: manager_display_name.clone(),
    };
    let enterprise = EnterpriseUser {
        employee_number: employee_number.clone(),
        cost_center: cost_center.clone(),
        organization: organization.clone(),
        division: division.clone(),
        department: department.clone(),
        manager: (manager != Manager::default()).then_some(manager),
    };
    let values = |attr: MultiValuedAttr| -> Vec<MultiValue> {
        children
            .iter()
            .filter(|(a, _)| *a == attr)
            .map(|(_, v)| child_to_multi(v))
            .collect()
    };
    User {
        id: id.clone(),
        external_id: external_id.clone(),
        user_name: user_name.clone(),
        name: (name != Name::default()).then_some(name),
        display_name: display_name.clone(),
        nick_name: nick_name.clone(),
        profile_url: profile_url.clone(),
        title: title.clone(),
        user_type: user_type.clone(),
        preferred_language: preferred_language.clone(),
        locale: locale.clone(),
        timezone: timezone.clone(),
        active: *active,
        password: None,
        emails: values(MultiValuedAttr::Emails),
        phone_numbers: values(MultiValuedAttr::PhoneNumbers),
        ims: values(MultiValuedAttr::Ims),
        photos: values(MultiValuedAttr::Photos),
        addresses: children
            .iter()
            .filter(|(a, _)| *a == MultiValuedAttr::Addresses)
            .map(|(_, v)| child_to_address(v))
            .collect(),
        groups,
        entitlements: values(MultiValuedAttr::Entitlements),
        roles: values(MultiValuedAttr::Roles),
        x509_certificates: values(MultiValuedAttr::X509Certificates),
        enterprise: (enterprise != EnterpriseUser::default()).then_some(enterprise),
        meta: Some(Meta {
            resource_type: "User".into(),
            created: Some(to_timestamp(*created_us)),
            last_modified: Some(to_timestamp(*last_modified_us)),
            version: *version,
        }),
    }
}

/// The client-writable content of a user, as it would be stored. Server-owned fields
/// (`tenant_id`, `id`, timestamps, `version`, `created_by_token`, `password_hash`) are
/// left for the caller to fill in; the password is returned separately for hashing.
pub fn user_to_record(user: User) -> CoreResult<(UserRecord, Option<String>)> {
    let User {
        id: _,
        external_id,
        user_name,
        name,
        display_name,
        nick_name,
        profile_url,
        title,
        user_type,
        preferred_language,
        locale,
        timezone,
        active,
        password,
        emails,
        phone_numbers,
        ims,
        photos,
        addresses,
        groups: _,
        entitlements,
        roles,
        x509_certificates,
        enterprise,
        meta: _,
    } = user;
    if user_name.trim().is_empty() {
        return Err(CoreError::invalid_value("userName is required and must not be empty"));
    }
    let Name {
        formatted,
        family_name,
        given_name,
        middle_name,
        honorific_prefix,
        honorific_suffix,
    } = name.unwrap_or_default();
    let EnterpriseUser {
        employee_number,
        cost_center,
        organization,
        division,
        department,
        manager,
    } = enterprise.unwrap_or_default();
    let Manager {
        value: manager_value,
        r#ref: manager_ref,
        display_name: manager_display_name,
    } = manager.unwrap_or_default();

    let mut children = Vec::new();
    let lists = [
        (MultiValuedAttr::Emails, emails),
        (MultiValuedAttr::PhoneNumbers, phone_numbers),
        (MultiValuedAttr::Ims, ims),
        (MultiValuedAttr::Photos, photos),
        (MultiValuedAttr::Entitlements, entitlements),
        (MultiValuedAttr::Roles, roles),
        (MultiValuedAttr::X509Certificates, x509_certificates),
    ];
    for (attr, list) in lists {
        // `photos.value` is itself the photo's URL: photos have no `$ref` (RFC 7643
        // §8.7.1), so one sent anyway is dropped like any unknown sub-attribute.
        let keeps_ref = USER_MULTI
            .iter()
            .any(|def| def.attr == attr && def.subs.iter().any(|sub| sub.column == ChildColumn::Ref));
        children.extend(list.into_iter().map(|v| {
            let mut child = multi_to_child(v);
            if !keeps_ref {
                child.ref_ = None;
            }
            (attr, child)
        }));
    }
    children.extend(
        addresses
            .into_iter()
            .map(|a| (MultiValuedAttr::Addresses, address_to_child(a))),
    );
    check_single_primary(&children)?;

    let record = UserRecord {
        user_name,
        external_id: non_empty(external_id),
        display_name: non_empty(display_name),
        nick_name: non_empty(nick_name),
        profile_url: non_empty(profile_url),
        title: non_empty(title),
        user_type: non_empty(user_type),
        preferred_language: non_empty(preferred_language),
        locale: non_empty(locale),
        timezone: non_empty(timezone),
        active,
        name_formatted: non_empty(formatted),
        name_family_name: non_empty(family_name),
        name_given_name: non_empty(given_name),
        name_middle_name: non_empty(middle_name),
        name_honorific_prefix: non_empty(honorific_prefix),
        name_honorific_suffix: non_empty(honorific_suffix),
        employee_number: non_empty(employee_number),
        cost_center: non_empty(cost_center),
        organization: non_empty(organization),
        division: non_empty(division),
        department: non_empty(department),
        manager_value: non_empty(manager_value),
        manager_ref: non_empty(manager_ref),
        manager_display_name: non_empty(manager_display_name),
        children,
        ..UserRecord::default()
    };
    Ok((record, password.filter(|p| !p.is_empty())))
}

/// RFC 7643 §2.4: at most one value of a multi-valued attribute may be `primary`.
pub fn check_single_primary(children: &[(MultiValuedAttr, ChildValue)]) -> CoreResult<()> {
    for def in USER_MULTI {
        if children
            .iter()
            .filter(|(a, v)| *a == def.attr && v.primary == Some(true))
            .count()
            > 1
        {
            return Err(CoreError::invalid_value(format!(
                "at most one of {} may be primary",
                def.name
            )));
        }
    }
    Ok(())
}

/// An empty string is the same as no value: SCIM clients clear attributes with `""`.
fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

fn multi_to_child(v: MultiValue) -> ChildValue {
    let MultiValue {
        value,
        display,
        r#type,
        primary,
        r#ref,
    } = v;
    ChildValue {
        value: non_empty(value),
        display: non_empty(display),
        type_: non_empty(r#type),
        primary,
        ref_: non_empty(r#ref),
        ..ChildValue::default()
    }
}

fn child_to_multi(v: &ChildValue) -> MultiValue {
    MultiValue {
        value: v.value.clone(),
        display: v.display.clone(),
        r#type: v.type_.clone(),
        primary: v.primary,
        r#ref: v.ref_.clone(),
    }
}

fn address_to_child(a: Address) -> ChildValue {
    let Address {
        formatted,
        street_address,
        locality,
        region,
        postal_code,
        country,
        r#type,
        primary,
    } = a;
    ChildValue {
        formatted: non_empty(formatted),
        street_address: non_empty(street_address),
        locality: non_empty(locality),
        region: non_empty(region),
        postal_code: non_empty(postal_code),
        country: non_empty(country),
        type_: non_empty(r#type),
        primary,
        ..ChildValue::default()
    }
}

fn child_to_address(v: &ChildValue) -> Address {
    Address {
        formatted: v.formatted.clone(),
        street_address: v.street_address.clone(),
        locality: v.locality.clone(),
        region: v.region.clone(),
        postal_code: v.postal_code.clone(),
        country: v.country.clone(),
        r#type: v.type_.clone(),
        primary: v.primary,
    }
}
