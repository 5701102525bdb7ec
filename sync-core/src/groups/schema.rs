//! The published SCIM schema of a Group (RFC 7643 §4.2), how an attribute path resolves
//! against it, and the sub-attributes of a membership reference: a Group's `members`
//! and a User's read-only `groups` (RFC 7643 §4.1.2).
//!
//! As for users, one table per resource says each attribute's type, mutability, case
//! sensitivity and stored column, so filters, PATCH and discovery read the same facts.

use idsync_storage::query::{GroupColumn, MemberColumn};

use crate::schema::{AttrType, Mutability, UnknownAttribute};
use crate::scim::path::AttrPath;

/// The core Group schema URN.
pub use idsync_proto::scim::GROUP_URN;

/// A singular scalar of a Group that a path can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum GroupLeaf {
    Id,
    ExternalId,
    DisplayName,
    MetaResourceType,
    MetaCreated,
    MetaLastModified,
    MetaLocation,
    MetaVersion,
}

/// Properties of one Group leaf.
#[derive(Debug, Clone, Copy)]
pub struct GroupLeafDef {
    /// Which leaf.
    pub leaf: GroupLeaf,
    /// Top-level attribute name.
    pub attr: &'static str,
    /// Sub-attribute name, for leaves inside `meta`.
    pub sub: Option<&'static str>,
    /// Data type.
    pub ty: AttrType,
    /// Whether text compares case-sensitively.
    pub case_exact: bool,
    /// Write rules.
    pub mutability: Mutability,
    /// The stored column, when the leaf can be filtered and sorted on.
    pub column: Option<GroupColumn>,
}

const fn leaf(
    leaf: GroupLeaf,
    attr: &'static str,
    sub: Option<&'static str>,
    ty: AttrType,
    case_exact: bool,
    mutability: Mutability,
    column: Option<GroupColumn>,
) -> GroupLeafDef {
    GroupLeafDef {
        leaf,
        attr,
        sub,
        ty,
        case_exact,
        mutability,
        column,
    }
}

use AttrType as T;
use GroupColumn as C;
use Mutability as M;

/// Every singular leaf of the Group resource. `displayName` is required and, as Entra
/// needs, unique per tenant ignoring case (RFC 7643 leaves uniqueness open).
#[rustfmt::skip]
pub const GROUP_LEAVES: &[GroupLeafDef] = &[
    leaf(GroupLeaf::Id, "id", None, T::String, true, M::ReadOnly, Some(C::Id)),
    leaf(GroupLeaf::ExternalId, "externalId", None, T::String, true, M::ReadWrite, Some(C::ExternalId)),
    leaf(GroupLeaf::DisplayName, "displayName", None, T::String, false, M::ReadWrite, Some(C::DisplayName)),
    leaf(GroupLeaf::MetaResourceType, "meta", Some("resourceType"), T::String, true, M::ReadOnly, None),
    leaf(GroupLeaf::MetaCreated, "meta", Some("created"), T::DateTime, false, M::ReadOnly, Some(C::Created)),
    leaf(GroupLeaf::MetaLastModified, "meta", Some("lastModified"), T::DateTime, false, M::ReadOnly, Some(C::LastModified)),
    leaf(GroupLeaf::MetaLocation, "meta", Some("location"), T::Reference, true, M::ReadOnly, None),
    leaf(GroupLeaf::MetaVersion, "meta", Some("version"), T::String, true, M::ReadOnly, None),
];

/// A sub-attribute of a membership reference (`members.value`, `groups.display`, …).
#[derive(Debug, Clone, Copy)]
pub struct RefSubDef {
    /// Name as published.
    pub name: &'static str,
    /// The membership column it is stored in, when it can be filtered on.
    pub column: Option<MemberColumn>,
    /// Data type.
    pub ty: AttrType,
    /// Whether text compares case-sensitively.
    pub case_exact: bool,
    /// Write rules.
    pub mutability: Mutability,
}

const fn sub(
    name: &'static str,
    column: Option<MemberColumn>,
    ty: AttrType,
    case_exact: bool,
    mutability: Mutability,
) -> RefSubDef {
    RefSubDef {
        name,
        column,
        ty,
        case_exact,
        mutability,
    }
}

