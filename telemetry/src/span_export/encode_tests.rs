use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use prost::Message;

use super::export_request;

fn context(trace: u128, span: u64, remote: bool, state: &str) -> SpanContext {
    SpanContext::new(
        TraceId::from(trace),
        SpanId::from(span),
        TraceFlags::SAMPLED,
        remote,
        TraceState::from_key_value([("vendor", state)]).unwrap_or_default(),
    )
}

fn span(name: &'static str, scope: &InstrumentationScope, kind: SpanKind, status: Status) -> SpanData {
    let start = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_764_000_000_123_456_789);
    SpanData {
        span_context: context(
            0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c,
            0xb7ad_6b71_6920_3331,
            false,
            "",
        ),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: kind,
        name: Cow::Borrowed(name),
        start_time: start,
        end_time: start + Duration::from_micros(1234),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status,
        instrumentation_scope: scope.clone(),
    }
}

/// Every kind of value, including each one holding its default.
fn every_value() -> Vec<KeyValue> {
    vec![
        KeyValue::new("http.route", "/scim/v2/Users/{id}"),
        KeyValue::new("empty", ""),
        KeyValue::new("owned", String::from("ünïcødé ✓")),
        KeyValue::new("status", 200_i64),
        KeyValue::new("negative", -42_i64),
        KeyValue::new("zero", 0_i64),
        KeyValue::new("flag", true),
        KeyValue::new("off", false),
        KeyValue::new("ratio", 0.25_f64),
        KeyValue::new("nought", 0.0_f64),
        KeyValue::new("bools", Value::Array(Array::Bool(vec![true, false]))),
        KeyValue::new("ints", Value::Array(Array::I64(vec![0, 7, -1]))),
        KeyValue::new("floats", Value::Array(Array::F64(vec![1.5, 0.0]))),
        KeyValue::new(
            "strings",
            Value::Array(Array::String(vec![StringValue::from("a"), StringValue::from("")])),
        ),
        KeyValue::new("none", Value::Array(Array::String(Vec::new()))),
    ]
}

/// A batch with everything a span can hold: two scopes interleaved, remote and local
/// parents, trace state, events, links, dropped counts and each status.
fn rich_batch() -> Vec<SpanData> {
    let idsync = InstrumentationScope::builder("idsync").build();
    let versioned = InstrumentationScope::builder("other")
        .with_version("1.2.3")
        .with_schema_url("https://opentelemetry.io/schemas/1.30.0")
        .with_attributes([KeyValue::new("scope.attr", "x")])
        .build();

    let mut server = span("PATCH /scim/v2/Users/{id}", &idsync, SpanKind::Server, Status::Unset);
    server.parent_span_id = SpanId::from(0x00f0_67aa_0ba9_02b7);
    server.parent_span_is_remote = true;
    server.span_context = context(7, 8, false, "t61rcWkgMzE");
    server.attributes = every_value();
    server.dropped_attributes_count = 3;

    let mut failed = span(
        "idsync.v1.Users/PatchUser",
        &versioned,
        SpanKind::Client,
        Status::error("core unreachable"),
    );
    failed.parent_span_id = SpanId::from(8);
    failed.events.events.push(Event::new(
        "exception",
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_001),
        vec![KeyValue::new("exception.message", "boom")],
        2,
    ));
    failed.events.events.push(Event::with_name("bare"));
    failed.events.dropped_count = 4;
    failed.links.links.push(Link::new(
        context(9, 10, true, "00f067aa0ba902b7"),
        vec![KeyValue::new("link.kind", "follows")],
        1,
    ));
    failed.links.dropped_count = 5;

    vec![
        server,
        failed,
        span("SELECT users", &idsync, SpanKind::Client, Status::Ok),
        span("internal", &versioned, SpanKind::Internal, Status::Unset),
        span("produce", &idsync, SpanKind::Producer, Status::Unset),
        span("consume", &idsync, SpanKind::Consumer, Status::Unset),
    ]
}

fn resource() -> Resource {
    Resource::builder_empty()
        .with_service_name("idsync")
        .with_attributes([
            KeyValue::new("service.version", "0.1.0"),
            KeyValue::new("deployment.environment.name", "test"),
        ])
        .with_schema_url(Vec::<KeyValue>::new(), "https://opentelemetry.io/schemas/1.30.0")
        .build()
}

/// What `opentelemetry-otlp` sends for `batch`.
fn reference(resource: &Resource, batch: Vec<SpanData>) -> ExportTraceServiceRequest {
    let resource = ResourceAttributesWithSchema::from(resource);
    ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(batch, &resource),
    }
}

fn ours(resource: &Resource, batch: &[SpanData]) -> ExportTraceServiceRequest {
    let mut bytes = Vec::new();
    export_request(resource, batch, &mut bytes);
    ExportTraceServiceRequest::decode(bytes.as_slice()).expect("our bytes decode as an OTLP request")
}

#[test]
fn a_rich_batch_decodes_to_what_the_sdk_transform_builds() {
    let resource = resource();
    let batch = rich_batch();
    let ours = ours(&resource, &batch);
    assert_eq!(ours, reference(&resource, batch));
    let scopes: Vec<_> = ours.resource_spans[0]
        .scope_spans
        .iter()
        .map(|s| (s.scope.as_ref().map(|s| s.name.as_str()), s.spans.len()))
        .collect();
    assert_eq!(
        scopes,
        [(Some("idsync"), 4), (Some("other"), 2)],
        "grouped by scope, in order of appearance"
    );
}

#[test]
fn an_empty_batch_and_an_empty_resource_match_too() {
    let empty = Resource::builder_empty().build();
    assert_eq!(ours(&empty, &[]), reference(&empty, Vec::new()));
    let batch = rich_batch();
    assert_eq!(ours(&empty, &batch), reference(&empty, batch));
}

#[test]
fn the_bytes_are_the_canonical_encoding() {
    // Re-encoding what we sent gives the same bytes: no padded varints, no default
    // scalars written, lengths exact.
    let resource = resource();
    let batch = vec![span(
        "SELECT users",
        &InstrumentationScope::builder("idsync").build(),
        SpanKind::Client,
        Status::Unset,
    )];
    let mut bytes = Vec::new();
    export_request(&resource, &batch, &mut bytes);
    let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
    assert_eq!(decoded.encode_to_vec(), bytes);
}

#[test]
fn lengths_of_every_size_are_canonical_and_decode_to_the_sdk_transform() {
    // A nested message's length is put in front of its fields once they are written;
    // these sizes need one, two, three and four bytes for it: spans under 128 bytes,
    // under 16 KiB and over it, and a batch over 2 MiB.
    let resource = resource();
    let scope = InstrumentationScope::builder("idsync").build();
    let batch: Vec<SpanData> = [0, 60, 200, 20_000, 3_000_000]
        .into_iter()
        .map(|size| {
            let mut span = span("s", &scope, SpanKind::Server, Status::Unset);
            if size > 0 {
                span.attributes.push(KeyValue::new("padding", "x".repeat(size)));
            }
            span
        })
        .collect();
    for cut in 1..=batch.len() {
        let part = &batch[..cut];
        let mut bytes = Vec::new();
        export_request(&resource, part, &mut bytes);
        let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
        assert_eq!(decoded.encode_to_vec(), bytes, "{cut} span(s)");
        assert_eq!(decoded, reference(&resource, part.to_vec()), "{cut} span(s)");
    }
}
