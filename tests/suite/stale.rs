//! `list` and the stale sweeps (`end-many --idle-for`) on Zep v2, Digital Samba and elizaOS
//! messaging, at a fixed "now" (`SESSIONCTL_NOW`) so every cut-off is exact.

use crate::common;
use common::{listed, set};

use common::{outcomes_once, result_of};

use std::collections::BTreeSet;

use common::{Env, Seed};
use serde_json::Value;

/// "Now" for every test here; `--idle-for 1h` cuts off at 11:00:00Z.
const NOW: &str = "2024-06-01T12:00:00Z";

/// Runs `args` at [`NOW`] with `-o json`.
fn json_at_now(env: &Env, profile: &str, args: &[&str]) -> (Value, i32) {
    env.json_at(NOW, profile, args)
}

/// `list -o ids --idle-for 1h` on the messaging profile, at [`NOW`].
fn eliza_idle_ids(env: &Env) -> std::process::Output {
    env.cmd("eliza")
        .env("SESSIONCTL_NOW", NOW)
        .args(["-o", "ids", "list", "--idle-for", "1h"])
        .output()
        .unwrap()
}

fn session<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed in {doc:#}"))
}

fn requests_to(env: &Env, method: &str, path_suffix: &str) -> Vec<common::emulator::Recorded> {
    env.emu
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.ends_with(path_suffix))
        .collect()
}

fn zep(id: &str, updated_at: &str) -> Seed {
    Seed::zep_session(id, updated_at)
}

fn zep_full(id: &str, created_at: &str, updated_at: &str, ended: bool) -> Seed {
    Seed::from(common::emulator::zep::SessionSeed {
        id: id.to_owned(),
        user_id: Some("user-1".to_owned()),
        created_at: created_at.to_owned(),
        updated_at: updated_at.to_owned(),
        ended,
    })
}

fn samba(id: &str, start_time: &str, live: bool, participants_live: Option<u32>) -> Seed {
    Seed::from(common::emulator::samba::SessionSeed {
        id: id.to_owned(),
        room_id: format!("room-{id}"),
        start_time: start_time.to_owned(),
        live,
        participants_live,
    })
}

/// Zep v2 sessions around the 1h cut-off (11:00:00Z) in every timestamp form.
fn seed_zep_edges(env: &Env) {
    env.emu.seed_many([
        zep("z-edge", "2024-06-01T11:00:00Z"),
        zep("z-edge-nanos", "2024-06-01T11:00:00.000000000Z"),
        zep("z-edge-zone", "2024-06-01T13:00:00+02:00"),
        zep("z-1s", "2024-06-01T10:59:59Z"),
        zep("z-frac", "2024-06-01T10:59:59.999999Z"),
        zep("z-zone", "2024-06-01T12:30:00+02:00"),
        zep("z-zone-fresh", "2024-06-01T13:30:00+02:00"),
        zep("z-fresh", "2024-06-01T11:59:00.5Z"),
        zep_full(
            "z-ended",
            "2024-06-01T08:00:00Z",
            "2024-06-01T09:00:00Z",
            true,
        ),
    ]);
}

// ---------------------------------------------------------------------------------------
// Zep v2

