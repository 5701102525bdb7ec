//! How a row of a schema table becomes a published attribute: the table gives the name,
//! type, `caseExact` and `mutability`, the [`Note`] the description and the
//! discovery-only characteristics. Users and Groups both go through here, so one rule
//! decides what every published attribute says.

use idsync_proto::v1::{Attribute, AttributeMutability, AttributeReturned, AttributeType};

use super::notes::{self, Note};
use super::spec::{AttrSpec, attribute_mutability, attribute_type};
use crate::groups::schema::RefSubDef;
use crate::schema::{AttrType, Mutability};

/// A scalar attribute with the characteristics its table row gives.
pub fn scalar(name: &'static str, ty: AttrType, case_exact: bool, mutability: Mutability) -> AttrSpec {
    let spec = AttrSpec::new(name, attribute_type(ty), "").mutability(attribute_mutability(mutability));
    if case_exact { spec.case_exact() } else { spec }
}

/// A complex attribute is readOnly only when every sub-attribute is: a client may still
/// add and remove `members` although each member's sub-attributes are immutable.
pub fn parent_mutability(subs: impl IntoIterator<Item = Mutability>) -> AttributeMutability {
    let mut subs = subs.into_iter().peekable();
    let any = subs.peek().is_some();
    if any && subs.all(|m| m == Mutability::ReadOnly) {
        AttributeMutability::ReadOnly
    } else {
        AttributeMutability::ReadWrite
    }
}

/// A multi-valued membership reference (a Group's `members`, a User's `groups`) with
/// exactly the sub-attributes of its table; notes are looked up in `notes`.
pub fn references(name: &'static str, subs: &'static [RefSubDef], notes: &'static [Note]) -> Attribute {
    let sub_attributes = subs
        .iter()
        .map(|sub| {
            let spec = scalar(sub.name, sub.ty, sub.case_exact, sub.mutability);
            annotate(spec, notes::find(notes, name, Some(sub.name))).attribute()
        })
        .collect();
    let spec = AttrSpec::complex(name, &[], "")
        .multi()
        .mutability(parent_mutability(subs.iter().map(|s| s.mutability)));
    annotate(spec, notes::find(notes, name, None)).attribute_with(sub_attributes)
}

/// `spec` with the note's description and discovery-only characteristics. A writeOnly
/// attribute is never returned (RFC 7643 §7) unless the note says otherwise.
pub fn annotate(spec: AttrSpec, note: Option<&'static Note>) -> AttrSpec {
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
