//! idsync's OTLP span exporter, over gRPC (tonic) or HTTP/protobuf (hyper).
//!
//! It does what `opentelemetry-otlp`'s span exporter does — one `Export` call per batch,
//! the endpoint's headers, a timeout, retries of transient failures with backoff — but
//! encodes the batch itself ([`encode`]), once, straight into the request's bytes: the
//! crate's conversion through `opentelemetry-proto` structs was most of the cost of
//! tracing every request (see `encode` and `docs/benchmarks.md`). Metrics still go
//! through `opentelemetry-otlp`: they are exported once a minute, not per request.
//!
//! The batch processor calls [`SpanExporter::export`] from a thread of its own; every
//! send is spawned onto the runtime handed to [`crate::install`], where the channel and
//! the timers live.

mod encode;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::uri::PathAndQuery;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use opentelemetry_http::{Bytes, HttpClient};
use opentelemetry_otlp::ExporterBuildError;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use tokio::runtime::Handle;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

use crate::config::{OtlpConfig, OtlpProtocol};
use crate::export::is_https;

/// The gRPC method every batch is sent to.
const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Attempts per batch, and the pause before the first retry (doubled after each).
const ATTEMPTS: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Sends finished spans to an OTLP endpoint.
pub(crate) struct OtlpSpanExporter {
    transport: Transport,
    resource: Resource,
    timeout: Duration,
    runtime: Handle,
}

#[derive(Clone)]
enum Transport {
    Grpc {
        channel: Channel,
        headers: MetadataMap,
    },
    Http {
        client: Arc<dyn HttpClient>,
        endpoint: String,
        headers: Vec<(HeaderName, HeaderValue)>,
    },
}

impl fmt::Debug for OtlpSpanExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let protocol = match self.transport {
            Transport::Grpc { .. } => "grpc",
            Transport::Http { .. } => "http/protobuf",
        };
        f.debug_struct("OtlpSpanExporter")
            .field("protocol", &protocol)
            .finish_non_exhaustive()
    }
}

impl OtlpSpanExporter {
    /// An exporter to `endpoint` (TLS with the system's roots for `https://`). For HTTP,
    /// `http_client` sends the requests; it must run them on `runtime`.
    pub(crate) fn new(
        otlp: &OtlpConfig,
        endpoint: &str,
        runtime: &Handle,
        http_client: impl FnOnce() -> Result<Arc<dyn HttpClient>, ExporterBuildError>,
    ) -> Result<Self, ExporterBuildError> {
        let transport = match otlp.protocol {
            OtlpProtocol::Grpc => Transport::Grpc {
                channel: grpc_channel(endpoint, runtime)?,
                headers: grpc_headers(&otlp.traces_headers)?,
            },
            OtlpProtocol::HttpProtobuf => Transport::Http {
                client: http_client()?,
                endpoint: endpoint.to_owned(),
                headers: http_headers(&otlp.traces_headers)?,
            },
        };
        Ok(OtlpSpanExporter {
            transport,
            resource: Resource::builder_empty().build(),
            timeout: otlp.timeout,
            runtime: runtime.clone(),
        })
    }
}

/// A lazily connecting channel to `endpoint`. Its calls carry no timeout of their own:
/// each attempt sends its deadline (`grpc-timeout`), and the export as a whole is bounded
/// in [`OtlpSpanExporter::export`].
fn grpc_channel(endpoint: &str, runtime: &Handle) -> Result<Channel, ExporterBuildError> {
    let invalid =
        |e: &dyn fmt::Display| ExporterBuildError::InvalidConfiguration(format!("OTLP endpoint {endpoint:?}: {e}"));
    let mut builder = Endpoint::from_shared(endpoint.to_owned()).map_err(|e| invalid(&e))?;
    if is_https(endpoint) {
        builder = builder
            .tls_config(ClientTlsConfig::new().with_native_roots())
            .map_err(|e| invalid(&e))?;
    }
    // The channel's connection task is spawned where it is created.
    let _inside = runtime.enter();
    Ok(builder.connect_lazy())
}

fn grpc_headers(headers: &[(String, String)]) -> Result<MetadataMap, ExporterBuildError> {
    let mut map = MetadataMap::new();
    for (key, value) in headers {
        let bad = || ExporterBuildError::InvalidConfiguration(format!("OTLP header {key:?} cannot be sent"));
        let key = MetadataKey::from_bytes(key.to_ascii_lowercase().as_bytes()).map_err(|_| bad())?;
        let value: MetadataValue<_> = value.parse().map_err(|_| bad())?;
        map.insert(key, value);
    }
    Ok(map)
}

