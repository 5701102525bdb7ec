//! Errors inside one token: names, schema URIs, numbers and strings, pinpointed to
//! the offending character.

use super::support::rejects;

#[test]
fn an_unterminated_string_points_at_its_opening_quote() {
    rejects(
        r#"userName eq "abc"#,
        13,
        "unterminated string: expected a closing `\"`",
    );
    rejects(r#"userName eq "abc\"#, 13, "unterminated string");
}

#[test]
fn attribute_names_must_start_with_a_letter() {
    rejects(
        r#"1userName eq "x""#,
        1,
        "expected an attribute name starting with a letter (or `$ref`), found `1userName`",
    );
    rejects("_x pr", 1, "starting with a letter");
    rejects("$refs pr", 1, "starting with a letter");
    rejects(
        r#""x" eq userName"#,
        1,
        "expected an attribute path, `(` or `not`, found the string `\"x\"`",
    );
}

#[test]
fn invalid_characters_in_names_are_pinpointed() {
    rejects(
        r#"user=Name eq "x""#,
        5,
        "unexpected character `=` in attribute name `user=Name`",
    );
    rejects("name.given-Name!x pr", 16, "unexpected character `!`");
    rejects("name.given.x pr", 11, "unexpected character `.`");
    rejects("name. pr", 5, "expected a sub-attribute name after `.`");
    rejects(".name pr", 1, "expected an attribute name before `.`");
    rejects("urn:x: pr", 6, "expected an attribute name after `:`");
    rejects(r#"userNäme eq "x""#, 6, "unexpected character `ä`");
}

#[test]
fn malformed_schema_urns_are_rejected() {
    rejects("1urn:x:y pr", 1, "schema URI");
    rejects("name.given:x pr", 1, "schema URI");
    rejects("urn:ex^ample:User:name pr", 7, "unexpected character `^` in schema URI");
}

#[test]
fn invalid_numbers_point_at_the_first_bad_character() {
    rejects(
        "age eq 01",
        9,
        "invalid number `01`: expected `.`, `e` or the end of the number (no leading zeros), found `1`",
    );
    rejects(
        "age eq 1.",
        10,
        "expected a digit after `.`, found the end of the number",
    );
    rejects("age eq -", 9, "expected a digit");
    rejects("age eq 1e", 10, "expected a digit in the exponent");
    rejects("age eq 12abc", 10, "expected the end of the number, found `a`");
    rejects("age eq -.5", 9, "found `.`");
}

#[test]
fn invalid_escapes_point_at_the_backslash() {
    rejects(r#"userName eq "a\x""#, 15, "invalid escape `\\x` in string");
    rejects(r#"x eq "\u12G4""#, 7, "expected four hexadecimal digits after `\\u`");
    rejects(r#"x eq "ab\u12"#, 9, "four hexadecimal digits");
    rejects(
        r#"x eq "\uD800""#,
        7,
        "a high surrogate must be followed by a low surrogate",
    );
    rejects(r#"x eq "\uD800\u0041""#, 7, "high surrogate");
    rejects(r#"x eq "\uD800\u12G4""#, 13, "four hexadecimal digits");
    rejects(r#"x eq "\é""#, 7, "invalid escape `\\é` in string");
    rejects(r#"x eq "\uDC00""#, 7, "a low surrogate must follow a high surrogate");
}

#[test]
fn raw_control_characters_in_strings_are_rejected() {
    rejects("x eq \"a\nb\"", 8, "unescaped control character U+000A in string");
    rejects("x eq \"\u{0}\"", 7, "U+0000");
}

#[test]
fn an_escaped_nul_is_rejected_because_no_value_can_hold_it() {
    rejects(r#"userName eq "a\u0000b""#, 15, "`\\u0000` (NUL) in string");
    rejects(r#"emails[value eq "\u0000"]"#, 18, "NUL");
}

#[test]
fn positions_count_characters_not_bytes() {
    rejects(r#"userName eq "ü😀" foo"#, 18, "found `foo`");
    rejects("émail pr", 1, "found `émail`");
}
