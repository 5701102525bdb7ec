//! Router-level tests: `app(state).oneshot(request)` with a core that is never there.
//!
//! The channel points at a closed port, so a request that gets as far as calling sync-core
//! answers 503; that proves routing and parsing let it through.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tonic::transport::Endpoint;
use tower::ServiceExt;

use super::*;

fn state_with_limit(max_body_bytes: usize) -> AppState {
    state_with(max_body_bytes, false)
}

fn state_with(max_body_bytes: usize, ops_on_public_listener: bool) -> AppState {
    let channel = Endpoint::from_static("http://127.0.0.1:1").connect_lazy();
    AppState::new(
        channel,
        GatewaySettings {
            public_url: "https://app.example.com".into(),
            max_body_bytes,
            bulk_max_operations: DEFAULT_BULK_MAX_OPERATIONS,
            shield: ShieldSettings::default(),
            ops_on_public_listener,
            tls: None,
            console: Default::default(),
        },
    )
}

async fn send(request: Request<Body>) -> (Response, Value) {
    send_to(state_with_limit(DEFAULT_MAX_BODY_BYTES), request).await
}

async fn send_to(state: AppState, request: Request<Body>) -> (Response, Value) {
    let response = app(state).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (Response::from_parts(parts, Body::empty()), json)
}

fn request(method: Method, uri: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(uri)
}

