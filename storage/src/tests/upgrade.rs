//! Upgrading a database an earlier release wrote: the migration that changed how values
//! are kept (`as_sent`) and every later one run over real rows and keep them, with their
//! children, indexes and cascades intact.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

use diesel::backend::Backend as DieselBackend;
use diesel::connection::SimpleConnection;
use diesel::migration::{MigrationConnection, MigrationSource};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use crate::conn::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::query::{CompareOp, MultiValuedAttr, UserColumn};
use crate::records::ChildValue;
use crate::test_util::TestDb;
use crate::{Backend, StorageError};

/// What the previous release stored: an active and a disabled user, an email that was
/// primary and one whose `primary` was false or never sent (stored alike as false).
const PREVIOUS_RELEASE_ROWS: &str = "
    INSERT INTO tenants (id, name, public_url, operator, created_us) VALUES ('t1', 'contoso', NULL, FALSE, 1);
    INSERT INTO users (tenant_id, id, user_name, user_name_norm, active, created_us, last_modified_us, version,
                       display_name, name_given_name, name_family_name)
        VALUES ('t1', 'ada', 'Ada@contoso.com', 'ada@contoso.com', TRUE, 1, 2, 3, 'Ada LOVELACE', 'Ada', 'LOVELACE'),
               ('t1', 'bob', 'bob@contoso.com', 'bob@contoso.com', FALSE, 1, 1, 1, NULL, NULL, NULL);
    INSERT INTO user_values (tenant_id, user_id, attr, ord, value, value_norm, type, is_primary)
        VALUES ('t1', 'ada', 'emails', 0, 'Ada@contoso.com', 'ada@contoso.com', 'work', TRUE),
               ('t1', 'ada', 'emails', 1, 'ada@home.example', 'ada@home.example', 'home', FALSE),
               ('t1', 'bob', 'emails', 0, 'bob@contoso.com', 'bob@contoso.com', NULL, FALSE);
    INSERT INTO provisioning_log (tenant_id, id, at_us, operation, resource_type, resource_id, outcome, attributes)
        VALUES ('t1', 'log-b', 20, 'patch', 'User', 'ada', 'success', 'displayName,emails'),
               ('t1', 'log-a', 10, 'create', 'User', 'ada', 'success', 'userName,emails'),
               ('t1', 'log-c', 20, 'create', 'User', 'bob', 'success', '');
    INSERT INTO changes (tenant_id, seq, at_us, resource_type, resource_id, event, attributes)
        VALUES ('t1', 1, 10, 'User', 'ada', 'created', 'userName,emails');
    UPDATE tenants SET feed_seq = 1 WHERE id = 't1';
";

/// The version of the migration under test (`2025-04-01-000000_as_sent`, as diesel
/// spells it): the release before it wrote [`PREVIOUS_RELEASE_ROWS`].
const UNDER_TEST: &str = "20250401000000";

/// Applies every migration before [`UNDER_TEST`], then writes `rows`.
fn as_previous_release<DB, C>(conn: &mut C, migrations: EmbeddedMigrations, rows: &str)
where
    DB: DieselBackend,
    C: MigrationHarness<DB> + MigrationConnection + SimpleConnection,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let all = MigrationSource::<DB>::migrations(&migrations).expect("embedded migrations");
    let earlier: Vec<_> = all
        .iter()
        .filter(|m| m.name().version().to_string().as_str() < UNDER_TEST)
        .collect();
    assert!(
        !earlier.is_empty() && earlier.len() < all.len(),
        "there is a previous release to upgrade from"
    );
    conn.setup().expect("the migrations table");
    for migration in earlier {
        conn.run_migration(migration.as_ref()).expect("an earlier migration");
    }
    conn.batch_execute(rows).expect("rows of the previous release");
}

