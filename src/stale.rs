//! Finding sessions by age: paging through a provider's list and keeping, per row, what
//! the sweep asks for. Whether a session is idle is the provider's call
//! ([`Provider::staleness`]): only it knows what its list measures. This file pages,
//! de-duplicates, asks for confirmations concurrently, and stops early where the order
//! allows.

use jiff::Timestamp;
use serde::Serialize;

use crate::provider::{ListError, Orphan, Provider, SessionRow, Staleness, Sweep};
use crate::select::Selection;
use crate::units::parse_time;

/// Which sessions a listing keeps.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep sessions the provider proves idle since before this instant.
    pub idle_before: Option<Timestamp>,
    /// Keep sessions created (started) strictly before this instant.
    pub created_before: Option<Timestamp>,
    /// Keep sessions the provider's data proves ended before this instant (`--ended-for`):
    /// only ended sessions are listed, and a live one is never kept.
    pub ended_before: Option<Timestamp>,
    /// Also keep ended / not-live sessions.
    pub include_inactive: bool,
    /// `list --empty`: only sessions known to have no live participants.
    pub empty_only: bool,
    pub limit: Option<usize>,
    /// `--orphans`: what sessions left behind ([`Provider::orphans`]) instead of sessions.
    pub orphans: bool,
    /// Stop after the page that brings the sessions to act on to this many: a sweep's cap
    /// is then certain to refuse the run (the cap plus one), so more pages only cost
    /// requests.
    pub enough: Option<usize>,
    /// The most sessions the listing may read (the profile's `max_listed`): a list that
    /// never runs dry is an error here, not a run that exhausts memory.
    pub max_rows: Option<u64>,
    /// `--where`, as this profile runs it: what its server filters, and what every row
    /// must match.
    pub selection: Selection,
}

/// A listed session with what we worked out about it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(flatten)]
    pub row: SessionRow,
    /// Seconds since the last activity (as confirmed, where the sweep confirmed it).
    pub idle_secs: Option<u64>,
    /// Why a sweep would act on it: what was measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Set when staleness could not be proven (a timestamp unreadable, a count missing):
    /// such a session is reported, never skipped in silence, and never acted on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// "Now", overridable with `SESSIONCTL_NOW` (RFC 3339) so that a sweep can be replayed,
/// and tested, at a fixed instant. A value that does not parse is an error, never
/// silently "now".
pub fn now() -> Result<Timestamp, String> {
    match std::env::var("SESSIONCTL_NOW") {
        Ok(s) if !s.is_empty() => {
            parse_time(&s).ok_or_else(|| format!("SESSIONCTL_NOW=`{s}` is not an RFC 3339 time"))
        }
        _ => Ok(Timestamp::now()),
    }
}

/// What the listing does with one row.
enum Verdict {
    Keep(Listed),
    Drop,
    /// Not kept, and nothing after it can be either (the list is ordered by activity).
    Stop,
    /// The provider must ask the server first; `older` is the `--older-than` reason.
    Confirm {
        row: SessionRow,
        older: Option<String>,
    },
}

