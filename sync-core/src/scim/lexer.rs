//! Tokens of SCIM filters and paths (RFC 7644 §3.4.2.2, Figure 1).
//!
//! The lexer is lazy: the parser pulls one token at a time, so the error reported is
//! always the leftmost one. Only punctuation and JSON strings are recognised here;
//! everything else is a *word* (a maximal run of characters that are neither
//! whitespace, nor `(`, `)`, `[`, `]`, nor `"`), which the parser reads as an
//! attribute path, an operator, a keyword or a JSON literal depending on where it
//! stands. That keeps attribute paths with URNs (`urn:…:2.0:User:name.givenName`)
//! in one piece and lets every character error point at the exact character.

use super::error::{ScimSyntaxError, Source};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A JSON string, already unescaped.
    Str(String),
    /// Anything else, as written.
    Word(&'a str),
    /// The end of the input.
    End,
}

/// A token and the byte range of the input it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token<'a> {
    pub(crate) kind: Kind<'a>,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits the input into [`Token`]s on demand.
#[derive(Debug)]
pub(crate) struct Lexer<'a> {
    pub(crate) src: Source<'a>,
    pos: usize,
}

/// Whitespace between tokens. The RFC asks for exactly one SP; clients send more,
/// tabs, or none around punctuation, and being lenient here costs nothing.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

fn ends_word(b: u8) -> bool {
    is_space(b) || matches!(b, b'(' | b')' | b'[' | b']' | b'"')
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            src: Source { text },
            pos: 0,
        }
    }

    /// The next token, or an error inside a JSON string.
    pub(crate) fn next_token(&mut self) -> Result<Token<'a>, ScimSyntaxError> {
        let text = self.src.text;
        let bytes = text.as_bytes();
        while self.pos < bytes.len() && is_space(bytes[self.pos]) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&b) = bytes.get(start) else {
            return Ok(Token {
                kind: Kind::End,
                start,
                end: start,
            });
        };
        let kind = match b {
            b'(' => Kind::LParen,
            b')' => Kind::RParen,
            b'[' => Kind::LBracket,
            b']' => Kind::RBracket,
            b'"' => {
                let (value, end) = self.string(start)?;
                self.pos = end;
                return Ok(Token {
                    kind: Kind::Str(value),
                    start,
                    end,
                });
            }
            _ => {
                // All delimiters are ASCII, so `end` is always a character boundary.
                let end = bytes[start..]
                    .iter()
                    .position(|&b| ends_word(b))
                    .map_or(bytes.len(), |n| start + n);
                self.pos = end;
                return Ok(Token {
                    kind: Kind::Word(&text[start..end]),
                    start,
                    end,
                });
            }
        };
        self.pos = start + 1;
        Ok(Token {
            kind,
            start,
            end: start + 1,
        })
    }

    /// Reads a JSON string (RFC 8259 §7) whose opening quote is at `open`; returns the
    /// unescaped value and the offset just past the closing quote.
    fn string(&self, open: usize) -> Result<(String, usize), ScimSyntaxError> {
        let body = open + 1;
        let mut chars = self.src.text[body..].char_indices();
        let mut out = String::new();
        let unterminated = || {
            self.src.error(
                open,
                "unterminated string: expected a closing `\"` before the end of the input",
            )
        };
        loop {
            let Some((i, c)) = chars.next() else {
                return Err(unterminated());
            };
            match c {
                '"' => return Ok((out, body + i + 1)),
                '\\' => {
                    let at = body + i;
                    let Some((_, e)) = chars.next() else {
                        return Err(unterminated());
                    };
                    let decoded = match e {
                        '"' => '"',
                        '\\' => '\\',
                        '/' => '/',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'u' => match self.unicode_escape(&mut chars, body, at)? {
                            // No stored value can hold NUL (PostgreSQL cannot store it),
                            // so a comparison with it is refused rather than sent.
                            '\0' => {
                                return Err(self.src.error(at, "`\\u0000` (NUL) in string: no value can contain it"));
                            }
                            decoded => decoded,
                        },
                        other => {
                            return Err(self.src.error(
                                at,
                                format!(
                                    "invalid escape `\\{}` in string: expected one of \
                                     `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` \
                                     or `\\uXXXX`",
                                    if other.is_control() {
                                        other.escape_unicode().to_string()
                                    } else {
                                        other.to_string()
                                    }
                                ),
                            ));
                        }
                    };
                    out.push(decoded);
                }
                c if c < ' ' => {
                    return Err(self.src.error(
                        body + i,
                        format!(
                            "unescaped control character U+{:04X} in string: \
                             expected it to be escaped (e.g. `\\n` or `\\u001F`)",
                            u32::from(c)
                        ),
                    ));
                }
                c => out.push(c),
            }
        }
    }

    /// Decodes `XXXX` after `\u` (the backslash is at `at`), joining a UTF-16
    /// surrogate pair written as two escapes. `chars` indexes from `body`.
    fn unicode_escape(
        &self,
        chars: &mut std::str::CharIndices<'_>,
        body: usize,
        at: usize,
    ) -> Result<char, ScimSyntaxError> {
        let high = self.hex4(chars, at)?;
        let code = match high {
            0xD800..=0xDBFF => {
                let mut ahead = chars.clone();
                let low = match (ahead.next(), ahead.next()) {
                    (Some((j, '\\')), Some((_, 'u'))) => Some(self.hex4(&mut ahead, body + j)?),
                    _ => None,
                };
                match low {
                    Some(low @ 0xDC00..=0xDFFF) => {
                        *chars = ahead;
                        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    }
                    _ => {
                        return Err(self.src.error(
                            at,
                            format!(
                                "invalid escape `\\u{high:04X}` in string: a high surrogate \
                                 must be followed by a low surrogate escape `\\uDC00`–`\\uDFFF`"
                            ),
                        ));
                    }
                }
            }
            0xDC00..=0xDFFF => {
                return Err(self.src.error(
                    at,
                    format!(
                        "invalid escape `\\u{high:04X}` in string: a low surrogate \
                         must follow a high surrogate escape `\\uD800`–`\\uDBFF`"
                    ),
                ));
            }
            code => code,
        };
        char::from_u32(code).ok_or_else(|| {
            self.src
                .error(at, "invalid escape in string: not a Unicode scalar value")
        })
    }

    fn hex4(&self, chars: &mut std::str::CharIndices<'_>, at: usize) -> Result<u32, ScimSyntaxError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = chars.next().and_then(|(_, c)| c.to_digit(16));
            let Some(digit) = digit else {
                return Err(self.src.error(
                    at,
                    "invalid escape in string: expected four hexadecimal digits after `\\u`",
                ));
            };
            code = code * 16 + digit;
        }
        Ok(code)
    }
}

/// Checks `text` against the JSON number grammar (RFC 8259 §6):
/// `[ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ ("e" / "E") [ "+" / "-" ] 1*DIGIT ]`.
/// On failure returns the byte offset of the first offending character (or
/// `text.len()` when the number stops too early) and what was expected there.
pub(crate) fn check_json_number(text: &str) -> Result<(), (usize, &'static str)> {
    let b = text.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let from = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > from
    };
    if b.first() == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => {
            i += 1;
            if b.get(i).is_some_and(u8::is_ascii_digit) {
                return Err((i, "`.`, `e` or the end of the number (no leading zeros)"));
            }
        }
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return Err((i, "a digit")),
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return Err((i, "a digit after `.`"));
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return Err((i, "a digit in the exponent"));
        }
    }
    if i < b.len() {
        return Err((i, "the end of the number"));
    }
    Ok(())
}
