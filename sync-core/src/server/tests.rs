//! The core called in-process: what a network client sees — metadata, status codes,
//! deadlines, streams — without HTTP/2.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use idsync_proto::v1::changes_client::ChangesClient;
use idsync_proto::v1::users_client::UsersClient;
use idsync_proto::v1::{CreateUserRequest, GetUserRequest, User, WatchChangesRequest};
use idsync_storage::StoreOptions;
use idsync_storage::test_util::TestDb;
use tonic::Code;

use super::{InProcess, in_process};
use crate::admin::{Bootstrap, bootstrap_if_empty};
use crate::test_support::hold_a_reader;
use crate::{Core, CoreSettings};

/// `message` with the bearer token of `secret`.
fn authed<T>(message: T, secret: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let bearer = format!("Bearer {secret}").parse().unwrap();
    request.metadata_mut().insert("authorization", bearer);
    request
}

/// A core on `db` with its first tenant and token, and the in-process service over it.
async fn started(db: &TestDb, options: StoreOptions) -> (Core, Bootstrap, InProcess) {
    let store = db.store_with(options);
    let boot_store = store.clone();
    let bootstrap = tokio::task::spawn_blocking(move || bootstrap_if_empty(&boot_store))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let core = Core::new(store, CoreSettings::default());
    let service = in_process(core.clone()).await.unwrap();
    (core, bootstrap, service)
}

fn ada() -> CreateUserRequest {
    CreateUserRequest {
        user: Some(User {
            user_name: "ada@contoso.com".into(),
            ..User::default()
        }),
    }
}

/// A GET of user `id`, by the bearer of `secret`.
fn get_by_id(id: String, secret: &str) -> tonic::Request<GetUserRequest> {
    authed(
        GetUserRequest {
            id,
            exclude_groups: true,
        },
        secret,
    )
}

/// Creates ada and answers her id.
async fn create_ada(users: &mut UsersClient<InProcess>, secret: &str) -> String {
    users.create_user(authed(ada(), secret)).await.unwrap().into_inner().id
}

/// A core whose store has one read connection, and the id of a user created in it.
async fn one_reader_and_ada(db: &TestDb) -> (Core, Bootstrap, UsersClient<InProcess>, String) {
    let options = StoreOptions {
        max_connections: 1,
        min_idle: Some(1),
        connection_timeout: Duration::from_secs(60),
        ..StoreOptions::default()
    };
    let (core, boot, service) = started(db, options).await;
    let mut users = UsersClient::new(service);
    // The token is verified (and cached) before the database is held.
    let id = create_ada(&mut users, &boot.secret).await;
    (core, boot, users, id)
}

#[tokio::test]
async fn in_process_calls_carry_metadata_and_status_codes_through_the_telemetry_layer() {
    let db = TestDb::sqlite();
    let (_core, boot, service) = started(&db, StoreOptions::default()).await;
    let mut users = UsersClient::new(service);

    let created = users.create_user(authed(ada(), &boot.secret)).await.unwrap();
    // Only the server's telemetry layer names the tenant in the response metadata.
    let tenant = created.metadata().get("idsync-tenant").unwrap().to_str().unwrap();
    assert_eq!(tenant, boot.tenant.id);
    let id = created.into_inner().id;

    let read = users.get_user(get_by_id(id, &boot.secret)).await.unwrap();
    assert_eq!(read.into_inner().user_name, "ada@contoso.com");

    let taken = users.create_user(authed(ada(), &boot.secret)).await.unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists);
    let anonymous = users.create_user(tonic::Request::new(ada())).await.unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn an_in_process_call_past_its_deadline_is_cancelled_as_tonic_s_server_does() {
    let db = TestDb::sqlite();
    let (core, boot, mut users, id) = one_reader_and_ada(&db).await;
    // Hold the only read connection: the read cannot run until it is released.
    let (release, holder) = hold_a_reader(core.store());

    let mut request = get_by_id(id, &boot.secret);
    request.set_timeout(Duration::from_millis(100));
    let expired = users.get_user(request).await.unwrap_err();
    assert_eq!(expired.code(), Code::Cancelled);
    assert_eq!(expired.message(), "Timeout expired");

    release.send(()).unwrap();
    holder.join().unwrap().unwrap();
}

#[tokio::test]
async fn an_in_process_change_stream_follows_commits_and_ends_when_streams_close() {
    let db = TestDb::sqlite();
    let (core, boot, service) = started(&db, StoreOptions::default()).await;
    let mut changes = ChangesClient::new(service.clone());
    let mut users = UsersClient::new(service);

    let watch = WatchChangesRequest {
        after_cursor: Some(0),
        ..WatchChangesRequest::default()
    };
    let mut stream = changes
        .watch_changes(authed(watch, &boot.secret))
        .await
        .unwrap()
        .into_inner();
    let id = create_ada(&mut users, &boot.secret).await;
    let event = stream.message().await.unwrap().unwrap();
    assert_eq!(
        (event.resource_id.as_str(), event.event.as_str()),
        (id.as_str(), "created")
    );

    // What a graceful shutdown does: open streams end, telling the client to reconnect.
    core.close_streams();
    let closed = stream.message().await.unwrap_err();
    assert_eq!(closed.code(), Code::Unavailable);
}

#[tokio::test]
async fn a_handler_that_panics_answers_grpc_internal_instead_of_resetting_the_stream() {
    use tower::{Layer, ServiceExt};
    use tower_http::catch_panic::CatchPanicLayer;
    // No service of the core panics on purpose; this one stands for the bug that would.
    let buggy = tower::service_fn(|_: tonic::codegen::http::Request<tonic::body::Body>| async move {
        if true {
            panic!("a bug");
        }
        Ok::<_, std::convert::Infallible>(tonic::codegen::http::Response::new(tonic::body::Body::empty()))
    });
    let response = CatchPanicLayer::custom(super::answer_panic)
        .layer(buggy)
        .oneshot(tonic::codegen::http::Request::new(tonic::body::Body::empty()))
        .await
        .unwrap();
    let status = tonic::Status::from_header_map(response.headers()).expect("a gRPC status in the headers");
    assert_eq!(status.code(), Code::Internal);
    assert_eq!(
        status.message(),
        "internal error",
        "the panic's text is logged, never sent"
    );
}

/// With every read connection lent, a GET finds no idle reader for its own thread: it
/// waits on the blocking pool, never on an async worker, and answers once a connection
/// comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_with_no_idle_reader_waits_on_the_blocking_pool_for_one() {
    let db = TestDb::sqlite();
    let (core, boot, mut users, id) = one_reader_and_ada(&db).await;
    let (release, holder) = hold_a_reader(core.store());
    assert!(core.store().idle_local_reader().is_none(), "the only reader is lent");

    let request = get_by_id(id, &boot.secret);
    let get = tokio::spawn(async move { users.get_user(request).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!get.is_finished(), "the GET waits for the lent connection");
    release.send(()).unwrap();
    let read = get.await.unwrap().unwrap();
    assert_eq!(read.into_inner().user_name, "ada@contoso.com");
    holder.join().unwrap().unwrap();
}