fn judge(provider: &dyn Provider, row: SessionRow, f: &Filter, now: Timestamp) -> Verdict {
    if let Some(idle_before) = f.ended_before {
        let sweep = Sweep { now, idle_before };
        let verdict = provider.ended(&row, &sweep);
        return decided(row, verdict, now, None);
    }
    if !f.include_inactive && !row.active {
        return Verdict::Drop;
    }
    if f.empty_only && row.participants != Some(0) {
        // A row whose provider says it carries the count but which lacks it is reported
        // (a declared pointer may read nothing), never left out in silence.
        if let Some(problem) = provider.uncounted(&row) {
            return Verdict::Keep(listed(row, None, now, None, Some(problem)));
        }
        return Verdict::Drop; // unknown counts as occupied: never end a session with people in it
    }
    let mut reason = None;
    if let Some(cutoff) = f.created_before {
        match row.created.as_deref().map(|raw| (raw, parse_time(raw))) {
            Some((_, Some(created))) if created < cutoff => {
                let sweep = Sweep {
                    now,
                    idle_before: cutoff,
                };
                reason = Some(format!("created {} ago", sweep.age(created)));
            }
            Some((_, Some(_))) => return Verdict::Drop,
            // An age that cannot be read is reported, never silently left out or acted on.
            Some((raw, None)) => {
                let problem = format!("unreadable creation time `{raw}`");
                return Verdict::Keep(listed(row, None, now, None, Some(problem)));
            }
            None => {
                let problem = "no creation time".to_owned();
                return Verdict::Keep(listed(row, None, now, None, Some(problem)));
            }
        }
    }
    let Some(idle_before) = f.idle_before else {
        let activity = row.activity.as_deref().and_then(parse_time);
        return Verdict::Keep(listed(row, activity, now, reason, None));
    };
    let sweep = Sweep { now, idle_before };
    match provider.staleness(&row, &sweep) {
        Staleness::Fresh if provider.ordered_by_activity(f.selection.server.as_ref()) => {
            Verdict::Stop
        }
        // A confirmation reads by ID: an ID from a server gets the checks an input ID gets
        // before any request names it (`..` or an empty ID is reported, never sent). A sweep
        // makes every row it acts on a checked ID the same way (`SessionRow::session_id`).
        Staleness::Confirm => match row.session_id() {
            Ok(_) => Verdict::Confirm { row, older: reason },
            Err(problem) => Verdict::Keep(listed(row, None, now, None, Some(problem))),
        },
        verdict => decided(row, verdict, now, reason),
    }
}

/// Whether `--where` selects the row a verdict keeps (or would confirm). Checked after the
/// verdict, so that a fresh row still ends an ordered listing, and before any confirmation,
/// so that rows outside the selection cost no request.
fn selected(verdict: &Verdict, f: &Filter) -> bool {
    let row = match verdict {
        Verdict::Keep(l) => &l.row,
        Verdict::Confirm { row, .. } => row,
        Verdict::Drop | Verdict::Stop => return true,
    };
    f.selection.matches(|field| row.value(field))
}

/// A row as the sweep's verdict leaves it.
fn decided(row: SessionRow, verdict: Staleness, now: Timestamp, older: Option<String>) -> Verdict {
    match verdict {
        Staleness::Fresh => Verdict::Drop,
        // A confirmation that asks for another is no proof: report it, never act on it.
        Staleness::Confirm => {
            let problem = "its activity could not be confirmed".to_owned();
            Verdict::Keep(listed(row, None, now, None, Some(problem)))
        }
        Staleness::Stale { since, reason } => {
            let reason = match older {
                Some(older) => format!("{reason}; {older}"),
                None => reason,
            };
            Verdict::Keep(listed(row, Some(since), now, Some(reason), None))
        }
        Staleness::Unknown(problem) => Verdict::Keep(listed(row, None, now, None, Some(problem))),
    }
}

fn listed(
    row: SessionRow,
    since: Option<Timestamp>,
    now: Timestamp,
    reason: Option<String>,
    problem: Option<String>,
) -> Listed {
    Listed {
        profile: None,
        idle_secs: since.map(|a| now.duration_since(a).as_secs().max(0) as u64),
        row,
        reason,
        problem,
    }
}

/// Pages through `provider`'s list and keeps what `filter` selects, stopping as soon as
/// the rest cannot match. Rows the provider must confirm are confirmed a page at a time,
/// concurrently (the HTTP layer bounds and paces the requests). `now` is the run's one
/// [`now`], read (and refused if unreadable) before anything is sent.
pub async fn collect(
    provider: &dyn Provider,
    filter: &Filter,
    now: Timestamp,
) -> Result<Vec<Listed>, ListError> {
    collect_until(provider, filter, now)
        .await
        .map(|(kept, _)| kept)
}

/// [`collect`], and whether it stopped at [`Filter::enough`] with pages left unread (the
/// count is then a lower bound).
pub async fn collect_until(
    provider: &dyn Provider,
    filter: &Filter,
    now: Timestamp,
) -> Result<(Vec<Listed>, bool), ListError> {
    let mut kept = Vec::new();
    let cut_short = each(provider, filter, now, &mut |l| {
        kept.push(l);
        true
    })
    .await?;
    Ok((kept, cut_short))
}

