//! Protected sessions (a profile's `protect` list): no path that acts may touch them.
//! Explicit IDs (arguments, a file, stdin), pipes across profiles, sweeps, resumed journals
//! and dry runs each get their own test here, since an exclusion that silently stops
//! working is the failure this feature exists to prevent.

use crate::common;

use common::{Env, Seed, ZEP_ENV, count_requests, result_of};
use serde_json::{Value, json};

/// "Now" for every sweep here; every seeded session is hours older.
const NOW: &str = "2024-06-01T12:00:00Z";
const OLD: &str = "2024-06-01T07:00:00Z";

/// An env with profile `zp` (Zep v2) protecting `protect`, and three old sessions: `keep`
/// (`metadata.keep=true`), `demo-1` and `free`.
fn env_protecting(protect: &[&str]) -> Env {
    let env = Env::new();
    let list: Vec<String> = protect.iter().map(|p| format!("{p:?}")).collect();
    env.add_profile(
        "zp",
        &format!(
            "provider = \"zep\"\nbase_url = \"{}\"\napi_key_env = \"{ZEP_ENV}\"\nmax_backoff = \"100ms\"\nprotect = [{}]",
            env.emu.zep_v2_url(),
            list.join(", ")
        ),
    );
    env.emu.seed_many([
        Seed::zep_session("keep", OLD),
        Seed::metadata("keep", json!({"keep": true})),
        Seed::zep_session("demo-1", OLD),
        Seed::zep_session("free", OLD),
        Seed::metadata("free", json!({"keep": false})),
    ]);
    env
}

const BOTH: &[&str] = &["metadata.keep=true", "id~=demo-*"];

/// Every request that could change `id` (anything but a read).
fn writes_for(env: &Env, id: &str) -> Vec<String> {
    (env.emu.requests().into_iter())
        .filter(|r| r.method != "GET" && r.path.contains(id))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn run_json(cmd: &mut assert_cmd::Command) -> (Value, i32) {
    common::run_json(cmd.args(["-o", "json"]))
}

/// The refusal of an explicit ID: `protected`, with an error naming the rule, nothing sent.
fn assert_refused(env: &Env, doc: &Value, id: &str, rule: &str) {
    let r = result_of(doc, id);
    assert_eq!(r["outcome"], "protected", "{doc:#}");
    assert_eq!(r["error_kind"], "protected", "{doc:#}");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.contains(&format!("protected by `{rule}`")) && error.contains("nothing sent"),
        "{error}"
    );
    assert_eq!(
        writes_for(env, id),
        Vec::<String>::new(),
        "nothing sent for {id}"
    );
    assert_eq!(env.emu.zep_session_ended(id), Some(false));
}

#[test]
fn explicit_ids_that_match_are_refused_with_nothing_sent_for_them() {
    let env = env_protecting(BOTH);
    let (doc, code) = run_json(env.cmd("zp").args(["end-many", "keep", "demo-1", "free"]));
    assert_eq!(code, 1, "a refused ID is not a success: {doc:#}");
    assert_refused(&env, &doc, "keep", "metadata.keep=true");
    assert_refused(&env, &doc, "demo-1", "id~=demo-*");
    assert_eq!(result_of(&doc, "free")["outcome"], "ended");
    assert_eq!(doc["summary"]["protected"], 2, "{doc:#}");
    let reqs = env.emu.requests();
    // A rule on metadata reads the session first; a rule on the ID alone reads nothing.
    assert_eq!(count_requests(&reqs, "GET", "/zep/api/v2/sessions/keep"), 1);
    assert_eq!(count_requests(&reqs, "GET", "/zep/api/v2/sessions/free"), 1);
    assert_eq!(
        count_requests(&reqs, "GET", "/zep/api/v2/sessions/demo-1"),
        0
    );
}

#[test]
fn end_and_delete_refuse_a_protected_id_alike() {
    let env = env_protecting(BOTH);
    let (doc, code) = run_json(env.cmd("zp").args(["end", "keep"]));
    assert_eq!(code, 1, "{doc:#}");
    assert_refused(&env, &doc, "keep", "metadata.keep=true");
    let (doc, code) = run_json(env.cmd("zp").args(["delete", "--yes", "demo-1", "free"]));
    assert_eq!(code, 1, "{doc:#}");
    assert_refused(&env, &doc, "demo-1", "id~=demo-*");
    assert_eq!(result_of(&doc, "free")["outcome"], "deleted");
}

#[test]
fn ids_from_stdin_and_from_a_file_are_refused_alike() {
    let env = env_protecting(BOTH);
    let (doc, code) = run_json(
        env.cmd("zp")
            .args(["end-many", "-"])
            .write_stdin("keep\ndemo-1\n"),
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_refused(&env, &doc, "keep", "metadata.keep=true");
    assert_refused(&env, &doc, "demo-1", "id~=demo-*");
    let file = env.dir.path().join("ids.txt");
    std::fs::write(&file, "demo-1\nkeep\nfree\n").unwrap();
    let (doc, code) = run_json(
        env.cmd("zp")
            .arg("delete")
            .arg("--yes")
            .arg("--file")
            .arg(&file),
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_refused(&env, &doc, "keep", "metadata.keep=true");
    assert_refused(&env, &doc, "demo-1", "id~=demo-*");
    assert_eq!(result_of(&doc, "free")["outcome"], "deleted");
}

#[test]
fn a_pipe_across_profiles_meets_each_lines_own_protect_list() {
    let env = env_protecting(BOTH);
    // The same sessions under `zep`, which protects nothing: only `zp`'s lines are refused.
    let (doc, code) = run_json(
        env.cmd("zp")
            .args(["end-many", "--all-profiles", "-"])
            .write_stdin("zp\tkeep\nzp\tdemo-1\nzp\tfree\n"),
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_refused(&env, &doc, "keep", "metadata.keep=true");
    assert_refused(&env, &doc, "demo-1", "id~=demo-*");
    assert_eq!(result_of(&doc, "keep")["profile"], "zp");
    assert_eq!(result_of(&doc, "free")["outcome"], "ended");
    let (doc, code) = run_json(
        env.cmd("zp")
            .args(["end-many", "--all-profiles", "-"])
            .write_stdin("zep\tkeep\n"),
    );
    assert_eq!(
        code, 0,
        "another profile's list protects nothing here: {doc:#}"
    );
    assert_eq!(result_of(&doc, "keep")["outcome"], "ended");
}

#[test]
fn a_sweep_reports_protected_sessions_and_leaves_them_alone() {
    let env = env_protecting(BOTH);
    let (doc, code) =
        run_json(
            env.cmd("zp")
                .env("SESSIONCTL_NOW", NOW)
                .args(["end-many", "--idle-for", "1h"]),
        );
    assert_eq!(
        code, 0,
        "a sweep's protected sessions are no failure: {doc:#}"
    );
    for (id, rule) in [("keep", "metadata.keep=true"), ("demo-1", "id~=demo-*")] {
        let r = result_of(&doc, id);
        assert_eq!(r["outcome"], "protected", "{doc:#}");
        assert_eq!(r["note"], format!("protected by `{rule}`: left alone"));
        assert!(r["error"].is_null(), "{r}");
        assert!(r["reason"].as_str().unwrap().starts_with("idle 5h"), "{r}");
        assert_eq!(writes_for(&env, id), Vec::<String>::new());
    }
    assert_eq!(result_of(&doc, "free")["outcome"], "ended");
    assert_eq!(doc["summary"]["protected"], 2, "{doc:#}");
    // The listing's rows were judged already: no session is read again for the guard.
    let reqs = env.emu.requests();
    assert_eq!(count_requests(&reqs, "GET", "/zep/api/v2/sessions/free"), 0);
    let (doc, code) = run_json(env.cmd("zp").env("SESSIONCTL_NOW", NOW).args([
        "delete",
        "--yes",
        "--idle-for",
        "1h",
    ]));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "keep")["outcome"], "protected");
    assert_eq!(env.emu.zep_session_ended("keep"), Some(false));
}

#[test]
fn dry_runs_show_protected_sessions_as_such() {
    let env = env_protecting(BOTH);
    let (doc, code) = run_json(env.cmd("zp").env("SESSIONCTL_NOW", NOW).args([
        "end-many",
        "--idle-for",
        "1h",
        "--dry-run",
    ]));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "keep")["outcome"], "protected", "{doc:#}");
    assert_eq!(result_of(&doc, "demo-1")["outcome"], "protected");
    assert_eq!(result_of(&doc, "free")["outcome"], "would_end");
    // IDs: a server dry run reads and refuses as a real run would; a client dry run sends
    // nothing, so it decides the ID's own rules and says what it could not check.
    let (doc, code) =
        run_json(
            env.cmd("zp")
                .args(["end-many", "--dry-run=server", "keep", "free"]),
        );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(result_of(&doc, "keep")["outcome"], "protected");
    assert_eq!(result_of(&doc, "free")["outcome"], "would_end");
    let before = env.emu.requests().len();
    let (doc, code) = run_json(
        env.cmd("zp")
            .args(["end-many", "--dry-run", "demo-1", "keep"]),
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(
        env.emu.requests().len(),
        before,
        "a client dry run sends nothing"
    );
    assert_eq!(result_of(&doc, "demo-1")["outcome"], "protected");
    let keep = result_of(&doc, "keep");
    assert_eq!(keep["outcome"], "would_end");
    assert!(
        keep["note"]
            .as_str()
            .unwrap()
            .contains("a real run reads it first"),
        "{keep}"
    );
    assert!(writes_for(&env, "keep").is_empty() && writes_for(&env, "free").is_empty());
}

