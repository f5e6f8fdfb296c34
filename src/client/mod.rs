//! The HTTP client layer: requests, retries and back-off ([`http`]), pacing to a
//! provider's rate limit ([`pacer`]), counting what a batch sent ([`tally`]) and keeping
//! the credentials out of what replies say ([`redact`]). It knows no profile and no
//! provider: it takes plain [`http::ClientOptions`].

pub mod http;
pub mod pacer;
pub mod redact;
pub mod tally;

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// A header's value as trimmed text; `None` when absent or not text.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// How long until a rate-limit window resets, from its `Reset` value: seconds from now, or
/// (Zep's `X-RateLimit-Reset`, anything past 10⁹) a unix time. A day at most.
fn until_reset(reset: f64) -> Option<Duration> {
    let secs = if reset > 1e9 {
        let epoch = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .ok()?;
        reset - epoch.as_secs_f64()
    } else {
        reset
    };
    Duration::try_from_secs_f64(secs.clamp(0.0, 86_400.0)).ok()
}