fn http_headers(headers: &[(String, String)]) -> Result<Vec<(HeaderName, HeaderValue)>, ExporterBuildError> {
    headers
        .iter()
        .map(|(key, value)| {
            let bad = || ExporterBuildError::InvalidConfiguration(format!("OTLP header {key:?} cannot be sent"));
            Ok((
                HeaderName::try_from(key.as_str()).map_err(|_| bad())?,
                HeaderValue::try_from(value.as_str()).map_err(|_| bad())?,
            ))
        })
        .collect()
}

impl SpanExporter for OtlpSpanExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut body = Vec::with_capacity(batch.len() * 512);
        encode::export_request(&self.resource, &batch, &mut body);
        drop(batch);
        let transport = self.transport.clone();
        let timeout = self.timeout;
        let sent = self.runtime.spawn(async move {
            tokio::time::timeout(timeout, send_with_retries(&transport, Bytes::from(body), timeout))
                .await
                .unwrap_or_else(|_| Err(Failure::permanent(format!("no answer within {timeout:?}"))))
        });
        match sent.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(failure)) => Err(OTelSdkError::InternalFailure(format!(
                "exporting spans failed: {}",
                failure.reason
            ))),
            Err(join) => Err(OTelSdkError::InternalFailure(format!("exporting spans failed: {join}"))),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}

/// Why one attempt failed, and whether another could succeed.
struct Failure {
    reason: String,
    retry: bool,
}

impl Failure {
    fn transient(reason: String) -> Self {
        Failure { reason, retry: true }
    }

    fn permanent(reason: String) -> Self {
        Failure { reason, retry: false }
    }
}

async fn send_with_retries(transport: &Transport, body: Bytes, timeout: Duration) -> Result<(), Failure> {
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        let result = match transport {
            Transport::Grpc { channel, headers } => {
                send_grpc(channel.clone(), headers.clone(), body.clone(), timeout).await
            }
            Transport::Http {
                client,
                endpoint,
                headers,
            } => send_http(client.as_ref(), endpoint, headers, body.clone()).await,
        };
        match result {
            Err(failure) if failure.retry && attempt < ATTEMPTS => {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn send_grpc(channel: Channel, headers: MetadataMap, body: Bytes, timeout: Duration) -> Result<(), Failure> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Failure::transient(format!("the collector is unreachable: {e}")))?;
    let mut request = tonic::Request::new(body);
    *request.metadata_mut() = headers;
    request.set_timeout(timeout);
    match grpc
        .unary(request, PathAndQuery::from_static(EXPORT_PATH), PreEncoded)
        .await
    {
        Ok(_) => Ok(()),
        Err(status) => {
            let reason = format!("the collector answered {:?}: {}", status.code(), status.message());
            // The codes the OTLP specification names as retryable.
            use tonic::Code::{
                Aborted, Cancelled, DataLoss, DeadlineExceeded, OutOfRange, ResourceExhausted, Unavailable,
            };
            let retry = matches!(
                status.code(),
                Cancelled | DeadlineExceeded | ResourceExhausted | Aborted | OutOfRange | Unavailable | DataLoss
            );
            Err(Failure { reason, retry })
        }
    }
}

async fn send_http(
    client: &dyn HttpClient,
    endpoint: &str,
    headers: &[(HeaderName, HeaderValue)],
    body: Bytes,
) -> Result<(), Failure> {
    let mut request = http::Request::builder()
        .method(Method::POST)
        .uri(endpoint)
        .header(http::header::CONTENT_TYPE, "application/x-protobuf");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request
        .body(body)
        .map_err(|e| Failure::permanent(format!("cannot build the export request: {e}")))?;
    let response = client
        .send_bytes(request)
        .await
        .map_err(|e| Failure::transient(format!("the collector is unreachable: {e}")))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let reason = format!("the collector answered HTTP {status}");
    // The statuses the OTLP specification names as retryable.
    let retry = matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    );
    Err(Failure { reason, retry })
}

/// A tonic codec whose request is already the message's bytes, and whose answer (an
/// `ExportTraceServiceResponse`, possibly reporting rejected spans) is read and dropped.
#[derive(Debug, Clone, Copy, Default)]
struct PreEncoded;

impl Codec for PreEncoded {
    type Encode = Bytes;
    type Decode = ();
    type Encoder = PreEncoded;
    type Decoder = PreEncoded;

    fn encoder(&mut self) -> Self::Encoder {
        PreEncoded
    }

    fn decoder(&mut self) -> Self::Decoder {
        PreEncoded
    }
}

impl Encoder for PreEncoded {
    type Item = Bytes;
    type Error = tonic::Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use bytes::BufMut as _;
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for PreEncoded {
    type Item = ();
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, tonic::Status> {
        use bytes::Buf as _;
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

#[cfg(test)]
mod tests;
