//! Change-feed instruments: `idsync.changefeed.subscribers` (open `WatchChanges`
//! streams), `idsync.changefeed.events` (events delivered) and `idsync.changefeed.lag`
//! (seconds from commit to delivery), each by `tenant`.
//!
//! The core's `WatchChanges` streams hold the [`Subscription`] returned by
//! [`ChangeFeedMetrics::subscribed`] for as long as they are open, and call
//! [`ChangeFeedMetrics::delivered`] for every event they send.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, UpDownCounter};

use crate::metrics::meter;

/// `idsync.changefeed.subscribers`
pub const CHANGEFEED_SUBSCRIBERS: &str = "idsync.changefeed.subscribers";
/// `idsync.changefeed.events`
pub const CHANGEFEED_EVENTS: &str = "idsync.changefeed.events";
/// `idsync.changefeed.lag`
pub const CHANGEFEED_LAG: &str = "idsync.changefeed.lag";

const LAG_BUCKETS_S: [f64; 12] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0];

/// The change-feed instruments. Cheap to clone.
#[derive(Clone)]
pub struct ChangeFeedMetrics {
    subscribers: UpDownCounter<i64>,
    events: Counter<u64>,
    lag: Histogram<f64>,
}

/// An open subscription; dropping it counts the subscriber out.
#[must_use = "the subscriber is counted only while this lives"]
pub struct Subscription {
    subscribers: UpDownCounter<i64>,
    tenant: KeyValue,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.subscribers.add(-1, std::slice::from_ref(&self.tenant));
    }
}

impl ChangeFeedMetrics {
    /// Instruments from the global meter.
    pub fn new() -> Self {
        let meter = meter();
        ChangeFeedMetrics {
            subscribers: meter
                .i64_up_down_counter(CHANGEFEED_SUBSCRIBERS)
                .with_unit("{subscriber}")
                .with_description("Open change-feed streams.")
                .build(),
            events: meter
                .u64_counter(CHANGEFEED_EVENTS)
                .with_unit("{event}")
                .with_description("Change events delivered to subscribers.")
                .build(),
            lag: meter
                .f64_histogram(CHANGEFEED_LAG)
                .with_unit("s")
                .with_description("Time from a change's commit to its delivery to a subscriber.")
                .with_boundaries(LAG_BUCKETS_S.to_vec())
                .build(),
        }
    }

    /// Counts a subscriber of `tenant` in until the returned guard is dropped.
    pub fn subscribed(&self, tenant: &str) -> Subscription {
        let tenant = KeyValue::new("tenant", tenant.to_string());
        self.subscribers.add(1, std::slice::from_ref(&tenant));
        Subscription {
            subscribers: self.subscribers.clone(),
            tenant,
        }
    }

    /// One event of `tenant` was delivered `lag` after it was committed.
    pub fn delivered(&self, tenant: &str, lag: Duration) {
        let tenant = [KeyValue::new("tenant", tenant.to_string())];
        self.events.add(1, &tenant);
        self.lag.record(lag.as_secs_f64(), &tenant);
    }
}

impl Default for ChangeFeedMetrics {
    fn default() -> Self {
        Self::new()
    }
}
