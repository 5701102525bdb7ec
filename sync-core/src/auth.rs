//! Bearer tokens: how they are minted, stored and checked on every call.
//!
//! A Secret Token is 32 random bytes (256 bits) in URL-safe base64 behind an `idsync_`
//! prefix. Only its SHA-256 is stored: with that much entropy a slow password hash adds
//! nothing, and a fast one lets every request authenticate with a single indexed lookup.
//! Successful lookups are cached for a short TTL so the hot path does no database work;
//! revocation through the core evicts the cache entry at once, other revocations take
//! effect within the TTL. Unknown secrets are remembered for the same TTL, so a client
//! guessing (or retrying a wrong token) costs one database read per TTL, not one per
//! call. A token's `last_used_at` is written after the answer, best-effort, so a busy
//! SQLite writer never delays or fails an authentication.
//!
//! Every refusal says the same thing ([`UNAUTHENTICATED`]): a client cannot tell an
//! unknown token from a revoked or expired one. The reason goes to the log and to
//! `idsync.auth.failures`. The secret never reaches a log: only the token id does.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use idsync_storage::Store;
use idsync_storage::records::{Scope, TokenRecord};
use idsync_telemetry::provisioning::{AuthFailure, ProvisioningMetrics};
use moka::sync::Cache;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tonic::metadata::MetadataMap;

use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};
use crate::telemetry::in_current_span;

const TOKEN_PREFIX: &str = "idsync_";

/// The one text of every 401.
pub const UNAUTHENTICATED: &str =
    "a valid bearer token is required: the token is missing, malformed, unknown, revoked or expired";

/// Who is calling: the tenant and rights a verified token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The one tenant every operation of this call is scoped to.
    pub tenant_id: String,
    /// The token's public id (safe to log).
    pub token_id: String,
    /// What the token may do.
    pub scope: Scope,
    /// The call's `x-request-id` metadata, when sent (the gateway always sends one).
    pub request_id: Option<String>,
    /// The trace id of the call's W3C `traceparent` metadata, when valid.
    pub trace_id: Option<String>,
}

impl Caller {
    /// Refuses the call unless the token has one of `allowed`.
    pub fn require(&self, allowed: &[Scope]) -> CoreResult<()> {
        if allowed.contains(&self.scope) {
            Ok(())
        } else {
            Err(CoreError::PermissionDenied(format!(
                "a token with scope {:?} may not do this",
                self.scope.as_str()
            )))
        }
    }
}

/// A freshly minted secret and the hash under which it is stored.
pub struct NewSecret {
    /// Shown to the admin once.
    pub secret: String,
    /// Stored.
    pub hash: String,
}

/// Mints a new random secret.
pub fn mint_secret() -> NewSecret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_secret(&secret);
    NewSecret { secret, hash }
}

/// Hex SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// Verifies bearer tokens against the store, with a short-lived cache.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    cache: Cache<String, Arc<TokenRecord>>,
    /// Hashes of secrets no token has, remembered for the same TTL.
    unknown: Cache<String, ()>,
    metrics: ProvisioningMetrics,
}

impl Authenticator {
    /// An authenticator that caches verified tokens, and unknown secrets, for `ttl`
    /// (zero disables both caches).
    pub fn new(store: Store, ttl: Duration) -> Self {
        let ttl = ttl.max(Duration::from_nanos(1));
        Authenticator {
            store,
            cache: Cache::builder().max_capacity(100_000).time_to_live(ttl).build(),
            unknown: Cache::builder().max_capacity(100_000).time_to_live(ttl).build(),
            metrics: ProvisioningMetrics::new(),
        }
    }

