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
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
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
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        line.insert("timestamp".into(), Value::String(timestamp));
        line.insert("level".into(), Value::String(meta.level().to_string()));
        line.insert("target".into(), Value::String(meta.target().to_string()));
        let mut fields = JsonFields(Map::new());
        event.record(&mut fields);
        line.insert("fields".into(), Value::Object(fields.0));
        if let Some(scope) = ctx.event_scope() {
            let mut request_id = None;
            for (depth, span) in scope.enumerate() {
                if depth == 0 {
                    line.insert("span".into(), Value::String(span.name().to_string()));
                }
                if let Some(id) = span.extensions().get::<RequestId>() {
                    request_id = Some(id.0.clone());
                    break;
                }
            }
            let context = opentelemetry::Context::current();
            let span_context = context.span().span_context().clone();
            if span_context.is_valid() {
                line.insert("trace_id".into(), Value::String(span_context.trace_id().to_string()));
                line.insert("span_id".into(), Value::String(span_context.span_id().to_string()));
            }
            if let Some(request_id) = request_id {
                line.insert(REQUEST_ID_FIELD.into(), Value::String(request_id));
            }
        }
        let text = serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
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

/// Event fields as JSON values.
struct JsonFields(Map<String, Value>);

impl Visit for JsonFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().into(), Value::from(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), Value::from(format!("{value:?}")));
    }
}
