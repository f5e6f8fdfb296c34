//! Retention: `delete --ended-for` and `list --ended-for` find what ended long ago by the
//! provider's own end time (Digital Samba `live=false` rows' `end_time`, Zep v2 `ended_at`),
//! never touch a live session, and report one that does not say when it ended.

use crate::common;
use common::{listed, set};

use std::collections::BTreeSet;

use common::{Env, Seed, outcomes_once, result_of};
use serde_json::Value;

/// "Now" for every test here: `--ended-for 30d` cuts off at 2026-03-02T00:00:00Z.
const NOW: &str = "2026-04-01T00:00:00Z";
const LONG_AGO: &str = "2026-01-10T09:00:00.000000Z";
const LONG_AGO_END: &str = "2026-01-10T10:00:00.000000Z";
const RECENT_START: &str = "2026-03-30T09:00:00.000000Z";
const RECENT_END: &str = "2026-03-30T10:00:00.000000Z";

/// Digital Samba: ended long ago, ended lately, live since long ago, and ended without
/// (or with an unreadable) end time.
fn seed_samba(env: &Env) {
    env.emu.seed_many([
        Seed::samba_ended_at("ds-old", LONG_AGO, Some(LONG_AGO_END)),
        Seed::samba_ended_at("ds-recent", RECENT_START, Some(RECENT_END)),
        Seed::samba_live("ds-live", LONG_AGO),
        Seed::samba_ended_at("ds-no-end", LONG_AGO, None),
        Seed::samba_ended_at("ds-bad-end", LONG_AGO, Some("last winter")),
    ]);
}

#[test]
fn samba_retention_deletes_only_what_its_end_time_proves_ended_long_ago() {
    let env = Env::new();
    seed_samba(&env);
    let (doc, code) = env.json_at(NOW, "samba", &["delete", "--ended-for", "30d", "--yes"]);
    // The sessions that do not say when they ended are reported, never acted on: exit 1.
    assert_eq!(code, 1, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes["ds-old"], "deleted", "{doc:#}");
    assert_eq!(outcomes["ds-no-end"], "failed");
    assert_eq!(outcomes["ds-bad-end"], "failed");
    assert_eq!(
        outcomes.len(),
        3,
        "the live and the recent session are not in it: {doc:#}"
    );
    assert_eq!(
        result_of(&doc, "ds-old")["reason"],
        format!("ended 80days 14h ago (end_time {LONG_AGO_END})")
    );
    assert_eq!(
        result_of(&doc, "ds-no-end")["error"],
        "not acted on: not live, but the list does not say when it ended (no end_time)"
    );
    assert_eq!(
        result_of(&doc, "ds-bad-end")["error"],
        "not acted on: unreadable end_time `last winter`"
    );
    assert_eq!(env.emu.samba_resources_deleted("ds-old"), Some(true));
    for kept in ["ds-recent", "ds-live", "ds-no-end", "ds-bad-end"] {
        assert_eq!(env.emu.samba_resources_deleted(kept), Some(false), "{kept}");
    }
    assert_eq!(env.emu.samba_live("ds-live"), Some(true));
    // The list asked for ended sessions only, narrowed by date where the API allows.
    let lists: Vec<String> = (env.emu.requests().into_iter())
        .filter(|r| r.method == "GET" && r.path.ends_with("/sessions"))
        .map(|r| r.query.unwrap_or_default())
        .collect();
    assert!(!lists.is_empty());
    for query in &lists {
        assert!(
            query.contains("live=false") && query.contains("date_end=2026-03-04"),
            "{query}"
        );
    }
    let deletes = (env.emu.requests().into_iter())
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 1);
}

