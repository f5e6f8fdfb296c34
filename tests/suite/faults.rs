//! Retries, broken replies and scale: the real binary against an emulator that misbehaves.
//!
//! Most tests use the `eliza` (messaging) profile, where every ID is exactly one
//! `DELETE /api/messaging/sessions/{id}`, so requests per ID are easy to count.

use crate::common;

use common::result_of;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Env, Fault, Options, Seed};
use serde_json::Value;

/// An old timestamp every seeded messaging session gets (faults tests do not sweep).
const OLD: &str = "2024-01-01T00:00:00.000Z";

fn seed_eliza(env: &Env, ids: &[String]) {
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, OLD)));
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:02}")).collect()
}

fn strs(ids: &[String]) -> Vec<&str> {
    ids.iter().map(String::as_str).collect()
}

/// How many DELETEs the emulator received for this messaging session ID.
fn deletes_of(env: &Env, id: &str) -> usize {
    let path = format!("/api/messaging/sessions/{id}");
    env.emu
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE" && r.path == path)
        .count()
}

/// Every ID in `expected` appears exactly once in the results, and nothing else does.
fn assert_each_once(doc: &Value, expected: &[String]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in doc["results"].as_array().expect("results array") {
        *seen
            .entry(r["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    for id in expected {
        assert_eq!(
            seen.get(id),
            Some(&1),
            "{id} reported {:?} times",
            seen.get(id)
        );
    }
    assert_eq!(seen.len(), expected.len(), "unexpected IDs in {seen:?}");
}

/// A messaging profile on this env's emulator with extra keys.
fn add_eliza_profile(env: &Env, name: &str, extra: &str) {
    env.add_profile(
        name,
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\n{extra}",
            env.emu.messaging_url()
        ),
    );
}

// ---------------------------------------------------------------------------------------
// Retries

#[test]
fn retry_after_on_429_is_waited_out_then_everything_ends() {
    let env = Env::new();
    add_eliza_profile(&env, "patient", "max_backoff = \"5s\"\ntimeout = \"5s\"\n");
    let all = ids("ra", 3);
    seed_eliza(&env, &all);
    env.emu.fault(
        Fault::status(429)
            .retry_after("1")
            .times(2)
            .method("DELETE"),
    );
    let started = Instant::now();
    let (doc, code) = env.json(
        "patient",
        &[&["end-many", "--concurrency", "1"][..], &strs(&all)].concat(),
    );
    let took = started.elapsed();
    assert_eq!(code, 0, "{doc:#}");
    assert_each_once(&doc, &all);
    assert!(
        common::outcomes(&doc).values().all(|o| o == "ended"),
        "{doc:#}"
    );
    // Two 429s with `Retry-After: 1`, one after the other: at least two seconds of waiting.
    assert!(took >= Duration::from_millis(1950), "took only {took:?}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(result_of(&doc, "ra-00")["attempts"], 3, "{doc:#}");
    assert_eq!(env.emu.requests().len(), 5);
    assert_eq!(env.emu.messaging_count(), 0);
}

#[test]
fn retry_after_is_honoured_past_max_backoff_until_the_deadline() {
    let env = Env::new();
    add_eliza_profile(
        &env,
        "capped",
        "max_backoff = \"200ms\"\ntimeout = \"5s\"\n",
    );
    env.emu.seed(Seed::messaging("cap-1", OLD));
    env.emu.fault(Fault::status(429).retry_after("30").times(1));
    let started = Instant::now();
    let (doc, code) = env.json("capped", &["end", "cap-1", "--deadline", "2s"]);
    let took = started.elapsed();
    assert_eq!(
        code, 1,
        "a deadline that leaves sessions unsent is exit 1: {doc:#}"
    );
    let r = result_of(&doc, "cap-1");
    assert_eq!(r["outcome"], "skipped", "{doc:#}");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.contains("wait 30 seconds") && error.contains("deadline"),
        "{error}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(env.emu.messaging_count(), 1, "nothing was done");
}

#[test]
fn retry_after_as_http_date_is_honoured() {
    let env = Env::new();
    add_eliza_profile(&env, "patient", "max_backoff = \"5s\"\ntimeout = \"5s\"\n");
    env.emu.seed(Seed::messaging("date-1", OLD));
    // An HTTP date two seconds ahead (whole seconds, so at least one second of wait).
    let at = std::time::SystemTime::now() + Duration::from_secs(2);
    let date = httpdate::fmt_http_date(at);
    env.emu
        .fault(Fault::status(503).retry_after(&date).times(1));
    let started = Instant::now();
    let (doc, code) = env.json("patient", &["end", "date-1"]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "date-1")["attempts"], 2);
    assert!(took >= Duration::from_millis(900), "took only {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn random_503s_are_retried_until_everything_ends() {
    let env = Env::new();
    let all = ids("r503", 20);
    seed_eliza(&env, &all);
    // The first request surely fails, the rest one time in five. The emulator's rolls are
    // seeded and --concurrency 1 fixes the order requests meet them, so this cannot flake.
    env.emu.fault(Fault::status(503).times(1));
    env.emu.fault(Fault::status(503).probability(0.2));
    let args = [&["end-many", "--concurrency", "1"][..], &strs(&all)].concat();
    let (doc, code) = env.json("eliza", &args);
    assert_eq!(code, 0, "{doc:#}");
    assert_each_once(&doc, &all);
    let results = doc["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["outcome"] == "ended"), "{doc:#}");
    let attempts: Vec<u64> = results
        .iter()
        .map(|r| r["attempts"].as_u64().unwrap())
        .collect();
    assert!(
        attempts.iter().any(|&a| a > 1),
        "no retry recorded: {attempts:?}"
    );
    assert!(attempts.iter().all(|&a| a >= 1));
    // Every attempt is one request, and every request is counted in some result.
    let total: u64 = attempts.iter().sum();
    assert_eq!(total as usize, env.emu.requests().len());
    for id in &all {
        let n = deletes_of(&env, id) as u64;
        assert_eq!(n, result_of(&doc, id)["attempts"].as_u64().unwrap(), "{id}");
    }
    assert_eq!(env.emu.messaging_count(), 0);
}

#[test]
fn answers_are_never_retried() {
    let env = Env::new();
    for (status, outcome, exit) in [
        (400, "failed", 1),
        (401, "failed", 3),
        (403, "failed", 3),
        (404, "not_found", 1),
        (409, "failed", 1),
        (422, "failed", 1),
    ] {
        env.emu.reset();
        env.emu.seed(Seed::messaging("answer-1", OLD));
        env.emu.fault(Fault::status(status));
        let (doc, code) = env.json("eliza", &["end-many", "answer-1"]);
        let r = result_of(&doc, "answer-1");
        assert_eq!(r["outcome"], outcome, "status {status}: {doc:#}");
        assert_eq!(r["status"], status, "{doc:#}");
        assert_eq!(r["attempts"], 1, "status {status} was retried: {doc:#}");
        assert_eq!(env.emu.requests().len(), 1, "status {status} was retried");
        assert_eq!(code, exit, "status {status}");
    }
}

#[test]
fn never_retried_on_zep_v2_batches_either() {
    // A batch answered 422 is an answer for the whole batch: no retry, every ID failed.
    let env = Env::new();
    for id in ["z1", "z2"] {
        env.emu.seed(Seed::zep_session(id, "2024-01-01T00:00:00Z"));
    }
    env.emu.fault(Fault::status(422).method("POST"));
    let (doc, code) = env.json("zep", &["end-many", "z1", "z2"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(env.emu.requests().len(), 1, "{:?}", env.emu.requests());
    for id in ["z1", "z2"] {
        assert_eq!(result_of(&doc, id)["outcome"], "failed");
        assert_eq!(result_of(&doc, id)["status"], 422);
        assert_eq!(env.emu.zep_session_ended(id), Some(false));
    }
}

// ---------------------------------------------------------------------------------------
// Broken replies

#[test]
fn dropped_connections_are_retried_then_reported() {
    let env = Env::new();
    let all = vec![
        "drop-always".to_owned(),
        "drop-once".to_owned(),
        "fine".to_owned(),
    ];
    seed_eliza(&env, &all);
    env.emu.fault(Fault::drop_mid_reply().path("drop-always"));
    env.emu
        .fault(Fault::drop_mid_reply().path("drop-once").times(1));
    let (doc, code) = env.json("eliza", &[&["end-many"][..], &strs(&all)].concat());
    assert_eq!(code, 1, "{doc:#}");
    assert_each_once(&doc, &all);
    let always = result_of(&doc, "drop-always");
    assert_eq!(always["outcome"], "failed");
    assert_eq!(always["attempts"], 5, "retries = 4 by default: {doc:#}");
    assert!(
        !always["error"].as_str().unwrap_or("").is_empty(),
        "{doc:#}"
    );
    assert_eq!(deletes_of(&env, "drop-always"), 5);
    let once = result_of(&doc, "drop-once");
    assert_eq!(once["outcome"], "ended", "{doc:#}");
    assert_eq!(once["attempts"], 2);
    assert_eq!(result_of(&doc, "fine")["outcome"], "ended");
    assert_eq!(result_of(&doc, "fine")["attempts"], 1);
    assert!(env.emu.messaging_exists("drop-always"));
    assert!(!env.emu.messaging_exists("drop-once"));
}

#[test]
fn replies_slower_than_the_timeout_time_out() {
    let env = Env::new();
    add_eliza_profile(
        &env,
        "hasty",
        "timeout = \"300ms\"\nretries = 1\nmax_backoff = \"50ms\"\n",
    );
    let all = vec!["slow".to_owned(), "quick".to_owned()];
    seed_eliza(&env, &all);
    env.emu
        .fault(Fault::delay(Duration::from_secs(2)).path("/slow"));
    let started = Instant::now();
    let (doc, code) = env.json("hasty", &["end-many", "slow", "quick"]);
    let took = started.elapsed();
    assert_eq!(code, 1, "{doc:#}");
    assert_each_once(&doc, &all);
    let slow = result_of(&doc, "slow");
    assert_eq!(slow["outcome"], "failed");
    assert_eq!(slow["attempts"], 2, "{doc:#}");
    assert!(
        slow["error"].as_str().unwrap().contains("timed out"),
        "{doc:#}"
    );
    assert_eq!(result_of(&doc, "quick")["outcome"], "ended");
    // Two attempts of 300ms, not two of 2s.
    assert!(took < Duration::from_millis(1800), "took {took:?}");
}

#[test]
fn malformed_list_body_fails_the_listing_and_ends_nothing() {
    let env = Env::new();
    env.emu
        .seed(Seed::zep_session("old-1", "2024-01-01T00:00:00Z"));
    env.emu.fault(Fault::malformed().path("sessions-ordered"));
    let out = env
        .cmd("zep")
        .args(["-o", "json", "list", "--idle-for", "1h"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("malformed"), "stderr: {stderr}");
    // A 200 with a broken body is not retried: it is not a transient failure.
    assert_eq!(env.emu.requests().len(), 1);

    let out = env
        .cmd("zep")
        .args(["-o", "json", "end-many", "--idle-for", "1h"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["results"].as_array().unwrap().len(), 0, "{doc:#}");
    assert_eq!(env.emu.zep_session_ended("old-1"), Some(false));
    assert!(
        env.emu.requests().iter().all(|r| r.method == "GET"),
        "nothing but listing may be sent"
    );
}

#[test]
fn a_50_mb_error_body_is_truncated() {
    let env = Env::new();
    let all = vec!["huge".to_owned(), "fine".to_owned()];
    seed_eliza(&env, &all);
    env.emu
        .fault(Fault::huge_body(500, 50 * 1024 * 1024).path("/huge"));
    let started = Instant::now();
    let out = env
        .cmd("eliza")
        .args(["-o", "json", "end-many", "huge", "fine"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        out.stdout.len() < 16 * 1024,
        "stdout is {} bytes",
        out.stdout.len()
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_each_once(&doc, &all);
    let huge = result_of(&doc, "huge");
    assert_eq!(huge["outcome"], "failed");
    assert_eq!(huge["status"], 500);
    let error = huge["error"].as_str().unwrap();
    assert!(error.starts_with("xxx"), "{error}");
    assert!(
        error.chars().count() <= 1024,
        "error not truncated: {} chars",
        error.len()
    );
    assert_eq!(result_of(&doc, "fine")["outcome"], "ended");
}

/// A reply that is not a list is read whole, so one past the cap is refused; a list reply
/// is decoded as it arrives (`bounds::a_list_reply_larger_than_the_reply_cap_is_read_as_a_stream`),
/// so 50 MB that are not JSON fail at their first byte.
#[test]
fn a_huge_success_body_is_refused_not_swallowed() {
    let env = Env::new();
    add_eliza_profile(&env, "once", "retries = 0\ntimeout = \"10s\"\n");
    env.emu.seed(Seed::messaging("s-1", OLD));
    env.emu
        .fault(Fault::huge_body(200, 50 * 1024 * 1024).method("DELETE"));
    let (doc, code) = env.json("once", &["end", "s-1"]);
    assert_eq!(code, 1, "{doc:#}");
    let error = result_of(&doc, "s-1")["error"].as_str().unwrap_or_default();
    assert!(error.contains("larger than 16 MiB"), "{doc:#}");
    env.emu
        .fault(Fault::huge_body(200, 50 * 1024 * 1024).method("GET"));
    let out = env.cmd("once").args(["list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("malformed reply body"), "stderr: {stderr}");
}

#[test]
fn an_endless_error_body_does_not_hang_the_run() {
    let env = Env::new();
    let all = vec!["endless".to_owned(), "fine".to_owned()];
    seed_eliza(&env, &all);
    env.emu.fault(Fault::endless_body(500).path("/endless"));
    let started = Instant::now();
    let (doc, code) = env.json("eliza", &["end-many", "endless", "fine"]);
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(code, 1, "{doc:#}");
    assert_each_once(&doc, &all);
    let endless = result_of(&doc, "endless");
    assert_eq!(endless["outcome"], "failed");
    assert_eq!(endless["status"], 500);
    assert!(endless["error"].as_str().unwrap().chars().count() <= 1024);
    assert_eq!(result_of(&doc, "fine")["outcome"], "ended");
}

#[test]
fn an_endless_success_body_times_out() {
    let env = Env::new();
    add_eliza_profile(
        &env,
        "hasty",
        "timeout = \"300ms\"\nretries = 1\nmax_backoff = \"50ms\"\n",
    );
    env.emu.seed(Seed::messaging("endless-ok", OLD));
    env.emu.fault(Fault::endless_body(200).path("/endless-ok"));
    let started = Instant::now();
    let (doc, code) = env.json("hasty", &["end", "endless-ok"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(code, 1, "{doc:#}");
    let r = result_of(&doc, "endless-ok");
    assert_eq!(r["outcome"], "failed");
    assert_eq!(r["attempts"], 2);
    assert!(
        r["error"].as_str().unwrap().contains("timed out"),
        "{doc:#}"
    );
}

#[test]
fn an_invalid_utf8_error_body_is_reported_readably() {
    let env = Env::new();
    let all = vec!["bad-bytes".to_owned(), "bad-422".to_owned()];
    seed_eliza(&env, &all);
    env.emu.fault(Fault::invalid_utf8(500).path("/bad-bytes"));
    env.emu.fault(Fault::invalid_utf8(422).path("/bad-422"));
    let (doc, code) = env.json("eliza", &["end-many", "bad-bytes", "bad-422"]);
    assert_eq!(code, 1);
    assert_each_once(&doc, &all);
    let r = result_of(&doc, "bad-bytes");
    assert_eq!(r["outcome"], "failed");
    assert_eq!(r["status"], 500);
    assert_eq!(r["attempts"], 5);
    assert!(r["error"].as_str().unwrap().contains("invalid"), "{doc:#}");
    let r = result_of(&doc, "bad-422");
    assert_eq!(r["status"], 422);
    assert_eq!(r["attempts"], 1);
    assert!(r["error"].as_str().unwrap().contains("invalid"), "{doc:#}");
}

#[test]
fn a_mix_of_faults_gives_every_id_exactly_one_right_outcome() {
    let env = Env::new();
    add_eliza_profile(
        &env,
        "mixed",
        "timeout = \"500ms\"\nretries = 2\nmax_backoff = \"50ms\"\n",
    );
    let mut all: Vec<String> = [
        "m-drop", "m-slow", "m-500", "m-404", "m-403", "m-huge", "m-utf8", "m-once",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.extend(ids("m-ok", 12));
    seed_eliza(&env, &all);
    env.emu.fault(Fault::drop_mid_reply().path("/m-drop"));
    env.emu
        .fault(Fault::delay(Duration::from_secs(3)).path("/m-slow"));
    env.emu.fault(Fault::status(500).path("/m-500"));
    env.emu.fault(Fault::status(404).path("/m-404"));
    env.emu.fault(Fault::status(403).path("/m-403"));
    env.emu
        .fault(Fault::huge_body(502, 50 * 1024 * 1024).path("/m-huge"));
    env.emu.fault(Fault::invalid_utf8(500).path("/m-utf8"));
    env.emu.fault(Fault::status(503).path("/m-once").times(1));
    let (doc, code) = env.json("mixed", &[&["end-many"][..], &strs(&all)].concat());
    assert_each_once(&doc, &all);
    let outcomes = common::outcomes(&doc);
    for (id, want, attempts) in [
        ("m-drop", "failed", 3),
        ("m-slow", "failed", 3),
        ("m-500", "failed", 3),
        ("m-404", "not_found", 1),
        ("m-403", "failed", 1),
        ("m-huge", "failed", 3),
        ("m-utf8", "failed", 3),
        ("m-once", "ended", 2),
    ] {
        assert_eq!(outcomes[id], want, "{id}: {doc:#}");
        assert_eq!(result_of(&doc, id)["attempts"], attempts, "{id}: {doc:#}");
    }
    for id in ids("m-ok", 12) {
        assert_eq!(outcomes[&id], "ended", "{id}");
    }
    // A 403 among the results: credentials refused outranks "some failed".
    assert_eq!(code, 3, "{doc:#}");
    let summary = &doc["summary"];
    assert_eq!(summary["ended"], 13, "{summary}");
    assert_eq!(summary["failed"], 6, "{summary}");
    assert_eq!(summary["not_found"], 1, "{summary}");
}

// ---------------------------------------------------------------------------------------
// Concurrency and rate

fn timed_end_many(env: &Env, all: &[String], extra: &[&str]) -> Duration {
    seed_eliza(env, all);
    let started = Instant::now();
    let (doc, code) = env.json("eliza", &[&["end-many"][..], extra, &strs(all)].concat());
    let took = started.elapsed();
    assert_eq!(code, 0, "{doc:#}");
    assert_each_once(&doc, all);
    took
}

#[test]
fn concurrency_one_sends_one_request_at_a_time() {
    let env = Env::with(Options {
        latency: Duration::from_millis(200),
        ..Options::default()
    });
    let took = timed_end_many(&env, &ids("c1", 8), &["--concurrency", "1"]);
    assert!(took >= Duration::from_millis(1600), "took only {took:?}");
}

#[test]
fn concurrency_eight_sends_eight_at_once() {
    let env = Env::with(Options {
        latency: Duration::from_millis(1000),
        ..Options::default()
    });
    // One round of 1s; two at a time would take 4s, one at a time 8s. The slack is for
    // busy CI machines.
    let took = timed_end_many(&env, &ids("c8", 8), &["--concurrency", "8"]);
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn concurrency_two_takes_half_as_long_as_one() {
    let env = Env::with(Options {
        latency: Duration::from_millis(500),
        ..Options::default()
    });
    // 8 IDs, 2 at a time: 4 rounds of 500ms; 8 at once would be one round, 1 at a time 4s.
    let took = timed_end_many(&env, &ids("c2", 8), &["--concurrency", "2"]);
    assert!(took >= Duration::from_millis(2000), "took only {took:?}");
    assert!(took < Duration::from_millis(3500), "took {took:?}");
}

#[test]
fn rate_limit_spaces_requests() {
    let env = Env::new();
    let took = timed_end_many(&env, &ids("rate", 6), &["--rate", "5/s"]);
    // Six requests at five per second: the last one starts a second after the first.
    assert!(took >= Duration::from_millis(950), "took only {took:?}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

// ---------------------------------------------------------------------------------------
// Interruption

/// The real binary as a plain child process (for signals and streaming).
fn spawn(env: &Env, profile: &str, args: &[&str]) -> Child {
    env.std_cmd(profile)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sessionctl")
}

/// Waits for the child's output, killing it (by its own PID) after `limit`.
fn output_within(child: Child, limit: Duration) -> Output {
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // SAFETY: kill(2) on the PID of the child this test spawned.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("sessionctl did not finish within {limit:?}");
        }
    }
}

fn interrupted_run_reports_the_rest_skipped(signal: libc::c_int) {
    let env = Env::with(Options {
        latency: Duration::from_millis(250),
        ..Options::default()
    });
    let all = ids("sig", 40);
    seed_eliza(&env, &all);
    let file = env.dir.path().join("ids.txt");
    std::fs::write(&file, all.join("\n") + "\n").unwrap();
    let file = file.to_str().unwrap().to_owned();
    let child = spawn(
        &env,
        "eliza",
        &[
            "-o",
            "json",
            "end-many",
            "--concurrency",
            "2",
            "--file",
            &file,
        ],
    );
    // Wait until the run is under way (the signal handler is installed before any request).
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.emu.requests().len() < 3 {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: kill(2) on the PID of the child this test spawned.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    let out = output_within(child, Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&out.stderr);
    common::assert_died_of(&out.status, signal, &stderr);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not ONE JSON document ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(doc["interrupted"], true, "{doc:#}");
    assert_eq!(
        doc["exit_code"],
        128 + signal,
        "the code a shell reports: {doc:#}"
    );
    assert_each_once(&doc, &all);
    let outcomes = common::outcomes(&doc);
    let count = |o: &str| outcomes.values().filter(|v| *v == o).count();
    let (ended, skipped, failed) = (count("ended"), count("skipped"), count("failed"));
    assert_eq!(ended + skipped + failed, all.len(), "{outcomes:?}");
    assert!(ended >= 2, "in-flight work should finish: {outcomes:?}");
    assert!(skipped >= 20, "the run stopped late: {outcomes:?}");
    for (id, outcome) in &outcomes {
        let sent = deletes_of(&env, id);
        match outcome.as_str() {
            "skipped" => {
                assert_eq!(sent, 0, "skipped {id} was requested");
                assert!(env.emu.messaging_exists(id), "skipped {id} is gone");
            }
            "ended" => {
                assert_eq!(sent, 1, "{id}");
                assert!(!env.emu.messaging_exists(id), "ended {id} still exists");
            }
            _ => {}
        }
    }
    assert_eq!(doc["summary"]["skipped"], skipped);
}

#[test]
fn sigint_mid_run_prints_one_document_with_the_rest_skipped() {
    interrupted_run_reports_the_rest_skipped(libc::SIGINT);
}

#[test]
fn sigterm_mid_run_behaves_like_sigint() {
    interrupted_run_reports_the_rest_skipped(libc::SIGTERM);
}

// ---------------------------------------------------------------------------------------
// Streaming output

#[test]
fn ndjson_streams_one_result_per_line_as_each_finishes() {
    let env = Env::with(Options {
        latency: Duration::from_millis(300),
        ..Options::default()
    });
    let all = ids("nd", 5);
    seed_eliza(&env, &all);
    let mut args = vec!["-o", "ndjson", "end-many", "--concurrency", "1"];
    args.extend(strs(&all));
    let mut child = spawn(&env, "eliza", &args);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // The first line arrived while the other four (1.2s of latency) were still to come.
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first line only came at the end"
    );
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let lines: Vec<&str> = std::iter::once(first.trim_end())
        .chain(rest.lines())
        .collect();
    // One result per session, then the summary.
    assert_eq!(lines.len(), all.len() + 1, "{lines:?}");
    let summary: Value = serde_json::from_str(lines[all.len()]).unwrap();
    assert_eq!(summary["type"], "summary", "{summary}");
    assert_eq!(summary["exit_code"], 0, "{summary}");
    let mut seen = Vec::new();
    for line in &lines[..all.len()] {
        let r: Value = serde_json::from_str(line).expect("each line is one JSON object");
        assert_eq!(r["type"], "result", "{line}");
        assert_eq!(r["outcome"], "ended", "{line}");
        seen.push(r["id"].as_str().unwrap().to_owned());
    }
    seen.sort();
    assert_eq!(seen, all);
}

#[test]
fn a_second_signal_abandons_requests_in_flight() {
    let env = Env::with(Options {
        latency: Duration::from_secs(3),
        ..Options::default()
    });
    let all = ids("twice", 10);
    seed_eliza(&env, &all);
    let mut args = vec!["-o", "json", "end-many", "--concurrency", "2"];
    args.extend(strs(&all));
    let child = spawn(&env, "eliza", &args);
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.emu.requests().len() < 2 {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let first = Instant::now();
    // SAFETY: kill(2) on the PID of the child this test spawned.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = output_within(child, Duration::from_secs(10));
    assert!(
        first.elapsed() < Duration::from_secs(2),
        "the second signal did not abandon the 3s requests: {:?}",
        first.elapsed()
    );
    common::assert_died_of(&out.status, libc::SIGINT, "");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["interrupted"], true);
    let outcomes = common::outcomes(&doc);
    let abandoned: Vec<&String> = outcomes
        .iter()
        .filter(|(_, o)| *o == "failed")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(abandoned.len(), 2, "{doc:#}");
    for id in abandoned {
        let error = result_of(&doc, id)["error"].as_str().unwrap_or_default();
        assert!(error.contains("abandoned"), "{error}");
    }
    // README: "every ID never started is reported `skipped`" -- the eight IDs given on the
    // command line that were never sent must still be in the document.
    assert_each_once(&doc, &all);
    assert_eq!(outcomes.values().filter(|o| *o == "skipped").count(), 8);
    for (id, outcome) in &outcomes {
        if outcome == "skipped" {
            assert_eq!(deletes_of(&env, id), 0, "skipped {id} was requested");
        }
    }
}

#[test]
fn a_429_pauses_every_request_of_the_run() {
    let env = Env::new();
    add_eliza_profile(&env, "patient", "max_backoff = \"5s\"\ntimeout = \"5s\"\n");
    let all = vec!["p-a".to_owned(), "p-b".to_owned(), "p-c".to_owned()];
    seed_eliza(&env, &all);
    env.emu
        .fault(Fault::status(429).retry_after("2").times(1).path("/p-a"));
    env.emu
        .fault(Fault::delay(Duration::from_millis(200)).path("/p-b"));
    let child = spawn(
        &env,
        "patient",
        &[
            "-o",
            "json",
            "end-many",
            "--concurrency",
            "2",
            "p-a",
            "p-b",
            "p-c",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.emu.requests().len() < 2 {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    // p-b is done after 200ms and p-c could start, but the 429 on p-a paused the run for 2s
    // (a Retry-After that long is a window to wait out, not one token's delay).
    std::thread::sleep(Duration::from_millis(600));
    let early = deletes_of(&env, "p-c");
    let out = output_within(child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_each_once(&doc, &all);
    assert!(
        common::outcomes(&doc).values().all(|o| o == "ended"),
        "{doc:#}"
    );
    assert_eq!(early, 0, "p-c was sent during the pause a 429 asked for");
}

#[test]
fn an_interrupt_cuts_back_off_short_and_sends_no_more_retries() {
    let env = Env::new();
    env.add_profile(
        "patient",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\nmax_backoff = \"60s\"\nretries = 4",
            env.emu.messaging_url()
        ),
    );
    let all = ids("bo", 2);
    seed_eliza(&env, &all);
    env.emu
        .fault(Fault::status(503).retry_after("20").method("DELETE"));
    let started = Instant::now();
    let child = spawn(
        &env,
        "patient",
        &[&["-o", "json", "end-many"][..], &strs(&all)].concat(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.emu.requests().len() < 2 {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: kill(2) on the PID of the child this test spawned.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let out = output_within(child, Duration::from_secs(15));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited out the back-off"
    );
    common::assert_died_of(&out.status, libc::SIGINT, "");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_each_once(&doc, &all);
    for id in &all {
        let r = result_of(&doc, id);
        assert_eq!(r["outcome"], "failed", "{r}");
        assert_eq!(r["status"], 503, "{r}");
        assert_eq!(r["attempts"], 1, "no retry after the interrupt: {r}");
    }
    assert_eq!(env.emu.requests().len(), 2);
}

#[test]
fn a_list_reply_without_its_list_is_a_failure_not_an_empty_list() {
    for profile in ["zep", "zep3", "zep4", "samba", "eliza"] {
        let env = Env::new();
        env.emu.fault(Fault::status(200).body("{}").method("GET"));
        let out = env
            .cmd(profile)
            .args(["list", "--idle-for", "1h"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{profile}: {stderr}");
        assert!(stderr.contains("missing field"), "{profile}: {stderr}");
        let sweep = env
            .cmd(profile)
            .args(["delete", "--idle-for", "1h", "--yes"])
            .output()
            .unwrap();
        assert_eq!(sweep.status.code(), Some(1), "{profile}");
        assert!(
            env.emu.requests().iter().all(|r| r.method == "GET"),
            "{profile}: acted on nothing"
        );
    }
}

#[test]
fn a_second_interrupt_stops_waiting_for_stdin_that_never_closes() {
    let env = Env::with(Options {
        latency: Duration::from_millis(300),
        ..Options::default()
    });
    let all = ids("open", 4);
    seed_eliza(&env, &all);
    let mut child = env
        .std_cmd("eliza")
        .args(["-o", "json", "end-many", "--concurrency", "1", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Write the IDs but keep the pipe open, like `tail -f ids | sessionctl end-many -`.
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, (all.join("\n") + "\n").as_bytes()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.emu.requests().is_empty() {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill(2) on the PID of the child this test spawned.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = output_within(child, Duration::from_secs(8));
    drop(stdin);
    common::assert_died_of(&out.status, libc::SIGINT, "");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_each_once(&doc, &all);
}

#[test]
fn escape_sequences_in_a_server_error_reach_stderr_escaped() {
    let env = Env::new();
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[31mred";
    for verbose in [&[][..], &["-vv"][..]] {
        env.emu.fault(Fault::status(400).body(hostile).times(1));
        let out = env
            .cmd("eliza")
            .args(verbose)
            .args(["list"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("pwned"), "the message is shown: {stderr}");
        assert!(
            !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
            "raw control characters reached stderr: {stderr:?}"
        );
        assert!(stderr.contains(r"\u{1b}]0;pwned\u{7}"), "{stderr}");
    }
}

#[test]
fn every_problem_has_one_kind_whatever_the_provider() {
    let env = Env::new();
    for (profile, seed) in [
        ("eliza", Seed::messaging("k-1", OLD)),
        ("zep", Seed::zep_session("k-1", OLD)),
    ] {
        env.emu.seed(seed);
        for (status, kind, exit) in [
            (401, "unauthenticated", 3),
            (403, "forbidden", 3),
            (503, "server", 1),
            (501, "not_supported", 1),
        ] {
            env.emu.fault(Fault::status(status).times(5));
            let (doc, code) = env.json(profile, &["end", "k-1"]);
            let r = result_of(&doc, "k-1");
            assert_eq!(r["error_kind"], kind, "{profile} {status}: {doc:#}");
            assert_eq!(code, exit, "{profile} {status}");
            env.emu.reset();
            env.emu.seed(match profile {
                "eliza" => Seed::messaging("k-1", OLD),
                _ => Seed::zep_session("k-1", OLD),
            });
        }
        let (doc, _) = env.json(profile, &["end", "never-was"]);
        assert_eq!(result_of(&doc, "never-was")["error_kind"], "not_found");
    }
}
