//! `idsync`: the provisioning endpoint's one binary.
//!
//! Subcommands run the service (`serve` single node; `core` and `gateway` as separate
//! processes) and administer it directly on its database (`tenant`, `token`, `rules`, `migrate`).
//! Only what a subcommand is asked to print goes to stdout; logs go to stderr.

mod cli;

use std::net::SocketAddr;

use anyhow::Result;
use clap::{Parser, Subcommand};
use idsync::node::{self, CoreConfig, GatewayConfig, NodeConfig};

use crate::cli::config::{CommandOverrides, GlobalArgs, Settings};
use crate::cli::signals::ShutdownSignals;
use crate::cli::tls::{self, CoreTlsArgs, GrpcTlsArgs};
use crate::cli::{admin, log, rules, telemetry};

const MANUAL: &str = "\
idsync is a SCIM 2.0 provisioning endpoint for Microsoft Entra ID and other SCIM clients.

QUICK START
  idsync serve
      Starts the gateway (SCIM over HTTP) and the core (gRPC) in one process on an
      embedded SQLite database in ./idsync-data. On first start it creates the tenant
      `default` and prints its Tenant URL and a Secret Token: paste both into Entra's
      Provisioning tab and click Test Connection.

ADMINISTRATION (directly on the database; the service may be running)
  idsync tenant create contoso       prints the new tenant's Tenant URL
  idsync token create --tenant contoso --scope scim
                                     prints a new Secret Token (shown once, stored hashed)
  idsync token list | idsync token revoke <ID>
  idsync rules show --tenant contoso
  idsync rules set --tenant contoso --resource user \\
      --filter 'userName ew \"@contoso.com\"' --create-policy reject --update-policy deactivate
  idsync rules set --tenant contoso --matching 'externalId,userName' --match-policy adopt
  idsync rules clear --tenant contoso --resource user --matching
  idsync log --tenant contoso --failures --since 2h
                                     what was provisioned, what failed and why
  idsync migrate                     applies pending database migrations

SCALE-OUT
  idsync core --database-url postgres://…       one or more cores on one PostgreSQL
  idsync gateway --core http://core:50051       stateless gateways in front of them
  Across a network, give the core --grpc-tls-cert/--grpc-tls-key (and --grpc-client-ca
  for mutual TLS), and the gateway --core https://core:50051 --core-ca ca.pem (and
  --core-client-cert/--core-client-key).

CONFIGURATION
  Built-in defaults, then the TOML file named by --config, then IDSYNC_* environment
  variables, then flags. Every flag names its variable in --help. Logs: RUST_LOG or
  IDSYNC_LOG (e.g. `info`, `idsync_core=debug`).

TELEMETRY
  Traces and metrics follow the standard OpenTelemetry variables:
  OTEL_EXPORTER_OTLP_ENDPOINT (nothing is exported without it), OTEL_EXPORTER_OTLP_PROTOCOL
  (grpc | http/protobuf), OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER
  and _ARG, OTEL_METRIC_EXPORT_INTERVAL, OTEL_SDK_DISABLED. Prometheus scrapes
  GET /metrics on the operator's listener (--ops-listen, 127.0.0.1:9464 by default for
  `serve` and `gateway`; none unless given for `core`). GET /healthz: the process is up
  (also on the SCIM listener); GET /readyz: the core and its database answer.";

#[derive(Debug, Parser)]
#[command(name = "idsync", version, about = "SCIM 2.0 provisioning endpoint for Microsoft Entra ID", long_about = MANUAL)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run gateway and core in one process (single node). Creates a default tenant and
    /// prints its Tenant URL and Secret Token on first start with an empty database.
    Serve {
        /// HTTP address of the SCIM gateway. [default: 127.0.0.1:8080]
        #[arg(long, env = "IDSYNC_LISTEN", value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// gRPC address of the core, for internal services. [default: 127.0.0.1:50051]
        #[arg(long, env = "IDSYNC_GRPC_LISTEN", value_name = "ADDR")]
        grpc_listen: Option<SocketAddr>,
        #[command(flatten)]
        grpc_tls: GrpcTlsArgs,
        #[command(flatten)]
        ops: OpsArgs,
        #[command(flatten)]
        console: ConsoleArgs,
    },
    /// Run only the core (gRPC), for a gateway or internal services in other processes.
    Core {
        /// gRPC address. [default: 127.0.0.1:50051]
        #[arg(long, env = "IDSYNC_GRPC_LISTEN", value_name = "ADDR")]
        grpc_listen: Option<SocketAddr>,
        /// HTTP address serving GET /metrics (Prometheus), /healthz and /readyz (the
        /// database answers), for the operator's network. [default: none]
        #[arg(long, alias = "metrics-listen", env = "IDSYNC_OPS_LISTEN", value_name = "ADDR")]
        ops_listen: Option<SocketAddr>,
        #[command(flatten)]
        grpc_tls: GrpcTlsArgs,
        /// Allow plain gRPC on an address other than loopback (on a private network).
        /// Without TLS and without this, such an address is refused.
        #[arg(long, env = "IDSYNC_ALLOW_PLAINTEXT")]
        allow_plaintext: bool,
    },
    /// Run only the SCIM gateway (HTTP), talking to a core over gRPC.
    Gateway {
        /// The core's gRPC URL; `https://…` speaks TLS, verified with --core-ca.
        /// [default: http://127.0.0.1:50051]
        #[arg(long, env = "IDSYNC_CORE_URL", value_name = "URL")]
        core: Option<String>,
        #[command(flatten)]
        core_tls: CoreTlsArgs,
        /// HTTP address. [default: 127.0.0.1:8080]
        #[arg(long, env = "IDSYNC_LISTEN", value_name = "ADDR")]
        listen: Option<SocketAddr>,
        #[command(flatten)]
        ops: OpsArgs,
        #[command(flatten)]
        console: ConsoleArgs,
    },
    /// Create and list tenants.
    #[command(subcommand)]
    Tenant(admin::TenantCommand),
    /// Create, list and revoke Secret Tokens.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Show and change a tenant's scoping and matching rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Show a tenant's provisioning log (every write attempt, newest first).
    Log(log::LogArgs),
    /// Apply pending database migrations and exit.
    Migrate,
}

