//! The public data types: which faults tests arm, their rate limits, and what the emulator
//! records (what they seed is [`super::seed`]). They double as the JSON of the control API
//! (see [`super::control`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A fault: which requests it hits and what it does to them. Faults are checked before
/// routing (so before auth) in the order they were armed; the first one that matches, is not
/// used up and wins its probability roll applies.
///
/// JSON (control API): `{"method"?: "POST", "path_contains"?: "/end", "body_contains"?:
/// "\"room\":\"r1\"", "times"?: 3,
/// "probability"?: 0.5, "kind": {"type": "status", "status": 429, "retry_after"?: "1",
/// "body"?: "..."}}`; other kinds: `{"type":"delay","ms":N}`, `{"type":"reply_late","ms":N}`,
/// `{"type":"drop_mid_reply"}`, `{"type":"malformed"}`, `{"type":"huge_body","status":500,"bytes":N}`,
/// `{"type":"endless_body","status":200}`, `{"type":"invalid_utf8","status":500}`,
/// `{"type":"redirect","status":303,"location":"/somewhere"}`, `{"type":"drop_after_apply"}`,
/// `{"type":"apply_then_body","body":"{\"sessions\":[]}"}`,
/// `{"type":"endless_pages","total":1000000000000}`, `{"type":"many_sessions","count":1000000}`,
/// `{"type":"numbered","body":"{\"items\":[],\"next_cursor\":\"c{n}\"}"}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// HTTP method to match (case-insensitive); `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// Substring of the RAW (still percent-encoded) path; `None` matches any.
    #[serde(default)]
    pub path_contains: Option<String>,
    /// Substring of the request body; `None` matches any. For APIs that name the session
    /// in the body rather than the path (LiveKit's Twirp calls).
    #[serde(default)]
    pub body_contains: Option<String>,
    /// Apply to the first K matching requests only; `None` = always.
    #[serde(default)]
    pub times: Option<u32>,
    /// Apply to a random share of matching requests (0..=1); `None` = all.
    #[serde(default)]
    pub probability: Option<f64>,
    pub kind: FaultKind,
    /// The test may never hit this fault (see [`Fault::optional`]). Only tests check for
    /// unused faults, so it is not part of the control API's JSON.
    #[serde(skip)]
    pub optional: bool,
}

/// What a fault does to a request.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "FaultKindJson")]
pub enum FaultKind {
    /// Reply with this status instead. `body: None` = the provider's own error shape; a body
    /// is sent as JSON when it is JSON, else as `text/plain`.
    Status {
        status: u16,
        retry_after: Option<String>,
        body: Option<String>,
    },
    /// Sleep, then serve normally (for client timeouts).
    Delay(Duration),
    /// Serve the request (its change IS applied at once), then hold the reply back this
    /// long: a slow server whose work is done, for a client killed while it waits.
    ReplyLate(Duration),
    /// Send 200 and the start of a JSON body, then abort the connection.
    DropMidReply,
    /// 200 with `Content-Type: application/json` and a body that is not JSON.
    Malformed,
    /// A reply of `bytes` bytes (streamed, chunked; nothing that big is ever allocated).
    HugeBody { status: u16, bytes: usize },
    /// A reply whose body streams forever (until the client hangs up).
    EndlessBody { status: u16 },
    /// A JSON error body with invalid UTF-8 bytes in it.
    InvalidUtf8 { status: u16 },
    /// Reply `status` with `Location: location` and an empty body; the request is not
    /// applied. (A location that is not a valid header value is left out.)
    Redirect { status: u16, location: String },
    /// Serve the request (its change IS applied), then lose the reply: the real status and
    /// headers, but a body that breaks off as in [`FaultKind::DropMidReply`]. A 204 or 304
    /// cannot carry a body, so it becomes 200 (else the client would see a clean reply).
    DropAfterApply,
    /// Serve the request (its change IS applied), then answer with this body in place of
    /// the real one (status and headers kept): a server whose reply says less than it did,
    /// e.g. a Zep v2 bulk end that ended every session and lists none of them.
    ApplyThenBody(String),
    /// 200 `text/html` with a web page, whatever was asked, nothing applied: a web app on
    /// the port a base_url names (port 3000, elizaOS's default, is every web framework's).
    WebPage,
    /// A Zep v2 `sessions-ordered` that never runs dry: every page (of the size asked for) is
    /// full of sessions never listed before, and `total_count` is always `total`.
    EndlessPages { total: u64 },
    /// An elizaOS `GET /api/messaging/sessions` of `count` sessions made up as the reply is
    /// streamed (`gen-<n>`, long idle): a list of a million costs the emulator no memory.
    ManySessions { count: u64 },
    /// 200 with this JSON body, nothing applied, `{n}` in it replaced by how many requests
    /// the fault has met (1, 2, …): a list whose every page names one never seen, e.g.
    /// `{"items":[],"next_cursor":"c{n}"}` (Zep v4), pages forever.
    Numbered(String),
}

