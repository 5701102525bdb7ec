//! Entra's real call sequences (docs/entra.md, §2 and §3).

use idsync_tests::{Backend, TestApp, assert_scim_error, form_encode, on_both_backends};
use reqwest::StatusCode;
use serde_json::json;

/// docs/entra.md, C1: Test Connection — a GET with no Content-Type and a non-SCIM Accept,
/// filtering on a random GUID, must be 200 with an empty ListResponse.
async fn test_connection_probe_gets_an_empty_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let guid = uuid::Uuid::new_v4();
    let response = app
        .http
        .get(format!("{}/Users?filter=userName+eq+%22{guid}%22", app.tenant_url))
        .bearer_auth(&app.token)
        .header("accept", "application/json, text/plain, */*")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/scim+json")
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(body["totalResults"], 0);
    assert_eq!(body["Resources"], json!([]));
    assert_eq!(body["startIndex"], 1);
}

/// docs/entra.md, §2.5: create → found by a filter in any letter case → 409 on a
/// duplicate → legacy disable with `"False"` → still found, inactive → DELETE → 404.
async fn entra_user_lifecycle_create_match_conflict_disable_delete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .created_user(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "Ada.Lovelace@Contoso.com",
            "active": "True",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "phoneNumbers": [{"type": "work", "value": "+1 555 0100"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
            "meta": {"resourceType": "User"}
        }))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["active"], true);
    assert_eq!(
        created["userName"], "Ada.Lovelace@Contoso.com",
        "stored exactly as sent"
    );

    for spelling in [
        "ada.lovelace@contoso.com",
        "ADA.LOVELACE@CONTOSO.COM",
        "Ada.Lovelace@Contoso.com",
    ] {
        let found = app.find_users(&format!("userName eq \"{spelling}\"")).await;
        assert_eq!(found["totalResults"], 1, "{spelling}");
        assert_eq!(found["Resources"][0]["id"], id.as_str());
    }

    let duplicate = app.create_user(&json!({"userName": "ADA.LOVELACE@contoso.com"})).await;
    assert_scim_error(duplicate, StatusCode::CONFLICT, Some("uniqueness")).await;

    let disable = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                         "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let patched = app.patch_user(&id, &disable).await;
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: serde_json::Value = patched.json().await.unwrap();
    assert_eq!(patched["active"], false, "returned as a JSON boolean");

    let found = app.find_users("userName eq \"ada.lovelace@contoso.com\"").await;
    assert_eq!(
        found["totalResults"], 1,
        "a disabled user is still found by its userName"
    );
    assert_eq!(found["Resources"][0]["active"], false);
    let by_id = app.get(&format!("/Users/{id}")).await;
    assert_eq!(by_id.status(), StatusCode::OK);

    let deleted = app.delete_user(&id).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_scim_error(app.get(&format!("/Users/{id}")).await, StatusCode::NOT_FOUND, None).await;
    let found = app.find_users("userName eq \"ada.lovelace@contoso.com\"").await;
    assert_eq!(found["totalResults"], 0);
    assert_scim_error(app.delete_user(&id).await, StatusCode::NOT_FOUND, None).await;
}

/// docs/entra.md, C5 and C6: the legacy one-op-per-attribute PATCH and the flagged
/// path-less PATCH with dotted and URN keys give the same user.
async fn legacy_and_flagged_attribute_updates_agree(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dept = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
    let legacy = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Replace", "path": "name.givenName", "value": "Augusta"},
        {"op": "Replace", "path": "name.familyName", "value": "King"},
        {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0199"},
        {"op": "Replace", "path": dept, "value": "Ops"},
        {"op": "Replace", "path": "userName", "value": "augusta@contoso.com"}]});
    let flagged = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0199"},
        {"op": "replace", "value": {"userName": "augusta2@contoso.com", "name.givenName": "Augusta",
                                     "name.familyName": "King", dept: "Ops"}}]});
    for (patch, user_name) in [(legacy, "augusta@contoso.com"), (flagged, "augusta2@contoso.com")] {
        let created = app.created_user(&json!({"userName": format!("old-{user_name}")})).await;
        let id = created["id"].as_str().unwrap();
        let response = app.patch_user(id, &patch).await;
        assert_eq!(response.status(), StatusCode::OK);
        let user: serde_json::Value = app.get(&format!("/Users/{id}")).await.json().await.unwrap();
        assert_eq!(user["userName"], user_name);
        assert_eq!(user["name"]["givenName"], "Augusta");
        assert_eq!(user["name"]["familyName"], "King");
        assert_eq!(user["phoneNumbers"], json!([{"type": "work", "value": "+1 555 0199"}]));
        assert_eq!(
            user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
            "Ops"
        );
        assert_eq!(user["meta"]["version"], "W/\"2\"");
    }
}

