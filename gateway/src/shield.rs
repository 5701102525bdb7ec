//! What stands in front of every route: load shedding and the throttling of failed
//! authentications.
//!
//! * **In flight.** At most [`ShieldSettings::max_in_flight`] requests are served at
//!   once; one more is answered 503 with `Retry-After` at once, rather than queued
//!   behind the others until every client times out.
//! * **Failed authentications, per client address.** Each address may fail
//!   authentication [`ShieldSettings::auth_failure_burst`] times in a row, then
//!   [`ShieldSettings::auth_failures_per_minute`] times a minute; beyond that its requests
//!   get 429 with `Retry-After` before they reach the core, whatever token they carry.
//!   Guessing tokens from one address is slowed to that rate; a client with a valid token
//!   never fails and is never throttled here.
//!
//! * **Deadlines.** A request not answered within [`ShieldSettings::request_timeout`] is
//!   answered 504; its calls to sync-core carry what is left of that time as their gRPC
//!   deadline, so the core stops working for an answer nobody waits for. A client that
//!   takes longer than [`ShieldSettings::header_read_timeout`] to send its headers is
//!   disconnected (`listen`).
//!
//! Shedding and throttling are counted in `idsync.throttled` (`overloaded`,
//! `auth_failures`).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use idsync_telemetry::throttling::{ThrottleMetrics, ThrottleReason};
use moka::sync::Cache;
use tokio::sync::Semaphore;

use crate::errors::ApiError;

/// The limits of [`Shield`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShieldSettings {
    /// Requests served at once; more get 503.
    pub max_in_flight: usize,
    /// Failed authentications an address may have in a row.
    pub auth_failure_burst: u32,
    /// Failed authentications an address may have per minute after its burst (0: no
    /// throttling of failures).
    pub auth_failures_per_minute: u32,
    /// How long a request may take, end to end, before it is answered 504.
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
}

impl Default for ShieldSettings {
    fn default() -> Self {
        ShieldSettings {
            max_in_flight: 1024,
            auth_failure_burst: 20,
            auth_failures_per_minute: 10,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// How often the per-address state is trimmed of addresses that are whole again.
const TRIM_EVERY: u64 = 1024;

/// The state behind [`shield`].
pub(crate) struct Shield {
    in_flight: Semaphore,
    request_timeout: Duration,
    failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Addresses out of failures, and until when.
    blocked: Cache<IpAddr, Instant>,
    failed_since_trim: AtomicU64,
    clock: DefaultClock,
    metrics: ThrottleMetrics,
}

impl Shield {
    pub(crate) fn new(settings: ShieldSettings) -> Self {
        let failures = NonZeroU32::new(settings.auth_failures_per_minute).map(|per_minute| {
            let burst = NonZeroU32::new(settings.auth_failure_burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst))
        });
        Shield {
            in_flight: Semaphore::new(settings.max_in_flight.max(1)),
            request_timeout: settings.request_timeout,
            failures,
            blocked: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(3600))
                .build(),
            failed_since_trim: AtomicU64::new(0),
            clock: DefaultClock::default(),
            metrics: ThrottleMetrics::new(),
        }
    }

    /// How long `ip` must still wait, if it is out of failures.
    fn blocked_for(&self, ip: IpAddr) -> Option<Duration> {
        let until = self.blocked.get(&ip)?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    /// Counts one failed authentication from `ip`.
    fn failed(&self, ip: IpAddr) {
        let Some(limiter) = &self.failures else { return };
        if let Err(not_until) = limiter.check_key(&ip) {
            let wait = not_until.wait_time_from(self.clock.now());
            self.blocked.insert(ip, Instant::now() + wait);
            tracing::info!(%ip, ?wait, "too many failed authentications from one address: throttled");
        }
        if self.failed_since_trim.fetch_add(1, Ordering::Relaxed) % TRIM_EVERY == TRIM_EVERY - 1 {
            limiter.retain_recent();
        }
    }
}

/// Whole seconds, rounded up, at least one: what `Retry-After` says.
fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// When the request being served must be answered by: its handlers' calls to sync-core
/// carry the time left as their gRPC deadline (`forward::Forwarded`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestDeadline(pub(crate) Instant);

/// The middleware: sheds load beyond the in-flight limit, refuses addresses out of
/// failures, answers 504 past the request's deadline, and counts the 401s it lets
/// through.
pub(crate) async fn shield(State(shield): State<Arc<Shield>>, mut request: Request, next: Next) -> Response {
    let Ok(_permit) = shield.in_flight.try_acquire() else {
        shield.metrics.throttled(ThrottleReason::Overloaded, None);
        return ApiError::overloaded(1).into_response();
    };
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(wait) = ip.and_then(|ip| shield.blocked_for(ip)) {
        shield.metrics.throttled(ThrottleReason::AuthFailures, None);
        if crate::console::is_console_path(request.uri().path()) {
            return crate::console::throttled(retry_after_secs(wait));
        }
        return ApiError::too_many_requests(
            "too many failed authentications from this address; retry after the time given",
            retry_after_secs(wait),
        )
        .into_response();
    }
    request
        .extensions_mut()
        .insert(RequestDeadline(Instant::now() + shield.request_timeout));
    let Ok(response) = tokio::time::timeout(shield.request_timeout, next.run(request)).await else {
        tracing::info!(timeout = ?shield.request_timeout, "request not answered within its deadline");
        return ApiError::deadline_exceeded().into_response();
    };
    if let Some(ip) = ip
        && response.status() == StatusCode::UNAUTHORIZED
    {
        shield.failed(ip);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(6)), 6);
        assert_eq!(retry_after_secs(Duration::from_millis(6001)), 7);
    }

    #[test]
    fn an_address_is_blocked_after_its_burst_of_failures_and_others_are_not() {
        let shield = Shield::new(ShieldSettings {
            max_in_flight: 1,
            auth_failure_burst: 3,
            auth_failures_per_minute: 1,
            ..ShieldSettings::default()
        });
        let guesser: IpAddr = [192, 0, 2, 1].into();
        let other: IpAddr = [192, 0, 2, 2].into();
        for _ in 0..3 {
            shield.failed(guesser);
            assert_eq!(shield.blocked_for(guesser), None, "within the burst");
        }
        shield.failed(guesser);
        let wait = shield.blocked_for(guesser).expect("blocked after the burst");
        assert!(wait <= Duration::from_secs(60), "{wait:?}");
        assert_eq!(shield.blocked_for(other), None);
    }

    #[test]
    fn zero_failures_per_minute_turns_the_throttle_off() {
        let shield = Shield::new(ShieldSettings {
            auth_failures_per_minute: 0,
            ..ShieldSettings::default()
        });
        let ip: IpAddr = [192, 0, 2, 1].into();
        for _ in 0..1000 {
            shield.failed(ip);
        }
        assert_eq!(shield.blocked_for(ip), None);
    }
}
