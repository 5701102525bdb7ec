//! Entra's group call sequences (docs/entra.md, §2.3, §2.6 and C10–C17).

use idsync_tests::{Backend, TestApp, assert_scim_error, on_both_backends, sorted};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// docs/entra.md, C10 at Test Connection and at the start of every cycle: a displayName
/// that matches nothing is 200 with an empty list.
async fn the_group_probe_gets_an_empty_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let guid = uuid::Uuid::new_v4();
    let response = app
        .get(&format!(
            "/Groups?excludedAttributes=members&filter=displayName+eq+%22{guid}%22"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
               "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []})
    );
}

/// docs/entra.md, §2.3: match → create empty → add members (legacy and flagged,
/// `$ref: null`) → adding again changes nothing → reads without members → the
/// membership check (C16).
async fn entra_creates_an_empty_group_then_adds_and_checks_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob, eve) = (
        app.user_id("ada").await,
        app.user_id("bob").await,
        app.user_id("eve").await,
    );

    let response = app
        .create_group(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                        "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-0000-4000-8000-000000000000",
            "displayName": "Engineering",
            "meta": {"resourceType": "Group"}
        }))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "W/\"1\"");
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("{}/Groups/{id}", app.tenant_url));
    assert_eq!(created["members"], json!([]));
    assert_eq!(
        created["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Group"])
    );
    assert_eq!(created["meta"]["resourceType"], "Group");

    let found = app.find_groups("displayName eq \"ENGINEERING\"").await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    assert!(found["Resources"][0].get("members").is_none(), "{found}");

    let legacy = json!([{"op": "Add", "path": "members",
                         "value": [{"$ref": null, "value": ada}, {"$ref": null, "value": bob}]}]);
    let response = app.patch_group(&id, legacy.clone()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.headers()["etag"], "W/\"2\"");
    assert!(response.text().await.unwrap().is_empty(), "204 has no body");
    let flagged = json!([{"op": "add", "path": "members", "value": [{"value": eve}]}]);
    app.patched_group(&id, flagged.clone()).await;
    assert_eq!(app.members_of(&id).await, sorted(&[&ada, &bob, &eve]));

    for again in [legacy, flagged] {
        let response = app.patch_group(&id, again).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(response.headers()["etag"], "W/\"3\"", "adding members again is a no-op");
    }
    let group = app.group(&id).await;
    assert_eq!(group["members"].as_array().unwrap().len(), 3);
    let member = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["value"] == ada.as_str())
        .unwrap();
    assert_eq!(member["type"], "User");
    assert!(member.get("display").is_none(), "display is returned on request only");
    assert_eq!(member["$ref"], format!("{}/Users/{ada}", app.tenant_url).as_str());

    let lean = app.get(&format!("/Groups/{id}?excludedAttributes=members")).await;
    assert_eq!(lean.status(), StatusCode::OK);
    assert_eq!(lean.headers()["etag"], "W/\"3\"");
    let lean: Value = lean.json().await.unwrap();
    assert!(lean.get("members").is_none(), "{lean}");
    assert_eq!(lean["displayName"], "Engineering");

    let outsider = app.user_id("outsider").await;
    for (user, expected) in [(&ada, 1), (&outsider, 0)] {
        for filter in [
            format!("id eq \"{id}\" and members[value eq \"{user}\"]"),
            format!("members eq \"{user}\""),
            format!("members.value eq \"{user}\""),
        ] {
            let found = app.find_groups(&filter).await;
            assert_eq!(found["totalResults"], expected, "{filter}");
            assert!(
                found["Resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|g| g.get("members").is_none())
            );
        }
    }
}

/// docs/entra.md, C15 and Q4: both removal shapes remove only the member they name.
async fn both_removal_shapes_remove_only_the_named_member(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a, b, c) = (app.user_id("a").await, app.user_id("b").await, app.user_id("c").await);
    let id = app.group_id("Engineering").await;
    app.patched_group(
        &id,
        json!([{"op": "Add", "path": "members",
                                   "value": [{"value": a}, {"value": b}, {"value": c}]}]),
    )
    .await;

    app.patched_group(
        &id,
        json!([{"op": "Remove", "path": "members",
                                   "value": [{"$ref": null, "value": a}]}]),
    )
    .await;
    assert_eq!(app.members_of(&id).await, sorted(&[&b, &c]));

    app.patched_group(
        &id,
        json!([{"op": "remove", "path": format!("members[value eq \"{b}\"]")}]),
    )
    .await;
    assert_eq!(app.members_of(&id).await, sorted(&[&c]));

    let version = app.group(&id).await["meta"]["version"].clone();
    app.patched_group(
        &id,
        json!([{"op": "remove", "path": format!("members[value eq \"{a}\"]")}]),
    )
    .await;
    app.patched_group(
        &id,
        json!([{"op": "Remove", "path": "members", "value": [{"value": "never-a-member"}]}]),
    )
    .await;
    let group = app.group(&id).await;
    assert_eq!(
        group["meta"]["version"], version,
        "removing a non-member changes nothing"
    );
    assert_eq!(app.members_of(&id).await, sorted(&[&c]));
}

