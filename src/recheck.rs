//! Re-checking before acting (`--recheck-after`, profile key `recheck_after`): a sweep
//! judges every session first and acts afterwards, and paced to a real limit that gap is
//! long. So no session is acted on by a verdict older than the bound: when the run reaches
//! one whose evidence (its listed row) is older, the row is read again, the cheapest way
//! its provider has (one read where it can read one session, else one listing that covers
//! the whole batch), and judged again by the sweep's own rules (idleness, occupancy,
//! `--where`, the protect list). One that no longer qualifies is `skipped` with why
//! (`error_kind` `changed`, not a failure). A gate ([`crate::gate`]) in front of each
//! profile's provider, so that every batch meets it right before it is sent.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use tokio::time::Instant;

use crate::gate::{Gate, Gated, Sorted};
use crate::guard::Cleared;
use crate::ids::SessionId;
use crate::outcome::{ErrorKind, Outcome, SessionResult};
use crate::protect::Protect;
use crate::provider::{Action, Provider, SessionRow};
use crate::stale::Filter;

/// The bound when neither the flag nor the profile sets one.
pub const DEFAULT_AFTER: Duration = Duration::from_secs(60);

/// What the re-checks of a run cost, for its summary.
#[derive(Debug, Default)]
pub struct Stats {
    sessions: AtomicUsize,
    requests: AtomicUsize,
}

impl Stats {
    /// Sessions read again, and the requests that took (beyond the listing).
    pub fn counts(&self) -> (usize, usize) {
        (
            self.sessions.load(Ordering::Relaxed),
            self.requests.load(Ordering::Relaxed),
        )
    }

    fn add(&self, sessions: usize, requests: usize) {
        self.sessions.fetch_add(sessions, Ordering::Relaxed);
        self.requests.fetch_add(requests, Ordering::Relaxed);
    }
}

/// A session's evidence: its row, when it was read, and whether that row was judged.
struct Evidence {
    row: SessionRow,
    at: Instant,
    judged: bool,
}

/// One profile's listing, as its re-checks need it.
pub struct Listing {
    /// The rows it selected, by ID, all read at `listed`.
    pub rows: Vec<SessionRow>,
    pub listed: Instant,
    /// The filter it selected them with, at `now`.
    pub filter: Filter,
    pub now: Timestamp,
    pub protect: Protect,
    pub after: Duration,
    /// The profile's guard's handle: a session its re-check found unprotected on a row the
    /// server just sent is cleared there, so the guard need not read it again (on a provider
    /// that cannot read one session, it could not, and would refuse it).
    pub cleared: Cleared,
}

/// `inner` behind a re-check of `sweep`'s evidence.
pub fn wrap(inner: Arc<dyn Provider>, sweep: Listing, stats: Arc<Stats>) -> Arc<dyn Provider> {
    let evidence = (sweep.rows.into_iter())
        .map(|row| {
            let e = Evidence {
                row,
                at: sweep.listed,
                judged: true,
            };
            (e.row.id.clone(), e)
        })
        .collect();
    let gate = Recheck {
        inner: inner.clone(),
        evidence: Mutex::new(evidence),
        filter: sweep.filter,
        now: sweep.now,
        started: sweep.listed,
        protect: sweep.protect,
        after: sweep.after,
        cleared: sweep.cleared,
        relisting: tokio::sync::Mutex::new(()),
        measured: Mutex::default(),
        stats,
    };
    Arc::new(Gated::new(inner, gate))
}

struct Recheck {
    inner: Arc<dyn Provider>,
    evidence: Mutex<HashMap<String, Evidence>>,
    filter: Filter,
    /// The sweep's "now", at `started`: a re-check judges at `now` plus the time since.
    now: Timestamp,
    started: Instant,
    protect: Protect,
    after: Duration,
    cleared: Cleared,
    /// Held while a batch decides what to read again and relists it (a provider that
    /// cannot read one session): the batches in flight beside it wait, then find their rows
    /// refreshed by that one listing instead of each sending its own.
    relisting: tokio::sync::Mutex<()>,
    /// What each session let through was judged on when read again (its reason, by ID),
    /// for its result: the verdict was made on that, not on the listing's or the plan's row.
    measured: Mutex<HashMap<String, String>>,
    stats: Arc<Stats>,
}