fn the_newest_migration_keeps_users_values_and_their_flags(db: &TestDb) {
    match db.backend() {
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(db.url()).expect("sqlite");
            conn.batch_execute("PRAGMA foreign_keys = ON").expect("pragma");
            as_previous_release::<Sqlite, _>(&mut conn, SQLITE_MIGRATIONS, PREVIOUS_RELEASE_ROWS);
        }
        Backend::Postgres => {
            let mut conn = PgConnection::establish(db.url()).expect("postgres");
            as_previous_release::<Pg, _>(&mut conn, POSTGRES_MIGRATIONS, PREVIOUS_RELEASE_ROWS);
        }
    }
    let store = db.store(); // runs the migration under test and every later one
    assert_eq!(store.migrate(), Ok(vec![]), "nothing left to migrate");

    let ada = store
        .read(|tx| tx.get_user("t1", "ada"))
        .unwrap()
        .expect("ada survives");
    assert_eq!(
        (ada.user_name.as_str(), ada.active, ada.version),
        ("Ada@contoso.com", Some(true), 3)
    );
    let email = |value: &str, type_: &str, primary: Option<bool>| {
        (
            MultiValuedAttr::Emails,
            ChildValue {
                value: Some(value.into()),
                type_: Some(type_.into()),
                primary,
                ..ChildValue::default()
            },
        )
    };
    assert_eq!(
        ada.children,
        [
            email("Ada@contoso.com", "work", Some(true)),
            // Returned without `primary` before; still so.
            email("ada@home.example", "home", None),
        ]
    );
    let bob = store
        .read(|tx| tx.get_user("t1", "bob"))
        .unwrap()
        .expect("bob survives");
    assert_eq!(bob.active, Some(false));
    assert_eq!(bob.children.len(), 1, "every user keeps its values");

    // The folded copies of the names were filled for the users already there: a search
    // by name, which reads only them, finds Ada however it is spelled.
    for (column, text) in [
        (UserColumn::DisplayName, "ada love"),
        (UserColumn::NameGivenName, "ADA"),
        (UserColumn::NameFamilyName, "Lovel"),
    ] {
        let query = crate::records::UserQuery {
            predicate: super::text(column, CompareOp::StartsWith, text),
            ..crate::records::UserQuery::all(10)
        };
        let found = store.read(|tx| tx.list_users("t1", &query)).unwrap();
        let ids: Vec<&str> = found.users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["ada"], "{column:?} sw {text:?}");
    }

    // Log and feed rows written before names were packed, and before the log was keyed
    // by time, read as they did, newest first.
    let log = store
        .list_log(
            "t1",
            &crate::LogQuery {
                limit: 10,
                ..crate::LogQuery::default()
            },
        )
        .unwrap();
    let listed: Vec<_> = log.iter().map(|e| (e.id.as_str(), e.attributes.0.join(","))).collect();
    assert_eq!(
        listed,
        [
            ("log-c", String::new()),
            ("log-b", "displayName,emails".to_string()),
            ("log-a", "userName,emails".to_string()),
        ]
    );
    let feed = store.changes_after("t1", 0, 10).unwrap();
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].change.attributes, ["userName", "emails"]);

    // The unique userName index and the cascade to values work after the rebuild.
    let mut again = ada.clone();
    again.id = "ada2".into();
    again.user_name = "ADA@contoso.com".into();
    assert!(matches!(
        store.write(|tx| tx.insert_user(&again)),
        Err(StorageError::Conflict { .. })
    ));
    store.write(|tx| tx.delete_user("t1", "ada", None, 10)).unwrap();
    let mut reused = ada;
    reused.version = 1;
    store
        .write(|tx| tx.insert_user(&reused))
        .expect("a new user may take the deleted id: its values went with it");
    assert_eq!(
        store
            .read(|tx| tx.get_user("t1", "ada"))
            .unwrap()
            .unwrap()
            .children
            .len(),
        2
    );

    // Every index of the rebuilt tables is there, as on a database created fresh.
    let fresh = match db.backend() {
        Backend::Sqlite => TestDb::sqlite(),
        Backend::Postgres => TestDb::postgres(),
    };
    drop(fresh.store());
    assert_eq!(rebuilt_table_indexes(db), rebuilt_table_indexes(&fresh));
    assert!(rebuilt_table_indexes(db).contains(&"user_values_value_idx".to_string()));
}

#[derive(QueryableByName)]
struct IndexName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// The named indexes of `users` and `user_values`, sorted.
fn rebuilt_table_indexes(db: &TestDb) -> Vec<String> {
    let rows: Vec<IndexName> = match db.backend() {
        Backend::Sqlite => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('users', 'user_values') \
             AND sql IS NOT NULL ORDER BY name",
        )
        .load(&mut SqliteConnection::establish(db.url()).unwrap()),
        Backend::Postgres => diesel::sql_query(
            "SELECT indexname AS name FROM pg_indexes WHERE tablename IN ('users', 'user_values') ORDER BY indexname",
        )
        .load(&mut PgConnection::establish(db.url()).unwrap()),
    }
    .unwrap();
    rows.into_iter().map(|r| r.name).collect()
}

#[test]
fn the_newest_sqlite_migration_keeps_users_values_and_their_flags() {
    the_newest_migration_keeps_users_values_and_their_flags(&TestDb::sqlite());
}

#[test]
fn the_newest_postgres_migration_keeps_users_values_and_their_flags() {
    the_newest_migration_keeps_users_values_and_their_flags(&TestDb::postgres());
}
