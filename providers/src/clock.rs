//! Time helpers: one RFC 3339 spelling for every timestamp on the wire.

use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// The current time (UTC).
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// `t` as RFC 3339, whole seconds, UTC (`2026-11-22T04:16:01Z`).
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    // Formatting a valid UTC time as RFC 3339 cannot fail for years 0..=9999.
    t.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_seconds_in_utc() {
        let t = time::macros::datetime!(2026-11-22 04:16:01.123 UTC);
        assert_eq!(rfc3339(t), "2026-11-22T04:16:01Z");
    }
}
