#![allow(clippy::unwrap_used)]

use idsync_storage::keyset::{Position, Seek, SortValue};
use proptest::prelude::*;

use super::{CursorKey, Cursors, Listing};
use crate::error::{CoreError, ScimType};

const NOW: u64 = 1_800_000_000;
const QUERY: &str = r#"Row(Compare { column: UserName, op: StartsWith, value: Text("a") }) None"#;

fn cursors_at(now_s: u64) -> Cursors {
    Cursors::new(
        CursorKey::derive("idsync_secret", "tenant-a"),
        Listing::Users,
        QUERY,
        now_s,
        3600,
    )
}

fn position(sort: Option<SortValue>) -> Position {
    Position {
        sort,
        created_us: 1_700_000_000_123_456,
        id: "0b7d7a8e-5f7e-4d0e-9a43-2f1d8f3f6a10".into(),
    }
}

fn scim_type(error: CoreError) -> ScimType {
    match error {
        CoreError::Invalid { scim_type, .. } => scim_type,
        other => panic!("not a 400: {other:?}"),
    }
}

#[test]
fn an_empty_cursor_asks_for_the_first_page() {
    assert_eq!(cursors_at(NOW).read("").unwrap(), Seek::First);
    assert_eq!(cursors_at(NOW).read("  ").unwrap(), Seek::First);
}

#[test]
fn every_position_reads_back_in_both_directions() {
    let cursors = cursors_at(NOW);
    for sort in [
        None,
        Some(SortValue::Null),
        Some(SortValue::Text("Émile Zola".into())),
        Some(SortValue::Text(String::new())),
        Some(SortValue::Bool(true)),
        Some(SortValue::Bool(false)),
        Some(SortValue::Timestamp(-5)),
    ] {
        let at = position(sort);
        assert_eq!(
            cursors.read(&cursors.issue(&at, false)).unwrap(),
            Seek::After(at.clone())
        );
        assert_eq!(cursors.read(&cursors.issue(&at, true)).unwrap(), Seek::Before(at));
    }
}

#[test]
fn a_cursor_is_made_of_unreserved_characters_only() {
    let cursor = cursors_at(NOW).issue(&position(Some(SortValue::Text("a/b+c=d?&".into()))), false);
    assert!(
        cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')),
        "{cursor}"
    );
}

#[test]
fn a_cursor_with_any_bit_changed_is_refused() {
    let cursors = cursors_at(NOW);
    let cursor = cursors.issue(&position(Some(SortValue::Text("ada".into()))), false);
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &cursor).unwrap();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut forged = bytes.clone();
            forged[i] ^= 1 << bit;
            let forged = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, forged);
            assert_eq!(scim_type(cursors.read(&forged).unwrap_err()), ScimType::InvalidCursor);
        }
    }
}

#[test]
fn a_cursor_is_refused_under_another_token_tenant_listing_or_query() {
    let at = position(None);
    let cursor = cursors_at(NOW).issue(&at, false);
    let others = [
        Cursors::new(
            CursorKey::derive("idsync_other", "tenant-a"),
            Listing::Users,
            QUERY,
            NOW,
            3600,
        ),
        Cursors::new(
            CursorKey::derive("idsync_secret", "tenant-b"),
            Listing::Users,
            QUERY,
            NOW,
            3600,
        ),
        Cursors::new(
            CursorKey::derive("idsync_secret", "tenant-a"),
            Listing::Groups,
            QUERY,
            NOW,
            3600,
        ),
        Cursors::new(
            CursorKey::derive("idsync_secret", "tenant-a"),
            Listing::Users,
            "another filter",
            NOW,
            3600,
        ),
    ];
    for other in others {
        assert_eq!(scim_type(other.read(&cursor).unwrap_err()), ScimType::InvalidCursor);
    }
}

#[test]
fn a_cursor_expires_after_the_timeout_and_one_from_the_future_is_refused() {
    let cursor = cursors_at(NOW).issue(&position(None), false);
    assert!(cursors_at(NOW + 3600).read(&cursor).is_ok());
    assert_eq!(
        scim_type(cursors_at(NOW + 3601).read(&cursor).unwrap_err()),
        ScimType::ExpiredCursor
    );
    let early = cursors_at(NOW + 10_000).issue(&position(None), false);
    assert_eq!(
        scim_type(cursors_at(NOW).read(&early).unwrap_err()),
        ScimType::InvalidCursor
    );
}

#[test]
fn made_up_cursors_are_refused() {
    let cursors = cursors_at(NOW);
    let long = "A".repeat(20_000);
    for made_up in ["x", "AAAA", "not base64!", "%00", "====", long.as_str()] {
        assert_eq!(
            scim_type(cursors.read(made_up).unwrap_err()),
            ScimType::InvalidCursor,
            "{made_up}"
        );
    }
}

proptest! {
    #[test]
    fn arbitrary_text_is_never_a_cursor(text in "\\PC{1,200}") {
        prop_assume!(!text.trim().is_empty());
        let error = cursors_at(NOW).read(&text).unwrap_err();
        prop_assert_eq!(scim_type(error), ScimType::InvalidCursor);
    }

    #[test]
    fn arbitrary_bytes_are_never_a_cursor(bytes in proptest::collection::vec(any::<u8>(), 1..300)) {
        let text = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
        let error = cursors_at(NOW).read(&text).unwrap_err();
        prop_assert_eq!(scim_type(error), ScimType::InvalidCursor);
    }
}
