//! Plain records that cross the storage boundary: what sync-core reads and writes.
//!
//! Records carry values exactly as the client sent them; normalization for uniqueness
//! (`user_name_norm`, `display_name_norm`) is computed here, in one place, so the unique
//! index and the filter that Entra uses to find a user or a group can never disagree.

pub use crate::rules::{CreatePolicy, MatchPolicy, MatchingRuleRecord, RuleResource, ScopingRuleRecord, UpdatePolicy};

use crate::query::{GroupColumn, GroupPredicate, MultiValuedAttr, Predicate, UserColumn, UserPredicate};

/// A tenant: one customer organisation with its own users, tokens and rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    /// Opaque id (UUID text).
    pub id: String,
    /// Unique, human-chosen name (e.g. `contoso`).
    pub name: String,
    /// Base URL published as this tenant's Tenant URL, when it differs from the server's.
    pub public_url: Option<String>,
    /// Operator tenants' admin tokens may manage other tenants.
    pub operator: bool,
    /// Creation time, microseconds since the Unix epoch.
    pub created_us: i64,
}

/// What a token may do; stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read and write SCIM resources.
    Scim,
    /// Read resources and watch changes.
    Read,
    /// Manage tokens and rules; read resources and the provisioning log.
    Admin,
}

impl Scope {
    /// The stored (and CLI) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Scim => "scim",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "scim" => Some(Scope::Scim),
            "read" => Some(Scope::Read),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// A bearer token. The secret itself is never stored, only `secret_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Public id, safe to show and log.
    pub id: String,
    /// The one tenant the token is bound to.
    pub tenant_id: String,
    /// What it may do.
    pub scope: Scope,
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
    /// Free text chosen by the admin.
    pub label: String,
    /// Microseconds since the epoch.
    pub created_us: i64,
    /// After this instant the token is refused.
    pub expires_us: Option<i64>,
    /// When the token last authenticated a call (updated at most every few seconds).
    pub last_used_us: Option<i64>,
    /// Set when revoked; a revoked token is refused.
    pub revoked_us: Option<i64>,
}

/// One value of a multi-valued user attribute (a row of `user_values`).
///
/// All attributes share one child table; address sub-attributes are only set on rows of
/// `MultiValuedAttr::Addresses`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub struct ChildValue {
    pub value: Option<String>,
    pub display: Option<String>,
    pub type_: Option<String>,
    /// `None` when the client did not send `primary` (it is returned as sent).
    pub primary: Option<bool>,
    pub ref_: Option<String>,
    pub formatted: Option<String>,
    pub street_address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// A stored SCIM User with the enterprise extension, and its multi-valued children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub struct UserRecord {
    pub tenant_id: String,
    pub id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub nick_name: Option<String>,
    pub profile_url: Option<String>,
    pub title: Option<String>,
    pub user_type: Option<String>,
    pub preferred_language: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    /// `None` once a client removed it: not known to be active, so treated as inactive.
    pub active: Option<bool>,
    /// An argon2 PHC string, never the password.
    pub password_hash: Option<String>,
    pub name_formatted: Option<String>,
    pub name_family_name: Option<String>,
    pub name_given_name: Option<String>,
    pub name_middle_name: Option<String>,
    pub name_honorific_prefix: Option<String>,
    pub name_honorific_suffix: Option<String>,
    pub employee_number: Option<String>,
    pub cost_center: Option<String>,
    pub organization: Option<String>,
    pub division: Option<String>,
    pub department: Option<String>,
    pub manager_value: Option<String>,
    pub manager_ref: Option<String>,
    pub manager_display_name: Option<String>,
    /// Microseconds since the epoch.
    pub created_us: i64,
    /// Microseconds since the epoch.
    pub last_modified_us: i64,
    /// Bumped on every change; starts at 1.
    pub version: i64,
    /// The token that created this user, if any.
    pub created_by_token: Option<String>,
    /// A scoping rule disabled this user (`active=false`); a write that brings it back
    /// into scope re-activates it.
    pub out_of_scope: bool,
    /// The token of the provisioning connection that adopted this user (matching rule
    /// `adopt`); when set, the user is linked to it rather than to `created_by_token`.
    pub adopted_by_token: Option<String>,
    /// Multi-valued attributes, in the order the client sent them per attribute.
    pub children: Vec<(MultiValuedAttr, ChildValue)>,
}

impl UserRecord {
    /// Whether the account is active: `active` is true. A removed `active` is not.
    pub fn is_active(&self) -> bool {
        self.active == Some(true)
    }
}

/// The key under which `userName` is unique per tenant (RFC 7643 §4.1.1: caseExact false).
pub fn normalize_user_name(user_name: &str) -> String {
    user_name.to_lowercase()
}

