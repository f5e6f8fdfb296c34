//! `--where` selectors (issue #16) on every provider, against the emulator: which fields
//! each provider has, which its server filters (read from the emulator's request log), and
//! that a selector never widens a run: a field a profile lacks is refused or skips that
//! profile, and nothing outside the selection is ever sent.

use crate::common;
use common::{listed, set};

use std::collections::BTreeSet;

use common::emulator::Recorded;
use common::{Env, Fault, Seed, outcomes_once, result_of};
use serde_json::{Value, json};

/// "Now" for every sweep here; `--idle-for 1h` cuts off at 11:00:00Z.
const NOW: &str = "2024-06-01T12:00:00Z";
const OLD: &str = "2024-06-01T08:00:00Z";
const FRESH: &str = "2024-06-01T11:59:00Z";

fn zep_session(id: &str, user: &str, updated_at: &str) -> Seed {
    Seed::from(common::emulator::zep::SessionSeed {
        id: id.to_owned(),
        user_id: Some(user.to_owned()),
        created_at: updated_at.to_owned(),
        updated_at: updated_at.to_owned(),
        ended: false,
    })
}

fn thread(id: &str, user: &str, created_at: &str) -> Seed {
    Seed::from(common::emulator::threads::ThreadSeed {
        thread_id: id.to_owned(),
        uuid: uuid::Uuid::new_v4().to_string(),
        user_id: user.to_owned(),
        created_at: created_at.to_owned(),
        updated_at: None,
        delete_fails: false,
    })
}

/// A live, empty Digital Samba meeting in `room`, started at `start`.
fn meeting(id: &str, room: &str, start: &str) -> Seed {
    Seed::from(common::emulator::samba::SessionSeed {
        id: id.to_owned(),
        room_id: room.to_owned(),
        start_time: start.to_owned(),
        live: true,
        participants_live: Some(0),
    })
}

fn eliza(id: &str, user: &str, agent: &str, last_activity: &str) -> Seed {
    Seed::from(common::emulator::messaging::SessionSeed {
        id: id.to_owned(),
        user_id: user.to_owned(),
        agent_id: agent.to_owned(),
        created_at: last_activity.to_owned(),
        last_activity: last_activity.to_owned(),
        timeout_config: None,
        expires_at: Some(common::emulator::messaging::NEVER_EXPIRES.to_owned()),
        messages: 0,
    })
}

/// Runs `args` on `profile` at [`NOW`]: JSON stdout (parsed when it is JSON, else Null),
/// stderr, exit code.
fn run(env: &Env, profile: &str, args: &[&str]) -> (Value, String, i32) {
    let out = env
        .cmd(profile)
        .env("SESSIONCTL_NOW", NOW)
        .args(["-o", "json"])
        .args(args)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (doc, stderr, out.status.code().unwrap_or(-1))
}

/// Requests with `method` whose path ends with `suffix`.
fn sent(env: &Env, method: &str, suffix: &str) -> Vec<Recorded> {
    sent_after(env, 0, method, suffix)
}

/// [`sent`], from the `from`th request on (`env.emu.requests().len()` before a run).
fn sent_after(env: &Env, from: usize, method: &str, suffix: &str) -> Vec<Recorded> {
    (env.emu.requests().into_iter().skip(from))
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .collect()
}

/// Every request that could change something.
fn writes(env: &Env) -> Vec<Recorded> {
    (env.emu.requests().into_iter())
        .filter(|r| r.method != "GET" && !r.path.ends_with("/lookup"))
        .collect()
}

