//! The published SCIM schema of a User (RFC 7643 §4.1 and the enterprise extension §4.3),
//! and how an attribute path resolves against it.
//!
//! One table describes every attribute: its type, mutability, case sensitivity and where
//! it is stored. Filter compilation, PATCH and `/Schemas` discovery ([`crate::discovery`]) all
//! read this table, so what is published, what is filterable and what is stored cannot drift apart.
//! Attribute names and URNs compare case-insensitively (RFC 7643 §2.1).

use idsync_storage::query::{ChildColumn, MultiValuedAttr, UserColumn};

use crate::groups::schema::{RefSubDef, USER_GROUP_SUBS, ref_sub};
use crate::scim::path::AttrPath;

/// The enterprise User extension URN.
pub use idsync_proto::scim::ENTERPRISE_USER_URN as ENTERPRISE_URN;
/// The core User schema URN.
pub use idsync_proto::scim::USER_URN;

/// The SCIM data type of an attribute (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// Text.
    String,
    /// `true`/`false`.
    Boolean,
    /// An RFC 3339 instant.
    DateTime,
    /// A URI or resource id.
    Reference,
    /// Base64 text.
    Binary,
}

/// When a client may write an attribute (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Set by the server only.
    ReadOnly,
    /// Freely writable.
    ReadWrite,
    /// Written once, with the value it belongs to, never changed in place (RFC 7643
    /// §7): the sub-attributes of a group's `members`.
    Immutable,
    /// Writable, never returned.
    WriteOnly,
}

/// A singular scalar of a User that a path can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Leaf {
    Id,
    ExternalId,
    UserName,
    DisplayName,
    NickName,
    ProfileUrl,
    Title,
    UserType,
    PreferredLanguage,
    Locale,
    Timezone,
    Active,
    Password,
    NameFormatted,
    NameFamilyName,
    NameGivenName,
    NameMiddleName,
    NameHonorificPrefix,
    NameHonorificSuffix,
    EmployeeNumber,
    CostCenter,
    Organization,
    Division,
    Department,
    ManagerValue,
    ManagerRef,
    ManagerDisplayName,
    MetaResourceType,
    MetaCreated,
    MetaLastModified,
    MetaLocation,
    MetaVersion,
}

/// Properties of one leaf.
#[derive(Debug, Clone, Copy)]
pub struct LeafDef {
    /// Which leaf.
    pub leaf: Leaf,
    /// The schema that defines it.
    pub urn: &'static str,
    /// Top-level attribute name.
    pub attr: &'static str,
    /// Sub-attribute name, for leaves inside a complex attribute.
    pub sub: Option<&'static str>,
    /// Data type.
    pub ty: AttrType,
    /// Whether text compares case-sensitively.
    pub case_exact: bool,
    /// Write rules.
    pub mutability: Mutability,
    /// The stored column, when the leaf can be filtered on.
    pub column: Option<UserColumn>,
}

#[allow(clippy::too_many_arguments)] // a table row constructor: one argument per column
const fn leaf(
    leaf: Leaf,
    urn: &'static str,
    attr: &'static str,
    sub: Option<&'static str>,
    ty: AttrType,
    case_exact: bool,
    mutability: Mutability,
    column: Option<UserColumn>,
) -> LeafDef {
    LeafDef {
        leaf,
        urn,
        attr,
        sub,
        ty,
        case_exact,
        mutability,
        column,
    }
}

use AttrType as T;
use Mutability as M;
use UserColumn as C;

