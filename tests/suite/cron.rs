//! Cron-grade runs: a journal that survives `kill -9` and a resume that accounts for every
//! ID exactly once, the per-profile lock (exit 5), self-describing records, the metrics
//! file, a SIGTERM that stops a run reading a pipe held open, and the environment.

use crate::common;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{Env, Options, Seed};
use serde_json::Value;

const OLD: &str = "2026-01-01T00:00:00.000Z";

fn seed(env: &Env, prefix: &str, n: usize) -> Vec<String> {
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}-{i:04}")).collect();
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, OLD)));
    ids
}

fn write_ids(env: &Env, ids: &[String]) -> std::path::PathBuf {
    let path = env.dir.path().join("ids.txt");
    std::fs::write(&path, ids.join("\n") + "\n").unwrap();
    path
}

fn deletes(env: &Env) -> usize {
    env.emu
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count()
}

/// Waits until the emulator has seen `n` DELETEs (or the child has exited).
fn wait_for_deletes(env: &Env, child: &mut Child, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while deletes(env) < n && child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the run never got to {n} requests"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn journal(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        // A line torn by `kill -9` is not a record; resume skips it too.
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn kill_9_at_any_point_then_resume_accounts_for_every_id_exactly_once() {
    let env = Env::with(Options {
        latency: Duration::from_millis(4),
        ..Options::default()
    });
    let ids = seed(&env, "k", 2000);
    let file = write_ids(&env, &ids);
    let journal_path = env.dir.path().join("run.journal");
    let run = |flag: &str| {
        let mut cmd = env.std_cmd("eliza");
        cmd.args(["-q", "-o", "ndjson", "end-many", "--concurrency", "16"])
            .arg("--file")
            .arg(&file)
            .arg(flag)
            .arg(&journal_path);
        if flag == "--resume" {
            // A session sent again answers `not_found` if the killed run's request did end
            // it: the operator of this job counts that as done.
            cmd.arg("--ignore-not-found");
        }
        cmd.stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Killed after ~150, ~700 and ~1300 requests; the fourth run finishes.
    let mut child = run("--journal");
    for (i, at) in [150, 700, 1300].into_iter().enumerate() {
        wait_for_deletes(&env, &mut child, at);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(
            deletes(&env) < ids.len(),
            "run {i} finished before it was killed: the test proves nothing"
        );
        child = run("--resume");
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.emu.messaging_count(), 0, "every session was ended");

    let records = journal(&journal_path);
    let starts: Vec<&Value> = records.iter().filter(|r| r["type"] == "start").collect();
    assert_eq!(starts.len(), 4);
    assert!(starts.iter().all(|s| s["journal"] == 1));
    assert_eq!(starts[3]["resumes"].as_array().unwrap().len(), 3);
    // Exactly one final outcome per ID across all runs, and no attempt after it.
    let mut finals: HashMap<&str, usize> = HashMap::new();
    let mut attempts: HashMap<&str, usize> = HashMap::new();
    for r in &records {
        let Some(id) = r["id"].as_str() else { continue };
        match r["type"].as_str() {
            Some("attempt") => {
                assert!(
                    !finals.contains_key(id),
                    "{id} attempted again after its final outcome"
                );
                *attempts.entry(id).or_default() += 1;
            }
            Some("result") if r["outcome"] != "skipped" => {
                // `not_found` only for a session sent again, and then the record says so.
                let outcome = r["outcome"].as_str().unwrap();
                let resent = attempts.get(id).copied().unwrap_or(0) > 1;
                assert!(
                    outcome == "ended" || (resent && outcome == "not_found"),
                    "{r}"
                );
                if resent {
                    assert!(
                        r["note"]
                            .as_str()
                            .unwrap_or_default()
                            .starts_with("resumed"),
                        "{r}"
                    );
                }
                *finals.entry(id).or_default() += 1;
            }
            _ => {}
        }
    }
    assert_eq!(finals.len(), ids.len(), "every ID has a final outcome");
    assert!(finals.values().all(|n| *n == 1), "an ID with two outcomes");
    // The server saw a request for an ID only after an attempt record for it (a run killed
    // between the record and the request leaves an attempt that was never sent).
    let mut sent: BTreeMap<String, usize> = BTreeMap::new();
    for r in env.emu.requests().iter().filter(|r| r.method == "DELETE") {
        let id = r.path.rsplit('/').next().unwrap().to_owned();
        *sent.entry(id).or_default() += 1;
    }
    for id in &ids {
        let sent = sent.get(id).copied().unwrap_or(0);
        let attempted = attempts.get(id.as_str()).copied().unwrap_or(0);
        assert!(
            (1..=attempted).contains(&sent),
            "{id}: {sent} requests, {attempted} recorded attempts"
        );
    }
    let resent = attempts.values().filter(|n| **n > 1).count();
    assert!(
        resent > 0,
        "no attempt was ever cut off: the kills proved nothing"
    );
}

#[test]
fn a_resume_of_another_job_is_refused() {
    let env = Env::new();
    let ids = seed(&env, "j", 3);
    let journal_path = env.dir.path().join("j.journal");
    let j = journal_path.to_str().unwrap();
    let (doc, code) = env.json("eliza", &["end-many", &ids[0], "--journal", j]);
    assert_eq!(code, 0, "{doc:#}");
    let out = env
        .cmd("eliza")
        .args(["delete", "--yes", &ids[1], "--resume", j])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another job"));
    assert_eq!(env.emu.messaging_count(), 2, "nothing was sent");
}

fn slow_env() -> Env {
    Env::with(Options {
        latency: Duration::from_millis(400),
        ..Options::default()
    })
}

#[test]
fn a_second_run_on_a_locked_profile_exits_5_naming_the_holder() {
    let env = slow_env();
    let ids = seed(&env, "l", 4);
    let mut first = env
        .std_cmd("eliza")
        .args(["-q", "end-many", "--concurrency", "1"])
        .args(&ids[..3])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_deletes(&env, &mut first, 1);
    let started = Instant::now();
    let out = env.cmd("eliza").args(["end", &ids[3]]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(started.elapsed() < Duration::from_secs(1), "not at once");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", first.id())) && stderr.contains("eliza"),
        "{stderr}"
    );
    assert!(env.emu.messaging_exists(&ids[3]), "nothing was sent");
    // With --wait-lock the second run waits for the first, then runs.
    let (doc, code) = env.json("eliza", &["end", &ids[3], "--wait-lock", "20s"]);
    assert_eq!(code, 0, "{doc:#}");
    assert!(
        first.try_wait().unwrap().is_some(),
        "ran while the first still held the lock"
    );
    // A client dry run sends nothing, so it takes no lock; --no-lock opts out.
    let mut again = env
        .std_cmd("eliza")
        .args(["-q", "end-many", "--concurrency", "1"])
        .args(&ids[..3])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (_, code) = env.json("eliza", &["end", "x", "--dry-run"]);
    assert_eq!(code, 0);
    let (_, code) = env.json("eliza", &["end", &ids[0], "--no-lock"]);
    assert_ne!(code, 5);
    again.wait().unwrap();
}

#[test]
fn a_lock_left_by_a_killed_run_is_taken_over() {
    let env = slow_env();
    let ids = seed(&env, "d", 3);
    let mut first = env
        .std_cmd("eliza")
        .args(["-q", "end-many", "--concurrency", "1"])
        .args(&ids)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_deletes(&env, &mut first, 1);
    first.kill().unwrap();
    first.wait().unwrap();
    let (doc, code) = env.json("eliza", &["end-many", &ids[1], &ids[2]]);
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn a_profile_that_cannot_be_used_is_a_record_not_only_a_line_on_stderr() {
    let env = Env::new();
    env.add_profile(
        "nokey",
        &format!(
            "provider = \"zep\"\nbase_url = \"{}\"\napi_key_env = \"SESSIONCTL_TEST_UNSET\"\n",
            env.emu.zep_v2_url()
        ),
    );
    let list = "eliza\tp-1\n";
    env.emu.seed(Seed::messaging("p-1", OLD));
    let out = env
        .cmd("eliza")
        .args(["-q", "-o", "ndjson", "end-many", "--all-profiles", "-"])
        .write_stdin(list)
        .output()
        .unwrap();
    // The other profile ran: "some failed" (1), not "nothing was sent" (2).
    assert_eq!(
        out.status.code(),
        Some(1),
        "a broken profile beside a working one is exit 1"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let records: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let error = records
        .iter()
        .find(|r| r["type"] == "profile_error")
        .unwrap_or_else(|| panic!("no profile_error record: {stdout}"));
    assert_eq!(error["profile"], "nokey");
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("SESSIONCTL_TEST_UNSET")
    );
    assert!(error["at"].is_string() && error["run_id"].is_string());
    let summary = records.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["exit_code"], 1);
    // -q does not hide it on stderr either.
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipping profile `nokey`"));
    // The JSON document has them in `profile_errors`.
    let (doc, _) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "--all-profiles", "-"])
            .write_stdin(list),
    );
    assert_eq!(doc["profile_errors"][0]["profile"], "nokey", "{doc:#}");
}

