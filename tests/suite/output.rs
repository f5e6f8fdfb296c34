//! The result documents: JSON (its keys and their order, snapshot-tested), NDJSON (one record
//! per line, then a summary) and the table; every byte from a server escaped before it reaches
//! a terminal; and an output that cannot be written is a failure.

use serde_json::{Value, json};

use crate::common;

use common::{Env, Fault, Seed, run};

/// A fixed, valid timestamp for seeds whose age does not matter here.
const T: &str = "2024-05-01T12:00:00Z";

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
        // A problem says what kind it is, in one vocabulary for every provider.
        if r["outcome"] != "ended" {
            assert_eq!(r["error_kind"], "not_found", "{r}");
            k.retain(|k| *k != "error_kind");
        }
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
            if o["outcome"] == "not_found" {
                assert_eq!(o["error_kind"], "not_found", "{o}");
                k.retain(|k| *k != "error_kind");
            }
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

/// The table of `end id` on `eliza` when the server refuses it (400) with the error message
/// `message` (JSON string text: escapes as the server sends them); asserts the run exits 1.
fn refused_with_message(env: &Env, id: &str, message: &str) -> String {
    env.emu.fault(
        Fault::status(400)
            .body(&format!("{{\"error\":{{\"message\":\"{message}\"}}}}"))
            .method("DELETE"),
    );
    let (code, stdout, _) = run(env.cmd("eliza").args(["end", id]));
    assert_eq!(code, 1);
    stdout
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
    let stdout = refused_with_message(&env, "plain", "bad \\u001b]0;title\\u0007 thing");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(stdout.contains("bad \\u{1b}]0;title"), "{stdout}");
}

#[test]
fn bidi_overrides_and_zero_width_characters_from_servers_are_escaped_too() {
    let env = Env::new();
    // Would read as "user-1-good" and "admin" on a terminal.
    env.emu.seed(Seed::messaging("user-1-\u{202e}doog", T));
    env.emu.seed(Seed::messaging("ad\u{200b}min", T));
    let (code, stdout, stderr) = run(env.cmd("eliza").args(["list"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("user-1-\\u{202e}doog"), "{stdout}");
    assert!(stdout.contains("ad\\u{200b}min"), "{stdout}");
    assert!(
        !stdout.contains('\u{202e}') && !stdout.contains('\u{200b}'),
        "{stdout:?}"
    );
    // And in a server's message (an isolate and a byte-order mark).
    let stdout = refused_with_message(&env, "ad\u{200b}min", "bad \\u2067thing\\ufeff");
    assert!(stdout.contains("bad \\u{2067}thing\\u{feff}"), "{stdout}");
}

#[test]
fn an_output_that_cannot_be_written_is_a_failure() {
    let env = Env::new();
    for format in ["json", "ndjson", "table"] {
        env.emu.seed(Seed::messaging("full-1", T));
        fails_writing_to_full_disk(&env, &["-o", format, "end-many", "full-1"]);
    }
    for args in [
        &["config", "show"][..],
        &["config", "path"],
        &["completions", "bash"],
        &["list"],
    ] {
        fails_writing_to_full_disk(&env, args);
    }
}

/// Asserts that `args` on `eliza`, its stdout on a full disk (`/dev/full`), exits 1 saying
/// it could not write its output.
fn fails_writing_to_full_disk(env: &Env, args: &[&str]) {
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

/// Streamed output that can no longer be written stops the run, as a journal that cannot be
/// written does: what it would send could not be reported.
#[test]
fn a_stream_that_cannot_be_written_stops_sending() {
    let env = Env::new();
    let ids: Vec<String> = (0..60).map(|i| format!("full-{i:02}")).collect();
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, T)));
    let journal = env.dir.path().join("full.journal");
    for format in ["json", "ndjson"] {
        env.emu.reset();
        env.emu
            .seed_many(ids.iter().map(|id| Seed::messaging(id, T)));
        let _ = std::fs::remove_file(&journal);
        let out = env
            .std_cmd("eliza")
            .args(["-o", format, "end-many", "--concurrency", "1", "--journal"])
            .arg(&journal)
            .args(&ids)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(stderr.contains("writing output"), "{format}: {stderr}");
        let sent = env.emu.requests().len();
        assert!(
            sent <= 3,
            "{format}: {sent} requests after the output failed"
        );
        // The journal has the rest, skipped and why.
        let text = std::fs::read_to_string(&journal).unwrap();
        let skipped = text
            .lines()
            .filter(|l| l.contains("\"skipped\"") && l.contains("writing output failed earlier"))
            .count();
        assert_eq!(skipped, ids.len() - sent, "{format}: {text}");
    }
}

