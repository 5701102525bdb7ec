//! [`TelemetryConfig`]: what to export and where, read from the standard `OTEL_*`
//! variables of the OpenTelemetry specification.
//!
//! The variables are read through a lookup function rather than from the process
//! environment directly, so the binary decides where they come from and tests configure
//! a pipeline without touching the environment. The metric exporter reads its own
//! headers (`OTEL_EXPORTER_OTLP_METRICS_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS`) itself.
//! Export is never compressed: a `…_COMPRESSION` other than `none` is refused.

use std::time::Duration;

use opentelemetry::KeyValue;

/// The wire format of OTLP export (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// `grpc`: OTLP over gRPC (default port 4317).
    Grpc,
    /// `http/protobuf`: OTLP over HTTP with protobuf bodies (default port 4318).
    HttpProtobuf,
}

/// How traces are sampled (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SamplerConfig {
    /// `always_on`
    AlwaysOn,
    /// `always_off`
    AlwaysOff,
    /// `traceidratio` with the ratio in `[0, 1]`.
    Ratio(f64),
    /// `parentbased_always_on` (the default): follow the caller, sample new traces.
    ParentBasedAlwaysOn,
    /// `parentbased_always_off`: follow the caller, never start a sampled trace.
    ParentBasedAlwaysOff,
    /// `parentbased_traceidratio`: follow the caller, sample this share of new traces.
    ParentBasedRatio(f64),
}

/// Where OTLP data goes. Endpoints are complete URLs, per signal.
#[derive(Debug, Clone, PartialEq)]
pub struct OtlpConfig {
    /// gRPC or HTTP/protobuf.
    pub protocol: OtlpProtocol,
    /// Spans go here; `None` exports no spans.
    pub traces_endpoint: Option<String>,
    /// Metrics go here; `None` exports no metrics over OTLP (`/metrics` still works).
    pub metrics_endpoint: Option<String>,
    /// How long one export may take (`OTEL_EXPORTER_OTLP_TIMEOUT`, milliseconds).
    pub timeout: Duration,
    /// How often metrics are pushed (`OTEL_METRIC_EXPORT_INTERVAL`, milliseconds).
    pub metric_export_interval: Duration,
    /// Headers sent with every span export (`OTEL_EXPORTER_OTLP_TRACES_HEADERS`, else
    /// `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` pairs, values percent-encoded).
    pub traces_headers: Vec<(String, String)>,
}

/// The whole telemetry configuration of one process.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetryConfig {
    /// `OTEL_SDK_DISABLED=true`: no OpenTelemetry at all (no trace ids in logs, no
    /// metrics on `/metrics`); logs still go to stderr.
    pub sdk_disabled: bool,
    /// `service.name` of the resource.
    pub service_name: String,
    /// Further resource attributes (`OTEL_RESOURCE_ATTRIBUTES`).
    pub resource_attributes: Vec<KeyValue>,
    /// The trace sampler.
    pub sampler: SamplerConfig,
    /// `None` when no endpoint is configured: nothing is exported.
    pub otlp: Option<OtlpConfig>,
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    variable: &'static str,
    problem: String,
}

