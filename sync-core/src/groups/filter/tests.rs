#![allow(clippy::unwrap_used)]

use idsync_storage::query::{CompareOp, GroupColumn, GroupPredicate, Literal, MemberColumn, Predicate};

use super::{compile_group_filter, group_sort_key};
use crate::error::{CoreError, ScimType};
use crate::scim::FilterLimits;

fn compiled(f: &str) -> GroupPredicate {
    compile_group_filter(f, &FilterLimits::DEFAULT).unwrap()
}

fn refused(f: &str) -> String {
    match compile_group_filter(f, &FilterLimits::DEFAULT).unwrap_err() {
        CoreError::Invalid {
            scim_type: ScimType::InvalidFilter,
            detail,
        } => detail,
        other => panic!("expected invalidFilter for {f}, got {other:?}"),
    }
}

fn text<C>(column: C, value: &str, case_exact: bool) -> Predicate<C> {
    Predicate::Compare {
        column,
        op: CompareOp::Eq,
        value: Literal::Text(value.into()),
        case_exact,
    }
}

#[test]
fn the_entra_group_lookup_matches_display_name_ignoring_case() {
    assert_eq!(
        compiled("displayName eq \"Engineering\""),
        GroupPredicate::Row(text(GroupColumn::DisplayName, "Engineering", false))
    );
}

#[test]
fn the_three_membership_check_shapes_test_the_members_rows() {
    let member = GroupPredicate::AnyMember(text(MemberColumn::MemberId, "u1", true));
    let by_id = GroupPredicate::Row(text(GroupColumn::Id, "g1", true));
    assert_eq!(
        compiled("id eq \"g1\" and members[value eq \"u1\"]"),
        GroupPredicate::And(Box::new(by_id.clone()), Box::new(member.clone()))
    );
    assert_eq!(compiled("members eq \"u1\""), member);
    assert_eq!(compiled("MEMBERS.value eq \"u1\""), member);
    assert_eq!(
        compiled("members[type eq \"Group\"]"),
        GroupPredicate::AnyMember(text(MemberColumn::MemberType, "Group", false))
    );
    assert_eq!(
        compiled("members pr"),
        GroupPredicate::AnyMember(Predicate::Const(true))
    );
}

#[test]
fn group_meta_and_external_id_compile_with_their_types() {
    assert_eq!(
        compiled("externalId eq \"AbC\""),
        GroupPredicate::Row(text(GroupColumn::ExternalId, "AbC", true))
    );
    assert_eq!(
        compiled("meta.lastModified gt \"1970-01-01T00:00:01Z\""),
        GroupPredicate::Row(Predicate::Compare {
            column: GroupColumn::LastModified,
            op: CompareOp::Gt,
            value: Literal::Timestamp(1_000_000),
            case_exact: false,
        })
    );
    assert_eq!(
        compiled("meta.resourceType eq \"group\""),
        GroupPredicate::Row(Predicate::Const(true))
    );
    assert_eq!(
        compiled("meta.resourceType eq \"User\""),
        GroupPredicate::Row(Predicate::Const(false))
    );
}

#[test]
fn unknown_or_unfilterable_group_attributes_are_invalid_filters() {
    for (filter, says) in [
        ("userName eq \"x\"", "unknown attribute"),
        ("members.display eq \"Ada\"", "cannot be used in a filter"),
        ("members.$ref eq \"x\"", "cannot be used in a filter"),
        ("members[primary eq true]", "no sub-attribute"),
        ("displayName[value eq \"x\"]", "not a multi-valued attribute"),
        ("meta.created eq \"yesterday\"", "RFC 3339"),
        ("displayName eq", "expected a value"),
    ] {
        let detail = refused(filter);
        assert!(detail.contains(says), "{filter}: {detail}");
    }
}

#[test]
fn groups_sort_by_their_singular_attributes_only() {
    assert!(group_sort_key("", 0).unwrap().is_none());
    let key = group_sort_key("displayName", 2).unwrap().unwrap();
    assert_eq!((key.column, key.descending), (GroupColumn::DisplayName, true));
    assert!(group_sort_key("members", 0).is_err());
    assert!(group_sort_key("meta.location", 0).is_err());
}
