//! The published User schema (RFC 7643 §4.1) and enterprise extension (§4.3), derived from
//! the tables in [`crate::schema`] plus the [`notes`](super::notes).
//!
//! Every singular leaf and every multi-valued attribute the core stores is published, and
//! nothing else: leaves inside a complex attribute (`name.givenName`) become its
//! sub-attributes, `meta` is left out (a common attribute of every resource, not part of
//! any schema, RFC 7643 §3.1), and the read-only `groups` is added because it is derived
//! from Group membership rather than stored on the user.

use idsync_proto::v1::{Attribute, AttributeMutability, AttributeReturned, AttributeType, Schema};

use super::notes::{self, CORE_NOTES, ENTERPRISE_NOTES, Note};
use super::spec::{AttrSpec, attribute_mutability, attribute_type};
use crate::schema::{ENTERPRISE_URN, LeafDef, MultiDef, Mutability, USER_LEAVES, USER_MULTI, USER_URN, complex_leaves};

/// The complex attribute that every resource has but no schema defines.
const META: &str = "meta";

const READ_ONLY: AttributeMutability = AttributeMutability::ReadOnly;

/// `groups` (RFC 7643 §4.1.2): read-only, derived from Group membership.
const GROUPS: AttrSpec = AttrSpec::complex(
    "groups",
    &[
        AttrSpec::string("value", "The id of a Group the User belongs to.").mutability(READ_ONLY),
        AttrSpec::reference("$ref", &["User", "Group"], "The URI of the Group.").mutability(READ_ONLY),
        AttrSpec::string("display", "The Group's displayName.").mutability(READ_ONLY),
        AttrSpec::string("type", "How the User belongs to the Group.")
            .canonical(&["direct", "indirect"])
            .mutability(READ_ONLY),
    ],
    "The Groups the User belongs to, derived from Group membership. Read-only.",
)
.multi()
.mutability(READ_ONLY);

/// `urn:ietf:params:scim:schemas:core:2.0:User`.
pub fn core_schema() -> Schema {
    let mut attributes = singular_attributes(USER_URN, CORE_NOTES);
    attributes.extend(USER_MULTI.iter().map(multi_valued));
    attributes.push(GROUPS.attribute());
    Schema {
        id: USER_URN.to_string(),
        name: "User".to_string(),
        description: "User Account".to_string(),
        attributes,
    }
}

/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
pub fn enterprise_schema() -> Schema {
    Schema {
        id: ENTERPRISE_URN.to_string(),
        name: "EnterpriseUser".to_string(),
        description: "Enterprise User".to_string(),
        attributes: singular_attributes(ENTERPRISE_URN, ENTERPRISE_NOTES),
    }
}

/// The singular attributes of `urn` in table order; a complex attribute appears where its
/// first sub-attribute does.
fn singular_attributes(urn: &'static str, notes: &'static [Note]) -> Vec<Attribute> {
    let mut out: Vec<Attribute> = Vec::new();
    for def in USER_LEAVES
        .iter()
        .filter(|d| d.urn == urn && !d.attr.eq_ignore_ascii_case(META))
    {
        match def.sub {
            None => out.push(leaf(def, def.attr, notes::find(notes, def.attr, None))),
            Some(_) if out.iter().any(|a| a.name == def.attr) => {}
            Some(_) => out.push(complex(urn, def.attr, notes)),
        }
    }
    out
}

fn leaf(def: &LeafDef, name: &'static str, note: Option<&'static Note>) -> Attribute {
    let spec = AttrSpec::new(name, attribute_type(def.ty), "").mutability(attribute_mutability(def.mutability));
    let spec = if def.case_exact { spec.case_exact() } else { spec };
    annotated(spec, note).attribute()
}

/// A singular complex attribute (`name`, `manager`) from the leaves inside it. It is
/// readOnly only when every sub-attribute is.
fn complex(urn: &'static str, attr: &'static str, notes: &'static [Note]) -> Attribute {
    let subs: Vec<Attribute> = complex_leaves(urn, attr)
        .filter_map(|def| def.sub.map(|sub| leaf(def, sub, notes::find(notes, attr, Some(sub)))))
        .collect();
    let all_read_only = complex_leaves(urn, attr).all(|def| def.mutability == Mutability::ReadOnly);
    let spec = AttrSpec::complex(attr, &[], "").mutability(if all_read_only {
        READ_ONLY
    } else {
        AttributeMutability::ReadWrite
    });
    annotated(spec, notes::find(notes, attr, None)).attribute_with(subs)
}

/// A multi-valued attribute of the core schema, with the sub-attributes it stores.
fn multi_valued(multi: &MultiDef) -> Attribute {
    let subs = multi
        .subs
        .iter()
        .map(|sub| {
            let spec = AttrSpec::new(sub.name, attribute_type(sub.ty), "");
            let spec = if sub.case_exact { spec.case_exact() } else { spec };
            annotated(spec, notes::find(CORE_NOTES, multi.name, Some(sub.name))).attribute()
        })
        .collect();
    let spec = AttrSpec::complex(multi.name, &[], "").multi();
    annotated(spec, notes::find(CORE_NOTES, multi.name, None)).attribute_with(subs)
}

/// `spec` with the note's description and discovery-only characteristics. A writeOnly
/// attribute is never returned (RFC 7643 §7) unless the note says otherwise.
fn annotated(spec: AttrSpec, note: Option<&'static Note>) -> AttrSpec {
    let derived_returned = match spec.mutability {
        AttributeMutability::WriteOnly => AttributeReturned::Never,
        _ => AttributeReturned::Default,
    };
    let Some(note) = note else {
        // Unreachable while the unit tests pass: every attribute has a note.
        return spec.returned(derived_returned);
    };
    let Note {
        path: _,
        description,
        required,
        returned,
        uniqueness,
        canonical,
        references,
    } = *note;
    AttrSpec {
        description,
        required,
        returned: returned.unwrap_or(derived_returned),
        uniqueness,
        canonical_values: canonical,
        reference_types: match spec.ty {
            AttributeType::Reference => references,
            _ => &[],
        },
        ..spec
    }
}
