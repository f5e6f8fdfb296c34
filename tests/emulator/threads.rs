//! Zep threads: the one table both thread APIs see, and the v3 routes under the v2 prefix
//! (`/zep/api/v2/threads`), where deletion is immediate and keyed by the developer's ID.
//! A v3 thread reports no `updated_at`, so its messages are the only sign of activity.
//! The v4 routes, keyed by UUID, are in [`super::zep_v4`]. A thread created through v4
//! (zep-cloud 4.0.1 `thread.create` takes only `user_uuid`) has no `thread_id`, and its user
//! may have no `user_id`: both are optional here.

use std::collections::HashMap;

use axum::response::Response;
use serde_json::{Value, json};

use serde::Deserialize;

use super::api::Api;
use super::http::Req;
use super::listing::{self, PageQuery, SortKey};
use super::messages::{MessageQuery, Messages, Shape};
use super::seed::{Kind, Record, Seed, new_uuid};
use super::state::State;
use super::zep::PROJECT_UUID;
use super::zep::Zep;
use super::zep_v4::TaskStatus;
use super::{Emulator, Shared, clock};

/// A Zep thread, visible to both the v3 and the v4 API (kind `zep_thread`). Its messages
/// come from a `zep_messages` seed ([`Seed::messages`]), as for sessions.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadSeed {
    pub thread_id: String,
    #[serde(default = "new_uuid")]
    pub uuid: String,
    #[serde(default = "default_user")]
    pub user_id: String,
    #[serde(default = "clock::now_nanos")]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The v4 deletion task of this thread ends `failed`.
    #[serde(default)]
    pub delete_fails: bool,
}

/// A Zep thread created through v4 (kind `zep_v4_thread`; zep-cloud 4.0.1 `thread.create`
/// takes only `user_uuid`): no `thread_id`, so the API knows it by its UUID alone; its user
/// may have no `user_id` either (then `user_uuid` is its only name). Build with
/// [`Seed::v4_thread`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V4ThreadSeed {
    #[serde(default = "new_uuid")]
    pub uuid: String,
    #[serde(default = "new_uuid")]
    pub user_uuid: String,
    #[serde(default = "clock::now_nanos")]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// How its deletion task ends.
    #[serde(default)]
    pub delete_task: DeleteTask,
}

/// How a v4 deletion task ends (zep-cloud 4.0.1 `TaskStatus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeleteTask {
    /// `succeeded`: the thread is gone.
    #[default]
    Succeeds,
    /// `failed`: the thread stays.
    Fails,
    /// `partial`: part of its data is gone; the thread stays.
    Partial,
}

pub(crate) const THREAD: Kind = Kind::of::<ThreadSeed>("zep_thread");
pub(crate) const V4_THREAD: Kind = Kind::of::<V4ThreadSeed>("zep_v4_thread");

fn default_user() -> String {
    "user-1".to_owned()
}

impl Record for ThreadSeed {
    fn apply(&self, state: &mut State) -> Result<(), String> {
        let ends = match self.delete_fails {
            true => TaskStatus::Failed,
            false => TaskStatus::Succeeded,
        };
        let thread = Thread::new(
            Some(self.thread_id.clone()),
            self.uuid.clone(),
            Some(self.user_id.clone()),
            self.created_at.clone(),
            self.updated_at.clone(),
            ends,
        );
        state.table::<Threads>().seed(thread);
        Ok(())
    }
}

impl Record for V4ThreadSeed {
    fn apply(&self, state: &mut State) -> Result<(), String> {
        let ends = match self.delete_task {
            DeleteTask::Succeeds => TaskStatus::Succeeded,
            DeleteTask::Fails => TaskStatus::Failed,
            DeleteTask::Partial => TaskStatus::Partial,
        };
        let (created, updated) = (self.created_at.clone(), self.updated_at.clone());
        let mut thread = Thread::new(None, self.uuid.clone(), None, created, updated, ends);
        thread.user_uuid = self.user_uuid.clone();
        state.table::<Threads>().seed(thread);
        Ok(())
    }
}

impl Seed {
    /// A Zep thread with a fresh UUID, created at `created_at`, owned by `user-1`.
    pub fn zep_thread(thread_id: &str, created_at: &str) -> Seed {
        Seed::from(ThreadSeed {
            thread_id: thread_id.to_owned(),
            uuid: new_uuid(),
            user_id: default_user(),
            created_at: created_at.to_owned(),
            updated_at: None,
            delete_fails: false,
        })
    }

