//! A batch of finished spans as the bytes of an OTLP `ExportTraceServiceRequest`,
//! written straight from the SDK's [`SpanData`] into one buffer.
//!
//! `opentelemetry-otlp` first builds the request as `opentelemetry-proto` structs (after
//! cloning the whole batch, for retries), copying every name and attribute into new
//! `String`s, and prost then computes the length of each nested message again at every
//! level. Profiled under idsync's load that was about 20,000 instructions per span, most
//! of what exporting every request's spans cost (`docs/benchmarks.md`). Here each
//! string is copied once, into the output; a nested message is written in place and its
//! length put in front of it afterwards.
//!
//! The field numbers are those of `opentelemetry/proto/trace/v1/trace.proto` and
//! `common/v1/common.proto`. The output decodes to exactly what the SDK's own transform
//! produces (`tests` compare the two), including its choices: every span has a `status`,
//! every request one `ResourceSpans`, spans grouped by instrumentation scope in the order
//! the scopes first appear.

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status};
use opentelemetry::{Array, InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};

/// `SpanFlags`: the parent's remoteness is known (bit 8), and is remote (bit 9).
const CONTEXT_HAS_IS_REMOTE: u32 = 0x100;
const CONTEXT_IS_REMOTE: u32 = 0x200;

/// Encodes `batch` for `resource` as an `ExportTraceServiceRequest`, into `out`.
pub(crate) fn export_request(resource: &Resource, batch: &[SpanData], out: &mut Vec<u8>) {
    let mut w = Writer(out);
    // ExportTraceServiceRequest.resource_spans = 1
    w.message(1, |w| {
        // ResourceSpans.resource = 1: Resource.attributes = 1
        w.message(1, |w| {
            for (key, value) in resource.iter() {
                attribute(w, 1, key.as_str(), value);
            }
        });
        let (scopes, scope_of_span) = scopes_in_order(batch);
        for (index, scope) in scopes.iter().enumerate() {
            // ResourceSpans.scope_spans = 2
            w.message(2, |w| {
                w.message(1, |w| instrumentation_scope(w, scope));
                let spans = batch.iter().zip(&scope_of_span).filter(|(_, of)| **of == index);
                for (span, _) in spans {
                    w.message(2, |w| span_message(w, span));
                }
                w.string(3, scope.schema_url().unwrap_or_default());
            });
        }
        w.string(3, resource.schema_url().unwrap_or_default());
    });
}

/// The distinct scopes of `batch`, in the order they first appear, and the index of
/// each span's scope among them: one comparison per span (a process has one or two
/// scopes, so a linear search beats hashing).
fn scopes_in_order(batch: &[SpanData]) -> (Vec<&InstrumentationScope>, Vec<usize>) {
    let mut scopes: Vec<&InstrumentationScope> = Vec::with_capacity(2);
    let mut scope_of_span = Vec::with_capacity(batch.len());
    for span in batch {
        let scope = &span.instrumentation_scope;
        let index = match scopes.iter().position(|known| *known == scope) {
            Some(index) => index,
            None => {
                scopes.push(scope);
                scopes.len() - 1
            }
        };
        scope_of_span.push(index);
    }
    (scopes, scope_of_span)
}

fn instrumentation_scope(w: &mut Writer<'_>, scope: &InstrumentationScope) {
    w.string(1, scope.name());
    w.string(2, scope.version().unwrap_or_default());
    for kv in scope.attributes() {
        attribute(w, 3, kv.key.as_str(), &kv.value);
    }
}

