//! Attribute paths (RFC 7644 §3.4.2.2 `attrPath`, RFC 7643 §2.1 `ATTRNAME`) and
//! PATCH targets (RFC 7644 §3.5.2 `PATH = attrPath / valuePath [subAttr]`).

use super::error::ScimSyntaxError;
use super::filter::Filter;
use super::lexer::Kind;
use super::names::{attr_path_from_word, sub_attr_from_word};
use super::parser::Parser;

/// `[URN ":"] attr ["." subAttr]` — RFC 7644 `attrPath`.
///
/// Names are kept as written; matching them case-insensitively against the schema
/// (RFC 7643 §2.1) is the schema layer's job. The URN is everything before the
/// *last* `:`, so `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName` has
/// `urn = "urn:ietf:params:scim:schemas:core:2.0:User"`, `attr = "name"`,
/// `sub_attr = "givenName"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URI the attribute is qualified with, without the trailing `:`.
    pub urn: Option<String>,
    /// The attribute name: a letter then letters, digits, `-` or `_`; or `$ref`.
    pub attr: String,
    /// The sub-attribute name after `.`, same rules as `attr`.
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// An unqualified attribute, e.g. `userName`.
    pub fn new(attr: impl Into<String>) -> Self {
        Self {
            urn: None,
            attr: attr.into(),
            sub_attr: None,
        }
    }

    /// An unqualified sub-attribute, e.g. `name.givenName`.
    pub fn sub(attr: impl Into<String>, sub_attr: impl Into<String>) -> Self {
        Self::new(attr).with_sub_attr(sub_attr)
    }

    /// The same path qualified with a schema URN.
    #[must_use]
    pub fn with_urn(mut self, urn: impl Into<String>) -> Self {
        self.urn = Some(urn.into());
        self
    }

    /// The same path with a sub-attribute.
    #[must_use]
    pub fn with_sub_attr(mut self, sub_attr: impl Into<String>) -> Self {
        self.sub_attr = Some(sub_attr.into());
        self
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PatchPath {
    /// `attrPath`: `userName`, `name.givenName`, `urn:…:enterprise:2.0:User:manager`.
    Attr(AttrPath),
    /// `attr[valFilter]` optionally followed by `.subAttr`:
    /// `emails[type eq "work"].value`, `members[value eq "2819c223"]`.
    Filtered {
        /// The multi-valued attribute; never has a `sub_attr`.
        attr: AttrPath,
        /// Selects elements of `attr`; its paths are relative to one element and it
        /// never contains a [`Filter::ValuePath`].
        filter: Filter,
        /// The sub-attribute of the selected elements that the operation targets.
        sub_attr: Option<String>,
    },
}

/// Parses an attribute path such as `name.givenName` or
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`
/// (surrounding whitespace is ignored). Used for the keys of a path-less PATCH value
/// object (Entra's `aadOptscim062020` shape) and for `attributes=` lists.
pub fn parse_attr_path(s: &str) -> Result<AttrPath, ScimSyntaxError> {
    Parser::new(s).attr_path_only()
}

/// Parses a PATCH `path` (RFC 7644 §3.5.2); surrounding whitespace is ignored.
/// A filter (`userName eq "x"`) is not a path and is rejected.
pub fn parse_patch_path(s: &str) -> Result<PatchPath, ScimSyntaxError> {
    Parser::new(s).patch_path()
}

impl Parser<'_> {
    /// RFC 7644 §3.5.2 `PATH = attrPath / valuePath [subAttr]`, then the end.
    pub(crate) fn patch_path(mut self) -> Result<PatchPath, ScimSyntaxError> {
        let attr = self.path_word("a PATCH path")?;
        if !matches!(self.peek()?.kind, Kind::LBracket) {
            self.end_of_path("a PATCH path is an attribute path, not a filter")?;
            return Ok(PatchPath::Attr(attr));
        }
        let open = self.take()?;
        let filter = *self.value_filter(&attr, &open)?;
        let sub_attr = match self.peek()?.kind {
            Kind::Word(w) if w.starts_with('.') => {
                let token = self.take()?;
                Some(sub_attr_from_word(w).map_err(|e| self.word_error(&token, e))?)
            }
            _ => None,
        };
        self.end_of_path("after `attr[filter]` only `.subAttr` may follow")?;
        Ok(PatchPath::Filtered { attr, filter, sub_attr })
    }

    /// A lone `attrPath`, then the end.
    pub(crate) fn attr_path_only(mut self) -> Result<AttrPath, ScimSyntaxError> {
        let attr = self.path_word("an attribute path")?;
        self.end_of_path("an attribute path has no value filter or operator")?;
        Ok(attr)
    }

    fn path_word(&mut self, what: &str) -> Result<AttrPath, ScimSyntaxError> {
        let token = self.take()?;
        match token.kind {
            Kind::Word(w) => attr_path_from_word(w).map_err(|e| self.word_error(&token, e)),
            Kind::End => Err(self.error_at(&token, self.nothing(what))),
            _ => Err(self.error_at(&token, format!("expected {what}, found {}", self.describe(&token)))),
        }
    }

    fn end_of_path(&mut self, hint: &str) -> Result<(), ScimSyntaxError> {
        let token = self.take()?;
        if token.kind == Kind::End {
            return Ok(());
        }
        let found = self.describe(&token);
        Err(self.error_at(&token, format!("expected the end of the path, found {found} ({hint})")))
    }
}
