//! Zep v4 threads (`zep-cloud` 4.x): deletes by UUID (the one its list gave, or resolved
//! with one `POST /lookup` per batch) and only *accepts* the delete, which a task then
//! carries out; lists by cursor, oldest `updated_at` first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use tokio::time::Instant;

use super::threads::{NO_END, PAGE_SIZE, Thread};
use crate::client::http::{Http, Request};
use crate::ids::SessionId;
use crate::outcome::{Outcome, SessionResult};
use crate::provider::unit::Flag;
use crate::provider::{Action, Features, ListError, Options, Page, Provider, SessionRow, Success};
use crate::select::{Selectable, ServerFilter};

/// A Thread names only its user's UUID, so `user=` is the server's alone: the user ID
/// is resolved with `POST /users/lookup` (zep-cloud 4.0.1 `user.lookup`), then
/// `GET /threads?user_uuid=` (`thread.list`). A user may have no developer ID at all:
/// `user_uuid=` goes to that list as it is, and the rows carry it.
pub(super) const SELECTABLE: &[Selectable] = &[
    Selectable::server_only("user", "POST /users/lookup, then GET /threads?user_uuid="),
    Selectable::server("user_uuid", "GET /threads?user_uuid="),
    Selectable::rows("thread"),
    Selectable::rows("id"),
];

/// Poll each delete task until it finishes, for at most the flag's time (`--timeout`).
pub(super) const WAIT: Flag = Flag {
    name: "--wait",
    action: Some(Action::Delete),
    only_for: "Zep v4 (api_version = 4) profiles, whose deletes run as tasks",
};

/// The IDs are thread UUIDs already: no lookup.
pub(super) const BY_UUID: Flag = Flag {
    name: "--by-uuid",
    action: None,
    only_for: "Zep v4 (api_version = 4) profiles, whose threads have UUIDs",
};

/// First and longest pause between two polls of a delete task.
const POLL_FIRST: Duration = Duration::from_millis(200);
const POLL_MAX: Duration = Duration::from_secs(5);

pub(super) fn build(http: Http, batch_size: usize, opts: &Options) -> Box<dyn Provider> {
    Box::new(Threads {
        http,
        batch_size,
        wait: opts.extra.value(WAIT.name),
        by_uuid: opts.extra.has(BY_UUID.name),
        user_uuids: Mutex::default(),
    })
}

struct Threads {
    http: Http,
    batch_size: usize,
    wait: Option<Duration>,
    by_uuid: bool,
    /// Developer user IDs resolved to UUIDs (`None`: no such user), one lookup each.
    user_uuids: Mutex<HashMap<String, Option<String>>>,
}

#[derive(Deserialize)]
struct V4Page {
    #[serde(deserialize_with = "crate::provider::required_list")]
    items: Vec<Thread>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Lookup {
    #[serde(deserialize_with = "crate::provider::required_list")]
    items: Vec<LookupItem>,
}

#[derive(Deserialize)]
struct LookupItem {
    legacy_id: String,
    #[serde(default)]
    found: bool,
    uuid: Option<String>,
}

/// `POST /users/lookup`'s User; only its UUID matters here.
#[derive(Deserialize)]
struct User {
    uuid: Option<String>,
}

#[derive(Deserialize)]
struct DeleteAccepted {
    task: Option<Task>,
}

#[derive(Deserialize)]
struct Task {
    uuid: String,
    status: Option<String>,
    error: Option<TaskError>,
}

#[derive(Deserialize)]
struct TaskError {
    code: Option<String>,
    message: Option<String>,
}

impl TaskError {
    /// `code: message`, or what there is of it.
    fn describe(err: Option<TaskError>) -> String {
        let Some(TaskError { code, message }) = err else {
            return "it named no cause".into();
        };
        match (code, message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (c, m) => c.or(m).unwrap_or_else(|| "it named no cause".into()),
        }
    }
}

/// A thread and the UUID it is deleted (or read) by.
struct Addressed {
    id: SessionId,
    uuid: String,
    /// Found by `POST /lookup` (which already proved it exists), not given as it is.
    looked_up: bool,
}

impl Threads {
    /// Deletes each thread by its UUID; an ID with no UUID gets its result instead
    /// (`not_found` where the lookup found none: nothing is deleted for it).
    async fn delete(&self, ids: Vec<SessionId>) -> Vec<SessionResult> {
        let (addressed, mut results) = self.address(ids).await;
        let pairs = addressed.into_iter().map(|a| (a.id, a.uuid)).collect();
        let deleted =
            crate::provider::each_with(pairs, |id, uuid| self.delete_uuid(id, uuid)).await;
        results.extend(deleted);
        results
    }

