//! The request shapes clients really send at the edges, over the whole system and on both
//! databases: media types with parameters, stray slashes, Entra's flag on the Tenant URL
//! and client-sent `meta` (docs/entra.md, §1.1, §1.2 and C4) are served, and broken ones
//! get SCIM errors.

use idsync_tests::{Backend, TestApp, assert_scim_error, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    media_types_slashes_and_the_entra_flag_are_served,
    malformed_bodies_and_unknown_routes_get_scim_errors,
);

async fn media_types_slashes_and_the_entra_flag_are_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let send = |method: Method, url: String, content_type: Option<&'static str>, body: Option<Value>| {
        let mut request = app.http.request(method, url).bearer_auth(&app.token);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        request.send()
    };
    let mut ids = Vec::new();
    for (i, content_type) in [
        "application/scim+json",
        "application/scim+json; charset=utf-8",
        "application/json",
        "application/json;charset=UTF-8",
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": format!("edge{i}@contoso.com"),
            "meta": {"resourceType": "Group", "version": "W/\"99\"", "created": "1999-01-01T00:00:00Z"},
        });
        let created = send(
            Method::POST,
            format!("{}/Users", app.tenant_url),
            Some(content_type),
            Some(body),
        )
        .await
        .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "{content_type}");
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["meta"]["resourceType"], "User", "client meta is ignored");
        assert_eq!(created["meta"]["version"], "W/\"1\"");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }

    let base = app.tenant_url.as_str();
    for url in [
        format!("{base}/Users/"),
        format!("{base}//Users"),
        format!("{base}/Users?aadOptscim062020"),
    ] {
        let listed = send(Method::GET, url.clone(), None, None).await.unwrap();
        assert_eq!(listed.status(), StatusCode::OK, "{url}");
        let listed: Value = listed.json().await.unwrap();
        assert_eq!(listed["totalResults"], 4, "{url}");
    }
    let flagged = send(
        Method::GET,
        format!("{base}/Users?aadOptscim062020&filter=userName+eq+%22edge2%40contoso.com%22"),
        None,
        None,
    )
    .await
    .unwrap();
    let flagged: Value = flagged.json().await.unwrap();
    assert_eq!(flagged["totalResults"], 1);
    assert_eq!(flagged["Resources"][0]["id"], ids[2].as_str());
    let one = send(Method::GET, format!("{base}/Users/{}/", ids[0]), None, None)
        .await
        .unwrap();
    assert_eq!(one.status(), StatusCode::OK);
    assert_eq!(one.json::<Value>().await.unwrap()["userName"], "edge0@contoso.com");
}

async fn malformed_bodies_and_unknown_routes_get_scim_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let malformed = app
        .http
        .post(format!("{}/Users", app.tenant_url))
        .bearer_auth(&app.token)
        .header("content-type", "application/scim+json")
        .body("{\"userName\": ")
        .send()
        .await
        .unwrap();
    assert_scim_error(malformed, StatusCode::BAD_REQUEST, Some("invalidSyntax")).await;
    let unknown = app.get("/Widgets").await;
    assert_scim_error(unknown, StatusCode::NOT_FOUND, None).await;
    let listed = app.get_json("/Users").await;
    assert_eq!(listed["totalResults"], 0, "nothing was stored");
}