/// Every singular leaf of the User resource.
#[rustfmt::skip]
pub const USER_LEAVES: &[LeafDef] = &[
    leaf(Leaf::Id, USER_URN, "id", None, T::String, true, M::ReadOnly, Some(C::Id)),
    leaf(Leaf::ExternalId, USER_URN, "externalId", None, T::String, true, M::ReadWrite, Some(C::ExternalId)),
    leaf(Leaf::UserName, USER_URN, "userName", None, T::String, false, M::ReadWrite, Some(C::UserName)),
    leaf(Leaf::DisplayName, USER_URN, "displayName", None, T::String, false, M::ReadWrite, Some(C::DisplayName)),
    leaf(Leaf::NickName, USER_URN, "nickName", None, T::String, false, M::ReadWrite, Some(C::NickName)),
    leaf(Leaf::ProfileUrl, USER_URN, "profileUrl", None, T::Reference, false, M::ReadWrite, Some(C::ProfileUrl)),
    leaf(Leaf::Title, USER_URN, "title", None, T::String, false, M::ReadWrite, Some(C::Title)),
    leaf(Leaf::UserType, USER_URN, "userType", None, T::String, false, M::ReadWrite, Some(C::UserType)),
    leaf(Leaf::PreferredLanguage, USER_URN, "preferredLanguage", None, T::String, false, M::ReadWrite, Some(C::PreferredLanguage)),
    leaf(Leaf::Locale, USER_URN, "locale", None, T::String, false, M::ReadWrite, Some(C::Locale)),
    leaf(Leaf::Timezone, USER_URN, "timezone", None, T::String, false, M::ReadWrite, Some(C::Timezone)),
    leaf(Leaf::Active, USER_URN, "active", None, T::Boolean, false, M::ReadWrite, Some(C::Active)),
    leaf(Leaf::Password, USER_URN, "password", None, T::String, false, M::WriteOnly, None),
    leaf(Leaf::NameFormatted, USER_URN, "name", Some("formatted"), T::String, false, M::ReadWrite, Some(C::NameFormatted)),
    leaf(Leaf::NameFamilyName, USER_URN, "name", Some("familyName"), T::String, false, M::ReadWrite, Some(C::NameFamilyName)),
    leaf(Leaf::NameGivenName, USER_URN, "name", Some("givenName"), T::String, false, M::ReadWrite, Some(C::NameGivenName)),
    leaf(Leaf::NameMiddleName, USER_URN, "name", Some("middleName"), T::String, false, M::ReadWrite, Some(C::NameMiddleName)),
    leaf(Leaf::NameHonorificPrefix, USER_URN, "name", Some("honorificPrefix"), T::String, false, M::ReadWrite, Some(C::NameHonorificPrefix)),
    leaf(Leaf::NameHonorificSuffix, USER_URN, "name", Some("honorificSuffix"), T::String, false, M::ReadWrite, Some(C::NameHonorificSuffix)),
    leaf(Leaf::EmployeeNumber, ENTERPRISE_URN, "employeeNumber", None, T::String, false, M::ReadWrite, Some(C::EmployeeNumber)),
    leaf(Leaf::CostCenter, ENTERPRISE_URN, "costCenter", None, T::String, false, M::ReadWrite, Some(C::CostCenter)),
    leaf(Leaf::Organization, ENTERPRISE_URN, "organization", None, T::String, false, M::ReadWrite, Some(C::Organization)),
    leaf(Leaf::Division, ENTERPRISE_URN, "division", None, T::String, false, M::ReadWrite, Some(C::Division)),
    leaf(Leaf::Department, ENTERPRISE_URN, "department", None, T::String, false, M::ReadWrite, Some(C::Department)),
    leaf(Leaf::ManagerValue, ENTERPRISE_URN, "manager", Some("value"), T::String, true, M::ReadWrite, Some(C::ManagerValue)),
    leaf(Leaf::ManagerRef, ENTERPRISE_URN, "manager", Some("$ref"), T::Reference, true, M::ReadWrite, Some(C::ManagerRef)),
    leaf(Leaf::ManagerDisplayName, ENTERPRISE_URN, "manager", Some("displayName"), T::String, false, M::ReadOnly, Some(C::ManagerDisplayName)),
    leaf(Leaf::MetaResourceType, USER_URN, "meta", Some("resourceType"), T::String, true, M::ReadOnly, None),
    leaf(Leaf::MetaCreated, USER_URN, "meta", Some("created"), T::DateTime, false, M::ReadOnly, Some(C::Created)),
    leaf(Leaf::MetaLastModified, USER_URN, "meta", Some("lastModified"), T::DateTime, false, M::ReadOnly, Some(C::LastModified)),
    leaf(Leaf::MetaLocation, USER_URN, "meta", Some("location"), T::Reference, true, M::ReadOnly, None),
    leaf(Leaf::MetaVersion, USER_URN, "meta", Some("version"), T::String, true, M::ReadOnly, None),
];

