//! Configuration: built-in defaults, then an optional TOML file, then `IDSYNC_*`
//! environment variables and flags (clap reads both; a flag wins over its variable).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use serde::Deserialize;

use super::tls::{CoreTlsArgs, GrpcTlsArgs};

/// Options shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// TOML configuration file. Its keys are the long flag names with `_` for `-`
    /// (e.g. `database_url`, `public_url`, `token_cache_ttl_secs`).
    #[arg(long, global = true, env = "IDSYNC_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Folder of the embedded SQLite database (`<DIR>/idsync.db`), used when no
    /// database URL is given. [default: ./idsync-data]
    #[arg(long, global = true, env = "IDSYNC_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database URL: `postgres://user:pass@host:5432/db` for PostgreSQL, or a SQLite file
    /// path. Overrides --data-dir.
    #[arg(
        long,
        global = true,
        env = "IDSYNC_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Externally visible base URL (scheme, host, optional port and prefix). Tenant URLs
    /// are `<URL>/scim/v2` and `meta.location` is built from it.
    /// [default: http://<listen address>]
    #[arg(long, global = true, env = "IDSYNC_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// Requests per second each tenant may make, sustained, on each core (`serve`,
    /// `core`); beyond it and its burst, 429 with Retry-After. 0 turns the limit off.
    /// [default: 250]
    #[arg(long, global = true, env = "IDSYNC_TENANT_RPS", value_name = "N")]
    pub tenant_rps: Option<u32>,

    /// Requests a tenant may make at once after a quiet spell. [default: twice the rate]
    #[arg(long, global = true, env = "IDSYNC_TENANT_BURST", value_name = "N")]
    pub tenant_burst: Option<u32>,
}

/// Every setting a subcommand may read, after layering.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub public_url: Option<String>,
    pub listen: SocketAddr,
    pub grpc_listen: SocketAddr,
    pub ops_listen: Option<SocketAddr>,
    pub ops_on_public_listener: bool,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub allow_plaintext: bool,
    pub grpc_tls: GrpcTlsArgs,
    pub core_url: String,
    pub core_tls: CoreTlsArgs,
    pub token_cache_ttl: Duration,
    pub default_page_size: u32,
    pub max_page_size: u32,
    pub max_body_bytes: usize,
    pub bulk_max_operations: usize,
    pub change_retention: Duration,
    pub log_retention: Duration,
    pub tenant_rate: Option<idsync_core::TenantRate>,
    pub shield: idsync_gateway::ShieldSettings,
    pub store: idsync_storage::StoreOptions,
    pub max_patch_operations: usize,
    pub max_values_per_attribute: usize,
    pub filter_limits: idsync_core::scim::FilterLimits,
    /// The console's link to a tracing UI, `{trace_id}` in it (`serve`, `gateway`).
    pub trace_url_template: Option<String>,
}

/// The TOML file; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    listen: Option<SocketAddr>,
    grpc_listen: Option<SocketAddr>,
    #[serde(alias = "metrics_listen")]
    ops_listen: Option<SocketAddr>,
    ops_on_public_listener: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    allow_plaintext: Option<bool>,
    grpc_tls_cert: Option<PathBuf>,
    grpc_tls_key: Option<PathBuf>,
    grpc_client_ca: Option<PathBuf>,
    core_url: Option<String>,
    core_ca: Option<PathBuf>,
    core_client_cert: Option<PathBuf>,
    core_client_key: Option<PathBuf>,
    token_cache_ttl_secs: Option<u64>,
    default_page_size: Option<u32>,
    max_page_size: Option<u32>,
    max_body_bytes: Option<usize>,
    bulk_max_operations: Option<usize>,
    change_retention_days: Option<u64>,
    log_retention_days: Option<u64>,
    tenant_rps: Option<u32>,
    tenant_burst: Option<u32>,
    max_in_flight: Option<usize>,
    auth_failure_burst: Option<u32>,
    auth_failures_per_minute: Option<u32>,
    request_timeout_secs: Option<u64>,
    max_patch_operations: Option<usize>,
    max_values_per_attribute: Option<usize>,
    max_inline_members: Option<usize>,
    max_string_bytes: Option<usize>,
    max_filter_bytes: Option<usize>,
    max_filter_operators: Option<usize>,
    max_filter_nesting: Option<usize>,
    header_read_timeout_secs: Option<u64>,
    sqlite_synchronous: Option<Synchronous>,
    pg_statement_timeout_secs: Option<u64>,
    pg_lock_timeout_secs: Option<u64>,
    trace_url_template: Option<String>,
}

