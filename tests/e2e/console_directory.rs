//! The console's Users and Groups pages over HTTP: search, SCIM filters with their
//! errors inline, paging, a user's attributes, groups and history, a group's members,
//! escaping, and nothing of another tenant.

use idsync_proto::v1::groups_client::GroupsClient;
use idsync_proto::v1::{CreateGroupRequest, Group, Member, User};
use idsync_storage::records::Scope;
use idsync_tests::console::ConsoleClient;
use idsync_tests::{Backend, TestApp, authed, form_encode, on_both_backends};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends! {
    a_search_by_user_name_prefix_finds_the_user_and_not_others,
    the_filter_box_lists_only_the_users_it_matches,
    an_invalid_filter_is_shown_on_the_page_with_its_scim_type,
    users_come_twenty_five_to_a_page,
    a_users_page_shows_its_attributes_its_groups_and_its_creation,
    groups_are_searched_by_name_and_a_groups_members_come_a_page_at_a_time,
    unknown_ids_are_not_found,
    markup_in_a_display_name_is_shown_as_text,
    another_tenants_users_and_groups_are_not_found,
}

/// The markup of the table with `data-testid="{id}"`, up to its end.
fn table<'h>(html: &'h str, id: &str) -> &'h str {
    let at = html
        .find(&format!(r#"<table data-testid="{id}""#))
        .unwrap_or_else(|| panic!("a {id} table: {html}"));
    &html[at..at + html[at..].find("</table>").unwrap()]
}

/// How many rows the body of the table `id` has.
fn rows(html: &str, id: &str) -> usize {
    let table = table(html, id);
    let body = &table[table.find("<tbody>").unwrap()..];
    body.matches("<tr").count()
}

async fn console(app: &TestApp) -> ConsoleClient {
    ConsoleClient::sign_in(app, &app.new_token(Scope::Admin).await).await
}

async fn user(app: &TestApp, body: serde_json::Value) -> String {
    app.created_user(&body).await["id"].as_str().unwrap().to_owned()
}

async fn a_search_by_user_name_prefix_finds_the_user_and_not_others(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(
        &app,
        json!({"userName": "ada@contoso.com", "name": {"givenName": "Ada", "familyName": "Lovelace"}}),
    )
    .await;
    user(
        &app,
        json!({"userName": "grace@contoso.com", "name": {"givenName": "Grace", "familyName": "Hopper"}}),
    )
    .await;
    user(
        &app,
        json!({"userName": "adam@contoso.com", "emails": [{"value": "first.man@contoso.com"}]}),
    )
    .await;
    let console = console(&app).await;

    let (status, page) = console.get("/users?q=ADA%40").await;
    assert_eq!(status, StatusCode::OK);
    let found = table(&page, "users");
    assert!(found.contains("ada@contoso.com"), "{found}");
    assert!(!found.contains("grace@") && !found.contains("adam@"), "{found}");
    assert!(page.contains(r#"value="ADA@""#), "the box keeps what was typed");
    assert!(!page.contains("searched-names"), "found by userName, the first step");

    let (_, page) = console.get("/users?q=lovel").await;
    assert!(
        table(&page, "users").contains("ada@contoso.com"),
        "found by family name"
    );
    assert_eq!(rows(&page, "users"), 1);
    assert!(
        page.contains(r#"data-testid="searched-names""#),
        "says it searched the names"
    );
    let (_, page) = console.get("/users?q=first.man%40").await;
    assert!(table(&page, "users").contains("adam@contoso.com"), "found by email");
    assert_eq!(rows(&page, "users"), 1);
    // Quotes and backslashes are text to look for, never filter syntax.
    let (status, page) = console
        .get(&format!("/users?q={}", form_encode(r#"a" or userName pr or "\"#)))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(!page.contains(r#"data-testid="users""#), "nothing matches: {page}");
    assert!(page.contains(r#"data-testid="users-total">0 users"#));
}

async fn the_filter_box_lists_only_the_users_it_matches(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, json!({"userName": "on@contoso.com"})).await;
    user(&app, json!({"userName": "off@contoso.com", "active": false})).await;
    user(&app, json!({"userName": "gone@contoso.com", "active": false})).await;
    let console = console(&app).await;

    let (status, page) = console
        .get(&format!("/users?filter={}", form_encode("active eq false")))
        .await;
    assert_eq!(status, StatusCode::OK);
    let inactive = table(&page, "users");
    assert_eq!(rows(&page, "users"), 2);
    assert!(inactive.contains("off@contoso.com") && inactive.contains("gone@contoso.com"));
    assert!(!inactive.contains("on@contoso.com"), "{inactive}");
    assert!(page.contains(r#"data-testid="users-total">2 users"#));

    // With both boxes, a user must match both.
    let (_, page) = console
        .get(&format!("/users?q=off&filter={}", form_encode("active eq false")))
        .await;
    assert_eq!(rows(&page, "users"), 1);
    assert!(table(&page, "users").contains("off@contoso.com"));
}

async fn an_invalid_filter_is_shown_on_the_page_with_its_scim_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, json!({"userName": "ada@contoso.com"})).await;
    let console = console(&app).await;

    let (status, page) = console
        .get(&format!("/users?filter={}", form_encode("userName eq")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let at = page
        .find(r#"data-testid="filter-error""#)
        .expect("the error is on the page");
    let error = &page[at..at + page[at..].find("</p>").unwrap()];
    assert!(error.contains("invalidFilter"), "{error}");
    assert!(
        page[..at]
            .rfind("<p")
            .map(|p| &page[p..at])
            .unwrap()
            .contains(r#"role="alert""#)
    );
    assert!(
        page.contains(r#"name="filter" value="userName eq""#),
        "the typed filter is kept: {page}"
    );
    assert!(page.contains(r#"<label for="filter">"#) && page.contains(r#"id="filter""#));
    assert!(!page.contains(r#"data-testid="users""#), "no results with an error");

    let (status, page) = console
        .get(&format!("/users?filter={}", form_encode("nickName eq 12")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains(r#"data-testid="filter-error""#));
}

async fn users_come_twenty_five_to_a_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for n in 0..30 {
        user(&app, json!({"userName": format!("user{n:02}@contoso.com")})).await;
    }
    let console = console(&app).await;

    let (status, first) = console.get("/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&first, "users"), 25);
    assert!(first.contains(r#"data-testid="users-total">30 users"#));
    assert!(first.contains("1–25 of 30"));
    assert!(first.contains(r#"rel="next" href="/admin/users?start=26""#), "{first}");
    assert!(!first.contains(r#"rel="prev""#));
    assert!(
        table(&first, "users").contains("user00@") && !first.contains("user29@"),
        "by userName"
    );

    let (status, second) = console.get("/users?start=26").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&second, "users"), 5);
    assert!(second.contains("26–30 of 30"));
    assert!(table(&second, "users").contains("user29@") && !second.contains("user00@"));
    assert!(second.contains(r#"rel="prev" href="/admin/users?start=1""#));
    assert!(!second.contains(r#"rel="next""#));

    // A search keeps its terms in the pager's links.
    let (_, searched) = console.get("/users?q=user").await;
    assert!(
        searched.contains(r#"rel="next" href="/admin/users?q=user&amp;start=26""#),
        "{searched}"
    );
    let (status, bad) = console.get("/users?start=x").await;
    assert_eq!(
        (status, rows(&bad, "users")),
        (StatusCode::OK, 25),
        "a bad start is the first page"
    );
}

async fn a_users_page_shows_its_attributes_its_groups_and_its_creation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = user(
        &app,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", idsync_tests::ENTERPRISE_URN],
            "userName": "ada@contoso.com",
            "externalId": "ext-ada",
            "displayName": "Ada Lovelace",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@work.example", "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "mobile"}],
            (idsync_tests::ENTERPRISE_URN): {"department": "Analytical Engines"},
        }),
    )
    .await;
    let engines = app.group_with("Engines", &[&ada]).await;
    let console = console(&app).await;

    let (status, page) = console.get(&format!("/users/{ada}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let at = page.find(r#"<dl class="attributes""#).expect("an attribute list");
    let attributes = &page[at..at + page[at..].find("</dl>").unwrap()];
    for shown in [
        ada.as_str(),
        "ext-ada",
        "ada@contoso.com",
        "Ada Lovelace",
        "Lovelace",
        "ada@work.example",
        "+44 20 7946 0000",
        "Analytical Engines",
        "version",
    ] {
        assert!(attributes.contains(shown), "{shown} in {attributes}");
    }
    assert!(attributes.contains(r#"data-testid="user-active">yes"#));

    let groups = table(&page, "user-groups");
    assert!(
        groups.contains(&format!(r#"href="/admin/groups/{engines}""#)) && groups.contains("Engines"),
        "{groups}"
    );

    let history = table(&page, "user-history");
    assert_eq!(rows(&page, "user-history"), 1, "{history}");
    assert!(
        history.contains(r#"data-testid="history-operation">create"#),
        "{history}"
    );
    assert!(
        history.contains(r#"data-testid="history-outcome">success"#),
        "{history}"
    );
    assert!(history.contains("userName"), "the attributes it set: {history}");
}

async fn groups_are_searched_by_name_and_a_groups_members_come_a_page_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut members = Vec::new();
    for n in 0..28 {
        members.push(user(&app, json!({"userName": format!("m{n:02}@contoso.com")})).await);
    }
    let nested = app.group_id("Nested team").await;
    members.push(nested.clone());
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let group = app.group_with("Engineering", &refs).await;
    app.group_id("Sales").await;
    let console = console(&app).await;

    let (status, list) = console.get("/groups?q=eng").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&list, "groups"), 1);
    assert!(table(&list, "groups").contains(&format!(r#"href="/admin/groups/{group}">Engineering<"#)));
    let (_, all) = console.get("/groups").await;
    assert_eq!(rows(&all, "groups"), 3);

    let (status, first) = console.get(&format!("/groups/{group}")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(first.contains(r#"data-testid="member-count">29<"#));
    assert_eq!(rows(&first, "members"), 25);
    assert!(
        first.contains(&format!(r#"rel="next" href="/admin/groups/{group}?start=26#members""#)),
        "{first}"
    );
    let (_, second) = console.get(&format!("/groups/{group}?start=26")).await;
    assert_eq!(rows(&second, "members"), 4);
    let shown: String = [table(&first, "members"), table(&second, "members")].concat();
    for member in &members[..28] {
        assert!(
            shown.contains(&format!(r#"href="/admin/users/{member}""#)),
            "every member once"
        );
    }
    assert!(
        shown.contains(&format!(r#"href="/admin/groups/{nested}">Nested team<"#)),
        "a group member links to its group"
    );
}

async fn unknown_ids_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = console(&app).await;
    for path in [
        "/users/2819c223-7f76-453a-919d-413861904646",
        "/users/nope",
        "/groups/2819c223-7f76-453a-919d-413861904646",
        "/groups/nope",
    ] {
        let (status, page) = console.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {page}");
        assert!(page.contains("Not found"));
    }
}

async fn markup_in_a_display_name_is_shown_as_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = user(
        &app,
        json!({"userName": "mallory@contoso.com", "displayName": "<script>alert(1)</script>"}),
    )
    .await;
    app.group_id("<b>bold</b>").await;
    let console = console(&app).await;

    for path in ["/users".to_owned(), format!("/users/{id}"), "/groups".to_owned()] {
        let (status, page) = console.get(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !page.contains("<script>alert(1)") && !page.contains("<b>bold"),
            "{path}: {page}"
        );
    }
    let (_, list) = console.get("/users").await;
    assert!(list.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{list}");
    let (_, groups) = console.get("/groups").await;
    assert!(groups.contains("&lt;b&gt;bold&lt;/b&gt;"));
    let (_, search) = console
        .get(&format!("/users?q={}", form_encode(r#""><script>x</script>"#)))
        .await;
    assert!(
        search.contains(r#"value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;""#),
        "{search}"
    );
}

async fn another_tenants_users_and_groups_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, theirs) = app.new_tenant("fabrikam", Scope::Scim).await;
    let their_user = app
        .grpc_create_user(
            &theirs,
            User {
                user_name: "eve@fabrikam.com".into(),
                ..User::default()
            },
        )
        .await
        .unwrap()
        .id;
    let mut groups = GroupsClient::connect(app.grpc_url()).await.unwrap();
    let group = Group {
        display_name: "Fabrikam staff".into(),
        members: vec![Member {
            value: their_user.clone(),
            ..Member::default()
        }],
        ..Group::default()
    };
    let their_group = groups
        .create_group(authed(&theirs, CreateGroupRequest { group: Some(group) }))
        .await
        .unwrap()
        .into_inner()
        .id;
    let console = console(&app).await;

    let (status, page) = console.get(&format!("/users/{their_user}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    assert!(!page.contains("eve@fabrikam.com"));
    let (_, list) = console.get("/users?q=eve").await;
    assert!(list.contains(r#"data-testid="users-total">0 users"#), "{list}");
    let (status, page) = console.get(&format!("/groups/{their_group}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    assert!(!page.contains("Fabrikam staff"));
    let (_, list) = console.get("/groups").await;
    assert!(list.contains(r#"data-testid="groups-total">0 groups"#), "{list}");
}
