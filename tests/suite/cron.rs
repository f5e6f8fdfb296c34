//! Cron-grade runs: a journal that survives `kill -9` and a resume that accounts for every
//! ID exactly once, the per-profile lock (exit 5), self-describing records, the metrics
//! file, a SIGTERM that stops a run reading a pipe held open, and the environment.

use crate::common;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{Env, Fault, Options, Seed};
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

/// A quiet run ending `ids` on `eliza` one at a time (on a [`slow_env`], slowly), once its
/// first request is sent: a run holding the profile's lock.
fn holding_the_lock(env: &Env, ids: &[String]) -> Child {
    let mut run = env
        .std_cmd("eliza")
        .args(["-q", "end-many", "--concurrency", "1"])
        .args(ids)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_deletes(env, &mut run, 1);
    run
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
                // A session whose request went out before the kill answers 404 when sent
                // again: `already_ended`, and the record says why. Never `not_found`.
                let outcome = r["outcome"].as_str().unwrap();
                let resent = attempts.get(id).copied().unwrap_or(0) > 1;
                assert!(
                    outcome == "ended" || (resent && outcome == "already_ended"),
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
    // Another profile, same input: the refusal names both jobs, so the difference shows.
    let file = env.dir.path().join("ids.txt");
    std::fs::write(&file, format!("{}\n", ids[2])).unwrap();
    let f = file.to_str().unwrap();
    let file_journal = env.dir.path().join("f.journal");
    let fj = file_journal.to_str().unwrap();
    let (doc, code) = env.json(
        "eliza",
        &["end-many", "--file", f, "--journal", fj, "--dry-run"],
    );
    assert_eq!(code, 0, "{doc:#}");
    let out = (env
        .cmd("zep")
        .args(["end-many", "--file", f, "--dry-run", "--resume", fj]))
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("another job: end on eliza, dry run client, from file {f}; this run is end on zep, dry run client, from file {f}")),
        "{stderr}"
    );
    // The same command on other IDs, or as a sweep, is another job too: a resume would
    // otherwise send what the journal left pending, whatever this command names.
    for args in [
        vec!["end-many", ids[1].as_str(), "--resume", j],
        vec!["end-many", "--idle-for", "1h", "--resume", j],
    ] {
        let out = env.cmd("eliza").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("another job") && stderr.contains("from 1 ids #"),
            "{stderr}"
        );
    }
    assert_eq!(env.emu.messaging_count(), 2, "nothing was sent");
    // The same IDs resume.
    let (doc, code) = env.json("eliza", &["end-many", &ids[0], "--resume", j]);
    assert_eq!(code, 0, "{doc:#}");
}

