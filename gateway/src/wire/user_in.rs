//! SCIM User JSON (POST/PUT bodies) → proto `User`.
//!
//! Attribute names match without regard to ASCII case (RFC 7643 §2.1), also inside
//! `name`, multi-valued elements and the enterprise extension object. `null` or an absent
//! attribute is "not given". `id`, `meta`, `groups` and `schemas` are ignored, as is any
//! attribute the schema does not define; whether the user is acceptable is the core's call.

use idsync_proto::v1::{Address, EnterpriseUser, Manager, MultiValue, Name, User};
use serde_json::{Map, Value};

use super::{Attr, ENTERPRISE_USER_URN, Slot, slots, wrong_type};
use crate::errors::ApiError;

/// A User as sent in a POST or PUT body; `password` included (write-only).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserBody(pub User);

impl TryFrom<Value> for UserBody {
    type Error = ApiError;

    fn try_from(body: Value) -> Result<Self, ApiError> {
        user_from_json(body).map(UserBody)
    }
}

/// The writable attributes of RFC 7643 §4.1 and §4.3, in the order `user_from_json`
/// destructures them.
const USER_ATTRIBUTES: [&str; 22] = [
    "externalId",
    "userName",
    "name",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "password",
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
    ENTERPRISE_USER_URN,
];

/// Reads a User body. The result's `id`, `groups` and `meta` are always empty: they are
/// server-assigned or read-only.
pub(crate) fn user_from_json(body: Value) -> Result<User, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::invalid_syntax("the request body must be a JSON object"));
    };
    let [
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
        entitlements,
        roles,
        x509_certificates,
        enterprise,
    ] = slots(map, None, USER_ATTRIBUTES);
    Ok(User {
        id: String::new(),
        external_id: external_id.string()?,
        user_name: user_name.string()?.unwrap_or_default(),
        name: name.object()?.map(name_from_json).transpose()?,
        display_name: display_name.string()?,
        nick_name: nick_name.string()?,
        profile_url: profile_url.string()?,
        title: title.string()?,
        user_type: user_type.string()?,
        preferred_language: preferred_language.string()?,
        locale: locale.string()?,
        timezone: timezone.string()?,
        active: active.boolean()?,
        password: password.string()?,
        emails: multi_values(emails)?,
        phone_numbers: multi_values(phone_numbers)?,
        ims: multi_values(ims)?,
        photos: multi_values(photos)?,
        addresses: addresses_from_json(addresses)?,
        groups: Vec::new(),
        entitlements: multi_values(entitlements)?,
        roles: multi_values(roles)?,
        x509_certificates: multi_values(x509_certificates)?,
        enterprise: enterprise.object()?.map(enterprise_from_json).transpose()?,
        meta: None,
    })
}

fn name_from_json(map: Map<String, Value>) -> Result<Name, ApiError> {
    let [
        formatted,
        family_name,
        given_name,
        middle_name,
        honorific_prefix,
        honorific_suffix,
    ] = slots(
        map,
        Some("name"),
        [
            "formatted",
            "familyName",
            "givenName",
            "middleName",
            "honorificPrefix",
            "honorificSuffix",
        ],
    );
    Ok(Name {
        formatted: formatted.string()?,
        family_name: family_name.string()?,
        given_name: given_name.string()?,
        middle_name: middle_name.string()?,
        honorific_prefix: honorific_prefix.string()?,
        honorific_suffix: honorific_suffix.string()?,
    })
}

fn multi_values(slot: Slot<'_>) -> Result<Vec<MultiValue>, ApiError> {
    let attr = slot.attr();
    slot.array()?.into_iter().map(|item| multi_value(item, attr)).collect()
}

/// One element of `emails`, `phoneNumbers`, … (RFC 7643 §2.4). A bare string is read as
/// its `value`.
fn multi_value(item: Value, attr: Attr<'_>) -> Result<MultiValue, ApiError> {
    let map = match item {
        Value::String(value) => {
            return Ok(MultiValue {
                value: Some(value),
                display: None,
                r#type: None,
                primary: None,
                r#ref: None,
            });
        }
        Value::Object(map) => map,
        other => return Err(wrong_type(attr, "an array of objects", &other)),
    };
    let [value, display, kind, primary, reference] =
        slots(map, Some(attr.name()), ["value", "display", "type", "primary", "$ref"]);
    Ok(MultiValue {
        value: value.string()?,
        display: display.string()?,
        r#type: kind.string()?,
        primary: primary.boolean()?,
        r#ref: reference.string()?,
    })
}

fn addresses_from_json(slot: Slot<'_>) -> Result<Vec<Address>, ApiError> {
    let attr = slot.attr();
    let mut out = Vec::new();
    for item in slot.array()? {
        let Value::Object(map) = item else {
            return Err(wrong_type(attr, "an array of objects", &item));
        };
        let [
            formatted,
            street_address,
            locality,
            region,
            postal_code,
            country,
            kind,
            primary,
        ] = slots(
            map,
            Some(attr.name()),
            [
                "formatted",
                "streetAddress",
                "locality",
                "region",
                "postalCode",
                "country",
                "type",
                "primary",
            ],
        );
        out.push(Address {
            formatted: formatted.string()?,
            street_address: street_address.string()?,
            locality: locality.string()?,
            region: region.string()?,
            postal_code: postal_code.string()?,
            country: country.string()?,
            r#type: kind.string()?,
            primary: primary.boolean()?,
        });
    }
    Ok(out)
}

fn enterprise_from_json(map: Map<String, Value>) -> Result<EnterpriseUser, ApiError> {
    let [
        employee_number,
        cost_center,
        organization,
        division,
        department,
        manager,
    ] = slots(
        map,
        Some(ENTERPRISE_USER_URN),
        [
            "employeeNumber",
            "costCenter",
            "organization",
            "division",
            "department",
            "manager",
        ],
    );
    Ok(EnterpriseUser {
        employee_number: employee_number.string()?,
        cost_center: cost_center.string()?,
        organization: organization.string()?,
        division: division.string()?,
        department: department.string()?,
        manager: manager_from_json(manager)?,
    })
}

/// The enterprise `manager`: an object `{value, $ref, displayName}`, a bare id (what
/// Entra sends today), or a one-element list of either (Entra's older documentation).
fn manager_from_json(slot: Slot<'_>) -> Result<Option<Manager>, ApiError> {
    let attr = slot.attr();
    match slot.into_value() {
        Value::Null => Ok(None),
        Value::String(id) => Ok(Some(Manager {
            value: Some(id),
            r#ref: None,
            display_name: None,
        })),
        Value::Object(map) => {
            let [value, reference, display_name] = slots(map, Some("manager"), ["value", "$ref", "displayName"]);
            Ok(Some(Manager {
                value: value.string()?,
                r#ref: reference.string()?,
                display_name: display_name.string()?,
            }))
        }
        Value::Array(items) => {
            let mut items = items.into_iter().filter(|v| !v.is_null());
            match (items.next(), items.next()) {
                (None, _) => Ok(None),
                (Some(one @ (Value::Object(_) | Value::String(_))), None) => manager_from_json(Slot::new(one, attr)),
                (Some(other), None) => Err(wrong_type(attr, "an object or a string", &other)),
                (Some(_), Some(_)) => Err(ApiError::invalid_value(format!(
                    "attribute '{attr}' takes a single value"
                ))),
            }
        }
        other => Err(wrong_type(attr, "an object or a string", &other)),
    }
}

#[cfg(test)]
#[path = "user_in_tests.rs"]
mod tests;