/// The listing as [`collect_until`] makes it, each kept session handed to `sink` as soon as
/// it is judged (in the provider's order), so that `list` holds none of them: a list of a
/// million sessions passes through a few rows at a time. `sink` answers `false` to stop
/// (its output closed). Returns whether it stopped at [`Filter::enough`].
pub async fn each(
    provider: &dyn Provider,
    filter: &Filter,
    now: Timestamp,
    sink: &mut (dyn FnMut(Listed) -> bool + Send),
) -> Result<bool, ListError> {
    if filter.orphans {
        for listed in orphans(provider, filter, now).await? {
            if !sink(listed) {
                break;
            }
        }
        return Ok(false);
    }
    let mut lifetimes = Lifetimes::default();
    let mut keeper = Keeper {
        sink,
        filter,
        kept: 0,
        candidates: 0,
        open: true,
    };
    let cut_short = list_rows(provider, filter, now, &mut lifetimes, &mut keeper).await?;
    if let (0, Some(idle_before)) = (keeper.kept, filter.idle_before)
        && let Some(notice) = lifetimes.notice(now.duration_since(idle_before))
    {
        crate::terminal::warn(notice);
    }
    Ok(cut_short)
}

/// The longest any listed session can stay idle before the server expires it on its own
/// (`expires - activity`, where the list says both; elizaOS hides expired sessions): a sweep
/// whose `--idle-for` is at or beyond it can select none, and is told so rather than left
/// to think nothing was idle.
#[derive(Default)]
struct Lifetimes {
    longest: Option<jiff::SignedDuration>,
    /// A listed row that does not say when it expires: no bound can be claimed.
    unbounded: bool,
}

impl Lifetimes {
    fn observe(&mut self, provider: &dyn Provider, row: &SessionRow) {
        let expires = provider.expires(row);
        let activity = row.activity.as_deref().and_then(parse_time);
        match (expires, activity) {
            (Some(expires), Some(activity)) => {
                let life = expires.duration_since(activity);
                self.longest = Some(self.longest.map_or(life, |l| l.max(life)));
            }
            _ => self.unbounded = true,
        }
    }

    fn notice(&self, idle_for: jiff::SignedDuration) -> Option<String> {
        let longest = self.longest.filter(|_| !self.unbounded)?;
        (idle_for >= longest).then(|| {
            let human = |d: jiff::SignedDuration| {
                crate::units::human(std::time::Duration::from_secs(d.as_secs().max(0) as u64))
            };
            format!(
                "sessions on this server expire after at most {} of inactivity; --idle-for {} can select none",
                human(longest),
                human(idle_for)
            )
        })
    }
}

/// Hands kept sessions on, counting them against the limit.
struct Keeper<'a> {
    sink: &'a mut (dyn FnMut(Listed) -> bool + Send),
    filter: &'a Filter,
    kept: usize,
    /// Kept sessions that a sweep would act on (those without a problem).
    candidates: usize,
    /// The sink still takes sessions.
    open: bool,
}

impl Keeper<'_> {
    /// Whether no more sessions may be kept: the limit is reached or the sink closed.
    fn full(&self) -> bool {
        !self.open || self.filter.limit.is_some_and(|l| self.kept >= l)
    }

    /// Confirms `verdicts` (a bounded batch) and keeps what they keep, up to the limit.
    async fn settle(&mut self, provider: &dyn Provider, verdicts: Vec<Verdict>, now: Timestamp) {
        let filter = self.filter;
        for mut listed in confirm_all(provider, verdicts, filter, now).await {
            if self.full() {
                return;
            }
            // A sweep's reason says what selected it: `idle 3h (…); user=u-1`.
            if let (Some(reason), false) = (&mut listed.reason, filter.selection.is_empty()) {
                reason.push_str("; ");
                reason.push_str(&filter.selection.describe());
            }
            self.candidates += usize::from(listed.problem.is_none());
            self.kept += 1;
            self.open = (self.sink)(listed);
        }
    }
}

