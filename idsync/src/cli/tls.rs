//! The TLS flags: HTTPS on the SCIM listener (`--tls-cert/--tls-key`), TLS and client
//! certificates on the core's gRPC listener (`--grpc-tls-cert/--grpc-tls-key`,
//! `--grpc-client-ca`), how a gateway verifies and authenticates to its core
//! (`--core-ca`, `--core-client-cert/--core-client-key`), and the rule that a listener
//! on an address other than loopback needs TLS or `--allow-plaintext`.
//!
//! Every file is read at start, so a missing or malformed one stops the command with its
//! name rather than failing the first connection.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use idsync::node::{CoreClientTls, GrpcServerTls, TlsFiles};

use super::config::Settings;

/// TLS on the core's gRPC listener (`serve`, `core`).
#[derive(Debug, Clone, Default, Args)]
pub struct GrpcTlsArgs {
    /// Serve gRPC over TLS only on --grpc-listen with this PEM certificate chain (with
    /// --grpc-tls-key). A renewed file is picked up within seconds, without a restart.
    #[arg(long, env = "IDSYNC_GRPC_TLS_CERT", value_name = "FILE", requires = "grpc_tls_key")]
    pub grpc_tls_cert: Option<PathBuf>,
    /// The PEM private key of --grpc-tls-cert.
    #[arg(long, env = "IDSYNC_GRPC_TLS_KEY", value_name = "FILE", requires = "grpc_tls_cert")]
    pub grpc_tls_key: Option<PathBuf>,
    /// Mutual TLS: accept only gRPC clients whose certificate chains to a CA in this PEM
    /// file (needs --grpc-tls-cert).
    #[arg(long, env = "IDSYNC_GRPC_CLIENT_CA", value_name = "FILE", requires = "grpc_tls_cert")]
    pub grpc_client_ca: Option<PathBuf>,
}

/// How a gateway reaches a core at an `https://` URL (`gateway`).
#[derive(Debug, Clone, Default, Args)]
pub struct CoreTlsArgs {
    /// PEM file of the CA certificates that sign the core's certificate.
    /// [default: the system's trusted roots]
    #[arg(long, env = "IDSYNC_CORE_CA", value_name = "FILE")]
    pub core_ca: Option<PathBuf>,
    /// The gateway's PEM certificate chain, for a core that requires client certificates
    /// (--grpc-client-ca); with --core-client-key.
    #[arg(
        long,
        env = "IDSYNC_CORE_CLIENT_CERT",
        value_name = "FILE",
        requires = "core_client_key"
    )]
    pub core_client_cert: Option<PathBuf>,
    /// The PEM private key of --core-client-cert.
    #[arg(
        long,
        env = "IDSYNC_CORE_CLIENT_KEY",
        value_name = "FILE",
        requires = "core_client_cert"
    )]
    pub core_client_key: Option<PathBuf>,
}

/// A certificate and its key given together, or neither.
fn pair(cert: Option<&PathBuf>, key: Option<&PathBuf>, names: &str) -> Result<Option<TlsFiles>> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        })),
        (None, None) => Ok(None),
        _ => anyhow::bail!("{names} go together"),
    }
}

/// HTTPS on the SCIM listener, its files checked.
pub fn scim_tls(settings: &Settings) -> Result<Option<TlsFiles>> {
    let files = pair(
        settings.tls_cert.as_ref(),
        settings.tls_key.as_ref(),
        "--tls-cert and --tls-key",
    )?;
    if let Some(files) = &files {
        files.check().context("loading the TLS certificate")?;
    }
    Ok(files)
}

/// TLS on the core's gRPC listener, its files checked.
pub fn grpc_server_tls(settings: &Settings) -> Result<Option<GrpcServerTls>> {
    let args = &settings.grpc_tls;
    let Some(files) = pair(
        args.grpc_tls_cert.as_ref(),
        args.grpc_tls_key.as_ref(),
        "--grpc-tls-cert and --grpc-tls-key",
    )?
    else {
        if args.grpc_client_ca.is_some() {
            anyhow::bail!("--grpc-client-ca needs --grpc-tls-cert and --grpc-tls-key");
        }
        return Ok(None);
    };
    let tls = GrpcServerTls {
        files,
        client_ca: args.grpc_client_ca.clone(),
    };
    tls.check().context("loading the gRPC TLS certificate")?;
    Ok(Some(tls))
}

/// How the gateway verifies and authenticates to its core.
pub fn core_client_tls(settings: &Settings) -> Result<CoreClientTls> {
    let args = &settings.core_tls;
    Ok(CoreClientTls {
        ca: args.core_ca.clone(),
        identity: pair(
            args.core_client_cert.as_ref(),
            args.core_client_key.as_ref(),
            "--core-client-cert and --core-client-key",
        )?,
    })
}

/// Refuses a listener without TLS on an address other than loopback unless plain text
/// is allowed (behind a proxy that terminates TLS, or on a private network), and warns
/// when it is.
pub fn refuse_plaintext(what: &str, addr: SocketAddr, tls: bool, allowed: bool, remedy: &str) -> Result<()> {
    if tls || addr.ip().is_loopback() {
        return Ok(());
    }
    if !allowed {
        anyhow::bail!("refusing plain {what} on {addr}: give {remedy}, or --allow-plaintext");
    }
    tracing::warn!(listen = %addr, "serving plain {what} on a non-loopback address (--allow-plaintext)");
    Ok(())
}