/// A `--resume` given no input says exactly what the journal's run took its sessions from
/// and what to add (issue #24): a stdin run's journal holds only the IDs it got to, so they
/// must come again; those with an outcome are not sent again.
#[test]
fn a_resume_without_input_says_what_to_pass_again() {
    let env = Env::new();
    let ids = seed(&env, "r", 3);
    let journal_path = env.dir.path().join("stdin.journal");
    let j = journal_path.to_str().unwrap();
    let out = env
        .cmd("eliza")
        .args(["-o", "json", "end-many", "-", "--journal", j])
        .write_stdin(format!("{}\n", ids[0]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = env
        .cmd("eliza")
        .args(["end-many", "--resume", j])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "--resume {j} needs the run's input again: it read its IDs from stdin: pipe them in \
             again with `-` (`... | sessionctl end-many - --resume {j}`)"
        )),
        "{stderr}"
    );
    // Doing what it says works, and what is done is not sent again.
    let (doc, code) = {
        let out = env
            .cmd("eliza")
            .args(["-o", "json", "end-many", "-", "--resume", j])
            .write_stdin(format!("{}\n{}\n", ids[0], ids[1]))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(
                "resuming: 1 session has an outcome and is not sent again; 0 attempted without one are sent again"
            ),
            "{stderr}"
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        (doc, out.status.code())
    };
    assert_eq!(code, Some(0), "{doc:#}");
    // The first ID is done: not sent, not reported again.
    assert_eq!(doc["summary"], serde_json::json!({"ended": 1}), "{doc:#}");
    assert_eq!(common::result_of(&doc, &ids[1])["outcome"], "ended");
    assert_eq!(env.emu.messaging_count(), 1);

    // A file run, a sweep and argument IDs: each says what to add.
    let file = write_ids(&env, &ids[2..]);
    for (run, says) in [
        (
            vec!["--file".to_owned(), file.display().to_string()],
            format!(
                "it read its IDs from a file: add `--file {}`",
                file.display()
            ),
        ),
        (
            vec!["--idle-for".to_owned(), "2h".to_owned()],
            "it was a sweep (the journal says `--idle-for 2h`): give the same selection again"
                .to_owned(),
        ),
        (
            vec!["a".to_owned(), "b".to_owned()],
            "it was given 2 IDs as arguments: give the same 2 again".to_owned(),
        ),
    ] {
        let journal = env
            .dir
            .path()
            .join(format!("{}.journal", run[0].trim_start_matches('-')));
        let journal = journal.to_str().unwrap();
        let out = env
            .cmd("eliza")
            .args(["end-many", "--journal", journal])
            .args(&run)
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(2), "{run:?}: {out:?}");
        let out = env
            .cmd("eliza")
            .args(["end-many", "--resume", journal])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&says), "{run:?}: {stderr}");
    }
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
    let mut first = holding_the_lock(&env, &ids[..3]);
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

/// The lock is the server's (issue #24): a second profile of the same base URL is refused as
/// the first one is, and a server dry run, which only reads, is not refused at all.
#[test]
fn a_lock_is_the_servers_whatever_profile_names_it_and_a_server_dry_run_takes_none() {
    let env = slow_env();
    env.add_profile(
        "eliza-copy",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}/\"",
            env.emu.messaging_url()
        ),
    );
    let ids = seed(&env, "s", 4);
    let mut first = holding_the_lock(&env, &ids[..3]);
    let out = env
        .cmd("eliza-copy")
        .args(["end", &ids[3]])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("profile `eliza-copy`: its server http://127.0.0.1:")
            && stderr.contains(&format!("pid {}", first.id())),
        "{stderr}"
    );
    assert!(env.emu.messaging_exists(&ids[3]), "nothing was sent");
    // While the first run holds the server, a server dry run reads what is left.
    let (doc, code) = env.json("eliza", &["end", &ids[3], "--dry-run=server"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        common::result_of(&doc, &ids[3])["outcome"],
        "would_end",
        "{doc:#}"
    );
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run still held the lock"
    );
    first.wait().unwrap();
    // One run over two profiles of one server holds its lock once: it does not lock itself
    // out.
    let (doc, code) = env.json(
        "eliza",
        &["end-many", "--all-profiles", "--idle-for", "3650d"],
    );
    assert_ne!(code, 5, "{doc:#}");
    assert!(env.emu.messaging_exists(&ids[3]), "{doc:#}");
}