/// Rows judged (and confirmed) together: a page's rows, or this many of a streamed reply.
const BATCH: usize = 256;

/// The listing itself: pages read, judged and confirmed, until the last page, the limit or
/// [`Filter::enough`].
async fn list_rows(
    provider: &dyn Provider,
    filter: &Filter,
    now: Timestamp,
    lifetimes: &mut Lifetimes,
    keeper: &mut Keeper<'_>,
) -> Result<bool, ListError> {
    let mut cursor = None;
    // A page that brings nothing new while promising more is a server ignoring the page
    // number or cursor: an error, so that a sweep never quietly covers only the first page
    // nor follows new cursors forever.
    let mut walk = crate::provider::paging::Walk::default();
    let mut bound = crate::provider::paging::Bound::default();
    loop {
        let server = filter.selection.server.as_ref();
        let page = match filter.ended_before {
            Some(before) => provider.list_ended_page(cursor, before, server).await?,
            None => {
                provider
                    .list_page(cursor, !filter.include_inactive, server)
                    .await?
            }
        };
        let held = page.rows.len();
        let fresh: Vec<SessionRow> = (page.rows.into_iter())
            .filter(|r| walk.first_time(r))
            .collect();
        // (A streamed page's rows are still to come: it names no next page.)
        walk.page(held, fresh.len(), page.next.is_some())?;
        bound.read(fresh.len(), page.total, filter.max_rows)?;
        let mut rest = page.rest;
        let mut rows = fresh.into_iter();
        let mut verdicts = Vec::new();
        let mut stop = false;
        loop {
            let row = match rows.next() {
                Some(row) => row,
                None => match rest.as_mut() {
                    Some(stream) => match stream.next().await {
                        Some(row) if walk.first_time(&row) => {
                            bound.read(1, page.total, filter.max_rows)?;
                            row
                        }
                        Some(_) => continue,
                        None => break,
                    },
                    None => break,
                },
            };
            lifetimes.observe(provider, &row);
            match judge(provider, row, filter, now) {
                Verdict::Stop => {
                    stop = true;
                    break;
                }
                v if selected(&v, filter) => verdicts.push(v),
                _ => {}
            }
            if verdicts.len() >= BATCH {
                keeper
                    .settle(provider, std::mem::take(&mut verdicts), now)
                    .await;
                if keeper.full() {
                    return Ok(false);
                }
            }
        }
        // A stream left unread (stopped early) is dropped, and its decoder stops.
        if let (false, Some(stream)) = (stop, rest) {
            stream.finish().await?;
        }
        keeper.settle(provider, verdicts, now).await;
        match page.next {
            _ if stop => return Ok(false),
            Some(_) if filter.enough.is_some_and(|e| keeper.candidates >= e) => return Ok(true),
            Some(next) if !keeper.full() => cursor = Some(walk.follow(next)?),
            _ => return Ok(false),
        }
    }
}

/// `--orphans`: every row is kept that `--where` selects, up to the limit; the reason says
/// what makes it one.
async fn orphans(
    provider: &dyn Provider,
    filter: &Filter,
    now: Timestamp,
) -> Result<Vec<Listed>, ListError> {
    let orphans = provider.orphans().await?;
    let selected = (orphans.into_iter())
        .filter(|o| filter.selection.matches(|field| o.row.value(field)))
        .map(|Orphan { row, left }| {
            let mut reason = format!("left behind: {left}, held by no live session");
            if !filter.selection.is_empty() {
                reason.push_str("; ");
                reason.push_str(&filter.selection.describe());
            }
            listed(row, None, now, Some(reason), None)
        });
    Ok(selected.take(filter.limit.unwrap_or(usize::MAX)).collect())
}

