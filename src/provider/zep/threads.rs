//! Zep threads, today's API (`providers.md` §1b): v3 (`zep-cloud` 3.x) and v4 (4.x).
//!
//! Threads have no "end": only delete and list. v3 deletes by developer thread ID and is
//! done when it answers; v4 deletes by UUID (the one its list gave, or resolved with one
//! `POST /lookup` per batch) and only *accepts* the delete, which a task then carries out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use tokio::time::Instant;

use crate::client::http::{Http, Request};
use crate::ids::SessionId;
use crate::outcome::{Outcome, SessionResult};
use crate::provider::{
    Action, Features, ListError, Options, Page, Provider, SessionRow, Settings, Staleness, Success,
    Sweep,
};
use crate::select::{Selectable, ServerFilter};

/// v3: `user=` is `GET /users/{userId}/threads` (zep-cloud 3.30.0 `user.get_threads`, a bare
/// array of Thread, no paging). The 3.30 Thread has no metadata.
pub(super) const SELECTABLE_V3: &[Selectable] = &[
    Selectable::server("user", "GET /users/{userId}/threads"),
    Selectable::rows("thread"),
    Selectable::rows("id"),
];

/// v4: a Thread names only its user's UUID, so `user=` is the server's alone: the user ID
/// is resolved with `POST /users/lookup` (zep-cloud 4.0.1 `user.lookup`), then
/// `GET /threads?user_uuid=` (`thread.list`). A user may have no developer ID at all:
/// `user_uuid=` goes to that list as it is, and the rows carry it.
pub(super) const SELECTABLE_V4: &[Selectable] = &[
    Selectable::server_only("user", "POST /users/lookup, then GET /threads?user_uuid="),
    Selectable::server("user_uuid", "GET /threads?user_uuid="),
    Selectable::rows("thread"),
    Selectable::rows("id"),
];

/// Rows per list page.
const PAGE_SIZE: usize = 100;
/// First and longest pause between two polls of a delete task.
const POLL_FIRST: Duration = Duration::from_millis(200);
const POLL_MAX: Duration = Duration::from_secs(5);

pub(super) fn build(
    http: Http,
    version: u8,
    settings: &Settings,
    opts: &Options,
) -> Box<dyn Provider> {
    Box::new(ZepThreads {
        http,
        v4: version == 4,
        batch_size: settings.batch_size,
        wait: opts.wait,
        by_uuid: opts.by_uuid,
        user_uuids: Mutex::default(),
    })
}

struct ZepThreads {
    http: Http,
    v4: bool,
    batch_size: usize,
    wait: Option<Duration>,
    by_uuid: bool,
    /// v4: developer user IDs resolved to UUIDs (`None`: no such user), one lookup each.
    user_uuids: Mutex<HashMap<String, Option<String>>>,
}

/// A thread in either generation's list (v3 has `user_id` and no `updated_at`; v4 has
/// `user_uuid` and `updated_at`).
#[derive(Deserialize)]
struct Thread {
    uuid: Option<String>,
    thread_id: Option<String>,
    user_id: Option<String>,
    user_uuid: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
}

#[derive(Deserialize)]
struct V3Page {
    #[serde(deserialize_with = "crate::provider::required_list")]
    threads: Vec<Thread>,
    total_count: Option<u64>,
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

/// A v4 thread and the UUID it is deleted (or read) by.
struct Addressed {
    id: SessionId,
    uuid: String,
    /// Found by `POST /lookup` (which already proved it exists), not given as it is.
    looked_up: bool,
}

impl ZepThreads {
    /// v3: `DELETE /threads/{thread_id}`, final on reply.
    async fn delete_v3(&self, id: SessionId) -> SessionResult {
        let url = match self.http.url(&["threads", &id]) {
            Ok(url) => url,
            Err(refused) => return crate::provider::unsent(id, refused),
        };
        let result = self.http.send(Request::new(Method::DELETE, url)).await;
        crate::provider::per_id_outcome(&id, result, Outcome::Deleted, Success::json(200))
    }

    /// v4: deletes each thread by its UUID; an ID with no UUID gets its result instead
    /// (`not_found` where the lookup found none: nothing is deleted for it).
    async fn delete_v4(&self, ids: Vec<SessionId>) -> Vec<SessionResult> {
        let (addressed, mut results) = self.address(ids).await;
        let pairs = addressed.into_iter().map(|a| (a.id, a.uuid)).collect();
        let deleted =
            crate::provider::each_with(pairs, |id, uuid| self.delete_uuid(id, uuid)).await;
        results.extend(deleted);
        results
    }

    /// v4: the UUID of each ID. `--by-uuid` IDs are UUIDs, and a listed thread carries the
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
                    humantime::format_duration(limit)
                ));
            }
            pause = (pause * 2).min(POLL_MAX);
        }
    }
}

impl ZepThreads {
    /// v3: one page by number.
    async fn list_v3(
        &self,
        cursor: Option<String>,
    ) -> Result<(Vec<Thread>, Option<String>), ListError> {
        let n: u64 = cursor.and_then(|c| c.parse().ok()).unwrap_or(1);
        let mut url = self.http.url(&["threads"])?;
        url.query_pairs_mut()
            .append_pair("page_number", &n.to_string())
            .append_pair("page_size", &PAGE_SIZE.to_string())
            .append_pair("order_by", "updated_at")
            .append_pair("asc", "true");
        let page: V3Page = crate::provider::get_page(&self.http, url).await?;
        let seen = n * PAGE_SIZE as u64;
        let more =
            crate::provider::more_pages(page.threads.len(), PAGE_SIZE, seen, page.total_count);
        Ok((page.threads, more.then(|| (n + 1).to_string())))
    }

