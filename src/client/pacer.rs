//! When the next request to one provider may start: pacing to the provider's rate limit
//! without being told it, so that a run neither bursts into 429s nor stalls after them.
//!
//! Three sources, strongest first: what the server's headers say (`RateLimit-*` draft 6/7,
//! `X-RateLimit-*`), a run-wide pause the server asked for (a long `Retry-After`, an
//! exhausted window), and, without headers, a rate learned from 429s (cut to just under
//! the rate the server was admitting, then probed upwards while requests succeed, as the
//! AWS SDKs' adaptive mode does). Only a limit being hit sets the rate: a few 429s among
//! successes (a server that refuses at random, or one request crossing a window) cut a rate
//! already learned no lower than that limit, and learn none, since cutting for each would
//! ratchet the rate down without end. `--rate` / `rate` is a ceiling over all of them.
//! This file knows nothing of providers or profiles.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// A `Retry-After` longer than this is a window to wait out, for the whole run; a shorter
/// one (a token bucket's "one more token in a moment") only delays the request that got it,
/// while the learned rate keeps the rest just under the limit.
const RUN_WIDE_PAUSE: Duration = Duration::from_secs(2);
/// After a cut, 429s from requests already in flight say nothing new.
const CUT_QUIET: Duration = Duration::from_millis(500);
/// How far back successes count towards the admitted rate.
const ADMITTED_WINDOW: Duration = Duration::from_secs(1);
/// A cut lands this far under the rate the server was admitting.
const CUT_TO: f64 = 0.9;
/// Each success raises the learned rate by this share of a request per second.
const PROBE_STEP: f64 = 0.02;
/// The learned rate never falls below this (requests per second).
const MIN_RATE: f64 = 0.01;
/// A limit is being hit when the 429s of the last [`ADMITTED_WINDOW`] are at least this
/// many and at least [`LIMITED_SHARE`] of its replies; fewer are sporadic.
const LIMITED_MIN: usize = 3;
const LIMITED_SHARE: f64 = 0.25;

/// The pacing state of one run against one provider.
pub struct Pacer {
    /// Requests per second at most (`--rate`, the profile's `rate`).
    ceiling: Option<f64>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The earliest start of the next request, and what holds it back until then.
    next: Option<(Instant, Hold)>,
    /// Nobody starts before this: the server asked the whole run to wait.
    paused_until: Option<Instant>,
    /// The server's own account of its window, from the latest reply that had one.
    window: Option<Window>,
    /// Requests per second learned from 429s; `None` until the first one.
    learned: Option<f64>,
    /// What the last cut for a limit being hit set: a sporadic 429 cuts no lower, so random
    /// refusals cannot ratchet the rate below the limit the server showed.
    floor: f64,
    last_cut: Option<Instant>,
    /// When recent successful replies came, to estimate the admitted rate.
    successes: VecDeque<Instant>,
    /// When recent 429s came, to tell a limit being hit from sporadic refusals.
    refusals: VecDeque<Instant>,
    first_reply: Option<Instant>,
    /// Requests started and not yet answered: a reply's remainder does not count them yet.
    outstanding: u32,
}

/// What the headers said: `remaining` requests until `reset`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Window {
    remaining: f64,
    reset: Instant,
}

/// What the pacer tells a caller who is waiting for its turn.
#[derive(Debug, Clone, PartialEq)]
pub enum Wait {
    /// Start now.
    Go,
    /// Start at this instant; the hold says what keeps it back, for progress and logs.
    Until(Instant, Hold),
}

/// Why a request waits for its turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hold {
    /// The server's window has no requests left until its reset.
    Window,
    /// The server asked the whole run to wait (a long `Retry-After`).
    Asked,
    /// Spread out to stay under the limit: the ceiling, the learned rate or the remainder.
    Paced,
}

impl Hold {
    /// Says what holds a request back, `left` before it may start.
    pub fn describe(self, left: Duration) -> String {
        let left = crate::units::human(round_s(left));
        match self {
            Hold::Window => format!("rate limited by provider: 0 left, window resets in {left}"),
            Hold::Asked => format!("rate limited by provider: asked to wait {left}"),
            Hold::Paced => format!("paced to the provider's rate limit: next request in {left}"),
        }
    }
}

/// The longest hold of a run's requests, for a progress display to show while nothing
/// finishes, and the provider's last answer that held a request back, for the reason a
/// stalled run gives (`--max-stall`). Shared by every pacer of the run.
#[derive(Debug, Clone, Default)]
pub struct Holds {
    hold: Arc<Mutex<Option<(Instant, Hold)>>>,
    said: Arc<Mutex<Option<String>>>,
    /// When the provider last answered anything but a 429: a listing's progress.
    answered: Arc<Mutex<Option<Instant>>>,
}

