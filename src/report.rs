//! One run's report. Every event of a run (an attempt, a result, a profile that could not
//! be used, the end) goes through one [`Report`], which stamps it (run ID, time), counts it
//! once, and hands it to each [`Sink`]: the output on stdout, the journal, the metrics file.
//! Another way to report a run is another sink, not another closure in the commands.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::ids::SessionId;
use crate::journal::{self, Journal, Resume};
use crate::outcome::{Outcome, SessionResult, Summary};

/// A profile that could not be listed or used: a record of its own, not only a line on
/// stderr, so that a monitor reading the output sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileError {
    pub profile: String,
    pub error: String,
    pub at: String,
}

/// How a run ended, for the sinks that write it down.
pub struct End<'a> {
    pub summary: &'a Summary,
    pub interrupted: bool,
    pub exit_code: i32,
    pub duration: Duration,
}

/// Somewhere a run's events go. Each result comes exactly once, stamped with its time.
pub trait Sink {
    /// Requests for `ids` on `profile` are about to be sent.
    fn attempt(&mut self, _profile: &str, _ids: &[SessionId]) -> io::Result<()> {
        Ok(())
    }
    /// `profile` is the result's profile even where the output does not name it (a run
    /// over one profile).
    fn result(&mut self, profile: Option<&str>, result: &SessionResult) -> io::Result<()>;
    fn profile_error(&mut self, _error: &ProfileError) -> io::Result<()> {
        Ok(())
    }
    fn finish(self: Box<Self>, end: &End) -> io::Result<()>;
    /// A line for the person watching (stderr), not a record of the run.
    fn notice(&mut self, _text: &str) {}
}

/// A sink and what to call it when it fails.
struct Named {
    what: String,
    sink: Box<dyn Sink>,
    failed: bool,
}

/// The events of one run, fanned out to its sinks.
pub struct Report {
    started: Instant,
    summary: Summary,
    /// The run's one profile, for results that do not name theirs.
    default_profile: Option<String>,
    /// A resumed run's journal: the results of sessions it sends again say so.
    resume: Option<Arc<Resume>>,
    sinks: Vec<Named>,
    /// What went wrong writing a sink other than stdout (the first problem of each).
    problems: Vec<String>,
}

impl Report {
    /// `stdout` comes first: it is what a person or a script reads.
    pub fn new(default_profile: Option<String>, stdout: Box<dyn Sink>) -> Report {
        Report {
            started: Instant::now(),
            summary: Summary::default(),
            default_profile,
            resume: None,
            sinks: vec![Named {
                what: "writing output".into(),
                sink: stdout,
                failed: false,
            }],
            problems: Vec::new(),
        }
    }

    pub fn add(&mut self, what: String, sink: Box<dyn Sink>) {
        self.sinks.push(Named {
            what,
            sink,
            failed: false,
        });
    }

    /// A resumed run: the sessions `resume` says were attempted without an outcome.
    pub fn resending(&mut self, resume: Arc<Resume>) {
        self.resume = Some(resume);
    }

    /// False when an attempt could not be recorded (the journal failed): then nothing may
    /// be sent for these IDs.
    pub fn attempt(&mut self, profile: &str, ids: &[SessionId]) -> bool {
        let mut ok = true;
        for named in &mut self.sinks {
            if let Err(e) = named.sink.attempt(profile, ids) {
                ok = false;
                note(&mut self.problems, named, e);
            }
        }
        ok
    }

    pub fn result(&mut self, mut result: SessionResult) {
        result.at = Some(journal::now());
        let default = self.default_profile.as_deref();
        if let Some(resume) = &self.resume
            && let Some(p) = result.profile.as_deref().or(default)
            && resume.is_pending(p, &result.id)
        {
            resumed(&mut result);
        }
        self.summary.add(&result);
        let profile = result.profile.as_deref().or(default);
        for named in &mut self.sinks {
            if let Err(e) = named.sink.result(profile, &result) {
                note(&mut self.problems, named, e);
            }
        }
    }

    pub fn profile_error(&mut self, profile: &str, error: &str) {
        let error = ProfileError {
            profile: profile.to_owned(),
            error: error.to_owned(),
            at: journal::now(),
        };
        for named in &mut self.sinks {
            if let Err(e) = named.sink.profile_error(&error) {
                note(&mut self.problems, named, e);
            }
        }
    }

    /// Tells the person watching `text`, on stderr (past the progress bar).
    pub fn notice(&mut self, text: &str) {
        self.sinks.iter_mut().for_each(|n| n.sink.notice(text));
    }

