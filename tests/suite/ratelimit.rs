//! Rate limits against the emulator: each header style paces the run, a 429 never fails a
//! session nor spends `retries`, a wait longer than the run's deadline turns the rest into
//! `skipped`, and a Zep v4 409 is retried under its idempotency key.

use crate::common;

use std::time::{Duration, Instant};

use common::emulator::{HeaderStyle, RateLimit};
use common::{Env, Fault, Seed, outcomes_once, result_of};
use serde_json::Value;

const OLD: &str = "2026-01-01T00:00:00.000Z";

fn seed(env: &Env, prefix: &str, n: usize) -> Vec<String> {
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}-{i:03}")).collect();
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, OLD)));
    ids
}

/// A messaging profile with `extra` keys; `retries = 0` so that any failure to pace shows.
fn profile(env: &Env, name: &str, extra: &str) {
    env.add_profile(
        name,
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\ntimeout = \"5s\"\nretries = 0\n{extra}",
            env.emu.messaging_url()
        ),
    );
}

fn end_many(env: &Env, profile: &str, ids: &[String], extra: &[&str]) -> (Value, i32, Duration) {
    let mut args = vec!["end-many"];
    if !extra.contains(&"--concurrency") {
        args.extend(["--concurrency", "8"]);
    }
    args.extend_from_slice(extra);
    args.extend(ids.iter().map(String::as_str));
    let started = Instant::now();
    let (doc, code) = env.json(profile, &args);
    (doc, code, started.elapsed())
}

fn all_ended(doc: &Value, ids: &[String]) {
    let outcomes = outcomes_once(doc);
    assert_eq!(outcomes.len(), ids.len(), "{doc:#}");
    assert!(outcomes.values().all(|o| o == "ended"), "{doc:#}");
}

/// A fixed window of 10 requests per 2 s: 30 IDs need 3 windows. With the window in the
/// headers, the run spreads what is left over the time to the reset and is never answered
/// 429 (or at most twice, by requests that crossed a reset).
fn paced_by_headers(style: HeaderStyle) {
    let env = Env::new();
    profile(&env, "limited", "");
    let ids = seed(&env, "w", 30);
    env.emu.set_rate_limit(Some(
        RateLimit::fixed_window(10, Duration::from_secs(2)).headers(style),
    ));
    let (doc, code, took) = end_many(&env, "limited", &ids, &[]);
    assert_eq!(code, 0, "{doc:#}");
    all_ended(&doc, &ids);
    let limited = env.emu.rate_limited_count();
    // At most a request or two that a loaded machine delays across a reset, into the next
    // window.
    assert!(limited <= 2, "{style:?}: {limited} requests answered 429");
    // Three windows, each spread to its reset. Resets come in whole seconds (X-RateLimit's
    // is a unix time, rounded up), so each may be read up to a second late: at most 3 × 3 s.
    assert!(
        took >= Duration::from_millis(3500),
        "{style:?}: took {took:?}"
    );
    assert!(
        took < Duration::from_millis(9500),
        "{style:?}: took {took:?}"
    );
}

#[test]
fn draft6_headers_pace_the_run_into_the_window() {
    paced_by_headers(HeaderStyle::Draft6);
}

#[test]
fn x_ratelimit_headers_pace_the_run_into_the_window() {
    paced_by_headers(HeaderStyle::XRateLimit);
}

#[test]
fn without_headers_429s_teach_the_rate_and_never_fail_a_session() {
    let env = Env::new();
    // retries = 0: every 429 that spent a retry would fail its session.
    profile(&env, "blind", "");
    let ids = seed(&env, "b", 150);
    env.emu.set_rate_limit(Some(
        RateLimit::token_bucket(100.0, 10).headers(HeaderStyle::None),
    ));
    let (doc, code, took) = end_many(&env, "blind", &ids, &["--concurrency", "16"]);
    assert_eq!(code, 0, "{doc:#}");
    all_ended(&doc, &ids);
    let limited = env.emu.rate_limited_count();
    assert!(
        limited > 0,
        "the bucket was never hit: the test proves nothing"
    );
    // The learned rate holds the 429s to a small share of what was sent, learning included
    // (on 3000 IDs the benchmark shows under 2%).
    assert!(
        limited * 5 < env.emu.requests().len(),
        "{limited} of {} requests answered 429",
        env.emu.requests().len()
    );
    // 140 IDs over the burst at 100/s: 1.4 s at the limit; well under 2× that.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    // A 429 spends no retry: the sessions that met one were still ended, in more attempts.
    let retried = ids
        .iter()
        .filter(|id| result_of(&doc, id)["attempts"].as_u64() > Some(1))
        .count();
    assert!(retried > 0, "{doc:#}");
}

