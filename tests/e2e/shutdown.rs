//! Graceful shutdown: a node told to stop finishes the request it is serving — here a
//! long `/Bulk` — and only then stops; new connections are refused.

use std::time::Duration;

use idsync_core::CoreSettings;
use idsync_storage::records::UserQuery;
use idsync_tests::{Backend, TestApp, on_both_backends};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(a_stopping_node_finishes_the_request_in_flight);

const OPERATIONS: usize = 400;

async fn a_stopping_node_finishes_the_request_in_flight(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A second node on the same database, so the test keeps the first to look with.
    let node = app.replica(CoreSettings::default()).await;
    let bulk_url = format!("{}/Bulk", node.tenant_url(&app.tenant));
    let operations: Vec<Value> = (0..OPERATIONS)
        .map(|i| {
            json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"),
                        "data": {"userName": format!("drain{i}@contoso.com")}})
        })
        .collect();
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                      "Operations": operations});
    let in_flight = tokio::spawn(
        app.http
            .post(&bulk_url)
            .bearer_auth(&app.token)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
            .send(),
    );

    // Stop once the bulk has started writing, and while it is still writing.
    let stored = || {
        let store = app.node.store.clone();
        let tenant = app.tenant.id.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                store
                    .read(|tx| tx.list_users(&tenant, &UserQuery::all(0)))
                    .map(|p| p.total)
            })
            .await
            .unwrap()
            .unwrap()
        }
    };
    let mut at_stop = 0;
    for _ in 0..2_000 {
        at_stop = stored().await;
        if at_stop > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(at_stop > 0, "the bulk request started");
    assert!(
        at_stop < OPERATIONS as u64,
        "the stop began while the request was in flight ({at_stop} of {OPERATIONS} stored)"
    );
    node.shutdown().await.expect("the node stopped cleanly");
    // The stop waited for the request: by the time it returns, all of it is done (a
    // process exiting now would lose nothing).
    assert_eq!(
        stored().await,
        OPERATIONS as u64,
        "shutdown returned before the request finished"
    );

    let response = in_flight.await.unwrap().expect("the request in flight is answered");
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    let results = answer["Operations"].as_array().unwrap();
    assert_eq!(results.len(), OPERATIONS);
    assert!(
        results.iter().all(|r| r["status"] == "201"),
        "every operation completed"
    );
    let refused = app.http.get(&bulk_url).bearer_auth(&app.token).send().await;
    assert!(refused.is_err(), "a stopped node accepts no new connection");
}
