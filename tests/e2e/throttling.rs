//! Overload and abuse (issue "hardened for the open internet"): every 401 says the same
//! thing, unknown tokens are remembered, a tenant over its rate gets 429 with
//! `Retry-After` while another tenant is served, an address that keeps failing to
//! authenticate gets 429 before its requests reach the core, and a gateway at its
//! in-flight limit answers 503 with `Retry-After` at once.

use std::num::NonZeroU32;
use std::time::Duration;

use idsync_core::auth::{UNAUTHENTICATED, hash_secret};
use idsync_core::{CoreSettings, TenantRate};
use idsync_storage::records::{Scope, TokenRecord};
use idsync_tests::{Backend, ShieldSettings, TestApp, assert_scim_error, on_both_backends};
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

on_both_backends!(
    every_refused_token_gets_the_same_401,
    an_unknown_token_is_remembered_for_the_cache_ttl,
    a_tenant_over_its_rate_gets_429_with_retry_after_and_others_are_served,
    an_address_that_keeps_failing_to_authenticate_gets_429_even_with_a_valid_token,
    a_gateway_at_its_in_flight_limit_answers_503_with_retry_after,
    bulk_operations_past_the_tenant_rate_each_answer_429_inside_the_bulk_response,
);

/// A node whose tenants may make 1 request/s after a burst of 5.
async fn rate_limited(backend: Backend) -> TestApp {
    let rate = TenantRate {
        per_second: NonZeroU32::new(1).unwrap(),
        burst: NonZeroU32::new(5).unwrap(),
    };
    let core = CoreSettings {
        tenant_rate: Some(rate),
        ..CoreSettings::default()
    };
    TestApp::spawn_with(backend, core).await
}

/// A `scim` token of `tenant_id` with `secret`, written straight to the store.
fn token(tenant_id: &str, id: &str, secret: &str, expires_us: Option<i64>) -> TokenRecord {
    TokenRecord {
        id: id.into(),
        tenant_id: tenant_id.into(),
        scope: Scope::Scim,
        secret_hash: hash_secret(secret),
        label: "test".into(),
        created_us: 1,
        expires_us,
        last_used_us: None,
        revoked_us: None,
    }
}

/// Stores a token with `secret` straight in the database, without the core knowing.
async fn insert_behind_the_cores_back(app: &TestApp, id: &'static str, secret: &'static str) {
    let store = app.node.store.clone();
    let tenant_id = app.tenant.id.clone();
    tokio::task::spawn_blocking(move || store.insert_token(&token(&tenant_id, id, secret, None)).unwrap())
        .await
        .unwrap();
}

async fn every_refused_token_gets_the_same_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = app.node.store.clone();
    let tenant_id = app.tenant.id.clone();
    let expired = "idsync_expired-long-ago";
    tokio::task::spawn_blocking(move || store.insert_token(&token(&tenant_id, "t-expired", expired, Some(1))))
        .await
        .unwrap()
        .unwrap();
    let revoked = app.new_token(Scope::Scim).await;
    let store = app.node.store.clone();
    let hash = hash_secret(&revoked);
    tokio::task::spawn_blocking(move || {
        let token = store.token_by_hash(&hash).unwrap().unwrap();
        store.revoke_token(None, &token.id, 1).unwrap();
    })
    .await
    .unwrap();

    let mut details = Vec::new();
    for token in [None, Some("idsync_unknown"), Some(expired), Some(revoked.as_str())] {
        let response = app.send(Method::GET, "/Users", token, None).await;
        let error = assert_scim_error(response, StatusCode::UNAUTHORIZED, None).await;
        details.push(error["detail"].as_str().unwrap().to_owned());
    }
    assert!(details.iter().all(|d| d == UNAUTHENTICATED), "{details:?}");
}

