//! sync-core: the one authority over identity data, served over gRPC (tonic).
//!
//! It owns authentication of every call (bearer token → tenant + scope), tenants and
//! tokens, the SCIM schema, filter and PATCH semantics, validation, versions, scoping
//! and matching rules, the change feed and the provisioning log. Requests arrive as
//! `idsync.v1` proto messages with filters and PATCH paths as SCIM strings, which this
//! crate parses and checks itself. It depends on `idsync-proto`, `idsync-storage` and
//! `idsync-telemetry`; it must not know HTTP or the gateway's JSON wire details.
//!
//! Layout:
//! - [`scim`]: the pure grammar (filters, attribute paths), no I/O;
//! - [`schema`]: the User schema table that drives filters, PATCH and `/Schemas`;
//! - [`users`]: the User resource (conversions, filters, PATCH, operations, service);
//! - [`groups`]: the Group resource likewise, with its schema and `User.groups`;
//! - [`discovery`]: service provider configuration, resource types, schemas (RFC 7644 §4);
//! - [`search`]: the root `.search` over Users and Groups (RFC 7644 §3.4.3);
//! - [`directory`]: membership reads for internal services;
//! - [`admin`]: tenants and tokens, and the Admin service;
//! - [`rules`]: the tenant's scoping and matching rules;
//! - [`auth`]: token checks and the per-call caller;
//! - [`changes`]: the change feed's watchers;
//! - [`log`]: reads of the provisioning log;
//! - `write`: the one write path (commit with feed and log) and the write skeleton;
//! - `password`: password hashing with bounded cost;
//! - [`server`]: the tonic services with health and reflection, on TCP or in-process;
//! - [`health`]: readiness that follows the database;
//! - [`telemetry`]: the core's metrics and span discipline;
//! - [`clock`]: time in microseconds and proto timestamps;
//! - `cursor`: the sealed paging cursors of RFC 9865 (keyset positions, no I/O);
//! - [`error`]: `CoreError`, the one error type, and its gRPC form.

pub mod admin;
pub mod auth;
pub mod changes;
pub mod clock;
mod cursor;
pub mod directory;
pub mod discovery;
pub mod error;
pub mod groups;
pub mod health;
pub mod log;
mod password;
pub mod rules;
pub mod schema;
pub mod scim;
pub mod search;
pub mod server;
pub mod telemetry;
#[cfg(test)]
mod test_support;
mod throttle;
pub mod users;
mod write;

use std::sync::Arc;
use std::time::Duration;

use idsync_storage::records::Scope;
use idsync_storage::{Backend, StorageError, Store, Tx};
use idsync_telemetry::provisioning::AuthFailure;
use tonic::metadata::MetadataMap;

use crate::auth::{Authenticator, Caller};
pub use crate::discovery::BulkSettings;
use crate::error::CoreResult;
use crate::telemetry::CoreTelemetry;
pub use crate::throttle::TenantRate;

/// Tunables of the core.
#[derive(Debug, Clone)]
pub struct CoreSettings {
    /// How long a verified token is trusted without asking the database again.
    pub token_cache_ttl: Duration,
    /// Page size of a list that names no `count`.
    pub default_page_size: u32,
    /// Largest page a list returns, whatever `count` asks.
    pub max_page_size: u32,
    /// How long a paging cursor (RFC 9865) stays valid after it was issued; advertised as
    /// `pagination.cursorTimeout`.
    pub cursor_timeout: Duration,
    /// Bulk as `/ServiceProviderConfig` advertises it; the gateway serves `/Bulk` and
    /// the binary sets this from the same settings the gateway enforces.
    pub bulk: BulkSettings,
    /// How long change-feed events are kept; a watcher whose cursor is older must resync.
    pub change_retention: Duration,
    /// How long provisioning-log entries are kept.
    pub log_retention: Duration,
    /// How often expired events and entries are deleted.
    pub prune_interval: Duration,
    /// How often a caught-up watcher reads the feed for changes committed by other
    /// replicas (local commits wake it at once).
    pub watch_poll_interval: Duration,
    /// Most change streams open at once on this process.
    pub max_watch_streams: usize,
    /// Each tenant's request rate limit on this process (`None`: unlimited).
    pub tenant_rate: Option<TenantRate>,
    /// Most operations one PATCH request may carry; more is 400 `invalidValue`.
    pub max_patch_operations: usize,
    /// How long and complex a request's filter may be (rules keep the built-in ceilings).
    pub filter_limits: scim::FilterLimits,
    /// Most values a user's multi-valued attribute (emails, phoneNumbers, …) may hold;
    /// more is 400 `invalidValue`.
    pub max_values_per_attribute: usize,
}

