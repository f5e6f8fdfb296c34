//! The bulk runner: feeds IDs to a provider in batches, a bounded number at a time, and
//! hands each result to the output as soon as it exists.
//!
//! It holds no more than the batches in flight plus one channel's worth of input, so a
//! million IDs on stdin cost the same memory as a thousand (but for the set of IDs seen,
//! which is what lets duplicates be ended once).

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::client::tally::Tally;
use crate::ids::Item;
use crate::outcome::{Outcome, SessionResult};
use crate::provider::{Action, Provider};

/// A dry run: what it may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    /// Nothing at all.
    Client,
    /// Reads only.
    Server,
}

/// What to do with the IDs.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub action: Action,
    pub dry_run: Option<DryRun>,
    /// Batches in flight at once (requests are bounded separately, in the HTTP layer).
    pub batches_in_flight: usize,
}

/// Where the runner reports what it does: each session's result, and before any request
/// is sent, that it is about to be (for the journal).
pub trait Events {
    /// Requests for `ids` on `profile` are about to be sent. `false`: they must not be (the
    /// attempt could not be recorded, or what the run reports to can no longer be
    /// written): they are then reported `skipped`, with the reason given.
    fn attempt(&mut self, profile: &str, ids: &[String]) -> Result<(), String>;
    /// One session's result; every ID of the input gets exactly one.
    fn result(&mut self, result: SessionResult);
    /// The first interrupt came: nothing more starts, and `in_flight` sessions are being
    /// finished.
    fn stopping(&mut self, _in_flight: usize) {}
}

/// One profile a run may send to.
pub struct Target {
    pub name: String,
    pub provider: Arc<dyn Provider>,
}

/// The profiles of a run, and where each input line goes.
pub struct Targets {
    pub list: Vec<Target>,
    /// Where a line without a profile goes: the run's one profile; none with
    /// `--all-profiles`, where every line must name its profile.
    pub default: Option<usize>,
    /// Results name their profile (a run over several).
    pub tag: bool,
}

impl Targets {
    /// A run over one profile: every line goes there, unless it names another.
    pub fn one(name: String, provider: Arc<dyn Provider>, tag: bool) -> Targets {
        Targets {
            list: vec![Target { name, provider }],
            default: Some(0),
            tag,
        }
    }

    /// Where `item` goes: its profile's target, or the run's one profile for a bare ID;
    /// `None` for a line that cannot be sent here.
    pub fn target_of(&self, item: &Item) -> Option<usize> {
        match item {
            Item::Id(_) => self.default,
            Item::Routed { profile, .. } => self.list.iter().position(|t| &t.name == profile),
            Item::Invalid { .. } => None,
        }
    }

    /// Sorts a chunk's items by target, numbering each from `seq` on (its place in the
    /// input), and emits at once every line that cannot be sent.
    fn route(&self, items: Vec<Item>, seq: &mut u64, events: &mut impl Events) -> Vec<Batch> {
        let mut groups = vec![Batch::default(); self.list.len()];
        for item in items {
            let n = *seq;
            *seq += 1;
            let mut emit = |mut r: SessionResult| {
                r.seq = n;
                events.result(r)
            };
            match (self.target_of(&item), item) {
                (Some(t), Item::Id(id) | Item::Routed { id, .. }) => groups[t].push(n, id),
                (_, Item::Id(id)) => emit(SessionResult::failed(
                    id,
                    "no profile: with --all-profiles every line must be `profile<TAB>id`",
                )),
                (_, Item::Routed { profile, id }) => {
                    let mut r = SessionResult::failed(
                        id,
                        format!("profile `{profile}` is not in this run; nothing sent"),
                    );
                    r.profile = Some(profile);
                    emit(r);
                }
                (_, Item::Invalid { id, why }) => emit(SessionResult::failed(id, why)),
            }
        }
        groups
    }

    /// Tags a result with its profile when the run covers several.
    fn tagged(&self, target: usize, mut r: SessionResult) -> SessionResult {
        if self.tag {
            r.profile = Some(self.list[target].name.clone());
        }
        r
    }
}

/// IDs for one target, each with its place in the input.
#[derive(Debug, Clone, Default)]
struct Batch {
    ids: Vec<String>,
    seqs: Vec<u64>,
}

impl Batch {
    fn push(&mut self, seq: u64, id: String) {
        self.seqs.push(seq);
        self.ids.push(id);
    }

    fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Consecutive parts of at most `size` IDs.
    fn chunks(&self, size: usize) -> impl Iterator<Item = Batch> + '_ {
        (self.ids.chunks(size))
            .zip(self.seqs.chunks(size))
            .map(|(ids, seqs)| Batch {
                ids: ids.to_vec(),
                seqs: seqs.to_vec(),
            })
    }

    /// Each ID's result, in input order, numbered.
    fn each(self, mut result: impl FnMut(String) -> SessionResult) -> Vec<SessionResult> {
        (self.ids.into_iter().zip(self.seqs))
            .map(|(id, seq)| SessionResult { seq, ..result(id) })
            .collect()
    }

    /// Numbers the provider's results (one per ID, in any order) by their IDs' places.
    fn number(&self, mut results: Vec<SessionResult>) -> Vec<SessionResult> {
        let mut places: HashMap<&str, Vec<u64>> = HashMap::new();
        for (id, seq) in self.ids.iter().zip(&self.seqs).rev() {
            places.entry(id.as_str()).or_default().push(*seq);
        }
        for r in &mut results {
            if let Some(seq) = places.get_mut(r.id.as_str()).and_then(Vec::pop) {
                r.seq = seq;
            }
        }
        results
    }
}

/// After an interrupt, input that brings nothing new for this long is given up on: a
/// terminal or a pipe whose writer never closes would otherwise hold the exit forever.
const STALLED_INPUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Ctrl-C / SIGTERM, as two tokens: the first signal stops new work, the second abandons
/// the work in flight. One per process: the signals are caught from the start of `main` (see
/// [`crate::signals`]), and a signal that came before a run began stops it at once.
#[derive(Clone, Default)]
pub struct Interrupt {
    pub stop: CancellationToken,
    pub abort: CancellationToken,
}

pub use crate::signals::Signal;

impl Interrupt {
    /// The process's interrupt, its tokens kept in step with the signals received (by a
    /// task on the current runtime, started on the first call).
    pub fn install() -> Interrupt {
        static ONE: std::sync::OnceLock<Interrupt> = std::sync::OnceLock::new();
        let mut first = false;
        let interrupt = ONE.get_or_init(|| {
            first = true;
            Interrupt::default()
        });
        if first {
            tokio::spawn(follow_signals(interrupt.clone()));
        }
        interrupt.clone()
    }

    /// True once a signal came, even one the task that follows them has not seen yet (the
    /// runtime's thread may have been busy since): then `stop` is cancelled here.
    pub fn interrupted(&self) -> bool {
        if !self.stop.is_cancelled() && crate::signals::received() >= 1 {
            self.stop.cancel();
        }
        self.stop.is_cancelled()
    }

    /// The signal that stopped the run, if one did.
    pub fn signal(&self) -> Option<Signal> {
        crate::signals::first()
    }
}

/// Cancels `stop` at the first signal and `abort` at the second. Tokio's streams only wake
/// this task; the count in [`crate::signals`] says what happened (they are made before it is
/// first read, so no signal falls between the two).
async fn follow_signals(interrupt: Interrupt) {
    let Ok(mut wake) = wakeups() else {
        return; // no signal handling here: runs simply can't be interrupted
    };
    loop {
        let received = crate::signals::received();
        if received >= 1 {
            interrupt.stop.cancel();
        }
        if received >= 2 {
            interrupt.abort.cancel();
            return;
        }
        wake.next().await;
    }
}

/// A stream that yields whenever SIGINT or SIGTERM arrives.
#[cfg(unix)]
fn wakeups() -> std::io::Result<impl futures::Stream<Item = ()> + Unpin> {
    use tokio::signal::unix::{SignalKind, signal};
    let int = signal(SignalKind::interrupt())?;
    let term = signal(SignalKind::terminate())?;
    let stream = |mut s: tokio::signal::unix::Signal| {
        Box::pin(futures::stream::poll_fn(move |cx| s.poll_recv(cx)))
    };
    Ok(futures::stream::select(stream(int), stream(term)))
}

#[cfg(not(unix))]
fn wakeups() -> std::io::Result<impl futures::Stream<Item = ()> + Unpin> {
    let ctrl_c = |()| async { tokio::signal::ctrl_c().await.ok().map(|()| ((), ())) };
    Ok(Box::pin(futures::stream::unfold((), ctrl_c)))
}

