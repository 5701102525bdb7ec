//! How SQLite plans the reads of the admin console's pages, once the upkeep task has
//! analyzed the tables (`crate::statistics`): each is a range of an index, not a pass
//! over the tenant's users or log. The plans are read from the SQL the store sends.

use super::feed::entry as log_entry;
use super::sqlite_build::{query_plan, statements};
use super::{tenant, user};
use crate::test_util::TestDb;
use crate::{Store, StoreOptions};

/// The admin console's search by name: `displayName`, `name.givenName` and
/// `name.familyName` starting with the text, in one `or`. Once the statistics are fresh
/// (the store's upkeep keeps them so, `crate::statistics`), SQLite answers it as one
/// range of each name's folded index, not as a pass over the tenant's users, and the
/// answer is the same case-insensitive one.
#[test]
fn a_search_by_name_is_a_range_of_each_folded_name_index_once_analyzed() {
    use crate::query::{CompareOp, UserColumn, UserPredicate};

    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    let other = tenant(&store, "other");
    let named = |tenant: &str, i: usize, given: &str, family: &str| {
        let mut u = user(tenant, &format!("user{i}@contoso.com"));
        u.name_given_name = Some(given.to_owned());
        u.name_family_name = Some(family.to_owned());
        u.display_name = Some(format!("{given} {family}"));
        u
    };
    store
        .write(|tx| {
            for i in 0..400 {
                tx.insert_user(&named(&t, i, &format!("Given{i}"), &format!("Family{i}")))?;
            }
            tx.insert_user(&named(&t, 400, "Åsa", "Öberg"))?;
            tx.insert_user(&named(&t, 401, "Olof", "ÅSTRÖM"))?;
            tx.insert_user(&named(&other, 402, "Åsa", "Other-tenant"))?;
            Ok::<_, crate::StorageError>(())
        })
        .expect("insert");
    let analyzed = store.refresh_statistics().expect("refresh");
    assert!(analyzed.contains(&"users"), "{analyzed:?}");
    let again = store.refresh_statistics().expect("refresh again");
    assert!(
        !again.contains(&"users"),
        "nothing changed, yet analyzed again: {again:?}"
    );

    let by_name = |text: &str| {
        let any = |column| Box::new(super::text(column, CompareOp::StartsWith, text));
        UserPredicate::Or(
            any(UserColumn::DisplayName),
            Box::new(UserPredicate::Or(
                any(UserColumn::NameGivenName),
                any(UserColumn::NameFamilyName),
            )),
        )
    };
    let found = |text: &str| {
        let query = crate::records::UserQuery {
            predicate: by_name(text),
            ..crate::records::UserQuery::all(100)
        };
        let page = store.read(|tx| tx.list_users(&t, &query)).expect("list");
        let mut names: Vec<String> = page.users.into_iter().map(|u| u.user_name).collect();
        names.sort();
        (page.total, names)
    };
    assert_eq!(
        found("åS"),
        (
            2,
            vec!["user400@contoso.com".to_owned(), "user401@contoso.com".to_owned()]
        )
    );
    let mut family39: Vec<String> = (39..40)
        .chain(390..400)
        .map(|i| format!("user{i}@contoso.com"))
        .collect();
    family39.sort();
    assert_eq!(found("family39"), (11, family39));
    assert_eq!(found("GIVEN7 FAMILY7"), (1, vec!["user7@contoso.com".to_owned()]));

    let sql = statements(&store)
        .into_iter()
        .find(|s| s.sql.contains("name_family_name_norm") && s.sql.contains("LIMIT"))
        .expect("the listing's statement")
        .sql;
    let plan = query_plan(&store, &sql);
    for index in [
        "users_display_name_norm_idx",
        "users_given_name_norm_idx",
        "users_family_name_norm_idx",
    ] {
        assert!(
            plan.iter()
                .any(|step| step.contains(index) && step.contains("_norm>? AND")),
            "{index} is not searched by range: {plan:#?}"
        );
    }
}

