//! The last line of defence against a bug: a panic while serving a request is caught by
//! the transport (HTTP or gRPC), answered as a 500, logged once with its message and
//! counted in `idsync.panics` (`idsync_panics_total` in Prometheus), by `layer`. Any
//! non-zero value of it is a bug to fix.

use std::any::Any;

use opentelemetry::KeyValue;

use crate::metrics::meter;

/// `idsync.panics`: requests whose handling panicked, by `layer` (`http` or `grpc`).
pub const PANICS: &str = "idsync.panics";

/// Logs a caught panic with its message and counts it under `layer`.
pub fn record_panic(layer: &'static str, panic: &(dyn Any + Send)) {
    tracing::error!(layer, panic = panic_message(panic), "a request panicked; answered 500");
    meter()
        .u64_counter(PANICS)
        .with_description("Requests whose handling panicked (caught and answered 500).")
        .build()
        .add(1, &[KeyValue::new("layer", layer)]);
}

/// The text a panic was raised with, when it was a string.
pub fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_read_from_str_and_string_panics() {
        let caught = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert_eq!(panic_message(caught.as_ref()), "boom 1");
        let caught = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        assert_eq!(panic_message(caught.as_ref()), "plain");
        let caught = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
        assert_eq!(panic_message(caught.as_ref()), "(no message)");
    }
}
