//! Proto `User` → SCIM User JSON (RFC 7643 §4.1, §4.3).
//!
//! Canonical camelCase names; absent and empty values are left out (never `null`);
//! `password` is never rendered; `meta.location` is built from the public base URL.

use idsync_proto::v1::{Address, EnterpriseUser, GroupRef, Manager, MultiValue, Name, User};
use serde::Serialize;

use super::render::{Many, MetaOut, text};
use super::{ENTERPRISE_USER_URN, USER_URN};

/// A borrowed SCIM view of a proto `User`, ready to serialize.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserOut<'a> {
    schemas: &'static [&'static str],
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<&'a str>,
    user_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<NameOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nick_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_language: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
    #[serde(skip_serializing_if = "Many::is_empty")]
    emails: Many<'a, MultiValue>,
    #[serde(skip_serializing_if = "Many::is_empty")]
    phone_numbers: Many<'a, MultiValue>,
    #[serde(skip_serializing_if = "Many::is_empty")]
    ims: Many<'a, MultiValue>,
    #[serde(skip_serializing_if = "Many::is_empty")]
    photos: Many<'a, MultiValue>,
    #[serde(skip_serializing_if = "Many::is_empty")]
    addresses: Many<'a, Address>,
    #[serde(skip_serializing_if = "Many::is_empty")]
    groups: Many<'a, GroupRef>,
    #[serde(skip_serializing_if = "Many::is_empty")]
    entitlements: Many<'a, MultiValue>,
    #[serde(skip_serializing_if = "Many::is_empty")]
    roles: Many<'a, MultiValue>,
    #[serde(skip_serializing_if = "Many::is_empty")]
    x509_certificates: Many<'a, MultiValue>,
    #[serde(rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")]
    #[serde(skip_serializing_if = "Option::is_none")]
    enterprise: Option<EnterpriseOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<MetaOut<'a>>,
}

/// `schemas` of a user without and with enterprise values.
const CORE_ONLY: &[&str] = &[USER_URN];
const WITH_ENTERPRISE: &[&str] = &[USER_URN, ENTERPRISE_USER_URN];

impl<'a> UserOut<'a> {
    /// Renders `user`; `base_url` is the SCIM base (`<public_url>/scim/v2`).
    pub(crate) fn new(user: &'a User, base_url: &'a str) -> Self {
        let User {
            id,
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
            password: _, // write-only (RFC 7643 §4.1.1): never returned
            emails,
            phone_numbers,
            ims,
            photos,
            addresses,
            groups,
            entitlements,
            roles,
            x509_certificates,
            enterprise,
            meta,
        } = user;
        let enterprise = enterprise.as_ref().and_then(EnterpriseOut::new);
        UserOut {
            schemas: if enterprise.is_some() {
                WITH_ENTERPRISE
            } else {
                CORE_ONLY
            },
            id,
            external_id: text(external_id),
            user_name,
            name: name.as_ref().and_then(NameOut::new),
            display_name: text(display_name),
            nick_name: text(nick_name),
            profile_url: text(profile_url),
            title: text(title),
            user_type: text(user_type),
            preferred_language: text(preferred_language),
            locale: text(locale),
            timezone: text(timezone),
            active: *active,
            emails: Many(emails),
            phone_numbers: Many(phone_numbers),
            ims: Many(ims),
            photos: Many(photos),
            addresses: Many(addresses),
            groups: Many(groups),
            entitlements: Many(entitlements),
            roles: Many(roles),
            x509_certificates: Many(x509_certificates),
            enterprise,
            meta: meta.as_ref().map(|meta| MetaOut::new(meta, base_url, "Users", id)),
        }
    }

    /// `meta.location`, when the user has metadata.
    pub(crate) fn location(&self) -> Option<String> {
        self.meta.as_ref().map(MetaOut::location)
    }

    /// The resource version for the `ETag` header, when the user has metadata.
    pub(crate) fn version(&self) -> Option<i64> {
        self.meta.as_ref().map(MetaOut::version)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NameOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    formatted: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    middle_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    honorific_prefix: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    honorific_suffix: Option<&'a str>,
}

impl<'a> NameOut<'a> {
    fn new(name: &'a Name) -> Option<Self> {
        let Name {
            formatted,
            family_name,
            given_name,
            middle_name,
            honorific_prefix,
            honorific_suffix,
        } = name;
        let out = NameOut {
            formatted: text(formatted),
            family_name: text(family_name),
            given_name: text(given_name),
            middle_name: text(middle_name),
            honorific_prefix: text(honorific_prefix),
            honorific_suffix: text(honorific_suffix),
        };
        let empty = [
            out.formatted,
            out.family_name,
            out.given_name,
            out.middle_name,
            out.honorific_prefix,
            out.honorific_suffix,
        ]
        .iter()
        .all(Option::is_none);
        (!empty).then_some(out)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnterpriseOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    employee_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_center: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    division: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    department: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    manager: Option<ManagerOut<'a>>,
}

impl<'a> EnterpriseOut<'a> {
    /// `None` when no enterprise attribute has a value, so the URN stays out of `schemas`.
    fn new(enterprise: &'a EnterpriseUser) -> Option<Self> {
        let EnterpriseUser {
            employee_number,
            cost_center,
            organization,
            division,
            department,
            manager,
        } = enterprise;
        let out = EnterpriseOut {
            employee_number: text(employee_number),
            cost_center: text(cost_center),
            organization: text(organization),
            division: text(division),
            department: text(department),
            manager: manager.as_ref().and_then(ManagerOut::new),
        };
        let has_text = [
            out.employee_number,
            out.cost_center,
            out.organization,
            out.division,
            out.department,
        ]
        .iter()
        .any(Option::is_some);
        (has_text || out.manager.is_some()).then_some(out)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManagerOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
}

impl<'a> ManagerOut<'a> {
    fn new(manager: &'a Manager) -> Option<Self> {
        let Manager {
            value,
            r#ref,
            display_name,
        } = manager;
        let out = ManagerOut {
            value: text(value),
            reference: text(r#ref),
            display_name: text(display_name),
        };
        (out.value.is_some() || out.reference.is_some() || out.display_name.is_some()).then_some(out)
    }
}

#[cfg(test)]
#[path = "user_out_tests.rs"]
mod tests;
