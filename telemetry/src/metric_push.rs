//! One metric pipeline behind both of the process's metric outputs: `GET /metrics`
//! (Prometheus, pulled) and OTLP (pushed every `metric_export_interval`).
//!
//! The SDK aggregates every measurement once per registered reader. With Prometheus's
//! reader and a `PeriodicReader` side by side, each `add` and `record` looked up and
//! hashed its attributes twice: under idsync's load that second pipeline was about a
//! third of what telemetry cost (`docs/benchmarks.md`, 2026-12-03). So only
//! [`SharedReader`] is registered. It is Prometheus's reader; its pusher collects from
//! that same reader on a thread of its own and hands the result to the OTLP exporter.
//! Both outputs are cumulative (Prometheus can only be), so reading one aggregation
//! twice gives each of them what it would have had alone.

use std::fmt;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use opentelemetry_otlp::MetricExporter;
use opentelemetry_prometheus::PrometheusExporter;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{InstrumentKind, Pipeline, Temporality};
use tokio::runtime::Handle;

/// How long [`MetricReader::force_flush`] waits for the pusher at most.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// The process's one metric reader: Prometheus's, plus an OTLP pusher when metrics are
/// exported.
#[derive(Debug)]
pub(crate) struct SharedReader {
    prometheus: Arc<PrometheusExporter>,
    pusher: Option<Pusher>,
}

impl SharedReader {
    /// A reader read only by `/metrics` scrapes.
    pub(crate) fn pull_only(prometheus: PrometheusExporter) -> Self {
        SharedReader {
            prometheus: Arc::new(prometheus),
            pusher: None,
        }
    }

    /// A reader that also pushes to `exporter` every `interval`, on a thread named
    /// `idsync-metric-push`, running the export on `runtime`.
    pub(crate) fn pushing(
        prometheus: PrometheusExporter,
        exporter: MetricExporter,
        interval: Duration,
        runtime: Handle,
    ) -> std::io::Result<Self> {
        let prometheus = Arc::new(prometheus);
        let pusher = Pusher::start(
            Push {
                source: prometheus.clone(),
                exporter,
                runtime,
            },
            interval,
        )?;
        Ok(SharedReader {
            prometheus,
            pusher: Some(pusher),
        })
    }
}

impl MetricReader for SharedReader {
    fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
        self.prometheus.register_pipeline(pipeline);
    }

    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.prometheus.collect(rm)
    }

    /// Pushes what has been aggregated so far and waits for the export.
    fn force_flush(&self) -> OTelSdkResult {
        match &self.pusher {
            Some(pusher) => pusher.ask(Message::Flush, FLUSH_TIMEOUT),
            None => Ok(()),
        }
    }

    /// Pushes one last time, stops the pusher and its exporter, then the reader.
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let pushed = match &self.pusher {
            Some(pusher) => pusher.stop(timeout),
            None => Ok(()),
        };
        let stopped = self.prometheus.shutdown_with_timeout(timeout);
        pushed.and(stopped)
    }

    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.prometheus.temporality(kind)
    }
}

/// A request to the pusher's thread; it answers on the sender.
enum Message {
    Flush(mpsc::Sender<OTelSdkResult>),
    Shutdown(Duration, mpsc::Sender<OTelSdkResult>),
}

/// The thread that pushes, and the way to reach it.
struct Pusher {
    messages: Mutex<Option<mpsc::Sender<Message>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for Pusher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pusher").finish_non_exhaustive()
    }
}

impl Pusher {
    fn start(push: Push, interval: Duration) -> std::io::Result<Self> {
        let (messages, inbox) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("idsync-metric-push".into())
            .spawn(move || push.run(&inbox, interval))?;
        Ok(Pusher {
            messages: Mutex::new(Some(messages)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Sends a message built around a reply channel and waits up to `timeout` for
    /// the answer.
    fn ask(&self, message: impl FnOnce(mpsc::Sender<OTelSdkResult>) -> Message, timeout: Duration) -> OTelSdkResult {
        let (reply, answer) = mpsc::channel();
        let sent = lock(&self.messages)
            .as_ref()
            .is_some_and(|messages| messages.send(message(reply)).is_ok());
        if !sent {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        match answer.recv_timeout(timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(OTelSdkError::Timeout(timeout)),
            Err(RecvTimeoutError::Disconnected) => Err(OTelSdkError::InternalFailure(
                "the metric push thread ended without answering".into(),
            )),
        }
    }

    /// The last push and the exporter's shutdown; then the thread is joined.
    fn stop(&self, timeout: Duration) -> OTelSdkResult {
        let result = self.ask(|reply| Message::Shutdown(timeout, reply), timeout);
        lock(&self.messages).take();
        if let Some(thread) = lock(&self.thread).take()
            && result.is_ok()
            && thread.join().is_err()
        {
            return Err(OTelSdkError::InternalFailure("the metric push thread panicked".into()));
        }
        result
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the pusher's thread owns.
struct Push {
    source: Arc<PrometheusExporter>,
    exporter: MetricExporter,
    runtime: Handle,
}

impl Push {
    /// Pushes every `interval`, and whenever asked, until told to stop or until every
    /// sender is gone.
    fn run(self, inbox: &mpsc::Receiver<Message>, interval: Duration) {
        let mut due = Instant::now() + interval;
        loop {
            match inbox.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(Message::Flush(reply)) => {
                    let _ = reply.send(self.push());
                }
                Ok(Message::Shutdown(timeout, reply)) => {
                    let pushed = self.push();
                    let stopped = self.exporter.shutdown_with_timeout(timeout);
                    let _ = reply.send(pushed.and(stopped));
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(error) = self.push() {
                        tracing::warn!(%error, "exporting metrics failed");
                    }
                    due = Instant::now() + interval;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// One collection from the shared aggregation, exported.
    fn push(&self) -> OTelSdkResult {
        let mut metrics = ResourceMetrics::default();
        self.source.collect(&mut metrics)?;
        self.runtime.block_on(self.exporter.export(&metrics))
    }
}

#[cfg(test)]
#[path = "metric_push_tests.rs"]
mod tests;
