//! `WatchChanges`: replay from a cursor, then follow, at-least-once and in seq order.
//!
//! Each stream is one task that reads `seq > cursor` in batches and hands events to a
//! bounded channel. A slow client fills the channel and the task waits (the database,
//! not memory, is the buffer); a client that goes away closes it and the task ends. The
//! feed has no gaps, so a batch that does not start at `cursor + 1` means retention
//! deleted events this stream never delivered: the stream ends with `CURSOR_EXPIRED`.

use std::collections::HashSet;
use std::time::Duration;

use idsync_proto::v1::{ChangeEvent, WatchChangesRequest};
use idsync_storage::records::ResourceType;
use idsync_storage::{ChangeEvent as StoredEvent, ChangeRecord};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use crate::Core;
use crate::auth::Caller;
use crate::clock::{now_us, to_timestamp};
use crate::error::{CoreError, CoreResult};

/// Events read per query.
const BATCH: u32 = 500;
/// Events buffered per stream between the reader task and the client.
const BUFFER: usize = 256;

/// The stream a `WatchChanges` call answers with.
pub type ChangeStream = ReceiverStream<Result<ChangeEvent, Status>>;

struct Filter {
    resource_types: HashSet<ResourceType>,
    events: HashSet<StoredEvent>,
}

impl Filter {
    /// The filter a client named, in the feed's spellings (`User`, `member_added`, …).
    fn parse(resource_types: Vec<String>, events: Vec<String>) -> CoreResult<Filter> {
        fn known<T: Copy + Eq + std::hash::Hash>(
            values: Vec<String>,
            parse: impl Fn(&str) -> Option<T>,
            all: &[&str],
            what: &str,
        ) -> CoreResult<HashSet<T>> {
            values
                .iter()
                .map(|v| {
                    parse(v).ok_or_else(|| {
                        CoreError::invalid_value(format!("unknown {what} {v:?}; expected one of {}", all.join(", ")))
                    })
                })
                .collect()
        }
        let type_names = [ResourceType::User.as_str(), ResourceType::Group.as_str()];
        let event_names: Vec<&str> = StoredEvent::ALL.iter().map(|e| e.as_str()).collect();
        Ok(Filter {
            resource_types: known(resource_types, ResourceType::parse, &type_names, "resource type")?,
            events: known(events, StoredEvent::parse, &event_names, "event type")?,
        })
    }

    fn matches(&self, c: &ChangeRecord) -> bool {
        (self.resource_types.is_empty() || self.resource_types.contains(&c.change.resource_type))
            && (self.events.is_empty() || self.events.contains(&c.change.event))
    }
}

impl Core {
    /// Opens a stream of the caller's tenant's changes after `after_cursor` (absent:
    /// from now). Fails up front when the cursor is expired or ahead of the feed, or
    /// when the process already serves its maximum number of streams.
    pub async fn watch_changes(&self, caller: &Caller, request: WatchChangesRequest) -> CoreResult<ChangeStream> {
        let WatchChangesRequest {
            after_cursor,
            resource_types,
            event_types,
        } = request;
        let filter = Filter::parse(resource_types, event_types)?;
        let permit = self.feed.streams.clone().try_acquire_owned().map_err(|_| {
            CoreError::ResourceExhausted("too many change streams are open on this server; retry later".into())
        })?;
        let bounds = self
            .read_tenant(caller, |store, tenant| store.feed_bounds(tenant))
            .await?
            .ok_or_else(|| CoreError::NotFound("the tenant no longer exists".into()))?;
        let cursor = match after_cursor {
            None => bounds.head,
            Some(c) => i64::try_from(c).map_err(|_| CoreError::OutOfRange(format!("cursor {c} is out of range")))?,
        };
        if cursor > bounds.head {
            return Err(CoreError::OutOfRange(format!(
                "cursor {cursor} is ahead of the feed, whose last change is {}",
                bounds.head
            )));
        }
        if cursor + 1 < bounds.first_retained {
            return Err(CoreError::CursorExpired {
                cursor,
                head: bounds.head,
            });
        }
        let (tx, rx) = mpsc::channel(BUFFER);
        let core = self.clone();
        let tenant = caller.tenant_id.clone();
        let subscription = self.telemetry.changefeed().subscribed(&tenant);
        // Counted from now, before the call answers, so that an overview read after the
        // stream opened sees it; given back when the task ends (see `watchers`).
        let watching = self.feed.watchers.open(&tenant);
        tokio::spawn(async move {
            core.follow(&tenant, cursor, &filter, &tx).await;
            drop(watching);
            drop(subscription);
            drop(permit);
        });
        Ok(ReceiverStream::new(rx))
    }

    /// The stream's task: read, send, wait; until the client leaves, the server stops
    /// or an error ends the stream (sent to the client as its last message).
    async fn follow(
        &self,
        tenant: &str,
        mut cursor: i64,
        filter: &Filter,
        tx: &mpsc::Sender<Result<ChangeEvent, Status>>,
    ) {
        let mut commits = self.feed.commits(tenant);
        let mut closing = self.feed.closing();
        loop {
            if *closing.borrow_and_update() {
                let _ = tx
                    .send(Err(Status::unavailable(
                        "the server is shutting down; reconnect with your last cursor",
                    )))
                    .await;
                return;
            }
            let store = self.store.clone();
            let lookup = tenant.to_owned();
            let batch = match tokio::task::spawn_blocking(move || store.changes_after(&lookup, cursor, BATCH)).await {
                Ok(Ok(batch)) => batch,
                Ok(Err(e)) => {
                    let _ = tx.send(Err(CoreError::from(e).into())).await;
                    return;
                }
                Err(e) => {
                    let _ = tx.send(Err(CoreError::from(e).into())).await;
                    return;
                }
            };
            if batch.first().is_some_and(|first| first.seq != cursor + 1) {
                let head = batch.last().map_or(cursor, |c| c.seq);
                let _ = tx.send(Err(CoreError::CursorExpired { cursor, head }.into())).await;
                return;
            }
            let full = batch.len() == BATCH as usize;
            for change in batch {
                cursor = change.seq;
                if !filter.matches(&change) {
                    continue;
                }
                let committed_us = change.at_us;
                if tx.send(Ok(to_event(change))).await.is_err() {
                    return;
                }
                let lag_us = u64::try_from(now_us().saturating_sub(committed_us)).unwrap_or(0);
                self.telemetry
                    .changefeed()
                    .delivered(tenant, Duration::from_micros(lag_us));
            }
            if full {
                continue;
            }
            tokio::select! {
                _ = commits.changed() => {}
                _ = closing.changed() => {}
                () = tokio::time::sleep(self.settings.watch_poll_interval) => {}
                () = tx.closed() => return,
            }
        }
    }
}

fn to_event(c: ChangeRecord) -> ChangeEvent {
    ChangeEvent {
        cursor: u64::try_from(c.seq).unwrap_or_default(),
        committed: Some(to_timestamp(c.at_us)),
        resource_type: c.change.resource_type.as_str().to_owned(),
        resource_id: c.change.resource_id,
        event: c.change.event.as_str().to_owned(),
        attributes: c.change.attributes,
        member_type: c.change.member.as_ref().map(|(_, t)| t.as_str().to_owned()),
        member_id: c.change.member.map(|(id, _)| id),
        token_id: c.token_id,
        request_id: c.request_id,
    }
}
