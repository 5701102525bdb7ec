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
