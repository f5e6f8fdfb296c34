//! LangGraph Agent Server threads (`providers.md` §4), as `langgraph-sdk` 0.4.14 calls them
//! (`_async/threads.py`, `_async/runs.py`, `schema.py`) and `langgraph-api` 0.16.7 with
//! `langgraph-runtime-inmem` 0.36.7 answers them.
//!
//! A thread has no "end" of its own: what an operator leaves open is a run that never
//! finishes, so `end` cancels the thread's pending and running runs. `delete` removes the
//! thread; the server would delete a busy one (and its run) without a word, so it is read
//! first and a busy thread is refused. The calls live in [`wire`]; this file decides.

mod wire;

use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::SecretString;

use super::fields::Named;
use super::unit::{self, ProviderConfig};
use super::{
    Action, Capabilities, ListError, Options, Page, Provider, SessionRow, Staleness, Sweep,
};
use crate::client::http::{Http, MessageOf};
use crate::ids::SessionId;
use crate::outcome::{Outcome, SessionResult};
use crate::select::{Selectable, ServerFilter};

/// `provider = "langgraph"`: no keys of its own.
#[derive(Debug)]
pub struct Factory;

impl unit::Factory for Factory {
    fn name(&self) -> &str {
        "langgraph"
    }

    fn keys(&self) -> &[&'static str] {
        &[]
    }

    /// The thread's own state (`ThreadStatus`: `idle`, `busy`, `interrupted`, `error`).
    fn fields(&self) -> &[Named] {
        const { &[Named::selected("status", "STATUS")] }
    }

    fn parse(
        &self,
        _: &mut crate::section::Section,
    ) -> Result<std::sync::Arc<dyn ProviderConfig>, crate::section::SectionError> {
        Ok(std::sync::Arc::new(Config))
    }
}

#[derive(Debug)]
struct Config;

const CAPS: Capabilities = Capabilities {
    needs_key: false,
    reports_participants: false,
    published_rate: None,
    orphans: false,
    judges: super::Judges::BOTH,
};

impl ProviderConfig for Config {
    fn name(&self) -> &'static str {
        "langgraph"
    }

    /// `langgraph dev`'s default (`langgraph_cli`); deployments name their own URL.
    fn default_base_url(&self) -> &'static str {
        "http://127.0.0.1:2024"
    }

    fn caps(&self) -> &Capabilities {
        &CAPS
    }

    fn error_message(&self) -> MessageOf {
        MessageOf::new(error_message)
    }

    fn deletes(&self) -> &'static str {
        "each thread with its state and its runs"
    }

    fn selectable(&self) -> &'static [Selectable] {
        SELECTABLE
    }

    /// Deployments (LangSmith) take the key as `x-api-key`, as the SDK sends it; `langgraph
    /// dev` checks none unless the graph configures custom auth.
    fn auth(&self, key: &SecretString) -> Vec<(HeaderName, HeaderValue)> {
        super::x_api_key(key)
    }

    fn build(&self, http: Http, _profile: &str, opts: &Options) -> Box<dyn Provider> {
        Box::new(LangGraph {
            http,
            action: opts.action,
        })
    }
}

/// Starlette's `HTTPException` body, `{"detail": "..."}` (every error of `langgraph_api`).
fn error_message(body: &serde_json::Value) -> Option<String> {
    body.get("detail")?.as_str().map(str::to_owned)
}

/// `POST /threads/search` filters `status` and `metadata` (by JSON containment), one of
/// them per listing (see [`wire::search_body`]); every term is checked on the rows too.
const SELECTABLE: &[Selectable] = &[
    Selectable::server("status", "POST /threads/search {\"status\"}"),
    Selectable::server("metadata", "POST /threads/search {\"metadata\"}"),
    Selectable::rows("thread"),
    Selectable::rows("id"),
];

struct LangGraph {
    http: Http,
    /// What the run does to the threads it selects: a sweep judges a thread by it (see
    /// [`staleness`]).
    action: Option<Action>,
}

/// The thread statuses of `schema.py` (`ThreadStatus`).
const STATUSES: &[&str] = &["idle", "busy", "interrupted", "error"];

/// Why a busy thread is never deleted (the server would cancel its run and delete it).
const BUSY: &str = "busy: a run is in progress, and sessionctl never deletes a busy thread \
                    (end it first)";