/// The operator's listener of `serve` and `gateway`.
#[derive(Debug, clap::Args)]
struct OpsArgs {
    /// HTTP address serving GET /metrics (Prometheus), /healthz and /readyz (the core
    /// and its database answer), without a token: bind it to the operator's network
    /// only. [default: 127.0.0.1:9464]
    #[arg(long, env = "IDSYNC_OPS_LISTEN", value_name = "ADDR")]
    ops_listen: Option<SocketAddr>,
    /// Also serve /metrics and /readyz on the public SCIM listener (--listen), e.g. when
    /// a proxy exposes only that port to the scraper. /healthz is always there.
    #[arg(long, env = "IDSYNC_OPS_ON_PUBLIC_LISTENER")]
    ops_on_public_listener: bool,
    /// Serve HTTPS only on --listen with this PEM certificate chain (with --tls-key). A
    /// renewed file is picked up within seconds, without a restart.
    #[arg(long, env = "IDSYNC_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "IDSYNC_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Allow plain HTTP (and, for `serve`, plain gRPC) on an address other than
    /// loopback (behind a proxy that terminates TLS, on a private network). Without TLS
    /// and without this, such an address is refused.
    #[arg(long, env = "IDSYNC_ALLOW_PLAINTEXT")]
    allow_plaintext: bool,
}

/// The admin console of `serve` and `gateway`.
#[derive(Debug, clap::Args)]
struct ConsoleArgs {
    /// Link each trace id in the console's provisioning log to a tracing UI: a URL with
    /// {trace_id} where the id goes, e.g.
    /// 'https://grafana.example.com/explore?traceId={trace_id}'. [default: none, ids as text]
    #[arg(long, env = "IDSYNC_TRACE_URL_TEMPLATE", value_name = "URL")]
    trace_url_template: Option<String>,
}