#[test]
fn a_resumed_journal_sends_nothing_for_a_protected_session() {
    let env = env_protecting(BOTH);
    // A run killed after recording attempts on all three, none answered.
    let path = env.dir.path().join("killed.journal");
    let mut text = String::from(
        r#"{"type":"start","journal":1,"run_id":"r1","at":"2026-11-30T00:00:00.000Z","action":"end","dry_run":null,"profiles":["zp"]}"#,
    );
    for id in ["keep", "demo-1", "free"] {
        text.push_str(&format!(
            "\n{{\"type\":\"attempt\",\"run_id\":\"r1\",\"at\":\"2026-11-30T00:00:00.000Z\",\"profile\":\"zp\",\"id\":\"{id}\"}}"
        ));
    }
    std::fs::write(&path, text + "\n").unwrap();
    let (doc, code) = run_json(
        env.cmd("zp")
            .env("SESSIONCTL_NOW", NOW)
            .args(["end-many", "--idle-for", "1h", "--resume"])
            .arg(&path),
    );
    assert_eq!(code, 1, "a resumed protected ID is refused: {doc:#}");
    let ids: Vec<&str> = (doc["results"].as_array().unwrap().iter())
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "each session once: {doc:#}");
    assert_refused(&env, &doc, "keep", "metadata.keep=true");
    assert_refused(&env, &doc, "demo-1", "id~=demo-*");
    assert_eq!(result_of(&doc, "free")["outcome"], "ended");
}

/// Digital Samba reads one session (`GET /sessions/{id}`, its statistics): an explicit ID
/// a rule on its room covers is read, then refused.
#[test]
fn an_explicit_id_is_read_for_a_rule_beyond_its_id() {
    let env = Env::new();
    env.add_profile(
        "sp",
        &format!(
            "provider = \"digital-samba\"\nbase_url = \"{}\"\nteam_id = \"{}\"\napi_key_env = \"{}\"\nprotect = [\"room=lobby\"]",
            env.emu.samba_url(),
            common::emulator::samba::SAMBA_TEAM,
            common::SAMBA_ENV
        ),
    );
    let samba = |id: &str, room: &str| {
        Seed::from(common::emulator::samba::SessionSeed {
            id: id.into(),
            room_id: room.into(),
            start_time: OLD.into(),
            live: true,
            participants_live: Some(0),
        })
    };
    env.emu
        .seed_many([samba("ds-1", "lobby"), samba("ds-2", "room-2")]);
    let (doc, code) = run_json(env.cmd("sp").args(["end", "ds-1", "ds-2"]));
    assert_eq!(code, 1, "{doc:#}");
    let r = result_of(&doc, "ds-1");
    assert_eq!(r["outcome"], "protected", "{doc:#}");
    let error = r["error"].as_str().unwrap();
    assert!(error.contains("protected by `room=lobby`"), "{error}");
    assert_eq!(result_of(&doc, "ds-2")["outcome"], "ended", "{doc:#}");
    assert_eq!(env.emu.samba_live("ds-1"), Some(true));
    assert!(writes_for(&env, "ds-1").is_empty());
    let reads = (env.emu.requests().into_iter())
        .filter(|r| r.method == "GET" && r.path.ends_with("/sessions/ds-1"))
        .count();
    assert_eq!(reads, 1, "one read");
    // Its sweep reads the room on the listed rows: protected there, and nothing fails.
    let (doc, code) =
        run_json(
            env.cmd("sp")
                .env("SESSIONCTL_NOW", NOW)
                .args(["end-many", "--idle-for", "1h"]),
        );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "ds-1")["outcome"], "protected");
    assert!(writes_for(&env, "ds-1").is_empty());
}

/// elizaOS messaging cannot read one session without a side effect (1.7.2's
/// `GET /api/messaging/sessions/{id}` deletes one that has expired): an explicit ID whose
/// protection depends on its user is refused, never guessed about, and nothing is sent.
#[test]
fn a_provider_that_cannot_read_one_session_refuses_rather_than_guesses() {
    const OPS: &str = "00000000-0000-4000-8000-00000000000a";
    let env = Env::new();
    env.add_profile(
        "ep",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\nprotect = [\"user={OPS}\"]",
            env.emu.messaging_url(),
        ),
    );
    let at = "2024-06-01T07:00:00.000Z";
    env.emu
        .seed(Seed::from(common::emulator::messaging::SessionSeed {
            user_id: OPS.into(),
            expires_at: Some(common::emulator::messaging::NEVER_EXPIRES.into()),
            ..common::emulator::messaging::SessionSeed::at("m-1", at)
        }));
    let (doc, code) = run_json(env.cmd("ep").args(["end", "m-1"]));
    assert_eq!(code, 1, "{doc:#}");
    let r = result_of(&doc, "m-1");
    assert_eq!(r["outcome"], "protected", "{doc:#}");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.contains("cannot tell whether profile `ep`'s protect list (user) covers it")
            && error.contains("cannot read one session"),
        "{error}"
    );
    assert!(writes_for(&env, "m-1").is_empty());
    let reqs = env.emu.requests();
    assert_eq!(
        count_requests(&reqs, "GET", "/api/messaging/sessions/m-1"),
        0,
        "never the read that deletes"
    );
    assert!(env.emu.messaging_exists("m-1"));
    // Its sweep reads the user on the listed rows: protected there, and nothing fails.
    let (doc, code) =
        run_json(
            env.cmd("ep")
                .env("SESSIONCTL_NOW", NOW)
                .args(["end-many", "--idle-for", "1h"]),
        );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "m-1")["outcome"], "protected", "{doc:#}");
    assert!(env.emu.messaging_exists("m-1"));
}

#[test]
fn a_rule_that_could_never_match_is_a_config_error() {
    for (rule, says) in [
        (
            "room=lobby",
            "protect: `room=lobby`: zep has no field `room`",
        ),
        ("keep", "is not FIELD=VALUE"),
    ] {
        let env = Env::new();
        env.add_profile(
            &format!("bad{}", rule.len()),
            &format!(
                "provider = \"zep\"\nbase_url = \"{}\"\napi_key_env = \"{ZEP_ENV}\"\nprotect = [\"{rule}\"]",
                env.emu.zep_v2_url()
            ),
        );
        let (code, _, stderr) =
            common::run(env.cmd(&format!("bad{}", rule.len())).args(["end", "free"]));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(env.emu.requests().is_empty(), "nothing sent");
    }
}

// ---------------------------------------------------------------------------------------
// Re-checking before acting (`--recheck-after`)

/// Polls `done` (a condition on the emulator) until it holds, failing after 30s.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    common::wait_until(what, std::time::Duration::from_secs(30), done)
}

/// A condition on the emulator's request log.
type Sent = dyn Fn(&[common::Recorded]) -> bool;

