//! Values come back as the client left them: a `primary` sent as false stays false and
//! one never sent stays absent; a removed `active` is unassigned (and the account counts
//! as inactive); a photo has no `$ref`; a member's `display` is returned on request only.

use idsync_tests::{Backend, TestApp, on_both_backends, patch_op};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn primary_round_trips_as_true_false_or_absent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app
        .created_user(&json!({
            "userName": "ada@contoso.com",
            "emails": [{"value": "ada@contoso.com", "type": "work", "primary": true},
                       {"value": "ada@home.example", "type": "home", "primary": "False"},
                       {"value": "ada@other.example", "type": "other"}],
            "addresses": [{"locality": "London", "primary": false}, {"locality": "Paris"}],
        }))
        .await;
    let id = user["id"].as_str().unwrap();
    let expected_emails = json!([
        {"value": "ada@contoso.com", "type": "work", "primary": true},
        {"value": "ada@home.example", "type": "home", "primary": false},
        {"value": "ada@other.example", "type": "other"},
    ]);
    assert_eq!(user["emails"], expected_emails);
    assert_eq!(
        user["addresses"],
        json!([{"locality": "London", "primary": false}, {"locality": "Paris"}])
    );
    let fetched = app.get_json(&format!("/Users/{id}")).await;
    assert_eq!(fetched["emails"], expected_emails);

    // `primary eq false` finds the explicit false only; `primary pr` finds both flags.
    let filtered = |filter: &str| {
        let app = &app;
        let filter = filter.to_owned();
        async move {
            let list = app
                .get_json(&format!("/Users?filter={}", idsync_tests::form_encode(&filter)))
                .await;
            list["totalResults"].as_u64().unwrap()
        }
    };
    assert_eq!(filtered("emails[primary eq false and type eq \"home\"]").await, 1);
    assert_eq!(filtered("emails[primary eq false and type eq \"other\"]").await, 0);
    assert_eq!(filtered("emails[type eq \"other\" and not (primary pr)]").await, 1);

    // A new primary demotes the old one to an explicit false; the absent one stays so.
    let patched = app
        .patch_user(
            id,
            &patch_op(json!([{"op": "add", "path": "emails",
                              "value": [{"value": "ada@new.example", "primary": true}]}])),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Value = patched.json().await.unwrap();
    let flags: Vec<Value> = patched["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.get("primary").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(flags, [json!(false), json!(false), Value::Null, json!(true)]);
}

async fn a_removed_active_is_unassigned_and_the_account_inactive(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut watcher = app.watch(Some(0)).await;
    let user = app.created_user(&json!({"userName": "bob@contoso.com"})).await;
    assert_eq!(user["active"], true, "a new account is active unless told otherwise");
    let id = user["id"].as_str().unwrap();

    let removed = app
        .patch_user(id, &patch_op(json!([{"op": "remove", "path": "active"}])))
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    let removed: Value = removed.json().await.unwrap();
    assert!(removed.get("active").is_none(), "unassigned: {removed}");
    let events = watcher.next(2).await;
    assert_eq!(events[1].event, "deactivated", "no longer known to be active");
    let active = app.get_json("/Users?filter=active%20eq%20true").await;
    assert_eq!(active["totalResults"], 0);
    let unassigned = app.get_json("/Users?filter=not%20(active%20pr)").await;
    assert_eq!(unassigned["totalResults"], 1);

    // A PUT that leaves `active` out keeps it, whatever it is.
    let put = app
        .put_user(id, &json!({"userName": "bob@contoso.com", "title": "x"}))
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    assert!(put.json::<Value>().await.unwrap().get("active").is_none());
    let disabled = app
        .patch_user(
            id,
            &patch_op(json!([{"op": "replace", "path": "active", "value": "False"}])),
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    let put = app.put_user(id, &json!({"userName": "bob@contoso.com"})).await;
    assert_eq!(
        put.json::<Value>().await.unwrap()["active"],
        false,
        "a PUT never re-enables"
    );
    let enabled = app
        .put_user(id, &json!({"userName": "bob@contoso.com", "active": true}))
        .await;
    assert_eq!(enabled.json::<Value>().await.unwrap()["active"], true);
}

async fn photos_have_no_ref_and_other_values_keep_theirs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app
        .created_user(&json!({
            "userName": "cy@contoso.com",
            "photos": [{"value": "https://photos.example/cy.png", "type": "photo",
                        "$ref": "https://photos.example/cy.png"}],
            "phoneNumbers": [{"value": "+1 555 0100", "$ref": "tel:+1-555-0100"}],
        }))
        .await;
    assert_eq!(
        user["photos"],
        json!([{"value": "https://photos.example/cy.png", "type": "photo"}])
    );
    assert_eq!(user["phoneNumbers"][0]["$ref"], "tel:+1-555-0100");
    let id = user["id"].as_str().unwrap();
    let refused = app
        .patch_user(
            id,
            &patch_op(json!([{"op": "replace", "path": "photos[type eq \"photo\"].$ref", "value": "x"}])),
        )
        .await;
    idsync_tests::assert_scim_error(refused, StatusCode::BAD_REQUEST, Some("invalidPath")).await;
    let bad_filter = app.get("/Users?filter=photos.%24ref%20pr").await;
    idsync_tests::assert_scim_error(bad_filter, StatusCode::BAD_REQUEST, Some("invalidFilter")).await;
}

async fn a_members_display_is_returned_only_when_asked_for(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app
        .created_user(&json!({"userName": "ada", "displayName": "Ada"}))
        .await;
    let ada = ada["id"].as_str().unwrap().to_owned();
    let group = app.group_with("Engineering", &[&ada]).await;
    let reference = format!("{}/Users/{ada}", app.tenant_url);
    let plain = json!([{"value": ada, "$ref": reference, "type": "User"}]);
    let named = json!([{"value": ada, "$ref": reference, "display": "Ada", "type": "User"}]);

    assert_eq!(app.group(&group).await["members"], plain);
    let only_members = app.get_json(&format!("/Groups/{group}?attributes=members")).await;
    assert_eq!(
        only_members["members"], plain,
        "naming `members` is not naming its display"
    );
    for attributes in [
        "members.display",
        "members,members.display",
        "urn:ietf:params:scim:schemas:core:2.0:Group:members.display",
    ] {
        let asked = app
            .get_json(&format!(
                "/Groups/{group}?attributes={}",
                idsync_tests::form_encode(attributes)
            ))
            .await;
        let members = &asked["members"];
        if attributes.starts_with("members,") {
            assert_eq!(members, &named, "{attributes}");
        } else {
            assert_eq!(members, &json!([{"display": "Ada"}]), "{attributes}");
        }
    }
    let listed = app.get_json("/Groups?attributes=members,members.display").await;
    assert_eq!(listed["Resources"][0]["members"], named);
    let searched = app
        .search_groups(
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                               "attributes": ["displayName", "members.display"]}),
        )
        .await;
    let searched: Value = searched.json().await.unwrap();
    assert_eq!(searched["Resources"][0]["members"], json!([{"display": "Ada"}]));
    // That `/Schemas` publishes it as `returned: request` is checked in discovery_groups.
}

on_both_backends!(
    primary_round_trips_as_true_false_or_absent,
    a_removed_active_is_unassigned_and_the_account_inactive,
    photos_have_no_ref_and_other_values_keep_theirs,
    a_members_display_is_returned_only_when_asked_for,
);
