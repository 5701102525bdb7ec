//! Aggregates over one tenant: counts, the last use of its tokens, its newest and failed
//! log entries. Each case puts a second tenant beside the first to show that nothing of
//! it is counted.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

use super::{count_statements, group, new_id, tenant, text, tick, user};
use crate::conn::TxMode;
use crate::query::{CompareOp, GroupColumn, GroupPredicate, Literal, Predicate, UserColumn};
use crate::records::{ResourceType, Scope, TokenRecord, UserRecord};
use crate::{AttributeNames, FailureCount, LogOperation, LogOutcome, LogRecord, ScopeCount, Store, UserCounts};

crate::tests::on_both_backends! {
    users_active_users_and_groups_are_counted_per_tenant,
    scope_counts_leave_out_marked_resources_and_count_those_a_predicate_admits,
    the_last_use_of_a_scope_spans_revoked_tokens_of_the_tenant_only,
    the_newest_entry_by_scope_skips_other_scopes_and_tenants,
    failures_since_an_instant_are_grouped_by_scim_type_most_frequent_first,
}

fn token(tenant_id: &str, scope: Scope, last_used_us: Option<i64>) -> TokenRecord {
    TokenRecord {
        id: new_id(),
        tenant_id: tenant_id.to_owned(),
        scope,
        secret_hash: new_id(),
        label: scope.as_str().to_owned(),
        created_us: tick(),
        expires_us: None,
        last_used_us,
        revoked_us: None,
    }
}

fn entry(tenant_id: &str, at_us: i64, token_id: Option<&str>, failed_with: Option<Option<&str>>) -> LogRecord {
    LogRecord {
        tenant_id: tenant_id.into(),
        id: new_id(),
        at_us,
        token_id: token_id.map(str::to_owned),
        operation: LogOperation::Create,
        resource_type: ResourceType::User,
        resource_id: None,
        outcome: if failed_with.is_some() {
            LogOutcome::Failure
        } else {
            LogOutcome::Success
        },
        grpc_code: None,
        http_status: None,
        scim_type: failed_with.flatten().map(str::to_owned),
        detail: None,
        attributes: AttributeNames::default(),
        request_id: None,
        trace_id: None,
    }
}

fn insert_users(store: &Store, users: &[UserRecord]) {
    store
        .write(|tx| users.iter().try_for_each(|u| tx.insert_user(u)))
        .unwrap();
}

fn users_active_users_and_groups_are_counted_per_tenant(store: &Store) {
    let t = tenant(store, "contoso");
    let other = tenant(store, "fabrikam");
    let inactive = |name: &str, active: Option<bool>| UserRecord {
        active,
        ..user(&t, name)
    };
    let bob = user(&t, "bob");
    insert_users(
        store,
        &[
            user(&t, "ada"),
            bob.clone(),
            inactive("cyd", Some(false)),
            inactive("dee", None),
            user(&other, "eve"),
        ],
    );
    store
        .write(|tx| {
            tx.insert_group(&group(&t, "Engineering"))?;
            tx.insert_group(&group(&other, "Sales"))?;
            tx.insert_group(&group(&other, "Legal"))
        })
        .unwrap();
    let (users, groups) = store
        .read(|tx| Ok((tx.count_users(&t)?, tx.count_groups(&t)?)))
        .unwrap();
    assert_eq!(users, UserCounts { users: 4, active: 2 });
    assert_eq!(groups, 1);
    // Every user and the inactive ones, two index ranges: BEGIN, two counts, COMMIT.
    let (counted, statements) = count_statements(store, TxMode::Read, |tx| tx.count_users(&t));
    assert_eq!((counted, statements), (users, 4));
    // A deactivation moves a user from one count to the other.
    store
        .write(|tx| {
            let deactivated = UserRecord {
                active: Some(false),
                version: bob.version + 1,
                ..bob.clone()
            };
            tx.update_user(&deactivated, bob.version)
        })
        .unwrap();
    let users = store.read(|tx| tx.count_users(&t)).unwrap();
    assert_eq!(users, UserCounts { users: 4, active: 1 });
    let empty = tenant(store, "empty");
    let (users, groups) = store
        .read(|tx| Ok((tx.count_users(&empty)?, tx.count_groups(&empty)?)))
        .unwrap();
    assert_eq!((users, groups), (UserCounts::default(), 0));
}

