//! Keys of the results archive: `orders/order_<UTC timestamp>…`.
//!
//! An order archived by a pipeline run gets a key derived from the run and
//! its position in it, so a retried invocation finds its own earlier object;
//! an order sent on its own gets a random suffix, so it never overwrites
//! another.

use std::fmt::Write;

use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

use crate::order_event::RunIdentity;

/// Every archived order's key starts with this.
pub const ARCHIVE_KEY_PREFIX: &str = "orders/order_";

/// `2026-11-21T10:15:30.123456Z`: UTC, microseconds, always the same width
/// so keys sort by time.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let utc = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.microsecond()
    )
}

/// Deterministic key of the order at `item_index` in the run `run_id`:
/// `orders/order_<run start>_<run id>_<item index>.json`.
pub fn envelope_key(run: &RunIdentity) -> String {
    format!(
        "{ARCHIVE_KEY_PREFIX}{}_{}_{}.json",
        format_timestamp(run.run_started_at),
        sanitize_key_part(&run.run_id),
        run.item_index
    )
}

/// Key of an order archived on its own: `orders/order_<now>_<uuid>.json`.
pub fn unique_key(now: OffsetDateTime, id: Uuid) -> String {
    format!("{ARCHIVE_KEY_PREFIX}{}_{}.json", format_timestamp(now), id.hyphenated())
}

/// Makes any text safe in an S3 key, injectively: ASCII letters, digits and
/// `-` stay; every other byte becomes `.XX` (hex). `_` is encoded too, so the
/// key's own `_` separators stay unambiguous.
pub fn sanitize_key_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, ".{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_are_utc_with_microseconds() {
        assert_eq!(
            format_timestamp(datetime!(2026-11-21 11:15:30.123456789 +01:00)),
            "2026-11-21T10:15:30.123456Z"
        );
        assert_eq!(
            format_timestamp(datetime!(2026-01-02 03:04:05 UTC)),
            "2026-01-02T03:04:05.000000Z"
        );
    }

    #[test]
    fn envelope_keys_are_deterministic() {
        let run = RunIdentity {
            run_id: "run_1:a".into(),
            run_started_at: datetime!(2026-11-21 10:15:30.5 UTC),
            item_index: 3,
        };
        assert_eq!(
            envelope_key(&run),
            "orders/order_2026-11-21T10:15:30.500000Z_run.5F1.3Aa_3.json"
        );
        assert_eq!(envelope_key(&run), envelope_key(&run.clone()));
    }

    #[test]
    fn sanitizing_keeps_distinct_ids_distinct() {
        assert_ne!(sanitize_key_part("a_b"), sanitize_key_part("a.5Fb"));
        assert_eq!(sanitize_key_part("Run-42"), "Run-42");
        assert_eq!(sanitize_key_part("é"), ".C3.A9");
    }

    #[test]
    fn unique_keys_carry_the_uuid() {
        let id = Uuid::from_u128(0x1234);
        assert_eq!(
            unique_key(datetime!(2026-11-21 10:15:30 UTC), id),
            "orders/order_2026-11-21T10:15:30.000000Z_00000000-0000-0000-0000-000000001234.json"
        );
    }
}
