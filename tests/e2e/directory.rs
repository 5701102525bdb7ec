//! The `Directory` service as internal services use it: a group's members and a user's
//! groups page by page with exact totals, membership checks, NOT_FOUND for ids the
//! caller's tenant does not have, and who may call it.

use idsync_core::CoreSettings;
use idsync_proto::v1::groups_client::GroupsClient;
use idsync_proto::v1::{
    CheckMembershipRequest, CheckMembershipResponse, CreateGroupRequest, Group, ListGroupMembersRequest,
    ListGroupMembersResponse, ListUserGroupsRequest,
};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, authed, on_both_backends};
use tonic::{Code, Request, Status};

async fn members_page(
    app: &TestApp,
    token: &str,
    group_id: &str,
    start_index: u32,
    count: Option<u32>,
) -> ListGroupMembersResponse {
    let request = ListGroupMembersRequest {
        group_id: group_id.into(),
        start_index,
        count,
    };
    app.directory()
        .await
        .list_group_members(authed(token, request))
        .await
        .unwrap()
        .into_inner()
}

async fn check(app: &TestApp, token: &str, group_id: &str, member_id: &str) -> Result<CheckMembershipResponse, Status> {
    let request = CheckMembershipRequest {
        group_id: group_id.into(),
        member_id: member_id.into(),
    };
    app.directory()
        .await
        .check_membership(authed(token, request))
        .await
        .map(tonic::Response::into_inner)
}

fn user_groups_request(user_id: &str) -> ListUserGroupsRequest {
    ListUserGroupsRequest {
        user_id: user_id.into(),
        ..Default::default()
    }
}

fn group_members_request(group_id: &str) -> ListGroupMembersRequest {
    ListGroupMembersRequest {
        group_id: group_id.into(),
        ..Default::default()
    }
}