/// A resource's history, newest first, is a backwards range of
/// `provisioning_log_resource_idx`: it costs the same however long the tenant's log
/// is, where the log's own key would be walked from the newest entry until enough of
/// the resource's turned up.
#[test]
fn a_resources_history_is_a_range_of_the_log_by_resource_index() {
    use crate::log::LogQuery;

    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    store
        .write(|tx| {
            for n in 0..3000 {
                let resource = if n % 1000 == 7 {
                    "old-user".to_owned()
                } else {
                    format!("user{}", n % 50)
                };
                tx.insert_log_entry(&log_entry(&t, &format!("e{n:05}"), 1_000_000 + n, "success", &resource))?;
            }
            Ok::<_, crate::StorageError>(())
        })
        .expect("insert");
    store.refresh_statistics().expect("analyze");

    let history = store
        .list_log(
            &t,
            &LogQuery {
                resource_id: Some("old-user".into()),
                limit: 50,
                ..LogQuery::default()
            },
        )
        .expect("history");
    let ids: Vec<&str> = history.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e02007", "e01007", "e00007"]);

    let sql = statements(&store)
        .into_iter()
        .find(|s| s.sql.contains("provisioning_log") && s.sql.contains("resource_id") && s.sql.starts_with("SELECT"))
        .expect("the history's statement")
        .sql;
    let plan = query_plan(&store, &sql);
    assert!(
        plan.iter()
            .any(|step| step.contains("provisioning_log_resource_idx (tenant_id=? AND resource_id=?)")),
        "{plan:#?}"
    );
    assert!(
        !plan.iter().any(|step| step.contains("TEMP B-TREE")),
        "sorted after reading: {plan:#?}"
    );
}

/// The overview's counts of users read two indexes and no user row: every user from a
/// covering index of the tenant's range, the inactive ones from `users_inactive_idx`.
#[test]
fn the_users_are_counted_from_indexes_not_from_their_rows() {
    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    store
        .write(|tx| {
            for i in 0..300 {
                let mut u = user(&t, &format!("user{i}@contoso.com"));
                u.active = match i % 3 {
                    0 => Some(true),
                    1 => Some(false),
                    _ => None,
                };
                tx.insert_user(&u)?;
            }
            Ok::<_, crate::StorageError>(())
        })
        .expect("insert");
    store.refresh_statistics().expect("analyze");
    // Planned from the two statements `count_users` sends, read as they went out.
    let (counts, sent) = super::sent_statements(&store, |tx| tx.count_users(&t));
    assert_eq!(
        counts,
        crate::UserCounts {
            users: 300,
            active: 100
        }
    );
    let counts: Vec<&String> = sent
        .iter()
        .filter(|s| s.starts_with("SELECT COUNT(*) FROM `users`"))
        .collect();
    assert_eq!(counts.len(), 2, "{sent:#?}");
    let (inactive, all): (Vec<&String>, Vec<&String>) = counts.into_iter().partition(|s| s.contains("IS NOT TRUE"));
    let inactive = query_plan(&store, inactive.first().expect("the count of the inactive"));
    assert!(
        inactive.iter().any(|s| s.contains("users_inactive_idx")),
        "{inactive:#?}"
    );
    let all = query_plan(&store, all.first().expect("the count of every user"));
    assert!(all.iter().any(|s| s.contains("COVERING INDEX")), "{all:#?}");
}

