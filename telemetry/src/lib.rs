//! Telemetry of idsync: traces, metrics and structured logs through OpenTelemetry,
//! shared by the gateway and the core.
//!
//! It owns the process-wide pipeline ([`install`], [`Telemetry::shutdown`]): tracer
//! and meter providers, OTLP export over gRPC or HTTP/protobuf configured by the
//! standard `OTEL_*` variables ([`TelemetryConfig`]), the Prometheus registry behind
//! `GET /metrics` ([`render_prometheus`]), W3C trace-context propagation, and JSON log
//! lines that carry trace, span and request ids. It also owns the instruments and the
//! tower layers that fill them, so that every metric name lives in one place. It must
//! not know SCIM, storage or the gateway's routes: callers hand it plain values.
//!
//! Layout:
//! - `config`: reads the `OTEL_*` variables into [`TelemetryConfig`];
//! - `pipeline`: installs providers, propagation and logging; renders `/metrics`;
//! - `export`: builds the OTLP exporters (gRPC, HTTP/protobuf);
//! - `span_export`: idsync's span exporter, which encodes each batch straight to OTLP;
//! - `logs`: formats JSON log lines with trace, span and request ids;
//! - `scope`: carries per-request facts (the tenant) back to the layer that measures;
//! - [`http`], [`grpc`]: the server and client tower layers;
//! - [`metrics`], [`provisioning`], [`database`], [`changefeed`], [`panics`], [`throttling`]: the instruments;
//! - `test_util` (feature `test-util`): an in-process OTLP collector for tests.

// Tests may unwrap; `clippy --lib` still holds the library itself to `unwrap_used`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod changefeed;
mod config;
pub mod database;
mod export;
pub mod grpc;
pub mod http;
mod logs;
mod metric_push;
pub mod metrics;
pub mod panics;
mod pipeline;
pub mod provisioning;
pub mod scope;
mod span_export;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
pub mod throttling;

pub use config::{ConfigError, OtlpConfig, OtlpProtocol, SamplerConfig, TelemetryConfig};
pub use logs::REQUEST_ID_FIELD;
pub use pipeline::{InstallError, LogOutput, LogSettings, SCOPE, Telemetry, install, render_prometheus};
