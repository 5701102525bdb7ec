//! Filters that must parse: every operator, precedence, case rules, URN paths,
//! value literals and Entra's real filters (docs/entra.md, C2, C8, C16).

use super::super::{CompValue, CompareOp, Filter};
use super::support::{CORE_USER, ENTERPRISE_USER, attr, cmp, num, parse, pr, sub};

#[test]
fn every_comparison_operator_is_recognised() {
    for op in CompareOp::ALL {
        let text = format!(r#"title {} "x""#, op.as_str());
        assert_eq!(parse(&text), cmp(attr("title"), op, "x"));
    }
}

#[test]
fn keywords_operators_and_literals_are_case_insensitive() {
    assert_eq!(parse(r#"userName EQ "x""#), Filter::eq_str(attr("userName"), "x"));
    assert_eq!(
        parse("a Pr AND NOT (b pR) Or c PR"),
        Filter::or(Filter::and(pr("a"), Filter::negate(pr("b"))), pr("c"))
    );
    assert_eq!(
        parse("active eq TRUE or active eq False or manager eq NULL"),
        Filter::or(
            Filter::or(
                Filter::compare(attr("active"), CompareOp::Eq, CompValue::Bool(true)),
                Filter::compare(attr("active"), CompareOp::Eq, CompValue::Bool(false)),
            ),
            Filter::compare(attr("manager"), CompareOp::Eq, CompValue::Null),
        )
    );
}

#[test]
fn attribute_names_are_kept_as_written() {
    assert_eq!(parse(r#"USERNAME eq "x""#), Filter::eq_str(attr("USERNAME"), "x"));
    assert_eq!(parse("Name.GivenName pr"), Filter::Present(sub("Name", "GivenName")));
}

#[test]
fn or_binds_looser_than_and() {
    assert_eq!(
        parse("a eq 1 or b eq 2 and c eq 3"),
        Filter::or(num("a", "1"), Filter::and(num("b", "2"), num("c", "3")))
    );
    assert_eq!(
        parse("a eq 1 and b eq 2 or c eq 3"),
        Filter::or(Filter::and(num("a", "1"), num("b", "2")), num("c", "3"))
    );
}

#[test]
fn not_binds_tighter_than_and() {
    assert_eq!(
        parse("not (x pr) and y pr"),
        Filter::and(Filter::negate(pr("x")), pr("y"))
    );
}

#[test]
fn and_and_or_are_left_associative() {
    assert_eq!(
        parse("a pr and b pr and c pr"),
        Filter::and(Filter::and(pr("a"), pr("b")), pr("c"))
    );
    assert_eq!(
        parse("a pr or b pr or c pr"),
        Filter::or(Filter::or(pr("a"), pr("b")), pr("c"))
    );
}

#[test]
fn parentheses_override_precedence_and_leave_no_trace() {
    assert_eq!(
        parse("(a pr or b pr) and c pr"),
        Filter::and(Filter::or(pr("a"), pr("b")), pr("c"))
    );
    assert_eq!(parse("((((a pr))))"), pr("a"));
    assert_eq!(
        parse("a pr and (b pr and c pr)"),
        Filter::and(pr("a"), Filter::and(pr("b"), pr("c")))
    );
}

#[test]
fn whitespace_is_flexible_between_tokens() {
    let expected = Filter::and(
        Filter::eq_str(attr("userName"), "x"),
        Filter::negate(Filter::value_path(attr("emails"), pr("value"))),
    );
    for text in [
        r#"userName eq "x" and not (emails[value pr])"#,
        "  userName   eq\t\"x\"\nand  not(emails [ value  pr ] )  ",
        r#"userName eq"x" and not(emails[value pr])"#,
    ] {
        assert_eq!(parse(text), expected, "{text:?}");
    }
}

#[test]
fn urn_qualified_paths_split_at_the_last_colon() {
    assert_eq!(
        parse(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x""#),
        Filter::eq_str(attr("department").with_urn(ENTERPRISE_USER), "x")
    );
    assert_eq!(
        parse("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName pr"),
        Filter::Present(sub("name", "givenName").with_urn(CORE_USER))
    );
    assert_eq!(
        parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]"#),
        Filter::value_path(attr("emails").with_urn(CORE_USER), Filter::eq_str(attr("type"), "work"))
    );
}

#[test]
fn dollar_ref_is_an_attribute_and_sub_attribute_name() {
    assert_eq!(
        parse(r#"members.$ref eq "https://x/Users/1""#),
        Filter::eq_str(sub("members", "$ref"), "https://x/Users/1")
    );
    assert_eq!(parse("$ref pr"), pr("$ref"));
    assert_eq!(
        parse("members[$ref pr]"),
        Filter::value_path(attr("members"), pr("$ref"))
    );
}

#[test]
fn keywords_can_be_attribute_names_when_an_operator_follows() {
    assert_eq!(parse("not pr"), pr("not"));
    assert_eq!(parse("and pr or or pr"), Filter::or(pr("and"), pr("or")));
    assert_eq!(parse(r#"not eq "x""#), Filter::eq_str(attr("not"), "x"));
    assert_eq!(parse("pr pr"), pr("pr"));
}

#[test]
fn numbers_keep_their_text() {
    for n in ["0", "-0", "42", "-1", "2.50", "1e3", "1E+3", "6.02e-23", "-0.0"] {
        assert_eq!(
            parse(&format!("x gt {n}")),
            Filter::compare(attr("x"), CompareOp::Gt, CompValue::Num(n.into()))
        );
    }
}

#[test]
fn strings_decode_every_json_escape() {
    let text = r#"x eq "q\" b\\ s\/ \b\f\n\r\t \u00e9 \uD83D\uDE00 é 😀""#;
    assert_eq!(
        parse(text),
        Filter::eq_str(attr("x"), "q\" b\\ s/ \u{8}\u{c}\n\r\t é 😀 é 😀")
    );
    assert_eq!(parse(r#"x eq """#), Filter::eq_str(attr("x"), ""));
    assert_eq!(
        parse(r#"x eq "a (b) [c] and or""#),
        Filter::eq_str(attr("x"), "a (b) [c] and or")
    );
}

#[test]
fn entras_user_and_group_matching_filters_parse() {
    assert_eq!(
        parse(r#"userName eq "7d420df3-9995-4831-a406-ecf8166f5f6a""#),
        Filter::eq_str(attr("userName"), "7d420df3-9995-4831-a406-ecf8166f5f6a")
    );
    assert_eq!(
        parse(r#"userName eq "ada@contoso.com""#),
        Filter::eq_str(attr("userName"), "ada@contoso.com")
    );
    assert_eq!(
        parse(r#"externalId eq "ada""#),
        Filter::eq_str(attr("externalId"), "ada")
    );
    assert_eq!(
        parse(r#"displayName eq "Engineering""#),
        Filter::eq_str(attr("displayName"), "Engineering")
    );
    assert_eq!(
        parse(r#"id eq "U1" and manager eq "M1""#),
        Filter::and(Filter::eq_str(attr("id"), "U1"), Filter::eq_str(attr("manager"), "M1"))
    );
}

#[test]
fn entras_membership_checks_parse_in_all_three_shapes() {
    assert_eq!(
        parse(r#"id eq "G1" and members[value eq "U1"]"#),
        Filter::and(
            Filter::eq_str(attr("id"), "G1"),
            Filter::value_path(attr("members"), Filter::eq_str(attr("value"), "U1"))
        )
    );
    assert_eq!(
        parse(r#"members[value eq "u"]"#),
        Filter::value_path(attr("members"), Filter::eq_str(attr("value"), "u"))
    );
    assert_eq!(parse(r#"members eq "u""#), Filter::eq_str(attr("members"), "u"));
    assert_eq!(
        parse(r#"members.value eq "u""#),
        Filter::eq_str(sub("members", "value"), "u")
    );
}

#[test]
fn entras_value_path_with_sub_attribute_comparison_joins_both_conditions() {
    let expected = Filter::value_path(
        attr("emails"),
        Filter::and(
            Filter::eq_str(attr("type"), "work"),
            Filter::eq_str(attr("value"), "a@b.c"),
        ),
    );
    assert_eq!(parse(r#"emails[type eq "work"].value eq "a@b.c""#), expected);
    assert_eq!(expected.to_string(), r#"emails[type eq "work" and value eq "a@b.c"]"#);
    assert_eq!(
        parse(r#"id eq "1" and emails[type eq "work"].value pr"#),
        Filter::and(
            Filter::eq_str(attr("id"), "1"),
            Filter::value_path(
                attr("emails"),
                Filter::and(Filter::eq_str(attr("type"), "work"), pr("value"))
            )
        )
    );
}

#[test]
fn value_filters_may_use_logic_and_grouping() {
    assert_eq!(
        parse(r#"emails[not (type eq "home") and (primary eq true or value ew ".org")]"#),
        Filter::value_path(
            attr("emails"),
            Filter::and(
                Filter::negate(Filter::eq_str(attr("type"), "home")),
                Filter::or(
                    Filter::compare(attr("primary"), CompareOp::Eq, CompValue::Bool(true)),
                    cmp(attr("value"), CompareOp::Ew, ".org")
                )
            )
        )
    );
}

#[test]
fn printing_uses_lowercase_keywords_and_minimal_parentheses() {
    let tree = parse(r#"NOT (A PR) AND (B EQ "x\ty" OR C GT 1) OR D[E PR]"#);
    assert_eq!(tree.to_string(), r#"not (A pr) and (B eq "x\ty" or C gt 1) or D[E pr]"#);
    assert_eq!(
        Filter::or(pr("a"), Filter::or(pr("b"), pr("c"))).to_string(),
        "a pr or (b pr or c pr)"
    );
    assert_eq!(
        Filter::eq_str(attr("x"), "\u{1}\"\\/é").to_string(),
        r#"x eq "\u0001\"\\/é""#
    );
}
