//! The exporter against collectors that fail: what is retried, what is not, and that
//! the configured headers go with every attempt.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use opentelemetry::InstrumentationScope;
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio_stream::wrappers::TcpListenerStream;

use super::OtlpSpanExporter;
use crate::config::{OtlpConfig, OtlpProtocol};
use crate::export::RuntimeHttpClient;

/// What a failing collector saw: one entry per call, the `x-idsync-test` header's value.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn record(&self, header: Option<&str>) {
        self.0.lock().unwrap().push(header.unwrap_or("<none>").to_owned());
    }

    fn seen(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A gRPC collector that answers every export with `code`.
#[derive(Clone)]
struct FailingGrpc {
    code: tonic::Code,
    calls: Calls,
}

#[tonic::async_trait]
impl TraceService for FailingGrpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.calls
            .record(request.metadata().get("x-idsync-test").and_then(|v| v.to_str().ok()));
        Err(tonic::Status::new(self.code, "refused by the test"))
    }
}

async fn failing_grpc(code: tonic::Code) -> (String, Calls) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let calls = Calls::default();
    let service = TraceServiceServer::new(FailingGrpc {
        code,
        calls: calls.clone(),
    });
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (format!("http://{addr}"), calls)
}

/// An HTTP collector that answers every export with `status`.
async fn failing_http(status: u16) -> (String, Calls) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let calls = Calls::default();
    let seen = calls.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                seen.record(request.headers().get("x-idsync-test").and_then(|v| v.to_str().ok()));
                let mut response = hyper::Response::new(Full::new(Bytes::new()));
                *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                async move { Ok::<_, hyper::Error>(response) }
            });
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    (format!("http://{addr}/v1/traces"), calls)
}

fn config(protocol: OtlpProtocol) -> OtlpConfig {
    OtlpConfig {
        protocol,
        traces_endpoint: None,
        metrics_endpoint: None,
        timeout: Duration::from_secs(10),
        metric_export_interval: Duration::from_secs(60),
        traces_headers: vec![("x-idsync-test".to_owned(), "sent".to_owned())],
    }
}

fn exporter(protocol: OtlpProtocol, endpoint: &str) -> OtlpSpanExporter {
    let config = config(protocol);
    let runtime = Handle::current();
    OtlpSpanExporter::new(&config, endpoint, &runtime, || {
        Ok(Arc::new(RuntimeHttpClient::new(endpoint, &config, &runtime)?))
    })
    .unwrap()
}

fn one_span() -> Vec<SpanData> {
    vec![SpanData {
        span_context: SpanContext::new(
            TraceId::from(1),
            SpanId::from(2),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Server,
        name: "GET /scim/v2/Users".into(),
        start_time: SystemTime::now(),
        end_time: SystemTime::now(),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("idsync").build(),
    }]
}

/// Exports one span; the result, or a failure if it hangs.
async fn export(exporter: &OtlpSpanExporter) -> Result<(), String> {
    tokio::time::timeout(Duration::from_secs(30), exporter.export(one_span()))
        .await
        .expect("the export ends instead of hanging")
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_grpc_collector_is_tried_three_times_with_the_headers() {
    let (endpoint, calls) = failing_grpc(tonic::Code::Unavailable).await;
    let error = export(&exporter(OtlpProtocol::Grpc, &endpoint)).await.unwrap_err();
    assert!(error.contains("Unavailable"), "{error}");
    assert_eq!(calls.seen(), ["sent", "sent", "sent"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_collector_that_rejects_the_request_is_not_asked_again() {
    let (endpoint, calls) = failing_grpc(tonic::Code::InvalidArgument).await;
    let error = export(&exporter(OtlpProtocol::Grpc, &endpoint)).await.unwrap_err();
    assert!(error.contains("InvalidArgument"), "{error}");
    assert_eq!(calls.seen(), ["sent"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_collector_answering_503_is_tried_three_times_and_400_once() {
    let (endpoint, calls) = failing_http(503).await;
    let error = export(&exporter(OtlpProtocol::HttpProtobuf, &endpoint))
        .await
        .unwrap_err();
    assert!(error.contains("503"), "{error}");
    assert_eq!(calls.seen(), ["sent", "sent", "sent"]);

    let (endpoint, calls) = failing_http(400).await;
    let error = export(&exporter(OtlpProtocol::HttpProtobuf, &endpoint))
        .await
        .unwrap_err();
    assert!(error.contains("400"), "{error}");
    assert_eq!(calls.seen(), ["sent"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_collector_fails_the_export_on_either_protocol() {
    // Nothing listens on port 1 of loopback: every attempt is refused at once.
    for (protocol, endpoint) in [
        (OtlpProtocol::Grpc, "http://127.0.0.1:1"),
        (OtlpProtocol::HttpProtobuf, "http://127.0.0.1:1/v1/traces"),
    ] {
        let error = export(&exporter(protocol, endpoint)).await.unwrap_err();
        assert!(
            error.contains("unreachable") || error.contains("Unavailable"),
            "{error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_count_as_exported_once_the_collector_accepts_them() {
    let collector = crate::test_util::Collector::grpc().await.unwrap();
    export(&exporter(OtlpProtocol::Grpc, &collector.endpoint()))
        .await
        .unwrap();
    assert_eq!(collector.span_count(), 1);
    assert_eq!(collector.spans()[0].name, "GET /scim/v2/Users");
}
