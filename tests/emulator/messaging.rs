//! elizaOS server 1.x messaging sessions (`/api/messaging/sessions`), auth by `X-API-KEY`
//! only when a token is configured (`ELIZA_SERVER_AUTH_TOKEN` upstream). Follows
//! `@elizaos/server` 1.7.2 (`dist/index.js`, the sessions router):
//!
//! - A session expires at `(autoRenew ? lastActivity : createdAt) + timeoutMinutes`, capped at
//!   `createdAt + maxDurationMinutes` (defaults 30 and 720 minutes), stored when it is created.
//! - `GET /sessions` hides expired sessions; `total` counts the listed ones, `stats` also the
//!   expired ones still in memory.
//! - `GET /sessions/{id}` of an expired session answers 410 `SESSION_EXPIRED` **and deletes
//!   it** (a read with a side effect); after that it is 404.
//! - `DELETE /sessions/{id}` drops the session from memory, expired or not, and leaves its
//!   channel and messages ([`super::channels`]).
//!
//! Deviations: no cleanup timer (1.7.2 drops expired sessions every 5 minutes, after which a
//! DELETE is 404; here they stay in memory until a GET or DELETE), no renew, heartbeat or
//! message routes, every agent exists. Seeds may carry any `timeoutConfig` (not clamped) or a
//! stored `expiresAt` of their own.

use std::collections::HashMap;
use std::sync::Arc;

use axum::response::Response;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::api::{Api, Served};
use super::model::HeaderStyle;
use super::http::{Req, header_is, reason, slug};
use super::listing::{self, SortKey};
use super::seed::{Kind, Record, Seed, new_uuid};
use super::state::State;
use super::{Emulator, Shared, channels, clock, demo};

/// 1.7.2's defaults and bounds (its env `SESSION_*_MINUTES` unset).
const TIMEOUT_MINUTES: i64 = 30;
const MIN_TIMEOUT_MINUTES: i64 = 5;
const MAX_TIMEOUT_MINUTES: i64 = 1440;
const MAX_DURATION_MINUTES: i64 = 720;
const WARNING_MINUTES: i64 = 5;

/// Path prefix of the elizaOS API; it sits at the root so `http://localhost:3000` works.
const PREFIX: &str = "/api";

/// The elizaOS server's API.
pub(crate) struct Messaging;

impl Api for Messaging {
    /// express-rate-limit's draft-6 `RateLimit-*` and no `X-RateLimit-*`: 1.7.2's
    /// `createApiRateLimit` (`dist/index.js`) sets `standardHeaders: true`, which
    /// express-rate-limit takes as `draft-6`, and `legacyHeaders: false`.
    fn rate_limit_headers(&self) -> HeaderStyle {
        HeaderStyle::Draft6
    }

