//! Counting the requests a piece of work sends, for work given up on before it can say:
//! a second Ctrl-C abandons a batch in flight, whose results then never come back, yet how
//! often each of its sessions was tried is still known here.
//!
//! The count travels with the task (a task-local), so no provider has to pass it along:
//! [`Tally::count`] opens it around a batch, [`for_key`] gives one ID of the batch its own
//! slot (`provider::each` does), and the HTTP layer counts every attempt it sends.
//!
//! The same place records, once per session, that a request that may change it is going
//! out ([`Tally::recording`]): the HTTP layer asks right before it writes the request, after
//! every pacing and rate-limit wait, so that the journal's attempt is true.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

tokio::task_local! {
    static CURRENT: Scope;
}

/// Where an attempt sent from the current task is counted.
#[derive(Clone)]
struct Scope {
    tally: Arc<Tally>,
    /// The ID the work is for; `None` for work on the whole batch (a bulk call, a lookup).
    key: Option<Arc<str>>,
}

/// Records that requests for these sessions are being sent now; `false`: that could not be
/// recorded, and the request must not go out.
pub type OnSend = Arc<dyn Fn(&[String]) -> bool + Send + Sync>;

/// The attempts one batch has sent.
#[derive(Default)]
pub struct Tally {
    counts: Mutex<Counts>,
    /// The batch's IDs and where their first changing request is recorded.
    record: Option<(Vec<String>, OnSend)>,
}

#[derive(Debug, Default)]
struct Counts {
    /// Requests for the whole batch.
    shared: u32,
    /// Requests for one ID.
    each: HashMap<Arc<str>, u32>,
    /// IDs whose sending is recorded already.
    recorded: HashSet<String>,
}

impl Tally {
    /// A tally for the batch `ids` that also records, through `on_send`, each ID's first
    /// request that may change it.
    pub fn recording(ids: Vec<String>, on_send: OnSend) -> Tally {
        Tally {
            counts: Mutex::default(),
            record: Some((ids, on_send)),
        }
    }

    /// Runs `work`, counting here every attempt it sends.
    pub async fn count<F: Future>(self: &Arc<Self>, work: F) -> F::Output {
        let scope = Scope {
            tally: self.clone(),
            key: None,
        };
        CURRENT.scope(scope, work).await
    }

    /// The requests sent on `key`'s behalf: its own and those for the whole batch.
    pub fn attempts(&self, key: &str) -> u32 {
        let counts = self.counts.lock().expect("never poisoned");
        counts.shared + counts.each.get(key).copied().unwrap_or(0)
    }

    /// Counts an attempt on `key`'s behalf (the whole batch's: `None`) and, for one that
    /// `changes` sessions, records the ones not recorded yet. False: recording failed, and
    /// the attempt must not be sent.
    fn add(&self, key: Option<&Arc<str>>, changes: bool) -> bool {
        let mut counts = self.counts.lock().expect("never poisoned");
        match key {
            Some(key) => *counts.each.entry(key.clone()).or_default() += 1,
            None => counts.shared += 1,
        }
        let Some((ids, on_send)) = self.record.as_ref().filter(|_| changes) else {
            return true;
        };
        let fresh: Vec<String> = match key {
            Some(key) => vec![key.to_string()],
            None => ids.clone(),
        };
        let fresh: Vec<String> = (fresh.into_iter())
            .filter(|id| counts.recorded.insert(id.clone()))
            .collect();
        if fresh.is_empty() || on_send(&fresh) {
            return true;
        }
        // Not sent after all: a later attempt must try to record them again.
        fresh.iter().for_each(|id| {
            counts.recorded.remove(id);
        });
        false
    }
}

/// Runs `work` for `key` alone, within the batch being counted (if one is).
pub async fn for_key<F: Future>(key: &str, work: F) -> F::Output {
    match CURRENT.try_with(|s| s.tally.clone()) {
        Ok(tally) => {
            let scope = Scope {
                tally,
                key: Some(key.into()),
            };
            CURRENT.scope(scope, work).await
        }
        Err(_) => work.await,
    }
}

/// An attempt is about to be sent from the current task; `changes`: it may change the
/// sessions it is for (not a read). False: its sending could not be recorded, so it must
/// not be sent.
pub(crate) fn attempt(changes: bool) -> bool {
    CURRENT
        .try_with(|s| s.tally.add(s.key.as_ref(), changes))
        .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn attempts_count_per_id_and_for_the_whole_batch() {
        let tally = Arc::new(Tally::default());
        tally
            .count(async {
                attempt(false); // a lookup for the batch
                for_key("a", async {
                    attempt(true);
                    attempt(true);
                })
                .await;
                for_key("b", async { attempt(true) }).await;
            })
            .await;
        assert_eq!(tally.attempts("a"), 3);
        assert_eq!(tally.attempts("b"), 2);
        assert_eq!(tally.attempts("c"), 1);
        attempt(true); // outside any batch: counted nowhere
        for_key("a", async { attempt(true) }).await;
        assert_eq!(tally.attempts("a"), 3);
    }

    #[tokio::test]
    async fn each_session_is_recorded_once_by_its_first_changing_request() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let on_send: OnSend = {
            let (log, fail) = (log.clone(), fail.clone());
            Arc::new(move |ids: &[String]| {
                log.lock().unwrap().push(ids.to_vec());
                !fail.load(std::sync::atomic::Ordering::Relaxed)
            })
        };
        let ids = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let tally = Arc::new(Tally::recording(ids, on_send));
        tally
            .count(async {
                assert!(attempt(false), "a read records nothing");
                assert!(for_key("a", async { attempt(true) }).await);
                assert!(for_key("a", async { attempt(true) }).await, "a retry");
                fail.store(true, std::sync::atomic::Ordering::Relaxed);
                assert!(!attempt(true), "the batch: b and c, unrecordable");
                fail.store(false, std::sync::atomic::Ordering::Relaxed);
                assert!(attempt(true), "tried again");
            })
            .await;
        let log = log.lock().unwrap().clone();
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            log,
            [strings(&["a"]), strings(&["b", "c"]), strings(&["b", "c"])]
        );
    }
}
