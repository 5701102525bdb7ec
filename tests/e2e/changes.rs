//! The change feed as an internal service sees it: Entra's lifecycle in order, resume
//! after a restart, several replicas, expiry, and who may watch.

use std::time::Duration;

use idsync_core::CoreSettings;
use idsync_proto::v1::WatchChangesRequest;
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, Watcher, grpc_url_of, on_both_backends, summary};
use serde_json::json;
use tonic::Code;
use tonic_types::StatusExt;

on_both_backends! {
    a_watcher_sees_entra_deprovisioning_in_order_with_the_changed_attribute_names,
    a_client_resuming_from_its_cursor_after_a_restart_gets_no_duplicate_and_no_gap,
    an_expired_cursor_is_refused_with_a_resync_hint_and_a_future_one_is_out_of_range,
    scim_and_read_tokens_may_watch_but_admin_tokens_may_not,
    filters_narrow_the_stream_and_unknown_filter_values_are_refused,
}

fn entra_patch(op: &str, path: &str, value: serde_json::Value) -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": op, "path": path, "value": value}],
    })
}

async fn a_watcher_sees_entra_deprovisioning_in_order_with_the_changed_attribute_names(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut watcher = app.watch(Some(0)).await;
    let ada = app.user_id("ada@contoso.com").await;
    let group = app.group_id("Engineering").await;
    let patched = app
        .patch_user(&ada, &entra_patch("Replace", "name.givenName", json!("Ada")))
        .await;
    assert_eq!(patched.status(), 200);
    assert_eq!(
        app.patch_user(&ada, &entra_patch("Replace", "active", json!("False")))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.patch_user(&ada, &entra_patch("Replace", "active", json!("True")))
            .await
            .status(),
        200
    );
    app.patched_group(
        &group,
        json!([{"op": "Add", "path": "members", "value": [{"value": ada}]}]),
    )
    .await;
    app.patched_group(
        &group,
        json!([{"op": "Remove", "path": "members", "value": [{"value": ada}]}]),
    )
    .await;
    app.patched_group(
        &group,
        json!([{"op": "Add", "path": "members", "value": [{"value": ada}]}]),
    )
    .await;
    assert_eq!(app.delete_user(&ada).await.status(), 204);

    let events = watcher.next(9).await;
    let expected = [
        ("created", &ada),
        ("created", &group),
        ("updated", &ada),
        ("deactivated", &ada),
        ("reactivated", &ada),
        ("member_added", &group),
        ("member_removed", &group),
        ("member_added", &group),
        ("member_removed", &group),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(e, id)| ((*e).to_string(), (*id).clone()))
        .collect();
    assert_eq!(summary(&events)[..9], expected[..]);
    let last = watcher.next(1).await;
    assert_eq!(summary(&last), [("deleted".to_string(), ada.clone())]);
    let cursors: Vec<u64> = events.iter().chain(&last).map(|e| e.cursor).collect();
    assert_eq!(cursors, (1..=10).collect::<Vec<u64>>());
    assert_eq!(events[0].resource_type, "User");
    assert_eq!(events[0].attributes, ["userName", "active"]);
    assert_eq!(events[2].attributes, ["name.givenName"]);
    assert_eq!(events[3].attributes, ["active"]);
    assert_eq!(events[5].member_id.as_deref(), Some(ada.as_str()));
    assert_eq!(events[5].member_type.as_deref(), Some("User"));
    assert!(events.iter().all(|e| e.token_id.is_some() && e.request_id.is_some()));
    // Entra re-sending the same value changes nothing and emits nothing.
    assert_eq!(
        app.patch_user(
            &app.user_id("bob@contoso.com").await,
            &entra_patch("Replace", "active", json!("True"))
        )
        .await
        .status(),
        200
    );
    assert_eq!(watcher.next(1).await[0].event, "created");
    watcher.assert_quiet(Duration::from_millis(600)).await;
}

async fn a_client_resuming_from_its_cursor_after_a_restart_gets_no_duplicate_and_no_gap(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut watcher = app.watch(Some(0)).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(app.user_id(&format!("before{i}@contoso.com")).await);
    }
    let seen = watcher.next(2).await;
    let cursor = seen[1].cursor;
    let app = app.restart(CoreSettings::default()).await;
    for i in 0..3 {
        ids.push(app.user_id(&format!("after{i}@contoso.com")).await);
    }
    let mut resumed = app.watch(Some(cursor)).await;
    let rest = resumed.next(4).await;
    assert_eq!(rest.iter().map(|e| e.cursor).collect::<Vec<_>>(), [3, 4, 5, 6]);
    let rest_ids: Vec<&str> = rest.iter().map(|e| e.resource_id.as_str()).collect();
    assert_eq!(rest_ids, ids[2..].iter().map(String::as_str).collect::<Vec<_>>());
    resumed.assert_quiet(Duration::from_millis(600)).await;
}

