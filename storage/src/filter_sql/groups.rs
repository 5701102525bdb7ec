//! The group half of the predicate compiler: [`GroupPredicate`] → one condition over
//! `groups`, and membership tests as `EXISTS` over `group_members`, both for a group
//! (`members[value eq "u"]`) and for a user (`groups.value eq "g"`).
//!
//! Every membership subquery is correlated on `tenant_id` as well as on the id, so it
//! uses the primary key `(tenant_id, group_id, member_id)` or the index
//! `(tenant_id, member_id)`, and can never see another tenant's rows.

use diesel::dsl::{not, sql};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer};

use super::{Column, Cond, Exists, Norm, TextExpr, compile_row};
use crate::conn::MultiBackend;
use crate::error::StorageError;
use crate::query::{GroupColumn, GroupPredicate, MemberColumn, Predicate};
use crate::records::{MemberType, normalize_group_display_name};
use crate::schema::{group_members, groups, users};

/// The SQL of a `groups` column.
pub(crate) fn group_column(column: GroupColumn) -> Column<groups::table> {
    use groups as g;
    match column {
        GroupColumn::Id => Column::Text {
            column: || Box::new(g::id.nullable()),
            nullable: false,
            norm: None,
            fold_for_sort: false,
        },
        GroupColumn::ExternalId => Column::Text {
            column: || Box::new(g::external_id),
            nullable: true,
            norm: None,
            fold_for_sort: true,
        },
        GroupColumn::DisplayName => Column::Text {
            column: || Box::new(g::display_name.nullable()),
            nullable: false,
            norm: Some(Norm {
                column: || Box::new(g::display_name_norm.nullable()),
                fold: normalize_group_display_name,
            }),
            fold_for_sort: true,
        },
        GroupColumn::Created => Column::Timestamp(|| Box::new(g::created_us)),
        GroupColumn::LastModified => Column::Timestamp(|| Box::new(g::last_modified_us)),
    }
}

/// The SQL of a `group_members` column; all are NOT NULL, ids need no folding to sort.
fn member_column(column: MemberColumn) -> Column<group_members::table> {
    use group_members as m;
    let (column, fold_for_sort): (fn() -> TextExpr<group_members::table>, bool) = match column {
        MemberColumn::GroupId => (|| Box::new(m::group_id.nullable()), false),
        MemberColumn::MemberId => (|| Box::new(m::member_id.nullable()), false),
        MemberColumn::MemberType => (|| Box::new(m::member_type.nullable()), true),
    };
    Column::Text {
        column,
        nullable: false,
        norm: None,
        fold_for_sort,
    }
}

/// Compiles a group predicate into one condition over `groups`.
pub(crate) fn compile_group(predicate: &GroupPredicate) -> Result<Cond<groups::table>, StorageError> {
    Ok(match predicate {
        GroupPredicate::Row(p) => compile_row(p, &group_column)?,
        GroupPredicate::AnyMember(p) => any_member(p)?,
        GroupPredicate::And(a, b) => Box::new(compile_group(a)?.and(compile_group(b)?)),
        GroupPredicate::Or(a, b) => Box::new(compile_group(a)?.or(compile_group(b)?)),
        GroupPredicate::Not(p) => Box::new(not(compile_group(p)?)),
    })
}

/// `EXISTS` over the group's own membership rows.
fn any_member(predicate: &Predicate<MemberColumn>) -> Result<Cond<groups::table>, StorageError> {
    let subquery = group_members::table
        .into_boxed::<MultiBackend>()
        .select(sql::<Integer>("1"))
        .filter(sql::<Bool>(
            "group_members.tenant_id = groups.tenant_id AND group_members.group_id = groups.id",
        ))
        .filter(compile_row(predicate, &member_column)?);
    Ok(Box::new(Exists(Box::new(subquery))))
}

/// `EXISTS` over the membership rows in which the user is the member.
pub(super) fn any_group(predicate: &Predicate<MemberColumn>) -> Result<Cond<users::table>, StorageError> {
    let subquery = group_members::table
        .into_boxed::<MultiBackend>()
        .select(sql::<Integer>("1"))
        .filter(sql::<Bool>(
            "group_members.tenant_id = users.tenant_id AND group_members.member_id = users.id",
        ))
        .filter(group_members::member_type.eq(MemberType::User.as_str()))
        .filter(compile_row(predicate, &member_column)?);
    Ok(Box::new(Exists(Box::new(subquery))))
}