/// `sqlite_synchronous` in the TOML file.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Synchronous {
    Normal,
    Full,
}

/// Flags that only some subcommands have.
#[derive(Debug, Default, Clone)]
pub struct CommandOverrides {
    pub listen: Option<SocketAddr>,
    pub grpc_listen: Option<SocketAddr>,
    pub ops_listen: Option<SocketAddr>,
    pub ops_on_public_listener: bool,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub allow_plaintext: bool,
    pub grpc_tls: GrpcTlsArgs,
    pub core_url: Option<String>,
    pub core_tls: CoreTlsArgs,
    pub trace_url_template: Option<String>,
}

impl Settings {
    /// Layers defaults, the file named by `--config`, and env/flags.
    pub fn load(global: &GlobalArgs, overrides: CommandOverrides) -> Result<Settings> {
        let file = match &global.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let store = store_options(&file);
        let filter_limits = filter_limits(&file)?;
        let data_dir = global
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./idsync-data"));
        let database_url = global
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| data_dir.join("idsync.db").to_string_lossy().into_owned());
        let settings = Settings {
            database_url,
            public_url: global
                .public_url
                .clone()
                .or(file.public_url)
                .map(|u| u.trim_end_matches('/').to_string()),
            listen: overrides
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            grpc_listen: overrides
                .grpc_listen
                .or(file.grpc_listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 50051))),
            ops_listen: overrides.ops_listen.or(file.ops_listen),
            ops_on_public_listener: overrides.ops_on_public_listener || file.ops_on_public_listener.unwrap_or(false),
            tls_cert: overrides.tls_cert.or(file.tls_cert),
            tls_key: overrides.tls_key.or(file.tls_key),
            allow_plaintext: overrides.allow_plaintext || file.allow_plaintext.unwrap_or(false),
            grpc_tls: GrpcTlsArgs {
                grpc_tls_cert: overrides.grpc_tls.grpc_tls_cert.or(file.grpc_tls_cert),
                grpc_tls_key: overrides.grpc_tls.grpc_tls_key.or(file.grpc_tls_key),
                grpc_client_ca: overrides.grpc_tls.grpc_client_ca.or(file.grpc_client_ca),
            },
            core_url: overrides
                .core_url
                .or(file.core_url)
                .unwrap_or_else(|| "http://127.0.0.1:50051".into()),
            core_tls: CoreTlsArgs {
                core_ca: overrides.core_tls.core_ca.or(file.core_ca),
                core_client_cert: overrides.core_tls.core_client_cert.or(file.core_client_cert),
                core_client_key: overrides.core_tls.core_client_key.or(file.core_client_key),
            },
            token_cache_ttl: Duration::from_secs(file.token_cache_ttl_secs.unwrap_or(10)),
            default_page_size: file.default_page_size.unwrap_or(100),
            max_page_size: file.max_page_size.unwrap_or(1000),
            max_body_bytes: file.max_body_bytes.unwrap_or(1024 * 1024),
            bulk_max_operations: file
                .bulk_max_operations
                .unwrap_or(idsync_gateway::DEFAULT_BULK_MAX_OPERATIONS),
            change_retention: days(file.change_retention_days.unwrap_or(7)),
            log_retention: days(file.log_retention_days.unwrap_or(30)),
            tenant_rate: tenant_rate(
                global.tenant_rps.or(file.tenant_rps),
                global.tenant_burst.or(file.tenant_burst),
            )?,
            shield: {
                let default = idsync_gateway::ShieldSettings::default();
                idsync_gateway::ShieldSettings {
                    max_in_flight: file.max_in_flight.unwrap_or(default.max_in_flight),
                    auth_failure_burst: file.auth_failure_burst.unwrap_or(default.auth_failure_burst),
                    auth_failures_per_minute: file
                        .auth_failures_per_minute
                        .unwrap_or(default.auth_failures_per_minute),
                    request_timeout: secs_or(file.request_timeout_secs, default.request_timeout),
                    header_read_timeout: secs_or(file.header_read_timeout_secs, default.header_read_timeout),
                }
            },
            store,
            max_patch_operations: file.max_patch_operations.unwrap_or(1000),
            max_values_per_attribute: file.max_values_per_attribute.unwrap_or(100),
            filter_limits,
            trace_url_template: trace_url_template(overrides.trace_url_template.or(file.trace_url_template))?,
        };
        let text_ceiling = idsync_storage::text::MAX_TEXT_BYTES;
        if settings.store.max_string_bytes == 0 || settings.store.max_string_bytes > text_ceiling {
            anyhow::bail!("max_string_bytes must be between 1 and {text_ceiling} (what PostgreSQL can index)");
        }
        if settings.shield.max_in_flight == 0 {
            anyhow::bail!("max_in_flight must be at least 1");
        }
        if settings.shield.request_timeout.is_zero() || settings.shield.header_read_timeout.is_zero() {
            anyhow::bail!("request_timeout_secs and header_read_timeout_secs must be at least 1");
        }
        if settings.default_page_size == 0 || settings.default_page_size > settings.max_page_size {
            anyhow::bail!("default_page_size must be between 1 and max_page_size");
        }
        Ok(settings)
    }

    /// The public URL, or one derived from the HTTP listener.
    pub fn public_url_or(&self, listen: SocketAddr) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{listen}"))
    }

    /// Settings for the core.
    pub fn core_settings(&self) -> idsync_core::CoreSettings {
        idsync_core::CoreSettings {
            token_cache_ttl: self.token_cache_ttl,
            default_page_size: self.default_page_size,
            max_page_size: self.max_page_size,
            bulk: idsync::node::bulk_settings(self.bulk_max_operations, self.max_body_bytes),
            change_retention: self.change_retention,
            log_retention: self.log_retention,
            tenant_rate: self.tenant_rate,
            max_patch_operations: self.max_patch_operations,
            max_values_per_attribute: self.max_values_per_attribute,
            filter_limits: self.filter_limits,
            ..idsync_core::CoreSettings::default()
        }
    }
}