/// Runs `args` on `profile` (JSON out, `--recheck-after 1s`) with the first request to
/// `fault` (a method and a path) answered 2 s late; once `sent` holds of the emulator's
/// request log, `change` changes the sessions. The run's document and its output.
fn swept_while_changing(
    env: &Env,
    (profile, args): (&str, &[&str]),
    (method, path): (&str, &str),
    (what, sent): (&str, &Sent),
    change: impl FnOnce(),
) -> (Value, std::process::Output) {
    env.emu.fault(
        common::Fault::new(common::FaultKind::ReplyLate(
            std::time::Duration::from_secs(2),
        ))
        .method(method)
        .path(path)
        .times(1),
    );
    let child = env
        .std_cmd(profile)
        .env("SESSIONCTL_NOW", NOW)
        .args(["-o", "json"])
        .args(args)
        .args(["--recheck-after", "1s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(what, || sent(&env.emu.requests()));
    change();
    let out = child.wait_with_output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (doc, out)
}

/// A paced sweep whose first delete is answered late; while it waits, sessions change: one
/// becomes active, one stops matching `--where`, one becomes protected. Each is read again
/// before its turn and left alone; only what still qualifies is deleted.
#[test]
fn sessions_that_change_during_a_paced_run_are_never_acted_on() {
    let env = env_protecting(&["metadata.keep=true"]);
    let staging = || json!({"env": "staging"});
    env.emu.seed_many([
        Seed::zep_session("s0", "2024-06-01T06:00:00Z"),
        Seed::metadata("s0", staging()),
        Seed::zep_session("s1", OLD),
        Seed::metadata("s1", staging()),
        Seed::zep_session("s2", OLD),
        Seed::metadata("s2", staging()),
        Seed::zep_session("s3", OLD),
        Seed::metadata("s3", staging()),
        Seed::zep_session("s4", OLD),
        Seed::metadata("s4", staging()),
    ]);
    // The first delete (the oldest session's) is done at once, its reply held back.
    let (doc, out) = swept_while_changing(
        &env,
        (
            "zp",
            &[
                "delete",
                "--yes",
                "--idle-for",
                "1h",
                "--where",
                "metadata.env=staging",
                "--rate",
                "20/s",
                "--concurrency",
                "1",
            ],
        ),
        ("DELETE", "/sessions/s0/"),
        ("the first delete", &|sent: &[common::Recorded]| {
            count_requests(sent, "DELETE", "/zep/api/v2/sessions/s0/memory") == 1
        }),
        || {
            env.emu.seed_many([
                Seed::messages("s1", &[NOW]),
                Seed::metadata("s2", json!({"env": "prod"})),
                Seed::metadata("s3", json!({"env": "staging", "keep": true})),
            ]);
        },
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a session that changed is no failure: {doc:#}"
    );
    for (id, says) in [
        ("s1", "active again"),
        ("s2", "no longer matches --where metadata.env=staging"),
    ] {
        let r = result_of(&doc, id);
        assert_eq!(r["outcome"], "skipped", "{doc:#}");
        assert_eq!(r["error_kind"], "changed", "{r}");
        assert!(r["error"].as_str().unwrap().contains(says), "{r}");
    }
    assert_eq!(result_of(&doc, "s3")["outcome"], "protected", "{doc:#}");
    for id in ["s1", "s2", "s3"] {
        assert_eq!(
            writes_for(&env, id),
            Vec::<String>::new(),
            "nothing sent for {id}"
        );
    }
    assert_eq!(result_of(&doc, "s0")["outcome"], "deleted");
    assert_eq!(result_of(&doc, "s4")["outcome"], "deleted");
    // Each of the four reached after the held reply was read again (its row, then its
    // newest message): the summary counts them and what they cost.
    let summary = &doc["summary"];
    assert!(summary["rechecked"].as_u64().unwrap() >= 4, "{summary}");
    assert!(
        summary["recheck_requests"].as_u64().unwrap() >= 4,
        "{summary}"
    );
    let reqs = env.emu.requests();
    for id in ["s1", "s2", "s3", "s4"] {
        let path = format!("/zep/api/v2/sessions/{id}");
        assert_eq!(
            count_requests(&reqs, "GET", &path),
            1,
            "{id} read again once"
        );
    }
}

#[test]
fn a_short_run_reads_nothing_again() {
    let env = env_protecting(&["id~=demo-*"]);
    let (doc, code) =
        run_json(
            env.cmd("zp")
                .env("SESSIONCTL_NOW", NOW)
                .args(["end-many", "--idle-for", "1h"]),
        );
    assert_eq!(code, 0, "{doc:#}");
    assert!(doc["summary"]["rechecked"].is_null(), "{doc:#}");
    let reqs = env.emu.requests();
    assert_eq!(count_requests(&reqs, "GET", "/zep/api/v2/sessions/free"), 0);
}

/// A Digital Samba meeting `id`, started at `start`, with `people` live participants.
fn meeting(id: &str, start: &str, live: bool, people: u32) -> Seed {
    Seed::from(common::emulator::samba::SessionSeed {
        id: id.into(),
        room_id: format!("room-{id}"),
        start_time: start.into(),
        live,
        participants_live: Some(people),
    })
}

/// A sweep on `profile` (`end-many --idle-for 1h --concurrency 1`) whose first end, the
/// request `method` to `path` (the oldest session's: seed it so), is answered late; `change`
/// runs once it was sent. See [`swept_while_changing`].
fn end_many_swept_while_changing(
    env: &Env,
    profile: &str,
    (method, path): (&'static str, &'static str),
    change: impl FnOnce(),
) -> (Value, std::process::Output) {
    swept_while_changing(
        env,
        (
            profile,
            &["end-many", "--idle-for", "1h", "--concurrency", "1"],
        ),
        (method, path),
        ("the first end", &move |sent: &[common::Recorded]| {
            (sent.iter()).any(|r| r.method == method && r.path.ends_with(path))
        }),
        change,
    )
}

/// A Digital Samba [`end_many_swept_while_changing`] whose first end is `d0`'s.
fn samba_swept_while_changing(
    env: &Env,
    profile: &str,
    change: impl FnOnce(),
) -> (Value, std::process::Output) {
    end_many_swept_while_changing(env, profile, ("POST", "/sessions/d0/end"), change)
}

/// The same on Digital Samba, read again one session at a time (`GET /sessions/{id}`, its
/// statistics): a meeting someone joined, or one that ended meanwhile, is left alone.
#[test]
fn a_meeting_occupied_during_a_paced_run_is_never_ended() {
    let env = Env::new();
    env.emu.seed_many([
        meeting("d0", "2024-06-01T06:00:00Z", true, 0),
        meeting("d1", OLD, true, 0),
        meeting("d2", OLD, true, 0),
        meeting("d3", OLD, true, 0),
    ]);
    let (doc, out) = samba_swept_while_changing(&env, "samba", || {
        env.emu
            .seed_many([meeting("d1", OLD, true, 2), meeting("d2", OLD, false, 0)]);
    });
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    let d1 = result_of(&doc, "d1");
    assert_eq!(
        (&d1["outcome"], &d1["error_kind"]),
        (&json!("skipped"), &json!("changed"))
    );
    assert!(
        d1["error"]
            .as_str()
            .unwrap()
            .contains("occupied again: 2 live participant(s)"),
        "{d1}"
    );
    let d2 = result_of(&doc, "d2");
    assert_eq!(d2["outcome"], "skipped", "{doc:#}");
    assert!(
        d2["error"]
            .as_str()
            .unwrap()
            .contains("no longer active: it ended"),
        "{d2}"
    );
    assert_eq!(result_of(&doc, "d3")["outcome"], "ended");
    for id in ["d1", "d2"] {
        assert_eq!(
            writes_for(&env, id),
            Vec::<String>::new(),
            "nothing sent for {id}"
        );
    }
    assert!(
        doc["summary"]["recheck_requests"].as_u64().unwrap() >= 1,
        "{doc:#}"
    );
}

#[test]
fn recheck_after_goes_only_with_a_sweep() {
    let env = env_protecting(&["id~=demo-*"]);
    let (code, _, stderr) =
        common::run(
            env.cmd("zp")
                .args(["end-many", "free", "--recheck-after", "5s"]),
        );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--recheck-after re-checks what a sweep listed"),
        "{stderr}"
    );
    assert!(env.emu.requests().is_empty());
}

/// An elizaOS sweep on `profile` (`end-many --idle-for 1h --concurrency 1`) of `m0` (the
/// oldest), `m1` and `m2`, whose first end (m0's) is answered late; `change` runs once it
/// was sent. See [`swept_while_changing`].
fn eliza_swept_while_changing(
    env: &Env,
    profile: &str,
    change: impl FnOnce(),
) -> (Value, std::process::Output) {
    env.emu.seed_many([
        Seed::messaging("m0", "2024-06-01T06:00:00.000Z"),
        Seed::messaging("m1", "2024-06-01T07:00:00.000Z"),
        Seed::messaging("m2", "2024-06-01T07:00:00.000Z"),
    ]);
    end_many_swept_while_changing(env, profile, ("DELETE", "/sessions/m0"), change)
}

/// The same on elizaOS, whose list is one streamed reply: one listing reads the session again.
#[test]
fn an_eliza_session_used_again_during_a_paced_run_is_never_ended() {
    let env = Env::new();
    let (doc, out) = eliza_swept_while_changing(&env, "eliza", || {
        env.emu.seed(Seed::messaging("m1", NOW));
    });
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    let m1 = result_of(&doc, "m1");
    assert_eq!(
        (&m1["outcome"], &m1["error_kind"]),
        (&json!("skipped"), &json!("changed")),
        "{doc:#}"
    );
    assert!(
        m1["error"]
            .as_str()
            .unwrap()
            .contains("active again: last activity"),
        "{m1}"
    );
    assert!(env.emu.messaging_exists("m1"), "nothing sent for m1");
    assert_eq!(result_of(&doc, "m0")["outcome"], "ended");
    assert_eq!(result_of(&doc, "m2")["outcome"], "ended");
}

/// An elizaOS profile `ek` protecting `metadata.keep=true`, with `k1` and `k2` (kept) and
/// `s1`, `s2`, all idle since [`OLD`]; `more` free sessions `f1`… besides.
fn eliza_protecting(more: usize) -> Env {
    let env = Env::new();
    env.add_profile(
        "ek",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\nprotect = [\"metadata.keep=true\"]",
            env.emu.messaging_url()
        ),
    );
    let old = "2024-06-01T07:00:00.000Z";
    env.emu.seed_many(
        ["k1", "k2", "s1", "s2"]
            .into_iter()
            .map(str::to_owned)
            .chain((1..=more).map(|i| format!("f{i}")))
            .map(|id| Seed::messaging(&id, old)),
    );
    env.emu.seed_many([
        Seed::metadata("k1", json!({"keep": true})),
        Seed::metadata("k2", json!({"keep": true})),
    ]);
    env
}

/// Two minutes after [`NOW`]: a plan made at `NOW` is that old, past a `--recheck-after 1s`.
const LATER: &str = "2024-06-01T12:02:00Z";

/// The sweep plan `COMMAND --idle-for 1h` of `ek` at [`NOW`], in `plan.json`.
fn eliza_plan(env: &Env, command: &str) -> std::path::PathBuf {
    let plan = env.dir.path().join("plan.json");
    let (doc, code) = run_json(
        env.cmd("ek")
            .env("SESSIONCTL_NOW", NOW)
            .args([command, "--idle-for", "1h", "--plan"])
            .arg(&plan),
    );
    assert_eq!(code, 0, "{doc:#}");
    plan
}

/// elizaOS cannot read one session, so its re-check relists: the protect list is decided on
/// the rows that relisting sent (as a live sweep decides it on its listing), never on the
/// plan's own evidence, and what it leaves unprotected is acted on.
#[test]
fn an_eliza_plan_is_cleared_of_its_protect_list_by_the_relisting() {
    let env = eliza_protecting(0);
    let plan = eliza_plan(&env, "delete");
    let p = read_plan(&plan);
    let ids = |key: &str| -> Vec<String> {
        let mut ids: Vec<String> = (p[key].as_array().unwrap().iter())
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids("sessions"), ["s1", "s2"], "{p:#}");
    assert_eq!(ids("protected"), ["k1", "k2"], "{p:#}");
    // `s2` is protected since the plan was made; the relisting shows it. It relists even
    // applied at once, its evidence younger than `--recheck-after`: the plan's evidence
    // (which anyone may edit) is no proof, and this provider cannot read one session, so
    // without it every session would be refused as "cannot tell".
    env.emu.seed(Seed::metadata("s2", json!({"keep": true})));
    let (doc, code) = run_json(apply_cmd_on(&env, "ek", &plan, NOW).arg("--dry-run"));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "s1")["outcome"], "would_delete", "{doc:#}");
    assert_eq!(result_of(&doc, "s2")["outcome"], "protected", "{doc:#}");
    let recheck = ["--recheck-after", "1s"];
    let (doc, code) = run_json(
        apply_cmd_on(&env, "ek", &plan, LATER)
            .arg("--dry-run")
            .args(recheck),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "s1")["outcome"], "would_delete", "{doc:#}");
    assert_eq!(result_of(&doc, "s2")["outcome"], "protected", "{doc:#}");
    assert!(env.emu.messaging_exists("s1"), "a dry run deletes nothing");
    let (doc, code) = run_json(
        apply_cmd_on(&env, "ek", &plan, LATER)
            .arg("--yes")
            .args(recheck),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "s1")["outcome"], "deleted", "{doc:#}");
    let s2 = result_of(&doc, "s2");
    assert_eq!(s2["outcome"], "protected", "{doc:#}");
    assert!(
        s2["note"].as_str().unwrap().contains("metadata.keep=true"),
        "{s2}"
    );
    assert!(!env.emu.messaging_exists("s1"));
    for id in ["s2", "k1", "k2"] {
        assert!(env.emu.messaging_exists(id), "nothing sent for {id}");
    }
}

