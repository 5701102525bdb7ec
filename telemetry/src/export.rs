//! OTLP exporters for spans and metrics, over gRPC (tonic) or HTTP/protobuf (hyper).
//! Spans go through idsync's own exporter ([`crate::span_export`]), metrics through
//! `opentelemetry-otlp`'s.
//!
//! The SDK's batch span processor and idsync's metric pusher ([`crate::metric_push`])
//! run their exports on threads of their own. Both transports need a Tokio runtime, so they are bound to the
//! runtime handed to [`crate::install`]: the tonic channel is created inside it, and
//! every HTTP request is spawned onto it. TLS (`https://` endpoints) uses rustls with
//! the *ring* provider and the system's root certificates — no aws-lc, no OpenSSL.

use std::fmt;
use std::sync::Arc;

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{
    ExporterBuildError, MetricExporter, Protocol, WithExportConfig, WithHttpConfig, WithTonicConfig,
};
use tokio::runtime::Handle;
use tonic::transport::ClientTlsConfig;

use crate::config::{OtlpConfig, OtlpProtocol};
use crate::span_export::OtlpSpanExporter;

/// The span exporter for `endpoint`: idsync's own ([`crate::span_export`]), which
/// encodes each batch once, straight into the request.
pub(crate) fn span_exporter(
    otlp: &OtlpConfig,
    endpoint: &str,
    runtime: &Handle,
) -> Result<OtlpSpanExporter, ExporterBuildError> {
    OtlpSpanExporter::new(otlp, endpoint, runtime, || {
        Ok(Arc::new(RuntimeHttpClient::new(endpoint, otlp, runtime)?))
    })
}

/// The metric exporter for `endpoint` (cumulative temporality, as Prometheus expects).
pub(crate) fn metric_exporter(
    otlp: &OtlpConfig,
    endpoint: &str,
    runtime: &Handle,
) -> Result<MetricExporter, ExporterBuildError> {
    match otlp.protocol {
        OtlpProtocol::Grpc => {
            let _inside = runtime.enter();
            over_tonic(MetricExporter::builder().with_tonic(), otlp, endpoint).build()
        }
        OtlpProtocol::HttpProtobuf => {
            over_http(MetricExporter::builder().with_http(), otlp, endpoint, runtime)?.build()
        }
    }
}

/// A span or metric exporter builder set up for OTLP/gRPC to `endpoint` (TLS for
/// `https://`). Build it inside the runtime: tonic creates its channel there.
fn over_tonic<B: WithExportConfig + WithTonicConfig>(builder: B, otlp: &OtlpConfig, endpoint: &str) -> B {
    let builder = builder.with_endpoint(endpoint).with_timeout(otlp.timeout);
    if is_https(endpoint) {
        builder.with_tls_config(ClientTlsConfig::new().with_native_roots())
    } else {
        builder
    }
}

/// A span or metric exporter builder set up for OTLP/HTTP (protobuf) to `endpoint`,
/// its requests sent on `runtime`.
fn over_http<B: WithExportConfig + WithHttpConfig>(
    builder: B,
    otlp: &OtlpConfig,
    endpoint: &str,
    runtime: &Handle,
) -> Result<B, ExporterBuildError> {
    Ok(builder
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(otlp.timeout)
        .with_http_client(RuntimeHttpClient::new(endpoint, otlp, runtime)?))
}

/// Whether `endpoint` asks for TLS.
pub(crate) fn is_https(endpoint: &str) -> bool {
    endpoint.starts_with("https://")
}

/// A hyper client whose requests run on a Tokio runtime, whatever thread asks.
pub(crate) struct RuntimeHttpClient {
    inner: Arc<dyn HttpClient>,
    runtime: Handle,
}

impl fmt::Debug for RuntimeHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeHttpClient").finish_non_exhaustive()
    }
}

impl RuntimeHttpClient {
    pub(crate) fn new(endpoint: &str, otlp: &OtlpConfig, runtime: &Handle) -> Result<Self, ExporterBuildError> {
        use opentelemetry_http::hyper::HyperClient;
        let _inside = runtime.enter();
        let inner: Arc<dyn HttpClient> = if is_https(endpoint) {
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_native_roots()
                .map_err(|e| ExporterBuildError::InvalidConfiguration(format!("no TLS root certificates: {e}")))?
                .https_or_http()
                .enable_http1()
                .enable_http2()
                .build();
            Arc::new(HyperClient::new(connector, otlp.timeout, None))
        } else {
            Arc::new(HyperClient::with_default_connector(otlp.timeout, None))
        };
        Ok(RuntimeHttpClient {
            inner,
            runtime: runtime.clone(),
        })
    }
}

#[async_trait::async_trait]
impl HttpClient for RuntimeHttpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let inner = self.inner.clone();
        self.runtime
            .spawn(async move { inner.send_bytes(request).await })
            .await
            .map_err(|e| -> HttpError { Box::new(e) })?
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry::trace::{Tracer as _, TracerProvider as _};
    use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
    use opentelemetry_sdk::trace::SdkTracerProvider;

    use super::*;
    use crate::test_util::{Collector, eventually};

    fn otlp(protocol: OtlpProtocol) -> OtlpConfig {
        OtlpConfig {
            protocol,
            traces_endpoint: None,
            metrics_endpoint: None,
            timeout: Duration::from_secs(5),
            metric_export_interval: Duration::from_secs(60),
            traces_headers: vec![("x-idsync-test".to_owned(), "exported".to_owned())],
        }
    }

    /// Exports one span and one counter to `collector` and waits for both.
    async fn exports_reach(collector: &Collector, protocol: OtlpProtocol, traces: String, metrics: String) {
        let runtime = Handle::current();
        let config = otlp(protocol);
        let tracer = SdkTracerProvider::builder()
            .with_batch_exporter(span_exporter(&config, &traces, &runtime).unwrap())
            .build();
        let meter = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metric_exporter(&config, &metrics, &runtime).unwrap()).build())
            .build();
        tracer.tracer("test").in_span("exported span", |_| {});
        meter.meter("test").u64_counter("exported.counter").build().add(1, &[]);
        // The SDK flushes on its own threads; keep the runtime's workers free meanwhile.
        tokio::task::spawn_blocking(move || {
            tracer.force_flush().unwrap();
            meter.force_flush().unwrap();
        })
        .await
        .unwrap();
        assert!(
            eventually(Duration::from_secs(5), || {
                collector.spans().iter().any(|s| s.name == "exported span")
                    && collector.metric_names().contains("exported.counter")
            })
            .await,
            "received: {}",
            collector.dump()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spans_and_metrics_are_exported_over_grpc() {
        let collector = Collector::grpc().await.unwrap();
        let endpoint = collector.endpoint();
        exports_reach(&collector, OtlpProtocol::Grpc, endpoint.clone(), endpoint).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spans_and_metrics_are_exported_over_http_protobuf() {
        let collector = Collector::http().await.unwrap();
        let base = collector.endpoint();
        exports_reach(
            &collector,
            OtlpProtocol::HttpProtobuf,
            format!("{base}/v1/traces"),
            format!("{base}/v1/metrics"),
        )
        .await;
    }
}
