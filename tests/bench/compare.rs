//! Benchmark: `sessionctl end-many` against `xargs -P N curl -X DELETE`, on the same IDs and
//! the same loopback server with a fixed per-reply latency, in one run; then the same
//! contenders against a rate-limited server.
//!
//! `cargo bench --bench compare -- [--ids 10000] [--latency-ms 20] [--concurrency 32]
//! [--rss-ids 1000000] [--startup-runs 200] [--rl-ids 3000] [--random-ids 2000]
//! [--skip-rl | --only-rl]`
//!
//! Then `sessionctl list -o ndjson` of `--rss-ids` elizaOS sessions, all in one reply, for
//! its peak RSS.
//!
//! Prints wall time, CPU time (user+sys) and peak RSS of each contender, measured with
//! `wait4(2)` (which covers a process and every child it waited for, so all of xargs' curls),
//! and the ratios the targets are stated in. Machines are noisy: compare ratios, not times.
//!
//! Then two rate-limit scenarios (`--skip-rl` leaves them out, `--only-rl` runs nothing else),
//! on a zero-latency server at the same concurrency, every contender on fresh IDs and a fresh
//! limiter, counted by the emulator itself (requests it saw, 429s its limiter sent, sessions
//! left):
//! 1. A token bucket of 200 requests/s, burst 20, with no limit headers (only `Retry-After`
//!    on a 429), `--rl-ids` IDs and default retries: `sessionctl` without `--rate` (it must
//!    learn the limit from 429s), `sessionctl --rate 200/s` (the oracle: told the true limit)
//!    and `xargs + curl` (no retries). For each: the share of the limit reached (sessions
//!    ended beyond the burst per second ÷ 200/s; for a run that ends every session, the ideal
//!    wall (N - burst) / rate ÷ the actual wall), the share of requests answered 429, and
//!    the sessions ended and failed (still there).
//! 2. A fixed window of 100 requests per 8 s with draft-6 `RateLimit-*` headers, 250 IDs,
//!    `retries = 1`, `max_backoff = "1s"`: `sessionctl` without `--rate` and `xargs + curl`;
//!    the share of 429s, ended/failed, and how many windows the run took (from when sessions
//!    were ended, sampled every millisecond) against the minimum, ceil(250 / 100) = 3.
//! 3. No limit, but one reply in ten a random 429 (`Retry-After: 1`), `--random-ids` IDs at
//!    `--latency-ms`: `sessionctl` wall time and requests against the same run without the
//!    429s, as ratios. Random refusals are no rate limit: the ratio should stay near the
//!    floor that the waits themselves set (each 429 holds its request a second), not grow
//!    with N as a rate cut after every 429 made it.

#[path = "../emulator/mod.rs"]
mod emulator;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use emulator::{Emulator, Fault, HeaderStyle, Options, RateLimit, Seed};

const BIN: &str = env!("CARGO_BIN_EXE_sessionctl");

struct Usage {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
    ok: bool,
}

/// Runs `argv` to completion and reads its resource usage (and its children's) from wait4.
///
/// Linux carries a process's peak RSS across `execve`, and a child spawned from this
/// process would start with ours (the emulator's whole state). So commands are spawned by a
/// small copy of this binary started before the emulator: see [`Runner`].
#[allow(clippy::zombie_processes)] // reaped by wait4 itself
fn measure_here(argv: &[String]) -> Usage {
    let start = Instant::now();
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain FFI call on a child we own; `usage` is a valid, zeroed rusage.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4 failed");
    let wall = start.elapsed();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Usage {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss,
        ok: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    }
}

/// This binary again, in `--runner` mode: reads one JSON argv per line, runs it with
/// [`measure_here`], answers `wall_ns cpu_ns max_rss_kib ok`.
struct Runner {
    child: std::process::Child,
    reply: std::io::BufReader<std::process::ChildStdout>,
}

impl Runner {
    fn start() -> Runner {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg("--runner")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let reply = std::io::BufReader::new(child.stdout.take().unwrap());
        Runner { child, reply }
    }

    fn measure(&mut self, argv: &[String]) -> Usage {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{}", serde_json::to_string(argv).unwrap()).unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut self.reply, &mut line).unwrap();
        let f: Vec<u64> = line
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        Usage {
            wall: Duration::from_nanos(f[0]),
            cpu: Duration::from_nanos(f[1]),
            max_rss_kib: f[2] as i64,
            ok: f[3] == 1,
        }
    }
}

