//! The core of the CLI, end to end: the real binary against the provider emulator.
//!
//! The outcomes only one provider has, every exit code and usage error, Zep's bulk end, and
//! each provider's auth headers. What every provider must report is in `conformance`; where
//! IDs come from and how they are sent, in `ids`; the result documents, in `output`.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::common;

use common::emulator::samba::{SAMBA_KEY, SAMBA_TEAM};
use common::emulator::zep::ZEP_KEY;
use common::{Env, Fault, Options, Recorded, Seed, brief, run};
use common::{count_requests as count, expected as b, request_lines as lines};

/// A fixed, valid timestamp for seeds whose age does not matter here.
const T: &str = "2024-05-01T12:00:00Z";

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
// Outcomes only one provider has (what every provider reports is in `conformance`)

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

/// Digital Samba answers 422 to ending a session that is over and to other refusals alike:
/// one GET of the session, after the refusal, tells them apart. Never after a success or a
/// 404. (What each outcome is, on every provider, is in `conformance`.)
#[test]
fn samba_a_refused_end_is_checked_with_one_get_after_it() {
    let env = Env::new();
    env.emu.seed(Seed::samba_live("s-live", T));
    env.emu.seed(Seed::samba_ended("s-ended", T));

    let (doc, code) = env.json("samba", &["end-many", "s-live", "s-ended", "s-missing"]);
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
    assert_eq!(common::outcomes(&doc)["s-missing"], "not_found");

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
    let huge = "h".repeat(10_240);
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "eliza",
            vec!["end", "m", "--deadline", "0s"],
            "must be more than 0",
        ),
        ("eliza", vec!["end", &huge], "(10240 bytes)"),
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
        // One line of error, at most one of hint, never a whole pasted value.
        let lines: Vec<&str> = stderr.lines().collect();
        assert!(
            lines[0].starts_with("sessionctl: error: ")
                && lines.len() <= 2
                && lines[1..]
                    .iter()
                    .all(|l| l.starts_with("sessionctl: hint: ")),
            "{args:?}: {stderr}"
        );
        assert!(stderr.len() < 500, "{args:?}: {stderr}");
    }
    assert!(
        env.emu.requests().is_empty(),
        "{:#?}",
        lines(&env.emu.requests())
    );
    assert!(env.emu.messaging_exists("m"));
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
fn zep_batch_with_an_unknown_id_falls_back_to_one_by_one() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("k1", T));
    env.emu.seed(Seed::zep_session("k2", T));
    env.emu.seed(Seed::zep_ended("k-ended", T));
    let (doc, code) = env.json("zep", &["end-many", "k1", "unknown", "k2", "k-ended"]);
    assert_eq!(code, 1, "{doc:#}");
    // Two requests carried each: the batch, then its own.
    assert_eq!(brief(&doc, "k1"), b("ended", json!(200), Value::Null, 2));
    assert_eq!(brief(&doc, "k2"), b("ended", json!(200), Value::Null, 2));
    assert_eq!(
        brief(&doc, "unknown"),
        b("not_found", json!(404), json!("not found"), 2)
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
fn zep_batch_with_an_ended_id_falls_back_to_one_by_one() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("e1", T));
    env.emu.seed(Seed::zep_ended("e-done", T));
    let (doc, code) = env.json("zep", &["end-many", "e1", "e-done"]);
    // already_ended is success.
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(brief(&doc, "e1"), b("ended", json!(200), Value::Null, 2));
    assert_eq!(
        brief(&doc, "e-done"),
        b(
            "already_ended",
            json!(409),
            json!("session ended: e-done"),
            2
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

/// zep-cloud 2.22.1 `memory.end_sessions` returns `EndSessionsResponse {sessions}`: the
/// sessions it ended. A 2xx that lists none of them proves none ended: each is sent on its
/// own and gets that answer (here the fault ended nothing, so each one-by-one end ends it).
#[test]
fn zep_bulk_end_whose_reply_lists_none_is_not_taken_as_ended() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("n1", T));
    env.emu.seed(Seed::zep_session("n2", T));
    env.emu.fault(
        Fault::status(200)
            .method("POST")
            .path("/sessions/end")
            .times(1)
            .body(r#"{"sessions":[]}"#),
    );
    let (doc, code) = env.json("zep", &["end-many", "n1", "n2"]);
    assert_eq!(code, 0, "{doc:#}");
    let reqs = env.emu.requests();
    assert_eq!(bulk_bodies(&reqs), [["n1", "n2"]]);
    for id in ["n1", "n2"] {
        assert_eq!(brief(&doc, id), b("ended", json!(200), Value::Null, 2));
        assert_eq!(
            count(&reqs, "POST", &format!("/zep/api/v2/sessions/{id}/end")),
            1,
            "{id} was not asked on its own"
        );
        let note = common::result_of(&doc, id)["note"]
            .as_str()
            .unwrap_or_default();
        assert!(note.contains("did not list it"), "{id}: {doc:#}");
        assert_eq!(env.emu.zep_session_ended(id), Some(true));
    }
}

/// A session the bulk end's reply does not list is sent again on its own, and what that
/// single end says of itself (here: every attempt lost its reply) is kept beside why it was
/// sent again, not overwritten by it: here its first attempt ended the session and lost its
/// reply, so the second is answered 409: `already_ended`, the lost reply noted.
#[test]
fn zep_bulk_end_resent_on_its_own_keeps_the_single_ends_note() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("k1", T));
    env.emu.seed(Seed::zep_session("k2", T));
    env.emu.fault(
        Fault::status(200)
            .method("POST")
            .path("/sessions/end")
            .times(1)
            .body(r#"{"sessions":[{"session_id":"k2"}]}"#),
    );
    env.emu.fault(
        Fault::drop_after_apply()
            .method("POST")
            .path("/sessions/k1/end")
            .times(1),
    );
    let (doc, code) = env.json("zep", &["end-many", "k1", "k2"]);
    assert_eq!(code, 0, "{doc:#}");
    let k1 = common::result_of(&doc, "k1");
    assert_eq!(k1["outcome"], "already_ended", "{doc:#}");
    // The bulk end, then its own end twice (the first reply lost).
    assert_eq!(k1["attempts"], 3, "{doc:#}");
    let note = k1["note"].as_str().unwrap_or_default();
    assert!(note.contains("did not list it"), "{doc:#}");
    assert!(note.contains("an earlier reply was lost"), "{doc:#}");
    assert_eq!(env.emu.zep_session_ended("k1"), Some(true));
    assert_eq!(common::result_of(&doc, "k2")["outcome"], "ended", "{doc:#}");
}