async fn an_unknown_token_is_remembered_for_the_cache_ttl(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let secret = "idsync_guessed-before-it-existed";
    let refused = app.send(Method::GET, "/Users", Some(secret), None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    // The secret becomes a real token behind the core's back. Within the TTL the core
    // answers from what it remembers, without reading the database: still 401.
    insert_behind_the_cores_back(&app, "t-guessed", secret).await;
    let remembered = app.send(Method::GET, "/Users", Some(secret), None).await;
    assert_eq!(
        remembered.status(),
        StatusCode::UNAUTHORIZED,
        "answered from the negative cache"
    );

    // With the cache off, the same sequence reads the database every time.
    let uncached = TestApp::spawn_with(
        backend,
        CoreSettings {
            token_cache_ttl: Duration::ZERO,
            ..CoreSettings::default()
        },
    )
    .await;
    let secret = "idsync_another-guess";
    assert_eq!(
        uncached.send(Method::GET, "/Users", Some(secret), None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    insert_behind_the_cores_back(&uncached, "t-another", secret).await;
    assert_eq!(
        uncached.send(Method::GET, "/Users", Some(secret), None).await.status(),
        StatusCode::OK
    );
}

async fn a_tenant_over_its_rate_gets_429_with_retry_after_and_others_are_served(backend: Backend) {
    let app = rate_limited(backend).await;
    let (_, other) = app.new_tenant("fabrikam", Scope::Scim).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.get("/Users").await.status());
    }
    let served = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!(
        (5..=6).contains(&served),
        "the burst of 5 (plus at most one refill): {statuses:?}"
    );
    let throttled = app.get("/Users").await;
    let retry_after: u64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let error = assert_scim_error(throttled, StatusCode::TOO_MANY_REQUESTS, None).await;
    assert!(
        error["detail"].as_str().unwrap().contains("too many requests"),
        "{error}"
    );

    let response = app.send(Method::GET, "/Users", Some(&other), None).await;
    assert_ne!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "another tenant has its own bucket"
    );

    tokio::time::sleep(Duration::from_millis(1100 * retry_after)).await;
    assert_eq!(
        app.get("/Users").await.status(),
        StatusCode::OK,
        "served again after Retry-After"
    );
}

async fn an_address_that_keeps_failing_to_authenticate_gets_429_even_with_a_valid_token(backend: Backend) {
    let shield = ShieldSettings {
        auth_failure_burst: 3,
        auth_failures_per_minute: 1,
        ..ShieldSettings::default()
    };
    let app = TestApp::spawn_shielded(backend, CoreSettings::default(), shield).await;
    assert_eq!(app.get("/Users").await.status(), StatusCode::OK);
    for guess in 0..4 {
        let response = app
            .send(Method::GET, "/Users", Some(&format!("idsync_guess{guess}")), None)
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "guess {guess}");
    }
    for token in ["idsync_guess9", app.token.as_str()] {
        let response = app.send(Method::GET, "/Users", Some(token), None).await;
        let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        let error = assert_scim_error(response, StatusCode::TOO_MANY_REQUESTS, None).await;
        assert!(
            error["detail"].as_str().unwrap().contains("failed authentications"),
            "{error}"
        );
    }
}

async fn a_gateway_at_its_in_flight_limit_answers_503_with_retry_after(backend: Backend) {
    let shield = ShieldSettings {
        max_in_flight: 1,
        ..ShieldSettings::default()
    };
    let app = TestApp::spawn_shielded(backend, CoreSettings::default(), shield).await;
    // One request holds the only slot: its headers promise a body that has not come yet.
    // It must take the slot while no probe holds it: when a probe was in flight as its
    // head arrived, the slow request is the one shed (503, which the server then
    // answers at once), and it is sent again.
    let head = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{{\"userName\"",
        app.token
    );
    let hold = || async {
        let mut slow = TcpStream::connect(app.node.http_addr).await.unwrap();
        slow.write_all(head.as_bytes()).await.unwrap();
        slow
    };
    let mut slow = hold().await;
    let mut shed = None;
    let mut seen = Vec::new();
    for _ in 0..50 {
        let response = app.get("/Users").await;
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            shed = Some(response);
            break;
        }
        seen.push(response.status().as_u16());
        let mut answered = [0; 12];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(20), slow.read(&mut answered)).await {
            assert_eq!(
                &answered[..n.min(12)],
                &b"HTTP/1.1 503"[..n.min(12)],
                "only a shed request is answered early"
            );
            slow = hold().await;
        }
    }
    let shed = shed.unwrap_or_else(|| panic!("a second request is shed while the first is in flight: {seen:?}"));
    assert_eq!(shed.headers()["retry-after"], "1");
    assert_scim_error(shed, StatusCode::SERVICE_UNAVAILABLE, None).await;

    // The first request finishes (a 400: its body is not a user) and frees the slot.
    slow.write_all(&[b' '; 89]).await.unwrap();
    let mut answer = vec![0; 12];
    slow.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 400");
    drop(slow);
    assert_eq!(app.get("/Users").await.status(), StatusCode::OK);
}

