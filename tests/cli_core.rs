//! The core of the CLI, end to end: the real binary against the provider emulator.
//!
//! Every outcome on every provider, every exit code, every ID source, Zep's bulk end,
//! the result document formats, percent-encoding, ID validation and each provider's auth.

mod common;

use common::result_of as result;

use std::collections::BTreeMap;

use base64::Engine as _;
use common::emulator::{Recorded, SAMBA_KEY, SAMBA_TEAM, ZEP_KEY};
use common::{Env, Fault, Options, Seed};
use serde_json::{Value, json};

/// A fixed, valid timestamp for seeds whose age does not matter here.
const T: &str = "2024-05-01T12:00:00Z";

/// Runs a command; returns exit code, stdout and stderr.
fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `(outcome, status, error, attempts)` of one result, for compact assertions.
fn brief(doc: &Value, id: &str) -> (String, Value, Value, Value) {
    let r = result(doc, id);
    (
        r["outcome"].as_str().unwrap().to_owned(),
        r["status"].clone(),
        r["error"].clone(),
        r["attempts"].clone(),
    )
}

fn b(outcome: &str, status: Value, error: Value, attempts: u32) -> (String, Value, Value, Value) {
    (outcome.to_owned(), status, error, json!(attempts))
}

/// `METHOD path` of every request the emulator saw.
fn lines(reqs: &[Recorded]) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn count(reqs: &[Recorded], method: &str, path: &str) -> usize {
    reqs.iter()
        .filter(|r| r.method == method && r.path == path)
        .count()
}

fn zep_ended(id: &str) -> Seed {
    Seed::ZepSession {
        id: id.to_owned(),
        user_id: None,
        created_at: T.to_owned(),
        updated_at: T.to_owned(),
        ended: true,
    }
}

fn samba_ended(id: &str) -> Seed {
    Seed::SambaSession {
        id: id.to_owned(),
        room_id: "room-1".to_owned(),
        start_time: T.to_owned(),
        live: false,
        participants_live: None,
    }
}

/// A Zep v2 profile like the harness's `zep`, with extra keys.
fn add_zep_profile(env: &Env, name: &str, extra: &str) {
    env.add_profile(
        name,
        &format!(
            "provider = \"zep\"\nbase_url = \"{}\"\napi_key_env = \"{}\"\nmax_backoff = \"100ms\"\ntimeout = \"5s\"\n{extra}",
            env.emu.zep_v2_url(),
            common::ZEP_ENV
        ),
    );
}

