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
    /// Refused (or stopped) before anything was sent: a table prints nothing (the error
    /// says why), a document still ends with its summary.
    pub refused: bool,
}

/// Somewhere a run's events go. Each result comes exactly once, stamped with its time.
pub trait Sink {
    /// Where attempts are recorded as their requests go out, if this sink records them.
    fn attempts(&self) -> Option<journal::Attempts> {
        None
    }
    /// `profile` is the result's profile even where the output does not name it (a run
    /// over one profile).
    fn result(&mut self, profile: Option<&str>, result: &SessionResult) -> io::Result<()>;
    fn profile_error(&mut self, _error: &ProfileError) -> io::Result<()> {
        Ok(())
    }
    fn finish(self: Box<Self>, end: &End) -> io::Result<()>;
    /// Before any sink finishes: writes ahead what can be (the metrics file), so that if it
    /// cannot be written every sink records the exit code that makes.
    fn stage(&mut self, _end: &End) -> io::Result<()> {
        Ok(())
    }
    /// A line for the person watching (stderr), not a record of the run.
    fn notice(&mut self, _text: &str) {}
    /// The run will report `total` results, where that is known before they come (a sweep,
    /// IDs read ahead): a progress display counts towards it.
    fn expect(&mut self, _total: u64) {}
    /// A question waits on the terminal: a progress display leaves the screen (its redraws
    /// would erase the question) until [`Sink::answered`].
    fn asking(&mut self) {}
    /// The question was answered: a progress display starts again, its clock from now.
    fn answered(&mut self) {}
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
    /// `stdout` comes first (it is what a person or a script reads) and finishes last (its
    /// summary states the exit code the records on disk made).
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

    /// What records, right before a request for sessions of `profile` goes out, that it
    /// does (the journal's attempts); `None` when nothing records them. A request whose
    /// attempt cannot be recorded is not sent (and the journal says why at the end).
    pub fn recorder(&self, profile: &str) -> Option<crate::client::tally::OnSend> {
        let attempts = self.sinks.iter().find_map(|n| n.sink.attempts())?;
        let profile = profile.to_owned();
        Some(Arc::new(move |ids: &[String]| {
            attempts.record(&profile, ids).is_ok()
        }))
    }

    /// Why nothing more may be sent, if so: a sink failed earlier (stdout on a full disk),
    /// so that what is sent from here on could not be reported; the run then stops
    /// sending, as it does when the journal cannot record an attempt.
    pub fn blocked(&self) -> Option<String> {
        let failed = self.sinks.iter().find(|named| named.failed)?;
        Some(format!("not sent: {} failed earlier", failed.what))
    }

