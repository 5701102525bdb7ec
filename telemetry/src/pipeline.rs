//! Installing the process's telemetry: tracer and meter providers, the W3C propagator,
//! the Prometheus registry behind `/metrics`, and the tracing subscriber that feeds
//! spans to OpenTelemetry and log lines to stderr (or a test's writer).
//!
//! The global subscriber can be set once per process, so [`install`] runs once; a
//! second call fails with [`InstallError::AlreadyInstalled`]. Without an OTLP endpoint
//! nothing is exported: spans still get ids (for logs and for the `traceparent` sent
//! downstream) but are not recorded unless the caller's trace is sampled, and metrics
//! are only read by `/metrics` scrapes.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{KeyValue, global};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tokio::runtime::Handle;
use tracing::Level;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::config::{SamplerConfig, TelemetryConfig};
use crate::export;
use crate::logs::{JsonLines, NoSpanFields, RequestIdLayer};
use crate::metric_push::SharedReader;

/// The instrumentation scope of every idsync span and instrument.
pub const SCOPE: &str = "idsync";

static PROMETHEUS: OnceLock<prometheus::Registry> = OnceLock::new();

/// Where log lines go and which ones.
pub struct LogSettings {
    /// An `EnvFilter` directive such as `info` or `idsync_core=debug`.
    pub filter: String,
    /// The destination.
    pub output: LogOutput,
}

/// The destination of log lines.
pub enum LogOutput {
    /// stderr: JSON when it is not a terminal, human-readable when it is.
    Stderr,
    /// JSON lines into a writer (tests capture logs this way).
    Json(BoxMakeWriter),
}

/// Why telemetry could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A global subscriber or telemetry pipeline already exists in this process.
    #[error("telemetry is already installed in this process")]
    AlreadyInstalled,
    /// An exporter could not be built from the configuration.
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    /// The Prometheus exporter could not be built.
    #[error("cannot build the Prometheus exporter: {0}")]
    Prometheus(String),
    /// The thread that pushes metrics over OTLP could not be started.
    #[error("cannot start the metric push thread: {0}")]
    MetricPush(std::io::Error),
}

/// The installed pipeline; [`Telemetry::shutdown`] flushes it before the process exits.
#[derive(Debug)]
pub struct Telemetry {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

/// Installs telemetry for this process. Exporters run on `runtime`.
pub fn install(config: &TelemetryConfig, logs: LogSettings, runtime: &Handle) -> Result<Telemetry, InstallError> {
    if PROMETHEUS.get().is_some() {
        return Err(InstallError::AlreadyInstalled);
    }
    let log_filter = EnvFilter::try_new(&logs.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = match logs.output {
        LogOutput::Json(writer) => tracing_subscriber::fmt::layer()
            .event_format(JsonLines)
            .fmt_fields(NoSpanFields)
            .with_writer(writer)
            .boxed(),
        LogOutput::Stderr if std::io::stderr().is_terminal() => {
            tracing_subscriber::fmt::layer().with_writer(std::io::stderr).boxed()
        }
        LogOutput::Stderr => tracing_subscriber::fmt::layer()
            .event_format(JsonLines)
            .fmt_fields(NoSpanFields)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let fmt = fmt.with_filter(log_filter);

    let (providers, otel) = if config.sdk_disabled {
        (None, None)
    } else {
        let resource = resource(config);
        let tracer = tracer_provider(config, resource.clone(), runtime)?;
        let meter = meter_provider(config, resource, runtime)?;
        // Spans at INFO and above (those of hyper and h2 are below); events become span
        // events only when they are warnings or errors, so DEBUG detail never reaches
        // an exporter.
        let otel = tracing_opentelemetry::layer()
            .with_tracer(tracer.tracer(SCOPE))
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_target(false)
            .with_level(false)
            .with_filter(filter_fn(|meta| {
                if meta.is_span() {
                    *meta.level() <= Level::INFO
                } else {
                    *meta.level() <= Level::WARN
                }
            }));
        (Some((tracer, meter)), Some(otel))
    };
    // Only our INFO spans carry a request id. Filtering keeps the registry from taking
    // on hyper's and h2's TRACE spans, which would otherwise all be built and stored.
    let request_ids = RequestIdLayer.with_filter(filter_fn(|meta| meta.is_span() && *meta.level() <= Level::INFO));
    Registry::default()
        .with(request_ids)
        .with(otel)
        .with(fmt)
        .try_init()
        .map_err(|_| InstallError::AlreadyInstalled)?;
    let Some((tracer, meter)) = providers else {
        return Ok(Telemetry {
            tracer: None,
            meter: None,
        });
    };
    global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]));
    global::set_tracer_provider(tracer.clone());
    global::set_meter_provider(meter.clone());
    Ok(Telemetry {
        tracer: Some(tracer),
        meter: Some(meter),
    })
}

