//! `idsync log`: the provisioning log of one tenant, newest first, as a table on stdout,
//! read directly on the database like the tenant and token commands.

use anyhow::{Context, Result};
use clap::Args;
use idsync::node;
use idsync_core::admin;
use idsync_storage::{LogOutcome, LogQuery};

use super::config::Settings;

/// `idsync log` options.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The tenant's name.
    #[arg(long, env = "IDSYNC_TENANT")]
    tenant: String,
    /// Only failed write attempts.
    #[arg(long)]
    failures: bool,
    /// Only entries since this long ago (`90s`, `15m`, `2h`, `7d`) or this RFC 3339 instant.
    #[arg(long, value_name = "DURATION_OR_RFC3339")]
    since: Option<String>,
    /// At most this many entries.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    limit: u32,
}

/// Prints the log.
pub async fn log(args: LogArgs, settings: &Settings) -> Result<()> {
    let since_us = args.since.as_deref().map(parse_since).transpose()?;
    let store = node::open_store_for_command(&settings.database_url, settings.store.clone()).await?;
    tokio::task::spawn_blocking(move || -> Result<()> {
        let tenant = admin::tenant_by_name(&store, &args.tenant)?;
        let query = LogQuery {
            since_us,
            outcome: args.failures.then_some(LogOutcome::Failure),
            limit: args.limit,
            ..LogQuery::default()
        };
        println!(
            "{:<20}  {:<7}  {:<5}  {:<36}  {:<7}  {:<6}  {:<12}  {:<32}  DETAIL",
            "TIME", "OP", "TYPE", "RESOURCE", "OUTCOME", "STATUS", "SCIMTYPE", "ATTRIBUTES"
        );
        for e in store.list_log(&tenant.id, &query)? {
            println!(
                "{:<20}  {:<7}  {:<5}  {:<36}  {:<7}  {:<6}  {:<12}  {:<32}  {}",
                chrono::DateTime::from_timestamp_micros(e.at_us)
                    .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default(),
                e.operation.as_str(),
                e.resource_type.as_str(),
                e.resource_id.as_deref().unwrap_or("-"),
                e.outcome.as_str(),
                e.http_status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
                e.scim_type.as_deref().unwrap_or("-"),
                if e.attributes.0.is_empty() {
                    "-".to_owned()
                } else {
                    e.attributes.0.join(",")
                },
                e.detail.as_deref().unwrap_or("-"),
            );
        }
        Ok(())
    })
    .await?
}

/// `90s`, `15m`, `2h`, `7d` before now, or an RFC 3339 instant; microseconds.
fn parse_since(s: &str) -> Result<i64> {
    if let Some(us) = idsync_core::clock::parse_rfc3339_us(s) {
        return Ok(us);
    }
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = number
        .parse()
        .with_context(|| format!("--since {s:?}: expected e.g. 15m, 2h, 7d or an RFC 3339 time"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => anyhow::bail!("--since {s:?}: the unit must be s, m, h or d"),
    };
    Ok(idsync_core::clock::now_us() - n.saturating_mul(seconds).saturating_mul(1_000_000))
}
