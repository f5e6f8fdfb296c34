//! Signals at any moment: while `api_key_cmd` runs, as soon as the process can catch them,
//! during every command. Each stops the run with its report and nothing sent after it, leaves
//! no child behind, and ends the process by the same signal (a shell loop around it stops).

use crate::common;

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Env, Options, Seed};
use serde_json::Value;

const T: &str = "2024-05-01T12:00:00Z";

/// How long a condition may take to hold here.
const WITHIN: Duration = Duration::from_secs(10);

fn wait_until(what: &str, done: impl FnMut() -> bool) {
    common::wait_until(what, WITHIN, done)
}

/// Waits for `child` to end, for up to 10 s (then kills it and fails).
fn output_of(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running 10 s after the signal");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) on the PID of a child this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

/// True while `pid` is a live process (a zombie no longer counts: it runs nothing).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// True once `pid` catches both SIGINT and SIGTERM (its handlers are installed).
fn catches_signals(pid: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    let caught = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    let bit = |s: libc::c_int| 1u64 << (s - 1);
    caught & bit(libc::SIGINT) != 0 && caught & bit(libc::SIGTERM) != 0
}

fn key_cmd_run_is_stopped_by(sig: libc::c_int) {
    let env = Env::new();
    let ids = ["k-1", "k-2", "k-3"];
    env.emu
        .seed_many(ids.iter().map(|id| Seed::zep_session(id, T)));
    let pids = env.dir.path().join("pids");
    // A helper that starts a helper of its own, says where both are, and would only print
    // the key after 20 s.
    let helper = format!(
        "sh -c 'sleep 20 & echo $! > {p}.tmp; echo $$ >> {p}.tmp; mv {p}.tmp {p}; wait; echo {key}'",
        p = pids.display(),
        key = common::emulator::zep::ZEP_KEY
    );
    env.add_profile(
        "zk",
        &format!(
            "provider = \"zep\"\nbase_url = \"{}\"\napi_key_cmd = \"{helper}\"\napi_key_cmd_timeout = \"30s\"",
            env.emu.zep_v2_url()
        ),
    );
    let metrics = env.dir.path().join("run.prom");
    let child = env
        .std_cmd("zk")
        .args(["-o", "json", "end-many", "--metrics-file"])
        .arg(&metrics)
        .args(ids)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the key command to start", || pids.exists());
    let helpers: Vec<i32> = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    signal(&child, sig);
    let out = output_of(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    common::assert_died_of(&out.status, sig, &stderr);
    assert!(
        stderr.contains("interrupted while api_key_cmd ran"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON document ({e}): {stderr}"));
    assert_eq!(doc["interrupted"], true, "{doc:#}");
    assert_eq!(doc["exit_code"], 128 + sig, "{doc:#}");
    let prom = std::fs::read_to_string(&metrics).expect("the metrics file records the run");
    assert!(
        prom.contains(&format!("sessionctl_exit_code {}", 128 + sig)),
        "{prom}"
    );
    assert!(env.emu.requests().is_empty(), "sent after the signal");
    for pid in &helpers {
        wait_until(&format!("helper {pid} to be gone"), || !alive(*pid));
    }
}

#[test]
fn sigint_while_api_key_cmd_runs_stops_the_run_and_its_helpers() {
    key_cmd_run_is_stopped_by(libc::SIGINT);
}

#[test]
fn sigterm_while_api_key_cmd_runs_stops_the_run_and_its_helpers() {
    key_cmd_run_is_stopped_by(libc::SIGTERM);
}

#[test]
fn api_key_cmd_stderr_never_reaches_ours_and_its_first_line_is_redacted() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("s-1", T));
    let key = common::emulator::zep::ZEP_KEY;
    for (name, script, code) in [
        // Chatty but fine: nothing of it is shown.
        (
            "ok",
            format!("echo using {key} >&2; echo second line >&2; echo {key}"),
            0,
        ),
        // Failing: its first line says why, without the key it printed.
        (
            "bad",
            format!("echo {key}; echo token {key} rejected >&2; echo more >&2; exit 3"),
            2,
        ),
    ] {
        env.add_profile(
            name,
            &format!(
                "provider = \"zep\"\nbase_url = \"{}\"\napi_key_cmd = \"sh -c '{script}'\"",
                env.emu.zep_v2_url()
            ),
        );
        let (got, _, stderr) = common::run(env.cmd(name).args(["end", "s-1"]));
        assert_eq!(got, code, "{stderr}");
        assert!(!stderr.contains(key), "the key leaked: {stderr}");
        assert!(
            !stderr.contains("second line") && !stderr.contains("more"),
            "{stderr}"
        );
        if code != 0 {
            assert!(stderr.contains("it said: token *** rejected"), "{stderr}");
        }
    }
}

/// Each command catches the signals from its start: one that comes before anything was
/// sent ends it by a report, not by the default action.
#[test]
fn every_command_catches_signals_and_stops_on_them() {
    let env = Env::with(Options {
        latency: Duration::from_secs(5),
        ..Options::default()
    });
    env.emu.seed(Seed::messaging("m-1", T));
    for args in [
        vec!["list"],
        vec!["config", "check", "--online"],
        vec!["end", "m-1"],
        vec!["end-many", "--idle-for", "1h"],
        vec!["delete", "--yes", "m-1"],
    ] {
        let child = env
            .std_cmd("eliza")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_until("the handlers", || catches_signals(child.id()));
        let before = env.emu.requests().len();
        // A request is under way (5 s of latency) or the command is about to send one.
        wait_until("a request", || env.emu.requests().len() > before);
        signal(&child, libc::SIGTERM);
        let out = output_of(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        common::assert_died_of(&out.status, libc::SIGTERM, &format!("{args:?}: {stderr}"));
        // The report (a table's last line) or the error says so: the handler ran.
        assert!(
            stdout.contains("(interrupted)") || stderr.contains("interrupted"),
            "{args:?}: the handler did not run: {stdout}{stderr}"
        );
    }
}
