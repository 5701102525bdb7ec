//! Tokens and tenancy: who may do what, and that tenants never see each other.

use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::{CreateTokenRequest, ListTokensRequest, RevokeTokenRequest, TokenScope};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, assert_scim_error, authed, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn requests_without_a_valid_token_are_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let missing = app.send(Method::GET, "/Users", None, None).await;
    assert_eq!(
        missing
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().starts_with("Bearer")),
        Some(true)
    );
    assert_scim_error(missing, StatusCode::UNAUTHORIZED, None).await;
    let wrong = app
        .send(Method::GET, "/Users", Some("idsync_not-a-real-token"), None)
        .await;
    assert_scim_error(wrong, StatusCode::UNAUTHORIZED, None).await;
    let basic = app
        .http
        .get(format!("{}/Users", app.tenant_url))
        .header("authorization", format!("Basic {}", app.token))
        .send()
        .await
        .unwrap();
    assert_scim_error(basic, StatusCode::UNAUTHORIZED, None).await;
}

async fn a_revoked_token_is_refused_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let victim = app.new_token(Scope::Scim).await;
    assert_eq!(
        app.send(Method::GET, "/Users", Some(&victim), None).await.status(),
        StatusCode::OK
    );

    let admin_secret = app.new_token(Scope::Admin).await;
    let mut admin = AdminClient::connect(app.grpc_url()).await.unwrap();
    // `last_used_at` is written after the answer, off the request path: wait for it.
    let mut tokens = Vec::new();
    for _ in 0..100 {
        tokens = admin
            .list_tokens(authed(&admin_secret, ListTokensRequest {}))
            .await
            .unwrap()
            .into_inner()
            .tokens;
        if tokens.iter().any(|t| t.last_used.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(tokens.len(), 3, "bootstrap, victim and admin tokens of this tenant");
    let used: Vec<_> = tokens.iter().filter(|t| t.last_used.is_some()).collect();
    assert!(!used.is_empty(), "last_used_at is recorded within 5 s");
    // The victim is the scim token created most recently.
    let victim_id = tokens
        .iter()
        .filter(|t| t.scope == idsync_proto::v1::TokenScope::Scim as i32)
        .max_by_key(|t| t.created.as_ref().map(|c| (c.seconds, c.nanos)))
        .unwrap()
        .id
        .clone();
    admin
        .revoke_token(authed(&admin_secret, RevokeTokenRequest { id: victim_id }))
        .await
        .unwrap();

    let refused = app.send(Method::GET, "/Users", Some(&victim), None).await;
    assert_scim_error(refused, StatusCode::UNAUTHORIZED, None).await;
    assert_eq!(
        app.send(Method::GET, "/Users", Some(&app.token), None).await.status(),
        StatusCode::OK
    );
}

async fn read_and_admin_tokens_read_but_cannot_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reader = app.new_token(Scope::Read).await;
    // The admin console signs in with an admin token: it shows users and groups, and
    // never provisions them.
    let admin = app.new_token(Scope::Admin).await;
    let user = app.created_user(&json!({"userName": "r@contoso.com"})).await;
    let id = user["id"].as_str().unwrap();
    let group = app.group_id("Engineering").await;
    let user_path = format!("/Users/{id}");
    let group_path = format!("/Groups/{group}");
    let new_user = json!({"userName": "w@contoso.com"});
    let replaced = json!({"userName": "r@contoso.com", "displayName": "R"});
    let patch = idsync_tests::patch_op(json!([{"op": "replace", "path": "displayName", "value": "R"}]));
    let new_group = json!({"displayName": "Sales"});
    for token in [&reader, &admin] {
        for path in [user_path.as_str(), "/Users", group_path.as_str(), "/Groups"] {
            let read = app.send(Method::GET, path, Some(token), None).await;
            assert_eq!(read.status(), StatusCode::OK, "GET {path}");
        }
        let writes = [
            (Method::POST, "/Users", Some(&new_user)),
            (Method::PUT, user_path.as_str(), Some(&replaced)),
            (Method::PATCH, user_path.as_str(), Some(&patch)),
            (Method::DELETE, user_path.as_str(), None),
            (Method::POST, "/Groups", Some(&new_group)),
            (Method::PATCH, group_path.as_str(), Some(&patch)),
            (Method::DELETE, group_path.as_str(), None),
        ];
        for (method, path, body) in writes {
            let write = app.send(method, path, Some(token), body).await;
            assert_scim_error(write, StatusCode::FORBIDDEN, None).await;
        }
    }
    let stored = app.get(&user_path).await;
    assert_eq!(stored.status(), StatusCode::OK, "nothing was deleted");
    let stored: Value = stored.json().await.unwrap();
    assert!(stored.get("displayName").is_none(), "nothing was changed: {stored}");
    assert_eq!(app.get(&group_path).await.status(), StatusCode::OK);
}

