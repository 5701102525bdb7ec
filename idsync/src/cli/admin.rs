//! `idsync tenant …` and `idsync token …`: administration directly on the database.
//!
//! Secrets go to stdout only where the command exists to print them; everything else a
//! person reads goes to stdout as a table, and nothing here logs a secret.

use anyhow::{Context, Result};
use clap::Subcommand;
use idsync::node;
use idsync_core::admin;
use idsync_storage::records::Scope;

use super::config::Settings;

/// Tenant subcommands.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and print its Tenant URL (and nothing else). With --public-url,
    /// that URL becomes the tenant's own base (e.g. a customer-specific host).
    Create {
        /// Unique name: letters, digits, '-', '_' or '.'.
        name: String,
    },
    /// List tenants.
    List,
}

/// Token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (and nothing else). It is shown only now.
    Create {
        /// The tenant's name.
        #[arg(long, env = "IDSYNC_TENANT")]
        tenant: String,
        /// `scim` (Entra: read/write SCIM), `read` (reads and change feed) or `admin`.
        #[arg(long, env = "IDSYNC_TOKEN_SCOPE", default_value = "scim", value_parser = ["scim", "read", "admin"])]
        scope: String,
        /// A note for people, e.g. "Entra production".
        #[arg(long, env = "IDSYNC_TOKEN_LABEL", default_value = "")]
        label: String,
        /// Expire after this many days (Entra needs a token that does not expire).
        #[arg(long, env = "IDSYNC_TOKEN_EXPIRES_IN_DAYS", value_name = "DAYS")]
        expires_in_days: Option<u32>,
    },
    /// List tokens (never their secrets).
    List {
        /// Only this tenant's tokens.
        #[arg(long, env = "IDSYNC_TENANT")]
        tenant: Option<String>,
    },
    /// Revoke a token by its id; it is refused from then on.
    Revoke {
        /// The token id shown by `token list`.
        id: String,
    },
}

fn when(us: Option<i64>) -> String {
    us.and_then(chrono::DateTime::from_timestamp_micros)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Runs a tenant subcommand.
pub async fn tenant(cmd: TenantCommand, settings: &Settings) -> Result<()> {
    let store = node::open_store_for_command(&settings.database_url, settings.store.clone()).await?;
    let server_url = settings.public_url_or(settings.listen);
    let tenant_public_url = settings.public_url.clone();
    tokio::task::spawn_blocking(move || -> Result<()> {
        match cmd {
            TenantCommand::Create { name } => {
                let tenant = admin::create_tenant(&store, &name, tenant_public_url, false)?;
                println!("{}", admin::tenant_url(&tenant, &server_url));
            }
            TenantCommand::List => {
                println!("{:<36}  {:<24}  {:<8}  TENANT URL", "ID", "NAME", "OPERATOR");
                for t in store.list_tenants()? {
                    println!(
                        "{:<36}  {:<24}  {:<8}  {}",
                        t.id,
                        t.name,
                        t.operator,
                        admin::tenant_url(&t, &server_url)
                    );
                }
            }
        }
        Ok(())
    })
    .await?
}

/// Runs a token subcommand.
pub async fn token(cmd: TokenCommand, settings: &Settings) -> Result<()> {
    let store = node::open_store_for_command(&settings.database_url, settings.store.clone()).await?;
    tokio::task::spawn_blocking(move || -> Result<()> {
        match cmd {
            TokenCommand::Create {
                tenant,
                scope,
                label,
                expires_in_days,
            } => {
                let tenant = admin::tenant_by_name(&store, &tenant)?;
                let scope = Scope::parse(&scope).context("unknown scope")?;
                let expires = expires_in_days.map(|d| idsync_core::clock::now_us() + i64::from(d) * 86_400 * 1_000_000);
                let (_, secret) = admin::create_token(&store, &tenant.id, scope, &label, expires)?;
                println!("{secret}");
            }
            TokenCommand::List { tenant } => {
                let tenant_id = match tenant {
                    Some(name) => Some(admin::tenant_by_name(&store, &name)?.id),
                    None => None,
                };
                let names: std::collections::HashMap<String, String> =
                    store.list_tenants()?.into_iter().map(|t| (t.id, t.name)).collect();
                println!(
                    "{:<32}  {:<16}  {:<6}  {:<20}  {:<20}  {:<20}  {:<20}  LABEL",
                    "ID", "TENANT", "SCOPE", "CREATED", "EXPIRES", "LAST USED", "REVOKED"
                );
                for t in store.list_tokens(tenant_id.as_deref())? {
                    println!(
                        "{:<32}  {:<16}  {:<6}  {:<20}  {:<20}  {:<20}  {:<20}  {}",
                        t.id,
                        names.get(&t.tenant_id).map(String::as_str).unwrap_or("?"),
                        t.scope.as_str(),
                        when(Some(t.created_us)),
                        when(t.expires_us),
                        when(t.last_used_us),
                        when(t.revoked_us),
                        t.label
                    );
                }
            }
            TokenCommand::Revoke { id } => {
                let token = store
                    .revoke_token(None, &id, idsync_core::clock::now_us())
                    .map_err(|e| match e {
                        idsync_storage::StorageError::NotFound => anyhow::anyhow!("no token with id {id}"),
                        other => other.into(),
                    })?;
                eprintln!("revoked token {} (tenant {})", token.id, token.tenant_id);
            }
        }
        Ok(())
    })
    .await?
}