async fn an_expired_cursor_is_refused_with_a_resync_hint_and_a_future_one_is_out_of_range(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user_id("old1@contoso.com").await;
    app.user_id("old2@contoso.com").await;
    let store = app.node.store.clone();
    let pruned = tokio::task::spawn_blocking(move || store.prune_changes(i64::MAX))
        .await
        .unwrap();
    assert_eq!(pruned, Ok(2));
    let expired = Watcher::open(&app.grpc_url(), &app.token, Some(0))
        .await
        .err()
        .expect("refused");
    assert_eq!(expired.code(), Code::FailedPrecondition);
    assert!(expired.message().contains("resync"), "{}", expired.message());
    let info = expired.get_error_details().error_info().cloned().expect("ErrorInfo");
    assert_eq!(info.reason, "CURSOR_EXPIRED");
    assert_eq!(info.metadata.get("head_cursor").map(String::as_str), Some("2"));
    // Resuming from the head after a resync works and sees what comes next.
    let mut watcher = app.watch(Some(2)).await;
    let id = app.user_id("new@contoso.com").await;
    let next = watcher.next(1).await;
    assert_eq!((next[0].cursor, next[0].resource_id.as_str()), (3, id.as_str()));
    let ahead = Watcher::open(&app.grpc_url(), &app.token, Some(99))
        .await
        .err()
        .expect("refused");
    assert_eq!(ahead.code(), Code::OutOfRange);
}

async fn scim_and_read_tokens_may_watch_but_admin_tokens_may_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reader = app.new_token(Scope::Read).await;
    let admin = app.new_token(Scope::Admin).await;
    let (_, other_tenant) = app.new_tenant("fabrikam", Scope::Scim).await;
    let mut by_reader = Watcher::open(&app.grpc_url(), &reader, None)
        .await
        .expect("read may watch");
    let mut other = Watcher::open(&app.grpc_url(), &other_tenant, None)
        .await
        .expect("own tenant");
    let denied = Watcher::open(&app.grpc_url(), &admin, None)
        .await
        .err()
        .expect("refused");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let anonymous = Watcher::open(&app.grpc_url(), "idsync_wrong", None)
        .await
        .err()
        .expect("refused");
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let id = app.user_id("ada@contoso.com").await;
    assert_eq!(by_reader.next(1).await[0].resource_id, id);
    other.assert_quiet(Duration::from_millis(600)).await;
}

async fn filters_narrow_the_stream_and_unknown_filter_values_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let request = WatchChangesRequest {
        after_cursor: Some(0),
        resource_types: vec!["Group".into()],
        event_types: vec![],
    };
    let mut groups_only = Watcher::open_with(&app.grpc_url(), &app.token, request)
        .await
        .expect("watch");
    app.user_id("ada@contoso.com").await;
    let group = app.group_id("Sales").await;
    let events = groups_only.next(1).await;
    assert_eq!((events[0].cursor, events[0].resource_id.as_str()), (2, group.as_str()));
    let bad = WatchChangesRequest {
        event_types: vec!["exploded".into()],
        ..WatchChangesRequest::default()
    };
    let refused = Watcher::open_with(&app.grpc_url(), &app.token, bad)
        .await
        .err()
        .expect("refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
}

/// Two nodes (gateway + core each) on one PostgreSQL, writes through both at once, one
/// watcher on the first: every event exactly once, in seq order, without gaps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgres_feed_one_watcher_every_event_in_seq_order() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let replica = app.replica(CoreSettings::default()).await;
    let mut on_replica = Watcher::open(&grpc_url_of(&replica), &app.token, Some(0))
        .await
        .expect("watch");
    let mut watcher = app.watch(Some(0)).await;
    let replica_url = replica.tenant_url(&app.tenant);
    const EACH: usize = 15;
    let mut writes = Vec::new();
    for (base, name) in [(app.tenant_url.clone(), "a"), (replica_url, "b")] {
        let (http, token) = (app.http.clone(), app.token.clone());
        writes.push(tokio::spawn(async move {
            for i in 0..EACH {
                let response = http
                    .post(format!("{base}/Users"))
                    .bearer_auth(&token)
                    .json(&json!({"userName": format!("{name}{i}@contoso.com")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
            }
        }));
    }
    for w in writes {
        w.await.unwrap();
    }
    for stream in [&mut watcher, &mut on_replica] {
        let events = stream.next(2 * EACH).await;
        let cursors: Vec<u64> = events.iter().map(|e| e.cursor).collect();
        assert_eq!(cursors, (1..=(2 * EACH) as u64).collect::<Vec<_>>());
        stream.assert_quiet(Duration::from_millis(600)).await;
    }
    replica.shutdown().await.unwrap();
}
