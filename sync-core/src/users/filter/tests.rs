#![allow(clippy::unwrap_used)]

use idsync_storage::query::{ChildColumn, CompareOp, Literal, MultiValuedAttr, Predicate, UserColumn, UserPredicate};

use super::compile_user_filter;
use crate::error::{CoreError, ScimType};
use crate::scim::FilterLimits;

fn compiled(f: &str) -> UserPredicate {
    compile_user_filter(f, &FilterLimits::DEFAULT).unwrap()
}

fn refused(f: &str) -> String {
    match compile_user_filter(f, &FilterLimits::DEFAULT).unwrap_err() {
        CoreError::Invalid {
            scim_type: ScimType::InvalidFilter,
            detail,
        } => detail,
        other => panic!("expected invalidFilter for {f}, got {other:?}"),
    }
}

fn cmp<C>(column: C, op: CompareOp, value: Literal, case_exact: bool) -> Predicate<C> {
    Predicate::Compare {
        column,
        op,
        value,
        case_exact,
    }
}

#[test]
fn the_entra_probe_compiles_to_a_case_insensitive_username_match() {
    assert_eq!(
        compiled("userName eq \"7d420df3-9995-4831-a406-ecf8166f5f6a\""),
        UserPredicate::Row(cmp(
            UserColumn::UserName,
            CompareOp::Eq,
            Literal::Text("7d420df3-9995-4831-a406-ecf8166f5f6a".into()),
            false
        ))
    );
}

#[test]
fn attribute_names_in_any_case_resolve_and_external_id_is_case_exact() {
    assert_eq!(
        compiled("EXTERNALID eq \"Ada\""),
        UserPredicate::Row(cmp(
            UserColumn::ExternalId,
            CompareOp::Eq,
            Literal::Text("Ada".into()),
            true
        ))
    );
}

#[test]
fn booleans_and_datetimes_become_typed_literals() {
    assert_eq!(
        compiled("active eq false"),
        UserPredicate::Row(cmp(UserColumn::Active, CompareOp::Eq, Literal::Bool(false), false))
    );
    assert_eq!(
        compiled("meta.lastModified gt \"2011-05-13T04:42:34Z\""),
        UserPredicate::Row(cmp(
            UserColumn::LastModified,
            CompareOp::Gt,
            Literal::Timestamp(1_305_261_754_000_000),
            false
        ))
    );
}

#[test]
fn multi_valued_filters_become_child_predicates() {
    assert_eq!(
        compiled("emails[type eq \"work\" and value co \"@contoso.com\"]"),
        UserPredicate::AnyChild(
            MultiValuedAttr::Emails,
            Predicate::And(
                Box::new(cmp(
                    ChildColumn::Type,
                    CompareOp::Eq,
                    Literal::Text("work".into()),
                    false
                )),
                Box::new(cmp(
                    ChildColumn::Value,
                    CompareOp::Contains,
                    Literal::Text("@contoso.com".into()),
                    false
                )),
            )
        )
    );
    assert_eq!(
        compiled("emails co \"@x\""),
        UserPredicate::AnyChild(
            MultiValuedAttr::Emails,
            cmp(
                ChildColumn::Value,
                CompareOp::Contains,
                Literal::Text("@x".into()),
                false
            )
        )
    );
    assert_eq!(
        compiled("phoneNumbers pr"),
        UserPredicate::AnyChild(MultiValuedAttr::PhoneNumbers, Predicate::Const(true))
    );
}

#[test]
fn logical_operators_keep_their_structure() {
    let p = compiled("not (title pr) or userName sw \"a\" and active eq true");
    let UserPredicate::Or(left, right) = p else {
        panic!("expected or")
    };
    assert!(matches!(*left, UserPredicate::Not(_)));
    assert!(matches!(*right, UserPredicate::And(_, _)));
}

#[test]
fn enterprise_attributes_need_and_accept_their_urn() {
    assert_eq!(
        compiled("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"R&D\""),
        UserPredicate::Row(cmp(
            UserColumn::Department,
            CompareOp::Eq,
            Literal::Text("R&D".into()),
            false
        ))
    );
}

#[test]
fn an_empty_filter_selects_every_user() {
    assert_eq!(compiled("  "), UserPredicate::all());
}

#[test]
fn unknown_or_unfilterable_attributes_and_wrong_types_are_invalid_filters() {
    assert!(refused("shoeSize eq \"42\"").contains("shoeSize"));
    assert!(refused("password eq \"x\"").contains("password"));
    refused("name eq \"x\"");
    refused("active eq \"yes\"");
    refused("active co true");
    refused("meta.created gt \"last tuesday\"");
    refused("emails[shoe eq \"x\"]");
    refused("userName gt 42");
}

#[test]
fn syntax_errors_carry_their_position() {
    let detail = refused("userName eq");
    assert!(detail.contains("character"), "{detail}");
}

#[test]
fn group_membership_filters_test_the_users_membership_rows() {
    use idsync_storage::query::MemberColumn;
    let in_group = UserPredicate::AnyGroup(cmp(
        MemberColumn::GroupId,
        CompareOp::Eq,
        Literal::Text("g1".into()),
        true,
    ));
    for f in ["groups.value eq \"g1\"", "groups eq \"g1\"", "GROUPS[value eq \"g1\"]"] {
        assert_eq!(compiled(f), in_group, "{f}");
    }
    assert_eq!(compiled("groups pr"), UserPredicate::AnyGroup(Predicate::Const(true)));
    assert!(refused("groups.display eq \"Eng\"").contains("cannot be used in a filter"));
    assert!(refused("groups.nope eq \"x\"").contains("unknown attribute"));
}
