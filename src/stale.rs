//! Finding sessions by age: paging through a provider's list and deciding, per row,
//! whether it is idle. No provider offers this filter server-side, so it lives here, once.

use std::collections::HashSet;

use jiff::{Timestamp, tz::TimeZone};
use serde::Serialize;

use crate::provider::{ListError, Provider, SessionRow};

/// Which sessions a listing keeps.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep sessions whose last activity is strictly before this instant.
    pub idle_before: Option<Timestamp>,
    /// Keep sessions created strictly before this instant.
    pub created_before: Option<Timestamp>,
    /// Also keep ended / not-live sessions.
    pub include_inactive: bool,
    /// Digital Samba: only sessions known to have no live participants.
    pub empty_only: bool,
    pub limit: Option<usize>,
}

/// A listed session with what we worked out about it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(flatten)]
    pub row: SessionRow,
    /// Seconds since the last activity.
    pub idle_secs: Option<u64>,
    /// Set when a timestamp could not be read: such a session is reported, never skipped
    /// in silence, and never acted on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Reads the timestamp forms providers send: RFC 3339 with any precision and offset,
/// and Digital Samba's `2024-03-27 08:15:36` (no zone, meaning UTC).
pub fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse::<Timestamp>().ok().or_else(|| {
        let civil: jiff::civil::DateTime = s.parse().ok()?;
        TimeZone::UTC.to_timestamp(civil).ok()
    })
}

/// "Now", overridable with `SESSIONCTL_NOW` (RFC 3339) so that a sweep can be replayed,
/// and tested, at a fixed instant.
pub fn now() -> Timestamp {
    std::env::var("SESSIONCTL_NOW")
        .ok()
        .and_then(|s| parse_time(&s))
        .unwrap_or_else(Timestamp::now)
}

enum Verdict {
    Keep,
    Drop,
    /// Not kept, and nothing after it can be either (the list is ordered by activity).
    Stop,
}

fn judge(row: &SessionRow, activity: Option<Timestamp>, f: &Filter, ordered: bool) -> Verdict {
    if let (Some(cutoff), Some(at)) = (f.idle_before, activity)
        && at >= cutoff
    {
        return if ordered {
            Verdict::Stop
        } else {
            Verdict::Drop
        };
    }
    if !f.include_inactive && !row.active {
        return Verdict::Drop;
    }
    if f.empty_only && row.participants != Some(0) {
        return Verdict::Drop; // unknown counts as occupied: never end a session with people in it
    }
    if let Some(cutoff) = f.created_before {
        match row.created.as_deref().and_then(parse_time) {
            Some(created) if created < cutoff => {}
            _ => return Verdict::Drop,
        }
    }
    Verdict::Keep
}

