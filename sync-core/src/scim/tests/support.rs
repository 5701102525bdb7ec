#![allow(clippy::unwrap_used)]
//! Shorthand for building expected trees and asserting errors.

use super::super::{AttrPath, CompValue, CompareOp, Filter, parse_filter};

pub(super) const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(super) const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

pub(super) fn parse(s: &str) -> Filter {
    parse_filter(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

pub(super) fn attr(name: &str) -> AttrPath {
    AttrPath::new(name)
}

pub(super) fn sub(name: &str, sub: &str) -> AttrPath {
    AttrPath::sub(name, sub)
}

pub(super) fn cmp(path: AttrPath, op: CompareOp, value: &str) -> Filter {
    Filter::compare(path, op, CompValue::str(value))
}

pub(super) fn num(name: &str, n: &str) -> Filter {
    Filter::compare(attr(name), CompareOp::Eq, CompValue::Num(n.into()))
}

pub(super) fn pr(name: &str) -> Filter {
    Filter::Present(attr(name))
}

/// Asserts that `input` fails at `position` with a message containing `fragment`.
#[track_caller]
pub(super) fn rejects(input: &str, position: usize, fragment: &str) {
    let e = match parse_filter(input) {
        Ok(f) => panic!("{input:?} should be rejected, parsed as {f:?}"),
        Err(e) => e,
    };
    assert!(
        e.message.contains(fragment),
        "{input:?}: message {:?} lacks {fragment:?}",
        e.message
    );
    assert_eq!(e.position, position, "{input:?}: {e}");
}
