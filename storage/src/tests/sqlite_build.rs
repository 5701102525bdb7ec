//! The bundled SQLite is built the way the hot path needs it (`.cargo/config.toml`).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{group, member, tenant, user};
use crate::conn::AnyConnection;
use crate::error::DbResultExt;
use crate::records::MemberType;
use crate::test_util::TestDb;
use crate::{Store, StoreOptions};

#[derive(QueryableByName, Debug)]
struct Statement {
    #[diesel(sql_type = Text)]
    sql: String,
    #[diesel(sql_type = BigInt)]
    reprep: i64,
    #[diesel(sql_type = BigInt)]
    run: i64,
}

/// The statements prepared on the store's one connection, from SQLite's `sqlite_stmt`.
fn statements(store: &Store) -> Vec<Statement> {
    store
        .outside_transaction(|conn| {
            let AnyConnection::Sqlite(conn) = conn else {
                unreachable!("an SQLite store")
            };
            diesel::sql_query("SELECT sql, reprep, run FROM sqlite_stmt")
                .load(conn)
                .db()
        })
        .expect("read sqlite_stmt")
}

/// A cached statement with a bound `LIMIT` (every `.first()`) runs again with new
/// bindings without being compiled again. Without the query planner stability guarantee
/// SQLite plans for the bound limit and re-prepares the statement on every binding.
#[test]
fn a_cached_statement_with_a_bound_limit_is_not_prepared_again() {
    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    let ids: Vec<String> = (0..5)
        .map(|i| {
            let u = user(&t, &format!("user{i}@contoso.com"));
            store.write(|tx| tx.insert_user(&u)).expect("insert");
            u.id
        })
        .collect();
    for id in &ids {
        let found = store.read(|tx| tx.get_user(&t, id)).expect("get");
        assert_eq!(found.map(|u| u.id).as_deref(), Some(id.as_str()));
    }

    let all = statements(&store);
    let by_id: Vec<&Statement> = all
        .iter()
        .filter(|s| s.sql.starts_with("SELECT") && s.sql.contains("FROM `users`") && s.sql.contains("LIMIT"))
        .collect();
    assert_eq!(by_id.len(), 1, "one cached statement reads a user by id: {all:#?}");
    assert!(by_id[0].run >= 5, "it ran for every read: {:?}", by_id[0]);
    assert_eq!(by_id[0].reprep, 0, "and was never prepared again: {:?}", by_id[0]);
}

/// The `UPDATE`s every PATCH and DELETE runs (the user row; the groups a deleted user
/// leaves) are prepared once per connection, however often they run; deleting a user
/// who is in no group updates no group at all.
#[test]
fn the_updates_of_a_patch_and_a_delete_are_prepared_once() {
    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    let lonely = user(&t, "lonely@contoso.com");
    store.write(|tx| tx.insert_user(&lonely)).expect("insert");
    store
        .write(|tx| tx.delete_user(&t, &lonely.id, None, 1))
        .expect("delete");
    assert!(
        !statements(&store).iter().any(|s| s.sql.starts_with("UPDATE `groups`")),
        "a user in no group leaves none"
    );
    let team = group(&t, "team");
    store.write(|tx| tx.insert_group(&team)).expect("group");
    let mut current = user(&t, "ada@contoso.com");
    store.write(|tx| tx.insert_user(&current)).expect("insert");
    for n in 0..4 {
        let mut next = current.clone();
        next.display_name = Some(format!("Ada {n}"));
        next.version += 1;
        store
            .write(|tx| tx.update_user_from(&current, &next, current.version))
            .expect("update");
        current = next;
    }
    for n in 0..3 {
        let gone = user(&t, &format!("gone{n}@contoso.com"));
        store.write(|tx| tx.insert_user(&gone)).expect("insert");
        let membership = [member(&gone.id, MemberType::User)];
        store
            .write(|tx| tx.add_members(&t, &team.id, &membership))
            .expect("join");
        let left = store.write(|tx| tx.delete_user(&t, &gone.id, None, 1)).expect("delete");
        assert_eq!(
            left,
            std::slice::from_ref(&team.id),
            "the deleted user left the group it was in"
        );
    }
    let all = statements(&store);
    for (table, runs) in [("users", 4), ("groups", 3)] {
        let updates: Vec<&Statement> = all
            .iter()
            .filter(|s| s.sql.starts_with(&format!("UPDATE `{table}`")))
            .collect();
        assert_eq!(updates.len(), 1, "one cached UPDATE of {table}: {all:#?}");
        assert_eq!((updates[0].run, updates[0].reprep), (runs, 0), "{:?}", updates[0]);
    }
}