/// Properties of a sub-attribute of a multi-valued attribute.
#[derive(Debug, Clone, Copy)]
pub struct SubDef {
    /// Name as published.
    pub name: &'static str,
    /// Stored column.
    pub column: ChildColumn,
    /// Data type.
    pub ty: AttrType,
    /// Whether text compares case-sensitively.
    pub case_exact: bool,
}

const fn sub(name: &'static str, column: ChildColumn, ty: AttrType, case_exact: bool) -> SubDef {
    SubDef {
        name,
        column,
        ty,
        case_exact,
    }
}

const STANDARD_SUBS: &[SubDef] = &[
    sub("value", ChildColumn::Value, T::String, false),
    sub("display", ChildColumn::Display, T::String, false),
    sub("type", ChildColumn::Type, T::String, false),
    sub("primary", ChildColumn::Primary, T::Boolean, false),
    sub("$ref", ChildColumn::Ref, T::Reference, true),
];

/// `photos.value` is a URL (RFC 7643 §4.1.2); it filters and compares like text. Being
/// the reference itself, a photo has no `$ref` (RFC 7643 §8.7.1).
const PHOTO_SUBS: &[SubDef] = &[
    sub("value", ChildColumn::Value, T::Reference, false),
    sub("display", ChildColumn::Display, T::String, false),
    sub("type", ChildColumn::Type, T::String, false),
    sub("primary", ChildColumn::Primary, T::Boolean, false),
];

/// `x509Certificates.value` is base64 DER (RFC 7643 §4.1.2); stored as the text sent.
const X509_SUBS: &[SubDef] = &[
    sub("value", ChildColumn::Value, T::Binary, false),
    sub("display", ChildColumn::Display, T::String, false),
    sub("type", ChildColumn::Type, T::String, false),
    sub("primary", ChildColumn::Primary, T::Boolean, false),
    sub("$ref", ChildColumn::Ref, T::Reference, true),
];

const ADDRESS_SUBS: &[SubDef] = &[
    sub("formatted", ChildColumn::Formatted, T::String, false),
    sub("streetAddress", ChildColumn::StreetAddress, T::String, false),
    sub("locality", ChildColumn::Locality, T::String, false),
    sub("region", ChildColumn::Region, T::String, false),
    sub("postalCode", ChildColumn::PostalCode, T::String, false),
    sub("country", ChildColumn::Country, T::String, false),
    sub("type", ChildColumn::Type, T::String, false),
    sub("primary", ChildColumn::Primary, T::Boolean, false),
];

/// A multi-valued attribute of the User.
#[derive(Debug, Clone, Copy)]
pub struct MultiDef {
    /// Name as published.
    pub name: &'static str,
    /// How its rows are tagged in storage.
    pub attr: MultiValuedAttr,
    /// Its sub-attributes.
    pub subs: &'static [SubDef],
}

/// Every multi-valued attribute of the User (stored as child rows).
#[rustfmt::skip]
pub const USER_MULTI: &[MultiDef] = &[
    MultiDef { name: "emails", attr: MultiValuedAttr::Emails, subs: STANDARD_SUBS },
    MultiDef { name: "phoneNumbers", attr: MultiValuedAttr::PhoneNumbers, subs: STANDARD_SUBS },
    MultiDef { name: "ims", attr: MultiValuedAttr::Ims, subs: STANDARD_SUBS },
    MultiDef { name: "photos", attr: MultiValuedAttr::Photos, subs: PHOTO_SUBS },
    MultiDef { name: "addresses", attr: MultiValuedAttr::Addresses, subs: ADDRESS_SUBS },
    MultiDef { name: "entitlements", attr: MultiValuedAttr::Entitlements, subs: STANDARD_SUBS },
    MultiDef { name: "roles", attr: MultiValuedAttr::Roles, subs: STANDARD_SUBS },
    MultiDef { name: "x509Certificates", attr: MultiValuedAttr::X509Certificates, subs: X509_SUBS },
];

