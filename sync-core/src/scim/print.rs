//! Canonical text for the AST: lowercase keywords, single spaces, JSON-escaped
//! strings, `not (…)`, and parentheses only where the tree needs them, so that
//! `parse_filter(&f.to_string()) == Ok(f)` for every tree the parser can produce.

use std::fmt::{self, Display, Formatter, Write};

use super::filter::{CompValue, CompareOp, Filter};
use super::path::{AttrPath, PatchPath};

impl Display for AttrPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl Display for PatchPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Attr(path) => path.fmt(f),
            Self::Filtered { attr, filter, sub_attr } => {
                write!(f, "{attr}[{filter}]")?;
                if let Some(sub) = sub_attr {
                    write!(f, ".{sub}")?;
                }
                Ok(())
            }
        }
    }
}

impl Display for CompareOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for CompValue {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Str(s) => write_json_string(f, s),
            Self::Num(n) => f.write_str(n),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Null => f.write_str("null"),
        }
    }
}

impl Display for Filter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_filter(f, self, Precedence::Or)
    }
}

/// Binding strength, weakest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Precedence {
    Or,
    And,
    Atom,
}

fn precedence(filter: &Filter) -> Precedence {
    match filter {
        Filter::Or(..) => Precedence::Or,
        Filter::And(..) => Precedence::And,
        _ => Precedence::Atom,
    }
}

/// Writes `filter` where a construct binding at least as tightly as `min` is needed.
fn write_filter(f: &mut Formatter<'_>, filter: &Filter, min: Precedence) -> fmt::Result {
    let parens = precedence(filter) < min;
    if parens {
        f.write_char('(')?;
    }
    match filter {
        Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}")?,
        Filter::Present(path) => write!(f, "{path} pr")?,
        Filter::And(..) | Filter::Or(..) => write_chain(f, filter)?,
        Filter::Not(inner) => {
            f.write_str("not (")?;
            write_filter(f, inner, Precedence::Or)?;
            f.write_char(')')?;
        }
        Filter::ValuePath { attr, filter } => {
            write!(f, "{attr}[")?;
            write_filter(f, filter, Precedence::Or)?;
            f.write_char(']')?;
        }
    }
    if parens {
        f.write_char(')')?;
    }
    Ok(())
}

/// Writes a run of `and`/`or`. Both are left-associative, so a left operand needs
/// parentheses only when it binds more loosely (`(a or b) and c`) and a right operand
/// whenever it is itself an operation of the same or looser kind. The left spine,
/// which is as long as the filter has conditions, is walked in a loop rather than by
/// recursion so that long `a or b or c …` chains cannot exhaust the stack.
fn write_chain(f: &mut Formatter<'_>, top: &Filter) -> fmt::Result {
    let mut rights = Vec::new();
    let mut node = top;
    let mut node_min = Precedence::Or;
    loop {
        let (op, left, right, left_min, right_min) = match node {
            Filter::And(l, r) => (" and ", l, r, Precedence::And, Precedence::Atom),
            Filter::Or(l, r) => (" or ", l, r, Precedence::Or, Precedence::And),
            _ => break,
        };
        rights.push((op, right, right_min));
        node = left;
        node_min = left_min;
        if precedence(node) < node_min {
            break;
        }
    }
    write_filter(f, node, node_min)?;
    for (op, right, min) in rights.into_iter().rev() {
        f.write_str(op)?;
        write_filter(f, right, min)?;
    }
    Ok(())
}

/// A JSON string literal (RFC 8259 §7): quotes, backslashes and control characters
/// escaped, everything else (including non-ASCII) written as is.
fn write_json_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if c < ' ' => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}
