//! Timestamps. Records keep the raw strings they were seeded with (so tests can seed broken
//! ones); this module parses them for ordering and formats new ones in each provider's style.

use jiff::{SignedDuration, Timestamp, tz::TimeZone};

pub(crate) fn now() -> Timestamp {
    Timestamp::now()
}

/// Parses RFC 3339 (any precision, any offset) or Digital Samba's docs-site form
/// `2024-03-27 08:15:36` (no zone: UTC). Anything else is `None`.
pub(crate) fn parse(raw: &str) -> Option<Timestamp> {
    if let Ok(ts) = raw.parse::<Timestamp>() {
        return Some(ts);
    }
    jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", raw)
        .ok()?
        .to_zoned_datetime(TimeZone::UTC)
        .ok()
        .map(|zdt| zdt.timestamp())
}

/// Zep's style: RFC 3339 in UTC with as many fractional digits as needed.
pub(crate) fn nanos(ts: Timestamp) -> String {
    ts.to_string()
}

/// elizaOS's style (JavaScript `toISOString`): milliseconds, `Z`.
pub(crate) fn millis(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Digital Samba's style: microseconds, `Z`.
pub(crate) fn samba(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn now_nanos() -> String {
    nanos(now())
}

pub(crate) fn now_millis() -> String {
    millis(now())
}

pub(crate) fn now_samba() -> String {
    samba(now())
}

pub(crate) fn minutes(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}
