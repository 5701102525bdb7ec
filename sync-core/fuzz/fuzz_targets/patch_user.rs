//! Whole PATCH requests applied to a user, as `PATCH /Users/{id}` does in the core.
//!
//! Input that is JSON is read as a PatchOp body (or an array of operations, or one);
//! anything else is turned into operations structurally with `arbitrary`. Checked:
//! applying never panics; every path that parses round-trips through its printer; a
//! user that PATCH left valid converts to a storage record and back to the same record
//! (what is stored after a PATCH reads back as stored).
#![no_main]

use arbitrary::Unstructured;
use idsync_core::users::convert::{record_to_user, user_to_record};
use idsync_core::users::patch::apply_patch;
use idsync_core_fuzz::{check_path_round_trip, ops_from_bytes, ops_from_json, rich_user};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let operations = match serde_json::from_slice::<serde_json::Value>(data) {
        Ok(json) => ops_from_json(&json),
        Err(_) => match ops_from_bytes(&mut Unstructured::new(data)) {
            Ok(operations) => operations,
            Err(_) => return,
        },
    };
    for path in operations.iter().filter_map(|op| op.path.as_deref()) {
        check_path_round_trip(path);
    }
    let mut user = rich_user();
    if apply_patch(&mut user, &operations).is_err() {
        return;
    }
    let Ok((record, _password)) = user_to_record(user) else {
        return;
    };
    let reread = record_to_user(&record, Vec::new());
    match user_to_record(reread) {
        Ok((again, _)) => assert_eq!(again, record, "a stored user reads back differently"),
        Err(e) => panic!("a user accepted for storage is refused when read back: {e}"),
    }
});
