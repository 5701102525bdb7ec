//! Time as the core stores it: microseconds since the Unix epoch.

use prost_types::Timestamp;

/// Now, in microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// A stored instant as a protobuf timestamp.
pub fn to_timestamp(us: i64) -> Timestamp {
    Timestamp {
        seconds: us.div_euclid(1_000_000),
        nanos: (us.rem_euclid(1_000_000) * 1_000) as i32,
    }
}

/// A protobuf timestamp as a stored instant.
pub fn from_timestamp(ts: &Timestamp) -> i64 {
    ts.seconds
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(ts.nanos) / 1_000)
}

/// Parses an RFC 3339 instant (SCIM `dateTime`, RFC 7643 §2.3.5) to microseconds.
pub fn parse_rfc3339_us(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_micros())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn timestamps_round_trip_through_protobuf_including_before_the_epoch() {
        for us in [0, 1, 1_700_000_000_123_456, -1, -1_500_001] {
            assert_eq!(from_timestamp(&to_timestamp(us)), us);
        }
    }

    #[test]
    fn rfc3339_with_offsets_and_fractions_parses() {
        assert_eq!(parse_rfc3339_us("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(parse_rfc3339_us("1970-01-01T01:00:01.5+01:00"), Some(1_500_000));
        assert_eq!(parse_rfc3339_us("yesterday"), None);
    }
}
