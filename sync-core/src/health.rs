//! `grpc.health.v1` that tells the truth about the database.
//!
//! A core whose database is gone cannot serve anything, so "SERVING" must mean that
//! the database answers. [`ReadinessGate`] wraps tonic-health's service: before it
//! answers a call, a status older than [`RECHECK_AFTER`] is refreshed with a
//! `SELECT 1` through the store, and the overall status (`""`) and that of every
//! service named at construction flip between SERVING and NOT_SERVING accordingly.
//! Probes are cheap (at most one ping per second whatever the probe rate) and cost
//! nothing when nobody asks. `Watch` streams see changes that a `Check` refreshed.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use idsync_storage::Store;
use tonic::server::NamedService;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower::Service;

/// How long a database check is trusted.
pub const RECHECK_AFTER: Duration = Duration::from_secs(1);

/// How long a check waits for a connection and an answer.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// The health service, gated on the database.
#[derive(Clone)]
pub struct ReadinessGate<S> {
    inner: S,
    state: Arc<GateState>,
}

struct GateState {
    store: Store,
    reporter: HealthReporter,
    services: Vec<&'static str>,
    last_check: Mutex<Option<Instant>>,
}

impl<S> ReadinessGate<S> {
    /// Gates `inner` (tonic-health's server, fed by `reporter`) on `store`; `services`
    /// are the names whose status follows the database along with the overall one.
    pub fn new(inner: S, reporter: HealthReporter, store: Store, services: Vec<&'static str>) -> Self {
        ReadinessGate {
            inner,
            state: Arc::new(GateState {
                store,
                reporter,
                services,
                last_check: Mutex::new(None),
            }),
        }
    }
}

impl GateState {
    /// Pings the database unless a recent check stands, and publishes the result.
    async fn refresh(&self) {
        {
            let mut last = self.last_check.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < RECHECK_AFTER) {
                return;
            }
            // Claimed before the ping, so concurrent probes do not ping too.
            *last = Some(Instant::now());
        }
        let store = self.store.clone();
        let answered = tokio::task::spawn_blocking(move || store.ping(PING_TIMEOUT)).await;
        let status = match answered {
            Ok(Ok(())) => ServingStatus::Serving,
            Ok(Err(error)) => {
                tracing::warn!(%error, "readiness: the database does not answer");
                ServingStatus::NotServing
            }
            Err(error) => {
                tracing::warn!(%error, "readiness: the database check failed");
                ServingStatus::NotServing
            }
        };
        self.reporter.set_service_status("", status).await;
        for service in &self.services {
            self.reporter.set_service_status(*service, status).await;
        }
    }
}

impl<S: NamedService> NamedService for ReadinessGate<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, Req> Service<Req> for ReadinessGate<S>
where
    S: Service<Req, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    Req: Send + 'static,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // The clone is not ready; the one that was polled ready serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        Box::pin(async move {
            state.refresh().await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use idsync_storage::StoreOptions;
    use idsync_storage::test_util::TestDb;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::{HealthCheckRequest, health_check_response};

    use super::*;
    use crate::{Core, CoreSettings};

    async fn status(health: &mut HealthClient<crate::server::InProcess>, service: &str) -> i32 {
        let request = HealthCheckRequest {
            service: service.into(),
        };
        health.check(request).await.unwrap().into_inner().status
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn health_is_not_serving_while_the_database_cannot_answer() {
        const SERVING: i32 = health_check_response::ServingStatus::Serving as i32;
        const NOT_SERVING: i32 = health_check_response::ServingStatus::NotServing as i32;
        let db = TestDb::sqlite();
        let store = db.store_with(StoreOptions {
            max_connections: 1,
            ..StoreOptions::default()
        });
        let core = Core::new(store.clone(), CoreSettings::default());
        let mut health = HealthClient::new(crate::server::in_process(core).await.unwrap());
        assert_eq!(status(&mut health, "").await, SERVING);

        // Hold the only read connection: no query can run, as with a database that hangs.
        let (release, holder) = crate::test_support::hold_a_reader(&store);
        tokio::time::sleep(RECHECK_AFTER).await;
        assert_eq!(status(&mut health, "").await, NOT_SERVING);
        assert_eq!(status(&mut health, "idsync.v1.Users").await, NOT_SERVING);

        release.send(()).unwrap();
        holder.join().unwrap().unwrap();
        tokio::time::sleep(RECHECK_AFTER).await;
        assert_eq!(status(&mut health, "").await, SERVING);
        assert_eq!(status(&mut health, "idsync.v1.Users").await, SERVING);
    }
}