/// The batches in flight at once share one relisting: a plan of elizaOS sessions, applied
/// at `--concurrency 8` once its evidence is past the bound, is read again by one listing,
/// whose rows every batch is judged on (an end sends no other GET: a delete's own channel
/// lookup would be one more).
#[test]
fn concurrent_batches_share_one_relisting() {
    let env = eliza_protecting(4);
    let plan = eliza_plan(&env, "end-many");
    let before = env.emu.requests().len();
    let (doc, code) = run_json(apply_cmd_on(&env, "ek", &plan, LATER).args([
        "--recheck-after",
        "1s",
        "--concurrency",
        "8",
    ]));
    assert_eq!(code, 0, "{doc:#}");
    for id in ["s1", "s2", "f1", "f2", "f3", "f4"] {
        assert_eq!(result_of(&doc, id)["outcome"], "ended", "{doc:#}");
    }
    let sent = env.emu.requests().split_off(before);
    assert_eq!(
        count_requests(&sent, "GET", "/api/messaging/sessions"),
        1,
        "one listing for every batch: {sent:?}"
    );
    assert_eq!(doc["summary"]["rechecked"], 6, "{doc:#}");
    assert_eq!(doc["summary"]["recheck_requests"], 1, "{doc:#}");
}

/// A session read again says what that read measured, on which its verdict was made: not the
/// plan's evidence (`s1`, used at 10:00 after the plan said 07:00, is still idle, and its
/// reason names 10:00).
#[test]
fn a_rechecked_session_says_what_was_read_again() {
    let env = eliza_protecting(0);
    let plan = eliza_plan(&env, "end-many");
    let planned = read_plan(&plan);
    let s1 = (planned["sessions"].as_array().unwrap().iter())
        .find(|s| s["id"] == "s1")
        .unwrap();
    assert!(
        s1["reason"]
            .as_str()
            .unwrap()
            .contains("2024-06-01T07:00:00"),
        "{s1}"
    );
    env.emu
        .seed(Seed::messaging("s1", "2024-06-01T10:00:00.000Z"));
    let (doc, code) =
        run_json(apply_cmd_on(&env, "ek", &plan, LATER).args(["--recheck-after", "1s"]));
    assert_eq!(code, 0, "{doc:#}");
    let r = result_of(&doc, "s1");
    assert_eq!(r["outcome"], "ended", "{doc:#}");
    let reason = r["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("idle 2h") && reason.contains("2024-06-01T10:00:00"),
        "{r}"
    );
    assert!(!reason.contains("07:00:00"), "not the plan's evidence: {r}");
    // One not used since says the same as the plan did, measured again.
    let s2 = result_of(&doc, "s2")["reason"].as_str().unwrap().to_owned();
    assert!(
        s2.starts_with("idle 5h") && s2.contains("2024-06-01T07:00:00"),
        "{s2}"
    );
}