    /// A thread created through v4, with no `thread_id`, of the user whose UUID is
    /// `user_uuid` (a user with no developer ID), updated at `updated_at`.
    pub fn v4_thread(uuid: &str, user_uuid: &str, updated_at: &str) -> Seed {
        Seed::from(V4ThreadSeed {
            uuid: uuid.to_owned(),
            user_uuid: user_uuid.to_owned(),
            created_at: updated_at.to_owned(),
            updated_at: Some(updated_at.to_owned()),
            delete_task: DeleteTask::Succeeds,
        })
    }
}

#[derive(Clone)]
pub(crate) struct Thread {
    pub uuid: String,
    /// `None` for a thread created through v4.
    pub thread_id: Option<String>,
    /// `None` for a user created through v4 without one.
    pub user_id: Option<String>,
    /// Filled in by [`Threads::seed`] from `user_id` (one UUID per user, as Zep keeps users
    /// as records), unless seeded.
    pub user_uuid: String,
    pub graph_uuid: String,
    pub created_at: String,
    pub updated_at: Option<String>,
    /// How its v4 deletion task ends: `Succeeded` (the thread is gone), `Failed` or
    /// `Partial` (it stays).
    pub delete_ends: TaskStatus,
    pub messages: Messages,
}

impl Thread {
    pub fn new(
        thread_id: Option<String>,
        uuid: String,
        user_id: Option<String>,
        created_at: String,
        updated_at: Option<String>,
        delete_ends: TaskStatus,
    ) -> Thread {
        Thread {
            uuid,
            thread_id,
            user_id,
            user_uuid: String::new(),
            graph_uuid: uuid::Uuid::new_v4().to_string(),
            created_at,
            updated_at,
            delete_ends,
            messages: Messages::default(),
        }
    }

    /// What the table keys it by: its developer ID, else its UUID.
    fn key(&self) -> &str {
        self.thread_id.as_deref().unwrap_or(&self.uuid)
    }

    /// `updated_at` as v4 reports it: the latest of the seeded `updated_at`, the newest
    /// message and `created_at`, so writing a message counts as an update. Unparseable
    /// times lose to parseable ones; on a tie the seeded value wins.
    pub fn last_update(&self) -> &str {
        let seeded = self.updated_at.as_deref().unwrap_or(&self.created_at);
        [self.messages.newest(), Some(self.created_at.as_str())]
            .into_iter()
            .flatten()
            .fold(seeded, |latest, other| {
                if clock::parse(other) > clock::parse(latest) {
                    other
                } else {
                    latest
                }
            })
    }

    /// The v3 shape: never an `updated_at`, seeded or not (the zep-cloud 3.30 type has none).
    fn to_v3_json(&self) -> Value {
        json!({
            "uuid": self.uuid,
            "thread_id": self.thread_id,
            "user_id": self.user_id,
            "user_uuid": self.user_uuid,
            "project_uuid": PROJECT_UUID,
            "graph_uuid": self.graph_uuid,
            "created_at": self.created_at,
        })
    }

    /// The v4 shape; a thread created through v4 has no `thread_id` key at all.
    pub fn to_v4_json(&self) -> Value {
        let mut thread = json!({
            "uuid": self.uuid,
            "user_uuid": self.user_uuid,
            "graph_uuid": self.graph_uuid,
            "created_at": self.created_at,
            "updated_at": self.last_update(),
        });
        if let Some(thread_id) = &self.thread_id {
            thread["thread_id"] = json!(thread_id);
        }
        thread
    }
}

/// Threads by developer ID (by UUID for those without one), plus the UUID of every user.
#[derive(Default)]
pub(crate) struct Threads {
    map: HashMap<String, Thread>,
    user_uuids: HashMap<String, String>,
}

impl Threads {
    pub fn seed(&mut self, mut thread: Thread) {
        if let Some(user_id) = &thread.user_id {
            thread.user_uuid = self
                .user_uuids
                .entry(user_id.clone())
                .or_insert_with(|| uuid::Uuid::new_v4().to_string())
                .clone();
        }
        self.map.insert(thread.key().to_owned(), thread);
    }

    /// The thread with this developer ID (never one keyed by its UUID for lack of one).
    pub fn by_id(&self, thread_id: &str) -> Option<&Thread> {
        (self.map.get(thread_id)).filter(|t| t.thread_id.as_deref() == Some(thread_id))
    }

    /// A linear scan: thread tables in tests are small.
    pub fn by_uuid(&self, uuid: &str) -> Option<&Thread> {
        self.map.values().find(|t| t.uuid == uuid)
    }

    pub fn user_uuid(&self, user_id: &str) -> Option<&str> {
        self.user_uuids.get(user_id).map(String::as_str)
    }

    /// Adds messages to a thread; `false` if there is no such thread.
    pub fn add_messages(&mut self, thread_id: &str, times: &[String]) -> bool {
        self.map
            .get_mut(thread_id)
            .map(|t| t.messages.add(times))
            .is_some()
    }