/// How to order a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The column sorted on; ties are broken by creation order, then id.
    pub column: UserColumn,
    /// Descending when true.
    pub descending: bool,
}

/// A page request over the users of one tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct UserQuery {
    /// Which users.
    pub predicate: UserPredicate,
    /// Ordering; `None` is creation order (stable across pages).
    pub sort: Option<SortKey>,
    /// Rows to skip (SCIM `startIndex - 1`).
    pub offset: u64,
    /// Maximum rows returned; 0 returns none but still counts.
    pub limit: u64,
}

impl UserQuery {
    /// Every user, first page of `limit`.
    pub fn all(limit: u64) -> Self {
        UserQuery {
            predicate: UserPredicate::Row(Predicate::Const(true)),
            sort: None,
            offset: 0,
            limit,
        }
    }
}

/// One page of users and the total number that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    /// All users that match, regardless of paging.
    pub total: u64,
    /// The requested page.
    pub users: Vec<UserRecord>,
}

/// The resource types idsync provisions, stored (and shown as SCIM `type`, the feed's
/// and the log's `resource_type`) as `User` or `Group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    /// A user (RFC 7643 §4.1).
    User,
    /// A group (RFC 7643 §4.2).
    Group,
}

impl ResourceType {
    /// The stored spelling, which is also the SCIM resource type name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::User => "User",
            ResourceType::Group => "Group",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<ResourceType> {
        match s {
            "User" => Some(ResourceType::User),
            "Group" => Some(ResourceType::Group),
            _ => None,
        }
    }
}

/// What a member of a group is: a user or a nested group of the same tenant.
pub type MemberType = ResourceType;

/// A user or group found by id for a membership change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMember {
    /// Its id.
    pub id: String,
    /// Whether it is a user or a group.
    pub member_type: MemberType,
    /// A scoping rule marked it out of scope (it may join no group).
    pub out_of_scope: bool,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// The member's id.
    pub id: String,
    /// Whether it is a user or a group.
    pub member_type: MemberType,
    /// The member's current name when read (a user's displayName, else its userName; a
    /// group's displayName); ignored on writes.
    pub display: Option<String>,
}

/// A stored SCIM Group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub struct GroupRecord {
    pub tenant_id: String,
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    /// Microseconds since the epoch.
    pub created_us: i64,
    /// Microseconds since the epoch.
    pub last_modified_us: i64,
    /// Bumped on every change, membership changes included; starts at 1.
    pub version: i64,
    /// The token that created this group, if any.
    pub created_by_token: Option<String>,
    /// Members ordered by id, when they were asked for. `Tx::insert_group` stores
    /// them; `Tx::update_group` ignores them (membership changes through its own
    /// statements, member by member).
    pub members: Vec<MemberRecord>,
}

/// The key under which a group's `displayName` is unique per tenant: the same folding
/// as `userName`, so that `displayName eq` and the unique index agree.
pub fn normalize_group_display_name(display_name: &str) -> String {
    normalize_user_name(display_name)
}

/// A group a user is a direct member of, as the read-only `User.groups` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    /// The group's id.
    pub group_id: String,
    /// The group's displayName.
    pub display_name: String,
}

/// How to order a list of groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSortKey {
    /// The column sorted on; ties are broken by creation order, then id.
    pub column: GroupColumn,
    /// Descending when true.
    pub descending: bool,
}

/// A page request over the groups of one tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupQuery {
    /// Which groups.
    pub predicate: GroupPredicate,
    /// Ordering; `None` is creation order (stable across pages).
    pub sort: Option<GroupSortKey>,
    /// Rows to skip (SCIM `startIndex - 1`).
    pub offset: u64,
    /// Maximum rows returned; 0 returns none but still counts.
    pub limit: u64,
    /// Load the members of the page's groups (one more statement); Entra never wants them.
    pub with_members: bool,
}

impl GroupQuery {
    /// Every group with its members, first page of `limit`.
    pub fn all(limit: u64) -> Self {
        GroupQuery {
            predicate: GroupPredicate::all(),
            sort: None,
            offset: 0,
            limit,
            with_members: true,
        }
    }
}

/// One page of groups and the total number that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPage {
    /// All groups that match, regardless of paging.
    pub total: u64,
    /// The requested page.
    pub groups: Vec<GroupRecord>,
}

/// One page of the groups a user is a direct member of, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGroupsPage {
    /// All the user's groups, regardless of paging.
    pub total: u64,
    /// The requested page, ordered by displayName (case-insensitively), then group id.
    pub groups: Vec<MembershipRecord>,
}

/// One page of a group's direct members, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMembersPage {
    /// All the group's members, regardless of paging.
    pub total: u64,
    /// The requested page, ordered by member id, with the members' current names.
    pub members: Vec<MemberRecord>,
}
