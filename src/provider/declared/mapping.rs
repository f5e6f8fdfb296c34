//! What `config check --online` shows of a declared provider: each declared field's
//! pointer and what it read from the first listed row, read as the run reads it
//! ([`super::value`]), so that what the check accepts is what a
//! sweep will see.

use serde_json::Value;

use super::check::Fields;
use super::value::{count, text, time};
use crate::provider::unit::FieldRead;

/// Each declared field of `fields` as read from `row` (`None`: the page had no rows).
pub fn read(fields: &Fields, row: Option<&Value>) -> Vec<FieldRead> {
    let f = fields;
    let mut reads = vec![one("id", &f.id, row, |v| match text(v) {
        Some(id) => (id, true),
        None => ("not a string or number".into(), false),
    })];
    let times = [
        ("activity", &f.activity),
        ("created", &f.created),
        ("ended", &f.ended),
    ];
    for (field, pointer) in times {
        if let Some(p) = pointer {
            reads.push(one(field, p, row, |v| timestamp(v, f.time)));
        }
    }
    if let Some((p, live)) = &f.live {
        reads.push(one("live", p, row, |v| match v == live {
            true => (format!("{v} (live)"), true),
            false => (format!("{v} (not live: live is {live})"), true),
        }));
    }
    if let Some(p) = &f.participants {
        reads.push(one("participants", p, row, |v| match count(v) {
            Some(n) => (n.to_string(), true),
            None => (format!("not a number ({})", shown(v)), false),
        }));
    }
    for (field, pointer) in [("user", &f.user), ("room", &f.room)] {
        if let Some(p) = pointer {
            reads.push(one(field, p, row, |v| match text(v) {
                Some(t) => (t, true),
                None => (format!("not a string or number ({})", shown(v)), true),
            }));
        }
    }
    if let Some(p) = &f.metadata {
        reads.push(one("metadata", p, row, |v| match v.is_object() {
            true => (shown(v), true),
            false => (format!("not an object ({})", shown(v)), true),
        }));
    }
    reads
}

/// `field` at `pointer` in `row`, as `decode` reads what is there. Only the ID must be
/// there: any other field a row may lack.
fn one(
    field: &'static str,
    pointer: &str,
    row: Option<&Value>,
    decode: impl FnOnce(&Value) -> (String, bool),
) -> FieldRead {
    // A `null` is no value, as the run reads it.
    let (read, ok) = match row.map(|r| r.pointer(pointer).filter(|v| !v.is_null())) {
        None => (None, true),
        Some(None) => (Some("missing".to_owned()), field != "id"),
        Some(Some(v)) => {
            let (read, ok) = decode(v);
            (Some(crate::terminal::shortened(&read).into_owned()), ok)
        }
    };
    FieldRead {
        field,
        pointer: pointer.to_owned(),
        read,
        ok,
    }
}

/// A timestamp as the run reads it: as written, and as RFC 3339 where it is a unix time.
fn timestamp(v: &Value, format: super::check::TimeFormat) -> (String, bool) {
    let at = time(v, format);
    match crate::units::parse_time(&at) {
        None => (
            format!("not a timestamp in {} ({})", format.name(), shown(v)),
            false,
        ),
        Some(_) if text(v).is_some_and(|raw| raw == at) => (at, true),
        Some(_) => (format!("{} ({at})", shown(v)), true),
    }
}

/// A value as JSON text, a string as it is.
fn shown(v: &Value) -> String {
    text(v).unwrap_or_else(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::declared::check::{IdleSince, TimeFormat};

    fn fields(time: TimeFormat) -> Fields {
        Fields {
            id: "/id".into(),
            activity: Some("/seen".into()),
            created: Some("/made".into()),
            ended: Some("/over".into()),
            live: Some(("/state".into(), Value::from("open"))),
            participants: Some("/n".into()),
            idle_since: Some(IdleSince::Activity),
            user: None,
            room: Some("/room".into()),
            metadata: Some("/meta".into()),
            time,
        }
    }

    fn reads(time: TimeFormat, row: Value) -> Vec<(&'static str, String, bool)> {
        (read(&fields(time), Some(&row)).into_iter())
            .map(|f| (f.field, f.read.unwrap(), f.ok))
            .collect()
    }

    #[test]
    fn each_declared_field_shows_what_the_run_reads_there() {
        let row = serde_json::json!({
            "id": 7, "seen": 1_700_000_000, "made": "soon", "over": null, "state": "closed",
            "n": "2", "meta": {"env": "a"}
        });
        assert_eq!(
            reads(TimeFormat::UnixSeconds, row),
            [
                ("id", "7".to_owned(), true),
                ("activity", "1700000000 (2023-11-14T22:13:20Z)".into(), true),
                ("created", "not a timestamp in unix_s (soon)".into(), false),
                ("ended", "missing".into(), true),
                (
                    "live",
                    "\"closed\" (not live: live is \"open\")".into(),
                    true
                ),
                ("participants", "2".into(), true),
                ("room", "missing".into(), true),
                ("metadata", "{\"env\":\"a\"}".into(), true),
            ]
        );
    }

    #[test]
    fn a_missing_id_or_a_count_that_is_not_one_fails_and_no_row_reads_nothing() {
        let row = serde_json::json!({"n": true, "seen": "2024-05-01T12:00:00Z"});
        let got = reads(TimeFormat::Rfc3339, row);
        assert_eq!(got[0], ("id", "missing".to_owned(), false));
        assert_eq!(got[1], ("activity", "2024-05-01T12:00:00Z".into(), true));
        assert_eq!(
            got[5],
            ("participants", "not a number (true)".into(), false)
        );
        let none = read(&fields(TimeFormat::Rfc3339), None);
        assert!(none.iter().all(|f| f.read.is_none() && f.ok), "{none:?}");
        assert_eq!(none.len(), 8);
    }
}
