//! SCIM 2.0 grammar: filter expressions and PATCH paths, from text to a typed AST and
//! back.
//!
//! This module owns the syntax of RFC 7644 §3.4.2.2 (filters, ABNF in Figure 1),
//! RFC 7644 §3.5.2 (PATCH `path`: `PATH = attrPath / valuePath [subAttr]`) and
//! RFC 7643 §2.1 (attribute names: `ATTRNAME = ALPHA *(nameChar)`, plus `$ref`). It is
//! pure: no I/O, no schema knowledge, no gRPC, storage or serde. Resolving names
//! against the schema (case-insensitively, RFC 7643 §2.1) and deciding how values
//! compare happens in the layer above; this module only says what was written.
//!
//! Layout: [`filter`] (the filter AST and [`parse_filter`]), [`path`] ([`AttrPath`],
//! [`PatchPath`], [`parse_attr_path`], [`parse_patch_path`]), [`error`]
//! ([`ScimSyntaxError`]); privately `lexer` (tokens, JSON strings and numbers),
//! `names` (attribute names and schema URIs), `parser` (token plumbing, limits,
//! messages), `expr` (the filter productions) and `print` (the `Display` impls, whose
//! canonical text parses back to the same tree). Tests live in `tests/`.
//!
//! # Why hand-written
//!
//! The grammar is a dozen productions; a parser-combinator or generator crate would
//! outweigh it. Errors must name the exact character (1-based, in characters, not
//! bytes) and say what SCIM expected there, because that text goes straight into the
//! `detail` of a `400 invalidFilter` / `invalidPath` response. And the published SCIM
//! filter crates each get something wrong that clients rely on (URN-qualified paths
//! with dots and colons, `$ref`, case-insensitive keywords, full JSON string
//! escapes, Entra's `emails[type eq "work"].value eq "x"`), or accept what the RFC
//! forbids (nested `[…]`, unquoted strings).
//!
//! # Decisions beyond the RFC text
//!
//! * Whitespace: any run of spaces, tabs or newlines separates tokens, and none is
//!   needed around brackets or before a string (`not(`, `eq"x"`); the ABNF's single
//!   `SP` is not enforced. A word must not be split: `name. givenName` is an error.
//! * An attribute path's URN is everything before its last `:`. The pre-2018 dotted
//!   extension form `urn:…:enterprise:2.0:User.department` therefore parses as
//!   `urn = "urn:…:enterprise:2.0"`, `attr = "User"`, `sub_attr = "department"`;
//!   the schema layer may recognise that shape (docs/entra.md, Q10) or reject it.
//! * `not`, `and`, `or` are valid attribute names; a keyword is read as a name only
//!   when an operator or `[` follows it (`not pr`, `not (a pr)`).
//! * `attr[…]` is rejected when `attr` has a sub-attribute (`emails.value[…]`); a
//!   value filter may not contain another `[` (RFC 7644 Figure 1, `valFilter`).
//! * At most [`MAX_NESTING`] levels of brackets and [`MAX_LOGICAL_OPERATORS`]
//!   `and`/`or` per input, so no input can exhaust the stack (parsing, printing or
//!   dropping the tree); a request's filter also keeps within the operator's
//!   [`FilterLimits`] ([`parse_filter_within`]).

pub mod error;
mod expr;
pub mod filter;
mod lexer;
mod names;
mod parser;
pub mod path;
mod print;

pub use error::ScimSyntaxError;
pub use filter::{CompValue, CompareOp, Filter, parse_filter, parse_filter_within};
pub use parser::{FilterLimits, MAX_LOGICAL_OPERATORS, MAX_NESTING};
pub use path::{AttrPath, PatchPath, parse_attr_path, parse_patch_path};

#[cfg(test)]
mod tests;
