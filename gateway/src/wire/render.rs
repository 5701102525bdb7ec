//! Rendering pieces shared by SCIM resources: multi-valued elements, `meta`, timestamps.
//!
//! Each view borrows from the proto message and leaves out absent and empty values.

use chrono::{DateTime, SecondsFormat, Utc};
use idsync_proto::v1::{Address, GroupRef, Meta, MultiValue};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

/// `Some` non-empty text; empty strings are treated as unassigned (RFC 7643 §2.5).
pub(crate) fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
}

/// A multi-valued attribute rendered element by element, without an intermediate `Vec`.
pub(crate) struct Many<'a, T>(pub(crate) &'a [T]);

impl<T> Many<'_, T> {
    pub(crate) fn is_empty(&self) -> bool {
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
    #[serde(skip_serializing_if = "Option::is_none")]
    primary: Option<bool>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    primary: Option<bool>,
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

/// `meta` (RFC 7643 §3.1) of a resource served at `<base_url>/<endpoint>/<id>`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MetaOut<'a> {
    resource_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<Rfc3339>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified: Option<Rfc3339>,
    location: Location<'a>,
    version: WeakEtag,
}

impl<'a> MetaOut<'a> {
    /// `endpoint` is the resource type's endpoint (`"Users"`); its singular form is the
    /// `resourceType` when the core leaves that empty.
    pub(crate) fn new(meta: &'a Meta, base_url: &'a str, endpoint: &'static str, id: &'a str) -> Self {
        let Meta {
            resource_type,
            created,
            last_modified,
            version,
        } = meta;
        let resource_type = match resource_type.as_str() {
            "" => endpoint.strip_suffix('s').unwrap_or(endpoint),
            given => given,
        };
        MetaOut {
            resource_type,
            created: created.as_ref().and_then(Rfc3339::new),
            last_modified: last_modified.as_ref().and_then(Rfc3339::new),
            location: Location { base_url, endpoint, id },
            version: WeakEtag(*version),
        }
    }

    /// `meta.location`, also the `Location` header of a 201.
    pub(crate) fn location(&self) -> String {
        self.location.to_string()
    }

    /// The version, also the `ETag` header.
    pub(crate) fn version(&self) -> i64 {
        self.version.0
    }
}

/// `<base_url>/<endpoint>/<id>` (RFC 7644 §3.1, `meta.location`).
struct Location<'a> {
    base_url: &'a str,
    endpoint: &'static str,
    id: &'a str,
}

impl std::fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.base_url, self.endpoint, self.id)
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