/// A reply that lists some of the batch: those are `ended` from it, the rest are asked
/// one by one; one the bulk call did end after all answers 409 and is `already_ended`.
#[test]
fn zep_bulk_end_trusts_only_the_sessions_its_reply_lists() {
    let env = Env::new();
    for id in ["o1", "o2"] {
        env.emu.seed(Seed::zep_session(id, T));
    }
    env.emu.seed(Seed::zep_ended("o3-ended", T));
    env.emu.fault(
        Fault::status(200)
            .method("POST")
            .path("/sessions/end")
            .times(1)
            .body(r#"{"sessions":[{"session_id":"o1"},{"session_id":"elsewhere"}]}"#),
    );
    let (doc, code) = env.json("zep", &["end-many", "o1", "o2", "o3-ended"]);
    assert_eq!(code, 0, "{doc:#}");
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(outcomes["o1"], "ended", "{doc:#}");
    assert_eq!(outcomes["o2"], "ended", "{doc:#}");
    assert_eq!(outcomes["o3-ended"], "already_ended", "{doc:#}");
    assert!(!outcomes.contains_key("elsewhere"), "{doc:#}");
    let reqs = env.emu.requests();
    assert_eq!(count(&reqs, "POST", "/zep/api/v2/sessions/o1/end"), 0);
    assert_eq!(count(&reqs, "POST", "/zep/api/v2/sessions/o2/end"), 1);
    assert_eq!(count(&reqs, "POST", "/zep/api/v2/sessions/o3-ended/end"), 1);
}

/// A bulk end that did end the whole batch but whose reply lists none of it: each session,
/// sent again on its own, answers 409 and is `already_ended` (never `ended` twice, never
/// claimed from a status alone).
#[test]
fn zep_bulk_end_that_ended_all_but_lists_none_finds_out_one_by_one() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("a1", T));
    env.emu.seed(Seed::zep_session("a2", T));
    env.emu.fault(
        Fault::apply_then_body(r#"{"sessions":[]}"#)
            .method("POST")
            .path("/sessions/end")
            .times(1),
    );
    let (doc, code) = env.json("zep", &["end-many", "a1", "a2"]);
    assert_eq!(code, 0, "{doc:#}");
    let reqs = env.emu.requests();
    for id in ["a1", "a2"] {
        assert_eq!(
            brief(&doc, id),
            b(
                "already_ended",
                json!(409),
                json!(format!("session ended: {id}")),
                2
            )
        );
        assert_eq!(
            count(&reqs, "POST", &format!("/zep/api/v2/sessions/{id}/end")),
            1
        );
        assert_eq!(env.emu.zep_session_ended(id), Some(true));
    }
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
