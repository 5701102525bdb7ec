//! What provisioning did, per tenant: `idsync.provisioning.operations` and
//! `idsync.auth.failures` (Prometheus: `idsync_provisioning_operations_total`,
//! `idsync_auth_failures_total`).
//!
//! The core records one operation per SCIM write it finishes, with the outcome it
//! decided, including those of the tenant's rules ([`Outcome::Adopted`] for matching
//! rules, [`Outcome::RejectedOutOfScope`] for scoping rules).

use opentelemetry::KeyValue;
use opentelemetry::metrics::Counter;

use crate::metrics::meter;

/// `idsync.provisioning.operations`
pub const PROVISIONING_OPERATIONS: &str = "idsync.provisioning.operations";
/// `idsync.auth.failures`
pub const AUTH_FAILURES: &str = "idsync.auth.failures";

/// The SCIM resource type an operation acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// `User`
    User,
    /// `Group`
    Group,
}

impl ResourceType {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::User => "User",
            ResourceType::Group => "Group",
        }
    }
}

/// What the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST` (create).
    Create,
    /// `PUT` (replace).
    Replace,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Operation {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Replace => "replace",
            Operation::Patch => "patch",
            Operation::Delete => "delete",
        }
    }
}

/// What an operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new resource exists.
    Created,
    /// Attributes changed (and `active` did not turn).
    Updated,
    /// The request changed nothing (Entra re-sends unchanged values); no new version.
    Unchanged,
    /// `active` went from true to false: the account is disabled (soft delete).
    Deactivated,
    /// `active` went from false to true.
    Reactivated,
    /// The resource is gone.
    Deleted,
    /// A create matched an existing account by the tenant's matching rules and linked
    /// it instead of creating a duplicate.
    Adopted,
    /// The resource does not satisfy the tenant's scoping rule, whose `reject` policy
    /// refused the create or update.
    RejectedOutOfScope,
}

impl Outcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Deactivated => "deactivated",
            Outcome::Reactivated => "reactivated",
            Outcome::Deleted => "deleted",
            Outcome::Adopted => "adopted",
            Outcome::RejectedOutOfScope => "rejected_out_of_scope",
        }
    }

    /// The outcome of a write that turned `active` from `before` to `after`.
    pub fn of_update(before_active: bool, after_active: bool) -> Outcome {
        match (before_active, after_active) {
            (true, false) => Outcome::Deactivated,
            (false, true) => Outcome::Reactivated,
            _ => Outcome::Updated,
        }
    }
}

/// Why a failed operation failed: a stable error class and, when the core reported
/// one, the SCIM `scimType` keyword (RFC 7644 §3.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// e.g. `invalid`, `not_found`, `uniqueness`, `version_mismatch`, `unavailable`.
    pub error_type: &'static str,
    /// e.g. `invalidValue`, `uniqueness`.
    pub scim_type: Option<&'static str>,
}

/// Why an authentication failed (`reason` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No usable bearer token (none, or not `Bearer`).
    Missing,
    /// No token has this secret.
    Unknown,
    /// The token was revoked.
    Revoked,
    /// The token has expired.
    Expired,
    /// The token's scope does not allow the call.
    Scope,
}

impl AuthFailure {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthFailure::Missing => "missing",
            AuthFailure::Unknown => "unknown",
            AuthFailure::Revoked => "revoked",
            AuthFailure::Expired => "expired",
            AuthFailure::Scope => "scope",
        }
    }
}

/// The provisioning and authentication counters.
#[derive(Clone)]
pub struct ProvisioningMetrics {
    operations: Counter<u64>,
    auth_failures: Counter<u64>,
}

impl ProvisioningMetrics {
    /// Instruments from the global meter.
    pub fn new() -> Self {
        let meter = meter();
        ProvisioningMetrics {
            operations: meter
                .u64_counter(PROVISIONING_OPERATIONS)
                .with_unit("{operation}")
                .with_description("SCIM write operations by tenant, resource type, operation and outcome.")
                .build(),
            auth_failures: meter
                .u64_counter(AUTH_FAILURES)
                .with_unit("{failure}")
                .with_description("Calls refused because of their token, by reason.")
                .build(),
        }
    }

    /// Counts an operation that succeeded with `outcome`.
    pub fn succeeded(&self, tenant: &str, resource: ResourceType, operation: Operation, outcome: Outcome) {
        self.operations.add(
            1,
            &[
                KeyValue::new("tenant", tenant.to_string()),
                KeyValue::new("resource_type", resource.as_str()),
                KeyValue::new("operation", operation.as_str()),
                KeyValue::new("outcome", outcome.as_str()),
            ],
        );
    }

    /// Counts an operation that failed (`outcome="failed"`).
    pub fn failed(&self, tenant: &str, resource: ResourceType, operation: Operation, failure: Failure) {
        let mut attributes = vec![
            KeyValue::new("tenant", tenant.to_string()),
            KeyValue::new("resource_type", resource.as_str()),
            KeyValue::new("operation", operation.as_str()),
            KeyValue::new("outcome", "failed"),
            KeyValue::new("error.type", failure.error_type),
        ];
        if let Some(scim_type) = failure.scim_type {
            attributes.push(KeyValue::new("scim_type", scim_type));
        }
        self.operations.add(1, &attributes);
    }

    /// Counts a refused token; `tenant` when the token was found (revoked, expired, scope).
    pub fn auth_failed(&self, reason: AuthFailure, tenant: Option<&str>) {
        self.auth_failures.add(
            1,
            &[
                KeyValue::new("reason", reason.as_str()),
                KeyValue::new("tenant", tenant.unwrap_or(crate::scope::UNKNOWN_TENANT).to_string()),
            ],
        );
    }
}

impl Default for ProvisioningMetrics {
    fn default() -> Self {
        Self::new()
    }
}