fn span_message(w: &mut Writer<'_>, span: &SpanData) {
    let context = &span.span_context;
    w.bytes(1, &context.trace_id().to_bytes());
    w.bytes(2, &context.span_id().to_bytes());
    w.string(3, &context.trace_state().header());
    if span.parent_span_id != SpanId::INVALID {
        w.bytes(4, &span.parent_span_id.to_bytes());
    }
    w.string(5, &span.name);
    w.varint_field(6, span_kind(&span.span_kind));
    w.fixed64(7, nanos(span.start_time));
    w.fixed64(8, nanos(span.end_time));
    attributes(w, 9, &span.attributes);
    w.varint_field(10, u64::from(span.dropped_attributes_count));
    for event in span.events.iter() {
        w.message(11, |w| {
            w.fixed64(1, nanos(event.timestamp));
            w.string(2, &event.name);
            attributes(w, 3, &event.attributes);
            w.varint_field(4, u64::from(event.dropped_attributes_count));
        });
    }
    w.varint_field(12, u64::from(span.events.dropped_count));
    for link in span.links.iter() {
        w.message(13, |w| {
            let linked = &link.span_context;
            w.bytes(1, &linked.trace_id().to_bytes());
            w.bytes(2, &linked.span_id().to_bytes());
            w.string(3, &linked.trace_state().header());
            attributes(w, 4, &link.attributes);
            w.varint_field(5, u64::from(link.dropped_attributes_count));
            w.fixed32(6, flags(linked, linked.is_remote()));
        });
    }
    w.varint_field(14, u64::from(span.links.dropped_count));
    // Status: message = 2, code = 3 (UNSET 0, OK 1, ERROR 2); always present.
    w.message(15, |w| match &span.status {
        Status::Unset => {}
        Status::Ok => w.varint_field(3, 1),
        Status::Error { description } => {
            w.string(2, description);
            w.varint_field(3, 2);
        }
    });
    w.fixed32(16, flags(context, span.parent_span_is_remote));
}

/// `Span.flags`: the W3C trace flags, and whether the parent is remote.
fn flags(context: &SpanContext, parent_is_remote: bool) -> u32 {
    let remote = if parent_is_remote { CONTEXT_IS_REMOTE } else { 0 };
    u32::from(context.trace_flags().to_u8()) | CONTEXT_HAS_IS_REMOTE | remote
}