#[test]
fn zep_list_idle_for_keeps_only_sessions_idle_before_the_cutoff() {
    let env = Env::new();
    seed_zep_edges(&env);
    let (doc, code) = json_at_now(&env, "zep", &["list", "--idle-for", "1h"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(listed(&doc), set(&["z-1s", "z-frac", "z-zone"]), "{doc:#}");
    assert_eq!(doc["count"], 3);
    assert_eq!(doc["profile"], "zep");
    assert_eq!(doc["provider"], "zep");
    assert_eq!(session(&doc, "z-1s")["idle_secs"], 3601);
    assert_eq!(session(&doc, "z-zone")["idle_secs"], 5400);
    assert_eq!(session(&doc, "z-1s")["active"], true);
    // The exact boundary is not idle, whatever its spelling.
    for id in ["z-edge", "z-edge-nanos", "z-edge-zone"] {
        assert!(!listed(&doc).contains(id), "{id} at the cut-off was listed");
    }
}

#[test]
fn zep_list_all_includes_ended_sessions() {
    let env = Env::new();
    seed_zep_edges(&env);
    let (doc, code) = json_at_now(&env, "zep", &["list", "--idle-for", "1h", "--all"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        listed(&doc),
        set(&["z-1s", "z-frac", "z-zone", "z-ended"]),
        "{doc:#}"
    );
    assert_eq!(session(&doc, "z-ended")["active"], false);

    let (doc, _) = json_at_now(&env, "zep", &["list"]);
    assert_eq!(doc["count"], 8, "every open session, no ended one: {doc:#}");
    assert!(!listed(&doc).contains("z-ended"));
    let (doc, _) = json_at_now(&env, "zep", &["list", "--all"]);
    assert_eq!(doc["count"], 9, "{doc:#}");
}

#[test]
fn zep_end_many_idle_for_ends_only_idle_open_sessions() {
    let env = Env::new();
    seed_zep_edges(&env);
    let (doc, code) = json_at_now(&env, "zep", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0, "{doc:#}");
    common::assert_exactly(&doc, &["z-1s", "z-frac", "z-zone"], "ended");
    for id in ["z-1s", "z-frac", "z-zone"] {
        assert_eq!(env.emu.zep_session_ended(id), Some(true), "{id}");
        let reason = result_of(&doc, id)["reason"].as_str().unwrap_or_default();
        assert!(reason.starts_with("idle 1h"), "{id}: {reason}");
    }
    for id in [
        "z-edge",
        "z-edge-nanos",
        "z-edge-zone",
        "z-zone-fresh",
        "z-fresh",
    ] {
        assert_eq!(env.emu.zep_session_ended(id), Some(false), "{id} was ended");
    }
    // Nothing was sent for the session that had already ended.
    assert!(
        env.emu
            .requests()
            .iter()
            .all(|r| !r.body.contains("z-ended") && !r.path.contains("z-ended"))
    );
}

#[test]
fn zep_paging_stops_once_the_rest_cannot_match() {
    let env = Env::new();
    // 250 stale sessions (one a minute from 1 May) and 250 fresh ones.
    env.emu.seed_many((0..250).map(|i| {
        zep(
            &format!("old-{i:03}"),
            &format!("2024-05-01T{:02}:{:02}:00Z", i / 60, i % 60),
        )
    }));
    env.emu.seed_many((0..250).map(|i| {
        zep(
            &format!("new-{i:03}"),
            &format!("2024-06-01T11:{:02}:{:02}Z", 30 + i / 60 % 30, i % 60),
        )
    }));
    let (doc, code) = json_at_now(&env, "zep", &["list", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    assert_eq!(doc["count"], 250, "{}", doc["count"]);
    assert!(listed(&doc).iter().all(|id| id.starts_with("old-")));
    let pages = requests_to(&env, "GET", "/sessions-ordered");
    assert_eq!(
        pages.len(),
        3,
        "pages 1-3 hold every stale session; page 4 and 5 cannot match"
    );
    for (n, page) in pages.iter().enumerate() {
        let query = page.query.as_deref().unwrap_or_default();
        assert!(query.contains(&format!("page_number={}", n + 1)), "{query}");
        // Zep CE reads the camelCase spelling: both go out.
        assert!(query.contains(&format!("pageNumber={}", n + 1)), "{query}");
        assert!(
            query.contains("page_size=") && query.contains("pageSize="),
            "{query}"
        );
        assert!(query.contains("order_by=updated_at"), "{query}");
        assert!(query.contains("asc=true"), "{query}");
    }

    // Without an idle filter every page is read.
    env.emu.reset();
    env.emu
        .seed_many((0..250).map(|i| zep(&format!("all-{i:03}"), "2024-05-01T00:00:00Z")));
    let (doc, _) = json_at_now(&env, "zep", &["list"]);
    assert_eq!(doc["count"], 250);
    assert_eq!(requests_to(&env, "GET", "/sessions-ordered").len(), 3);
}

#[test]
fn zep_stale_sweep_over_several_pages_ends_every_stale_session_in_batches() {
    let env = Env::new();
    env.emu.seed_many((0..230).map(|i| {
        zep(
            &format!("sweep-{i:03}"),
            &format!("2024-05-02T{:02}:{:02}:00.123Z", i / 60, i % 60),
        )
    }));
    env.emu.seed(zep("sweep-fresh", "2024-06-01T11:30:00Z"));
    let (doc, code) = json_at_now(&env, "zep", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    common::assert_all(&doc, 230, "ended");
    assert_eq!(env.emu.zep_session_ended("sweep-fresh"), Some(false));
    assert_eq!(env.emu.zep_session_ended("sweep-229"), Some(true));
    // batch_size 100: three bulk calls.
    assert_eq!(requests_to(&env, "POST", "/sessions/end").len(), 3);
}

#[test]
fn zep_list_older_than_and_limit() {
    let env = Env::new();
    env.emu.seed_many([
        zep_full(
            "created-old",
            "2024-05-01T00:00:00Z",
            "2024-06-01T11:59:00Z",
            false,
        ),
        zep_full(
            "created-new",
            "2024-06-01T00:00:01Z",
            "2024-06-01T00:00:01Z",
            false,
        ),
        zep_full(
            "created-edge",
            "2024-05-31T12:00:00Z",
            "2024-06-01T01:00:00Z",
            false,
        ),
        zep_full(
            "ended-old",
            "2024-05-01T00:00:00Z",
            "2024-05-02T00:00:00Z",
            true,
        ),
    ]);
    let (doc, code) = json_at_now(&env, "zep", &["list", "--older-than", "1d"]);
    assert_eq!(code, 0);
    assert_eq!(listed(&doc), set(&["created-old"]), "{doc:#}");
    let (doc, _) = json_at_now(&env, "zep", &["list", "--older-than", "1d", "--all"]);
    assert_eq!(listed(&doc), set(&["created-old", "ended-old"]), "{doc:#}");
    let (doc, _) = json_at_now(&env, "zep", &["list", "--limit", "2"]);
    assert_eq!(doc["count"], 2, "{doc:#}");
    assert_eq!(doc["sessions"].as_array().unwrap().len(), 2);

    // --limit stops paging, too.
    env.emu.reset();
    env.emu
        .seed_many((0..250).map(|i| zep(&format!("l-{i:03}"), "2024-05-01T00:00:00Z")));
    let (doc, _) = json_at_now(&env, "zep", &["list", "--limit", "5"]);
    assert_eq!(doc["count"], 5);
    assert_eq!(requests_to(&env, "GET", "/sessions-ordered").len(), 1);
}

#[test]
fn zep_unreadable_timestamp_is_reported_never_acted_on() {
    let env = Env::new();
    env.emu.seed_many([
        zep("z-bad", "last tuesday"),
        zep("z-old", "2024-06-01T09:00:00Z"),
        zep("z-new", "2024-06-01T11:30:00Z"),
    ]);
    let (doc, code) = json_at_now(&env, "zep", &["list", "--idle-for", "1h"]);
    assert_eq!(
        code, 1,
        "a session that cannot be judged fails the listing: {doc:#}"
    );
    assert_eq!(listed(&doc), set(&["z-bad", "z-old"]), "{doc:#}");
    let problem = session(&doc, "z-bad")["problem"]
        .as_str()
        .unwrap_or_default();
    assert!(problem.contains("last tuesday"), "{doc:#}");
    assert!(session(&doc, "z-old").get("problem").is_none());

    let (doc, code) = json_at_now(&env, "zep", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 1, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes["z-bad"], "failed");
    assert_eq!(outcomes["z-old"], "ended");
    assert!(!outcomes.contains_key("z-new"));
    assert_eq!(env.emu.zep_session_ended("z-bad"), Some(false));
    assert_eq!(env.emu.zep_session_ended("z-old"), Some(true));
    let error = result_of(&doc, "z-bad")["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("last tuesday"), "{error}");
    assert!(
        env.emu
            .requests()
            .iter()
            .all(|r| !r.body.contains("z-bad") && !r.path.contains("z-bad")),
        "z-bad was sent"
    );
}

#[test]
fn zep_ended_session_with_unreadable_timestamp_is_not_a_failure() {
    // An ended session is never stale, whatever its timestamp says: a sweep must not report
    // it (as `failed`, exit 1) on every run for ever.
    let env = Env::new();
    env.emu.seed_many([
        zep_full("z-ended-bad", "2024-05-01T00:00:00Z", "garbage", true),
        zep("z-old", "2024-06-01T09:00:00Z"),
    ]);
    let (doc, code) = json_at_now(&env, "zep", &["end-many", "--idle-for", "1h"]);
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes.get("z-old").map(String::as_str), Some("ended"));
    assert!(
        !outcomes.contains_key("z-ended-bad"),
        "an ended session was reported by the stale sweep: {doc:#}"
    );
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn dry_run_shows_what_would_end_and_why_and_sends_nothing() {
    let env = Env::new();
    seed_zep_edges(&env);
    let (doc, code) = json_at_now(&env, "zep", &["end-many", "--idle-for", "1h", "--dry-run"]);
    assert_eq!(code, 0, "{doc:#}");
    common::assert_exactly(&doc, &["z-1s", "z-frac", "z-zone"], "would_end");
    assert_eq!(
        result_of(&doc, "z-1s")["reason"],
        "idle 1h (updated 2024-06-01T10:59:59Z, no messages)"
    );
    assert_eq!(
        result_of(&doc, "z-zone")["reason"],
        "idle 1h 30m (updated 2024-06-01T12:30:00+02:00, no messages)"
    );
    assert!(env.emu.requests().iter().all(|r| r.method == "GET"));
    assert_eq!(env.emu.zep_session_ended("z-1s"), Some(false));
}

// ---------------------------------------------------------------------------------------
// Digital Samba

#[test]
fn samba_timestamp_forms_and_the_cutoff_edge() {
    let env = Env::new();
    env.emu.seed_many([
        samba("ds-space", "2024-06-01 10:59:59", true, Some(0)),
        samba("ds-space-edge", "2024-06-01 11:00:00", true, Some(0)),
        samba("ds-micro", "2024-06-01T10:00:00.000000Z", true, Some(0)),
        samba("ds-z-edge", "2024-06-01T11:00:00Z", true, Some(0)),
        samba("ds-offset", "2024-06-01T12:59:59+02:00", true, Some(0)),
        samba("ds-fresh", "2024-06-01T11:45:00.000000Z", true, Some(0)),
        samba("ds-ended", "2024-06-01T08:00:00Z", false, None),
    ]);
    let (doc, code) = json_at_now(&env, "samba", &["list", "--idle-for", "1h"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        listed(&doc),
        set(&["ds-space", "ds-micro", "ds-offset"]),
        "{doc:#}"
    );
    assert_eq!(session(&doc, "ds-space")["idle_secs"], 3601);
    assert_eq!(doc["provider"], "digital-samba");

    let (doc, code) = json_at_now(&env, "samba", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0, "{doc:#}");
    common::assert_all(&doc, 3, "ended");
    for id in ["ds-space", "ds-micro", "ds-offset"] {
        assert_eq!(env.emu.samba_live(id), Some(false), "{id}");
    }
    for id in ["ds-space-edge", "ds-z-edge", "ds-fresh"] {
        assert_eq!(env.emu.samba_live(id), Some(true), "{id} was ended");
    }
    assert!(requests_to(&env, "POST", "/sessions/ds-ended/end").is_empty());
}

#[test]
fn samba_list_pages_through_every_page() {
    let env = Env::new();
    env.emu.seed_many((0..230).map(|i| {
        samba(
            &format!("p-{i:03}"),
            &format!("2024-05-01 {:02}:{:02}:00", i / 60, i % 60),
            true,
            Some(0),
        )
    }));
    env.emu.seed_many((0..5).map(|i| {
        samba(
            &format!("p-fresh-{i}"),
            "2024-06-01T11:59:00Z",
            true,
            Some(0),
        )
    }));
    let (doc, code) = json_at_now(&env, "samba", &["list", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    assert_eq!(doc["count"], 230, "{}", doc["count"]);
    let pages = requests_to(&env, "GET", "/samba/api/v1/sessions");
    assert!(pages.len() >= 3, "{} list requests", pages.len());
    for (n, page) in pages.iter().enumerate() {
        let q = page.query.as_deref().unwrap_or_default();
        assert!(q.contains("live=true"), "{q}");
        assert!(q.contains(&format!("offset={}", n * 100)), "{q}");
    }
    // No duplicate across pages.
    assert_eq!(listed(&doc).len(), 230);
}

#[test]
fn samba_empty_keeps_only_sessions_with_no_live_participants() {
    let env = Env::new();
    env.emu.seed_many([
        samba("ds-empty", "2024-06-01T08:00:00Z", true, Some(0)),
        samba("ds-busy", "2024-06-01T08:00:00Z", true, Some(3)),
        samba("ds-unknown", "2024-06-01T08:00:00Z", true, None),
        samba("ds-empty-fresh", "2024-06-01T11:59:00Z", true, Some(0)),
    ]);
    let (doc, code) = json_at_now(&env, "samba", &["list", "--idle-for", "1h", "--empty"]);
    assert_eq!(code, 0);
    assert_eq!(listed(&doc), set(&["ds-empty"]), "{doc:#}");
    assert_eq!(session(&doc, "ds-empty")["participants"], 0);

    let (doc, _) = json_at_now(&env, "samba", &["list", "--empty"]);
    assert_eq!(
        listed(&doc),
        set(&["ds-empty", "ds-empty-fresh"]),
        "{doc:#}"
    );

    // A sweep acts only on sessions known to be empty, `--empty` or not; a row without a
    // count is reported, never ended.
    let out = env
        .cmd("samba")
        .env("SESSIONCTL_NOW", NOW)
        .args(["-o", "json", "end-many", "--idle-for", "1h", "--empty"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--empty is now the default"), "{stderr}");
    // Not on a provider without participant counts, and not with -q.
    for (args, note) in [
        (
            &["end-many", "--idle-for", "1h", "--empty"][..],
            Some("--empty changes nothing here"),
        ),
        (&["-q", "end-many", "--idle-for", "1h", "--empty"][..], None),
    ] {
        let out = env
            .cmd("eliza")
            .env("SESSIONCTL_NOW", NOW)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("Digital Samba sweep only"),
            "{args:?}: {stderr}"
        );
        match note {
            Some(note) => assert!(stderr.contains(note), "{args:?}: {stderr}"),
            None => assert!(!stderr.contains("--empty"), "{args:?}: {stderr}"),
        }
    }
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        outcomes_once(&doc).into_iter().collect::<Vec<_>>(),
        vec![
            ("ds-empty".to_owned(), "ended".to_owned()),
            ("ds-unknown".to_owned(), "failed".to_owned())
        ]
    );
    let unknown = result_of(&doc, "ds-unknown")["error"].as_str().unwrap();
    assert!(
        unknown.contains("not acted on") && unknown.contains("participants_live"),
        "{unknown}"
    );
    assert_eq!(
        result_of(&doc, "ds-empty")["reason"],
        "empty, started 4h ago"
    );
    assert_eq!(env.emu.samba_live("ds-empty"), Some(false));
    assert_eq!(env.emu.samba_live("ds-busy"), Some(true));
    assert_eq!(env.emu.samba_live("ds-unknown"), Some(true));
}

#[test]
fn samba_unreadable_timestamp_is_reported_never_ended() {
    let env = Env::new();
    env.emu.seed_many([
        samba("ds-bad", "27/03/2024 08:15", true, None),
        samba("ds-old", "2024-03-27 08:15:36", true, Some(0)),
    ]);
    let (doc, code) = json_at_now(&env, "samba", &["list", "--idle-for", "1h"]);
    assert_eq!(code, 1, "{doc:#}");
    assert!(session(&doc, "ds-bad")["problem"].is_string(), "{doc:#}");
    let (doc, code) = json_at_now(&env, "samba", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 1);
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes["ds-bad"], "failed");
    assert_eq!(outcomes["ds-old"], "ended");
    assert_eq!(env.emu.samba_live("ds-bad"), Some(true));
    assert!(requests_to(&env, "POST", "/sessions/ds-bad/end").is_empty());
}

// ---------------------------------------------------------------------------------------
// elizaOS messaging

#[test]
fn messaging_idle_sweep_and_the_cutoff_edge() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::messaging("e-old", "2024-06-01T10:59:59.999Z"),
        Seed::messaging("e-edge", "2024-06-01T11:00:00.000Z"),
        Seed::messaging("e-older", "2024-05-01T00:00:00Z"),
        Seed::messaging("e-fresh", "2024-06-01T11:59:59.000Z"),
    ]);
    let (doc, code) = json_at_now(&env, "eliza", &["list", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    assert_eq!(listed(&doc), set(&["e-old", "e-older"]), "{doc:#}");
    assert_eq!(doc["provider"], "messaging");

    let (doc, code) = json_at_now(&env, "eliza", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0, "{doc:#}");
    common::assert_all(&doc, 2, "ended");
    assert!(!env.emu.messaging_exists("e-old"));
    assert!(!env.emu.messaging_exists("e-older"));
    assert!(env.emu.messaging_exists("e-edge"));
    assert!(env.emu.messaging_exists("e-fresh"));
}

#[test]
fn list_ids_pipes_into_end_many_stdin() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::messaging("pipe-1", "2024-06-01T09:00:00.000Z"),
        Seed::messaging("pipe 2/x", "2024-06-01T09:30:00.000Z"),
        Seed::messaging("pipe-3", "2024-06-01T10:00:00.000Z"),
        Seed::messaging("pipe-fresh", "2024-06-01T11:30:00.000Z"),
    ]);
    let out = eliza_idle_ids(&env);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: BTreeSet<String> = text.lines().map(str::to_owned).collect();
    assert_eq!(lines, set(&["pipe-1", "pipe 2/x", "pipe-3"]), "{text:?}");
    assert_eq!(text.lines().count(), 3, "bare IDs only: {text:?}");

    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "-"])
            .write_stdin(text),
    );
    assert_eq!(code, 0, "{doc:#}");
    common::assert_all(&doc, 3, "ended");
    assert!(!env.emu.messaging_exists("pipe 2/x"));
    assert!(env.emu.messaging_exists("pipe-fresh"));
}

#[test]
fn delete_dry_run_sweep_shows_would_delete() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::messaging("dd-old", "2024-06-01T08:59:00.000Z"),
        Seed::messaging("dd-new", "2024-06-01T11:30:00.000Z"),
    ]);
    let (doc, code) = json_at_now(&env, "eliza", &["delete", "--idle-for", "1h", "--dry-run"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "dd-old")["outcome"], "would_delete");
    assert_eq!(
        result_of(&doc, "dd-old")["reason"],
        "idle 3h 1m (last activity 2024-06-01T08:59:00.000Z)"
    );
    assert_eq!(doc["results"].as_array().unwrap().len(), 1);
    assert!(env.emu.messaging_exists("dd-old"));
    assert!(env.emu.requests().iter().all(|r| r.method == "GET"));
}

