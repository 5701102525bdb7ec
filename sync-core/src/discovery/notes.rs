//! What the schema tables do not say: each attribute's description and the
//! characteristics only discovery needs (`required`, `returned`, `uniqueness`,
//! `canonicalValues`, `referenceTypes`), after RFC 7643 §4.1–§4.3 and §8.7.1.
//!
//! Type, `caseExact`, `mutability` and which attributes exist come from
//! [`crate::schema`] and [`crate::groups::schema`]; a note never invents an attribute (a
//! unit test fails on a note that names nothing, and on an attribute without a note).
//! `uniqueness: server` is noted only where the store enforces it (a unit test checks).

use idsync_proto::v1::{AttributeReturned, AttributeUniqueness};

/// Discovery-only characteristics of one attribute, keyed by its path in its schema
/// (`userName`, `name.givenName`, `emails.type`; `*.display` applies to every
/// multi-valued attribute without a note of its own).
#[derive(Debug, Clone, Copy)]
pub struct Note {
    /// `attr` or `attr.sub`, or `*.sub`.
    pub path: &'static str,
    /// For people.
    pub description: &'static str,
    /// Whether a client must supply it.
    pub required: bool,
    /// `None` derives it: `never` for writeOnly, otherwise `default`.
    pub returned: Option<AttributeReturned>,
    /// Its uniqueness scope.
    pub uniqueness: AttributeUniqueness,
    /// Suggested values.
    pub canonical: &'static [&'static str],
    /// What a reference may point at.
    pub references: &'static [&'static str],
}

const fn note(path: &'static str, description: &'static str) -> Note {
    Note {
        path,
        description,
        required: false,
        returned: None,
        uniqueness: AttributeUniqueness::None,
        canonical: &[],
        references: &[],
    }
}

impl Note {
    const fn required(self) -> Self {
        Note { required: true, ..self }
    }
    const fn always(self) -> Self {
        Note {
            returned: Some(AttributeReturned::Always),
            ..self
        }
    }
    const fn on_request(self) -> Self {
        Note {
            returned: Some(AttributeReturned::Request),
            ..self
        }
    }
    const fn unique(self) -> Self {
        Note {
            uniqueness: AttributeUniqueness::Server,
            ..self
        }
    }
    const fn canonical(self, canonical: &'static [&'static str]) -> Self {
        Note { canonical, ..self }
    }
    const fn references(self, references: &'static [&'static str]) -> Self {
        Note { references, ..self }
    }
}

const EXTERNAL: &[&str] = &["external"];
const ADDRESS_TYPES: &[&str] = &["work", "home", "other"];