fn serve_runner() {
    for line in std::io::stdin().lines() {
        let argv: Vec<String> = serde_json::from_str(&line.unwrap()).unwrap();
        let u = measure_here(&argv);
        println!(
            "{} {} {} {}",
            u.wall.as_nanos(),
            u.cpu.as_nanos(),
            u.max_rss_kib,
            u.ok as u8
        );
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed(emu: &Emulator, prefix: &str, n: u64) -> Vec<String> {
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}-{i}")).collect();
    emu.seed_many(
        ids.iter()
            .map(|id| Seed::messaging(id, "2026-01-01T00:00:00.000Z")),
    );
    ids
}

fn write_ids(dir: &Path, name: &str, ids: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for id in ids {
        writeln!(f, "{id}").unwrap();
    }
    path
}

/// A one-profile config pointing at `emu`'s messaging API; retries off so that both
/// contenders send exactly one request per ID.
fn write_config(path: &Path, emu: &Emulator) {
    let text = format!(
        "default_profile = \"bench\"\n[profiles.bench]\nprovider = \"messaging\"\nbase_url = \"{}\"\nretries = 0\n",
        emu.messaging_url()
    );
    std::fs::write(path, text).unwrap();
}

/// `sessionctl end-many` on the IDs in `ids`, with `extra` options (e.g. `--rate 200/s`).
fn sessionctl(config: &Path, ids: &Path, concurrency: u64, extra: &[&str]) -> Vec<String> {
    sessionctl_as("ndjson", config, ids, concurrency, extra)
}

/// [`sessionctl`] with output `format`.
fn sessionctl_as(
    format: &str,
    config: &Path,
    ids: &Path,
    concurrency: u64,
    extra: &[&str],
) -> Vec<String> {
    let mut argv: Vec<String> = [BIN, "-q", "-o", format, "-c"].map(String::from).to_vec();
    argv.push(config.display().to_string());
    argv.extend(
        [
            "end-many",
            "--concurrency",
            &concurrency.to_string(),
            "--file",
        ]
        .map(String::from),
    );
    argv.push(ids.display().to_string());
    argv.extend(extra.iter().map(|a| a.to_string()));
    argv
}

/// `xargs -P N curl -X DELETE` on the IDs in `ids`, one curl per ID, no retries.
fn xargs_curl(emu: &Emulator, ids: &Path, concurrency: u64) -> Vec<String> {
    let url = format!("{}/api/messaging/sessions", emu.messaging_url());
    let script = format!(
        "xargs -P {concurrency} -I{{}} curl -s -o /dev/null -X DELETE {url}/{{}} < {}",
        ids.display()
    );
    vec!["sh".into(), "-c".into(), script]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes harness=false benches
    }
    if std::env::args().any(|a| a == "--runner") {
        return serve_runner();
    }
    let only_rl = std::env::args().any(|a| a == "--only-rl");
    let skip_rl = std::env::args().any(|a| a == "--skip-rl");
    if only_rl && skip_rl {
        eprintln!("compare: --only-rl and --skip-rl leave nothing to run");
        std::process::exit(2);
    }
    let mut runner = Runner::start();
    let dir = tempfile::tempdir().unwrap();
    let conc = arg("--concurrency", 32);
    if !only_rl {
        figures(&mut runner, dir.path(), conc);
    }
    if !skip_rl {
        if !only_rl {
            println!();
        }
        rate_limits(&mut runner, dir.path(), conc);
        println!();
        random_429s(&mut runner, dir.path(), conc);
    }
}