/// The re-check's relist keeps the listing's `max_listed`: when sessions pile up during a
/// paced run past that bound, the relist fails, and what it was to read again is left alone
/// (never acted on by its old verdict), not read on without end nor ended anyway.
#[test]
fn a_relist_past_max_listed_acts_on_nothing_it_could_not_read_again() {
    let env = Env::new();
    env.add_profile(
        "eliza-small",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\nmax_listed = 3\nmax_backoff = \"100ms\"",
            env.emu.messaging_url()
        ),
    );
    let (doc, out) = eliza_swept_while_changing(&env, "eliza-small", || {
        env.emu
            .seed_many((1..=5).map(|i| Seed::messaging(&format!("new-{i}"), NOW)));
    });
    assert_eq!(result_of(&doc, "m0")["outcome"], "ended", "{doc:#}");
    for id in ["m1", "m2"] {
        let r = result_of(&doc, id);
        assert_eq!(r["outcome"], "skipped", "{doc:#}");
        // Why it could not: the relist met the listing's own bound, and says which.
        let error = r["error"].as_str().unwrap();
        assert!(
            error.contains("could not be read again: ") && error.contains("max_listed"),
            "{r}"
        );
        assert!(env.emu.messaging_exists(id), "nothing sent for {id}");
    }
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
}

/// A relist whose page holds more sessions than its `total_count` announces is refused as
/// the listing refuses it: the sessions it had to read again are left alone, never acted on
/// the word of a reply that contradicts itself (a declared Digital Samba, which relists).
#[test]
fn a_relist_that_sends_more_than_it_announced_acts_on_nothing() {
    let env = Env::declared_samba();
    env.emu.seed_many([
        meeting("d0", "2024-06-01T06:00:00Z", true, 0),
        meeting("d1", OLD, true, 0),
        meeting("d2", OLD, true, 0),
    ]);
    let row = |id: &str| {
        json!({"id": id, "room_id": format!("room-{id}"), "start_time": OLD, "end_time": null,
               "live": true, "participants_live": 0})
    };
    let page = json!({"total_count": "1", "data": [row("d1"), row("d2")]});
    let (doc, out) = samba_swept_while_changing(&env, "ds", || {
        env.emu.fault(
            common::Fault::status(200)
                .body(&page.to_string())
                .method("GET")
                .path("/sessions"),
        );
    });
    assert_eq!(result_of(&doc, "d0")["outcome"], "ended", "{doc:#}");
    for id in ["d1", "d2"] {
        let r = result_of(&doc, id);
        assert_eq!(r["outcome"], "skipped", "{doc:#}");
        let error = r["error"].as_str().unwrap();
        assert!(
            error.contains("could not be read again: ")
                && error.contains("the server announced 1 session but sent 2 different ones"),
            "{r}"
        );
        let ends = count_requests(&env.emu.requests(), "POST", &format!("/sessions/{id}/end"));
        assert_eq!(ends, 0, "nothing sent for {id}");
    }
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
}

// ---------------------------------------------------------------------------------------
// Saved plans (`--plan FILE`, `sessionctl apply FILE`)

fn read_plan(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The plan a sweep of `zp` at [`NOW`] (`args`, `--plan` added) writes to `plan.json`: its
/// path, with the run's result and exit code.
fn sweep_plan(env: &Env, args: &[&str]) -> (std::path::PathBuf, Value, i32) {
    let plan = env.dir.path().join("plan.json");
    let (doc, code) = run_json(
        env.cmd("zp")
            .env("SESSIONCTL_NOW", NOW)
            .args(args)
            .arg("--plan")
            .arg(&plan),
    );
    (plan, doc, code)
}

/// `apply PLAN` on `zp` at [`NOW`], for a test to add its flags to and run.
fn apply_cmd(env: &Env, plan: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = env.cmd("zp");
    cmd.env("SESSIONCTL_NOW", NOW).arg("apply").arg(plan);
    cmd
}

/// `apply PLAN` on `profile` at `now`, for a test to add its flags to and run.
fn apply_cmd_on(
    env: &Env,
    profile: &str,
    plan: &std::path::Path,
    now: &str,
) -> assert_cmd::Command {
    let mut cmd = env.cmd(profile);
    cmd.env("SESSIONCTL_NOW", now).arg("apply").arg(plan);
    cmd
}

#[test]
fn a_plan_sends_nothing_and_apply_acts_on_exactly_its_sessions() {
    let env = env_protecting(BOTH);
    let (plan, doc, code) = sweep_plan(&env, &["delete", "--idle-for", "1h"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "free")["outcome"], "would_delete");
    for id in ["keep", "demo-1", "free"] {
        assert!(
            writes_for(&env, id).is_empty(),
            "a plan sends nothing for {id}"
        );
    }
    let p = read_plan(&plan);
    assert_eq!(p["sessionctl_plan"], 2);
    assert_eq!(p["made_at"], NOW);
    assert_eq!(p["action"], "delete");
    assert_eq!(p["profiles"], json!(["zp"]));
    assert_eq!(p["selection"]["idle_for"], "1h");
    assert!(
        p["config"]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("fnv1a64:")
    );
    let sessions = p["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{p:#}");
    assert_eq!(sessions[0]["id"], "free");
    assert_eq!(sessions[0]["evidence"]["activity"], OLD);
    assert!(
        sessions[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("idle 5h"),
        "{p:#}"
    );
    let kept: Vec<&str> = (p["protected"].as_array().unwrap().iter())
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(kept.len(), 2, "{p:#}");
    // A session that went idle after the plan was made is not in it, so never touched.
    env.emu.seed(Seed::zep_session("late", OLD));
    let (doc, code) = run_json(apply_cmd(&env, &plan).arg("--yes"));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(common::outcomes_once(&doc).len(), 1, "{doc:#}");
    assert_eq!(result_of(&doc, "free")["outcome"], "deleted");
    for id in ["keep", "demo-1", "late"] {
        assert!(
            writes_for(&env, id).is_empty(),
            "nothing outside the plan: {id}"
        );
    }
}

#[test]
fn apply_takes_a_filtered_plan_and_skips_what_changed() {
    let env = env_protecting(&["id~=demo-*"]);
    env.emu
        .seed_many([Seed::zep_session("a", OLD), Seed::zep_session("b", OLD)]);
    let (plan, _, code) = sweep_plan(&env, &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    // As `jq '.sessions |= map(select(.id != "free"))'` would.
    let mut p = read_plan(&plan);
    p["sessions"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["id"] != "free");
    std::fs::write(&plan, serde_json::to_vec_pretty(&p).unwrap()).unwrap();
    // `b` is used again after the plan was made.
    env.emu.seed(Seed::messages("b", &[NOW]));
    let (doc, code) = run_json(apply_cmd(&env, &plan).args(["--recheck-after", "0s"]));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "a")["outcome"], "ended");
    let b = result_of(&doc, "b");
    assert_eq!(
        (&b["outcome"], &b["error_kind"]),
        (&json!("skipped"), &json!("changed")),
        "{doc:#}"
    );
    assert!(writes_for(&env, "b").is_empty() && writes_for(&env, "free").is_empty());
    // `a`, `b` and `keep`: `free` was filtered out of the plan, `demo-1` is protected.
    assert_eq!(common::outcomes_once(&doc).len(), 3, "{doc:#}");
    assert_eq!(doc["summary"]["rechecked"], 3, "{doc:#}");
    // A dry run of the same plan sends nothing that changes state, and shows what would
    // still happen: `b` is read again and skipped, as the real run skipped it.
    let before = env.emu.requests().len();
    let (doc, code) = run_json(apply_cmd(&env, &plan).args(["--dry-run", "--recheck-after", "0s"]));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "b")["error_kind"], "changed", "{doc:#}");
    let sent = env.emu.requests().split_off(before);
    assert!(sent.iter().all(|r| r.method == "GET"), "{sent:?}");
}