/// The JSON spelling of [`FaultKind`]: tagged by `type`, delays in milliseconds.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum FaultKindJson {
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<String>,
        #[serde(default)]
        body: Option<String>,
    },
    Delay {
        ms: u64,
    },
    ReplyLate {
        ms: u64,
    },
    DropMidReply,
    Malformed,
    HugeBody {
        status: u16,
        bytes: usize,
    },
    EndlessBody {
        status: u16,
    },
    InvalidUtf8 {
        status: u16,
    },
    Redirect {
        status: u16,
        location: String,
    },
    DropAfterApply,
    ApplyThenBody {
        body: String,
    },
    WebPage,
    EndlessPages {
        total: u64,
    },
    ManySessions {
        count: u64,
    },
    Numbered {
        body: String,
    },
}

impl From<FaultKindJson> for FaultKind {
    fn from(json: FaultKindJson) -> FaultKind {
        match json {
            FaultKindJson::Status {
                status,
                retry_after,
                body,
            } => FaultKind::Status {
                status,
                retry_after,
                body,
            },
            FaultKindJson::Delay { ms } => FaultKind::Delay(Duration::from_millis(ms)),
            FaultKindJson::ReplyLate { ms } => FaultKind::ReplyLate(Duration::from_millis(ms)),
            FaultKindJson::DropMidReply => FaultKind::DropMidReply,
            FaultKindJson::Malformed => FaultKind::Malformed,
            FaultKindJson::HugeBody { status, bytes } => FaultKind::HugeBody { status, bytes },
            FaultKindJson::EndlessBody { status } => FaultKind::EndlessBody { status },
            FaultKindJson::InvalidUtf8 { status } => FaultKind::InvalidUtf8 { status },
            FaultKindJson::Redirect { status, location } => {
                FaultKind::Redirect { status, location }
            }
            FaultKindJson::DropAfterApply => FaultKind::DropAfterApply,
            FaultKindJson::ApplyThenBody { body } => FaultKind::ApplyThenBody(body),
            FaultKindJson::WebPage => FaultKind::WebPage,
            FaultKindJson::EndlessPages { total } => FaultKind::EndlessPages { total },
            FaultKindJson::ManySessions { count } => FaultKind::ManySessions { count },
            FaultKindJson::Numbered { body } => FaultKind::Numbered(body),
        }
    }
}