async fn a_groups_members_come_page_by_page_with_the_total_on_every_page(backend: Backend) {
    let settings = CoreSettings {
        max_page_size: 2,
        ..CoreSettings::default()
    };
    let app = TestApp::spawn_with(backend, settings).await;
    let reader = app.new_token(Scope::Read).await;
    let mut users = Vec::new();
    for name in ["ada", "bob", "cy", "dee"] {
        users.push(app.user_id(name).await);
    }
    let nested = app.group_id("Nested").await;
    let mut members: Vec<&str> = users.iter().map(String::as_str).collect();
    members.push(&nested);
    let group = app.group_with("Engineering", &members).await;

    let mut seen = Vec::new();
    for start_index in [1, 3, 5] {
        // `count` past the core's maximum page size is capped.
        let page = members_page(&app, &reader, &group, start_index, Some(100)).await;
        assert_eq!((page.total_results, page.start_index), (5, start_index));
        assert!(page.members.len() <= 2);
        seen.extend(page.members);
    }
    let ids: Vec<&str> = seen.iter().map(|m| m.value.as_str()).collect();
    let mut expected = members.clone();
    expected.sort();
    assert_eq!(ids, expected, "every member once, in member id order");
    let nested_member = seen.iter().find(|m| m.value == nested).unwrap();
    assert_eq!(nested_member.r#type.as_deref(), Some("Group"));
    assert_eq!(nested_member.display.as_deref(), Some("Nested"));
    let ada = seen.iter().find(|m| m.value == users[0]).unwrap();
    assert_eq!(
        (ada.r#type.as_deref(), ada.display.as_deref()),
        (Some("User"), Some("ada"))
    );

    let past = members_page(&app, &reader, &group, 9, None).await;
    assert_eq!((past.total_results, past.members.len()), (5, 0));
    let empty = members_page(&app, &reader, &nested, 0, None).await;
    assert_eq!((empty.total_results, empty.start_index, empty.members.len()), (0, 1, 0));
}

async fn a_users_direct_groups_are_listed_by_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reader = app.new_token(Scope::Read).await;
    let ada = app.user_id("ada").await;
    let loner = app.user_id("loner").await;
    let zeta = app.group_with("zeta", &[&ada]).await;
    let alpha = app.group_with("Alpha", &[&ada]).await;
    let mid = app.group_with("mid", &[&ada]).await;
    // Ada is in Outer only through zeta: not a direct membership, so not listed.
    app.group_with("Outer", &[&zeta]).await;

    let mut directory = app.directory().await;
    let first = directory
        .list_user_groups(authed(
            &reader,
            ListUserGroupsRequest {
                count: Some(2),
                ..user_groups_request(&ada)
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let rest = directory
        .list_user_groups(authed(
            &reader,
            ListUserGroupsRequest {
                start_index: 3,
                count: Some(2),
                ..user_groups_request(&ada)
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first.total_results, rest.total_results), (3, 3));
    let listed: Vec<(&str, &str)> = first
        .groups
        .iter()
        .chain(&rest.groups)
        .map(|g| (g.id.as_str(), g.display_name.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            (alpha.as_str(), "Alpha"),
            (mid.as_str(), "mid"),
            (zeta.as_str(), "zeta")
        ]
    );
    let none = directory
        .list_user_groups(authed(&reader, user_groups_request(&loner)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((none.total_results, none.groups.len()), (0, 0));
}

async fn a_membership_check_is_true_for_direct_members_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reader = app.new_token(Scope::Read).await;
    let ada = app.user_id("ada").await;
    let bob = app.user_id("bob").await;
    let inner = app.group_with("Inner", &[&ada]).await;
    let outer = app.group_with("Outer", &[&inner]).await;

    let yes = check(&app, &reader, &inner, &ada).await.unwrap();
    assert!(yes.member && yes.direct);
    assert!(check(&app, &reader, &outer, &inner).await.unwrap().member);
    let nested = check(&app, &reader, &outer, &ada).await.unwrap();
    assert!(!nested.member && !nested.direct, "membership is not transitive");
    assert!(!check(&app, &reader, &inner, &bob).await.unwrap().member);
    assert!(
        !check(&app, &reader, &inner, "nobody").await.unwrap().member,
        "an unknown member is no member"
    );
}

async fn unknown_users_and_groups_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.user_id("ada").await;
    let group = app.group_with("Engineering", &[&ada]).await;
    let mut directory = app.directory().await;

    let user = directory
        .list_user_groups(authed(&app.token, user_groups_request("nope")))
        .await
        .unwrap_err();
    assert_eq!(user.code(), Code::NotFound);
    // A group's id does not name a user.
    let group_as_user = directory
        .list_user_groups(authed(&app.token, user_groups_request(&group)))
        .await
        .unwrap_err();
    assert_eq!(group_as_user.code(), Code::NotFound);
    let members = directory
        .list_group_members(authed(&app.token, group_members_request("nope")))
        .await
        .unwrap_err();
    assert_eq!(members.code(), Code::NotFound);
    let checked = check(&app, &app.token, "nope", &ada).await.unwrap_err();
    assert_eq!(checked.code(), Code::NotFound);
}

async fn another_tenants_users_and_groups_are_invisible(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.user_id("ada").await;
    let group = app.group_with("Engineering", &[&ada]).await;
    let (_, theirs) = app.new_tenant("fabrikam", Scope::Read).await;
    let mut directory = app.directory().await;

    let user = directory
        .list_user_groups(authed(&theirs, user_groups_request(&ada)))
        .await
        .unwrap_err();
    assert_eq!(user.code(), Code::NotFound);
    let members = directory
        .list_group_members(authed(&theirs, group_members_request(&group)))
        .await
        .unwrap_err();
    assert_eq!(members.code(), Code::NotFound);
    assert_eq!(
        check(&app, &theirs, &group, &ada).await.unwrap_err().code(),
        Code::NotFound
    );

    // Their own group with our user's id: not a member.
    let (_, writer) = app.new_tenant("northwind", Scope::Scim).await;
    let mut groups = GroupsClient::connect(app.grpc_url()).await.unwrap();
    let their_group = groups
        .create_group(authed(
            &writer,
            CreateGroupRequest {
                group: Some(Group {
                    display_name: "Engineering".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!check(&app, &writer, &their_group.id, &ada).await.unwrap().member);
}

async fn scim_read_and_admin_tokens_may_read_the_directory(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.user_id("ada").await;
    let group = app.group_with("Engineering", &[&ada]).await;
    let reader = app.new_token(Scope::Read).await;
    let admin = app.new_token(Scope::Admin).await;
    let mut directory = app.directory().await;

    // The admin console signs in with an admin token and shows memberships too.
    for token in [&app.token, &reader, &admin] {
        assert_eq!(members_page(&app, token, &group, 1, None).await.total_results, 1);
        let groups = directory
            .list_user_groups(authed(token, user_groups_request(&ada)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(groups.total_results, 1);
        assert!(check(&app, token, &group, &ada).await.unwrap().member);
    }

    let anonymous = directory
        .list_group_members(Request::new(group_members_request(&group)))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}

on_both_backends!(
    a_groups_members_come_page_by_page_with_the_total_on_every_page,
    a_users_direct_groups_are_listed_by_name,
    a_membership_check_is_true_for_direct_members_only,
    unknown_users_and_groups_are_not_found,
    another_tenants_users_and_groups_are_invisible,
    scim_read_and_admin_tokens_may_read_the_directory
);
