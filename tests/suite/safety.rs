//! A sweep never touches a session in use, never acts on more than the operator allowed,
//! never sends an ID to the wrong profile, and never reports more than the server said.
//! New tests about what a run may act on, and what it may claim, go here.

use crate::common;

use std::time::{Duration, Instant};

use common::{Env, Fault, Seed, outcomes_once, result_of};
use serde_json::Value;

/// "Now" for every sweep here.
const NOW: &str = "2024-06-01T12:00:00Z";
/// Five hours before [`NOW`]: old enough for any cut-off used here.
const OLD: &str = "2024-06-01T07:00:00Z";
/// A minute before [`NOW`]: recent for any cut-off used here.
const RECENT: &str = "2024-06-01T11:59:00Z";

fn samba(id: &str, start_time: &str, participants_live: Option<u32>) -> Seed {
    Seed::from(common::emulator::samba::SessionSeed {
        id: id.to_owned(),
        room_id: format!("room-{id}"),
        start_time: start_time.to_owned(),
        live: true,
        participants_live,
    })
}

/// Requests that could change state (anything but a read).
fn writes(env: &Env) -> Vec<String> {
    env.emu
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/lookup"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// The binary on `profile`, with "now" at [`NOW`].
fn at_now(env: &Env, profile: &str) -> assert_cmd::Command {
    let mut cmd = env.cmd(profile);
    cmd.env("SESSIONCTL_NOW", NOW);
    cmd
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ---------------------------------------------------------------------------------------
// What idle means

#[test]
fn occupied_samba_meetings_survive_the_cron_sweep() {
    let env = Env::new();
    env.emu.seed_many([
        samba("ds-0", OLD, Some(0)),
        samba("ds-1", OLD, Some(1)),
        samba("ds-2", OLD, Some(2)),
        samba("ds-unknown", OLD, None),
        samba("ds-0-new", RECENT, Some(0)),
    ]);
    let out = at_now(&env, "samba")
        .args(["-q", "-o", "ndjson", "end-many", "--idle-for", "2h"])
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_id = |id: &str| lines.iter().find(|l| l["id"] == id).cloned();
    assert_eq!(by_id("ds-0").unwrap()["outcome"], "ended", "{lines:#?}");
    assert_eq!(
        by_id("ds-0").unwrap()["reason"],
        "empty, started 5h ago",
        "the reason says what was measured"
    );
    let unknown = by_id("ds-unknown").unwrap();
    assert_eq!(unknown["outcome"], "failed");
    assert!(unknown["error"].as_str().unwrap().contains("not acted on"));
    assert!(by_id("ds-1").is_none() && by_id("ds-2").is_none() && by_id("ds-0-new").is_none());
    for id in ["ds-1", "ds-2", "ds-unknown", "ds-0-new"] {
        assert_eq!(env.emu.samba_live(id), Some(true), "{id} was ended");
    }
    assert_eq!(env.emu.samba_live("ds-0"), Some(false));
    assert_eq!(
        writes(&env),
        ["POST /samba/api/v1/sessions/ds-0/end"],
        "nothing else was sent"
    );
}

#[test]
fn older_than_ends_long_meetings_with_people_only_when_asked() {
    let env = Env::new();
    env.emu.seed_many([
        samba("long-busy", OLD, Some(3)),
        samba("short-busy", RECENT, Some(3)),
    ]);
    let (doc, code) = env.json_at(NOW, "samba", &["end-many", "--older-than", "4h"]);
    assert_eq!(code, 0, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes.len(), 1, "{doc:#}");
    assert_eq!(outcomes["long-busy"], "ended");
    assert_eq!(result_of(&doc, "long-busy")["reason"], "created 5h ago");
    assert_eq!(env.emu.samba_live("short-busy"), Some(true));
}

/// 30 threads all older than the cut-off (nothing fresh to stop the paging), 10 of them
/// with a message a minute ago: only the 20 really idle ones are deleted.
#[test]
fn old_but_active_v3_threads_are_never_deleted() {
    let env = Env::new();
    let mut seeds = Vec::new();
    for i in 0..30 {
        seeds.push(Seed::zep_thread(&format!("t-{i:02}"), OLD));
        let last = if i % 3 == 0 {
            RECENT
        } else {
            "2024-06-01T08:00:00Z"
        };
        seeds.push(Seed::messages(&format!("t-{i:02}"), &[OLD, last]));
    }
    env.emu.seed_many(seeds);
    let in_use = |i: &usize| i.is_multiple_of(3);

    let (dry, code) = env.json_at(NOW, "zep3", &["delete", "--idle-for", "2h", "--dry-run"]);
    assert_eq!(code, 0, "{dry:#}");
    assert!(writes(&env).is_empty(), "a dry run sends nothing");
    let (doc, code) = env.json_at(NOW, "zep3", &["delete", "--idle-for", "2h", "--yes"]);
    assert_eq!(code, 0, "{doc:#}");
    let deleted = outcomes_once(&doc);
    assert_eq!(deleted.len(), 20, "{doc:#}");
    for i in 0..30 {
        let id = format!("t-{i:02}");
        assert_eq!(env.emu.thread_exists(&id), in_use(&i), "{id}");
        if !in_use(&i) {
            let reason = &result_of(&doc, &id)["reason"];
            assert_eq!(reason, "idle 4h (newest message 2024-06-01T08:00:00Z)");
            assert_eq!(
                &result_of(&dry, &id)["reason"],
                reason,
                "the dry run shows the reasons the real run acts on"
            );
        }
    }
    let confirmations = (env.emu.requests().into_iter())
        .filter(|r| r.path.ends_with("/messages") && r.query.as_deref() == Some("lastn=1"))
        .count();
    assert_eq!(confirmations, 60, "each candidate confirmed, in both runs");
}

#[test]
fn a_v3_thread_without_messages_is_judged_by_its_creation() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::zep_thread("empty-old", OLD),
        Seed::zep_thread("empty-new", RECENT),
    ]);
    let (doc, code) = env.json_at(NOW, "zep3", &["delete", "--idle-for", "2h", "--yes"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        result_of(&doc, "empty-old")["reason"],
        format!("idle 5h (created {OLD}, no messages)")
    );
    assert!(env.emu.thread_exists("empty-new"));
}