#[test]
fn the_metrics_file_is_prometheus_text_with_every_family() {
    let env = Env::new();
    let ids = seed(&env, "m", 3);
    let path = env.dir.path().join("sessionctl.prom");
    let metrics = |args: &[&str]| {
        let (doc, code) = env.json(
            "eliza",
            &[args, &["--metrics-file", path.to_str().unwrap()]].concat(),
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let lines = text.lines().map(|l| Ok(l.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
        (doc, code, scrape)
    };
    let value = |scrape: &prometheus_parse::Scrape, name: &str, outcome: Option<&str>| {
        scrape
            .samples
            .iter()
            .find(|s| {
                s.metric == name && outcome.is_none_or(|o| s.labels.get("outcome") == Some(o))
            })
            .map(|s| match s.value {
                prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
                ref other => panic!("{name}: {other:?}"),
            })
    };
    let (_, code, scrape) = metrics(&["end-many", &ids[0], &ids[1], "gone"]);
    assert_eq!(code, 1);
    let sessions = "sessionctl_sessions";
    assert_eq!(value(&scrape, sessions, Some("ended")), Some(2.0));
    assert_eq!(value(&scrape, sessions, Some("not_found")), Some(1.0));
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == sessions)
        .unwrap();
    assert_eq!(sample.labels.get("profile"), Some("eliza"));
    assert_eq!(sample.labels.get("provider"), Some("messaging"));
    assert_eq!(value(&scrape, "sessionctl_exit_code", None), Some(1.0));
    assert!(value(&scrape, "sessionctl_run_duration_seconds", None).unwrap() >= 0.0);
    let last_run = value(&scrape, "sessionctl_last_run_timestamp_seconds", None).unwrap();
    assert!(last_run > 1.7e9, "{last_run}");
    assert_eq!(
        value(&scrape, "sessionctl_last_success_timestamp_seconds", None),
        Some(0.0),
        "no run has succeeded yet: 0, so that an alert on its age fires"
    );
    let (_, code, scrape) = metrics(&["end", &ids[2]]);
    assert_eq!(code, 0);
    assert_eq!(value(&scrape, "sessionctl_exit_code", None), Some(0.0));
    assert!(value(&scrape, "sessionctl_last_success_timestamp_seconds", None).unwrap() >= last_run);
}

#[test]
fn one_sigterm_stops_a_run_whose_stdin_stays_open() {
    let env = Env::new();
    let ids = seed(&env, "t", 2);
    let mut child = env
        .std_cmd("eliza")
        .args(["-o", "json", "end-many", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}\n{}", ids[0], ids[1]).unwrap();
    wait_for_deletes(&env, &mut child, 2);
    std::thread::sleep(Duration::from_millis(100));
    let sent = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "still running 5 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = sent.elapsed();
    let out = child.wait_with_output().unwrap();
    drop(stdin); // held open until now
    assert_eq!(out.status.code(), Some(130));
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["interrupted"], true);
    assert_eq!(common::outcomes(&doc).len(), 2, "{doc:#}");
}

#[test]
fn the_environment_sets_output_and_confirmation_and_not_found_can_be_ignored() {
    let env = Env::new();
    let ids = seed(&env, "e", 2);
    let out = env
        .cmd("eliza")
        .env("SESSIONCTL_OUTPUT", "json")
        .args(["end", &ids[0]])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).expect("SESSIONCTL_OUTPUT=json");
    assert_eq!(common::outcomes(&doc)[&ids[0]], "ended");
    // SESSIONCTL_YES confirms a delete without a terminal; "0" does not.
    let refused = env
        .cmd("eliza")
        .env("SESSIONCTL_YES", "0")
        .args(["delete", &ids[1]])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(env.emu.messaging_exists(&ids[1]));
    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .env("SESSIONCTL_YES", "1")
            .args(["-o", "json", "delete", &ids[1]]),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert!(!env.emu.messaging_exists(&ids[1]));
    // --ignore-not-found is --ignore-missing, kubectl's way.
    let (_, code) = env.json("eliza", &["end", "never-was", "--ignore-not-found"]);
    assert_eq!(code, 0);
}

#[test]
fn a_resume_must_select_what_the_journal_selected() {
    let env = Env::new();
    seed(&env, "w", 2);
    let journal_path = env.dir.path().join("w.journal");
    let j = journal_path.to_str().unwrap();
    let sweep = |selector: &str, flag: &str| {
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "--idle-for", "1h", "--where"])
            .args([selector, flag, j])
            .output()
            .unwrap()
    };
    let first = sweep("user=nobody", "--journal");
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let other = sweep("user=someone-else", "--resume");
    assert_eq!(other.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(
        stderr.contains("another job") && stderr.contains("--where user=nobody"),
        "{stderr}"
    );
    assert_eq!(env.emu.messaging_count(), 2, "nothing was sent");
}