impl MultiDef {
    /// The sub-attribute called `name`, ignoring case.
    pub fn sub(&self, name: &str) -> Option<&'static SubDef> {
        self.subs.iter().find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

/// What a path names in the User schema.
#[derive(Debug, Clone, Copy)]
pub enum Resolved {
    /// A singular scalar.
    Leaf(&'static LeafDef),
    /// A whole complex singular attribute (`name`, `manager`, `meta`) — its sub-attributes
    /// are the leaves whose `attr` equals this name.
    Complex {
        /// Schema of the complex attribute.
        urn: &'static str,
        /// Its name.
        attr: &'static str,
    },
    /// A multi-valued attribute, optionally narrowed to one sub-attribute.
    Multi(&'static MultiDef, Option<&'static SubDef>),
    /// The read-only `groups`, derived from membership, optionally narrowed to one
    /// sub-attribute.
    Groups(Option<&'static RefSubDef>),
    /// The whole enterprise extension object.
    Extension,
}

/// Why a path did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAttribute(pub String);

/// Resolves `path` against the User schema (case-insensitively).
pub fn resolve_user_path(path: &AttrPath) -> Result<Resolved, UnknownAttribute> {
    let unknown = || UnknownAttribute(path.to_string());
    // Pre-2018 Entra jobs wrote `urn:…:enterprise:2.0:User.department` (docs/entra.md, Q10).
    if let (Some(urn), Some(sub)) = (&path.urn, &path.sub_attr)
        && is_enterprise_urn(&format!("{urn}:{}", path.attr))
    {
        let (attr, sub_attr) = match sub.split_once('.') {
            Some((a, s)) => (a.to_string(), Some(s.to_string())),
            None => (sub.clone(), None),
        };
        return resolve_user_path(&AttrPath {
            urn: Some(ENTERPRISE_URN.to_string()),
            attr,
            sub_attr,
        });
    }
    // Entra's legacy shape (docs/entra.md, C8 and Q9): `manager` without its URN. The core
    // schema has no `manager`, so the bare name can only mean the enterprise extension's.
    if path.urn.is_none() && path.attr.eq_ignore_ascii_case("manager") {
        return resolve_user_path(&AttrPath {
            urn: Some(ENTERPRISE_URN.to_string()),
            ..path.clone()
        });
    }
    let urn = match &path.urn {
        None => None,
        Some(u) if u.eq_ignore_ascii_case(USER_URN) => Some(USER_URN),
        Some(u) if u.eq_ignore_ascii_case(ENTERPRISE_URN) => Some(ENTERPRISE_URN),
        Some(_) => return Err(unknown()),
    };
    // Attributes without a URN belong to the core schema (RFC 7644 §3.10).
    let schema = urn.unwrap_or(USER_URN);
    let attr = path.attr.as_str();
    let sub = path.sub_attr.as_deref();

    if schema == USER_URN {
        if let Some(multi) = USER_MULTI.iter().find(|m| m.name.eq_ignore_ascii_case(attr)) {
            return match sub {
                None => Ok(Resolved::Multi(multi, None)),
                Some(s) => multi
                    .sub(s)
                    .map(|d| Resolved::Multi(multi, Some(d)))
                    .ok_or_else(unknown),
            };
        }
        if attr.eq_ignore_ascii_case("groups") {
            return match sub {
                None => Ok(Resolved::Groups(None)),
                Some(s) => ref_sub(USER_GROUP_SUBS, s)
                    .map(|d| Resolved::Groups(Some(d)))
                    .ok_or_else(unknown),
            };
        }
    }
    let mut complex_name = None;
    for def in USER_LEAVES
        .iter()
        .filter(|d| d.urn == schema && d.attr.eq_ignore_ascii_case(attr))
    {
        match (def.sub, sub) {
            (None, None) => return Ok(Resolved::Leaf(def)),
            (Some(ds), Some(s)) if ds.eq_ignore_ascii_case(s) => return Ok(Resolved::Leaf(def)),
            (Some(_), None) => complex_name = Some(def.attr),
            _ => {}
        }
    }
    match complex_name {
        Some(name) => Ok(Resolved::Complex {
            urn: schema,
            attr: name,
        }),
        None => Err(unknown()),
    }
}

/// Whether `key` names the whole enterprise extension (a PATCH value key or a JSON key).
pub fn is_enterprise_urn(key: &str) -> bool {
    key.eq_ignore_ascii_case(ENTERPRISE_URN)
}

/// The leaves inside the complex attribute `attr` of schema `urn`.
pub fn complex_leaves<'a>(urn: &'static str, attr: &'a str) -> impl Iterator<Item = &'static LeafDef> + 'a {
    USER_LEAVES
        .iter()
        .filter(move |d| d.urn == urn && d.sub.is_some() && d.attr.eq_ignore_ascii_case(attr))
}

/// The leaf definition of `leaf`.
pub fn leaf_def(leaf: Leaf) -> &'static LeafDef {
    // The table lists every variant; a missing one is caught by the unit test below.
    USER_LEAVES.iter().find(|d| d.leaf == leaf).unwrap_or(&USER_LEAVES[0])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::scim::path::parse_attr_path;