/// A sweep's reason says an idleness under ten minutes to the second, as the list's IDLE
/// column does: rounded down to the minute, 53 seconds idle was `idle 0s`.
#[test]
fn a_reason_under_ten_minutes_says_its_seconds_as_the_idle_column_does() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::messaging("e-53s", "2024-06-01T11:59:07.000Z"),
        Seed::messaging("e-3m", "2024-06-01T11:56:48.000Z"),
        Seed::messaging("e-20s", "2024-06-01T11:59:40.000Z"),
    ]);
    let (doc, code) = json_at_now(
        &env,
        "eliza",
        &["end-many", "--idle-for", "30s", "--dry-run"],
    );
    assert_eq!(code, 0, "{doc:#}");
    common::assert_exactly(&doc, &["e-53s", "e-3m"], "would_end");
    assert_eq!(
        result_of(&doc, "e-53s")["reason"],
        "idle 53s (last activity 2024-06-01T11:59:07.000Z)"
    );
    assert_eq!(
        result_of(&doc, "e-3m")["reason"],
        "idle 3m 12s (last activity 2024-06-01T11:56:48.000Z)"
    );
    let (code, table, err) = common::run(env.cmd("eliza").env("SESSIONCTL_NOW", NOW).args([
        "list",
        "--idle-for",
        "30s",
    ]));
    assert_eq!(code, 0, "{err}");
    // The list's IDLE column, the same sessions.
    let idle_of = |id: &str, shown: &str| {
        let row = (table.lines().find(|l| l.contains(id))).unwrap_or_else(|| panic!("{table}"));
        row.split_whitespace().any(|w| w == shown)
    };
    assert!(
        idle_of("e-53s", "53s") && idle_of("e-3m", "3m12s"),
        "{table}"
    );
}

