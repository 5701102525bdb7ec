//! What the core reports about itself: provisioning outcomes, refused tokens, the
//! database pools; and the span discipline for blocking storage work.
//!
//! Every write operation ends in exactly one [`CoreTelemetry::operation`] call with
//! the outcome it decided, or the error it failed with: User and Group writes alike,
//! `Adopted` when a matching rule linked a create to an existing account, and a
//! scoping rule's refusal ([`CoreError::OutOfScope`]) as `RejectedOutOfScope` rather
//! than as a failure.
//!
//! Storage runs on the blocking pool, where the request's span is not current: wrap
//! every closure handed to `spawn_blocking` in [`in_current_span`] so that storage
//! spans nest under the gRPC server span of the call that caused them.

use std::sync::{Arc, Weak};
use std::time::Duration;

use idsync_storage::{PoolObserver, Store};
use idsync_telemetry::changefeed::ChangeFeedMetrics;
use idsync_telemetry::database::{PoolMetrics, PoolProbe, PoolSample};
use idsync_telemetry::provisioning::{Failure, Operation, Outcome, ProvisioningMetrics, ResourceType};

use crate::auth::Caller;
use crate::error::{CoreError, ScimType};

/// The core's instruments. Built from the global meter when the core is built.
pub struct CoreTelemetry {
    provisioning: ProvisioningMetrics,
    changefeed: ChangeFeedMetrics,
    _pools: Arc<PoolMetrics>,
    // Holds the store for the pool gauges, which keep only a weak reference: once the
    // last clone of this core is gone, its pools stop being reported and can close.
    _pool_owner: Arc<Store>,
}

impl CoreTelemetry {
    /// Instruments for a core over `store`; registers as the store's pool observer.
    pub fn new(store: &Store) -> Self {
        let owner = Arc::new(store.clone());
        let weak: Weak<Store> = Arc::downgrade(&owner);
        let probe: PoolProbe = Arc::new(move || {
            weak.upgrade()
                .map(|store| {
                    store
                        .pool_states()
                        .into_iter()
                        .map(|s| PoolSample {
                            pool: s.name,
                            idle: s.idle,
                            used: s.connections.saturating_sub(s.idle),
                            max: s.max_size,
                        })
                        .collect()
                })
                .unwrap_or_default()
        });
        let pools = Arc::new(PoolMetrics::new(probe));
        store.observe_pools(Arc::new(PoolWaits(Arc::downgrade(&pools))));
        CoreTelemetry {
            provisioning: ProvisioningMetrics::new(),
            changefeed: ChangeFeedMetrics::new(),
            _pools: pools,
            _pool_owner: owner,
        }
    }

    /// Counts one finished write of `caller`'s tenant and logs what it did. Personal
    /// data (a failure's detail may name a userName) is logged at DEBUG only.
    pub fn operation(
        &self,
        caller: &Caller,
        resource: ResourceType,
        operation: Operation,
        id: &str,
        result: Result<Outcome, &CoreError>,
    ) {
        let tenant = caller.tenant_id.as_str();
        let (resource_type, op) = (resource.as_str(), operation.as_str());
        // A scoping rule's refusal is a decision, not a fault: its own outcome.
        let result = match result {
            Err(CoreError::OutOfScope(_)) => Ok(Outcome::RejectedOutOfScope),
            other => other,
        };
        match result {
            Ok(outcome) => {
                self.provisioning.succeeded(tenant, resource, operation, outcome);
                tracing::info!(
                    tenant,
                    resource_type,
                    operation = op,
                    id,
                    outcome = outcome.as_str(),
                    "provisioned"
                );
            }
            Err(error) => {
                let failure = failure_of(error);
                self.provisioning.failed(tenant, resource, operation, failure);
                tracing::info!(
                    tenant,
                    resource_type,
                    operation = op,
                    id,
                    outcome = "failed",
                    error_type = failure.error_type,
                    scim_type = failure.scim_type.unwrap_or(""),
                    "provisioning failed"
                );
                tracing::debug!(%error, "provisioning failure detail");
            }
        }
    }

    /// The provisioning and authentication counters.
    pub fn provisioning(&self) -> &ProvisioningMetrics {
        &self.provisioning
    }

    /// The change-feed subscriber, delivery and lag instruments.
    pub fn changefeed(&self) -> &ChangeFeedMetrics {
        &self.changefeed
    }
}

/// The error class and SCIM keyword of a failed operation.
pub fn failure_of(error: &CoreError) -> Failure {
    let (error_type, scim_type) = match error {
        CoreError::Invalid { scim_type, .. } => ("invalid", Some(scim_type.as_str())),
        CoreError::OutOfScope(_) => ("out_of_scope", Some(ScimType::InvalidValue.as_str())),
        CoreError::Unauthenticated(_) => ("unauthenticated", None),
        CoreError::PermissionDenied(_) => ("permission_denied", None),
        CoreError::NotFound(_) => ("not_found", None),
        CoreError::Uniqueness(_) => ("uniqueness", Some("uniqueness")),
        CoreError::VersionMismatch(_) => ("version_mismatch", None),
        CoreError::CursorExpired { .. } => ("cursor_expired", None),
        CoreError::OutOfRange(_) => ("out_of_range", None),
        CoreError::ResourceExhausted(_) => ("resource_exhausted", None),
        CoreError::Throttled { .. } => ("throttled", None),
        CoreError::Unavailable(_) => ("unavailable", None),
        CoreError::Internal(_) => ("internal", None),
    };
    Failure { error_type, scim_type }
}

/// Reports the storage's checkout waits to the pool instruments while they exist.
struct PoolWaits(Weak<PoolMetrics>);

impl PoolObserver for PoolWaits {
    fn checked_out(&self, pool: &'static str, waited: Duration) {
        if let Some(metrics) = self.0.upgrade() {
            metrics.checked_out(pool, waited);
        }
    }

    fn timed_out(&self, pool: &'static str, waited: Duration) {
        if let Some(metrics) = self.0.upgrade() {
            metrics.timed_out(pool, waited);
        }
    }
}

/// `f`, run inside the span that is current now (for `spawn_blocking`).
pub fn in_current_span<T>(f: impl FnOnce() -> T) -> impl FnOnce() -> T {
    let span = tracing::Span::current();
    move || span.in_scope(f)
}