/// The `session_ids` of every bulk `POST /sessions/end`, in arrival order.
fn bulk_bodies(reqs: &[Recorded]) -> Vec<Vec<String>> {
    reqs.iter()
        .filter(|r| r.method == "POST" && r.path == "/zep/api/v2/sessions/end")
        .map(|r| {
            let body: Value = serde_json::from_str(&r.body).unwrap();
            body["session_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Outcomes, per provider

#[test]
fn zep_every_end_outcome_with_status_and_message() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("z-open", T));
    env.emu.seed(Seed::zep_session("z-fail", T));
    env.emu.seed(zep_ended("z-ended"));
    env.emu.fault(
        Fault::status(500)
            .method("POST")
            .path("/sessions/z-fail/end"),
    );

    let (doc, code) = env.json(
        "zep",
        &["end-many", "z-open", "z-ended", "z-missing", "z-fail"],
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(
        brief(&doc, "z-open"),
        b("ended", json!(200), Value::Null, 1)
    );
    assert_eq!(
        brief(&doc, "z-ended"),
        b(
            "already_ended",
            json!(409),
            json!("session ended: z-ended"),
            1
        )
    );
    assert_eq!(
        brief(&doc, "z-missing"),
        b("not_found", json!(404), json!("not found"), 1)
    );
    // 500 is retried (`retries` = 4 by default), then reported with Zep's own message.
    assert_eq!(
        brief(&doc, "z-fail"),
        b("failed", json!(500), json!("internal server error"), 5)
    );
    assert_eq!(env.emu.zep_session_ended("z-open"), Some(true));
    assert_eq!(env.emu.zep_session_ended("z-fail"), Some(false));
    assert_eq!(
        doc["summary"],
        json!({"ended": 1, "already_ended": 1, "not_found": 1, "failed": 1})
    );
}

#[test]
fn zep_400_saying_ended_is_already_ended_but_other_400s_fail_unretried() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("z1", T));
    env.emu.seed(Seed::zep_session("z2", T));
    env.emu.fault(
        Fault::status(400)
            .path("/sessions/z1/end")
            .body(r#"{"message":"session has already Ended"}"#),
    );
    env.emu.fault(
        Fault::status(400)
            .path("/sessions/z2/end")
            .body(r#"{"message":"bad instruction"}"#),
    );
    let (doc, code) = env.json("zep", &["end", "z1"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        brief(&doc, "z1"),
        b(
            "already_ended",
            json!(400),
            json!("session has already Ended"),
            1
        )
    );
    let (doc, code) = env.json("zep", &["end", "z2"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(
        brief(&doc, "z2"),
        b("failed", json!(400), json!("bad instruction"), 1)
    );
}

#[test]
fn zep_delete_and_dry_runs() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("z-del", T));

    // Dry runs: nothing is sent at all, and delete needs no --yes.
    let (doc, code) = env.json("zep", &["end-many", "z-del", "z-other", "--dry-run"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        brief(&doc, "z-del"),
        b("would_end", Value::Null, Value::Null, 0)
    );
    assert_eq!(common::outcomes(&doc)["z-other"], "would_end");
    let (doc, code) = env.json("zep", &["delete", "z-del", "--dry-run"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(common::outcomes(&doc)["z-del"], "would_delete");
    assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
    assert_eq!(env.emu.zep_session_ended("z-del"), Some(false));

    let (doc, code) = env.json("zep", &["delete", "z-del", "z-gone", "--yes"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(
        brief(&doc, "z-del"),
        b("deleted", json!(200), Value::Null, 1)
    );
    assert_eq!(
        brief(&doc, "z-gone"),
        b("not_found", json!(404), json!("not found"), 1)
    );
    assert_eq!(env.emu.zep_memory_deleted("z-del"), Some(true));
    assert_eq!(
        count(
            &env.emu.requests(),
            "DELETE",
            "/zep/api/v2/sessions/z-del/memory"
        ),
        1
    );
}

#[test]
fn samba_every_outcome_with_status_and_message() {
    let env = Env::new();
    env.emu.seed(Seed::samba_live("s-live", T));
    env.emu.seed(Seed::samba_live("s-fail", T));
    env.emu.seed(samba_ended("s-ended"));
    env.emu.fault(
        Fault::status(500)
            .method("POST")
            .path("/sessions/s-fail/end"),
    );

    let (doc, code) = env.json(
        "samba",
        &["end-many", "s-live", "s-ended", "s-missing", "s-fail"],
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(
        brief(&doc, "s-live"),
        b("ended", json!(200), Value::Null, 1)
    );
    // 422 "Session is not live.", confirmed by GET /sessions/{id}: already ended, no error.
    assert_eq!(
        brief(&doc, "s-ended"),
        b("already_ended", json!(422), Value::Null, 1)
    );
    assert_eq!(
        brief(&doc, "s-missing"),
        b("not_found", json!(404), json!("Not Found"), 1)
    );
    assert_eq!(
        brief(&doc, "s-fail"),
        b("failed", json!(500), json!("Server Error"), 5)
    );
    assert_eq!(env.emu.samba_live("s-live"), Some(false));
    assert_eq!(env.emu.samba_live("s-fail"), Some(true));

    let reqs = env.emu.requests();
    let base = "/samba/api/v1/sessions";
    assert_eq!(count(&reqs, "POST", &format!("{base}/s-ended/end")), 1);
    assert_eq!(count(&reqs, "GET", &format!("{base}/s-ended")), 1);
    // The GET check is only for 400/409/422, not for a success or a 404.
    assert_eq!(count(&reqs, "GET", &format!("{base}/s-live")), 0);
    assert_eq!(count(&reqs, "GET", &format!("{base}/s-missing")), 0);
    let pos = |line: &str| lines(&reqs).iter().position(|l| l == line).unwrap();
    assert!(
        pos(&format!("POST {base}/s-ended/end")) < pos(&format!("GET {base}/s-ended")),
        "{:#?}",
        lines(&reqs)
    );
}

#[test]
fn samba_end_422_on_a_session_still_live_is_failed_with_the_message() {
    let env = Env::new();
    env.emu.seed(Seed::samba_live("s-live", T));
    env.emu.fault(
        Fault::status(422)
            .method("POST")
            .path("/sessions/s-live/end"),
    );
    let (doc, code) = env.json("samba", &["end", "s-live"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(
        brief(&doc, "s-live"),
        b("failed", json!(422), json!("Unprocessable Entity"), 1)
    );
    assert_eq!(
        count(&env.emu.requests(), "GET", "/samba/api/v1/sessions/s-live"),
        1
    );
}

#[test]
fn samba_delete_dry_run_and_live_refusal() {
    let env = Env::new();
    env.emu.seed(samba_ended("s-done"));
    env.emu.seed(Seed::samba_live("s-live", T));

    let (doc, code) = env.json("samba", &["end", "s-live", "--dry-run"]);
    assert_eq!(
        (code, common::outcomes(&doc)["s-live"].as_str()),
        (0, "would_end")
    );
    assert!(env.emu.requests().is_empty());

    let (doc, code) = env.json("samba", &["delete", "s-done", "s-live", "--yes"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(
        brief(&doc, "s-done"),
        b("deleted", json!(204), Value::Null, 1)
    );
    assert_eq!(
        brief(&doc, "s-live"),
        b(
            "failed",
            json!(422),
            json!(
                "Cannot delete resources of a live session. (end it first: sessionctl -p samba end s-live)"
            ),
            1
        )
    );
    assert_eq!(env.emu.samba_resources_deleted("s-done"), Some(true));
    assert_eq!(env.emu.samba_resources_deleted("s-live"), Some(false));
}

#[test]
fn messaging_every_outcome_with_status_and_message() {
    let env = Env::new();
    for id in ["m-1", "m-del", "m-fail", "m-bad"] {
        env.emu.seed(Seed::messaging(id, T));
    }
    env.emu.fault(Fault::status(500).path("/sessions/m-fail"));
    env.emu.fault(Fault::status(400).path("/sessions/m-bad"));

    let (doc, code) = env.json("eliza", &["end-many", "m-1", "m-gone", "m-fail", "m-bad"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(brief(&doc, "m-1"), b("ended", json!(200), Value::Null, 1));
    assert_eq!(
        brief(&doc, "m-gone"),
        b("not_found", json!(404), json!("Session not found"), 1)
    );
    assert_eq!(
        brief(&doc, "m-fail"),
        b(
            "failed",
            json!(500),
            json!("An unexpected error occurred"),
            5
        )
    );
    // 400 is an answer: never retried.
    assert_eq!(
        brief(&doc, "m-bad"),
        b("failed", json!(400), json!("Bad Request"), 1)
    );
    assert!(!env.emu.messaging_exists("m-1"));

    // Ending again: the server says 404, which is all it can say (not found or ended).
    let (doc, code) = env.json("eliza", &["end", "m-1"]);
    assert_eq!(
        (code, common::outcomes(&doc)["m-1"].as_str()),
        (1, "not_found")
    );

    let before = env.emu.requests().len();
    let (doc, code) = env.json("eliza", &["delete", "m-del", "--dry-run"]);
    assert_eq!(
        (code, common::outcomes(&doc)["m-del"].as_str()),
        (0, "would_delete")
    );
    assert_eq!(env.emu.requests().len(), before, "a dry run sends nothing");

    let (doc, code) = env.json("eliza", &["delete", "m-del", "--yes"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        brief(&doc, "m-del"),
        b("deleted", json!(200), Value::Null, 1)
    );
    assert!(!env.emu.messaging_exists("m-del"));
}

// ---------------------------------------------------------------------------------------
// Exit codes

#[test]
fn exit_codes_0_1_and_ignore_missing() {
    let env = Env::new();
    for id in ["a", "b", "c"] {
        env.emu.seed(Seed::messaging(id, T));
    }
    let (code, _, _) = run(env.cmd("eliza").args(["end-many", "a", "b"]));
    assert_eq!(code, 0);
    // `b` is gone now: not found is a failure...
    let (code, _, _) = run(env.cmd("eliza").args(["end-many", "c", "b"]));
    assert_eq!(code, 1);
    // ...unless ignored.
    let (doc, code) = env.json("eliza", &["end-many", "a", "b", "--ignore-missing"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"], json!({"not_found": 2}));
    // --ignore-missing never hides a real failure.
    env.emu.fault(Fault::status(400).path("/sessions/x"));
    let (code, _, _) = run(env
        .cmd("eliza")
        .args(["end-many", "x", "a", "--ignore-missing"]));
    assert_eq!(code, 1);
}

#[test]
fn usage_errors_exit_2_and_send_nothing() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m", T));
    env.emu.seed(Seed::zep_session("z", T));
    let ids = env.dir.path().join("ids.txt");
    std::fs::write(&ids, "m\n").unwrap();
    let ids = ids.to_str().unwrap();
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("eliza", vec!["end-many"], "no session IDs"),
        ("eliza", vec!["end-many", "m", "--file", ids], "not both"),
        ("eliza", vec!["-o", "ids", "end", "m"], "only for `list`"),
        ("eliza", vec!["end"], "required"),
        ("eliza", vec!["end", "m", "--bogus"], "--bogus"),
        (
            "eliza",
            vec!["end", "m", "--concurrency", "0"],
            "concurrency",
        ),
        ("eliza", vec!["end", "m", "--rate", "0/s"], "rate"),
        (
            "eliza",
            vec!["end", "m", "--concurrency", "many"],
            "concurrency",
        ),
        ("eliza", vec!["end-many", "m", "-"], "only ID argument"),
        ("eliza", vec!["end-many", "--file", "/tmp"], "directory"),
        (
            "eliza",
            vec!["end-many", "--all-profiles", "m"],
            "`profile<TAB>id` lines",
        ),
        (
            "eliza",
            vec!["end-many", "--empty", "m"],
            "only goes with --idle-for",
        ),
        (
            "samba",
            vec!["delete", "--yes", "--older-than", "1h"],
            "unexpected argument '--older-than'",
        ),
        ("eliza", vec!["end-many", "--max", "0", "a"], "--max"),
        ("eliza", vec!["list", "--empty"], "live participants"),
        (
            "zep",
            vec!["delete", "--yes", "--wait", "z"],
            "only for Zep v4",
        ),
        (
            "zep3",
            vec!["delete", "--yes", "--by-uuid", "z"],
            "only for Zep v4",
        ),
        (
            "zep",
            vec![
                "delete",
                "--idle-for",
                "1h",
                "--all-profiles",
                "--wait",
                "--timeout",
                "1m",
                "--yes",
            ],
            "only for Zep v4",
        ),
        (
            "zep4",
            vec!["delete", "--idle-for", "1h", "--by-uuid", "--yes"],
            "--by-uuid cannot",
        ),
        (
            "eliza",
            vec!["end-many", "--file", "/nonexistent/ids.txt"],
            "cannot read",
        ),
        ("zep3", vec!["end", "z"], "delete"),
        ("zep4", vec!["end-many", "z"], "delete"),
        (
            "zep",
            vec!["end-many", "--idle-for", "nonsense"],
            "idle-for",
        ),
    ];
    for (profile, args, needle) in cases {
        let (code, stdout, stderr) = run(env.cmd(profile).args(&args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
    }
    assert!(
        env.emu.requests().is_empty(),
        "{:#?}",
        lines(&env.emu.requests())
    );
    assert!(env.emu.messaging_exists("m"));
}

#[test]
fn wrong_key_exits_3_on_every_provider() {
    let env = Env::with(Options {
        messaging_token: Some("tok-1".into()),
        ..Options::default()
    });
    env.emu.seed(Seed::zep_session("z", T));
    env.emu.seed(Seed::samba_live("s", T));
    env.emu.seed(Seed::messaging("m", T));
    env.add_profile(
        "eliza-key",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\napi_key_env = \"ELIZA_TOKEN\"\nmax_backoff = \"100ms\"",
            env.emu.messaging_url()
        ),
    );
    let cases = [
        ("zep", common::ZEP_ENV, "z", "unauthorized"),
        ("samba", common::SAMBA_ENV, "s", "Unauthenticated."),
        ("samba-bearer", common::SAMBA_ENV, "s", "Unauthenticated."),
        (
            "eliza-key",
            "ELIZA_TOKEN",
            "m",
            "Missing or invalid X-API-KEY header",
        ),
    ];
    for (profile, var, id, message) in cases {
        let (doc, code) = common::run_json(
            env.cmd(profile)
                .env(var, "wrong-key")
                .args(["-o", "json", "end", id]),
        );
        assert_eq!(code, 3, "{profile}: {doc:#}");
        // 401 is an answer: reported once, never retried.
        assert_eq!(
            brief(&doc, id),
            b("failed", json!(401), json!(message), 1),
            "{profile}"
        );
    }
    // No key at all against a server that wants one: also 3.
    let (doc, code) = env.json("eliza", &["end", "m"]);
    assert_eq!(code, 3, "{doc:#}");
    assert!(env.emu.messaging_exists("m"));
    assert_eq!(env.emu.zep_session_ended("z"), Some(false));
    assert_eq!(env.emu.samba_live("s"), Some(true));
}

#[test]
fn auth_refusal_outranks_other_failures() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m", T));
    env.emu.fault(Fault::status(401).path("/sessions/m"));
    let (doc, code) = env.json("eliza", &["end-many", "gone", "m"]);
    assert_eq!(code, 3, "{doc:#}");
    assert_eq!(common::outcomes(&doc)["gone"], "not_found");
}

// ---------------------------------------------------------------------------------------
// Where IDs come from

#[test]
fn ids_from_arguments_are_deduplicated() {
    let env = Env::new();
    for id in ["a", "b"] {
        env.emu.seed(Seed::messaging(id, T));
    }
    let (doc, code) = env.json("eliza", &["end-many", "a", "b", "a", "b", "a"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["results"].as_array().unwrap().len(), 2, "{doc:#}");
    let reqs = env.emu.requests();
    assert_eq!(reqs.len(), 2, "{:#?}", lines(&reqs));
    assert_eq!(count(&reqs, "DELETE", "/api/messaging/sessions/a"), 1);
    assert_eq!(count(&reqs, "DELETE", "/api/messaging/sessions/b"), 1);
}

#[test]
fn ids_from_a_file_with_bom_crlf_comments_blanks_and_duplicates() {
    let env = Env::new();
    for id in ["f1", "f2", "f3"] {
        env.emu.seed(Seed::messaging(id, T));
    }
    let path = env.dir.path().join("ids.txt");
    let text = "\u{feff}f1\r\n\r\n# a comment\r\n   \n  f2  \r\nf1\n#f3\nf2\r\nf3";
    std::fs::write(&path, text).unwrap();
    let (doc, code) = env.json("eliza", &["end-many", "--file", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{doc:#}");
    let want: BTreeMap<String, String> = ["f1", "f2", "f3"]
        .iter()
        .map(|id| (id.to_string(), "ended".to_string()))
        .collect();
    assert_eq!(common::outcomes(&doc), want);
    assert_eq!(doc["results"].as_array().unwrap().len(), 3);
    let reqs = env.emu.requests();
    let mut sent = lines(&reqs);
    sent.sort();
    assert_eq!(
        sent,
        [
            "DELETE /api/messaging/sessions/f1",
            "DELETE /api/messaging/sessions/f2",
            "DELETE /api/messaging/sessions/f3"
        ],
        "BOM, CR and spaces must be stripped, each ID sent once"
    );
}

#[test]
fn bad_lines_in_a_file_fail_alone_and_are_never_sent() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("ok", T));
    let path = env.dir.path().join("ids.txt");
    std::fs::write(&path, b"ok\nbad\x07id\n..\n\xff\xfe\n").unwrap();
    let (doc, code) = env.json("eliza", &["end-many", "-f", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{doc:#}");
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "{doc:#}");
    assert_eq!(common::outcomes(&doc)["ok"], "ended");
    let failed: Vec<&Value> = results
        .iter()
        .filter(|r| r["outcome"] == "failed")
        .collect();
    assert_eq!(failed.len(), 3, "{doc:#}");
    for r in failed {
        assert!(r["status"].is_null() && r["attempts"] == 0, "{r}");
        assert!(!r["error"].as_str().unwrap().is_empty(), "{r}");
    }
    assert_eq!(
        lines(&env.emu.requests()),
        ["DELETE /api/messaging/sessions/ok"]
    );
}

#[test]
fn ids_from_stdin() {
    let env = Env::new();
    for id in ["s1", "s2"] {
        env.emu.seed(Seed::messaging(id, T));
    }
    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "-"])
            .write_stdin("s1\r\n\n# skip\ns2\ns1\nnope\n"),
    );
    assert_eq!(code, 1, "{doc:#}");
    let want: BTreeMap<String, String> = [("s1", "ended"), ("s2", "ended"), ("nope", "not_found")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(common::outcomes(&doc), want);
    assert_eq!(env.emu.requests().len(), 3);
}

#[test]
fn unreadable_id_file_is_exit_2_and_sends_nothing() {
    let env = Env::new();
    let missing = env.dir.path().join("no-such-ids.txt");
    let (code, _, stderr) =
        run(env
            .cmd("eliza")
            .args(["end-many", "--file", missing.to_str().unwrap()]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no-such-ids.txt"), "{stderr}");
    assert!(env.emu.requests().is_empty());
}

// ---------------------------------------------------------------------------------------
// Zep bulk end

#[test]
fn zep_bulk_end_goes_in_batches_of_batch_size() {
    let env = Env::new();
    add_zep_profile(&env, "zep-b2", "batch_size = 2");
    let ids = ["b1", "b2", "b3", "b4", "b5"];
    for id in ids {
        env.emu.seed(Seed::zep_session(id, T));
    }
    let mut args = vec!["end-many"];
    args.extend(ids);
    let (doc, code) = env.json("zep-b2", &args);
    assert_eq!(code, 0, "{doc:#}");
    for id in ids {
        assert_eq!(
            brief(&doc, id),
            b("ended", json!(200), Value::Null, 1),
            "{id}"
        );
        assert_eq!(env.emu.zep_session_ended(id), Some(true), "{id}");
    }
    let reqs = env.emu.requests();
    let mut batches = bulk_bodies(&reqs);
    batches.sort();
    assert_eq!(
        batches,
        vec![vec!["b1", "b2"], vec!["b3", "b4"]],
        "{:#?}",
        lines(&reqs)
    );
    // The odd one out is a batch of one: the single-session call.
    assert_eq!(count(&reqs, "POST", "/zep/api/v2/sessions/b5/end"), 1);
    assert_eq!(reqs.len(), 3, "{:#?}", lines(&reqs));
    for r in &reqs {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Api-Key {ZEP_KEY}").as_str())
        );
    }
}

#[test]
fn zep_default_batch_sends_every_id_in_one_request() {
    let env = Env::new();
    let ids: Vec<String> = (0..30).map(|i| format!("s{i:02}")).collect();
    for id in &ids {
        env.emu.seed(Seed::zep_session(id, T));
    }
    let mut args = vec!["end-many"];
    args.extend(ids.iter().map(String::as_str));
    let (doc, code) = env.json("zep", &args);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"], json!({"ended": 30}));
    let reqs = env.emu.requests();
    assert_eq!(reqs.len(), 1, "{:#?}", lines(&reqs));
    assert_eq!(bulk_bodies(&reqs), vec![ids]);
}

#[test]
fn zep_batch_with_an_unknown_id_falls_back_to_one_by_one() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("k1", T));
    env.emu.seed(Seed::zep_session("k2", T));
    env.emu.seed(zep_ended("k-ended"));
    let (doc, code) = env.json("zep", &["end-many", "k1", "unknown", "k2", "k-ended"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(brief(&doc, "k1"), b("ended", json!(200), Value::Null, 1));
    assert_eq!(brief(&doc, "k2"), b("ended", json!(200), Value::Null, 1));
    assert_eq!(
        brief(&doc, "unknown"),
        b("not_found", json!(404), json!("not found"), 1)
    );
    assert_eq!(common::outcomes(&doc)["k-ended"], "already_ended");
    let reqs = env.emu.requests();
    assert_eq!(bulk_bodies(&reqs).len(), 1, "{:#?}", lines(&reqs));
    for id in ["k1", "unknown", "k2", "k-ended"] {
        assert_eq!(
            count(&reqs, "POST", &format!("/zep/api/v2/sessions/{id}/end")),
            1,
            "{id}"
        );
    }
    assert_eq!(reqs.len(), 5);
    assert_eq!(env.emu.zep_session_ended("k1"), Some(true));
    assert_eq!(env.emu.zep_session_ended("k2"), Some(true));
}

#[test]
fn zep_batch_answered_413_is_split_in_halves() {
    let env = Env::new();
    let ids = ["h1", "h2", "h3", "h4"];
    for id in ids {
        env.emu.seed(Seed::zep_session(id, T));
    }
    env.emu.fault(
        Fault::status(413)
            .method("POST")
            .path("/sessions/end")
            .times(1),
    );
    let mut args = vec!["end-many"];
    args.extend(ids);
    let (doc, code) = env.json("zep", &args);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"], json!({"ended": 4}));
    let mut batches = bulk_bodies(&env.emu.requests());
    batches.sort_by_key(|b| std::cmp::Reverse(b.len()));
    assert_eq!(batches[0], ids);
    let mut halves = batches[1..].to_vec();
    halves.sort();
    assert_eq!(halves, vec![vec!["h1", "h2"], vec!["h3", "h4"]]);
    assert_eq!(env.emu.requests().len(), 3);
    for id in ids {
        assert_eq!(env.emu.zep_session_ended(id), Some(true));
    }
}

#[test]
fn zep_batch_split_down_to_single_ids() {
    let env = Env::new();
    for id in ["q1", "q2", "q3"] {
        env.emu.seed(Seed::zep_session(id, T));
    }
    // Every bulk call is refused as too large: 3 → 1 + 2 → 1 + 1 + 1 single calls.
    env.emu
        .fault(Fault::status(413).method("POST").path("/sessions/end"));
    let (doc, code) = env.json("zep", &["end-many", "q1", "q2", "q3"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"], json!({"ended": 3}));
    let reqs = env.emu.requests();
    let sizes: Vec<usize> = bulk_bodies(&reqs).iter().map(Vec::len).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 5, "{:#?}", lines(&reqs));
    for id in ["q1", "q2", "q3"] {
        assert_eq!(
            count(&reqs, "POST", &format!("/zep/api/v2/sessions/{id}/end")),
            1
        );
    }
}

// ---------------------------------------------------------------------------------------
// Output formats

/// A document with what differs from run to run (its ID, times, duration) replaced by
/// placeholders, after checking each is there.
fn stable(mut doc: Value) -> Value {
    assert!(doc["run_id"].is_string(), "{doc}");
    doc["run_id"] = json!("[run_id]");
    assert!(doc["duration_seconds"].is_f64(), "{doc}");
    doc["duration_seconds"] = json!("[duration]");
    for r in doc["results"].as_array_mut().unwrap() {
        assert!(r["at"].is_string(), "{r}");
        r["at"] = json!("[at]");
    }
    doc
}

#[test]
fn json_document_shape() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m-1", T));
    let (doc, code) = env.json(
        "eliza",
        &["end-many", "m-1", "m-gone", "--concurrency", "1"],
    );
    assert_eq!(code, 1);
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut keys = keys;
    keys.sort();
    assert_eq!(
        keys,
        [
            "duration_seconds",
            "exit_code",
            "interrupted",
            "profile",
            "provider",
            "results",
            "run_id",
            "summary"
        ]
    );
    assert_eq!(doc["exit_code"], 1);
    for r in doc["results"].as_array().unwrap() {
        let mut k: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort();
        assert_eq!(
            k,
            ["at", "attempts", "error", "id", "outcome", "status"],
            "{r}"
        );
    }
    insta::assert_json_snapshot!("json_document", stable(doc));
}

#[test]
fn json_document_for_a_zep_run() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("z1", T));
    let (doc, code) = env.json("zep", &["end", "z1"]);
    assert_eq!(code, 0);
    assert_eq!(
        stable(doc),
        json!({
            "profile": "zep",
            "provider": "zep",
            "run_id": "[run_id]",
            "results": [{"id": "z1", "outcome": "ended", "status": 200, "error": null, "attempts": 1, "at": "[at]"}],
            "summary": {"ended": 1},
            "interrupted": false,
            "exit_code": 0,
            "duration_seconds": "[duration]"
        })
    );
}

#[test]
fn ndjson_is_one_parseable_object_per_line() {
    let env = Env::new();
    for id in ["n1", "n2", "n3"] {
        env.emu.seed(Seed::messaging(id, T));
    }
    let (code, stdout, _) = run(env
        .cmd("eliza")
        .args(["-o", "ndjson", "end-many", "n1", "n2", "n3", "n-gone"]));
    assert_eq!(code, 1, "{stdout}");
    let objects: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert_eq!(objects.len(), 5, "{stdout}");
    assert!(stdout.ends_with('\n'));
    // Every record names its run; the last one is the run's summary, as ripgrep's JSON ends.
    let run_id = objects[0]["run_id"].as_str().unwrap();
    assert_eq!(run_id.len(), 36, "a UUID: {run_id}");
    assert!(objects.iter().all(|o| o["run_id"] == run_id), "{stdout}");
    let summary = &objects[4];
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["summary"], json!({"ended": 3, "not_found": 1}));
    assert_eq!(summary["exit_code"], 1);
    assert_eq!(summary["interrupted"], false);
    assert!(summary["duration_seconds"].as_f64().unwrap() >= 0.0);
    let mut seen: Vec<(String, String)> = objects[..4]
        .iter()
        .map(|o| {
            let mut k: Vec<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
            k.sort();
            assert_eq!(
                k,
                [
                    "at", "attempts", "error", "id", "outcome", "run_id", "status", "type"
                ],
                "{o}"
            );
            assert_eq!(o["type"], "result");
            o["at"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .expect("`at` is RFC 3339");
            (
                o["id"].as_str().unwrap().to_owned(),
                o["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("n-gone".into(), "not_found".into()),
            ("n1".into(), "ended".into()),
            ("n2".into(), "ended".into()),
            ("n3".into(), "ended".into())
        ]
    );
}

#[test]
fn table_output() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m-1", T));
    env.emu.fault(Fault::status(400).path("/sessions/m-bad"));
    let (code, stdout, _) = run(env.cmd("eliza").env("NO_COLOR", "1").args([
        "end-many",
        "m-1",
        "m-gone",
        "m-bad",
        "--concurrency",
        "1",
    ]));
    assert_eq!(code, 1);
    assert!(!stdout.contains('\u{1b}'), "no colour off a terminal");
    insta::assert_snapshot!("table_output", stdout);
}

// ---------------------------------------------------------------------------------------
// IDs on the wire

#[test]
fn ids_are_percent_encoded_as_one_segment() {
    let env = Env::new();
    let id = "a b/c?d";
    env.emu.seed(Seed::messaging(id, T));
    env.emu.seed(Seed::zep_session(id, T));
    env.emu.seed(Seed::samba_live(id, T));

    let (doc, code) = env.json("eliza", &["end", id]);
    assert_eq!(
        (code, common::outcomes(&doc)[id].as_str()),
        (0, "ended"),
        "{doc:#}"
    );
    let (doc, code) = env.json("zep", &["end", id]);
    assert_eq!(
        (code, common::outcomes(&doc)[id].as_str()),
        (0, "ended"),
        "{doc:#}"
    );
    let (doc, code) = env.json("samba", &["end", id]);
    assert_eq!(
        (code, common::outcomes(&doc)[id].as_str()),
        (0, "ended"),
        "{doc:#}"
    );

    let reqs = env.emu.requests();
    let seen: Vec<(String, String, Option<String>)> = reqs
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.query.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "DELETE".into(),
                "/api/messaging/sessions/a%20b%2Fc%3Fd".into(),
                None
            ),
            (
                "POST".into(),
                "/zep/api/v2/sessions/a%20b%2Fc%3Fd/end".into(),
                None
            ),
            (
                "POST".into(),
                "/samba/api/v1/sessions/a%20b%2Fc%3Fd/end".into(),
                None
            ),
        ]
    );
    assert!(!env.emu.messaging_exists(id));
    assert_eq!(env.emu.zep_session_ended(id), Some(true));
    assert_eq!(env.emu.samba_live(id), Some(false));
}

#[test]
fn awkward_ids_stay_one_segment() {
    let env = Env::new();
    let ids = ["%2F", "#frag", "ünï", "..x", "a+b&c=d"];
    for id in ids {
        env.emu.seed(Seed::messaging(id, T));
    }
    let mut args = vec!["end-many"];
    args.extend(ids);
    let (doc, code) = env.json("eliza", &args);
    assert_eq!(code, 0, "{doc:#}");
    for r in env.emu.requests() {
        let rest = r.path.strip_prefix("/api/messaging/sessions/").unwrap();
        assert!(!rest.contains('/') && !rest.is_empty(), "{}", r.path);
        assert!(r.query.is_none(), "{:?}", r.query);
    }
    assert_eq!(env.emu.messaging_count(), 0, "every session was reached");
}

#[test]
fn invalid_ids_on_the_command_line_exit_2_and_send_nothing() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("ok", T));
    let long = "x".repeat(1025);
    let cases: Vec<Vec<&str>> = vec![
        vec!["end", ""],
        vec!["end", "   "],
        vec!["end", "a\tb"],
        vec!["end", "a\nb"],
        vec!["end", "a\u{7f}"],
        vec!["end", ".."],
        vec!["end", "."],
        vec!["end", &long],
        vec!["end-many", "ok", ""],
        vec!["end-many", "ok", "bad\u{1b}[31m"],
        vec!["delete", "--yes", "ok", "a\u{1}b"],
    ];
    for args in cases {
        let out = env.cmd("eliza").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("session ID"), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
    assert!(
        env.emu.requests().is_empty(),
        "{:#?}",
        lines(&env.emu.requests())
    );
    assert!(env.emu.messaging_exists("ok"));
}

#[test]
fn delete_without_yes_off_a_terminal_exits_2_and_sends_nothing() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m", T));
    env.emu.seed(Seed::zep_session("z", T));
    for (profile, args) in [
        ("eliza", vec!["delete", "m"]),
        ("zep", vec!["delete", "z"]),
        ("eliza", vec!["delete", "-"]),
    ] {
        let (code, stdout, stderr) = run(env.cmd(profile).args(&args).write_stdin("m\ny\n"));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("--yes"), "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
    }
    assert!(
        env.emu.requests().is_empty(),
        "{:#?}",
        lines(&env.emu.requests())
    );
    assert!(env.emu.messaging_exists("m"));
    assert_eq!(env.emu.zep_memory_deleted("z"), Some(false));
}

// ---------------------------------------------------------------------------------------
// Auth headers

#[test]
fn samba_auth_is_basic_with_team_and_bearer_without() {
    let env = Env::new();
    env.emu.seed(Seed::samba_live("s1", T));
    env.emu.seed(Seed::samba_live("s2", T));
    let (doc, code) = env.json("samba", &["end", "s1"]);
    assert_eq!((code, common::outcomes(&doc)["s1"].as_str()), (0, "ended"));
    let (doc, code) = env.json("samba-bearer", &["end", "s2"]);
    assert_eq!((code, common::outcomes(&doc)["s2"].as_str()), (0, "ended"));
    let reqs = env.emu.requests();
    assert_eq!(reqs.len(), 2);
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{SAMBA_TEAM}:{SAMBA_KEY}"));
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(
        reqs[1].header("authorization"),
        Some(format!("Bearer {SAMBA_KEY}").as_str())
    );
}

#[test]
fn messaging_key_goes_in_x_api_key_and_nothing_without_one() {
    let env = Env::with(Options {
        messaging_token: Some("eliza-token".into()),
        ..Options::default()
    });
    env.add_profile(
        "eliza-key",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\napi_key_env = \"ELIZA_TOKEN\"",
            env.emu.messaging_url()
        ),
    );
    env.emu.seed(Seed::messaging("m1", T));
    let (doc, code) = common::run_json(
        env.cmd("eliza-key")
            .env("ELIZA_TOKEN", "eliza-token")
            .args(["-o", "json", "end", "m1"]),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(common::outcomes(&doc)["m1"], "ended");
    let reqs = env.emu.requests();
    assert_eq!(reqs[0].header("x-api-key"), Some("eliza-token"));
    assert_eq!(reqs[0].header("authorization"), None);

    // The keyless profile sends no key header at all.
    let (_, code) = env.json("eliza", &["end", "m2"]);
    assert_eq!(code, 3);
    let reqs = env.emu.requests();
    assert_eq!(reqs[1].header("x-api-key"), None);
    assert_eq!(reqs[1].header("authorization"), None);
}

// ---------------------------------------------------------------------------------------
// More edges

#[test]
fn command_line_ids_are_trimmed_like_file_ids() {
    // README: "IDs are trimmed ... duplicates acted on once". A file line `  a  ` is sent
    // as `a`; the same ID on the command line must be too.
    let env = Env::new();
    env.emu.seed(Seed::messaging("a", T));
    env.emu.seed(Seed::messaging("b", T));
    let (doc, code) = env.json("eliza", &["end-many", " a", "a ", "a"]);
    let (doc2, code2) = env.json("eliza", &["end", " b "]);
    assert_eq!(
        lines(&env.emu.requests()),
        [
            "DELETE /api/messaging/sessions/a",
            "DELETE /api/messaging/sessions/b"
        ],
        "each ID sent once, trimmed"
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["results"].as_array().unwrap().len(), 1, "{doc:#}");
    assert_eq!(code2, 0, "{doc2:#}");
    assert_eq!(common::outcomes(&doc2)["b"], "ended");
}

#[test]
fn an_id_of_exactly_1_kib_is_sent_and_one_byte_more_is_refused() {
    let env = Env::new();
    let max = "k".repeat(1024);
    env.emu.seed(Seed::messaging(&max, T));
    let (doc, code) = env.json("eliza", &["end", &max]);
    assert_eq!((code, common::outcomes(&doc)[&max].as_str()), (0, "ended"));
    let (code, _, stderr) = run(env.cmd("eliza").args(["end", &format!("{max}k")]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("1025 bytes"), "{stderr}");
    assert_eq!(env.emu.requests().len(), 1);
}

#[test]
fn single_end_honours_ignore_missing() {
    let env = Env::new();
    let (code, _, _) = run(env.cmd("eliza").args(["end", "gone"]));
    assert_eq!(code, 1);
    let (doc, code) = env.json("eliza", &["end", "gone", "--ignore-missing"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(common::outcomes(&doc)["gone"], "not_found");
    let (code, _, _) = run(env.cmd("zep").args(["end", "gone", "--ignore-missing"]));
    assert_eq!(code, 0);
    let (code, _, _) = run(env.cmd("samba").args(["end", "gone", "--ignore-missing"]));
    assert_eq!(code, 0);
}

#[test]
fn stdin_ids_with_a_bom_are_batched_for_zep() {
    let env = Env::new();
    add_zep_profile(&env, "zep-b2", "batch_size = 2");
    for id in ["i1", "i2", "i3"] {
        env.emu.seed(Seed::zep_session(id, T));
    }
    let (doc, code) = common::run_json(
        env.cmd("zep-b2")
            .args(["-o", "json", "end-many", "-"])
            .write_stdin("\u{feff}i1\r\ni2\r\ni1\r\n\r\ni3\r\n"),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"], json!({"ended": 3}));
    let reqs = env.emu.requests();
    assert_eq!(
        bulk_bodies(&reqs),
        vec![vec!["i1", "i2"]],
        "{:#?}",
        lines(&reqs)
    );
    assert_eq!(count(&reqs, "POST", "/zep/api/v2/sessions/i3/end"), 1);
    assert_eq!(reqs.len(), 2);
}

#[test]
fn zep_batch_with_an_ended_id_falls_back_to_one_by_one() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("e1", T));
    env.emu.seed(zep_ended("e-done"));
    let (doc, code) = env.json("zep", &["end-many", "e1", "e-done"]);
    // already_ended is success.
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(brief(&doc, "e1"), b("ended", json!(200), Value::Null, 1));
    assert_eq!(
        brief(&doc, "e-done"),
        b(
            "already_ended",
            json!(409),
            json!("session ended: e-done"),
            1
        )
    );
    let reqs = env.emu.requests();
    assert_eq!(bulk_bodies(&reqs).len(), 1);
    assert_eq!(reqs.len(), 3, "{:#?}", lines(&reqs));
}

#[test]
fn zep_bulk_end_refused_key_is_one_request_and_exit_3() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("r1", T));
    env.emu.seed(Seed::zep_session("r2", T));
    let (doc, code) = common::run_json(
        env.cmd("zep")
            .env(common::ZEP_ENV, "nope")
            .args(["-o", "json", "end-many", "r1", "r2"]),
    );
    assert_eq!(code, 3, "{doc:#}");
    for id in ["r1", "r2"] {
        assert_eq!(
            brief(&doc, id),
            b("failed", json!(401), json!("unauthorized"), 1)
        );
    }
    // A refused key is not worth trying ID by ID.
    assert_eq!(
        lines(&env.emu.requests()),
        ["POST /zep/api/v2/sessions/end"]
    );
    assert_eq!(
        env.emu.requests()[0].header("authorization"),
        Some("Api-Key nope")
    );
}

#[test]
fn samba_already_ended_check_encodes_the_id_too() {
    let env = Env::new();
    let id = "a b/c?d";
    env.emu.seed(samba_ended(id));
    let (doc, code) = env.json("samba", &["end", id]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        brief(&doc, id),
        b("already_ended", json!(422), Value::Null, 1)
    );
    assert_eq!(
        lines(&env.emu.requests()),
        [
            "POST /samba/api/v1/sessions/a%20b%2Fc%3Fd/end",
            "GET /samba/api/v1/sessions/a%20b%2Fc%3Fd"
        ]
    );
}

#[test]
fn json_document_keys_come_in_the_documented_order() {
    let env = Env::new();
    let (code, stdout, _) = run(env.cmd("eliza").args(["-o", "json", "end", "x"]));
    assert_eq!(code, 1);
    let at = |key: &str| {
        stdout
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} in {stdout}"))
    };
    let order = [
        at("profile"),
        at("provider"),
        at("results"),
        at("summary"),
        at("interrupted"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{stdout}");
    let r = [
        "\"id\":",
        "\"outcome\":",
        "\"status\":",
        "\"error\":",
        "\"attempts\":",
    ]
    .map(|k| stdout.find(k).unwrap());
    assert!(r.windows(2).all(|w| w[0] < w[1]), "{stdout}");
}

#[test]
fn non_utf8_on_stdin_fails_that_line_alone() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("ok-1", T));
    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "-"])
            .write_stdin(&b"ok-1\n\xc3\x28bad\n"[..]),
    );
    assert_eq!(code, 1, "{doc:#}");
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{doc:#}");
    let bad = results.iter().find(|r| r["id"] != "ok-1").unwrap();
    assert_eq!(bad["outcome"], "failed");
    assert!(bad["error"].as_str().unwrap().contains("UTF-8"), "{bad}");
    assert_eq!(env.emu.requests().len(), 1, "only the valid ID is sent");
}

#[test]
fn byte_order_marks_inside_the_input_and_repeated_bad_lines() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("a", T));
    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "-"])
            .write_stdin(&b"a\n\xef\xbb\xbfa\n\xef\xbb\xbf\nbad\x07\nbad\x07\n"[..]),
    );
    assert_eq!(code, 1, "{doc:#}");
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(outcomes.len(), 2, "one `a`, one bad line: {doc:#}");
    assert_eq!(outcomes["a"], "ended");
    let deletes: Vec<String> = env.emu.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(deletes, ["/api/messaging/sessions/a"]);
}

#[test]
fn control_characters_from_servers_never_reach_the_terminal_raw() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("esc\u{1b}[31mred", T));
    env.emu.seed(Seed::messaging("plain", T));
    let (code, stdout, stderr) = run(env.cmd("eliza").args(["list"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains('\u{1b}'),
        "raw ESC in the table: {stdout:?}"
    );
    assert!(stdout.contains("esc\\u{1b}[31mred"), "{stdout}");
    // -o ids leaves out an ID that could never be sent, and says so.
    let (code, stdout, stderr) = run(env.cmd("eliza").args(["-o", "ids", "list"]));
    assert_eq!(code, 0);
    assert_eq!(stdout, "plain\n");
    assert!(stderr.contains("left out"), "{stderr}");
    // The server's own message, escaped in the table's DETAIL.
    env.emu.fault(
        common::Fault::status(400)
            .body("{\"error\":{\"message\":\"bad \\u001b]0;title\\u0007 thing\"}}")
            .method("DELETE"),
    );
    let (code, stdout, _) = run(env.cmd("eliza").args(["end", "plain"]));
    assert_eq!(code, 1);
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(stdout.contains("bad \\u{1b}]0;title"), "{stdout}");
}

#[test]
fn an_output_that_cannot_be_written_is_a_failure() {
    let env = Env::new();
    for format in ["json", "ndjson", "table"] {
        env.emu.seed(Seed::messaging("full-1", T));
        let out = env
            .std_cmd("eliza")
            .args(["-o", format, "end-many", "full-1"])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(stderr.contains("writing output"), "{format}: {stderr}");
    }
    for args in [
        &["config", "show"][..],
        &["config", "path"],
        &["completions", "bash"],
        &["list"],
    ] {
        let out = env
            .std_cmd("eliza")
            .args(args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("writing output"), "{args:?}: {stderr}");
    }
}

#[test]
fn ids_trickling_in_on_stdin_start_work_before_a_batch_fills() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("t1", T));
    env.emu.seed(Seed::zep_session("t2", T));
    let mut child = env
        .std_cmd("zep")
        .args(["-o", "json", "end-many", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"t1\nt2\n").unwrap();
    // batch_size is 100, stdin stays open: the two IDs must still be ended now.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while env.emu.zep_session_ended("t2") != Some(true) {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing sent while stdin is open"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(common::outcomes_once(&doc).len(), 2);
}