#[derive(QueryableByName, Debug)]
struct Opcode {
    #[diesel(sql_type = Text)]
    opcode: String,
}

/// The statements SQLite runs for an Entra cycle's writes (create, PATCH of a value,
/// delete of a user in no group) build no temporary B-tree (`OpenEphemeral`): no
/// `RETURNING`, no `IN (subquery)`, no `UPDATE` that may move a row's key. One
/// exception: deleting the `users` row, whose values go by foreign-key cascade, which
/// SQLite runs by collecting the deleted keys first.
#[test]
fn the_writes_of_a_cycle_build_no_temporary_b_tree() {
    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    let stored = crate::records::UserRecord {
        children: vec![
            super::email("ada@contoso.com", "work", true),
            super::phone("+1 1", "work"),
        ],
        ..user(&t, "ada@contoso.com")
    };
    let at = super::tick();
    let change = [crate::NewChange::of(
        crate::records::ResourceType::User,
        &stored.id,
        crate::ChangeEvent::Created,
        vec!["userName".into()],
    )];
    store
        .write(|tx| {
            tx.insert_user(&stored)?;
            tx.append_changes(&t, at, None, None, &change)
        })
        .expect("create");
    let mut patched = stored.clone();
    patched.children[1] = super::phone("+1 2", "work");
    patched.version += 1;
    store
        .write(|tx| tx.update_user_from(&stored, &patched, stored.version))
        .expect("patch");
    store
        .write(|tx| tx.delete_user(&t, &stored.id, None, at))
        .expect("delete");

    let writes: Vec<String> = statements(&store)
        .into_iter()
        .filter(|s| s.run > 0 && ["INSERT", "UPDATE", "DELETE"].iter().any(|w| s.sql.starts_with(w)))
        .filter(|s| !s.sql.starts_with("DELETE FROM `users`"))
        .map(|s| s.sql)
        .collect();
    assert!(writes.len() >= 5, "the cycle's writes were seen: {writes:#?}");
    for sql in writes {
        let program: Vec<Opcode> = store
            .outside_transaction(|conn| {
                let AnyConnection::Sqlite(conn) = conn else {
                    unreachable!("an SQLite store")
                };
                diesel::sql_query(format!("EXPLAIN {sql}")).load(conn).db()
            })
            .expect("explain");
        assert!(
            !program.iter().any(|op| op.opcode == "OpenEphemeral"),
            "{sql} builds a temporary B-tree"
        );
    }
}

