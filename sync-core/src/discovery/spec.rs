//! A small, `const`-friendly description of SCIM attributes (RFC 7643 §7) and its proto form.
//!
//! Every published attribute passes through [`AttrSpec`], derived from the schema tables
//! (see `derive.rs`). Characteristics start at the defaults of RFC 7643 §2.2
//! (`readWrite`, `returned: default`, `uniqueness: none`, not required,
//! case-insensitive), so a spec only names what differs.

use idsync_proto::v1::{Attribute, AttributeMutability, AttributeReturned, AttributeType, AttributeUniqueness};

use crate::schema::{AttrType, Mutability};

/// One attribute and its characteristics.
#[derive(Debug, Clone, Copy)]
pub struct AttrSpec {
    /// Name as published (camelCase).
    pub name: &'static str,
    /// Data type.
    pub ty: AttributeType,
    /// Whether the value is a list.
    pub multi_valued: bool,
    /// For people.
    pub description: &'static str,
    /// Whether a client must supply it.
    pub required: bool,
    /// Whether text compares case-sensitively.
    pub case_exact: bool,
    /// Who may write it.
    pub mutability: AttributeMutability,
    /// When it is returned.
    pub returned: AttributeReturned,
    /// Its uniqueness scope.
    pub uniqueness: AttributeUniqueness,
    /// Suggested values (`type` sub-attributes).
    pub canonical_values: &'static [&'static str],
    /// What a reference may point at.
    pub reference_types: &'static [&'static str],
    /// Sub-attributes of a complex attribute.
    pub sub_attributes: &'static [AttrSpec],
}

impl AttrSpec {
    /// A singular, optional, read-write attribute of type `ty` with RFC 7643 §2.2 defaults.
    pub const fn new(name: &'static str, ty: AttributeType, description: &'static str) -> Self {
        AttrSpec {
            name,
            ty,
            multi_valued: false,
            description,
            required: false,
            case_exact: false,
            mutability: AttributeMutability::ReadWrite,
            returned: AttributeReturned::Default,
            uniqueness: AttributeUniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
        }
    }

    /// A complex attribute made of `subs`.
    pub const fn complex(name: &'static str, subs: &'static [AttrSpec], description: &'static str) -> Self {
        AttrSpec {
            sub_attributes: subs,
            ..Self::new(name, AttributeType::Complex, description)
        }
    }

    /// Multi-valued.
    pub const fn multi(self) -> Self {
        AttrSpec {
            multi_valued: true,
            ..self
        }
    }

    /// Compared case-sensitively.
    pub const fn case_exact(self) -> Self {
        AttrSpec {
            case_exact: true,
            ..self
        }
    }

    /// With the given mutability.
    pub const fn mutability(self, mutability: AttributeMutability) -> Self {
        AttrSpec { mutability, ..self }
    }

    /// Returned as given.
    pub const fn returned(self, returned: AttributeReturned) -> Self {
        AttrSpec { returned, ..self }
    }

    /// The proto form, sub-attributes included.
    pub fn attribute(&self) -> Attribute {
        self.attribute_with(self.sub_attributes.iter().map(AttrSpec::attribute).collect())
    }

    /// The proto form with sub-attributes built elsewhere (the User schema assembles its
    /// complex attributes from table rows rather than from `sub_attributes`).
    pub fn attribute_with(&self, sub_attributes: Vec<Attribute>) -> Attribute {
        let AttrSpec {
            name,
            ty,
            multi_valued,
            description,
            required,
            case_exact,
            mutability,
            returned,
            uniqueness,
            canonical_values,
            reference_types,
            sub_attributes: _,
        } = *self;
        Attribute {
            name: name.to_string(),
            r#type: ty as i32,
            multi_valued,
            description: description.to_string(),
            required,
            canonical_values: canonical_values.iter().map(|v| v.to_string()).collect(),
            case_exact,
            mutability: mutability as i32,
            returned: returned as i32,
            uniqueness: uniqueness as i32,
            reference_types: reference_types.iter().map(|v| v.to_string()).collect(),
            sub_attributes,
        }
    }
}

/// The published type of a schema-table type.
pub fn attribute_type(ty: AttrType) -> AttributeType {
    match ty {
        AttrType::String => AttributeType::String,
        AttrType::Boolean => AttributeType::Boolean,
        AttrType::DateTime => AttributeType::DateTime,
        AttrType::Reference => AttributeType::Reference,
        AttrType::Binary => AttributeType::Binary,
    }
}

/// The published mutability of a schema-table mutability.
pub fn attribute_mutability(mutability: Mutability) -> AttributeMutability {
    match mutability {
        Mutability::ReadOnly => AttributeMutability::ReadOnly,
        Mutability::ReadWrite => AttributeMutability::ReadWrite,
        Mutability::WriteOnly => AttributeMutability::WriteOnly,
        Mutability::Immutable => AttributeMutability::Immutable,
    }
}