#[test]
fn a_v2_session_with_a_recent_message_is_not_ended() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::zep_session("busy", OLD),
        Seed::messages("busy", &[RECENT]),
        Seed::zep_session("idle", OLD),
        Seed::messages("idle", &["2024-06-01T08:00:00Z"]),
    ]);
    let (doc, code) = env.json_at(NOW, "zep", &["end-many", "--idle-for", "2h"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(outcomes_once(&doc).len(), 1, "{doc:#}");
    assert_eq!(
        result_of(&doc, "idle")["reason"],
        "idle 4h (newest message 2024-06-01T08:00:00Z)"
    );
    assert_eq!(env.emu.zep_session_ended("busy"), Some(false));
    assert_eq!(env.emu.zep_session_ended("idle"), Some(true));
}

#[test]
fn a_confirmation_that_fails_leaves_the_session_alone() {
    let env = Env::new();
    env.emu.seed(Seed::zep_thread("t", OLD));
    env.emu.fault(Fault::status(500).path("/messages"));
    let (doc, code) = env.json_at(NOW, "zep3", &["delete", "--idle-for", "2h", "--yes"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(result_of(&doc, "t")["outcome"], "failed");
    let error = result_of(&doc, "t")["error"].as_str().unwrap();
    assert!(
        error.starts_with("not acted on: reading its newest message failed"),
        "{error}"
    );
    assert!(env.emu.thread_exists("t"));
}

// ---------------------------------------------------------------------------------------
// The cap

#[test]
fn over_the_cap_nothing_is_sent_and_the_exit_code_is_4() {
    let env = Env::new();
    let ids: Vec<String> = (0..5).map(|i| format!("m-{i}")).collect();
    env.emu.seed_many(
        ids.iter()
            .map(|id| Seed::messaging(id, "2024-06-01T07:00:00.000Z")),
    );
    let file = env.dir.path().join("ids.txt");
    std::fs::write(&file, ids.join("\n")).unwrap();
    let file = file.to_str().unwrap();
    let stdin = ids.join("\n");
    let args: Vec<&str> = ids.iter().map(String::as_str).collect();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            [&["end-many", "--max", "4"][..], &args].concat(),
            "would end 5 sessions on `eliza`; the cap is 4 (--max)",
        ),
        (
            vec!["end-many", "--idle-for", "1h", "--max", "4"],
            "would end 5 sessions on `eliza`; the cap is 4 (--max); nothing was sent",
        ),
        (
            vec!["end-many", "--idle-for", "1h", "--max", "4", "--dry-run"],
            "the cap is 4",
        ),
        (
            // A file is counted to its end: exactly 5, not "at least".
            vec!["end-many", "--file", file, "--max", "4"],
            "would end 5 sessions on `eliza`; the cap is 4 (--max)",
        ),
        (
            vec!["end-many", "-", "--max", "3"],
            "the cap is 3 (--max); nothing was sent",
        ),
        (
            vec!["delete", "--yes", "-", "--max", "2"],
            "would delete at least",
        ),
    ];
    for (args, needle) in cases {
        let out = at_now(&env, "eliza")
            .args(&args)
            .write_stdin(stdin.clone())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains(needle),
            "{args:?}: {}",
            stderr_of(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(writes(&env).is_empty(), "{:#?}", writes(&env));
    assert_eq!(env.emu.messaging_count(), 5);

    // At the cap, the run goes ahead.
    let (doc, code) = env.json_at(
        NOW,
        "eliza",
        &["end-many", "--idle-for", "1h", "--max", "5"],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(env.emu.messaging_count(), 0);
}

#[test]
fn max_per_run_holds_per_profile_and_max_for_the_total() {
    let env = Env::new();
    env.add_profile(
        "capped",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\nmax_per_run = 2\n",
            env.emu.messaging_url()
        ),
    );
    env.emu
        .seed_many((0..3).map(|i| Seed::messaging(&format!("m-{i}"), "2024-06-01T07:00:00.000Z")));
    let run = |args: &[&str]| at_now(&env, "capped").args(args).output().unwrap();
    let out = run(&["end-many", "--idle-for", "1h"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr_of(&out).contains("would end 3 sessions on `capped`; the cap is 2 (`max_per_run`)"),
        "{}",
        stderr_of(&out)
    );
    // Every profile that can list sees the same three messaging sessions (`eliza` and
    // `capped`). The total `--max` still stops every profile...
    let out = run(&[
        "end-many",
        "--idle-for",
        "1h",
        "--all-profiles",
        "--max",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("(--max)"), "{}", stderr_of(&out));
    assert!(writes(&env).is_empty());
    // ... but `capped`'s own cap stops only `capped`: `eliza` ends the three, and the
    // refusal is a profile error (exit 1: some of the run was not done).
    let out = run(&[
        "-o",
        "json",
        "end-many",
        "--idle-for",
        "1h",
        "--all-profiles",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = doc["profile_errors"].as_array().expect("profile_errors");
    assert_eq!(errors.len(), 1, "{doc:#}");
    assert_eq!(errors[0]["profile"], "capped");
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains("`max_per_run`")
    );
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{doc:#}");
    assert!(
        results
            .iter()
            .all(|r| r["profile"] == "eliza" && r["outcome"] == "ended")
    );
    assert_eq!(env.emu.messaging_count(), 0);
}

#[test]
fn the_total_cap_counts_every_profile() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::messaging("m-1", "2024-06-01T07:00:00.000Z"),
        Seed::zep_session("z-1", OLD),
    ]);
    let out = at_now(&env, "eliza")
        .args([
            "end-many",
            "--idle-for",
            "1h",
            "--all-profiles",
            "--max",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("sessions on"),
        "{}",
        stderr_of(&out)
    );
    assert!(
        stderr_of(&out).contains("the cap is 1 (--max)"),
        "{}",
        stderr_of(&out)
    );
    assert!(writes(&env).is_empty());
}

// ---------------------------------------------------------------------------------------
// Pipes across profiles

#[test]
fn a_profile_tab_id_pipe_reaches_the_right_profiles() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::messaging("m-1", "2024-06-01T07:00:00.000Z"),
        Seed::zep_session("z-1", OLD),
    ]);
    let out = at_now(&env, "eliza")
        .args(["-o", "ids", "list", "--idle-for", "1h", "--all-profiles"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(lines, ["eliza\tm-1", "zep\tz-1"], "{}", stderr_of(&out));

    // A single-profile run sends only its own lines.
    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "--dry-run", "-"])
            .write_stdin(text.clone()),
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(result_of(&doc, "m-1")["outcome"], "would_end");
    let z = result_of(&doc, "z-1");
    assert_eq!(z["outcome"], "failed");
    assert_eq!(z["profile"], "zep");
    assert!(z["error"].as_str().unwrap().contains("not in this run"));

    // Across profiles, each line goes to its own; an unknown profile or a bare ID is
    // never sent anywhere.
    let input = format!("{text}nope\tx-1\nbare-1\n");
    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "--all-profiles", "-"])
            .write_stdin(input),
    );
    assert_eq!(code, 1, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes["m-1"], "ended");
    assert_eq!(outcomes["z-1"], "ended");
    assert_eq!(outcomes["x-1"], "failed");
    assert_eq!(outcomes["bare-1"], "failed");
    assert_eq!(result_of(&doc, "m-1")["profile"], "eliza");
    assert_eq!(result_of(&doc, "z-1")["profile"], "zep");
    assert!(!env.emu.messaging_exists("m-1"));
    assert_eq!(env.emu.zep_session_ended("z-1"), Some(true));
    let sent: Vec<String> = writes(&env);
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(
        sent.iter()
            .all(|w| !w.contains("x-1") && !w.contains("bare-1"))
    );
}

