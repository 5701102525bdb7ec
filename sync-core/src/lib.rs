//! sync-core: the one authority over identity data, served over gRPC (tonic).
//!
//! It owns authentication of every call (bearer token → tenant + scope), tenants and
//! tokens, the SCIM schema, filter and PATCH semantics, validation and versions. It knows
//! nothing of HTTP or of the gateway's JSON: requests arrive as `idsync.v1` proto messages
//! with filters and PATCH paths as SCIM strings, which this crate parses and checks
//! itself. It depends on `idsync-proto` and `idsync-storage` only.
//!
//! Layout: [`scim`] is the pure grammar (filters, paths), [`schema`] the published User
//! schema, [`users`] the User resource (conversions, filter compilation, PATCH,
//! operations, gRPC service), [`admin`] tenants and tokens, [`auth`] token checks,
//! [`server`] the tonic server with health and reflection, [`health`] readiness that
//! follows the database, [`telemetry`] the core's metrics and span discipline, [`error`]
//! the one error type.

pub mod admin;
pub mod auth;
pub mod clock;
pub mod error;
pub mod health;
mod password;
pub mod schema;
pub mod scim;
pub mod server;
pub mod telemetry;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use idsync_storage::Store;
use idsync_storage::records::Scope;
use idsync_telemetry::provisioning::AuthFailure;
use tonic::metadata::MetadataMap;

use crate::auth::{Authenticator, Caller};
use crate::error::CoreResult;
use crate::telemetry::CoreTelemetry;

/// Tunables of the core.
#[derive(Debug, Clone)]
pub struct CoreSettings {
    /// How long a verified token is trusted without asking the database again.
    pub token_cache_ttl: Duration,
    /// Page size of a list that names no `count`.
    pub default_page_size: u32,
    /// Largest page a list returns, whatever `count` asks.
    pub max_page_size: u32,
}

impl Default for CoreSettings {
    fn default() -> Self {
        CoreSettings {
            token_cache_ttl: Duration::from_secs(10),
            default_page_size: 100,
            max_page_size: 1000,
        }
    }
}

/// The core: a store, an authenticator and settings. Cheap to clone.
#[derive(Clone)]
pub struct Core {
    store: Store,
    auth: Authenticator,
    settings: CoreSettings,
    telemetry: Arc<CoreTelemetry>,
}

impl Core {
    /// A core over an opened (and migrated) store.
    pub fn new(store: Store, settings: CoreSettings) -> Self {
        let telemetry = Arc::new(CoreTelemetry::new(&store));
        let auth = Authenticator::new(store.clone(), settings.token_cache_ttl);
        Core {
            store,
            auth,
            settings,
            telemetry,
        }
    }

    /// The store behind this core.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Authenticates a call and checks that its token has one of `allowed`.
    pub async fn authorize(&self, metadata: &MetadataMap, allowed: &[Scope]) -> CoreResult<Caller> {
        let caller = self.auth.authenticate(metadata).await?;
        idsync_telemetry::scope::set_tenant(&caller.tenant_id);
        caller.require(allowed).inspect_err(|_| {
            self.telemetry
                .provisioning()
                .auth_failed(AuthFailure::Scope, Some(&caller.tenant_id));
        })?;
        Ok(caller)
    }
}

/// The storage crate, re-exported for the binary's database subcommands.
pub use idsync_storage as storage;