/// Why a session is not acted on after all.
fn changed(id: SessionId, why: String) -> SessionResult {
    let mut r = SessionResult::new(id, Outcome::Skipped);
    r.error = Some(format!("not acted on: {why}"));
    r.error_kind = Some(ErrorKind::Changed);
    r
}

/// A relist's failure after `pages` pages, with why: [`Recheck::relist`]'s `Err`.
fn failed_at<E: std::fmt::Display>(pages: usize) -> impl Fn(E) -> (usize, String) {
    move |e| (pages, e.to_string())
}

impl Recheck {
    fn evidence(&self) -> std::sync::MutexGuard<'_, HashMap<String, Evidence>> {
        self.evidence.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads again the rows of `ids`: each one by one where the provider can, else one
    /// listing for them all. `None`: the server no longer has (or lists) it. With the
    /// requests it took, and why each one missing from the rows could not be read (its own
    /// read's error, or the relist's for them all).
    async fn refresh(
        &self,
        ids: &[SessionId],
    ) -> (
        HashMap<String, Option<SessionRow>>,
        usize,
        HashMap<String, String>,
    ) {
        if self.inner.features().reads_one {
            let reads = ids.iter().map(|id| async move {
                let key = id.as_str().to_owned();
                let row = crate::client::tally::for_key(&key, self.inner.read(id)).await;
                (key, row)
            });
            let mut rows = HashMap::new();
            let mut why = HashMap::new();
            for (id, row) in futures::future::join_all(reads).await {
                match row {
                    Ok(row) => rows.insert(id, row),
                    // Unread is unproven: judged as gone would be a guess either way.
                    Err(e) => {
                        why.insert(id, e.to_string());
                        continue;
                    }
                };
            }
            return (rows, ids.len(), why);
        }
        let wanted: HashSet<&str> = ids.iter().map(|id| id.as_str()).collect();
        match self.relist(&wanted).await {
            Ok((rows, pages)) => (rows, pages, HashMap::new()),
            Err((pages, why)) => {
                let why = ids.iter().map(|id| (id.to_string(), why.clone()));
                (HashMap::new(), pages, why.collect())
            }
        }
    }

    /// Pages through the list until every one of `wanted` is seen (or the list ends); every
    /// selected session met on the way gets its fresh row too. `Err`: the pages it took and
    /// why the listing failed.
    async fn relist(
        &self,
        wanted: &HashSet<&str>,
    ) -> Result<(HashMap<String, Option<SessionRow>>, usize), (usize, String)> {
        let server = self.filter.selection.server.as_ref();
        let mut found: HashMap<String, Option<SessionRow>> = HashMap::new();
        let mut cursor = None;
        let mut pages = 0;
        // The listing's own guards: a server that pages forever, sends more sessions than it
        // announced, or lists more than the profile's `max_listed`, is refused here too.
        let mut walk = crate::provider::paging::Walk::default();
        let mut bound = crate::provider::paging::Bound::default();
        let max = self.filter.max_rows;
        loop {
            pages += 1;
            let page = match self.filter.ended_before {
                Some(before) => (self.inner)
                    .list_ended_page(cursor, before, server)
                    .await
                    .map_err(failed_at(pages))?,
                None => (self.inner)
                    .list_page(cursor, !self.filter.include_inactive, server)
                    .await
                    .map_err(failed_at(pages))?,
            };
            let held = page.rows.len();
            let total = page.total;
            let mut rows: Vec<SessionRow> = (page.rows.into_iter())
                .filter(|r| walk.first_time(r))
                .collect();
            walk.page(held, rows.len(), page.next.is_some())
                .map_err(failed_at(pages))?;
            bound
                .read(rows.len(), total, max)
                .map_err(failed_at(pages))?;
            if let Some(mut rest) = page.rest {
                while let Some(row) = rest.next().await {
                    if walk.first_time(&row) {
                        bound.read(1, total, max).map_err(failed_at(pages))?;
                        rows.push(row);
                    }
                }
                rest.finish().await.map_err(failed_at(pages))?;
            }
            let now = Instant::now();
            let mut evidence = self.evidence();
            for row in rows {
                if let Some(e) = evidence.get_mut(&row.id) {
                    *e = Evidence {
                        row: row.clone(),
                        at: now,
                        judged: false,
                    };
                }
                if wanted.contains(row.id.as_str()) {
                    found.insert(row.id.clone(), Some(row));
                }
            }
            drop(evidence);
            match page.next {
                Some(next) if found.len() < wanted.len() => {
                    cursor = Some(walk.follow(next).map_err(failed_at(pages))?)
                }
                // The whole list read: what it did not show is gone.
                _ => {
                    for id in wanted {
                        found.entry((*id).to_owned()).or_insert(None);
                    }
                    return Ok((found, pages));
                }
            }
        }
    }