/// The default of `--ops-listen` for `serve` and `gateway`.
const DEFAULT_OPS_LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let (service, export) = match &cli.command {
        Command::Serve { .. } => ("idsync", true),
        Command::Core { .. } => ("idsync-core", true),
        Command::Gateway { .. } => ("idsync-gateway", true),
        _ => ("idsync-cli", false),
    };
    let telemetry = telemetry::start(service, export)?;
    let result = run(cli).await;
    telemetry::stop(telemetry).await;
    result
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            grpc_listen,
            grpc_tls,
            ops,
            console,
        } => {
            let signals = ShutdownSignals::install()?;
            let settings = Settings::load(
                &cli.global,
                CommandOverrides {
                    listen,
                    grpc_listen,
                    ops_listen: ops.ops_listen,
                    ops_on_public_listener: ops.ops_on_public_listener,
                    tls_cert: ops.tls_cert,
                    tls_key: ops.tls_key,
                    allow_plaintext: ops.allow_plaintext,
                    grpc_tls,
                    trace_url_template: console.trace_url_template,
                    ..Default::default()
                },
            )?;
            let gateway = gateway_options(&settings)?;
            let grpc_tls = grpc_tls_or_plaintext(&settings)?;
            let running = node::start_single_node(NodeConfig {
                database_url: settings.database_url.clone(),
                listen: settings.listen,
                grpc_listen: Some(settings.grpc_listen),
                grpc_tls,
                public_url: settings.public_url.clone(),
                core: settings.core_settings(),
                store: settings.store.clone(),
                gateway,
            })
            .await?;
            if let Some(first) = &running.bootstrap {
                println!("{}", node::first_start_message(first, &running.public_url));
            }
            tracing::info!(http = %running.http_addr, grpc = ?running.grpc_addr, ops = ?running.ops_addr, "idsync serving");
            running.run_until(signals.received()).await
        }
        Command::Core {
            grpc_listen,
            ops_listen,
            grpc_tls,
            allow_plaintext,
        } => {
            let signals = ShutdownSignals::install()?;
            let settings = Settings::load(
                &cli.global,
                CommandOverrides {
                    grpc_listen,
                    ops_listen,
                    grpc_tls,
                    allow_plaintext,
                    ..Default::default()
                },
            )?;
            let grpc_tls = grpc_tls_or_plaintext(&settings)?;
            let running = node::start_core(CoreConfig {
                database_url: settings.database_url.clone(),
                grpc_listen: settings.grpc_listen,
                grpc_tls,
                ops_listen: settings.ops_listen,
                core: settings.core_settings(),
                store: settings.store.clone(),
            })
            .await?;
            tracing::info!(grpc = %running.grpc_addr, ops = ?running.ops_addr, "idsync core serving");
            running.run_until(signals.received()).await
        }
        Command::Gateway {
            core,
            core_tls,
            listen,
            ops,
            console,
        } => {
            let signals = ShutdownSignals::install()?;
            let settings = Settings::load(
                &cli.global,
                CommandOverrides {
                    listen,
                    core_url: core,
                    core_tls,
                    ops_listen: ops.ops_listen,
                    ops_on_public_listener: ops.ops_on_public_listener,
                    tls_cert: ops.tls_cert,
                    tls_key: ops.tls_key,
                    allow_plaintext: ops.allow_plaintext,
                    trace_url_template: console.trace_url_template,
                    ..Default::default()
                },
            )?;
            let running = node::start_gateway(GatewayConfig {
                core_url: settings.core_url.clone(),
                core_tls: tls::core_client_tls(&settings)?,
                listen: settings.listen,
                public_url: settings.public_url.clone(),
                gateway: gateway_options(&settings)?,
            })
            .await?;
            tracing::info!(http = %running.http_addr, ops = ?running.ops_addr, core = %settings.core_url, "idsync gateway serving");
            running.run_until(signals.received()).await
        }
        Command::Tenant(cmd) => {
            let settings = Settings::load(&cli.global, CommandOverrides::default())?;
            admin::tenant(cmd, &settings).await
        }
        Command::Token(cmd) => {
            let settings = Settings::load(&cli.global, CommandOverrides::default())?;
            admin::token(cmd, &settings).await
        }
        Command::Rules(cmd) => {
            let settings = Settings::load(&cli.global, CommandOverrides::default())?;
            rules::rules(cmd, &settings).await
        }
        Command::Log(args) => {
            let settings = Settings::load(&cli.global, CommandOverrides::default())?;
            log::log(args, &settings).await
        }
        Command::Migrate => {
            let settings = Settings::load(&cli.global, CommandOverrides::default())?;
            node::open_store_for_command(&settings.database_url, settings.store.clone()).await?;
            eprintln!("database is up to date");
            Ok(())
        }
    }
}

/// The gateway's options from the settings; the operator's listener defaults to
/// [`DEFAULT_OPS_LISTEN`]. Plain HTTP on any address but loopback needs
/// `--allow-plaintext`, and gets a warning.
fn gateway_options(settings: &Settings) -> Result<node::GatewayOptions> {
    let tls = tls::scim_tls(settings)?;
    tls::refuse_plaintext(
        "HTTP",
        settings.listen,
        tls.is_some(),
        settings.allow_plaintext,
        "--tls-cert and --tls-key",
    )?;
    Ok(node::GatewayOptions {
        max_body_bytes: settings.max_body_bytes,
        bulk_max_operations: settings.bulk_max_operations,
        shield: settings.shield,
        ops_listen: Some(settings.ops_listen.unwrap_or(DEFAULT_OPS_LISTEN)),
        ops_on_public_listener: settings.ops_on_public_listener,
        tls,
        trace_url_template: settings.trace_url_template.clone(),
    })
}

/// TLS on the core's gRPC listener, if configured; without it, an address other than
/// loopback needs `--allow-plaintext`, as the SCIM listener does.
fn grpc_tls_or_plaintext(settings: &Settings) -> Result<Option<node::GrpcServerTls>> {
    let grpc_tls = tls::grpc_server_tls(settings)?;
    tls::refuse_plaintext(
        "gRPC",
        settings.grpc_listen,
        grpc_tls.is_some(),
        settings.allow_plaintext,
        "--grpc-tls-cert and --grpc-tls-key",
    )?;
    Ok(grpc_tls)
}