    fn seeds(&self) -> &'static [Kind] {
        &[SESSION, channels::CHANNEL]
    }

    /// The session's and its channel's copy (as if it had been created with it).
    fn set_metadata(
        &self,
        state: &mut State,
        id: &str,
        metadata: &serde_json::Map<String, Value>,
    ) -> bool {
        let Some(session) = state.table::<Sessions>().map.get_mut(id) else {
            return false;
        };
        session.metadata = Value::Object(metadata.clone());
        let (channel, copy) = (session.channel_id.clone(), session.channel_metadata());
        state.table::<channels::Channels>().set_metadata(&channel, copy);
        true
    }

    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn content_type(&self) -> &'static str {
        "application/json; charset=utf-8"
    }

    /// Express style: `{"error": {"code", "message", "timestamp"}}`.
    fn error_body(&self, _status: u16, code: &str, message: &str) -> Value {
        json!({ "error": {
            "code": code,
            "message": message,
            "timestamp": clock::now_millis(),
        }})
    }

    fn status_error(&self, status: u16) -> Response {
        match status {
            401 => self.json(
                401,
                &json!({
                    "error": "API key required",
                    "message": "Missing or invalid X-API-KEY header",
                }),
            ),
            429 => self.json(
                429,
                &json!({ "success": false, "error": {
                    "code": "RATE_LIMIT_EXCEEDED",
                    "message": "Too many requests. Please try again later.",
                }}),
            ),
            500 => self.error(500, "INTERNAL_SERVER_ERROR", "An unexpected error occurred"),
            _ => {
                let reason = reason(status);
                self.error(status, &slug(reason, '_').to_ascii_uppercase(), reason)
            }
        }
    }

    /// Without a token there is no auth at all; CORS preflights are never checked, as
    /// 1.7.2's `apiKeyAuthMiddleware` (`dist/index.js`) lets `OPTIONS` through (providers.md
    /// says every `/api` route needs the key: the server's code wins).
    fn authorized(&self, shared: &Shared, req: &Req) -> bool {
        match &shared.opts.messaging_token {
            None => true,
            Some(_) if req.method == "OPTIONS" => true,
            Some(token) => header_is(req, "x-api-key", &[token]),
        }
    }

    fn route(&self, shared: &Arc<Shared>, req: &Req) -> Response {
        route(shared, req)
    }

    fn title(&self) -> &'static str {
        "elizaOS messaging"
    }

    /// The server itself: its paths start with `/api/messaging`.
    fn url(&self, base: &str) -> String {
        base.to_owned()
    }

    fn auth(&self, served: &Served) -> String {
        (served.messaging_token).map_or("no auth".to_owned(), |t| format!("X-API-KEY: {t}"))
    }

    /// `eliza`, the config's default profile, as the built-in `local` profile is.
    fn profiles(&self, served: &Served) -> String {
        let key = (served.messaging_token).map_or(String::new(), |t| format!("api_key = \"{t}\"\n"));
        format!(
            "[profiles.eliza]\nprovider = \"messaging\"\nbase_url = \"{}\"\n{key}",
            self.url(served.base)
        )
    }

    /// `eliza`, as sessionctl's built-in `local` profile is elizaOS.
    fn default_profile(&self) -> Option<&'static str> {
        Some("eliza")
    }

    /// demo-1..3 idle for three hours, demo-4..5 active a minute ago.
    fn demo(&self, now: Timestamp) -> Vec<Seed> {
        let mut seeds = Vec::new();
        for n in 1..=5 {
            let idle = if n <= 3 { 180 } else { 1 };
            seeds.push(Seed::from(SessionSeed {
                id: format!("demo-{n}"),
                user_id: uuid::Uuid::new_v4().to_string(),
                agent_id: uuid::Uuid::new_v4().to_string(),
                created_at: clock::millis(demo::ago(now, idle + 60)),
                last_activity: clock::millis(demo::ago(now, idle)),
                // A server whose sessions time out after a day (1.7.2's longest
                // `timeoutMinutes`), so the three-hour-idle ones are still there to sweep.
                timeout_config: Some(TimeoutConfig {
                    timeout_minutes: 1440,
                    max_duration_minutes: 2880,
                    ..TimeoutConfig::default()
                }),
                expires_at: None,
                messages: 2,
            }));
            seeds.push(Seed::metadata(&format!("demo-{n}"), demo::env(n)));
        }
        seeds
    }
}

/// Where a client finds this API, and what a test asks of its records.
impl Emulator {
    /// Base URL of the elizaOS server (its paths start with `/api/messaging`).
    pub fn messaging_url(&self) -> String {
        Messaging.url(&self.url())
    }

    /// Whether an elizaOS session exists (not deleted).
    pub fn messaging_exists(&self, id: &str) -> bool {
        self.shared.lock().table::<Sessions>().contains(id)
    }

    /// How many elizaOS sessions exist.
    pub fn messaging_count(&self) -> usize {
        self.shared.lock().table::<Sessions>().len()
    }

