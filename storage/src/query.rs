//! A small storage-neutral predicate language that sync-core compiles SCIM filters into.
//!
//! It speaks of columns and child tables, never of SCIM syntax: the core resolves
//! attribute names, case sensitivity and value types against its schema first, and this
//! crate turns the result into one SQL `WHERE` condition (with `EXISTS` sub-queries for
//! multi-valued attributes and group membership), so a filter never scans a tenant in
//! memory.

/// A singular column of the `users` table that a predicate may test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum UserColumn {
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
    Created,
    LastModified,
}

/// Which multi-valued attribute a child row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum MultiValuedAttr {
    Emails,
    PhoneNumbers,
    Ims,
    Photos,
    Entitlements,
    Roles,
    X509Certificates,
    Addresses,
}

/// A column of a multi-valued child row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ChildColumn {
    Value,
    Display,
    Type,
    Primary,
    Ref,
    // Address sub-attributes (only meaningful for `MultiValuedAttr::Addresses`).
    Formatted,
    StreetAddress,
    Locality,
    Region,
    PostalCode,
    Country,
}

/// A typed literal to compare a column with.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Text; compared case-insensitively unless the comparison says `case_exact`.
    Text(String),
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Instant as microseconds since the Unix epoch (how timestamps are stored).
    Timestamp(i64),
}

/// Comparison operators (RFC 7644 §3.4.2.2 semantics, already resolved to types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum CompareOp {
    Eq,
    Ne,
    Contains,
    StartsWith,
    EndsWith,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A condition over one row whose columns are of type `C`.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate<C> {
    /// Always true (`Const(true)`) or always false.
    Const(bool),
    /// Both hold.
    And(Box<Predicate<C>>, Box<Predicate<C>>),
    /// Either holds.
    Or(Box<Predicate<C>>, Box<Predicate<C>>),
    /// Does not hold. SCIM has no three-valued logic: `not (title eq "x")` is true for a
    /// user without a title.
    Not(Box<Predicate<C>>),
    /// `column op literal`. A NULL column never satisfies a comparison, except that `Ne`
    /// is true for NULL (an absent value is not equal to anything).
    Compare {
        /// The column tested.
        column: C,
        /// The operator.
        op: CompareOp,
        /// The value compared with.
        value: Literal,
        /// Text comparison respects case when true; otherwise both sides are lowercased.
        case_exact: bool,
    },
    /// The column has a value: not NULL and, for text, not empty (SCIM `pr`).
    Present(C),
}

/// A condition over a user row, possibly reaching into its multi-valued children.
#[derive(Debug, Clone, PartialEq)]
pub enum UserPredicate {
    /// A condition on the user's own columns.
    Row(Predicate<UserColumn>),
    /// Some child row of the given attribute satisfies the condition (SQL `EXISTS`).
    AnyChild(MultiValuedAttr, Predicate<ChildColumn>),
    /// Some membership row in which the user is the member satisfies the condition
    /// (`groups.value eq "g"`: SQL `EXISTS` over `group_members`).
    AnyGroup(Predicate<MemberColumn>),
    /// Both hold.
    And(Box<UserPredicate>, Box<UserPredicate>),
    /// Either holds.
    Or(Box<UserPredicate>, Box<UserPredicate>),
    /// Does not hold.
    Not(Box<UserPredicate>),
}

impl UserPredicate {
    /// The predicate that every user satisfies.
    pub fn all() -> Self {
        UserPredicate::Row(Predicate::Const(true))
    }
}

/// A singular column of the `groups` table that a predicate may test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum GroupColumn {
    Id,
    ExternalId,
    /// Compared through its folded twin when case is ignored, like `userName`.
    DisplayName,
    Created,
    LastModified,
}

/// A column of a membership row: the group, the member's id and the member's type
/// (`User` or `Group`, see [`crate::records::MemberType`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum MemberColumn {
    GroupId,
    MemberId,
    MemberType,
}

/// A condition over a group row, possibly reaching into its members.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupPredicate {
    /// A condition on the group's own columns.
    Row(Predicate<GroupColumn>),
    /// Some membership row of the group satisfies the condition (SQL `EXISTS`), e.g.
    /// `members[value eq "u"]`.
    AnyMember(Predicate<MemberColumn>),
    /// Both hold.
    And(Box<GroupPredicate>, Box<GroupPredicate>),
    /// Either holds.
    Or(Box<GroupPredicate>, Box<GroupPredicate>),
    /// Does not hold.
    Not(Box<GroupPredicate>),
}

impl GroupPredicate {
    /// The predicate that every group satisfies.
    pub fn all() -> Self {
        GroupPredicate::Row(Predicate::Const(true))
    }
}