impl Default for CoreSettings {
    fn default() -> Self {
        CoreSettings {
            token_cache_ttl: Duration::from_secs(10),
            default_page_size: 100,
            max_page_size: 1000,
            cursor_timeout: Duration::from_secs(3600),
            bulk: BulkSettings::default(),
            change_retention: Duration::from_secs(7 * 24 * 3600),
            log_retention: Duration::from_secs(30 * 24 * 3600),
            prune_interval: Duration::from_secs(60),
            watch_poll_interval: Duration::from_millis(250),
            max_watch_streams: 1024,
            tenant_rate: Some(TenantRate::DEFAULT),
            max_patch_operations: 1000,
            filter_limits: scim::FilterLimits::DEFAULT,
            max_values_per_attribute: 100,
        }
    }
}

/// How often a read-modify-write retries when another writer got there first.
pub(crate) const MAX_WRITE_ATTEMPTS: usize = 5;

/// The id of a new user or group, or of a log entry: a UUID (RFC 9562) of version 7,
/// written in 22 characters of an order-keeping base64 ([`SORTABLE_BASE64`]).
///
/// The UUID's leading bits are the time, so new rows land at the end of the tenant's part
/// of each B-tree keyed by id (the resource's row, its values, its members, its log and
/// feed rows) instead of at random places: such trees stay dense and their recent pages
/// stay in cache. The alphabet is in ASCII order and every id has the same length, so
/// ids compare as their UUIDs do, on SQLite and under PostgreSQL's `COLLATE "C"`.
/// The id reveals no more than `meta.created` does, and its 74 random bits keep it
/// unguessable. An id is in about fifteen rows and index entries of a user; 22
/// characters instead of the UUID's 36 spelled out are about 200 bytes fewer per user
/// (`docs/benchmarks.md`). Resources made before keep their ids: any text is an id.
pub(crate) fn new_resource_id() -> String {
    use base64::Engine as _;
    SORTABLE_BASE64.encode(uuid::Uuid::now_v7().as_bytes())
}

/// Base64 without padding over `0-9A-Z_a-z~`: 64 characters a URL carries unescaped
/// (RFC 3986's unreserved), in ASCII order, so that encoded strings of one length sort
/// as the bytes they encode. A digit comes first: the time in a version-7 UUID's first
/// bits begins every id until 2109 with `0`, never with a `-` a command line would
/// read as an option.
const SORTABLE_BASE64: base64::engine::GeneralPurpose = {
    match base64::alphabet::Alphabet::new("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~") {
        Ok(alphabet) => base64::engine::GeneralPurpose::new(&alphabet, base64::engine::general_purpose::NO_PAD),
        Err(_) => panic!("the sortable alphabet is 64 distinct printable characters"),
    }
};

/// The core: a store, an authenticator and settings. Cheap to clone.
#[derive(Clone)]
pub struct Core {
    store: Store,
    auth: Authenticator,
    settings: CoreSettings,
    feed: changes::FeedHub,
    /// The store's upkeep task (feed sealing, statistics, retention), stopped when the
    /// last clone of this core is dropped.
    _pruner: Option<Arc<changes::AbortOnDrop>>,
    telemetry: Arc<CoreTelemetry>,
    /// Each tenant's rules, compiled; checked against the database's stamp on every write.
    rules: Arc<rules::cache::RulesCache>,
    /// Each tenant's request rate limit.
    throttle: Arc<throttle::TenantThrottle>,
    /// SQLite: concurrent writes share one transaction (see [`write::GroupCommit`]).
    /// `None` on PostgreSQL, whose writers run side by side.
    group_commit: Option<Arc<write::GroupCommit>>,
}