async fn two_tenants_never_see_each_others_users(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, other) = app.new_tenant("fabrikam", Scope::Scim).await;
    let mine = app
        .created_user(&json!({"userName": "shared@example.com", "title": "mine"}))
        .await;
    let my_id = mine["id"].as_str().unwrap();
    // The same userName is free in another tenant.
    let theirs = app
        .send(
            Method::POST,
            "/Users",
            Some(&other),
            Some(&json!({"userName": "shared@example.com"})),
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::CREATED);
    let theirs: Value = theirs.json().await.unwrap();
    let their_id = theirs["id"].as_str().unwrap();

    let list: Value = app
        .send(Method::GET, "/Users", Some(&other), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["id"], their_id);
    let filtered: Value = app
        .send(
            Method::GET,
            &format!("/Users?filter=id+eq+%22{my_id}%22"),
            Some(&other),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["totalResults"], 0);

    let path = format!("/Users/{my_id}");
    let patch = json!({"Operations": [{"op": "replace", "path": "title", "value": "stolen"}]});
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(&patch)),
        (Method::PUT, Some(&json!({"userName": "x@y"}))),
        (Method::DELETE, None),
    ] {
        let response = app.send(method.clone(), &path, Some(&other), body).await;
        assert_scim_error(response, StatusCode::NOT_FOUND, None).await;
    }
    let still: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(still, mine, "the other tenant changed nothing");
}

async fn only_an_operators_admin_mints_a_token_for_another_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (contoso, contoso_admin) = app.new_tenant("contoso", Scope::Admin).await;
    let operator_admin = app.new_token(Scope::Admin).await;
    let mut admin = AdminClient::connect(app.grpc_url()).await.unwrap();
    let mint = |tenant_id: &str| CreateTokenRequest {
        scope: TokenScope::Scim as i32,
        label: "first".into(),
        expires: None,
        tenant_id: Some(tenant_id.to_owned()),
    };

    let refused = admin
        .create_token(authed(&contoso_admin, mint(&app.tenant.id)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{refused:?}");
    let unknown = admin
        .create_token(authed(&operator_admin, mint("no-such-tenant")))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound, "{unknown:?}");

    let minted = admin
        .create_token(authed(&operator_admin, mint(&contoso.id)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(minted.token.unwrap().tenant_id, contoso.id);
    let created = app
        .send(
            Method::POST,
            "/Users",
            Some(&minted.secret),
            Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada"})),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let ours: Value = app
        .send(Method::GET, "/Users", Some(&app.token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ours["totalResults"], 0,
        "the token writes into contoso, not the operator's tenant"
    );
}

on_both_backends!(
    requests_without_a_valid_token_are_401,
    only_an_operators_admin_mints_a_token_for_another_tenant,
    a_revoked_token_is_refused_at_once,
    read_and_admin_tokens_read_but_cannot_write,
    two_tenants_never_see_each_others_users,
);