/// Pages through `provider`'s list and keeps what `filter` selects, stopping as soon as
/// the rest cannot match.
pub async fn collect(provider: &dyn Provider, filter: &Filter) -> Result<Vec<Listed>, ListError> {
    let now = now();
    let ordered = provider.ordered_by_activity();
    let mut kept = Vec::new();
    let mut cursor = None;
    // Sessions move between pages while we page (activity re-sorts them), so a session seen
    // before is skipped, never reported twice. But a page that brings nothing new while
    // promising more is a server ignoring the page number or cursor: an error, so that a
    // sweep never quietly covers only the first page.
    let mut cursors = HashSet::new();
    let mut seen = HashSet::new();
    loop {
        let page = provider.list_page(cursor, !filter.include_inactive).await?;
        let had_rows = !page.rows.is_empty();
        let fresh: Vec<SessionRow> = page
            .rows
            .into_iter()
            .filter(|r| {
                // UUID first: some threads have no developer ID; rows with neither are kept.
                let key = r.uuid.as_deref().unwrap_or(&r.id);
                key.is_empty() || seen.insert(key.to_owned())
            })
            .collect();
        if had_rows && fresh.is_empty() && page.next.is_some() {
            return Err(ListError::Decode(
                "the server sent a page of sessions already listed and claims there are more; stopping"
                    .into(),
            ));
        }
        for row in fresh {
            if filter.limit.is_some_and(|l| kept.len() >= l) {
                return Ok(kept);
            }
            let raw = row.activity.as_deref();
            let activity = raw.and_then(parse_time);
            let problem = match (raw, activity) {
                (Some(raw), None) => Some(format!("unreadable timestamp `{raw}`")),
                (None, _) if filter.idle_before.is_some() => Some("no activity timestamp".into()),
                _ => None,
            };
            // A session whose age cannot be read passes every other test here and is then
            // reported with its problem, so that someone looks at it; it is never acted on.
            match judge(&row, activity, filter, ordered) {
                Verdict::Keep => kept.push(Listed {
                    profile: None,
                    idle_secs: activity.map(|a| now.duration_since(a).as_secs().max(0) as u64),
                    row,
                    problem,
                }),
                Verdict::Drop => {}
                Verdict::Stop => return Ok(kept),
            }
        }
        match page.next {
            Some(next) if !cursors.insert(next.clone()) => {
                // (A page-number or offset cursor never repeats; a server cursor may.)
                return Err(ListError::Decode(format!(
                    "the server sent page cursor `{next}` twice; stopping"
                )));
            }
            Some(next) if filter.limit.is_none_or(|l| kept.len() < l) => cursor = Some(next),
            _ => return Ok(kept),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_time_form_parses() {
        let want: Timestamp = "2024-03-27T08:15:36Z".parse().unwrap();
        for s in [
            "2024-03-27T08:15:36Z",
            "2024-03-27T08:15:36.000000Z",
            "2024-03-27T10:15:36+02:00",
            "2024-03-27 08:15:36",
            "2024-03-27T08:15:36",
        ] {
            assert_eq!(parse_time(s), Some(want), "{s}");
        }
        let nanos = parse_time("2024-05-01T12:00:00.123456789Z").unwrap();
        assert_eq!(nanos.subsec_nanosecond(), 123_456_789);
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time(""), None);
    }

    fn row(active: bool, participants: Option<u64>) -> SessionRow {
        SessionRow {
            id: "s".into(),
            uuid: None,
            owner: None,
            created: Some("2024-01-01T00:00:00Z".into()),
            activity: None,
            active,
            participants,
        }
    }

    #[test]
    fn the_cutoff_itself_is_not_idle() {
        let cutoff: Timestamp = "2024-03-27T08:00:00Z".parse().unwrap();
        let f = Filter {
            idle_before: Some(cutoff),
            ..Filter::default()
        };
        let just_before = cutoff - jiff::SignedDuration::from_nanos(1);
        assert!(matches!(
            judge(&row(true, None), Some(just_before), &f, true),
            Verdict::Keep
        ));
        assert!(matches!(
            judge(&row(true, None), Some(cutoff), &f, true),
            Verdict::Stop
        ));
        assert!(matches!(
            judge(&row(true, None), Some(cutoff), &f, false),
            Verdict::Drop
        ));
        assert!(matches!(
            judge(&row(false, None), Some(just_before), &f, true),
            Verdict::Drop
        ));
    }

    #[test]
    fn an_unreadable_age_skips_only_the_time_test() {
        let f = Filter {
            idle_before: Some("2024-03-27T08:00:00Z".parse().unwrap()),
            ..Filter::default()
        };
        assert!(matches!(
            judge(&row(true, None), None, &f, true),
            Verdict::Keep
        ));
        assert!(matches!(
            judge(&row(false, None), None, &f, true),
            Verdict::Drop
        ));
    }

    /// A server that answers every page with `rows(cursor)` and `next(cursor)`.
    struct Repeating {
        rows: fn(&Option<String>) -> Vec<SessionRow>,
        next: fn(Option<String>) -> Option<String>,
    }

    #[async_trait::async_trait]
    impl Provider for Repeating {
        async fn apply(
            &self,
            _: crate::provider::Action,
            _: Vec<String>,
        ) -> Vec<crate::outcome::SessionResult> {
            unreachable!("listing only")
        }

        async fn list_page(
            &self,
            cursor: Option<String>,
            _: bool,
        ) -> Result<crate::provider::Page, ListError> {
            Ok(crate::provider::Page {
                rows: (self.rows)(&cursor),
                next: (self.next)(cursor),
            })
        }
    }

    /// A row whose ID says which page it came from.
    fn row_of(cursor: &Option<String>) -> Vec<SessionRow> {
        let mut r = row(true, None);
        r.id = format!("s-{}", cursor.as_deref().unwrap_or("first"));
        vec![r]
    }

    #[tokio::test]
    async fn a_repeated_cursor_is_an_error_not_a_loop() {
        let same_cursor = Repeating {
            rows: row_of,
            next: |_| Some("same".into()),
        };
        let err = collect(&same_cursor, &Filter::default()).await.unwrap_err();
        assert!(
            err.to_string().contains("page cursor `same` twice"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_server_ignoring_page_numbers_is_an_error_not_a_partial_list() {
        // Page numbers advance while the server keeps sending page 1.
        let ignores_pages = Repeating {
            rows: |_| vec![row(true, None)],
            next: |c| Some((c.map_or(1, |c| c.parse::<u64>().unwrap()) + 1).to_string()),
        };
        let err = collect(&ignores_pages, &Filter::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already listed"), "{err}");
    }

    #[tokio::test]
    async fn rows_without_any_id_are_all_kept() {
        let anonymous = Repeating {
            rows: |_| {
                let mut r = row(true, None);
                r.id = String::new();
                vec![r.clone(), r.clone(), r]
            },
            next: |_| None,
        };
        assert_eq!(
            collect(&anonymous, &Filter::default()).await.unwrap().len(),
            3
        );
    }

    #[tokio::test]
    async fn sessions_that_move_between_pages_are_listed_once() {
        // Page 2 repeats page 1's session (it moved) next to a new one.
        let shifting = Repeating {
            rows: |c| match c {
                None => row_of(&None),
                Some(_) => [row_of(&None), row_of(&Some("2".into()))].concat(),
            },
            next: |c| c.is_none().then(|| "2".into()),
        };
        let kept = collect(&shifting, &Filter::default()).await.unwrap();
        let ids: Vec<&str> = kept.iter().map(|l| l.row.id.as_str()).collect();
        assert_eq!(ids, ["s-first", "s-2"]);
    }

    #[test]
    fn empty_means_known_empty() {
        let f = Filter {
            empty_only: true,
            ..Filter::default()
        };
        assert!(matches!(
            judge(&row(true, Some(0)), None, &f, false),
            Verdict::Keep
        ));
        assert!(matches!(
            judge(&row(true, Some(2)), None, &f, false),
            Verdict::Drop
        ));
        assert!(matches!(
            judge(&row(true, None), None, &f, false),
            Verdict::Drop
        ));
    }
}