#[test]
fn a_lock_left_by_a_killed_run_is_taken_over() {
    let env = slow_env();
    let ids = seed(&env, "d", 3);
    let mut first = holding_the_lock(&env, &ids);
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
    common::assert_died_of(&out.status, libc::SIGTERM, "");
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
    let mut first = holding_the_lock(&env, &ids[..2]);
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
    common::assert_died_of(&status, libc::SIGTERM, "");
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

/// A journal left by a run killed after recording `attempted` on `profile`, none answered
/// but those in `failed`.
fn killed_journal(
    env: &Env,
    profile: &str,
    action: &str,
    attempted: &[&str],
    failed: &[&str],
) -> std::path::PathBuf {
    let path = env.dir.path().join("killed.journal");
    let mut text = format!(
        r#"{{"type":"start","journal":1,"run_id":"r1","at":"2026-11-30T00:00:00.000Z","action":"{action}","dry_run":null,"profiles":["{profile}"]}}"#
    );
    for id in attempted {
        text.push_str(&format!(
            "\n{{\"type\":\"attempt\",\"run_id\":\"r1\",\"at\":\"2026-11-30T00:00:00.000Z\",\"profile\":\"{profile}\",\"id\":\"{id}\"}}"
        ));
    }
    for id in failed {
        text.push_str(&format!(
            "\n{{\"type\":\"result\",\"run_id\":\"r1\",\"profile\":\"{profile}\",\"id\":\"{id}\",\"outcome\":\"failed\",\"status\":500,\"error\":\"boom\",\"attempts\":1}}"
        ));
    }
    std::fs::write(&path, text + "\n").unwrap();
    path
}

#[test]
fn a_resumed_sessions_note_is_one_clean_sentence() {
    let env = Env::new();
    let ids = seed(&env, "n", 1);
    let attempted = ["n-gone", "n-failed", ids[0].as_str()];
    let j = killed_journal(&env, "eliza", "end", &attempted, &["n-failed"]);
    let j = j.to_str().unwrap();
    let args = ["end-many", &ids[0], "n-gone", "n-failed", "--resume", j];
    let (doc, _) = env.json("eliza", &args);
    assert_eq!(
        common::result_of(&doc, &ids[0])["note"],
        "resumed: an interrupted run attempted this before"
    );
    // Sent, never answered: the 404 is most likely that request's doing.
    assert_eq!(
        common::result_of(&doc, "n-gone")["outcome"],
        "already_ended"
    );
    assert_eq!(
        common::result_of(&doc, "n-gone")["note"],
        "resumed: an interrupted run sent this and never heard back; the server now says it \
         is gone, so that request most likely did it"
    );
    // Its earlier try has an answer on record (a failure): the 404 stands, said plainly.
    assert_eq!(common::result_of(&doc, "n-failed")["outcome"], "not_found");
    assert_eq!(
        common::result_of(&doc, "n-failed")["note"],
        "resumed: an interrupted run attempted this before; if its request went out, that may \
         be why it is not found now"
    );
}

#[test]
fn a_run_that_makes_no_progress_ends_on_its_own_after_max_stall() {
    let env = Env::new();
    let ids = seed(&env, "st", 3);
    // An endpoint that always answers 429: without a bound the run would retry forever,
    // holding the profile's lock.
    env.emu
        .fault(Fault::status(429).retry_after("1").method("DELETE"));
    env.add_profile(
        "stalling",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\nmax_backoff = \"100ms\"\nmax_stall = \"1s\"\n",
            env.emu.messaging_url()
        ),
    );
    for (profile, flags) in [("eliza", &["--max-stall", "2s"][..]), ("stalling", &[][..])] {
        let started = Instant::now();
        let (doc, code) = common::run_json(
            env.cmd(profile)
                .args(["-o", "json", "end-many", "--concurrency", "1"])
                .args(flags)
                .args(&ids),
        );
        let took = started.elapsed();
        assert_eq!(code, 1, "{doc:#}");
        let stall = if profile == "eliza" {
            "2 seconds"
        } else {
            "1 second"
        };
        for id in &ids {
            let r = common::result_of(&doc, id);
            assert_eq!(r["outcome"], "skipped", "{doc:#}");
            let error = r["error"].as_str().unwrap();
            assert!(
                error.starts_with(&format!("no progress for {stall}: ")) && error.contains("429"),
                "says what the provider last said: {error}"
            );
        }
        assert!(
            took < Duration::from_secs(20),
            "bounded by the stall: {took:?}"
        );
    }
    assert_eq!(env.emu.messaging_count(), 3, "nothing was ended");
    // The lock went with the run: the next one takes it at once.
    let (_, code) = env.json("eliza", &["end-many", "--max-stall", "1s", &ids[0]]);
    assert_eq!(code, 1);
}