#[test]
fn apply_refuses_a_plan_for_another_config_profile_or_time() {
    let env = env_protecting(&["id~=demo-*"]);
    let (plan, _, code) = sweep_plan(&env, &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    let apply = |profile: &str, now: &str, extra: &[&str]| {
        common::run(
            env.cmd(profile)
                .env("SESSIONCTL_NOW", now)
                .arg("apply")
                .arg(&plan)
                .args(extra),
        )
    };
    let (code, _, stderr) = apply("zep", NOW, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "the plan was made for profile zp; this run's is zep (pass -p zp as the plan was made)"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = apply("zp", "2024-06-01T14:00:00Z", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("made 2 hours ago, more than --max-age 1 hour"),
        "{stderr}"
    );
    // Just over the bound, the age is said to the second, not as the bound itself.
    let (code, _, stderr) = apply("zp", "2024-06-01T13:00:30Z", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("made 1 hour (3630.0 s) ago, more than --max-age 1 hour (3600.0 s)"),
        "{stderr}"
    );
    env.add_profile("other", "provider = \"messaging\"");
    let (code, _, stderr) = apply("zp", NOW, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("another config"), "{stderr}");
    assert!(writes_for(&env, "free").is_empty(), "nothing sent");
    // IDs given can be planned too (#22: every command that acts), sending nothing.
    let given = env.dir.path().join("given.json");
    let (code, _, stderr) = common::run(
        env.cmd("zp")
            .args(["end-many", "free", "--plan"])
            .arg(&given),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read_plan(&given)["sessions"][0]["id"], "free");
    assert!(writes_for(&env, "free").is_empty(), "nothing sent");
}

#[test]
fn apply_refuses_a_protected_session_added_to_a_plan() {
    let env = env_protecting(BOTH);
    let (plan, _, code) = sweep_plan(&env, &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    // An entry for `keep` whose evidence leaves out the metadata that protects it: not one
    // the plan was made with (its seal is `free`'s), so the whole plan is refused.
    let mut p = read_plan(&plan);
    let mut forged = p["sessions"][0].clone();
    forged["id"] = json!("keep");
    forged["evidence"] =
        json!({"id": "keep", "active": true, "activity": OLD, "owner": null, "created": OLD});
    p["sessions"].as_array_mut().unwrap().push(forged);
    let edited = write_plan(&env, &p);
    let (code, _, stderr) = common::run(&mut apply_cmd(&env, &edited));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("session `keep`") && stderr.contains("not one the plan was made with"),
        "{stderr}"
    );
    assert!(writes_for(&env, "keep").is_empty() && writes_for(&env, "free").is_empty());
    // A planned session protected since the plan was made: the protect list never trusts
    // the plan's evidence (`keep=false` there), it reads the session again first.
    env.emu.seed(Seed::metadata("free", json!({"keep": true})));
    let (doc, code) = run_json(&mut apply_cmd(&env, &plan));
    assert_eq!(code, 1, "{doc:#}");
    assert_refused(&env, &doc, "free", "metadata.keep=true");
}

/// What `apply` says of an entry whose seal does not match.
const SEALED: &str = "not one the plan was made with";

#[test]
fn apply_refuses_a_plan_whose_head_was_edited() {
    let env = env_protecting(&["id~=demo-*"]);
    let (plan, _, code) = sweep_plan(&env, &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    // `free` is used again after the plan was made. A sweep's plan judges it again before
    // acting; the same entries under a plan of IDs given would not be judged again (the
    // review found it ended that way), nor under another sweep's terms.
    env.emu.seed(Seed::messages("free", &[NOW]));
    type Edit = fn(&mut Value);
    let edits: [(&str, &str, Edit); 4] = [
        // (Its entries carry the sweep's evidence, which a plan of IDs never has.)
        (
            "selection to IDs given",
            "carries a sweep's evidence",
            |p| p["selection"] = json!({"given": "arguments"}),
        ),
        ("another idle_for", SEALED, |p| {
            p["selection"]["idle_for"] = json!("1m")
        }),
        ("all_profiles", SEALED, |p| p["all_profiles"] = json!(true)),
        ("the action", SEALED, |p| {
            p["action"] = json!("delete");
            for s in p["sessions"].as_array_mut().unwrap() {
                s["action"] = json!("delete");
            }
        }),
    ];
    for (what, says, edit) in edits {
        let mut p = read_plan(&plan);
        edit(&mut p);
        let edited = write_plan(&env, &p);
        let (code, _, stderr) = common::run(apply_cmd(&env, &edited).arg("--yes"));
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(stderr.contains(says), "{what}: {stderr}");
    }
    assert!(
        writes_for(&env, "free").is_empty() && writes_for(&env, "keep").is_empty(),
        "nothing sent for an edited plan"
    );
    assert_eq!(env.emu.zep_session_ended("free"), Some(false));
    // The plan as written still applies, and skips `free`, which changed.
    let (doc, code) = run_json(apply_cmd(&env, &plan).args(["--recheck-after", "0s"]));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "free")["error_kind"], "changed", "{doc:#}");
    assert_eq!(result_of(&doc, "keep")["outcome"], "ended", "{doc:#}");
}

/// A plan made "later than now" (a clock ahead, or `SESSIONCTL_NOW` in the future) would pass
/// `--max-age` and look too young to re-check: refused, nothing sent.
#[test]
fn apply_refuses_a_plan_made_in_the_future() {
    let env = env_protecting(&["id~=demo-*"]);
    let plan = env.dir.path().join("plan.json");
    let (_, code) = run_json(
        env.cmd("zp")
            .env("SESSIONCTL_NOW", "2024-06-01T14:00:00Z")
            .args(["end-many", "--idle-for", "1h", "--plan"])
            .arg(&plan),
    );
    assert_eq!(code, 0);
    let (code, _, stderr) = common::run(
        env.cmd("zp")
            .env("SESSIONCTL_NOW", NOW)
            .arg("apply")
            .arg(&plan),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("later than now"), "{stderr}");
    assert!(writes_for(&env, "free").is_empty() && writes_for(&env, "keep").is_empty());
    // A minute ahead is a clock's drift, not a refusal.
    let (_, code) = run_json(
        env.cmd("zp")
            .env("SESSIONCTL_NOW", "2024-06-01T12:00:30Z")
            .args(["end-many", "--idle-for", "1h", "--plan"])
            .arg(&plan),
    );
    assert_eq!(code, 0);
    let (doc, code) = run_json(
        env.cmd("zp")
            .env("SESSIONCTL_NOW", NOW)
            .arg("apply")
            .arg(&plan),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "free")["outcome"], "ended", "{doc:#}");
}

#[test]
fn a_plan_of_ids_carrying_a_sweeps_evidence_is_refused() {
    let env = env_protecting(&["id~=demo-*"]);
    let (p, _, code) = plan_of(&env, &["end-many", "free", "keep"], "");
    assert_eq!(code, 0, "{p:#}");
    // A sweep's verdict pasted in from a sweep's plan: a plan of IDs never judges it, so an
    // entry carrying it is not one its run wrote, whatever its seal says.
    type Edit = fn(&mut Value);
    let edits: [(&str, Edit); 3] = [
        ("evidence", |p| {
            p["sessions"][0]["evidence"] = json!({"id": "free", "active": true, "activity": OLD})
        }),
        ("reason", |p| p["sessions"][1]["reason"] = json!("idle 5h")),
        ("idle_secs", |p| {
            p["sessions"][0]["idle_secs"] = json!(18000)
        }),
    ];
    for (what, edit) in edits {
        let mut edited = p.clone();
        edit(&mut edited);
        let edited = write_plan(&env, &edited);
        let (code, _, stderr) = common::run(
            env.cmd("zp")
                .env("SESSIONCTL_NOW", NOW)
                .arg("apply")
                .arg(&edited),
        );
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(
            stderr.contains("carries a sweep's evidence"),
            "{what}: {stderr}"
        );
    }
    assert!(writes_for(&env, "free").is_empty() && writes_for(&env, "keep").is_empty());
}