/// docs/entra.md, D1: `replace members` with a partial list adds; it never drops a member
/// Entra did not name.
async fn replace_members_adds_and_keeps_the_others(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a, b) = (app.user_id("a").await, app.user_id("b").await);
    let id = app.group_id("Engineering").await;
    app.patched_group(&id, json!([{"op": "add", "path": "members", "value": [{"value": a}]}]))
        .await;
    app.patched_group(
        &id,
        json!([{"op": "replace", "path": "members", "value": [{"value": b}]}]),
    )
    .await;
    assert_eq!(app.members_of(&id).await, sorted(&[&a, &b]));
}

/// docs/entra.md, C13: a rename by path (legacy) or by path-less value (flag) keeps every
/// member.
async fn a_rename_by_path_or_pathless_value_keeps_the_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user_id("a").await;
    let id = app.group_id("Engineering").await;
    app.patched_group(&id, json!([{"op": "Add", "path": "members", "value": [{"value": a}]}]))
        .await;
    for (rename, name) in [
        (
            json!([{"op": "Replace", "path": "displayName", "value": "Eng Team"}]),
            "Eng Team",
        ),
        (
            json!([{"op": "replace", "value": {"displayName": "Engineering Team"}}]),
            "Engineering Team",
        ),
    ] {
        app.patched_group(&id, rename).await;
        let group = app.group(&id).await;
        assert_eq!(group["displayName"], name);
        assert_eq!(app.members_of(&id).await, sorted(&[&a]));
        assert_eq!(
            app.find_groups(&format!("displayName eq \"{name}\"")).await["totalResults"],
            1
        );
    }
}

/// An id that names no user or group fails the whole request, naming the id; nothing of
/// the request is applied.
async fn an_unknown_member_fails_the_whole_patch_and_is_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user_id("a").await;
    let id = app.group_id("Engineering").await;
    let before = app.group(&id).await;
    let response = app
        .patch_group(
            &id,
            json!([
                {"op": "replace", "path": "displayName", "value": "Renamed"},
                {"op": "add", "path": "members", "value": [{"value": a}, {"value": "no-such-member"}]}
            ]),
        )
        .await;
    let error = assert_scim_error(response, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let detail = error["detail"].as_str().unwrap();
    assert!(detail.contains("no-such-member") && !detail.contains(&a), "{detail}");
    assert_eq!(app.group(&id).await, before, "nothing was applied");
}

/// docs/entra.md, C10: displayName is unique per tenant ignoring case, on create and on
/// rename.
async fn a_taken_display_name_in_any_case_is_409(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.group_id("Engineering").await;
    let duplicate = app.create_group(&json!({"displayName": "ENGINEERING"})).await;
    assert_scim_error(duplicate, StatusCode::CONFLICT, Some("uniqueness")).await;
    let other = app.group_id("Ops").await;
    let rename = app
        .patch_group(
            &other,
            json!([{"op": "replace", "path": "displayName", "value": "engineering"}]),
        )
        .await;
    assert_scim_error(rename, StatusCode::CONFLICT, Some("uniqueness")).await;
    assert_eq!(app.group(&other).await["displayName"], "Ops");
}

/// docs/entra.md, C17: DELETE answers 204; the group is then gone for GET, filters and
/// DELETE.
async fn a_deleted_group_is_gone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.user_id("a").await;
    let id = app.group_id("Engineering").await;
    app.patched_group(&id, json!([{"op": "add", "path": "members", "value": [{"value": a}]}]))
        .await;
    let deleted = app.delete_group(&id).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_scim_error(app.get(&format!("/Groups/{id}")).await, StatusCode::NOT_FOUND, None).await;
    assert_eq!(
        app.find_groups("displayName eq \"Engineering\"").await["totalResults"],
        0
    );
    assert_scim_error(app.delete_group(&id).await, StatusCode::NOT_FOUND, None).await;
    let user: Value = app.get(&format!("/Users/{a}")).await.json().await.unwrap();
    assert!(user.get("groups").is_none(), "{user}");
    // The name is free again.
    app.group_id("engineering").await;
}

on_both_backends!(
    the_group_probe_gets_an_empty_list,
    entra_creates_an_empty_group_then_adds_and_checks_members,
    both_removal_shapes_remove_only_the_named_member,
    replace_members_adds_and_keeps_the_others,
    a_rename_by_path_or_pathless_value_keeps_the_members,
    an_unknown_member_fails_the_whole_patch_and_is_named,
    a_taken_display_name_in_any_case_is_409,
    a_deleted_group_is_gone,
);
