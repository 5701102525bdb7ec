#![allow(clippy::unwrap_used)]
//! PATCH paths (RFC 7644 §3.5.2) and bare attribute paths, including the shapes
//! Entra sends (docs/entra.md, C5, C6, C8, C15).

use super::super::{AttrPath, CompValue, CompareOp, Filter, PatchPath, parse_attr_path, parse_patch_path};

fn path(s: &str) -> PatchPath {
    parse_patch_path(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn error(s: &str) -> (usize, String) {
    let e = parse_patch_path(s).expect_err(s);
    (e.position, e.message)
}

const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn filtered(attr: &str, filter: Filter, sub_attr: Option<&str>) -> PatchPath {
    PatchPath::Filtered {
        attr: AttrPath::new(attr),
        filter,
        sub_attr: sub_attr.map(str::to_owned),
    }
}

#[test]
fn simple_and_sub_attribute_paths_parse() {
    assert_eq!(path("userName"), PatchPath::Attr(AttrPath::new("userName")));
    assert_eq!(path("active"), PatchPath::Attr(AttrPath::new("active")));
    assert_eq!(
        path("name.givenName"),
        PatchPath::Attr(AttrPath::sub("name", "givenName"))
    );
    assert_eq!(path("members"), PatchPath::Attr(AttrPath::new("members")));
}

#[test]
fn enterprise_extension_paths_keep_their_urn() {
    assert_eq!(
        path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
        PatchPath::Attr(AttrPath::new("department").with_urn(ENTERPRISE_USER))
    );
    assert_eq!(
        path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"),
        PatchPath::Attr(AttrPath::new("manager").with_urn(ENTERPRISE_USER))
    );
    assert_eq!(
        path(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "M1"]"#),
        PatchPath::Filtered {
            attr: AttrPath::new("manager").with_urn(ENTERPRISE_USER),
            filter: Filter::eq_str(AttrPath::new("value"), "M1"),
            sub_attr: None,
        }
    );
}

#[test]
fn filtered_paths_with_a_sub_attribute_parse() {
    let work = || Filter::eq_str(AttrPath::new("type"), "work");
    assert_eq!(
        path(r#"emails[type eq "work"].value"#),
        filtered("emails", work(), Some("value"))
    );
    assert_eq!(
        path(r#"phoneNumbers[type eq "work"].value"#),
        filtered("phoneNumbers", work(), Some("value"))
    );
    assert_eq!(
        path(r#"addresses[type eq "work"].formatted"#),
        filtered("addresses", work(), Some("formatted"))
    );
}

#[test]
fn member_removal_path_parses_without_sub_attribute() {
    assert_eq!(
        path(r#"members[value eq "2819c223"]"#),
        filtered("members", Filter::eq_str(AttrPath::new("value"), "2819c223"), None)
    );
}

#[test]
fn filtered_paths_accept_full_value_filters() {
    assert_eq!(
        path(r#"emails[type eq "work" and not (primary eq false)].display"#),
        filtered(
            "emails",
            Filter::and(
                Filter::eq_str(AttrPath::new("type"), "work"),
                Filter::negate(Filter::compare(
                    AttrPath::new("primary"),
                    CompareOp::Eq,
                    CompValue::Bool(false)
                )),
            ),
            Some("display")
        )
    );
}

#[test]
fn patch_paths_print_canonically() {
    for text in [
        "userName",
        "name.givenName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        r#"emails[type eq "work"].value"#,
        r#"members[value eq "2819c223"]"#,
        "members[$ref pr].$ref",
    ] {
        assert_eq!(path(text).to_string(), text);
    }
    assert_eq!(
        path(r#"  emails[TYPE EQ "work"].value "#).to_string(),
        r#"emails[TYPE eq "work"].value"#
    );
}

#[test]
fn a_filter_is_not_a_patch_path() {
    let (position, message) = error(r#"userName eq "x""#);
    assert_eq!(position, 10);
    assert!(
        message.contains("expected the end of the path, found `eq`"),
        "{message}"
    );
    let (position, message) = error(r#"emails[type eq "work"].value eq "x""#);
    assert_eq!(position, 30);
    assert!(message.contains("only `.subAttr` may follow"), "{message}");
    let (position, _) = error(r#"members[value eq "x"] or x pr"#);
    assert_eq!(position, 23);
}

#[test]
fn patch_path_errors_point_at_the_offending_character() {
    assert_eq!(error("name."), (5, "expected a sub-attribute name after `.`".into()));
    assert_eq!(error(r#"emails[type eq "work"]."#).0, 23);
    assert!(
        error(r#"emails[type eq "work"]."#)
            .1
            .contains("sub-attribute name after `.`")
    );
    assert_eq!(error("name..givenName").0, 6);
    assert_eq!(error("name.givenName.x").0, 15);
    assert_eq!(error("1name").0, 1);
    assert_eq!(error("").0, 1);
    assert!(error("").1.contains("expected a PATCH path, found an empty string"));
    assert_eq!(error("   ").0, 4);
    assert_eq!(error(r#"emails[type eq "work""#).0, 7);
    assert_eq!(error(r#"emails.value[type eq "work"]"#).0, 13);
    assert_eq!(error(r#"emails[type[value pr] eq "work"]"#).0, 12);
    assert_eq!(error("urn:x:").0, 6);
    assert_eq!(error("(userName)").0, 1);
    assert_eq!(error("name..givenName").0, 6);
    assert_eq!(error(r#"emails[] "#).0, 8);
}

#[test]
fn attribute_paths_parse_alone() {
    assert_eq!(
        parse_attr_path("name.givenName").unwrap(),
        AttrPath::sub("name", "givenName")
    );
    assert_eq!(
        parse_attr_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").unwrap(),
        AttrPath::new("department").with_urn(ENTERPRISE_USER)
    );
    let e = parse_attr_path(r#"emails[type eq "work"]"#).unwrap_err();
    assert_eq!(e.position, 7);
    assert!(
        e.message.contains("expected the end of the path, found `[`"),
        "{}",
        e.message
    );
}

#[test]
fn the_pre_2018_dotted_extension_form_splits_at_the_last_colon() {
    assert_eq!(
        parse_attr_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department").unwrap(),
        AttrPath::sub("User", "department").with_urn("urn:ietf:params:scim:schemas:extension:enterprise:2.0")
    );
}