    /// The sweep's filter as it stands `elapsed` after the listing: every cut-off moves on.
    fn filter_now(&self) -> (Filter, Timestamp) {
        let elapsed = self.started.elapsed();
        let shift = |t: Option<Timestamp>| t.map(|t| t + elapsed);
        let filter = Filter {
            idle_before: shift(self.filter.idle_before),
            created_before: shift(self.filter.created_before),
            ended_before: shift(self.filter.ended_before),
            ..self.filter.clone()
        };
        (filter, self.now + elapsed)
    }

    /// Judges `id` again on its `row`, read afresh (`None`: no longer there).
    async fn rejudge(
        &self,
        id: SessionId,
        row: Option<SessionRow>,
    ) -> (Result<SessionId, SessionResult>, usize) {
        let Some(row) = row else {
            return (
                Err(changed(
                    id,
                    "gone: the server no longer has or lists it".into(),
                )),
                0,
            );
        };
        if let Some(term) = self.protect.of_row(&row) {
            let mut r = SessionResult::new(id, Outcome::Protected);
            r.note = Some(format!(
                "protected by `{term}`: left alone (read again before acting)"
            ));
            return (Err(r), 0);
        }
        // Checked on the row just read from the server (never the plan's evidence, a file
        // anyone may edit): the guard below may take this as its own check.
        self.cleared.insert(id.as_str());
        let (filter, now) = self.filter_now();
        match crate::stale::rejudge(self.inner.as_ref(), row, &filter, now).await {
            (Ok(reason), requests) => {
                if let Some(reason) = reason {
                    let mut measured = self.measured.lock().unwrap_or_else(|p| p.into_inner());
                    measured.insert(id.to_string(), reason);
                }
                (Ok(id), requests)
            }
            (Err(why), requests) => (Err(changed(id, why)), requests),
        }
    }
}

/// The bottom of `apply --dry-run`'s providers ([`crate::runner::DryRun::Recheck`]): the
/// gates above it (the protect list, the re-check) read what they need, and what they let
/// through is said as a client dry run says it, never probed nor acted on. With `exists`
/// (a plan of IDs given, whose entries no re-check reads), each is first read where the
/// provider reads one session, so that one gone since the plan says so.
pub fn unsent(inner: Arc<dyn Provider>, exists: bool) -> Arc<dyn Provider> {
    let gate = Unsent {
        inner: inner.clone(),
        exists: exists && inner.features().reads_one,
    };
    Arc::new(Gated::new(inner, gate))
}

struct Unsent {
    inner: Arc<dyn Provider>,
    exists: bool,
}

