//! `/Bulk` (RFC 7644 §3.7): bulkId references, failOnErrors, limits.

use idsync_tests::{Backend, TestApp, assert_scim_error, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn bulk(app: &TestApp, body: &Value) -> (StatusCode, Value) {
    let response = app.send(Method::POST, "/Bulk", Some(&app.token), Some(body)).await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn request(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations})
}

async fn bulk_operations_resolve_bulk_ids_in_any_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = request(json!([
        {"method": "PATCH", "path": "/Users/bulkId:ada", "data": {"Operations": [
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "bulkId:boss"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "ada", "data": {"userName": "ada@bulk.example"}},
        {"method": "POST", "path": "/Users", "bulkId": "boss", "data": {"userName": "boss@bulk.example"}},
    ]));
    let (status, response) = bulk(&app, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        response["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"])
    );
    let ops = response["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 3);
    assert_eq!(ops[0]["status"], "200", "{response}");
    assert_eq!(ops[1]["status"], "201");
    assert_eq!(ops[1]["bulkId"], "ada");
    assert_eq!(ops[1]["version"], "W/\"1\"");
    let ada_location = ops[1]["location"].as_str().unwrap();
    let boss_id = ops[2]["location"].as_str().unwrap().rsplit('/').next().unwrap();
    assert_eq!(ops[0]["location"], ada_location);
    assert_eq!(ops[0]["version"], "W/\"2\"");
    let ada_id = ada_location.rsplit('/').next().unwrap();
    let ada: Value = app.get(&format!("/Users/{ada_id}")).await.json().await.unwrap();
    assert_eq!(
        ada["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"],
        boss_id
    );
}

async fn fail_on_errors_stops_processing_after_that_many_failures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.created_user(&json!({"userName": "taken@bulk.example"})).await;
    let mut body = request(json!([
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "taken@bulk.example"}},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"userName": "fresh@bulk.example"}},
    ]));
    body["failOnErrors"] = json!(1);
    let (status, response) = bulk(&app, &body).await;
    assert_eq!(status, StatusCode::OK);
    let ops = response["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "processing stopped after the first failure: {response}");
    assert_eq!(ops[0]["status"], "409");
    assert_eq!(ops[0]["response"]["scimType"], "uniqueness");
    let found = app.find_users("userName eq \"fresh@bulk.example\"").await;
    assert_eq!(found["totalResults"], 0, "the operation after the limit did not run");

    body.as_object_mut().unwrap().remove("failOnErrors");
    let (_, response) = bulk(&app, &body).await;
    let statuses: Vec<_> = response["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [json!("409"), json!("201")],
        "without failOnErrors every operation runs"
    );
}

async fn unresolvable_and_circular_bulk_ids_are_409(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let body = request(json!([
        {"method": "PATCH", "path": "/Users/bulkId:nobody", "data": {"Operations": [{"op": "replace", "path": "title", "value": "x"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "a@bulk.example", manager: {"manager": {"value": "bulkId:b"}}}},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"userName": "b@bulk.example", manager: {"manager": {"value": "bulkId:a"}}}},
    ]));
    let (status, response) = bulk(&app, &body).await;
    assert_eq!(status, StatusCode::OK);
    for op in response["Operations"].as_array().unwrap() {
        assert_eq!(op["status"], "409", "{response}");
        assert_eq!(op["response"]["scimType"], "invalidValue");
    }
    assert_eq!(
        app.find_users("userName sw \"a@bulk\" or userName sw \"b@bulk\"").await["totalResults"],
        0
    );
}

async fn bulk_limits_and_malformed_requests_are_refused_whole(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"method": "DELETE", "path": format!("/Users/{i}")}))
        .collect();
    let response = app
        .send(Method::POST, "/Bulk", Some(&app.token), Some(&request(json!(too_many))))
        .await;
    assert_scim_error(response, StatusCode::PAYLOAD_TOO_LARGE, None).await;
    let big = "x".repeat(1024 * 1024);
    let response = app
        .send(
            Method::POST,
            "/Bulk",
            Some(&app.token),
            Some(&request(
                json!([{"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": big}}]),
            )),
        )
        .await;
    assert_scim_error(response, StatusCode::PAYLOAD_TOO_LARGE, None).await;
    for bad in [
        json!({"Operations": [{"method": "GET", "path": "/Users"}]}),
        json!({"Operations": [{"method": "POST", "path": "/Users", "data": {"userName": "no-bulk-id"}}]}),
        json!({"Operations": [{"method": "POST", "path": "/Bulk", "bulkId": "x", "data": {}}]}),
        json!({"Operations": "nope"}),
        json!({"schemas": ["urn:wrong"], "Operations": []}),
    ] {
        let response = app.send(Method::POST, "/Bulk", Some(&app.token), Some(&bad)).await;
        assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    }
}

/// The token is checked before the body is read: a bad one is refused whole, even with a
/// body that would be 400 or 413, and a token that may not write gets 403.
async fn bulk_authenticates_before_it_reads_or_replays_anything(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let valid = request(json!([{"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "anon@x"}}]));
    let malformed = json!({"Operations": "nope"});
    for (token, body) in [(None, &valid), (Some("idsync_unknown"), &valid), (None, &malformed)] {
        let response = app.send(Method::POST, "/Bulk", token, Some(body)).await;
        assert_scim_error(response, StatusCode::UNAUTHORIZED, None).await;
    }
    let reader = app.new_token(idsync_storage::records::Scope::Read).await;
    let response = app.send(Method::POST, "/Bulk", Some(&reader), Some(&valid)).await;
    let error = assert_scim_error(response, StatusCode::FORBIDDEN, None).await;
    assert!(error["detail"].as_str().unwrap().contains("scim scope"), "{error}");
    assert_eq!(app.get_json("/Users").await["totalResults"], 0, "nothing ran");
}

/// 300 operations, each referring to the next one's bulkId: they run last to first.
async fn a_long_chain_of_bulk_ids_in_reverse_order_resolves(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let n = 300;
    let operations: Vec<Value> = (0..n)
        .map(|k| {
            let mut data = json!({"userName": format!("chain{k}@bulk.example")});
            if k + 1 < n {
                data[ext] = json!({"manager": {"value": format!("bulkId:u{}", k + 1)}});
            }
            json!({"method": "POST", "path": "/Users", "bulkId": format!("u{k}"), "data": data})
        })
        .collect();
    let (status, response) = bulk(&app, &request(json!(operations))).await;
    assert_eq!(status, StatusCode::OK);
    let ops = response["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), n);
    assert!(ops.iter().all(|op| op["status"] == "201"), "{response}");
    let id = |k: usize| {
        ops[k]["location"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned()
    };
    for k in [0, 150, n - 2] {
        let user = app.get_json(&format!("/Users/{}", id(k))).await;
        assert_eq!(user[ext]["manager"]["value"], id(k + 1), "operation {k}");
    }
}

on_both_backends!(
    bulk_operations_resolve_bulk_ids_in_any_order,
    fail_on_errors_stops_processing_after_that_many_failures,
    unresolvable_and_circular_bulk_ids_are_409,
    bulk_limits_and_malformed_requests_are_refused_whole,
    bulk_authenticates_before_it_reads_or_replays_anything,
    a_long_chain_of_bulk_ids_in_reverse_order_resolves,
);