/// How the database is opened, from the file's keys.
fn store_options(file: &FileConfig) -> idsync_storage::StoreOptions {
    let defaults = idsync_storage::StoreOptions::default();
    idsync_storage::StoreOptions {
        sqlite_synchronous: match file.sqlite_synchronous {
            Some(Synchronous::Full) => idsync_storage::SqliteSynchronous::Full,
            Some(Synchronous::Normal) | None => idsync_storage::SqliteSynchronous::Normal,
        },
        pg_statement_timeout: secs_or(file.pg_statement_timeout_secs, defaults.pg_statement_timeout),
        pg_lock_timeout: secs_or(file.pg_lock_timeout_secs, defaults.pg_lock_timeout),
        max_inline_members: file.max_inline_members.unwrap_or(defaults.max_inline_members),
        max_string_bytes: file.max_string_bytes.unwrap_or(defaults.max_string_bytes),
        ..defaults
    }
}

/// The filter caps from the file: each at least 1, nesting at most the parser's
/// ceiling (which keeps recursion within a thread's stack).
fn filter_limits(file: &FileConfig) -> Result<idsync_core::scim::FilterLimits> {
    let defaults = idsync_core::scim::FilterLimits::DEFAULT;
    let limits = idsync_core::scim::FilterLimits {
        max_bytes: file.max_filter_bytes.unwrap_or(defaults.max_bytes),
        max_nesting: file.max_filter_nesting.unwrap_or(defaults.max_nesting),
        max_operators: file.max_filter_operators.unwrap_or(defaults.max_operators),
    };
    if limits.max_bytes == 0 || limits.max_operators == 0 {
        anyhow::bail!("max_filter_bytes and max_filter_operators must be at least 1");
    }
    if limits.max_nesting == 0 || limits.max_nesting > idsync_core::scim::MAX_NESTING {
        anyhow::bail!(
            "max_filter_nesting must be between 1 and {}",
            idsync_core::scim::MAX_NESTING
        );
    }
    Ok(limits)
}

/// The console's trace link template: it must say where the trace id goes, and be a
/// web address (or a path on the console's host), never a `javascript:` or `data:` one.
fn trace_url_template(template: Option<String>) -> Result<Option<String>> {
    let Some(template) = template.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if !template.contains("{trace_id}") {
        anyhow::bail!(
            "--trace-url-template must contain {{trace_id}} where the trace id goes, e.g. \
             https://grafana.example.com/explore?traceId={{trace_id}}"
        );
    }
    let lower = template.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://") || template.starts_with('/')) {
        anyhow::bail!("--trace-url-template must start with https://, http:// or /");
    }
    Ok(Some(template))
}