#[test]
fn a_resumed_sweep_counts_what_it_sends_again_against_the_cap() {
    let env = Env::new();
    let ids = seed(&env, "c", 5);
    // A run killed after recording three attempts, none answered.
    let journal_path = env.dir.path().join("c.journal");
    let mut text = String::from(
        r#"{"type":"start","journal":1,"run_id":"r1","at":"2026-11-30T00:00:00.000Z","action":"end","dry_run":null,"profiles":["eliza"]}"#,
    );
    for id in &ids[..3] {
        text.push_str(&format!(
            "\n{{\"type\":\"attempt\",\"run_id\":\"r1\",\"at\":\"2026-11-30T00:00:00.000Z\",\"profile\":\"eliza\",\"id\":\"{id}\"}}"
        ));
    }
    std::fs::write(&journal_path, text + "\n").unwrap();
    let j = journal_path.to_str().unwrap();
    // The three to send again are among the five the sweep selects: five to send, cap four.
    let refused = env
        .cmd("eliza")
        .args(["end-many", "--idle-for", "1h", "--max", "4", "--resume", j])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("would end 5 sessions"));
    assert_eq!(env.emu.messaging_count(), 5, "nothing was sent");
    let (doc, code) = env.json(
        "eliza",
        &["end-many", "--idle-for", "1h", "--max", "5", "--resume", j],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(common::outcomes(&doc).len(), 5);
    assert_eq!(env.emu.messaging_count(), 0);
}

