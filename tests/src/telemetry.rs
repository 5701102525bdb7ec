//! The test binary's one telemetry pipeline: an in-process OTLP collector, the global
//! subscriber exporting to it over gRPC, and a log writer that captures every line.
//!
//! A process has one global subscriber and one global meter provider, so the pipeline
//! is installed once, by the first test that asks for it ([`telemetry`]); it and the
//! collector run on a runtime of their own that outlives every test's runtime.
//! Instruments bind to the meter provider when a node is built, so call [`telemetry`]
//! before [`crate::TestApp::spawn`]. Tests run concurrently and share the collector,
//! the logs and `/metrics`: select your own data by trace id, request id or tenant.
//! With `TEST_LOG` set, captured log lines are also printed.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use idsync_telemetry::test_util::{CollectedSpan, Collector, eventually};
use idsync_telemetry::{LogOutput, LogSettings, OtlpConfig, OtlpProtocol, Telemetry, TelemetryConfig};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

/// The installed pipeline and what it has produced.
pub struct TestTelemetry {
    /// Receives every exported span and metric.
    pub collector: Collector,
    telemetry: Telemetry,
    logs: LogCapture,
    _runtime: tokio::runtime::Runtime,
}

/// The pipeline, installed on first use.
pub fn telemetry() -> &'static TestTelemetry {
    static TELEMETRY: OnceLock<TestTelemetry> = OnceLock::new();
    TELEMETRY.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("telemetry")
            .enable_all()
            .build()
            .expect("a runtime for the collector and exporters");
        let handle = runtime.handle().clone();
        let collector = std::thread::spawn(move || handle.block_on(Collector::grpc()))
            .join()
            .expect("collector thread")
            .expect("the collector starts");
        let endpoint = collector.endpoint();
        let config = TelemetryConfig {
            otlp: Some(OtlpConfig {
                protocol: OtlpProtocol::Grpc,
                traces_endpoint: Some(endpoint.clone()),
                metrics_endpoint: Some(endpoint),
                timeout: Duration::from_secs(5),
                metric_export_interval: Duration::from_millis(500),
                traces_headers: Vec::new(),
            }),
            ..TelemetryConfig::local("idsync-e2e")
        };
        let logs = LogCapture::default();
        let settings = LogSettings {
            // DEBUG everywhere: a secret must not appear even in the most verbose logs
            // an operator would switch on.
            filter: "debug".into(),
            output: LogOutput::Json(BoxMakeWriter::new(logs.clone())),
        };
        let telemetry = idsync_telemetry::install(&config, settings, runtime.handle()).expect("telemetry installs");
        TestTelemetry {
            collector,
            telemetry,
            logs,
            _runtime: runtime,
        }
    })
}

impl TestTelemetry {
    /// Pushes buffered spans and metrics to the collector.
    pub async fn flush(&'static self) {
        tokio::task::spawn_blocking(move || self.telemetry.force_flush())
            .await
            .expect("flush");
    }

    /// The spans of `trace_id` once `done` holds for them (flushing while waiting);
    /// panics after 10 s with what was received.
    pub async fn spans_of(
        &'static self,
        trace_id: &str,
        done: impl Fn(&[CollectedSpan]) -> bool,
    ) -> Vec<CollectedSpan> {
        let of_trace = || -> Vec<CollectedSpan> {
            self.collector
                .spans()
                .into_iter()
                .filter(|s| s.trace_id == trace_id)
                .collect()
        };
        for _ in 0..100 {
            self.flush().await;
            if eventually(Duration::from_millis(100), || done(&of_trace())).await {
                return of_trace();
            }
        }
        panic!("trace {trace_id} incomplete: {:#?}", of_trace());
    }

    /// Every log line written so far.
    pub fn log_lines(&self) -> Vec<String> {
        let bytes = self.logs.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes).lines().map(str::to_string).collect()
    }
}

/// Collects log lines in memory (and echoes them with `TEST_LOG`).
#[derive(Clone, Default)]
struct LogCapture(Arc<Mutex<Vec<u8>>>);

struct CaptureWriter {
    target: Arc<Mutex<Vec<u8>>>,
    echo: bool,
}

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.target
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        if self.echo {
            io::stderr().write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogCapture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> CaptureWriter {
        CaptureWriter {
            target: self.0.clone(),
            echo: std::env::var_os("TEST_LOG").is_some(),
        }
    }
}
