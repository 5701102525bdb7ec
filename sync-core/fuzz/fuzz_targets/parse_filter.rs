//! SCIM filters (RFC 7644 §3.4.2.2): parsing never panics, whatever parses prints to
//! text that parses back to the same tree, and compiling it against the User schema
//! (what `GET /Users?filter=` does next) never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    idsync_core_fuzz::check_filter_round_trip(text);
    let _ = idsync_core::users::filter::compile_user_filter(text, &idsync_core::scim::FilterLimits::DEFAULT);
});
