//! An in-process OTLP collector for tests: receives spans and metrics over gRPC (the
//! `opentelemetry-proto` tonic servers) or HTTP/protobuf, and keeps them for
//! assertions. Enabled by the `test-util` feature.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{NumberDataPoint, metric, number_data_point};
use prost::Message;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

/// One span as the collector received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedSpan {
    /// Hex trace id.
    pub trace_id: String,
    /// Hex span id.
    pub span_id: String,
    /// Hex id of the parent span; empty for a root.
    pub parent_span_id: String,
    /// The span name.
    pub name: String,
    /// OTLP `SpanKind` (2 server, 3 client).
    pub kind: i32,
    /// `service.name` of the resource that sent it.
    pub service: String,
    /// Attributes, values rendered as text.
    pub attributes: BTreeMap<String, String>,
}

#[derive(Default)]
struct Received {
    /// Only count spans: keep no span and no dump (a load test's sink).
    count_only: bool,
    /// Spans received, kept or not.
    span_count: usize,
    spans: Vec<CollectedSpan>,
    metric_names: BTreeSet<String>,
    /// Per counter (OTLP `Sum`), the sum of its data points in the latest export.
    latest_sums: BTreeMap<String, f64>,
    /// Metric export requests received.
    metric_exports: usize,
    /// Everything received, as debug text, to search for what must never be exported.
    dump: String,
}

#[derive(Clone, Default)]
struct Store(Arc<Mutex<Received>>);

impl Store {
    fn lock(&self) -> MutexGuard<'_, Received> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn traces(&self, request: ExportTraceServiceRequest) {
        let mut received = self.lock();
        if received.count_only {
            received.span_count += request
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .map(|s| s.spans.len())
                .sum::<usize>();
            return;
        }
        received.dump.push_str(&format!("{request:?}\n"));
        for resource_spans in request.resource_spans {
            let service = resource_spans
                .resource
                .iter()
                .flat_map(|r| r.attributes.iter())
                .find(|kv| kv.key == "service.name")
                .map(|kv| text(kv.value.as_ref()))
                .unwrap_or_default();
            for span in resource_spans.scope_spans.into_iter().flat_map(|s| s.spans) {
                received.span_count += 1;
                received.spans.push(CollectedSpan {
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    name: span.name,
                    kind: span.kind,
                    service: service.clone(),
                    attributes: attributes(&span.attributes),
                });
            }
        }
    }

    fn metrics(&self, request: ExportMetricsServiceRequest) {
        let mut received = self.lock();
        if received.count_only {
            return;
        }
        received.dump.push_str(&format!("{request:?}\n"));
        received.metric_exports += 1;
        for metric in request
            .resource_metrics
            .into_iter()
            .flat_map(|r| r.scope_metrics)
            .flat_map(|s| s.metrics)
        {
            if let Some(metric::Data::Sum(sum)) = &metric.data {
                let total = sum.data_points.iter().map(point_value).sum();
                received.latest_sums.insert(metric.name.clone(), total);
            }
            received.metric_names.insert(metric.name);
        }
    }
}

fn point_value(point: &NumberDataPoint) -> f64 {
    match point.value {
        Some(number_data_point::Value::AsDouble(value)) => value,
        Some(number_data_point::Value::AsInt(value)) => value as f64,
        None => 0.0,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attributes(kvs: &[KeyValue]) -> BTreeMap<String, String> {
    kvs.iter().map(|kv| (kv.key.clone(), text(kv.value.as_ref()))).collect()
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// A running collector; stops with the runtime that started it.
pub struct Collector {
    addr: SocketAddr,
    store: Store,
}

impl Collector {
    /// Starts an OTLP/gRPC collector on an ephemeral loopback port.
    pub async fn grpc() -> io::Result<Collector> {
        Self::grpc_with(Store::default()).await
    }

    /// Starts an OTLP/gRPC collector that only counts the spans it receives
    /// ([`Collector::span_count`]), as cheaply as decoding them allows: a load test's
    /// sink, whose own work should take as little as possible from the load.
    pub async fn grpc_counting() -> io::Result<Collector> {
        let store = Store::default();
        store.lock().count_only = true;
        Self::grpc_with(store).await
    }

    async fn grpc_with(store: Store) -> io::Result<Collector> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(store.clone()))
            .add_service(MetricsServiceServer::new(store.clone()))
            .serve_with_incoming(TcpListenerStream::new(listener));
        tokio::spawn(server);
        Ok(Collector { addr, store })
    }

    /// Starts an OTLP/HTTP (protobuf) collector on an ephemeral loopback port.
    pub async fn http() -> io::Result<Collector> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let store = Store::default();
        let accepting = store.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = accepting.clone();
                let service = hyper::service::service_fn(move |request| receive_http(store.clone(), request));
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        Ok(Collector { addr, store })
    }

    /// `http://127.0.0.1:<port>`: the value for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<CollectedSpan> {
        self.store.lock().spans.clone()
    }

    /// How many spans were received so far, kept or only counted.
    pub fn span_count(&self) -> usize {
        self.store.lock().span_count
    }

    /// The names of every metric received so far.
    pub fn metric_names(&self) -> BTreeSet<String> {
        self.store.lock().metric_names.clone()
    }

    /// The value of counter `name` in the latest export that carried it (the sum of its
    /// data points), if any did.
    pub fn latest_sum(&self, name: &str) -> Option<f64> {
        self.store.lock().latest_sums.get(name).copied()
    }

    /// How many metric export requests have arrived.
    pub fn metric_exports(&self) -> usize {
        self.store.lock().metric_exports
    }

    /// Everything received so far as debug text (names, attributes, resources).
    pub fn dump(&self) -> String {
        self.store.lock().dump.clone()
    }
}

async fn receive_http(
    store: Store,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
    let path = request.uri().path().to_string();
    let body = request.into_body().collect().await?.to_bytes();
    let ok = match path.as_str() {
        "/v1/traces" => ExportTraceServiceRequest::decode(body).map(|r| store.traces(r)).is_ok(),
        "/v1/metrics" => ExportMetricsServiceRequest::decode(body)
            .map(|r| store.metrics(r))
            .is_ok(),
        _ => false,
    };
    let (status, body) = if ok {
        (200, Bytes::new())
    } else {
        (400, Bytes::from_static(b"unexpected request"))
    };
    let mut response = hyper::Response::new(Full::new(body));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-protobuf"),
    );
    Ok(response)
}

#[tonic::async_trait]
impl TraceService for Store {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.traces(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Store {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.metrics(request.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// Polls `done` until it holds or `timeout` passes; returns whether it held.
pub async fn eventually(timeout: std::time::Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    done()
}