// ---------------------------------------------------------------------------------------
// Every profile

/// A config file with only the eliza, zep and samba profiles, and a command on it.
fn three_profile_cmd(env: &Env) -> assert_cmd::Command {
    let path = env.dir.path().join("three.toml");
    let text = format!(
        "[profiles.eliza]\nprovider = \"messaging\"\nbase_url = \"{msg}\"\nmax_backoff = \"100ms\"\n\
         [profiles.zep]\nprovider = \"zep\"\nbase_url = \"{v2}\"\napi_key_env = \"{zep_env}\"\nmax_backoff = \"100ms\"\n\
         [profiles.samba]\nprovider = \"digital-samba\"\nbase_url = \"{ds}\"\napi_key_env = \"{samba_env}\"\nmax_backoff = \"100ms\"\n",
        msg = env.emu.messaging_url(),
        v2 = env.emu.zep_v2_url(),
        ds = env.emu.samba_url(),
        zep_env = common::ZEP_ENV,
        samba_env = common::SAMBA_ENV,
    );
    std::fs::write(&path, text).unwrap();
    let mut cmd = common::bare_cmd(&env.dir);
    cmd.arg("-c")
        .arg(&path)
        .env(common::ZEP_ENV, common::emulator::zep::ZEP_KEY)
        .env(common::SAMBA_ENV, common::emulator::samba::SAMBA_KEY)
        .env("SESSIONCTL_NOW", NOW);
    cmd
}