#[derive(QueryableByName, Debug)]
struct PlanStep {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// `userName sw "…"` seeks the range of the userName index that holds the prefix
/// instead of testing every user of the tenant: the bound `LIKE` pattern alone could not
/// use the index under the query planner stability guarantee.
#[test]
fn a_user_name_prefix_is_a_range_of_its_index_not_a_scan() {
    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    for name in [
        "ada@contoso.com",
        "Adam@contoso.com",
        "adb@contoso.com",
        "bob@contoso.com",
    ] {
        store.write(|tx| tx.insert_user(&user(&t, name))).expect("insert");
    }
    let query = crate::records::UserQuery {
        predicate: super::text(
            crate::query::UserColumn::UserName,
            crate::query::CompareOp::StartsWith,
            "ADA",
        ),
        ..crate::records::UserQuery::all(100)
    };
    let page = store.read(|tx| tx.list_users(&t, &query)).expect("list");
    let mut names: Vec<String> = page.users.into_iter().map(|u| u.user_name).collect();
    names.sort();
    assert_eq!(names, ["Adam@contoso.com", "ada@contoso.com"]);

    let sql = statements(&store)
        .into_iter()
        .find(|s| s.sql.contains("LIKE") && s.sql.starts_with("SELECT"))
        .expect("the listing's statement")
        .sql;
    let plan: Vec<PlanStep> = store
        .outside_transaction(|conn| {
            let AnyConnection::Sqlite(conn) = conn else {
                unreachable!("an SQLite store")
            };
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(conn).db()
        })
        .expect("explain");
    let plan: Vec<String> = plan.into_iter().map(|step| step.detail).collect();
    assert!(
        plan.iter()
            .any(|step| step.contains("user_name_norm>? AND user_name_norm<?")),
        "{plan:#?}"
    );
}

#[test]
fn the_upper_bound_of_a_prefix_follows_every_string_that_has_it() {
    use crate::filter_sql::prefix_upper_bound;
    assert_eq!(prefix_upper_bound("ada").as_deref(), Some("adb"));
    assert_eq!(prefix_upper_bound("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
    assert_eq!(prefix_upper_bound("ab\u{10FFFF}").as_deref(), Some("ac"));
    assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
}

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
    let plan: Vec<PlanStep> = store
        .outside_transaction(|conn| {
            let AnyConnection::Sqlite(conn) = conn else {
                unreachable!("an SQLite store")
            };
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(conn).db()
        })
        .expect("explain");
    let plan: Vec<String> = plan.into_iter().map(|step| step.detail).collect();
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
    use crate::log::{AttributeNames, LogOperation, LogOutcome, LogQuery, LogRecord};
    use crate::records::ResourceType;

    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    let entry = |n: i64, resource: &str| LogRecord {
        tenant_id: t.clone(),
        id: format!("e{n:05}"),
        at_us: 1_000_000 + n,
        token_id: None,
        operation: LogOperation::Patch,
        resource_type: ResourceType::User,
        resource_id: Some(resource.to_owned()),
        outcome: LogOutcome::Success,
        grpc_code: None,
        http_status: None,
        scim_type: None,
        detail: None,
        attributes: AttributeNames::default(),
        request_id: None,
        trace_id: None,
    };
    store
        .write(|tx| {
            for n in 0..3000 {
                let resource = if n % 1000 == 7 {
                    "old-user".to_owned()
                } else {
                    format!("user{}", n % 50)
                };
                tx.insert_log_entry(&entry(n, &resource))?;
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
    let plan: Vec<PlanStep> = store
        .outside_transaction(|conn| {
            let AnyConnection::Sqlite(conn) = conn else {
                unreachable!("an SQLite store")
            };
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(conn).db()
        })
        .expect("explain");
    let plan: Vec<String> = plan.into_iter().map(|step| step.detail).collect();
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
    let counts = store.read(|tx| tx.count_users(&t)).expect("count");
    assert_eq!(
        counts,
        crate::UserCounts {
            users: 300,
            active: 100
        }
    );

    // The count of the inactive is not among the cached statements (its condition is
    // raw SQL, which diesel does not cache), so its text is spelled out here as
    // `count_users` writes it.
    let explain = |sql: &str| -> Vec<String> {
        let plan: Vec<PlanStep> = store
            .outside_transaction(|conn| {
                let AnyConnection::Sqlite(conn) = conn else {
                    unreachable!("an SQLite store")
                };
                diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(conn).db()
            })
            .expect("explain");
        plan.into_iter().map(|step| step.detail).collect()
    };
    let inactive =
        explain("SELECT COUNT(*) FROM `users` WHERE (`users`.`tenant_id` = ?) AND (users.active IS NOT TRUE)");
    assert!(
        inactive.iter().any(|s| s.contains("users_inactive_idx")),
        "{inactive:#?}"
    );
    let cached = statements(&store)
        .into_iter()
        .find(|s| s.sql.starts_with("SELECT COUNT(*) FROM `users`"))
        .expect("the count of every user")
        .sql;
    let all = explain(&cached);
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
    let plan: Vec<PlanStep> = store
        .outside_transaction(|conn| {
            let AnyConnection::Sqlite(conn) = conn else {
                unreachable!("an SQLite store")
            };
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(conn).db()
        })
        .expect("explain");
    let plan: Vec<String> = plan.into_iter().map(|step| step.detail).collect();
    assert!(
        plan.iter()
            .any(|s| s.contains("user_values_value_idx") && s.contains("value_norm>? AND value_norm<?")),
        "{plan:#?}"
    );
    assert!(!plan.iter().any(|s| s.contains("CORRELATED SCALAR")), "{plan:#?}");
}
