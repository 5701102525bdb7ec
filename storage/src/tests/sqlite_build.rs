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
pub(super) struct Statement {
    #[diesel(sql_type = Text)]
    pub(super) sql: String,
    #[diesel(sql_type = BigInt)]
    reprep: i64,
    #[diesel(sql_type = BigInt)]
    run: i64,
}

/// The statements prepared on the store's one connection, from SQLite's `sqlite_stmt`.
pub(super) fn statements(store: &Store) -> Vec<Statement> {
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
    let plan = query_plan(&store, &sql);
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

/// The steps of SQLite's `EXPLAIN QUERY PLAN` for `sql` on the store's connection; its
/// `?` placeholders are planned as the store plans the statement it sends.
pub(super) fn query_plan(store: &Store, sql: &str) -> Vec<String> {
    let plan: Vec<PlanStep> = store
        .outside_transaction(|conn| {
            let AnyConnection::Sqlite(conn) = conn else {
                unreachable!("an SQLite store")
            };
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(conn).db()
        })
        .expect("explain");
    plan.into_iter().map(|step| step.detail).collect()
}

/// An update names in its `SET` list only the indexed columns whose value changes:
/// SQLite rewrites an index entry for every indexed column named, even to the same
/// value. Each set of changed key columns is its own statement, prepared once; the
/// folded twins still follow their sources.
#[test]
fn an_update_names_only_the_indexed_columns_it_changes() {
    use crate::query::{CompareOp, UserColumn};

    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let t = tenant(&store, "acme");
    let mut current = user(&t, "ada@contoso.com");
    current.display_name = Some("Ada Lovelace".into());
    store.write(|tx| tx.insert_user(&current)).expect("insert");
    let mut write = |change: &dyn Fn(&mut crate::records::UserRecord)| {
        let mut next = current.clone();
        change(&mut next);
        next.version += 1;
        store
            .write(|tx| tx.update_user_from(&current, &next, current.version))
            .expect("update");
        current = next;
    };
    write(&|u| u.department = Some("R&D".into()));
    write(&|u| u.department = Some("Sales".into()));
    write(&|u| u.display_name = Some("Ada King".into()));
    write(&|u| u.active = Some(false));

    let updates: Vec<(String, i64)> = statements(&store)
        .into_iter()
        .filter(|s| s.sql.starts_with("UPDATE `users`"))
        .map(|s| (s.sql, s.run))
        .collect();
    let plain = updates
        .iter()
        .find(|(sql, _)| !sql.contains("_norm") && !sql.contains("`active`"))
        .expect("an update of plain columns only");
    assert_eq!(plain.1, 2, "prepared once, run twice: {updates:#?}");
    for key in [
        "`user_name_norm`",
        "`external_id`",
        "`created_us`",
        "`name_given_name_norm`",
    ] {
        assert!(
            !updates.iter().any(|(sql, _)| sql.contains(key)),
            "{key} named: {updates:#?}"
        );
    }
    assert!(
        updates
            .iter()
            .any(|(sql, _)| sql.contains("`display_name_norm`") && !sql.contains("`active`"))
    );
    assert!(
        updates
            .iter()
            .any(|(sql, _)| sql.contains("`active`") && !sql.contains("`display_name_norm`"))
    );

    let stored = store
        .read(|tx| tx.get_user(&t, &current.id))
        .expect("read")
        .expect("ada");
    assert_eq!(
        (
            stored.department.as_deref(),
            stored.display_name.as_deref(),
            stored.active
        ),
        (Some("Sales"), Some("Ada King"), Some(false))
    );
    let by = |column, text: &str| {
        let query = crate::records::UserQuery {
            predicate: super::text(column, CompareOp::Eq, text),
            ..crate::records::UserQuery::all(5)
        };
        store.read(|tx| tx.list_users(&t, &query)).expect("list").total
    };
    assert_eq!(
        by(UserColumn::DisplayName, "ADA KING"),
        1,
        "the folded display name followed"
    );
    assert_eq!(by(UserColumn::DisplayName, "ada lovelace"), 0);
    assert_eq!(
        by(UserColumn::UserName, "ADA@contoso.com"),
        1,
        "the folded userName kept"
    );
    assert_eq!(store.read(|tx| tx.count_users(&t)).expect("count").active, 0);
}

#[derive(QueryableByName, Debug)]
struct CompileOption {
    #[diesel(sql_type = Text)]
    compile_options: String,
}

/// SQLite runs in multi-thread mode, without a mutex of its own around every call on a
/// connection (a pool lends each connection to one thread at a time), and keeps no
/// allocation statistics behind a global mutex.
#[test]
fn the_bundled_sqlite_locks_no_mutex_per_call_and_counts_no_allocations() {
    let db = TestDb::sqlite();
    let store = Store::open_single(db.url(), StoreOptions::default()).expect("open");
    let options: Vec<String> = store
        .outside_transaction(|conn| {
            let AnyConnection::Sqlite(conn) = conn else {
                unreachable!("an SQLite store")
            };
            diesel::sql_query("PRAGMA compile_options")
                .load::<CompileOption>(conn)
                .db()
        })
        .expect("compile options")
        .into_iter()
        .map(|o| o.compile_options)
        .collect();
    for wanted in ["THREADSAFE=2", "DEFAULT_MEMSTATUS=0", "ENABLE_QPSG"] {
        assert!(options.iter().any(|o| o == wanted), "{wanted} missing from {options:?}");
    }
}