fn seed_three(env: &Env) {
    env.emu.seed_many([
        Seed::messaging("ap-eliza", "2024-06-01T09:00:00.000Z"),
        Seed::messaging("ap-eliza-fresh", "2024-06-01T11:30:00.000Z"),
        zep("ap-zep", "2024-06-01T09:00:00Z"),
        zep("ap-zep-fresh", "2024-06-01T11:30:00Z"),
        samba("ap-samba", "2024-06-01 09:00:00", true, Some(0)),
        samba("ap-samba-fresh", "2024-06-01 11:30:00", true, Some(0)),
    ]);
}

#[test]
fn all_profiles_sweep_tags_each_result_with_its_profile() {
    let env = Env::new();
    seed_three(&env);
    let (doc, code) = common::run_json(three_profile_cmd(&env).args([
        "-o",
        "json",
        "end-many",
        "--idle-for",
        "1h",
        "--all-profiles",
    ]));
    assert_eq!(code, 0, "{doc:#}");
    assert!(doc["profile"].is_null(), "{doc:#}");
    assert!(doc["provider"].is_null(), "{doc:#}");
    common::assert_exactly(&doc, &["ap-eliza", "ap-zep", "ap-samba"], "ended");
    for (id, profile) in [
        ("ap-eliza", "eliza"),
        ("ap-zep", "zep"),
        ("ap-samba", "samba"),
    ] {
        assert_eq!(result_of(&doc, id)["profile"], profile, "{doc:#}");
    }
    assert!(!env.emu.messaging_exists("ap-eliza"));
    assert_eq!(env.emu.zep_session_ended("ap-zep"), Some(true));
    assert_eq!(env.emu.samba_live("ap-samba"), Some(false));
    assert!(env.emu.messaging_exists("ap-eliza-fresh"));
    assert_eq!(env.emu.zep_session_ended("ap-zep-fresh"), Some(false));
    assert_eq!(env.emu.samba_live("ap-samba-fresh"), Some(true));
}

