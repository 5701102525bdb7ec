use std::io;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

use super::{JsonLines, NoSpanFields, RequestIdLayer};

/// Captures what the JSON layer writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The lines written while `emit` runs, each parsed as JSON.
fn lines(emit: impl FnOnce()) -> Vec<Value> {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = Registry::default().with(RequestIdLayer).with(
        tracing_subscriber::fmt::layer()
            .event_format(JsonLines)
            .fmt_fields(NoSpanFields)
            .with_writer(move || writer.clone())
            .with_filter(tracing_subscriber::filter::LevelFilter::TRACE),
    );
    tracing::subscriber::with_default(subscriber, emit);
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}")))
        .collect()
}

#[test]
fn every_kind_of_field_is_one_valid_json_line() {
    let lines = lines(|| {
        tracing::warn!(
            status = 503_u64,
            delta = -2_i64,
            ratio = 0.5_f64,
            nan = f64::NAN,
            retried = true,
            text = "quote \" backslash \\ newline \n tab \t nul \u{0} ünï ✓",
            debug = ?Some("x"),
            "request finished"
        );
    });
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["target"], module_path!());
    assert_eq!(
        line["fields"],
        json!({
            "message": "request finished",
            "status": 503,
            "delta": -2,
            "ratio": 0.5,
            "nan": null,
            "retried": true,
            "text": "quote \" backslash \\ newline \n tab \t nul \u{0} ünï ✓",
            "debug": "Some(\"x\")",
        })
    );
    let timestamp = line["timestamp"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(timestamp).is_ok() && timestamp.ends_with('Z') && timestamp.len() == 27,
        "RFC 3339, UTC, microseconds: {timestamp}"
    );
    assert!(line.get("span").is_none() && line.get("trace_id").is_none());
}

#[test]
fn a_line_inside_a_request_names_its_span_and_request_id() {
    let lines = lines(|| {
        let request = tracing::info_span!("http", request_id = "req-\"1\"");
        let _request = request.enter();
        let inner = tracing::info_span!("db");
        let _inner = inner.enter();
        tracing::info!("inside");
    });
    assert_eq!(lines[0]["span"], "db", "the innermost span");
    assert_eq!(
        lines[0]["request_id"], "req-\"1\"",
        "from the nearest span that has one"
    );
    assert_eq!(lines[0]["fields"], json!({"message": "inside"}));
    assert!(lines[0].get("trace_id").is_none(), "no OpenTelemetry context here");
}
