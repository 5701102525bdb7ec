//! The example filters of RFC 7644 §3.4.2.2.

use super::super::{CompareOp, Filter};
use super::support::{CORE_USER, ENTERPRISE_USER, attr, cmp, parse, pr, sub};

/// The example filters of RFC 7644 §3.4.2.2, in the order the RFC lists them.
fn rfc_examples() -> Vec<(&'static str, Filter)> {
    use CompareOp::*;
    let last_modified = |op| cmp(sub("meta", "lastModified"), op, "2011-05-13T04:42:34Z");
    let work_at_example = || {
        Filter::value_path(
            attr("emails"),
            Filter::and(
                Filter::eq_str(attr("type"), "work"),
                cmp(attr("value"), Co, "@example.com"),
            ),
        )
    };
    let example_com_or_org = || {
        Filter::or(
            cmp(attr("emails"), Co, "example.com"),
            cmp(sub("emails", "value"), Co, "example.org"),
        )
    };
    vec![
        (r#"userName eq "bjensen""#, Filter::eq_str(attr("userName"), "bjensen")),
        (
            r#"name.familyName co "O'Malley""#,
            cmp(sub("name", "familyName"), Co, "O'Malley"),
        ),
        (r#"userName sw "J""#, cmp(attr("userName"), Sw, "J")),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            cmp(attr("userName").with_urn(CORE_USER), Sw, "J"),
        ),
        ("title pr", pr("title")),
        (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, last_modified(Gt)),
        (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, last_modified(Ge)),
        (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, last_modified(Lt)),
        (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, last_modified(Le)),
        (
            r#"title pr and userType eq "Employee""#,
            Filter::and(pr("title"), Filter::eq_str(attr("userType"), "Employee")),
        ),
        (
            r#"title pr or userType eq "Intern""#,
            Filter::or(pr("title"), Filter::eq_str(attr("userType"), "Intern")),
        ),
        (
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            Filter::eq_str(attr("schemas"), ENTERPRISE_USER),
        ),
        (
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            Filter::and(Filter::eq_str(attr("userType"), "Employee"), example_com_or_org()),
        ),
        (
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            Filter::and(
                cmp(attr("userType"), Ne, "Employee"),
                Filter::negate(example_com_or_org()),
            ),
        ),
        (
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            Filter::and(
                Filter::eq_str(attr("userType"), "Employee"),
                Filter::eq_str(sub("emails", "type"), "work"),
            ),
        ),
        (
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            Filter::and(Filter::eq_str(attr("userType"), "Employee"), work_at_example()),
        ),
        (
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            Filter::or(
                work_at_example(),
                Filter::value_path(
                    attr("ims"),
                    Filter::and(Filter::eq_str(attr("type"), "xmpp"), cmp(attr("value"), Co, "@foo.com")),
                ),
            ),
        ),
    ]
}

#[test]
fn every_rfc_7644_example_filter_parses_to_the_expected_tree() {
    let examples = rfc_examples();
    assert_eq!(examples.len(), 17);
    for (text, expected) in examples {
        assert_eq!(parse(text), expected, "{text}");
    }
}

#[test]
fn rfc_examples_print_back_as_written_except_redundant_parentheses() {
    for (text, tree) in rfc_examples() {
        let expected = text.replace(r#"(emails.type eq "work")"#, r#"emails.type eq "work""#);
        assert_eq!(tree.to_string(), expected);
    }
}