#[test]
fn a_window_of_minutes_past_the_deadline_skips_the_rest_and_says_when() {
    let env = Env::new();
    profile(&env, "window", "");
    let ids = seed(&env, "m", 12);
    // 5 per 10 minutes: the first 5 end, the rest would wait minutes.
    env.emu
        .set_rate_limit(Some(RateLimit::fixed_window(5, Duration::from_secs(600))));
    let (doc, code, took) = end_many(&env, "window", &ids, &["--deadline", "2s"]);
    assert_eq!(code, 1, "sessions left unsent are exit 1: {doc:#}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let outcomes = outcomes_once(&doc);
    let ended = outcomes.values().filter(|o| *o == "ended").count();
    let skipped: Vec<&String> = outcomes
        .iter()
        .filter(|(_, o)| *o == "skipped")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ended, 5, "{doc:#}");
    assert_eq!(skipped.len(), 7, "{doc:#}");
    assert_eq!(
        env.emu.messaging_count(),
        7,
        "the skipped ones were not done"
    );
    for id in skipped {
        let error = result_of(&doc, id)["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("rate limited by provider") && error.contains("deadline"),
            "{id}: {error}"
        );
        assert!(
            ["window resets in", "asked to wait"]
                .iter()
                .any(|what| error.contains(&format!("{what} 9 minutes"))
                    || error.contains(&format!("{what} 10 minutes"))),
            "says when the provider accepts requests again: {error}"
        );
    }
}

#[test]
fn a_profile_deadline_bounds_the_run_and_the_flag_overrides_it() {
    let env = Env::new();
    profile(&env, "bounded", "deadline = \"1s\"\n");
    env.emu.seed(Seed::messaging("d-1", OLD));
    env.emu.fault(
        Fault::status(429)
            .retry_after("20")
            .times(1)
            .method("DELETE"),
    );
    let (doc, code, took) = end_many(&env, "bounded", &["d-1".into()], &[]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(result_of(&doc, "d-1")["outcome"], "skipped", "{doc:#}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    // `--deadline` wins over the profile's: with 30 s the 2 s wait is simply waited out.
    env.emu.fault(
        Fault::status(429)
            .retry_after("2")
            .times(1)
            .method("DELETE"),
    );
    let (doc, code, took) = end_many(&env, "bounded", &["d-1".into()], &["--deadline", "30s"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "d-1")["outcome"], "ended", "{doc:#}");
    assert!(took >= Duration::from_millis(1900), "took {took:?}");
}

#[test]
fn a_zep_v4_delete_answered_409_is_retried_with_the_same_key() {
    let env = Env::new();
    env.emu
        .seed(Seed::from(common::emulator::threads::ThreadSeed {
            thread_id: "c-1".into(),
            uuid: "00000000-0000-4000-8000-000000000001".into(),
            user_id: "user-1".into(),
            created_at: OLD.into(),
            updated_at: None,
            delete_fails: false,
        }));
    env.emu.fault(
        Fault::status(409)
            .times(1)
            .method("DELETE")
            .path("/threads/"),
    );
    let (doc, code) = env.json("zep4", &["delete", "--yes", "c-1"]);
    assert_eq!(code, 0, "{doc:#}");
    let r = result_of(&doc, "c-1");
    assert_eq!(r["outcome"], "accepted", "{doc:#}");
    assert_eq!(r["attempts"], 2);
    let keys: Vec<String> = env
        .emu
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.header("idempotency-key").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(!keys[0].is_empty() && keys[0] == keys[1], "{keys:?}");
}

#[test]
fn a_409_elsewhere_is_an_answer_not_retried() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("x-1", OLD));
    env.emu.fault(Fault::status(409).times(1).method("DELETE"));
    let (doc, code) = env.json("eliza", &["end", "x-1"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(result_of(&doc, "x-1")["attempts"], 1, "{doc:#}");
    assert_eq!(env.emu.messaging_count(), 1);
}

/// A messaging profile that retries errors (the harness's `profile` never does).
fn retrying(env: &Env, name: &str) {
    env.add_profile(
        name,
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}\"\ntimeout = \"5s\"\nretries = 2\nmax_backoff = \"100ms\"",
            env.emu.messaging_url()
        ),
    );
}