#[test]
fn all_profiles_list_tags_each_session_with_its_profile() {
    let env = Env::new();
    seed_three(&env);
    let (doc, code) = common::run_json(three_profile_cmd(&env).args([
        "-o",
        "json",
        "list",
        "--idle-for",
        "1h",
        "--all-profiles",
    ]));
    assert_eq!(code, 0, "{doc:#}");
    assert!(doc["profile"].is_null());
    assert_eq!(listed(&doc), set(&["ap-eliza", "ap-zep", "ap-samba"]));
    for (id, profile) in [
        ("ap-eliza", "eliza"),
        ("ap-zep", "zep"),
        ("ap-samba", "samba"),
    ] {
        assert_eq!(session(&doc, id)["profile"], profile, "{doc:#}");
    }
}

#[test]
fn all_profiles_sweep_skips_thread_profiles_with_a_warning() {
    // The default test config has zep3/zep4 (threads: no end) among its profiles.
    let env = Env::new();
    env.emu
        .seed(Seed::messaging("skip-eliza", "2024-06-01T09:00:00.000Z"));
    let out = env
        .cmd("eliza")
        .env("SESSIONCTL_NOW", NOW)
        .args([
            "-o",
            "json",
            "end-many",
            "--idle-for",
            "1h",
            "--all-profiles",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.contains("skipping profile `zep3`"), "{stderr}");
    assert!(stderr.contains("skipping profile `zep4`"), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result_of(&doc, "skip-eliza")["outcome"], "ended");
    assert_eq!(result_of(&doc, "skip-eliza")["profile"], "eliza");
    assert!(
        env.emu
            .requests()
            .iter()
            .all(|r| !r.path.contains("/threads")),
        "a thread profile was listed"
    );
}

#[test]
fn list_ids_leaves_out_sessions_whose_age_cannot_be_read() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::messaging("idle", "2024-06-01T09:00:00.000Z"),
        Seed::messaging("garbled", "not-a-time"),
    ]);
    let out = eliza_idle_ids(&env);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the problem still shows in the exit code"
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "idle\n");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("unreadable"), "{stderr}");
}

