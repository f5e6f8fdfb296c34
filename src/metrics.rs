//! The metrics file a cron run leaves for node_exporter's textfile collector, so that
//! alerting sees each run's outcome, and how long ago a run last succeeded.
//!
//! The text is encoded by `prometheus-client`, the Prometheus project's own Rust client,
//! through its `prometheus_text` encoder: the Prometheus text format 0.0.4, the one format
//! the textfile collector parses. Its default `text` encoder writes OpenMetrics instead
//! (`# EOF`, counter families named without `_total`, `info` and `unknown` types), which is
//! not that format. The `prometheus` crate (tikv) writes 0.0.4 too, but brings protobuf and
//! a process-wide registry that a one-shot file has no use for.
//!
//! The file is replaced atomically (a temporary file in the same directory, flushed to disk,
//! then renamed over it), so a scrape reads the previous run's file or this one's, never
//! half of one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, prometheus_text};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

const SESSIONS: &str = "sessionctl_sessions";
const DURATION: &str = "sessionctl_run_duration_seconds";
const LAST_RUN: &str = "sessionctl_last_run_timestamp_seconds";
const LAST_SUCCESS: &str = "sessionctl_last_success_timestamp_seconds";
const EXIT_CODE: &str = "sessionctl_exit_code";

#[derive(Debug, thiserror::Error)]
#[error("metrics file {}: {source}", path.display())]
pub struct MetricsError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// What one run did, as the metrics file reports it.
#[derive(Debug, Clone)]
pub struct RunMetrics {
    pub counts: Vec<SessionCount>,
    pub duration: Duration,
    pub finished_at: jiff::Timestamp,
    /// The process's exit code; 0 makes this run the last success.
    pub exit_code: i32,
}

/// How many sessions of one profile ended in one outcome (`Outcome::as_str`).
#[derive(Debug, Clone)]
pub struct SessionCount {
    pub profile: String,
    pub provider: String,
    pub outcome: String,
    pub sessions: u64,
}

/// Replaces the metrics file at `path` with this run's. A failed run keeps the last success
/// time the file already held, so that "no success for a day" can be alerted on; a failure
/// before any success writes 0, so that the same alert fires for a job that has never
/// succeeded (a missing series would make it silent).
pub fn write(path: &Path, m: &RunMetrics) -> Result<(), MetricsError> {
    stage(path, m)?.commit()
}

/// A run's metrics file written and flushed to its temporary file, not yet in place: a run
/// stages it before its other records say its exit code, so that a metrics file that cannot
/// be written makes that code 1 everywhere, not only in the process's.
pub struct Staged {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
    exit_code: i32,
}

impl Staged {
    /// The exit code the staged file records.
    pub fn exit_code(&self) -> i32 {
        self.exit_code
    }

