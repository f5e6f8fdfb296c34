//! What only the `langgraph` provider does: first against the emulator (paging, the filters
//! the server applies, verdicts by thread status, a busy thread refused, the key header),
//! then against a REAL LangGraph Agent Server (`langgraph dev`, langgraph-api 0.16.7 with the
//! in-memory runtime), serving `.ci/langgraph/app`: a one-node graph that sleeps as long as
//! its input asks (so a run keeps its thread busy), behind custom auth that wants `x-api-key`
//! (so a wrong key is refused by the server itself).
//!
//! The server is installed by `.ci/langgraph/install.sh` into
//! `${SESSIONCTL_LANGGRAPH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/langgraph-0.16.7}`.
//! Without it these tests pass as skipped and say so once on the terminal
//! ([`common::say_skipped`]), except under `CI=true`, where they fail. One server serves the
//! whole module: it starts with the first test that needs it, on a free loopback port, with
//! telemetry, tracing and the version check off (it contacts nothing), and the kernel kills it
//! when the test process exits (`PR_SET_PDEATHSIG`, set for the long-lived thread that spawns
//! it). Each test makes its own threads, tagged with its own `metadata.suite`, and scopes
//! every command to them with `--where`, so tests can run at once on the one server.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::{self, Emulator, Env, Fault, Seed, count_requests};

// ---------------------------------------------------------------------------------------
// Against the emulator

/// The TOML keys of a `langgraph` profile for `emu` (also the conformance suite's).
pub(super) fn profile(emu: &Emulator) -> String {
    format!(
        "provider = \"langgraph\"\nbase_url = \"{}\"\nmax_backoff = \"100ms\"\ntimeout = \"5s\"",
        emu.langgraph_url()
    )
}

fn emulated() -> Env {
    let env = Env::new();
    env.add_profile("langgraph", &profile(&env.emu));
    env
}

/// "Now" of the emulator tests; `--idle-for 1h` cuts off at 11:00:00Z.
const NOW: &str = "2024-06-01T12:00:00Z";
const OLD: &str = "2024-06-01T09:00:00Z";
const RECENT: &str = "2024-06-01T11:30:00Z";

fn searches(env: &Env) -> Vec<Value> {
    (env.emu.requests().iter())
        .filter(|r| r.method == "POST" && r.path == "/langgraph/threads/search")
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect()
}

/// `list` reads every page, by the offset the server's `X-Pagination-Next` names, oldest
/// `updated_at` first and only the fields a row needs.
#[test]
fn list_pages_by_the_servers_next_offset() {
    let env = emulated();
    env.emu.seed_many((0..230).map(|n| {
        Seed::langgraph(
            &format!("t-{n:03}"),
            &format!("2024-05-01T00:{:02}:{:02}Z", n / 60, n % 60),
            "idle",
        )
    }));
    let (doc, code) = env.json("langgraph", &["list"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["count"], 230, "{doc:#}");
    assert_eq!(doc["sessions"][0]["id"], "t-000", "oldest first");
    let offsets: Vec<Value> = searches(&env).iter().map(|b| b["offset"].clone()).collect();
    assert_eq!(offsets, [json!(0), json!(100), json!(200)]);
    let first = &searches(&env)[0];
    assert_eq!(
        (&first["limit"], &first["sort_by"], &first["sort_order"]),
        (&json!(100), &json!("updated_at"), &json!("asc"))
    );
    assert_eq!(
        first["select"],
        json!([
            "thread_id",
            "created_at",
            "updated_at",
            "metadata",
            "status"
        ])
    );
}

/// `status=` and a text `metadata.KEY=` go to the server; a value that reads as a number is
/// matched on the rows, where the number 42 and the text "42" both match it.
#[test]
fn where_status_and_metadata_are_filtered_by_the_server_as_the_rows_are() {
    let env = emulated();
    let seed = |id: &str, status: &str, metadata: Value| {
        Seed::from(common::emulator::langgraph::ThreadSeed {
            thread_id: id.to_owned(),
            created_at: OLD.to_owned(),
            updated_at: OLD.to_owned(),
            status: status.to_owned(),
            metadata: metadata.as_object().unwrap().clone(),
        })
    };
    for (term, body_key, body, want) in [
        ("status=busy", "status", json!("busy"), vec!["prod-busy"]),
        (
            "metadata.env=prod",
            "metadata",
            json!({"env": "prod"}),
            vec!["prod-busy", "prod-idle"],
        ),
        (
            "metadata.n=42",
            "metadata",
            Value::Null,
            vec!["prod-busy", "prod-idle"],
        ),
    ] {
        env.emu.reset();
        env.emu.seed_many([
            seed("prod-busy", "busy", json!({"env": "prod", "n": 42})),
            seed("prod-idle", "idle", json!({"env": "prod", "n": "42"})),
            seed("staging", "idle", json!({"env": "staging", "n": 7})),
        ]);
        let (doc, code) = env.json("langgraph", &["list", "--where", term]);
        assert_eq!(code, 0, "{term}: {doc:#}");
        assert_eq!(listed(&doc), want, "{term}");
        let sent = &searches(&env)[0];
        assert_eq!(
            sent.get(body_key).cloned().unwrap_or(Value::Null),
            body,
            "{term}: {sent}"
        );
    }
    let (code, _, stderr) =
        common::run(
            env.cmd("langgraph")
                .args(["list", "--where", "status=paused"]),
        );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("HTTP 422: \"paused\" is not one of"),
        "the server refuses it: {stderr}"
    );
}