    /// The UUID of each ID. `--by-uuid` IDs are UUIDs, and a listed thread carries the
    /// UUID its list gave (a thread created through v4 has no developer ID to look up):
    /// both are used as they are. The rest are resolved with one `POST /lookup`; an ID it
    /// does not resolve gets its result in the second list.
    async fn address(&self, ids: Vec<SessionId>) -> (Vec<Addressed>, Vec<SessionResult>) {
        let given = |id: &SessionId| match (self.by_uuid, id.uuid()) {
            (true, _) => Some(id.as_str().to_owned()),
            (false, uuid) => uuid.map(str::to_owned),
        };
        let mut addressed = Vec::with_capacity(ids.len());
        let mut named = Vec::new();
        for id in ids {
            match given(&id) {
                Some(uuid) => addressed.push(Addressed {
                    id,
                    uuid,
                    looked_up: false,
                }),
                None => named.push(id),
            }
        }
        if named.is_empty() {
            return (addressed, Vec::new());
        }
        let found = match self.lookup(&named).await {
            Ok(found) => found,
            Err(failed) => return (addressed, failed),
        };
        let mut results = Vec::new();
        for id in named {
            match resolved(&found, &id) {
                // The UUID is the server's, checked as any ID from a server is before a
                // request names it (the URL builder alone would encode and send a control
                // character).
                Ok(uuid) => match SessionId::new(uuid) {
                    Ok(_) => addressed.push(Addressed {
                        uuid: uuid.to_owned(),
                        id,
                        looked_up: true,
                    }),
                    Err(why) => {
                        let mut r = SessionResult::failed(
                            id,
                            format!(
                                "nothing deleted: the lookup gave UUID `{}`, which cannot be sent ({why})",
                                uuid.escape_default()
                            ),
                        );
                        r.error_kind = Some(crate::outcome::ErrorKind::Protocol);
                        results.push(r);
                    }
                },
                Err(outcome) => results.push(outcome(id.into())),
            }
        }
        (addressed, results)
    }

    /// `POST /lookup` for a batch of developer IDs, keyed by ID; on failure, one failed
    /// result per ID.
    async fn lookup(
        &self,
        ids: &[SessionId],
    ) -> Result<HashMap<String, LookupItem>, Vec<SessionResult>> {
        let url = self.http.url(&["lookup"]).expect("a fixed path");
        let key = uuid::Uuid::new_v4().to_string();
        let names: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        let req = Request::new(Method::POST, url)
            .idempotent(&key)
            .reads()
            .json(json!({ "threads": names }));
        let reply = match self.http.send(req).await {
            Ok(reply) if Success::json(200).mismatch(&reply).is_none() => reply,
            other => return Err(crate::provider::all_failed(ids.to_vec(), &other)),
        };
        match reply.json::<Lookup>() {
            Ok(lookup) => Ok(lookup
                .items
                .into_iter()
                .map(|i| (i.legacy_id.clone(), i))
                .collect()),
            Err(e) => Err(ids
                .iter()
                .map(|id| {
                    SessionResult::from_reply(id.as_str(), Outcome::Failed, &reply)
                        .with_error(e.clone())
                })
                .collect()),
        }
    }

    /// `DELETE /threads/{uuid}` with an `Idempotency-Key` that stays the same across
    /// retries, so a retried delete cannot start a second task.
    async fn delete_uuid(&self, id: SessionId, uuid: String) -> SessionResult {
        let url = match self.http.url(&["threads", &uuid]) {
            Ok(url) => url,
            Err(refused) => return crate::provider::unsent(id, refused),
        };
        let key = uuid::Uuid::new_v4().to_string();
        let req = Request::new(Method::DELETE, url).idempotent(&key);
        let reply = match self.http.send(req).await {
            Ok(reply) if reply.status == 202 => reply,
            other => {
                return crate::provider::per_id_outcome(
                    &id,
                    other,
                    Outcome::Deleted,
                    Success::json(202),
                );
            }
        };
        let mut result = SessionResult::from_reply(id.as_str(), Outcome::Accepted, &reply);
        let Some(task) = reply.json::<DeleteAccepted>().ok().and_then(|d| d.task) else {
            return result.with_error("accepted, but the reply named no task");
        };
        result.task = Some(task.uuid.clone());
        match self.wait {
            Some(limit) => self.wait_for(result, task.uuid, limit).await,
            None => result,
        }
    }

