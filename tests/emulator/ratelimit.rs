//! Rate limiting, as real providers do it: the [`Limiter`] (a token bucket or a fixed
//! window, see [`RateLimit`]), its [`Decision`] for each request, the headers that decision
//! puts on a reply, and the 429 reply itself (each API's body, [`Api::too_many_requests`]).
//!
//! The limiter takes the current time as an argument (`check(now)`), so its arithmetic is
//! tested below without sleeping.

use std::time::{Duration, Instant, SystemTime};

use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;

use super::api::Api;
use super::model::{HeaderStyle, RateLimit};

/// One limiter for the whole emulator (every provider route shares it).
pub(crate) struct Limiter {
    config: RateLimit,
    /// Token bucket: tokens left at `last`.
    tokens: f64,
    last: Instant,
    /// Fixed window: when the current window ends (`None` before the first request) and
    /// how many requests it has counted.
    window_end: Option<Instant>,
    hits: u32,
}

/// What the limiter says about one request, and what the reply's headers announce.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Decision {
    pub allowed: bool,
    /// The quota: `burst` or the window's `limit`.
    pub limit: u32,
    /// What is left of it after this request.
    pub remaining: u32,
    /// Until the quota is whole again (the bucket full, or the window over).
    pub reset: Duration,
    /// On a refusal, until a request would be allowed again; zero when allowed.
    pub retry_after: Duration,
    /// The draft-6 policy window: the window, or the time a bucket takes to fill.
    pub policy_window: Duration,
    pub style: HeaderStyle,
}

impl Limiter {
    /// A limiter whose bucket is full (or whose first window has not started) at `now`.
    pub fn new(config: RateLimit, now: Instant) -> Limiter {
        let tokens = match config {
            RateLimit::TokenBucket { burst, .. } => f64::from(burst),
            RateLimit::FixedWindow { .. } => 0.0,
        };
        Limiter {
            config,
            tokens,
            last: now,
            window_end: None,
            hits: 0,
        }
    }

    pub fn config(&self) -> RateLimit {
        self.config
    }

    /// Counts one request arriving at `now` and decides it.
    pub fn check(&mut self, now: Instant) -> Decision {
        match self.config {
            RateLimit::TokenBucket {
                rate,
                burst,
                headers,
            } => {
                let capacity = f64::from(burst);
                let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
                self.tokens = (self.tokens + elapsed * rate).min(capacity);
                self.last = self.last.max(now);
                let allowed = self.tokens >= 1.0;
                if allowed {
                    self.tokens -= 1.0;
                }
                let retry_after = if allowed {
                    Duration::ZERO
                } else {
                    secs((1.0 - self.tokens) / rate)
                };
                Decision {
                    allowed,
                    limit: burst,
                    // Whole tokens only; `tokens` never exceeds `burst`, so this fits.
                    remaining: self.tokens.floor() as u32,
                    reset: secs((capacity - self.tokens) / rate),
                    retry_after,
                    policy_window: secs(capacity / rate),
                    style: headers,
                }
            }
            RateLimit::FixedWindow {
                limit,
                window,
                headers,
            } => {
                let end = match self.window_end {
                    Some(end) if now < end => end,
                    _ => {
                        self.hits = 0;
                        // `RateLimit::validate` caps the window at a year.
                        let end = now + window;
                        self.window_end = Some(end);
                        end
                    }
                };
                self.hits = self.hits.saturating_add(1);
                let allowed = self.hits <= limit;
                let reset = end - now;
                Decision {
                    allowed,
                    limit,
                    remaining: limit.saturating_sub(self.hits),
                    reset,
                    retry_after: if allowed { Duration::ZERO } else { reset },
                    policy_window: window,
                    style: headers,
                }
            }
        }
    }
}

/// Seconds as a `Duration`, saturating (a tiny rate can make them astronomically many).
fn secs(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX)
}

/// Whole seconds, rounded up.
fn ceil_secs(duration: Duration) -> u64 {
    duration
        .as_secs()
        .saturating_add(u64::from(duration.subsec_nanos() > 0))
}

impl Decision {
    /// This decision with `api`'s own header style where the limit asks for it
    /// ([`HeaderStyle::Native`]).
    pub fn in_style_of(mut self, api: &dyn Api) -> Decision {
        if self.style == HeaderStyle::Native {
            self.style = api.rate_limit_headers();
        }
        self
    }

