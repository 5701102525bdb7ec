//! Starting and stopping the process's telemetry: the standard `OTEL_*` variables
//! decide what is exported (nothing without an endpoint), `IDSYNC_LOG` / `RUST_LOG`
//! which log lines are written.

use std::time::Duration;

use anyhow::{Context, Result};
use idsync_telemetry::{LogOutput, LogSettings, Telemetry, TelemetryConfig};

/// How long shutdown waits for the last spans and metrics to leave.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Installs telemetry for a service named `service` by default (`OTEL_SERVICE_NAME`
/// wins). Administrative commands pass `export = false`: they only log.
pub fn start(service: &str, export: bool) -> Result<Telemetry> {
    let filter = std::env::var("IDSYNC_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info,opentelemetry=warn,opentelemetry_sdk=warn".to_string());
    let config = if export {
        TelemetryConfig::from_lookup(service, |name| std::env::var(name).ok())
            .context("reading the OTEL_* configuration")?
    } else {
        TelemetryConfig {
            sdk_disabled: true,
            ..TelemetryConfig::local(service)
        }
    };
    let logs = LogSettings {
        filter,
        output: LogOutput::Stderr,
    };
    let telemetry = idsync_telemetry::install(&config, logs, &tokio::runtime::Handle::current())?;
    if let Some(otlp) = &config.otlp {
        tracing::info!(
            protocol = ?otlp.protocol,
            traces = otlp.traces_endpoint.as_deref().unwrap_or("-"),
            metrics = otlp.metrics_endpoint.as_deref().unwrap_or("-"),
            "exporting telemetry over OTLP"
        );
    }
    Ok(telemetry)
}

/// Flushes and stops the exporters before the process exits.
pub async fn stop(telemetry: Telemetry) {
    telemetry.shutdown(FLUSH_TIMEOUT).await;
}
