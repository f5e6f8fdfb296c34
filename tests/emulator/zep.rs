//! Zep v2 memory sessions (`/zep/api/v2/sessions...`), Community Edition flavoured: exact
//! `Api-Key` auth, `{"message"}` errors, 409 for writes to ended sessions, soft deletion.
//! Ending is documented only as "deprecated" upstream; the batch rules here (whole batch
//! 404 on any unknown ID, 409 on any ended one, 413 over 1000 IDs) are our choice and make
//! the client's split-and-fall-back paths testable. Sessions hold messages (read through
//! `memory` and `messages`), but writing one leaves `updated_at` alone, so a client has to
//! read them to learn a session's real last activity.

use std::collections::HashMap;
use std::sync::Arc;

use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{Api, Served};
use super::model::HeaderStyle;
use super::http::{Req, header_is, reason, reply};
use super::listing::{self, PageQuery, SortKey};
use super::messages::{MessageQuery, Messages, Shape};
use super::seed::{Kind, Record, Seed};
use super::state::State;
use super::{Emulator, Shared, clock, demo, threads};
use threads::Threads;

/// The Zep API key every Zep route (v2, v3 and v4) accepts.
pub const ZEP_KEY: &str = "zep-test-key";

/// The project every record belongs to.
pub(crate) const PROJECT_UUID: &str = "7c6f8a5e-0000-4000-8000-00000000e5e5";

/// Most IDs one `POST /sessions/end` takes.
const MAX_BATCH: usize = 1000;

/// Path prefix of Zep v2 memory sessions and v3 threads (they share it, as in real Zep).
const PREFIX: &str = "/zep/api/v2";

/// Zep v2 memory sessions and, under the same prefix as in real Zep, the v3 thread routes
/// of [`threads`].
pub(crate) struct Zep;