// ---------------------------------------------------------------------------------------
// Output that does not grow with the run: a table of more rows than a screen keeps only
// what needs a look, and the JSON document is streamed yet always whole.

const OLD: &str = "2026-01-01T00:00:00.000Z";

#[test]
fn a_table_longer_than_a_page_shows_what_did_not_succeed_and_counts_the_rest() {
    let env = Env::new();
    let ids: Vec<String> = (0..1100).map(|i| format!("t-{i:04}")).collect();
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, OLD)));
    let mut input = ids.join("\n");
    input.push_str("\ngone-1\ngone-2\n");
    let out = env
        .cmd("eliza")
        .args(["end-many", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("gone-1") && stdout.contains("gone-2"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("t-0001 "),
        "successful rows were kept: {stdout}"
    );
    assert!(
        stdout.contains("1100 sessions that succeeded are not shown"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("ended 1100, not_found 2"),
        "{stdout}"
    );
    assert_eq!(env.emu.messaging_count(), 0);
}

#[test]
fn a_short_table_shows_every_row() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("s-1", OLD));
    let out = env.cmd("eliza").args(["end", "s-1"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("s-1") && !stdout.contains("not shown"),
        "{stdout}"
    );
}

#[test]
fn the_streamed_json_document_is_whole_with_no_results_and_with_many() {
    let env = Env::new();
    // No results at all (an empty sweep): still one valid document.
    let (doc, code) = env.json("eliza", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    assert_eq!(doc["results"], Value::Array(vec![]));
    assert_eq!(doc["summary"], serde_json::json!({}));
    let ids: Vec<String> = (0..300).map(|i| format!("j-{i:03}")).collect();
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, OLD)));
    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "-"])
            .write_stdin(ids.join("\n")),
    );
    assert_eq!(code, 0);
    assert_eq!(doc["results"].as_array().unwrap().len(), 300);
    assert_eq!(doc["summary"]["ended"], 300);
    assert_eq!(doc["profile"], "eliza");
}

