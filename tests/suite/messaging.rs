//! elizaOS messaging on the emulator, as `@elizaos/server` 1.7.2 (`dist/index.js`) behaves:
//! sessions expire, a read of an expired one deletes it, and a session's channel and
//! messages outlive it. The same behaviour on the real server is in `elizaos`.

use crate::common;
use common::listed;

use std::collections::BTreeSet;

use common::{Env, Seed, TimeoutConfig, outcomes_once, result_of};
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
    Seed::from(common::emulator::messaging::SessionSeed {
        id: id.to_owned(),
        user_id: uuid::Uuid::new_v4().to_string(),
        agent_id: uuid::Uuid::new_v4().to_string(),
        created_at: ago(created),
        last_activity: ago(used),
        timeout_config: timeout,
        expires_at: None,
        messages: 0,
    })
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
/// A session expired on the server but still in its memory: a server dry run must not be
/// the read that deletes it (1.7.2's `GET /sessions/{id}` does).
#[test]
fn a_server_dry_run_leaves_expired_sessions_alone() {
    let env = Env::new();
    seed_expiry_cases(&env);
    let (doc, _) = env.json(
        "eliza",
        &["end-many", "--dry-run=server", "idle-31m", "idle-10m"],
    );
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes["idle-10m"], "would_end", "{doc}");
    assert_eq!(outcomes["idle-31m"], "not_found", "{doc}");
    assert!(
        env.emu.messaging_exists("idle-31m"),
        "a dry run changed the server"
    );
    let gets = env.emu.requests();
    assert!(
        !gets
            .iter()
            .any(|r| r.path.starts_with("/api/messaging/sessions/")),
        "{gets:?}"
    );

    // Deleting it: the server still had it in memory (200), and the result says it had
    // expired.
    let channel = env.emu.messaging_channel_of("idle-31m").unwrap();
    let (doc, code) = env.json("eliza", &["delete", "--yes", "idle-31m"]);
    assert_eq!(code, 0, "{doc}");
    let r = result_of(&doc, "idle-31m");
    assert_eq!(r["outcome"], "deleted", "{doc}");
    assert!(r["note"].as_str().unwrap().contains("had expired"), "{doc}");
    assert_eq!(env.emu.channel_messages(&channel), None);
}

/// The same dry run of `delete`: an expired session's channel is still there, so a delete
/// would remove it; a session that has none is `not_found`.
#[test]
fn a_server_dry_run_of_delete_reads_the_lists_only() {
    let env = Env::new();
    seed_expiry_cases(&env);
    env.emu.messaging_restart(); // forgets every session, keeps their channels
    env.emu
        .seed(Seed::messaging_timed("live", &ago(1), None, 3));
    let (doc, code) = env.json(
        "eliza",
        &[
            "delete",
            "--yes",
            "--dry-run=server",
            "live",
            "idle-31m",
            "never-was",
        ],
    );
    assert_eq!(code, 1, "a not_found: {doc}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes["live"], "would_delete", "{doc}");
    assert_eq!(outcomes["idle-31m"], "would_delete", "{doc}");
    let note = result_of(&doc, "idle-31m")["note"].as_str().unwrap();
    assert!(note.contains("its channel"), "{doc}");
    assert_eq!(outcomes["never-was"], "not_found", "{doc}");
    // The list was read once: it cannot tell "never there" from "begun since".
    let why = result_of(&doc, "never-was")["error"].as_str().unwrap();
    assert!(
        why.contains("when this run read them") && why.contains("begun since"),
        "{doc}"
    );
    let changed = env.emu.requests();
    assert!(changed.iter().all(|r| r.method == "GET"), "{changed:?}");
    assert!(
        !changed
            .iter()
            .any(|r| r.path.starts_with("/api/messaging/sessions/")),
        "{changed:?}"
    );
}

/// `end` drops the session only (its channel and messages stay, as in 1.7.2); `delete`
/// removes the channel and its messages too.
#[test]
fn end_leaves_the_channel_and_delete_removes_it() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::messaging_timed("ended", &ago(1), None, 4),
        Seed::messaging_timed("deleted", &ago(1), None, 4),
    ]);
    let ended_channel = env.emu.messaging_channel_of("ended").unwrap();
    let deleted_channel = env.emu.messaging_channel_of("deleted").unwrap();

    let (doc, code) = env.json("eliza", &["end", "ended"]);
    assert_eq!(
        (code, outcomes_once(&doc)["ended"].as_str()),
        (0, "ended"),
        "{doc}"
    );
    assert!(!env.emu.messaging_exists("ended"));
    assert_eq!(
        env.emu.channel_messages(&ended_channel),
        Some(4),
        "end keeps the channel"
    );

    let (doc, code) = env.json("eliza", &["delete", "--yes", "deleted"]);
    assert_eq!(code, 0, "{doc}");
    let r = result_of(&doc, "deleted");
    assert_eq!(
        (r["outcome"].as_str(), r["status"].as_u64()),
        (Some("deleted"), Some(200)),
        "{doc}"
    );
    assert!(!env.emu.messaging_exists("deleted"));
    assert_eq!(
        env.emu.channel_messages(&deleted_channel),
        None,
        "the channel is gone"
    );
    let deletes: Vec<String> = (env.emu.requests().into_iter())
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(
        deletes,
        [
            "/api/messaging/sessions/ended".to_owned(),
            "/api/messaging/sessions/deleted".to_owned(),
            format!("/api/messaging/channels/{deleted_channel}"),
        ]
    );

    // The session `end` left behind: its channel is still there for `delete` to remove.
    let (doc, code) = env.json("eliza", &["delete", "--yes", "ended"]);
    assert_eq!(code, 0, "{doc}");
    let r = result_of(&doc, "ended");
    assert_eq!(r["outcome"], "deleted", "{doc}");
    assert!(
        r["note"].as_str().unwrap().contains("already gone"),
        "{doc}"
    );
    assert_eq!(env.emu.channel_messages(&ended_channel), None);
}

