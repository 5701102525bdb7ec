//! The filter AST (RFC 7644 §3.4.2.2) and its entry point [`parse_filter`].

use super::error::ScimSyntaxError;
use super::parser::{FilterLimits, Parser};
use super::path::AttrPath;

/// An attribute operator (RFC 7644 §3.4.2.2, Table 3); `pr` is [`Filter::Present`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `lt`: less than.
    Lt,
    /// `ge`: greater than or equal to.
    Ge,
    /// `le`: less than or equal to.
    Le,
}

impl CompareOp {
    /// Every operator, in the order of the RFC's table.
    pub const ALL: [CompareOp; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Co,
        Self::Sw,
        Self::Ew,
        Self::Gt,
        Self::Lt,
        Self::Ge,
        Self::Le,
    ];

    /// The canonical (lowercase) keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Lt => "lt",
            Self::Ge => "ge",
            Self::Le => "le",
        }
    }

    /// The operator a keyword names, compared case-insensitively (`EQ`, `Eq`, `eq`).
    pub fn from_keyword(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str().eq_ignore_ascii_case(word))
    }
}

/// A comparison value: a JSON literal (RFC 7644 §3.4.2.2 `compValue`).
///
/// Dates are strings here (`"2011-05-13T04:42:34Z"`); whether a string is compared as
/// a date, a case-insensitive string or a reference depends on the attribute's
/// schema, which this module does not know.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CompValue {
    /// A JSON string, unescaped.
    Str(String),
    /// A JSON number exactly as written (`-1`, `2.50`, `1e3`), checked against the
    /// JSON number grammar (RFC 8259 §6). Whether it must be an integer, and whether
    /// it fits, is for the schema layer to decide.
    Num(String),
    /// `true` or `false` (any case on input).
    Bool(bool),
    /// `null` (any case on input).
    Null,
}

impl CompValue {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Self {
        Self::Str(s.into())
    }
}

/// A parsed SCIM filter (RFC 7644 §3.4.2.2).
///
/// Grouping parentheses leave no trace: `(a pr)` parses to the same tree as `a pr`.
/// `and` and `or` are left-associative, so `a pr and b pr and c pr` is
/// `And(And(a, b), c)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Filter {
    /// `path op value`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The value compared with.
        value: CompValue,
    },
    /// `path pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// `left and right`.
    And(Box<Filter>, Box<Filter>),
    /// `left or right`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (inner)`.
    Not(Box<Filter>),
    /// `attr[filter]` — the inner filter's paths are relative to the attribute's
    /// elements (`emails[type eq "work"]`: `type` is `emails.type`). The parser
    /// guarantees `attr.sub_attr` is `None` and that `filter` contains no `ValuePath`
    /// (RFC 7644 forbids nesting).
    ValuePath {
        /// The multi-valued (or complex) attribute whose elements are filtered.
        attr: AttrPath,
        /// The condition one element must meet.
        filter: Box<Filter>,
    },
}

impl Filter {
    /// `path op value`.
    pub fn compare(path: AttrPath, op: CompareOp, value: CompValue) -> Self {
        Self::Compare { path, op, value }
    }

    /// `path eq "value"`, the filter Entra sends most.
    pub fn eq_str(path: AttrPath, value: impl Into<String>) -> Self {
        Self::compare(path, CompareOp::Eq, CompValue::str(value))
    }

    /// `left and right`.
    pub fn and(left: Filter, right: Filter) -> Self {
        Self::And(Box::new(left), Box::new(right))
    }

    /// `left or right`.
    pub fn or(left: Filter, right: Filter) -> Self {
        Self::Or(Box::new(left), Box::new(right))
    }

    /// `not (inner)`.
    pub fn negate(inner: Filter) -> Self {
        Self::Not(Box::new(inner))
    }

    /// `attr[filter]`.
    pub fn value_path(attr: AttrPath, filter: Filter) -> Self {
        Self::ValuePath {
            attr,
            filter: Box::new(filter),
        }
    }
}

/// Parses a SCIM filter (the decoded `filter` query parameter, or the `filter` of a
/// `SearchRequest`).
///
/// Keywords, operators and `true`/`false`/`null` are case-insensitive; any amount of
/// whitespace may separate tokens. Beyond RFC 7644 it accepts Entra's
/// `emails[type eq "work"].value eq "x"`, read as
/// `emails[type eq "work" and value eq "x"]`.
pub fn parse_filter(s: &str) -> Result<Filter, ScimSyntaxError> {
    Parser::new(s).filter()
}

/// [`parse_filter`] within `limits`: a longer filter is refused before it is read, at
/// the character where it goes past `limits.max_bytes`.
pub fn parse_filter_within(s: &str, limits: &FilterLimits) -> Result<Filter, ScimSyntaxError> {
    if s.len() > limits.max_bytes {
        let max = limits.max_bytes;
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        return Err(ScimSyntaxError {
            position: s[..end].chars().count() + 1,
            message: format!("the filter is {} bytes long; at most {max} are allowed", s.len()),
            over_limit: true,
        });
    }
    Parser::within(s, *limits).filter()
}
