//! `Admin.GetOverview`: the caller's tenant at a glance, as the admin console shows it.

use std::time::{Duration, Instant};

use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::{FailureCount, GetOverviewRequest, GetTenantRequest, LogOutcome, Overview};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, Watcher, assert_scim_error, authed, on_both_backends, patch_op};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tonic::Code;

on_both_backends!(
    the_overview_counts_the_tenants_users_active_users_and_groups,
    failures_of_the_last_day_are_counted_by_scim_type_most_frequent_first,
    entras_last_request_and_last_write_show_once_it_wrote,
    the_feed_head_is_the_cursor_of_the_newest_change,
    watchers_count_open_streams_until_their_client_drops_them,
    only_admin_tokens_may_read_the_overview,
    an_admin_sees_only_its_own_tenant,
    get_tenant_answers_an_admin_its_own_tenant_and_no_one_else,
);

/// How long a test waits for what the core records off the request path.
const PATIENCE: Duration = Duration::from_secs(10);

/// `GetOverview` with `token`.
async fn try_overview(app: &TestApp, token: &str) -> Result<Overview, tonic::Status> {
    let mut admin = AdminClient::connect(app.grpc_url()).await.expect("gRPC connects");
    admin
        .get_overview(authed(token, GetOverviewRequest {}))
        .await
        .map(tonic::Response::into_inner)
}

async fn overview(app: &TestApp, token: &str) -> Overview {
    try_overview(app, token).await.expect("the overview answers")
}

/// The overview once `done` holds of it; fails the test after [`PATIENCE`].
async fn overview_once(app: &TestApp, token: &str, done: impl Fn(&Overview) -> bool) -> Overview {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let seen = overview(app, token).await;
        if done(&seen) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "still not there after {PATIENCE:?}: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn failures(pairs: &[(&str, u64)]) -> Vec<FailureCount> {
    pairs
        .iter()
        .map(|(scim_type, count)| FailureCount {
            scim_type: (*scim_type).to_owned(),
            count: *count,
        })
        .collect()
}

async fn the_overview_counts_the_tenants_users_active_users_and_groups(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let empty = overview(&app, &admin).await;
    assert_eq!((empty.users, empty.active_users, empty.groups), (0, 0, 0));
    let tenant = empty.tenant.expect("the caller's tenant");
    assert_eq!(
        (tenant.id, tenant.name),
        (app.tenant.id.clone(), app.tenant.name.clone())
    );

    let ada = app.user_id("ada@contoso.com").await;
    app.user_id("bob@contoso.com").await;
    app.created_user(&json!({"userName": "cyd@contoso.com", "active": false}))
        .await;
    let deactivated = app
        .patch_user(
            &ada,
            &patch_op(json!([{"op": "replace", "path": "active", "value": false}])),
        )
        .await;
    assert_eq!(deactivated.status(), StatusCode::OK);
    app.group_id("Engineering").await;
    app.group_id("Sales").await;

    let seen = overview(&app, &admin).await;
    assert_eq!((seen.users, seen.active_users, seen.groups), (3, 1, 2));
}

async fn failures_of_the_last_day_are_counted_by_scim_type_most_frequent_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    assert!(overview(&app, &admin).await.failures_last_day.is_empty());

    app.user_id("ada@contoso.com").await;
    for twin in ["ADA@contoso.com", "Ada@Contoso.com"] {
        let duplicate = app.create_user(&json!({"userName": twin})).await;
        assert_scim_error(duplicate, StatusCode::CONFLICT, Some("uniqueness")).await;
    }
    let group = app.group_id("Engineering").await;
    let ghost = app
        .patch_group(
            &group,
            json!([{"op": "Add", "path": "members", "value": [{"value": "ghost"}]}]),
        )
        .await;
    assert_scim_error(ghost, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let missing = app.delete_user("no-such-user").await;
    assert_scim_error(missing, StatusCode::NOT_FOUND, None).await;

    let seen = overview(&app, &admin).await.failures_last_day;
    assert_eq!(seen.first(), failures(&[("uniqueness", 2)]).first(), "{seen:?}");
    let mut rest = seen[1..].to_vec();
    rest.sort_by(|a, b| a.scim_type.cmp(&b.scim_type));
    // A failure without a scimType (a 404) is counted under "".
    assert_eq!(rest, failures(&[("", 1), ("invalidValue", 1)]));
}

