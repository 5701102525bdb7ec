//! Recursive-descent parser for filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2).
//!
//! ```text
//! filter  = or
//! or      = and *("or" and)                       ; left-associative
//! and     = unary *("and" unary)                  ; left-associative
//! unary   = "not" "(" filter ")" / "(" filter ")" / attrPath rest
//! rest    = "pr" / compareOp compValue
//!         / "[" valFilter "]" ["." ATTRNAME ("pr" / compareOp compValue)]  ; Entra
//! ```
//! `valFilter` is `filter` with `[` forbidden. The productions live in `expr`
//! (filters) and `path` (PATCH paths); this file holds the token plumbing, the limits
//! and the error messages.
//!
//! Recursion happens only through brackets, which are limited to [`MAX_NESTING`]
//! levels; `and`/`or` chains are loops and are limited to [`MAX_LOGICAL_OPERATORS`],
//! so the height of any tree the parser returns is bounded and parsing, printing,
//! comparing or dropping it cannot overflow the stack. The deepest accepted filter
//! needs about 200 KiB of stack in a debug build and less in release, well under the
//! 2 MiB a spawned thread gets by default.

use super::error::{ScimSyntaxError, quote};
use super::filter::Filter;
use super::lexer::{Kind, Lexer, Token};
use super::names::WordError;

/// Deepest allowed nesting of `(` and `[` (a `not (` counts once).
pub const MAX_NESTING: usize = 64;
/// Most `and`/`or` operators allowed in one filter or path.
pub const MAX_LOGICAL_OPERATORS: usize = 1000;

/// How large a filter a request may send. The defaults are the parser's ceilings;
/// an operator may lower them (`max_filter_*`). Nesting cannot go above
/// [`MAX_NESTING`], which keeps recursion within a thread's stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterLimits {
    /// Longest filter, in bytes of UTF-8.
    pub max_bytes: usize,
    /// Deepest nesting of `(` and `[`, at most [`MAX_NESTING`].
    pub max_nesting: usize,
    /// Most `and`/`or` operators.
    pub max_operators: usize,
}

impl FilterLimits {
    /// 64 KiB, [`MAX_NESTING`] levels, [`MAX_LOGICAL_OPERATORS`] operators.
    pub const DEFAULT: FilterLimits = FilterLimits {
        max_bytes: 64 * 1024,
        max_nesting: MAX_NESTING,
        max_operators: MAX_LOGICAL_OPERATORS,
    };
}

impl Default for FilterLimits {
    fn default() -> Self {
        FilterLimits::DEFAULT
    }
}

/// Marks `error` as a limit reached rather than a grammar broken.
fn over_limit(error: ScimSyntaxError) -> ScimSyntaxError {
    ScimSyntaxError {
        over_limit: true,
        ..error
    }
}

/// A parsed (sub)expression. Boxed, because the recursive functions pass it up
/// through every bracket level and a pointer keeps their stack frames small.
pub(super) type Parsed = Result<Box<Filter>, ScimSyntaxError>;

/// What closes the construct being parsed; decides what may follow an expression.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Closer {
    End,
    Paren,
    Bracket,
}

