//! Attribute names and schema URIs inside one lexer word (RFC 7643 §2.1,
//! RFC 7644 §3.4.2.2 `attrPath = [URI ":"] ATTRNAME *1subAttr`).

use super::error::quote;
use super::path::AttrPath;

/// Why a word is not an attribute path: a byte offset into the word and a message.
pub(crate) type WordError = (usize, String);

/// Reads a whole lexer word as `[URI ":"] ATTRNAME ["." ATTRNAME]`.
pub(crate) fn attr_path_from_word(word: &str) -> Result<AttrPath, WordError> {
    let (urn, rest, rest_at) = match word.rfind(':') {
        Some(colon) => {
            check_urn(&word[..colon])?;
            if colon + 1 == word.len() {
                return Err((colon, "expected an attribute name after `:`".into()));
            }
            (Some(&word[..colon]), &word[colon + 1..], colon + 1)
        }
        None => (None, word, 0),
    };
    let (attr, sub) = match rest.find('.') {
        Some(dot) => (&rest[..dot], Some((dot, &rest[dot + 1..]))),
        None => (rest, None),
    };
    if attr.is_empty() {
        return Err((rest_at, "expected an attribute name before `.`".into()));
    }
    check_name(attr).map_err(|(i, m)| (rest_at + i, m))?;
    let sub_attr = match sub {
        Some((dot, "")) => {
            return Err((rest_at + dot, "expected a sub-attribute name after `.`".into()));
        }
        Some((dot, sub)) => {
            check_name(sub).map_err(|(i, m)| (rest_at + dot + 1 + i, m))?;
            Some(sub.to_owned())
        }
        None => None,
    };
    Ok(AttrPath {
        urn: urn.map(str::to_owned),
        attr: attr.to_owned(),
        sub_attr,
    })
}

/// Reads a word `.name` that follows `attr[…]`; returns `name`.
pub(crate) fn sub_attr_from_word(word: &str) -> Result<String, WordError> {
    let name = word.strip_prefix('.').unwrap_or(word);
    if name.is_empty() {
        return Err((0, "expected a sub-attribute name after `.`".into()));
    }
    check_name(name).map_err(|(i, m)| (i + 1, m))?;
    Ok(name.to_owned())
}

/// RFC 7643 §2.1: `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT /
/// ALPHA`, plus the reserved name `$ref` (RFC 7643 §2.3.7).
fn check_name(name: &str) -> Result<(), WordError> {
    if name.eq_ignore_ascii_case("$ref") {
        return Ok(());
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err((
            0,
            format!(
                "expected an attribute name starting with a letter (or `$ref`), found {}",
                quote(name)
            ),
        ));
    }
    match name
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        Some((i, c)) => Err((
            i,
            format!(
                "unexpected character {} in attribute name {}: expected a letter, \
                 a digit, `-` or `_`",
                quote(c.encode_utf8(&mut [0; 4])),
                quote(name)
            ),
        )),
        None => Ok(()),
    }
}

/// A schema URI qualifying an attribute: an absolute URI (RFC 3986 §3:
/// `scheme ":" …`) made of URI characters. Delimiters we use ourselves (`(`, `)`,
/// `[`, `]`, `"`, whitespace) never reach here.
fn check_urn(urn: &str) -> Result<(), WordError> {
    let scheme_end = urn
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .unwrap_or(urn.len());
    let valid_scheme = urn.starts_with(|c: char| c.is_ascii_alphabetic()) && urn[scheme_end..].starts_with(':');
    if !valid_scheme {
        return Err((
            0,
            format!(
                "expected an attribute name, or a schema URI such as \
                 `urn:ietf:params:scim:schemas:core:2.0:User` before the last `:`, found {}",
                quote(urn)
            ),
        ));
    }
    let is_uri_char = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#@!$&'*+,;=%".contains(c);
    match urn.char_indices().find(|&(_, c)| !is_uri_char(c)) {
        Some((i, c)) => Err((
            i,
            format!(
                "unexpected character {} in schema URI {}",
                quote(c.encode_utf8(&mut [0; 4])),
                quote(urn)
            ),
        )),
        None => Ok(()),
    }
}
