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

use crate::client::pacer::Holds;
use crate::client::tally::{OnSend, Tally};
use crate::ids::{Item, SessionId};
use crate::outcome::{Outcome, SessionResult};
use crate::provider::{Action, Provider};

/// A dry run: what it may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    /// Nothing at all.
    Client,
    /// Reads only.
    Server,
    /// `apply --dry-run`, and `--plan` of IDs given: reads only what judging the sessions
    /// again (or the protect list) needs, and says what a client dry run says where a server
    /// one would probe (its providers are built so), so that it shows what would still
    /// happen.
    Recheck,
}

/// What to do with the IDs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub action: Action,
    pub dry_run: Option<DryRun>,
    /// Batches in flight at once (requests are bounded separately, in the HTTP layer).
    pub batches_in_flight: usize,
    /// When no session has finished for this long, the run stops itself (`--max-stall`).
    pub max_stall: Option<Stall>,
}

/// The bound on a run that makes no progress: a provider that answers 429 forever, or
/// holds every request back, must not keep a run (and its server's lock) alive for ever.
#[derive(Debug, Clone)]
pub struct Stall {
    pub after: std::time::Duration,
    /// What the provider last said, for the reason the skipped sessions carry.
    pub holds: Holds,
}

impl Stall {
    /// Returns, with the reason, once the provider has answered nothing but 429s (or
    /// nothing at all) for the bound since `since`: a listing that cannot get its pages
    /// must end too, since no session can finish before it does.
    pub async fn listing(&self, since: tokio::time::Instant) -> String {
        loop {
            let last = self.holds.last_answered().map_or(since, |a| a.max(since));
            let at = last + self.after;
            if tokio::time::Instant::now() >= at {
                return self.reason();
            }
            tokio::time::sleep_until(at).await;
        }
    }

    /// `no progress for 30 minutes: rate limited by provider: 0 left, window resets in 12 minutes`
    fn reason(&self) -> String {
        let said = (self.holds.describe(tokio::time::Instant::now()))
            .or_else(|| self.holds.last_said())
            .unwrap_or_else(|| "no session finished".into());
        let after = crate::units::human(self.after);
        format!("no progress for {after}: {said}")
    }
}

/// Where the runner reports what it does: each session's result, and where the sending of
/// each request is recorded (for the journal).
pub trait Events {
    /// What records, right before a request that may change sessions of `profile` goes out
    /// (after every pacing and rate-limit wait), that it does; `None`: nothing records it.
    fn recorder(&mut self, profile: &str) -> Option<OnSend>;
    /// Why nothing more may be sent, if so: what the run reports to can no longer be
    /// written (stdout on a full disk). The batches not started yet are then `skipped`,
    /// with the reason given.
    fn blocked(&mut self) -> Option<String> {
        None
    }
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
    ids: Vec<SessionId>,
    seqs: Vec<u64>,
}

