//! `idsync.throttled`: requests refused to protect the service rather than for what they
//! ask, by `reason`:
//!
//! * `tenant_rate`: the tenant's token bucket is empty (429, `Retry-After`);
//! * `auth_failures`: the client address failed authentication too often (429);
//! * `overloaded`: the gateway's in-flight limit is reached (503, `Retry-After`).
//!
//! A sustained non-zero rate is what the `IdsyncThrottling` alert watches.

use opentelemetry::KeyValue;
use opentelemetry::metrics::Counter;

use crate::metrics::meter;

/// `idsync.throttled`.
pub const THROTTLED: &str = "idsync.throttled";

/// Why a request was throttled or shed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleReason {
    /// The tenant's request rate is over its limit.
    TenantRate,
    /// The client address failed authentication too often.
    AuthFailures,
    /// Too many requests in flight on this gateway.
    Overloaded,
}

impl ThrottleReason {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ThrottleReason::TenantRate => "tenant_rate",
            ThrottleReason::AuthFailures => "auth_failures",
            ThrottleReason::Overloaded => "overloaded",
        }
    }
}

/// The throttling counter.
#[derive(Clone)]
pub struct ThrottleMetrics {
    throttled: Counter<u64>,
}

impl ThrottleMetrics {
    /// The instrument from the global meter.
    pub fn new() -> Self {
        ThrottleMetrics {
            throttled: meter()
                .u64_counter(THROTTLED)
                .with_unit("{request}")
                .with_description("Requests refused by a rate or load limit (429 or 503), by reason.")
                .build(),
        }
    }

    /// Counts one refused request; `tenant` when it is known.
    pub fn throttled(&self, reason: ThrottleReason, tenant: Option<&str>) {
        self.throttled.add(
            1,
            &[
                KeyValue::new("reason", reason.as_str()),
                KeyValue::new("tenant", tenant.unwrap_or(crate::scope::UNKNOWN_TENANT).to_string()),
            ],
        );
    }
}

impl Default for ThrottleMetrics {
    fn default() -> Self {
        Self::new()
    }
}