impl Core {
    /// A core over an opened (and migrated) store. Inside a tokio runtime it also starts
    /// the store's upkeep: sealing the change feed, refreshing planner statistics, and
    /// deleting change-feed events and log entries past their retention.
    pub fn new(store: Store, settings: CoreSettings) -> Self {
        let telemetry = Arc::new(CoreTelemetry::new(&store));
        let auth = Authenticator::new(store.clone(), settings.token_cache_ttl);
        let feed = changes::FeedHub::new(settings.max_watch_streams.max(1));
        let throttle = Arc::new(throttle::TenantThrottle::new(settings.tenant_rate));
        let pruner = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            let task = runtime.spawn(changes::maintain_forever(
                store.clone(),
                settings.change_retention,
                settings.log_retention,
                settings.prune_interval,
            ));
            Arc::new(changes::AbortOnDrop(task))
        });
        let group_commit = (store.backend() == Backend::Sqlite).then(|| write::GroupCommit::new(store.clone()));
        Core {
            store,
            auth,
            settings,
            telemetry,
            feed,
            _pruner: pruner,
            rules: Arc::default(),
            throttle,
            group_commit,
        }
    }

    /// Ends every open change stream (their clients reconnect with their last cursor),
    /// so that a graceful shutdown does not wait for them forever.
    pub fn close_streams(&self) {
        self.feed.close();
    }

    /// The store behind this core.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs one storage read of the caller's tenant on the blocking pool, inside the
    /// request's span (so its storage spans nest under the call that caused them).
    pub(crate) async fn read_tenant<T, E>(
        &self,
        caller: &Caller,
        read: impl FnOnce(&Store, &str) -> Result<T, E> + Send + 'static,
    ) -> CoreResult<T>
    where
        T: Send + 'static,
        E: Into<error::CoreError> + Send + 'static,
    {
        let store = self.store.clone();
        let tenant = caller.tenant_id.clone();
        tokio::task::spawn_blocking(telemetry::in_current_span(move || read(&store, &tenant)))
            .await?
            .map_err(Into::into)
    }

    /// Runs one short read of the caller's tenant by key (a user by id, a lookup by
    /// `userName`) in one read transaction: on this thread when the store lends an idle
    /// local reader (SQLite, see [`Store::idle_local_reader`]), which saves the two
    /// thread wake-ups of the hop to the blocking pool and back; else on the blocking
    /// pool, as [`Core::read_tenant`] does. Only for reads that probe an index for a key:
    /// a scan would hold an async worker for its whole length.
    pub(crate) async fn read_tenant_by_key<T>(
        &self,
        caller: &Caller,
        read: impl FnOnce(&mut Tx<'_>, &str) -> Result<T, StorageError> + Send + 'static,
    ) -> CoreResult<T>
    where
        T: Send + 'static,
    {
        if let Some(reader) = self.store.idle_local_reader() {
            return reader.read(|tx| read(tx, &caller.tenant_id)).map_err(Into::into);
        }
        self.read_tenant(caller, move |store, tenant| store.read(|tx| read(tx, tenant)))
            .await
    }

    /// Paging of a list (RFC 7644 §3.4.2.4): the 1-based start index (0 read as 1), and
    /// the rows to skip and to return (`count`, or the default page size, capped).
    pub(crate) fn page(&self, start_index: u32, count: Option<u32>) -> (u32, u64, u64) {
        let start_index = start_index.max(1);
        let count = count
            .unwrap_or(self.settings.default_page_size)
            .min(self.settings.max_page_size);
        (start_index, u64::from(start_index - 1), u64::from(count))
    }

    /// Refuses a PATCH of more than `max_patch_operations` operations.
    pub(crate) fn check_patch_size(&self, operations: usize) -> CoreResult<()> {
        let max = self.settings.max_patch_operations;
        if operations > max {
            return Err(crate::error::CoreError::invalid_value(format!(
                "a PATCH request may carry at most {max} operations; this one has {operations}"
            )));
        }
        Ok(())
    }

    /// Authenticates a call and checks that its token has one of `allowed`.
    pub async fn authorize(&self, metadata: &MetadataMap, allowed: &[Scope]) -> CoreResult<Caller> {
        let caller = self.auth.authenticate(metadata).await?;
        idsync_telemetry::scope::set_tenant(&caller.tenant_id);
        self.throttle.admit(&caller.tenant_id)?;
        caller.require(allowed).inspect_err(|_| {
            self.telemetry
                .provisioning()
                .auth_failed(AuthFailure::Scope, Some(&caller.tenant_id));
        })?;
        Ok(caller)
    }
}

#[cfg(test)]
mod id_tests {
    use base64::Engine as _;

    use super::{SORTABLE_BASE64, new_resource_id};

    #[test]
    fn ids_sort_as_the_uuids_they_encode() {
        let mut pairs: Vec<(uuid::Uuid, String)> = (0..2000)
            .map(|_| {
                let uuid = uuid::Uuid::new_v4();
                (uuid, SORTABLE_BASE64.encode(uuid.as_bytes()))
            })
            .collect();
        pairs.sort_by(|a, b| a.1.cmp(&b.1));
        assert!(
            pairs.windows(2).all(|w| w[0].0 < w[1].0),
            "text order differs from UUID order"
        );
        for (uuid, text) in &pairs {
            assert_eq!(text.len(), 22);
            assert_eq!(SORTABLE_BASE64.decode(text).expect("decodes"), uuid.as_bytes());
        }
    }

    #[test]
    fn new_ids_are_22_url_safe_characters_later_ones_sorting_after() {
        let first = new_resource_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = new_resource_id();
        for id in [&first, &second] {
            assert_eq!(id.len(), 22, "{id}");
            assert!(
                id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'~'),
                "{id}"
            );
            assert!(
                id.starts_with('0'),
                "{id}: the first six bits of the time in milliseconds are zero until 2109"
            );
        }
        assert!(first < second, "{first} !< {second}");
        assert_eq!(
            SORTABLE_BASE64.decode(&second).expect("decodes")[6] >> 4,
            7,
            "a version-7 UUID"
        );
    }
}