/// A match on a multi-valued attribute, `emails.value sw "…"`, is on SQLite a list of
/// user ids built once from a range of `user_values_value_idx`, and the users are then
/// sought by key: not a subquery run once per user of the tenant. Its negation keeps
/// the users without such a value, including those without any email.
#[test]
fn an_email_match_is_a_range_of_the_values_index_not_a_subquery_per_user() {
    use crate::query::{CompareOp, MultiValuedAttr, UserPredicate};

    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    let other = tenant(&store, "other");
    store
        .write(|tx| {
            for i in 0..300 {
                let mut u = user(&t, &format!("user{i}@contoso.com"));
                if i % 100 != 99 {
                    u.children
                        .push(super::email(&format!("Person{i}@Contoso.com"), "work", true));
                }
                tx.insert_user(&u)?;
            }
            let mut elsewhere = user(&other, "user1@contoso.com");
            elsewhere
                .children
                .push(super::email("person1@contoso.com", "work", true));
            tx.insert_user(&elsewhere)?;
            Ok::<_, crate::StorageError>(())
        })
        .expect("insert");
    store.refresh_statistics().expect("analyze");

    let emails_sw = |text: &str| {
        UserPredicate::AnyChild(
            MultiValuedAttr::Emails,
            crate::query::Predicate::Compare {
                column: crate::query::ChildColumn::Value,
                op: CompareOp::StartsWith,
                value: crate::query::Literal::Text(text.to_owned()),
                case_exact: false,
            },
        )
    };
    let total = |predicate: UserPredicate| {
        let query = crate::records::UserQuery {
            predicate,
            ..crate::records::UserQuery::all(5)
        };
        store.read(|tx| tx.list_users(&t, &query)).expect("list").total
    };
    // person1, person10–19, person100–198 but not 99's multiple (no email): 1 + 10 + 99.
    assert_eq!(total(emails_sw("PERSON1")), 110);
    assert_eq!(total(UserPredicate::Not(Box::new(emails_sw("person1")))), 190);

    let query = crate::records::UserQuery {
        predicate: emails_sw("person1"),
        ..crate::records::UserQuery::all(5)
    };
    let (_, sent) = super::sent_statements(&store, |tx| tx.list_users(&t, &query));
    let sql = sent
        .into_iter()
        .find(|s| s.contains("user_values") && s.contains("LIMIT"))
        .expect("the listing's statement");
    // Bindings are `?` in the text: EXPLAIN plans it as the store does.
    let plan = query_plan(&store, &sql);
    assert!(
        plan.iter()
            .any(|s| s.contains("user_values_value_idx") && s.contains("value_norm>? AND value_norm<?")),
        "{plan:#?}"
    );
    assert!(!plan.iter().any(|s| s.contains("CORRELATED SCALAR")), "{plan:#?}");
}

/// The overview's failures of the last day, per `scimType`: a range of
/// `provisioning_log_failures_idx`, which holds the failures alone, not every entry the
/// tenant logged since.
#[test]
fn the_failures_of_a_day_are_a_range_of_the_failures_index() {
    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    store
        .write(|tx| {
            for n in 0..2000 {
                let outcome = if n % 100 == 0 { "failure" } else { "success" };
                let mut entry = log_entry(&t, &format!("e{n:05}"), 1_000_000 + n, outcome, "user");
                if n % 200 == 0 {
                    entry.scim_type = Some("uniqueness".into());
                }
                tx.insert_log_entry(&entry)?;
            }
            Ok::<_, crate::StorageError>(())
        })
        .expect("insert");
    store.refresh_statistics().expect("analyze");

    let (failures, sent) = super::sent_statements(&store, |tx| tx.failures_since(&t, 1_000_500));
    let counted: Vec<(Option<&str>, u64)> = failures.iter().map(|f| (f.scim_type.as_deref(), f.count)).collect();
    // Failures at 500, 600, …, 1900 (15 of them); those at multiples of 200 carry the type.
    assert_eq!(counted, [(None, 8), (Some("uniqueness"), 7)]);
    let sql = sent
        .into_iter()
        .find(|s| s.contains("GROUP BY"))
        .expect("the grouped count");
    let plan = query_plan(&store, &sql);
    assert!(
        plan.iter()
            .any(|s| s.contains("provisioning_log_failures_idx (tenant_id=? AND at_us>?)")),
        "{plan:#?}"
    );
}