    pub fn remove_by_uuid(&mut self, uuid: &str) -> Option<Thread> {
        let key = self.by_uuid(uuid)?.key().to_owned();
        self.map.remove(&key)
    }

    pub fn all(&self) -> impl Iterator<Item = &Thread> {
        self.map.values()
    }
}

pub(crate) fn route_v3(shared: &Shared, req: &Req) -> Response {
    let segs = req.segs();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["threads"]) => list(shared, req),
        ("DELETE", ["threads", thread_id]) => delete(shared, thread_id),
        ("GET", ["threads", thread_id, "messages"]) => messages(shared, req, thread_id),
        _ => super::http::no_route(),
    }
}

/// `GET /threads?page_number&page_size&order_by&asc`; default order: newest first.
fn list(shared: &Shared, req: &Req) -> Response {
    let query = match PageQuery::parse(req, &["created_at", "updated_at", "user_id", "thread_id"]) {
        Ok(q) => q,
        Err(reply) => return *reply,
    };
    let mut rows: Vec<Thread> = shared.lock().table::<Threads>().all().cloned().collect();
    let total = rows.len();
    let key = |t: &Thread| match query.order_by.as_deref() {
        Some("updated_at") => SortKey::time(t.last_update()),
        Some("user_id") => SortKey::Text(t.user_id.clone()),
        Some("thread_id") => SortKey::Text(t.thread_id.clone()),
        _ => SortKey::time(&t.created_at),
    };
    listing::sort(&mut rows, key, |t| t.key().to_owned(), query.ascending);
    match query.page(rows) {
        Ok(page) => {
            let page = page.iter().map(Thread::to_v3_json).collect();
            Zep.json(200, &listing::counted("threads", total, page))
        }
        Err(reply) => *reply,
    }
}

/// `GET /threads/{thread_id}/messages?lastn&limit&cursor`: the newest `lastn` when given,
/// else one page; oldest first either way.
fn messages(shared: &Shared, req: &Req, thread_id: &str) -> Response {
    let query = match MessageQuery::parse(req) {
        Ok(q) => q,
        Err(reply) => return *reply,
    };
    let mut state = shared.lock();
    let Some(thread) = state.table::<Threads>().by_id(thread_id) else {
        return thread_not_found();
    };
    let page = query.select(&thread.messages, Shape::V3);
    let row_count = page.len();
    Zep.json(
        200,
        &json!({
            "messages": page,
            "row_count": row_count,
            "total_count": thread.messages.len(),
            "thread_created_at": thread.created_at,
            "user_id": thread.user_id,
            "user_uuid": thread.user_uuid,
        }),
    )
}

/// `GET /users/{userId}/threads` (zep-cloud 3.30 `user.get_threads`): a bare array of the
/// user's threads in the v3 shape, oldest first, no paging; 404 for a user never seen.
pub(crate) fn by_user_v3(shared: &Shared, user_id: &str) -> Response {
    let mut state = shared.lock();
    if state.table::<Threads>().user_uuid(user_id).is_none() {
        return Zep.error(404, "", "user not found");
    }
    let mut rows: Vec<&Thread> = (state.table::<Threads>().all())
        .filter(|t| t.user_id.as_deref() == Some(user_id))
        .collect();
    rows.sort_by_cached_key(|t| (SortKey::time(&t.created_at), t.key().to_owned()));
    let rows: Vec<Value> = rows.into_iter().map(Thread::to_v3_json).collect();
    Zep.json(200, &Value::Array(rows))
}

fn thread_not_found() -> Response {
    Zep.error(404, "", "thread not found")
}

/// `DELETE /threads/{thread_id}`: immediate.
fn delete(shared: &Shared, thread_id: &str) -> Response {
    let mut state = shared.lock();
    let known = state.table::<Threads>().by_id(thread_id).is_some();
    match known
        .then(|| state.table::<Threads>().map.remove(thread_id))
        .flatten()
    {
        Some(_) => Zep.json(200, &json!({ "message": "Thread successfully deleted." })),
        None => thread_not_found(),
    }
}

/// What a test asks of these records.
impl Emulator {
    /// Whether a thread with this developer ID still exists (v3 and v4 see the same threads).
    pub fn thread_exists(&self, thread_id: &str) -> bool {
        self.shared
            .lock()
            .table::<Threads>()
            .by_id(thread_id)
            .is_some()
    }

    /// Whether a thread with this UUID still exists (with or without a developer ID).
    pub fn thread_uuid_exists(&self, uuid: &str) -> bool {
        self.shared
            .lock()
            .table::<Threads>()
            .by_uuid(uuid)
            .is_some()
    }
}
