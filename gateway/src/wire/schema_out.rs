//! Proto `Schema` → the SCIM schema representation (RFC 7643 §7, §8.7).
//!
//! Characteristics are camelCase strings as RFC 7643 §7 spells them; nothing is `null`.
//! `caseExact` appears only on the textual types it has meaning for (string, reference,
//! binary), `referenceTypes` only on references, `subAttributes` only on complex
//! attributes, `canonicalValues` only when there are some — as in the RFC's examples.

use idsync_proto::v1::{Attribute, AttributeMutability, AttributeReturned, AttributeType, AttributeUniqueness, Schema};
use serde::Serialize;

use super::SCHEMA_URN;
use super::discovery_out::DiscoveryMeta;

/// A borrowed SCIM view of one schema.
#[derive(Serialize)]
pub(crate) struct SchemaOut<'a> {
    schemas: [&'static str; 1],
    id: &'a str,
    name: &'a str,
    description: &'a str,
    attributes: Vec<AttributeOut<'a>>,
    meta: DiscoveryMeta,
}

impl<'a> SchemaOut<'a> {
    /// Renders `schema`; `base_url` is the SCIM base (`<public_url>/scim/v2`).
    pub(crate) fn new(schema: &'a Schema, base_url: &str) -> Self {
        let Schema {
            id,
            name,
            description,
            attributes,
        } = schema;
        SchemaOut {
            schemas: [SCHEMA_URN],
            id,
            name,
            description,
            attributes: attributes.iter().map(AttributeOut::new).collect(),
            meta: DiscoveryMeta::new("Schema", format!("{base_url}/Schemas/{id}")),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AttributeOut<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    multi_valued: bool,
    description: &'a str,
    required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    case_exact: Option<bool>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    canonical_values: &'a [String],
    mutability: &'static str,
    returned: &'static str,
    uniqueness: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_types: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_attributes: Option<Vec<AttributeOut<'a>>>,
}

impl<'a> AttributeOut<'a> {
    fn new(attribute: &'a Attribute) -> Self {
        let Attribute {
            name,
            r#type: _,
            multi_valued,
            description,
            required,
            canonical_values,
            case_exact,
            mutability: _,
            returned: _,
            uniqueness: _,
            reference_types,
            sub_attributes,
        } = attribute;
        // Unknown enum numbers read as their RFC 7643 §2.2 defaults.
        let kind = attribute.r#type();
        AttributeOut {
            name,
            kind: type_name(kind),
            multi_valued: *multi_valued,
            description,
            required: *required,
            case_exact: matches!(
                kind,
                AttributeType::String | AttributeType::Reference | AttributeType::Binary | AttributeType::Unspecified
            )
            .then_some(*case_exact),
            canonical_values,
            mutability: mutability_name(attribute.mutability()),
            returned: returned_name(attribute.returned()),
            uniqueness: uniqueness_name(attribute.uniqueness()),
            reference_types: (kind == AttributeType::Reference).then_some(reference_types.as_slice()),
            sub_attributes: (kind == AttributeType::Complex)
                .then(|| sub_attributes.iter().map(AttributeOut::new).collect()),
        }
    }
}

fn type_name(kind: AttributeType) -> &'static str {
    match kind {
        AttributeType::String | AttributeType::Unspecified => "string",
        AttributeType::Boolean => "boolean",
        AttributeType::Decimal => "decimal",
        AttributeType::Integer => "integer",
        AttributeType::DateTime => "dateTime",
        AttributeType::Binary => "binary",
        AttributeType::Reference => "reference",
        AttributeType::Complex => "complex",
    }
}

fn mutability_name(mutability: AttributeMutability) -> &'static str {
    match mutability {
        AttributeMutability::ReadOnly => "readOnly",
        AttributeMutability::ReadWrite | AttributeMutability::Unspecified => "readWrite",
        AttributeMutability::Immutable => "immutable",
        AttributeMutability::WriteOnly => "writeOnly",
    }
}

fn returned_name(returned: AttributeReturned) -> &'static str {
    match returned {
        AttributeReturned::Always => "always",
        AttributeReturned::Never => "never",
        AttributeReturned::Default | AttributeReturned::Unspecified => "default",
        AttributeReturned::Request => "request",
    }
}

fn uniqueness_name(uniqueness: AttributeUniqueness) -> &'static str {
    match uniqueness {
        AttributeUniqueness::None | AttributeUniqueness::Unspecified => "none",
        AttributeUniqueness::Server => "server",
        AttributeUniqueness::Global => "global",
    }
}
