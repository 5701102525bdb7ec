//! Races across replicas: two `serve` nodes on one PostgreSQL, requests split between
//! them and sent at once. Uniqueness holds (one 201, the rest 409), If-Match lets one
//! writer per version through (the rest 412), and a matching rule's adoption racing a
//! create never leaves two accounts for one identity.

use idsync_core::CoreSettings;
use idsync_proto::v1::{MatchPolicy, User};
use idsync_storage::records::{Scope, UserQuery};
use idsync_tests::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Sends `count` requests at once, alternately to `urls[0]` and `urls[1]`; their statuses
/// and bodies.
async fn at_once(
    urls: [&str; 2],
    count: usize,
    request: impl Fn(usize, &str) -> reqwest::RequestBuilder,
) -> Vec<(StatusCode, Value)> {
    let sends: Vec<_> = (0..count)
        .map(|i| {
            let sent = request(i, urls[i % 2]).send();
            tokio::spawn(async move {
                let response = sent.await.unwrap();
                let status = response.status();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            })
        })
        .collect();
    let mut answers = Vec::new();
    for send in sends {
        answers.push(send.await.unwrap());
    }
    answers
}

fn count(answers: &[(StatusCode, Value)], status: StatusCode) -> usize {
    answers.iter().filter(|(s, _)| *s == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_creates_of_one_name_across_two_replicas_make_one_resource() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let replica = app.replica(CoreSettings::default()).await;
    let other = replica.tenant_url(&app.tenant);
    let urls = [app.tenant_url.as_str(), other.as_str()];

    let users = at_once(urls, 50, |i, base| {
        app.http
            .post(format!("{base}/Users"))
            .bearer_auth(&app.token)
            .header("content-type", "application/scim+json")
            .body(json!({"userName": if i % 3 == 0 { "Race@Contoso.com" } else { "race@contoso.com" }}).to_string())
    })
    .await;
    assert_eq!(count(&users, StatusCode::CREATED), 1, "{users:?}");
    assert_eq!(count(&users, StatusCode::CONFLICT), 49, "{users:?}");
    assert!(
        users
            .iter()
            .filter(|(s, _)| *s == StatusCode::CONFLICT)
            .all(|(_, body)| body["scimType"] == "uniqueness")
    );
    let found = app.find_users("userName eq \"race@contoso.com\"").await;
    assert_eq!(found["totalResults"], 1, "one row stored");

    let groups = at_once(urls, 50, |_, base| {
        app.http
            .post(format!("{base}/Groups"))
            .bearer_auth(&app.token)
            .header("content-type", "application/scim+json")
            .body(json!({"displayName": "Racers"}).to_string())
    })
    .await;
    assert_eq!(count(&groups, StatusCode::CREATED), 1, "{groups:?}");
    assert_eq!(count(&groups, StatusCode::CONFLICT), 49, "{groups:?}");
    assert_eq!(app.find_groups("displayName eq \"Racers\"").await["totalResults"], 1);
    eprintln!("races: 50 creates of one userName: 1 × 201, 49 × 409; the same for one group displayName");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_if_match_patches_let_one_writer_through_per_version() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let replica = app.replica(CoreSettings::default()).await;
    let other = replica.tenant_url(&app.tenant);
    let urls = [app.tenant_url.as_str(), other.as_str()];
    let user = app.created_user(&json!({"userName": "etag@contoso.com"})).await;
    let id = user["id"].as_str().unwrap().to_owned();

    let mut winners = 0;
    for version in 1..=3 {
        let answers = at_once(urls, 20, |i, base| {
            let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                               "Operations": [{"op": "replace", "path": "displayName", "value": format!("v{version} writer {i}")}]});
            app.http
                .request(Method::PATCH, format!("{base}/Users/{id}"))
                .bearer_auth(&app.token)
                .header("content-type", "application/scim+json")
                .header("if-match", format!("W/\"{version}\""))
                .body(patch.to_string())
        })
        .await;
        assert_eq!(count(&answers, StatusCode::OK), 1, "version {version}: {answers:?}");
        assert_eq!(
            count(&answers, StatusCode::PRECONDITION_FAILED),
            19,
            "version {version}: {answers:?}"
        );
        let winner = answers.iter().find(|(s, _)| *s == StatusCode::OK).unwrap();
        assert_eq!(winner.1["meta"]["version"], format!("W/\"{}\"", version + 1));
        let stored = app.get_json(&format!("/Users/{id}")).await;
        assert_eq!(
            stored["displayName"], winner.1["displayName"],
            "the winner's write is the one stored"
        );
        winners += 1;
    }
    eprintln!("races: 3 rounds of 20 If-Match PATCHes: {winners} winners, 57 × 412");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn adoption_racing_a_create_never_leaves_two_accounts_for_one_identity() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.match_users(&["externalId"], MatchPolicy::Adopt).await;
    let replica = app.replica(CoreSettings::default()).await;
    let other = replica.tenant_url(&app.tenant);
    let app_token = app.new_token(Scope::Scim).await;
    let rounds = 30;
    let mut tasks = Vec::new();
    for round in 0..rounds {
        // The app's own service creates the account over gRPC on one replica while
        // Entra creates the same person (same externalId, another userName) over SCIM
        // on the other.
        let external = format!("ext-{round}");
        let grpc = app.grpc_url();
        let token = app_token.clone();
        let user = User {
            user_name: format!("app-{round}@contoso.com"),
            external_id: Some(external.clone()),
            active: Some(true),
            ..User::default()
        };
        tasks.push(tokio::spawn(async move {
            let mut client = idsync_proto::v1::users_client::UsersClient::connect(grpc)
                .await
                .unwrap();
            let request = idsync_tests::authed(&token, idsync_proto::v1::CreateUserRequest { user: Some(user) });
            client.create_user(request).await.map(|_| ()).map_err(|s| s.code())
        }));
        let entra = app
            .http
            .post(format!("{other}/Users"))
            .bearer_auth(&app.token)
            .header("content-type", "application/scim+json")
            .body(json!({"userName": format!("entra-{round}@contoso.com"), "externalId": external}).to_string())
            .send();
        tasks.push(tokio::spawn(async move {
            let response = entra.await.unwrap();
            if response.status().is_success() {
                Ok(())
            } else {
                Err(tonic::Code::Unknown)
            }
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let store = app.node.store.clone();
    let tenant = app.tenant.id.clone();
    let users = tokio::task::spawn_blocking(move || store.read(|tx| tx.list_users(&tenant, &UserQuery::all(1000))))
        .await
        .unwrap()
        .unwrap();
    for round in 0..rounds {
        let external = format!("ext-{round}");
        let accounts = users
            .users
            .iter()
            .filter(|u| u.external_id.as_deref() == Some(external.as_str()))
            .count();
        assert_eq!(
            accounts, 1,
            "round {round}: {accounts} accounts for one identity; outcomes {outcomes:?}"
        );
    }
    let failed = outcomes.iter().filter(|o| o.is_err()).count();
    eprintln!(
        "races: {rounds} adoptions racing a create: one account each; {} of {} calls succeeded",
        outcomes.len() - failed,
        outcomes.len()
    );
}