/// Builders: `Fault::status(429).retry_after("1").times(3).path("/sessions/")`.
impl Fault {
    /// A fault of this kind on every request.
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            method: None,
            path_contains: None,
            body_contains: None,
            times: None,
            probability: None,
            kind,
            optional: false,
        }
    }

    /// Reply `status` with the provider's own error body.
    pub fn status(status: u16) -> Fault {
        Fault::new(FaultKind::Status {
            status,
            retry_after: None,
            body: None,
        })
    }

    pub fn delay(delay: Duration) -> Fault {
        Fault::new(FaultKind::Delay(delay))
    }

    pub fn reply_late(delay: Duration) -> Fault {
        Fault::new(FaultKind::ReplyLate(delay))
    }

    pub fn drop_mid_reply() -> Fault {
        Fault::new(FaultKind::DropMidReply)
    }

    pub fn malformed() -> Fault {
        Fault::new(FaultKind::Malformed)
    }

    pub fn huge_body(status: u16, bytes: usize) -> Fault {
        Fault::new(FaultKind::HugeBody { status, bytes })
    }

    pub fn endless_body(status: u16) -> Fault {
        Fault::new(FaultKind::EndlessBody { status })
    }

    pub fn invalid_utf8(status: u16) -> Fault {
        Fault::new(FaultKind::InvalidUtf8 { status })
    }

    pub fn redirect(status: u16, location: &str) -> Fault {
        Fault::new(FaultKind::Redirect {
            status,
            location: location.to_owned(),
        })
    }

    /// See [`FaultKind::EndlessPages`]; aim it with `.path("sessions-ordered")`.
    pub fn endless_pages(total: u64) -> Fault {
        Fault::new(FaultKind::EndlessPages { total })
    }

    /// See [`FaultKind::ManySessions`]; aim it with `.method("GET").path("/sessions")`.
    pub fn many_sessions(count: u64) -> Fault {
        Fault::new(FaultKind::ManySessions { count })
    }

    pub fn drop_after_apply() -> Fault {
        Fault::new(FaultKind::DropAfterApply)
    }

    pub fn apply_then_body(body: &str) -> Fault {
        Fault::new(FaultKind::ApplyThenBody(body.to_owned()))
    }

    /// See [`FaultKind::Numbered`].
    pub fn numbered(body: &str) -> Fault {
        Fault::new(FaultKind::Numbered(body.to_owned()))
    }

    /// Only requests with this method.
    pub fn method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_owned());
        self
    }

    /// Only requests whose raw path contains `fragment`.
    pub fn path(mut self, fragment: &str) -> Fault {
        self.path_contains = Some(fragment.to_owned());
        self
    }

    /// Only requests whose body contains `fragment`.
    pub fn body_contains(mut self, fragment: &str) -> Fault {
        self.body_contains = Some(fragment.to_owned());
        self
    }

    /// Only the first `n` matching requests.
    pub fn times(mut self, n: u32) -> Fault {
        self.times = Some(n);
        self
    }

    /// Only a random share `p` (0..=1) of matching requests.
    pub fn probability(mut self, p: f64) -> Fault {
        self.probability = Some(p);
        self
    }

    /// A fault the test may never hit: a safety net for a request that only some runs make
    /// (say, only on a slow machine). Every other fault must be used at least once, or the
    /// test fails when its emulator is dropped (see [`super::Options::fail_unused`]).
    pub fn optional(mut self) -> Fault {
        self.optional = true;
        self
    }

    /// Adds a `Retry-After` header to a [`FaultKind::Status`] reply.
    ///
    /// # Panics
    /// On any other kind: a retry hint on a broken reply is a test bug.
    pub fn retry_after(mut self, value: &str) -> Fault {
        match &mut self.kind {
            FaultKind::Status { retry_after, .. } => *retry_after = Some(value.to_owned()),
            other => panic!("retry_after() needs a status fault, not {other:?}"),
        }
        self
    }

    /// Replaces the provider's error body of a [`FaultKind::Status`] reply.
    ///
    /// # Panics
    /// On any other kind.
    pub fn body(mut self, text: &str) -> Fault {
        match &mut self.kind {
            FaultKind::Status { body, .. } => *body = Some(text.to_owned()),
            other => panic!("body() needs a status fault, not {other:?}"),
        }
        self
    }
}

/// One request as received. Header names are lowercase; values are kept as sent (auth
/// included: tests check it). The body is decoded lossily as UTF-8.
#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    pub method: String,
    /// The raw path, still percent-encoded.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    /// The value of the first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A rate limit on every provider route (all providers share one limiter; the control API is