impl Api for Zep {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn content_type(&self) -> &'static str {
        "application/json; charset=utf-8"
    }

    /// Go Community Edition style: `{"message"}`, the code dropped.
    fn error_body(&self, _status: u16, _code: &str, message: &str) -> Value {
        json!({ "message": message })
    }

    fn status_error(&self, status: u16) -> Response {
        match status {
            401 => reply(401, "text/plain; charset=utf-8", "unauthorized\n"),
            404 => self.error(404, "", "not found"),
            _ => self.error(status, "", &reason(status).to_ascii_lowercase()),
        }
    }

    /// Zep v2, v3 and v4 all want exactly `Authorization: Api-Key <key>`.
    fn authorized(&self, _shared: &Shared, req: &Req) -> bool {
        header_is(req, "authorization", &[&format!("Api-Key {ZEP_KEY}")])
    }

    fn route(&self, shared: &Arc<Shared>, req: &Req) -> Response {
        match req.segments.first().is_some_and(|s| s == "threads") {
            true => threads::route_v3(shared, req),
            false => route(shared, req),
        }
    }

    /// Plain text, from v2 to v4. An assumption past v4: providers.md says only that a v4
    /// 429 may be plain text, and gives no v2 body; a JSON 429 is one fault away
    /// (`{"type":"status","status":429,"body":…}`).
    fn too_many_requests(&self) -> Response {
        reply(429, "text/plain; charset=utf-8", "rate limit exceeded\n")
    }

    fn title(&self) -> &'static str {
        "Zep v2 sessions, v3"
    }

    fn auth(&self, _served: &Served) -> String {
        format!("Authorization: Api-Key {ZEP_KEY}")
    }

    /// `zep` (v2) and `zep-v3`, which share the prefix.
    fn profiles(&self, served: &Served) -> String {
        let url = self.url(served.base);
        format!(
            "[profiles.zep]
provider = \"zep\"
base_url = \"{url}\"
api_key = \"{ZEP_KEY}\"

[profiles.zep-v3]
provider = \"zep\"
api_version = 3
base_url = \"{url}\"
api_key = \"{ZEP_KEY}\"
"
        )
    }

    /// `X-RateLimit-Limit`, `-Remaining`, `-Reset` (unix seconds) on every reply
    /// (providers.md, Zep cloud).
    fn rate_limit_headers(&self) -> HeaderStyle {
        HeaderStyle::XRateLimit
    }

    fn seeds(&self) -> &'static [Kind] {
        &[SESSION, MESSAGES, threads::THREAD]
    }

    fn set_metadata(
        &self,
        state: &mut State,
        id: &str,
        metadata: &serde_json::Map<String, Value>,
    ) -> bool {
        state.table::<Sessions>().set_metadata(id, metadata)
    }

    /// v2 sessions and v3 threads (which v4 sees too), each with one message when created
    /// and one when last used.
    fn demo(&self, now: Timestamp) -> Vec<Seed> {
        let ago = |minutes| demo::ago(now, minutes);
        let messages = |id: &str, created, used| {
            Seed::messages(id, &[&clock::nanos(ago(created)), &clock::nanos(ago(used))])
        };
        let mut seeds = Vec::new();
        // (updated minutes ago, ended, last message minutes ago): two stale and open, one
        // fresh, one already ended, and one not updated for days whose last message is two
        // minutes old.
        let sessions = [
            (3 * 24 * 60, false, 3 * 24 * 60),
            (2 * 60, false, 2 * 60),
            (5, false, 5),
            (10 * 24 * 60, true, 10 * 24 * 60),
            (4 * 24 * 60, false, 2),
        ];
        for (n, (idle, ended, used)) in (1..).zip(sessions) {
            let id = format!("zep-demo-{n}");
            seeds.push(Seed::from(SessionSeed {
                id: id.clone(),
                user_id: Some("demo-user".to_owned()),
                created_at: clock::nanos(ago(idle + 60)),
                updated_at: clock::nanos(ago(idle)),
                ended,
            }));
            seeds.push(messages(&id, idle + 60, used));
            seeds.push(Seed::metadata(&id, demo::env(n)));
        }
        // (created minutes ago, seeded updated_at minutes ago, last message minutes ago): v3
        // reports no `updated_at`, so the messages say which threads are fresh.
        // thread-demo-4 is a month old, never updated, and had a message three minutes ago.
        let threads = [
            (2 * 24 * 60 + 60, Some(2 * 24 * 60), 2 * 24 * 60),
            (24 * 60 + 60, Some(24 * 60), 24 * 60),
            (70, Some(10), 10),
            (30 * 24 * 60, None, 3),
        ];
        for (n, (created, updated, used)) in (1..).zip(threads) {
            let thread_id = format!("thread-demo-{n}");
            seeds.push(Seed::from(threads::ThreadSeed {
                thread_id: thread_id.clone(),
                uuid: uuid::Uuid::new_v4().to_string(),
                user_id: "demo-user".to_owned(),
                created_at: clock::nanos(ago(created)),
                updated_at: updated.map(|idle| clock::nanos(ago(idle))),
                delete_fails: false,
            }));
            seeds.push(messages(&thread_id, created, used));
        }
        seeds
    }
}

/// Where a client finds this API, and what a test asks of its records.
impl Emulator {
    /// Base URL of Zep v2 memory sessions and v3 threads.
    pub fn zep_v2_url(&self) -> String {
        Zep.url(&self.url())
    }

    /// `Some(ended)` for a known v2 session (soft-deleted ones included), `None` if unknown.
    pub fn zep_session_ended(&self, id: &str) -> Option<bool> {
        self.shared.lock().table::<Sessions>().get(id).map(|s| s.ended_at.is_some())
    }

    /// `Some(memory deleted)` for a known v2 session, `None` if unknown.
    pub fn zep_memory_deleted(&self, id: &str) -> Option<bool> {
        self.shared
            .lock()
            .table::<Sessions>()
            .get(id)
            .map(|s| s.deleted_at.is_some())
    }
}

/// A Zep v2 memory session (kind `zep_session`). Its messages come from a `zep_messages`
/// seed ([`Seed::messages`]).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSeed {
    pub id: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default = "clock::now_nanos")]
    pub created_at: String,
    #[serde(default = "clock::now_nanos")]
    pub updated_at: String,
    #[serde(default)]
    pub ended: bool,
}

