//! LangGraph Agent Server threads and runs (`providers.md` §4), as `langgraph-api` 0.16.7
//! with `langgraph-runtime-inmem` 0.36.7 answers them: `POST /threads/search`,
//! `GET|DELETE /threads/{id}`, `GET /threads/{id}/runs`, `POST /runs/cancel`. Errors are
//! Starlette's `{"detail": "..."}`; no auth (as `langgraph dev` without custom auth).
//!
//! Deviations: thread and run IDs need not be UUIDs (upstream answers 422 "Invalid thread ID:
//! must be a UUID"), so the shared tests' IDs work; runs never progress on their own: a
//! seeded busy thread has one `running` run until it is cancelled. Cancelling a running run
//! leaves the thread `interrupted` (upstream: its checkpoint still has a next node), a
//! pending one `idle`. Metadata filters compare each top-level key for equality (upstream:
//! JSON containment, which differs only for nested objects and arrays); cancelling by
//! `status` alone (every thread's runs) is not emulated (422).

use std::sync::Arc;

use axum::http::HeaderValue;
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{Api, Served};
use super::http::{Req, empty, reason};
use super::listing::{self, SortKey};
use super::seed::{Kind, Record, Seed};
use super::state::State;
use super::{Emulator, Shared, clock, demo};

/// A LangGraph thread (kind `langgraph_thread`); a `busy` one has one `running` run (until
/// it is cancelled). `status` is served as it is, so tests can seed one the server never
/// sends.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadSeed {
    pub thread_id: String,
    #[serde(default = "clock::now_nanos")]
    pub created_at: String,
    #[serde(default = "clock::now_nanos")]
    pub updated_at: String,
    #[serde(default = "idle")]
    pub status: String,
    #[serde(default)]
    pub metadata: serde_json::Map<String, Value>,
}

const THREAD: Kind = Kind::of::<ThreadSeed>("langgraph_thread");

fn idle() -> String {
    "idle".to_owned()
}

impl Record for ThreadSeed {
    fn apply(&self, state: &mut State) -> Result<(), String> {
        let t = self.clone();
        let threads = state.table::<Threads>();
        threads.seed(t.thread_id, t.created_at, t.updated_at, t.status, t.metadata);
        Ok(())
    }
}

impl Seed {
    /// A LangGraph thread created and last updated at `updated_at`, in `status` (`busy`:
    /// with one running run).
    pub fn langgraph(id: &str, updated_at: &str, status: &str) -> Seed {
        Seed::from(ThreadSeed {
            thread_id: id.to_owned(),
            created_at: updated_at.to_owned(),
            updated_at: updated_at.to_owned(),
            status: status.to_owned(),
            metadata: serde_json::Map::new(),
        })
    }
}

#[derive(Clone)]
pub(crate) struct Thread {
    id: String,
    created_at: String,
    updated_at: String,
    status: String,
    metadata: serde_json::Map<String, Value>,
    runs: Vec<Run>,
}

#[derive(Clone)]
struct Run {
    id: String,
    status: String,
    created_at: String,
}

impl Thread {
    fn json(&self) -> Value {
        json!({
            "thread_id": self.id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "state_updated_at": self.updated_at,
            "metadata": self.metadata,
            "status": self.status,
            "config": {},
            "values": null,
        })
    }

    fn active_runs(&self) -> usize {
        (self.runs.iter())
            .filter(|r| matches!(r.status.as_str(), "pending" | "running"))
            .count()
    }
}

#[derive(Default)]
pub(crate) struct Threads {
    list: Vec<Thread>,
}

impl Threads {
    /// A thread as seeded; a `busy` one gets one `running` run. Replaces one with its ID.
    pub fn seed(
        &mut self,
        id: String,
        created_at: String,
        updated_at: String,
        status: String,
        metadata: serde_json::Map<String, Value>,
    ) {
        let runs = match status.as_str() {
            "busy" => vec![Run {
                id: uuid::Uuid::new_v4().to_string(),
                status: "running".into(),
                created_at: updated_at.clone(),
            }],
            _ => Vec::new(),
        };
        self.list.retain(|t| t.id != id);
        self.list.push(Thread {
            id,
            created_at,
            updated_at,
            status,
            metadata,
            runs,
        });
    }

    /// `Some(pending or running runs)` for a known thread.
    pub fn active_runs(&self, id: &str) -> Option<usize> {
        self.get(id).map(Thread::active_runs)
    }

    fn get(&self, id: &str) -> Option<&Thread> {
        self.list.iter().find(|t| t.id == id)
    }
}

/// Path prefix of the LangGraph Agent Server API (`/threads`, `/runs`).
const PREFIX: &str = "/langgraph";

/// The LangGraph Agent Server's threads and runs.
pub(crate) struct LangGraph;