fn invalid(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

impl TelemetryConfig {
    /// Nothing exported; `service_name` names the process in logs and `/metrics`.
    pub fn local(service_name: impl Into<String>) -> Self {
        TelemetryConfig {
            sdk_disabled: false,
            service_name: service_name.into(),
            resource_attributes: Vec::new(),
            sampler: SamplerConfig::ParentBasedAlwaysOn,
            otlp: None,
        }
    }

    /// Reads the `OTEL_*` variables through `lookup` (e.g. `|k| std::env::var(k).ok()`).
    /// `default_service_name` applies when neither `OTEL_SERVICE_NAME` nor a
    /// `service.name` in `OTEL_RESOURCE_ATTRIBUTES` names the service.
    pub fn from_lookup(
        default_service_name: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let sdk_disabled = match get("OTEL_SDK_DISABLED").map(|v| v.to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "true" => true,
            Some(v) if v == "false" => false,
            Some(v) => {
                return Err(invalid(
                    "OTEL_SDK_DISABLED",
                    format!("expected true or false, got {v:?}"),
                ));
            }
        };
        let mut resource_attributes = match get("OTEL_RESOURCE_ATTRIBUTES") {
            Some(text) => parse_resource_attributes(&text)?,
            None => Vec::new(),
        };
        let from_attributes = resource_attributes
            .iter()
            .position(|kv| kv.key.as_str() == "service.name")
            .map(|i| resource_attributes.remove(i).value.to_string());
        let service_name = get("OTEL_SERVICE_NAME")
            .or(from_attributes)
            .unwrap_or_else(|| default_service_name.to_string());
        let sampler = parse_sampler(get("OTEL_TRACES_SAMPLER"), get("OTEL_TRACES_SAMPLER_ARG"))?;
        Ok(TelemetryConfig {
            sdk_disabled,
            service_name,
            resource_attributes,
            sampler,
            otlp: parse_otlp(&get)?,
        })
    }
}

fn parse_otlp(get: &impl Fn(&str) -> Option<String>) -> Result<Option<OtlpConfig>, ConfigError> {
    let protocol = match get("OTEL_EXPORTER_OTLP_PROTOCOL").as_deref() {
        None | Some("grpc") => OtlpProtocol::Grpc,
        Some("http/protobuf") => OtlpProtocol::HttpProtobuf,
        Some(other) => {
            return Err(invalid(
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                format!("expected grpc or http/protobuf, got {other:?}"),
            ));
        }
    };
    let base = get("OTEL_EXPORTER_OTLP_ENDPOINT");
    // Per the specification, a per-signal endpoint is used as is, while the shared one
    // gets the signal's path appended for HTTP (gRPC routes by service name instead).
    let endpoint = |signal_var: &str, path: &str| {
        get(signal_var).or_else(|| {
            base.as_deref().map(|b| match protocol {
                OtlpProtocol::Grpc => b.to_string(),
                OtlpProtocol::HttpProtobuf => format!("{}/{path}", b.trim_end_matches('/')),
            })
        })
    };
    for variable in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ] {
        if let Some(url) = get(variable)
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(invalid(
                variable,
                format!("{url:?} must start with http:// or https://"),
            ));
        }
    }
    for variable in [
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
    ] {
        if let Some(value) = get(variable)
            && value != "none"
        {
            return Err(invalid(
                variable,
                format!("{value:?} is not supported; idsync exports uncompressed (none)"),
            ));
        }
    }
    let headers_variable = ["OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"]
        .into_iter()
        .find_map(|variable| Some((variable, get(variable)?)));
    let traces_headers = match headers_variable {
        Some((variable, text)) => parse_headers(variable, &text)?,
        None => Vec::new(),
    };
    let traces_endpoint = endpoint("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "v1/traces");
    let metrics_endpoint = endpoint("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "v1/metrics");
    if traces_endpoint.is_none() && metrics_endpoint.is_none() {
        return Ok(None);
    }
    Ok(Some(OtlpConfig {
        protocol,
        traces_endpoint,
        metrics_endpoint,
        timeout: millis(get, "OTEL_EXPORTER_OTLP_TIMEOUT", 10_000)?,
        metric_export_interval: millis(get, "OTEL_METRIC_EXPORT_INTERVAL", 60_000)?,
        traces_headers,
    }))
}

fn millis(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u64,
) -> Result<Duration, ConfigError> {
    match get(variable) {
        None => Ok(Duration::from_millis(default)),
        Some(v) => match v.parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => Err(invalid(
                variable,
                format!("expected a positive number of milliseconds, got {v:?}"),
            )),
        },
    }
}

fn parse_sampler(name: Option<String>, arg: Option<String>) -> Result<SamplerConfig, ConfigError> {
    let ratio = || -> Result<f64, ConfigError> {
        match &arg {
            None => Ok(1.0),
            Some(a) => match a.parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
                _ => Err(invalid(
                    "OTEL_TRACES_SAMPLER_ARG",
                    format!("expected a ratio in [0, 1], got {a:?}"),
                )),
            },
        }
    };
    Ok(match name.as_deref() {
        None | Some("parentbased_always_on") => SamplerConfig::ParentBasedAlwaysOn,
        Some("always_on") => SamplerConfig::AlwaysOn,
        Some("always_off") => SamplerConfig::AlwaysOff,
        Some("traceidratio") => SamplerConfig::Ratio(ratio()?),
        Some("parentbased_always_off") => SamplerConfig::ParentBasedAlwaysOff,
        Some("parentbased_traceidratio") => SamplerConfig::ParentBasedRatio(ratio()?),
        Some(other) => return Err(invalid("OTEL_TRACES_SAMPLER", format!("unsupported sampler {other:?}"))),
    })
}

/// `key1=value1,key2=value2` with percent-encoded values (W3C Baggage octets).
fn parse_resource_attributes(text: &str) -> Result<Vec<KeyValue>, ConfigError> {
    let mut out = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(invalid(
                "OTEL_RESOURCE_ATTRIBUTES",
                format!("{pair:?} is not key=value"),
            ));
        };
        let value = percent_decode(value.trim())
            .ok_or_else(|| invalid("OTEL_RESOURCE_ATTRIBUTES", format!("bad percent-encoding in {pair:?}")))?;
        out.push(KeyValue::new(key.trim().to_string(), value));
    }
    Ok(out)
}