#[test]
fn a_429_not_waited_out_after_an_error_is_rate_limited_and_says_what_that_error_was() {
    // After a 500 the server has said what became of it: `skipped`, as for the 429 alone.
    // After a lost reply it may have been applied: unknown, so `failed` (never "nothing
    // was done"), and the note says why.
    for (first, said, outcome) in [
        (Fault::status(500), "was answered 500", "skipped"),
        (
            Fault::drop_after_apply(),
            "lost its reply: it may have been applied",
            "failed",
        ),
    ] {
        let env = Env::new();
        retrying(&env, "again");
        env.emu.seed(Seed::messaging("e-1", OLD));
        env.emu.fault(first.times(1).method("DELETE"));
        env.emu.fault(
            Fault::status(429)
                .retry_after("20")
                .times(1)
                .method("DELETE"),
        );
        let (doc, code, took) = end_many(&env, "again", &["e-1".into()], &["--deadline", "2s"]);
        assert_eq!(code, 1, "{doc:#}");
        let r = result_of(&doc, "e-1");
        // Not a 429 the server answered the session with: a rate limit not waited out, and
        // what the earlier try met.
        assert_eq!(r["outcome"], outcome, "{said}: {r}");
        assert!(r["status"].is_null(), "{said}: {r}");
        assert_eq!(r["error_kind"], "rate_limited", "{said}: {r}");
        let note = r["note"].as_str().unwrap_or_default();
        assert!(note.contains(said), "{r}");
        assert!(took < Duration::from_secs(10), "took {took:?}");
    }
}

/// A session answered 429 whose next try would pass the deadline was sent once: it is "not
/// sent again", never "not sent", with the attempt it took.
#[test]
fn a_rate_limited_session_given_up_at_the_deadline_says_it_was_sent_once() {
    let env = Env::new();
    retrying(&env, "again");
    env.emu.seed(Seed::messaging("e-1", OLD));
    env.emu.fault(
        Fault::status(429)
            .retry_after("20")
            .times(1)
            .method("DELETE"),
    );
    let (doc, code, _) = end_many(&env, "again", &["e-1".into()], &["--deadline", "2s"]);
    assert_eq!(code, 1, "{doc:#}");
    let r = result_of(&doc, "e-1");
    assert_eq!(
        (&r["outcome"], &r["attempts"]),
        (&"skipped".into(), &1.into()),
        "{r}"
    );
    let error = r["error"].as_str().unwrap();
    assert!(error.starts_with("not sent again: rate limited"), "{error}");
    assert!(env.emu.messaging_exists("e-1"));
}

#[test]
fn a_deadline_past_a_retry_of_a_connection_that_failed_is_not_a_rate_limit() {
    let env = Env::new();
    // Nothing listens there: every try fails to connect, and the back-off passes the deadline.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    env.add_profile(
        "nowhere",
        &format!(
            "provider = \"messaging\"\nbase_url = \"http://127.0.0.1:{port}\"\nretries = 3\nmax_backoff = \"30s\""
        ),
    );
    let (doc, code) = env.json("nowhere", &["end", "n-1", "--deadline", "1s"]);
    assert_eq!(code, 1, "{doc:#}");
    let r = result_of(&doc, "n-1");
    assert_ne!(r["error_kind"], "rate_limited", "{r}");
    let error = r["error"].as_str().unwrap();
    assert!(!error.contains("rate limit"), "{r}");
    // When it would have tried again, in words, and why it stopped.
    assert!(
        error.contains("the next try was due in ") && error.ends_with("; past the run's deadline"),
        "{r}"
    );
}

