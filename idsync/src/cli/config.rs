//! Configuration: built-in defaults, then an optional TOML file, then `IDSYNC_*`
//! environment variables and flags (clap reads both; a flag wins over its variable).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use serde::Deserialize;

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
}

/// Every setting a subcommand may read, after layering.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub public_url: Option<String>,
    pub listen: SocketAddr,
    pub grpc_listen: SocketAddr,
    pub metrics_listen: Option<SocketAddr>,
    pub core_url: String,
    pub token_cache_ttl: Duration,
    pub default_page_size: u32,
    pub max_page_size: u32,
    pub max_body_bytes: usize,
    pub bulk_max_operations: usize,
    pub change_retention: Duration,
    pub log_retention: Duration,
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
    metrics_listen: Option<SocketAddr>,
    core_url: Option<String>,
    token_cache_ttl_secs: Option<u64>,
    default_page_size: Option<u32>,
    max_page_size: Option<u32>,
    max_body_bytes: Option<usize>,
    bulk_max_operations: Option<usize>,
    change_retention_days: Option<u64>,
    log_retention_days: Option<u64>,
}

/// Flags that only some subcommands have.
#[derive(Debug, Default, Clone)]
pub struct CommandOverrides {
    pub listen: Option<SocketAddr>,
    pub grpc_listen: Option<SocketAddr>,
    pub metrics_listen: Option<SocketAddr>,
    pub core_url: Option<String>,
}

impl Settings {
    /// Layers defaults, the file named by `--config`, and env/flags.
    pub fn load(global: &GlobalArgs, overrides: CommandOverrides) -> Result<Settings> {
        let file = match &global.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
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
            metrics_listen: overrides.metrics_listen.or(file.metrics_listen),
            core_url: overrides
                .core_url
                .or(file.core_url)
                .unwrap_or_else(|| "http://127.0.0.1:50051".into()),
            token_cache_ttl: Duration::from_secs(file.token_cache_ttl_secs.unwrap_or(10)),
            default_page_size: file.default_page_size.unwrap_or(100),
            max_page_size: file.max_page_size.unwrap_or(1000),
            max_body_bytes: file.max_body_bytes.unwrap_or(1024 * 1024),
            bulk_max_operations: file
                .bulk_max_operations
                .unwrap_or(idsync_gateway::DEFAULT_BULK_MAX_OPERATIONS),
            change_retention: days(file.change_retention_days.unwrap_or(7)),
            log_retention: days(file.log_retention_days.unwrap_or(30)),
        };
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
            ..idsync_core::CoreSettings::default()
        }
    }
}

fn days(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(24 * 3600))
}

fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
}