    /// v4: one page after `cursor`, of one user's threads with `user_uuid`.
    async fn list_v4(
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
        Ok((page.items, page.next_cursor.filter(|c| !c.is_empty())))
    }

    /// v4: the UUID of the user `user.value` names, once per run (`POST /users/lookup`
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
impl Provider for ZepThreads {
    fn features(&self) -> Features {
        Features {
            lacks: Some((Action::End, "Zep threads have no end; use delete")),
            async_delete: self.v4,
            internal_ids: self.v4,
            ended: None, // a thread has no end to measure retention from
            reads_one: false,
        }
    }

    fn batch_size(&self, _action: Action) -> usize {
        if self.v4 { self.batch_size } else { 1 }
    }

    async fn apply(&self, _action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        if self.v4 {
            self.delete_v4(ids).await
        } else {
            crate::provider::each(ids, |id| self.delete_v3(id)).await
        }
    }

    /// v3 reads the thread's newest message (404 for an unknown thread). v4 resolves
    /// developer IDs with one lookup (which proves they exist), and reads each thread it
    /// has a UUID for (`--by-uuid`, a listed thread) with `GET /threads/{uuid}`
    /// (zep-cloud 4.0.1 `thread.get`).
    async fn probe(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        let would = crate::provider::would(action);
        if self.v4 {
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
            return results;
        }
        crate::provider::each(ids, |id| async move {
            let mut url = match self.http.url(&["threads", &id, "messages"]) {
                Ok(url) => url,
                Err(refused) => return crate::provider::unsent(id, refused),
            };
            url.query_pairs_mut().append_pair("lastn", "1");
            crate::provider::probe_get(&self.http, id, url, |_| would).await
        })
        .await
    }

    /// v3 pages by `page_number` (1-based); v4 follows `next_cursor`. Both oldest
    /// `updated_at` first. `--where user=` lists that user's threads: v3 with its own call
    /// (one reply), v4 with the user's UUID as a filter of the same list.
    async fn list_page(
        &self,
        cursor: Option<String>,
        _active_only: bool,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        let (threads, next) = match (self.v4, server) {
            (false, Some(user)) => {
                let url = self.http.url(&["users", &user.value, "threads"])?;
                // A bare array, or `null` (as Go servers send an empty one).
                let threads: Option<Option<Vec<Thread>>> =
                    crate::provider::get_scoped_page(&self.http, url, user).await?;
                (threads.flatten().unwrap_or_default(), None)
            }
            (false, None) => self.list_v3(cursor).await?,
            (true, None) => self.list_v4(cursor, None).await?,
            (true, Some(filter)) if filter.field == crate::select::Field::UserUuid => {
                self.list_v4(cursor, Some(&filter.value)).await?
            }
            (true, Some(user)) => match self.user_uuid(user).await? {
                Some(uuid) => {
                    let (mut threads, next) = self.list_v4(cursor, Some(&uuid)).await?;
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
        let rows = threads
            .into_iter()
            .map(|t| SessionRow {
                id: t.thread_id.or_else(|| t.uuid.clone()).unwrap_or_default(),
                uuid: t.uuid,
                owner: t.user_id.clone().or(t.user_uuid.clone()),
                user: t.user_id,
                user_uuid: t.user_uuid,
                // v3 threads have no `updated_at` (the 3.30 type): `created_at` is not
                // activity, so a v3 row carries none unless the server sends one.
                activity: t.updated_at,
                created: t.created_at,
                active: true,
                ..SessionRow::default()
            })
            .collect();
        Ok(Page {
            rows,
            next,
            ..Page::default()
        })
    }

    /// v4 lists by `updated_at`, so a sweep stops at the first recent thread; v3 rows carry
    /// no activity, so every page is read.
    fn ordered_by_activity(&self, _server: Option<&ServerFilter>) -> bool {
        self.v4
    }

    /// v4: `updated_at` is "the time the thread was last updated". v3: a thread younger
    /// than the cut-off (or updated since) is fresh; any other is confirmed by its newest
    /// message before an irreversible delete.
    fn staleness(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        if self.v4 {
            return crate::provider::by_activity(row, sweep);
        }
        let recent = |t: &Option<String>| {
            t.as_deref()
                .and_then(crate::units::parse_time)
                .is_some_and(|t| t >= sweep.idle_before)
        };
        if recent(&row.created) || recent(&row.activity) {
            Staleness::Fresh
        } else {
            Staleness::Confirm
        }
    }

    /// v3: `GET /threads/{thread_id}/messages?lastn=1`; no messages → `created_at`.
    async fn confirm(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        let mut url = match self.http.url(&["threads", &row.id, "messages"]) {
            Ok(url) => url,
            Err(refused) => return Staleness::Unknown(refused.to_string()),
        };
        url.query_pairs_mut().append_pair("lastn", "1");
        let own = match (&row.activity, &row.created) {
            (Some(updated), _) => Some(("updated", updated.as_str())),
            (None, Some(created)) => Some(("created", created.as_str())),
            (None, None) => None,
        };
        crate::provider::confirm_by_messages(&self.http, url, own, sweep).await
    }
}