    /// The channel of an elizaOS session the server still remembers.
    pub fn messaging_channel_of(&self, session_id: &str) -> Option<String> {
        self.shared.lock().table::<Sessions>().channel_of(session_id)
    }

    /// An elizaOS server restart: it forgets every session and keeps every channel.
    pub fn messaging_restart(&self) {
        self.shared.lock().table::<Sessions>().forget_all();
    }
}

/// A session's `timeoutConfig`, as `POST /sessions` takes it and every reply shows it. In a
/// seed, omitted fields are the server defaults.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TimeoutConfig {
    pub timeout_minutes: i64,
    pub auto_renew: bool,
    pub max_duration_minutes: i64,
    pub warning_threshold_minutes: i64,
}

impl Default for TimeoutConfig {
    fn default() -> TimeoutConfig {
        TimeoutConfig {
            timeout_minutes: TIMEOUT_MINUTES,
            auto_renew: true,
            max_duration_minutes: MAX_DURATION_MINUTES,
            warning_threshold_minutes: WARNING_MINUTES,
        }
    }
}

/// What `POST /sessions` may send in `timeoutConfig` (any field may be missing).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RequestedTimeout {
    timeout_minutes: Option<f64>,
    auto_renew: Option<bool>,
    max_duration_minutes: Option<f64>,
    warning_threshold_minutes: Option<f64>,
}

impl RequestedTimeout {
    /// 1.7.2's `mergeTimeoutConfigs`: the timeout clamped to [5, 1440], the maximum duration
    /// to [timeout, 2880], the warning to at least 1.
    fn merged(&self) -> TimeoutConfig {
        let mut config = TimeoutConfig::default();
        if let Some(t) = self.timeout_minutes {
            config.timeout_minutes = (t as i64).clamp(MIN_TIMEOUT_MINUTES, MAX_TIMEOUT_MINUTES);
        }
        if let Some(renew) = self.auto_renew {
            config.auto_renew = renew;
        }
        if let Some(d) = self.max_duration_minutes {
            config.max_duration_minutes = (d as i64)
                .min(MAX_TIMEOUT_MINUTES * 2)
                .max(config.timeout_minutes);
        }
        if let Some(w) = self.warning_threshold_minutes {
            config.warning_threshold_minutes = (w as i64).max(1);
        }
        config
    }
}

#[derive(Clone)]
pub(crate) struct Session {
    id: String,
    channel_id: String,
    agent_id: String,
    user_id: String,
    created_at: String,
    last_activity: String,
    metadata: Value,
    timeout: TimeoutConfig,
    /// Stored like 1.7.2 stores it (computed once, at creation); `None` when the seeded
    /// times do not parse (such a session is expired).
    expires_at: Option<Timestamp>,
}

/// 1.7.2's `calculateExpirationDate`, at creation (when `now` is the last activity).
fn expiry_of(created: &str, last_activity: &str, config: &TimeoutConfig) -> Option<Timestamp> {
    let created = clock::parse(created)?;
    let base = if config.auto_renew {
        clock::parse(last_activity)?
    } else {
        created
    };
    let by_timeout = base + clock::minutes(config.timeout_minutes);
    Some(by_timeout.min(created + clock::minutes(config.max_duration_minutes)))
}

/// When a session expires and how long it has left, computed once per reply row.
struct Expiry {
    at: Option<Timestamp>,
    /// Milliseconds, never negative.
    remaining_ms: i64,
    warning_ms: i64,
}

impl Expiry {
    fn is_active(&self) -> bool {
        self.remaining_ms > 0
    }

    fn is_near(&self) -> bool {
        self.is_active() && self.remaining_ms <= self.warning_ms
    }
}

impl Session {
    fn expiry(&self, now: Timestamp) -> Expiry {
        let remaining = (self.expires_at).map_or(0, |at| at.duration_since(now).as_millis().max(0));
        Expiry {
            at: self.expires_at,
            remaining_ms: i64::try_from(remaining).unwrap_or(i64::MAX),
            warning_ms: self.timeout.warning_threshold_minutes * 60_000,
        }
    }

