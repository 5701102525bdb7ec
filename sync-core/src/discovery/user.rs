//! The published User schema (RFC 7643 §4.1) and enterprise extension (§4.3), derived from
//! the tables in [`crate::schema`] plus the [`notes`](super::notes).
//!
//! Every singular leaf and every multi-valued attribute the core stores is published, and
//! nothing else: leaves inside a complex attribute (`name.givenName`) become its
//! sub-attributes, `meta` is left out (a common attribute of every resource, not part of
//! any schema, RFC 7643 §3.1), and the read-only `groups`, derived from Group membership
//! rather than stored on the user, is published from its own table
//! ([`USER_GROUP_SUBS`]): exactly the sub-attributes a User's groups carry and filter on.

use idsync_proto::v1::{Attribute, Schema};

use super::derive::{annotate, parent_mutability, references, scalar};
use super::notes::{self, CORE_NOTES, ENTERPRISE_NOTES, Note};
use super::spec::AttrSpec;
use crate::groups::schema::USER_GROUP_SUBS;
use crate::schema::{ENTERPRISE_URN, LeafDef, MultiDef, Mutability, USER_LEAVES, USER_MULTI, USER_URN, complex_leaves};

/// The complex attribute that every resource has but no schema defines.
const META: &str = "meta";

/// `urn:ietf:params:scim:schemas:core:2.0:User`.
pub fn core_schema() -> Schema {
    let mut attributes = singular_attributes(USER_URN, CORE_NOTES);
    attributes.extend(USER_MULTI.iter().map(multi_valued));
    attributes.push(references("groups", USER_GROUP_SUBS, CORE_NOTES));
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
    annotate(scalar(name, def.ty, def.case_exact, def.mutability), note).attribute()
}

/// A singular complex attribute (`name`, `manager`) from the leaves inside it. It is
/// readOnly only when every sub-attribute is.
fn complex(urn: &'static str, attr: &'static str, notes: &'static [Note]) -> Attribute {
    let subs: Vec<Attribute> = complex_leaves(urn, attr)
        .filter_map(|def| def.sub.map(|sub| leaf(def, sub, notes::find(notes, attr, Some(sub)))))
        .collect();
    let spec =
        AttrSpec::complex(attr, &[], "").mutability(parent_mutability(complex_leaves(urn, attr).map(|d| d.mutability)));
    annotate(spec, notes::find(notes, attr, None)).attribute_with(subs)
}

/// A multi-valued attribute of the core schema, with the sub-attributes it stores.
fn multi_valued(multi: &MultiDef) -> Attribute {
    let subs = multi
        .subs
        .iter()
        .map(|sub| {
            let spec = scalar(sub.name, sub.ty, sub.case_exact, Mutability::ReadWrite);
            annotate(spec, notes::find(CORE_NOTES, multi.name, Some(sub.name))).attribute()
        })
        .collect();
    let spec = AttrSpec::complex(multi.name, &[], "").multi();
    annotate(spec, notes::find(CORE_NOTES, multi.name, None)).attribute_with(subs)
}