impl Holds {
    /// A request waits until `until` because of `hold`.
    pub fn waiting(&self, until: Instant, hold: Hold) {
        let mut h = self.hold.lock().expect("never poisoned");
        if h.is_none_or(|(u, _)| u <= until || u <= Instant::now()) {
            *h = Some((until, hold));
        }
    }

    /// What holds the run back now, if anything still does.
    pub fn describe(&self, now: Instant) -> Option<String> {
        let h = *self.hold.lock().expect("never poisoned");
        h.filter(|(until, _)| *until > now)
            .map(|(until, hold)| hold.describe(until - now))
    }

    /// A request is being tried again because the provider answered `said`.
    pub fn said(&self, said: String) {
        *self.said.lock().expect("never poisoned") = Some(said);
    }

    /// The provider answered a request (not with a 429) at `at`.
    pub fn answered(&self, at: Instant) {
        *self.answered.lock().expect("never poisoned") = Some(at);
    }

    /// When the provider last answered anything but a 429, if it has.
    pub fn last_answered(&self) -> Option<Instant> {
        *self.answered.lock().expect("never poisoned")
    }

    /// The provider's last answer that held a request back, if one did.
    pub fn last_said(&self) -> Option<String> {
        self.said.lock().expect("never poisoned").clone()
    }
}

impl Pacer {
    pub fn new(ceiling: Option<f64>) -> Pacer {
        Pacer {
            ceiling,
            state: Mutex::new(State::default()),
        }
    }

    /// Reserves the next start: when this caller may send. Each call takes one slot.
    pub fn reserve(&self, now: Instant) -> Wait {
        let mut s = self.state.lock().expect("never poisoned");
        let (mut at, mut why) = s
            .next
            .filter(|(n, _)| *n > now)
            .unwrap_or((now, Hold::Paced));
        if let Some(p) = s.paused_until.filter(|p| *p > at) {
            at = p;
            why = Hold::Asked;
        }
        let mut spacing = self.ceiling.map_or(Duration::ZERO, per);
        if let Some(rate) = s.learned {
            spacing = spacing.max(per(rate));
        }
        if let Some(w) = s.window.as_mut() {
            if w.reset <= at {
                s.window = None; // a new window: its numbers come with the next reply
            } else if w.remaining < 1.0 {
                why = Hold::Window;
                at = w.reset;
            } else {
                // Spread what is left over the time to the reset instead of a burst.
                spacing = spacing.max((w.reset - at).div_f64(w.remaining));
                w.remaining -= 1.0;
            }
        }
        // The next caller waits for the same reason only if it starts at the same instant;
        // one spaced after the reset (or the pause) is paced, and says so: it is not the
        // window that resets later for each of them.
        let then = match spacing.is_zero() {
            true => why,
            false => Hold::Paced,
        };
        s.next = Some((at + spacing, then));
        s.outstanding += 1;
        match at > now {
            false => Wait::Go,
            true => Wait::Until(at, why),
        }
    }

    /// A reserved request that got no reply (a transport error): it no longer counts.
    pub fn forget(&self) {
        let mut s = self.state.lock().expect("never poisoned");
        s.outstanding = s.outstanding.saturating_sub(1);
    }

