//! Every `/Users` endpoint over HTTP: status codes, headers, filters, paging, errors.

use idsync_tests::{Backend, TestApp, assert_scim_error, form_encode, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create_answers_201_with_location_etag_and_meta(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .create_user(
            &json!({"userName": "grace@contoso.com", "externalId": "grace", "password": "Tr0ub4dor&3",
                             "emails": [{"value": "grace@contoso.com", "type": "work", "primary": true}]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let user: Value = response.json().await.unwrap();
    let id = user["id"].as_str().unwrap();
    assert_eq!(location, format!("{}/Users/{id}", app.tenant_url));
    assert_eq!(user["meta"]["location"], location.as_str());
    assert_eq!(user["meta"]["resourceType"], "User");
    assert_eq!(etag, "W/\"1\"");
    assert_eq!(user["meta"]["version"], etag.as_str());
    assert!(user.get("password").is_none(), "password is writeOnly");
    assert_eq!(user["emails"][0]["primary"], true);

    let fetched = app.get(&format!("/Users/{id}")).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.headers()["etag"], "W/\"1\"");
    let fetched: Value = fetched.json().await.unwrap();
    assert_eq!(fetched, user);
}

async fn filters_on_every_required_attribute_are_pushed_down(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app
        .created_user(
            &json!({"userName": "alan@contoso.com", "externalId": "Alan", "displayName": "Alan Turing",
                              "emails": [{"value": "alan@contoso.com", "type": "work"}]}),
        )
        .await;
    let b = app
        .created_user(
            &json!({"userName": "bob@fabrikam.com", "displayName": "Bob", "active": false,
                              "emails": [{"value": "bob@home.example", "type": "home"}]}),
        )
        .await;
    let a_id = a["id"].as_str().unwrap();
    let b_id = b["id"].as_str().unwrap();
    let created = a["meta"]["created"].as_str().unwrap();
    let ids = |body: &Value| -> Vec<String> {
        body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        (format!("id eq \"{a_id}\""), vec![a_id]),
        ("externalId eq \"Alan\"".into(), vec![a_id]),
        ("externalId eq \"alan\"".into(), vec![]),
        ("displayName co \"TURING\"".into(), vec![a_id]),
        ("active eq false".into(), vec![b_id]),
        ("active eq true".into(), vec![a_id]),
        ("userName ew \"@contoso.com\"".into(), vec![a_id]),
        (
            "emails[type eq \"work\" and value co \"@contoso.com\"]".into(),
            vec![a_id],
        ),
        ("emails.value sw \"bob@\"".into(), vec![b_id]),
        (format!("meta.created ge \"{created}\""), vec![a_id, b_id]),
        ("meta.lastModified lt \"2000-01-01T00:00:00Z\"".into(), vec![]),
        ("not (externalId pr)".into(), vec![b_id]),
        (
            "userName sw \"alan\" or displayName eq \"bob\"".into(),
            vec![a_id, b_id],
        ),
    ];
    for (filter, expected) in cases {
        let body = app.find_users(&filter).await;
        assert_eq!(ids(&body), expected, "filter {filter}");
        assert_eq!(body["totalResults"], expected.len(), "filter {filter}");
    }
}

async fn bad_filters_are_400_invalid_filter_never_an_unfiltered_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.created_user(&json!({"userName": "x@contoso.com"})).await;
    for filter in [
        "shoeSize eq \"42\"",
        "userName eq",
        "userName zz \"x\"",
        "(userName eq \"x\"",
        "password eq \"p\"",
    ] {
        let response = app.get(&format!("/Users?filter={}", form_encode(filter))).await;
        let body = assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidFilter")).await;
        assert!(!body["detail"].as_str().unwrap_or("").is_empty(), "{filter}: {body}");
    }
}

async fn paging_is_one_based_stable_and_counts_everything(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            app.created_user(&json!({"userName": format!("user{i}@contoso.com")}))
                .await["id"]
                .clone(),
        );
    }
    let mut seen = Vec::new();
    for start in [1, 4, 7] {
        let body: Value = app
            .get(&format!("/Users?startIndex={start}&count=3"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["totalResults"], 7);
        assert_eq!(body["startIndex"], start);
        assert_eq!(body["itemsPerPage"], body["Resources"].as_array().unwrap().len());
        seen.extend(body["Resources"].as_array().unwrap().iter().map(|r| r["id"].clone()));
    }
    assert_eq!(seen, ids, "pages in creation order, no gaps, no repeats");
    let none: Value = app.get("/Users?count=0").await.json().await.unwrap();
    assert_eq!(none["totalResults"], 7);
    assert_eq!(none["Resources"], json!([]));
    let bad = app.get("/Users?count=abc").await;
    assert_scim_error(bad, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
}

async fn put_replaces_and_if_match_guards_versions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app
        .created_user(&json!({"userName": "kat@contoso.com", "title": "Engineer", "nickName": "K"}))
        .await;
    let id = user["id"].as_str().unwrap();
    let replaced = app
        .put_user(
            id,
            &json!({"userName": "kat@contoso.com", "title": "CTO", "id": "ignored"}),
        )
        .await;
    assert_eq!(replaced.status(), StatusCode::OK);
    assert_eq!(replaced.headers()["etag"], "W/\"2\"");
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(replaced["id"], id);
    assert_eq!(replaced["title"], "CTO");
    assert!(
        replaced.get("nickName").is_none(),
        "PUT replaces: attributes not sent are cleared"
    );

    let stale = app
        .http
        .request(Method::PATCH, format!("{}/Users/{id}", app.tenant_url))
        .bearer_auth(&app.token)
        .header("if-match", "W/\"1\"")
        .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                      "Operations": [{"op": "replace", "path": "title", "value": "CEO"}]}))
        .send()
        .await
        .unwrap();
    assert_scim_error(stale, StatusCode::PRECONDITION_FAILED, None).await;
    let current: Value = app.get(&format!("/Users/{id}")).await.json().await.unwrap();
    assert_eq!(current["title"], "CTO", "a failed precondition changes nothing");

    let fresh = app
        .http
        .request(Method::PATCH, format!("{}/Users/{id}", app.tenant_url))
        .bearer_auth(&app.token)
        .header("if-match", "W/\"2\"")
        .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                      "Operations": [{"op": "replace", "path": "title", "value": "CEO"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    assert_eq!(fresh.headers()["etag"], "W/\"3\"");
}

async fn an_unchanged_patch_keeps_the_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app
        .created_user(&json!({"userName": "same@contoso.com", "title": "A"}))
        .await;
    let id = user["id"].as_str().unwrap();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "Replace", "path": "title", "value": "A"}]});
    let response: Value = app.patch_user(id, &patch).await.json().await.unwrap();
    assert_eq!(response["meta"]["version"], "W/\"1\"");
}