/// A request the core cannot answer in time gets 504 at its deadline, not whenever the
/// database lets go. SQLite, whose one writer a test can hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_deadline_is_504() {
    let shield = ShieldSettings {
        request_timeout: Duration::from_millis(300),
        ..ShieldSettings::default()
    };
    let app = TestApp::spawn_shielded(Backend::Sqlite, CoreSettings::default(), shield).await;
    let store = app.node.store.clone();
    let (held, holding) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        store.write(|_| {
            held.send(()).unwrap();
            std::thread::sleep(Duration::from_secs(2));
            Ok::<_, idsync_storage::StorageError>(())
        })
    });
    holding.recv().unwrap();
    let started = std::time::Instant::now();
    let body = serde_json::json!({"userName": "late@contoso.com"});
    let response = app.create_user(&body).await;
    let waited = started.elapsed();
    let error = assert_scim_error(response, StatusCode::GATEWAY_TIMEOUT, None).await;
    assert!(error["detail"].as_str().unwrap().contains("deadline"), "{error}");
    assert!(waited < Duration::from_millis(1500), "answered after {waited:?}");
    writer.join().unwrap().unwrap();
}

/// A client that sends its headers too slowly is disconnected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_too_slow_with_its_headers_is_disconnected() {
    let shield = ShieldSettings {
        header_read_timeout: Duration::from_millis(300),
        ..ShieldSettings::default()
    };
    let app = TestApp::spawn_shielded(Backend::Sqlite, CoreSettings::default(), shield).await;
    let mut slow = TcpStream::connect(app.node.http_addr).await.unwrap();
    slow.write_all(b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection is still open after 5 s");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "closed after {:?}",
        started.elapsed()
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    // Others are served meanwhile and after.
    assert_eq!(app.get("/Users").await.status(), StatusCode::OK);
}

/// Each operation of a Bulk is a call to the core and counts against the tenant's rate.
/// Past the burst the request still answers 200; the operations beyond it carry their
/// own 429 in the BulkResponse, and nothing is created for them.
async fn bulk_operations_past_the_tenant_rate_each_answer_429_inside_the_bulk_response(backend: Backend) {
    let app = rate_limited(backend).await;
    let operations: Vec<_> = (0..8)
        .map(|i| {
            serde_json::json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"),
                               "data": {"userName": format!("bulk{i}@contoso.com")}})
        })
        .collect();
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": operations,
    });
    let response = app.send(Method::POST, "/Bulk", Some(&app.token), Some(&body)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: serde_json::Value = response.json().await.unwrap();
    let statuses: Vec<String> = answer["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["status"].as_str().unwrap().to_owned())
        .collect();
    let created = statuses.iter().filter(|s| *s == "201").count();
    let throttled = statuses.iter().filter(|s| *s == "429").count();
    assert_eq!(created + throttled, 8, "{answer}");
    // The burst of 5, less the call that authorised the Bulk, plus at most one refill.
    assert!((4..=5).contains(&created), "{statuses:?}");
    tokio::time::sleep(Duration::from_millis(6_000)).await;
    let listed = app.get_json("/Users").await;
    assert_eq!(listed["totalResults"], created, "only the created ones exist: {listed}");
}