/// At a fixed "now": `end-many --idle-for` ends only runs going on past the cut-off;
/// `delete --idle-for` deletes only idle threads past it, never a busy one; a status the
/// server never sends is reported, never acted on.
#[test]
fn sweeps_judge_each_thread_by_its_status() {
    let env = emulated();
    env.emu.seed_many([
        Seed::langgraph("busy-old", OLD, "busy"),
        Seed::langgraph("busy-new", RECENT, "busy"),
        Seed::langgraph("idle-old", OLD, "idle"),
        Seed::langgraph("interrupted-old", OLD, "interrupted"),
        Seed::langgraph("idle-new", RECENT, "idle"),
        Seed::langgraph("odd", OLD, "paused"),
    ]);
    let (doc, code) = env.json_at(NOW, "langgraph", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 1, "{doc:#}");
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(outcomes.len(), 2, "{doc:#}");
    assert_eq!(outcomes["busy-old"], "ended");
    assert_eq!(outcomes["odd"], "failed");
    let odd = common::result_of(&doc, "odd")["error"].as_str().unwrap();
    assert!(
        odd.contains("not acted on: unknown thread status `paused`"),
        "{odd}"
    );
    let reason = common::result_of(&doc, "busy-old")["reason"]
        .as_str()
        .unwrap();
    assert!(reason.starts_with("busy 3h (its run started"), "{reason}");
    assert_eq!(env.emu.langgraph_active_runs("busy-old"), Some(0));
    assert_eq!(env.emu.langgraph_active_runs("busy-new"), Some(1));

    env.emu.seed(Seed::langgraph("busy-old", OLD, "busy"));
    let (doc, code) = env.json_at(NOW, "langgraph", &["delete", "--yes", "--idle-for", "1h"]);
    assert_eq!(code, 1, "{doc:#}");
    let outcomes = common::outcomes_once(&doc);
    let want = [
        ("idle-old", "deleted"),
        ("interrupted-old", "deleted"),
        ("odd", "failed"),
    ];
    assert_eq!(
        outcomes,
        want.map(|(a, b)| (a.to_owned(), b.to_owned())).into(),
        "{doc:#}"
    );
    for spared in ["busy-old", "busy-new", "idle-new", "odd"] {
        assert!(
            env.emu.langgraph_active_runs(spared).is_some(),
            "{spared} was deleted"
        );
    }
}