    /// Learns from the reply to a reserved request: its limit headers, a 429, or one more
    /// success.
    pub fn observe(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        hint: Option<Duration>,
        now: Instant,
    ) {
        let mut guard = self.state.lock().expect("never poisoned");
        let s = &mut *guard;
        s.outstanding = s.outstanding.saturating_sub(1);
        s.first_reply.get_or_insert(now);
        let window = window_from(headers, now);
        if let Some(mut w) = window {
            // The requests still in flight will spend part of what the server says is left.
            w.remaining = (w.remaining - f64::from(s.outstanding)).max(0.0);
            s.window = Some(w);
        }
        let limited = status == StatusCode::TOO_MANY_REQUESTS;
        match limited {
            true => s.refusals.push_back(now),
            false => s.successes.push_back(now),
        }
        for recent in [&mut s.successes, &mut s.refusals] {
            while recent.front().is_some_and(|t| now - *t > ADMITTED_WINDOW) {
                recent.pop_front();
            }
        }
        if !limited {
            if let Some(rate) = s.learned.as_mut() {
                *rate += PROBE_STEP;
            }
            return;
        }
        let exhausted = window.is_some_and(|w| w.remaining < 1.0);
        if let Some(d) = hint.filter(|d| *d >= RUN_WIDE_PAUSE || exhausted) {
            let until = now + d;
            s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        }
        if window.is_some() || s.last_cut.is_some_and(|c| now - c < CUT_QUIET) {
            return; // the headers pace us; or this 429 was already counted
        }
        let refused = s.refusals.len();
        let replies = refused + s.successes.len();
        // Sporadic (its neighbours succeed): no limit found yet, so nothing to cut; or a
        // probe past the one found, cut back no lower than that cut went.
        let sporadic = refused < LIMITED_MIN || (refused as f64) < LIMITED_SHARE * replies as f64;
        if sporadic && s.learned.is_none() {
            return;
        }
        let seen =
            (now - s.first_reply.unwrap_or(now)).clamp(Duration::from_millis(100), ADMITTED_WINDOW);
        // With no success to measure, there is no rate to cut to: the hint alone decides.
        let admitted =
            (!s.successes.is_empty()).then(|| s.successes.len() as f64 / seen.as_secs_f64());
        let cut = match (admitted, s.learned) {
            (Some(a), current) => (a * CUT_TO).min(current.unwrap_or(f64::INFINITY) * CUT_TO),
            (None, Some(current)) => current * CUT_TO,
            (None, None) => return,
        };
        let cut = match sporadic {
            true => cut.max(s.floor),
            false => {
                s.floor = cut;
                cut
            }
        };
        s.learned = Some(cut.max(MIN_RATE));
        s.last_cut = Some(now);
        tracing::debug!(
            "rate limited: pacing at {:.1} requests/s",
            cut.max(MIN_RATE)
        );
    }
}

fn per(rate: f64) -> Duration {
    Duration::from_secs_f64(1.0 / rate.max(MIN_RATE))
}