#[test]
fn a_plan_of_every_profile_applies_to_each_profile_it_names() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::zep_session("z1", OLD),
        Seed::messaging("m1", "2024-06-01T07:00:00.000Z"),
    ]);
    let plan = env.dir.path().join("plan.json");
    let (doc, code) = run_json(
        env.cmd("zep")
            .env("SESSIONCTL_NOW", NOW)
            .args(["end-many", "--idle-for", "1h", "--all-profiles", "--plan"])
            .arg(&plan),
    );
    assert_eq!(code, 0, "{doc:#}");
    let p = read_plan(&plan);
    assert_eq!(p["all_profiles"], true);
    assert_eq!(p["sessions"].as_array().unwrap().len(), 2, "{p:#}");
    // Threads have no end: the sweep skipped those profiles, and said so, when the plan was
    // made; the plan does not name them, and its apply does not speak of them again.
    assert!(
        !p["profiles"].as_array().unwrap().contains(&json!("zep3")),
        "{p:#}"
    );
    let (code, stdout, stderr) = common::run(
        env.cmd("zep")
            .env("SESSIONCTL_NOW", NOW)
            .args(["-o", "json", "apply"])
            .arg(&plan),
    );
    assert!(!stderr.contains("skipping profile"), "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "z1")["outcome"], "ended");
    assert_eq!(result_of(&doc, "z1")["profile"], "zep");
    assert_eq!(result_of(&doc, "m1")["outcome"], "ended");
    assert_eq!(env.emu.zep_session_ended("z1"), Some(true));
}

#[test]
fn apply_honours_the_caps_and_the_journal_like_any_run() {
    let env = env_protecting(&["id~=demo-*"]);
    let (plan, _, code) = sweep_plan(&env, &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    // Two sessions planned (`keep`, `free`), a cap of one: refused, nothing sent.
    let (code, _, stderr) = common::run(apply_cmd(&env, &plan).args(["--max", "1"]));
    assert_eq!(code, 4, "{stderr}");
    assert!(writes_for(&env, "keep").is_empty() && writes_for(&env, "free").is_empty());
    let journal = env.dir.path().join("apply.journal");
    let (doc, code) = run_json(apply_cmd(&env, &plan).arg("--journal").arg(&journal));
    assert_eq!(code, 0, "{doc:#}");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(text.matches("\"type\":\"result\"").count(), 2, "{text}");
}

#[test]
fn plan_without_a_sweep_or_ids_names_what_plan_needs() {
    let env = env_protecting(&["id~=demo-*"]);
    for args in [
        &["end-many", "--plan", "p.json"][..],
        &["delete", "--plan", "p.json"],
        &["delete", "--yes", "--plan", "p.json"],
    ] {
        let (code, _, stderr) = common::run(env.cmd("zp").args(args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains("--plan writes what a run would act on")
                && !stderr.contains("no session IDs given"),
            "{args:?}: {stderr}"
        );
    }
    assert!(env.emu.requests().is_empty(), "nothing read or sent");
}

#[test]
fn plan_is_refused_with_a_dry_run() {
    let env = env_protecting(&["id~=demo-*"]);
    let plan = env.dir.path().join("p.json");
    for args in [
        &["end-many", "--idle-for", "1h", "--dry-run"][..],
        &["delete", "--idle-for", "1h", "--dry-run=server"],
        &["end", "free", "--dry-run"],
        &["end-many", "free", "--dry-run=server"],
    ] {
        let (code, _, stderr) = common::run(
            env.cmd("zp")
                .env("SESSIONCTL_NOW", NOW)
                .args(args)
                .arg("--plan")
                .arg(&plan),
        );
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains("--plan") && stderr.contains("--dry-run"),
            "{args:?}: {stderr}"
        );
    }
    assert!(env.emu.requests().is_empty(), "nothing read or sent");
    assert!(!plan.exists(), "no plan written");
}

/// The plan `args` (a command with `--plan`) writes, with its result and exit code;
/// `stdin` is piped in.
fn plan_of(env: &Env, args: &[&str], stdin: &str) -> (Value, Value, i32) {
    let plan = env.dir.path().join("ids-plan.json");
    let (doc, code) = run_json(
        env.cmd("zp")
            .env("SESSIONCTL_NOW", NOW)
            .args(args)
            .arg("--plan")
            .arg(&plan)
            .write_stdin(stdin),
    );
    (read_plan(&plan), doc, code)
}

fn write_plan(env: &Env, plan: &Value) -> std::path::PathBuf {
    let path = env.dir.path().join("edited.json");
    std::fs::write(&path, serde_json::to_vec_pretty(plan).unwrap()).unwrap();
    path
}

fn planned_ids(plan: &Value) -> Vec<&str> {
    (plan["sessions"].as_array().unwrap().iter())
        .map(|s| s["id"].as_str().unwrap())
        .collect()
}

#[test]
fn ids_given_are_planned_and_apply_acts_on_the_rest_of_a_filtered_plan() {
    let env = env_protecting(BOTH);
    env.emu
        .seed_many([Seed::zep_session("a", OLD), Seed::zep_session("b", OLD)]);
    let args = ["end", "a", "b", "keep", "free", "demo-1", "a"];
    let (p, doc, code) = plan_of(&env, &args, "");
    // `demo-1` is refused by its ID alone, `keep` once read for its metadata, as a real run
    // refuses them (exit 1).
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(result_of(&doc, "a")["outcome"], "would_end");
    assert_eq!(result_of(&doc, "keep")["outcome"], "protected", "{doc:#}");
    for id in ["a", "b", "keep", "free", "demo-1"] {
        assert!(
            writes_for(&env, id).is_empty(),
            "a plan sends nothing: {id}"
        );
    }
    assert_eq!(p["action"], "end");
    assert_eq!(p["selection"]["given"], "arguments");
    assert_eq!(planned_ids(&p), ["a", "b", "free"], "{p:#}");
    let entry = &p["sessions"][0];
    assert!(
        entry.get("evidence").is_none(),
        "an ID is chosen on its ID: {p:#}"
    );
    assert!(
        entry["seal"].as_str().unwrap().starts_with("fnv1a64:"),
        "{p:#}"
    );
    let kept: Vec<(&str, &str)> = (p["protected"].as_array().unwrap().iter())
        .map(|k| (k["id"].as_str().unwrap(), k["note"].as_str().unwrap()))
        .collect();
    assert_eq!(kept.len(), 2, "{p:#}");
    assert!(
        kept[0].0 == "keep" && kept[0].1.contains("metadata.keep=true"),
        "{p:#}"
    );
    assert!(
        kept[1].0 == "demo-1" && kept[1].1.contains("id~=demo-*"),
        "{p:#}"
    );
    // As `jq '.sessions |= map(select(.id != "b"))'` would: `b` is never touched.
    let mut filtered = p.clone();
    (filtered["sessions"].as_array_mut().unwrap()).retain(|s| s["id"] != "b");
    let path = write_plan(&env, &filtered);
    let (doc, code) = run_json(&mut apply_cmd(&env, &path));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(common::outcomes_once(&doc).len(), 2, "{doc:#}");
    assert_eq!(env.emu.zep_session_ended("a"), Some(true));
    assert_eq!(env.emu.zep_session_ended("free"), Some(true));
    for id in ["b", "demo-1", "keep"] {
        assert!(writes_for(&env, id).is_empty(), "outside the plan: {id}");
    }
}

#[test]
fn an_id_added_to_a_plan_of_ids_is_refused_and_nothing_is_sent() {
    let env = env_protecting(&["id~=demo-*"]);
    env.emu.seed(Seed::zep_session("a", OLD));
    let (p, _, code) = plan_of(&env, &["end-many", "a"], "");
    assert_eq!(code, 0);
    // A foreign ID written in (a copy of `a`'s entry), or `a`'s entry edited to another
    // session: neither is what the plan was made with.
    for foreign in ["free", "keep"] {
        for replace in [false, true] {
            let mut edited = p.clone();
            let sessions = edited["sessions"].as_array_mut().unwrap();
            let mut entry = sessions[0].clone();
            entry["id"] = json!(foreign);
            match replace {
                true => sessions[0] = entry,
                false => sessions.push(entry),
            }
            let path = write_plan(&env, &edited);
            let (code, _, stderr) = common::run(&mut apply_cmd(&env, &path));
            assert_eq!(code, 2, "{stderr}");
            assert!(
                stderr.contains(&format!("session `{foreign}`"))
                    && stderr.contains("not one the plan was made with"),
                "{stderr}"
            );
        }
    }
    assert!(env.emu.requests().is_empty(), "nothing read or sent");
}

/// `apply --recheck-after` on a plan of IDs (`end ID… --plan`, `end-many --plan`, `delete
/// ID… --plan`) would re-check nothing (an ID carries no evidence): refused, nothing sent,
/// on every kind of plan of IDs and also beside `--dry-run`.
#[test]
fn recheck_after_is_refused_on_a_plan_of_ids() {
    let env = env_protecting(&["id~=demo-*"]);
    env.emu.seed(Seed::zep_session("a", OLD));
    for (args, extra) in [
        (&["end", "a"][..], &[][..]),
        (&["end-many", "a"], &["--dry-run"][..]),
        (&["delete", "a"], &["--yes"][..]),
    ] {
        let (p, _, code) = plan_of(&env, args, "");
        assert_eq!((code, planned_ids(&p)), (0, vec!["a"]), "{args:?}");
        let path = write_plan(&env, &p);
        let before = env.emu.requests().len();
        let (code, _, stderr) = common::run(
            apply_cmd(&env, &path)
                .args(["--recheck-after", "0s"])
                .args(extra),
        );
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains("--recheck-after re-checks the evidence a sweep's plan was chosen on")
                && stderr.contains("plan of IDs given (arguments)"),
            "{stderr}"
        );
        assert_eq!(env.emu.requests().len(), before, "nothing sent: {args:?}");
    }
    assert_eq!(env.emu.zep_session_ended("a"), Some(false));
}