    /// The headers of a reply to this request, `wall` being the time of day now (for the
    /// absolute `X-RateLimit-Reset`). A refusal also carries `Retry-After`.
    pub fn headers(&self, wall: SystemTime) -> Vec<(&'static str, String)> {
        let mut headers = match self.style {
            HeaderStyle::Draft6 => vec![
                (
                    "ratelimit-policy",
                    format!("{};w={}", self.limit, ceil_secs(self.policy_window).max(1)),
                ),
                ("ratelimit-limit", self.limit.to_string()),
                ("ratelimit-remaining", self.remaining.to_string()),
                ("ratelimit-reset", ceil_secs(self.reset).to_string()),
            ],
            HeaderStyle::XRateLimit => {
                let since_epoch = wall
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default();
                vec![
                    ("x-ratelimit-limit", self.limit.to_string()),
                    ("x-ratelimit-remaining", self.remaining.to_string()),
                    (
                        "x-ratelimit-reset",
                        ceil_secs(since_epoch.saturating_add(self.reset)).to_string(),
                    ),
                ]
            }
            // Native is resolved per API before ([`Decision::in_style_of`]).
            HeaderStyle::None | HeaderStyle::Native => Vec::new(),
        };
        if !self.allowed {
            headers.push((
                "retry-after",
                ceil_secs(self.retry_after).max(1).to_string(),
            ));
        }
        headers
    }

    /// Puts this decision's headers on `response`, replacing any of the same name.
    pub fn apply(&self, response: &mut Response) {
        let target = response.headers_mut();
        for (name, value) in self.headers(SystemTime::now()) {
            if let Ok(value) = HeaderValue::from_str(&value) {
                target.insert(HeaderName::from_static(name), value);
            }
        }
    }
}

