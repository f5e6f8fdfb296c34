//! Demo data for people trying sessionctl against the `mock-server` binary: something
//! stale and something fresh for every API, relative to the moment it starts, so
//! `list --idle-for 1h` and friends have work to show. Each API seeds its own
//! ([`super::api::Api::demo`]), in [`super::APIS`] order; what each holds is in its
//! module's `demo` and in the README. Records with metadata carry an `env` ([`env`], for
//! `--where`).

use jiff::{SignedDuration, Timestamp};

use super::seed::Seed;

pub(crate) fn seeds(now: Timestamp) -> Vec<Seed> {
    (super::APIS.iter()).flat_map(|api| api.demo(now)).collect()
}

/// `minutes` before `now`.
pub(crate) fn ago(now: Timestamp, minutes: i64) -> Timestamp {
    now - SignedDuration::from_mins(minutes)
}

/// The `env` of the `n`th demo record, to try `--where metadata.env=staging` on: odd ones
/// are staging.
pub(crate) fn env(n: u32) -> serde_json::Value {
    let env = if n % 2 == 1 { "staging" } else { "prod" };
    serde_json::json!({ "env": env })
}
