use std::time::Duration;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use tokio::runtime::Handle;

use super::*;
use crate::config::{OtlpConfig, OtlpProtocol};
use crate::export::metric_exporter;
use crate::test_util::{Collector, eventually};

/// A meter provider whose one reader is scraped through `registry` and pushes to
/// `collector` every `interval`.
fn provider(collector: &Collector, registry: &prometheus::Registry, interval: Duration) -> SdkMeterProvider {
    let otlp = OtlpConfig {
        protocol: OtlpProtocol::Grpc,
        traces_endpoint: None,
        metrics_endpoint: Some(collector.endpoint()),
        timeout: Duration::from_secs(5),
        metric_export_interval: interval,
        traces_headers: Vec::new(),
    };
    let runtime = Handle::current();
    let exporter = metric_exporter(&otlp, &collector.endpoint(), &runtime).unwrap();
    let prometheus = prometheus_exporter(registry);
    let reader = SharedReader::pushing(prometheus, exporter, interval, runtime).unwrap();
    SdkMeterProvider::builder().with_reader(reader).build()
}

/// Prometheus's reader as idsync builds it (no scope labels), scraped through `registry`.
fn prometheus_exporter(registry: &prometheus::Registry) -> PrometheusExporter {
    opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .scope_info_enabled(false)
        .build()
        .unwrap()
}

fn scrape(registry: &prometheus::Registry) -> String {
    prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap()
}

/// Runs `f` on a blocking thread: flushes wait for the pusher, whose export needs the
/// runtime's workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scrape_and_the_push_agree_and_neither_resets_the_other() {
    let collector = Collector::grpc().await.unwrap();
    let registry = prometheus::Registry::new();
    let meter = provider(&collector, &registry, Duration::from_secs(3600));
    let counter = meter.meter("test").u64_counter("shared.counter").build();
    counter.add(2, &[]);
    counter.add(3, &[]);

    let flushing = meter.clone();
    blocking(move || flushing.force_flush()).await.unwrap();
    assert_eq!(
        collector.latest_sum("shared.counter"),
        Some(5.0),
        "{}",
        collector.dump()
    );
    let scraped = scrape(&registry);
    assert!(scraped.contains("shared_counter_total 5\n"), "{scraped}");

    // Cumulative for both: a scrape between pushes takes nothing from the next push.
    counter.add(1, &[]);
    assert!(scrape(&registry).contains("shared_counter_total 6\n"));
    let stopping = meter.clone();
    blocking(move || stopping.shutdown()).await.unwrap();
    assert_eq!(
        collector.latest_sum("shared.counter"),
        Some(6.0),
        "the last push at shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pusher_pushes_every_interval_unasked() {
    let collector = Collector::grpc().await.unwrap();
    let registry = prometheus::Registry::new();
    let meter = provider(&collector, &registry, Duration::from_millis(50));
    meter.meter("test").u64_counter("ticking.counter").build().add(7, &[]);
    assert!(
        eventually(Duration::from_secs(10), || collector.metric_exports() >= 3).await,
        "{} exports in 10 s",
        collector.metric_exports()
    );
    assert_eq!(collector.latest_sum("ticking.counter"), Some(7.0));
    blocking(move || meter.shutdown()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_shutdown_the_pusher_is_gone() {
    let collector = Collector::grpc().await.unwrap();
    let registry = prometheus::Registry::new();
    let meter = provider(&collector, &registry, Duration::from_secs(3600));
    let stopping = meter.clone();
    blocking(move || stopping.shutdown()).await.unwrap();
    let exports = collector.metric_exports();
    assert_eq!(exports, 1, "one last push at shutdown");
    let flushing = meter.clone();
    assert!(blocking(move || flushing.force_flush()).await.is_err());
    assert_eq!(collector.metric_exports(), exports);
}

#[test]
fn a_pull_only_reader_flushes_and_stops_without_pushing() {
    let registry = prometheus::Registry::new();
    let prometheus = prometheus_exporter(&registry);
    let meter = SdkMeterProvider::builder()
        .with_reader(SharedReader::pull_only(prometheus))
        .build();
    meter.meter("test").u64_counter("pulled.counter").build().add(4, &[]);
    meter.force_flush().unwrap();
    let scraped = scrape(&registry);
    assert!(scraped.contains("pulled_counter_total 4\n"), "{scraped}");
    meter.shutdown().unwrap();
}
