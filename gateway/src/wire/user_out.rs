//! Proto `User` → SCIM User JSON (RFC 7643 §4.1, §4.3).
//!
//! Canonical camelCase names; absent and empty values are left out (never `null`);
//! `password` is never rendered; `meta.location` is built from the public base URL.

use chrono::{DateTime, SecondsFormat, Utc};
use idsync_proto::v1::{Address, EnterpriseUser, GroupRef, Manager, Meta, MultiValue, Name, User};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

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
            meta: meta.as_ref().map(|meta| MetaOut::new(meta, base_url, id)),
        }
    }

    /// `meta.location`, when the user has metadata.
    pub(crate) fn location(&self) -> Option<String> {
        self.meta.as_ref().map(|meta| meta.location.to_string())
    }

    /// The resource version for the `ETag` header, when the user has metadata.
    pub(crate) fn version(&self) -> Option<i64> {
        self.meta.as_ref().map(|meta| meta.version.0)
    }
}

/// `Some` non-empty text; empty strings are treated as unassigned (RFC 7643 §2.5).
fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
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

/// A multi-valued attribute rendered element by element, without an intermediate `Vec`.
struct Many<'a, T>(&'a [T]);

impl<T> Many<'_, T> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, T> Serialize for Many<'a, T>
where
    T: 'a,
    ElementOut<'a, T>: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for element in self.0 {
            seq.serialize_element(&ElementOut(element))?;
        }
        seq.end()
    }
}

/// One element of a multi-valued attribute.
struct ElementOut<'a, T>(&'a T);

#[derive(Serialize)]
struct MultiValueOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    primary: bool,
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
}

impl Serialize for ElementOut<'_, MultiValue> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let MultiValue {
            value,
            display,
            r#type,
            primary,
            r#ref,
        } = self.0;
        MultiValueOut {
            value: text(value),
            display: text(display),
            kind: text(r#type),
            primary: *primary,
            reference: text(r#ref),
        }
        .serialize(serializer)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddressOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    formatted: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    street_address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locality: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    primary: bool,
}

impl Serialize for ElementOut<'_, Address> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Address {
            formatted,
            street_address,
            locality,
            region,
            postal_code,
            country,
            r#type,
            primary,
        } = self.0;
        AddressOut {
            formatted: text(formatted),
            street_address: text(street_address),
            locality: text(locality),
            region: text(region),
            postal_code: text(postal_code),
            country: text(country),
            kind: text(r#type),
            primary: *primary,
        }
        .serialize(serializer)
    }
}

#[derive(Serialize)]
struct GroupRefOut<'a> {
    value: &'a str,
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
}

impl Serialize for ElementOut<'_, GroupRef> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let GroupRef {
            value,
            r#ref,
            display,
            r#type,
        } = self.0;
        GroupRefOut {
            value,
            reference: text(r#ref),
            display: text(display),
            kind: text(r#type),
        }
        .serialize(serializer)
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
        (out.value.is_some() || out.reference.is_some() || out.display_name.is_some())
            .then_some(out)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetaOut<'a> {
    resource_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<Rfc3339>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified: Option<Rfc3339>,
    location: Location<'a>,
    version: WeakEtag,
}

impl<'a> MetaOut<'a> {
    fn new(meta: &'a Meta, base_url: &'a str, id: &'a str) -> Self {
        let Meta {
            resource_type,
            created,
            last_modified,
            version,
        } = meta;
        MetaOut {
            resource_type: if resource_type.is_empty() {
                "User"
            } else {
                resource_type
            },
            created: created.as_ref().and_then(Rfc3339::new),
            last_modified: last_modified.as_ref().and_then(Rfc3339::new),
            location: Location { base_url, id },
            version: WeakEtag(*version),
        }
    }
}

/// `<base>/Users/<id>` (RFC 7644 §3.1 `meta.location`).
struct Location<'a> {
    base_url: &'a str,
    id: &'a str,
}

impl std::fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/Users/{}", self.base_url, self.id)
    }
}

impl Serialize for Location<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `W/"<version>"`, the same string as the `ETag` header.
struct WeakEtag(i64);

impl Serialize for WeakEtag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("W/\"{}\"", self.0))
    }
}

/// A timestamp as RFC 3339 in UTC, with as many fractional digits as it needs.
struct Rfc3339(DateTime<Utc>);

impl Rfc3339 {
    fn new(timestamp: &prost_types::Timestamp) -> Option<Self> {
        let nanos = u32::try_from(timestamp.nanos).ok()?;
        DateTime::from_timestamp(timestamp.seconds, nanos).map(Rfc3339)
    }
}

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

#[cfg(test)]
#[path = "user_out_tests.rs"]
mod tests;
