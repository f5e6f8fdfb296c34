//! Counting the requests a piece of work sends, for work given up on before it can say:
//! a second Ctrl-C abandons a batch in flight, whose results then never come back, yet how
//! often each of its sessions was tried is still known here.
//!
//! The count travels with the task (a task-local), so no provider has to pass it along:
//! [`Tally::count`] opens it around a batch, [`for_key`] gives one ID of the batch its own
//! slot (`provider::each` does), and the HTTP layer counts every attempt it sends.

use std::collections::HashMap;
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

/// The attempts one batch has sent.
#[derive(Debug, Default)]
pub struct Tally {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    /// Requests for the whole batch.
    shared: u32,
    /// Requests for one ID.
    each: HashMap<Arc<str>, u32>,
}

impl Tally {
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

    fn add(&self, key: Option<&Arc<str>>) {
        let mut counts = self.counts.lock().expect("never poisoned");
        match key {
            Some(key) => *counts.each.entry(key.clone()).or_default() += 1,
            None => counts.shared += 1,
        }
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

/// An attempt is about to be sent from the current task.
pub(crate) fn attempt() {
    let _ = CURRENT.try_with(|s| s.tally.add(s.key.as_ref()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn attempts_count_per_id_and_for_the_whole_batch() {
        let tally = Arc::new(Tally::default());
        tally
            .count(async {
                attempt(); // a lookup for the batch
                for_key("a", async {
                    attempt();
                    attempt();
                })
                .await;
                for_key("b", async { attempt() }).await;
            })
            .await;
        assert_eq!(tally.attempts("a"), 3);
        assert_eq!(tally.attempts("b"), 2);
        assert_eq!(tally.attempts("c"), 1);
        attempt(); // outside any batch: counted nowhere
        for_key("a", async { attempt() }).await;
        assert_eq!(tally.attempts("a"), 3);
    }
}