/// `langgraph dev` checks no key unless its graph configures custom auth: the default
/// [`Api::authorized`].
impl Api for LangGraph {
    fn seeds(&self) -> &'static [Kind] {
        &[THREAD]
    }

    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn content_type(&self) -> &'static str {
        "application/json"
    }

    /// Starlette style: `{"detail"}`.
    fn error_body(&self, _status: u16, _code: &str, message: &str) -> Value {
        json!({ "detail": message })
    }

    fn status_error(&self, status: u16) -> Response {
        // Starlette's HTTPException for a bare status: its reason phrase.
        self.error(status, "", reason(status))
    }

    fn route(&self, shared: &Arc<Shared>, req: &Req) -> Response {
        route(shared, req)
    }

    fn title(&self) -> &'static str {
        "LangGraph threads"
    }

    fn auth(&self, _served: &Served) -> String {
        "no auth".to_owned()
    }

    fn profiles(&self, served: &Served) -> String {
        format!(
            "[profiles.langgraph]\nprovider = \"langgraph\"\nbase_url = \"{}\"\n",
            self.url(served.base)
        )
    }

    /// (status, updated minutes ago): an idle thread for `delete --idle-for`, a run going on
    /// for hours for `end-many --idle-for`, and a fresh one of each.
    fn demo(&self, now: Timestamp) -> Vec<Seed> {
        let threads = [("idle", 5 * 60), ("busy", 3 * 60), ("idle", 2), ("busy", 1)];
        (1..)
            .zip(threads)
            .map(|(n, (status, idle))| Seed::from(ThreadSeed {
                thread_id: format!("langgraph-demo-{n}"),
                created_at: clock::nanos(demo::ago(now, idle + 60)),
                updated_at: clock::nanos(demo::ago(now, idle)),
                status: status.to_owned(),
                metadata: demo::env(n).as_object().cloned().unwrap_or_default(),
            }))
            .collect()
    }
}

/// Where a client finds this API, and what a test asks of its records.
impl Emulator {
    /// Base URL of the LangGraph Agent Server.
    pub fn langgraph_url(&self) -> String {
        LangGraph.url(&self.url())
    }

    /// `Some(pending or running runs)` for a LangGraph thread that exists, `None` if gone.
    pub fn langgraph_active_runs(&self, id: &str) -> Option<usize> {
        self.shared.lock().table::<Threads>().active_runs(id)
    }
}

fn route(shared: &Shared, req: &Req) -> Response {
    let segs = req.segs();
    match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["threads", "search"]) => search(shared, req),
        ("GET", ["threads", id]) => match shared.lock().table::<Threads>().get(id) {
            Some(t) => LangGraph.json(200, &t.json()),
            None => thread_not_found(id),
        },
        ("DELETE", ["threads", id]) => {
            let mut state = shared.lock();
            let threads = &mut state.table::<Threads>().list;
            let before = threads.len();
            threads.retain(|t| t.id != *id);
            match threads.len() < before {
                true => empty(204),
                false => thread_not_found(id),
            }
        }
        ("GET", ["threads", id, "runs"]) => runs(shared, req, id),
        ("POST", ["runs", "cancel"]) => cancel(shared, req),
        _ => LangGraph.status_error(404),
    }
}

fn detail(status: u16, message: &str) -> Response {
    LangGraph.error(status, "", message)
}

fn thread_not_found(id: &str) -> Response {
    detail(404, &format!("Thread with ID {id} not found"))
}

#[derive(Deserialize)]
struct Search {
    limit: Option<i64>,
    offset: Option<i64>,
    status: Option<String>,
    metadata: Option<serde_json::Map<String, Value>>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    select: Option<Vec<String>>,
}

const STATUSES: &[&str] = &["idle", "busy", "interrupted", "error"];
const FIELDS: &[&str] = &[
    "thread_id",
    "created_at",
    "updated_at",
    "state_updated_at",
    "metadata",
    "config",
    "status",
    "values",
    "interrupts",
];