/// Messages written at `times`, added to the Zep v2 session and/or the thread with this ID
/// (kind `zep_messages`; separate tables: both get them when both exist; when neither does,
/// seeding fails). A v2 session's `updated_at` stays as seeded; a thread's v4 `updated_at`
/// becomes the newest message when that is later. Build with [`Seed::messages`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagesSeed {
    pub session_id: String,
    pub times: Vec<String>,
}

const SESSION: Kind = Kind::of::<SessionSeed>("zep_session");
const MESSAGES: Kind = Kind::of::<MessagesSeed>("zep_messages");

impl Record for SessionSeed {
    fn apply(&self, state: &mut State) -> Result<(), String> {
        let s = self.clone();
        (state.table::<Sessions>()).seed(s.id, s.user_id, s.created_at, s.updated_at, s.ended);
        Ok(())
    }
}

impl Record for MessagesSeed {
    fn apply(&self, state: &mut State) -> Result<(), String> {
        let (id, times) = (&self.session_id, &self.times);
        let in_session = state.table::<Sessions>().add_messages(id, times);
        let in_thread = state.table::<Threads>().add_messages(id, times);
        match in_session || in_thread {
            true => Ok(()),
            false => Err(format!(
                "zep_messages for {id:?}: no such v2 session or thread (seed it first)"
            )),
        }
    }
}

impl SessionSeed {
    /// An open session created and last updated at `updated_at`.
    pub fn open(id: &str, updated_at: &str) -> SessionSeed {
        SessionSeed {
            id: id.to_owned(),
            user_id: None,
            created_at: updated_at.to_owned(),
            updated_at: updated_at.to_owned(),
            ended: false,
        }
    }
}

impl Seed {
    /// An open Zep v2 session created and last updated at `updated_at`.
    pub fn zep_session(id: &str, updated_at: &str) -> Seed {
        Seed::from(SessionSeed::open(id, updated_at))
    }

    /// A Zep v2 session that has ended, created and last updated at `updated_at`.
    pub fn zep_ended(id: &str, updated_at: &str) -> Seed {
        Seed::from(SessionSeed {
            ended: true,
            ..SessionSeed::open(id, updated_at)
        })
    }

    /// Messages written at `times` (raw strings, any order) for the v2 session or thread
    /// `id` seeded before.
    pub fn messages(id: &str, times: &[&str]) -> Seed {
        Seed::from(MessagesSeed {
            session_id: id.to_owned(),
            times: times.iter().map(|t| (*t).to_owned()).collect(),
        })
    }
}

#[derive(Clone)]
pub(crate) struct ZepSession {
    uuid: String,
    id: i64,
    session_id: String,
    user_id: Option<String>,
    created_at: String,
    updated_at: String,
    pub ended_at: Option<String>,
    pub deleted_at: Option<String>,
    messages: Messages,
    metadata: Value,
}

impl ZepSession {
    fn to_json(&self) -> Value {
        json!({
            "uuid": self.uuid,
            "id": self.id,
            "session_id": self.session_id,
            "user_id": self.user_id,
            "project_uuid": PROJECT_UUID,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "ended_at": self.ended_at,
            "deleted_at": self.deleted_at,
            "metadata": self.metadata,
        })
    }

    fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// The session table, soft-deleted sessions included (they answer 404 but stay inspectable).
#[derive(Default)]
pub(crate) struct Sessions {
    map: HashMap<String, ZepSession>,
    last_id: i64,
}

impl Sessions {
    pub fn seed(
        &mut self,
        session_id: String,
        user_id: Option<String>,
        created_at: String,
        updated_at: String,
        ended: bool,
    ) {
        self.last_id += 1;
        let ended_at = ended.then(|| updated_at.clone());
        let session = ZepSession {
            uuid: uuid::Uuid::new_v4().to_string(),
            id: self.last_id,
            session_id: session_id.clone(),
            user_id,
            created_at,
            updated_at,
            ended_at,
            deleted_at: None,
            messages: Messages::default(),
            metadata: json!({}),
        };
        self.map.insert(session_id, session);
    }

    /// Replaces a known session's metadata; `false` if there is no such session.
    pub fn set_metadata(&mut self, id: &str, metadata: &serde_json::Map<String, Value>) -> bool {
        self.map
            .get_mut(id)
            .map(|s| s.metadata = Value::Object(metadata.clone()))
            .is_some()
    }