fn query(r: &Recorded) -> &str {
    r.query.as_deref().unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// Zep v2 sessions: `user=` by the server, `metadata.KEY`, `id` and negations on the rows

#[test]
fn zep_v2_user_is_filtered_by_the_server_and_named_in_each_reason() {
    let env = Env::new();
    env.emu.seed_many([
        zep_session("z-a", "u-1", OLD),
        zep_session("z-b", "u-2", OLD),
        zep_session("z-c", "u-1", FRESH),
    ]);
    let (doc, err, code) = run(
        &env,
        "zep",
        &["end-many", "--idle-for", "1h", "--where", "user=u-1"],
    );
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(outcomes_once(&doc), [("z-a".into(), "ended".into())].into());
    let reason = result_of(&doc, "z-a")["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("idle 4h") && reason.ends_with("; user=u-1"),
        "{reason}"
    );
    assert_eq!(env.emu.zep_session_ended("z-b"), Some(false));
    assert_eq!(env.emu.zep_session_ended("z-c"), Some(false));
    // The user's own list, never the whole account's.
    assert_eq!(sent(&env, "GET", "/users/u-1/sessions").len(), 1);
    assert!(sent(&env, "GET", "/sessions-ordered").is_empty());
    // Only the selected stale session was confirmed, then ended.
    assert_eq!(sent(&env, "GET", "/memory").len(), 1);
    assert_eq!(sent(&env, "GET", "/sessions/z-a/memory").len(), 1);
}

#[test]
fn zep_v2_metadata_id_and_negations_are_matched_on_the_listed_rows() {
    let env = Env::new();
    env.emu.seed_many([
        zep_session("z-a", "u-1", OLD),
        zep_session("z-b", "u-2", OLD),
        zep_session("z-c", "u-1", OLD),
        Seed::metadata("z-a", json!({"env": "staging", "n": 7})),
        Seed::metadata("z-b", json!({"env": "prod"})),
    ]);
    for (selectors, want) in [
        (&["metadata.env=staging"][..], &["z-a"][..]),
        (&["metadata.env!=prod"], &["z-a", "z-c"]),
        (&["metadata.env~=st*"], &["z-a"]),
        (&["metadata.n=7"], &["z-a"]),
        (&["user!=u-1"], &["z-b"]),
        (&["user~=u-*", "id!=z-b"], &["z-a", "z-c"]),
        (&["id~=z-[bc]"], &["z-b", "z-c"]),
    ] {
        let from = env.emu.requests().len();
        let mut args = vec!["list"];
        selectors.iter().for_each(|s| args.extend(["--where", s]));
        let (doc, err, code) = run(&env, "zep", &args);
        assert_eq!(code, 0, "{selectors:?}: {err}");
        assert_eq!(listed(&doc), set(want), "{selectors:?}");
        // Client-side: the whole list, ordered, and no user route.
        let ordered = sent_after(&env, from, "GET", "/sessions-ordered");
        assert_eq!(ordered.len(), 1, "{selectors:?}");
        assert!(
            sent_after(&env, from, "GET", "/sessions").is_empty(),
            "{selectors:?}"
        );
    }
    let (doc, _, _) = run(&env, "zep", &["list", "--where", "id=z-a"]);
    assert_eq!(
        doc["sessions"][0]["metadata"],
        json!({"env": "staging", "n": 7})
    );
    assert_eq!(doc["sessions"][0]["user"], "u-1");
}

#[test]
fn a_server_that_ignores_the_filter_cannot_widen_a_sweep() {
    let env = Env::new();
    env.emu.seed_many([
        zep_session("z-a", "u-1", OLD),
        zep_session("z-b", "u-2", OLD),
    ]);
    // The user route answers with every user's sessions.
    let everyone = json!([
        {"session_id": "z-a", "user_id": "u-1", "created_at": OLD, "updated_at": OLD},
        {"session_id": "z-b", "user_id": "u-2", "created_at": OLD, "updated_at": OLD},
    ]);
    env.emu.fault(
        Fault::status(200)
            .body(&everyone.to_string())
            .path("/users/"),
    );
    let (doc, err, code) = run(
        &env,
        "zep",
        &["end-many", "--idle-for", "1h", "--where", "user=u-1"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(outcomes_once(&doc), [("z-a".into(), "ended".into())].into());
    assert_eq!(env.emu.zep_session_ended("z-b"), Some(false));
    assert!(sent(&env, "GET", "/sessions/z-b/memory").is_empty());
}

// ---------------------------------------------------------------------------------------
// Zep threads: v3 `user=` by its own route, v4 through a user lookup; `thread` is the ID

#[test]
fn zep_v3_user_is_filtered_by_the_server_and_thread_names_the_id() {
    let env = Env::new();
    env.emu.seed_many([
        thread("t-1", "u-1", OLD),
        thread("t-2", "u-2", OLD),
        thread("t-3", "u-1", OLD),
    ]);
    let args = [
        "delete",
        "--idle-for",
        "1h",
        "--where",
        "user=u-1",
        "--where",
        "thread!=t-3",
        "--yes",
    ];
    let (doc, err, code) = run(&env, "zep3", &args);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(
        outcomes_once(&doc),
        [("t-1".into(), "deleted".into())].into()
    );
    let reason = result_of(&doc, "t-1")["reason"].as_str().unwrap();
    assert!(reason.ends_with("; user=u-1, thread!=t-3"), "{reason}");
    assert!(env.emu.thread_exists("t-2") && env.emu.thread_exists("t-3"));
    assert_eq!(sent(&env, "GET", "/zep/api/v2/users/u-1/threads").len(), 1);
    assert!(sent(&env, "GET", "/zep/api/v2/threads").is_empty());
    // Only t-1 was read for its newest message: t-3 was out of the selection.
    let confirmed: Vec<String> = (sent(&env, "GET", "/messages").iter())
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(confirmed, ["/zep/api/v2/threads/t-1/messages"]);
}

#[test]
fn zep_v3_an_unknown_user_selects_nothing() {
    let env = Env::new();
    env.emu.seed(thread("t-1", "u-1", OLD));
    let (doc, err, code) = run(
        &env,
        "zep3",
        &[
            "delete",
            "--idle-for",
            "1h",
            "--where",
            "user=nobody",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["results"], json!([]));
    assert!(
        err.contains("no such user (404): nothing selected"),
        "{err}"
    );
    assert!(writes(&env).is_empty());
}

#[test]
fn zep_v4_user_is_looked_up_then_filtered_by_the_server() {
    let env = Env::new();
    env.emu
        .seed_many([thread("t-1", "u-1", OLD), thread("t-2", "u-2", OLD)]);
    let (doc, err, code) = run(
        &env,
        "zep4",
        &["delete", "--idle-for", "1h", "--where", "user=u-1", "--yes"],
    );
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(
        outcomes_once(&doc),
        [("t-1".into(), "accepted".into())].into()
    );
    assert!(env.emu.thread_exists("t-2"));
    let lookups = sent(&env, "POST", "/zep/api/v4/users/lookup");
    assert_eq!(lookups.len(), 1);
    let body: Value = serde_json::from_str(&lookups[0].body).unwrap();
    assert_eq!(body, json!({"user_id": "u-1"}));
    assert!(
        lookups[0]
            .header("idempotency-key")
            .is_some_and(|k| !k.is_empty())
    );
    let lists = sent(&env, "GET", "/zep/api/v4/threads");
    assert_eq!(lists.len(), 1);
    assert!(
        query(&lists[0]).contains("user_uuid="),
        "{}",
        query(&lists[0])
    );
    // The UUID the lookup returned, not the developer ID.
    assert!(!query(&lists[0]).contains("user_uuid=u-1"));
}

#[test]
fn zep_v4_user_takes_only_equality_and_an_unknown_user_selects_nothing() {
    let env = Env::new();
    env.emu.seed(thread("t-1", "u-1", OLD));
    for selector in ["user!=u-1", "user~=u-*"] {
        let (_, err, code) = run(&env, "zep4", &["list", "--where", selector]);
        assert_eq!(code, 2, "{selector}: {err}");
        assert!(err.contains("can only select `user` with `=`"), "{err}");
    }
    assert!(
        env.emu.requests().is_empty(),
        "a refused selector sends nothing"
    );
    let (doc, err, code) = run(&env, "zep4", &["list", "--where", "user=nobody"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["count"], 0);
    // A warning like every other, not a log line (`2026-… WARN …`).
    assert!(
        err.lines().any(|l| l
            == "sessionctl: warning: --where user=nobody: the server knows no such user (404): nothing selected"),
        "{err}"
    );
    assert!(
        sent(&env, "GET", "/threads").is_empty(),
        "no list for a user that is not there"
    );
    let (doc, _, _) = run(&env, "zep4", &["list", "--where", "thread=t-1"]);
    assert_eq!(listed(&doc), set(&["t-1"]));
}

// ---------------------------------------------------------------------------------------
// Digital Samba: `room=` by the server (`GET /sessions?room_id=`), globs on the rows

#[test]
fn samba_room_is_filtered_by_the_server_and_its_glob_on_the_rows() {
    let env = Env::new();
    env.emu.seed_many([
        meeting("d-1", "lobby", OLD),
        meeting("d-2", "board", OLD),
        meeting("d-3", "lobby-2", OLD),
    ]);
    let (doc, err, code) = run(
        &env,
        "samba",
        &[
            "end-many",
            "--idle-for",
            "1h",
            "--where",
            "room=lobby",
            "--dry-run",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        outcomes_once(&doc),
        [("d-1".into(), "would_end".into())].into()
    );
    let reason = result_of(&doc, "d-1")["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("empty, started 4h") && reason.ends_with("; room=lobby"),
        "{reason}"
    );
    let lists = sent(&env, "GET", "/samba/api/v1/sessions");
    assert_eq!(lists.len(), 1);
    assert!(
        query(&lists[0]).contains("room_id=lobby"),
        "{}",
        query(&lists[0])
    );
    assert!(writes(&env).is_empty(), "a dry run sends nothing");
    // `--older-than` composes the same way: the age, then the selector.
    let args = [
        "end-many",
        "--older-than",
        "1h",
        "--where",
        "room=lobby",
        "--dry-run",
    ];
    let (doc, err, code) = run(&env, "samba", &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(outcomes_once(&doc).len(), 1, "{doc:#}");
    assert_eq!(
        result_of(&doc, "d-1")["reason"],
        "created 4h ago; room=lobby"
    );

    let from = env.emu.requests().len();
    let (doc, err, code) = run(
        &env,
        "samba",
        &["end-many", "--idle-for", "1h", "--where", "room~=lobby*"],
    );
    assert_eq!(code, 0, "{err}");
    let ended: BTreeSet<String> = outcomes_once(&doc).into_keys().collect();
    assert_eq!(ended, set(&["d-1", "d-3"]));
    assert_eq!(env.emu.samba_live("d-2"), Some(true));
    let lists = sent_after(&env, from, "GET", "/samba/api/v1/sessions");
    assert!(
        !query(&lists[0]).contains("room_id"),
        "a glob is matched here"
    );
}

// ---------------------------------------------------------------------------------------
// elizaOS messaging: every field matched on the rows of its one list call

#[test]
fn messaging_user_agent_channel_and_metadata_are_matched_on_the_rows() {
    let env = Env::new();
    env.emu.seed_many([
        eliza("m-1", "tester-1", "agent-retiring", OLD),
        eliza("m-2", "tester-2", "agent-keep", OLD),
        eliza("m-3", "alice", "agent-retiring", OLD),
        eliza("m-4", "tester-3", "agent-retiring", FRESH),
        Seed::metadata("m-3", json!({"env": "staging"})),
    ]);
    let (doc, _, _) = run(&env, "eliza", &["list", "--where", "id=m-2"]);
    let channel = doc["sessions"][0]["channel"].as_str().unwrap().to_owned();
    assert_eq!(doc["sessions"][0]["agent"], "agent-keep");
    let by_channel = format!("channel={channel}");
    for (selectors, want) in [
        (&["agent=agent-retiring"][..], &["m-1", "m-3", "m-4"][..]),
        (&["user~=tester-*"], &["m-1", "m-2", "m-4"]),
        (&["metadata.env=staging"], &["m-3"]),
        (&[by_channel.as_str()], &["m-2"]),
        (&["agent!=agent-retiring", "user=tester-2"], &["m-2"]),
    ] {
        let mut args = vec!["list"];
        selectors.iter().for_each(|s| args.extend(["--where", s]));
        let (doc, err, code) = run(&env, "eliza", &args);
        assert_eq!(code, 0, "{selectors:?}: {err}");
        assert_eq!(listed(&doc), set(want), "{selectors:?}");
    }
    let from = env.emu.requests().len();
    let (doc, err, code) = run(
        &env,
        "eliza",
        &[
            "end-many",
            "--idle-for",
            "1h",
            "--where",
            "agent=agent-retiring",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let ended: BTreeSet<String> = outcomes_once(&doc).into_keys().collect();
    assert_eq!(ended, set(&["m-1", "m-3"]));
    assert!(env.emu.messaging_exists("m-2") && env.emu.messaging_exists("m-4"));
    assert_eq!(
        sent_after(&env, from, "GET", "/api/messaging/sessions").len(),
        1
    );
}

// ---------------------------------------------------------------------------------------
// Selectors compose with everything, and never widen a run

#[test]
fn a_selector_that_matches_nothing_sends_nothing() {
    let env = Env::new();
    env.emu.seed_many([
        zep_session("z-a", "u-1", OLD),
        eliza("m-1", "u-1", "a", OLD),
    ]);
    for (profile, args) in [
        (
            "zep",
            &["end-many", "--idle-for", "1h", "--where", "user=nobody"][..],
        ),
        (
            "zep",
            &[
                "end-many",
                "--idle-for",
                "1h",
                "--where",
                "metadata.env=none",
            ],
        ),
        (
            "eliza",
            &[
                "delete",
                "--idle-for",
                "1h",
                "--where",
                "agent~=x*",
                "--yes",
            ],
        ),
    ] {
        let (doc, err, code) = run(&env, profile, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(doc["results"], json!([]), "{args:?}");
    }
    assert!(writes(&env).is_empty(), "{:#?}", writes(&env));
    assert_eq!(env.emu.zep_session_ended("z-a"), Some(false));
    assert!(env.emu.messaging_exists("m-1"));
}

#[test]
fn a_user_list_of_null_is_an_empty_one() {
    let env = Env::new();
    env.emu.seed(zep_session("z-a", "u-1", OLD));
    // Go servers send `null` for an empty array.
    env.emu
        .fault(Fault::status(200).body("null").path("/users/"));
    for profile in ["zep", "zep3"] {
        let (doc, err, code) = run(&env, profile, &["list", "--where", "user=u-1"]);
        assert_eq!((code, &doc["count"]), (0, &json!(0)), "{profile}: {err}");
    }
}

#[test]
fn a_field_the_provider_lacks_or_a_bad_expression_is_a_usage_error_and_nothing_is_sent() {
    let env = Env::new();
    env.emu.seed(meeting("d-1", "lobby", OLD));
    for (profile, args, says) in [
        (
            "samba",
            &["end-many", "--idle-for", "1h", "--where", "user=u-1"][..],
            "--where `user=u-1`: digital-samba has no field `user` (its fields: room, id)",
        ),
        (
            "zep",
            &["list", "--where", "agent=a"],
            "zep (api_version 2) has no field `agent` (its fields: user, id, metadata.KEY)",
        ),
        (
            "zep3",
            &[
                "delete",
                "--idle-for",
                "1h",
                "--where",
                "metadata.env=x",
                "--yes",
            ],
            "zep (api_version 3) has no field `metadata.env` (its fields: user, thread, id)",
        ),
        (
            "eliza",
            &["list", "--where", "room=lobby"],
            "messaging has no field `room` (its fields: user, agent, channel, id, metadata.KEY)",
        ),
        (
            "samba",
            &["list", "--where", "room"],
            "`room` is not FIELD=VALUE",
        ),
        (
            "samba",
            &["list", "--where", "owner=x"],
            "unknown field `owner`",
        ),
        ("samba", &["list", "--where", "room~=[x"], "not a glob"),
        ("samba", &["list", "--where", "room="], "the value is empty"),
        // A selector picks from a sweep or a list, never from given IDs.
        (
            "samba",
            &["end-many", "d-1", "--where", "room=lobby"],
            "cannot be used with",
        ),
        (
            "samba",
            &["delete", "--where", "room=lobby", "--yes"],
            "use it with --idle-for",
        ),
    ] {
        let (_, err, code) = run(&env, profile, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(env.emu.requests().is_empty(), "{:#?}", env.emu.requests());
    assert_eq!(env.emu.samba_live("d-1"), Some(true));
}

#[test]
fn all_profiles_applies_the_selector_where_the_field_exists_and_skips_the_rest() {
    let env = Env::new();
    env.emu.seed_many([
        meeting("d-1", "lobby", OLD),
        meeting("d-2", "board", OLD),
        zep_session("z-a", "u-1", OLD),
        eliza("m-1", "u-1", "a", OLD),
    ]);
    let args = [
        "end-many",
        "--idle-for",
        "1h",
        "--all-profiles",
        "--where",
        "room=lobby",
    ];
    let (doc, err, code) = run(&env, "zep", &args);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    // Both Digital Samba profiles (one emulator behind them) end the lobby's meeting.
    let results = doc["results"].as_array().unwrap();
    let picked: BTreeSet<(String, String)> = (results.iter())
        .map(|r| {
            (
                r["profile"].as_str().unwrap().into(),
                r["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        picked,
        [
            ("samba".into(), "d-1".into()),
            ("samba-bearer".into(), "d-1".into())
        ]
        .into()
    );
    assert_eq!(env.emu.samba_live("d-2"), Some(true));
    for (profile, provider) in [("zep", "zep (api_version 2)"), ("eliza", "messaging")] {
        let line = format!(
            "skipping profile `{profile}`: --where `room=lobby`: {provider} has no field `room`"
        );
        assert!(err.contains(&line), "{line}\n{err}");
    }
    // The others were never listed, let alone swept unfiltered.
    let elsewhere: Vec<Recorded> = (env.emu.requests().into_iter())
        .filter(|r| !r.path.starts_with("/samba/"))
        .collect();
    assert!(elsewhere.is_empty(), "{elsewhere:#?}");
    assert_eq!(env.emu.zep_session_ended("z-a"), Some(false));
    assert!(env.emu.messaging_exists("m-1"));

    // A field no profile has is the user's mistake: exit 2, nothing sent.
    let from = env.emu.requests().len();
    let (_, err, code) = run(
        &env,
        "zep",
        &[
            "list",
            "--all-profiles",
            "--where",
            "room=lobby",
            "--where",
            "agent=a",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no profile has the fields it names"), "{err}");
    assert_eq!(env.emu.requests().len(), from, "nothing sent");
}

#[test]
fn the_cap_counts_what_the_selector_picked() {
    let env = Env::new();
    env.emu.seed_many([
        zep_session("z-a", "u-1", OLD),
        zep_session("z-b", "u-2", OLD),
        zep_session("z-c", "u-2", OLD),
    ]);
    let (_, err, code) = run(&env, "zep", &["end-many", "--idle-for", "1h", "--max", "1"]);
    assert_eq!(code, 4, "three idle sessions break a cap of one: {err}");
    let (doc, err, code) = run(
        &env,
        "zep",
        &[
            "end-many",
            "--idle-for",
            "1h",
            "--max",
            "1",
            "--where",
            "user=u-1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(outcomes_once(&doc), [("z-a".into(), "ended".into())].into());
}

#[test]
fn list_wide_shows_the_selectable_fields_and_only_list_takes_it() {
    let env = Env::new();
    env.emu.seed_many([
        eliza("m-1", "tester-1", "agent-retiring", OLD),
        Seed::metadata("m-1", json!({"env": "staging", "tier": 2})),
    ]);
    let out = env
        .cmd("eliza")
        .args(["-o", "wide", "list"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{table}");
    for text in [
        "USER",
        "AGENT",
        "CHANNEL",
        "METADATA",
        "agent-retiring",
        "env=staging, tier=2",
    ] {
        assert!(table.contains(text), "{text} missing:\n{table}");
    }
    // No room here, and USER/ROOM would only repeat USER.
    assert!(!table.contains("ROOM"), "{table}");
    let out = env
        .cmd("eliza")
        .args(["-o", "wide", "end-many", "m-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`-o wide` is only for `list`"));
    assert!(env.emu.messaging_exists("m-1"));
}

#[test]
fn the_verbose_log_says_what_the_server_filters_and_what_is_matched_here() {
    let env = Env::new();
    env.emu.seed(zep_session("z-a", "u-1", OLD));
    let (_, err, _) = run(
        &env,
        "zep",
        &[
            "-v",
            "list",
            "--where",
            "user=u-1",
            "--where",
            "metadata.env!=prod",
        ],
    );
    assert!(
        err.contains("user=u-1 filtered by the server (GET /users/{userId}/sessions); every listed row checked for user=u-1, metadata.env!=prod"),
        "{err}"
    );
    let (_, err, _) = run(&env, "eliza", &["-v", "list", "--where", "agent=a"]);
    assert!(
        err.contains("--where agent=a matched on every listed row"),
        "{err}"
    );
}