// ---------------------------------------------------------------------------------------
// --dry-run=server

#[test]
fn a_server_dry_run_reads_each_session_and_changes_none() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::zep_session("open", OLD),
        Seed::from(common::emulator::zep::SessionSeed {
            id: "closed".into(),
            user_id: None,
            created_at: OLD.into(),
            updated_at: OLD.into(),
            ended: true,
        }),
        Seed::messaging("m-1", OLD),
        samba("ds-live", OLD, Some(0)),
        Seed::from(common::emulator::samba::SessionSeed {
            id: "ds-over".into(),
            room_id: "r".into(),
            start_time: OLD.into(),
            live: false,
            participants_live: None,
        }),
        Seed::zep_thread("t-1", OLD),
    ]);
    /// Profile, command, and each ID with the outcome a read must find.
    type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: [Case; 6] = [
        (
            "zep",
            &["end-many"],
            &[
                ("open", "would_end"),
                ("closed", "already_ended"),
                ("ghost", "not_found"),
            ],
        ),
        (
            "eliza",
            &["end-many"],
            &[("m-1", "would_end"), ("ghost", "not_found")],
        ),
        (
            "samba",
            &["end-many"],
            &[
                ("ds-live", "would_end"),
                ("ds-over", "already_ended"),
                ("ghost", "not_found"),
            ],
        ),
        (
            "samba",
            &["delete", "--yes"],
            &[
                ("ds-live", "failed"),
                ("ds-over", "would_delete"),
                ("ghost", "not_found"),
            ],
        ),
        (
            "zep3",
            &["delete", "--yes"],
            &[("t-1", "would_delete"), ("ghost", "not_found")],
        ),
        (
            "zep4",
            &["delete", "--yes"],
            &[("t-1", "would_delete"), ("ghost", "not_found")],
        ),
    ];
    for (profile, command, want) in cases {
        let ids: Vec<&str> = want.iter().map(|(id, _)| *id).collect();
        let mut args = command.to_vec();
        args.push("--dry-run=server");
        args.extend(&ids);
        let (doc, code) = env.json(profile, &args);
        let outcomes = outcomes_once(&doc);
        for (id, outcome) in want {
            assert_eq!(outcomes[*id], *outcome, "{profile} {args:?}: {doc:#}");
        }
        assert_eq!(code, 1, "not_found (or a refusal) is exit 1: {doc:#}");
    }
    let live = result_of(
        &env.json("samba", &["delete", "--yes", "--dry-run=server", "ds-live"])
            .0,
        "ds-live",
    )
    .clone();
    assert!(
        live["error"]
            .as_str()
            .unwrap()
            .contains("end it first: sessionctl -p samba end ds-live")
    );
    assert!(writes(&env).is_empty(), "{:#?}", writes(&env));
    assert_eq!(env.emu.zep_session_ended("open"), Some(false));
    assert!(env.emu.thread_exists("t-1"));
}

