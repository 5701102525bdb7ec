//! The one error type of the SCIM grammar: where the text stopped making sense and why.
//!
//! The caller decides the SCIM `scimType`: `invalidFilter` for [`parse_filter`],
//! `invalidPath` for [`parse_patch_path`] and [`parse_attr_path`] (RFC 7644 §3.12).
//!
//! [`parse_filter`]: super::parse_filter
//! [`parse_patch_path`]: super::parse_patch_path
//! [`parse_attr_path`]: super::parse_attr_path

/// Where and why parsing a SCIM filter or path failed.
///
/// `Display` renders `"{message} at character {position}"`, which is meant to go
/// verbatim into the `detail` of a SCIM error response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at character {position}")]
pub struct ScimSyntaxError {
    /// 1-based index, counted in Unicode scalar values (not bytes), of the first
    /// character of the offending token; one past the last character when the input
    /// ended too early.
    pub position: usize,
    /// What was expected and what was found, e.g. ``expected a comparison operator
    /// (eq, ne, co, sw, ew, gt, lt, ge, le), `pr` or `[` after `userName`, found `is` ``.
    pub message: String,
    /// The input goes past a size limit (length, nesting, `and`/`or` count) rather than
    /// breaking the grammar: a request filter so refused is `tooMany`, not
    /// `invalidFilter`.
    pub over_limit: bool,
}

/// The text being parsed, so that byte offsets can be reported as character positions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub(crate) text: &'a str,
}

impl Source<'_> {
    /// An error at byte offset `byte`, which must lie on a character boundary.
    pub(crate) fn error(&self, byte: usize, message: impl Into<String>) -> ScimSyntaxError {
        let before = self.text.get(..byte).unwrap_or(self.text);
        ScimSyntaxError {
            position: before.chars().count() + 1,
            message: message.into(),
            over_limit: false,
        }
    }
}

/// At most this many characters of a token are quoted back in a message.
const MAX_QUOTED_CHARS: usize = 40;

/// Quotes a piece of input for an error message: in backticks, shortened, and with
/// control characters made visible.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::from("`");
    for (i, c) in text.chars().enumerate() {
        if i == MAX_QUOTED_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    out
}
