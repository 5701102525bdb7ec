//! The per-tenant request rate limit: a token bucket per tenant (GCRA, from `governor`),
//! checked on every call once its token names the tenant. Beyond it a call is refused
//! with `RESOURCE_EXHAUSTED` and a `RetryInfo` saying when the bucket has room again; the
//! gateway answers 429 with `Retry-After`.
//!
//! The limit guards against abuse (a leaked token, a runaway script), never against
//! Entra's own pace: Microsoft asks gallery apps to sustain at least 25 requests/s per
//! tenant, and Entra may retry a throttled request only in its next cycle, 40 minutes
//! later. The default, [`TenantRate::DEFAULT`], is ten times that floor.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use idsync_telemetry::throttling::{ThrottleMetrics, ThrottleReason};

use crate::error::{CoreError, CoreResult};

/// A tenant's sustained request rate and the burst it may spend at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantRate {
    /// Requests per second, sustained.
    pub per_second: NonZeroU32,
    /// Requests that may arrive at once after a quiet spell.
    pub burst: NonZeroU32,
}

impl TenantRate {
    /// 250 requests/s with a burst of 500: ten times the 25 requests/s Microsoft asks
    /// gallery apps to sustain, and about what one core process serves in all on a
    /// small machine, so one tenant cannot take a whole node from the others.
    pub const DEFAULT: TenantRate = TenantRate {
        per_second: NonZeroU32::new(250).expect("non-zero"),
        burst: NonZeroU32::new(500).expect("non-zero"),
    };
}

/// Admits or refuses calls by tenant.
pub(crate) struct TenantThrottle {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
    metrics: ThrottleMetrics,
}

impl TenantThrottle {
    /// A throttle at `rate` per tenant; `None` admits everything.
    pub(crate) fn new(rate: Option<TenantRate>) -> Self {
        TenantThrottle {
            limiter: rate.map(|r| RateLimiter::keyed(Quota::per_second(r.per_second).allow_burst(r.burst))),
            clock: DefaultClock::default(),
            metrics: ThrottleMetrics::new(),
        }
    }

    /// Takes one request from `tenant`'s bucket, or says how long until there is one.
    pub(crate) fn admit(&self, tenant: &str) -> CoreResult<()> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        match limiter.check_key(&tenant.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                self.metrics.throttled(ThrottleReason::TenantRate, Some(tenant));
                let retry_after = not_until.wait_time_from(self.clock.now()).max(Duration::from_millis(1));
                tracing::info!(tenant, ?retry_after, "tenant over its request rate: throttled");
                Err(CoreError::Throttled {
                    detail: "too many requests for this tenant; retry after the time given".into(),
                    retry_after,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_burst_is_admitted_then_throttled_with_a_retry_delay_per_tenant() {
        let rate = TenantRate {
            per_second: NonZeroU32::new(1).unwrap(),
            burst: NonZeroU32::new(3).unwrap(),
        };
        let throttle = TenantThrottle::new(Some(rate));
        for _ in 0..3 {
            throttle.admit("a").unwrap();
        }
        match throttle.admit("a") {
            Err(CoreError::Throttled { retry_after, .. }) => {
                assert!(
                    retry_after > Duration::ZERO && retry_after <= Duration::from_secs(1),
                    "{retry_after:?}"
                );
            }
            other => panic!("expected Throttled, got {other:?}"),
        }
        throttle.admit("b").expect("another tenant has its own bucket");
    }

    #[test]
    fn no_rate_admits_everything() {
        let throttle = TenantThrottle::new(None);
        for _ in 0..10_000 {
            throttle.admit("a").unwrap();
        }
    }
}
