//! What every integration test shares: the provider emulator, a config file with one profile
//! per backend pointing at it, and a way to run the real binary in isolation from the
//! user's own config and environment.

#![allow(dead_code, unused_imports)] // each test file uses a different part of this

#[path = "../emulator/mod.rs"]
pub mod emulator;

use std::path::PathBuf;

pub use emulator::messaging::TimeoutConfig;
pub use emulator::rooms::RoomApi;
pub use emulator::{Emulator, Fault, FaultKind, Options, Recorded, Seed};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Environment variables the test profiles read their keys from.
pub const ZEP_ENV: &str = "SESSIONCTL_TEST_ZEP_KEY";
pub const SAMBA_ENV: &str = "SESSIONCTL_TEST_SAMBA_KEY";
pub const DAILY_ENV: &str = "SESSIONCTL_TEST_DAILY_KEY";
pub const LIVEKIT_ENV: &str = "SESSIONCTL_TEST_LIVEKIT_KEY";
pub const TWILIO_ENV: &str = "SESSIONCTL_TEST_TWILIO_KEY";

/// Each key variable and the emulator's key it holds.
const KEYS: [(&str, &str); 5] = [
    (ZEP_ENV, emulator::zep::ZEP_KEY),
    (SAMBA_ENV, emulator::samba::SAMBA_KEY),
    (DAILY_ENV, emulator::daily::DAILY_KEY),
    (LIVEKIT_ENV, emulator::livekit::LIVEKIT_TOKEN),
    (TWILIO_ENV, emulator::twilio::TWILIO_TOKEN),
];