fn round_s(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

/// The window a reply announces, in any of the header styles providers use: draft-7/8's
/// one `RateLimit: limit=.., remaining=.., reset=..`, draft-6's `RateLimit-Remaining` and
/// `RateLimit-Reset` (seconds), or `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Zep:
/// unix seconds; a small number is read as seconds from now). Remaining may be negative.
fn window_from(headers: &HeaderMap, now: Instant) -> Option<Window> {
    let text = |name: &str| super::header(headers, name);
    let num = |v: &str| v.parse::<f64>().ok().filter(|n| n.is_finite());
    let combined = text("ratelimit").and_then(|v| {
        let field = |key: &str| {
            v.split([',', ';'])
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.trim() == key)
                .and_then(|(_, n)| num(n.trim()))
        };
        Some((field("remaining")?, field("reset")?))
    });
    let draft6 = || {
        Some((
            num(text("ratelimit-remaining")?)?,
            num(text("ratelimit-reset")?)?,
        ))
    };
    let x = || {
        Some((
            num(text("x-ratelimit-remaining")?)?,
            num(text("x-ratelimit-reset")?)?,
        ))
    };
    let (remaining, reset) = combined.or_else(draft6).or_else(x)?;
    let reset = now + super::until_reset(reset)?;
    Some(Window {
        remaining: remaining.max(0.0),
        reset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::time::SystemTime;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn every_header_style_gives_the_window() {
        let now = Instant::now();
        let want = Window {
            remaining: 5.0,
            reset: now + Duration::from_secs(10),
        };
        for h in [
            headers(&[("ratelimit-remaining", "5"), ("ratelimit-reset", "10")]),
            headers(&[("ratelimit", "limit=100, remaining=5, reset=10")]),
            headers(&[("x-ratelimit-remaining", "5"), ("x-ratelimit-reset", "10")]),
        ] {
            assert_eq!(window_from(&h, now), Some(want), "{h:?}");
        }
        let epoch = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap();
        let h = headers(&[
            ("x-ratelimit-remaining", "-3"),
            ("x-ratelimit-reset", &(epoch.as_secs() + 60).to_string()),
        ]);
        let w = window_from(&h, now).unwrap();
        assert_eq!(w.remaining, 0.0, "a negative remainder is none left");
        assert!(w.reset > now + Duration::from_secs(58));
        assert_eq!(
            window_from(&headers(&[("ratelimit-reset", "x")]), now),
            None
        );
    }

    #[test]
    fn the_remainder_is_spread_over_the_window() {
        let pacer = Pacer::new(None);
        let now = Instant::now();
        let h = headers(&[("ratelimit-remaining", "4"), ("ratelimit-reset", "8")]);
        pacer.observe(StatusCode::OK, &h, None, now);
        assert_eq!(pacer.reserve(now), Wait::Go);
        // 4 left over 8 s: one every 2 s.
        match pacer.reserve(now) {
            Wait::Until(at, _) => assert_eq!(at - now, Duration::from_secs(2)),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn an_exhausted_window_waits_for_its_reset_and_says_so() {
        let pacer = Pacer::new(None);
        let now = Instant::now();
        let h = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "751")]);
        pacer.observe(StatusCode::OK, &h, None, now);
        match pacer.reserve(now) {
            Wait::Until(at, why) => {
                assert_eq!(at - now, Duration::from_secs(751));
                assert_eq!(
                    why.describe(at - now),
                    "rate limited by provider: 0 left, window resets in 12 minutes 31 seconds"
                );
                let holds = Holds::default();
                holds.waiting(at, why);
                holds.waiting(now + Duration::from_secs(1), Hold::Paced);
                assert_eq!(
                    holds.describe(now + Duration::from_secs(60)).as_deref(),
                    Some(
                        "rate limited by provider: 0 left, window resets in 11 minutes 31 seconds"
                    ),
                    "the longest hold shows, counting down"
                );
                assert_eq!(holds.describe(at), None, "nothing once it is over");
            }
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn requests_queued_behind_a_window_are_paced_and_the_reset_counts_down() {
        let pacer = Pacer::new(Some(1.0));
        let now = Instant::now();
        let h = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "6")]);
        pacer.observe(StatusCode::OK, &h, None, now);
        let said: Vec<String> = (0..3)
            .map(|_| match pacer.reserve(now) {
                Wait::Until(at, why) => why.describe(at - now),
                w => panic!("{w:?}"),
            })
            .collect();
        // Was "window resets in 6 seconds", "… in 7 seconds", "… in 8 seconds": the window
        // resets once.
        assert_eq!(
            said,
            [
                "rate limited by provider: 0 left, window resets in 6 seconds",
                "paced to the provider's rate limit: next request in 7 seconds",
                "paced to the provider's rate limit: next request in 8 seconds",
            ]
        );
    }

    #[test]
    fn a_429_without_headers_cuts_to_just_under_the_admitted_rate_then_probes_up() {
        let pacer = Pacer::new(None);
        let start = Instant::now();
        // 100 successes over one second, then a 429.
        for i in 0..100 {
            pacer.observe(
                StatusCode::OK,
                &HeaderMap::new(),
                None,
                start + Duration::from_millis(i * 10),
            );
        }
        let at = start + Duration::from_secs(1);
        let refused = |n: u64| {
            pacer.observe(
                StatusCode::TOO_MANY_REQUESTS,
                &HeaderMap::new(),
                Some(Duration::from_secs(1)),
                at + Duration::from_micros(n),
            )
        };
        // A lone 429 among 100 successes is sporadic: no cut.
        refused(0);
        assert_eq!(pacer.state.lock().unwrap().learned, None);
        // A quarter of the replies refused is a limit being hit.
        (1..34).for_each(refused);
        let learned = pacer.state.lock().unwrap().learned.unwrap();
        assert!((85.0..=95.0).contains(&learned), "{learned}");
        assert_eq!(
            pacer.state.lock().unwrap().paused_until,
            None,
            "a one-second hint is not a run-wide pause"
        );
        // Another 429 from the same burst does not cut again.
        pacer.observe(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            None,
            at + Duration::from_millis(10),
        );
        assert_eq!(pacer.state.lock().unwrap().learned.unwrap(), learned);
        let ok = |after: Duration| {
            pacer.observe(StatusCode::OK, &HeaderMap::new(), None, at + after);
            pacer.state.lock().unwrap().learned.unwrap()
        };
        assert!(ok(Duration::from_millis(20)) > learned, "probes upwards");
        // Probed past it, sporadic 429s among successes cut it back to that cut, no lower,
        // however many there are.
        pacer.state.lock().unwrap().learned = Some(150.0);
        for i in 0..200 {
            let later = at + Duration::from_secs(4) + CUT_QUIET * i;
            for j in 0..20 {
                let t = later + Duration::from_millis(j);
                pacer.observe(StatusCode::OK, &HeaderMap::new(), None, t);
            }
            let t = later + Duration::from_millis(30);
            pacer.observe(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), None, t);
        }
        let floor = pacer.state.lock().unwrap().learned.unwrap();
        assert!(
            floor >= learned && floor < learned + 1.0,
            "{learned} <= {floor}"
        );
    }

    #[test]
    fn a_long_retry_after_pauses_the_whole_run() {
        let pacer = Pacer::new(Some(1000.0));
        let now = Instant::now();
        pacer.observe(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            Some(Duration::from_secs(30)),
            now,
        );
        match pacer.reserve(now) {
            Wait::Until(at, _) => assert_eq!(at - now, Duration::from_secs(30)),
            w => panic!("{w:?}"),
        }
    }
}
