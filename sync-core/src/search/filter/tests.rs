#![allow(clippy::unwrap_used)]

use idsync_storage::query::{GroupPredicate, Predicate, UserPredicate};

use super::{RootFilter, compile_root_filter};
use crate::error::{CoreError, ScimType};
use crate::groups::filter::compile_group_filter;
use crate::scim::FilterLimits;
use crate::users::filter::compile_user_filter;

fn root(text: &str) -> RootFilter {
    compile_root_filter(text, &FilterLimits::DEFAULT).unwrap()
}

fn users(text: &str) -> Option<UserPredicate> {
    Some(compile_user_filter(text, &FilterLimits::DEFAULT).unwrap())
}

fn groups(text: &str) -> Option<GroupPredicate> {
    Some(compile_group_filter(text, &FilterLimits::DEFAULT).unwrap())
}

fn refused(text: &str) -> String {
    match compile_root_filter(text, &FilterLimits::DEFAULT).unwrap_err() {
        CoreError::Invalid {
            scim_type: ScimType::InvalidFilter,
            detail,
        } => detail,
        other => panic!("expected invalidFilter for {text}, got {other:?}"),
    }
}

#[test]
fn no_filter_selects_every_user_and_every_group() {
    for text in ["", "   "] {
        assert_eq!(
            root(text),
            RootFilter {
                users: Some(UserPredicate::all()),
                groups: Some(GroupPredicate::all()),
            }
        );
    }
}

#[test]
fn a_filter_both_types_define_is_what_each_list_would_apply() {
    for text in [
        r#"displayName eq "Ops""#,
        r#"not (displayName sw "a") and (meta.created gt "2020-01-01T00:00:00Z" or externalId pr)"#,
    ] {
        assert_eq!(
            root(text),
            RootFilter {
                users: users(text),
                groups: groups(text),
            },
            "{text}"
        );
    }
    // The same filter up to a double negation, which the split cancels.
    let doubled = root(r#"id eq "x" or not (not (meta.lastModified le "2030-01-01T00:00:00Z"))"#);
    let plain = r#"id eq "x" or meta.lastModified le "2030-01-01T00:00:00Z""#;
    assert_eq!(
        doubled,
        RootFilter {
            users: users(plain),
            groups: groups(plain),
        }
    );
}

#[test]
fn an_attribute_of_one_type_selects_nothing_of_the_other_even_negated() {
    for text in [
        r#"userName eq "ada""#,
        r#"not (userName eq "ada")"#,
        "emails[type eq \"work\"]",
    ] {
        let RootFilter { users: u, groups: g } = root(text);
        assert_eq!((u, g), (users(text), None), "{text}");
    }
    for text in ["members pr", r#"not (members.value eq "u1")"#] {
        let RootFilter { users: u, groups: g } = root(text);
        assert_eq!((u, g), (None, groups(text)), "{text}");
    }
}

#[test]
fn or_keeps_the_side_a_type_defines_and_and_needs_both() {
    let text = r#"userName sw "a" or displayName sw "a""#;
    assert_eq!(
        root(text),
        RootFilter {
            users: users(text),
            groups: groups(r#"displayName sw "a""#),
        }
    );
    let text = r#"displayName eq "Ops" and userName eq "ada""#;
    assert_eq!(root(text).groups, None);
    // not (unknown and false) is true; not (unknown or false) stays unknown.
    assert_eq!(
        root(r#"not (userName eq "ada" and displayName eq "Ops")"#).groups,
        groups(r#"not (displayName eq "Ops")"#)
    );
    assert_eq!(root(r#"not (userName eq "ada" or displayName eq "Ops")"#).groups, None);
    assert_eq!(
        root(r#"userName eq "ada" and members pr"#),
        RootFilter {
            users: None,
            groups: None
        },
        "each attribute is defined somewhere, so it is a valid filter that selects nothing"
    );
}

#[test]
fn the_resource_type_splits_the_result_by_meta() {
    let RootFilter { users, groups } = root(r#"meta.resourceType eq "Group""#);
    assert_eq!(users, Some(UserPredicate::Row(Predicate::Const(false))));
    assert_eq!(groups, Some(GroupPredicate::Row(Predicate::Const(true))));
}

#[test]
fn a_filter_no_type_can_read_is_invalid() {
    assert!(
        refused("userName eq").contains("character"),
        "a syntax error says where"
    );
    for text in ["shoeSize eq 1", "members.nope eq \"x\"", "urn:example:Thing:attr pr"] {
        assert!(refused(text).contains("neither Users nor Groups"), "{text}");
    }
    // Misused where it is defined: refused even where the rest could not match anyway.
    for text in [
        r#"meta.created gt "yesterday""#,
        r#"members pr and name.givenName eq 5"#,
        r#"userName eq "a" or password eq "x""#,
        r#"displayName eq "Ops" or shoeSize pr"#,
    ] {
        refused(text);
    }
}