impl Batch {
    fn push(&mut self, seq: u64, id: SessionId) {
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
    fn each(self, mut result: impl FnMut(SessionId) -> SessionResult) -> Vec<SessionResult> {
        (self.ids.into_iter().zip(self.seqs))
            .map(|(id, seq)| SessionResult { seq, ..result(id) })
            .collect()
    }

    /// Numbers the provider's results (one per ID, in any order) by their IDs' places, and
    /// holds the provider to "exactly one result per ID" in every build: an ID it gave no
    /// result for is `failed` (it may or may not have been acted on), and a result for an
    /// ID the batch did not hold, or a second one for an ID, is dropped with a warning.
    fn number(self, results: Vec<SessionResult>) -> Vec<SessionResult> {
        let mut places: HashMap<&str, Vec<u64>> = HashMap::new();
        for (id, seq) in self.ids.iter().zip(&self.seqs).rev() {
            places.entry(id.as_str()).or_default().push(*seq);
        }
        let mut numbered = Vec::with_capacity(self.ids.len());
        for mut r in results {
            match places.get_mut(r.id.as_str()).and_then(Vec::pop) {
                Some(seq) => {
                    r.seq = seq;
                    numbered.push(r);
                }
                None => tracing::warn!(
                    "the provider gave a result the batch did not ask for, dropped: `{}` {}",
                    r.id.escape_default(),
                    r.outcome.as_str()
                ),
            }
        }
        let missing: Vec<(String, u64)> = (places.into_iter())
            .flat_map(|(id, seqs)| seqs.into_iter().map(move |seq| (id.to_owned(), seq)))
            .collect();
        for (id, seq) in missing {
            numbered.push(SessionResult {
                seq,
                ..SessionResult::failed(
                    id,
                    "the provider returned no result for this session; it may or may not have been acted on",
                )
            });
        }
        numbered
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
    /// Why the run stopped itself, if it did: no session finished for `--max-stall`.
    stalled: Arc<std::sync::OnceLock<String>>,
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

    /// A signal stopped the run (exit 130/143), even one the task that follows them has
    /// not seen yet (the runtime's thread may have been busy since): then `stop` is
    /// cancelled here. A run that stopped itself ([`Interrupt::stall`]) was not interrupted:
    /// its skipped sessions make it exit 1.
    pub fn interrupted(&self) -> bool {
        let signalled = crate::signals::received() >= 1;
        if signalled && !self.stop.is_cancelled() {
            self.stop.cancel();
        }
        signalled
    }

    /// Nothing more starts: a signal came, or the run stalled.
    pub fn stopping(&self) -> bool {
        self.interrupted();
        self.stop.is_cancelled()
    }

    /// Stops the run as the first signal would (waits end, nothing more is sent), because
    /// it made no progress; `why` is what every session left over is skipped with.
    pub fn stall(&self, why: String) {
        let _ = self.stalled.set(why);
        self.stop.cancel();
    }

    /// Why the run stopped itself, if it did.
    pub fn stalled(&self) -> Option<&str> {
        self.stalled.get().map(String::as_str)
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
    // Since when no session has finished while some were in flight (`--max-stall`).
    let mut progress = tokio::time::Instant::now();
    let stall_after = plan.max_stall.as_ref().map(|s| s.after);
    let mut events = Stalled { events, interrupt };
    let events = &mut events;
    // Reads (a server dry run) change nothing: no attempt to record.
    let recorders: Vec<Option<OnSend>> = (targets.list.iter())
        .map(|t| {
            plan.dry_run
                .is_none()
                .then(|| events.recorder(&t.name))
                .flatten()
        })
        .collect();
    let mut halt = crate::outcome::Halt::new(targets.list.len());
    loop {
        let stopping = interrupt.stopping();
        if in_flight.is_empty() && (input_done || stopping) {
            break;
        }
        let room = !stopping && !input_done && in_flight.len() < plan.batches_in_flight;
        if in_flight.is_empty() {
            progress = tokio::time::Instant::now(); // waiting for input is not a stall
        }
        let stalls_at = progress + stall_after.unwrap_or_default();
        tokio::select! {
            biased;
            _ = interrupt.stop.cancelled(), if !stopping => events.stopping(sessions_in_flight),
            Some((target, results)) = in_flight.next(), if !in_flight.is_empty() => {
                let results: Vec<SessionResult> = results;
                sessions_in_flight = sessions_in_flight.saturating_sub(results.len());
                progress = tokio::time::Instant::now();
                results.into_iter().for_each(|r| {
                    halt.see(target, &r);
                    events.result(targets.tagged(target, r));
                });
            }
            _ = tokio::time::sleep_until(stalls_at), if stall_after.is_some() && !stopping && !in_flight.is_empty() => {
                let stall = plan.max_stall.as_ref().expect("armed only with a bound");
                interrupt.stall(stall.reason());
            }
            chunk = input.recv(), if room => match chunk {
                None => input_done = true,
                Some(items) => {
                    for (target, ids) in targets.route(items, seq, events).into_iter().enumerate() {
                        if ids.is_empty() {
                            continue;
                        }
                        if let Some(why) = halt.why(target) {
                            let results = ids.each(|id| SessionResult::new(id, Outcome::Skipped).with_error(why));
                            results.into_iter().for_each(|r| events.result(targets.tagged(target, r)));
                            continue;
                        }
                        let provider = &targets.list[target].provider;
                        if plan.dry_run == Some(DryRun::Client) {
                            let said = provider.dry(plan.action, ids.ids.clone());
                            let results = ids.number(said);
                            results.into_iter().for_each(|r| events.result(targets.tagged(target, r)));
                            continue;
                        }
                        for batch in ids.chunks(provider.ids_per_call(plan.action)) {
                            // A signal since the loop began: nothing starts after it.
                            if interrupt.interrupted() {
                                let results = batch.each(|id| SessionResult::new(id, Outcome::Skipped));
                                results.into_iter().for_each(|r| events.result(targets.tagged(target, r)));
                                continue;
                            }
                            if let Some(why) = events.blocked() {
                                let results = batch.each(|id| SessionResult::new(id, Outcome::Skipped)
                                    .with_error(why.clone()));
                                results.into_iter().for_each(|r| events.result(targets.tagged(target, r)));
                                continue;
                            }
                            let work = Work {
                                provider: provider.clone(),
                                action: plan.action,
                                probe: plan.dry_run.is_some(),
                                record: recorders[target].clone(),
                            };
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

/// The runner's events, with what a stall leaves over said: every session skipped after
/// the run stopped itself carries the stall's reason (what the provider last said), not
/// the interrupt's wording.
struct Stalled<'a, E: Events> {
    events: &'a mut E,
    interrupt: &'a Interrupt,
}

impl<E: Events> Events for Stalled<'_, E> {
    fn recorder(&mut self, profile: &str) -> Option<OnSend> {
        self.events.recorder(profile)
    }

    fn blocked(&mut self) -> Option<String> {
        self.events.blocked()
    }

    fn result(&mut self, mut result: SessionResult) {
        if let (Outcome::Skipped, Some(why), false) = (
            result.outcome,
            self.interrupt.stalled(),
            self.interrupt.interrupted(),
        ) {
            result.error = Some(why.to_owned());
            result.error_kind = Some(crate::outcome::ErrorKind::Stalled);
        }
        self.events.result(result);
    }

    fn stopping(&mut self, in_flight: usize) {
        self.events.stopping(in_flight);
    }
}

/// What one batch does: act, or (a server dry run) only read.
struct Work {
    provider: Arc<dyn Provider>,
    action: Action,
    probe: bool,
    /// Where its requests' sending is recorded, as each goes out.
    record: Option<OnSend>,
}

/// One batch, abandoned (and reported as such) if a second interrupt comes first.
async fn start(
    target: usize,
    work: Work,
    batch: Batch,
    abort: CancellationToken,
) -> (usize, Vec<SessionResult>) {
    // What the batch sends is counted, for the sessions a second interrupt abandons, and
    // recorded as it goes out.
    let tally = Arc::new(match work.record {
        Some(on_send) => {
            Tally::recording(batch.ids.iter().map(|id| id.to_string()).collect(), on_send)
        }
        None => Tally::default(),
    });
    let call = tally.count(async {
        if work.probe {
            work.provider.probe(work.action, batch.ids.clone()).await
        } else {
            work.provider.apply(work.action, batch.ids.clone()).await
        }
    });
    let results = tokio::select! {
        results = call => batch.number(results),
        _ = abort.cancelled() => batch.each(|id| SessionResult {
            abandoned: true,
            attempts: tally.attempts(&id),
            ..SessionResult::failed(id, "abandoned by a second interrupt; outcome unknown")
        }),
    };
    (target, results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{ListError, Page};

    /// A provider that answers only for the first ID of a batch, and once for an ID it
    /// was never given.
    struct Forgetful;

    #[async_trait::async_trait]
    impl Provider for Forgetful {
        fn ids_per_call(&self, _: Action) -> usize {
            10
        }

        async fn apply(&self, _: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
            let first = ids.into_iter().next().expect("a batch");
            vec![
                SessionResult::new(first, Outcome::Ended),
                SessionResult::new("never-asked", Outcome::Ended),
            ]
        }

        async fn probe(&self, _: Action, _: Vec<SessionId>) -> Vec<SessionResult> {
            unreachable!("no dry run here")
        }

        async fn list_page(
            &self,
            _: Option<String>,
            _: bool,
            _: Option<&crate::select::ServerFilter>,
        ) -> Result<Page, ListError> {
            unreachable!("no listing here")
        }
    }

    #[derive(Default)]
    struct Collect(Vec<SessionResult>);

    impl Events for Collect {
        fn recorder(&mut self, _: &str) -> Option<OnSend> {
            None
        }
        fn result(&mut self, result: SessionResult) {
            self.0.push(result);
        }
    }

    /// "Exactly one result per ID" holds in a release build too: an ID the provider gave
    /// no result for is `failed` with why, in its place, and a result for an ID it was
    /// never given is dropped.
    #[tokio::test]
    async fn every_id_gets_exactly_one_result_whatever_the_provider_returns() {
        let targets = Targets::one("p".into(), Arc::new(Forgetful), false);
        let plan = Plan {
            action: Action::End,
            dry_run: None,
            batches_in_flight: 1,
            max_stall: None,
        };
        let (tx, rx) = mpsc::channel(1);
        let ids = ["a", "b", "c"].map(|id| Item::Id(SessionId::new(id).unwrap()));
        tx.send(ids.to_vec()).await.unwrap();
        drop(tx);
        let mut events = Collect::default();
        run(
            &targets,
            plan,
            rx,
            &Interrupt::default(),
            &mut events,
            &mut 0,
        )
        .await;
        let mut got: Vec<(u64, &str, &str)> = (events.0.iter())
            .map(|r| (r.seq, r.id.as_str(), r.outcome.as_str()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [(0, "a", "ended"), (1, "b", "failed"), (2, "c", "failed")]
        );
        let why = events.0.iter().find(|r| r.id == "b").unwrap();
        assert!(
            why.error
                .as_deref()
                .unwrap_or_default()
                .contains("no result"),
            "{why:?}"
        );
    }
}
