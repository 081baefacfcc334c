//! The TTL rule: an item expires 24 hours after it is written.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::TTL_SECONDS;

/// Epoch seconds at which an item written at `now` expires.
pub fn expires_at(now: SystemTime) -> u64 {
    // A clock before 1970 is not a real case; saturate rather than fail.
    let written = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    written.saturating_add(TTL_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn expires_exactly_one_day_after_the_write() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(expires_at(now), 1_800_086_400);
    }
}