    fn is_expired(&self, now: Timestamp) -> bool {
        !self.expiry(now).is_active()
    }

    /// What 1.7.2 stores in the session's channel metadata.
    fn channel_metadata(&self) -> Value {
        let mut metadata = json!({
            "sessionId": self.id,
            "agentId": self.agent_id,
            "userId": self.user_id,
            "timeoutConfig": self.timeout,
        });
        if let (Some(m), Some(extra)) = (metadata.as_object_mut(), self.metadata.as_object()) {
            m.extend(extra.clone());
        }
        metadata
    }

    /// The reply to `POST /sessions`: SessionInfo without the activity fields.
    fn created(&self, expiry: &Expiry) -> SessionInfo<'_> {
        SessionInfo {
            session_id: &self.id,
            channel_id: &self.channel_id,
            agent_id: &self.agent_id,
            user_id: &self.user_id,
            created_at: &self.created_at,
            metadata: &self.metadata,
            expires_at: expiry.at.map(clock::millis),
            timeout_config: self.timeout,
            activity: None,
        }
    }

    fn info(&self, now: Timestamp) -> SessionInfo<'_> {
        let expiry = self.expiry(now);
        SessionInfo {
            activity: Some(Activity {
                last_activity: &self.last_activity,
                renewal_count: 0,
                time_remaining: expiry.remaining_ms,
                is_near_expiration: expiry.is_near(),
            }),
            ..self.created(&expiry)
        }
    }
}

/// elizaOS's SessionInfo. Typed rather than a `serde_json::Value` because a list of
/// 100,000 of them must serialize quickly.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionInfo<'s> {
    session_id: &'s str,
    channel_id: &'s str,
    agent_id: &'s str,
    user_id: &'s str,
    created_at: &'s str,
    metadata: &'s Value,
    expires_at: Option<String>,
    timeout_config: TimeoutConfig,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    activity: Option<Activity<'s>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Activity<'s> {
    last_activity: &'s str,
    renewal_count: u32,
    time_remaining: i64,
    is_near_expiration: bool,
}

/// An elizaOS messaging session and its channel (`session-<id>`; kind
/// `messaging_session`). It expires as `@elizaos/server` 1.7.2 computes it from the times
/// and `timeout_config` (omitted: the server defaults, 30 minutes after the last activity),
/// unless `expires_at` gives the stored expiry itself.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSeed {
    pub id: String,
    #[serde(default = "new_uuid")]
    pub user_id: String,
    #[serde(default = "new_uuid")]
    pub agent_id: String,
    #[serde(default = "clock::now_millis")]
    pub created_at: String,
    #[serde(default = "clock::now_millis")]
    pub last_activity: String,
    #[serde(default)]
    pub timeout_config: Option<TimeoutConfig>,
    #[serde(default)]
    pub expires_at: Option<String>,
    /// How many messages its channel holds.
    #[serde(default)]
    pub messages: u32,
}

const SESSION: Kind = Kind::of::<SessionSeed>("messaging_session");

/// Far enough ahead that no test outlives it: see [`Seed::messaging`].
pub const NEVER_EXPIRES: &str = "9999-01-01T00:00:00.000Z";

/// Adds a session and its channel (with `messages` messages), like `POST /sessions` at the
/// seeded times.
impl Record for SessionSeed {
    fn apply(&self, state: &mut State) -> Result<(), String> {
        let seed = self.clone();
        let timeout = seed.timeout_config.unwrap_or_default();
        let expires_at = match &seed.expires_at {
            Some(raw) => clock::parse(raw),
            None => expiry_of(&seed.created_at, &seed.last_activity, &timeout),
        };
        let session = Session {
            id: seed.id.clone(),
            channel_id: new_uuid(),
            agent_id: seed.agent_id,
            user_id: seed.user_id,
            created_at: seed.created_at,
            last_activity: seed.last_activity,
            metadata: json!({}),
            timeout,
            expires_at,
        };
        let (channel, copy) = (session.channel_id.clone(), session.channel_metadata());
        (state.table::<channels::Channels>()).add_session_channel(channel, copy, seed.messages);
        state.table::<Sessions>().map.insert(seed.id, session);
        Ok(())
    }
}

