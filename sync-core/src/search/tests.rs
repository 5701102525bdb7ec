#![allow(clippy::unwrap_used)]

use idsync_proto::v1::resource::Resource as Kind;
use idsync_proto::v1::{Group, Member, SearchResourcesRequest, SearchResourcesResponse, User};

use crate::Core;
use crate::auth::Caller;
use crate::error::ScimType;
use crate::test_support::{scim_type, tenant_core};

fn request(filter: &str, start_index: u32, count: Option<u32>) -> SearchResourcesRequest {
    SearchResourcesRequest {
        filter: filter.into(),
        start_index,
        count,
        ..SearchResourcesRequest::default()
    }
}

/// `User:<userName>` and `Group:<displayName>` of each result, in order.
fn names(page: &SearchResourcesResponse) -> Vec<String> {
    page.resources
        .iter()
        .map(|r| match r.resource.as_ref().unwrap() {
            Kind::User(u) => format!("User:{}", u.user_name),
            Kind::Group(g) => format!("Group:{}", g.display_name),
        })
        .collect()
}

/// Three users then two groups, the second with the first user as a member.
async fn populated() -> (Core, Caller, idsync_storage::test_util::TestDb) {
    let (core, caller, db) = tenant_core().await;
    let mut first_user = String::new();
    for name in ["ada", "bob", "cy"] {
        let user = User {
            user_name: name.into(),
            ..User::default()
        };
        let id = core.create_user(&caller, user).await.unwrap().id;
        if first_user.is_empty() {
            first_user = id;
        }
    }
    for (name, members) in [("Ops", vec![]), ("Eng", vec![first_user])] {
        let members = members
            .into_iter()
            .map(|value| Member {
                value,
                ..Member::default()
            })
            .collect();
        let group = Group {
            display_name: name.into(),
            members,
            ..Group::default()
        };
        core.create_group(&caller, group).await.unwrap();
    }
    (core, caller, db)
}

#[tokio::test]
async fn every_page_is_its_slice_of_the_users_then_the_groups() {
    let (core, caller, _db) = populated().await;
    let everything = ["User:ada", "User:bob", "User:cy", "Group:Ops", "Group:Eng"];
    for start in 1..=7u32 {
        for count in 0..=6u32 {
            let page = core
                .search_resources(&caller, request("", start, Some(count)))
                .await
                .unwrap();
            let from = (start as usize - 1).min(everything.len());
            let to = (from + count as usize).min(everything.len());
            assert_eq!(names(&page), everything[from..to], "startIndex {start}, count {count}");
            assert_eq!((page.total_results, page.start_index), (5, start));
        }
    }
    let default = core.search_resources(&caller, request("", 0, None)).await.unwrap();
    assert_eq!((names(&default).len(), default.start_index), (5, 1));
}

#[tokio::test]
async fn a_filter_counts_and_pages_each_type_by_its_own_attributes() {
    let (core, caller, _db) = populated().await;
    let filter = r#"userName eq "bob" or displayName eq "Eng" or members pr"#;
    let page = core.search_resources(&caller, request(filter, 1, None)).await.unwrap();
    assert_eq!(names(&page), ["User:bob", "Group:Eng"]);
    assert_eq!(page.total_results, 2);
    let second = core
        .search_resources(&caller, request(filter, 2, Some(1)))
        .await
        .unwrap();
    assert_eq!(
        (names(&second), second.total_results),
        (vec!["Group:Eng".to_string()], 2)
    );
    let groups_only = core
        .search_resources(&caller, request(r#"meta.resourceType eq "Group""#, 1, None))
        .await
        .unwrap();
    assert_eq!(names(&groups_only), ["Group:Ops", "Group:Eng"]);
    let none = core
        .search_resources(&caller, request(r#"userName eq "ada" and members pr"#, 1, None))
        .await
        .unwrap();
    assert_eq!((none.total_results, none.resources.len()), (0, 0));
}

#[tokio::test]
async fn members_and_user_groups_are_read_only_when_asked_for() {
    let (core, caller, _db) = populated().await;
    let filter = r#"userName eq "ada" or displayName eq "Eng""#;
    let full = core.search_resources(&caller, request(filter, 1, None)).await.unwrap();
    let lean = SearchResourcesRequest {
        exclude_groups: true,
        exclude_members: true,
        ..request(filter, 1, None)
    };
    let lean = core.search_resources(&caller, lean).await.unwrap();
    for (page, loaded) in [(full, true), (lean, false)] {
        for resource in &page.resources {
            match resource.resource.as_ref().unwrap() {
                Kind::User(user) => assert_eq!(user.groups.len(), usize::from(loaded)),
                Kind::Group(group) => {
                    assert_eq!(
                        (group.members.len(), group.members_excluded),
                        (usize::from(loaded), !loaded)
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn sorting_across_resource_types_is_refused_and_bad_filters_are_invalid() {
    let (core, caller, _db) = populated().await;
    let sorted = SearchResourcesRequest {
        sort_by: "displayName".into(),
        ..request("", 1, None)
    };
    let refused = core.search_resources(&caller, sorted).await.unwrap_err();
    assert_eq!(scim_type(refused), ScimType::InvalidValue);
    for filter in ["displayName eq", "shoeSize pr", r#"meta.created gt "soon""#] {
        let error = core
            .search_resources(&caller, request(filter, 1, None))
            .await
            .unwrap_err();
        assert_eq!(scim_type(error), ScimType::InvalidFilter, "{filter}");
    }
}