/// `delete` reads the thread first: a busy one is refused (the server would delete it, run
/// and all), in a server dry run too; `end`'s dry run says whether there is a run to cancel.
#[test]
fn a_busy_thread_is_never_deleted() {
    let env = emulated();
    env.emu.seed_many([
        Seed::langgraph("busy", OLD, "busy"),
        Seed::langgraph("idle", OLD, "idle"),
    ]);
    for args in [
        &["delete", "--yes", "busy"][..],
        &["delete", "--dry-run=server", "busy"],
    ] {
        let (doc, code) = env.json("langgraph", args);
        assert_eq!(code, 1, "{args:?}: {doc:#}");
        let r = common::result_of(&doc, "busy");
        assert_eq!(
            (&r["outcome"], &r["status"]),
            (&json!("failed"), &json!(200)),
            "{r}"
        );
        assert!(
            r["error"]
                .as_str()
                .unwrap()
                .starts_with("busy: a run is in progress"),
            "{r}"
        );
    }
    assert_eq!(
        count_requests(&env.emu.requests(), "DELETE", "/langgraph/threads/busy"),
        0
    );
    assert_eq!(env.emu.langgraph_active_runs("busy"), Some(1));
    let (doc, code) = env.json(
        "langgraph",
        &["end-many", "--dry-run=server", "busy", "idle"],
    );
    assert_eq!(code, 0, "{doc:#}");
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(
        (outcomes["busy"].as_str(), outcomes["idle"].as_str()),
        ("would_end", "already_ended")
    );
}

/// The runs finished between the read and the cancel: the server's 404 "No matching runs"
/// is `already_ended`, not a failure.
#[test]
fn a_cancel_that_finds_the_runs_done_is_already_ended() {
    let env = emulated();
    env.emu.seed(Seed::langgraph("t", OLD, "busy"));
    let detail = r#"{"detail":"No matching runs to cancel. Please verify the thread ID and run IDs are correct, and the runs haven't been deleted or completed."}"#;
    env.emu.fault(
        Fault::status(404)
            .method("POST")
            .path("/langgraph/runs/cancel")
            .body(detail)
            .times(1),
    );
    let (doc, code) = env.json("langgraph", &["end", "t"]);
    assert_eq!(code, 0, "{doc:#}");
    let r = common::result_of(&doc, "t");
    assert_eq!(
        (&r["outcome"], &r["status"], &r["attempts"]),
        (&json!("already_ended"), &json!(404), &json!(2)),
        "{r}"
    );
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .starts_with("No matching runs to cancel"),
        "{r}"
    );
}

/// A server that ignores the runs list's offset sends the same full page for ever: that is
/// an error (`failed`, nothing cancelled), never "no pending or running run" from the
/// first page alone, and never a loop.
#[test]
fn a_runs_list_that_repeats_its_page_is_failed_not_taken_as_complete() {
    let env = emulated();
    env.emu.seed(Seed::langgraph("t", OLD, "idle"));
    let runs: Vec<Value> = (0..100)
        .map(|n| json!({ "run_id": format!("r-{n}"), "thread_id": "t", "status": "success" }))
        .collect();
    env.emu.fault(
        Fault::status(200)
            .method("GET")
            .path("/threads/t/runs")
            .body(&Value::Array(runs).to_string()),
    );
    for args in [&["end", "t"][..], &["end", "--dry-run=server", "t"][..]] {
        let (doc, code) = env.json("langgraph", args);
        assert_eq!(code, 1, "{args:?}: {doc:#}");
        let r = common::result_of(&doc, "t");
        assert_eq!(r["outcome"], "failed", "{args:?}: {r}");
        assert!(
            r["error"].as_str().unwrap().contains("same page of runs"),
            "{r}"
        );
    }
    let pages = (env.emu.requests().iter())
        .filter(|r| r.path.ends_with("/threads/t/runs"))
        .count();
    assert_eq!(pages, 4, "two pages per run, then it stops");
    assert_eq!(
        count_requests(&env.emu.requests(), "POST", "/langgraph/runs/cancel"),
        0
    );
}

