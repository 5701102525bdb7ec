//! Filter expressions (RFC 7644 §3.4.2.2, Figure 1) by recursive descent; see
//! `parser` for the grammar.

use super::error::{ScimSyntaxError, quote};
use super::filter::{CompValue, CompareOp, Filter};
use super::lexer::{Kind, Token, check_json_number};
use super::names::{attr_path_from_word, sub_attr_from_word};
use super::parser::{Closer, Parsed, Parser};
use super::path::AttrPath;

impl<'a> Parser<'a> {
    // The functions from `or` to `value_filter` recurse once per bracket level. Their
    // frames stay small (errors are built in `#[cold]` helpers below), so the
    // deepest input fits comfortably in a small thread stack even in debug builds.

    pub(super) fn or(&mut self, in_value_filter: bool) -> Parsed {
        let mut left = self.and(in_value_filter)?;
        while self.peek_keyword("or")? {
            self.logical_operator()?;
            let right = self.and(in_value_filter)?;
            left = Box::new(Filter::Or(left, right));
        }
        Ok(left)
    }

    fn and(&mut self, in_value_filter: bool) -> Parsed {
        let mut left = self.unary(in_value_filter)?;
        while self.peek_keyword("and")? {
            self.logical_operator()?;
            let right = self.unary(in_value_filter)?;
            left = Box::new(Filter::And(left, right));
        }
        Ok(left)
    }

    fn unary(&mut self, in_value_filter: bool) -> Parsed {
        let token = self.take()?;
        let open = match token.kind {
            Kind::LParen => token,
            Kind::Word(word) => match self.not_paren(word, &token)? {
                Some(open) => {
                    let inner = self.group(&open, in_value_filter)?;
                    return Ok(Box::new(Filter::Not(inner)));
                }
                None => return self.attr_expression(&token, word, in_value_filter),
            },
            _ => return Err(self.expected_operand(&token)),
        };
        self.group(&open, in_value_filter)
    }

    /// `attrPath rest`; kept out of `unary` so that nesting `(` does not pay for it.
    #[inline(never)]
    fn attr_expression(&mut self, token: &Token<'a>, word: &str, in_value_filter: bool) -> Parsed {
        let path = attr_path_from_word(word).map_err(|e| self.word_error(token, e))?;
        self.attr_rest(path, word, "", in_value_filter)
    }

    /// After a word at the start of an expression: takes and returns the `(` of
    /// `not (`. Keywords are attribute names too (`not pr`, `and eq 1`): a keyword is
    /// read as a name when an operator or `[` follows it, and is an error otherwise.
    fn not_paren(&mut self, word: &str, token: &Token<'a>) -> Result<Option<Token<'a>>, ScimSyntaxError> {
        let is_not = word.eq_ignore_ascii_case("not");
        if !(is_not || word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or")) {
            return Ok(None);
        }
        let next = &self.peek()?.kind;
        if is_not && *next == Kind::LParen {
            return self.take().map(Some);
        }
        if starts_attr_rest(next) {
            return Ok(None);
        }
        Err(if is_not {
            let next = self.peek()?.clone();
            self.expected(&next, format!("expected `(` after {}", quote(word)))
        } else {
            self.expected_operand(token)
        })
    }

    /// `(` has been taken: `filter ")"`.
    fn group(&mut self, open: &Token<'a>, in_value_filter: bool) -> Parsed {
        self.enter(open)?;
        let inner = self.or(in_value_filter)?;
        self.close(Closer::Paren, Some(open))?;
        self.leave();
        Ok(inner)
    }

    /// What may follow an attribute path inside a filter; `shown` and `suffix` name
    /// the path in messages.
    fn attr_rest(&mut self, path: AttrPath, shown: &str, suffix: &str, in_value_filter: bool) -> Parsed {
        let token = self.take()?;
        if let Kind::Word(w) = token.kind {
            if w.eq_ignore_ascii_case("pr") {
                return Ok(Box::new(Filter::Present(path)));
            }
            if let Some(op) = CompareOp::from_keyword(w) {
                let value = self.value()?;
                return Ok(Box::new(Filter::Compare { path, op, value }));
            }
        }
        if token.kind != Kind::LBracket {
            return Err(self.expected_operator(&token, shown, suffix));
        }
        if in_value_filter {
            return Err(self.error_at(
                &token,
                "unexpected `[`: value filters cannot be nested inside a value filter",
            ));
        }
        let filter = self.value_filter(&path, &token)?;
        // Entra: `emails[type eq "work"].value eq "x"` means
        // `emails[type eq "work" and value eq "x"]`.
        if let Kind::Word(w) = self.peek()?.kind
            && w.starts_with('.')
        {
            let sub_token = self.take()?;
            let sub = sub_attr_from_word(w).map_err(|e| self.word_error(&sub_token, e))?;
            self.logical_operator_at(&sub_token)?;
            let condition = self.attr_rest(AttrPath::new(sub), shown, w, true)?;
            let filter = Box::new(Filter::And(filter, condition));
            return Ok(Box::new(Filter::ValuePath { attr: path, filter }));
        }
        Ok(Box::new(Filter::ValuePath { attr: path, filter }))
    }

    /// `[` has been taken: `valFilter "]"`.
    pub(super) fn value_filter(&mut self, attr: &AttrPath, open: &Token<'a>) -> Parsed {
        if attr.sub_attr.is_some() {
            return Err(self.error_at(
                open,
                "unexpected `[` after a sub-attribute: a value filter applies to an \
                 attribute (`emails[type eq \"work\"].value`, not `emails.value[…]`)",
            ));
        }
        self.enter(open)?;
        let filter = self.or(true)?;
        self.close(Closer::Bracket, Some(open))?;
        self.leave();
        Ok(filter)
    }

    fn value(&mut self) -> Result<CompValue, ScimSyntaxError> {
        let token = self.take()?;
        let expected = "expected a value (a JSON string in double quotes, a number, \
                        true, false or null)";
        match token.kind {
            Kind::Str(s) => Ok(CompValue::Str(s)),
            Kind::Word(w) if w.eq_ignore_ascii_case("true") => Ok(CompValue::Bool(true)),
            Kind::Word(w) if w.eq_ignore_ascii_case("false") => Ok(CompValue::Bool(false)),
            Kind::Word(w) if w.eq_ignore_ascii_case("null") => Ok(CompValue::Null),
            Kind::Word(w) if w.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => match check_json_number(w) {
                Ok(()) => Ok(CompValue::Num(w.to_owned())),
                Err((at, wanted)) => {
                    let found = match w[at..].chars().next() {
                        Some(c) => quote(c.encode_utf8(&mut [0; 4])),
                        None => "the end of the number".to_owned(),
                    };
                    let message = format!("invalid number {}: expected {wanted}, found {found}", quote(w));
                    Err(self.error_at_byte(token.start + at, message))
                }
            },
            _ => Err(self.expected(&token, format!("{expected}{}", self.after()))),
        }
    }
}

/// Whether `kind` can follow an attribute path in a filter.
fn starts_attr_rest(kind: &Kind<'_>) -> bool {
    match kind {
        Kind::LBracket => true,
        Kind::Word(w) => w.eq_ignore_ascii_case("pr") || CompareOp::from_keyword(w).is_some(),
        _ => false,
    }
}
