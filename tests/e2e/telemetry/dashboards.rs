//! The shipped Grafana dashboard and Prometheus alert rules are valid JSON and YAML,
//! and every metric their queries use is one idsync really exports.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::path::PathBuf;

use idsync_core::{CoreSettings, TenantRate};
use idsync_tests::prometheus::samples;
use idsync_tests::telemetry::telemetry;
use idsync_tests::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use yaml_rust2::{Yaml, YamlLoader};

use super::scrape;

fn deploy_file(path: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy").join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every PromQL expression of the dashboard's panels.
fn dashboard_queries() -> Vec<String> {
    let dashboard: Value = serde_json::from_str(&deploy_file("grafana/idsync-dashboard.json")).expect("valid JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    panels
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .map(|t| t["expr"].as_str().expect("an expr").to_string())
        .collect()
}

/// Every `expr` of the alert rules, with the alert's name.
fn alert_queries() -> Vec<(String, String)> {
    let docs = YamlLoader::load_from_str(&deploy_file("prometheus/idsync-alerts.yml")).expect("valid YAML");
    let groups = docs[0]["groups"].as_vec().expect("groups");
    groups
        .iter()
        .flat_map(|g| g["rules"].as_vec().cloned().unwrap_or_default())
        .map(|rule: Yaml| {
            let name = rule["alert"].as_str().expect("an alert name").to_string();
            (name, rule["expr"].as_str().expect("an expr").to_string())
        })
        .collect()
}

/// The metric names a PromQL expression selects: identifiers that are not functions,
/// keywords, label names, Grafana variables, durations or string contents.
fn metric_names(expr: &str) -> BTreeSet<String> {
    // Binary operators' keywords, and aggregation operators, which may be followed by
    // `by (…)` rather than by their parenthesised argument.
    const KEYWORDS: [&str; 22] = [
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "inf",
        "nan",
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
        "atan2",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    let mut grouping = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' => {
                i += 1;
                while i < chars.len() && chars[i] != c {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                while i < chars.len() && chars[i] != close {
                    i += 1;
                }
                i += 1;
            }
            '(' if grouping => {
                while i < chars.len() && chars[i] != ')' {
                    i += 1;
                }
                grouping = false;
                i += 1;
            }
            '$' => {
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let next = chars[i..].iter().find(|c| !c.is_whitespace());
                if ["by", "without", "on", "ignoring", "group_left", "group_right"].contains(&word.as_str()) {
                    grouping = true;
                } else if next != Some(&'(') && !KEYWORDS.contains(&word.as_str()) {
                    names.insert(word);
                }
            }
            c if c.is_ascii_digit() => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    names
}

#[test]
fn metric_names_are_told_apart_from_functions_labels_and_variables() {
    let names = metric_names(
        "histogram_quantile(0.99, sum by (le, tenant) (rate(a_bucket{x=~\"b|c\"}[$__rate_interval]))) \
         / on(tenant) group_left b_total > 0.2 and bool c or max without (x) (d)",
    );
    assert_eq!(
        names,
        BTreeSet::from(["a_bucket".into(), "b_total".into(), "c".into(), "d".into()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_and_alerts_use_only_metrics_that_idsync_exports() {
    telemetry();
    let rate = TenantRate {
        per_second: NonZeroU32::MIN,
        burst: NonZeroU32::new(10).unwrap(),
    };
    let core = CoreSettings {
        tenant_rate: Some(rate),
        ..CoreSettings::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, core).await;
    let user = app.created_user(&json!({"userName": "dashboard@contoso.com"})).await;
    let taken = app.create_user(&json!({"userName": "dashboard@contoso.com"})).await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.get(&format!("/Users/{}", user["id"].as_str().unwrap()))
            .await
            .status(),
        StatusCode::OK
    );
    let refused = app.send(Method::GET, "/Users", Some("idsync_unknown"), None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    // The change-feed series exist once a watcher has received an event.
    let mut watcher = app.watch(Some(0)).await;
    assert_eq!(watcher.next(1).await[0].event, "created");
    // `idsync_throttled_total` exists once a request was throttled: spend the bucket.
    let mut throttled = false;
    for _ in 0..50 {
        if app.get("/Users").await.status() == StatusCode::TOO_MANY_REQUESTS {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "a burst of 10 at 1 request/s runs out within 50 requests");
    let exported: BTreeSet<String> = samples(&scrape(&app).await).into_iter().map(|s| s.name).collect();
    drop(watcher);

    let mut used = BTreeSet::new();
    for expr in dashboard_queries() {
        used.extend(metric_names(&expr));
    }
    let alerts = alert_queries();
    assert!(alerts.len() >= 8, "quarantine, 5xx, latency, auth and pool alerts");
    for (alert, expr) in &alerts {
        let names = metric_names(expr);
        assert!(!names.is_empty(), "{alert} queries a metric");
        used.extend(names);
    }
    assert!(
        used.len() >= 8,
        "the dashboard covers traffic, provisioning and pools: {used:?}"
    );
    let missing: Vec<_> = used.difference(&exported).collect();
    assert!(missing.is_empty(), "not exported: {missing:?}; exported: {exported:?}");
}
