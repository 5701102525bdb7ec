//! Structured log lines: one JSON object per event, carrying the trace id, span id and
//! request id of the request it belongs to.
//!
//! ```json
//! {"timestamp":"2025-01-01T12:00:00.000000Z","level":"INFO","target":"idsync_telemetry::http",
//!  "fields":{"message":"request finished","status":200},"span":"PATCH /scim/v2/Users/{id}",
//!  "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","request_id":"…"}
//! ```
//!
//! The ids come from the OpenTelemetry context that `tracing-opentelemetry` attaches
//! while a span is entered; the request id from the nearest enclosing span with a
//! `request_id` field ([`RequestIdLayer`] remembers it). Only event fields are written,
//! never span fields, so what a span records for tracing does not leak into logs.

use std::fmt;

use opentelemetry::trace::TraceContextExt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The name of the span field that carries the request id (`x-request-id`).
pub const REQUEST_ID_FIELD: &str = "request_id";

/// The request id of a span, kept in its extensions.
struct RequestId(String);

/// Remembers the `request_id` field of spans so that log lines can name it.
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut found = FindRequestId(None);
        attrs.record(&mut found);
        if let (Some(request_id), Some(span)) = (found.0, ctx.span(id)) {
            span.extensions_mut().insert(RequestId(request_id));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut found = FindRequestId(None);
        values.record(&mut found);
        if let (Some(request_id), Some(span)) = (found.0, ctx.span(id)) {
            span.extensions_mut().replace(RequestId(request_id));
        }
    }
}

struct FindRequestId(Option<String>);

impl Visit for FindRequestId {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == REQUEST_ID_FIELD && !value.is_empty() {
            self.0 = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == REQUEST_ID_FIELD {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

/// Formats events as single-line JSON objects with trace, span and request ids.
///
/// The line is written front to back into one buffer, each string escaped by
/// `serde_json` as it goes: building a `serde_json::Value` map per line and serializing
/// it cost about 25,000 instructions per line, a twentieth of a request's whole CPU.
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Line(Vec::with_capacity(512));
        line.raw("{\"timestamp\":\"");
        line.raw(&chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        line.raw("\",\"level\":\"");
        line.raw(meta.level().as_str());
        line.raw("\",\"target\":");
        line.string(meta.target());
        line.raw(",\"fields\":{");
        event.record(&mut JsonFields {
            line: &mut line,
            first: true,
        });
        line.raw("}");
        if let Some(scope) = ctx.event_scope() {
            let mut request_id = None;
            for (depth, span) in scope.enumerate() {
                if depth == 0 {
                    line.raw(",\"span\":");
                    line.string(span.name());
                }
                if let Some(id) = span.extensions().get::<RequestId>() {
                    request_id = Some(id.0.clone());
                    break;
                }
            }
            let context = opentelemetry::Context::current();
            let span = context.span();
            let span_context = span.span_context();
            if span_context.is_valid() {
                line.raw(",\"trace_id\":\"");
                line.hex(&span_context.trace_id().to_bytes());
                line.raw("\",\"span_id\":\"");
                line.hex(&span_context.span_id().to_bytes());
                line.raw("\"");
            }
            if let Some(request_id) = request_id {
                line.raw(",\"");
                line.raw(REQUEST_ID_FIELD);
                line.raw("\":");
                line.string(&request_id);
            }
        }
        line.raw("}");
        let text = String::from_utf8(line.0).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// A JSON line being written.
struct Line(Vec<u8>);

impl Line {
    /// Appends `text` as it is: JSON syntax, or text known to need no escaping.
    fn raw(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    /// Appends any serializable value as JSON (a string quoted and escaped; a
    /// non-finite number as `null`).
    fn value<T: serde::Serialize + ?Sized>(&mut self, value: &T) {
        if serde_json::to_writer(&mut self.0, value).is_err() {
            self.raw("null");
        }
    }

    fn string(&mut self, text: &str) {
        self.value(text);
    }

    /// Appends `value`'s `Debug` text as a JSON string, escaped as it is formatted.
    fn debug(&mut self, value: &dyn fmt::Debug) {
        use serde::Serializer as _;
        let mut serializer = serde_json::Serializer::new(&mut self.0);
        if serializer.collect_str(&format_args!("{value:?}")).is_err() {
            self.raw("null");
        }
    }

    /// Appends `bytes` as lowercase hex digits (W3C trace and span ids).
    fn hex(&mut self, bytes: &[u8]) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for byte in bytes {
            self.0.push(DIGITS[usize::from(byte >> 4)]);
            self.0.push(DIGITS[usize::from(byte & 0x0f)]);
        }
    }
}

/// The span-field formatter of the JSON log layer: writes nothing.
///
/// [`JsonLines`] writes event fields only, never span fields, so formatting every
/// span's fields when it opens (what the default formatter does, for every span of
/// every request, whether or not a line is ever logged inside it) is work thrown away.
pub struct NoSpanFields;

impl<'writer> FormatFields<'writer> for NoSpanFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(&self, _: Writer<'writer>, _: R) -> fmt::Result {
        Ok(())
    }

    fn add_fields(
        &self,
        _: &'writer mut tracing_subscriber::fmt::FormattedFields<Self>,
        _: &Record<'_>,
    ) -> fmt::Result {
        Ok(())
    }
}

/// Event fields as the members of a JSON object, in the order they are recorded.
struct JsonFields<'a> {
    line: &'a mut Line,
    first: bool,
}

impl JsonFields<'_> {
    /// Writes `"name":` (after a comma when a member came before).
    fn name(&mut self, field: &Field) {
        if !self.first {
            self.line.raw(",");
        }
        self.first = false;
        self.line.string(field.name());
        self.line.raw(":");
    }

    fn member<T: serde::Serialize + ?Sized>(&mut self, field: &Field, value: &T) {
        self.name(field);
        self.line.value(value);
    }
}

impl Visit for JsonFields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.member(field, &value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, &value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, &value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, &value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.member(field, value);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.member(field, &value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.name(field);
        self.line.debug(value);
    }
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