/// The `attempt` records of a journal: `(profile, id)` in order.
fn attempts(path: &Path) -> Vec<String> {
    (journal(path).into_iter())
        .filter(|r| r["type"] == "attempt")
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn after_kill_9_a_resumed_delete_that_finds_the_session_gone_is_already_ended() {
    let env = Env::new();
    let ids = seed(&env, "k", 6);
    // Every DELETE is applied at once, its reply held back until after the kill.
    env.emu.fault(
        Fault::reply_late(Duration::from_secs(30))
            .method("DELETE")
            .times(6),
    );
    let journal_path = env.dir.path().join("k.journal");
    let mut child = env
        .std_cmd("eliza")
        .args(["-q", "end-many", "--concurrency", "8", "--journal"])
        .arg(&journal_path)
        .args(&ids)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_deletes(&env, &mut child, 6);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(env.emu.messaging_count(), 0, "the server did them all");
    let mut recorded = attempts(&journal_path);
    recorded.sort();
    assert_eq!(
        recorded, ids,
        "each request that went out was recorded once"
    );
    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "--resume"])
            .arg(&journal_path)
            .args(&ids),
    );
    assert_eq!(code, 0, "every ID existed, so nothing is an alert: {doc:#}");
    for id in &ids {
        let r = common::result_of(&doc, id);
        assert_eq!(r["outcome"], "already_ended", "{doc:#}");
        assert_eq!(r["error"], Value::Null, "{doc:#}");
        assert_eq!(
            r["note"],
            "resumed: an interrupted run sent this and never heard back; the server now says \
             it is gone, so that request most likely did it"
        );
    }
}

#[test]
fn a_request_waiting_for_its_turn_is_not_an_attempt_yet() {
    let env = Env::new();
    let ids = seed(&env, "p", 3);
    let journal_path = env.dir.path().join("p.journal");
    // One request every 5 s: the first goes out at once, the others wait their turn.
    let mut child = env
        .std_cmd("eliza")
        .args(["-q", "end-many", "--rate", "12/m", "--journal"])
        .arg(&journal_path)
        .args(&ids)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_deletes(&env, &mut child, 1);
    child.kill().unwrap();
    child.wait().unwrap();
    let sent: Vec<String> = (env.emu.requests().into_iter())
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        attempts(&journal_path),
        sent,
        "only what went out was recorded"
    );
}

#[test]
fn a_sweep_whose_listing_makes_no_progress_ends_after_max_stall_too() {
    let env = Env::new();
    seed(&env, "sl", 2);
    env.emu
        .fault(Fault::status(429).retry_after("1").method("GET"));
    let started = Instant::now();
    let out = env
        .cmd("eliza")
        .args([
            "-o",
            "json",
            "end-many",
            "--idle-for",
            "1h",
            "--max-stall",
            "2s",
        ])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no progress for 2 seconds: ") && stderr.contains("429"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = doc["profile_errors"].as_array().unwrap();
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains("no progress for 2 seconds"),
        "{doc:#}"
    );
    assert!(
        took < Duration::from_secs(20),
        "bounded by the stall: {took:?}"
    );
    assert_eq!(env.emu.messaging_count(), 2, "nothing was ended");
}

/// The exit code and the summary of a refused run's `-o json` document and NDJSON stream.
fn refused_records(out: &std::process::Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        let last = text.lines().last().unwrap_or_default();
        serde_json::from_str(last).unwrap_or_else(|_| panic!("not a document ({e}): {text:?}"))
    })
}