#[test]
fn ids_from_stdin_a_file_and_across_profiles_are_planned_and_applied() {
    let env = env_protecting(&["id~=demo-*"]);
    env.emu.seed_many([
        Seed::zep_session("a", OLD),
        Seed::zep_session("b", OLD),
        Seed::messaging("m1", "2024-06-01T07:00:00.000Z"),
    ]);
    // `delete -`: a plan that deletes, from stdin; applied with --yes.
    let (p, doc, code) = plan_of(&env, &["delete", "-"], "a\ndemo-1\n");
    assert_eq!(code, 1, "demo-1 is refused: {doc:#}");
    assert_eq!(
        (&p["action"], &p["selection"]["given"]),
        (&json!("delete"), &json!("stdin"))
    );
    assert_eq!(planned_ids(&p), ["a"]);
    assert!(writes_for(&env, "a").is_empty());
    let path = write_plan(&env, &p);
    let (doc, code) = run_json(apply_cmd(&env, &path).arg("--yes"));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "a")["outcome"], "deleted");
    assert!(writes_for(&env, "demo-1").is_empty());
    // `end-many --file`.
    let ids = env.dir.path().join("ids.txt");
    std::fs::write(&ids, "b\n").unwrap();
    let (p, _, code) = plan_of(&env, &["end-many", "--file", ids.to_str().unwrap()], "");
    assert_eq!(code, 0);
    assert_eq!(p["selection"]["given"], format!("file {}", ids.display()));
    assert_eq!(planned_ids(&p), ["b"]);
    // A pipe across profiles: each line's own profile, in the plan and when applied.
    let plan = env.dir.path().join("across.json");
    let (doc, code) = run_json(
        env.cmd("zep")
            .env("SESSIONCTL_NOW", NOW)
            .args(["end-many", "--all-profiles", "-", "--plan"])
            .arg(&plan)
            .write_stdin("zp\tb\neliza\tm1\nzp\tdemo-1\n"),
    );
    assert_eq!(code, 1, "{doc:#}");
    let p = read_plan(&plan);
    assert_eq!(p["all_profiles"], true);
    let routed: Vec<(&str, &str)> = (p["sessions"].as_array().unwrap().iter())
        .map(|s| (s["profile"].as_str().unwrap(), s["id"].as_str().unwrap()))
        .collect();
    assert_eq!(routed, [("zp", "b"), ("eliza", "m1")], "{p:#}");
    assert_eq!(p["protected"][0]["id"], "demo-1", "{p:#}");
    // A `-p` (or `--endpoint-url`) beside it would be overruled by the plan's own
    // profiles: refused, nothing sent.
    let sent = env.emu.requests().len();
    let narrowing: [(&[&str], &str); 2] = [
        (&["-p", "zp"], "-p zp"),
        (&["--endpoint-url", "http://127.0.0.1:9"], "--endpoint-url"),
    ];
    for (args, flag) in narrowing {
        let (code, _, stderr) = common::run(
            env.cmd("zep")
                .env("SESSIONCTL_NOW", NOW)
                .args(args)
                .arg("apply")
                .arg(&plan),
        );
        assert_eq!(code, 2, "{stderr}");
        let said = format!(
            "{flag}: {} was made with --all-profiles and is applied on the profiles it names (",
            plan.display()
        );
        assert!(stderr.contains(&said), "{said} in {stderr}");
        assert!(stderr.contains(&format!("leave {flag} out")), "{stderr}");
    }
    assert_eq!(env.emu.requests().len(), sent, "nothing sent");
    let (doc, code) = run_json(
        env.cmd("zep")
            .env("SESSIONCTL_NOW", NOW)
            .arg("apply")
            .arg(&plan),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "b")["profile"], "zp");
    assert_eq!(result_of(&doc, "m1")["outcome"], "ended");
    assert_eq!(env.emu.zep_session_ended("b"), Some(true));
    assert!(writes_for(&env, "demo-1").is_empty());
}

#[test]
fn apply_dry_run_shows_what_would_still_happen() {
    let env = env_protecting(BOTH);
    env.emu
        .seed_many([Seed::zep_session("a", OLD), Seed::zep_session("b", OLD)]);
    let (plan, _, code) = sweep_plan(&env, &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    // `b` is used again after the plan was made; the review takes five minutes.
    env.emu.seed(Seed::messages("b", &[NOW]));
    let later = "2024-06-01T12:05:00Z";
    let (doc, code) = run_json(
        env.cmd("zp")
            .env("SESSIONCTL_NOW", later)
            .args(["apply", "--dry-run"])
            .arg(&plan),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "a")["outcome"], "would_end");
    let b = result_of(&doc, "b");
    assert_eq!(
        (&b["outcome"], &b["error_kind"]),
        (&json!("skipped"), &json!("changed")),
        "{doc:#}"
    );
    assert!(
        doc["summary"]["rechecked"].as_u64().unwrap() >= 2,
        "{doc:#}"
    );
    // A plan of IDs: a session gone is `not_found`, one the protect list covers since the
    // plan was made (by a field beyond its ID) is read and refused, as the real run would.
    let (p, _, _) = plan_of(&env, &["end-many", "a", "free", "nosuch"], "");
    assert_eq!(planned_ids(&p), ["a", "free", "nosuch"]);
    env.emu.seed(Seed::metadata("free", json!({"keep": true})));
    let path = write_plan(&env, &p);
    let (doc, code) = run_json(apply_cmd(&env, &path).arg("--dry-run"));
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(result_of(&doc, "a")["outcome"], "would_end");
    assert_eq!(result_of(&doc, "nosuch")["outcome"], "not_found", "{doc:#}");
    assert_refused(&env, &doc, "free", "metadata.keep=true");
    for id in ["a", "b", "free", "keep"] {
        assert!(
            writes_for(&env, id).is_empty(),
            "a dry run sends nothing: {id}"
        );
    }
}

/// Digital Samba reads one session: `apply --dry-run` of a plan of IDs says which is gone.
#[test]
fn apply_dry_run_of_samba_ids_reads_each_session() {
    let env = Env::new();
    env.emu
        .seed(Seed::from(common::emulator::samba::SessionSeed {
            id: "ds-1".into(),
            room_id: "room-1".into(),
            start_time: OLD.into(),
            live: true,
            participants_live: Some(0),
        }));
    let plan = env.dir.path().join("plan.json");
    let (doc, code) = run_json(
        env.cmd("samba")
            .args(["end", "ds-1", "ds-gone", "--plan"])
            .arg(&plan),
    );
    assert_eq!(code, 0, "{doc:#}");
    let (doc, code) = run_json(env.cmd("samba").args(["apply", "--dry-run"]).arg(&plan));
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(result_of(&doc, "ds-1")["outcome"], "would_end", "{doc:#}");
    assert_eq!(
        result_of(&doc, "ds-gone")["outcome"],
        "not_found",
        "{doc:#}"
    );
    assert!(writes_for(&env, "ds-1").is_empty());
    assert_eq!(env.emu.samba_live("ds-1"), Some(true));
}
