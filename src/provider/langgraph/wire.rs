//! The Agent Server calls sessionctl makes, each as the SDK makes it: `threads.search`,
//! `threads.get`, `threads.delete`, `runs.list` and `runs.cancel_many`.

use std::collections::HashSet;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::http::{Failure, Http, Reply, Request};
use crate::ids::SessionId;
use crate::outcome::{Outcome, SessionResult};
use crate::provider::paging::Position;
use crate::provider::{Fields, ListError, SessionRow};
use crate::select::{Field, ServerFilter};

/// Threads per search page (the server's maximum is 1000).
const PAGE_SIZE: u64 = 100;
/// Runs per `runs.list` page.
const RUNS_PAGE: usize = 100;
/// The most runs read of one thread: a server that sends full pages of new runs forever
/// is not followed forever (a thread with more is failed, none of its runs cancelled).
const MAX_RUNS: usize = 10_000;
/// Only what a row needs: a thread's `values` hold its whole state.
const SELECT: [&str; 5] = [
    "thread_id",
    "created_at",
    "updated_at",
    "metadata",
    "status",
];

/// A thread as `POST /threads/search` (with [`SELECT`]) and `GET /threads/{id}` give it.
#[derive(Deserialize)]
pub(super) struct Thread {
    pub thread_id: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, Value>>,
    pub status: Option<String>,
}

impl Thread {
    /// The row `list` shows (a listed thread exists, so it is active).
    pub fn into_row(self) -> SessionRow {
        SessionRow {
            id: self.thread_id,
            created: self.created_at,
            activity: self.updated_at,
            active: true,
            fields: Fields::default()
                .metadata(self.metadata)
                .with("status", self.status),
            ..SessionRow::default()
        }
    }
}

#[derive(Deserialize)]
struct Run {
    run_id: String,
    status: Option<String>,
}

/// A thread's pending and running runs, the last reply read, and the requests it took.
pub(super) struct ActiveRuns {
    pub run_ids: Vec<String>,
    pub last: Reply,
    pub attempts: u32,
}

/// What a search body filters for `server`, if the server can filter it exactly as the rows
/// are matched. Metadata is compared by JSON containment, so `metadata.n=42` sent as the
/// string `"42"` would hide threads whose `n` is the number 42 (which the rows match): a
/// value that reads as a JSON number or boolean is matched on the rows only.
fn filter(server: &ServerFilter) -> Option<(&'static str, Value)> {
    match &server.field {
        Field::Named(name) if name == "status" => Some(("status", json!(server.value))),
        Field::Metadata(key) => match serde_json::from_str::<Value>(&server.value) {
            Ok(Value::Number(_) | Value::Bool(_)) => {
                tracing::info!(
                    "--where {}={}: the value may be a JSON number or boolean, so every listed thread is matched instead of the server's filter",
                    server.field,
                    server.value
                );
                None
            }
            _ => Some(("metadata", json!({ key: server.value }))),
        },
        _ => None,
    }
}

/// The body of one search page, oldest `updated_at` first.
fn search_body(offset: u64, server: Option<&ServerFilter>) -> Value {
    let mut body = json!({
        "limit": PAGE_SIZE,
        "offset": offset,
        "sort_by": "updated_at",
        "sort_order": "asc",
        "select": SELECT,
    });
    if let Some((key, value)) = server.and_then(filter) {
        body[key] = value;
    }
    body
}

/// One page of `POST /threads/search` at `at`, and the cursor of the next page. The
/// server names its offset in `X-Pagination-Next` (`langgraph_api.utils.get_pagination_headers`),
/// and leaves it out on the last page; without the header, a full page means "read on".
pub(super) async fn search(
    http: &Http,
    at: Position,
    server: Option<&ServerFilter>,
) -> Result<(Vec<Thread>, Option<String>), ListError> {
    let url = http.url(&["threads", "search"])?;
    let req = Request::new(Method::POST, url).json(search_body(at.offset, server));
    let reply = http.send(req).await.map_err(ListError::Transport)?;
    if !reply.is_success() {
        return Err(ListError::of(&reply));
    }
    let threads: Vec<Thread> = reply.json().map_err(ListError::Decode)?;
    let header = reply.headers.get("x-pagination-next");
    let next = match header.map(|v| v.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok())) {
        Some(None) => {
            return Err(ListError::Decode(
                "unreadable X-Pagination-Next header".into(),
            ));
        }
        Some(Some(_)) if threads.is_empty() => {
            return Err(ListError::Decode(
                "the server sent an empty page of threads and claims there are more; stopping"
                    .into(),
            ));
        }
        Some(Some(next)) => at.at(next)?,
        // No header on a full page: the shared rule for offset pages (no total: read on).
        None if threads.len() as u64 == PAGE_SIZE => at.next(threads.len(), None)?,
        // No header on a short one: the server's word that it is the last.
        None => None,
    };
    Ok((threads, next))
}

/// `GET /threads/{id}`: `Err` is the result of a thread that is gone (404) or unreadable.
pub(super) async fn get_thread(
    http: &Http,
    id: &SessionId,
) -> Result<(Reply, Thread), Box<SessionResult>> {
    let url = thread_url(http, id, &[]);
    let reply = read(http, id, url).await?;
    match reply.json::<Thread>() {
        Ok(thread) => Ok((reply, thread)),
        Err(e) => Err(Box::new(
            SessionResult::from_reply(id, Outcome::Failed, &reply).with_error(e),
        )),
    }
}

