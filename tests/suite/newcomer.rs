//! What a newcomer meets first (issue #15): the quick start and install lines as the README
//! writes them, `config init`, flags that read the way they look, and what the terminal
//! shows while a run works and when it is stopped.

use crate::common;

use std::process::Command;

use common::{Env, Seed, result_of};

const OLD: &str = "2024-01-01T00:00:00Z";

// ---------------------------------------------------------------------------------------
// delete --wait

#[test]
fn delete_wait_is_a_flag_so_the_next_word_is_an_id() {
    let env = Env::new();
    env.emu.seed(Seed::zep_thread("t-next", OLD));
    // `--wait t-next`: t-next is the thread to delete, not the wait's duration.
    let (doc, code) = env.json("zep4", &["delete", "--yes", "--wait", "t-next"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "t-next")["outcome"], "deleted", "{doc:#}");

    // `--timeout` is how long; alone it means nothing, and is refused.
    let sent = env.emu.requests().len();
    let out = env
        .cmd("zep4")
        .args(["delete", "--yes", "--timeout", "1m", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--wait"), "{stderr}");
    assert_eq!(
        env.emu.requests().len(),
        sent,
        "the refused run sent something"
    );
}

// ---------------------------------------------------------------------------------------
// SESSIONCTL_NOW

#[test]
fn an_unreadable_sessionctl_now_is_a_usage_error_before_anything_is_sent() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("idle", OLD));
    for args in [
        &["list", "--idle-for", "1h"][..],
        &["list"],
        &["end-many", "--idle-for", "1h"],
        &["end-many", "--older-than", "1h"],
        &["delete", "--idle-for", "1h", "--yes"],
    ] {
        let out = env
            .cmd("eliza")
            .env("SESSIONCTL_NOW", "yesterday-ish")
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("SESSIONCTL_NOW=`yesterday-ish` is not an RFC 3339 time"),
            "{args:?}: {stderr}"
        );
    }
    assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
    assert!(env.emu.messaging_exists("idle"));
}

// ---------------------------------------------------------------------------------------
// The terminal

/// Runs `sessionctl -c CONFIG -p eliza ARGS` on a pseudo-terminal (`script(1)`) after
/// `stty SIZE`, with `vars` set; returns what it printed. `None` where `script` is missing
/// (never under CI=true).
fn on_terminal(env: &Env, size: &str, vars: &[(&str, &str)], args: &str) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "script(1) is needed for the terminal tests"
        );
        eprintln!("SKIPPED: script(1) is not installed");
        return None;
    }
    let inner = format!(
        "stty {size}; {} -c {} -p eliza {args}",
        env!("CARGO_BIN_EXE_sessionctl"),
        env.config.display()
    );
    let out = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn widest(text: &str) -> usize {
    text.lines()
        .map(|l| l.trim_end().chars().count())
        .max()
        .unwrap_or(0)
}

#[test]
fn a_terminal_of_width_zero_gets_columns_or_80_not_one_character_per_column() {
    let env = Env::new();
    let id = format!("wide-{}", "x".repeat(95));
    env.emu.seed(Seed::messaging(&id, OLD));
    let Some(out) = on_terminal(
        &env,
        "cols 0 rows 0",
        &[("COLUMNS", "150")],
        &format!("-q end {id}"),
    ) else {
        return;
    };
    assert!(widest(&out) <= 150, "wider than COLUMNS=150:\n{out}");
    assert!(
        out.lines().any(|l| l.contains(&id) && l.contains("ended")),
        "at 150 columns the row fits on one line:\n{out}"
    );

    // An ID that fits 80 columns whole (a wider one is never broken: its row would be a
    // record of `KEY  value` lines).
    let id = format!("narrow-{}", "y".repeat(40));
    env.emu.seed(Seed::messaging(&id, OLD));
    let out = on_terminal(&env, "cols 0 rows 0", &[], &format!("-q end {id}")).unwrap();
    assert!(widest(&out) <= 80, "wider than 80 columns:\n{out}");
    assert!(
        out.contains("┆ OUTCOME") && out.contains(&id) && out.contains("ended 1"),
        "columns squeezed to nothing:\n{out}"
    );
}

#[test]
fn the_progress_bar_says_one_session_and_a_rounded_rate() {
    let env = Env::with(common::Options {
        latency: std::time::Duration::from_millis(300),
        ..common::Options::default()
    });
    let ids = ["pb-1", "pb-2", "pb-3"];
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, OLD)));
    let args = format!("end-many --concurrency 1 {}", ids.join(" "));
    let Some(out) = on_terminal(&env, "cols 100 rows 40", &[], &args) else {
        return;
    };
    // The IDs are known, so the bar counts towards them (`1 session done` without a total).
    assert!(out.contains("1 of 3 sessions done"), "{out:?}");
    assert!(!out.contains("1 sessions"), "{out:?}");
    // Every rate shown is `379/s` or `0.4/s`, never `379.4333/s`.
    for (at, _) in out.match_indices("/s") {
        let number: String = out[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let decimals = number.split_once('.').map_or(0, |(d, _)| d.len());
        assert!(decimals <= 1, "a rate with {decimals} decimals: {out:?}");
    }
}