    /// Puts the file in place (a rename: a scrape sees the old file or this one).
    pub fn commit(self) -> Result<(), MetricsError> {
        let path = self.path;
        self.tmp.persist(&path).map_err(|e| MetricsError {
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}

/// Writes `m` to a temporary file beside `path` (see [`Staged`]).
pub fn stage(path: &Path, m: &RunMetrics) -> Result<Staged, MetricsError> {
    let err = |source| MetricsError {
        path: path.to_owned(),
        source,
    };
    let last_success = if m.exit_code == 0 {
        seconds(m.finished_at)
    } else {
        previous_success(path).map_err(err)?.unwrap_or(0.0)
    };
    let text = render(m, last_success);
    regular_or_absent(path).map_err(err)?;
    let mut tmp = builder().tempfile_in(dir_of(path)).map_err(err)?;
    tmp.write_all(text.as_bytes()).map_err(err)?;
    // On disk before the rename, or a crash could leave an empty file under the final name.
    tmp.as_file().sync_all().map_err(err)?;
    Ok(Staged {
        path: path.to_owned(),
        tmp,
        exit_code: m.exit_code,
    })
}

/// The most of a previous metrics file read back: ours are a few KiB.
const READ_BACK_LIMIT: u64 = 1 << 20;

/// Refuses a metrics path that cannot be written, before anything is sent: one that is not
/// a regular file (a FIFO would block its open forever, `/dev/full` read back without end),
/// or whose directory does not take the temporary file the write goes through.
pub fn check(path: &Path) -> Result<(), MetricsError> {
    let err = |source| MetricsError {
        path: path.to_owned(),
        source,
    };
    regular_or_absent(path).map_err(err)?;
    builder().tempfile_in(dir_of(path)).map_err(err)?;
    Ok(())
}

/// `Ok` for a regular file or none at all; never opens it (a FIFO's open would block).
fn regular_or_absent(path: &Path) -> std::io::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) if m.is_dir() => Err(std::io::Error::other("is a directory")),
        Ok(_) => Err(std::io::Error::other("not a regular file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// The directory the file (and its temporary file) is in.
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// The temporary file the write goes through: not `*.prom`, so that the collector never
/// reads one left by a crash; readable by node_exporter, which runs as its own user (a
/// temporary file is only its owner's, 0600).
fn builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".sessionctl-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder
}

/// The last success time in the file a previous run wrote, if there is one it can read.
fn previous_success(path: &Path) -> std::io::Result<Option<f64>> {
    regular_or_absent(path)?;
    let text = match crate::bounded::read_file(path, READ_BACK_LIMIT) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(text.lines().find_map(|line| {
        let value = line.strip_prefix(LAST_SUCCESS)?.strip_prefix(' ')?;
        value.trim().parse::<f64>().ok().filter(|v| v.is_finite())
    }))
}

fn seconds(t: jiff::Timestamp) -> f64 {
    t.as_millisecond() as f64 / 1000.0
}

/// The file's text: `last_success` is written as it is given (0: never).
fn render(m: &RunMetrics, last_success: f64) -> String {
    // One series per label set: the same one twice would make the collector reject the file.
    let mut counts = BTreeMap::new();
    for c in &m.counts {
        let key = (c.profile.clone(), c.provider.clone(), c.outcome.clone());
        *counts.entry(key).or_insert(0) += c.sessions;
    }
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Snapshot {
        counts,
        // Whole milliseconds: the encoder prints every digit of a binary fraction
        // (`0.0022123999999999999`), and nothing finer than that is meaningful here.
        duration: m.duration.as_millis() as f64 / 1000.0,
        finished_at: seconds(m.finished_at),
        last_success,
        exit_code: i64::from(m.exit_code),
    }));
    let mut text = String::new();
    prometheus_text::encode(&mut text, &registry).expect("writing to a String cannot fail");
    text
}

/// One run's values, encoded in a fixed order (a registered `Family` would come out in hash
/// order, and a file that changes order from run to run is harder to compare by eye).
#[derive(Debug)]
struct Snapshot {
    counts: BTreeMap<(String, String, String), u64>,
    duration: f64,
    finished_at: f64,
    last_success: f64,
    exit_code: i64,
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // A gauge (so no `_total`, which names counters): it counts this run's sessions, not
        // all runs', so it falls between runs, and as a counter `rate()` would read each fall
        // as a reset and see nothing when two runs in a row count the same.
        if !self.counts.is_empty() {
            let help = "Sessions the last run handled, by profile, provider and outcome.";
            let mut family = encoder.encode_descriptor(SESSIONS, help, None, MetricType::Gauge)?;
            for ((profile, provider, outcome), sessions) in &self.counts {
                let labels = [
                    ("profile", profile.as_str()),
                    ("provider", provider.as_str()),
                    ("outcome", outcome.as_str()),
                ];
                family.encode_family(&labels)?.encode_gauge(sessions)?;
            }
        }
        let help = "How long the last run took, in seconds.";
        gauge(&mut encoder, DURATION, help, &self.duration)?;
        let help = "When the last run finished, in seconds since the Unix epoch.";
        gauge(&mut encoder, LAST_RUN, help, &self.finished_at)?;
        let help = "When a run last finished with exit code 0, in seconds since the Unix epoch \
                    (0: none yet).";
        gauge(&mut encoder, LAST_SUCCESS, help, &self.last_success)?;
        let help = "The last run's exit code.";
        gauge(&mut encoder, EXIT_CODE, help, &self.exit_code)
    }
}

fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: &impl prometheus_client::encoding::EncodeGaugeValue,
) -> Result<(), std::fmt::Error> {
    encoder
        .encode_descriptor(name, help, None, MetricType::Gauge)?
        .encode_gauge(value)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::io::BufRead;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use prometheus_parse::{Sample, Scrape, Value};

    use super::*;

    const FINISHED: i64 = 1_796_083_200; // 2026-12-01T00:00:00Z

    fn count(profile: &str, provider: &str, outcome: &str, sessions: u64) -> SessionCount {
        SessionCount {
            profile: profile.into(),
            provider: provider.into(),
            outcome: outcome.into(),
            sessions,
        }
    }

    fn run(finished: i64, exit_code: i32) -> RunMetrics {
        RunMetrics {
            counts: vec![
                count("prod", "zep", "ended", 40),
                count("prod", "zep", "failed", 2),
                count("lab", "messaging", "deleted", 7),
            ],
            duration: Duration::from_millis(12_500),
            finished_at: jiff::Timestamp::from_second(finished).unwrap(),
            exit_code,
        }
    }

    fn parse(text: &str) -> Scrape {
        Scrape::parse(text.as_bytes().lines()).unwrap()
    }

    /// The one sample of a family that has no labels.
    fn value(scrape: &Scrape, name: &str) -> Option<f64> {
        let mut samples = scrape.samples.iter().filter(|s| s.metric == name);
        let sample = samples.next()?;
        assert!(samples.next().is_none(), "{name} has more than one sample");
        assert!(sample.labels.is_empty());
        Some(gauge_value(sample))
    }

    fn gauge_value(sample: &Sample) -> f64 {
        match sample.value {
            Value::Gauge(v) => v,
            ref other => panic!("{} is not a gauge: {other:?}", sample.metric),
        }
    }

    fn families(scrape: &Scrape) -> HashSet<&str> {
        scrape.samples.iter().map(|s| s.metric.as_str()).collect()
    }

    #[test]
    fn render_is_prometheus_text() {
        let mut m = run(FINISHED, 1);
        // Counted in two parts: one series all the same.
        m.counts.push(count("prod", "zep", "ended", 2));
        let text = render(&m, 1_796_000_000.5);
        assert!(!text.contains("# EOF"), "{text}");
        for name in [SESSIONS, DURATION, LAST_RUN, LAST_SUCCESS, EXIT_CODE] {
            assert!(text.contains(&format!("# HELP {name} ")), "{name}: {text}");
            assert!(
                text.contains(&format!("# TYPE {name} gauge\n")),
                "{name}: {text}"
            );
        }
        let scrape = parse(&text);
        assert_eq!(scrape.docs.len(), 5, "{text}");
        assert_eq!(value(&scrape, DURATION), Some(12.5));
        assert_eq!(value(&scrape, LAST_RUN), Some(FINISHED as f64));
        assert_eq!(value(&scrape, LAST_SUCCESS), Some(1_796_000_000.5));
        assert_eq!(value(&scrape, EXIT_CODE), Some(1.0));
        let mut sessions: Vec<(String, f64)> = scrape
            .samples
            .iter()
            .filter(|s| s.metric == SESSIONS)
            .map(|s| {
                assert_eq!(s.labels.len(), 3, "{:?}", s.labels);
                let l = |k| s.labels.get(k).unwrap();
                let key = format!("{}/{}/{}", l("profile"), l("provider"), l("outcome"));
                (key, gauge_value(s))
            })
            .collect();
        sessions.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            sessions,
            [
                ("lab/messaging/deleted".to_owned(), 7.0),
                ("prod/zep/ended".to_owned(), 42.0),
                ("prod/zep/failed".to_owned(), 2.0),
            ]
        );
        // The same input, the same file.
        assert_eq!(text, render(&m, 1_796_000_000.5));
    }

    #[test]
    fn label_values_are_escaped() {
        let mut m = run(FINISHED, 0);
        m.counts = vec![count("we\"ird\\name\nnext", "zep", "ended", 3)];
        let text = render(&m, 0.0);
        let line = r#"sessionctl_sessions{profile="we\"ird\\name\nnext",provider="zep",outcome="ended"} 3"#;
        assert!(text.lines().any(|l| l == line), "{text}");
        // Still one sample on one line, its other labels and the families after it intact.
        let scrape = parse(&text);
        let sessions: Vec<_> = scrape
            .samples
            .iter()
            .filter(|s| s.metric == SESSIONS)
            .collect();
        assert_eq!(sessions.len(), 1);
        // This parser leaves escapes as they are written.
        assert_eq!(
            sessions[0].labels.get("profile"),
            Some(r#"we\"ird\\name\nnext"#)
        );
        assert_eq!(sessions[0].labels.get("outcome"), Some("ended"));
        assert_eq!(gauge_value(sessions[0]), 3.0);
        assert_eq!(value(&scrape, EXIT_CODE), Some(0.0));
    }

    #[test]
    fn a_run_with_no_sessions_has_no_empty_family() {
        let mut m = run(FINISHED, 0);
        m.counts.clear();
        let text = render(&m, 0.0);
        assert!(!text.contains(&format!("{SESSIONS} ")), "{text}");
        assert!(!text.contains(&format!("{SESSIONS}{{")), "{text}");
        let scrape = parse(&text);
        assert_eq!(
            families(&scrape),
            HashSet::from([DURATION, LAST_RUN, LAST_SUCCESS, EXIT_CODE])
        );
    }

    #[test]
    fn the_last_success_is_carried_over_failures() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sessionctl.prom");
        let read = || parse(&std::fs::read_to_string(&path).unwrap());

        // A failure with nothing before it: no success yet, written as 0 so that an alert
        // on its age fires.
        write(&path, &run(FINISHED, 3)).unwrap();
        assert_eq!(value(&read(), LAST_SUCCESS), Some(0.0));
        assert_eq!(value(&read(), EXIT_CODE), Some(3.0));

        write(&path, &run(FINISHED + 60, 0)).unwrap();
        assert_eq!(value(&read(), LAST_SUCCESS), Some((FINISHED + 60) as f64));

        write(&path, &run(FINISHED + 120, 1)).unwrap();
        let scrape = read();
        assert_eq!(value(&scrape, LAST_SUCCESS), Some((FINISHED + 60) as f64));
        assert_eq!(value(&scrape, LAST_RUN), Some((FINISHED + 120) as f64));
        assert_eq!(value(&scrape, EXIT_CODE), Some(1.0));

        write(&path, &run(FINISHED + 180, 0)).unwrap();
        assert_eq!(value(&read(), LAST_SUCCESS), Some((FINISHED + 180) as f64));

        // A file that is not ours has no success in it to carry.
        std::fs::write(&path, "garbage\n\u{0}\u{ff}").unwrap();
        write(&path, &run(FINISHED + 240, 1)).unwrap();
        assert_eq!(value(&read(), LAST_SUCCESS), Some(0.0));
    }

    #[test]
    fn durations_are_written_to_the_millisecond() {
        let mut m = run(FINISHED, 0);
        m.duration = Duration::from_nanos(2_212_400);
        let text = render(&m, 0.0);
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{DURATION} ")));
        assert_eq!(line, Some(format!("{DURATION} 0.002").as_str()), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_as_readable_as_any_other() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let path = dir.path().join("sessionctl.prom");
        write(&path, &run(FINISHED, 0)).unwrap();
        // What the umask allows of 0644, not the temporary file's 0600.
        assert_eq!(mode(&path), mode(&plain) & 0o644);
    }

    #[test]
    fn a_reader_never_sees_a_partial_file() {
        const WRITES: i64 = 200;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sessionctl.prom");
        // Every run alternates success and failure; failures carry the success before them.
        let runs: Vec<RunMetrics> = (0..WRITES)
            .map(|i| run(FINISHED + i, (i % 2) as i32))
            .collect();
        let expected: HashSet<String> = (0..WRITES)
            .map(|i| render(&runs[i as usize], (FINISHED + i - i % 2) as f64))
            .collect();

        let done = Arc::new(AtomicBool::new(false));
        let reader = {
            let (path, done) = (path.clone(), done.clone());
            std::thread::spawn(move || {
                let mut seen = 0;
                loop {
                    let finished = done.load(Ordering::Acquire);
                    match std::fs::read_to_string(&path) {
                        Ok(text) => {
                            seen += 1;
                            assert!(expected.contains(&text), "a partial file: {text:?}");
                            let scrape = parse(&text);
                            assert_eq!(families(&scrape).len(), 5, "{text}");
                        }
                        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
                    }
                    if finished {
                        return seen;
                    }
                }
            })
        };
        for m in &runs {
            write(&path, m).unwrap();
        }
        done.store(true, Ordering::Release);
        let seen = reader.join().unwrap();
        assert!(seen > 0);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["sessionctl.prom"]);
    }
}