/// A server that sends full pages of new runs for ever (every offset another 100): the runs
/// read of one thread are bounded (10,000), then it is `failed`, nothing cancelled, never a
/// loop.
#[test]
fn a_runs_list_that_never_ends_is_failed_after_ten_thousand_runs() {
    let env = emulated();
    env.emu.seed(Seed::langgraph("t", OLD, "busy"));
    let runs: Vec<Value> = (0..100)
        .map(|n| json!({ "run_id": format!("r-{{n}}-{n}"), "thread_id": "t", "status": "running" }))
        .collect();
    env.emu.fault(
        Fault::numbered(&Value::Array(runs).to_string())
            .method("GET")
            .path("/threads/t/runs"),
    );
    let (doc, code) = common::run_json(
        env.cmd("langgraph")
            .args(["-o", "json", "end", "t"])
            .timeout(std::time::Duration::from_secs(300)),
    );
    assert_eq!(code, 1, "{doc:#}");
    let r = common::result_of(&doc, "t");
    assert_eq!(r["outcome"], "failed", "{r}");
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("more than 10000 runs"),
        "{r}"
    );
    let pages = (env.emu.requests().iter())
        .filter(|r| r.path.ends_with("/threads/t/runs"))
        .count();
    assert_eq!(pages, 100, "100 pages of 100 runs, then it stops");
    assert_eq!(
        count_requests(&env.emu.requests(), "POST", "/langgraph/runs/cancel"),
        0
    );
}

/// A key, where the profile has one, goes as `x-api-key` on every request; none without.
#[test]
fn the_key_goes_as_x_api_key() {
    let env = emulated();
    env.add_profile(
        "lg-key",
        &format!("{}\napi_key = \"lg-secret\"", profile(&env.emu)),
    );
    env.emu.seed(Seed::langgraph("t", OLD, "busy"));
    let (doc, code) = env.json("lg-key", &["end", "t"]);
    assert_eq!(code, 0, "{doc:#}");
    let keys: Vec<Option<String>> = (env.emu.requests().iter())
        .map(|r| r.header("x-api-key").map(str::to_owned))
        .collect();
    assert_eq!(
        keys,
        [Some("lg-secret".to_owned()), Some("lg-secret".to_owned())]
    );
    env.emu.reset();
    let (doc, code) = env.json("langgraph", &["list"]);
    assert_eq!(code, 0, "{doc:#}");
    assert!(
        env.emu
            .requests()
            .iter()
            .all(|r| r.header("x-api-key").is_none())
    );
}

// ---------------------------------------------------------------------------------------
// Against a real Agent Server

const VERSION: &str = "0.16.7";
/// The key the server's custom auth (`.ci/langgraph/app/auth.py`) wants.
const KEY: &str = "langgraph-test-key";
const READY_TIMEOUT: Duration = Duration::from_secs(120);
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a test's run keeps its thread busy: longer than any test.
const BUSY_SECS: u32 = 600;

fn install_dir() -> PathBuf {
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("SESSIONCTL_LANGGRAPH_DIR").unwrap_or_else(|| {
        let cache = env("XDG_CACHE_HOME")
            .or_else(|| env("HOME").map(|h| h.join(".cache")))
            .unwrap_or_else(|| PathBuf::from(".cache"));
        cache
            .join("sessionctl")
            .join(format!("langgraph-{VERSION}"))
    })
}

/// The one server of this module, or `None` (said once) when it is not installed outside CI.
fn server(test: &str) -> Option<&'static Server> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    match SERVER.get_or_init(Server::start) {
        Ok(server) => Some(server),
        Err(p) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: real LangGraph server unavailable under CI=true: {p}")
        }
        Err(p) => {
            common::say_skipped("real-LangGraph (tests/suite/langgraph.rs)", test, p);
            None
        }
    }
}

struct Server {
    port: u16,
    /// `langgraph dev` writes its `.langgraph_api` state next to `langgraph.json`.
    _app: TempDir,
}