/// Scenario 3 (see the module docs): the same IDs' worth of work with and without one reply
/// in ten a random 429.
fn random_429s(runner: &mut Runner, dir: &Path, conc: u64) {
    let n = arg("--random-ids", 2000);
    let latency = Duration::from_millis(arg("--latency-ms", 20));
    let share = 0.1;
    let emu = Emulator::start(Options {
        latency,
        ..Options::default()
    });
    let config = dir.join("random.toml");
    write_rl_config(&config, &emu, "");
    let mut run = |prefix: &str, noisy: bool| {
        emu.reset();
        if noisy {
            emu.fault(Fault::status(429).retry_after("1").probability(share));
        }
        let ids = seed(&emu, prefix, n);
        let file = write_ids(dir, &format!("{prefix}.txt"), &ids);
        let usage = runner.measure(&sessionctl(&config, &file, conc, &[]));
        let failed = ids.iter().filter(|id| emu.messaging_exists(id)).count();
        (usage, emu.requests().len(), failed)
    };
    let (clean, clean_requests, clean_failed) = run("q-c", false);
    let (noisy, noisy_requests, noisy_failed) = run("q-n", true);
    // The waits alone: each 429 keeps one of `conc` slots a second.
    let floor = clean.wall + Duration::from_secs_f64(n as f64 * share / conc as f64);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "Random 429s: {:.0}% of replies 429 (Retry-After: 1) at random, no rate limit; {n} IDs, concurrency {conc}, latency {latency:?}",
        share * 100.0
    );
    println!(
        "{:<26}{:>9}{:>10}{:>8}",
        "", "wall ms", "requests", "failed"
    );
    for (name, u, requests, failed) in [
        ("sessionctl, no 429s", &clean, clean_requests, clean_failed),
        ("sessionctl, 10% 429s", &noisy, noisy_requests, noisy_failed),
    ] {
        println!("{name:<26}{:>9.0}{:>10}{:>8}", ms(u.wall), requests, failed);
    }
    println!(
        "wall, random 429s / none: {:.2}x (the waits alone: {:.2}x); requests: {:.2}x",
        noisy.wall.as_secs_f64() / clean.wall.as_secs_f64(),
        floor.as_secs_f64() / clean.wall.as_secs_f64(),
        noisy_requests as f64 / clean_requests as f64
    );
    if !(clean.ok && noisy.ok) {
        eprintln!("warning: a sessionctl run exited non-zero");
    }
}

