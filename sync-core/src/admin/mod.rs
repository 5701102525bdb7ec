//! Tenants and tokens: the operations behind the `Admin` gRPC service and the CLI.
//!
//! The CLI (`idsync tenant …`, `idsync token …`) calls these functions directly on the
//! store — it is how the first tenant and token come to exist — while the gRPC service
//! calls them for an authenticated `admin` caller, scoped to the caller's tenant.

pub mod service;

use idsync_storage::records::{Scope, TenantRecord, TokenRecord};
use idsync_storage::{StorageError, Store};

use crate::auth::mint_secret;
use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};

/// A tenant name: 1–64 characters of letters, digits, `-`, `_` and `.`.
pub fn validate_tenant_name(name: &str) -> CoreResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid_value(format!(
            "tenant name {name:?} must be 1-64 characters of letters, digits, '-', '_' or '.'"
        )))
    }
}

/// Creates a tenant. Blocking: call from a blocking context.
pub fn create_tenant(
    store: &Store,
    name: &str,
    public_url: Option<String>,
    operator: bool,
) -> CoreResult<TenantRecord> {
    validate_tenant_name(name)?;
    if let Some(url) = &public_url {
        crate::error::check_id("publicUrl", url)?;
    }
    if let Some(url) = &public_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(CoreError::invalid_value(format!(
            "public URL {url:?} must start with http:// or https://"
        )));
    }
    let tenant = TenantRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.to_string(),
        public_url: public_url.map(|u| u.trim_end_matches('/').to_string()),
        operator,
        created_us: now_us(),
    };
    store.create_tenant(&tenant).map_err(|e| match e {
        StorageError::Conflict { .. } => CoreError::Uniqueness(format!("a tenant named {name:?} already exists")),
        other => other.into(),
    })?;
    Ok(tenant)
}

/// Finds a tenant by name.
pub fn tenant_by_name(store: &Store, name: &str) -> CoreResult<TenantRecord> {
    store
        .tenant_by_name(name)?
        .ok_or_else(|| CoreError::NotFound(format!("no tenant named {name:?}")))
}

/// Mints a token for a tenant and returns it with its secret, which is shown only now.
pub fn create_token(
    store: &Store,
    tenant_id: &str,
    scope: Scope,
    label: &str,
    expires_us: Option<i64>,
) -> CoreResult<(TokenRecord, String)> {
    crate::error::check_id("label", label)?;
    let now = now_us();
    if expires_us.is_some_and(|e| e <= now) {
        return Err(CoreError::invalid_value("the expiry must be in the future"));
    }
    let secret = mint_secret();
    let token = TokenRecord {
        id: uuid::Uuid::new_v4().simple().to_string(),
        tenant_id: tenant_id.to_string(),
        scope,
        secret_hash: secret.hash,
        label: label.to_string(),
        created_us: now,
        expires_us,
        last_used_us: None,
        revoked_us: None,
    };
    store.insert_token(&token)?;
    Ok((token, secret.secret))
}

/// The Tenant URL an admin pastes into Entra: the SCIM base of idsync.
pub fn tenant_url(tenant: &TenantRecord, server_public_url: &str) -> String {
    let base = tenant
        .public_url
        .as_deref()
        .unwrap_or(server_public_url)
        .trim_end_matches('/');
    format!("{base}/scim/v2")
}

/// What first start created: the default tenant and its first Secret Token.
pub struct Bootstrap {
    /// The tenant.
    pub tenant: TenantRecord,
    /// Its SCIM token's secret, shown once.
    pub secret: String,
}

/// On an empty database, creates the operator tenant `default` with a `scim` token;
/// otherwise does nothing. Blocking.
pub fn bootstrap_if_empty(store: &Store) -> CoreResult<Option<Bootstrap>> {
    if store.count_tenants()? > 0 {
        return Ok(None);
    }
    let tenant = create_tenant(store, "default", None, true)?;
    let (_, secret) = create_token(store, &tenant.id, Scope::Scim, "created on first start", None)?;
    Ok(Some(Bootstrap { tenant, secret }))
}