/// The session is gone but its channel could not be deleted: `failed`, saying which part
/// was done.
#[test]
fn a_channel_that_cannot_be_deleted_fails_the_delete() {
    let env = Env::new();
    env.emu.seed(Seed::messaging_timed("s", &ago(1), None, 1));
    let channel = env.emu.messaging_channel_of("s").unwrap();
    env.emu.fault(
        common::Fault::status(500)
            .method("DELETE")
            .path(&format!("/api/messaging/channels/{channel}")),
    );
    let (doc, code) = env.json("eliza", &["delete", "--yes", "s"]);
    assert_ne!(code, 0, "{doc}");
    let r = result_of(&doc, "s");
    assert_eq!(
        (r["outcome"].as_str(), r["status"].as_u64()),
        (Some("failed"), Some(500)),
        "{doc}"
    );
    let error = r["error"].as_str().unwrap();
    assert!(
        error.starts_with("the session was deleted, but its channel"),
        "{doc}"
    );
    assert!(!env.emu.messaging_exists("s"));
    assert_eq!(env.emu.channel_messages(&channel), Some(1));
}

/// 1.7.2's DELETE never answers 410 (it deletes an expired session still in memory, and
/// is 404 once the cleanup dropped it), but a server that says a session is gone is not
/// claimed as ended by us: `already_ended`, and the note says only what the body says (it
/// expired when its code says `SESSION_EXPIRED`, which 1.7.2's `GET` sends, else just gone).
#[test]
fn an_end_the_server_answers_gone_is_already_ended_noted_as_the_body_says() {
    let env = Env::new();
    let expired =
        r#"{"success":false,"error":{"code":"SESSION_EXPIRED","message":"Session has expired"}}"#;
    let other = r#"{"success":false,"error":{"code":"GONE","message":"Gone"}}"#;
    for (body, note) in [
        (
            expired,
            "expired: the server ended it on its own (410 SESSION_EXPIRED)",
        ),
        (
            other,
            "gone: the server answered 410 GONE, not that it expired",
        ),
    ] {
        env.emu.reset();
        env.emu.seed(Seed::messaging_timed("s", &ago(1), None, 0));
        env.emu.fault(
            common::Fault::status(410)
                .body(body)
                .method("DELETE")
                .path("/sessions/s"),
        );
        let (doc, code) = env.json("eliza", &["end", "s"]);
        let r = result_of(&doc, "s");
        assert_eq!(
            (r["outcome"].as_str(), r["status"].as_u64()),
            (Some("already_ended"), Some(410)),
            "{doc}"
        );
        assert_eq!(r["note"].as_str(), Some(note), "{doc}");
        assert_eq!(code, 0, "already_ended is success: {doc}");
    }
}