/// `threads.search`: the request schema's bounds (limit 1..=1000, a known status) as 422s,
/// metadata by containment of each top-level key (`is_jsonb_contained`), the inmem sort
/// (`sort_by`, descending unless `sort_order` is `asc`; default `updated_at` descending),
/// offset paging with `X-Pagination-Total` and, when more follow, `X-Pagination-Next`.
fn search(shared: &Shared, req: &Req) -> Response {
    let q: Search = match req.json() {
        Ok(q) => q,
        Err(e) => return detail(422, &e),
    };
    let limit = q.limit.unwrap_or(10);
    if !(1..=1000).contains(&limit) {
        return detail(
            422,
            &format!("{limit} is out of the range 1..=1000 of limit"),
        );
    }
    let offset = q.offset.unwrap_or(0).max(0) as usize;
    if let Some(s) = q.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return detail(
            422,
            &format!("\"{s}\" is not one of \"idle\", \"busy\" or 2 other candidates"),
        );
    }
    if let Some(bad) = (q.select.iter().flatten()).find(|f| !FIELDS.contains(&f.as_str())) {
        return detail(422, &format!("Invalid select field: {bad}"));
    }
    let mut rows: Vec<Thread> = (shared.lock().table::<Threads>().list.iter())
        .filter(|t| q.status.as_ref().is_none_or(|s| &t.status == s))
        .filter(|t| (q.metadata.iter().flatten()).all(|(k, v)| t.metadata.get(k) == Some(v)))
        .cloned()
        .collect();
    let ascending = q
        .sort_order
        .as_deref()
        .is_some_and(|o| o.eq_ignore_ascii_case("asc"));
    let (by, ascending) = match q.sort_by.as_deref() {
        Some(by @ ("thread_id" | "created_at" | "updated_at" | "status")) => (by, ascending),
        _ => ("updated_at", false),
    };
    listing::sort(
        &mut rows,
        |t| match by {
            "thread_id" => SortKey::text(&t.id),
            "status" => SortKey::text(&t.status),
            "created_at" => SortKey::time(&t.created_at),
            _ => SortKey::time(&t.updated_at),
        },
        |t| t.id.clone(),
        ascending,
    );
    let total = rows.len();
    let page: Vec<Value> = (rows.iter().skip(offset).take(limit as usize))
        .map(|t| {
            let mut v = t.json();
            if let (Some(select), Some(obj)) = (&q.select, v.as_object_mut()) {
                obj.retain(|k, _| select.contains(k));
            }
            v
        })
        .collect();
    let end = offset + limit as usize;
    let mut response = LangGraph.json(200, &page);
    let headers = response.headers_mut();
    let (total, next) = match total > end {
        true => (end + 1, Some(end)),
        false => (page.len() + offset, None),
    };
    headers.insert("x-pagination-total", HeaderValue::from(total));
    if let Some(next) = next {
        headers.insert("x-pagination-next", HeaderValue::from(next));
    }
    response
}

/// `runs.list`: 404 for an unknown thread, newest first, `status` an exact filter.
fn runs(shared: &Shared, req: &Req, id: &str) -> Response {
    let Some(thread) = shared.lock().table::<Threads>().get(id).cloned() else {
        return thread_not_found(id);
    };
    let number = |name: &str, default: usize| {
        req.query(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mut runs: Vec<&Run> = (thread.runs.iter())
        .filter(|r| req.query("status").is_none_or(|s| r.status == s))
        .collect();
    runs.sort_by_cached_key(|r| std::cmp::Reverse(SortKey::time(&r.created_at)));
    let page: Vec<Value> = (runs
        .into_iter()
        .skip(number("offset", 0))
        .take(number("limit", 10)))
    .map(|r| {
        json!({
            "run_id": r.id,
            "thread_id": thread.id,
            "status": r.status,
            "created_at": r.created_at,
            "updated_at": r.created_at,
            "metadata": {},
            "multitask_strategy": "enqueue",
        })
    })
    .collect();
    LangGraph.json(200, &page)
}

#[derive(Deserialize)]
struct Cancel {
    thread_id: Option<String>,
    run_ids: Option<Vec<String>>,
    status: Option<String>,
}

/// `runs.cancel_many` by thread and run IDs (`Runs.cancel`): a `status` with either is a
/// 422; runs the thread does not have, a 404 "No runs found to cancel."; runs that are all
/// done, a 404 "No matching runs to cancel. ..."; else 204, the runs `interrupted`.
fn cancel(shared: &Shared, req: &Req) -> Response {
    let body: Cancel = match req.json() {
        Ok(b) => b,
        Err(e) => return detail(422, &e),
    };
    let (thread_id, run_ids) = match (body.status, body.thread_id, body.run_ids) {
        (Some(_), None, None) => {
            return detail(422, "cancelling by status alone is not emulated");
        }
        (Some(_), _, _) => {
            return detail(
                422,
                "When providing a 'status', 'thread_id' and 'run_ids' must be omitted. The 'status' parameter cancels all runs with the given status, regardless of thread or run ID.",
            );
        }
        (None, Some(t), Some(r)) => (t, r),
        (None, _, _) => {
            return detail(
                422,
                "Must provide either a status, an assistant_id, or both 'thread_id' and 'run_ids'",
            );
        }
    };
    let mut state = shared.lock();
    let Some(thread) = (state.table::<Threads>().list.iter_mut()).find(|t| t.id == thread_id) else {
        return detail(404, "No runs found to cancel.");
    };
    let candidates: Vec<&mut Run> = (thread.runs.iter_mut())
        .filter(|r| run_ids.contains(&r.id))
        .collect();
    if candidates.is_empty() {
        return detail(404, "No runs found to cancel.");
    }
    let mut cancelled = 0;
    let mut was_running = false;
    for run in candidates {
        if matches!(run.status.as_str(), "pending" | "running") {
            was_running |= run.status == "running";
            run.status = "interrupted".into();
            cancelled += 1;
        }
    }
    if cancelled == 0 {
        return detail(
            404,
            "No matching runs to cancel. Please verify the thread ID and run IDs are correct, and the runs haven't been deleted or completed.",
        );
    }
    if thread.active_runs() == 0 {
        thread.status = if was_running { "interrupted" } else { "idle" }.into();
        thread.updated_at = clock::now_nanos();
    }
    empty(204)
}