impl Server {
    fn start() -> Result<Server, String> {
        let bin = install_dir().join("bin/langgraph");
        if !bin.is_file() {
            return Err(format!(
                "no {}: run .ci/langgraph/install.sh and set SESSIONCTL_LANGGRAPH_DIR to the directory it prints",
                bin.display()
            ));
        }
        let app = tempfile::Builder::new()
            .prefix("sessionctl-langgraph-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/langgraph/app");
        for file in ["langgraph.json", "graph.py", "auth.py"] {
            std::fs::copy(source.join(file), app.path().join(file)).map_err(|e| e.to_string())?;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let mut cmd = StdCommand::new(bin);
        cmd.args(["dev", "--no-browser", "--no-reload", "--host", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--n-jobs-per-worker", "20"])
            .current_dir(app.path())
            .env("SESSIONCTL_TEST_KEY", KEY)
            .env("LANGGRAPH_CLI_NO_ANALYTICS", "1")
            .env("LANGGRAPH_NO_VERSION_CHECK", "true")
            .env("LANGSMITH_TRACING", "false")
            .env_remove("LANGSMITH_API_KEY")
            .env_remove("LANGCHAIN_API_KEY")
            .env_remove("LANGGRAPH_CLOUD_LICENSE_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Spawned by a thread that lives as long as the process, so that the server dies with
        // the test process (the death signal follows the spawning thread).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            let child = cmd.spawn();
            let ok = child.is_ok();
            let _ = tx.send(child.map_err(|e| e.to_string()));
            if ok {
                loop {
                    std::thread::park();
                }
            }
        });
        let mut child = rx.recv().map_err(|e| e.to_string())??;
        let server = Server { port, _app: app };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "langgraph dev exited before it was ready: {status}"
                ));
            }
            if server
                .try_call("GET", "/ok", None, None)
                .is_some_and(|r| r.0 == 200)
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!("langgraph dev not ready within {READY_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(200)); // a poll of the condition
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One request with the key: `(status, body)`, `None` if the server cannot be reached.
    fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .ok()?;
        let payload = body.map(Value::to_string).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n",
            payload.len()
        );
        if let Some(key) = key {
            req.push_str(&format!("x-api-key: {key}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(&payload);
        stream.write_all(req.as_bytes()).ok()?;
        let mut raw = String::new();
        stream.read_to_string(&mut raw).ok()?;
        let (head, body) = raw.split_once("\r\n\r\n")?;
        let status = head.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, body.to_owned()))
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, text) = (self.try_call(method, path, body.as_ref(), Some(KEY)))
            .unwrap_or_else(|| panic!("{method} {path}: no reply"));
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A new thread tagged `suite` (plus `extra` metadata); its ID.
    fn thread(&self, suite: &str, extra: Value) -> String {
        let mut metadata = json!({ "suite": suite });
        metadata
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, t) = self.call("POST", "/threads", Some(json!({ "metadata": metadata })));
        assert_eq!(status, 200, "{t}");
        t["thread_id"].as_str().unwrap().to_owned()
    }

    fn get(&self, id: &str) -> (u16, Value) {
        self.call("GET", &format!("/threads/{id}"), None)
    }

    /// Starts a run that sleeps past every test, and waits until the thread is busy.
    fn make_busy(&self, id: &str) {
        let body = json!({ "assistant_id": "sleeper", "input": { "sleep": BUSY_SECS } });
        let (status, run) = self.call("POST", &format!("/threads/{id}/runs"), Some(body));
        assert_eq!(status, 200, "{run}");
        self.wait_for(id, |t| t["status"] == "busy");
    }

    /// Waits until the thread satisfies `done` (polling its state).
    fn wait_for(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, t) = self.get(id);
            if done(&t) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "thread {id} never got there: {t}"
            );
            std::thread::sleep(Duration::from_millis(100)); // a poll of the condition
        }
    }

    fn runs(&self, id: &str) -> Vec<Value> {
        let (status, runs) = self.call("GET", &format!("/threads/{id}/runs"), None);
        assert_eq!(status, 200, "{runs}");
        runs.as_array().unwrap().clone()
    }

    /// Runs `sessionctl -o json ARGS` on a `langgraph` profile for this server, with `key`.
    fn sessionctl(&self, key: &str, now: Option<&str>, args: &[&str]) -> (Value, i32, String) {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[profiles.lg]\nprovider = \"langgraph\"\nbase_url = \"{}\"\napi_key_env = \"LG_TEST_KEY\"\n",
                self.url()
            ),
        )
        .unwrap();
        let mut cmd = Command::cargo_bin("sessionctl").unwrap();
        cmd.arg("--config")
            .arg(&config)
            .args(["--profile", "lg", "-o", "json"])
            .args(args)
            .env("LG_TEST_KEY", key)
            .env("SESSIONCTL_LOCK_DIR", dir.path())
            .env("NO_COLOR", "1")
            .env_remove("SESSIONCTL_NOW")
            .timeout(CLI_TIMEOUT);
        if let Some(now) = now {
            cmd.env("SESSIONCTL_NOW", now);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let doc = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        (doc, out.status.code().unwrap_or(-1), stderr)
    }
}

