//! The test harness itself: an emulator fails the test that armed a fault, or set a rate
//! limit, that no request ever used; the `mock-server` binary's emulator never does.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use crate::common;

use common::emulator::RateLimit;
use common::{Emulator, Env, Fault, Options, Seed};

const T: &str = "2024-05-01T12:00:00Z";

/// Drops `env`; returns the panic message, if dropping it panicked.
fn dropped(env: Env) -> Option<String> {
    let payload = catch_unwind(AssertUnwindSafe(move || drop(env))).err()?;
    let message = (payload.downcast_ref::<String>().cloned())
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()));
    Some(message.unwrap_or_default())
}

/// `end <id>` on the messaging profile (its exit code does not matter here).
fn end(env: &Env, id: &str) {
    env.cmd("eliza").args(["end", id]).output().unwrap();
}

#[test]
fn an_armed_fault_no_request_hits_fails_the_test() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m-1", T));
    env.emu.fault(Fault::status(500).path("/m-1"));
    env.emu.fault(Fault::status(503).path("/never-sent"));
    end(&env, "m-1");
    let message = dropped(env).expect("an unused fault must fail the test");
    assert!(message.contains("proves nothing"), "{message}");
    assert!(message.contains("/never-sent"), "{message}");
    assert!(
        !message.contains("/m-1"),
        "a used fault was reported: {message}"
    );

    // Cleared by a reset before any request met it: still unused.
    let env = Env::new();
    env.emu.fault(Fault::status(500).path("/before-reset"));
    env.emu.reset();
    let message = dropped(env).expect("a fault cleared unused must fail the test");
    assert!(message.contains("/before-reset"), "{message}");
}

#[test]
fn a_rate_limit_no_request_reaches_fails_the_test() {
    let env = Env::new();
    env.emu
        .set_rate_limit(Some(RateLimit::fixed_window(5, Duration::from_secs(60))));
    let message = dropped(env).expect("an unused rate limit must fail the test");
    assert!(message.contains("FixedWindow"), "{message}");

    // Replaced before any request reached it: still unused.
    let env = Env::new();
    env.emu
        .set_rate_limit(Some(RateLimit::token_bucket(10.0, 2)));
    env.emu.set_rate_limit(None);
    let message = dropped(env).expect("a rate limit turned off unused must fail the test");
    assert!(message.contains("TokenBucket"), "{message}");

    // One request reached it, refused or not: used.
    let env = Env::new();
    env.emu
        .set_rate_limit(Some(RateLimit::fixed_window(5, Duration::from_secs(60))));
    end(&env, "gone");
    assert_eq!(dropped(env), None);
}

#[test]
fn optional_faults_allowed_emulators_and_the_mock_server_never_fail() {
    let env = Env::new();
    env.emu.fault(Fault::status(500).path("/maybe").optional());
    assert_eq!(dropped(env), None);

    let env = Env::new();
    env.emu.fault(Fault::status(500).path("/skipped"));
    env.emu.allow_unused_faults();
    assert_eq!(dropped(env), None);

    // What the `mock-server` binary starts: faults armed through its control API are the
    // user's business.
    let emu = Emulator::start(Options::default());
    emu.fault(Fault::status(500));
    let unused = emu.unused_faults();
    assert_eq!(unused.len(), 1, "{unused:?}");
    let dropping = catch_unwind(AssertUnwindSafe(move || drop(emu)));
    assert!(dropping.is_ok(), "the mock-server's emulator panicked");
}
