//! Typed helpers for the change feed, the provisioning log and the directory reads.

use std::time::Duration;

use idsync::node::RunningNode;
use idsync_proto::v1::changes_client::ChangesClient;
use idsync_proto::v1::provisioning_log_client::ProvisioningLogClient;
use idsync_proto::v1::{ChangeEvent, ListLogEntriesRequest, LogEntry, WatchChangesRequest};
use tonic::Streaming;

use crate::{TestApp, authed};

/// How long a test waits for an event it expects.
const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The gRPC URL of a node's core.
pub fn grpc_url_of(node: &RunningNode) -> String {
    format!("http://{}", node.grpc_addr.expect("the test node listens for gRPC"))
}

/// An open `WatchChanges` stream.
pub struct Watcher {
    stream: Streaming<ChangeEvent>,
}

impl Watcher {
    /// Opens a stream on the core at `grpc_url` with `token`, after `after_cursor`.
    pub async fn open(grpc_url: &str, token: &str, after_cursor: Option<u64>) -> Result<Watcher, tonic::Status> {
        Self::open_with(
            grpc_url,
            token,
            WatchChangesRequest {
                after_cursor,
                ..WatchChangesRequest::default()
            },
        )
        .await
    }

    /// Opens a stream with a full request (filters).
    pub async fn open_with(
        grpc_url: &str,
        token: &str,
        request: WatchChangesRequest,
    ) -> Result<Watcher, tonic::Status> {
        let mut client = ChangesClient::connect(grpc_url.to_string()).await.expect("connect");
        let stream = client.watch_changes(authed(token, request)).await?.into_inner();
        Ok(Watcher { stream })
    }

    /// The next `n` events, failing the test if they do not arrive in time.
    pub async fn next(&mut self, n: usize) -> Vec<ChangeEvent> {
        let mut events = Vec::with_capacity(n);
        while events.len() < n {
            match tokio::time::timeout(EVENT_TIMEOUT, self.stream.message()).await {
                Ok(Ok(Some(event))) => events.push(event),
                Ok(Ok(None)) => panic!("the stream ended after {events:?}"),
                Ok(Err(status)) => panic!("the stream failed after {events:?}: {status:?}"),
                Err(_) => panic!("timed out waiting for event {} after {events:?}", events.len() + 1),
            }
        }
        events
    }

    /// Asserts that nothing more arrives within `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        if let Ok(next) = tokio::time::timeout(wait, self.stream.message()).await {
            panic!("expected no more events, got {next:?}");
        }
    }

    /// The status the stream ends with.
    pub async fn error(&mut self) -> tonic::Status {
        loop {
            match tokio::time::timeout(EVENT_TIMEOUT, self.stream.message()).await {
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None)) => panic!("the stream ended without an error"),
                Ok(Err(status)) => return status,
                Err(_) => panic!("timed out waiting for the stream to fail"),
            }
        }
    }
}

impl TestApp {
    /// Watches the default tenant's feed with its `scim` token after `after_cursor`.
    pub async fn watch(&self, after_cursor: Option<u64>) -> Watcher {
        Watcher::open(&self.grpc_url(), &self.token, after_cursor)
            .await
            .expect("the watch starts")
    }

    /// `ListLogEntries` with `token`.
    pub async fn log_entries(
        &self,
        token: &str,
        request: ListLogEntriesRequest,
    ) -> Result<Vec<LogEntry>, tonic::Status> {
        let mut client = ProvisioningLogClient::connect(self.grpc_url()).await.expect("connect");
        Ok(client
            .list_log_entries(authed(token, request))
            .await?
            .into_inner()
            .entries)
    }
}

/// `(event, resource_id)` of each event, for compact assertions.
pub fn summary(events: &[ChangeEvent]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| (e.event.clone(), e.resource_id.clone()))
        .collect()
}