    fn resolve(s: &str) -> Result<Resolved, UnknownAttribute> {
        resolve_user_path(&parse_attr_path(s).unwrap())
    }

    #[test]
    fn attribute_names_resolve_in_any_letter_case() {
        assert!(matches!(resolve("USERNAME").unwrap(), Resolved::Leaf(d) if d.leaf == Leaf::UserName));
        assert!(matches!(resolve("name.GIVENNAME").unwrap(), Resolved::Leaf(d) if d.leaf == Leaf::NameGivenName));
        assert!(
            matches!(resolve("Emails.Value").unwrap(), Resolved::Multi(m, Some(s)) if m.name == "emails" && s.name == "value")
        );
    }

    #[test]
    fn urn_qualified_paths_resolve_to_their_schema() {
        let dept = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
        assert!(matches!(resolve(dept).unwrap(), Resolved::Leaf(d) if d.leaf == Leaf::Department));
        let core = "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName";
        assert!(matches!(resolve(core).unwrap(), Resolved::Leaf(d) if d.leaf == Leaf::NameFamilyName));
        assert!(resolve("department").is_err(), "extension attributes need their URN");
        // …but for Entra's legacy bare `manager` (docs/entra.md, C8), which the core lacks.
        assert!(matches!(
            resolve("manager").unwrap(),
            Resolved::Complex {
                urn: ENTERPRISE_URN,
                attr: "manager"
            }
        ));
        assert!(matches!(resolve("Manager.value").unwrap(), Resolved::Leaf(d) if d.leaf == Leaf::ManagerValue));
        assert!(resolve("urn:example:other:1.0:User:department").is_err());
    }

    #[test]
    fn complex_attributes_resolve_as_a_whole() {
        assert!(matches!(
            resolve("name").unwrap(),
            Resolved::Complex { attr: "name", .. }
        ));
        let manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
        assert!(matches!(
            resolve(manager).unwrap(),
            Resolved::Complex { attr: "manager", .. }
        ));
    }

    #[test]
    fn every_leaf_has_a_definition() {
        for def in USER_LEAVES {
            assert_eq!(leaf_def(def.leaf).leaf, def.leaf);
        }
        assert_eq!(USER_LEAVES.len(), 32);
    }

    #[test]
    fn the_derived_groups_resolve_with_their_sub_attributes() {
        assert!(matches!(resolve("groups").unwrap(), Resolved::Groups(None)));
        assert!(matches!(resolve("Groups.Value").unwrap(), Resolved::Groups(Some(s)) if s.name == "value"));
        assert!(resolve("groups.members").is_err());
    }

    #[test]
    fn unknown_attributes_are_refused() {
        assert!(resolve("nickname.foo").is_err());
        assert!(resolve("shoeSize").is_err());
        assert!(resolve("emails.nope").is_err());
    }
}