    /// Any known session, soft-deleted or not.
    pub fn get(&self, id: &str) -> Option<&ZepSession> {
        self.map.get(id)
    }

    /// Adds messages to any known session without touching its `updated_at`; `false` if
    /// there is no such session.
    pub fn add_messages(&mut self, id: &str, times: &[String]) -> bool {
        self.map
            .get_mut(id)
            .map(|s| s.messages.add(times))
            .is_some()
    }

    fn live(&self, id: &str) -> Option<&ZepSession> {
        self.map.get(id).filter(|s| !s.is_deleted())
    }

    /// A session that has not been deleted: deleted ones are gone as far as the API goes.
    fn live_mut(&mut self, id: &str) -> Option<&mut ZepSession> {
        self.map.get_mut(id).filter(|s| !s.is_deleted())
    }

    fn undeleted(&self) -> impl Iterator<Item = &ZepSession> {
        self.map.values().filter(|s| !s.is_deleted())
    }
}

fn route(shared: &Shared, req: &Req) -> Response {
    let segs = req.segs();
    match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["sessions", "end"]) => end_many(shared, req),
        ("POST", ["sessions", id, "end"]) => end_one(shared, req, id),
        ("GET", ["sessions", id]) => get(shared, id),
        ("GET", ["sessions", id, "memory"]) => memory(shared, req, id),
        ("GET", ["sessions", id, "messages"]) => messages(shared, req, id),
        ("GET", ["sessions-ordered"]) => list(shared, req),
        ("DELETE", ["sessions", id, "memory"]) => delete_memory(shared, id),
        ("GET", ["users", user, "sessions"]) => by_user(shared, user),
        // v3 (zep-cloud 3.x `user.get_threads`), under the same prefix as its threads.
        ("GET", ["users", user, "threads"]) => super::threads::by_user_v3(shared, user),
        _ => super::http::no_route(),
    }
}

fn not_found() -> Response {
    Zep.error(404, "", "not found")
}

fn already_ended(id: &str) -> Response {
    Zep.error(409, "", &format!("session ended: {id}"))
}

fn bad_request(message: &str) -> Response {
    Zep.error(400, "", message)
}

fn get(shared: &Shared, id: &str) -> Response {
    match shared.lock().table::<Sessions>().live(id) {
        Some(session) => Zep.json(200, &session.to_json()),
        None => not_found(),
    }
}

/// `GET /sessions/{id}/memory?lastn=N`: a Memory whose messages are the newest N (all
/// without `lastn`), oldest first; everything else in it is empty.
fn memory(shared: &Shared, req: &Req, id: &str) -> Response {
    let query = match MessageQuery::parse(req) {
        Ok(q) => q,
        Err(reply) => return *reply,
    };
    let mut state = shared.lock();
    let Some(session) = state.table::<Sessions>().live(id) else {
        return not_found();
    };
    let memory = json!({
        "messages": session.messages.last(query.lastn, Shape::V2),
        "metadata": {},
        "summary": null,
        "relevant_facts": null,
        "context": "",
    });
    Zep.json(200, &memory)
}

/// `GET /sessions/{id}/messages?limit=N&cursor=P`: page P (1-based) of N, oldest first.
fn messages(shared: &Shared, req: &Req, id: &str) -> Response {
    let query = match MessageQuery::parse(req) {
        Ok(q) => q,
        Err(reply) => return *reply,
    };
    let mut state = shared.lock();
    let Some(session) = state.table::<Sessions>().live(id) else {
        return not_found();
    };
    let page = session.messages.page(query.limit, query.cursor, Shape::V2);
    let row_count = page.len();
    let body = json!({
        "messages": page,
        "total_count": session.messages.len(),
        "row_count": row_count,
    });
    Zep.json(200, &body)
}

/// Marks a session ended now; the caller has checked it is open.
fn end(session: &mut ZepSession) {
    let now = clock::now_nanos();
    session.ended_at = Some(now.clone());
    session.updated_at = now;
}