/// never limited). A request over the limit is recorded, then answered 429 with
/// `Retry-After` (whole seconds, rounded up, at least 1) and the body of its provider; it
/// never reaches faults or the provider.
///
/// JSON (control API, `POST /_emulator/rate_limit`; `null` turns it off):
/// `{"kind":"token_bucket","rate":200.0,"burst":20,"headers"?:"draft6"}` or
/// `{"kind":"fixed_window","limit":100,"window_ms":8000,"headers"?:"x_rate_limit"}`;
/// `headers` is one of `native` (the default: each API's own), `draft6`, `x_rate_limit`
/// (alias `x`), `none`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RateLimit {
    /// A bucket of `burst` tokens, full at the start, refilled at `rate` tokens per second;
    /// each request takes one. `Retry-After` = time until one token is back; the reset the
    /// headers announce = time until the bucket is full again.
    TokenBucket {
        rate: f64,
        burst: u32,
        #[serde(default)]
        headers: HeaderStyle,
    },
    /// At most `limit` requests per window, as express-rate-limit counts them: a window
    /// starts with the first request after the previous one ended, and every request in it
    /// (refused ones included) counts. `Retry-After` = time until the window ends.
    FixedWindow {
        limit: u32,
        #[serde(rename = "window_ms", deserialize_with = "duration_ms")]
        window: Duration,
        #[serde(default)]
        headers: HeaderStyle,
    },
}

/// Which rate-limit headers replies carry (a 429 always carries `Retry-After` as well).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderStyle {
    /// Each API's own ([`super::api::Api::rate_limit_headers`]): elizaOS's draft 6, Zep's
    /// `X-RateLimit-*`, none where an API's are not documented.
    #[default]
    Native,
    /// IETF draft 6, as elizaOS (express-rate-limit) sends them: `RateLimit-Policy:
    /// LIMIT;w=WINDOW_SECONDS`, `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
    /// (seconds until the quota is whole again, rounded up).
    Draft6,
    /// As Zep cloud: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`
    /// (the unix time in seconds, rounded up, when the quota is whole again).
    #[serde(alias = "x", alias = "x_ratelimit", alias = "xratelimit")]
    XRateLimit,
    /// No limit headers on any reply.
    None,
}

fn duration_ms<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_millis)
}

/// Builders: `RateLimit::token_bucket(200.0, 20).headers(HeaderStyle::XRateLimit)`.
impl RateLimit {
    /// `rate` tokens per second, at most `burst` at once; each API's own headers.
    pub fn token_bucket(rate: f64, burst: u32) -> RateLimit {
        RateLimit::TokenBucket {
            rate,
            burst,
            headers: HeaderStyle::default(),
        }
    }

    /// `limit` requests per `window`; each API's own headers.
    pub fn fixed_window(limit: u32, window: Duration) -> RateLimit {
        RateLimit::FixedWindow {
            limit,
            window,
            headers: HeaderStyle::default(),
        }
    }

    /// Which headers replies carry.
    pub fn headers(mut self, style: HeaderStyle) -> RateLimit {
        match &mut self {
            RateLimit::TokenBucket { headers, .. } | RateLimit::FixedWindow { headers, .. } => {
                *headers = style;
            }
        }
        self
    }

    /// Rejects limits no server could have: a bucket with no room or no refill, a window
    /// that is empty or longer than a year. (A window `limit` of 0 is allowed: every request
    /// is refused.)
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            RateLimit::TokenBucket { rate, .. } if !(rate.is_finite() && rate > 0.0) => {
                Err(format!(
                    "token bucket rate must be a positive number of tokens per second, not {rate}"
                ))
            }
            RateLimit::TokenBucket { burst: 0, .. } => {
                Err("token bucket burst must be at least 1".to_owned())
            }
            RateLimit::FixedWindow { window, .. } if window.is_zero() => {
                Err("fixed window must be at least 1 ms long".to_owned())
            }
            RateLimit::FixedWindow { window, .. } if window > MAX_WINDOW => Err(format!(
                "fixed window must be at most a year, not {window:?}"
            )),
            _ => Ok(()),
        }
    }
}

const MAX_WINDOW: Duration = Duration::from_secs(366 * 24 * 3600);
