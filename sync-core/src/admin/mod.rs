//! Tenants and tokens: the operations behind the `Admin` gRPC service and the CLI.
//!
//! The CLI (`idsync tenant …`, `idsync token …`) calls these functions directly on the
//! store — it is how the first tenant and token come to exist — while the gRPC service
//! calls them for an authenticated `admin` caller, scoped to the caller's tenant.
//! `overview` answers `GetOverview`: the caller's tenant at a glance.

mod overview;
pub mod service;

use idsync_storage::records::{Scope, TenantRecord, TokenRecord};
use idsync_storage::{StorageError, Store};

use crate::auth::mint_secret;
use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};

/// How many times a new tenant or token draws another id after a collision.
const ID_ATTEMPTS: usize = 3;

/// The id of a new tenant or token: 8 random characters of lower-case base32 (40 bits).
///
/// Every row and index entry of a tenant's users, values, log and feed carries the
/// tenant id, and each user's own row and its log and feed rows carry the token id. An
/// id of 36 characters (a UUID spelled out) took about 300 bytes of each user's 1.9 KB;
/// eight take a quarter of it. These ids are not secrets: a token's secret is apart and
/// 256 bits. They only need to be unique, which the primary key checks, and a collision
/// draws again. Tenants and tokens made before keep their UUIDs.
pub fn short_id() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut rng = rand::rng();
    (0..8)
        .map(|_| char::from(ALPHABET[rand::Rng::random_range(&mut rng, 0..ALPHABET.len())]))
        .collect()
}

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
    let mut tenant = TenantRecord {
        id: short_id(),
        name: name.to_string(),
        public_url: public_url.map(|u| u.trim_end_matches('/').to_string()),
        operator,
        created_us: now_us(),
    };
    let mut attempts = 0;
    loop {
        match store.create_tenant(&tenant) {
            Ok(()) => break,
            // Two tenants drew the same id (about one chance in 10^12 per pair): draw again.
            Err(StorageError::Conflict { what }) if what == "tenants.id" && attempts < ID_ATTEMPTS => {
                attempts += 1;
                tenant.id = short_id();
            }
            Err(StorageError::Conflict { .. }) => {
                return Err(CoreError::Uniqueness(format!("a tenant named {name:?} already exists")));
            }
            Err(other) => return Err(other.into()),
        }
    }
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
    let mut token = TokenRecord {
        id: short_id(),
        tenant_id: tenant_id.to_string(),
        scope,
        secret_hash: secret.hash,
        label: label.to_string(),
        created_us: now,
        expires_us,
        last_used_us: None,
        revoked_us: None,
    };
    let mut attempts = 0;
    loop {
        match store.insert_token(&token) {
            Ok(()) => break,
            Err(StorageError::Conflict { what }) if what == "tokens.id" && attempts < ID_ATTEMPTS => {
                attempts += 1;
                token.id = short_id();
            }
            Err(other) => return Err(other.into()),
        }
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashSet;

    use idsync_storage::test_util::TestDb;

    use super::*;

    #[test]
    fn short_ids_are_eight_base32_characters_and_do_not_repeat() {
        let ids: HashSet<String> = (0..10_000).map(|_| short_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in &ids {
            assert_eq!(id.len(), 8, "{id}");
            assert!(
                id.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)),
                "{id}"
            );
        }
    }

    #[test]
    fn tenants_and_tokens_get_short_ids_and_a_taken_name_is_still_a_conflict() {
        let db = TestDb::sqlite();
        let store = db.store();
        let tenant = create_tenant(&store, "contoso", None, false).unwrap();
        assert_eq!(tenant.id.len(), 8);
        let (token, _) = create_token(&store, &tenant.id, Scope::Scim, "entra", None).unwrap();
        assert_eq!(token.id.len(), 8);
        assert!(matches!(
            create_tenant(&store, "contoso", None, false),
            Err(CoreError::Uniqueness(_))
        ));
    }
}
