//! elizaOS server 1.x messaging sessions (`/api/messaging/sessions`), auth by `X-API-KEY`
//! only when a token is configured (`ELIZA_SERVER_AUTH_TOKEN` upstream).
//!
//! Deviation: upstream expires a session `timeoutMinutes` after its last activity and
//! sweeps it away; the emulator never expires or sweeps, so stale sessions stay listed
//! until deleted (that is what sessionctl exists to clean up). `expiresAt`, `timeRemaining`
//! and the stats are still computed from the default timeout.

use std::collections::HashMap;

use axum::response::Response;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use super::http::{Dialect, Req, header_is};
use super::listing::{self, SortKey};
use super::{Shared, clock};

/// elizaOS's default `timeoutConfig`.
const TIMEOUT_MINUTES: i64 = 30;
const MAX_DURATION_MINUTES: i64 = 720;
const WARNING_MINUTES: i64 = 5;

/// Without a token there is no auth at all; CORS preflights are never checked.
pub(crate) fn authorized(shared: &Shared, req: &Req) -> bool {
    match &shared.opts.messaging_token {
        None => true,
        Some(_) if req.method == "OPTIONS" => true,
        Some(token) => header_is(req, "x-api-key", &[token]),
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
}

/// When a session expires and how long it has left, computed once per reply row.
struct Expiry {
    at: Option<Timestamp>,
    /// Milliseconds, never negative; 0 for an unparseable `lastActivity`.
    remaining_ms: i64,
}

impl Expiry {
    fn is_active(&self) -> bool {
        self.remaining_ms > 0
    }

    fn is_near(&self) -> bool {
        self.is_active() && self.remaining_ms <= WARNING_MINUTES * 60_000
    }
}

impl Session {
    fn expiry(&self, now: Timestamp) -> Expiry {
        let at = clock::parse(&self.last_activity).map(|t| t + clock::minutes(TIMEOUT_MINUTES));
        let remaining = at.map_or(0, |at| at.duration_since(now).as_millis().max(0));
        Expiry {
            at,
            remaining_ms: i64::try_from(remaining).unwrap_or(i64::MAX),
        }
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
            timeout_config: TimeoutConfig::DEFAULT,
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TimeoutConfig {
    timeout_minutes: i64,
    auto_renew: bool,
    max_duration_minutes: i64,
    warning_threshold_minutes: i64,
}

impl TimeoutConfig {
    /// elizaOS's defaults.
    const DEFAULT: TimeoutConfig = TimeoutConfig {
        timeout_minutes: TIMEOUT_MINUTES,
        auto_renew: true,
        max_duration_minutes: MAX_DURATION_MINUTES,
        warning_threshold_minutes: WARNING_MINUTES,
    };
}

#[derive(Default)]
pub(crate) struct Sessions {
    map: HashMap<String, Session>,
}

impl Sessions {
    pub fn seed(
        &mut self,
        id: String,
        user_id: String,
        agent_id: String,
        created_at: String,
        last_activity: String,
    ) {
        let session = Session {
            id: id.clone(),
            channel_id: uuid::Uuid::new_v4().to_string(),
            agent_id,
            user_id,
            created_at,
            last_activity,
            metadata: json!({}),
        };
        self.map.insert(id, session);
    }

    /// Replaces a session's metadata; `false` if there is no such session.
    pub fn set_metadata(&mut self, id: &str, metadata: &serde_json::Map<String, Value>) -> bool {
        self.map
            .get_mut(id)
            .map(|s| s.metadata = Value::Object(metadata.clone()))
            .is_some()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.map.contains_key(id)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }
}

pub(crate) fn route(shared: &Shared, req: &Req) -> Response {
    let segs = req.segs();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["messaging", "sessions"]) => list(shared),
        ("POST", ["messaging", "sessions"]) => create(shared, req),
        ("GET", ["messaging", "sessions", "health"]) => health(shared),
        ("GET", ["messaging", "sessions", id]) => match shared.lock().messaging.map.get(*id) {
            Some(session) => Dialect::Messaging.json(200, &session.info(clock::now())),
            None => not_found(),
        },
        ("DELETE", ["messaging", "sessions", id]) => {
            if shared.lock().messaging.map.remove(*id).is_none() {
                return not_found();
            }
            let message = format!("Session {id} deleted successfully");
            Dialect::Messaging.json(200, &json!({ "success": true, "message": message }))
        }
        _ => super::http::no_route(),
    }
}

fn not_found() -> Response {
    Dialect::Messaging.error(404, "SESSION_NOT_FOUND", "Session not found")
}

fn validation(message: &str) -> Response {
    Dialect::Messaging.error(400, "VALIDATION_ERROR", message)
}

/// `POST /sessions` `{agentId, userId, metadata?}`: both IDs must be UUIDs. Every agent
/// exists here (no `AGENT_NOT_FOUND`).
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
    let now = clock::now_millis();
    let session = Session {
        id: uuid::Uuid::new_v4().to_string(),
        channel_id: uuid::Uuid::new_v4().to_string(),
        agent_id,
        user_id,
        created_at: now.clone(),
        last_activity: now,
        metadata: body.get("metadata").cloned().unwrap_or_else(|| json!({})),
    };
    let expiry = session.expiry(clock::now());
    let reply = Dialect::Messaging.json(201, &session.created(&expiry));
    shared
        .lock()
        .messaging
        .map
        .insert(session.id.clone(), session);
    reply
}

/// `GET /sessions`: every session, oldest first (upstream: insertion order).
fn list(shared: &Shared) -> Response {
    let mut rows: Vec<Session> = shared.lock().messaging.map.values().cloned().collect();
    listing::sort(
        &mut rows,
        |s| SortKey::time(&s.created_at),
        |s| s.id.clone(),
        true,
    );
    let now = clock::now();
    let sessions: Vec<SessionInfo> = rows.iter().map(|s| s.info(now)).collect();
    let active = (sessions.iter())
        .filter(|s| s.activity.as_ref().is_some_and(|a| a.time_remaining > 0))
        .count();
    Dialect::Messaging.json(
        200,
        &json!({
            "sessions": sessions,
            "total": rows.len(),
            "stats": {
                "totalSessions": rows.len(),
                "activeSessions": active,
                "expiredSessions": rows.len() - active,
            },
        }),
    )
}

fn health(shared: &Shared) -> Response {
    let now = clock::now();
    let (active, expiring) = {
        let state = shared.lock();
        let sessions = state.messaging.map.values();
        sessions.fold((0, 0), |(active, expiring), s| {
            let expiry = s.expiry(now);
            (
                active + usize::from(expiry.is_active()),
                expiring + usize::from(expiry.is_near()),
            )
        })
    };
    Dialect::Messaging.json(
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
