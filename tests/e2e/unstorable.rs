//! Input no database can store, or that one backend stores and the other cannot: NUL
//! (PostgreSQL has no NUL in `text`) and text longer than an index entry may be. Both
//! backends answer the same 400 before anything is stored, and an `attributes` name
//! with a multi-byte character is a 400, not a dropped connection.

use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::provisioning_log_client::ProvisioningLogClient;
use idsync_proto::v1::{
    CreateTokenRequest, ListLogEntriesRequest, ListUserGroupsRequest, RevokeTokenRequest, TokenScope,
};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, assert_scim_error, authed, on_both_backends, patch_op};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tonic::Code;

on_both_backends!(
    nul_anywhere_is_400_on_both_backends_and_nothing_is_stored,
    text_too_long_to_index_is_400_on_both_backends,
    attribute_names_with_multi_byte_characters_are_400,
    nul_in_the_fields_only_grpc_reaches_is_invalid_argument_on_both_backends,
);

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

fn user(user_name: &str) -> Value {
    json!({"schemas": [USER], "userName": user_name, "active": true})
}

async fn nul_anywhere_is_400_on_both_backends_and_nothing_is_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kept = app.created_user(&user("kept@contoso.com")).await;
    let id = kept["id"].as_str().unwrap().to_owned();
    let group = app.group_with("Kept", &[&id]).await;

    let mut in_values = user("values@contoso.com");
    in_values["emails"] = json!([{"value": "a\u{0}@contoso.com", "type": "work"}]);
    let mut in_extension = user("ext@contoso.com");
    in_extension["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = json!({"department": "R\u{0}D"});
    for body in [user("nul\u{0}@contoso.com"), in_values, in_extension] {
        let created = app.create_user(&body).await;
        let error = assert_scim_error(created, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
        assert!(error["detail"].as_str().unwrap().contains("NUL"), "{error}");
    }

    let patch = patch_op(json!([{"op": "replace", "path": "displayName", "value": "x\u{0}y"}]));
    let patched = app.patch_user(&id, &patch).await;
    assert_scim_error(patched, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let put = app.put_user(&id, &user("kept\u{0}@contoso.com")).await;
    assert_scim_error(put, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let add_member = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": "\u{0}"}]}]));
    let added = app.patch_group(&group, add_member).await;
    assert_scim_error(added, StatusCode::BAD_REQUEST, Some("invalidValue")).await;

    // `%00` in a resource id, on every method and both resource types.
    for (method, path) in [
        (Method::GET, "/Users/a%00b"),
        (Method::DELETE, "/Users/%00"),
        (Method::GET, "/Groups/%00"),
        (Method::DELETE, "/Groups/a%00"),
    ] {
        let response = app.send(method.clone(), path, Some(&app.token), None).await;
        assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    }
    let response = app
        .send(Method::PATCH, "/Users/%00", Some(&app.token), Some(&patch))
        .await;
    assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidValue")).await;

    // In a filter, raw (`%00`) or escaped (`\u0000`).
    for filter in ["userName%20eq%20%22a%00%22", "userName%20eq%20%22a%5Cu0000%22"] {
        let listed = app.get(&format!("/Users?filter={filter}")).await;
        assert_scim_error(listed, StatusCode::BAD_REQUEST, Some("invalidFilter")).await;
    }

    let users = app.get_json("/Users").await;
    assert_eq!(users["totalResults"], 1, "only the first user was stored: {users}");
    let stored = app.get_json(&format!("/Users/{id}")).await;
    assert_eq!(stored["userName"], "kept@contoso.com");
    assert_eq!(
        stored["meta"]["version"], "W/\"1\"",
        "the refused writes changed nothing"
    );
    assert_eq!(app.members_of(&group).await, vec![id]);
}

async fn text_too_long_to_index_is_400_on_both_backends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 20,000 random-looking characters: past PostgreSQL's index entry limit, which
    // compression cannot rescue.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let long: String = (0..20_000)
        .map(|_| {
            // A 64-bit LCG's high bits: no period PostgreSQL's compression could exploit.
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(b'a' + u8::try_from((state >> 33) % 26).unwrap())
        })
        .collect();
    let created = app.create_user(&user(&long)).await;
    let error = assert_scim_error(created, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert!(
        error["detail"].as_str().unwrap().contains("userName is 20000 bytes"),
        "{error}"
    );

    let mut long_value = user("long@contoso.com");
    long_value["emails"] = json!([{"value": long, "type": "work"}]);
    let created = app.create_user(&long_value).await;
    assert_scim_error(created, StatusCode::BAD_REQUEST, Some("invalidValue")).await;

    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": long});
    let created = app.create_group(&group).await;
    assert_scim_error(created, StatusCode::BAD_REQUEST, Some("invalidValue")).await;

    // The longest accepted value is stored and read back whole on both backends.
    let longest = "b".repeat(idsync_storage::text::MAX_TEXT_BYTES);
    let mut at_limit = user(&longest);
    at_limit["emails"] = json!([{"value": longest, "type": "work"}]);
    let created = app.created_user(&at_limit).await;
    assert_eq!(
        created["userName"].as_str().unwrap().len(),
        idsync_storage::text::MAX_TEXT_BYTES
    );
    let found = app.find_users(&format!("userName eq \"{longest}\"")).await;
    assert_eq!(found["totalResults"], 1);
    let users = app.get_json("/Users").await;
    assert_eq!(users["totalResults"], 1, "{users}");
}

async fn attribute_names_with_multi_byte_characters_are_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for query in [
        "attributes=abc%C3%A9",
        "excludedAttributes=ab%E2%82%AC",
        "attributes=urn%C3%BC:x",
    ] {
        let listed = app.get(&format!("/Users?{query}")).await;
        assert_scim_error(listed, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
        // Without a token too: the answer is an answer, never a reset connection.
        let anonymous = app.send(Method::GET, &format!("/Users?{query}"), None, None).await;
        assert!(anonymous.status().is_client_error(), "{query}: {}", anonymous.status());
    }
}

/// Ids and names that only the gRPC API takes (the admin and log services, and the
/// Directory) refuse NUL the same way on both backends, before any lookup.
async fn nul_in_the_fields_only_grpc_reaches_is_invalid_argument_on_both_backends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin_token = app.new_token(Scope::Admin).await;
    let mut admin = AdminClient::connect(app.grpc_url()).await.unwrap();
    let mut log = ProvisioningLogClient::connect(app.grpc_url()).await.unwrap();
    let mut directory = app.directory().await;
    let codes = [
        admin
            .create_token(authed(
                &admin_token,
                CreateTokenRequest {
                    scope: TokenScope::Read as i32,
                    label: "a\u{0}b".into(),
                    expires: None,
                    tenant_id: None,
                },
            ))
            .await
            .map(|_| ()),
        admin
            .revoke_token(authed(&admin_token, RevokeTokenRequest { id: "\u{0}".into() }))
            .await
            .map(|_| ()),
        log.list_log_entries(authed(
            &admin_token,
            ListLogEntriesRequest {
                resource_id: "x\u{0}".into(),
                ..Default::default()
            },
        ))
        .await
        .map(|_| ()),
        directory
            .list_user_groups(authed(
                &app.token,
                ListUserGroupsRequest {
                    user_id: "\u{0}".into(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
    ];
    for (i, result) in codes.into_iter().enumerate() {
        let status = result.expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "call {i}: {status:?}");
        assert!(status.message().contains("NUL"), "call {i}: {status:?}");
    }
    let refused = idsync_core::admin::create_tenant(&app.node.store, "nul", Some("https://a\u{0}".into()), false);
    assert!(
        matches!(&refused, Err(idsync_core::error::CoreError::Invalid { .. })),
        "{refused:?}"
    );
}
