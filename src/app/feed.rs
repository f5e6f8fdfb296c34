//! Feeding a run: where IDs come from (arguments, a file, stdin, a sweep), what a resumed
//! run drops or sends again, reading ahead to check the caps, and streaming them through the
//! runner into the report.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::io::BufReader;
use tokio::sync::mpsc;

use super::limits::Caps;
use super::plan::Input;
use super::{AppError, usage};
use crate::ids::{self, Dedup, Item, SessionId};
use crate::journal::Resume;
use crate::outcome::SessionResult;
use crate::provider::Action;
use crate::report::Report;
use crate::runner::{self, Interrupt, Plan, Targets};

/// IDs are read in large gulps: a chunk is sent early whenever the buffer runs dry, so a
/// big buffer keeps Zep's bulk batches full when reading a file or a fast pipe.
const READ_BUFFER: usize = 64 * 1024;

type Reader = tokio::task::JoinHandle<std::io::Result<()>>;

/// Starts reading `input` (a file or stdin, in its own task) into chunks of `chunk` items;
/// in a resumed run, through [`Resumed`].
async fn spawn_reader(
    input: Input,
    chunk: usize,
    targets: &Targets,
    tx: mpsc::Sender<Vec<Item>>,
    resumed: Option<&Resumed>,
) -> Result<Reader, AppError> {
    let home = targets.default.map(|t| targets.list[t].name.clone());
    let Some(resumed) = resumed.cloned() else {
        return spawn_input(input, chunk, home, tx).await;
    };
    let (inner, mut read) = mpsc::channel(4);
    let reader = spawn_input(input, chunk, home, inner).await?;
    Ok(tokio::spawn(async move {
        for part in resumed.first().chunks(chunk) {
            if tx.send(part.to_vec()).await.is_err() {
                reader.abort();
                return Ok(());
            }
        }
        while let Some(items) = read.recv().await {
            let kept: Vec<Item> = items.into_iter().filter(|i| resumed.keep(i)).collect();
            if !kept.is_empty() && tx.send(kept).await.is_err() {
                reader.abort();
                return Ok(());
            }
        }
        reader.await.expect("the ID reader does not panic")
    }))
}

/// `home`: the run's one profile, if it has only one.
async fn spawn_input(
    input: Input,
    chunk: usize,
    home: Option<String>,
    tx: mpsc::Sender<Vec<Item>>,
) -> Result<Reader, AppError> {
    Ok(match input {
        Input::Stdin => tokio::spawn(ids::stream_lines(
            BufReader::with_capacity(READ_BUFFER, tokio::io::stdin()),
            chunk,
            home,
            tx,
        )),
        Input::File(path) => {
            let file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
            tokio::spawn(ids::stream_lines(
                BufReader::with_capacity(READ_BUFFER, file),
                chunk,
                home,
                tx,
            ))
        }
        Input::Items(items) => tokio::spawn(send_chunks(items, chunk, tx)),
    })
}

/// What every part of one run shares: what the runner is to do (a sweep changes its
/// batches in flight and stall bound per profile), and the run's interrupt.
pub(super) struct Execution<'a> {
    pub(super) runner: Plan,
    pub(super) interrupt: &'a Interrupt,
    /// The next input place: a sweep runs once per profile, numbered in one sequence.
    pub(super) seq: std::cell::Cell<u64>,
    /// `-q`: no notices.
    pub(super) quiet: bool,
}

impl Execution<'_> {
    /// Streams `input` through the runner into `report`; `reasons` says why a sweep picked
    /// each of its sessions.
    pub(super) async fn execute(
        &self,
        targets: &Targets,
        input: Input,
        reasons: HashMap<String, String>,
        resumed: Option<&Resumed>,
        report: &mut Report,
    ) -> Result<(), AppError> {
        let batch = (targets.list.iter())
            .map(|t| t.provider.ids_per_call(self.runner.action))
            .max()
            .unwrap_or(1);
        let (tx, rx) = mpsc::channel(self.runner.batches_in_flight.max(2));
        let reader = spawn_reader(input, batch, targets, tx, resumed).await?;
        let plan = self.runner.clone();
        let mut events = Events {
            report,
            reasons,
            quiet: self.quiet,
            interrupt: self.interrupt,
        };
        let mut seq = self.seq.get();
        runner::run(targets, plan, rx, self.interrupt, &mut events, &mut seq).await;
        self.seq.set(seq);
        if self.interrupt.stopping() {
            // The runner stopped reading; the reader may be blocked on a pipe held open.
            reader.abort();
            return Ok(());
        }
        reader
            .await
            .expect("the ID reader does not panic")
            .map_err(AppError::Input)?;
        Ok(())
    }
}

/// The runner's events, into the report, with each swept session's reason.
struct Events<'a> {
    report: &'a mut Report,
    reasons: HashMap<String, String>,
    /// `-q`: no notices.
    quiet: bool,
    interrupt: &'a Interrupt,
}

