//! What one request learns on its way that its metrics need at the end: the tenant.
//!
//! The gateway only learns the tenant from the core's answer, and the core only after
//! authenticating; the layer that records the request's metrics sits outside both. A
//! task-local [`RequestScope`] set by that layer carries the tenant back out: the core
//! calls [`set_tenant`] once the token is verified, and the gateway's gRPC client layer
//! does the same with the tenant the core reports in its response headers. Scopes nest
//! (a SCIM Bulk request replays its operations through the router): a tenant set in an
//! inner scope is also set on the outer ones that have none.

use std::future::Future;
use std::sync::{Arc, OnceLock};

/// The response header (gRPC metadata) in which the core names the caller's tenant.
pub const TENANT_HEADER: &str = "idsync-tenant";

/// The label value for requests whose tenant is unknown (no valid token, or refused
/// before reaching the core).
pub const UNKNOWN_TENANT: &str = "unknown";

/// Per-request facts gathered while the request runs.
#[derive(Debug, Default)]
pub struct RequestScope {
    tenant: OnceLock<String>,
    route: OnceLock<String>,
    parent: Option<Arc<RequestScope>>,
}

tokio::task_local! {
    static CURRENT: Arc<RequestScope>;
}

impl RequestScope {
    /// The tenant, once known.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.get().map(String::as_str)
    }

    /// The matched route template, once known.
    pub fn route(&self) -> Option<&str> {
        self.route.get().map(String::as_str)
    }

    /// Whether this scope runs inside another request's scope.
    pub fn is_nested(&self) -> bool {
        self.parent.is_some()
    }
}

/// A new scope, nested in the current one if there is one.
pub fn new_scope() -> Arc<RequestScope> {
    Arc::new(RequestScope {
        parent: CURRENT.try_with(Arc::clone).ok(),
        ..RequestScope::default()
    })
}

/// Runs `f` (e.g. a service's `call`) inside `scope`.
pub fn sync_within<R>(scope: &Arc<RequestScope>, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(scope.clone(), f)
}

/// Runs `future` inside `scope`.
pub fn within<F: Future>(scope: Arc<RequestScope>, future: F) -> impl Future<Output = F::Output> {
    CURRENT.scope(scope, future)
}

/// Whether a request scope is active (i.e. this runs inside another request).
pub fn is_active() -> bool {
    CURRENT.try_with(|_| ()).is_ok()
}

/// Records the tenant of the current request (no-op outside a scope or once set).
pub fn set_tenant(tenant: &str) {
    let _ = CURRENT.try_with(|scope| {
        let mut next = Some(scope.as_ref());
        while let Some(s) = next {
            if s.tenant.get().is_none() {
                let _ = s.tenant.set(tenant.to_string());
            }
            next = s.parent.as_deref();
        }
    });
}

/// Records the route template that matched the current request.
pub fn set_route(route: &str) {
    let _ = CURRENT.try_with(|scope| scope.route.set(route.to_string()));
}

/// The current request's tenant, if a scope is active and the tenant known.
pub fn current_tenant() -> Option<String> {
    CURRENT
        .try_with(|scope| scope.tenant().map(str::to_string))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_tenant_set_in_a_nested_scope_reaches_the_outer_one() {
        let outer = new_scope();
        within(outer.clone(), async {
            let inner = new_scope();
            within(inner.clone(), async { set_tenant("t-1") }).await;
            assert!(inner.is_nested());
            assert_eq!(inner.tenant(), Some("t-1"));
            set_tenant("t-2");
        })
        .await;
        assert_eq!(outer.tenant(), Some("t-1"), "the first tenant learned stays");
        assert!(!outer.is_nested());
    }

    #[tokio::test]
    async fn a_tenant_set_outside_any_scope_reaches_no_later_request() {
        assert!(!is_active());
        set_tenant("t"); // a no-op, and no panic
        let scope = new_scope();
        let seen = within(Arc::clone(&scope), async { current_tenant() }).await;
        assert_eq!(seen, None, "a later request's scope starts without a tenant");
        assert_eq!(scope.tenant(), None);
    }
}