#[test]
fn all_profiles_sweep_goes_on_past_a_broken_profile() {
    let env = Env::new();
    seed_three(&env);
    // The Zep key variable is unset: that profile cannot be built, the others still run.
    let (doc, code) = common::run_json(three_profile_cmd(&env).env_remove(common::ZEP_ENV).args([
        "-o",
        "json",
        "end-many",
        "--idle-for",
        "1h",
        "--all-profiles",
    ]));
    // The others ran: a profile left out makes it "some failed", not "nothing was sent".
    assert_eq!(code, 1, "a broken profile beside working ones: {doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(
        outcomes.get("ap-eliza").map(String::as_str),
        Some("ended"),
        "{doc:#}"
    );
    assert_eq!(
        outcomes.get("ap-samba").map(String::as_str),
        Some("ended"),
        "{doc:#}"
    );
    assert!(!outcomes.contains_key("ap-zep"));
    assert_eq!(env.emu.zep_session_ended("ap-zep"), Some(false));
}

/// A confirmation reply without `messages` (Zep v2 `GET /sessions/{id}/memory?lastn=1`, v3
/// `GET /threads/{id}/messages?lastn=1`) proves nothing about idleness: the session is
/// reported, never acted on (it used to be read as "no messages" and judged by the row).
#[test]
fn a_confirmation_without_messages_is_refused_never_acted_on() {
    for (profile, seed, read) in [
        (
            "zep",
            zep("c-1", "2024-06-01T09:00:00Z"),
            "/sessions/c-1/memory",
        ),
        (
            "zep3",
            Seed::zep_thread("c-1", "2024-06-01T09:00:00Z"),
            "/threads/c-1/messages",
        ),
    ] {
        let env = Env::new();
        env.emu.seed(seed);
        env.emu.fault(
            common::Fault::status(200)
                .method("GET")
                .path(read)
                .body(r#"{"context":"","relevant_facts":null}"#),
        );
        let sweep: &[&str] = match profile {
            "zep" => &["end-many", "--idle-for", "1h"],
            _ => &["delete", "--yes", "--idle-for", "1h"],
        };
        let (doc, code) = env.json_at(NOW, profile, sweep);
        assert_eq!(code, 1, "{profile}: {doc:#}");
        let r = result_of(&doc, "c-1");
        assert_eq!(r["outcome"], "failed", "{profile}: {doc:#}");
        let error = r["error"].as_str().unwrap_or_default();
        assert!(
            error.starts_with("not acted on") && error.contains("messages"),
            "{profile}: {error}"
        );
        let acted = env.emu.requests().into_iter().filter(|r| r.method != "GET");
        assert_eq!(acted.count(), 0, "{profile}: the session was acted on");
    }
}