#[test]
fn an_interrupt_while_waiting_out_a_429_is_rate_limited() {
    let env = Env::new();
    retrying(&env, "again");
    env.emu.seed(Seed::messaging("i-1", OLD));
    env.emu
        .fault(Fault::status(429).retry_after("20").method("DELETE"));
    let child = env
        .std_cmd("again")
        .args(["-o", "json", "end", "i-1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.emu.requests().is_empty() {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: kill(2) on the PID of the child this test spawned.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let out = child.wait_with_output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = result_of(&doc, "i-1");
    assert_eq!(r["outcome"], "skipped", "{r}");
    assert_eq!(r["error_kind"], "rate_limited", "{r}");
    assert!(r["note"].is_null(), "{r}");
}

/// A 429 that asks for no wait at all (`Retry-After: 0`, or a date already past) must not
/// turn the run into a flood: each request still backs off, exponentially, so that 3 IDs
/// under a server that always answers so send a handful of requests in 3 s, not thousands.
#[test]
fn a_429_asking_for_no_wait_still_backs_off() {
    let past = httpdate::fmt_http_date(std::time::SystemTime::UNIX_EPOCH);
    for hint in ["0", past.as_str()] {
        let env = Env::new();
        profile(&env, "flooded", "");
        let ids = seed(&env, "f", 3);
        env.emu.fault(Fault::status(429).retry_after(hint));
        let (doc, code, _) = end_many(&env, "flooded", &ids, &["--deadline", "3s"]);
        assert_eq!(code, 1, "{hint}: {doc:#}");
        let outcomes = outcomes_once(&doc);
        assert!(outcomes.values().all(|o| o == "skipped"), "{hint}: {doc:#}");
        // Blind back-off from 0.25–0.5 s, doubling: about 4 attempts each in 3 s.
        let sent = env.emu.requests().len();
        assert!(
            (3..=8 * ids.len()).contains(&sent),
            "{hint}: {sent} requests for {} IDs in 3 s",
            ids.len()
        );
    }
}

/// One request in ten answered 429 (`Retry-After: 1`) at random, its neighbours served: that
/// is no rate limit, and must not cut the run's rate (cut after cut, 10% random 429s once
/// held a run to about 70 requests a minute). Counted in the pacer's own log: each cut says
/// "rate limited: pacing at".
#[test]
fn random_429s_among_successes_do_not_cut_the_rate() {
    let env = Env::new();
    profile(&env, "noisy", "");
    let ids = seed(&env, "r", 200);
    env.emu
        .fault(Fault::status(429).retry_after("1").probability(0.1));
    let mut args = vec!["-vv", "-o", "json", "end-many", "--concurrency", "8"];
    args.extend(["--deadline", "60s"]);
    args.extend(ids.iter().map(String::as_str));
    let (code, out, err) = common::run(env.cmd("noisy").args(&args));
    assert_eq!(code, 0, "{out}");
    all_ended(&serde_json::from_str(&out).unwrap(), &ids);
    let limited = env.emu.requests().len() - ids.len();
    assert!(limited >= 5, "only {limited} 429s: the test proves nothing");
    let cuts = err.matches("rate limited: pacing at").count();
    assert!(cuts <= 2, "{cuts} cuts for {limited} random 429s:\n{err}");
}

/// A limit in the default (`native`) style: each API's replies carry the headers the real
/// one sends: elizaOS's draft-6 `RateLimit-*`, Zep's `X-RateLimit-*` (v2 and v4), and none
/// from an API whose headers are not documented (Digital Samba here).
#[test]
fn each_api_announces_a_limit_in_its_own_headers() {
    let env = Env::new();
    env.emu
        .set_rate_limit(Some(RateLimit::token_bucket(1000.0, 100)));
    let zep = format!("Authorization: Api-Key {}", common::emulator::zep::ZEP_KEY);
    let samba = format!(
        "Authorization: Bearer {}",
        common::emulator::samba::SAMBA_KEY
    );
    for (path, auth, draft6, x) in [
        ("/api/messaging/sessions", None, true, false),
        ("/zep/api/v2/sessions-ordered", Some(&zep), false, true),
        ("/zep/api/v4/threads", Some(&zep), false, true),
        ("/samba/api/v1/sessions", Some(&samba), false, false),
    ] {
        let auth: Vec<&str> = auth.map(String::as_str).into_iter().collect();
        let (status, head, _) = common::raw_http(&env.emu, "GET", path, &auth);
        assert_eq!(status, 200, "{path}: {head}");
        assert_eq!(
            head.contains("\nratelimit-limit: "),
            draft6,
            "{path}: {head}"
        );
        assert_eq!(head.contains("\nx-ratelimit-limit: "), x, "{path}: {head}");
    }
}
