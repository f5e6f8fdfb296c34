//! elizaOS messaging on the emulator, as `@elizaos/server` 1.7.2 (`dist/index.js`) behaves:
//! sessions expire, a read of an expired one deletes it, and a session's channel and
//! messages outlive it. The same behaviour on the real server is in `elizaos`.

use crate::common;

use std::collections::BTreeSet;

use common::{Env, Seed, TimeoutConfig};
use serde_json::Value;

use super::elizaos::http;

/// An elizaOS timestamp `minutes` before the real clock (the emulator expires by it).
fn ago(minutes: i64) -> String {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes);
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A raw request to the emulator's elizaOS API.
fn call(env: &Env, method: &str, path: &str) -> (u16, Value) {
    let r = http(env.emu.addr().port(), method, path, None, None);
    let body = if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    };
    (r.status, body)
}

fn listed(doc: &Value) -> BTreeSet<String> {
    let sessions = doc["sessions"].as_array().expect("sessions[]");
    sessions
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Sessions seeded around the real clock, one per rule of 1.7.2's expiry.
fn seed_expiry_cases(env: &Env) {
    let no_renew = TimeoutConfig {
        timeout_minutes: 60,
        auto_renew: false,
        ..TimeoutConfig::default()
    };
    env.emu.seed_many([
        // Default 30 minutes after the last activity.
        Seed::messaging_timed("idle-31m", &ago(31), None, 0),
        Seed::messaging_timed("idle-10m", &ago(10), None, 0),
        // Without auto-renew it counts from creation: created 70 minutes ago, used just now.
        session("no-renew-70m", 70, 0, Some(no_renew)),
        session("no-renew-40m", 40, 0, Some(no_renew)),
        // Capped at creation + maxDurationMinutes (720) however recent the activity.
        session("created-721m", 721, 1, None),
    ]);
}

/// A session created and last active the given minutes ago.
fn session(id: &str, created: i64, used: i64, timeout: Option<TimeoutConfig>) -> Seed {
    Seed::MessagingSession {
        id: id.to_owned(),
        user_id: uuid::Uuid::new_v4().to_string(),
        agent_id: uuid::Uuid::new_v4().to_string(),
        created_at: ago(created),
        last_activity: ago(used),
        timeout_config: timeout,
        expires_at: None,
        messages: 0,
    }
}

#[test]
fn the_list_hides_expired_sessions_and_counts_like_elizaos() {
    let env = Env::new();
    seed_expiry_cases(&env);
    let (doc, code) = env.json("eliza", &["list"]);
    assert_eq!(code, 0, "{doc}");
    let live = BTreeSet::from(["idle-10m".to_owned(), "no-renew-40m".to_owned()]);
    assert_eq!(listed(&doc), live, "{doc}");

    let (status, raw) = call(&env, "GET", "/api/messaging/sessions");
    assert_eq!(status, 200);
    assert_eq!(raw["total"], 2, "{raw}");
    assert_eq!(raw["stats"]["totalSessions"], 5, "{raw}");
    assert_eq!(raw["stats"]["activeSessions"], 2, "{raw}");
    assert_eq!(raw["stats"]["expiredSessions"], 3, "{raw}");
    let row = (raw["sessions"].as_array().unwrap().iter())
        .find(|s| s["sessionId"] == "idle-10m")
        .unwrap();
    let remaining = row["timeRemaining"].as_i64().unwrap();
    assert!(
        (19 * 60_000..=20 * 60_000).contains(&remaining),
        "20 minutes left: {row}"
    );
    assert_eq!(row["isNearExpiration"], false, "{row}");
    assert_eq!(row["renewalCount"], 0, "{row}");
    assert!(row["expiresAt"].as_str().unwrap().ends_with('Z'), "{row}");
    // Expired sessions stay in memory until something reads them.
    assert!(env.emu.messaging_exists("idle-31m"));
}

#[test]
fn reading_an_expired_session_answers_410_and_deletes_it() {
    let env = Env::new();
    seed_expiry_cases(&env);
    let (status, body) = call(&env, "GET", "/api/messaging/sessions/idle-31m");
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"]["code"], "SESSION_EXPIRED", "{body}");
    assert!(!env.emu.messaging_exists("idle-31m"), "the read deleted it");
    let (status, body) = call(&env, "GET", "/api/messaging/sessions/idle-31m");
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "SESSION_NOT_FOUND", "{body}");
    let (status, _) = call(&env, "GET", "/api/messaging/sessions/idle-10m");
    assert_eq!(status, 200);
}