/// `Span.SpanKind` numbers.
fn span_kind(kind: &SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn attributes(w: &mut Writer<'_>, field: u32, kvs: &[KeyValue]) {
    for kv in kvs {
        attribute(w, field, kv.key.as_str(), &kv.value);
    }
}

/// A `KeyValue` (key = 1, value = 2) as field `field`. Attributes are most of a span's
/// bytes, and nearly all are scalars whose size is known before writing: those are
/// written front to back, with no length put in afterwards.
fn attribute(w: &mut Writer<'_>, field: u32, key: &str, value: &Value) {
    let Some(value_len) = scalar_len(value) else {
        w.message(field, |w| {
            w.string(1, key);
            w.message(2, |w| any_value(w, value));
        });
        return;
    };
    let key_len = if key.is_empty() {
        0
    } else {
        1 + encoded_len_varint(key.len() as u64) + key.len()
    };
    self::key(field, WireType::LengthDelimited, w.0);
    varint(
        (key_len + 1 + encoded_len_varint(value_len as u64) + value_len) as u64,
        w.0,
    );
    w.string(1, key);
    self::key(2, WireType::LengthDelimited, w.0);
    varint(value_len as u64, w.0);
    any_value(w, value);
}

/// The encoded size of a scalar `AnyValue`; `None` for arrays.
fn scalar_len(value: &Value) -> Option<usize> {
    match value {
        Value::String(s) => Some(1 + encoded_len_varint(s.as_str().len() as u64) + s.as_str().len()),
        Value::Bool(_) => Some(2),
        Value::I64(i) => Some(1 + encoded_len_varint(*i as u64)),
        Value::F64(_) => Some(9),
        _ => None,
    }
}

/// `AnyValue`, a oneof: the variant is written even when it holds its default.
#[inline]
fn any_value(w: &mut Writer<'_>, value: &Value) {
    match value {
        Value::String(s) => w.string_always(1, s.as_str()),
        Value::Bool(b) => w.varint_always(2, u64::from(*b)),
        Value::I64(i) => w.varint_always(3, *i as u64),
        Value::F64(f) => w.fixed64_always(4, f.to_bits()),
        // ArrayValue: values = 1
        Value::Array(array) => w.message(5, |w| match array {
            Array::Bool(values) => values
                .iter()
                .for_each(|b| w.message(1, |w| w.varint_always(2, u64::from(*b)))),
            Array::I64(values) => values
                .iter()
                .for_each(|i| w.message(1, |w| w.varint_always(3, *i as u64))),
            Array::F64(values) => values
                .iter()
                .for_each(|f| w.message(1, |w| w.fixed64_always(4, f.to_bits()))),
            Array::String(values) => values
                .iter()
                .for_each(|s| w.message(1, |w| w.string_always(1, s.as_str()))),
            // A kind of array this version does not know: an empty array.
            _ => {}
        }),
        // A kind of value this version does not know: an empty value. (`scalar_len`
        // sends it through the measured path, which writes no length in advance.)
        _ => {}
    }
}

/// Appends `value` as a varint. Nearly every varint of a span (keys, lengths of names
/// and values, kinds) is below 128: that byte is pushed here, inline, and only longer
/// ones go through prost's general writer (a call per varint was a fifth of the
/// encoder's instructions).
#[inline(always)]
fn varint(value: u64, out: &mut Vec<u8>) {
    if value < 0x80 {
        out.push(value as u8);
    } else {
        encode_varint(value, out);
    }
}

/// Appends the key of field `field` with wire type `wire_type` (one byte for fields
/// below 16, which is every field of a span).
#[inline(always)]
fn key(field: u32, wire_type: WireType, out: &mut Vec<u8>) {
    if field < 16 {
        out.push(((field << 3) | wire_type as u32) as u8);
    } else {
        encode_key(field, wire_type, out);
    }
}

/// Appends protobuf fields to a buffer. Scalar fields holding proto3's default are left
/// out, as every protobuf encoder does; `*_always` writes them (oneof members).
struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn varint_field(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.varint_always(field, value);
        }
    }

    fn varint_always(&mut self, field: u32, value: u64) {
        key(field, WireType::Varint, self.0);
        varint(value, self.0);
    }

    fn fixed64(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.fixed64_always(field, value);
        }
    }

    fn fixed64_always(&mut self, field: u32, value: u64) {
        key(field, WireType::SixtyFourBit, self.0);
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn fixed32(&mut self, field: u32, value: u32) {
        if value != 0 {
            key(field, WireType::ThirtyTwoBit, self.0);
            self.0.extend_from_slice(&value.to_le_bytes());
        }
    }

    fn bytes(&mut self, field: u32, value: &[u8]) {
        if !value.is_empty() {
            self.bytes_always(field, value);
        }
    }

    fn bytes_always(&mut self, field: u32, value: &[u8]) {
        key(field, WireType::LengthDelimited, self.0);
        varint(value.len() as u64, self.0);
        self.0.extend_from_slice(value);
    }

    fn string(&mut self, field: u32, value: &str) {
        self.bytes(field, value.as_bytes());
    }

    fn string_always(&mut self, field: u32, value: &str) {
        self.bytes_always(field, value.as_bytes());
    }

    /// A nested message (always written, even empty): its fields are written where they
    /// belong, then its key and length are inserted in front of them.
    fn message(&mut self, field: u32, write: impl FnOnce(&mut Writer<'_>)) {
        let start = self.0.len();
        write(&mut Writer(self.0));
        let len = self.0.len() - start;
        // Key (at most 5 bytes) and length (at most 10), written on the stack.
        let mut head = [0u8; 15];
        let mut free: &mut [u8] = &mut head;
        encode_key(field, WireType::LengthDelimited, &mut free);
        encode_varint(len as u64, &mut free);
        let written = 15 - free.len();
        self.0.splice(start..start, head[..written].iter().copied());
    }
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;