/// Resolves a page's verdicts in order, asking the provider about the rows it must confirm.
async fn confirm_all(
    provider: &dyn Provider,
    verdicts: Vec<Verdict>,
    filter: &Filter,
    now: Timestamp,
) -> Vec<Listed> {
    let Some(idle_before) = filter.idle_before else {
        return keep_only(verdicts);
    };
    let sweep = Sweep { now, idle_before };
    let confirmed = futures::future::join_all(verdicts.into_iter().map(|v| async move {
        match v {
            Verdict::Confirm { row, older } => {
                let verdict = provider.confirm(&row, &sweep).await;
                decided(row, verdict, now, older)
            }
            v => v,
        }
    }))
    .await;
    keep_only(confirmed)
}

/// A selected session judged again on a fresh `row`, by the listing's own rules at `now`,
/// right before acting on it (`--recheck-after`). `Ok` when it still qualifies, with what
/// was measured (its reason), else why not (`active again: last activity …`); with the
/// requests the judgement took (a confirmation).
pub async fn rejudge(
    provider: &dyn Provider,
    row: SessionRow,
    filter: &Filter,
    now: Timestamp,
) -> (Result<Option<String>, String>, usize) {
    let verdict = judge(provider, row.clone(), filter, now);
    if !selected(&verdict, filter) {
        let why = format!("no longer matches --where {}", filter.selection.describe());
        return (Err(why), 0);
    }
    let requests = usize::from(matches!(verdict, Verdict::Confirm { .. }));
    let kept = confirm_all(provider, vec![verdict], filter, now).await;
    let result = match kept.into_iter().next() {
        // What this judgement measured, said as the listing says it (`settle`), so that the
        // result's reason is the fresh evidence's, not the plan's or the first listing's.
        Some(Listed {
            problem: None,
            reason,
            ..
        }) => Ok(reason.map(|mut reason| {
            if !filter.selection.is_empty() {
                reason.push_str("; ");
                reason.push_str(&filter.selection.describe());
            }
            reason
        })),
        Some(Listed {
            problem: Some(p), ..
        }) => Err(format!("cannot be re-checked: {p}")),
        None => Err(why_not(&row, requests > 0)),
    };
    (result, requests)
}

/// Why a session the listing selected no longer qualifies, from its fresh row; `confirmed`:
/// the server was asked for its activity (which the row alone may not show).
fn why_not(row: &SessionRow, confirmed: bool) -> String {
    match (row.active, row.participants, row.activity.as_deref()) {
        (false, _, _) => "no longer active: it ended".into(),
        _ if confirmed => {
            "active again: its newest activity, read again, is after the cut-off".into()
        }
        (_, Some(n), _) if n > 0 => format!("occupied again: {n} live participant(s)"),
        (_, _, Some(at)) => format!("active again: last activity {at}"),
        _ => "no longer qualifies".into(),
    }
}

