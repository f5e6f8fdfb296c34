//! What a misbehaving server cannot make a run do: list without end, hold more than a
//! bound in memory, or keep a run sending after a cap has decided it.

use crate::common;

use common::{Env, Fault, ZEP_ENV, run};

const TRILLION: u64 = 1_000_000_000_000;

/// A Zep v2 profile whose listing may hold `max_listed` sessions.
fn zep_listing_at_most(env: &Env, max_listed: u64) -> &'static str {
    env.add_profile(
        "bounded",
        &format!(
            "provider = \"zep\"\nbase_url = \"{}\"\napi_key_env = \"{ZEP_ENV}\"\nmax_listed = {max_listed}\n",
            env.emu.zep_v2_url()
        ),
    );
    "bounded"
}

fn pages_read(env: &Env) -> usize {
    let reqs = env.emu.requests();
    (reqs.iter())
        .filter(|r| r.method == "GET" && r.path.ends_with("/sessions-ordered"))
        .count()
}

#[test]
fn a_list_that_never_runs_dry_stops_at_max_listed() {
    let env = Env::new();
    let profile = zep_listing_at_most(&env, 450);
    env.emu
        .fault(Fault::endless_pages(TRILLION).path("sessions-ordered"));
    let (code, out, err) = run(env.cmd(profile).args(["list"]));
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("more than 450 sessions (the profile's `max_listed`)"),
        "{err}"
    );
    // Pages of 100: the fifth one passes the bound.
    assert_eq!(pages_read(&env), 5);
}

#[test]
fn rows_beyond_the_total_the_server_announced_are_an_error() {
    let env = Env::new();
    env.emu
        .fault(Fault::endless_pages(250).path("sessions-ordered"));
    let (code, out, err) = run(env.cmd("zep").args(["list"]));
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("the server announced 250 sessions but sent 300 different ones"),
        "{err}"
    );
    assert_eq!(pages_read(&env), 3);
}

/// `--max 50` over a list that never ends: the first page (100 sessions to act on) makes the
/// refusal certain, so the sweep reads no other, sends nothing and says it found at least 100.
#[test]
fn a_sweep_with_max_stops_listing_once_the_cap_is_certain() {
    let env = Env::new();
    for dry in [true, false] {
        env.emu.reset();
        env.emu
            .fault(Fault::endless_pages(TRILLION).path("sessions-ordered"));
        let mut cmd = env.cmd("zep");
        cmd.args(["end-many", "--older-than", "1h", "--max", "50"]);
        if dry {
            cmd.arg("--dry-run");
        }
        let (code, out, err) = run(&mut cmd);
        assert_eq!(code, 4, "dry run {dry}: {out}\n{err}");
        assert!(
            err.contains("would end at least 100 sessions") && err.contains("the cap is 50"),
            "{err}"
        );
        assert_eq!(pages_read(&env), 1, "dry run {dry}");
        assert_eq!(
            env.emu.requests().len(),
            1,
            "nothing but the listing was sent"
        );
    }
}

