//! PATCH paths (RFC 7644 §3.5.2) and attribute paths (RFC 7643 §2.1): parsing never
//! panics and whatever parses prints to text that parses back to the same path.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    idsync_core_fuzz::check_path_round_trip(text);
});