    pub fn result(&mut self, mut result: SessionResult) {
        result.at = Some(journal::now());
        let default = self.default_profile.as_deref();
        if let Some(resume) = &self.resume
            && let Some(p) = result.profile.as_deref().or(default)
            && resume.is_pending(p, &result.id)
        {
            let unanswered = resume.was_unanswered(p, &result.id);
            resumed(&mut result, unanswered);
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

    /// How many results the run will report, once that is known.
    pub fn expect(&mut self, total: u64) {
        self.sinks.iter_mut().for_each(|n| n.sink.expect(total));
    }

    /// The delete prompt is about to be asked: nothing draws on the terminal meanwhile.
    pub fn asking(&mut self) {
        self.sinks.iter_mut().for_each(|n| n.sink.asking());
    }

    /// The prompt was answered yes: the progress display comes back.
    pub fn answered(&mut self) {
        self.sinks.iter_mut().for_each(|n| n.sink.answered());
    }

    /// A sweep's `--limit` left `n` sessions for the next run: the summary says so.
    pub fn leave(&mut self, n: usize) {
        self.summary.leave(n);
    }

    /// The sweep's re-checks before acting: the summary counts them.
    pub fn rechecked(&mut self, sessions: usize, requests: usize) {
        self.summary.rechecked(sessions, requests);
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Ends the run: every sink writes its end with `exit_code` (the code the summary
    /// gives), and the first sink that could not be written, if any, says why. What can be
    /// written ahead is staged first (the metrics file), then stdout ends, then the rest: a
    /// sink that fails makes every record after it say exit 1, and the metrics file (put in
    /// place last) is staged again if the code changed, so all of them say what the process
    /// returns (but for a journal whose own end cannot be written).
    pub fn finish(self, interrupted: bool, exit_code: i32) -> Ended {
        self.end(interrupted, exit_code, false)
    }

    /// Ends a run refused (or stopped by a signal) before it sent anything: every sink
    /// records it, so that a script reading stdout and an alert reading the metrics file
    /// see this run too; a table stays empty (the error says why).
    pub fn refuse(self, interrupted: bool, exit_code: i32) -> Ended {
        self.end(interrupted, exit_code, true)
    }

    fn end(self, interrupted: bool, exit_code: i32, refused: bool) -> Ended {
        let duration = self.started.elapsed();
        let mut problems = self.problems;
        let mut exit_code = exit_code;
        let mut sinks = self.sinks;
        let mut staged = Vec::with_capacity(sinks.len());
        for named in &mut sinks {
            let end = End {
                summary: &self.summary,
                interrupted,
                exit_code: if problems.is_empty() {
                    exit_code
                } else {
                    exit_code.max(1)
                },
                duration,
                refused,
            };
            let result = named.sink.stage(&end);
            staged.push(result.is_ok());
            if let Err(e) = result {
                problems.push(format!("{}: {e}", named.what));
            }
        }
        // The records on disk (journal, then metrics) finish before stdout's summary, so
        // that one that cannot be written is in the exit code the summary states; the
        // metrics file is staged again when the journal changed it.
        let mut finishing: Vec<_> = sinks.into_iter().zip(staged).collect();
        finishing.rotate_left(1);
        for (named, staged) in finishing {
            if !problems.is_empty() {
                exit_code = exit_code.max(1);
            }
            if !staged {
                continue;
            }
            let end = End {
                summary: &self.summary,
                interrupted,
                exit_code,
                duration,
                refused,
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

/// A session sent again by a resumed run. An attempt is recorded right before its request
/// goes out (after every pacing wait), so one without any result is a request that went
/// out and whose reply was lost with the run: a 404 now is most likely its doing, as for a
/// reply lost in flight (`provider::per_id_outcome`), and the session is gone either way.
/// One whose earlier try has a result on record (a failure, a skip) keeps the server's
/// answer now, with a note.
fn resumed(result: &mut SessionResult, unanswered: bool) {
    if unanswered && result.outcome == Outcome::NotFound {
        result.outcome = Outcome::AlreadyEnded;
        result.error = None;
        result.error_kind = Some(crate::outcome::ErrorKind::AlreadyEnded);
        result.note = Some(
            "resumed: an interrupted run sent this and never heard back; the server now says \
             it is gone, so that request most likely did it"
                .into(),
        );
        return;
    }
    let earlier = match result.outcome {
        Outcome::NotFound => {
            "resumed: an interrupted run attempted this before; if its request went out, \
             that may be why it is not found now"
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
    fn attempts(&self) -> Option<journal::Attempts> {
        Some(self.0.attempts())
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
    /// The file as [`Sink::stage`] wrote it.
    staged: Option<crate::metrics::Staged>,
}

impl MetricsSink {
    pub fn new(path: PathBuf, providers: HashMap<String, &'static str>) -> MetricsSink {
        MetricsSink {
            path,
            providers,
            counts: BTreeMap::new(),
            staged: None,
        }
    }

    /// What the file says of the run that `end` ends.
    fn metrics(&self, end: &End) -> crate::metrics::RunMetrics {
        let counts = (self.counts.iter())
            .flat_map(|(profile, outcomes)| {
                let provider = self.providers.get(profile).copied().unwrap_or_default();
                outcomes
                    .iter()
                    .map(move |(outcome, sessions)| crate::metrics::SessionCount {
                        profile: profile.clone(),
                        provider: provider.to_owned(),
                        outcome: (*outcome).to_owned(),
                        sessions: *sessions,
                    })
            })
            .collect();
        crate::metrics::RunMetrics {
            counts,
            duration: end.duration,
            finished_at: jiff::Timestamp::now(),
            exit_code: end.exit_code,
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

    fn stage(&mut self, end: &End) -> io::Result<()> {
        let staged = crate::metrics::stage(&self.path, &self.metrics(end));
        self.staged = Some(staged.map_err(|e| e.source)?);
        Ok(())
    }

    /// Puts the staged file in place; staged again first if the exit code changed since
    /// (a sink that failed after it was staged).
    fn finish(mut self: Box<Self>, end: &End) -> io::Result<()> {
        let staged = match self.staged.take() {
            Some(staged) if staged.exit_code() == end.exit_code => staged,
            _ => crate::metrics::stage(&self.path, &self.metrics(end)).map_err(|e| e.source)?,
        };
        staged.commit().map_err(|e| e.source)
    }
}
