//! Query features over HTTP: `attributes`/`excludedAttributes`, `/Users/.search`,
//! conditional requests, PUT's handling of readOnly attributes, paging limits and `/Me`.
//! The root and Groups searches are in `search`.

use idsync_core::CoreSettings;
use idsync_tests::{Backend, TestApp, assert_scim_error, on_both_backends, search_request};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn ada() -> Value {
    json!({
        "schemas": [CORE, ENTERPRISE],
        "userName": "ada@contoso.com",
        "externalId": "ada",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "title": "Analyst",
        "emails": [{"value": "ada@contoso.com", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
        ENTERPRISE: {"department": "R&D", "costCenter": "42"}
    })
}

fn keys(resource: &Value) -> Vec<String> {
    let mut keys: Vec<String> = resource.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

async fn attributes_and_excluded_attributes_shape_every_user_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .send(
            Method::POST,
            "/Users?attributes=userName,name.givenName",
            Some(&app.token),
            Some(&ada()),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert!(created.headers().contains_key("location") && created.headers().contains_key("etag"));
    let created: Value = created.json().await.unwrap();
    assert_eq!(keys(&created), ["id", "name", "schemas", "userName"]);
    assert_eq!(created["name"], json!({"givenName": "Ada"}));
    assert_eq!(created["schemas"], json!([CORE]), "the extension is not in the answer");
    let id = created["id"].as_str().unwrap().to_string();

    let one = app
        .get_json(&format!(
            "/Users/{id}?excludedAttributes=emails,meta,{ENTERPRISE}:costCenter"
        ))
        .await;
    assert!(one.get("emails").is_none() && one.get("meta").is_none());
    assert_eq!(one[ENTERPRISE], json!({"department": "R&D"}));
    assert_eq!(one["schemas"], json!([CORE, ENTERPRISE]));
    assert_eq!(one["phoneNumbers"], ada()["phoneNumbers"]);

    let department = app
        .get_json(&format!("/Users/{id}?attributes={ENTERPRISE}:department"))
        .await;
    assert_eq!(keys(&department), ["id", "schemas", ENTERPRISE].map(String::from));
    let whole = app
        .get_json(&format!(
            "/Users/{id}?ATTRIBUTES=Emails.Value,{}",
            ENTERPRISE.to_uppercase()
        ))
        .await;
    assert_eq!(whole["emails"], json!([{"value": "ada@contoso.com"}]));
    assert_eq!(whole[ENTERPRISE], ada()[ENTERPRISE]);

    let list = app
        .get_json("/Users?filter=userName+eq+%22ada%40contoso.com%22&attributes=userName")
        .await;
    assert_eq!(list["totalResults"], 1);
    assert_eq!(
        list["Resources"][0],
        json!({"schemas": [CORE], "id": id, "userName": "ada@contoso.com"})
    );

    let patch = json!({"Operations": [{"op": "replace", "path": "title", "value": "Countess"}]});
    let patched = app
        .send(
            Method::PATCH,
            &format!("/Users/{id}?attributes=title"),
            Some(&app.token),
            Some(&patch),
        )
        .await;
    assert_eq!(patched.headers()["etag"], "W/\"2\"");
    assert_eq!(
        patched.json::<Value>().await.unwrap(),
        json!({"schemas": [CORE], "id": id, "title": "Countess"})
    );

    let replaced = app
        .send(
            Method::PUT,
            &format!("/Users/{id}?excludedAttributes=name,id"),
            Some(&app.token),
            Some(&ada()),
        )
        .await;
    assert_eq!(replaced.status(), StatusCode::OK);
    let replaced: Value = replaced.json().await.unwrap();
    assert!(replaced.get("name").is_none());
    assert_eq!(replaced["id"], id, "id is returned always");
    assert_eq!(replaced["title"], "Analyst");

    let both = app
        .get(&format!("/Users/{id}?attributes=userName&excludedAttributes=title"))
        .await;
    assert_scim_error(both, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let bad = app.get("/Users?attributes=name..givenName").await;
    assert_scim_error(bad, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
}

async fn users_search_takes_every_parameter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for name in ["carol", "alice", "bob", "dave"] {
        app.created_user(&json!({"userName": format!("{name}@contoso.com"), "title": name, "displayName": name}))
            .await;
    }
    app.created_user(&json!({"userName": "eve@fabrikam.com", "title": "eve"}))
        .await;
    let body = search_request(json!({
        "filter": "userName ew \"@contoso.com\"",
        "startIndex": 2,
        "count": 2,
        "sortBy": "title",
        "sortOrder": "descending",
        "attributes": ["userName", "title"]
    }));
    let response = app.search_users(&body).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/scim+json")
    );
    let page: Value = response.json().await.unwrap();
    assert_eq!(
        (page["totalResults"].as_u64(), page["startIndex"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(page["itemsPerPage"], 2);
    let titles: Vec<_> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].clone())
        .collect();
    assert_eq!(titles, ["carol", "bob"]);
    assert_eq!(keys(&page["Resources"][0]), ["id", "schemas", "title", "userName"]);
    let excluded = app
        .search_users(&search_request(
            json!({"filter": "title eq \"eve\"", "excludedAttributes": ["meta", "userName"]}),
        ))
        .await;
    let excluded: Value = excluded.json().await.unwrap();
    assert_eq!(excluded["totalResults"], 1);
    assert_eq!(keys(&excluded["Resources"][0]), ["active", "id", "schemas", "title"]);
    let everything: Value = app.search_root(&json!({})).await.json().await.unwrap();
    assert_eq!(
        everything["totalResults"], 5,
        "schemas may be left out; no filter lists all"
    );

    let bad_filter = app.search_users(&search_request(json!({"filter": "title zz 1"}))).await;
    assert_scim_error(bad_filter, StatusCode::BAD_REQUEST, Some("invalidFilter")).await;
    let bad_sort = app.search_root(&search_request(json!({"sortOrder": "up"}))).await;
    assert_scim_error(bad_sort, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let not_json = app
        .request(Method::POST, "/Users/.search")
        .header("content-type", "application/scim+json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_scim_error(not_json, StatusCode::BAD_REQUEST, Some("invalidSyntax")).await;
    let reader = app.new_token(idsync_storage::records::Scope::Read).await;
    let read_only = app
        .send(
            Method::POST,
            "/.search",
            Some(&reader),
            Some(&search_request(json!({}))),
        )
        .await;
    assert_eq!(read_only.status(), StatusCode::OK, "a search is a read");
}

async fn if_none_match_answers_304_while_the_version_is_current(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.created_user(&json!({"userName": "etag@contoso.com"})).await;
    let id = user["id"].as_str().unwrap();
    for tags in ["W/\"1\"", "\"1\"", "W/\"7\", W/\"1\"", "*"] {
        let response = app.get_user_if_none_match(id, tags).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{tags}");
        assert_eq!(response.headers()["etag"], "W/\"1\"");
        assert!(response.bytes().await.unwrap().is_empty(), "a 304 has no body");
    }
    app.patch_user(
        id,
        &json!({"Operations": [{"op": "add", "path": "title", "value": "New"}]}),
    )
    .await;
    let stale = app.get_user_if_none_match(id, "W/\"1\"").await;
    assert_eq!(stale.status(), StatusCode::OK);
    assert_eq!(stale.headers()["etag"], "W/\"2\"");
    assert_eq!(stale.json::<Value>().await.unwrap()["title"], "New");
    let gone = app.get_user_if_none_match("no-such-user", "*").await;
    assert_scim_error(gone, StatusCode::NOT_FOUND, None).await;

    // Groups alike: a member change is a new version.
    let group = app.group_id("Etag").await;
    let path = format!("/Groups/{group}");
    let unchanged = app.get_if_none_match(&path, "W/\"1\"").await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(unchanged.headers()["etag"], "W/\"1\"");
    assert!(unchanged.bytes().await.unwrap().is_empty(), "a 304 has no body");
    app.patched_group(
        &group,
        json!([{"op": "add", "path": "members", "value": [{"value": id}]}]),
    )
    .await;
    let changed = app.get_if_none_match(&path, "W/\"1\"").await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.headers()["etag"], "W/\"2\"");
    assert_eq!(changed.json::<Value>().await.unwrap()["members"][0]["value"], id);
    let gone = app.get_if_none_match("/Groups/no-such-group", "*").await;
    assert_scim_error(gone, StatusCode::NOT_FOUND, None).await;
}

async fn if_match_guards_put_and_delete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app
        .created_user(&json!({"userName": "guard@contoso.com", "title": "A"}))
        .await;
    let id = user["id"].as_str().unwrap();
    let body = json!({"userName": "guard@contoso.com", "title": "B"});
    let stale = app.put_user_if_match(id, "W/\"9\"", &body).await;
    assert_scim_error(stale, StatusCode::PRECONDITION_FAILED, None).await;
    let fresh = app.put_user_if_match(id, "W/\"1\"", &body).await;
    assert_eq!(
        (fresh.status(), fresh.headers()["etag"].to_str().unwrap()),
        (StatusCode::OK, "W/\"2\"")
    );
    let stale = app.delete_user_if_match(id, "W/\"1\"").await;
    assert_scim_error(stale, StatusCode::PRECONDITION_FAILED, None).await;
    assert_eq!(
        app.get_json(&format!("/Users/{id}")).await["title"],
        "B",
        "nothing changed"
    );
    let any = app.put_user_if_match(id, "*", &body).await;
    assert_eq!(any.status(), StatusCode::OK);
    assert_eq!(
        app.delete_user_if_match(id, "W/\"2\"").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_scim_error(app.get(&format!("/Users/{id}")).await, StatusCode::NOT_FOUND, None).await;
}

async fn read_only_attributes_in_post_and_put_bodies_are_ignored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let forged = |user_name: &str| {
        json!({
            "userName": user_name,
            "id": "chosen-by-client",
            "meta": {"resourceType": "Group", "version": "W/\"99\"", "created": "2000-01-01T00:00:00Z"},
            "groups": [{"value": "g1", "display": "Admins"}],
            ENTERPRISE: {"manager": {"value": "m1", "displayName": "Forged Name"}}
        })
    };
    let created = app.created_user(&forged("ro@contoso.com")).await;
    let id = created["id"].as_str().unwrap();
    assert_ne!(id, "chosen-by-client");
    assert_eq!(created["meta"]["resourceType"], "User");
    assert_eq!(created["meta"]["version"], "W/\"1\"");
    assert!(created.get("groups").is_none());
    assert_eq!(created[ENTERPRISE]["manager"], json!({"value": "m1"}));

    let replaced = app.put_user(id, &forged("ro@contoso.com")).await;
    assert_eq!(replaced.status(), StatusCode::OK);
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(replaced["id"], id);
    assert_eq!(replaced["meta"]["created"], created["meta"]["created"]);
    assert_eq!(
        replaced["meta"]["version"], "W/\"1\"",
        "ignoring readOnly values leaves nothing to change"
    );
    assert!(replaced.get("groups").is_none());
    assert_eq!(replaced[ENTERPRISE]["manager"], json!({"value": "m1"}));
}

async fn count_is_clamped_to_the_core_maximum_and_zero_returns_only_the_total(backend: Backend) {
    let settings = CoreSettings {
        default_page_size: 2,
        max_page_size: 3,
        ..CoreSettings::default()
    };
    let app = TestApp::spawn_with(backend, settings).await;
    for i in 0..5 {
        app.created_user(&json!({"userName": format!("page{i}@contoso.com")}))
            .await;
    }
    let clamped = app.get_json("/Users?count=1000").await;
    assert_eq!(
        (clamped["totalResults"].as_u64(), clamped["itemsPerPage"].as_u64()),
        (Some(5), Some(3))
    );
    let default = app.get_json("/Users").await;
    assert_eq!(default["itemsPerPage"], 2);
    let searched: Value = app
        .search_users(&search_request(json!({"count": 50})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(searched["itemsPerPage"], 3);
    for zero in [
        app.get_json("/Users?count=0").await,
        app.search_root(&json!({"count": 0})).await.json().await.unwrap(),
    ] {
        assert_eq!(
            (zero["totalResults"].as_u64(), zero["itemsPerPage"].as_u64()),
            (Some(5), Some(0))
        );
        assert_eq!(zero["Resources"], json!([]));
    }
}

async fn me_is_not_implemented(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
        let response = app
            .send(method.clone(), "/Me", Some(&app.token), Some(&json!({})))
            .await;
        let body = assert_scim_error(response, StatusCode::NOT_IMPLEMENTED, None).await;
        assert!(body["detail"].as_str().unwrap().contains("/Me"), "{method}: {body}");
    }
}

on_both_backends!(
    attributes_and_excluded_attributes_shape_every_user_answer,
    users_search_takes_every_parameter,
    if_none_match_answers_304_while_the_version_is_current,
    if_match_guards_put_and_delete,
    read_only_attributes_in_post_and_put_bodies_are_ignored,
    count_is_clamped_to_the_core_maximum_and_zero_returns_only_the_total,
    me_is_not_implemented,
);