    /// Resolves the `authorization` metadata of a call to its caller. Every refusal is
    /// counted in `idsync.auth.failures` by reason.
    pub async fn authenticate(&self, metadata: &MetadataMap) -> CoreResult<Caller> {
        let refuse = |reason: AuthFailure, tenant: Option<&str>, why: &str| {
            self.metrics.auth_failed(reason, tenant);
            tracing::info!(reason = reason.as_str(), tenant, why, "authentication refused");
            CoreError::Unauthenticated(UNAUTHENTICATED.into())
        };
        let header = metadata
            .get("authorization")
            .ok_or_else(|| refuse(AuthFailure::Missing, None, "missing bearer token"))?;
        let value = header
            .to_str()
            .map_err(|_| refuse(AuthFailure::Missing, None, "malformed authorization header"))?;
        let secret =
            bearer_secret(value).ok_or_else(|| refuse(AuthFailure::Missing, None, "expected a bearer token"))?;
        let hash = hash_secret(secret);
        let record = match self.cache.get(&hash) {
            Some(r) => r,
            None if self.unknown.contains_key(&hash) => {
                return Err(refuse(AuthFailure::Unknown, None, "unknown token (remembered)"));
            }
            None => {
                let store = self.store.clone();
                let lookup = hash.clone();
                let found =
                    tokio::task::spawn_blocking(in_current_span(move || store.token_by_hash(&lookup))).await??;
                let Some(found) = found else {
                    self.unknown.insert(hash, ());
                    return Err(refuse(AuthFailure::Unknown, None, "unknown token"));
                };
                self.touch_later(&found.id);
                let record = Arc::new(found);
                self.cache.insert(hash, record.clone());
                record
            }
        };
        if record.revoked_us.is_some() {
            return Err(refuse(
                AuthFailure::Revoked,
                Some(&record.tenant_id),
                "the token has been revoked",
            ));
        }
        if record.expires_us.is_some_and(|e| e <= now_us()) {
            return Err(refuse(
                AuthFailure::Expired,
                Some(&record.tenant_id),
                "the token has expired",
            ));
        }
        Ok(Caller {
            tenant_id: record.tenant_id.clone(),
            token_id: record.id.clone(),
            scope: record.scope,
            request_id: metadata_text(metadata, "x-request-id", 200),
            trace_id: metadata_text(metadata, "traceparent", 200).and_then(|t| trace_id(&t)),
        })
    }

    /// Records that token `token_id` was used, after the call's answer and without
    /// failing it: on SQLite this write waits for the single writer, which a burst of
    /// provisioning can keep busy for seconds. A lost touch only leaves `last_used_at`
    /// older than it could be (it is written once per cache TTL at most anyway).
    fn touch_later(&self, token_id: &str) {
        let store = self.store.clone();
        let token_id = token_id.to_owned();
        let touch = tokio::task::spawn_blocking(in_current_span(move || {
            if let Err(error) = store.touch_token(&token_id, now_us()) {
                tracing::debug!(%error, token_id, "could not record the token's last use");
            }
        }));
        drop(touch);
    }

    /// Forgets a token at once (after revocation).
    pub fn evict(&self, secret_hash: &str) {
        self.cache.invalidate(secret_hash);
    }
}

/// A printable metadata value of at most `max` bytes (anything else is dropped, so a
/// client cannot stuff the log).
fn metadata_text(metadata: &MetadataMap, key: &str, max: usize) -> Option<String> {
    let value = metadata.get(key)?.to_str().ok()?.trim();
    (!value.is_empty() && value.len() <= max && value.bytes().all(|b| b.is_ascii_graphic())).then(|| value.to_owned())
}

/// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`); none when
/// malformed or all zeros.
fn trace_id(traceparent: &str) -> Option<String> {
    let mut parts = traceparent.split('-');
    let (_version, id) = (parts.next()?, parts.next()?);
    let ok = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && id.bytes().any(|b| b != b'0');
    ok.then(|| id.to_ascii_lowercase())
}

/// The secret of an `Authorization: Bearer <secret>` value (scheme case-insensitive).
pub(crate) fn bearer_secret(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let secret = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_secret_hashes_to_its_lowercase_hex_sha256() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn minted_secrets_are_long_random_and_hash_to_what_is_stored() {
        let a = mint_secret();
        let b = mint_secret();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with("idsync_") && a.secret.len() == 7 + 43);
        assert_eq!(a.hash, hash_secret(&a.secret));
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(&a.secret[7..]));
    }

    #[test]
    fn the_trace_id_is_read_from_a_well_formed_traceparent_only() {
        assert_eq!(
            trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(
            trace_id("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(trace_id("00-xyz-00f067aa0ba902b7-01"), None);
        assert_eq!(trace_id("garbage"), None);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_required() {
        assert_eq!(bearer_secret("Bearer abc"), Some("abc"));
        assert_eq!(bearer_secret("bearer   abc "), Some("abc"));
        assert_eq!(bearer_secret("Basic abc"), None);
        assert_eq!(bearer_secret("Bearer "), None);
        assert_eq!(bearer_secret("abc"), None);
    }
}