/// The figures without a rate limit: throughput at a fixed latency, peak RSS, start-up.
fn figures(runner: &mut Runner, dir: &Path, conc: u64) {
    let n = arg("--ids", 10_000);
    let latency = Duration::from_millis(arg("--latency-ms", 20));
    let rss_n = arg("--rss-ids", 1_000_000);
    let startup_runs = arg("--startup-runs", 200);

    let emu = Emulator::start(Options {
        latency,
        ..Options::default()
    });
    let config = dir.join("config.toml");
    write_config(&config, &emu);

    // sessionctl
    let ids = seed(&emu, "s", n);
    let file = write_ids(dir, "s.txt", &ids);
    let ours = runner.measure(&sessionctl(&config, &file, conc, &[]));
    let ended_ours = ids.iter().filter(|id| !emu.messaging_exists(id)).count();

    // xargs + curl, same server, same N
    let ids = seed(&emu, "x", n);
    let file = write_ids(dir, "x.txt", &ids);
    let theirs = runner.measure(&xargs_curl(&emu, &file, conc));
    let ended_theirs = ids.iter().filter(|id| !emu.messaging_exists(id)).count();

    // Peak RSS with many IDs in each output format, on a zero-latency server.
    drop(emu);
    let fast = Emulator::start(Options::default());
    write_config(&config, &fast);
    let mut big = Vec::new();
    for format in ["ndjson", "json", "table"] {
        let ids = seed(&fast, &format!("r{format}"), rss_n);
        let file = write_ids(dir, "r.txt", &ids);
        let usage = runner.measure(&sessionctl_as(format, &config, &file, conc, &[]));
        let ended = rss_n as usize - ids.iter().filter(|id| fast.messaging_exists(id)).count();
        big.push((format, usage, ended));
        fast.reset(); // the emulator's own memory is not ours to measure, but keep it small
    }

    // `list` of a whole elizaOS server in one reply, the rows made up as they are sent.
    fast.fault(Fault::many_sessions(rss_n).method("GET").path("/sessions"));
    let argv: Vec<String> = [BIN, "-q", "-o", "ndjson", "-c"]
        .map(String::from)
        .into_iter()
        .chain([config.display().to_string(), "list".into()])
        .collect();
    let listed = runner.measure(&argv);

    // Start-up: `sessionctl --version`, median of many runs.
    let mut starts: Vec<Duration> = (0..startup_runs)
        .map(|_| runner.measure(&[BIN.into(), "--version".into()]).wall)
        .collect();
    starts.sort();
    let startup = starts[starts.len() / 2];

    let ideal = latency.mul_f64(n as f64 / conc as f64);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{n} IDs, latency {latency:?}, concurrency {conc}; ideal wall {:.0} ms",
        ms(ideal)
    );
    println!(
        "{:<22}{:>12}{:>12}{:>14}{:>10}",
        "", "wall ms", "cpu ms", "peak RSS MiB", "ended"
    );
    for (name, u, ended) in [
        ("sessionctl end-many", &ours, ended_ours),
        ("xargs -P + curl", &theirs, ended_theirs),
    ] {
        println!(
            "{name:<22}{:>12.0}{:>12.0}{:>14.1}{:>10}",
            ms(u.wall),
            ms(u.cpu),
            u.max_rss_kib as f64 / 1024.0,
            ended
        );
    }
    for (format, u, ended) in &big {
        println!(
            "{:<22}{:>12.0}{:>12.0}{:>14.1}{:>10}",
            format!("{rss_n} IDs -o {format}"),
            ms(u.wall),
            ms(u.cpu),
            u.max_rss_kib as f64 / 1024.0,
            ended
        );
    }
    println!();
    println!(
        "wall efficiency (ideal / sessionctl wall):   {:.1}%  (target >= 85%)",
        100.0 * ideal.as_secs_f64() / ours.wall.as_secs_f64()
    );
    println!(
        "CPU per session, xargs+curl / sessionctl:    {:.1}x  (target >= 40x)",
        theirs.cpu.as_secs_f64() / ours.cpu.as_secs_f64()
    );
    println!(
        "wall, xargs+curl / sessionctl:               {:.2}x",
        theirs.wall.as_secs_f64() / ours.wall.as_secs_f64()
    );
    for (format, u, _) in &big {
        println!(
            "peak RSS, {rss_n} IDs, -o {format:<7}          {:.1} MiB  (target <= 40 MB)",
            u.max_rss_kib as f64 / 1024.0
        );
    }
    println!(
        "peak RSS, `list -o ndjson` of {rss_n} sessions: {:.1} MiB in {:.0} ms  (target <= 64 MB)",
        listed.max_rss_kib as f64 / 1024.0,
        ms(listed.wall)
    );
    println!(
        "`sessionctl --version` median start-up:      {:.2} ms  (target <= 3 ms, {startup_runs} runs)",
        ms(startup)
    );
    if !(ours.ok && listed.ok && big.iter().all(|(_, u, _)| u.ok)) {
        eprintln!("warning: a sessionctl run exited non-zero");
    }
}

/// A one-profile config pointing at `emu`'s messaging API for the rate-limit runs: default
/// retries (a 429 spends none, so no session should fail), plus the profile keys in `extra`.
fn write_rl_config(path: &Path, emu: &Emulator, extra: &str) {
    let text = format!(
        "default_profile = \"bench\"\n[profiles.bench]\nprovider = \"messaging\"\nbase_url = \"{}\"\n{extra}",
        emu.messaging_url()
    );
    std::fs::write(path, text).unwrap();
}

/// What one contender did against the rate-limited emulator, as the emulator counted it.
struct RlRun {
    name: String,
    usage: Usage,
    /// Provider requests the emulator received, and how many its limiter answered 429.
    requests: usize,
    limited: usize,
    /// Sessions gone after the run, and still there.
    ended: usize,
    failed: usize,
    /// When the emulator's session count fell, sampled every [`SAMPLE_EVERY`] (only when
    /// asked for: it tells the windows a run took).
    ends: Vec<Instant>,
}

impl RlRun {
    fn share_429(&self) -> f64 {
        100.0 * self.limited as f64 / self.requests.max(1) as f64
    }
}

const SAMPLE_EVERY: Duration = Duration::from_millis(1);

