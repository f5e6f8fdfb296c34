//! Where IDs come from and how they are sent: arguments, `--file` and stdin (trimmed,
//! deduplicated, BOMs, CRLF, comments, bad lines, IDs trickling in), what a valid ID is, and
//! percent-encoding: an ID is always exactly one path segment on the wire.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common;

use common::{Env, Seed, brief, run};
use common::{count_requests as count, expected as b, request_lines as lines};

/// A fixed, valid timestamp for seeds whose age does not matter here.
const T: &str = "2024-05-01T12:00:00Z";

// ---------------------------------------------------------------------------------------
// Where IDs come from: arguments, `--file`, stdin

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
fn a_session_named_bare_and_by_its_profile_is_one_session() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("d1", T));
    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "-"])
            .write_stdin("d1\neliza\td1\n"),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["results"].as_array().unwrap().len(), 1, "{doc:#}");
    assert_eq!(env.emu.requests().len(), 1, "sent once");
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

// ---------------------------------------------------------------------------------------
// What a valid ID is

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

// ---------------------------------------------------------------------------------------
// IDs on the wire: always exactly one path segment

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
fn samba_already_ended_check_encodes_the_id_too() {
    let env = Env::new();
    let id = "a b/c?d";
    env.emu.seed(Seed::samba_ended(id, T));
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
