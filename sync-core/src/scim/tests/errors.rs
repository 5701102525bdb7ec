#![allow(clippy::unwrap_used)]
//! Filters with structural errors, rejected with the exact 1-based character
//! position of the offending token and a message naming what was expected and found.

use super::super::parse_filter;
use super::support::rejects;

#[test]
fn an_unknown_operator_is_named() {
    rejects(
        r#"userName equals "x""#,
        10,
        "expected a comparison operator (eq, ne, co, sw, ew, gt, lt, ge, le), `pr` or `[` \
         after `userName`, found `equals`",
    );
    rejects(r#"userName == "x""#, 10, "found `==`");
    rejects("userName", 9, "after `userName`, found the end of the input");
}

#[test]
fn a_missing_or_unquoted_value_is_reported_where_the_value_should_be() {
    let expected = "expected a value (a JSON string in double quotes, a number, true, false or null) after `eq`";
    rejects("userName eq", 12, &format!("{expected}, found the end of the input"));
    rejects("userName eq bjensen", 13, &format!("{expected}, found `bjensen`"));
    rejects(r#"userName eq and x pr"#, 13, "found `and`");
    rejects("x eq (1)", 6, "found `(`");
    rejects("x eq +1", 6, "found `+1`");
}

#[test]
fn a_dangling_logical_operator_is_reported_at_the_end() {
    rejects(
        r#"userName eq "x" and"#,
        20,
        "expected an attribute path, `(` or `not` after `and`, found the end of the input",
    );
    rejects(r#"userName eq "x" or "#, 20, "after `or`, found the end of the input");
    rejects(r#"userName eq "x" and or"#, 21, "after `and`, found `or`");
    rejects("and", 1, "expected an attribute path, `(` or `not`, found `and`");
    rejects(
        r#"not userName eq "x""#,
        5,
        "expected `(` after `not`, found `userName`",
    );
    rejects(
        "a pr and not",
        13,
        "expected `(` after `not`, found the end of the input",
    );
}

#[test]
fn unbalanced_parentheses_are_reported() {
    rejects(
        r#"(userName eq "x""#,
        1,
        "`(` is never closed: expected `)` before the end of the input",
    );
    rejects(r#"userName eq "x")"#, 16, "unexpected `)` without a matching `(`");
    rejects("(a pr]", 6, "expected `and`, `or` or `)` after `pr`, found `]`");
    rejects("not (a pr", 5, "`(` is never closed");
    rejects("()", 2, "expected an attribute path, `(` or `not` after `(`, found `)`");
}

#[test]
fn unbalanced_brackets_are_reported() {
    rejects(r#"emails[type eq "work""#, 7, "`[` is never closed: expected `]`");
    rejects(r#"emails[type eq "work")"#, 22, "expected `and`, `or` or `]`");
    rejects(r#"x eq "a" ]"#, 10, "unexpected `]` without a matching `[`");
    rejects("emails[]", 8, "after `[`, found `]`");
}

#[test]
fn a_nested_value_filter_is_rejected_at_the_inner_bracket() {
    rejects(
        r#"emails[type[value eq "x"] eq "y"]"#,
        12,
        "cannot be nested inside a value filter",
    );
    rejects("emails[(x[y pr])]", 10, "cannot be nested");
    rejects("emails[type eq \"w\"].value[x pr]", 26, "cannot be nested");
}

#[test]
fn a_value_filter_after_a_sub_attribute_is_rejected() {
    rejects(
        r#"emails.value[type eq "x"]"#,
        13,
        "unexpected `[` after a sub-attribute",
    );
}

#[test]
fn a_value_path_sub_attribute_needs_an_operator() {
    rejects(
        r#"emails[type eq "work"].value"#,
        29,
        "`pr` or `[` after `emails[…].value`",
    );
    rejects(
        r#"emails[type eq "work"]. eq "x""#,
        23,
        "expected a sub-attribute name after `.`",
    );
}

#[test]
fn empty_input_is_rejected() {
    rejects("", 1, "expected a filter, found an empty string");
    rejects("  \t", 4, "expected a filter, found only whitespace");
}

#[test]
fn trailing_garbage_is_rejected() {
    rejects(
        r#"userName eq "x" foo"#,
        17,
        "expected `and`, `or` or the end of the input after `\"x\"`, found `foo`",
    );
    rejects("a pr b pr", 6, "found `b`");
    rejects(r#"a pr "x""#, 6, "found the string `\"x\"`");
}

#[test]
fn the_error_displays_its_position() {
    let e = parse_filter("userName eq").unwrap_err();
    assert!(
        e.to_string().ends_with("found the end of the input at character 12"),
        "{e}"
    );
}