async fn malformed_input_gets_scim_errors_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app
        .created_user(&json!({"userName": "safe@contoso.com", "title": "Keep"}))
        .await;
    let id = user["id"].as_str().unwrap();
    let raw = app
        .http
        .post(format!("{}/Users", app.tenant_url))
        .bearer_auth(&app.token)
        .header("content-type", "application/scim+json")
        .body("{\"userName\": ")
        .send()
        .await
        .unwrap();
    assert_scim_error(raw, StatusCode::BAD_REQUEST, Some("invalidSyntax")).await;
    assert_scim_error(
        app.create_user(&json!({"displayName": "no userName"})).await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    )
    .await;
    assert_scim_error(
        app.create_user(&json!({"userName": "x@y", "active": "maybe"})).await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    )
    .await;
    let bad_patches = [
        (
            json!({"Operations": [{"op": "replace", "path": "title", "value": "X"}, {"op": "replace", "path": "id", "value": "y"}]}),
            "mutability",
        ),
        (
            json!({"Operations": [{"op": "jump", "path": "title", "value": "X"}]}),
            "invalidSyntax",
        ),
        (
            json!({"Operations": [{"op": "replace", "path": "title[", "value": "X"}]}),
            "invalidPath",
        ),
        (json!({"Operations": [{"op": "remove"}]}), "noTarget"),
    ];
    for (patch, scim_type) in bad_patches {
        assert_scim_error(
            app.patch_user(id, &patch).await,
            StatusCode::BAD_REQUEST,
            Some(scim_type),
        )
        .await;
    }
    let after: Value = app.get(&format!("/Users/{id}")).await.json().await.unwrap();
    assert_eq!(after, user, "no failed request changed the stored user");
    assert_scim_error(
        app.patch_user(
            "no-such-id",
            &json!({"Operations": [{"op": "replace", "path": "title", "value": "X"}]}),
        )
        .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}

async fn renaming_onto_a_taken_username_is_409(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.created_user(&json!({"userName": "first@contoso.com"})).await;
    let second = app.created_user(&json!({"userName": "second@contoso.com"})).await;
    let patch = json!({"Operations": [{"op": "replace", "path": "userName", "value": "FIRST@contoso.com"}]});
    let response = app.patch_user(second["id"].as_str().unwrap(), &patch).await;
    assert_scim_error(response, StatusCode::CONFLICT, Some("uniqueness")).await;
}

async fn sort_by_and_sort_order_order_the_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for name in ["bravo", "Alpha", "charlie"] {
        app.created_user(&json!({"userName": format!("{name}@x.example"), "title": name}))
            .await;
    }
    let names = |body: Value| -> Vec<String> {
        body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["userName"].as_str().unwrap().to_string())
            .collect()
    };
    let asc: Value = app.get("/Users?sortBy=userName").await.json().await.unwrap();
    assert_eq!(
        names(asc),
        ["Alpha@x.example", "bravo@x.example", "charlie@x.example"],
        "case-insensitive order"
    );
    let desc: Value = app
        .get("/Users?sortBy=TITLE&sortOrder=Descending")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(desc), ["charlie@x.example", "bravo@x.example", "Alpha@x.example"]);
    assert_scim_error(
        app.get("/Users?sortBy=emails").await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    )
    .await;
    assert_scim_error(
        app.get("/Users?sortBy=userName&sortOrder=up").await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    )
    .await;
}

on_both_backends!(
    sort_by_and_sort_order_order_the_list,
    create_answers_201_with_location_etag_and_meta,
    filters_on_every_required_attribute_are_pushed_down,
    bad_filters_are_400_invalid_filter_never_an_unfiltered_list,
    paging_is_one_based_stable_and_counts_everything,
    put_replaces_and_if_match_guards_versions,
    an_unchanged_patch_keeps_the_version,
    malformed_input_gets_scim_errors_and_changes_nothing,
    renaming_onto_a_taken_username_is_409,
);