// ---------------------------------------------------------------------------------------
// Outcomes never claim more than the server said

#[test]
fn a_redirect_of_a_state_change_is_failed_not_followed() {
    let env = Env::new();
    env.emu
        .seed_many([Seed::zep_session("a", OLD), Seed::zep_session("b", OLD)]);
    env.emu
        .fault(Fault::redirect(303, "/zep/api/v2/sessions-ordered").method("POST"));
    let (doc, code) = env.json("zep", &["end-many", "a", "b"]);
    assert_eq!(code, 1, "{doc:#}");
    for id in ["a", "b"] {
        let r = result_of(&doc, id);
        assert_eq!(r["outcome"], "failed", "{doc:#}");
        assert_eq!(r["status"], 303);
        let error = r["error"].as_str().unwrap();
        assert!(error.contains("/zep/api/v2/sessions-ordered"), "{error}");
        assert_eq!(env.emu.zep_session_ended(id), Some(false));
    }
    let followed = env
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(followed, 0, "the redirect was followed as a GET");
}

#[test]
fn a_404_after_a_lost_reply_is_already_ended_with_a_note() {
    let env = Env::new();
    env.emu
        .seed_many([Seed::messaging("lost", OLD), Seed::messaging("fine", OLD)]);
    env.emu.fault(
        Fault::drop_after_apply()
            .method("DELETE")
            .path("/lost")
            .times(1),
    );
    let (doc, code) = env.json("eliza", &["end-many", "lost", "fine", "never-was"]);
    assert_eq!(code, 1, "never-was is not found: {doc:#}");
    let lost = result_of(&doc, "lost");
    assert_eq!(lost["outcome"], "already_ended", "{doc:#}");
    assert_eq!(lost["attempts"], 2);
    assert!(
        lost["note"]
            .as_str()
            .unwrap()
            .contains("earlier reply was lost")
    );
    assert_eq!(result_of(&doc, "fine")["outcome"], "ended");
    assert_eq!(result_of(&doc, "never-was")["outcome"], "not_found");
    assert!(result_of(&doc, "never-was")["note"].is_null());
}