impl LangGraph {
    /// `end`: the thread's pending and running runs, then one cancel for all of them.
    async fn end(&self, id: SessionId) -> SessionResult {
        let runs = match wire::active_runs(&self.http, &id).await {
            Ok(runs) => runs,
            Err(result) => return *result,
        };
        if runs.run_ids.is_empty() {
            return nothing_to_end(id, &runs);
        }
        let result = wire::cancel(&self.http, &id, &runs.run_ids).await;
        let mut r = match result {
            // The runs finished between the read and the cancel (or an earlier attempt
            // cancelled them and its reply was lost): nothing is left running either way.
            Ok(reply) if reply.status == 404 && !super::no_such_route(&reply) => {
                match reply.earlier_lost {
                    true => super::after_lost_reply(&id, &reply, "has nothing to cancel"),
                    false => SessionResult::from_reply(&id, Outcome::AlreadyEnded, &reply),
                }
            }
            other => super::per_id_outcome(&id, other, Outcome::Ended, NO_CONTENT),
        };
        r.attempts += runs.attempts;
        r
    }

    /// `delete`: refused for a busy thread, else `DELETE /threads/{id}`.
    async fn delete(&self, id: SessionId) -> SessionResult {
        let read = match self.deletable(&id).await {
            Ok(attempts) => attempts,
            Err(result) => return *result,
        };
        let result = wire::delete(&self.http, &id).await;
        let mut r = super::per_id_outcome(&id, result, Outcome::Deleted, NO_CONTENT);
        r.attempts += read;
        r
    }

    /// Reads the thread: `Ok` with the requests it took when it may be deleted, `Err` with
    /// its result when not (gone, busy, or the read failed).
    async fn deletable(&self, id: &SessionId) -> Result<u32, Box<SessionResult>> {
        let (reply, thread) = wire::get_thread(&self.http, id).await?;
        match thread.status.as_deref() {
            Some("busy") => Err(Box::new(
                SessionResult::from_reply(id, Outcome::Failed, &reply).with_error(BUSY),
            )),
            _ => Ok(reply.attempts),
        }
    }
}

/// Cancelling runs and deleting a thread both answer 204 with no body.
const NO_CONTENT: super::Success = super::Success {
    status: 204,
    body: super::Body::Empty,
};

/// No pending or running run: the thread is not in use, so `end` has nothing to do.
fn nothing_to_end(id: SessionId, runs: &wire::ActiveRuns) -> SessionResult {
    let mut r = SessionResult::from_reply(id, Outcome::AlreadyEnded, &runs.last);
    r.note = Some("no pending or running run".into());
    r.attempts = runs.attempts;
    r
}

#[async_trait]
impl Provider for LangGraph {
    fn features(&self) -> super::Features {
        super::Features {
            reads_one: true,
            ..super::Features::default()
        }
    }

    async fn apply(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        super::each(ids, |id| async move {
            match action {
                Action::End => self.end(id).await,
                Action::Delete => self.delete(id).await,
            }
        })
        .await
    }

    /// The same reads as [`Provider::apply`], without the change: a dry run never promises
    /// what the real run would refuse.
    async fn probe(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        super::each(ids, |id| async move {
            match action {
                Action::End => match wire::active_runs(&self.http, &id).await {
                    Err(result) => *result,
                    Ok(runs) if runs.run_ids.is_empty() => nothing_to_end(id, &runs),
                    Ok(runs) => {
                        let mut r = SessionResult::from_reply(id, Outcome::WouldEnd, &runs.last);
                        r.attempts = runs.attempts;
                        r
                    }
                },
                Action::Delete => match self.deletable(&id).await {
                    Err(result) => *result,
                    Ok(attempts) => {
                        let mut r = SessionResult::new(id, Outcome::WouldDelete);
                        r.attempts = attempts;
                        r
                    }
                },
            }
        })
        .await
    }

    /// `GET /threads/{id}`: the thread as the search shows it.
    async fn read(&self, id: &SessionId) -> Result<Option<SessionRow>, String> {
        match wire::get_thread(&self.http, id).await {
            Ok((_, thread)) => Ok(Some(thread.into_row())),
            Err(r) if r.outcome == Outcome::NotFound => Ok(None),
            Err(r) => Err(format!(
                "reading it failed: {}",
                r.error.as_deref().unwrap_or("no reply")
            )),
        }
    }

    /// `POST /threads/search`, oldest `updated_at` first, by `limit`/`offset`.
    async fn list_page(
        &self,
        cursor: Option<String>,
        _active_only: bool,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        let at = crate::provider::paging::Position::of(cursor.as_deref());
        let (threads, next) = wire::search(&self.http, at, server).await?;
        let rows = threads.into_iter().map(wire::Thread::into_row).collect();
        Ok(Page {
            rows,
            next,
            // The search reply is a bare array; no total is announced.
            rest: None,
            total: None,
        })
    }