async fn entras_last_request_and_last_write_show_once_it_wrote(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let before = overview(&app, &admin).await;
    assert_eq!((before.last_scim_request, before.last_scim_write), (None, None));

    let ada = app.user_id("ada@contoso.com").await;
    let duplicate = app.create_user(&json!({"userName": "ada@contoso.com"})).await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    // The token's last use is recorded after the answer, off the request path.
    let seen = overview_once(&app, &admin, |o| o.last_scim_request.is_some()).await;
    let write = seen.last_scim_write.expect("Entra's last write");
    assert_eq!(
        (write.operation.as_str(), write.resource_type.as_str()),
        ("create", "User")
    );
    assert_eq!(write.outcome, LogOutcome::Failure as i32, "the newest write: {write:?}");
    assert_eq!(write.scim_type.as_deref(), Some("uniqueness"));

    let deleted = app.delete_user(&ada).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let write = overview(&app, &admin).await.last_scim_write.expect("a write");
    assert_eq!(write.operation, "delete");
    assert_eq!(write.outcome, LogOutcome::Success as i32);
    assert_eq!(write.resource_id.as_deref(), Some(ada.as_str()));
}

async fn the_feed_head_is_the_cursor_of_the_newest_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    assert_eq!(overview(&app, &admin).await.feed_head, 0);
    let ada = app.user_id("ada@contoso.com").await;
    app.group_with("Engineering", &[&ada]).await;

    let head = overview(&app, &admin).await.feed_head;
    assert!(head >= 3, "two creates and a membership: {head}");
    let mut watcher = app.watch(Some(head - 1)).await;
    let newest = watcher.next(1).await;
    assert_eq!(newest[0].cursor, head);
    let ahead = Watcher::open(&app.grpc_url(), &app.token, Some(head + 1))
        .await
        .err()
        .expect("nothing after the head");
    assert_eq!(ahead.code(), Code::OutOfRange);
}

async fn watchers_count_open_streams_until_their_client_drops_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let reader = app.new_token(Scope::Read).await;
    assert_eq!(overview(&app, &admin).await.watchers, 0);

    let by_entra = app.watch(None).await;
    let by_reader = Watcher::open(&app.grpc_url(), &reader, None)
        .await
        .expect("read may watch");
    overview_once(&app, &admin, |o| o.watchers == 2).await;
    drop(by_entra);
    overview_once(&app, &admin, |o| o.watchers == 1).await;
    drop(by_reader);
    overview_once(&app, &admin, |o| o.watchers == 0).await;
}

async fn only_admin_tokens_may_read_the_overview(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reader = app.new_token(Scope::Read).await;
    for token in [app.token.as_str(), reader.as_str()] {
        let denied = try_overview(&app, token).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
    let anonymous = try_overview(&app, "idsync_wrong").await.unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}

async fn an_admin_sees_only_its_own_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.user_id("ada@contoso.com").await;
    app.group_with("Engineering", &[&ada]).await;
    let duplicate = app.create_user(&json!({"userName": "ada@contoso.com"})).await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let _watching = app.watch(None).await;

    let (fabrikam, fabrikam_entra) = app.new_tenant("fabrikam", Scope::Scim).await;
    let fabrikam_admin = {
        let store = app.node.store.clone();
        tokio::task::spawn_blocking(move || {
            idsync_core::admin::create_token(&store, &fabrikam.id, Scope::Admin, "console", None)
                .expect("token created")
                .1
        })
        .await
        .expect("blocking task")
    };
    let theirs = app
        .send(
            Method::POST,
            "/Users",
            Some(&fabrikam_entra),
            Some(&json!({"userName": "eve@fabrikam.com", "active": false})),
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::CREATED);

    let seen = overview(&app, &fabrikam_admin).await;
    assert_eq!(seen.tenant.map(|t| t.name).as_deref(), Some("fabrikam"));
    assert_eq!((seen.users, seen.active_users, seen.groups), (1, 0, 0));
    assert!(seen.failures_last_day.is_empty(), "{:?}", seen.failures_last_day);
    assert_eq!((seen.feed_head, seen.watchers), (1, 0));
    let write = seen.last_scim_write.expect("their own write");
    assert_eq!(
        (write.operation.as_str(), write.outcome),
        ("create", LogOutcome::Success as i32)
    );

    let ours = overview(&app, &app.new_token(Scope::Admin).await).await;
    assert_eq!(
        (ours.users, ours.active_users, ours.groups, ours.watchers),
        (1, 1, 1, 1)
    );
    assert_eq!(ours.failures_last_day, failures(&[("uniqueness", 1)]));
}

async fn get_tenant_answers_an_admin_its_own_tenant_and_no_one_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (contoso, contoso_admin) = app.new_tenant("contoso", Scope::Admin).await;
    let mut admin = AdminClient::connect(app.grpc_url()).await.unwrap();
    let get = |token: &str| authed(token, GetTenantRequest {});
    let theirs = admin.get_tenant(get(&contoso_admin)).await.unwrap().into_inner();
    assert_eq!(
        (theirs.id.as_str(), theirs.name.as_str(), theirs.operator),
        (contoso.id.as_str(), "contoso", false)
    );
    let ours = admin
        .get_tenant(get(&app.new_token(Scope::Admin).await))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((ours.id, ours.operator), (app.tenant.id.clone(), true));
    for token in [app.token.clone(), app.new_token(Scope::Read).await] {
        let denied = admin.get_tenant(get(&token)).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}
