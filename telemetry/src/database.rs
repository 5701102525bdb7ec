//! Connection-pool health, named as in the semantic conventions for database clients:
//! `db.client.connection.count` (by `db.client.connection.state` = `idle`|`used`),
//! `db.client.connection.max`, `db.client.connection.wait_time` (seconds) and
//! `db.client.connection.timeouts`, each by `db.client.connection.pool.name`.
//!
//! The storage crate knows nothing of OpenTelemetry: the core reads the pools' state
//! through a probe it registers here and reports checkout waits and timeouts from the
//! storage's pool hook.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, ObservableGauge};

use crate::metrics::meter;

/// `db.client.connection.count`
pub const CONNECTION_COUNT: &str = "db.client.connection.count";
/// `db.client.connection.max`
pub const CONNECTION_MAX: &str = "db.client.connection.max";
/// `db.client.connection.wait_time`
pub const CONNECTION_WAIT_TIME: &str = "db.client.connection.wait_time";
/// `db.client.connection.timeouts`
pub const CONNECTION_TIMEOUTS: &str = "db.client.connection.timeouts";

const WAIT_BUCKETS_S: [f64; 12] = [
    0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0,
];

/// One pool's state at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSample {
    /// The pool's name (`db.client.connection.pool.name`).
    pub pool: &'static str,
    /// Open connections not lent out.
    pub idle: u32,
    /// Connections lent out.
    pub used: u32,
    /// Most connections the pool may open.
    pub max: u32,
}

/// Reads the pools when metrics are collected; an empty list once they are gone.
pub type PoolProbe = Arc<dyn Fn() -> Vec<PoolSample> + Send + Sync>;

/// The pool instruments.
pub struct PoolMetrics {
    wait: Histogram<f64>,
    timeouts: Counter<u64>,
    _count: ObservableGauge<i64>,
    _max: ObservableGauge<i64>,
}

impl PoolMetrics {
    /// Instruments from the global meter, reading pool state through `probe`.
    pub fn new(probe: PoolProbe) -> Self {
        let meter = meter();
        let count_probe = probe.clone();
        let max_probe = probe.clone();
        let metrics = PoolMetrics {
            wait: meter
                .f64_histogram(CONNECTION_WAIT_TIME)
                .with_unit("s")
                .with_description("Time a call waited for a pooled database connection.")
                .with_boundaries(WAIT_BUCKETS_S.to_vec())
                .build(),
            timeouts: meter
                .u64_counter(CONNECTION_TIMEOUTS)
                .with_unit("{timeout}")
                .with_description("Calls that gave up waiting for a database connection.")
                .build(),
            _count: meter
                .i64_observable_gauge(CONNECTION_COUNT)
                .with_unit("{connection}")
                .with_description("Open database connections by state.")
                .with_callback(move |observer| {
                    for sample in count_probe() {
                        let pool = KeyValue::new("db.client.connection.pool.name", sample.pool);
                        for (state, n) in [("idle", sample.idle), ("used", sample.used)] {
                            observer.observe(
                                i64::from(n),
                                &[pool.clone(), KeyValue::new("db.client.connection.state", state)],
                            );
                        }
                    }
                })
                .build(),
            _max: meter
                .i64_observable_gauge(CONNECTION_MAX)
                .with_unit("{connection}")
                .with_description("Most database connections a pool may open.")
                .with_callback(move |observer| {
                    for sample in max_probe() {
                        observer.observe(
                            i64::from(sample.max),
                            &[KeyValue::new("db.client.connection.pool.name", sample.pool)],
                        );
                    }
                })
                .build(),
        };
        // Timeouts are rare; start each pool's series at zero so that `increase()` and
        // alerts see the first one instead of a series appearing from nothing.
        for sample in probe() {
            metrics
                .timeouts
                .add(0, &[KeyValue::new("db.client.connection.pool.name", sample.pool)]);
        }
        metrics
    }

    /// A connection was handed out from `pool` after waiting `waited`.
    pub fn checked_out(&self, pool: &'static str, waited: Duration) {
        self.wait.record(
            waited.as_secs_f64(),
            &[KeyValue::new("db.client.connection.pool.name", pool)],
        );
    }

    /// A call gave up waiting for a connection of `pool` after `waited`.
    pub fn timed_out(&self, pool: &'static str, waited: Duration) {
        let attributes = [KeyValue::new("db.client.connection.pool.name", pool)];
        self.wait.record(waited.as_secs_f64(), &attributes);
        self.timeouts.add(1, &attributes);
    }
}