/// The tenant rate limit from `--tenant-rps` and `--tenant-burst`: the default when
/// neither is given, none when the rate is 0, and a burst of twice the rate unless named.
fn tenant_rate(rps: Option<u32>, burst: Option<u32>) -> Result<Option<idsync_core::TenantRate>> {
    use std::num::NonZeroU32;
    let default = idsync_core::TenantRate::DEFAULT;
    let Some(per_second) = NonZeroU32::new(rps.unwrap_or(default.per_second.get())) else {
        return Ok(None);
    };
    let burst = match burst {
        None if rps.is_none() => default.burst,
        None => per_second.saturating_mul(NonZeroU32::MIN.saturating_add(1)),
        Some(b) => NonZeroU32::new(b).context("tenant_burst must be at least 1")?,
    };
    Ok(Some(idsync_core::TenantRate { per_second, burst }))
}

/// A number of seconds from the file, or `default`.
fn secs_or(secs: Option<u64>, default: Duration) -> Duration {
    secs.map_or(default, Duration::from_secs)
}

fn days(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(24 * 3600))
}

fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rate(rps: Option<u32>, burst: Option<u32>) -> Option<(u32, u32)> {
        tenant_rate(rps, burst)
            .unwrap()
            .map(|r| (r.per_second.get(), r.burst.get()))
    }

    #[test]
    fn the_tenant_rate_defaults_turns_off_at_zero_and_bursts_twice_the_rate() {
        assert_eq!(rate(None, None), Some((250, 500)));
        assert_eq!(rate(Some(0), None), None);
        assert_eq!(rate(Some(0), Some(9)), None);
        assert_eq!(rate(Some(40), None), Some((40, 80)));
        assert_eq!(rate(Some(40), Some(45)), Some((40, 45)));
        assert_eq!(rate(None, Some(1000)), Some((250, 1000)));
        assert!(tenant_rate(Some(5), Some(0)).is_err());
    }

    #[test]
    fn a_trace_url_template_must_say_where_the_id_goes_and_be_a_web_address() {
        let good = "https://grafana.example.com/explore?traceId={trace_id}";
        assert_eq!(trace_url_template(Some(good.into())).unwrap().as_deref(), Some(good));
        assert_eq!(trace_url_template(None).unwrap(), None);
        assert_eq!(trace_url_template(Some("  ".into())).unwrap(), None);
        assert!(trace_url_template(Some("/traces/{trace_id}".into())).is_ok());
        for refused in ["https://grafana.example.com/explore", "javascript:alert('{trace_id}')"] {
            assert!(trace_url_template(Some(refused.into())).is_err(), "{refused}");
        }
    }

    #[test]
    fn database_keys_reach_the_store_options() {
        let defaults = store_options(&FileConfig::default());
        assert_eq!(defaults, idsync_storage::StoreOptions::default());
        let file: FileConfig =
            toml::from_str("sqlite_synchronous = \"full\"\npg_statement_timeout_secs = 5\npg_lock_timeout_secs = 0\n")
                .unwrap();
        let options = store_options(&file);
        assert_eq!(options.sqlite_synchronous, idsync_storage::SqliteSynchronous::Full);
        assert_eq!(options.pg_statement_timeout, Duration::from_secs(5));
        assert_eq!(options.pg_lock_timeout, Duration::ZERO);
        assert!(toml::from_str::<FileConfig>("sqlite_synchronous = \"off\"").is_err());
        let file: FileConfig = toml::from_str("max_string_bytes = 300\n").unwrap();
        assert_eq!(store_options(&file).max_string_bytes, 300);
    }

    #[test]
    fn filter_keys_reach_the_core_and_nesting_stays_under_the_parsers_ceiling() {
        assert_eq!(
            filter_limits(&FileConfig::default()).unwrap(),
            idsync_core::scim::FilterLimits::DEFAULT
        );
        let file: FileConfig =
            toml::from_str("max_filter_bytes = 500\nmax_filter_operators = 7\nmax_filter_nesting = 3\n").unwrap();
        let limits = filter_limits(&file).unwrap();
        assert_eq!(
            (limits.max_bytes, limits.max_operators, limits.max_nesting),
            (500, 7, 3)
        );
        for refused in [
            "max_filter_nesting = 65",
            "max_filter_nesting = 0",
            "max_filter_bytes = 0",
        ] {
            let file: FileConfig = toml::from_str(refused).unwrap();
            assert!(filter_limits(&file).is_err(), "{refused}");
        }
    }
}
