//! Zep v4 (`/zep/api/v4`): cursor-paged thread listing, batch ID lookup, and asynchronous
//! deletion. `DELETE /threads/{uuid}` only queues a task (202); the task moves pending →
//! processing → succeeded (thread removed), failed or partial (zep-cloud 4.0.1
//! `types/task_status.py`; the thread stays) over `Options::task_delay`, and a repeated
//! `Idempotency-Key` gets the same task back, as a retried SDK call expects.
//! `GET /threads/{uuid}` reads one thread (4.0.1 `thread.get`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{Api, Served};
use super::model::HeaderStyle;
use super::http::{Req, reason, slug};
use super::listing::SortKey;
use super::seed::Kind;
use super::threads::{self, Thread};
use super::zep::{ZEP_KEY, Zep};
use super::{Emulator, Shared, clock};

const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest `page_size` accepted (unpublished upstream; our choice).
const MAX_PAGE_SIZE: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskStatus {
    Pending,
    Processing,
    Succeeded,
    /// Some of the thread's data was deleted, not all (4.0.1 `Task.error`: "also present
    /// on a partial task when the worker can name a single cause").
    Partial,
    Failed,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Processing => "processing",
            TaskStatus::Succeeded => "succeeded",
            TaskStatus::Partial => "partial",
            TaskStatus::Failed => "failed",
        }
    }
}

pub(crate) struct Task {
    uuid: String,
    thread_uuid: String,
    pub status: TaskStatus,
    created_at: String,
    updated_at: String,
    started_at: Option<String>,
    completed_at: Option<String>,
}

impl Task {
    fn to_json(&self) -> Value {
        let mut task = json!({
            "uuid": self.uuid,
            "type": "thread.delete",
            "status": self.status.as_str(),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        });
        if let Some(started_at) = &self.started_at {
            task["started_at"] = json!(started_at);
        }
        if let Some(completed_at) = &self.completed_at {
            task["completed_at"] = json!(completed_at);
        }
        match self.status {
            TaskStatus::Failed => {
                task["error"] = json!({ "code": "internal", "message": "thread deletion failed" });
            }
            TaskStatus::Partial => {
                task["error"] = json!({
                    "code": "partial",
                    "message": "some of the thread's messages could not be deleted",
                });
            }
            _ => {}
        }
        task
    }

    fn advance(&mut self, status: TaskStatus) {
        let now = clock::now_nanos();
        match status {
            TaskStatus::Processing => self.started_at = Some(now.clone()),
            _ => self.completed_at = Some(now.clone()),
        }
        self.status = status;
        self.updated_at = now;
    }
}

/// Tasks by UUID, and which task each `Idempotency-Key` created.
#[derive(Default)]
pub(crate) struct Tasks {
    map: HashMap<String, Task>,
    by_key: HashMap<String, String>,
}

impl Tasks {
    pub fn get(&self, uuid: &str) -> Option<&Task> {
        self.map.get(uuid)
    }

    fn for_key(&self, key: &str) -> Option<&Task> {
        self.by_key.get(key).and_then(|uuid| self.map.get(uuid))
    }

    /// Whether a task to delete the thread with this UUID was ever queued.
    pub fn queued_for(&self, thread_uuid: &str) -> bool {
        self.map
            .values()
            .any(|task| task.thread_uuid == thread_uuid)
    }
}

/// Path prefix of Zep v4 threads, lookups and tasks.
const PREFIX: &str = "/zep/api/v4";

/// Zep v4 threads, lookups and tasks.
pub(crate) struct ZepV4;

impl Api for ZepV4 {
    /// `X-RateLimit-Limit`, `-Remaining`, `-Reset` (unix seconds) on every reply
    /// (providers.md, Zep cloud).
    fn rate_limit_headers(&self) -> HeaderStyle {
        HeaderStyle::XRateLimit
    }