impl Seed {
    /// An elizaOS session created and last active at `last_activity` that the server keeps
    /// for the whole test (its stored expiry is [`NEVER_EXPIRES`]): for the many tests that
    /// seed fixed 2024 times and are about something other than expiry. Expiry tests use
    /// [`Seed::messaging_timed`].
    pub fn messaging(id: &str, last_activity: &str) -> Seed {
        Seed::from(SessionSeed {
            expires_at: Some(NEVER_EXPIRES.to_owned()),
            ..SessionSeed::at(id, last_activity)
        })
    }

    /// An elizaOS session created and last active at `last_activity` that expires as 1.7.2
    /// computes it from `timeout` (`None`: the server defaults), with `messages` messages in
    /// its channel.
    pub fn messaging_timed(
        id: &str,
        last_activity: &str,
        timeout: Option<TimeoutConfig>,
        messages: u32,
    ) -> Seed {
        Seed::from(SessionSeed {
            timeout_config: timeout,
            messages,
            ..SessionSeed::at(id, last_activity)
        })
    }
}

impl SessionSeed {
    /// A session of a fresh user and agent, created and last active at `last_activity`,
    /// with no messages, expiring as the server defaults say.
    pub fn at(id: &str, last_activity: &str) -> SessionSeed {
        SessionSeed {
            id: id.to_owned(),
            user_id: new_uuid(),
            agent_id: new_uuid(),
            created_at: last_activity.to_owned(),
            last_activity: last_activity.to_owned(),
            timeout_config: None,
            expires_at: None,
            messages: 0,
        }
    }
}

#[derive(Default)]
pub(crate) struct Sessions {
    map: HashMap<String, Session>,
}

impl Sessions {
    /// Whether the session is in the server's memory (expired or not).
    pub fn contains(&self, id: &str) -> bool {
        self.map.contains_key(id)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The session's channel ID, while the server remembers the session.
    pub fn channel_of(&self, id: &str) -> Option<String> {
        self.map.get(id).map(|s| s.channel_id.clone())
    }

    /// A server restart: every session is forgotten, every channel stays.
    pub fn forget_all(&mut self) {
        self.map.clear();
    }
}

fn route(shared: &Shared, req: &Req) -> Response {
    let segs = req.segs();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["messaging", "sessions"]) => list(shared),
        ("POST", ["messaging", "sessions"]) => create(shared, req),
        ("GET", ["messaging", "sessions", "health"]) => health(shared),
        ("GET", ["messaging", "sessions", id]) => get(shared, id),
        ("DELETE", ["messaging", "sessions", id]) => {
            if shared.lock().table::<Sessions>().map.remove(*id).is_none() {
                return not_found();
            }
            let message = format!("Session {id} deleted successfully");
            Messaging.json(200, &json!({ "success": true, "message": message }))
        }
        (_, ["messaging", rest @ ..]) => channels::route(shared, req, rest),
        _ => super::http::no_route(),
    }
}

/// 410 for an expired session, which this read deletes (1.7.2 does).
fn get(shared: &Shared, id: &str) -> Response {
    let now = clock::now();
    let mut state = shared.lock();
    let Some(session) = state.table::<Sessions>().map.get(id) else {
        return not_found();
    };
    if session.is_expired(now) {
        let message = match session.expires_at {
            Some(at) => format!("Session '{id}' expired at {}", clock::millis(at)),
            None => format!("Session '{id}' has expired"),
        };
        state.table::<Sessions>().map.remove(id);
        return Messaging.error(410, "SESSION_EXPIRED", &message);
    }
    Messaging.json(200, &session.info(now))
}

