//! Telemetry end to end: one trace per SCIM request across gateway, core and storage;
//! metrics that move with traffic; nothing secret in spans, metrics or logs; dashboards
//! and alerts that name only metrics idsync exports.
//!
//! Every test here installs the binary's shared pipeline first (`telemetry()`), then
//! starts its node, and selects its own data by trace id, request id or tenant.

mod dashboards;
mod metrics;
mod secrets;
mod traces;

use idsync_tests::TestApp;

/// A random W3C trace id (32 hex digits) for a caller-made `traceparent`.
fn new_trace_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A caller span id (16 hex digits).
fn new_span_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_string()
}

/// `GET /metrics` on the node's operations listener, without any token.
async fn scrape(app: &TestApp) -> String {
    let response = app
        .http
        .get(format!(
            "http://{}/metrics",
            app.node.ops_addr.expect("the test node has an operations listener")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response.text().await.unwrap()
}