fn json_body(method: Method, uri: &str, content_type: &str, body: &str) -> Request<Body> {
    request(method, uri)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn assert_scim_error(response: &Response, body: &Value, status: StatusCode, scim_type: Option<&str>) {
    assert_eq!(response.status(), status, "{body}");
    assert_eq!(response.headers()[header::CONTENT_TYPE], SCIM_CONTENT_TYPE);
    assert_eq!(body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
    assert_eq!(body["status"], json!(status.as_str()));
    assert_eq!(body.get("scimType").and_then(Value::as_str), scim_type, "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

#[tokio::test]
async fn healthz_answers_ok_as_plain_json() {
    let (response, body) = send(request(Method::GET, "/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn readyz_answers_503_when_the_core_cannot_be_reached() {
    let state = state_with(DEFAULT_MAX_BODY_BYTES, true);
    let (response, body) = send_to(state, request(Method::GET, "/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(body, json!({"status": "unavailable"}));
}

#[tokio::test]
async fn metrics_need_no_token_and_speak_the_prometheus_text_format() {
    let state = state_with(DEFAULT_MAX_BODY_BYTES, true);
    let response = app(state)
        .oneshot(request(Method::GET, "/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
}

#[tokio::test]
async fn metrics_and_readyz_are_not_on_the_public_listener_unless_asked() {
    for path in ["/metrics", "/readyz"] {
        let (response, body) = send(request(Method::GET, path).body(Body::empty()).unwrap()).await;
        assert_scim_error(&response, &body, StatusCode::NOT_FOUND, None);
    }
    let (response, _) = send(request(Method::GET, "/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK, "/healthz stays");
}

#[tokio::test]
async fn an_unknown_route_is_a_scim_404() {
    for uri in ["/scim/v2/Nope", "/scim/v2", "/", "/Users"] {
        let (response, body) = send(request(Method::GET, uri).body(Body::empty()).unwrap()).await;
        assert_scim_error(&response, &body, StatusCode::NOT_FOUND, None);
    }
}

#[tokio::test]
async fn a_wrong_method_on_a_known_route_is_a_scim_405_with_allow() {
    let (response, body) = send(request(Method::DELETE, "/scim/v2/Users").body(Body::empty()).unwrap()).await;
    assert_scim_error(&response, &body, StatusCode::METHOD_NOT_ALLOWED, None);
    let allow = response.headers()[header::ALLOW].to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let (response, body) = send(request(Method::POST, "/scim/v2/Users/abc").body(Body::empty()).unwrap()).await;
    assert_scim_error(&response, &body, StatusCode::METHOD_NOT_ALLOWED, None);
}

#[tokio::test]
async fn every_group_route_reaches_the_core_and_others_are_405() {
    let body = r#"{"displayName":"Eng"}"#;
    let patch = r#"{"Operations":[{"op":"add","path":"members","value":[{"value":"u1"}]}]}"#;
    for (method, uri, body) in [
        (Method::GET, "/scim/v2/Groups?excludedAttributes=members", ""),
        (Method::POST, "/scim/v2/Groups", body),
        (Method::GET, "/scim/v2/Groups/g1?excludedAttributes=members", ""),
        (Method::PUT, "/scim/v2/Groups/g1", body),
        (Method::PATCH, "/scim/v2/Groups/g1", patch),
        (Method::DELETE, "/scim/v2//Groups/g1/", ""),
    ] {
        let (response, _) = send(json_body(method.clone(), uri, "application/scim+json", body)).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{method} {uri}");
    }
    let (response, body) = send(request(Method::PATCH, "/scim/v2/Groups").body(Body::empty()).unwrap()).await;
    assert_scim_error(&response, &body, StatusCode::METHOD_NOT_ALLOWED, None);
    let (response, body) = send(json_body(
        Method::POST,
        "/scim/v2/Groups",
        "application/scim+json",
        r#"{"displayName":["Eng"]}"#,
    ))
    .await;
    assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
}

#[tokio::test]
async fn malformed_json_is_400_invalid_syntax() {
    let (response, body) = send(json_body(
        Method::POST,
        "/scim/v2/Users",
        "application/scim+json",
        "{\"userName\": ",
    ))
    .await;
    assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
    let (response, body) = send(json_body(
        Method::PATCH,
        "/scim/v2/Users/u1",
        "application/json",
        "not json",
    ))
    .await;
    assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
}

#[tokio::test]
async fn a_wrongly_typed_attribute_is_400_invalid_value() {
    let (response, body) = send(json_body(
        Method::POST,
        "/scim/v2/Users",
        "application/scim+json",
        r#"{"userName":"a","active":"maybe"}"#,
    ))
    .await;
    assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
    let (response, body) = send(json_body(
        Method::PATCH,
        "/scim/v2/Users/u1",
        "application/scim+json",
        r#"{"Operations":[]}"#,
    ))
    .await;
    assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let state = state_with_limit(64);
    let big = format!(r#"{{"userName":"{}"}}"#, "a".repeat(100));
    let (response, body) = send_to(
        state.clone(),
        json_body(Method::POST, "/scim/v2/Users", "application/scim+json", &big),
    )
    .await;
    assert_scim_error(&response, &body, StatusCode::PAYLOAD_TOO_LARGE, None);
    // Without a Content-Length the limit still holds while streaming.
    let stream = Body::from_stream(futures_stream(big.into_bytes()));
    let request = request(Method::PUT, "/scim/v2/Users/u1").body(stream).unwrap();
    let (response, body) = send_to(state, request).await;
    assert_scim_error(&response, &body, StatusCode::PAYLOAD_TOO_LARGE, None);
}

fn futures_stream(bytes: Vec<u8>) -> impl tokio_stream::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    tokio_stream::iter(bytes.chunks(16).map(|chunk| Ok(chunk.to_vec())).collect::<Vec<_>>())
}

#[tokio::test]
async fn a_body_of_another_media_type_is_415() {
    let (response, body) = send(json_body(
        Method::POST,
        "/scim/v2/Users",
        "text/plain",
        r#"{"userName":"a"}"#,
    ))
    .await;
    assert_scim_error(&response, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE, None);
    let (response, body) = send(json_body(Method::PATCH, "/scim/v2/Users/u1", "application/xml", "<x/>")).await;
    assert_scim_error(&response, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE, None);
}

#[tokio::test]
async fn bodies_with_entras_content_type_or_none_reach_the_core() {
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","active":"True"}"#;
    for content_type in [
        "application/scim+json; charset=utf-8",
        "application/json",
        "APPLICATION/SCIM+JSON",
    ] {
        let (response, _) = send(json_body(Method::POST, "/scim/v2/Users", content_type, body)).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{content_type}");
    }
    let (response, _) = send(request(Method::POST, "/scim/v2/Users").body(Body::from(body)).unwrap()).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

/// docs/entra.md, C1 and Q14: Test Connection's probe has no Content-Type and a
/// non-SCIM Accept; it must never get 406 or 415.
#[tokio::test]
async fn reads_are_served_whatever_accept_and_content_type_say() {
    for accept in ["*/*", "application/json", "text/html", "application/xml"] {
        let probe = request(
            Method::GET,
            "/scim/v2/Users?filter=userName+eq+%22b4fa7c1e-0000-4000-8000-000000000000%22",
        )
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .unwrap();
        let (response, body) = send(probe).await;
        assert_scim_error(&response, &body, StatusCode::SERVICE_UNAVAILABLE, None);
    }
    let delete = request(Method::DELETE, "/scim/v2/Users/u1")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::empty());
    let (response, _) = send(delete.unwrap()).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn doubled_and_trailing_slashes_reach_the_handlers() {
    for (method, uri, reached) in [
        (Method::GET, "/scim/v2//Users", StatusCode::SERVICE_UNAVAILABLE),
        (Method::GET, "/scim/v2/Users/", StatusCode::SERVICE_UNAVAILABLE),
        (
            Method::GET,
            "/scim/v2//Users?filter=userName+eq+%22a%22&aadOptscim062020",
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        (Method::GET, "/scim/v2//Users//u1/", StatusCode::SERVICE_UNAVAILABLE),
        (Method::DELETE, "/scim/v2/Users/u1/", StatusCode::SERVICE_UNAVAILABLE),
        (Method::GET, "/healthz/", StatusCode::OK),
    ] {
        let (response, _) = send(request(method.clone(), uri).body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), reached, "{method} {uri}");
    }
}

#[tokio::test]
async fn an_id_that_is_not_utf8_names_no_resource() {
    let (response, body) = send(request(Method::GET, "/scim/v2/Users/%FF").body(Body::empty()).unwrap()).await;
    assert_scim_error(&response, &body, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn serve_answers_until_shutdown_then_returns() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state_with_limit(DEFAULT_MAX_BODY_BYTES), async move {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn bad_query_parameters_and_if_match_are_400_before_the_core_is_called() {
    let (response, body) = send(
        request(Method::GET, "/scim/v2/Users?count=abc")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
    let delete = request(Method::DELETE, "/scim/v2/Users/u1")
        .header(header::IF_MATCH, "three")
        .body(Body::empty());
    let (response, body) = send(delete.unwrap()).await;
    assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
    let delete = request(Method::DELETE, "/scim/v2/Users/u1")
        .header(header::IF_MATCH, "W/\"3\"")
        .body(Body::empty());
    let (response, _) = send(delete.unwrap()).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_request_id_is_generated_or_echoed() {
    let (response, _) = send(request(Method::GET, "/healthz").body(Body::empty()).unwrap()).await;
    assert!(!response.headers()[REQUEST_ID].is_empty());
    let given = request(Method::GET, "/scim/v2/Nope")
        .header(REQUEST_ID, "abc-123")
        .body(Body::empty());
    let (response, _) = send(given.unwrap()).await;
    assert_eq!(response.headers()[REQUEST_ID], "abc-123");
}

#[test]
fn the_scim_base_url_ignores_a_trailing_slash_in_the_public_url() {
    let channel = Endpoint::from_static("http://127.0.0.1:1");
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let _guard = runtime.enter();
    let state = AppState::new(channel.connect_lazy(), GatewaySettings::new("https://x.example/"));
    assert_eq!(state.scim_base_url(), "https://x.example/scim/v2");
    assert_eq!(state.settings().max_body_bytes, DEFAULT_MAX_BODY_BYTES);
}

#[tokio::test]
async fn discovery_endpoints_answer_get_and_refuse_other_methods_with_a_scim_405() {
    for uri in [
        "/scim/v2/ServiceProviderConfig",
        "/scim/v2/ResourceTypes",
        "/scim/v2/ResourceTypes/User",
        "/scim/v2/Schemas",
        "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
    ] {
        let (response, _) = send(request(Method::GET, uri).body(Body::empty()).unwrap()).await;
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "GET {uri} reaches the core"
        );
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let (response, body) = send(json_body(method.clone(), uri, "application/scim+json", "{}")).await;
            assert_scim_error(&response, &body, StatusCode::METHOD_NOT_ALLOWED, None);
            let allow = response.headers()[header::ALLOW].to_str().unwrap();
            assert!(
                allow.contains("GET") && !allow.contains(method.as_str()),
                "{method} {uri}: {allow}"
            );
        }
    }
}

#[tokio::test]
async fn me_is_a_scim_501_whatever_the_method() {
    for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        for uri in ["/scim/v2/Me", "/scim/v2/Me/", "/scim/v2/Me/groups"] {
            let (response, body) = send(json_body(method.clone(), uri, "application/scim+json", "{}")).await;
            assert_scim_error(&response, &body, StatusCode::NOT_IMPLEMENTED, None);
        }
    }
}

#[tokio::test]
async fn searches_are_post_only_and_their_bodies_are_checked_before_the_core_is_called() {
    for uri in ["/scim/v2/Users/.search", "/scim/v2/Groups/.search", "/scim/v2/.search"] {
        let (response, body) = send(request(Method::GET, uri).body(Body::empty()).unwrap()).await;
        assert_scim_error(&response, &body, StatusCode::METHOD_NOT_ALLOWED, None);
        let bad = json_body(Method::POST, uri, "application/scim+json", r#"{"count":"ten"}"#);
        let (response, body) = send(bad).await;
        assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
        let good = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName pr"}"#;
        let (response, _) = send(json_body(Method::POST, uri, "application/scim+json", good)).await;
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri} reaches the core"
        );
    }
}

#[tokio::test]
async fn conflicting_projections_and_bad_if_none_match_are_400_before_the_core_is_called() {
    for uri in [
        "/scim/v2/Users?attributes=userName&excludedAttributes=emails",
        "/scim/v2/Users/u1?attributes=user+name",
    ] {
        let (response, body) = send(request(Method::GET, uri).body(Body::empty()).unwrap()).await;
        assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
    }
    let patch = json_body(
        Method::PATCH,
        "/scim/v2/Users/u1?attributes=a&excludedAttributes=b",
        "application/scim+json",
        r#"{"Operations":[{"op":"replace","path":"title","value":"x"}]}"#,
    );
    let (response, body) = send(patch).await;
    assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
    let get = request(Method::GET, "/scim/v2/Users/u1")
        .header(header::IF_NONE_MATCH, "3")
        .body(Body::empty());
    let (response, body) = send(get.unwrap()).await;
    assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
}

#[tokio::test]
async fn a_handler_that_panics_answers_a_scim_500_instead_of_dropping_the_connection() {
    // No route of `app` panics on purpose; this one stands for the bug that would.
    async fn buggy() -> &'static str {
        panic!("a bug")
    }
    let router = Router::new()
        .route("/boom", get(buggy))
        .layer(CatchPanicLayer::custom(answer_panic));
    let response = router
        .oneshot(request(Method::GET, "/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body: Value = serde_json::from_slice(&body.collect().await.unwrap().to_bytes()).unwrap();
    let response = Response::from_parts(parts, Body::empty());
    assert_scim_error(&response, &body, StatusCode::INTERNAL_SERVER_ERROR, None);
    assert_eq!(
        body["detail"], "internal error",
        "the panic's text is logged, never shown"
    );
}

#[tokio::test]
async fn attribute_names_with_multi_byte_characters_are_400_not_a_dropped_connection() {
    for query in [
        "attributes=abc%C3%A9",
        "excludedAttributes=abc%C3%A9",
        "attributes=urn%C3%BC:x",
    ] {
        let (response, body) = send(
            request(Method::GET, &format!("/scim/v2/Users?{query}"))
                .header(header::AUTHORIZATION, "Bearer t")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_scim_error(&response, &body, StatusCode::BAD_REQUEST, Some("invalidValue"));
    }
}
