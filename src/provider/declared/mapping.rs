//! What `config check --online` shows of a declared provider: each declared field's
//! pointer and what it read from the first listed row, read as the run reads it
//! ([`super::value`]), so that what the check accepts is what a
//! sweep will see.

use serde_json::Value;

use super::check::Fields;
use super::value::{count, text, time};
use crate::provider::unit::FieldRead;

/// Each declared field of `fields` as read from the first of `rows` (a page; empty: it had
/// none), then judged on the whole page: a field no row has a value for is a pointer that
/// reads nothing ([`on_no_row`]).
pub fn read(fields: &Fields, rows: &[Value]) -> Vec<FieldRead> {
    let f = fields;
    let row = rows.first();
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
    for r in &mut reads {
        on_no_row(f, rows, r);
    }
    reads
}

/// A field that no row of a page with rows has a value for: most likely a pointer with a
/// typo, which one row lacking it could not tell. Where a sweep or a safety rule reads it
/// (`activity`, `created`, `live`, `participants`), every row would be reported and none
/// acted on, so the check fails. `ended` may be absent from a page of live sessions: it fails
/// only where a row is not live (that row should say when it ended). `user`, `room` and
/// `metadata` may be absent from every row (nobody set them): a note, not a failure.
fn on_no_row(f: &Fields, rows: &[Value], read: &mut FieldRead) {
    let has = |r: &Value| r.pointer(&read.pointer).is_some_and(|v| !v.is_null());
    if rows.is_empty() || read.field == "id" || rows.iter().any(has) {
        return;
    }
    let n = rows.len();
    let on = match n {
        1 => "on the page's one row".to_owned(),
        n => format!("on every row of the page ({n})"),
    };
    let not_live = |r: &Value| {
        (f.live.as_ref()).is_some_and(|(p, live)| r.pointer(p).is_some_and(|v| v != live))
    };
    match read.field {
        "activity" | "created" | "live" | "participants" => {
            read.ok = false;
            read.read = Some(format!("missing {on}"));
        }
        "ended" if rows.iter().any(not_live) => {
            read.ok = false;
            read.read = Some(format!("missing {on}, a row that is not live among them"));
        }
        "ended" => {
            read.note = Some(format!(
                "missing {on}: fine if none has ended yet (every row is live), else a wrong pointer"
            ));
        }
        _ => {
            read.note = Some(format!(
                "missing {on}: fine if no session has one, else a wrong pointer"
            ));
        }
    }
}

/// `field` at `pointer` in `row`, as `decode` reads what is there. Only the ID must be
/// there: any other field one row may lack (the page is judged in [`on_no_row`]).
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
        note: None,
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
        (read(&fields(time), &[row, serde_json::json!({"over": "x", "room": "r"})]).into_iter())
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
        let none = read(&fields(TimeFormat::Rfc3339), &[]);
        assert!(none.iter().all(|f| f.read.is_none() && f.ok), "{none:?}");
        assert_eq!(none.len(), 8);
    }

    /// A pointer no row of the page reads: a failure where a sweep or a safety rule needs
    /// it, a note where sessions may well lack it; one row having it is enough.
    #[test]
    fn a_field_no_row_of_the_page_has_fails_where_a_sweep_needs_it() {
        let f = fields(TimeFormat::Rfc3339);
        let live = serde_json::json!({"id": "a", "state": "open", "room": "r"});
        let judged = |rows: &[Value]| -> Vec<(&'static str, bool, bool)> {
            (read(&f, rows).into_iter())
                .map(|r| (r.field, r.ok, r.note.is_some()))
                .collect()
        };
        assert_eq!(
            judged(&[live.clone(), live.clone()]),
            [
                ("id", true, false),
                ("activity", false, false),
                ("created", false, false),
                ("ended", true, true),
                ("live", true, false),
                ("participants", false, false),
                ("room", true, false),
                ("metadata", true, true),
            ]
        );
        let reads = read(&f, &[live.clone(), live.clone()]);
        assert_eq!(
            reads[5].read.as_deref(),
            Some("missing on every row of the page (2)")
        );
        // A row that is not live should say when it ended.
        let closed = serde_json::json!({"id": "b", "state": "closed"});
        let ended = &read(&f, &[live.clone(), closed])[3];
        assert!(!ended.ok && ended.note.is_none(), "{ended:?}");
        // One row with it is enough, the first or not.
        let counted = serde_json::json!({"id": "c", "n": 0, "seen": "2024-05-01T12:00:00Z"});
        let reads = read(&f, &[live, counted]);
        assert!(reads[1].ok && reads[5].ok, "{reads:?}");
        assert_eq!(reads[5].read.as_deref(), Some("missing"));
    }
}
