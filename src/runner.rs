//! The bulk runner: feeds IDs to a provider in batches, a bounded number at a time, and
//! hands each result to the output as soon as it exists.
//!
//! It holds no more than the batches in flight plus one channel's worth of input, so a
//! million IDs on stdin cost the same memory as a thousand (but for the set of IDs seen,
//! which is what lets duplicates be ended once).

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::ids::Item;
use crate::outcome::{Outcome, SessionResult};
use crate::provider::{Action, Provider};

/// What to do with the IDs.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub action: Action,
    pub dry_run: bool,
    /// Batches in flight at once (requests are bounded separately, in the HTTP layer).
    pub batches_in_flight: usize,
}

/// After a second interrupt, input that brings nothing new for this long is given up on:
/// a terminal or a pipe whose writer never closes would otherwise hold the exit forever.
const STALLED_INPUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Ctrl-C / SIGTERM, as two tokens: the first signal stops new work, the second abandons
/// the work in flight.
#[derive(Clone, Default)]
pub struct Interrupt {
    pub stop: CancellationToken,
    pub abort: CancellationToken,
}

impl Interrupt {
    /// Listens for SIGINT and SIGTERM for the rest of the process.
    pub fn install() -> Interrupt {
        let interrupt = Interrupt::default();
        let signals = interrupt.clone();
        tokio::spawn(async move {
            for token in [&signals.stop, &signals.abort] {
                if wait_for_signal().await.is_err() {
                    return; // no signal handling here: runs simply can't be interrupted
                }
                token.cancel();
            }
        });
        interrupt
    }

    pub fn interrupted(&self) -> bool {
        self.stop.is_cancelled()
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}

/// Runs `plan` over every chunk of IDs from `input`, calling `emit` once per ID. After an
/// interruption, IDs never started are emitted as `skipped`.
pub async fn run(
    provider: Arc<dyn Provider>,
    plan: Plan,
    mut input: mpsc::Receiver<Vec<Item>>,
    interrupt: &Interrupt,
    mut emit: impl FnMut(SessionResult),
) {
    let mut in_flight = FuturesUnordered::new();
    let mut input_done = false;
    loop {
        let stopping = interrupt.interrupted();
        if in_flight.is_empty() && (input_done || stopping) {
            break;
        }
        let room = !stopping && !input_done && in_flight.len() < plan.batches_in_flight;
        tokio::select! {
            biased;
            _ = interrupt.stop.cancelled(), if !stopping => {}
            Some(results) = in_flight.next(), if !in_flight.is_empty() => {
                let results: Vec<SessionResult> = results;
                results.into_iter().for_each(&mut emit);
            }
            chunk = input.recv(), if room => match chunk {
                None => input_done = true,
                Some(items) => {
                    let ids = report_invalid(items, &mut emit);
                    if plan.dry_run {
                        let would = match plan.action {
                            Action::End => Outcome::WouldEnd,
                            Action::Delete => Outcome::WouldDelete,
                        };
                        ids.into_iter().for_each(|id| emit(SessionResult::new(id, would)));
                    } else if !ids.is_empty() {
                        in_flight.push(start(provider.clone(), plan.action, ids, interrupt.abort.clone()));
                    }
                }
            },
            else => break,
        }
    }
    // Whatever is still queued, or still unread, was never started. The input is read to
    // its end so that a script can re-run exactly the skipped IDs; after a second
    // interrupt, only for as long as it keeps coming.
    loop {
        let ready = tokio::select! {
            biased;
            items = input.recv() => Some(items),
            _ = interrupt.abort.cancelled() => None,
        };
        let items = match ready {
            Some(items) => items,
            None => tokio::time::timeout(STALLED_INPUT, input.recv())
                .await
                .ok()
                .flatten(),
        };
        let Some(items) = items else { break };
        for id in report_invalid(items, &mut emit) {
            emit(SessionResult::new(id, Outcome::Skipped));
        }
    }
}

/// Emits refused lines as failures and returns the IDs that may be sent.
fn report_invalid(items: Vec<Item>, emit: &mut impl FnMut(SessionResult)) -> Vec<String> {
    items
        .into_iter()
        .filter_map(|item| match item {
            Item::Id(id) => Some(id),
            Item::Invalid { id, why } => {
                emit(SessionResult::failed(id, why));
                None
            }
        })
        .collect()
}

/// One batch, abandoned (and reported as such) if a second interrupt comes first.
async fn start(
    provider: Arc<dyn Provider>,
    action: Action,
    ids: Vec<String>,
    abort: CancellationToken,
) -> Vec<SessionResult> {
    tokio::select! {
        results = provider.apply(action, ids.clone()) => {
            debug_assert_eq!(results.len(), ids.len(), "one result per ID");
            results
        }
        _ = abort.cancelled() => ids
            .into_iter()
            .map(|id| SessionResult::failed(id, "abandoned by a second interrupt; outcome unknown"))
            .collect(),
    }
}
