//! The run journal (`--journal FILE`) and resuming from it (`--resume FILE`).
//!
//! A journal is append-only NDJSON, one record per event, each written to the file as it
//! happens: the run's start, every session's attempt right *before* its request is written
//! (after every pacing and rate-limit wait, by the HTTP layer: see [`Attempts`]), every
//! outcome, problems with a profile, and the run's end. A process killed at any moment
//! (`kill -9`) leaves every record it wrote, since a write reaches the kernel at once; the
//! file is also flushed to disk (`fdatasync`) at least once a second and at the end, for
//! a machine that goes down.
//!
//! So after a crash each session is in one of three states, and `--resume` treats each
//! as it must: an outcome (not sent again), an attempt without an outcome (the request went
//! out and may have been applied: sent again, which is safe because ending and deleting are
//! idempotent on every provider, a 404 then counting as that request's doing, and the
//! record says it was a resume), or nothing (sent as new). Format, versioned by the first record's `"journal": 1`, in the README.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::outcome::{Outcome, SessionResult, Summary};

/// True for the start of a start record (what a run killed while it wrote it leaves).
fn is_start_prefix(text: &str) -> bool {
    const START: &str = "{\"type\":\"start\",\"journal\":";
    START.starts_with(text) || text.starts_with(START)
}

/// The longest journal line read back (a record with a 10 KiB ID is far below it).
const LINE_LIMIT: u64 = 1 << 20;

/// The format's version, in every start record. A reader refuses versions it does not know.
pub const VERSION: u32 = 1;

/// How often written records are flushed to disk.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// What a run's start record says about it; a resume must be the same job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Job {
    /// `end` or `delete`.
    pub action: String,
    /// `client`, `server` or none.
    pub dry_run: Option<String>,
    /// The profiles the run covers, by name.
    pub profiles: Vec<String>,
    /// Its `--where` terms: a resume must select the same sessions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selectors: Vec<String>,
    /// Where its sessions came from (`ids #…` for arguments, `file PATH`, `stdin`, `sweep
    /// --idle-for 1h`): a resume must take them from the same place. None in journals
    /// written before it was recorded, which any input may resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
}

