//! Limits that answer with SCIM errors: operations per PATCH, values per multi-valued
//! attribute, members returned inline with a group, string length and filter size —
//! each configurable, each a 400 naming what to do instead, on both databases.

use idsync_core::CoreSettings;
use idsync_core::scim::FilterLimits;
use idsync_tests::{Backend, ShieldSettings, StoreOptions, TestApp, assert_scim_error, on_both_backends, patch_op};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    a_patch_with_more_operations_than_the_cap_is_400_and_changes_nothing,
    more_values_in_an_attribute_than_the_cap_is_400,
    a_group_with_more_members_than_are_returned_inline_is_400_too_many_naming_the_way_out,
    strings_and_filters_beyond_the_operators_caps_are_400,
);

async fn a_patch_with_more_operations_than_the_cap_is_400_and_changes_nothing(backend: Backend) {
    let core = CoreSettings {
        max_patch_operations: 3,
        ..CoreSettings::default()
    };
    let app = TestApp::spawn_with(backend, core).await;
    let user = app.created_user(&json!({"userName": "ops@contoso.com"})).await;
    let id = user["id"].as_str().unwrap();
    let ops = |n: usize| {
        let operations: Vec<_> = (0..n)
            .map(|i| json!({"op": "replace", "path": "displayName", "value": format!("name {i}")}))
            .collect();
        patch_op(json!(operations))
    };
    let refused = app.patch_user(id, &ops(4)).await;
    let error = assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert!(
        error["detail"].as_str().unwrap().contains("at most 3 operations"),
        "{error}"
    );
    assert_eq!(
        app.get_json(&format!("/Users/{id}")).await["meta"]["version"],
        "W/\"1\""
    );
    assert_eq!(app.patch_user(id, &ops(3)).await.status(), StatusCode::OK);

    let group = app.group_with("Ops", &[]).await;
    let refused = app
        .patch_group(
            &group,
            json!(
                (0..4)
                    .map(|i| json!({"op": "replace", "path": "displayName", "value": format!("g{i}")}))
                    .collect::<Vec<_>>()
            ),
        )
        .await;
    assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
}

async fn more_values_in_an_attribute_than_the_cap_is_400(backend: Backend) {
    let core = CoreSettings {
        max_values_per_attribute: 2,
        ..CoreSettings::default()
    };
    let app = TestApp::spawn_with(backend, core).await;
    let emails = |n: usize| -> Vec<_> { (0..n).map(|i| json!({"value": format!("e{i}@contoso.com")})).collect() };
    let refused = app
        .create_user(&json!({"userName": "many@contoso.com", "emails": emails(3)}))
        .await;
    let error = assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert!(error["detail"].as_str().unwrap().contains("emails"), "{error}");
    let user = app
        .created_user(&json!({"userName": "two@contoso.com", "emails": emails(2)}))
        .await;
    let id = user["id"].as_str().unwrap();
    let add = patch_op(json!([{"op": "add", "path": "emails", "value": [{"value": "third@contoso.com"}]}]));
    let refused = app.patch_user(id, &add).await;
    assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert_eq!(
        app.get_json(&format!("/Users/{id}")).await["emails"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn a_group_with_more_members_than_are_returned_inline_is_400_too_many_naming_the_way_out(backend: Backend) {
    let store = StoreOptions {
        max_inline_members: 2,
        ..StoreOptions::default()
    };
    let app = TestApp::spawn_configured(backend, CoreSettings::default(), ShieldSettings::default(), store).await;
    let mut members = Vec::new();
    for i in 0..3 {
        let user = app
            .created_user(&json!({"userName": format!("m{i}@contoso.com")}))
            .await;
        members.push(user["id"].as_str().unwrap().to_owned());
    }
    let member_refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let big = app.group_with("Big", &member_refs).await;
    let small = app.group_with("Small", &member_refs[..2]).await;

    for path in [format!("/Groups/{big}"), "/Groups".to_string()] {
        let refused = app.get(&path).await;
        let error = assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("tooMany")).await;
        let detail = error["detail"].as_str().unwrap();
        assert!(
            detail.contains("3 members")
                && detail.contains("excludedAttributes=members")
                && detail.contains("ListGroupMembers"),
            "{detail}"
        );
    }
    let without = app.get_json(&format!("/Groups/{big}?excludedAttributes=members")).await;
    assert!(without.get("members").is_none());
    assert_eq!(
        app.get_json(&format!("/Groups/{small}")).await["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let page = app
        .directory()
        .await
        .list_group_members(idsync_tests::authed(
            &app.token,
            idsync_proto::v1::ListGroupMembersRequest {
                group_id: big.clone(),
                start_index: 1,
                count: Some(2),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (page.total_results, page.members.len()),
        (3, 2),
        "the Directory API pages them"
    );
    // A write is not refused because its group is big.
    let add = json!([{"op": "add", "path": "members", "value": [{"value": members[2]}]}]);
    assert_eq!(app.patch_group(&small, add).await.status(), StatusCode::NO_CONTENT);
}

async fn strings_and_filters_beyond_the_operators_caps_are_400(backend: Backend) {
    let core = CoreSettings {
        filter_limits: FilterLimits {
            max_bytes: 80,
            max_nesting: 2,
            max_operators: 2,
        },
        ..CoreSettings::default()
    };
    let store = StoreOptions {
        max_string_bytes: 40,
        ..StoreOptions::default()
    };
    let app = TestApp::spawn_configured(backend, core, ShieldSettings::default(), store).await;

    let long_name = format!("{}@contoso.com", "a".repeat(30));
    let refused = app.create_user(&json!({"userName": long_name})).await;
    let error = assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert!(
        error["detail"].as_str().unwrap().contains("at most 40 bytes"),
        "{error}"
    );
    let user = app
        .created_user(&json!({"userName": "short@contoso.com", "title": "t".repeat(40)}))
        .await;
    let id = user["id"].as_str().unwrap();
    let longer = patch_op(json!([{"op": "replace", "path": "title", "value": "t".repeat(41)}]));
    let refused = app.patch_user(id, &longer).await;
    assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    assert_eq!(app.get_json(&format!("/Users/{id}")).await["title"], "t".repeat(40));
    let refused = app.create_group(&json!({"displayName": "g".repeat(41)})).await;
    assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("invalidValue")).await;

    let query = |filter: &str| {
        let encoded: String = filter
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("/Users?filter={encoded}")
    };
    let within = "title pr or (userName pr and (displayName pr))";
    assert_eq!(app.get(&query(within)).await.status(), StatusCode::OK);
    for (filter, said) in [
        (format!("userName eq \"{}\"", "x".repeat(80)), "at most 80 are allowed"),
        (
            "title pr or userName pr or displayName pr or nickName pr".to_string(),
            "at most 2 `and`/`or`",
        ),
        ("((((title pr))))".to_string(), "nested more than 2 levels"),
    ] {
        let refused = app.get(&query(&filter)).await;
        let error = assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("tooMany")).await;
        assert!(error["detail"].as_str().unwrap().contains(said), "{filter}: {error}");
    }
}