/// `POST /sessions/{id}/end`: the body must be a JSON object (`{}` at least), as the CE
/// handler decodes it before anything else.
fn end_one(shared: &Shared, req: &Req, id: &str) -> Response {
    match req.json::<Value>() {
        Ok(body) if body.is_object() => {}
        Ok(_) => return bad_request("invalid request body: expected a JSON object"),
        Err(e) => return bad_request(&e),
    }
    let mut state = shared.lock();
    let Some(session) = state.table::<Sessions>().live_mut(id) else {
        return not_found();
    };
    if session.ended_at.is_some() {
        return already_ended(id);
    }
    end(session);
    Zep.json(200, &json!({ "session": session.to_json() }))
}

#[derive(Deserialize)]
struct EndMany {
    session_ids: Vec<String>,
}

/// `POST /sessions/end`: all or nothing. Every ID is checked before any is ended.
fn end_many(shared: &Shared, req: &Req) -> Response {
    let ids = match req.json::<EndMany>() {
        Ok(body) => body.session_ids,
        Err(e) => return bad_request(&e),
    };
    if ids.is_empty() {
        return bad_request("session_ids must not be empty");
    }
    if ids.len() > MAX_BATCH {
        let message = format!("request body too large: {} session_ids", ids.len());
        return Zep.error(413, "", &message);
    }
    let mut state = shared.lock();
    for id in &ids {
        match state.table::<Sessions>().live_mut(id) {
            None => return not_found(),
            Some(s) if s.ended_at.is_some() => return already_ended(id),
            Some(_) => {}
        }
    }
    let mut ended = Vec::with_capacity(ids.len());
    for id in &ids {
        if let Some(session) = state.table::<Sessions>().live_mut(id).filter(|s| s.ended_at.is_none()) {
            end(session);
            ended.push(session.to_json());
        }
    }
    Zep.json(200, &json!({ "sessions": ended }))
}

/// `GET /sessions-ordered`. With no `order_by` the order is CE's default, by `id`.
fn list(shared: &Shared, req: &Req) -> Response {
    let query = match PageQuery::parse(req, &["created_at", "updated_at", "user_id", "session_id"])
    {
        Ok(q) => q,
        Err(reply) => return *reply,
    };
    let mut rows: Vec<ZepSession> = shared.lock().table::<Sessions>().undeleted().cloned().collect();
    let total = rows.len();
    let key = |s: &ZepSession| match query.order_by.as_deref() {
        Some("created_at") => SortKey::time(&s.created_at),
        Some("updated_at") => SortKey::time(&s.updated_at),
        Some("user_id") => SortKey::Text(s.user_id.clone()),
        Some(_) => SortKey::text(&s.session_id),
        None => SortKey::Int(s.id),
    };
    listing::sort(&mut rows, key, |s| s.session_id.clone(), query.ascending);
    match query.page(rows) {
        Ok(page) => {
            let page = page.iter().map(ZepSession::to_json).collect();
            Zep.json(200, &listing::counted("sessions", total, page))
        }
        Err(reply) => *reply,
    }
}

/// `DELETE /sessions/{id}/memory`: deletes the memory and soft-deletes the session.
fn delete_memory(shared: &Shared, id: &str) -> Response {
    match shared.lock().table::<Sessions>().live_mut(id) {
        Some(session) => {
            session.deleted_at = Some(clock::now_nanos());
            Zep.json(200, &json!({ "message": "OK" }))
        }
        None => not_found(),
    }
}

/// `GET /users/{userId}/sessions` (zep-cloud 2.x `user.get_sessions`): a bare array of the
/// user's sessions, ended ones included, oldest first; `[]` for a user with none (sessions
/// here name their user; there is no user table to 404 from).
fn by_user(shared: &Shared, user: &str) -> Response {
    let mut rows: Vec<ZepSession> = shared
        .lock()
        .table::<Sessions>()
        .undeleted()
        .filter(|s| s.user_id.as_deref() == Some(user))
        .cloned()
        .collect();
    listing::sort(
        &mut rows,
        |s| SortKey::time(&s.created_at),
        |s| s.session_id.clone(),
        true,
    );
    let rows: Vec<Value> = rows.iter().map(ZepSession::to_json).collect();
    Zep.json(200, &Value::Array(rows))
}