/// The 429 an API sends when its limit is hit, in its own dialect
/// ([`Api::too_many_requests`]), with this decision's headers.
pub(crate) fn too_many_requests(api: &dyn Api, decision: &Decision) -> Response {
    let mut response = api.too_many_requests();
    decision.apply(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn bucket_spends_its_burst_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut limiter = Limiter::new(RateLimit::token_bucket(2.0, 3), t0);
        let remaining: Vec<u32> = (0..3).map(|_| limiter.check(t0).remaining).collect();
        assert_eq!(remaining, [2, 1, 0]);

        let refused = limiter.check(t0);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        // One token comes back every 500 ms; the bucket is full again after 1.5 s.
        assert_eq!(refused.retry_after, ms(500));
        assert_eq!(refused.reset, ms(1500));

        // 250 ms later: half a token, still refused, a token in 250 ms.
        let half = limiter.check(t0 + ms(250));
        assert!(!half.allowed);
        assert_eq!(half.retry_after, ms(250));

        // 500 ms after the start: one token, spent at once.
        let one = limiter.check(t0 + ms(500));
        assert!(one.allowed);
        assert_eq!(one.remaining, 0);
        assert_eq!(one.retry_after, Duration::ZERO);

        // A long pause refills only up to the burst.
        let later = limiter.check(t0 + Duration::from_secs(60));
        assert!(later.allowed);
        assert_eq!(later.remaining, 2);
        assert_eq!(later.reset, ms(500));
    }

    #[test]
    fn bucket_tolerates_a_clock_that_goes_back() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut limiter = Limiter::new(RateLimit::token_bucket(1.0, 1), t0);
        assert!(limiter.check(t0).allowed);
        assert!(!limiter.check(t0 - Duration::from_secs(5)).allowed);
        assert!(limiter.check(t0 + Duration::from_secs(1)).allowed);
    }

    #[test]
    fn window_counts_until_it_ends_then_starts_over() {
        let t0 = Instant::now();
        let mut limiter = Limiter::new(RateLimit::fixed_window(2, ms(8000)), t0);
        // The window starts with the first request, not when the limiter was made.
        let first = limiter.check(t0 + ms(1000));
        assert!(first.allowed);
        assert_eq!((first.remaining, first.reset), (1, ms(8000)));
        assert!(limiter.check(t0 + ms(2000)).allowed);

        let refused = limiter.check(t0 + ms(3500));
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.retry_after, ms(5500));
        assert_eq!(refused.reset, ms(5500));

        // Refusals count too, but the window still ends when it was going to.
        assert!(!limiter.check(t0 + ms(8999)).allowed);
        let next = limiter.check(t0 + ms(9000));
        assert!(next.allowed);
        assert_eq!((next.remaining, next.reset), (1, ms(8000)));
    }

    #[test]
    fn window_of_zero_refuses_everything() {
        let t0 = Instant::now();
        let mut limiter = Limiter::new(RateLimit::fixed_window(0, ms(1000)), t0);
        let refused = limiter.check(t0);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, ms(1000));
    }

    #[test]
    fn draft6_headers_round_seconds_up() {
        let t0 = Instant::now();
        let config =
            RateLimit::fixed_window(1000, Duration::from_secs(900)).headers(HeaderStyle::Draft6);
        let mut limiter = Limiter::new(config, t0);
        limiter.check(t0);
        let headers = limiter.check(t0 + ms(100)).headers(SystemTime::now());
        assert_eq!(header(&headers, "ratelimit-policy"), Some("1000;w=900"));
        assert_eq!(header(&headers, "ratelimit-limit"), Some("1000"));
        assert_eq!(header(&headers, "ratelimit-remaining"), Some("998"));
        // 899.9 s left.
        assert_eq!(header(&headers, "ratelimit-reset"), Some("900"));
        assert_eq!(header(&headers, "retry-after"), None);
        assert_eq!(header(&headers, "x-ratelimit-limit"), None);
    }

    #[test]
    fn draft6_policy_of_a_bucket_is_its_fill_time() {
        let t0 = Instant::now();
        let config = RateLimit::token_bucket(200.0, 20).headers(HeaderStyle::Draft6);
        let mut limiter = Limiter::new(config, t0);
        let headers = limiter.check(t0).headers(SystemTime::now());
        // 20 tokens at 200/s fill in 0.1 s, announced as 1 s.
        assert_eq!(header(&headers, "ratelimit-policy"), Some("20;w=1"));
        assert_eq!(header(&headers, "ratelimit-remaining"), Some("19"));
        assert_eq!(header(&headers, "ratelimit-reset"), Some("1"));
    }

    #[test]
    fn x_headers_announce_the_reset_as_a_unix_time() {
        let t0 = Instant::now();
        let config = RateLimit::fixed_window(1, ms(2500)).headers(HeaderStyle::XRateLimit);
        let mut limiter = Limiter::new(config, t0);
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let allowed = limiter.check(t0).headers(wall);
        assert_eq!(header(&allowed, "x-ratelimit-limit"), Some("1"));
        assert_eq!(header(&allowed, "x-ratelimit-remaining"), Some("0"));
        assert_eq!(header(&allowed, "x-ratelimit-reset"), Some("1700000003"));
        assert_eq!(header(&allowed, "ratelimit-limit"), None);

        let refused = limiter.check(t0 + ms(1000)).headers(wall + ms(1000));
        assert_eq!(header(&refused, "x-ratelimit-reset"), Some("1700000003"));
        // 1.5 s to the window's end.
        assert_eq!(header(&refused, "retry-after"), Some("2"));
    }

    #[test]
    fn no_headers_but_retry_after_on_a_refusal() {
        let t0 = Instant::now();
        let config = RateLimit::token_bucket(1000.0, 1).headers(HeaderStyle::None);
        let mut limiter = Limiter::new(config, t0);
        assert!(limiter.check(t0).headers(SystemTime::now()).is_empty());
        let refused = limiter.check(t0);
        assert!(refused.retry_after > Duration::ZERO && refused.retry_after <= ms(1));
        // A millisecond to wait is still announced as one whole second.
        assert_eq!(
            refused.headers(SystemTime::now()),
            [("retry-after", "1".to_owned())]
        );
    }

    #[test]
    fn json_and_validation() {
        let bucket: RateLimit =
            serde_json::from_str(r#"{"kind":"token_bucket","rate":2.5,"burst":5}"#).unwrap();
        assert_eq!(bucket, RateLimit::token_bucket(2.5, 5));
        let window: RateLimit = serde_json::from_str(
            r#"{"kind":"fixed_window","limit":100,"window_ms":8000,"headers":"x"}"#,
        )
        .unwrap();
        assert_eq!(
            window,
            RateLimit::fixed_window(100, ms(8000)).headers(HeaderStyle::XRateLimit)
        );
        let off: Option<RateLimit> = serde_json::from_str("null").unwrap();
        assert_eq!(off, None);
        assert!(
            serde_json::from_str::<RateLimit>(r#"{"kind":"fixed_window","limit":1,"window":5}"#)
                .is_err()
        );

        assert!(RateLimit::token_bucket(0.0, 5).validate().is_err());
        assert!(RateLimit::token_bucket(f64::NAN, 5).validate().is_err());
        assert!(RateLimit::token_bucket(1.0, 0).validate().is_err());
        assert!(
            RateLimit::fixed_window(1, Duration::ZERO)
                .validate()
                .is_err()
        );
        assert!(RateLimit::fixed_window(0, ms(1)).validate().is_ok());
        assert!(window.validate().is_ok());
    }
}