#[async_trait]
impl Gate for Unsent {
    /// Lets nothing through: every ID is answered here.
    async fn sort(&self, action: Action, ids: Vec<SessionId>) -> Sorted {
        if !self.exists {
            return (Vec::new(), self.inner.dry(action, ids));
        }
        let reads = ids.into_iter().map(|id| async move {
            let key = id.as_str().to_owned();
            let read = crate::client::tally::for_key(&key, self.inner.read(&id)).await;
            (id, read)
        });
        let mut results = Vec::new();
        for (id, read) in futures::future::join_all(reads).await {
            results.push(match read {
                Ok(Some(_)) => self.inner.dry(action, vec![id]).remove(0),
                Ok(None) => SessionResult::new(id, Outcome::NotFound)
                    .with_error("gone: the server no longer has it (read again)"),
                Err(why) => {
                    let mut r = self.inner.dry(action, vec![id]).remove(0);
                    r.note = Some(format!("not read again: {why}"));
                    r
                }
            });
        }
        (Vec::new(), results)
    }
}

#[async_trait]
impl Gate for Recheck {
    async fn sort(&self, _action: Action, ids: Vec<SessionId>) -> Sorted {
        // Evidence past the bound is read again; what a listing refreshed on the way (for
        // another batch) is judged again without another request. A row read since this
        // batch reached the gate is as fresh as one read now, whatever the bound.
        let reached = Instant::now();
        let turn = match self.inner.features().reads_one {
            true => None,
            false => Some(self.relisting.lock().await),
        };
        let (old, fresh_unjudged): (Vec<SessionId>, Vec<SessionId>) = {
            let evidence = self.evidence();
            let mut old = Vec::new();
            let mut unjudged = Vec::new();
            for id in &ids {
                match evidence.get(id.as_str()) {
                    Some(e) if e.at < reached && e.at.elapsed() > self.after => {
                        old.push(id.clone())
                    }
                    Some(e) if !e.judged => unjudged.push(id.clone()),
                    _ => {}
                }
            }
            (old, unjudged)
        };
        if old.is_empty() && fresh_unjudged.is_empty() {
            return (ids, Vec::new());
        }
        let (mut rows, mut requests, why) = match old.is_empty() {
            true => (HashMap::new(), 0, HashMap::new()),
            false => self.refresh(&old).await,
        };
        // The listing is done and its rows are in the evidence: the next batch may look.
        drop(turn);
        {
            let evidence = self.evidence();
            for id in &fresh_unjudged {
                if let Some(e) = evidence.get(id.as_str()) {
                    rows.insert(id.to_string(), Some(e.row.clone()));
                }
            }
        }
        let mut go = Vec::new();
        let mut stopped = Vec::new();
        let mut sessions = 0;
        for id in ids {
            let Some(row) = rows.remove(id.as_str()) else {
                let rechecking = old.contains(&id);
                match rechecking {
                    // It could not be read again: never acted on by a stale verdict.
                    true => {
                        let because =
                            (why.get(id.as_str())).map_or(String::new(), |w| format!(": {w}"));
                        let mut r = SessionResult::new(id, Outcome::Skipped);
                        r.error = Some(format!(
                            "not acted on: its evidence is old and it could not be read again{because}"
                        ));
                        r.error_kind = Some(ErrorKind::Other);
                        stopped.push(r);
                    }
                    false => go.push(id),
                }
                continue;
            };
            sessions += 1;
            let (verdict, confirms) = self.rejudge(id, row).await;
            requests += confirms;
            match verdict {
                Ok(id) => go.push(id),
                Err(r) => stopped.push(r),
            }
        }
        self.stats.add(sessions, requests);
        (go, stopped)
    }

    /// Each result says what its re-check measured, where one was made.
    fn amend(&self, results: &mut [SessionResult]) {
        let mut measured = self.measured.lock().unwrap_or_else(|p| p.into_inner());
        for r in results {
            if let Some(reason) = measured.remove(&r.id) {
                r.reason = Some(reason);
            }
        }
    }
}