/// Entra's form-encoded query string (docs/entra.md, §1.2): `+` is a space and a literal
/// `+` is `%2B`.
async fn form_encoded_filters_decode_plus_as_space(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.created_user(&json!({"userName": "a+b@contoso.com"})).await;
    let encoded = form_encode("userName eq \"a+b@contoso.com\"");
    assert!(encoded.contains("%2B") && encoded.contains('+'));
    let body: serde_json::Value = app.get(&format!("/Users?filter={encoded}")).await.json().await.unwrap();
    assert_eq!(body["totalResults"], 1);
}

/// docs/entra.md, C8 and Q9: every shape Entra has used for the manager. The legacy
/// documented one (`path: "manager"` without the URN, an array of `$ref`/`value`), the
/// one observed today (a bare id on the URN path), the older reference check (`manager eq
/// "M1"`), and both removes (`replace` with `""`, `remove` with a value filter).
async fn every_manager_shape_entra_sends_sets_reads_and_clears_the_enterprise_manager(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let manager_path = format!("{ext}:manager");
    let boss = app.created_user(&json!({"userName": "boss@contoso.com"})).await;
    let boss = boss["id"].as_str().unwrap().to_owned();
    let other = app.created_user(&json!({"userName": "other@contoso.com"})).await;
    let other = other["id"].as_str().unwrap().to_owned();
    let worker = app.created_user(&json!({"userName": "worker@contoso.com"})).await;
    let worker = worker["id"].as_str().unwrap().to_owned();
    let patch = |operations: serde_json::Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations});
    let manager_of = |user: &serde_json::Value| user[ext]["manager"]["value"].clone();

    // The legacy shape.
    let reference = format!("{}/Users/{boss}", app.tenant_url);
    let legacy = patch(json!([{"op": "Add", "path": "manager", "value": [{"$ref": reference, "value": boss}]}]));
    let response = app.patch_user(&worker, &legacy).await;
    assert_eq!(response.status(), StatusCode::OK);
    let user = app.get_json(&format!("/Users/{worker}")).await;
    assert_eq!(manager_of(&user), json!(boss), "{user}");

    // The older reference check, as written, finds the user by its manager's id.
    let check = form_encode(&format!("id eq \"{worker}\" and manager eq \"{boss}\""));
    let found = app.get_json(&format!("/Users?filter={check}&attributes=id")).await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let wrong = form_encode(&format!("id eq \"{worker}\" and manager eq \"{other}\""));
    assert_eq!(app.get_json(&format!("/Users?filter={wrong}")).await["totalResults"], 0);

    // Today's shape changes it; a value-filtered remove naming another id keeps it.
    let today = patch(json!([{"op": "replace", "path": manager_path, "value": other}]));
    assert_eq!(app.patch_user(&worker, &today).await.status(), StatusCode::OK);
    let filtered = |id: &str| patch(json!([{"op": "remove", "path": format!("{manager_path}[value eq \"{id}\"]")}]));
    assert_eq!(app.patch_user(&worker, &filtered(&boss)).await.status(), StatusCode::OK);
    assert_eq!(
        manager_of(&app.get_json(&format!("/Users/{worker}")).await),
        json!(other)
    );
    assert_eq!(
        app.patch_user(&worker, &filtered(&other)).await.status(),
        StatusCode::OK
    );
    let user = app.get_json(&format!("/Users/{worker}")).await;
    assert!(user.get(ext).and_then(|e| e.get("manager")).is_none(), "{user}");

    // Set again, then cleared with `""`.
    assert_eq!(app.patch_user(&worker, &legacy).await.status(), StatusCode::OK);
    let clear = patch(json!([{"op": "Replace", "path": manager_path, "value": ""}]));
    assert_eq!(app.patch_user(&worker, &clear).await.status(), StatusCode::OK);
    let user = app.get_json(&format!("/Users/{worker}")).await;
    assert!(user.get(ext).and_then(|e| e.get("manager")).is_none(), "{user}");

    // A value filter that would set a single-valued attribute is refused, naming the forms.
    let refused = patch(json!([{"op": "replace", "path": "manager[value eq \"x\"]", "value": boss}]));
    let error = assert_scim_error(
        app.patch_user(&worker, &refused).await,
        StatusCode::BAD_REQUEST,
        Some("invalidPath"),
    )
    .await;
    assert!(
        error["detail"]
            .as_str()
            .unwrap()
            .contains("a string id, an object or a one-element list"),
        "{error}"
    );
}

on_both_backends!(
    every_manager_shape_entra_sends_sets_reads_and_clears_the_enterprise_manager,
    test_connection_probe_gets_an_empty_list,
    entra_user_lifecycle_create_match_conflict_disable_delete,
    legacy_and_flagged_attribute_updates_agree,
    form_encoded_filters_decode_plus_as_space,
);