fn scope_counts_leave_out_marked_resources_and_count_those_a_predicate_admits(store: &Store) {
    let t = tenant(store, "contoso");
    let other = tenant(store, "fabrikam");
    let marked = UserRecord {
        out_of_scope: true,
        active: Some(false),
        ..user(&t, "gone@contoso.com")
    };
    insert_users(
        store,
        &[
            user(&t, "ada@contoso.com"),
            user(&t, "bob@contoso.com"),
            user(&t, "cyd@fabrikam.com"),
            marked,
            user(&other, "eve@contoso.com"),
        ],
    );
    let engineering = group(&t, "Engineering");
    let sales = group(&t, "Sales");
    store
        .write(|tx| {
            tx.insert_group(&engineering)?;
            tx.insert_group(&sales)?;
            tx.insert_group(&group(&t, "Legal"))?;
            tx.insert_group(&group(&other, "Engineering"))?;
            tx.set_group_scope(&t, &sales.id, true)
        })
        .unwrap();
    let contoso = text(UserColumn::UserName, CompareOp::EndsWith, "@contoso.com");
    let named_engineering = GroupPredicate::Row(Predicate::Compare {
        column: GroupColumn::DisplayName,
        op: CompareOp::Eq,
        value: Literal::Text("engineering".into()),
        case_exact: false,
    });
    let (users, all_users, groups, all_groups) = store
        .read(|tx| {
            Ok((
                tx.count_users_in_scope(&t, Some(&contoso))?,
                tx.count_users_in_scope(&t, None)?,
                tx.count_groups_in_scope(&t, Some(&named_engineering))?,
                tx.count_groups_in_scope(&t, None)?,
            ))
        })
        .unwrap();
    assert_eq!(
        users,
        ScopeCount {
            in_scope: 3,
            admitted: 2
        }
    );
    assert_eq!(users.leaving(), 1);
    assert_eq!(
        all_users,
        ScopeCount {
            in_scope: 3,
            admitted: 3
        }
    );
    assert_eq!(all_users.leaving(), 0);
    assert_eq!(
        groups,
        ScopeCount {
            in_scope: 2,
            admitted: 1
        }
    );
    assert_eq!(
        all_groups,
        ScopeCount {
            in_scope: 2,
            admitted: 2
        }
    );
}

fn the_last_use_of_a_scope_spans_revoked_tokens_of_the_tenant_only(store: &Store) {
    let t = tenant(store, "contoso");
    let other = tenant(store, "fabrikam");
    assert_eq!(store.read(|tx| tx.last_token_use(&t, Scope::Scim)).unwrap(), None);
    let revoked = token(&t, Scope::Scim, Some(3_000));
    for tok in [
        token(&t, Scope::Scim, Some(2_000)),
        token(&t, Scope::Scim, None),
        revoked.clone(),
        token(&t, Scope::Admin, Some(9_000)),
        token(&other, Scope::Scim, Some(8_000)),
    ] {
        store.insert_token(&tok).unwrap();
    }
    store.revoke_token(Some(&t), &revoked.id, 4_000).unwrap();
    let (scim, read, admin) = store
        .read(|tx| {
            Ok((
                tx.last_token_use(&t, Scope::Scim)?,
                tx.last_token_use(&t, Scope::Read)?,
                tx.last_token_use(&t, Scope::Admin)?,
            ))
        })
        .unwrap();
    assert_eq!((scim, read, admin), (Some(3_000), None, Some(9_000)));
}

fn the_newest_entry_by_scope_skips_other_scopes_and_tenants(store: &Store) {
    let t = tenant(store, "contoso");
    let other = tenant(store, "fabrikam");
    let scim = token(&t, Scope::Scim, None);
    let admin = token(&t, Scope::Admin, None);
    let theirs = token(&other, Scope::Scim, None);
    for tok in [&scim, &admin, &theirs] {
        store.insert_token(tok).unwrap();
    }
    assert_eq!(
        store.read(|tx| tx.newest_log_entry_by_scope(&t, Scope::Scim)).unwrap(),
        None
    );
    let older = entry(&t, 1_000, Some(&scim.id), None);
    let newest = entry(&t, 2_000, Some(&scim.id), Some(Some("uniqueness")));
    for e in [
        older,
        newest.clone(),
        entry(&t, 3_000, Some(&admin.id), None),
        entry(&t, 4_000, None, None),
        entry(&other, 5_000, Some(&theirs.id), None),
    ] {
        store.insert_log_entry(&e).unwrap();
    }
    let found = store.read(|tx| tx.newest_log_entry_by_scope(&t, Scope::Scim)).unwrap();
    assert_eq!(found, Some(newest));
}

fn failures_since_an_instant_are_grouped_by_scim_type_most_frequent_first(store: &Store) {
    let t = tenant(store, "contoso");
    let other = tenant(store, "fabrikam");
    let failed = |at: i64, scim_type: Option<&str>| entry(&t, at, None, Some(scim_type));
    for e in [
        failed(500, Some("uniqueness")), // before the window
        failed(1_000, Some("invalidValue")),
        failed(1_100, Some("uniqueness")),
        failed(1_200, None),
        failed(1_300, Some("uniqueness")),
        failed(1_400, None),
        failed(1_500, Some("invalidFilter")),
        entry(&t, 1_600, None, None), // a success
        entry(&other, 1_700, None, Some(Some("invalidValue"))),
    ] {
        store.insert_log_entry(&e).unwrap();
    }
    let failures = store.read(|tx| tx.failures_since(&t, 1_000)).unwrap();
    let count = |scim_type: Option<&str>, count: u64| FailureCount {
        scim_type: scim_type.map(str::to_owned),
        count,
    };
    assert_eq!(
        failures,
        [
            count(None, 2),
            count(Some("uniqueness"), 2),
            count(Some("invalidFilter"), 1),
            count(Some("invalidValue"), 1),
        ]
    );
    assert!(store.read(|tx| tx.failures_since(&t, 2_000)).unwrap().is_empty());
}