#[test]
fn a_refused_run_still_prints_its_document_and_writes_the_metrics_file() {
    let env = slow_env();
    let ids = seed(&env, "f", 4);
    let prom = env.dir.path().join("f.prom");
    let cap = |format: &str| {
        env.cmd("eliza")
            .args(["-o", format, "end-many", "--max", "1", "--metrics-file"])
            .arg(&prom)
            .args(&ids[..2])
            .output()
            .unwrap()
    };
    // Over a cap (4), a usage error (2), the profile locked (5): each has a document on
    // stdout with its code, and the metrics file says it.
    let usage = |format: &str| {
        env.cmd("eliza")
            .args(["-o", format, "end-many", "--metrics-file"])
            .arg(&prom)
            .args(["--file", "/nonexistent"])
            .output()
            .unwrap()
    };
    type Run<'a> = &'a dyn Fn(&str) -> std::process::Output;
    let cases: [(&str, Run, i32); 4] = [
        ("json", &cap, 4),
        ("ndjson", &cap, 4),
        ("json", &usage, 2),
        ("ndjson", &usage, 2),
    ];
    for (format, run, code) in cases {
        let out = run(format);
        assert_eq!(out.status.code(), Some(code), "{format}");
        let doc = refused_records(&out);
        assert_eq!(doc["exit_code"], code, "{format}: {doc}");
        assert_eq!(doc["interrupted"], false, "{format}: {doc}");
        let text = std::fs::read_to_string(&prom).unwrap();
        assert!(
            text.contains(&format!("sessionctl_exit_code {code}")),
            "{text}"
        );
        std::fs::remove_file(&prom).unwrap();
    }
    let mut first = holding_the_lock(&env, &ids[..3]);
    let out = env
        .cmd("eliza")
        .args(["-o", "json", "end", &ids[3], "--metrics-file"])
        .arg(&prom)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(refused_records(&out)["exit_code"], 5);
    let text = std::fs::read_to_string(&prom).unwrap();
    assert!(text.contains("sessionctl_exit_code 5"), "{text}");
    assert!(env.emu.messaging_exists(&ids[3]), "nothing was sent");
    first.wait().unwrap();
}

#[test]
fn a_metrics_path_that_cannot_be_written_is_refused_before_anything_is_sent() {
    let env = Env::new();
    let ids = seed(&env, "w", 1);
    let dir = env.dir.path();
    let fifo = dir.join("metrics.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let read_only = dir.join("ro");
    std::fs::create_dir(&read_only).unwrap();
    let mut perms = std::fs::metadata(&read_only).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&read_only, perms).unwrap();
    // (root writes into a 0555 directory regardless: that case then only applies to others.)
    // SAFETY: geteuid(2) has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut paths = vec![
        (fifo, "not a regular file"),
        (Path::new("/dev/full").to_owned(), "not a regular file"),
        (dir.to_owned(), "is a directory"),
        (dir.join("missing").join("m.prom"), "No such file"),
    ];
    if !root {
        paths.push((read_only.join("m.prom"), "Permission denied"));
    }
    for (path, why) in paths {
        let started = Instant::now();
        let out = env
            .cmd("eliza")
            .args(["end", &ids[0], "--metrics-file"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path:?}: {stderr}");
        assert!(
            stderr.contains("cannot write metrics file") && stderr.contains(why),
            "{path:?}: {stderr}"
        );
        assert_eq!(stderr.matches(why).count(), 1, "said once: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path:?}: blocked"
        );
        assert!(
            env.emu.requests().is_empty(),
            "{path:?}: sent before the check"
        );
    }
    assert!(env.emu.messaging_exists(&ids[0]));
}

