//! The core's gRPC face as internal services see it: the same rules, health, reflection.

use idsync_proto::v1::groups_client::GroupsClient;
use idsync_proto::v1::users_client::UsersClient;
use idsync_proto::v1::{
    CreateGroupRequest, CreateUserRequest, DeleteGroupRequest, GetGroupRequest, GetUserRequest, Group,
    ListGroupsRequest, ListUsersRequest, Member, PatchGroupRequest, PatchOperation, User,
};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, authed, on_both_backends};
use tonic::{Code, Request};

async fn internal_services_use_the_same_users_api_and_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut users = UsersClient::connect(app.grpc_url()).await.unwrap();
    let user = User {
        user_name: "native@contoso.com".into(),
        ..User::default()
    };
    let created = users
        .create_user(authed(
            &app.token,
            CreateUserRequest {
                user: Some(user.clone()),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!created.id.is_empty());
    assert_eq!(created.meta.as_ref().unwrap().version, 1);

    let again = users
        .create_user(authed(&app.token, CreateUserRequest { user: Some(user) }))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    assert_eq!(idsync_core::error::scim_type_of(&again).as_deref(), Some("uniqueness"));

    let reader = app.new_token(Scope::Read).await;
    let list = users
        .list_users(authed(
            &reader,
            ListUsersRequest {
                filter: "userName eq \"NATIVE@contoso.com\"".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.total_results, 1);
    let bad = users
        .list_users(authed(
            &reader,
            ListUsersRequest {
                filter: "nope eq 1".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(idsync_core::error::scim_type_of(&bad).as_deref(), Some("invalidFilter"));

    let anonymous = users
        .get_user(Request::new(GetUserRequest {
            id: created.id.clone(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let denied = users
        .create_user(authed(
            &reader,
            CreateUserRequest {
                user: Some(User {
                    user_name: "x".into(),
                    ..User::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}

async fn the_core_answers_grpc_health_and_reflection(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let channel = tonic::transport::Endpoint::from_shared(app.grpc_url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let overall = health
        .check(tonic_health::pb::HealthCheckRequest { service: String::new() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        overall.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    for service in ["idsync.v1.Users", "idsync.v1.Groups", "idsync.v1.Directory"] {
        let status = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            status.status,
            tonic_health::pb::health_check_response::ServingStatus::Serving as i32,
            "{service}"
        );
    }

    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("no service list")
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "idsync.v1.Users",
        "idsync.v1.Groups",
        "idsync.v1.Admin",
        "idsync.v1.Directory",
        "grpc.health.v1.Health",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
}

async fn internal_services_read_groups_and_members_with_a_read_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.user_id("ada").await;
    let mut groups = GroupsClient::connect(app.grpc_url()).await.unwrap();
    let created = groups
        .create_group(authed(
            &app.token,
            CreateGroupRequest {
                group: Some(Group {
                    display_name: "Engineering".into(),
                    members: vec![Member {
                        value: ada.clone(),
                        ..Member::default()
                    }],
                    ..Group::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.members[0].r#type.as_deref(), Some("User"));

    let reader = app.new_token(Scope::Read).await;
    let listed = groups
        .list_groups(authed(
            &reader,
            ListGroupsRequest {
                filter: format!("members eq \"{ada}\""),
                exclude_members: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_results, 1);
    assert!(listed.resources[0].members.is_empty() && listed.resources[0].members_excluded);

    let patched = groups
        .patch_group(authed(
            &app.token,
            PatchGroupRequest {
                id: created.id.clone(),
                operations: vec![PatchOperation {
                    op: "replace".into(),
                    path: Some("displayName".into()),
                    value: Some(prost_types::Value {
                        kind: Some(prost_types::value::Kind::StringValue("Eng".into())),
                    }),
                }],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((patched.group, patched.version), (None, 2), "no group unless asked for");

    let denied = groups
        .delete_group(authed(
            &reader,
            DeleteGroupRequest {
                id: created.id.clone(),
                if_match: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let missing = groups
        .get_group(authed(
            &reader,
            GetGroupRequest {
                id: "nope".into(),
                exclude_members: false,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

on_both_backends!(
    internal_services_read_groups_and_members_with_a_read_token,
    internal_services_use_the_same_users_api_and_rules,
    the_core_answers_grpc_health_and_reflection
);