/// Notes on the core User schema (`urn:ietf:params:scim:schemas:core:2.0:User`).
#[rustfmt::skip]
pub const CORE_NOTES: &[Note] = &[
    note("id", "Unique, stable identifier of the User, assigned by the service provider.").always().unique(),
    note("externalId", "Identifier of the User in the provisioning client's own system."),
    note("userName", "Unique identifier the User signs in with; unique ignoring case. REQUIRED.").required().unique(),
    note("name", "The components of the User's real name."),
    note("name.formatted", "The full name, formatted for display (e.g., 'Ms. Barbara J Jensen, III')."),
    note("name.familyName", "The family name, or last name in most Western languages."),
    note("name.givenName", "The given name, or first name in most Western languages."),
    note("name.middleName", "The middle name(s)."),
    note("name.honorificPrefix", "The honorific prefix(es), or title (e.g., 'Ms.')."),
    note("name.honorificSuffix", "The honorific suffix(es) (e.g., 'III')."),
    note("displayName", "The name of the User, suitable for display to end-users."),
    note("nickName", "The casual way to address the User in real life."),
    note("profileUrl", "A URL of a page representing the User's online profile.").references(EXTERNAL),
    note("title", "The User's title, such as 'Vice President'."),
    note("userType", "The relationship between the organization and the User (e.g., 'Employee')."),
    note("preferredLanguage", "The User's preferred written or spoken language (e.g., 'en-US')."),
    note("locale", "The User's default location for localizing currency, dates and numbers."),
    note("timezone", "The User's time zone in IANA format (e.g., 'America/Los_Angeles')."),
    note("active", "The User's administrative status; false disables the account."),
    note("password", "The User's cleartext password, to set or reset it. Never returned."),
    note("emails", "Email addresses for the User."),
    note("emails.value", "An email address."),
    note("emails.type", "The function of the address, e.g., 'work' or 'home'.").canonical(&["work", "home", "other"]),
    note("phoneNumbers", "Phone numbers for the User."),
    note("phoneNumbers.value", "A phone number, stored as sent."),
    note("phoneNumbers.type", "The function of the number, e.g., 'work' or 'mobile'.")
        .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    note("ims", "Instant messaging addresses for the User."),
    note("ims.value", "An instant messaging address."),
    note("ims.type", "The messaging service, e.g., 'xmpp'.")
        .canonical(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    note("photos", "URLs of photos of the User."),
    note("photos.value", "The URL of a photo of the User.").references(EXTERNAL),
    note("photos.type", "The kind of photo.").canonical(&["photo", "thumbnail"]),
    note("addresses", "Physical mailing addresses for the User."),
    note("addresses.formatted", "The full mailing address, formatted for display; may contain newlines."),
    note("addresses.streetAddress", "The street address: house number, street name, P.O. box."),
    note("addresses.locality", "The city or locality."),
    note("addresses.region", "The state or region."),
    note("addresses.postalCode", "The zip or postal code."),
    note("addresses.country", "The country name."),
    note("addresses.type", "The function of the address, e.g., 'work' or 'home'.").canonical(ADDRESS_TYPES),
    note("entitlements", "Entitlements of the User: things the User has."),
    note("entitlements.value", "The value of an entitlement."),
    note("roles", "Roles of the User, e.g., 'Student' or 'Faculty'."),
    note("roles.value", "The value of a role."),
    note("x509Certificates", "X.509 certificates issued to the User."),
    note("x509Certificates.value", "The DER-encoded certificate, base64."),
    note("groups", "The Groups the User belongs to, derived from Group membership. Read-only."),
    note("groups.value", "The id of a Group the User belongs to."),
    note("groups.display", "The Group's displayName."),
    note("groups.type", "How the User belongs to the Group: always 'direct', nested memberships are not expanded.")
        .canonical(&["direct", "indirect"]),
    note("*.display", "A human-readable name, primarily used for display purposes."),
    note("*.type", "A label indicating the value's function."),
    note("*.primary", "Whether this is the preferred value; at most one value may be primary."),
    note("*.$ref", "The URI of the value, when it names a resource.").references(EXTERNAL),
];

/// Notes on the enterprise extension (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
#[rustfmt::skip]
pub const ENTERPRISE_NOTES: &[Note] = &[
    note("employeeNumber", "A string identifier of the User, typically assigned by the organization."),
    note("costCenter", "The name of a cost center."),
    note("organization", "The name of an organization."),
    note("division", "The name of a division."),
    note("department", "The name of a department."),
    note("manager", "The User's manager."),
    note("manager.value", "The id of the manager's User resource."),
    note("manager.$ref", "The URI of the manager's User resource.").references(&["User"]),
    note("manager.displayName", "The manager's displayName; set by the service provider."),
];

/// Notes on the Group schema (`urn:ietf:params:scim:schemas:core:2.0:Group`).
#[rustfmt::skip]
pub const GROUP_NOTES: &[Note] = &[
    note("id", "Unique, stable identifier of the Group, assigned by the service provider.").always().unique(),
    note("externalId", "Identifier of the Group in the provisioning client's own system."),
    note("displayName", "A human-readable name for the Group; unique in the tenant ignoring case. REQUIRED.")
        .required().unique(),
    note("members", "The members of the Group: Users and Groups of the same tenant, added and removed whole."),
    note("members.value", "The id of a member."),
    note("members.$ref", "The URI of the member resource, set by the service provider.").references(&["User", "Group"]),
    note("members.display", "The member's name (a User's displayName or userName, a Group's displayName); \
        returned only when `attributes` names it (`members.display`).").on_request(),
    note("members.type", "The member's resource type, set by the service provider.").canonical(&["User", "Group"]),
];

/// The note for `attr` (and `sub`) in `notes`: an exact one first, then the `*.sub` one.
pub fn find(notes: &'static [Note], attr: &str, sub: Option<&str>) -> Option<&'static Note> {
    let exact = |n: &&Note| match (n.path.split_once('.'), sub) {
        (None, None) => n.path.eq_ignore_ascii_case(attr),
        (Some((a, s)), Some(sub)) => a.eq_ignore_ascii_case(attr) && s.eq_ignore_ascii_case(sub),
        _ => false,
    };
    let wildcard = |n: &&Note| match (n.path.split_once('.'), sub) {
        (Some(("*", s)), Some(sub)) => s.eq_ignore_ascii_case(sub),
        _ => false,
    };
    notes.iter().find(exact).or_else(|| notes.iter().find(wildcard))
}