#[test]
fn a_journal_torn_inside_its_first_record_resumes_as_a_new_run() {
    let env = Env::new();
    let ids = seed(&env, "t", 2);
    let path = env.dir.path().join("torn.journal");
    // What `kill -9` leaves while the start record is being written.
    std::fs::write(&path, "{\"type\":\"start\",\"journal\":1,\"run_id\":\"r-").unwrap();
    let j = path.to_str().unwrap();
    let (doc, code) = env.json("eliza", &["end-many", &ids[0], &ids[1], "--resume", j]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(common::outcomes(&doc).len(), 2, "{doc:#}");
    // Resumable from here on, as any journal.
    let records = journal(&path);
    assert_eq!(records.first().unwrap()["type"], "start");
    assert_eq!(records.last().unwrap()["exit_code"], 0);
    let (doc, code) = env.json("eliza", &["end-many", &ids[0], &ids[1], "--resume", j]);
    assert_eq!(code, 0, "{doc:#}");
    // Any other torn content is still no journal.
    std::fs::write(&path, "{\"hello\":").unwrap();
    let out = env
        .cmd("eliza")
        .args(["end-many", &ids[0], "--resume", j])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Once a run sends nothing more, its lock is free: one stuck writing its report (a reader
/// that does not read) does not lock out the next run.
#[test]
fn a_run_blocked_writing_its_report_holds_no_lock() {
    let env = Env::new();
    // Not found: each keeps its row in the table, which is far more than a pipe holds.
    let ids: Vec<String> = (0..2000).map(|i| format!("absent-{i:04}")).collect();
    let file = write_ids(&env, &ids);
    let mut first = env
        .std_cmd("eliza")
        .args(["-q", "end-many", "--concurrency", "16", "--file"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Done sending, it blocks writing its table into the pipe nobody reads.
    let wchan = format!("/proc/{}/wchan", first.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&wchan)
        .unwrap_or_default()
        .contains("pipe_write")
    {
        assert!(
            Instant::now() < deadline,
            "the first run never blocked on its output"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(env.emu.requests().len(), ids.len());
    let out = env
        .cmd("eliza")
        .args(["end", "absent-x", "--ignore-missing"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run was not blocked"
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let mut table = String::new();
    std::io::Read::read_to_string(first.stdout.as_mut().unwrap(), &mut table).unwrap();
    assert_eq!(first.wait().unwrap().code(), Some(1));
    assert!(table.contains("absent-1999"), "the table is whole");
}

/// A metrics file that can no longer be written at the end (its directory went away during
/// the run) makes the exit code 1 in every record, not only in the process's.
#[test]
fn a_metrics_file_that_fails_at_the_end_makes_every_record_say_exit_1() {
    let env = slow_env();
    let ids = seed(&env, "m", 2);
    let dir = env.dir.path().join("textfile");
    std::fs::create_dir(&dir).unwrap();
    let journal_path = env.dir.path().join("m.journal");
    let mut child = env
        .std_cmd("eliza")
        .args(["-o", "json", "end-many", "--concurrency", "1", "--journal"])
        .arg(&journal_path)
        .arg("--metrics-file")
        .arg(dir.join("m.prom"))
        .args(&ids)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_deletes(&env, &mut child, 1);
    std::fs::remove_dir_all(&dir).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("metrics file"), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["exit_code"], 1, "{doc:#}");
    assert_eq!(journal(&journal_path).last().unwrap()["exit_code"], 1);
    assert_eq!(common::outcomes(&doc).len(), 2, "both were ended: {doc:#}");
}

/// The journal's `end` record is written before stdout's summary, so that when it cannot be
/// written the summary states the exit code that makes (1), as the process does. The file
/// size limit (`RLIMIT_FSIZE`, with SIGXFSZ ignored) lets every record before `end` through
/// and refuses the `end` record itself.
#[test]
fn a_journal_end_record_that_cannot_be_written_is_in_the_exit_code_stdout_states() {
    let env = Env::new();
    let ids = seed(&env, "fsz", 2);
    let journal_path = env.dir.path().join("fsz.journal");
    let end_many = |limit: Option<u64>| {
        let _ = std::fs::remove_file(&journal_path);
        env.emu.reset();
        seed(&env, "fsz", 2);
        let mut cmd = env.std_cmd("eliza");
        cmd.args([
            "-o",
            "ndjson",
            "end-many",
            "--concurrency",
            "1",
            "--journal",
        ])
        .arg(&journal_path)
        .args(&ids);
        if let Some(limit) = limit {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit and signal are async-signal-safe; nothing else runs between
            // fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    let rl = libc::rlimit {
                        rlim_cur: limit,
                        rlim_max: limit,
                    };
                    if libc::setrlimit(libc::RLIMIT_FSIZE, &rl) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        cmd.output().unwrap()
    };
    let whole = end_many(None);
    assert_eq!(whole.status.code(), Some(0));
    let text = std::fs::read_to_string(&journal_path).unwrap();
    let before_end = text.trim_end().rfind('\n').unwrap() + 1;
    assert!(text[before_end..].contains(r#""type":"end""#), "{text}");

    let out = end_many(Some(before_end as u64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("journal"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["type"], "summary", "{stdout}");
    assert_eq!(summary["exit_code"], 1, "{stdout}");
    assert!(
        !std::fs::read_to_string(&journal_path)
            .unwrap()
            .contains(r#""type":"end""#)
    );
}

/// Whether a thread of process `pid` is blocked writing to a full pipe.
fn blocked_on_a_pipe(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|t| {
        std::fs::read_to_string(t.path().join("wchan")).is_ok_and(|w| w.contains("pipe_write"))
    })
}

/// Killed and reaped also when the test fails (one blocked on a FIFO would stay).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A run refused by a cap (before sending, and after a sweep's listing) lets go of its
/// lock before it writes its last records: a journal that cannot take the `end` record yet
/// (a FIFO nobody reads, with room for exactly the records before it) holds up that run,
/// never another run of the same profile.
#[test]
fn a_cap_refusal_writes_its_records_after_letting_go_of_the_lock() {
    use std::os::unix::fs::OpenOptionsExt;
    const PAGE: usize = 4096;
    let env = Env::new();
    for (name, args) in [
        (
            "ids",
            &["end-many", "--max", "1", "cap-0000", "cap-0001"][..],
        ),
        ("sweep", &["end-many", "--idle-for", "1h", "--max", "1"]),
    ] {
        env.emu.reset();
        let ids = seed(&env, "cap", 3);
        // What the run writes before its `end` record, from a run into a regular file.
        let file = env.dir.path().join(format!("{name}.journal"));
        let mut first = env.std_cmd("eliza");
        let out = first
            .args(args)
            .arg("--journal")
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{name}");
        let text = std::fs::read_to_string(&file).unwrap();
        let before_end = text.trim_end().rfind('\n').map_or(0, |i| i + 1);
        assert!(text[before_end..].contains(r#""type":"end""#), "{text}");
        assert!(before_end < PAGE, "{text}");

        let fifo = env.dir.path().join(format!("{name}.fifo"));
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        // Read and write end in one, so that neither side's open blocks. Filled page by
        // page, one page read back and refilled but for `before_end` bytes: the pipe takes
        // those (small writes share its last page) and then no more.
        let mut pipe = std::fs::File::options()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
            .unwrap();
        while pipe.write(&[b'\n'; PAGE]).is_ok() {}
        let mut buf = vec![0u8; 1 << 16];
        assert_eq!(
            std::io::Read::read(&mut pipe, &mut buf[..PAGE]).unwrap(),
            PAGE
        );
        pipe.write_all(&vec![b'\n'; PAGE - before_end]).unwrap();

        let mut reaped = Reaped(
            env.std_cmd("eliza")
                .args(args)
                .arg("--journal")
                .arg(&fifo)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let refused = &mut reaped.0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while !blocked_on_a_pipe(refused.id()) {
            let status = refused.try_wait().unwrap();
            assert!(
                status.is_none(),
                "{name}: ended ({status:?}) without blocking"
            );
            assert!(
                Instant::now() < deadline,
                "{name}: never blocked on its journal"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        // While that run waits on its journal, another run of the profile goes ahead.
        let other = env
            .std_cmd("eliza")
            .args(["end-many", &ids[2]])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&other.stderr);
        assert_eq!(other.status.code(), Some(0), "{name}: {stderr}");

        // Drained, the refused run ends as refused, its `end` record written.
        let mut drained = Vec::new();
        loop {
            match std::io::Read::read(&mut pipe, &mut buf) {
                Ok(n) => drained.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if refused.try_wait().unwrap().is_some() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(refused.wait().unwrap().code(), Some(4), "{name}");
        let text = String::from_utf8_lossy(&drained);
        assert!(text.contains(r#""type":"end""#), "{name}: {text}");
        assert!(text.contains(r#""exit_code":4"#), "{name}: {text}");
    }
}