/// `members` of a Group (RFC 7643 §4.2): members may be added and removed, but each
/// member's sub-attributes are immutable. `type` (`User` or `Group`) is derived by the
/// server and `display` is the member's current name, so neither is stored as sent.
#[rustfmt::skip]
pub const MEMBER_SUBS: &[RefSubDef] = &[
    sub("value", Some(MemberColumn::MemberId), T::String, true, M::Immutable),
    sub("$ref", None, T::Reference, true, M::Immutable),
    sub("display", None, T::String, false, M::ReadOnly),
    sub("type", Some(MemberColumn::MemberType), T::String, false, M::Immutable),
];

/// `groups` of a User (RFC 7643 §4.1.2): read-only, derived from membership; `type` is
/// always `direct` (nested memberships are not expanded). No `$ref`: a User's groups are
/// rendered without one, so none is published or filterable.
#[rustfmt::skip]
pub const USER_GROUP_SUBS: &[RefSubDef] = &[
    sub("value", Some(MemberColumn::GroupId), T::String, true, M::ReadOnly),
    sub("display", None, T::String, false, M::ReadOnly),
    sub("type", None, T::String, false, M::ReadOnly),
];

/// The sub-attribute of `subs` called `name`, ignoring case.
pub fn ref_sub(subs: &'static [RefSubDef], name: &str) -> Option<&'static RefSubDef> {
    subs.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// What a path names in the Group schema.
#[derive(Debug, Clone, Copy)]
pub enum GroupResolved {
    /// A singular scalar.
    Leaf(&'static GroupLeafDef),
    /// `meta` as a whole.
    Meta,
    /// `members`, optionally narrowed to one sub-attribute.
    Members(Option<&'static RefSubDef>),
}

/// Resolves `path` against the Group schema (names and URN case-insensitively).
pub fn resolve_group_path(path: &AttrPath) -> Result<GroupResolved, UnknownAttribute> {
    let unknown = || UnknownAttribute(path.to_string());
    if path
        .urn
        .as_deref()
        .is_some_and(|urn| !urn.eq_ignore_ascii_case(GROUP_URN))
    {
        return Err(unknown());
    }
    let attr = path.attr.as_str();
    let sub = path.sub_attr.as_deref();
    if attr.eq_ignore_ascii_case("members") {
        return match sub {
            None => Ok(GroupResolved::Members(None)),
            Some(s) => ref_sub(MEMBER_SUBS, s)
                .map(|d| GroupResolved::Members(Some(d)))
                .ok_or_else(unknown),
        };
    }
    if attr.eq_ignore_ascii_case("meta") && sub.is_none() {
        return Ok(GroupResolved::Meta);
    }
    GROUP_LEAVES
        .iter()
        .find(|d| {
            d.attr.eq_ignore_ascii_case(attr)
                && match (d.sub, sub) {
                    (None, None) => true,
                    (Some(ds), Some(s)) => ds.eq_ignore_ascii_case(s),
                    _ => false,
                }
        })
        .map(GroupResolved::Leaf)
        .ok_or_else(unknown)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::scim::path::parse_attr_path;

    fn resolve(s: &str) -> Result<GroupResolved, UnknownAttribute> {
        resolve_group_path(&parse_attr_path(s).unwrap())
    }

    #[test]
    fn group_attributes_resolve_in_any_letter_case_and_with_their_urn() {
        assert!(matches!(resolve("DISPLAYNAME").unwrap(), GroupResolved::Leaf(d) if d.leaf == GroupLeaf::DisplayName));
        let qualified = "urn:ietf:params:scim:schemas:core:2.0:Group:displayName";
        assert!(matches!(resolve(qualified).unwrap(), GroupResolved::Leaf(d) if d.leaf == GroupLeaf::DisplayName));
        assert!(
            matches!(resolve("meta.lastModified").unwrap(), GroupResolved::Leaf(d) if d.leaf == GroupLeaf::MetaLastModified)
        );
        assert!(matches!(resolve("meta").unwrap(), GroupResolved::Meta));
        assert!(matches!(resolve("Members").unwrap(), GroupResolved::Members(None)));
        assert!(matches!(resolve("members.VALUE").unwrap(), GroupResolved::Members(Some(s)) if s.name == "value"));
    }

    #[test]
    fn unknown_group_attributes_and_foreign_urns_are_refused() {
        for path in [
            "userName",
            "members.primary",
            "displayName.x",
            "meta.nope",
            "urn:ietf:params:scim:schemas:core:2.0:User:displayName",
        ] {
            assert!(resolve(path).is_err(), "{path}");
        }
    }
}