/// `key1=value1,key2=value2` with percent-encoded values: OTLP export headers.
fn parse_headers(variable: &'static str, text: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let mut out = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let parsed = pair
            .split_once('=')
            .and_then(|(key, value)| Some((key.trim(), percent_decode(value.trim())?)))
            .filter(|(key, _)| !key.is_empty());
        let Some((key, value)) = parsed else {
            return Err(invalid(
                variable,
                "expected key=value pairs with percent-encoded values",
            ));
        };
        out.push((key.to_owned(), value));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<TelemetryConfig, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TelemetryConfig::from_lookup("idsync", |k| vars.get(k).cloned())
    }

    #[test]
    fn without_an_endpoint_nothing_is_exported() {
        let c = config(&[]).unwrap();
        assert_eq!(c.otlp, None);
        assert_eq!(c.service_name, "idsync");
        assert_eq!(c.sampler, SamplerConfig::ParentBasedAlwaysOn);
        assert!(!c.sdk_disabled);
    }

    #[test]
    fn the_shared_http_endpoint_gets_each_signals_path() {
        let c = config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "15000"),
        ])
        .unwrap();
        let otlp = c.otlp.unwrap();
        assert_eq!(otlp.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(otlp.traces_endpoint.as_deref(), Some("http://collector:4318/v1/traces"));
        assert_eq!(
            otlp.metrics_endpoint.as_deref(),
            Some("http://collector:4318/v1/metrics")
        );
        assert_eq!(otlp.metric_export_interval, Duration::from_secs(15));
    }

    #[test]
    fn span_export_headers_are_read_and_the_traces_ones_win() {
        let otlp = |vars: &[(&str, &str)]| {
            let mut all = vec![("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")];
            all.extend_from_slice(vars);
            config(&all).map(|c| c.otlp.unwrap().traces_headers)
        };
        assert_eq!(otlp(&[]).unwrap(), Vec::<(String, String)>::new());
        assert_eq!(
            otlp(&[("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=abc%20def, team = idsync")]).unwrap(),
            [
                ("x-api-key".to_owned(), "abc def".to_owned()),
                ("team".to_owned(), "idsync".to_owned())
            ]
        );
        assert_eq!(
            otlp(&[
                ("OTEL_EXPORTER_OTLP_HEADERS", "a=1"),
                ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2"),
            ])
            .unwrap(),
            [("b".to_owned(), "2".to_owned())]
        );
        let error = otlp(&[("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "no-equals-sign")]).unwrap_err();
        assert_eq!(error.variable, "OTEL_EXPORTER_OTLP_TRACES_HEADERS");
    }

    #[test]
    fn compressed_export_is_refused_by_name() {
        let error = config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "OTEL_EXPORTER_OTLP_COMPRESSION");
        assert!(
            config(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
                ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"),
            ])
            .is_ok()
        );
    }

    #[test]
    fn grpc_endpoints_are_used_as_given_and_per_signal_ones_win() {
        let c = config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "https://metrics:4317"),
        ])
        .unwrap();
        let otlp = c.otlp.unwrap();
        assert_eq!(otlp.protocol, OtlpProtocol::Grpc);
        assert_eq!(otlp.traces_endpoint.as_deref(), Some("http://collector:4317"));
        assert_eq!(otlp.metrics_endpoint.as_deref(), Some("https://metrics:4317"));
    }

    #[test]
    fn service_name_and_resource_attributes_are_read() {
        let c = config(&[(
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=from-attrs, deployment.environment=prod,team=id%20sync",
        )])
        .unwrap();
        assert_eq!(c.service_name, "from-attrs");
        assert_eq!(
            c.resource_attributes,
            vec![
                KeyValue::new("deployment.environment", "prod"),
                KeyValue::new("team", "id sync")
            ]
        );
        let c = config(&[
            ("OTEL_SERVICE_NAME", "explicit"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"),
        ])
        .unwrap();
        assert_eq!(c.service_name, "explicit");
    }

    #[test]
    fn samplers_are_read_with_their_ratio() {
        let c = config(&[
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ])
        .unwrap();
        assert_eq!(c.sampler, SamplerConfig::ParentBasedRatio(0.25));
        assert_eq!(
            config(&[("OTEL_TRACES_SAMPLER", "always_off")]).unwrap().sampler,
            SamplerConfig::AlwaysOff
        );
    }

    #[test]
    fn unusable_values_are_refused_with_the_variable_named() {
        for (var, value) in [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_TRACES_SAMPLER", "jaeger_remote"),
            ("OTEL_SDK_DISABLED", "yes"),
            ("OTEL_RESOURCE_ATTRIBUTES", "novalue"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
        ] {
            let err = config(&[(var, value)]).unwrap_err();
            assert!(
                err.to_string().contains(var.trim_start_matches("OTEL_")),
                "{var}: {err}"
            );
        }
        let err = config(&[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "2"),
        ])
        .unwrap_err();
        assert!(err.to_string().starts_with("OTEL_TRACES_SAMPLER_ARG"));
    }

    #[test]
    fn the_sdk_can_be_disabled() {
        assert!(config(&[("OTEL_SDK_DISABLED", "TRUE")]).unwrap().sdk_disabled);
    }
}