    fn staleness(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        staleness(row, sweep, self.action)
    }
}

/// `updated_at` moves with a run's start and end, a state update and a metadata patch
/// (seen on 0.16.7), and not while a run goes on: a busy thread's `updated_at` is when
/// its run started. So a busy thread is judged by it only for `end` (a run going on for
/// that long), never deleted, and the rest only for `delete`. The listing is not read as
/// ordered: rows a sweep passes over for their status are no sign that later ones are
/// fresh.
fn staleness(row: &SessionRow, sweep: &Sweep, action: Option<Action>) -> Staleness {
    let status = match row.fields.str("status") {
        None => return Staleness::Unknown("no thread status".into()),
        Some(s) if !STATUSES.contains(&s) => {
            return Staleness::Unknown(format!("unknown thread status `{s}`"));
        }
        Some(s) => s,
    };
    let busy = status == "busy";
    match action {
        Some(Action::Delete) if busy => return Staleness::Fresh,
        Some(Action::End) if !busy => return Staleness::Fresh,
        _ => {}
    }
    match row.activity.as_deref() {
        None => Staleness::Unknown("no updated_at".into()),
        Some(raw) => match crate::units::parse_time(raw) {
            None => Staleness::Unknown(format!("unreadable timestamp `{raw}`")),
            // Not "idle": a busy thread is working, on one run for that long.
            Some(at) if busy && at < sweep.idle_before => Staleness::Stale {
                since: at,
                reason: format!(
                    "busy {} (its run started {raw}, no update since)",
                    sweep.age(at)
                ),
            },
            Some(_) if busy => Staleness::Fresh,
            Some(at) => sweep.judge(at, &format!("{status}, updated {raw}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Fields;

    fn row(status: Option<&str>, updated: &str) -> SessionRow {
        SessionRow {
            id: "t".into(),
            activity: Some(updated.into()),
            fields: Fields::default().with("status", status),
            ..SessionRow::default()
        }
    }

    fn sweep() -> Sweep {
        Sweep {
            now: "2024-06-01T12:00:00Z".parse().unwrap(),
            idle_before: "2024-06-01T11:00:00Z".parse().unwrap(),
        }
    }

    fn judge(status: Option<&str>, updated: &str, action: Option<Action>) -> &'static str {
        match staleness(&row(status, updated), &sweep(), action) {
            Staleness::Stale { .. } => "stale",
            Staleness::Fresh => "fresh",
            Staleness::Unknown(_) => "unknown",
            Staleness::Confirm => "confirm",
        }
    }

    #[test]
    fn a_busy_thread_is_ended_when_its_run_is_old_and_never_deleted() {
        const OLD: &str = "2024-06-01T09:00:00.123456+00:00";
        const NEW: &str = "2024-06-01T11:30:00+00:00";
        for (status, updated, action, want) in [
            (Some("busy"), OLD, Some(Action::End), "stale"),
            (Some("busy"), NEW, Some(Action::End), "fresh"),
            // The cut-off itself is not stale, busy or not.
            (
                Some("busy"),
                "2024-06-01T11:00:00Z",
                Some(Action::End),
                "fresh",
            ),
            (
                Some("idle"),
                "2024-06-01T11:00:00Z",
                Some(Action::Delete),
                "fresh",
            ),
            (Some("busy"), OLD, Some(Action::Delete), "fresh"),
            (Some("busy"), OLD, None, "stale"),
            (Some("idle"), OLD, Some(Action::End), "fresh"),
            (Some("idle"), OLD, Some(Action::Delete), "stale"),
            (Some("interrupted"), OLD, Some(Action::Delete), "stale"),
            (Some("error"), NEW, Some(Action::Delete), "fresh"),
            (Some("idle"), "yesterday", Some(Action::Delete), "unknown"),
            (Some("paused"), OLD, Some(Action::Delete), "unknown"),
            (None, OLD, Some(Action::Delete), "unknown"),
            (None, OLD, Some(Action::End), "unknown"),
        ] {
            assert_eq!(
                judge(status, updated, action),
                want,
                "{status:?} {updated} {action:?}"
            );
        }
    }

    #[test]
    fn the_error_message_is_the_detail() {
        let body = serde_json::json!({"detail": "Thread with ID x not found"});
        assert_eq!(
            error_message(&body).as_deref(),
            Some("Thread with ID x not found")
        );
        assert_eq!(error_message(&serde_json::json!({"detail": [1]})), None);
    }
}