/// An emulator plus a config file for it.
pub struct Env {
    pub emu: Emulator,
    pub dir: TempDir,
    pub config: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        Env::with(Options::default())
    }

    /// Profiles: `zep` (v2), `zep3`, `zep4`, `samba` (Basic, team), `samba-bearer`,
    /// `eliza` (messaging). Back-off is capped at 100ms so retry tests stay quick; tests of
    /// long waits add their own profile with [`Env::add_profile`].
    ///
    /// The test fails if it arms a fault (or sets a rate limit) that no request uses: see
    /// [`Options::fail_unused`], [`Fault::optional`] and [`Emulator::allow_unused_faults`].
    pub fn with(opts: Options) -> Env {
        let emu = Emulator::start(Options {
            fail_unused: true,
            ..opts
        });
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        let common = "max_backoff = \"100ms\"\ntimeout = \"5s\"\n";
        let text = format!(
            "default_profile = \"zep\"\n\
             [profiles.zep]\nprovider = \"zep\"\nbase_url = \"{v2}\"\napi_key_env = \"{ZEP_ENV}\"\n{common}\
             [profiles.zep3]\nprovider = \"zep\"\napi_version = 3\nbase_url = \"{v2}\"\napi_key_env = \"{ZEP_ENV}\"\n{common}\
             [profiles.zep4]\nprovider = \"zep\"\napi_version = 4\nbase_url = \"{v4}\"\napi_key_env = \"{ZEP_ENV}\"\n{common}\
             [profiles.samba]\nprovider = \"digital-samba\"\nbase_url = \"{ds}\"\nteam_id = \"{team}\"\napi_key_env = \"{SAMBA_ENV}\"\n{common}\
             [profiles.samba-bearer]\nprovider = \"digital-samba\"\nbase_url = \"{ds}\"\napi_key_env = \"{SAMBA_ENV}\"\n{common}\
             [profiles.eliza]\nprovider = \"messaging\"\nbase_url = \"{msg}\"\n{common}",
            v2 = emu.zep_v2_url(),
            v4 = emu.zep_v4_url(),
            ds = emu.samba_url(),
            msg = emu.messaging_url(),
            team = emulator::samba::SAMBA_TEAM,
        );
        std::fs::write(&config, text).unwrap();
        Env { emu, dir, config }
    }

    /// Appends a profile (`body` is its TOML keys) to the config file.
    pub fn add_profile(&self, name: &str, body: &str) {
        let mut text = std::fs::read_to_string(&self.config).unwrap();
        text.push_str(&format!("[profiles.{name}]\n{body}\n"));
        std::fs::write(&self.config, text).unwrap();
    }

    /// [`Env::new`] plus profile `ds`: the shipped Digital Samba description
    /// ([`description_path`]`("digital-samba.toml")`) on the emulator's Digital Samba, as the
    /// declared provider, back-off capped like the other profiles.
    pub fn declared_samba() -> Env {
        let env = Env::new();
        env.add_declared_samba(
            "ds",
            &description_path("digital-samba.toml"),
            "",
            "max_backoff = \"100ms\"\n",
        );
        env
    }

    /// Appends profile `name` of the declared provider with the description `api` (a path,
    /// or a file name beside the config) at the emulator's Digital Samba URL followed by
    /// `base_path` (`""`, or a wrong base path), its key in [`SAMBA_ENV`]; `extra` is more of
    /// the profile's TOML keys.
    pub fn add_declared_samba(&self, name: &str, api: &str, base_path: &str, extra: &str) {
        self.add_profile(
            name,
            &format!(
                "provider = \"declared\"\napi = \"{api}\"\nbase_url = \"{}{base_path}\"\n\
                 api_key_env = \"{SAMBA_ENV}\"\n{extra}",
                self.emu.samba_url()
            ),
        );
    }

    /// Writes the shipped description `file` ([`shipped_description`]) beside the config as
    /// `name`, with `from` replaced by `to`; returns its path. Asserts that the description
    /// holds `from`, so that an edit which no longer matches fails instead of testing the
    /// shipped text unchanged.
    pub fn write_edited_description(
        &self,
        file: &str,
        name: &str,
        from: &str,
        to: &str,
    ) -> PathBuf {
        let text = shipped_description(file);
        assert!(text.contains(from), "{file}: {from}");
        let path = self.dir.path().join(name);
        std::fs::write(&path, text.replace(from, to)).unwrap();
        path
    }

    /// The real binary with this config and `profile`, the right keys in the environment,
    /// and nothing of the user's own setup. The profile is given as `SESSIONCTL_PROFILE`
    /// (a default, which `--all-profiles` overrides), not `-p`, which `--all-profiles`
    /// refuses; a test of `-p` itself adds it.
    pub fn cmd(&self, profile: &str) -> assert_cmd::Command {
        let mut cmd = bare_cmd(&self.dir);
        cmd.arg("-c")
            .arg(&self.config)
            .env("SESSIONCTL_PROFILE", profile);
        cmd.envs(KEYS);
        cmd
    }

    /// The binary as a plain `std::process::Command`, isolated and keyed like [`Env::cmd`],
    /// for what assert_cmd cannot do: a stdin pipe kept open, stdout to a file, signals.
    pub fn std_cmd(&self, profile: &str) -> std::process::Command {
        let mut cmd = detached(env!("CARGO_BIN_EXE_sessionctl"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .envs(KEYS)
            .arg("-c")
            .arg(&self.config)
            .env("SESSIONCTL_PROFILE", profile);
        cmd
    }

    /// Runs `args` on `profile` with `-o json`; returns the document and the exit code.
    pub fn json(&self, profile: &str, args: &[&str]) -> (Value, i32) {
        run_json(self.cmd(profile).args(["-o", "json"]).args(args))
    }

    /// [`Env::json`] with "now" fixed at `now` (RFC 3339), for exact idle cut-offs.
    pub fn json_at(&self, now: &str, profile: &str, args: &[&str]) -> (Value, i32) {
        run_json(
            self.cmd(profile)
                .env("SESSIONCTL_NOW", now)
                .args(["-o", "json"])
                .args(args),
        )
    }
}

/// The path of the shipped declared description `src/provider/declared/examples/<file>`.
pub fn description_path(file: &str) -> String {
    format!(
        "{}/src/provider/declared/examples/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The text of the shipped declared description `file` ([`description_path`]).
pub fn shipped_description(file: &str) -> String {
    std::fs::read_to_string(description_path(file)).unwrap()
}

/// `program` in a session of its own, with no controlling terminal: a test run from a
/// terminal must not have its delete prompts asked there (`/dev/tty`), where no one answers.
/// Tests of the terminal give it one of its own (`script`, tests/suite/tty.rs).
pub fn detached(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(program);
    // SAFETY: setsid(2) is async-signal-safe, and the closure touches nothing else.
    unsafe {
        cmd.pre_exec(|| match libc::setsid() {
            -1 => Err(std::io::Error::last_os_error()),
            _ => Ok(()),
        });
    }
    cmd
}

/// The binary with a private HOME and config dir, so no real config file is ever read, and
/// no terminal ([`detached`]).
pub fn bare_cmd(home: &TempDir) -> assert_cmd::Command {
    let bin = assert_cmd::cargo::cargo_bin("sessionctl");
    let mut cmd = assert_cmd::Command::from_std(detached(bin));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("xdg"))
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

/// What a shell's `$?` says of `status`: its exit code, or 128 + the signal that ended it.
/// Polls `done` (a condition on a file, a process, the emulator's request log) until it
/// holds, failing after `within`: what a test waits for instead of sleeping a fixed time.
pub fn wait_until(what: &str, within: std::time::Duration, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + within;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

pub fn shell_code(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

/// Asserts that sessionctl, stopped by `signal`, died of it again after its report (so that a
/// shell loop around it stops too): `$?` 130 for SIGINT, 143 for SIGTERM.
pub fn assert_died_of(status: &std::process::ExitStatus, signal: i32, context: &str) {
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(signal),
        "expected death by signal {signal}, got {status:?}: {context}"
    );
}

/// Runs a command; returns its exit code, stdout and stderr.
pub fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        shell_code(&out.status),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a command that prints one JSON document; returns it and the exit code.
pub fn run_json(cmd: &mut assert_cmd::Command) -> (Value, i32) {
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}); exit {code}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (doc, code)
}

/// `id → outcome` of a result document.
pub fn outcomes(doc: &Value) -> std::collections::BTreeMap<String, String> {
    doc["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The IDs of a `list` document, as a set (compare it with [`set`]).
pub fn listed(doc: &Value) -> std::collections::BTreeSet<String> {
    doc["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("no sessions in {doc:#}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `ids` as a set of owned IDs, to compare with [`listed`].
pub fn set(ids: &[&str]) -> std::collections::BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The result object of `id` in a result document.
pub fn result_of<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["results"]
        .as_array()
        .expect("results array")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id} in {doc:#}"))
}

/// `id → outcome`, checking that no ID is reported twice.
pub fn outcomes_once(doc: &Value) -> std::collections::BTreeMap<String, String> {
    let map = outcomes(doc);
    assert_eq!(
        map.len(),
        doc["results"].as_array().expect("results array").len(),
        "an ID was reported twice: {doc:#}"
    );
    map
}

/// Asserts that `doc` reports `n` results, no ID twice, every one of them `outcome`.
pub fn assert_all(doc: &Value, n: usize, outcome: &str) {
    let map = outcomes_once(doc);
    assert_eq!(map.len(), n, "{doc:#}");
    assert!(map.values().all(|o| o == outcome), "{doc:#}");
}

/// Asserts that `doc` reports exactly `ids`, no ID twice, every one of them `outcome`.
pub fn assert_exactly(doc: &Value, ids: &[&str], outcome: &str) {
    let map = outcomes_once(doc);
    assert_eq!(
        map.keys()
            .map(String::as_str)
            .collect::<std::collections::BTreeSet<_>>(),
        ids.iter().copied().collect(),
        "{doc:#}"
    );
    assert!(map.values().all(|o| o == outcome), "{doc:#}");
}

/// `(outcome, status, error, attempts)` of the result of `id`, for compact assertions against
/// [`expected`].
pub fn brief(doc: &Value, id: &str) -> (String, Value, Value, Value) {
    let r = result_of(doc, id);
    (
        r["outcome"].as_str().unwrap().to_owned(),
        r["status"].clone(),
        r["error"].clone(),
        r["attempts"].clone(),
    )
}

/// What [`brief`] gives for a result with these values.
pub fn expected(
    outcome: &str,
    status: Value,
    error: Value,
    attempts: u32,
) -> (String, Value, Value, Value) {
    (outcome.to_owned(), status, error, json!(attempts))
}

/// `METHOD path` of every request, in arrival order.
pub fn request_lines(reqs: &[Recorded]) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// How many of `reqs` are `method` on exactly `path`.
pub fn count_requests(reqs: &[Recorded], method: &str, path: &str) -> usize {
    reqs.iter()
        .filter(|r| r.method == method && r.path == path)
        .count()
}

/// Says that the tests needing `what` (a real server) pass without running, and why, where a
/// person running plain `cargo test` sees it: cargo hides a passing test's output, so one
/// line per `what` goes straight to the terminal (`/dev/tty`), else to stderr; each test's
/// own line goes to stderr (`--nocapture` shows it).
pub fn say_skipped(what: &str, test: &str, problem: &str) {
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    eprintln!("SKIPPED: {test}: {problem}");
    let mut said = SAID.lock().unwrap_or_else(|p| p.into_inner());
    if said.iter().any(|w| w == what) {
        return;
    }
    said.push(what.to_owned());
    let line = format!("SKIPPED: the {what} tests pass without running ({problem})\n");
    let tty = std::fs::OpenOptions::new().write(true).open("/dev/tty");
    if tty
        .and_then(|mut t| std::io::Write::write_all(&mut t, line.as_bytes()))
        .is_err()
    {
        eprint!("{line}");
    }
}

/// One raw HTTP/1.1 request to the emulator, `headers` as `Name: value` lines (a POST sends
/// `{}`), for the tests of what a reply looks like on the wire: its status, its head (the
/// status line and headers, lowercased) and its body.
pub fn raw_http(
    emu: &Emulator,
    method: &str,
    path: &str,
    headers: &[&str],
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(emu.addr()).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        emu.addr()
    );
    for h in headers {
        request.push_str(&format!("{h}\r\n"));
    }
    let body = if method == "POST" { "{}" } else { "" };
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply[9..12].parse().unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    (status, head.to_ascii_lowercase(), body.to_owned())
}