fn resource(config: &TelemetryConfig) -> Resource {
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(config.resource_attributes.iter().cloned())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .with_service_name(config.service_name.clone())
        .build()
}

fn tracer_provider(
    config: &TelemetryConfig,
    resource: Resource,
    runtime: &Handle,
) -> Result<SdkTracerProvider, InstallError> {
    let builder = SdkTracerProvider::builder().with_resource(resource);
    let endpoint = config
        .otlp
        .as_ref()
        .and_then(|o| o.traces_endpoint.as_deref().map(|e| (o, e)));
    Ok(match endpoint {
        Some((otlp, endpoint)) => builder
            .with_sampler(sampler(config.sampler))
            .with_batch_exporter(export::span_exporter(otlp, endpoint, runtime)?)
            .build(),
        // Nothing to export to: record only what a caller asked to sample, so that
        // ids still exist for logs and propagation at almost no cost.
        None => builder
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
            .build(),
    })
}

fn sampler(config: SamplerConfig) -> Sampler {
    let parent_based = |root: Sampler| Sampler::ParentBased(Box::new(root));
    match config {
        SamplerConfig::AlwaysOn => Sampler::AlwaysOn,
        SamplerConfig::AlwaysOff => Sampler::AlwaysOff,
        SamplerConfig::Ratio(r) => Sampler::TraceIdRatioBased(r),
        SamplerConfig::ParentBasedAlwaysOn => parent_based(Sampler::AlwaysOn),
        SamplerConfig::ParentBasedAlwaysOff => parent_based(Sampler::AlwaysOff),
        SamplerConfig::ParentBasedRatio(r) => parent_based(Sampler::TraceIdRatioBased(r)),
    }
}

fn meter_provider(
    config: &TelemetryConfig,
    resource: Resource,
    runtime: &Handle,
) -> Result<SdkMeterProvider, InstallError> {
    let registry = prometheus::Registry::new();
    let prometheus_reader = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .scope_info_enabled(false)
        .build()
        .map_err(|e| InstallError::Prometheus(e.to_string()))?;
    let push_to = config
        .otlp
        .as_ref()
        .and_then(|otlp| otlp.metrics_endpoint.as_deref().map(|endpoint| (otlp, endpoint)));
    let reader = match push_to {
        Some((otlp, endpoint)) => {
            let exporter = export::metric_exporter(otlp, endpoint, runtime)?;
            SharedReader::pushing(
                prometheus_reader,
                exporter,
                otlp.metric_export_interval,
                runtime.clone(),
            )
            .map_err(InstallError::MetricPush)?
        }
        None => SharedReader::pull_only(prometheus_reader),
    };
    let builder = SdkMeterProvider::builder().with_resource(resource).with_reader(reader);
    PROMETHEUS.set(registry).map_err(|_| InstallError::AlreadyInstalled)?;
    Ok(builder.build())
}

/// Every metric of this process in the Prometheus text format (empty before
/// [`install`], or when the SDK is disabled).
pub fn render_prometheus() -> String {
    let Some(registry) = PROMETHEUS.get() else {
        return String::new();
    };
    prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "could not encode metrics");
            String::new()
        })
}

impl Telemetry {
    /// Exports everything buffered so far (spans and metrics) and waits for it.
    pub fn force_flush(&self) {
        if let Some(tracer) = &self.tracer
            && let Err(error) = tracer.force_flush()
        {
            tracing::warn!(%error, "flushing spans failed");
        }
        if let Some(meter) = &self.meter
            && let Err(error) = meter.force_flush()
        {
            tracing::warn!(%error, "flushing metrics failed");
        }
    }

    /// Flushes and stops the exporters. Blocks for at most `timeout` per provider, on a
    /// blocking thread so that the runtime's workers stay free to carry the exports.
    pub async fn shutdown(self, timeout: Duration) {
        let stop = move || {
            if let Some(tracer) = self.tracer {
                let _ = tracer.force_flush();
                if let Err(error) = tracer.shutdown_with_timeout(timeout) {
                    tracing::warn!(%error, "stopping the span exporter failed");
                }
            }
            if let Some(meter) = self.meter {
                let _ = meter.force_flush();
                if let Err(error) = meter.shutdown_with_timeout(timeout) {
                    tracing::warn!(%error, "stopping the metric exporter failed");
                }
            }
        };
        if let Err(error) = tokio::task::spawn_blocking(stop).await {
            tracing::warn!(%error, "telemetry shutdown failed");
        }
    }
}