#[test]
fn list_ended_for_shows_what_a_retention_sweep_would_delete_and_why() {
    let env = Env::new();
    seed_samba(&env);
    let (doc, code) = env.json_at(NOW, "samba", &["list", "--ended-for", "30d"]);
    assert_eq!(code, 1, "two sessions could not be judged: {doc:#}");
    assert_eq!(listed(&doc), set(&["ds-old", "ds-no-end", "ds-bad-end"]));
    let old = (doc["sessions"].as_array().unwrap().iter())
        .find(|s| s["id"] == "ds-old")
        .unwrap();
    assert_eq!(old["ended"], LONG_AGO_END);
    assert_eq!(old["active"], false);
    // The table shows when each ended.
    let out = env
        .cmd("samba")
        .env("SESSIONCTL_NOW", NOW)
        .env("COLUMNS", "400")
        .args(["list", "--ended-for", "30d"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("ENDED"), "{table}");
    let line = table.lines().find(|l| l.contains("ds-old")).unwrap();
    // To the second, in UTC (the list sends microseconds).
    assert!(line.contains("2026-01-10T10:00:00Z"), "{table}");
    assert_eq!(LONG_AGO_END, "2026-01-10T10:00:00.000000Z");
    // The dry run sends nothing that changes state and says the same.
    let (doc, code) = env.json_at(
        NOW,
        "samba",
        &[
            "delete",
            "--ended-for",
            "30d",
            "--dry-run",
            "--where",
            "id=ds-old",
        ],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(outcomes_once(&doc)["ds-old"], "would_delete");
    assert_eq!(env.emu.samba_resources_deleted("ds-old"), Some(false));
}

#[test]
fn samba_retention_pages_through_every_ended_session_and_the_cap_sees_them_all() {
    let env = Env::new();
    let ids: Vec<String> = (0..150).map(|i| format!("ds-{i:03}")).collect();
    env.emu
        .seed_many((ids.iter()).map(|id| Seed::samba_ended_at(id, LONG_AGO, Some(LONG_AGO_END))));
    env.emu.seed(Seed::samba_live("ds-live", LONG_AGO));
    let (doc, code) = env.json_at(NOW, "samba", &["list", "--ended-for", "30d"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(listed(&doc).len(), 150);
    let out = env
        .cmd("samba")
        .env("SESSIONCTL_NOW", NOW)
        .args(["delete", "--ended-for", "30d", "--yes", "--max", "149"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(
        !(env.emu.requests().iter()).any(|r| r.method == "DELETE"),
        "nothing was sent"
    );
    let (doc, code) = env.json_at(
        NOW,
        "samba",
        &["delete", "--ended-for", "30d", "--yes", "--max", "150"],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(outcomes_once(&doc).len(), 150);
    assert!(
        ids.iter()
            .all(|id| env.emu.samba_resources_deleted(id) == Some(true))
    );
    assert_eq!(env.emu.samba_live("ds-live"), Some(true));
}

#[test]
fn zep_v2_retention_deletes_the_memory_of_sessions_ended_long_ago() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::zep_ended("z-old", "2026-01-10T10:00:00Z"),
        Seed::zep_ended("z-recent", "2026-03-30T10:00:00Z"),
        // Open, and untouched since long ago: idle, but not ended.
        Seed::zep_session("z-open", "2026-01-01T00:00:00Z"),
    ]);
    let (doc, code) = env.json_at(NOW, "zep", &["list", "--ended-for", "30d"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(listed(&doc), set(&["z-old"]));
    let (doc, code) = env.json_at(NOW, "zep", &["delete", "--ended-for", "30d", "--yes"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(outcomes_once(&doc).len(), 1, "{doc:#}");
    assert_eq!(outcomes_once(&doc)["z-old"], "deleted");
    assert_eq!(
        result_of(&doc, "z-old")["reason"],
        "ended 80days 14h ago (ended_at 2026-01-10T10:00:00Z)"
    );
    assert_eq!(env.emu.zep_memory_deleted("z-old"), Some(true));
    assert_eq!(env.emu.zep_memory_deleted("z-recent"), Some(false));
    assert_eq!(env.emu.zep_memory_deleted("z-open"), Some(false));
    // Deleted, it is gone from the list: the next run finds nothing.
    let (doc, code) = env.json_at(NOW, "zep", &["delete", "--ended-for", "30d", "--yes"]);
    assert_eq!(code, 0, "{doc:#}");
    assert!(outcomes_once(&doc).is_empty(), "{doc:#}");
}

#[test]
fn a_provider_that_cannot_tell_when_a_session_ended_is_refused_alone_and_skipped_in_all() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::samba_ended_at("ds-old", LONG_AGO, Some(LONG_AGO_END)),
        Seed::zep_ended("z-old", "2026-01-10T10:00:00Z"),
        Seed::messaging("m-1", "2026-01-01T00:00:00.000Z"),
    ]);
    for profile in ["eliza", "zep3", "zep4"] {
        let out = env
            .cmd(profile)
            .env("SESSIONCTL_NOW", NOW)
            .args(["delete", "--ended-for", "30d", "--yes"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{profile}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--ended-for:") && stderr.contains("does not list ended sessions"),
            "{profile}: {stderr}"
        );
    }
    let out = env
        .cmd("samba")
        .env("SESSIONCTL_NOW", NOW)
        .args([
            "-o",
            "json",
            "delete",
            "--ended-for",
            "30d",
            "--yes",
            "--all-profiles",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for skipped in ["eliza", "zep3", "zep4"] {
        assert!(
            stderr.contains(&format!("skipping profile `{skipped}`: --ended-for:")),
            "{stderr}"
        );
    }
    let done: BTreeSet<(String, String)> = (doc["results"].as_array().unwrap().iter())
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap().to_owned();
            (field("profile"), field("id"))
        })
        .collect();
    // `samba-bearer` is the same account as `samba`: its run finds the data deleted already
    // and deletes again (204), which is what the API answers.
    assert!(done.contains(&("samba".into(), "ds-old".into())), "{doc:#}");
    assert!(done.contains(&("zep".into(), "z-old".into())), "{doc:#}");
    assert!(env.emu.messaging_exists("m-1"));
}

/// The listing's warning counts what it could not judge, in the right number.
#[test]
fn the_unjudged_warning_agrees_with_its_count() {
    for (ids, says) in [
        (
            &["u-1"][..],
            "1 session could not be judged (unreadable or missing data) and is never",
        ),
        (
            &["u-1", "u-2"][..],
            "2 sessions could not be judged (unreadable or missing data) and are never",
        ),
    ] {
        let env = Env::new();
        for id in ids {
            env.emu
                .seed(Seed::samba_ended_at(id, "2024-03-01T10:00:00Z", None));
        }
        let (code, out, err) = common::run(env.cmd("samba").env("SESSIONCTL_NOW", NOW).args([
            "list",
            "--ended-for",
            "30d",
        ]));
        assert_eq!(code, 1, "{out}");
        assert!(err.contains(says), "{err}");
    }
}