// ---------------------------------------------------------------------------------------
// -v logs and transport errors

/// The time at the start of a `tracing` log line.
fn logged_at(line: &str) -> jiff::Timestamp {
    let stamp = line.split_whitespace().next().unwrap_or_default();
    stamp
        .parse()
        .unwrap_or_else(|e| panic!("no timestamp ({e}): {line}"))
}

#[test]
fn a_retry_is_logged_before_its_pause_with_the_url_and_the_status() {
    let env = Env::new();
    env.add_profile(
        "patient",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\nmax_backoff = \"5s\"\n",
            env.emu.messaging_url()
        ),
    );
    env.emu.seed(Seed::messaging("r-1", OLD));
    env.emu.fault(
        common::Fault::status(503)
            .retry_after("1")
            .method("DELETE")
            .times(1),
    );
    let out = env
        .cmd("patient")
        .args(["-vv", "end", "r-1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    let retry = lines
        .iter()
        .position(|l| l.contains("retrying in 1 second"))
        .unwrap_or_else(|| panic!("no retry line: {stderr}"));
    assert!(
        lines[retry].contains("DELETE http://")
            && lines[retry].contains("/api/messaging/sessions/r-1")
            && lines[retry].contains("503 Service Unavailable"),
        "{}",
        lines[retry]
    );
    let again = lines[retry..]
        .iter()
        .find(|l| l.contains("/sessions/r-1 -> 200"))
        .unwrap_or_else(|| panic!("no second attempt: {stderr}"));
    let paused = logged_at(again).duration_since(logged_at(lines[retry]));
    assert!(
        paused.as_millis() >= 900,
        "the retry was logged {paused:?} before it was sent, not before its 1s pause:\n{stderr}"
    );
}

#[test]
fn a_refused_connection_says_where() {
    let env = Env::new();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    env.add_profile(
        "dead",
        &format!("provider = \"messaging\"\nbase_url = \"http://127.0.0.1:{port}\"\nretries = 0\n"),
    );
    let (doc, code) = env.json("dead", &["end", "gone"]);
    assert_eq!(code, 1, "{doc:#}");
    let error = result_of(&doc, "gone")["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        error.starts_with(&format!("cannot connect to http://127.0.0.1:{port}: ")),
        "{error}"
    );
    let out = env.cmd("dead").args(["list"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot connect to http://127.0.0.1:{port}")),
        "{stderr}"
    );
}

/// With no config file, a run whose sessions fail says which server it tried and why that
/// one: the built-in `local` profile (issue #24). Whatever listens on localhost:3000 here
/// (nothing, or an emulator), an unknown ID is not `ended`, so the run exits 1.
#[test]
fn without_a_config_file_a_failed_run_says_it_used_the_builtin_profile() {
    let home = tempfile::tempdir().unwrap();
    let out = common::bare_cmd(&home)
        .args(["end", "no-such-session-f3b1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("there is no config file (")
            && stderr.contains("so this ran on the built-in profile `local`: elizaOS messaging at http://localhost:3000/")
            && stderr.contains("--endpoint-url URL"),
        "{stderr}"
    );
    // -q keeps it quiet, as it does notices.
    let out = common::bare_cmd(&home)
        .args(["-q", "end", "no-such-session-f3b1"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("built-in profile"),
        "{out:?}"
    );
}

/// `--endpoint-url` (as aws's): the same profile at another base URL, with no config file
/// (the built-in profile) or over a profile's own `base_url`; one server, so not with
/// `--all-profiles`.
#[test]
fn endpoint_url_points_a_run_at_another_server_without_a_config_file() {
    let emu = common::Emulator::start(common::Options {
        demo: true,
        ..common::Options::default()
    });
    let home = tempfile::tempdir().unwrap();
    let out = common::bare_cmd(&home)
        .args(["--endpoint-url", &emu.url(), "-o", "json", "end", "demo-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result_of(&doc, "demo-1")["outcome"], "ended", "{doc:#}");
    assert!(!emu.messaging_exists("demo-1"));
    // From the environment too, as a job would set it.
    let out = common::bare_cmd(&home)
        .env("SESSIONCTL_ENDPOINT_URL", emu.url())
        .args(["-o", "json", "end", "demo-2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // Over a profile's base_url: the profile's provider and key, the flag's server.
    let env = Env::new();
    env.add_profile(
        "elsewhere",
        "provider = \"messaging\"\nbase_url = \"http://127.0.0.1:9\"\nretries = 0\n",
    );
    let (doc, code) = env.json(
        "elsewhere",
        &["--endpoint-url", &emu.url(), "end", "demo-3"],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "demo-3")["outcome"], "ended", "{doc:#}");

    // Checked as a base_url is; one server is not every profile's.
    let out = common::bare_cmd(&home)
        .args(["--endpoint-url", "http://example.com", "end", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--endpoint-url: base_url is plain http"),
        "{out:?}"
    );
    let out = env
        .cmd("eliza")
        .args(["--endpoint-url", &emu.url(), "list", "--all-profiles"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(emu.messaging_exists("demo-4"));
}

// ---------------------------------------------------------------------------------------
// Output order

#[test]
fn the_table_lists_results_in_input_order_json_and_ndjson_as_they_finish() {
    let env = Env::new();
    let ids = ["ord-slow", "ord-b", "ord-c", "ord-d"];
    let run = |format: &str| {
        env.emu
            .seed_many(ids.iter().map(|id| Seed::messaging(id, OLD)));
        env.emu.fault(
            common::Fault::delay(std::time::Duration::from_millis(700))
                .path("ord-slow")
                .times(1),
        );
        let out = env
            .cmd("eliza")
            .args(["-o", format, "end-many", "--concurrency", "4"])
            .args(ids)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let position = |text: &str, id: &str| text.find(id).unwrap_or_else(|| panic!("{id}: {text}"));
    let in_order = |text: &str| {
        ids.windows(2)
            .all(|w| position(text, w[0]) < position(text, w[1]))
    };

    let table = run("table");
    assert!(
        in_order(&table),
        "the table is not in input order:\n{table}"
    );
    // The JSON document streams (its memory must not grow with the run), as NDJSON does.
    let json = run("json");
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["results"][3]["id"], "ord-slow", "{json}");
    let ndjson = run("ndjson");
    let last = ndjson.lines().rev().nth(1).unwrap_or_default(); // before the summary
    assert!(
        last.contains("ord-slow"),
        "NDJSON is printed as each finishes:\n{ndjson}"
    );
}

// ---------------------------------------------------------------------------------------
// Ctrl-C

/// Starts `end-many` on `ids` (two at a time, each taking `latency`), waits until two
/// requests are in flight, and sends SIGINT once per entry of `pauses`, sleeping that long
/// after each; returns the JSON document and stderr.
fn interrupted(quiet: bool, ids: &[&str], pauses: &[u64]) -> (serde_json::Value, String) {
    use std::time::{Duration, Instant};
    let env = Env::with(common::Options {
        latency: Duration::from_secs(2),
        ..common::Options::default()
    });
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, OLD)));
    let mut cmd = env.std_cmd("eliza");
    if quiet {
        cmd.arg("-q");
    }
    let child = cmd
        .args(["-o", "json", "end-many", "--concurrency", "2"])
        .args(ids)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.emu.requests().len() < 2 {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    for pause in pauses {
        // SAFETY: kill(2) on the PID of the child this test spawned.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        std::thread::sleep(Duration::from_millis(*pause));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    common::assert_died_of(&out.status, libc::SIGINT, &stderr);
    let doc = serde_json::from_slice(&out.stdout).expect("one JSON document");
    (doc, stderr)
}

#[test]
fn the_first_ctrl_c_says_what_it_waits_for_unless_quiet() {
    let ids = ["c-1", "c-2", "c-3"];
    let (doc, stderr) = interrupted(false, &ids, &[0]);
    assert!(
        stderr.contains(
            "sessionctl: interrupted: finishing 2 sessions in flight; Ctrl-C again to abandon them"
        ),
        "{stderr}"
    );
    assert_eq!(result_of(&doc, "c-1")["outcome"], "ended", "{doc:#}");
    assert_eq!(result_of(&doc, "c-3")["outcome"], "skipped", "{doc:#}");

    let (_, stderr) = interrupted(true, &ids, &[0]);
    assert!(
        !stderr.contains("in flight"),
        "-q shows no notices: {stderr}"
    );
}

#[test]
fn sessions_abandoned_by_a_second_ctrl_c_report_the_attempts_made() {
    let (doc, _) = interrupted(true, &["a-1", "a-2", "a-3"], &[200, 0]);
    for id in ["a-1", "a-2"] {
        let r = result_of(&doc, id);
        assert_eq!(r["abandoned"], true, "{doc:#}");
        assert_eq!(r["attempts"], 1, "its request was sent once: {doc:#}");
    }
    assert_eq!(result_of(&doc, "a-3")["attempts"], 0, "{doc:#}");
}

// ---------------------------------------------------------------------------------------
// config

#[test]
fn config_show_says_where_the_profile_and_key_come_from() {
    let env = Env::new();
    env.add_profile(
        "remote",
        "provider = \"messaging\"\nbase_url = \"http://10.1.2.3:3000\"\nallow_http = true\n",
    );
    let show = |cmd: &mut assert_cmd::Command| {
        let out = cmd.args(["config", "show"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let block = |text: &str, name: &str| -> String {
        let start = text
            .find(&format!("\n{name}"))
            .unwrap_or_else(|| panic!("no {name}: {text}"));
        let rest = &text[start + 1..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_owned()
    };

    let by_flag = show(env.cmd("samba").args(["-p", "zep"]));
    assert!(
        by_flag.contains(&format!("config: {} (from --config)", env.config.display())),
        "{by_flag}"
    );
    assert!(
        by_flag.contains("profile: zep (from --profile)"),
        "{by_flag}"
    );
    let zep = block(&by_flag, "zep *");
    assert!(zep.contains("api_version   2  (default)"), "{zep}");
    assert!(
        zep.contains("key           api_key_env = SESSIONCTL_TEST_ZEP_KEY (set)"),
        "{zep}"
    );
    assert!(zep.contains("timeout       5s\n"), "{zep}");
    let eliza = block(&by_flag, "eliza");
    assert!(
        eliza.contains("api_version   -\n"),
        "messaging has no API versions: {eliza}"
    );
    let remote = block(&by_flag, "remote");
    assert!(remote.contains("allow_http    true\n"), "{remote}");

    let mut by_env = common::bare_cmd(&env.dir);
    by_env
        .env("SESSIONCTL_CONFIG", &env.config)
        .env("SESSIONCTL_PROFILE", "samba");
    let by_env = show(&mut by_env);
    assert!(by_env.contains("(from SESSIONCTL_CONFIG)"), "{by_env}");
    assert!(
        by_env.contains("profile: samba (from SESSIONCTL_PROFILE)"),
        "{by_env}"
    );
    assert!(
        by_env.contains("api_key_env = SESSIONCTL_TEST_SAMBA_KEY (not set here)"),
        "{by_env}"
    );

    let mut by_file = common::bare_cmd(&env.dir);
    by_file.arg("-c").arg(&env.config);
    let by_file = show(&mut by_file);
    assert!(
        by_file.contains("profile: zep (from default_profile in the config file)"),
        "{by_file}"
    );

    let (doc, code) = common::run_json(
        env.cmd("remote")
            .env_remove(common::ZEP_ENV)
            .args(["-p", "remote", "-o", "json", "config", "show"]),
    );
    assert_eq!(code, 0);
    let remote = doc
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "remote")
        .unwrap();
    assert_eq!(remote["allow_http"], true, "{remote}");
    assert_eq!(remote["selected_by"], "--profile", "{remote}");
    let zep = doc
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "zep")
        .unwrap();
    assert_eq!(
        (zep["key_from"].as_str(), zep["key_set"].as_bool()),
        (Some("env"), Some(false))
    );
}

#[test]
fn config_init_writes_a_valid_starter_once() {
    let home = tempfile::tempdir().unwrap();
    let default = home.path().join("xdg/sessionctl/config.toml");
    let out = common::bare_cmd(&home)
        .args(["config", "init"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        default.display().to_string()
    );
    let written = std::fs::read_to_string(&default).unwrap();
    assert!(
        written.starts_with("# sessionctl configuration"),
        "{written}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&default).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
    }
    let check = common::bare_cmd(&home)
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{check:?}");

    // Never overwritten: exit 2, and it says so.
    std::fs::write(&default, "# mine\n").unwrap();
    let again = common::bare_cmd(&home)
        .args(["config", "init"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists; not overwritten"),
        "{again:?}"
    );
    assert_eq!(std::fs::read_to_string(&default).unwrap(), "# mine\n");

    // --config PATH, directories made as needed.
    let named = home.path().join("a/b/c.toml");
    let out = common::bare_cmd(&home)
        .arg("-c")
        .arg(&named)
        .args(["config", "init"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(named.is_file());
}

/// What bash completes for the last word of `line` with the checked-in script, `sessionctl`
/// (this build) on PATH and `config` as the config file.
fn bash_completes(config: &std::path::Path, words: &[&str]) -> Vec<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/completions/sessionctl.bash");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_sessionctl"))
        .parent()
        .unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{script}'\n\
         COMP_WORDS=({words})\n\
         COMP_CWORD={cword}\n\
         _sessionctl sessionctl \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = quoted.join(" "),
        cword = words.len() - 1,
    );
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .env_clear()
        .env("PATH", path)
        .env("SESSIONCTL_CONFIG", config)
        .current_dir(config.parent().unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_profile_names_after_p() {
    let env = Env::new();
    let all = bash_completes(&env.config, &["sessionctl", "end-many", "-p", ""]);
    assert_eq!(
        all,
        [
            "eliza",
            "samba",
            "samba-bearer",
            "zep",
            "zep3",
            "zep4",
            "local"
        ],
        "not the profiles (the config directory holds config.toml, which must not be offered)"
    );
    let zep = bash_completes(&env.config, &["sessionctl", "--profile", "zep"]);
    assert_eq!(zep, ["zep", "zep3", "zep4"]);

    // The command the scripts run.
    let out = env
        .cmd("eliza")
        .args(["config", "profiles"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "eliza\nsamba\nsamba-bearer\nzep\nzep3\nzep4\nlocal\n"
    );
}

#[test]
fn fish_completes_profile_names_before_and_after_the_subcommand() {
    if Command::new("fish").arg("--version").output().is_err() {
        eprintln!("SKIPPED: fish is not installed");
        return;
    }
    let env = Env::new();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/completions/sessionctl.fish");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_sessionctl"))
        .parent()
        .unwrap();
    for line in [
        "sessionctl -p ",
        "sessionctl --profile ",
        "sessionctl end-many -p ",
    ] {
        let out = Command::new("fish")
            .args(["--no-config", "-c"])
            .arg(format!("source '{script}'; complete -C '{line}'"))
            .env_clear()
            .env("HOME", env.dir.path())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin_dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("SESSIONCTL_CONFIG", &env.config)
            .current_dir(env.dir.path())
            .output()
            .unwrap();
        let offered: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            offered,
            [
                "eliza",
                "local",
                "samba",
                "samba-bearer",
                "zep",
                "zep3",
                "zep4"
            ],
            "{line:?}: {out:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The README, as written

const README: &str = include_str!("../../README.md");

/// The lines of the first ```sh block after the line `heading`, as written, but for lines
/// that are only a comment.
fn readme_lines(heading: &str) -> Vec<&'static str> {
    let rest = &README[README
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no `{heading}`"))..];
    let block = &rest[rest.find("```sh\n").expect("a sh block") + 6..];
    let block = &block[..block.find("```").expect("the block ends")];
    block
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect()
}

/// [`readme_lines`] split into words, without their comments.
fn readme_commands(heading: &str) -> Vec<Vec<String>> {
    readme_lines(heading)
        .into_iter()
        .map(|line| {
            shell_words::split(line)
                .unwrap_or_else(|e| panic!("{line}: {e}"))
                .into_iter()
                .take_while(|w| !w.starts_with('#'))
                .collect::<Vec<_>>()
        })
        .filter(|words| !words.is_empty())
        .collect()
}

/// One HTTP/1.1 request on loopback; the reply's status and body.
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply[9..12].parse().unwrap_or_else(|_| panic!("{reply}"));
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

/// `curl [-X METHOD] localhost:3000/PATH [-d BODY]` as a request to `port`.
fn curl(port: u16, words: &[String]) -> (u16, String) {
    assert_eq!(words[0], "curl", "{words:?}");
    let (mut method, mut url, mut body) = ("GET".to_owned(), None, None);
    let mut words = words[1..].iter();
    while let Some(w) = words.next() {
        match w.as_str() {
            "-X" => method = words.next().unwrap().clone(),
            "-d" => body = words.next().cloned(),
            _ => url = Some(w.clone()),
        }
    }
    let url = url.expect("a URL");
    let path = url
        .strip_prefix("localhost:3000")
        .unwrap_or_else(|| panic!("{url}"));
    http(port, &method, path, body.as_deref())
}

#[test]
fn the_readme_emulator_examples_work_as_written() {
    let emu = common::Emulator::start(common::Options {
        demo: true,
        ..common::Options::default()
    });
    let port = emu.addr().port();
    assert!(emu.messaging_exists("demo-1"));
    for words in readme_commands(
        "Try your cron scripts against it by seeding sessions and injecting faults:",
    ) {
        let (status, body) = curl(port, &words);
        assert!((200..300).contains(&status), "{words:?}: {status} {body}");
    }
    assert!(
        !emu.messaging_exists("demo-1") && !emu.messaging_exists("s1"),
        "the README says reset wipes the demo data too"
    );

    // Every fault kind the README lists is accepted as written (N filled in) ...
    let start = README.find("Fault kinds").expect("the fault kinds");
    let text = &README[start..start + README[start..].find("a fault matches").unwrap()];
    let kinds: Vec<&str> = text
        .split('`')
        .filter(|span| span.starts_with("{\"type\""))
        .collect();
    assert_eq!(kinds.len(), 11, "every kind: {kinds:?}");
    for kind in kinds {
        let kind = kind
            .replace("\"status\":N", "\"status\":503")
            .replace("\"ms\":N", "\"ms\":1")
            .replace("\"bytes\":N", "\"bytes\":10");
        let fault = format!("{{\"times\":1,\"kind\":{kind}}}");
        let (status, body) = http(port, "POST", "/_emulator/faults", Some(&fault));
        assert_eq!(status, 200, "{fault}: {body}");
    }
    // ... and the fields it shows are needed.
    for kind in [
        r#"{"type":"huge_body","bytes":10}"#,
        r#"{"type":"huge_body","status":500}"#,
        r#"{"type":"endless_body"}"#,
        r#"{"type":"invalid_utf8"}"#,
    ] {
        let fault = format!("{{\"kind\":{kind}}}");
        let (status, _) = http(port, "POST", "/_emulator/faults", Some(&fault));
        assert_eq!(status, 400, "{fault}");
    }
}

/// `POST /_emulator/seed` takes every kind of record the APIs list, each with the fields of
/// its module's seed struct; a kind or field it does not know is a 400 that says what it
/// knows, and a record naming one not seeded is a 400 too.
#[test]
fn the_control_api_seeds_every_kind_and_names_them_all_for_an_unknown_one() {
    use common::RoomApi;
    let emu = common::Emulator::start(common::Options::default());
    let port = emu.addr().port();
    let seeds = r#"[
        {"kind":"zep_session","id":"z1","updated_at":"2024-01-01T00:00:00Z","ended":true},
        {"kind":"zep_thread","thread_id":"t1","delete_fails":true},
        {"kind":"zep_v4_thread","uuid":"00000000-0000-4000-8000-0000000000a1","delete_task":"partial"},
        {"kind":"zep_messages","session_id":"t1","times":["2024-01-02T00:00:00Z"]},
        {"kind":"samba_session","id":"d1","live":true,"participants_live":2},
        {"kind":"samba_ended","id":"d2","start_time":"2024-01-01T00:00:00Z"},
        {"kind":"messaging_session","id":"s1","expires_at":"2099-01-01T00:00:00Z"},
        {"kind":"messaging_channel","id":"c1","name":"ops","messages":3},
        {"kind":"langgraph_thread","thread_id":"l1","status":"busy"},
        {"kind":"room","api":"twilio","id":"RM1"},
        {"kind":"metadata","id":"s1","metadata":{"env":"staging"}}
    ]"#;
    let (status, body) = http(port, "POST", "/_emulator/seed", Some(seeds));
    assert_eq!((status, body.as_str()), (200, r#"{"seeded":11}"#));
    assert_eq!(emu.zep_session_ended("z1"), Some(true));
    assert!(emu.thread_exists("t1"));
    assert!(emu.thread_uuid_exists("00000000-0000-4000-8000-0000000000a1"));
    assert_eq!(emu.samba_live("d1"), Some(true));
    assert_eq!(emu.samba_live("d2"), Some(false));
    assert!(emu.messaging_exists("s1"));
    assert_eq!(emu.channel_messages("c1"), Some(3));
    assert_eq!(emu.langgraph_active_runs("l1"), Some(1));
    assert!(emu.room_exists(RoomApi::Twilio, "RM1"));
    assert!(!emu.room_exists(RoomApi::Daily, "RM1"));

    let (status, body) = http(port, "POST", "/_emulator/seed", Some(r#"[{"kind":"zep"}]"#));
    assert_eq!(status, 400, "{body}");
    for kind in [
        "metadata",
        "zep_session",
        "zep_messages",
        "zep_thread",
        "zep_v4_thread",
        "samba_session",
        "samba_ended",
        "messaging_session",
        "messaging_channel",
        "langgraph_thread",
        "room",
    ] {
        assert!(body.contains(kind), "{kind} unnamed: {body}");
    }
    assert_eq!(body.matches("room").count(), 1, "each kind once: {body}");
    for (bad, says) in [
        (
            r#"[{"kind":"samba_session","id":"d3","colour":"red"}]"#,
            "colour",
        ),
        (r#"[{"id":"d3"}]"#, "`kind`"),
        (
            r#"[{"kind":"metadata","id":"nobody","metadata":{}}]"#,
            "seed it first",
        ),
        (
            r#"[{"kind":"zep_messages","session_id":"nobody","times":[]}]"#,
            "seed it first",
        ),
    ] {
        let (status, body) = http(port, "POST", "/_emulator/seed", Some(bad));
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains(says), "{bad}: {body}");
    }
    assert_eq!(emu.samba_live("d3"), None, "a refused seed seeds nothing");
}

#[test]
fn the_end_it_first_hint_names_the_profile_it_ran_on() {
    let env = Env::new();
    env.emu.seed(Seed::samba_live("ds-live", OLD));
    let (doc, code) = env.json("samba-bearer", &["delete", "--yes", "ds-live"]);
    assert_eq!(code, 1, "{doc:#}");
    let error = result_of(&doc, "ds-live")["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        error.contains("(end it first: sessionctl -p samba-bearer end ds-live)"),
        "{error}"
    );
}

/// Whether `program` runs here; says so when it does not.
fn have(program: &str, probe: &[&str]) -> bool {
    let ok = Command::new(program).args(probe).output().is_ok();
    if !ok {
        eprintln!("SKIPPED: {program} is not installed");
    }
    ok
}

#[test]
fn the_readme_install_lines_work_on_a_fresh_home() {
    let home = tempfile::tempdir().unwrap();
    let sh = |program: &str| {
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", program])
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{program}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let lines = readme_lines("## Install");
    // The build itself is what `cargo test` did already; it keeps to Cargo.lock.
    assert!(
        lines[0].starts_with("cargo install --locked --path . "),
        "{lines:?}"
    );
    for line in &lines[1..] {
        sh(line);
    }
    let home_path = home.path().display().to_string();
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_sessionctl"))
        .parent()
        .unwrap()
        .display()
        .to_string();

    // man finds the pages through ~/.cargo/bin on PATH (where `cargo install` put the
    // binary), without MANPATH.
    if have("man", &["-w", "man"]) {
        std::fs::create_dir_all(home.path().join(".cargo/bin")).unwrap();
        let found = sh(&format!(
            "PATH={home_path}/.cargo/bin:/usr/bin:/bin man -w sessionctl sessionctl-config-init"
        ));
        assert!(
            found.contains(&format!("{home_path}/.cargo/share/man/man1/sessionctl.1")),
            "{found}"
        );
        assert!(found.contains("sessionctl-config-init.1"), "{found}");
    }
    // bash-completion loads the script from its user directory.
    let loader = "/usr/share/bash-completion/bash_completion";
    if std::path::Path::new(loader).exists() {
        let spec = sh(&format!(
            "source {loader}; __load_completion sessionctl; complete -p sessionctl"
        ));
        assert!(spec.contains("-F _sessionctl sessionctl"), "{spec}");
    } else {
        eprintln!("SKIPPED: the bash-completion package is not installed");
    }
    // zsh, with the README's ~/.zshrc lines.
    if have("zsh", &["--version"]) {
        let start = README.find("```zsh\n").unwrap() + 7;
        let zshrc = &README[start..start + README[start..].find("```").unwrap()];
        let program = format!("{zshrc}print -r -- $_comps[sessionctl]");
        let out = Command::new("zsh")
            .args(["-f", "-c", &program])
            .env_clear()
            .env("HOME", home.path())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "_sessionctl",
            "{out:?}"
        );
    }
    // fish loads it on demand, and -p offers the profiles.
    if have("fish", &["--version"]) {
        let out = Command::new("fish")
            .args(["-c", "complete -C 'sessionctl -p '"])
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", format!("{bin_dir}:/usr/bin:/bin"))
            .output()
            .unwrap();
        let offered = String::from_utf8_lossy(&out.stdout);
        assert!(offered.lines().any(|l| l.starts_with("local\t")), "{out:?}");
    }
}

/// The example `name` as `cargo test` built it beside this test's sessionctl, if it is at
/// least as new as the emulator's sources and sessionctl's (`cargo test --test tests` alone
/// does not rebuild examples); else `None`, saying so.
fn built_example(name: &str) -> Option<std::path::PathBuf> {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_sessionctl"));
    let example = bin.parent()?.join("examples").join(name);
    let fresh = || {
        let built = std::fs::metadata(&example).ok()?.modified().ok()?;
        let newest = ["tests/emulator", "src", "src/app"]
            .iter()
            .flat_map(|dir| {
                std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
                    .into_iter()
                    .flatten()
            })
            .filter_map(|e| e.ok()?.metadata().ok()?.modified().ok())
            .max()?;
        (built >= newest).then_some(())
    };
    if fresh().is_none() {
        eprintln!(
            "note: the {name} example is not built from the current sources (plain `cargo test` \
             builds it)"
        );
        return None;
    }
    Some(example)
}

/// The quick start's two commands, as the README writes them.
#[test]
fn the_readme_quick_start_is_one_command_then_the_tests() {
    let lines = readme_commands("## Quick start (offline, no account needed)");
    assert_eq!(
        lines,
        [
            vec!["cargo", "run", "--example", "quickstart"],
            vec!["cargo", "test"]
        ]
    );
}

/// What the README says `cargo run --example quickstart` prints: the cron job's sweep over
/// the demo data, 7 sessions ended on four providers, the two threads profiles skipped, exit
/// 0. Run as the example itself where `cargo test` built it, else the same sweep through the
/// binary on the same config file (the example runs sessionctl's library, not the binary).
#[test]
fn the_quickstart_sweeps_the_demo_data_as_the_readme_says() {
    let sweep = "sessionctl end-many --idle-for 2h --all-profiles --limit 200 --max 5000";
    assert!(README.contains(sweep), "the README names the sweep it runs");
    let (code, stdout, stderr) = match built_example("quickstart") {
        Some(example) => {
            let home = tempfile::tempdir().unwrap();
            let out = Command::new(example)
                .env_clear()
                .env("HOME", home.path())
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(stdout.contains(sweep), "it says what it runs: {stdout}");
            (
                out.status.code(),
                stdout,
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
        None => {
            let emu = common::Emulator::start(common::Options {
                demo: true,
                ..common::Options::default()
            });
            let home = tempfile::tempdir().unwrap();
            let config = home.path().join("config.toml");
            std::fs::write(
                &config,
                common::emulator::profiles::config_toml(emu.addr(), None),
            )
            .unwrap();
            std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap();
            let words = shell_words::split(sweep).unwrap();
            let out = common::bare_cmd(&home)
                .arg("-c")
                .arg(&config)
                .args(&words[1..])
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            (
                out.status.code(),
                stdout,
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("ended 7"), "{stdout}");
    for id in [
        "demo-1",
        "demo-3",
        "zep-demo-1",
        "zep-demo-2",
        "samba-demo-1",
        "langgraph-demo-2",
    ] {
        assert!(stdout.contains(&format!(" {id} ")), "{id}: {stdout}");
    }
    for skipped in ["zep-v3", "zep-threads"] {
        assert!(
            stderr.contains(&format!(
                "skipping profile `{skipped}`: Zep threads have no end"
            )),
            "{stderr}"
        );
    }
}

/// Runs `line` with bash (`-o pipefail`, as the README's pipes advise) in a fresh home whose
/// config file is the one `mock-server` prints for `emu`, with nothing else of this
/// process's environment but `vars`; the binary is on `PATH` as `sessionctl`.
fn run_readme_line(
    emu: &common::Emulator,
    line: &str,
    vars: &[(&str, &str)],
) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    let config_dir = home.path().join(".config/sessionctl");
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = config_dir.join("config.toml");
    std::fs::write(
        &config,
        common::emulator::profiles::config_toml(emu.addr(), None),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    // What the examples expect to find: an ID file (demo sessions), zsh's function directory.
    std::fs::write(
        home.path().join("ids.txt"),
        "demo-1\n\n# a comment\ndemo-2\n",
    )
    .unwrap();
    std::fs::create_dir_all(home.path().join(".zfunc")).unwrap();
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_sessionctl"))
        .parent()
        .unwrap();
    let mut cmd = Command::new("bash");
    cmd.args(["--norc", "--noprofile", "-o", "pipefail", "-c", line])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .current_dir(home.path());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Every example line of Commands, Retention and Pipes across profiles, pasted against the
/// emulator's demo data with the config file it prints: each does what its comment says
/// without a failure (exit 0), except `config init`, which never overwrites (exit 2). Each
/// line gets an emulator of its own, as a user trying one example after starting it would.
#[test]
fn the_readme_examples_run_as_written_on_the_emulators_config() {
    let mut lines: Vec<&str> = Vec::new();
    for heading in ["## Commands", "## Retention", "## Pipes across profiles"] {
        lines.extend(readme_lines(heading));
    }
    assert!(lines.len() > 25, "{lines:?}");
    let vars = [
        ("LOBBY", "6f1c6c3e-0000-4000-8000-000000000001"),
        ("RETIRED", "6f1c6c3e-0000-4000-8000-000000000002"),
    ];
    for line in lines {
        let emu = common::Emulator::start(common::Options {
            demo: true,
            task_delay: std::time::Duration::from_millis(50),
            ..common::Options::default()
        });
        let out = run_readme_line(&emu, line, &vars);
        let expected = match line {
            l if l.starts_with("sessionctl config init") => 2,
            // What the README says of it: the threads profiles' lines are `failed`.
            l if l.contains("| sessionctl end-many --all-profiles -") => {
                let failed: Vec<String> = String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter(|l| l.starts_with('│') && l.contains(" failed "))
                    .map(|l| l.split_whitespace().nth(1).unwrap_or_default().to_owned())
                    .collect();
                assert_eq!(
                    failed,
                    ["zep-threads", "zep-threads", "zep-v3", "zep-v3"],
                    "{out:?}"
                );
                assert!(
                    String::from_utf8_lossy(&out.stdout).contains("ended 7"),
                    "{out:?}"
                );
                1
            }
            _ => 0,
        };
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{line}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // What a few of them say they do, on the demo data.
    let emu = common::Emulator::start(common::Options {
        demo: true,
        ..common::Options::default()
    });
    let out = run_readme_line(&emu, "sessionctl end-many demo-1 demo-2 demo-3", &[]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ended 3"),
        "{out:?}"
    );
    let out = run_readme_line(
        &emu,
        "sessionctl -p zep end-many --idle-for 2h --where user=demo-user -o json",
        &[],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"], serde_json::json!({"ended": 2}), "{doc:#}");
}