impl runner::Events for Events<'_> {
    fn recorder(&mut self, profile: &str) -> Option<crate::client::tally::OnSend> {
        self.report.recorder(profile)
    }

    fn blocked(&mut self) -> Option<String> {
        self.report.blocked()
    }

    fn result(&mut self, mut r: SessionResult) {
        // Why the sweep picked it, unless a re-check before acting said what it measured
        // since (that is what the verdict was made on).
        let picked = self.reasons.remove(&r.id).filter(|r| !r.is_empty());
        if r.reason.is_none() {
            r.reason = picked;
        }
        self.report.result(r);
    }

    fn stopping(&mut self, in_flight: usize) {
        if self.quiet || in_flight == 0 {
            return;
        }
        let sessions = match in_flight {
            1 => "1 session".to_owned(),
            n => format!("{n} sessions"),
        };
        let (what, again) = match (self.interrupt.signal(), self.interrupt.stalled()) {
            (Some(runner::Signal::Terminate), _) => ("terminated", "a second signal abandons them"),
            (None, Some(why)) => (why, "Ctrl-C to abandon them"),
            _ => ("interrupted", "Ctrl-C again to abandon them"),
        };
        self.report.notice(&format!(
            "sessionctl: {what}: finishing {sessions} in flight; {again}"
        ));
    }
}

/// A resumed run's view of its input: sessions attempted without an outcome come first,
/// sessions with one are dropped.
#[derive(Clone)]
pub(super) struct Resumed {
    resume: Arc<Resume>,
    /// The run's one profile, for bare IDs.
    default: Option<String>,
    /// Profiles this part of the run sends to.
    names: Vec<String>,
}

impl Resumed {
    pub(super) fn new(resume: Arc<Resume>, targets: &Targets) -> Resumed {
        Resumed {
            default: targets.default.map(|t| targets.list[t].name.clone()),
            names: targets.list.iter().map(|t| t.name.clone()).collect(),
            resume,
        }
    }

    /// The sessions to send again, routed to their profiles. (A journal's ID is checked
    /// again like any other: the file may have been edited.)
    pub(super) fn first(&self) -> Vec<Item> {
        (self.resume.pending().iter())
            .filter(|(profile, _)| self.names.contains(profile))
            .map(|(profile, id)| match SessionId::new(id.as_str()) {
                Ok(id) => Item::Routed {
                    profile: profile.clone(),
                    id,
                },
                Err(why) => Item::Invalid {
                    id: id.escape_default().to_string(),
                    why,
                },
            })
            .collect()
    }

    /// False for a session already done, or already sent again by [`Resumed::first`].
    pub(super) fn keep(&self, item: &Item) -> bool {
        let (profile, id) = match item {
            Item::Id(id) => (self.default.as_deref(), id),
            Item::Routed { profile, id } => (Some(profile.as_str()), id),
            Item::Invalid { .. } => return true,
        };
        let Some(profile) = profile else { return true };
        !self.resume.is_done(profile, id) && !self.resume.is_pending(profile, id)
    }
}

/// Items already in memory, deduplicated and chunked like a stream would be.
async fn send_chunks(
    items: Vec<Item>,
    chunk: usize,
    tx: mpsc::Sender<Vec<Item>>,
) -> std::io::Result<()> {
    let mut seen = Dedup::default();
    let unique: Vec<Item> = items
        .into_iter()
        .filter(|item| seen.first_time(&item.key()))
        .collect();
    for part in unique.chunks(chunk) {
        if tx.send(part.to_vec()).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// Reads IDs until the input ends or a cap is broken, before anything is sent: a run that
/// would act on more than it may sends nothing. Only what is held is at most a cap (+1).
pub(super) async fn read_ahead(
    input: Input,
    targets: &Targets,
    caps: &Caps,
    action: Action,
    resumed: Option<&Resumed>,
    stop: &tokio_util::sync::CancellationToken,
) -> Result<Input, AppError> {
    // Arguments and a file end of their own: over a cap, they are counted to the end, so
    // that the refusal says how many; stdin may stay open, so it is not waited for.
    let ends = !matches!(input, Input::Stdin);
    let (tx, mut rx) = mpsc::channel(4);
    let reader = spawn_reader(input, 256, targets, tx, resumed).await?;
    let mut counts = vec![0u64; targets.list.len()];
    let mut held = Vec::new();
    let names: Vec<&str> = targets.list.iter().map(|t| t.name.as_str()).collect();
    loop {
        // Input held open (a terminal, a pipe) must not keep a stopped run alive.
        let items = tokio::select! {
            items = rx.recv() => items,
            _ = stop.cancelled() => {
                reader.abort();
                return Err(AppError::Interrupted);
            }
        };
        let Some(items) = items else { break };
        for t in items.iter().filter_map(|item| targets.target_of(item)) {
            counts[t] += 1;
        }
        held.extend(items);
        if let Err(over) = caps.check(&counts, &names, action, false) {
            if !ends {
                reader.abort();
                return Err(over);
            }
            drop(held);
            while let Some(items) = tokio::select! {
                items = rx.recv() => items,
                _ = stop.cancelled() => {
                    reader.abort();
                    return Err(AppError::Interrupted);
                }
            } {
                for t in items.iter().filter_map(|item| targets.target_of(item)) {
                    counts[t] += 1;
                }
            }
            return Err(caps
                .check(&counts, &names, action, true)
                .err()
                .unwrap_or(over));
        }
    }
    reader
        .await
        .expect("the ID reader does not panic")
        .map_err(AppError::Input)?;
    Ok(Input::Items(held))
}