/// Runs one contender on `n` fresh IDs (named `prefix-i`) and a fresh `limit`. `refill` is
/// how long the limit takes to be whole again; `argv` builds the command for the ID file.
#[allow(clippy::too_many_arguments)]
fn rl_run(
    runner: &mut Runner,
    emu: &Emulator,
    dir: &Path,
    name: &str,
    prefix: &str,
    n: u64,
    limit: RateLimit,
    refill: Duration,
    sample: bool,
    argv: impl FnOnce(&Path) -> Vec<String>,
) -> RlRun {
    // Nothing of the previous contender is in flight (it has exited, and xargs waits for its
    // curls). Let the limit refill, then start it over anyway: a full bucket, no window yet
    // (for a fixed window that is what waiting one out would give, without the wait).
    std::thread::sleep(refill.max(Duration::from_millis(200)));
    emu.reset(); // records, request log and 429 count
    emu.set_rate_limit(Some(limit));
    let ids = seed(emu, prefix, n);
    let file = write_ids(dir, &format!("{prefix}.txt"), &ids);
    let argv = argv(&file);
    let stop = AtomicBool::new(false);
    let (usage, ends) = std::thread::scope(|scope| {
        let sampler = sample.then(|| scope.spawn(|| sample_ends(emu, &stop)));
        let usage = runner.measure(&argv);
        stop.store(true, Ordering::Relaxed);
        let ends = sampler.map(|s| s.join().unwrap()).unwrap_or_default();
        (usage, ends)
    });
    let failed = ids.iter().filter(|id| emu.messaging_exists(id)).count();
    RlRun {
        name: name.to_owned(),
        usage,
        requests: emu.requests().len(),
        limited: emu.rate_limited_count(),
        ended: ids.len() - failed,
        failed,
        ends,
    }
}

/// The instants at which the emulator's session count was seen to fall, until `stop`.
fn sample_ends(emu: &Emulator, stop: &AtomicBool) -> Vec<Instant> {
    let mut last = emu.messaging_count();
    let mut ends = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(SAMPLE_EVERY);
        let count = emu.messaging_count();
        if count < last {
            ends.push(Instant::now());
            last = count;
        }
    }
    ends
}

/// When each fixed window of `window` the ends fell in was opened, found as the limiter
/// opens them: a window starts with the first request after the previous one is over. The
/// first request of a window is always admitted, so it ends a session: the ends show every
/// window (to within the sampling step).
fn window_starts(ends: &[Instant], window: Duration) -> Vec<Instant> {
    let mut starts: Vec<Instant> = Vec::new();
    for &t in ends {
        if starts.last().is_none_or(|&start| t >= start + window) {
            starts.push(t);
        }
    }
    starts
}