/// `list` shows when each session expires and how long it has left: in JSON, and as
/// columns of `-o wide`.
#[test]
fn list_shows_expiry_in_json_and_wide() {
    let env = Env::new();
    env.emu.seed(Seed::messaging_timed("s", &ago(10), None, 0));
    let (doc, code) = env.json("eliza", &["list"]);
    assert_eq!(code, 0, "{doc}");
    let row = &doc["sessions"][0];
    let expires = row["expires"].as_str().expect("expires");
    let (status, raw) = call(&env, "GET", "/api/messaging/sessions");
    assert_eq!(status, 200);
    assert_eq!(
        raw["sessions"][0]["expiresAt"], expires,
        "the server's own value"
    );
    let left = row["remaining_ms"].as_u64().expect("remaining_ms");
    assert!((19 * 60_000..=20 * 60_000).contains(&left), "{row}");

    let out = env
        .cmd("eliza")
        .args(["list", "-o", "wide"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("EXPIRES") && text.contains("LEFT"), "{text}");
    // The table's time is to the second (the server's has milliseconds).
    let to_the_second = format!("{}Z", &expires[..19]);
    assert!(text.contains(&to_the_second), "{text}");
    assert!(text.contains("19m"), "{text}");
}

/// On a default elizaOS server a session is gone 30 minutes after its last activity, so a
/// sweep for sessions idle for 2 hours can never select one: it says so. One that can
/// select (idle for 5 minutes) does, without the notice.
#[test]
fn a_sweep_longer_than_any_session_can_live_says_so() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::messaging_timed("recent", &ago(1), None, 0),
        Seed::messaging_timed("idle-10m", &ago(10), None, 0),
    ]);
    let notice = "sessions on this server expire after at most 30 minutes of inactivity; \
                  --idle-for 2 hours can select none";
    for args in [
        &["end-many", "--idle-for", "2h", "--dry-run"][..],
        &["list", "--idle-for", "2h"],
    ] {
        let out = env.cmd("eliza").args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(notice), "{args:?}: {stderr}");
    }
    let out = (env
        .cmd("eliza")
        .args(["-o", "json", "end-many", "--idle-for", "5m", "--dry-run"]))
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("can select none"), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcomes_once(&doc)["idle-10m"], "would_end", "{doc}");
    assert_eq!(outcomes_once(&doc).len(), 1, "{doc}");
}