/// Runs `plan` over every chunk of IDs from `input`, each sent to its target in batches
/// of that provider's size, calling `emit` once per ID. After an interruption, IDs never
/// started are emitted as `skipped`. Each result carries its ID's place in the input,
/// counted on from `seq` (so that several runs of one report number in one sequence).
pub async fn run(
    targets: &Targets,
    plan: Plan,
    mut input: mpsc::Receiver<Vec<Item>>,
    interrupt: &Interrupt,
    events: &mut impl Events,
    seq: &mut u64,
) {
    let mut in_flight = FuturesUnordered::new();
    // Sessions in the batches in flight, for the notice at the first interrupt.
    let mut sessions_in_flight = 0;
    let mut input_done = false;
    loop {
        let stopping = interrupt.interrupted();
        if in_flight.is_empty() && (input_done || stopping) {
            break;
        }
        let room = !stopping && !input_done && in_flight.len() < plan.batches_in_flight;
        tokio::select! {
            biased;
            _ = interrupt.stop.cancelled(), if !stopping => events.stopping(sessions_in_flight),
            Some((target, results)) = in_flight.next(), if !in_flight.is_empty() => {
                let results: Vec<SessionResult> = results;
                sessions_in_flight = sessions_in_flight.saturating_sub(results.len());
                results.into_iter().for_each(|r| events.result(targets.tagged(target, r)));
            }
            chunk = input.recv(), if room => match chunk {
                None => input_done = true,
                Some(items) => {
                    for (target, ids) in targets.route(items, seq, events).into_iter().enumerate() {
                        if ids.is_empty() {
                            continue;
                        }
                        if plan.dry_run == Some(DryRun::Client) {
                            let would = crate::provider::would(plan.action);
                            let results = ids.each(|id| SessionResult::new(id, would));
                            results.into_iter().for_each(|r| events.result(targets.tagged(target, r)));
                            continue;
                        }
                        let Target { name, provider } = &targets.list[target];
                        for batch in ids.chunks(provider.batch_size(plan.action)) {
                            // A signal since the loop began: nothing starts after it.
                            if interrupt.interrupted() {
                                let results = batch.each(|id| SessionResult::new(id, Outcome::Skipped));
                                results.into_iter().for_each(|r| events.result(targets.tagged(target, r)));
                                continue;
                            }
                            // Reads (a server dry run) change nothing: no attempt to record.
                            let recorded = match plan.dry_run {
                                None => events.attempt(name, &batch.ids),
                                Some(_) => Ok(()),
                            };
                            if let Err(why) = recorded {
                                let results = batch.each(|id| SessionResult::new(id, Outcome::Skipped)
                                    .with_error(why.clone()));
                                results.into_iter().for_each(|r| events.result(targets.tagged(target, r)));
                                continue;
                            }
                            let work = Work { provider: provider.clone(), action: plan.action, probe: plan.dry_run.is_some() };
                            sessions_in_flight += batch.ids.len();
                            in_flight.push(start(target, work, batch, interrupt.abort.clone()));
                        }
                    }
                }
            },
            else => break,
        }
    }
    // Whatever is still queued, or still unread, was never started. The input is read on
    // for as long as it keeps coming, so that a script can re-run exactly the skipped IDs
    // of a file; a pipe whose writer holds it open must not keep a stopped run alive.
    loop {
        let next = tokio::time::timeout(STALLED_INPUT, input.recv());
        let Some(items) = next.await.ok().flatten() else {
            break;
        };
        for (target, ids) in targets.route(items, seq, events).into_iter().enumerate() {
            for r in ids.each(|id| SessionResult::new(id, Outcome::Skipped)) {
                events.result(targets.tagged(target, r));
            }
        }
    }
}

/// What one batch does: act, or (a server dry run) only read.
struct Work {
    provider: Arc<dyn Provider>,
    action: Action,
    probe: bool,
}

/// One batch, abandoned (and reported as such) if a second interrupt comes first.
async fn start(
    target: usize,
    work: Work,
    batch: Batch,
    abort: CancellationToken,
) -> (usize, Vec<SessionResult>) {
    // What the batch sends is counted, for the sessions a second interrupt abandons.
    let tally = Arc::new(Tally::default());
    let call = tally.count(async {
        if work.probe {
            work.provider.probe(work.action, batch.ids.clone()).await
        } else {
            work.provider.apply(work.action, batch.ids.clone()).await
        }
    });
    let results = tokio::select! {
        results = call => {
            debug_assert_eq!(results.len(), batch.ids.len(), "one result per ID");
            batch.number(results)
        }
        _ = abort.cancelled() => batch.each(|id| SessionResult {
            abandoned: true,
            attempts: tally.attempts(&id),
            ..SessionResult::failed(id, "abandoned by a second interrupt; outcome unknown")
        }),
    };
    (target, results)
}
