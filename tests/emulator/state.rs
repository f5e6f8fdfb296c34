//! Everything the emulator remembers, in one struct behind one mutex (see
//! [`super::Shared::lock`]): each API's tables, the armed faults, the rate limiter and the
//! request log.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::time::Instant;

use super::model::Recorded;
use super::seed::Seed;
use super::{faults, ratelimit};

#[derive(Default)]
pub(crate) struct State {
    /// Each API's records, one table per type: see [`State::table`].
    tables: HashMap<TypeId, Box<dyn Any + Send>>,
    pub faults: faults::Armed,
    pub log: Vec<Recorded>,
    /// The rate limit, when one is on. It sits under the same lock as the log, so a request
    /// is recorded and counted against the limit in one step. Replace it with
    /// [`State::set_limiter`].
    pub limiter: Option<ratelimit::Limiter>,
    /// Whether a request has reached the current `limiter`.
    pub limiter_used: bool,
    /// Faults and rate limits that were never used, from before a [`State::reset`] or a
    /// change of the rate limit (see [`State::unused`]).
    pub unused_earlier: Vec<String>,
    /// How many requests the limiter refused (429).
    pub rate_limited: usize,
    /// Bumped by [`State::reset`]; background work started before a reset compares it and
    /// gives up, so a pending v4 task cannot delete a thread seeded after the reset.
    pub generation: u64,
}

impl State {
    /// The table of type `T`, empty until first used. Each API module owns the types of its
    /// tables (APIs that share records, as Zep v3 and v4 share threads, share the type), so
    /// this struct names none of them.
    pub fn table<T: Default + Send + 'static>(&mut self) -> &mut T {
        (self.tables.entry(TypeId::of::<T>()))
            .or_insert_with(|| Box::new(T::default()))
            .downcast_mut()
            .expect("a table is stored under its own type")
    }

    /// Adds one record to its table, replacing one with the same ID; `Err` for a record that
    /// names another that is not there (see [`super::seed::Record::apply`]).
    pub fn seed(&mut self, seed: Seed) -> Result<(), String> {
        seed.apply(self)
    }

    /// Forgets every record, fault and logged request, and the refusal count. A rate limit
    /// stays on (like the options), but starts over: a full bucket, no window yet. What was
    /// never used is still remembered (it is the same test's setup).
    pub fn reset(&mut self) {
        let limiter = (self.limiter.as_ref())
            .map(|limiter| ratelimit::Limiter::new(limiter.config(), Instant::now()));
        let mut unused_earlier = std::mem::take(&mut self.unused_earlier);
        unused_earlier.extend(self.faults.unused());
        *self = State {
            generation: self.generation + 1,
            limiter,
            limiter_used: self.limiter_used,
            unused_earlier,
            ..State::default()
        };
    }

    /// Turns the rate limit on, replaces it or turns it off; a limit that no request ever
    /// reached is remembered as unused.
    pub fn set_limiter(&mut self, limiter: Option<ratelimit::Limiter>) {
        self.unused_earlier.extend(self.unused_limiter());
        self.limiter = limiter;
        self.limiter_used = false;
    }

    /// What a test set up and never exercised: armed faults no request hit (optional ones
    /// aside) and rate limits no request reached, in the order they were set up.
    pub fn unused(&self) -> Vec<String> {
        let mut unused = self.unused_earlier.clone();
        unused.extend(self.faults.unused());
        unused.extend(self.unused_limiter());
        unused
    }

    fn unused_limiter(&self) -> Option<String> {
        let limiter = self.limiter.as_ref().filter(|_| !self.limiter_used)?;
        Some(format!(
            "{:?} (no request ever reached it)",
            limiter.config()
        ))
    }
}