/// Runs `cmd` to its end (two minutes at most) and returns its exit code and peak RSS in
/// KiB, read from `VmHWM` while it runs (a new program's high-water mark starts afresh at
/// exec, unlike `ru_maxrss`, which a child forked from this big test process inherits).
fn peak_rss_kib(mut cmd: std::process::Command) -> (Option<i32>, u64) {
    use std::process::Stdio;
    let mut child = (cmd.stdout(Stdio::null()).stderr(Stdio::null()))
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        // Read before asking whether it exited, so the last sample is as late as can be.
        let hwm = std::fs::read_to_string(&status).ok().and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
        peak = peak.max(hwm.unwrap_or(0));
        if let Some(done) = child.try_wait().unwrap() {
            return (done.code(), peak);
        }
        assert!(std::time::Instant::now() < give_up, "still running");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// 64 requests in flight, each answered with a 1 GiB body: the 16 MiB per-reply cap alone
/// let them hold 64 × 16 MiB together. All replies in flight share one bound.
#[test]
fn huge_replies_to_many_requests_in_flight_share_one_memory_bound() {
    let env = Env::new();
    env.add_profile(
        "wide",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\nretries = 0\ntimeout = \"90s\"\n",
            env.emu.messaging_url()
        ),
    );
    let ids: Vec<String> = (0..64).map(|i| format!("h-{i:02}")).collect();
    env.emu
        .seed_many((ids.iter()).map(|id| common::Seed::messaging(id, "2026-01-01T00:00:00.000Z")));
    env.emu
        .fault(Fault::huge_body(200, 1 << 30).method("DELETE"));
    let mut cmd = env.std_cmd("wide");
    cmd.args(["-o", "json", "end-many", "--concurrency", "64"])
        .args(&ids);
    let (code, peak) = peak_rss_kib(cmd);
    assert_eq!(code, Some(1), "every reply is refused as too large");
    assert_eq!(
        env.emu.requests().len(),
        64,
        "one attempt each: too large is not retried"
    );
    // 64 × 64 KiB while waiting, one 16 MiB reply (its buffer up to twice that) being read,
    // and the program itself; without the shared bound: hundreds of MB.
    assert!(peak < 80 * 1024, "peak RSS {} MiB", peak / 1024);
}

/// elizaOS sends every session in one reply, and a list of 120,000 is about 20 MB: more
/// than any other reply may be. A list reply is decoded as it arrives, never refused for
/// its size.
#[test]
fn a_list_reply_larger_than_the_reply_cap_is_read_as_a_stream() {
    let env = Env::new();
    let count = 120_000;
    env.emu
        .fault(Fault::many_sessions(count).method("GET").path("/sessions"));
    let out = env
        .cmd("eliza")
        .args(["-o", "ids", "list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let ids: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(ids.len() as u64, count);
    assert_eq!((ids[0], ids[ids.len() - 1]), ("gen-0", "gen-119999"));
}

/// `list` passes rows on from the reply to the output as they are decoded: 200,000 elizaOS
/// sessions in one reply (about 1 KB each held, 200 MB, while rows waited to be printed)
/// stay within a few tens of MB in every streamed format.
#[test]
fn a_list_of_200_000_sessions_streams_to_the_output_in_bounded_memory() {
    let env = Env::new();
    env.emu.fault(
        Fault::many_sessions(200_000)
            .method("GET")
            .path("/sessions"),
    );
    for format in ["ndjson", "json", "ids"] {
        let mut cmd = env.std_cmd("eliza");
        cmd.args(["-o", format, "list"]);
        let (code, peak) = peak_rss_kib(cmd);
        assert_eq!(code, Some(0), "-o {format}");
        assert!(
            peak < 40 * 1024,
            "-o {format}: peak RSS {} MiB",
            peak / 1024
        );
    }
}

/// A list of empty pages, each naming a cursor never seen (Zep v4's `next_cursor`): the
/// cursor check alone would follow it forever. `list` and a sweep each stop after a few,
/// exit 1, and send nothing that changes state.
#[test]
fn empty_pages_that_each_name_another_are_an_error_not_a_hang() {
    let env = Env::new();
    let fault = || {
        Fault::numbered(r#"{"items":[],"next_cursor":"c{n}"}"#)
            .method("GET")
            .path("/v4/threads")
    };
    env.emu.fault(fault());
    for args in [&["list"][..], &["delete", "--idle-for", "1h", "--yes"]] {
        let before = env.emu.requests().len();
        let (code, out, err) = run(env
            .cmd("zep4")
            .args(args)
            .timeout(std::time::Duration::from_secs(120)));
        assert_eq!(code, 1, "{args:?}: {out}\n{err}");
        assert!(
            err.contains("empty pages in a row, each naming another page"),
            "{args:?}: {err}"
        );
        let sent = env.emu.requests().split_off(before);
        // The three empty pages in a row a list may send, then one too many.
        assert_eq!(
            sent.len(),
            4,
            "{args:?}: {:?}",
            common::request_lines(&sent)
        );
        assert!(sent.iter().all(|r| r.method == "GET"), "{args:?}");
    }
}