fn listed(doc: &Value) -> Vec<String> {
    let mut ids: Vec<String> = (doc["sessions"].as_array())
        .unwrap_or_else(|| panic!("no sessions: {doc:#}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    ids.sort();
    ids
}

fn result<'a>(doc: &'a Value, id: &str) -> &'a Value {
    (doc["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc:#}"))
        .iter())
    .find(|r| r["id"] == id)
    .unwrap_or_else(|| panic!("no result for {id}: {doc:#}"))
}

/// `--where metadata.KEY=V` and `status=` are filtered by the server: only the matching
/// threads are listed, with their status, times and metadata.
#[test]
fn list_and_where() {
    let Some(s) = server("list_and_where") else {
        return;
    };
    let suite = "list_and_where";
    let prod = s.thread(suite, json!({ "env": "prod" }));
    let staging = s.thread(suite, json!({ "env": "staging" }));
    let busy = s.thread(suite, json!({ "env": "prod" }));
    s.make_busy(&busy);
    let scope = format!("metadata.suite={suite}");

    let (doc, code, err) = s.sessionctl(KEY, None, &["list", "--where", &scope]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(listed(&doc), sorted(&[&prod, &staging, &busy]));
    let row = (doc["sessions"].as_array().unwrap().iter())
        .find(|r| r["id"] == prod.as_str())
        .unwrap();
    assert_eq!(row["status"], "idle", "{row}");
    assert_eq!(row["metadata"]["env"], "prod", "{row}");
    assert!(
        row["created"].is_string() && row["activity"].is_string(),
        "{row}"
    );

    let (doc, code, err) = s.sessionctl(
        KEY,
        None,
        &[
            "-v",
            "list",
            "--where",
            "metadata.env=prod",
            "--where",
            &scope,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(listed(&doc), sorted(&[&prod, &busy]));
    assert!(
        err.contains("metadata.env=prod filtered by the server"),
        "{err}"
    );

    let (doc, code, err) = s.sessionctl(
        KEY,
        None,
        &["-v", "list", "--where", "status=busy", "--where", &scope],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(listed(&doc), vec![busy.clone()]);
    assert!(err.contains("status=busy filtered by the server"), "{err}");
}

/// The sweeps at a "now" an hour after the newest update: `delete --idle-for` deletes
/// the idle thread, spares the one updated at the cut-off and the busy one (however old its
/// run); `end-many --idle-for` then cancels the busy thread's run and touches nothing else.
#[test]
fn sweeps_delete_idle_threads_and_end_old_runs_never_a_busy_delete() {
    let Some(s) = server("sweeps") else { return };
    let suite = "sweeps";
    let idle = s.thread(suite, json!({}));
    let busy = s.thread(suite, json!({}));
    s.make_busy(&busy);
    let fresh = s.thread(suite, json!({}));
    // A metadata patch moves `updated_at`: the newest update, the cut-off below.
    let (status, patched) = s.call(
        "PATCH",
        &format!("/threads/{fresh}"),
        Some(json!({ "metadata": { "n": 1 } })),
    );
    assert_eq!(status, 200, "{patched}");
    let newest: jiff::Timestamp = patched["updated_at"].as_str().unwrap().parse().unwrap();
    let now = (newest + jiff::SignedDuration::from_hours(1)).to_string();
    let scope = format!("metadata.suite={suite}");

    let (doc, code, err) = s.sessionctl(
        KEY,
        Some(&now),
        &["list", "--idle-for", "1h", "--where", &scope],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        listed(&doc),
        sorted(&[&idle, &busy]),
        "list judges every status"
    );

    let (doc, code, err) = s.sessionctl(
        KEY,
        Some(&now),
        &["delete", "--yes", "--idle-for", "1h", "--where", &scope],
    );
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(doc["results"].as_array().unwrap().len(), 1, "{doc:#}");
    assert_eq!(result(&doc, &idle)["outcome"], "deleted", "{doc:#}");
    assert_eq!(s.get(&idle).0, 404);
    assert_eq!(
        s.get(&busy).1["status"],
        "busy",
        "the busy thread was spared"
    );
    assert_eq!(
        s.get(&fresh).0,
        200,
        "the thread updated at the cut-off was spared"
    );

    let (doc, code, err) = s.sessionctl(
        KEY,
        Some(&now),
        &["end-many", "--idle-for", "1h", "--where", &scope],
    );
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(doc["results"].as_array().unwrap().len(), 1, "{doc:#}");
    let ended = result(&doc, &busy);
    assert_eq!(
        (&ended["outcome"], &ended["status"]),
        (&json!("ended"), &json!(204))
    );
    assert!(
        ended["reason"]
            .as_str()
            .unwrap()
            .contains("its run started"),
        "{ended}"
    );
    let runs = s.runs(&busy);
    assert!(
        runs.iter().all(|r| r["status"] == "interrupted"),
        "{runs:#?}"
    );
    s.wait_for(&busy, |t| t["status"] != "busy");
}

/// `end` cancels a busy thread's run (204), then has nothing left to cancel; `delete`
/// refuses the busy thread, deletes it once ended (204), and then finds it gone (404).
#[test]
fn end_a_busy_run_then_delete() {
    let Some(s) = server("end_then_delete") else {
        return;
    };
    let id = s.thread("end_then_delete", json!({}));
    s.make_busy(&id);

    let (doc, code, err) = s.sessionctl(KEY, None, &["delete", "--yes", &id]);
    assert_eq!(code, 1, "{err}\n{doc:#}");
    let refused = result(&doc, &id);
    assert_eq!(refused["outcome"], "failed", "{refused}");
    assert!(
        refused["error"].as_str().unwrap().starts_with("busy"),
        "{refused}"
    );
    assert_eq!(
        s.get(&id).1["status"],
        "busy",
        "a busy thread is never deleted"
    );

    let (doc, code, err) = s.sessionctl(KEY, None, &["end", &id]);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(
        (&result(&doc, &id)["outcome"], &result(&doc, &id)["status"]),
        (&json!("ended"), &json!(204))
    );
    s.wait_for(&id, |t| t["status"] != "busy");
    let (doc, code, err) = s.sessionctl(KEY, None, &["end", &id]);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(result(&doc, &id)["outcome"], "already_ended", "{doc:#}");

    let (doc, code, err) = s.sessionctl(KEY, None, &["delete", "--yes", &id]);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(
        (&result(&doc, &id)["outcome"], &result(&doc, &id)["status"]),
        (&json!("deleted"), &json!(204))
    );
    assert_eq!(s.get(&id).0, 404);
    let (doc, code, _) = s.sessionctl(KEY, None, &["delete", "--yes", &id]);
    assert_eq!(code, 1, "{doc:#}");
    let gone = result(&doc, &id);
    assert_eq!(
        (&gone["outcome"], &gone["status"]),
        (&json!("not_found"), &json!(404))
    );
    let (doc, code, _) = s.sessionctl(KEY, None, &["end", &id]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(result(&doc, &id)["outcome"], "not_found", "{doc:#}");
}

/// The server's own auth refuses a wrong key: exit 3, and nothing is deleted.
#[test]
fn a_wrong_key_is_refused() {
    let Some(s) = server("auth") else { return };
    let id = s.thread("auth", json!({}));
    let (_, code, err) = s.sessionctl("wrong", None, &["list"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("HTTP 401: Invalid API key"), "{err}");
    let (doc, code, _) = s.sessionctl("wrong", None, &["delete", "--yes", &id]);
    assert_eq!(code, 3, "{doc:#}");
    assert_eq!(result(&doc, &id)["status"], 401, "{doc:#}");
    assert_eq!(s.get(&id).0, 200);
}
