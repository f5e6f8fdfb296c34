//! Benchmark: `sessionctl end-many` against `xargs -P N curl -X DELETE`, on the same IDs and
//! the same loopback server with a fixed per-reply latency, in one run.
//!
//! `cargo bench --bench compare -- [--ids 10000] [--latency-ms 20] [--concurrency 32]
//! [--rss-ids 100000] [--startup-runs 200]`
//!
//! Prints wall time, CPU time (user+sys) and peak RSS of each contender, measured with
//! `wait4(2)` (which covers a process and every child it waited for, so all of xargs' curls),
//! and the ratios the targets are stated in. Machines are noisy: compare ratios, not times.

#[path = "../emulator/mod.rs"]
mod emulator;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use emulator::{Emulator, Options, Seed};

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

fn sessionctl(config: &Path, ids: &Path, concurrency: u64) -> Vec<String> {
    let mut argv: Vec<String> = [BIN, "-q", "-o", "ndjson", "-c"].map(String::from).to_vec();
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
    argv
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes harness=false benches
    }
    if std::env::args().any(|a| a == "--runner") {
        return serve_runner();
    }
    let mut runner = Runner::start();
    let n = arg("--ids", 10_000);
    let latency = Duration::from_millis(arg("--latency-ms", 20));
    let conc = arg("--concurrency", 32);
    let rss_n = arg("--rss-ids", 100_000);
    let startup_runs = arg("--startup-runs", 200);

    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(Options {
        latency,
        ..Options::default()
    });
    let config = dir.path().join("config.toml");
    write_config(&config, &emu);

    // sessionctl
    let ids = seed(&emu, "s", n);
    let file = write_ids(dir.path(), "s.txt", &ids);
    let ours = runner.measure(&sessionctl(&config, &file, conc));
    let ended_ours = ids.iter().filter(|id| !emu.messaging_exists(id)).count();

    // xargs + curl, same server, same N
    let ids = seed(&emu, "x", n);
    let file = write_ids(dir.path(), "x.txt", &ids);
    let url = format!("{}/api/messaging/sessions", emu.messaging_url());
    let script = format!(
        "xargs -P {conc} -I{{}} curl -s -o /dev/null -X DELETE {url}/{{}} < {}",
        file.display()
    );
    let theirs = runner.measure(&["sh".into(), "-c".into(), script]);
    let ended_theirs = ids.iter().filter(|id| !emu.messaging_exists(id)).count();

    // Peak RSS with many IDs and ndjson output, on a zero-latency server.
    drop(emu);
    let fast = Emulator::start(Options::default());
    write_config(&config, &fast);
    let ids = seed(&fast, "r", rss_n);
    let file = write_ids(dir.path(), "r.txt", &ids);
    let big = runner.measure(&sessionctl(&config, &file, conc));

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
    println!(
        "{:<22}{:>12.0}{:>12.0}{:>14.1}{:>10}",
        format!("sessionctl {rss_n} IDs"),
        ms(big.wall),
        ms(big.cpu),
        big.max_rss_kib as f64 / 1024.0,
        rss_n as usize - ids.iter().filter(|id| fast.messaging_exists(id)).count()
    );
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
    println!(
        "peak RSS, {rss_n} IDs ndjson:              {:.1} MiB  (target <= 30 MB)",
        big.max_rss_kib as f64 / 1024.0
    );
    println!(
        "`sessionctl --version` median start-up:      {:.2} ms  (target <= 3 ms, {startup_runs} runs)",
        ms(startup)
    );
    if !(ours.ok && big.ok) {
        eprintln!("warning: a sessionctl run exited non-zero");
    }
}