/// The thread's `pending` and `running` runs, read from `GET /threads/{id}/runs` (newest
/// first, paged by offset; one request for a thread with fewer than [`RUNS_PAGE`] runs). An
/// unknown thread is a 404 (`list_runs` reads the thread first). `attempts` counts every
/// request it took.
pub(super) async fn active_runs(
    http: &Http,
    id: &SessionId,
) -> Result<ActiveRuns, Box<SessionResult>> {
    let mut run_ids = Vec::new();
    let mut seen = HashSet::new();
    let mut attempts = 0;
    let mut offset = 0;
    loop {
        let mut url = thread_url(http, id, &["runs"]);
        url.query_pairs_mut()
            .append_pair("limit", &RUNS_PAGE.to_string())
            .append_pair("offset", &offset.to_string());
        let reply = read(http, id, url).await.map_err(|mut r| {
            r.attempts += attempts;
            r
        })?;
        attempts += reply.attempts;
        let runs: Vec<Run> = reply.json().map_err(|e| {
            let mut r = SessionResult::from_reply(id, Outcome::Failed, &reply).with_error(e);
            r.attempts = attempts;
            Box::new(r)
        })?;
        let full = runs.len() == RUNS_PAGE;
        let mut new = false;
        for run in runs {
            if seen.insert(run.run_id.clone()) {
                new = true;
                if matches!(run.status.as_deref(), Some("pending" | "running")) {
                    run_ids.push(run.run_id);
                }
            }
        }
        // A full page of runs already seen is a server ignoring the offset: the runs past
        // it cannot be read, so nothing is concluded from the ones seen (no loop either).
        if full && !new {
            let mut r = SessionResult::from_reply(id, Outcome::Failed, &reply).with_error(
                "the server sent the same page of runs again for the next offset: \
                 its runs cannot all be read, so none is cancelled",
            );
            r.attempts = attempts;
            return Err(Box::new(r));
        }
        if !full {
            return Ok(ActiveRuns {
                run_ids,
                last: reply,
                attempts,
            });
        }
        offset += RUNS_PAGE;
        if offset >= MAX_RUNS {
            let mut r = SessionResult::from_reply(id, Outcome::Failed, &reply).with_error(format!(
                "the thread has more than {MAX_RUNS} runs, more than are read: none is cancelled"
            ));
            r.attempts = attempts;
            return Err(Box::new(r));
        }
    }
}

/// `POST /runs/cancel?action=interrupt` `{"thread_id", "run_ids"}`: 204 once cancelled,
/// 404 when none of them is pending or running any more. (`status` cannot be combined with
/// a thread: 422.)
pub(super) async fn cancel(
    http: &Http,
    id: &SessionId,
    run_ids: &[String],
) -> Result<Reply, Failure> {
    let mut url = http.url(&["runs", "cancel"]).expect("a fixed path");
    url.query_pairs_mut().append_pair("action", "interrupt");
    let body = json!({ "thread_id": id.as_str(), "run_ids": run_ids });
    http.send(Request::new(Method::POST, url).json(body)).await
}

/// `DELETE /threads/{id}`: 204, 404 once gone.
pub(super) async fn delete(http: &Http, id: &SessionId) -> Result<Reply, Failure> {
    let url = thread_url(http, id, &[]);
    http.send(Request::new(Method::DELETE, url)).await
}

/// A GET whose success is read on; anything else is the ID's result (404 `not_found`).
async fn read(http: &Http, id: &SessionId, url: url::Url) -> Result<Reply, Box<SessionResult>> {
    match http.send(Request::new(Method::GET, url)).await {
        Ok(reply) if reply.is_success() => Ok(reply),
        // The server's own 404; one from no route of LangGraph's is `failed` below.
        Ok(reply) if reply.status == 404 && !crate::provider::no_such_route(&reply) => Err(
            Box::new(SessionResult::from_reply(id, Outcome::NotFound, &reply)),
        ),
        other => Err(Box::new(crate::provider::per_id_outcome(
            id,
            other,
            Outcome::Failed,
            crate::provider::Success::json(200),
        ))),
    }
}

/// `threads/{id}/…`: a [`SessionId`] is always one segment (`SessionId::new` refuses what
/// the URL builder refuses), so this cannot fail.
fn thread_url(http: &Http, id: &SessionId, rest: &[&str]) -> url::Url {
    let mut segments = vec!["threads", id.as_str()];
    segments.extend_from_slice(rest);
    http.url(&segments)
        .expect("a checked session ID is one segment")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(field: Field, value: &str) -> ServerFilter {
        ServerFilter {
            field,
            value: value.into(),
            call: "",
        }
    }

    #[test]
    fn a_search_sends_only_the_filters_the_server_applies_as_the_rows_do() {
        let body = search_body(200, None);
        assert_eq!(
            body,
            json!({"limit": 100, "offset": 200, "sort_by": "updated_at", "sort_order": "asc",
                   "select": ["thread_id", "created_at", "updated_at", "metadata", "status"]})
        );
        let status = search_body(0, Some(&server(Field::Named("status".into()), "busy")));
        assert_eq!(status["status"], "busy");
        let env = search_body(0, Some(&server(Field::Metadata("env".into()), "prod")));
        assert_eq!(env["metadata"], json!({"env": "prod"}));
        for value in ["42", "true", "1.5"] {
            let body = search_body(0, Some(&server(Field::Metadata("n".into()), value)));
            assert!(body.get("metadata").is_none(), "{value}: {body}");
        }
        let quoted = search_body(0, Some(&server(Field::Metadata("n".into()), "\"42\"")));
        assert_eq!(quoted["metadata"], json!({"n": "\"42\""}));
    }
}
