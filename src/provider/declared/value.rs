//! How a declared field's value is read from a row, in one place for the run (its rows) and
//! for `config check --online` ([`super::mapping`]), so that what the check accepts is what
//! a sweep will see.

use serde_json::Value;

use super::check::TimeFormat;

/// A string as it is, a number as its text; anything else is none.
pub(super) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A count: a number, or a number as text (protobuf JSON sends 64-bit integers so).
pub(super) fn count(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

/// A timestamp as RFC 3339 text; one that cannot be read is kept as it is, so that a sweep
/// reports it unreadable rather than guessing.
pub(super) fn time(v: &Value, format: TimeFormat) -> String {
    let raw = text(v).unwrap_or_else(|| v.to_string());
    let unix = |scale: i64| -> Option<String> {
        let n: i64 = raw.parse().ok()?;
        let ts = match scale {
            1 => jiff::Timestamp::from_second(n),
            _ => jiff::Timestamp::from_millisecond(n),
        };
        ts.ok().map(|t| t.to_string())
    };
    match format {
        TimeFormat::Rfc3339 => None,
        TimeFormat::UnixSeconds => unix(1),
        TimeFormat::UnixMillis => unix(1000),
    }
    .unwrap_or(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_declared_and_kept_when_unreadable() {
        let at = |v: Value, f| time(&v, f);
        assert_eq!(
            at(Value::from(1_700_000_000), TimeFormat::UnixSeconds),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            at(Value::from("1700000000"), TimeFormat::UnixSeconds),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            at(Value::from(1_700_000_000_000_i64), TimeFormat::UnixMillis),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(at(Value::from("soon"), TimeFormat::UnixSeconds), "soon");
        assert_eq!(
            at(Value::from("2024-05-01T12:00:00Z"), TimeFormat::Rfc3339),
            "2024-05-01T12:00:00Z"
        );
    }

    #[test]
    fn counts_may_come_as_text() {
        assert_eq!(count(&Value::from(3)), Some(3));
        assert_eq!(count(&Value::from("3")), Some(3));
        assert_eq!(count(&Value::from(-1)), None);
    }
}