/// Deviation: 1.7.2 says `Session with ID '<id>' not found`.
fn not_found() -> Response {
    Messaging.error(404, "SESSION_NOT_FOUND", "Session not found")
}

fn validation(message: &str) -> Response {
    Messaging.error(400, "VALIDATION_ERROR", message)
}

/// `POST /sessions` `{agentId, userId, metadata?, timeoutConfig?}`: both IDs must be UUIDs.
/// Every agent exists here (no `AGENT_NOT_FOUND`). Creates the session's channel too.
fn create(shared: &Shared, req: &Req) -> Response {
    let body: Value = match req.json() {
        Ok(body) => body,
        Err(e) => return validation(&e),
    };
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(agent_id), Some(user_id)) = (field("agentId"), field("userId")) else {
        return validation("Missing required fields: agentId and userId");
    };
    for (name, value) in [("agentId", &agent_id), ("userId", &user_id)] {
        if uuid::Uuid::parse_str(value).is_err() {
            return validation(&format!("Invalid {name} format"));
        }
    }
    let requested: RequestedTimeout = match body.get("timeoutConfig") {
        None | Some(Value::Null) => RequestedTimeout::default(),
        Some(v) => match serde_json::from_value(v.clone()) {
            Ok(t) => t,
            Err(e) => return validation(&format!("Invalid timeoutConfig: {e}")),
        },
    };
    let timeout = requested.merged();
    let now = clock::now_millis();
    let session = Session {
        id: uuid::Uuid::new_v4().to_string(),
        channel_id: uuid::Uuid::new_v4().to_string(),
        agent_id,
        user_id,
        expires_at: expiry_of(&now, &now, &timeout),
        created_at: now.clone(),
        last_activity: now,
        metadata: body.get("metadata").cloned().unwrap_or_else(|| json!({})),
        timeout,
    };
    let expiry = session.expiry(clock::now());
    let reply = Messaging.json(201, &session.created(&expiry));
    let mut state = shared.lock();
    (state.table::<channels::Channels>()).add_session_channel(session.channel_id.clone(), session.channel_metadata(), 0);
    state.table::<Sessions>().map.insert(session.id.clone(), session);
    reply
}

/// `GET /sessions`: the sessions that have not expired, oldest first (upstream: insertion
/// order); `total` counts them, `stats` every session still in memory.
fn list(shared: &Shared) -> Response {
    let now = clock::now();
    let (mut rows, in_memory): (Vec<Session>, usize) = {
        let mut state = shared.lock();
        let sessions = state.table::<Sessions>().map.values();
        let live = sessions.filter(|s| !s.is_expired(now)).cloned().collect();
        (live, state.table::<Sessions>().map.len())
    };
    listing::sort(
        &mut rows,
        |s| SortKey::time(&s.created_at),
        |s| s.id.clone(),
        true,
    );
    let sessions: Vec<SessionInfo> = rows.iter().map(|s| s.info(now)).collect();
    Messaging.json(
        200,
        &json!({
            "sessions": sessions,
            "total": sessions.len(),
            "stats": {
                "totalSessions": in_memory,
                "activeSessions": sessions.len(),
                "expiredSessions": in_memory - sessions.len(),
            },
        }),
    )
}

fn health(shared: &Shared) -> Response {
    let now = clock::now();
    let (active, expiring) = {
        let mut state = shared.lock();
        let sessions = state.table::<Sessions>().map.values();
        sessions.fold((0, 0), |(active, expiring), s| {
            let expiry = s.expiry(now);
            (
                active + usize::from(expiry.is_active()),
                expiring + usize::from(expiry.is_near()),
            )
        })
    };
    Messaging.json(
        200,
        &json!({
            "status": "healthy",
            "activeSessions": active,
            "timestamp": clock::millis(now),
            "expiringSoon": expiring,
            "uptime": shared.uptime().as_secs_f64(),
        }),
    )
}