/// The two rate-limit scenarios (see the module docs), on one zero-latency emulator.
fn rate_limits(runner: &mut Runner, dir: &Path, conc: u64) {
    let emu = Emulator::start(Options::default());
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;

    // 1: token bucket, no limit headers.
    let n = arg("--rl-ids", 3000);
    let (rate, burst) = (200.0, 20);
    let bucket = RateLimit::token_bucket(rate, burst).headers(HeaderStyle::None);
    let refill = Duration::from_secs_f64(f64::from(burst) / rate);
    let config = dir.join("rl-bucket.toml");
    write_rl_config(&config, &emu, "");
    let curl_name = format!("xargs -P{conc} + curl");
    let runs = [
        rl_run(
            runner,
            &emu,
            dir,
            "sessionctl (no --rate)",
            "b-s",
            n,
            bucket,
            refill,
            false,
            |f| sessionctl(&config, f, conc, &[]),
        ),
        rl_run(
            runner,
            &emu,
            dir,
            "sessionctl --rate 200/s",
            "b-r",
            n,
            bucket,
            refill,
            false,
            |f| sessionctl(&config, f, conc, &["--rate", "200/s"]),
        ),
        rl_run(
            runner,
            &emu,
            dir,
            &curl_name,
            "b-x",
            n,
            bucket,
            refill,
            false,
            |f| xargs_curl(&emu, f, conc),
        ),
    ];
    // Sessions ended beyond the burst, per second, against the rate: for a run that ends
    // every session, the ideal wall (N - burst) / rate over the actual wall.
    let share_of_limit = |r: &RlRun| {
        100.0 * r.ended.saturating_sub(burst as usize) as f64 / (rate * r.usage.wall.as_secs_f64())
    };
    let ideal = Duration::from_secs_f64(n.saturating_sub(u64::from(burst)) as f64 / rate);
    println!(
        "Rate limit 1: token bucket {rate}/s, burst {burst}, no limit headers (a 429 says \
         Retry-After: 1); {n} IDs, concurrency {conc}, no latency, default retries"
    );
    println!(
        "ideal wall ({n} - {burst}) / {rate}/s = {:.0} ms; % of limit = (ended - {burst}) / \
         ({rate}/s x wall)",
        ms(ideal)
    );
    println!(
        "{:<26}{:>9}{:>10}{:>8}{:>8}{:>12}{:>8}{:>8}",
        "", "wall ms", "requests", "429s", "% 429", "% of limit", "ended", "failed"
    );
    for r in &runs {
        println!(
            "{:<26}{:>9.0}{:>10}{:>8}{:>7.1}%{:>11.1}%{:>8}{:>8}",
            r.name,
            ms(r.usage.wall),
            r.requests,
            r.limited,
            r.share_429(),
            share_of_limit(r),
            r.ended,
            r.failed
        );
    }
    let ours = &runs[0];
    println!(
        "sessionctl without --rate: {:.1}% of the limit (target >= 90%), {:.1}% 429 \
         (target <= 2%), {} failed (target 0)",
        share_of_limit(ours),
        ours.share_429(),
        ours.failed
    );
    println!(
        "sessionctl --rate 200/s (the oracle): {:.1}% of the limit, {:.1}% 429",
        share_of_limit(&runs[1]),
        runs[1].share_429()
    );
    warn_exits(&runs);

    // 2: fixed window with draft-6 headers.
    let n: u64 = 250;
    let (limit, window) = (100, Duration::from_secs(8));
    let fixed = RateLimit::fixed_window(limit, window).headers(HeaderStyle::Draft6);
    let min_windows = n.div_ceil(u64::from(limit));
    let config = dir.join("rl-window.toml");
    write_rl_config(&config, &emu, "retries = 1\nmax_backoff = \"1s\"\n");
    let runs = [
        rl_run(
            runner,
            &emu,
            dir,
            "sessionctl (no --rate)",
            "w-s",
            n,
            fixed,
            Duration::ZERO,
            true,
            |f| sessionctl(&config, f, conc, &[]),
        ),
        rl_run(
            runner,
            &emu,
            dir,
            &curl_name,
            "w-x",
            n,
            fixed,
            Duration::ZERO,
            true,
            |f| xargs_curl(&emu, f, conc),
        ),
    ];
    println!();
    println!(
        "Rate limit 2: fixed window {limit} per {window:?}, draft-6 RateLimit-* headers; {n} IDs, \
         concurrency {conc}, no latency, retries 1, max_backoff 1s"
    );
    println!(
        "minimum: {min_windows} windows ({:.0} ms of wall); windows counted from when sessions \
         ended, sampled every {SAMPLE_EVERY:?}",
        ms(window * (min_windows as u32 - 1))
    );
    println!(
        "{:<26}{:>9}{:>10}{:>8}{:>8}{:>12}{:>8}{:>8}",
        "", "wall ms", "requests", "429s", "% 429", "windows", "ended", "failed"
    );
    for r in &runs {
        println!(
            "{:<26}{:>9.0}{:>10}{:>8}{:>7.1}%{:>12}{:>8}{:>8}",
            r.name,
            ms(r.usage.wall),
            r.requests,
            r.limited,
            r.share_429(),
            format!(
                "{} (min {min_windows})",
                window_starts(&r.ends, window).len()
            ),
            r.ended,
            r.failed
        );
    }
    for r in &runs {
        let starts = window_starts(&r.ends, window);
        let (Some(&first), Some(&last)) = (starts.first(), r.ends.last()) else {
            continue;
        };
        let at = |t: Instant| format!("{:.2} s", (t - first).as_secs_f64());
        let opened: Vec<String> = starts.iter().map(|&t| at(t)).collect();
        println!(
            "{}: windows opened at {}; last session ended at {}",
            r.name,
            opened.join(", "),
            at(last)
        );
    }
    warn_exits(&runs);
}

/// sessionctl exits non-zero when a session failed; xargs when a curl could not connect
/// (a 429 is a success to curl without `-f`).
fn warn_exits(runs: &[RlRun]) {
    for r in runs.iter().filter(|r| !r.usage.ok) {
        eprintln!("warning: {} exited non-zero", r.name);
    }
}
