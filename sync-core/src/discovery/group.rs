//! The Group schema (RFC 7643 §4.2, §8.7.1) and resource type, written out by hand.
//!
//! GROUPS MERGE: this static description stands in until the Groups resource lands with
//! a schema table of its own. Then build [`schema`] from that table the way `user.rs`
//! builds the User schema (or keep this `const` if it matches what is stored), and check
//! `displayName`'s `uniqueness` against what the store enforces.

use idsync_proto::v1::{AttributeMutability, AttributeReturned, ResourceType, Schema};

use super::spec::AttrSpec;

/// `urn:ietf:params:scim:schemas:core:2.0:Group`.
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

const READ_ONLY: AttributeMutability = AttributeMutability::ReadOnly;
const IMMUTABLE: AttributeMutability = AttributeMutability::Immutable;

const MEMBER: &[AttrSpec] = &[
    AttrSpec::string("value", "The id of a member: a User or a Group of the same tenant.").mutability(IMMUTABLE),
    AttrSpec::reference("$ref", &["User", "Group"], "The URI of the member resource.").mutability(IMMUTABLE),
    AttrSpec::string("display", "The member's display name.").mutability(READ_ONLY),
    AttrSpec::string("type", "The member's resource type.")
        .canonical(&["User", "Group"])
        .mutability(IMMUTABLE),
];

const ATTRIBUTES: &[AttrSpec] = &[
    AttrSpec::string(
        "id",
        "Unique, stable identifier of the Group, assigned by the service provider.",
    )
    .case_exact()
    .mutability(READ_ONLY)
    .returned(AttributeReturned::Always)
    .unique(),
    AttrSpec::string(
        "externalId",
        "Identifier of the Group in the provisioning client's own system.",
    )
    .case_exact(),
    AttrSpec::string("displayName", "A human-readable name for the Group. REQUIRED.").required(),
    AttrSpec::complex("members", MEMBER, "The members of the Group.").multi(),
];

/// The Group schema.
pub fn schema() -> Schema {
    Schema {
        id: GROUP_URN.to_string(),
        name: "Group".to_string(),
        description: "Group".to_string(),
        attributes: ATTRIBUTES.iter().map(AttrSpec::attribute).collect(),
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