impl Job {
    /// Whether a run doing `this` continues the job recorded here.
    pub fn resumed_by(&self, this: &Job) -> bool {
        let input = self.input.is_none() || self.input == this.input;
        input
            && Job {
                input: None,
                ..self.clone()
            } == Job {
                input: None,
                ..this.clone()
            }
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Record<'a> {
    Start {
        journal: u32,
        run_id: &'a str,
        at: &'a str,
        #[serde(flatten)]
        job: &'a Job,
        /// The runs this one resumes, oldest first.
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        resumes: &'a [String],
    },
    Attempt {
        run_id: &'a str,
        at: &'a str,
        profile: &'a str,
        id: &'a str,
    },
    /// The result carries its own `at`.
    Result {
        run_id: &'a str,
        /// The run's one profile, for a result that does not name its own.
        #[serde(skip_serializing_if = "Option::is_none")]
        profile: Option<&'a str>,
        #[serde(flatten)]
        result: &'a SessionResult,
    },
    ProfileError {
        run_id: &'a str,
        at: &'a str,
        profile: &'a str,
        error: &'a str,
    },
    End {
        run_id: &'a str,
        at: &'a str,
        summary: &'a Summary,
        duration_seconds: f64,
        exit_code: i32,
    },
}

/// An open journal. Records are written unbuffered, so that what was written survives the
/// process; a background task flushes them to disk.
pub struct Journal {
    out: Arc<Out>,
    syncer: tokio::task::JoinHandle<()>,
}

/// The journal's file, shared by the journal and its [`Attempts`].
struct Out {
    file: Arc<File>,
    run_id: String,
    dirty: Arc<AtomicBool>,
    /// A write failed part-way: the file may end in half a record.
    torn: AtomicBool,
    /// Why an attempt could not be recorded, the first time one could not.
    attempt_failed: std::sync::Mutex<Option<String>>,
}

/// Where the HTTP layer records, right before a request that may change a session goes out
/// (after every pacing and rate-limit wait), that it is being sent: an attempt in the
/// journal is then true, and a resume may count a 404 as that request's doing.
#[derive(Clone)]
pub struct Attempts(Arc<Out>);

impl Attempts {
    /// Records that requests for `ids` on `profile` are being sent now.
    pub fn record(&self, profile: &str, ids: &[String]) -> io::Result<()> {
        let out = &self.0;
        let at = now();
        let mut lines = Vec::with_capacity(ids.len() * 96);
        for id in ids {
            let record = Record::Attempt {
                run_id: &out.run_id,
                at: &at,
                profile,
                id,
            };
            serde_json::to_writer(&mut lines, &record).expect("records always serialize");
            lines.push(b'\n');
        }
        out.write_bytes(&lines).inspect_err(|e| {
            let mut failed = out.attempt_failed.lock().expect("never poisoned");
            failed.get_or_insert_with(|| e.to_string());
        })
    }
}

impl Journal {
    /// Opens `path` for appending (creating it) and writes the start record.
    pub fn open(path: &Path, run_id: &str, job: &Job, resumes: &[String]) -> io::Result<Journal> {
        let mut file = File::options()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        // A run killed mid-write may have left half a line: end it, so ours start clean.
        if file.metadata()?.len() > 0 {
            let mut last = [0u8; 1];
            file.seek(io::SeekFrom::End(-1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        let file = Arc::new(file);
        let dirty = Arc::new(AtomicBool::new(false));
        let syncer = tokio::spawn(sync_loop(file.clone(), dirty.clone()));
        let out = Out {
            file,
            run_id: run_id.to_owned(),
            dirty,
            torn: AtomicBool::new(false),
            attempt_failed: Default::default(),
        };
        let journal = Journal {
            out: Arc::new(out),
            syncer,
        };
        journal.write(&Record::Start {
            journal: VERSION,
            run_id,
            at: &now(),
            job,
            resumes,
        })?;
        Ok(journal)
    }

    /// Where the attempts of this run are recorded as their requests go out.
    pub fn attempts(&self) -> Attempts {
        Attempts(self.out.clone())
    }

    /// `result` carries its profile and time already.
    /// Every result record names its profile: `result`'s own, else `profile`.
    pub fn result(&mut self, profile: Option<&str>, result: &SessionResult) -> io::Result<()> {
        self.write(&Record::Result {
            run_id: &self.out.run_id,
            profile: profile.filter(|_| result.profile.is_none()),
            result,
        })
    }

    pub fn profile_error(&mut self, profile: &str, error: &str) -> io::Result<()> {
        self.write(&Record::ProfileError {
            run_id: &self.out.run_id,
            at: &now(),
            profile,
            error,
        })
    }

    /// Writes the end record and flushes everything to disk; an attempt that could not be
    /// recorded (its sessions were not sent) is this journal's failure too.
    pub fn finish(self, summary: &Summary, duration: Duration, exit_code: i32) -> io::Result<()> {
        self.write(&Record::End {
            run_id: &self.out.run_id,
            at: &now(),
            summary,
            duration_seconds: duration.as_secs_f64(),
            exit_code,
        })?;
        self.syncer.abort();
        self.out.file.sync_data()?;
        match self
            .out
            .attempt_failed
            .lock()
            .expect("never poisoned")
            .take()
        {
            Some(why) => Err(io::Error::other(why)),
            None => Ok(()),
        }
    }

    fn write(&self, record: &Record<'_>) -> io::Result<()> {
        let mut line = serde_json::to_vec(record).expect("records always serialize");
        line.push(b'\n');
        self.out.write_bytes(&line)
    }
}

impl Out {
    fn write_bytes(&self, bytes: &[u8]) -> io::Result<()> {
        // One write per event: a record is either whole in the file or (killed mid-write)
        // a torn last line that a reader skips. After a failed write (a full disk) the
        // next record starts on a line of its own, never glued to the torn one.
        let mut file = &*self.file;
        if self.torn.swap(false, Ordering::AcqRel) {
            file.write_all(b"\n")
                .inspect_err(|_| self.torn.store(true, Ordering::Release))?;
        }
        file.write_all(bytes)
            .inspect_err(|_| self.torn.store(true, Ordering::Release))?;
        self.dirty.store(true, Ordering::Release);
        Ok(())
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.syncer.abort();
    }
}

async fn sync_loop(file: Arc<File>, dirty: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(SYNC_EVERY);
    loop {
        tick.tick().await;
        if dirty.swap(false, Ordering::AcqRel) {
            let file = file.clone();
            // fdatasync blocks; the runtime has one thread and requests to drive.
            let _ = tokio::task::spawn_blocking(move || file.sync_data()).await;
        }
    }
}

/// The time of an event, RFC 3339 in UTC with milliseconds.
pub fn now() -> String {
    format!("{:.3}", jiff::Timestamp::now())
}

/// What a journal says was done, for `--resume`.
#[derive(Debug, Default)]
pub struct Resume {
    /// The job every run in the journal did.
    pub job: Option<Job>,
    /// Every run so far, oldest first.
    pub runs: Vec<String>,
    /// Sessions with an outcome, by profile then ID: never sent again.
    done: Sessions,
    /// Sessions attempted without an outcome, in the order they were attempted.
    pending: Vec<(String, String)>,
    /// The same, to look up.
    pending_set: Sessions,
    /// Of those, the ones without any result: their request went out (an attempt is
    /// recorded right before it is sent) and the run died before the reply came.
    unanswered: Sessions,
}

/// A set of sessions by profile then ID, looked up by borrowed names.
#[derive(Debug, Default)]
struct Sessions(HashMap<String, HashSet<String>>);

impl Sessions {
    fn insert(&mut self, profile: String, id: String) {
        self.0.entry(profile).or_default().insert(id);
    }

    fn contains(&self, profile: &str, id: &str) -> bool {
        self.0.get(profile).is_some_and(|ids| ids.contains(id))
    }

    fn len(&self) -> usize {
        self.0.values().map(HashSet::len).sum()
    }
}

/// One line of a journal, as far as resuming needs it.
#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    journal: Option<u32>,
    run_id: Option<String>,
    profile: Option<String>,
    id: Option<String>,
    outcome: Option<Outcome>,
    #[serde(default)]
    abandoned: bool,
    #[serde(default)]
    resumes: Vec<String>,
    #[serde(flatten)]
    job: Option<Job>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("cannot read journal {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("journal {}, line {line}: {why}", path.display())]
    Bad {
        path: PathBuf,
        line: usize,
        why: String,
    },
}

impl Resume {
    pub fn load(path: &Path) -> Result<Resume, ResumeError> {
        let io = |source| ResumeError::Io {
            path: path.to_owned(),
            source,
        };
        let reader = io::BufReader::new(File::open(path).map_err(io)?);
        // Streamed (a journal kept across cron runs grows like a log), one line ahead so
        // that the last line is known as such; no line is held beyond its bound.
        let mut lines = (crate::bounded::lines(reader, LINE_LIMIT).enumerate())
            .filter(|(_, l)| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
            .peekable();
        let mut resume = Resume::default();
        let mut attempted: HashMap<(String, String), usize> = HashMap::new();
        let mut answered = Sessions::default();
        // Lines read whole, and torn: only a journal whose one line is a torn start record
        // is known to hold nothing.
        let (mut whole, mut torn, mut torn_start) = (0usize, 0usize, false);
        while let Some((n, text)) = lines.next() {
            let text = text.map_err(io)?;
            let is_last = lines.peek().is_none();
            let bad = |why: String| ResumeError::Bad {
                path: path.to_owned(),
                line: n + 1,
                why,
            };
            let line: Line = match serde_json::from_str(&text) {
                Ok(line) => line,
                // A run killed mid-write tears its last line (a later run then starts on a
                // new one): such a line was never a whole record.
                Err(_) if is_last || !text.ends_with('}') => {
                    torn += 1;
                    torn_start = torn_start || is_start_prefix(&text);
                    continue;
                }
                Err(e) => return Err(bad(format!("not a journal record: {e}"))),
            };
            whole += 1;
            match line.kind.as_str() {
                "start" => {
                    if line.journal != Some(VERSION) {
                        let version = match line.journal {
                            Some(v) => format!("journal version {v}"),
                            None => "no journal version".to_owned(),
                        };
                        return Err(bad(format!(
                            "{version}; this sessionctl reads version {VERSION}"
                        )));
                    }
                    let job = line
                        .job
                        .ok_or_else(|| bad("a start without its job".into()))?;
                    if line.resumes.is_empty() {
                        // A new job: a journal kept across cron runs holds many; a resume
                        // continues the last one (and its resumes) only.
                        resume = Resume::default();
                        attempted.clear();
                        answered = Sessions::default();
                    } else if !resume.job.as_ref().is_some_and(|j| j.resumed_by(&job)) {
                        return Err(bad("a resume of another job".into()));
                    }
                    resume.job = Some(job);
                    resume.runs.extend(line.run_id);
                }
                _ if resume.job.is_none() => {
                    return Err(bad(
                        "not a sessionctl journal (no start record first)".into()
                    ));
                }
                "attempt" => {
                    if let (Some(profile), Some(id)) = (line.profile, line.id) {
                        let next = attempted.len();
                        attempted.entry((profile, id)).or_insert(next);
                    }
                }
                "result" => {
                    let (Some(id), Some(outcome)) = (line.id, line.outcome) else {
                        return Err(bad("a result without id or outcome".into()));
                    };
                    // Never sent (skipped), abandoned in flight, or failed: sent again. (A
                    // failure may be a timeout whose outcome is unknown; ending and deleting
                    // again is safe.)
                    let profile = line.profile.unwrap_or_default();
                    if !matches!(outcome, Outcome::Skipped | Outcome::Failed) && !line.abandoned {
                        resume.done.insert(profile.clone(), id.clone());
                    }
                    answered.insert(profile, id);
                }
                _ => {}
            }
        }
        // Nothing but a torn start record (a run killed while it wrote it, before any request
        // could go out): nothing was attempted, and a resume starts afresh.
        if whole == 0 && torn == 1 && torn_start {
            return Ok(Resume::default());
        }
        if resume.job.is_none() {
            return Err(ResumeError::Bad {
                path: path.to_owned(),
                line: 1,
                why: "not a sessionctl journal (no start record)".into(),
            });
        }
        let mut pending: Vec<((String, String), usize)> = attempted
            .into_iter()
            .filter(|((profile, id), _)| !resume.done.contains(profile, id))
            .collect();
        pending.sort_by_key(|(_, order)| *order);
        resume.pending = pending.into_iter().map(|(key, _)| key).collect();
        for (profile, id) in &resume.pending {
            resume.pending_set.insert(profile.clone(), id.clone());
            if !answered.contains(profile, id) {
                resume.unanswered.insert(profile.clone(), id.clone());
            }
        }
        Ok(resume)
    }

    /// True when `(profile, id)` already has its outcome.
    pub fn is_done(&self, profile: &str, id: &str) -> bool {
        self.done.contains(profile, id)
    }

    /// True when `(profile, id)` was attempted without an outcome: it is sent again.
    pub fn is_pending(&self, profile: &str, id: &str) -> bool {
        self.pending_set.contains(profile, id)
    }

    /// True when `(profile, id)`'s request went out and no reply was ever recorded: a 404
    /// now is most likely that request's doing.
    pub fn was_unanswered(&self, profile: &str, id: &str) -> bool {
        self.unanswered.contains(profile, id)
    }

    pub fn done_count(&self) -> usize {
        self.done.len()
    }

    /// How many sessions of `profile` a resumed run sends: those attempted without an
    /// outcome, and those of `ids` with neither.
    pub fn to_send<'a>(&self, profile: &str, ids: impl Iterator<Item = &'a str>) -> usize {
        let pending = self.pending_set.0.get(profile).map_or(0, HashSet::len);
        let new = ids
            .filter(|id| !self.is_pending(profile, id) && !self.is_done(profile, id))
            .collect::<HashSet<_>>()
            .len();
        pending + new
    }

    /// Sessions attempted without an outcome: the first to send again.
    pub fn pending(&self) -> &[(String, String)] {
        &self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(profile: &str, id: &str, outcome: Outcome) -> SessionResult {
        let mut r = SessionResult::new(id, outcome);
        r.profile = Some(profile.into());
        r
    }

    fn job() -> Job {
        Job {
            action: "end".into(),
            dry_run: None,
            profiles: vec!["p".into()],
            selectors: Vec::new(),
            input: None,
        }
    }

    #[tokio::test]
    async fn a_journal_reads_back_into_done_pending_and_new() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ndjson");
        let mut j = Journal::open(&path, "run-1", &job(), &[]).unwrap();
        let ids: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        j.attempts().record("p", &ids).unwrap();
        j.result(None, &result("p", "a", Outcome::Ended)).unwrap();
        j.result(None, &result("p", "b", Outcome::Skipped)).unwrap();
        // A failure (say a timeout) is no known outcome either: sent again.
        j.result(None, &result("p", "d", Outcome::Failed)).unwrap();
        drop(j); // killed: no end record
        // A torn last line, as `kill -9` mid-write leaves.
        let mut f = File::options().append(true).open(&path).unwrap();
        f.write_all(br#"{"type":"result","run_id":"run-1","id":"c","outc"#)
            .unwrap();
        let r = Resume::load(&path).unwrap();
        assert_eq!(r.job, Some(job()));
        assert_eq!(r.runs, ["run-1"]);
        assert!(r.is_done("p", "a"));
        assert!(!r.is_done("p", "b") && !r.is_done("p", "c") && !r.is_done("p", "d"));
        let key = |id: &str| ("p".to_owned(), id.to_owned());
        assert_eq!(r.pending(), [key("b"), key("c"), key("d")]);
        // Only c never heard back: b was never sent, d's outcome is a failure on record.
        assert!(r.was_unanswered("p", "c"));
        assert!(!r.was_unanswered("p", "b") && !r.was_unanswered("p", "d"));
        // A resumed run appends on a fresh line.
        let mut j = Journal::open(&path, "run-2", &job(), &r.runs).unwrap();
        j.result(None, &result("p", "c", Outcome::AlreadyEnded))
            .unwrap();
        j.finish(&Summary::default(), Duration::from_secs(1), 0)
            .unwrap();
        let r = Resume::load(&path).unwrap();
        assert_eq!(r.runs, ["run-1", "run-2"]);
        assert!(r.is_done("p", "c"));
        assert_eq!(r.pending(), [key("b"), key("d")]);
    }

    #[tokio::test]
    async fn another_job_or_version_or_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ndjson");
        std::fs::write(
            &path,
            "{\"type\":\"start\",\"journal\":2,\"run_id\":\"x\"}\n",
        )
        .unwrap();
        let e = Resume::load(&path).unwrap_err().to_string();
        assert!(
            e.ends_with("journal version 2; this sessionctl reads version 1"),
            "{e}"
        );
        std::fs::write(&path, "hello\n{\"a\":1}\n").unwrap();
        let e = Resume::load(&path).unwrap_err().to_string();
        assert!(e.contains("not a sessionctl journal"), "{e}");
        std::fs::remove_file(&path).unwrap();
        let first = Journal::open(&path, "r1", &job(), &[]).unwrap();
        first.attempts().record("p", &["a".into()]).unwrap();
        drop(first);
        let other = Job {
            action: "delete".into(),
            ..job()
        };
        // A new job in the same file (a journal kept across cron runs): only it counts.
        Journal::open(&path, "r2", &other, &[]).unwrap();
        let r = Resume::load(&path).unwrap();
        assert_eq!(r.job.as_ref(), Some(&other));
        assert_eq!(r.runs, ["r2"]);
        assert!(
            r.pending().is_empty(),
            "r1's attempt belongs to another job"
        );
        // A resume must continue the job it names.
        Journal::open(&path, "r3", &job(), &["r2".into()]).unwrap();
        let e = Resume::load(&path).unwrap_err().to_string();
        assert!(e.contains("another job"), "{e}");
    }
}