    /// Polls `GET /tasks/{uuid}` with growing pauses until the task is terminal or `limit`
    /// has passed.
    async fn wait_for(
        &self,
        mut result: SessionResult,
        task: String,
        limit: Duration,
    ) -> SessionResult {
        let deadline = Instant::now() + limit;
        let mut pause = POLL_FIRST;
        loop {
            let step = pause.min(deadline.saturating_duration_since(Instant::now()));
            if !self.http.pause(step).await {
                return result.with_error("interrupted while waiting for the task");
            }
            let url = match self.http.url(&["tasks", &task]) {
                Ok(url) => url,
                Err(refused) => return result.with_error(format!("polling the task: {refused}")),
            };
            match self.http.send(Request::new(Method::GET, url)).await {
                Ok(reply) if reply.is_success() => {
                    result.attempts += reply.attempts;
                    if let Ok(t) = reply.json::<Task>() {
                        match t.status.as_deref() {
                            Some("succeeded") => {
                                result.outcome = Outcome::Deleted;
                                result.error = None; // an earlier failed poll no longer matters
                                return result;
                            }
                            Some("failed") => {
                                let why = TaskError::describe(t.error);
                                result.outcome = Outcome::Failed;
                                return result.with_error(format!("delete task failed: {why}"));
                            }
                            // Part of the thread's data is gone, part is not: not `deleted`,
                            // and not nothing either; the task's own words say which.
                            Some("partial") => {
                                let why = TaskError::describe(t.error);
                                result.outcome = Outcome::Failed;
                                return result.with_error(format!(
                                    "delete task ended `partial`: only part of the thread was deleted ({why})"
                                ));
                            }
                            _ => {}
                        }
                    }
                }
                Ok(reply) => {
                    result.attempts += reply.attempts;
                    result.error = Some(format!("polling the task: {}", reply.error_message()));
                }
                Err(f) => result.error = Some(format!("polling the task: {}", f.error)),
            }
            if Instant::now() >= deadline {
                return result.with_error(format!(
                    "task still running after {}",
                    crate::units::human(limit)
                ));
            }
            pause = (pause * 2).min(POLL_MAX);
        }
    }
}

impl Threads {
    /// One page after `cursor`, of one user's threads with `user_uuid`.
    async fn list(
        &self,
        cursor: Option<String>,
        user_uuid: Option<&str>,
    ) -> Result<(Vec<Thread>, Option<String>), ListError> {
        let mut url = self.http.url(&["threads"])?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("page_size", &PAGE_SIZE.to_string())
                .append_pair("order_by", "updated_at")
                .append_pair("order", "asc");
            if let Some(c) = &cursor {
                q.append_pair("cursor", c);
            }
            if let Some(u) = user_uuid {
                q.append_pair("user_uuid", u);
            }
        }
        let page: V4Page = crate::provider::get_page(&self.http, url).await?;
        let next = crate::provider::paging::server_cursor(page.next_cursor);
        Ok((page.items, next))
    }

    /// The UUID of the user `user.value` names, once per run (`POST /users/lookup`
    /// `{"user_id"}`); `None` when the server knows no such user (404).
    async fn user_uuid(&self, user: &ServerFilter) -> Result<Option<String>, ListError> {
        if let Some(known) = self.lock_users().get(&user.value) {
            return Ok(known.clone());
        }
        let url = self.http.url(&["users", "lookup"])?;
        let key = uuid::Uuid::new_v4().to_string();
        let req = Request::new(Method::POST, url)
            .idempotent(&key)
            .reads()
            .json(json!({ "user_id": user.value }));
        let reply = self.http.send(req).await.map_err(ListError::Transport)?;
        let uuid = match reply.status.as_u16() {
            404 if reply.provider_message().is_some() => {
                tracing::warn!(
                    "--where user={}: the server knows no such user (404): nothing selected",
                    user.value
                );
                None
            }
            _ if reply.is_success() => {
                let found: User = reply.json().map_err(ListError::Decode)?;
                let uuid = found.uuid.filter(|u| !u.is_empty());
                Some(uuid.ok_or_else(|| ListError::Decode("the user lookup named no UUID".into()))?)
            }
            _ => return Err(ListError::of(&reply)),
        };
        self.lock_users().insert(user.value.clone(), uuid.clone());
        Ok(uuid)
    }

