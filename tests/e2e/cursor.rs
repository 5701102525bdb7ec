//! Cursor paging (RFC 9865) over HTTP: `cursor` next to `startIndex` on `GET /Users`,
//! `GET /Groups` and their `.search`, `pagination` in `/ServiceProviderConfig`, and the
//! 400s for cursors that cannot be used.

use idsync_core::CoreSettings;
use idsync_storage::records::Scope;
use idsync_tests::{
    Backend, TestApp, assert_no_nulls, assert_scim_error, form_encode, on_both_backends, search_request,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn user_names(page: &Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows `nextCursor` from the first page of `GET /Users?<query>&cursor=…`, checking
/// each page's shape; every page's names in order.
async fn walk_users(app: &TestApp, query: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app.get_json(&format!("/Users?{query}&cursor={cursor}")).await;
        assert_no_nulls(&page);
        assert!(page.get("startIndex").is_none() || page.get("nextCursor").is_none() && pages.is_empty());
        assert_eq!(page["itemsPerPage"].as_u64(), Some(user_names(&page).len() as u64));
        assert_eq!(page.get("previousCursor").is_none(), pages.is_empty(), "{page}");
        pages.push(user_names(&page));
        match page.get("nextCursor") {
            Some(next) => cursor = next.as_str().unwrap().to_owned(),
            None => break,
        }
    }
    pages
}

async fn cursor_pages_walk_a_filtered_sorted_list_once_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 0..8 {
        app.created_user(&json!({"userName": format!("c{i}@contoso.com"), "title": format!("t{}", i % 3)}))
            .await;
    }
    app.created_user(&json!({"userName": "eve@fabrikam.com"})).await;
    let filter = form_encode(r#"userName ew "@contoso.com""#);

    let first = app.get_json(&format!("/Users?filter={filter}&cursor&count=3")).await;
    assert_eq!(
        (first["totalResults"].as_u64(), first["itemsPerPage"].as_u64()),
        (Some(8), Some(3))
    );
    assert!(first.get("previousCursor").is_none() && first.get("startIndex").is_none());
    let next = first["nextCursor"].as_str().unwrap();
    assert!(
        next.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
        "{next}"
    );

    let pages = walk_users(&app, &format!("filter={filter}&count=3")).await;
    let names: Vec<String> = pages.concat();
    assert_eq!(pages.len(), 3);
    assert_eq!(names, (0..8).map(|i| format!("c{i}@contoso.com")).collect::<Vec<_>>());

    let sorted = walk_users(
        &app,
        &format!("filter={filter}&count=2&sortBy=title&sortOrder=descending"),
    )
    .await;
    let by_index = app
        .get_json(&format!(
            "/Users?filter={filter}&count=100&sortBy=title&sortOrder=descending"
        ))
        .await;
    assert_eq!(sorted.concat(), user_names(&by_index));

    // previousCursor of the second page reads the first page again.
    let second = app
        .get_json(&format!("/Users?filter={filter}&count=3&cursor={next}"))
        .await;
    let previous = second["previousCursor"].as_str().unwrap();
    let back = app
        .get_json(&format!("/Users?filter={filter}&count=3&cursor={previous}"))
        .await;
    assert_eq!(user_names(&back), user_names(&first));
    assert!(back.get("previousCursor").is_none(), "the first page has none: {back}");

    // Index paging is unchanged and stays the default.
    let indexed = app
        .get_json(&format!("/Users?filter={filter}&startIndex=4&count=3"))
        .await;
    assert_eq!(indexed["startIndex"], 4);
    assert!(indexed.get("nextCursor").is_none());
    assert_eq!(user_names(&indexed), pages[1]);
}

async fn groups_and_searches_page_by_cursor_too(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for name in ["Ops", "Dev", "Sales", "HR", "Legal"] {
        app.group_id(name).await;
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(&format!(
                "/Groups?sortBy=displayName&count=2&excludedAttributes=members&cursor={cursor}"
            ))
            .await;
        assert_eq!(page["totalResults"], 5);
        seen.extend(
            page["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["displayName"].as_str().unwrap().to_owned()),
        );
        match page.get("nextCursor") {
            Some(next) => cursor = next.as_str().unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["Dev", "HR", "Legal", "Ops", "Sales"]);

    let first: Value = app
        .search_groups(&search_request(
            json!({"cursor": "", "count": 4, "filter": "displayName pr"}),
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["itemsPerPage"], 4);
    let rest: Value = app
        .search_groups(&search_request(
            json!({"cursor": first["nextCursor"], "count": 4, "filter": "displayName pr"}),
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((rest["itemsPerPage"].as_u64(), rest.get("nextCursor")), (Some(1), None));

    app.created_user(&json!({"userName": "s1@contoso.com"})).await;
    app.created_user(&json!({"userName": "s2@contoso.com"})).await;
    let users: Value = app
        .search_users(&search_request(json!({"cursor": "", "count": 1})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user_names(&users), ["s1@contoso.com"]);
    assert!(users["nextCursor"].is_string());
}

async fn the_service_provider_config_advertises_both_paging_methods(backend: Backend) {
    let settings = CoreSettings {
        default_page_size: 25,
        max_page_size: 200,
        cursor_timeout: std::time::Duration::from_secs(900),
        ..CoreSettings::default()
    };
    let app = TestApp::spawn_with(backend, settings).await;
    let config = app.get_json("/ServiceProviderConfig").await;
    assert_eq!(
        config["pagination"],
        json!({
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": 25,
            "maxPageSize": 200,
            "cursorTimeout": 900
        })
    );
    let capped = app.get_json("/Users?cursor&count=100000").await;
    assert_eq!(capped["totalResults"], 0);
}

async fn cursors_that_cannot_be_used_are_400_with_their_scim_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 0..3 {
        app.created_user(&json!({"userName": format!("e{i}@contoso.com")}))
            .await;
    }
    let first = app.get_json("/Users?cursor&count=1").await;
    let next = first["nextCursor"].as_str().unwrap().to_owned();

    for made_up in ["x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "%21%21"] {
        let response = app.get(&format!("/Users?cursor={made_up}&count=1")).await;
        assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidCursor")).await;
    }
    let mut tampered = next.clone().into_bytes();
    let last = tampered.len() - 3;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let response = app.get(&format!("/Users?cursor={tampered}&count=1")).await;
    assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidCursor")).await;

    // Issued for another query, another resource type, another token or tenant.
    let filter = form_encode(r#"userName sw "e""#);
    let other_query = app.get(&format!("/Users?filter={filter}&cursor={next}&count=1")).await;
    assert_scim_error(other_query, StatusCode::BAD_REQUEST, Some("invalidCursor")).await;
    let other_type = app.get(&format!("/Groups?cursor={next}&count=1")).await;
    assert_scim_error(other_type, StatusCode::BAD_REQUEST, Some("invalidCursor")).await;
    let reader = app.new_token(Scope::Read).await;
    let other_token = app
        .send(
            Method::GET,
            &format!("/Users?cursor={next}&count=1"),
            Some(&reader),
            None,
        )
        .await;
    assert_scim_error(other_token, StatusCode::BAD_REQUEST, Some("invalidCursor")).await;
    let (_, stranger) = app.new_tenant("fabrikam", Scope::Scim).await;
    let other_tenant = app
        .send(
            Method::GET,
            &format!("/Users?cursor={next}&count=1"),
            Some(&stranger),
            None,
        )
        .await;
    assert_scim_error(other_tenant, StatusCode::BAD_REQUEST, Some("invalidCursor")).await;

    // One paging method per request.
    let mixed = app.get(&format!("/Users?startIndex=1&cursor={next}")).await;
    assert_scim_error(mixed, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let mixed = app
        .search_users(&search_request(json!({"startIndex": 2, "cursor": ""})))
        .await;
    assert_scim_error(mixed, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let root = app.search_root(&search_request(json!({"cursor": ""}))).await;
    assert_scim_error(root, StatusCode::BAD_REQUEST, Some("invalidValue")).await;

    // The cursor still works where it belongs.
    let second = app.get_json(&format!("/Users?cursor={next}&count=1")).await;
    assert_eq!(user_names(&second), ["e1@contoso.com"]);
}

async fn an_expired_cursor_is_400_expired_cursor(backend: Backend) {
    let settings = CoreSettings {
        cursor_timeout: std::time::Duration::ZERO,
        ..CoreSettings::default()
    };
    let app = TestApp::spawn_with(backend, settings).await;
    for i in 0..2 {
        app.created_user(&json!({"userName": format!("x{i}@contoso.com")}))
            .await;
    }
    let next = app.get_json("/Users?cursor&count=1").await["nextCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    // A cursor issued in an earlier second than now is older than a zero timeout.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = app.get(&format!("/Users?cursor={next}&count=1")).await;
    assert_scim_error(response, StatusCode::BAD_REQUEST, Some("expiredCursor")).await;
}

on_both_backends!(
    cursor_pages_walk_a_filtered_sorted_list_once_in_order,
    groups_and_searches_page_by_cursor_too,
    the_service_provider_config_advertises_both_paging_methods,
    cursors_that_cannot_be_used_are_400_with_their_scim_type,
    an_expired_cursor_is_400_expired_cursor,
);