fn keep_only(verdicts: Vec<Verdict>) -> Vec<Listed> {
    verdicts
        .into_iter()
        .filter_map(|v| match v {
            Verdict::Keep(l) => Some(l),
            _ => None,
        })
        .collect()
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
            created: Some("2024-01-01T00:00:00Z".into()),
            active,
            participants,
            ..SessionRow::default()
        }
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_cutoff_itself_is_not_idle() {
        let cutoff = at("2024-03-27T08:00:00Z");
        let sweep = Sweep {
            now: at("2024-03-27T11:02:30Z"),
            idle_before: cutoff,
        };
        let just_before = cutoff - jiff::SignedDuration::from_nanos(1);
        match sweep.judge(just_before, "last activity") {
            Staleness::Stale { reason, .. } => {
                assert!(reason.starts_with("idle 3h 2m"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(sweep.judge(cutoff, "last activity"), Staleness::Fresh);
    }

    #[test]
    fn a_missing_or_unreadable_activity_is_unknown_never_stale() {
        let sweep = Sweep {
            now: at("2024-03-27T12:00:00Z"),
            idle_before: at("2024-03-27T08:00:00Z"),
        };
        let mut r = row(true, None);
        assert!(matches!(
            crate::provider::by_activity(&r, &sweep),
            Staleness::Unknown(_)
        ));
        r.activity = Some("yesterday".into());
        assert!(matches!(
            crate::provider::by_activity(&r, &sweep),
            Staleness::Unknown(why) if why.contains("yesterday")
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
            _: Vec<crate::ids::SessionId>,
        ) -> Vec<crate::outcome::SessionResult> {
            unreachable!("listing only")
        }

        async fn probe(
            &self,
            _: crate::provider::Action,
            _: Vec<crate::ids::SessionId>,
        ) -> Vec<crate::outcome::SessionResult> {
            unreachable!("listing only")
        }

        async fn list_page(
            &self,
            cursor: Option<String>,
            _: bool,
            _: Option<&crate::select::ServerFilter>,
        ) -> Result<crate::provider::Page, ListError> {
            Ok(crate::provider::Page {
                rows: (self.rows)(&cursor),
                next: (self.next)(cursor),
                rest: None,
                total: None,
            })
        }
    }

    /// A session read again before acting is judged by the listing's own rules, and one
    /// that no longer qualifies says why.
    #[tokio::test]
    async fn a_rejudged_session_says_why_it_no_longer_qualifies() {
        let provider = Repeating {
            rows: |_| Vec::new(),
            next: |_| None,
        };
        let selector = crate::select::Selector {
            terms: vec![crate::provider::registry::parse_term("metadata.env=staging").unwrap()],
        };
        let fields = [crate::select::Selectable::rows("metadata")];
        let filter = Filter {
            idle_before: Some(at("2024-06-01T11:00:00Z")),
            selection: selector.for_provider(&fields, "p").unwrap(),
            ..Filter::default()
        };
        let now = at("2024-06-01T12:00:00Z");
        let fresh = |activity: &str, active: bool, env: &str| {
            let mut r = row(active, None);
            r.activity = Some(activity.into());
            r.fields = (crate::provider::Fields::default())
                .metadata(serde_json::json!({ "env": env }).as_object().cloned());
            r
        };
        for (r, want) in [
            // What it was selected on this time, as the listing says it.
            (
                fresh("2024-06-01T07:00:00Z", true, "staging"),
                Ok(Some(
                    "idle 5h (last activity 2024-06-01T07:00:00Z); metadata.env=staging".to_owned(),
                )),
            ),
            (
                fresh("2024-06-01T11:30:00Z", true, "staging"),
                Err("active again: last activity 2024-06-01T11:30:00Z".to_owned()),
            ),
            (
                fresh("2024-06-01T07:00:00Z", false, "staging"),
                Err("no longer active: it ended".to_owned()),
            ),
            (
                fresh("2024-06-01T07:00:00Z", true, "prod"),
                Err("no longer matches --where metadata.env=staging".to_owned()),
            ),
        ] {
            let (got, requests) = rejudge(&provider, r, &filter, now).await;
            assert_eq!((got, requests), (want, 0));
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
        let err = collect(&same_cursor, &Filter::default(), Timestamp::now())
            .await
            .unwrap_err();
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
        let err = collect(&ignores_pages, &Filter::default(), Timestamp::now())
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
            collect(&anonymous, &Filter::default(), Timestamp::now())
                .await
                .unwrap()
                .len(),
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
        let kept = collect(&shifting, &Filter::default(), Timestamp::now())
            .await
            .unwrap();
        let ids: Vec<&str> = kept.iter().map(|l| l.row.id.as_str()).collect();
        assert_eq!(ids, ["s-first", "s-2"]);
    }

    #[tokio::test]
    async fn empty_means_known_empty() {
        let people = Repeating {
            rows: |_| {
                let counts = [Some(0), Some(2), None];
                (counts.iter().enumerate())
                    .map(|(i, n)| SessionRow {
                        id: format!("s{i}"),
                        ..row(true, *n)
                    })
                    .collect()
            },
            next: |_| None,
        };
        let f = Filter {
            empty_only: true,
            ..Filter::default()
        };
        let kept = collect(&people, &f, Timestamp::now()).await.unwrap();
        let ids: Vec<&str> = kept.iter().map(|l| l.row.id.as_str()).collect();
        assert_eq!(ids, ["s0"]);
    }

    /// An ordered list of rows owned by `u-1`/`u-2` (the last one fresh) that records the
    /// server filter it was asked for and every row it was asked to confirm.
    #[derive(Default)]
    struct Owned {
        asked: std::sync::Mutex<Vec<Option<String>>>,
        confirmed: std::sync::Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl Provider for Owned {
        async fn apply(
            &self,
            _: crate::provider::Action,
            _: Vec<crate::ids::SessionId>,
        ) -> Vec<crate::outcome::SessionResult> {
            unreachable!("listing only")
        }

        async fn probe(
            &self,
            _: crate::provider::Action,
            _: Vec<crate::ids::SessionId>,
        ) -> Vec<crate::outcome::SessionResult> {
            unreachable!("listing only")
        }

        async fn list_page(
            &self,
            _: Option<String>,
            _: bool,
            server: Option<&crate::select::ServerFilter>,
        ) -> Result<crate::provider::Page, ListError> {
            self.asked
                .lock()
                .unwrap()
                .push(server.map(|s| s.value.clone()));
            let rows = [("a", "u-1", "01"), ("b", "u-2", "02"), ("c", "u-1", "03")]
                .into_iter()
                .chain([("fresh", "u-2", "23"), ("after", "u-1", "01")])
                .map(|(id, user, hour)| SessionRow {
                    id: id.into(),
                    fields: crate::provider::Fields::default().with("user", Some(user)),
                    activity: Some(format!("2024-03-27T{hour}:00:00Z")),
                    ..row(true, None)
                })
                .collect();
            Ok(crate::provider::Page {
                rows,
                ..Default::default()
            })
        }

        fn ordered_by_activity(&self, _: Option<&crate::select::ServerFilter>) -> bool {
            true
        }

        fn staleness(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
            match crate::provider::by_activity(row, sweep) {
                Staleness::Stale { .. } => Staleness::Confirm,
                other => other,
            }
        }

        async fn confirm(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
            self.confirmed.lock().unwrap().push(row.id.clone());
            crate::provider::by_activity(row, sweep)
        }
    }

    fn where_(terms: &[&str]) -> crate::select::Selection {
        let fields = [crate::select::Selectable::server("user", "GET /users/{id}")];
        let terms = terms
            .iter()
            .map(|t| crate::provider::registry::parse_term(t).unwrap());
        let selector = crate::select::Selector {
            terms: terms.collect(),
        };
        selector.for_provider(&fields, "test").unwrap()
    }

    #[tokio::test]
    async fn a_selection_is_sent_to_the_server_checked_on_rows_and_named_in_reasons() {
        let provider = Owned::default();
        let filter = Filter {
            idle_before: Some(at("2024-03-27T12:00:00Z")),
            selection: where_(&["user=u-1"]),
            ..Filter::default()
        };
        let kept = collect(&provider, &filter, Timestamp::now()).await.unwrap();
        let ids: Vec<&str> = kept.iter().map(|l| l.row.id.as_str()).collect();
        // `b` is another user's: dropped, although this server sent it. The fresh row stops
        // the ordered listing even though it is not selected (`after` is never seen).
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(*provider.asked.lock().unwrap(), [Some("u-1".to_owned())]);
        // Rows outside the selection cost no confirmation.
        assert_eq!(*provider.confirmed.lock().unwrap(), ["a", "c"]);
        let reason = kept[0].reason.as_deref().unwrap();
        assert!(
            reason.starts_with("idle ") && reason.ends_with("; user=u-1"),
            "{reason}"
        );
    }

    #[tokio::test]
    async fn a_client_side_selection_lists_everything_and_keeps_the_match() {
        let provider = Owned::default();
        let filter = Filter {
            selection: where_(&["user!=u-1"]),
            ..Filter::default()
        };
        let kept = collect(&provider, &filter, Timestamp::now()).await.unwrap();
        let ids: Vec<&str> = kept.iter().map(|l| l.row.id.as_str()).collect();
        assert_eq!(ids, ["b", "fresh"]);
        assert_eq!(*provider.asked.lock().unwrap(), [None]);
        assert!(
            kept.iter().all(|l| l.reason.is_none()),
            "a plain list has no reason"
        );
    }
}
