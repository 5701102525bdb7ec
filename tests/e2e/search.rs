//! `POST /.search` over Users and Groups, and `POST /Groups/.search` (RFC 7644 §3.4.3):
//! one filter across resource types, paging across the users/groups boundary, and
//! `attributes`/`excludedAttributes` on each result.

use idsync_proto::v1::search_client::SearchClient;
use idsync_proto::v1::{SearchResourcesRequest, resource};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, assert_scim_error, authed, on_both_backends, search_request};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::Code;

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// `User:<userName>` or `Group:<displayName>` of every result, in order.
fn names(page: &Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| match r["meta"]["resourceType"].as_str() {
            Some("User") => format!("User:{}", r["userName"].as_str().unwrap()),
            Some("Group") => format!("Group:{}", r["displayName"].as_str().unwrap()),
            other => panic!("a result of type {other:?}: {r}"),
        })
        .collect()
}

fn keys(resource: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = resource.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

async fn searched(app: &TestApp, parameters: Value) -> Value {
    let response = app.search_root(&search_request(parameters.clone())).await;
    assert_eq!(response.status(), StatusCode::OK, "{parameters}");
    response.json().await.unwrap()
}

/// Users ada (in Admins) and bob, then groups Admins and Bobcats, created in that order.
async fn populated(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    let ada = app
        .created_user(&json!({"userName": "ada@contoso.com", "displayName": "Ada"}))
        .await;
    app.created_user(&json!({"userName": "bob@contoso.com", "displayName": "Bob"}))
        .await;
    app.created_group(&json!({"displayName": "Admins", "members": [{"value": ada["id"]}]}))
        .await;
    app.created_group(&json!({"displayName": "Bobcats"})).await;
    app
}

async fn the_root_search_pages_over_users_then_groups_across_the_boundary(backend: Backend) {
    let app = populated(backend).await;
    let everything = [
        "User:ada@contoso.com",
        "User:bob@contoso.com",
        "Group:Admins",
        "Group:Bobcats",
    ];
    assert_eq!(names(&searched(&app, json!({})).await), everything);
    for (start, count) in [(1, 2), (2, 2), (3, 2), (2, 3), (4, 5), (5, 1), (9, 2), (1, 0), (3, 0)] {
        let page = searched(&app, json!({"startIndex": start, "count": count})).await;
        let from = (start - 1).min(everything.len());
        let to = (from + count).min(everything.len());
        assert_eq!(names(&page), everything[from..to], "startIndex {start}, count {count}");
        assert_eq!(
            (page["totalResults"].as_u64(), page["startIndex"].as_u64()),
            (Some(4), Some(start as u64)),
            "startIndex {start}, count {count}"
        );
        assert_eq!(page["itemsPerPage"], to - from);
    }
    let spanning = searched(&app, json!({"startIndex": 2, "count": 2})).await;
    assert_eq!(spanning["Resources"][0]["schemas"], json!([USER_URN]));
    assert_eq!(spanning["Resources"][1]["schemas"], json!([GROUP_URN]));

    let (_, stranger) = app.new_tenant("fabrikam", Scope::Scim).await;
    let theirs = app
        .send(reqwest::Method::POST, "/.search", Some(&stranger), Some(&json!({})))
        .await;
    let theirs: Value = theirs.json().await.unwrap();
    assert_eq!(theirs["totalResults"], 0, "another tenant sees none of them");
}

async fn a_root_filter_matches_each_type_by_the_attributes_it_defines(backend: Backend) {
    let app = populated(backend).await;
    for (filter, expected) in [
        (r#"userName eq "ada@contoso.com""#, vec!["User:ada@contoso.com"]),
        (r#"not (userName eq "ada@contoso.com")"#, vec!["User:bob@contoso.com"]),
        (r#"displayName sw "b""#, vec!["User:bob@contoso.com", "Group:Bobcats"]),
        ("members pr", vec!["Group:Admins"]),
        (
            r#"userName sw "ada" or displayName eq "bobcats""#,
            vec!["User:ada@contoso.com", "Group:Bobcats"],
        ),
        (r#"userName sw "ada" and members pr"#, vec![]),
        (r#"meta.resourceType eq "Group""#, vec!["Group:Admins", "Group:Bobcats"]),
    ] {
        let page = searched(&app, json!({ "filter": filter })).await;
        assert_eq!(names(&page), expected, "{filter}");
        assert_eq!(page["totalResults"], expected.len(), "{filter}");
    }
    let paged = searched(&app, json!({"filter": r#"displayName sw "b""#, "startIndex": 2})).await;
    assert_eq!(
        (names(&paged), paged["totalResults"].as_u64()),
        (vec!["Group:Bobcats".to_string()], Some(2))
    );
    for filter in [
        "shoeSize eq 1",
        "userName eq",
        r#"meta.created gt "soon""#,
        "members.nope pr",
    ] {
        let response = app.search_root(&search_request(json!({ "filter": filter }))).await;
        assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidFilter")).await;
    }
}

async fn root_search_results_honour_attributes_and_excluded_attributes(backend: Backend) {
    let app = populated(backend).await;
    let full = searched(&app, json!({"filter": r#"displayName sw "a""#})).await;
    assert_eq!(full["Resources"][0]["groups"][0]["display"], "Admins");
    assert!(
        full["Resources"][1]["members"][0].get("display").is_none(),
        "on request only"
    );
    let named = searched(
        &app,
        json!({"filter": r#"displayName sw "a""#, "attributes": ["members", "members.display"]}),
    )
    .await;
    assert_eq!(named["Resources"][1]["members"][0]["display"], "Ada");

    let only = searched(&app, json!({"attributes": ["displayName"]})).await;
    for resource in only["Resources"].as_array().unwrap() {
        assert_eq!(keys(resource), ["displayName", "id", "schemas"], "{resource}");
    }
    let lean = searched(&app, json!({"excludedAttributes": ["members", "groups", "meta"]})).await;
    assert_eq!(
        keys(&lean["Resources"][0]),
        ["active", "displayName", "id", "schemas", "userName"]
    );
    assert_eq!(keys(&lean["Resources"][2]), ["displayName", "id", "schemas"]);
    let member_ids = searched(&app, json!({"filter": "members pr", "attributes": "members.value"})).await;
    let admins = &member_ids["Resources"][0];
    assert_eq!(keys(admins), ["id", "members", "schemas"]);
    assert_eq!(keys(&admins["members"][0]), ["value"]);
    let both = app
        .search_root(&search_request(
            json!({"attributes": ["displayName"], "excludedAttributes": ["members"]}),
        ))
        .await;
    assert_scim_error(both, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
}

async fn a_root_search_refuses_sort_by_while_each_type_sorts(backend: Backend) {
    let app = populated(backend).await;
    let sorted = app.search_root(&search_request(json!({"sortBy": "displayName"}))).await;
    let error = assert_scim_error(sorted, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert!(error["detail"].as_str().unwrap().contains("/Groups/.search"), "{error}");

    app.group_id("Cooks").await;
    let body = search_request(json!({
        "filter": r#"displayName ne "Bobcats""#,
        "sortBy": "displayName",
        "sortOrder": "descending",
        "startIndex": 2,
        "count": 5,
        "excludedAttributes": ["members"]
    }));
    let response = app.search_groups(&body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.unwrap();
    assert_eq!(names(&page), ["Group:Admins"]);
    assert_eq!(
        (page["totalResults"].as_u64(), page["startIndex"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(page["Resources"][0].get("members").is_none());
    let bad = app
        .search_groups(&search_request(json!({"filter": r#"userName eq "x""#})))
        .await;
    assert_scim_error(bad, StatusCode::BAD_REQUEST, Some("invalidFilter")).await;
}

async fn read_and_admin_tokens_search_over_grpc(backend: Backend) {
    let app = populated(backend).await;
    let mut search = SearchClient::connect(app.grpc_url()).await.unwrap();
    let request = SearchResourcesRequest {
        filter: "members pr or userName pr".into(),
        exclude_members: true,
        ..SearchResourcesRequest::default()
    };
    let reader = app.new_token(Scope::Read).await;
    let page = search
        .search_resources(authed(&reader, request.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.total_results, 3);
    let last = page.resources.last().and_then(|r| r.resource.clone());
    assert!(matches!(last, Some(resource::Resource::Group(g)) if g.members_excluded && g.members.is_empty()));
    // The admin console signs in with an admin token and searches the same way.
    let admin = app.new_token(Scope::Admin).await;
    let by_admin = search
        .search_resources(authed(&admin, request))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_admin.total_results, 3);
    let anonymous = search
        .search_resources(tonic::Request::new(SearchResourcesRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}

on_both_backends!(
    the_root_search_pages_over_users_then_groups_across_the_boundary,
    a_root_filter_matches_each_type_by_the_attributes_it_defines,
    root_search_results_honour_attributes_and_excluded_attributes,
    a_root_search_refuses_sort_by_while_each_type_sorts,
    read_and_admin_tokens_search_over_grpc,
);
