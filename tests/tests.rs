//! The integration tests: the real `sessionctl` binary against the provider emulator
//! (`tests/emulator/`, compiled once, here) on 127.0.0.1, and against a real elizaOS server
//! when one is installed.
//!
//! This is the ONE integration test binary (`autotests = false` in Cargo.toml), so the
//! emulator and the helpers are compiled and linked once. Run a topic with
//! `cargo test --test tests cli_core::` or a single test by a part of its name.
//!
//! WHERE NEW TESTS GO: into the topic module below that they belong to, as
//! `tests/suite/<topic>.rs`; a new topic is a new file there and one `mod` line below, with a
//! comment saying what goes in it. Never a new file directly under `tests/`: Cargo does not
//! build it (`autotests = false`), and `every_test_file_is_part_of_this_binary` fails. (A file
//! from the old layout, `tests/<name>.rs`: `git mv` it into `tests/suite/`, add its `mod` line,
//! and make its `mod common;` a `use crate::common;`.) Something every provider must do goes
//! in `conformance`, not in a copy per provider. Shared helpers go in `common`.

// The emulator, the `Env` (an emulator plus a config file with a profile per provider) and
// helpers to run the binary and read its JSON.
mod common;

mod suite {
    // What a misbehaving server cannot make a run do: list without end (`max_listed`, the
    // announced total, a cap reached while listing), or hold unbounded replies in memory.
    mod bounds;
    // Outcomes only one provider has, exit codes, usage errors, Zep's bulk end, each
    // provider's auth headers.
    mod cli_core;
    // What every provider must do, checked over each of them: end, end-many, delete, dry
    // runs, error replies, retries, list, `--idle-for`. A new provider gets an entry here.
    mod conformance;
    // The config file: finding it, choosing a profile, reading keys, `config show|check|path`,
    // and every config mistake (one line, exit 2, nothing sent).
    mod config;
    // Cron-grade runs: journal and resume, the run lock, records, the metrics file, signals
    // on a pipe, the environment variables.
    mod cron;
    // Declared providers (`provider = "declared"`): descriptions checked at load.
    mod declared;
    // A real elizaOS server (skipped without an install, except under CI=true).
    mod elizaos;
    // Retries, broken replies, timeouts, concurrency and `--rate`, interruption, streaming.
    mod faults;
    // elizaOS messaging on the emulator: expiry as 1.7.2 does it, dry runs without side
    // effects, `delete` removing the session's channel, channels left behind.
    mod messaging;
    // Completions and the man page are fresh (`UPDATE_GENERATED=1` rewrites them).
    mod generated;
    // The test harness itself (`tests/common`, the emulator's checks on the tests).
    mod harness;
    // The source's shape: no import circle among the modules of src/.
    mod layout;
    // What only LangGraph does, against the emulator, and against a real Agent Server
    // (skipped without an install, except under CI=true).
    mod langgraph;
    // Where IDs come from (arguments, `--file`, stdin), what a valid ID is, and how IDs are
    // sent (one path segment each).
    mod ids;
    // A misconfiguration fails loudly: a wrong base path, a server that is not the provider,
    // refused credentials, flags that cannot mean what they say.
    mod misconfig;
    // What a newcomer meets first: the README's quick start, install lines and emulator
    // examples as written, the terminal (notices, width), config init, completion of
    // profile names.
    mod newcomer;
    // The result documents (JSON, NDJSON, table), escaping what servers send, unwritable
    // output.
    mod output;
    // A provider's rate limit: header styles, 429s, deadlines.
    mod ratelimit;
    // Protected sessions (`protect`): refused or left alone on every path that acts.
    mod protect;
    // The README's unattended recipes as written: the crontab line under `env -i`, the
    // systemd unit (`systemd-analyze verify`) and the Kubernetes CronJob with its image.
    mod recipes;
    // Redirects: auth never leaves the host, chains are capped.
    mod redirects;
    // Retention: `delete --ended-for` / `list --ended-for` by each provider's own end time.
    mod retention;
    // What a run may act on and what it may claim: idleness, caps, profile routing, server
    // dry runs, honest outcomes.
    mod safety;
    // `--where` selectors on every provider: server-side and client-side, never widening.
    mod selectors;
    // Signals at any moment (api_key_cmd, the first milliseconds, every command): a report,
    // nothing sent after it, no child left, death by the same signal.
    mod signals;
    // `list` and the stale sweeps (`--idle-for`, `--older-than`), at a fixed "now".
    mod stale;
    // Zep threads (v3, v4) and Digital Samba's delete.
    mod threads;
    // Terminal behaviour under script(1): colour, width, the progress bar, prompts.
    mod tty;
}

/// With `autotests = false` Cargo builds no other file under `tests/`, so a test file added
/// there (say, on a branch from before this layout) would never run, silently; and a file in
/// `tests/suite/` without its `mod` line would not even be compiled.
#[test]
fn every_test_file_is_part_of_this_binary() {
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = std::fs::read_to_string(tests.join("tests.rs")).unwrap();
    let rust_files = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".rs"))
            .collect();
        names.sort();
        names
    };
    let stray: Vec<String> = rust_files(&tests)
        .into_iter()
        .filter(|name| name != "tests.rs")
        .collect();
    assert!(
        stray.is_empty(),
        "{stray:?} would never run: move each to tests/suite/ and add its `mod` line to \
         tests/tests.rs"
    );
    for name in rust_files(&tests.join("suite")) {
        let module = name.trim_end_matches(".rs");
        assert!(
            this.contains(&format!("    mod {module};\n")),
            "tests/suite/{name} is not compiled: add `mod {module};` to `mod suite` in \
             tests/tests.rs"
        );
    }
}