/// Channels sessions left behind (ended, expired, forgotten by a restart) are listed with
/// `list --orphans` and removed with `delete --orphans`, with the usual caps and dry runs.
/// Only channels that provably belong to a session are: named `session-<id>` with that
/// `sessionId` in their metadata, and held by no live session.
#[test]
fn orphan_channels_are_listed_and_deleted_and_nothing_else() {
    let env = Env::new();
    env.emu
        .seed(Seed::messaging_timed("forgotten", &ago(5), None, 2));
    let forgotten = env.emu.messaging_channel_of("forgotten").unwrap();
    env.emu.messaging_restart();
    env.emu.seed_many([
        Seed::messaging_timed("live", &ago(1), None, 1),
        Seed::messaging_timed("ended", &ago(1), None, 1),
        Seed::messaging_timed("expired", &ago(31), None, 1),
        Seed::from(common::emulator::channels::ChannelSeed {
            id: uuid::Uuid::new_v4().to_string(),
            name: "general".into(),
            metadata: serde_json::json!({}),
            messages: 5,
        }),
        // Named like a session's, but its metadata names another session: not provably one.
        Seed::from(common::emulator::channels::ChannelSeed {
            id: uuid::Uuid::new_v4().to_string(),
            name: "session-lookalike".into(),
            metadata: serde_json::json!({ "sessionId": "someone-else" }),
            messages: 5,
        }),
    ]);
    let channel = |id: &str| env.emu.messaging_channel_of(id).unwrap();
    let (live, ended, expired) = (channel("live"), channel("ended"), channel("expired"));
    let (_, code) = env.json("eliza", &["end", "ended"]);
    assert_eq!(code, 0);

    let orphans = BTreeSet::from(["ended", "expired", "forgotten"].map(str::to_owned));
    let (doc, code) = env.json("eliza", &["list", "--orphans"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(listed(&doc), orphans, "{doc}");
    let row = (doc["sessions"].as_array().unwrap().iter())
        .find(|s| s["id"] == "forgotten")
        .unwrap();
    assert_eq!(row["channel"], forgotten.as_str(), "{row}");
    assert_eq!(row["active"], false, "{row}");

    let (doc, code) = env.json("eliza", &["delete", "--orphans", "--dry-run=server"]);
    assert_eq!(code, 0, "{doc}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes.len(), 3, "{doc}");
    assert!(outcomes.values().all(|o| o == "would_delete"), "{doc}");
    let reason = result_of(&doc, "ended")["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("left behind: channel {ended}")),
        "{doc}"
    );

    // `--where` selects among them as among sessions.
    let args = ["delete", "--orphans", "--dry-run", "--where", "id=ended"];
    let (doc, code) = env.json("eliza", &args);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(outcomes_once(&doc).len(), 1, "{doc}");
    assert_eq!(outcomes_once(&doc)["ended"], "would_delete", "{doc}");

    let before = env.emu.requests().len();
    let over = (env
        .cmd("eliza")
        .args(["delete", "--orphans", "--yes", "--max", "2"]))
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&over.stderr);
    assert_eq!(over.status.code(), Some(4), "over the cap: {stderr}");
    assert_eq!(env.emu.channel_messages(&ended), Some(1), "nothing sent");
    let sent = env.emu.requests();
    assert!(sent[before..].iter().all(|r| r.method == "GET"), "{sent:?}");

    let (doc, code) = env.json("eliza", &["delete", "--orphans", "--yes"]);
    assert_eq!(code, 0, "{doc}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(
        outcomes.keys().cloned().collect::<BTreeSet<_>>(),
        orphans,
        "{doc}"
    );
    assert!(outcomes.values().all(|o| o == "deleted"), "{doc}");
    for gone in [&ended, &expired, &forgotten] {
        assert_eq!(env.emu.channel_messages(gone), None, "{gone}: {doc}");
    }
    assert_eq!(
        env.emu.channel_messages(&live),
        Some(1),
        "a live session's channel stays"
    );
    assert!(env.emu.messaging_exists("live"));
    let (doc, _) = env.json("eliza", &["list", "--orphans"]);
    assert!(
        listed(&doc).is_empty(),
        "the two other channels are no session's: {doc}"
    );

    // Only messaging has them: refused elsewhere, saying why.
    let out = env.cmd("zep").args(["list", "--orphans"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--orphans: zep sessions leave nothing behind"),
        "{stderr}"
    );
    assert_ne!(out.status.code(), Some(0));
}

/// An orphan's metadata is its session's own (1.7.2 copies it into the channel with the
/// IDs and timeout added, which are left out), so `--where metadata.KEY` selects orphans as
/// it selects sessions.
#[test]
fn orphans_carry_their_sessions_metadata() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::messaging_timed("staging", &ago(1), None, 0),
        Seed::metadata("staging", serde_json::json!({ "env": "staging" })),
        Seed::messaging_timed("prod", &ago(1), None, 0),
        Seed::metadata("prod", serde_json::json!({ "env": "prod" })),
    ]);
    env.emu.messaging_restart();
    let (doc, code) = env.json(
        "eliza",
        &["list", "--orphans", "--where", "metadata.env=staging"],
    );
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        listed(&doc),
        BTreeSet::from(["staging".to_owned()]),
        "{doc}"
    );
    let metadata = &doc["sessions"][0]["metadata"];
    assert_eq!(metadata, &serde_json::json!({ "env": "staging" }), "{doc}");
}