#[test]
fn ctrl_c_while_waiting_out_a_429_reports_skipped() {
    let env = Env::new();
    env.add_profile(
        "patient",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\nmax_backoff = \"60s\"\n",
            env.emu.messaging_url()
        ),
    );
    env.emu.seed(Seed::messaging("waiting", OLD));
    env.emu
        .fault(Fault::status(429).retry_after("30").method("DELETE"));
    let child = env
        .std_cmd("patient")
        .args(["-o", "json", "end-many", "waiting"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while env.emu.requests().is_empty() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: kill(2) on the PID of the child this test spawned.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let out = child.wait_with_output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "the back-off was not cut short"
    );
    common::assert_died_of(&out.status, libc::SIGINT, &stderr_of(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = result_of(&doc, "waiting");
    assert_eq!(r["outcome"], "skipped", "{doc:#}");
    assert!(r["error"].as_str().unwrap().contains("nothing was done"));
    assert!(env.emu.messaging_exists("waiting"));
}

#[test]
fn a_request_that_may_have_been_done_is_never_reported_skipped() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("gone", OLD));
    // The first DELETE is applied and its reply lost; the retry is rate limited for longer
    // than the deadline allows. The session is gone: "nothing was done" would be a lie.
    env.emu
        .fault(Fault::drop_after_apply().method("DELETE").times(1));
    env.emu.fault(
        Fault::status(429)
            .retry_after("30")
            .method("DELETE")
            .times(1),
    );
    let (doc, code) = env.json("eliza", &["end", "gone", "--deadline", "2s"]);
    assert_eq!(code, 1, "{doc:#}");
    let r = result_of(&doc, "gone");
    assert_eq!(r["outcome"], "failed", "{doc:#}");
    assert_eq!(r["attempts"], 2);
    assert!(
        r["error"].as_str().unwrap().contains("outcome unknown"),
        "{r}"
    );
    assert!(
        !r["error"].as_str().unwrap().contains("nothing was done"),
        "{r}"
    );
    assert!(
        r["note"]
            .as_str()
            .unwrap()
            .contains("may have been applied"),
        "{r}"
    );
    assert!(!env.emu.messaging_exists("gone"));
}