    fn lock_users(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<String>>> {
        self.user_uuids.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a lookup says of `id`: its UUID, or the result it gets without one (the same for a
/// delete and a server dry run, so a dry run never promises more than the delete does).
fn resolved<'a>(
    found: &'a HashMap<String, LookupItem>,
    id: &str,
) -> Result<&'a str, fn(String) -> SessionResult> {
    match found.get(id) {
        Some(LookupItem {
            found: true,
            uuid: Some(uuid),
            ..
        }) => Ok(uuid),
        Some(_) => Err(|id| {
            SessionResult::new(id, Outcome::NotFound).with_error("no thread with this ID (lookup)")
        }),
        None => Err(|id| SessionResult::failed(id, "the lookup reply did not mention this ID")),
    }
}

#[async_trait]
impl Provider for Threads {
    fn features(&self) -> Features {
        Features {
            lacks: Some(NO_END),
            ended: None, // a thread has no end to measure retention from
            reads_one: true,
        }
    }

    /// `GET /threads/{uuid}` (zep-cloud 4.0.1 `thread.get`), one request for a thread its
    /// list gave (or `--by-uuid`); a developer ID is resolved first, as for its delete
    /// (`POST /lookup`, which only reads).
    async fn read(&self, id: &SessionId) -> Result<Option<SessionRow>, String> {
        let (addressed, results) = self.address(vec![id.clone()]).await;
        let Some(thread) = addressed.into_iter().next() else {
            return match results.into_iter().next() {
                Some(r) if r.outcome == Outcome::NotFound => Ok(None),
                r => Err(format!(
                    "reading it failed: {}",
                    r.and_then(|r| r.error)
                        .as_deref()
                        .unwrap_or("no lookup reply")
                )),
            };
        };
        let url = (self.http)
            .url(&["threads", &thread.uuid])
            .map_err(|e| e.to_string())?;
        let Some(read) = crate::provider::get_one::<Thread>(&self.http, url).await? else {
            return Ok(None);
        };
        other_thread(&read, id, &thread.uuid)?;
        // The row as the list makes it, under the ID it was read by.
        let row = super::threads::page(vec![read], None).rows.pop();
        Ok(row.map(|row| SessionRow {
            id: id.to_string(),
            ..row
        }))
    }

    fn ids_per_call(&self, _action: Action) -> usize {
        self.batch_size
    }

    async fn apply(&self, _action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        self.delete(ids).await
    }

    /// Resolves developer IDs with one lookup (which proves they exist), and reads each
    /// thread it has a UUID for (`--by-uuid`, a listed thread) with `GET /threads/{uuid}`
    /// (zep-cloud 4.0.1 `thread.get`).
    async fn probe(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        let would = crate::provider::would(action);
        let (addressed, mut results) = self.address(ids).await;
        let (found, given): (Vec<Addressed>, Vec<Addressed>) =
            addressed.into_iter().partition(|a| a.looked_up);
        results.extend(found.into_iter().map(|a| SessionResult::new(a.id, would)));
        let given = given.into_iter().map(|a| (a.id, a.uuid)).collect();
        let read = crate::provider::each_with(given, |id, uuid| async move {
            match self.http.url(&["threads", &uuid]) {
                Ok(url) => crate::provider::probe_get(&self.http, id, url, |_| would).await,
                Err(refused) => crate::provider::unsent(id, refused),
            }
        });
        results.extend(read.await);
        results
    }

    /// Follows `next_cursor`, oldest `updated_at` first. `--where user=` lists that user's
    /// threads with the user's UUID as a filter of the same list.
    async fn list_page(
        &self,
        cursor: Option<String>,
        _active_only: bool,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        let (threads, next) = match server {
            None => self.list(cursor, None).await?,
            Some(filter) if filter.field.kind() == "user_uuid" => {
                self.list(cursor, Some(&filter.value)).await?
            }
            Some(user) => match self.user_uuid(user).await? {
                Some(uuid) => {
                    let (mut threads, next) = self.list(cursor, Some(&uuid)).await?;
                    // The list names only the UUID: the user is known where it matches.
                    for t in &mut threads {
                        if t.user_uuid.as_deref() == Some(uuid.as_str()) {
                            t.user_id = Some(user.value.clone());
                        }
                    }
                    (threads, next)
                }
                None => (Vec::new(), None),
            },
        };
        Ok(super::threads::page(threads, next))
    }

    /// It lists by `updated_at`, "the time the thread was last updated" (which the
    /// default `staleness` judges by), so a sweep stops at the first recent thread.
    fn ordered_by_activity(&self, _server: Option<&ServerFilter>) -> bool {
        true
    }
}

/// Why a thread `GET /threads/{uuid}` replied with is not the one asked for (asked as `id`,
/// at `uuid`): another thread's row is never evidence for this one (a re-check or the
/// protect list would judge a session by what another says).
fn other_thread(read: &Thread, id: &SessionId, uuid: &str) -> Result<(), String> {
    let differs = |what: &str, got: &str, want: &str| {
        Err(format!(
            "reading it returned another thread ({what} `{}`, asked for `{}`): not judged on it",
            got.escape_default(),
            want.escape_default()
        ))
    };
    match read.uuid.as_deref() {
        Some(got) if got != uuid => return differs("uuid", got, uuid),
        Some(_) => {}
        // A thread that does not say which it is is no evidence for any.
        None => {
            return Err(format!(
                "reading it returned a thread without a uuid (asked for `{}`): not judged on it",
                uuid.escape_default()
            ));
        }
    }
    // An ID that is its UUID (`--by-uuid`, a thread listed without a developer ID) says
    // nothing of the developer ID.
    if id.as_str() != uuid
        && let Some(got) = read.thread_id.as_deref().filter(|t| *t != id.as_str())
    {
        return differs("thread_id", got, id.as_str());
    }
    Ok(())
}