    /// A sweep's `--limit` left `n` sessions for the next run: the summary says so.
    pub fn leave(&mut self, n: usize) {
        self.summary.leave(n);
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Ends the run: every sink writes its end with `exit_code` (the code the summary
    /// gives), and the first sink that could not be written, if any, says why. Stdout ends
    /// first, so that when it fails the journal and the metrics file record exit 1.
    pub fn finish(self, interrupted: bool, exit_code: i32) -> Ended {
        self.end(interrupted, exit_code, false)
    }

    /// Ends a run refused before it sent anything (a cap): the journal and metrics record
    /// it; stdout stays empty, as for a run refused before it began (the error says why).
    pub fn refuse(self, exit_code: i32) -> Ended {
        self.end(false, exit_code, true)
    }

    fn end(self, interrupted: bool, exit_code: i32, quiet_stdout: bool) -> Ended {
        let duration = self.started.elapsed();
        let mut problems = self.problems;
        let mut exit_code = exit_code;
        let mut sinks = self.sinks.into_iter();
        if quiet_stdout {
            sinks.next();
        }
        for named in sinks {
            if !problems.is_empty() {
                exit_code = exit_code.max(1);
            }
            let end = End {
                summary: &self.summary,
                interrupted,
                exit_code,
                duration,
            };
            if let Err(e) = named.sink.finish(&end) {
                problems.push(format!("{}: {e}", named.what));
            }
        }
        Ended {
            problem: problems.into_iter().next(),
        }
    }
}

/// What went wrong reporting a run, if anything did: the run then exits 1 at least.
pub struct Ended {
    pub problem: Option<String>,
}

fn note(problems: &mut Vec<String>, named: &mut Named, e: io::Error) {
    if !named.failed {
        named.failed = true;
        problems.push(format!("{}: {e}", named.what));
    }
}

/// A session sent again by a resumed run. Its outcome stays what the server said now: the
/// interrupted run recorded its attempt before sending, and cannot know whether the request
/// went out (a paced request may have waited seconds), so a `not_found` now is not proof
/// that the earlier attempt ended it. The note says what is known.
fn resumed(result: &mut SessionResult) {
    let earlier = match result.outcome {
        Outcome::NotFound => {
            "resumed: an interrupted run attempted this before; if its request went out,              that may be why it is not found now"
        }
        _ => "resumed: an interrupted run attempted this before",
    };
    result.note = Some(match result.note.take() {
        Some(note) => format!("{earlier}; {note}"),
        None => earlier.to_owned(),
    });
}

/// The journal as a sink: attempts, results, profile errors and the end, as they happen.
pub struct JournalSink(pub Journal);

impl Sink for JournalSink {
    fn attempt(&mut self, profile: &str, ids: &[SessionId]) -> io::Result<()> {
        self.0.attempt(profile, ids)
    }

    fn result(&mut self, profile: Option<&str>, result: &SessionResult) -> io::Result<()> {
        self.0.result(profile, result)
    }

    fn profile_error(&mut self, error: &ProfileError) -> io::Result<()> {
        self.0.profile_error(&error.profile, &error.error)
    }

    fn finish(self: Box<Self>, end: &End) -> io::Result<()> {
        self.0.finish(end.summary, end.duration, end.exit_code)
    }
}

/// The metrics file as a sink: counts by profile, provider and outcome, written once at
/// the end.
pub struct MetricsSink {
    path: PathBuf,
    /// Each profile's provider.
    providers: HashMap<String, &'static str>,
    /// Sessions by profile, then outcome.
    counts: BTreeMap<String, BTreeMap<&'static str, u64>>,
}

impl MetricsSink {
    pub fn new(path: PathBuf, providers: HashMap<String, &'static str>) -> MetricsSink {
        MetricsSink {
            path,
            providers,
            counts: BTreeMap::new(),
        }
    }
}

impl Sink for MetricsSink {
    fn result(&mut self, profile: Option<&str>, result: &SessionResult) -> io::Result<()> {
        let profile = profile.unwrap_or_default();
        // Looked up by the borrowed name: a profile's key is made once, not per result.
        let outcomes = match self.counts.get_mut(profile) {
            Some(outcomes) => outcomes,
            None => self.counts.entry(profile.to_owned()).or_default(),
        };
        *outcomes.entry(result.outcome.as_str()).or_default() += 1;
        Ok(())
    }

    fn finish(self: Box<Self>, end: &End) -> io::Result<()> {
        let providers = &self.providers;
        let counts = (self.counts.into_iter())
            .flat_map(|(profile, outcomes)| {
                let provider = providers.get(&profile).copied().unwrap_or_default();
                outcomes
                    .into_iter()
                    .map(move |(outcome, sessions)| crate::metrics::SessionCount {
                        profile: profile.clone(),
                        provider: provider.to_owned(),
                        outcome: outcome.to_owned(),
                        sessions,
                    })
            })
            .collect();
        let metrics = crate::metrics::RunMetrics {
            counts,
            duration: end.duration,
            finished_at: jiff::Timestamp::now(),
            exit_code: end.exit_code,
        };
        crate::metrics::write(&self.path, &metrics).map_err(|e| e.source)
    }
}