/// One parse of one input.
pub(crate) struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<Token<'a>>,
    /// The raw text of the last two tokens taken: `[before_last, last]`. Errors are
    /// raised right after taking the offending token, so "after `…`" in a message
    /// names `before_last`.
    taken: [Option<&'a str>; 2],
    depth: usize,
    logical_operators: usize,
    limits: FilterLimits,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self::within(text, FilterLimits::DEFAULT)
    }

    /// A parser that enforces `limits` (nesting capped at [`MAX_NESTING`]).
    pub(crate) fn within(text: &'a str, limits: FilterLimits) -> Self {
        let limits = FilterLimits {
            max_nesting: limits.max_nesting.min(MAX_NESTING),
            ..limits
        };
        Self {
            lexer: Lexer::new(text),
            peeked: None,
            taken: [None, None],
            depth: 0,
            logical_operators: 0,
            limits,
        }
    }

    /// `filter`, then the end of the input.
    pub(crate) fn filter(mut self) -> Result<Filter, ScimSyntaxError> {
        if self.peek()?.kind == Kind::End {
            let token = self.take()?;
            return Err(self.error_at(&token, self.nothing("a filter")));
        }
        let filter = self.or(false)?;
        self.close(Closer::End, None)?;
        Ok(*filter)
    }

    /// After an expression: the end of its construct must come.
    pub(super) fn close(&mut self, closer: Closer, open: Option<&Token<'a>>) -> Result<(), ScimSyntaxError> {
        let token = self.take()?;
        let (wanted, want_kind) = match closer {
            Closer::End => ("the end of the input", Kind::End),
            Closer::Paren => ("`)`", Kind::RParen),
            Closer::Bracket => ("`]`", Kind::RBracket),
        };
        if token.kind == want_kind {
            return Ok(());
        }
        let message = match (&token.kind, open) {
            (Kind::End, Some(_)) => {
                let bracket = if closer == Closer::Paren { "`(`" } else { "`[`" };
                format!("{bracket} is never closed: expected {wanted} before the end of the input")
            }
            (Kind::RParen, None) => "unexpected `)` without a matching `(`".to_owned(),
            (Kind::RBracket, None) => "unexpected `]` without a matching `[`".to_owned(),
            _ => format!(
                "expected `and`, `or` or {wanted}{}, found {}",
                self.after(),
                self.describe(&token)
            ),
        };
        let at = match (&token.kind, open) {
            (Kind::End, Some(open)) => open,
            _ => &token,
        };
        Err(self.error_at(at, message))
    }

    pub(super) fn enter(&mut self, open: &Token<'a>) -> Result<(), ScimSyntaxError> {
        self.depth += 1;
        if self.depth > self.limits.max_nesting {
            let max = self.limits.max_nesting;
            return Err(over_limit(
                self.error_at(open, format!("brackets are nested more than {max} levels deep")),
            ));
        }
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Takes the `and`/`or` just peeked, counting it against the limit.
    pub(super) fn logical_operator(&mut self) -> Result<(), ScimSyntaxError> {
        let token = self.take()?;
        self.logical_operator_at(&token)
    }

    pub(super) fn logical_operator_at(&mut self, token: &Token<'a>) -> Result<(), ScimSyntaxError> {
        self.logical_operators += 1;
        if self.logical_operators > self.limits.max_operators {
            let max = self.limits.max_operators;
            return Err(over_limit(self.error_at(
                token,
                format!("too many conditions: at most {max} `and`/`or` are allowed"),
            )));
        }
        Ok(())
    }

    pub(super) fn peek(&mut self) -> Result<&Token<'a>, ScimSyntaxError> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        Ok(self.peeked.insert(token))
    }

    pub(super) fn peek_keyword(&mut self, keyword: &str) -> Result<bool, ScimSyntaxError> {
        Ok(matches!(self.peek()?.kind, Kind::Word(w) if w.eq_ignore_ascii_case(keyword)))
    }

    pub(super) fn take(&mut self) -> Result<Token<'a>, ScimSyntaxError> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        self.taken = [self.taken[1], Some(&self.lexer.src.text[token.start..token.end])];
        Ok(token)
    }

    /// `` after `…` `` naming the token before the one just taken, if any.
    pub(super) fn after(&self) -> String {
        self.taken[0]
            .map(|text| format!(" after {}", quote(text)))
            .unwrap_or_default()
    }

    pub(super) fn describe(&self, token: &Token<'a>) -> String {
        match &token.kind {
            Kind::End => "the end of the input".to_owned(),
            Kind::Str(_) => format!("the string {}", quote(&self.lexer.src.text[token.start..token.end])),
            _ => quote(&self.lexer.src.text[token.start..token.end]),
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn expected_operand(&self, token: &Token<'a>) -> ScimSyntaxError {
        let wanted = format!("expected an attribute path, `(` or `not`{}", self.after());
        self.expected(token, wanted)
    }

    #[cold]
    #[inline(never)]
    pub(super) fn expected_operator(&self, token: &Token<'a>, shown: &str, suffix: &str) -> ScimSyntaxError {
        let shown = if suffix.is_empty() {
            quote(shown)
        } else {
            quote(&format!("{shown}[…]{suffix}"))
        };
        let wanted = format!(
            "expected a comparison operator (eq, ne, co, sw, ew, gt, lt, ge, le), `pr` or `[` \
             after {shown}"
        );
        self.expected(token, wanted)
    }

    /// "`{wanted}`, found …" at `token`.
    #[cold]
    #[inline(never)]
    pub(super) fn expected(&self, token: &Token<'a>, wanted: String) -> ScimSyntaxError {
        let found = self.describe(token);
        self.error_at(token, format!("{wanted}, found {found}"))
    }

    pub(super) fn error_at_byte(&self, byte: usize, message: impl Into<String>) -> ScimSyntaxError {
        self.lexer.src.error(byte, message)
    }

    pub(super) fn error_at(&self, token: &Token<'a>, message: impl Into<String>) -> ScimSyntaxError {
        self.lexer.src.error(token.start, message)
    }

    /// The message for an input with no token at all.
    pub(super) fn nothing(&self, what: &str) -> String {
        let found = if self.lexer.src.text.is_empty() {
            "an empty string"
        } else {
            "only whitespace"
        };
        format!("expected {what}, found {found}")
    }

    pub(super) fn word_error(&self, token: &Token<'a>, (at, message): WordError) -> ScimSyntaxError {
        self.lexer.src.error(token.start + at, message)
    }
}