#[test]
fn a_run_waiting_for_the_lock_stops_on_sigterm() {
    let env = slow_env();
    let ids = seed(&env, "s", 3);
    let mut first = env
        .std_cmd("eliza")
        .args(["-q", "end-many", "--concurrency", "1"])
        .args(&ids[..2])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_deletes(&env, &mut first, 1);
    let mut waiting = env
        .std_cmd("eliza")
        .args(["-q", "end", &ids[2], "--wait-lock", "30s"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(waiting.id() as libc::pid_t, libc::SIGTERM) };
    let status = waiting.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert!(env.emu.messaging_exists(&ids[2]), "nothing was sent");
    first.wait().unwrap();
}

#[test]
fn a_cap_refusal_is_on_record_in_the_journal_and_the_metrics() {
    let env = Env::new();
    let ids = seed(&env, "r", 3);
    let journal_path = env.dir.path().join("r.journal");
    let metrics = env.dir.path().join("r.prom");
    let out = env
        .cmd("eliza")
        .args(["end-many", "--max", "2", "--journal"])
        .arg(&journal_path)
        .arg("--metrics-file")
        .arg(&metrics)
        .args(&ids)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
    let records = journal(&journal_path);
    assert_eq!(records.first().unwrap()["type"], "start");
    assert_eq!(records.last().unwrap()["type"], "end");
    assert_eq!(records.last().unwrap()["exit_code"], 4);
    assert!(!records.iter().any(|r| r["type"] == "attempt"));
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(text.contains("sessionctl_exit_code 4"), "{text}");
    assert_eq!(env.emu.messaging_count(), 3);
}
