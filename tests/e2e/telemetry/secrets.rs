//! No token, no password and no `Authorization` value in any exported span attribute,
//! metric label or log line — with logs at DEBUG; personal data only at DEBUG; and log
//! lines that name the trace, the span and the request they belong to.

use idsync_proto::v1::GetUserRequest;
use idsync_proto::v1::users_client::UsersClient;
use idsync_storage::records::Scope;
use idsync_tests::console::{ConsoleClient, console_url, try_sign_in};
use idsync_tests::telemetry::telemetry;
use idsync_tests::{Backend, TestApp, authed, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{new_span_id, new_trace_id, scrape};

async fn no_secret_reaches_spans_metrics_or_logs(backend: Backend) {
    let telemetry = telemetry();
    let app = TestApp::spawn(backend).await;
    let marker = uuid::Uuid::new_v4().simple().to_string();
    let password = format!("Pw-{marker}-s3cret!");
    let new_password = format!("Pw2-{marker}-s3cret!");
    let wrong_token = format!("idsync_wrong{marker}");
    let basic = format!("dXNlcjpw{marker}");
    let user_name = format!("pii-{marker}@contoso.com");
    let (trace_id, request_id) = (new_trace_id(), format!("req-{marker}"));

    let created = app
        .http
        .post(format!("{}/Users", app.tenant_url))
        .bearer_auth(&app.token)
        .header("traceparent", format!("00-{trace_id}-{}-01", new_span_id()))
        .header("x-request-id", &request_id)
        .header("content-type", "application/scim+json")
        .body(json!({"userName": user_name, "password": password, "emails": [{"value": user_name}]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let change = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "path": "password", "value": new_password}]});
    assert_eq!(app.patch_user(&id, &change).await.status(), StatusCode::OK);
    let filtered = app.find_users(&format!("userName eq \"{user_name}\"")).await;
    assert_eq!(filtered["totalResults"], 1);
    let refused = app.send(Method::GET, "/Users", Some(&wrong_token), None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let basic_auth = app
        .http
        .get(format!("{}/Users", app.tenant_url))
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic_auth.status(), StatusCode::UNAUTHORIZED);
    let mut users = UsersClient::connect(app.grpc_url()).await.unwrap();
    users
        .get_user(authed(
            &app.token,
            GetUserRequest {
                id,
                ..Default::default()
            },
        ))
        .await
        .unwrap();

    // The console: a wrong sign-in, an admin's session, and a token created on its page.
    let console_base = console_url(&app);
    let wrong_sign_in = format!("idsync_console{marker}");
    assert_eq!(
        try_sign_in(&console_base, &wrong_sign_in).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let admin = app.new_token(Scope::Admin).await;
    let console = ConsoleClient::sign_in(&app, &admin).await;
    let created_in_console = console
        .post(
            "/settings/tokens",
            &[("label", "Entra"), ("scope", "scim"), ("expires", "")],
        )
        .await;
    assert_eq!(created_in_console.status(), StatusCode::OK);
    let page = created_in_console.text().await.unwrap();
    let at = page.find(r#"data-testid="new-token""#).unwrap();
    let shown = &page[at..];
    let shown = &shown[shown.find('>').unwrap() + 1..];
    let console_secret = shown[..shown.find('<').unwrap()].to_owned();
    assert!(console_secret.starts_with("idsync_"), "{console_secret}");

    telemetry
        .spans_of(&trace_id, |spans| spans.iter().any(|s| s.name == "INSERT users"))
        .await;
    let exported = telemetry.collector.dump();
    let metrics = scrape(&app).await;
    let logs = telemetry.log_lines();
    let session_id = console.cookie.split_once('=').unwrap().1;
    let console_secrets = [
        admin.as_str(),
        &console_secret,
        &wrong_sign_in,
        session_id,
        &console.csrf,
    ];
    for secret in [app.token.as_str(), &password, &new_password, &wrong_token, &basic]
        .into_iter()
        .chain(console_secrets)
    {
        assert!(!exported.contains(secret), "a secret was exported in a span or metric");
        assert!(!metrics.contains(secret), "a secret is a metric label");
        assert!(!logs.iter().any(|l| l.contains(secret)), "a secret was logged");
    }
    for text in [&exported, &metrics] {
        assert!(!text.contains("Bearer ") && !text.contains("Basic "));
    }
    assert!(!logs.iter().any(|l| l.contains("Bearer ") || l.contains("Basic ")));

    let lines: Vec<Value> = logs.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(lines.len(), logs.len(), "every log line is one JSON object");
    for line in &lines {
        let level = line["level"].as_str().unwrap_or_default();
        if level != "DEBUG" && level != "TRACE" {
            assert!(
                !line.to_string().contains(&user_name),
                "personal data above DEBUG: {line}"
            );
        }
    }
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "DEBUG" && l.to_string().contains(&user_name)),
        "the capture sees DEBUG lines, where personal data may appear"
    );
    let of_request: Vec<&Value> = lines
        .iter()
        .filter(|l| l["request_id"] == request_id.as_str())
        .collect();
    for target in ["idsync_telemetry::http", "idsync_core::telemetry"] {
        let line = of_request
            .iter()
            .find(|l| l["target"] == target && l["level"] == "INFO")
            .unwrap_or_else(|| panic!("an INFO line of {target} names request {request_id}"));
        assert_eq!(line["trace_id"], trace_id.as_str(), "{line}");
        assert_eq!(line["span_id"].as_str().map(str::len), Some(16), "{line}");
    }
}

on_both_backends!(no_secret_reaches_spans_metrics_or_logs);