    fn seeds(&self) -> &'static [Kind] {
        &[threads::V4_THREAD]
    }

    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn content_type(&self) -> &'static str {
        "application/json"
    }

    /// `{"error": {"code", "message", "request_id"}}`.
    fn error_body(&self, _status: u16, code: &str, message: &str) -> Value {
        json!({ "error": {
            "code": code,
            "message": message,
            "request_id": uuid::Uuid::new_v4().to_string(),
        }})
    }

    fn status_error(&self, status: u16) -> Response {
        match status {
            401 => self.error(401, "unauthorized", "unauthorized"),
            429 => self.error(429, "rate_limited", "rate limit exceeded"),
            500 => self.error(500, "internal", "internal server error"),
            _ => self.error(status, &slug(reason(status), '_'), reason(status)),
        }
    }

    /// The same key as v2 and v3.
    fn authorized(&self, shared: &Shared, req: &Req) -> bool {
        Zep.authorized(shared, req)
    }

    fn route(&self, shared: &Arc<Shared>, req: &Req) -> Response {
        route(shared, req)
    }

    fn too_many_requests(&self) -> Response {
        Zep.too_many_requests()
    }

    fn title(&self) -> &'static str {
        "Zep v4 threads"
    }

    fn auth(&self, _served: &Served) -> String {
        "same key".to_owned()
    }

    fn profiles(&self, served: &Served) -> String {
        format!(
            "[profiles.zep-threads]
provider = \"zep\"
api_version = 4
base_url = \"{}\"
api_key = \"{ZEP_KEY}\"
",
            self.url(served.base)
        )
    }
}

/// Where a client finds this API, and what a test asks of its records.
impl Emulator {
    /// Base URL of Zep v4.
    pub fn zep_v4_url(&self) -> String {
        ZepV4.url(&self.url())
    }

    /// The status of a v4 task (`pending`, `processing`, `succeeded`, `failed`), if known.
    pub fn task_status(&self, task_uuid: &str) -> Option<String> {
        let mut state = self.shared.lock();
        state
            .table::<Tasks>()
            .get(task_uuid)
            .map(|t| t.status.as_str().to_owned())
    }

    /// Whether a v4 task to delete the thread with this UUID was queued (tasks run in the
    /// background: the thread may still be there).
    pub fn thread_deletion_queued(&self, thread_uuid: &str) -> bool {
        self.shared.lock().table::<Tasks>().queued_for(thread_uuid)
    }
}

fn route(shared: &Arc<Shared>, req: &Req) -> Response {
    let segs = req.segs();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["threads"]) => list(shared, req),
        ("GET", ["threads", uuid]) => match shared.lock().table::<threads::Threads>().by_uuid(uuid) {
            Some(thread) => ZepV4.json(200, &thread.to_v4_json()),
            None => not_found("thread not found"),
        },
        ("POST", ["threads", "lookup"]) => lookup_one(shared, req),
        ("POST", ["users", "lookup"]) => lookup_user(shared, req),
        ("DELETE", ["threads", uuid]) => delete(shared, req, uuid),
        ("POST", ["lookup"]) => lookup(shared, req),
        ("GET", ["tasks", uuid]) => match shared.lock().table::<Tasks>().get(uuid) {
            Some(task) => ZepV4.json(200, &task.to_json()),
            None => not_found("task not found"),
        },
        _ => super::http::no_route(),
    }
}

fn not_found(message: &str) -> Response {
    ZepV4.error(404, "not_found", message)
}

fn invalid(message: &str) -> Response {
    ZepV4.error(400, "invalid_request", message)
}

/// Where the previous page ended: the sort value and UUID of its last row. A keyset cursor
/// (not an offset) so deleting rows between pages skips nothing.
#[derive(serde::Serialize, Deserialize)]
struct Cursor {
    order_by: String,
    value: String,
    uuid: String,
}

impl Cursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("a cursor serializes"))
    }

    fn decode(raw: &str) -> Option<Cursor> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).ok()?).ok()
    }
}

/// The text a row is ordered by under `order_by`.
fn sort_value<'t>(thread: &'t Thread, order_by: &str) -> &'t str {
    match order_by {
        "updated_at" => thread.last_update(),
        "uuid" => &thread.uuid,
        _ => &thread.created_at,
    }
}

