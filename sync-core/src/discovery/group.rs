//! The published Group schema (RFC 7643 §4.2) and resource type, derived from the Group's
//! tables in [`crate::groups::schema`] plus the [`GROUP_NOTES`], as the User schema is
//! derived from its own.
//!
//! Every singular leaf of [`GROUP_LEAVES`] is published but `meta` (common to every
//! resource, in no schema, RFC 7643 §3.1), then `members` with exactly the
//! sub-attributes of [`MEMBER_SUBS`], whose mutability is what group PATCH enforces:
//! members are added and removed whole, `value`, `$ref` and `type` are immutable and
//! `display` is the member's current name, set by the server.

use idsync_proto::v1::{Attribute, ResourceType, Schema};

use super::derive::{annotate, references, scalar};
use super::notes::{self, GROUP_NOTES};
use crate::groups::schema::{GROUP_LEAVES, GROUP_URN, MEMBER_SUBS};

/// The complex attribute that every resource has but no schema defines.
const META: &str = "meta";

/// The Group schema.
pub fn schema() -> Schema {
    let mut attributes: Vec<Attribute> = GROUP_LEAVES
        .iter()
        .filter(|def| !def.attr.eq_ignore_ascii_case(META))
        .map(|def| {
            let spec = scalar(def.attr, def.ty, def.case_exact, def.mutability);
            annotate(spec, notes::find(GROUP_NOTES, def.attr, def.sub)).attribute()
        })
        .collect();
    attributes.push(references("members", MEMBER_SUBS, GROUP_NOTES));
    Schema {
        id: GROUP_URN.to_string(),
        name: "Group".to_string(),
        description: "Group".to_string(),
        attributes,
    }
}

/// The Group resource type (RFC 7643 §6).
pub fn resource_type() -> ResourceType {
    ResourceType {
        id: "Group".to_string(),
        name: "Group".to_string(),
        description: "Group".to_string(),
        endpoint: "/Groups".to_string(),
        schema: GROUP_URN.to_string(),
        schema_extensions: Vec::new(),
    }
}