/// A delete of many sessions reads the session list (and the channel lists) a bounded
/// number of times in the whole run, never once per ID: elizaOS allows 1000 requests in 15
/// minutes and one list can hold 30,000 sessions. The same for `--dry-run=server` and for
/// `--orphans`.
#[test]
fn a_delete_of_many_sessions_reads_each_list_a_bounded_number_of_times() {
    const N: usize = 12;
    let ids: Vec<String> = (0..N).map(|i| format!("s-{i}")).collect();
    let seeded = || {
        let env = Env::new();
        let seed = |ids: &[String]| -> Vec<Seed> {
            (ids.iter())
                .map(|id| Seed::messaging_timed(id, &ago(1), None, 1))
                .collect()
        };
        env.emu.seed_many(seed(&ids[..N / 2]));
        env.emu.messaging_restart(); // half of them leave their channels behind
        env.emu.seed_many(seed(&ids[N / 2..]));
        env
    };
    let reads = |env: &Env| {
        let reqs = env.emu.requests();
        let sessions = common::count_requests(&reqs, "GET", "/api/messaging/sessions");
        let channels = (reqs.iter())
            .filter(|r| r.method == "GET" && r.path.ends_with("/channels"))
            .count();
        (sessions, channels)
    };
    let all: Vec<&str> = ids.iter().map(String::as_str).collect();
    for (extra, deleted) in [
        (&["--dry-run=server"][..], 0),
        (&[][..], N),
        (&["--orphans"][..], N / 2),
    ] {
        let env = seeded();
        let mut args = vec!["delete", "--yes", "--concurrency", "1"];
        args.extend_from_slice(extra);
        if !extra.contains(&"--orphans") {
            args.extend_from_slice(&all);
        }
        let (doc, code) = env.json("eliza", &args);
        assert_eq!(code, 0, "{extra:?}: {doc}");
        let done = outcomes_once(&doc)
            .values()
            .filter(|o| *o == "deleted")
            .count();
        assert_eq!(done, deleted, "{extra:?}: {doc}");
        assert_eq!(
            reads(&env),
            (1, 1),
            "{extra:?}: {:?}",
            common::request_lines(&env.emu.requests())
        );
    }
}

/// A run reads the lists once, so a session that began after that read is in neither:
/// when its DELETE shows it existed, its channel is looked for again (not left behind
/// under a `deleted`), and the note claims no expiry the run cannot know.
#[test]
fn a_session_that_began_after_the_runs_read_still_loses_its_channel() {
    let env = Env::new();
    env.emu.seed(Seed::messaging_timed("a", &ago(1), None, 1));
    // The channel list is read (and answered as it is then) but its reply held back, so
    // `late` begins after both reads and before any DELETE.
    env.emu.fault(
        common::Fault::reply_late(std::time::Duration::from_secs(3))
            .method("GET")
            .path("/channels")
            .times(1),
    );
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut child = (env.std_cmd("eliza"))
        .args(["-o", "json", "delete", "--yes", "never-was", "a", "late"])
        .stdout(out.reopen().unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !(env.emu.requests().iter()).any(|r| r.method == "GET" && r.path.ends_with("/channels")) {
        assert!(std::time::Instant::now() < deadline, "no channel read");
        assert!(
            child.try_wait().unwrap().is_none(),
            "ended before the channel read"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    env.emu
        .seed(Seed::messaging_timed("late", &ago(0), None, 2));
    let late = env.emu.messaging_channel_of("late").unwrap();
    assert_eq!(
        child.wait().unwrap().code(),
        Some(1),
        "never-was is not_found"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap()).unwrap();
    let r = result_of(&doc, "late");
    assert_eq!(r["outcome"], "deleted", "{doc}");
    assert!(!env.emu.messaging_exists("late"));
    assert_eq!(
        env.emu.channel_messages(&late),
        None,
        "its channel is gone: {doc}"
    );
    let note = r["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("or began since"),
        "the run cannot know which: {doc}"
    );
    assert!(note.contains(&format!("its channel {late}")), "{doc}");
}

/// A channel ID from the server passes the same check as every session ID before anything
/// is sent for it (here a control character, which the URL builder alone would encode and
/// send): the delete is refused whole, nothing half done, and its dry run says the same.
#[test]
fn a_channel_id_that_fails_the_id_check_is_never_sent() {
    let env = Env::new();
    let bad = "c\u{7}";
    env.emu
        .seed(Seed::from(common::emulator::channels::ChannelSeed {
            id: bad.into(),
            name: "session-x".into(),
            metadata: serde_json::json!({ "sessionId": "x" }),
            messages: 1,
        }));
    for dry in [true, false] {
        let mut args = vec!["delete", "--yes", "--orphans"];
        args.extend(dry.then_some("--dry-run=server"));
        let (doc, code) = env.json("eliza", &args);
        assert_eq!(code, 1, "{doc}");
        let r = result_of(&doc, "x");
        assert_eq!(r["outcome"], "failed", "{doc}");
        let error = r["error"].as_str().unwrap();
        assert!(error.starts_with("nothing deleted: "), "{doc}");
        assert!(error.contains("control character"), "{doc}");
    }
    let sent = env.emu.requests();
    assert!(sent.iter().all(|r| r.method == "GET"), "{sent:?}");
    assert_eq!(env.emu.channel_messages(bad), Some(1));
}