fn sort_key(order_by: &str, value: &str, uuid: &str) -> (SortKey, String) {
    let key = if order_by == "uuid" {
        SortKey::text(value)
    } else {
        SortKey::time(value)
    };
    (key, uuid.to_owned())
}

/// `GET /threads?page_size&cursor&order_by&order&user_uuid`; default newest first.
fn list(shared: &Shared, req: &Req) -> Response {
    let order_by = req.query("order_by").unwrap_or("created_at");
    if !["created_at", "updated_at", "uuid"].contains(&order_by) {
        return invalid("order_by must be one of created_at, updated_at, uuid");
    }
    let ascending = match req.query("order").unwrap_or("desc") {
        "asc" => true,
        "desc" => false,
        _ => return invalid("order must be asc or desc"),
    };
    let page_size = match req.query("page_size").map(str::parse::<usize>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        Some(_) => return invalid("page_size must be between 1 and 1000"),
    };
    let after = match req.query("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => match Cursor::decode(raw).filter(|c| c.order_by == order_by) {
            Some(c) => Some(sort_key(order_by, &c.value, &c.uuid)),
            None => return invalid("invalid cursor"),
        },
    };
    let user_uuid = req.query("user_uuid");
    let mut rows: Vec<((SortKey, String), Thread)> = shared
        .lock()
        .table::<threads::Threads>()
        .all()
        .filter(|t| user_uuid.is_none_or(|u| t.user_uuid == u))
        .map(|t| {
            (
                sort_key(order_by, sort_value(t, order_by), &t.uuid),
                t.clone(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    if !ascending {
        rows.reverse();
    }
    let total = rows.len();
    let rest: Vec<Thread> = rows
        .into_iter()
        .filter(|(key, _)| {
            after
                .as_ref()
                .is_none_or(|bound| if ascending { key > bound } else { key < bound })
        })
        .map(|(_, thread)| thread)
        .collect();
    let page = &rest[..rest.len().min(page_size)];
    let mut body = json!({
        "items": page.iter().map(Thread::to_v4_json).collect::<Vec<_>>(),
        "total_size": total,
    });
    if let (true, Some(last)) = (rest.len() > page.len(), page.last()) {
        let cursor = Cursor {
            order_by: order_by.to_owned(),
            value: sort_value(last, order_by).to_owned(),
            uuid: last.uuid.clone(),
        };
        body["next_cursor"] = json!(cursor.encode());
    }
    ZepV4.json(200, &body)
}

#[derive(Deserialize)]
struct LookupBatch {
    #[serde(default)]
    threads: Vec<String>,
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    graphs: Vec<String>,
}

/// `POST /lookup`: resolves developer IDs to UUIDs, in request order within each type.
/// Graphs are never found (the emulator has none).
fn lookup(shared: &Shared, req: &Req) -> Response {
    let batch = match req.json::<LookupBatch>() {
        Ok(b) => b,
        Err(e) => return invalid(&e),
    };
    let item = |kind: &str, id: &str, uuid: Option<&str>| {
        let mut item = json!({ "legacy_id": id, "resource_type": kind, "found": uuid.is_some() });
        if let Some(uuid) = uuid {
            item["uuid"] = json!(uuid);
        }
        item
    };
    let mut state = shared.lock();
    let table = state.table::<threads::Threads>();
    let threads = batch.threads.iter().map(|id| {
        let uuid = table.by_id(id).map(|t| t.uuid.as_str());
        item("thread", id, uuid)
    });
    let users = (batch.users.iter()).map(|id| item("user", id, table.user_uuid(id)));
    let graphs = batch.graphs.iter().map(|id| item("graph", id, None));
    let items: Vec<Value> = threads.chain(users).chain(graphs).collect();
    ZepV4.json(200, &json!({ "items": items }))
}

#[derive(Deserialize)]
struct LookupOne {
    thread_id: String,
}

/// `POST /threads/lookup` `{"thread_id"}`: one thread by developer ID.
fn lookup_one(shared: &Shared, req: &Req) -> Response {
    let wanted = match req.json::<LookupOne>() {
        Ok(w) => w,
        Err(e) => return invalid(&e),
    };
    match shared.lock().table::<threads::Threads>().by_id(&wanted.thread_id) {
        Some(thread) => ZepV4.json(200, &thread.to_v4_json()),
        None => not_found("thread not found"),
    }
}

#[derive(Deserialize)]
struct LookupUser {
    user_id: Option<String>,
    thread_id: Option<String>,
    graph_id: Option<String>,
}

/// `POST /users/lookup` `{"user_id"}` (zep-cloud 4.0.1 `user.lookup`, which sends an
/// `Idempotency-Key`): the User with that developer ID; 404 for one never seen. The SDK
/// also takes `thread_id` or `graph_id` (one of the three); the emulator answers only
/// `user_id` (400 otherwise).
fn lookup_user(shared: &Shared, req: &Req) -> Response {
    let wanted = match req.json::<LookupUser>() {
        Ok(w) => w,
        Err(e) => return invalid(&e),
    };
    let user_id = match wanted {
        LookupUser {
            user_id: Some(id),
            thread_id: None,
            graph_id: None,
        } => id,
        _ => return invalid("the emulator looks up users by user_id only"),
    };
    match shared.lock().table::<threads::Threads>().user_uuid(&user_id) {
        Some(uuid) => ZepV4.json(200, &json!({ "uuid": uuid, "user_id": user_id })),
        None => not_found("user not found"),
    }
}

/// `DELETE /threads/{uuid}` with `Idempotency-Key`: 202 and a task.
fn delete(shared: &Arc<Shared>, req: &Req, thread_uuid: &str) -> Response {
    let Some(key) = req.header("idempotency-key").filter(|k| !k.is_empty()) else {
        return invalid("Idempotency-Key header is required");
    };
    let mut state = shared.lock();
    if let Some(task) = state.table::<Tasks>().for_key(key) {
        return ZepV4.json(202, &json!({ "task": task.to_json() }));
    }
    if state.table::<threads::Threads>().by_uuid(thread_uuid).is_none() {
        return not_found("thread not found");
    }
    let now = clock::now_nanos();
    let task = Task {
        uuid: uuid::Uuid::new_v4().to_string(),
        thread_uuid: thread_uuid.to_owned(),
        status: TaskStatus::Pending,
        created_at: now.clone(),
        updated_at: now,
        started_at: None,
        completed_at: None,
    };
    let reply = ZepV4.json(202, &json!({ "task": task.to_json() }));
    tokio::spawn(run_task(
        Arc::clone(shared),
        task.uuid.clone(),
        state.generation,
    ));
    state.table::<Tasks>().by_key.insert(key.to_owned(), task.uuid.clone());
    state.table::<Tasks>().map.insert(task.uuid.clone(), task);
    reply
}

/// Drives one deletion task: processing after half the delay, final after all of it.
async fn run_task(shared: Arc<Shared>, task_uuid: String, generation: u64) {
    let delay = shared.opts.task_delay;
    tokio::time::sleep(delay / 2).await;
    {
        let mut state = shared.lock();
        if state.generation != generation {
            return;
        }
        if let Some(task) = state.table::<Tasks>().map.get_mut(&task_uuid) {
            task.advance(TaskStatus::Processing);
        }
    }
    tokio::time::sleep(delay - delay / 2).await;
    let mut state = shared.lock();
    if state.generation != generation {
        return;
    }
    let Some(thread_uuid) = state.table::<Tasks>().get(&task_uuid).map(|t| t.thread_uuid.clone()) else {
        return;
    };
    let outcome =
        (state.table::<threads::Threads>().by_uuid(&thread_uuid)).map_or(TaskStatus::Succeeded, |t| t.delete_ends);
    if outcome == TaskStatus::Succeeded {
        state.table::<threads::Threads>().remove_by_uuid(&thread_uuid);
    }
    if let Some(task) = state.table::<Tasks>().map.get_mut(&task_uuid) {
        task.advance(outcome);
    }
}