#[test]
fn list_ndjson_is_typed_like_a_run_and_ends_with_a_summary() {
    let env = Env::new();
    env.emu
        .seed_many(["l-1", "l-2"].map(|id| Seed::messaging(id, T)));
    let (code, stdout, stderr) = run(env.cmd("eliza").args(["-o", "ndjson", "list"]));
    assert_eq!(code, 0, "{stderr}");
    let objects: Vec<Value> = (stdout.lines())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert_eq!(objects.len(), 3, "{stdout}");
    let run_id = objects[0]["run_id"].as_str().unwrap();
    assert_eq!(run_id.len(), 36, "a UUID: {run_id}");
    assert!(objects.iter().all(|o| o["run_id"] == run_id), "{stdout}");
    for (o, id) in objects.iter().zip(["l-1", "l-2"]) {
        assert_eq!(
            (o["type"].as_str(), o["id"].as_str()),
            (Some("session"), Some(id))
        );
    }
    assert_eq!(
        objects[2],
        json!({"type": "summary", "run_id": run_id, "count": 2, "exit_code": 0})
    );
    // A profile that cannot be listed is a record in the stream, and in the exit code.
    env.add_profile(
        "down",
        "provider = \"messaging\"\nbase_url = \"http://127.0.0.1:9\"\nmax_backoff = \"10ms\"\n",
    );
    let (code, stdout, _) = run(env
        .cmd("eliza")
        .args(["-o", "ndjson", "list", "--all-profiles"]));
    let records: Vec<Value> = (stdout.lines())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let failed: Vec<&Value> = (records.iter())
        .filter(|o| o["type"] == "profile_error")
        .collect();
    assert!(
        failed
            .iter()
            .any(|o| o["profile"] == "down" && o["error"].is_string()),
        "{stdout}"
    );
    let last = records.last().unwrap();
    assert_eq!(
        (last["type"].as_str(), last["exit_code"].as_i64()),
        (Some("summary"), Some(i64::from(code)))
    );
    assert_ne!(code, 0, "{stdout}");

    // One that cannot even be used (its key's variable unset) is a record too, and both are
    // in a JSON document's `profile_errors`; stderr names the profile once.
    env.add_profile(
        "nokey",
        &format!(
            "provider = \"zep\"\nbase_url = \"{}\"\napi_key_env = \"SESSIONCTL_TEST_UNSET\"\n",
            env.emu.zep_v2_url()
        ),
    );
    let unset = |cmd: &mut assert_cmd::Command| {
        cmd.env_remove("SESSIONCTL_TEST_UNSET");
    };
    let mut cmd = env.cmd("eliza");
    unset(&mut cmd);
    let (code, stdout, stderr) = run(cmd.args(["-o", "ndjson", "list", "--all-profiles"]));
    assert_eq!(code, 1, "{stdout}");
    let failed: Vec<Value> = (stdout.lines())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|o| o["type"] == "profile_error")
        .collect();
    let names: Vec<&str> = failed
        .iter()
        .map(|o| o["profile"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nokey", "down"], "{stdout}");
    assert!(
        stderr.contains("skipping profile `nokey`: environment variable SESSIONCTL_TEST_UNSET"),
        "{stderr}"
    );
    let mut cmd = env.cmd("eliza");
    unset(&mut cmd);
    let (code, stdout, _) = run(cmd.args(["-o", "json", "list", "--all-profiles"]));
    assert_eq!(code, 1, "{stdout}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let names: Vec<&str> = (doc["profile_errors"].as_array().unwrap().iter())
        .map(|o| o["profile"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nokey", "down"], "{doc:#}");
    assert_eq!(doc["count"], 2, "{doc:#}");
}

#[test]
fn the_table_shows_a_results_note() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("gone-1", T));
    env.emu.fault(
        Fault::status(410)
            .body(r#"{"success":false,"error":{"code":"SESSION_EXPIRED","message":"Session has expired"}}"#)
            .method("DELETE")
            .path("/sessions/gone-1"),
    );
    let (code, stdout, _) = run(env.cmd("eliza").args(["end", "gone-1"]));
    assert_eq!(code, 0, "{stdout}");
    let line = stdout.lines().find(|l| l.contains("gone-1")).unwrap();
    assert!(line.contains("already_ended"), "{stdout}");
    assert!(
        line.contains("expired: the server ended it on its own (410 SESSION_EXPIRED)"),
        "{stdout}"
    );
}

#[test]
fn vvv_shows_each_replys_headers_and_body_which_vv_does_not() {
    let env = Env::new();
    let stderr = |v: &str| run(env.cmd("eliza").args([v, "end", "m-none"])).2;
    let vv = stderr("-vv");
    let vvv = stderr("-vvv");
    assert!(vv.contains("-> 404"), "{vv}");
    assert!(!vv.contains("reply body"), "{vv}");
    assert!(
        vvv.contains("reply headers: content-type: application/json"),
        "{vvv}"
    );
    assert!(
        vvv.contains("reply body: {\"") && vvv.contains("SESSION_NOT_FOUND"),
        "{vvv}"
    );
}

/// A one-profile run fed a line routed to another profile shows a PROFILE column: its own
/// rows name the run's profile there, never a blank cell.
#[test]
fn the_table_names_the_runs_own_profile_beside_a_routed_line() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m-1", T));
    let (code, stdout, _) = run(env
        .cmd("eliza")
        .args(["end-many", "-", "--dry-run"])
        .write_stdin("zep\tz-1\neliza\tm-1\nm-2\n"));
    assert_eq!(code, 1, "{stdout}");
    let row = |id: &str| {
        let line = stdout.lines().find(|l| l.contains(id)).unwrap();
        let cells: Vec<&str> = line.split(['│', '┆']).map(str::trim).collect();
        cells[1].to_owned()
    };
    assert_eq!(row("z-1"), "zep", "{stdout}");
    assert!(
        stdout.contains("profile `zep` is not in this run"),
        "{stdout}"
    );
    assert_eq!(row("m-1"), "eliza", "{stdout}");
    assert_eq!(row("m-2"), "eliza", "{stdout}");
}

/// A one-profile run refused before it began (a `delete` with no terminal to ask) names its
/// profile and provider in its document, as one refused by a cap does.
#[test]
fn a_refused_run_names_its_profile() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m-1", T));
    let (code, stdout, stderr) = run(env
        .cmd("eliza")
        .args(["-o", "json", "delete", "m-1"])
        .write_stdin(""));
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&doc["profile"], &doc["provider"]),
        (&json!("eliza"), &json!("messaging")),
        "{doc:#}"
    );
    assert!(env.emu.messaging_exists("m-1"));
}
