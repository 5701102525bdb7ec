//! idsync keeps PostgreSQL's planner statistics fresh itself, by autovacuum's rule, so
//! that a plan cached while a table was empty does not outlive it (`crate::statistics`).

use std::time::{Duration, Instant};

use super::{phone, tenant, user};
use crate::test_util::TestDb;

/// How long PostgreSQL may take to publish the writers' table counters: backends flush
/// them when they go idle, at most every 10 s.
const COUNTERS_PUBLISHED_WITHIN: Duration = Duration::from_secs(30);

#[test]
fn tables_that_grew_are_analyzed_once_and_then_nothing_is_due() {
    let db = TestDb::postgres();
    let store = db.store();
    let t = tenant(&store, "grows");
    store
        .write(|tx| {
            for i in 0..300 {
                let mut u = user(&t, &format!("user{i}@contoso.com"));
                u.children.push(phone(&format!("+1 555 {i:04}"), "work"));
                tx.insert_user(&u)?;
            }
            Ok::<_, crate::StorageError>(())
        })
        .expect("insert 300 users");

    let started = Instant::now();
    let mut analyzed = Vec::new();
    while !(analyzed.contains(&"users") && analyzed.contains(&"user_values")) {
        assert!(
            started.elapsed() < COUNTERS_PUBLISHED_WITHIN,
            "users and user_values were never analyzed; analyzed: {analyzed:?}"
        );
        analyzed.extend(store.refresh_statistics().expect("refresh"));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        !analyzed.contains(&"groups"),
        "an untouched table is not due: {analyzed:?}"
    );

    // Analyzed now: the counters were reset, so nothing is due until the tables change
    // again by more than autovacuum's threshold.
    let again = store.refresh_statistics().expect("refresh");
    assert!(
        !again.contains(&"users") && !again.contains(&"user_values"),
        "analyzed twice: {again:?}"
    );
}

/// With autovacuum off (as on this machine's cluster) nothing else would vacuum: idsync
/// does, by autovacuum's rule, and then a count of the tenant's users is an index-only
/// scan that visits no heap page.
#[test]
fn tables_that_took_many_rows_are_vacuumed_and_then_counted_from_the_index_alone() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};

    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        #[diesel(column_name = "QUERY PLAN")]
        text: String,
    }
    #[derive(QueryableByName)]
    struct Pages {
        #[diesel(sql_type = BigInt)]
        all_visible: i64,
    }

    let db = TestDb::postgres();
    let store = db.store();
    let t = tenant(&store, "vacuumed");
    store
        .write(|tx| {
            for i in 0..1500 {
                tx.insert_user(&user(&t, &format!("user{i}@contoso.com")))?;
            }
            Ok::<_, crate::StorageError>(())
        })
        .expect("insert 1,500 users");

    let started = Instant::now();
    let mut vacuumed = Vec::new();
    while !vacuumed.contains(&"users") {
        assert!(
            started.elapsed() < COUNTERS_PUBLISHED_WITHIN,
            "users was never vacuumed; vacuumed: {vacuumed:?}"
        );
        vacuumed.extend(store.vacuum_if_due().expect("vacuum"));
        std::thread::sleep(Duration::from_millis(200));
    }
    let again = store.vacuum_if_due().expect("vacuum again");
    assert!(!again.contains(&"users"), "vacuumed twice: {again:?}");
    store.refresh_statistics().expect("analyze");

    let mut conn = PgConnection::establish(db.url()).expect("connect");
    let pages: Pages =
        diesel::sql_query("SELECT relallvisible::bigint AS all_visible FROM pg_class WHERE relname = 'users'")
            .get_result(&mut conn)
            .expect("pg_class");
    assert!(pages.all_visible > 0, "no page of users is marked all-visible");
    conn.batch_execute("SET enable_seqscan = off").expect("set");
    let plan: Vec<Line> = diesel::sql_query(format!(
        "EXPLAIN (ANALYZE, COSTS OFF) SELECT count(*) FROM users WHERE tenant_id = '{t}'"
    ))
    .load(&mut conn)
    .expect("explain");
    let plan: Vec<String> = plan.into_iter().map(|l| l.text).collect();
    assert!(plan.iter().any(|l| l.contains("Index Only Scan")), "{plan:#?}");
    assert!(plan.iter().any(|l| l.trim() == "Heap Fetches: 0"), "{plan:#?}");
}

/// On SQLite, with the read and write pools of a served store, a table that grew is
/// found due by a reader and analyzed by the writer, once.
#[test]
fn sqlite_tables_that_grew_are_analyzed_once() {
    let db = TestDb::sqlite();
    let store = db.store();
    let t = tenant(&store, "grows");
    store
        .write(|tx| {
            for i in 0..300 {
                tx.insert_user(&user(&t, &format!("user{i}@contoso.com")))?;
            }
            Ok::<_, crate::StorageError>(())
        })
        .expect("insert 300 users");
    let analyzed = store.refresh_statistics().expect("refresh");
    assert!(analyzed.contains(&"users"), "{analyzed:?}");
    let again = store.refresh_statistics().expect("refresh again");
    assert!(!again.contains(&"users"), "analyzed twice: {again:?}");
}
