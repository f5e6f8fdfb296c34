//! What every provider module shares, so none of them re-implements it: the request as a
//! list of decoded path segments plus query and headers, JSON replies, each provider's error
//! shape ([`Dialect`]) and header-based auth checks.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::clock;

/// A provider request after routing has stripped the provider prefix.
pub(crate) struct Req {
    /// Upper-case method, e.g. `DELETE`.
    pub method: String,
    /// Path segments after the prefix, each percent-decoded on its own, so an ID such as
    /// `a%20b%2Fc%3Fd` is ONE segment `a b/c?d`, never extra path or query.
    pub segments: Vec<String>,
    query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    /// `rest` is the raw path after the provider prefix (e.g. `/sessions/a%2Fb/end`).
    pub fn new(
        method: &str,
        rest: &str,
        raw_query: Option<&str>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Req {
        let segments = rest
            .strip_prefix('/')
            .unwrap_or(rest)
            .split('/')
            .map(percent_decode)
            .collect();
        let query = url::form_urlencoded::parse(raw_query.unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        Req {
            method: method.to_ascii_uppercase(),
            segments,
            query,
            headers,
            body,
        }
    }

    /// The segments as `&str`, for slice patterns such as `["sessions", id, "end"]`.
    pub fn segs(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }

    /// The first value of a query parameter (decoded).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first of several spellings of a query parameter that is present.
    pub fn query_any(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.query(n))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON of type `T`; the error text is meant for a 400 reply.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("invalid request body: {e}"))
    }
}

/// Decodes `%XX` escapes (invalid escapes stay as they are; invalid UTF-8 is replaced).
pub(crate) fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether header `name` is exactly one of `accepted` (auth checks are exact: a client that
/// sends `Bearer` where `Api-Key` is wanted must fail here as it would upstream).
pub(crate) fn header_is(req: &Req, name: &str, accepted: &[&str]) -> bool {
    req.header(name).is_some_and(|v| accepted.contains(&v))
}

/// An error reply produced while validating a request, before the handler proper runs.
/// Boxed because `Response` is large and the `Result`s that carry it should stay small.
pub(crate) type Rejection = Box<Response>;

/// A reply with a body and a content type.
/// A path no provider route serves: what a generic router answers (Go's `net/http`, and so
/// Zep's), never a provider's own not-found shape, which means "no such session".
pub(crate) fn no_route() -> Response {
    reply(404, "text/plain; charset=utf-8", "404 page not found\n")
}

pub(crate) fn reply(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .expect("status and content type are valid")
}

/// A reply with no body and no content type (e.g. 204).
pub(crate) fn empty(status: u16) -> Response {
    Response::builder()
        .status(status)
        .body(Body::empty())
        .expect("status is valid")
}

/// The reason phrase of a status (`"Too Many Requests"`), or `"Error"`.
fn reason(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// `"Too Many Requests"` → `too_many_requests` with `sep = '_'`.
fn slug(text: &str, sep: char) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

/// Which provider's conventions a reply follows: content type and error body shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Zep v2 sessions and v3 threads (Go Community Edition style).
    Zep,
    /// Zep v4.
    ZepV4,
    /// Digital Samba (Laravel style).
    Samba,
    /// elizaOS (Express style).
    Messaging,
    /// LangGraph Agent Server (Starlette style).
    LangGraph,
    /// Daily REST (`{"error": <type>, "info": ...}`).
    Daily,
    /// LiveKit Twirp (`{"code": <twirp code>, "msg": ...}`).
    LiveKit,
    /// Twilio Video (`{"code": <number>, "message", "more_info", "status"}`).
    Twilio,
}

impl Dialect {
    pub fn content_type(self) -> &'static str {
        match self {
            Dialect::Zep | Dialect::Messaging | Dialect::Daily | Dialect::Twilio => {
                "application/json; charset=utf-8"
            }
            Dialect::ZepV4 | Dialect::Samba | Dialect::LangGraph | Dialect::LiveKit => {
                "application/json"
            }
        }
    }

    /// A JSON reply in this dialect's content type.
    pub fn json(self, status: u16, value: &impl Serialize) -> Response {
        let body = serde_json::to_vec(value).expect("reply bodies serialize");
        reply(status, self.content_type(), body)
    }

    /// An error in this dialect's shape. `code` is the machine-readable part where the
    /// provider has one (v4 `code`, Samba `error` slug, elizaOS `code`, Daily's `error`,
    /// Twirp's `code`, Twilio's number); Zep v2/v3 drop it.
    pub fn error(self, status: u16, code: &str, message: &str) -> Response {
        let body = match self {
            Dialect::Zep => json!({ "message": message }),
            Dialect::ZepV4 => json!({ "error": {
                "code": code,
                "message": message,
                "request_id": uuid::Uuid::new_v4().to_string(),
            }}),
            Dialect::Samba => json!({ "message": message, "error": code }),
            Dialect::Messaging => json!({ "error": {
                "code": code,
                "message": message,
                "timestamp": clock::now_millis(),
            }}),
            Dialect::LangGraph => json!({ "detail": message }),
            Dialect::Daily => json!({ "error": code, "info": message }),
            Dialect::LiveKit => json!({ "code": code, "msg": message }),
            Dialect::Twilio => json!({
                "code": code.parse::<u64>().map_or(json!(code), |n| json!(n)),
                "message": message,
                "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
                "status": status,
            }),
        };
        self.json(status, &body)
    }

    /// The body the provider itself sends for a bare status: used by status faults without a
    /// body and by unknown routes. Rate limits and auth failures have their own fixed shapes.
    pub fn status_error(self, status: u16) -> Response {
        let reason = reason(status);
        match (self, status) {
            (Dialect::Zep, 401) => reply(401, "text/plain; charset=utf-8", "unauthorized\n"),
            (Dialect::Zep, 404) => self.error(404, "", "not found"),
            (Dialect::Zep, _) => self.error(status, "", &reason.to_ascii_lowercase()),
            (Dialect::ZepV4, 401) => self.error(401, "unauthorized", "unauthorized"),
            (Dialect::ZepV4, 429) => self.error(429, "rate_limited", "rate limit exceeded"),
            (Dialect::ZepV4, 500) => self.error(500, "internal", "internal server error"),
            (Dialect::ZepV4, _) => self.error(status, &slug(reason, '_'), reason),
            (Dialect::Samba, 401) => self.json(401, &json!({ "message": "Unauthenticated." })),
            (Dialect::Samba, 404) => self.error(404, "not-found", "Not Found"),
            (Dialect::Samba, 429) => self.error(429, "rate-limit", "Too Many Attempts."),
            (Dialect::Samba, 500) => self.error(500, "server-error", "Server Error"),
            (Dialect::Samba, _) => self.error(status, &slug(reason, '-'), reason),
            (Dialect::Messaging, 401) => self.json(
                401,
                &json!({
                    "error": "API key required",
                    "message": "Missing or invalid X-API-KEY header",
                }),
            ),
            (Dialect::Messaging, 429) => self.json(
                429,
                &json!({ "success": false, "error": {
                    "code": "RATE_LIMIT_EXCEEDED",
                    "message": "Too many requests. Please try again later.",
                }}),
            ),
            (Dialect::Messaging, 500) => {
                self.error(500, "INTERNAL_SERVER_ERROR", "An unexpected error occurred")
            }
            (Dialect::Messaging, _) => {
                self.error(status, &slug(reason, '_').to_ascii_uppercase(), reason)
            }
            // Starlette's HTTPException for a bare status: its reason phrase.
            (Dialect::LangGraph, _) => self.error(status, "", reason),
            (Dialect::Daily, _) => {
                let kind = match status {
                    400 => "invalid-request-error",
                    401 => "authentication-error",
                    403 => "forbidden-error",
                    404 => "not-found",
                    429 => "rate-limit-error",
                    _ => "server-error",
                };
                self.error(status, kind, reason)
            }
            // What LiveKit's auth middleware writes for a token it cannot verify.
            (Dialect::LiveKit, 401) => reply(
                401,
                "text/plain; charset=utf-8",
                "invalid authorization token",
            ),
            // Twirp's error codes by the status they are sent with.
            (Dialect::LiveKit, _) => {
                let code = match status {
                    400 => "invalid_argument",
                    403 => "permission_denied",
                    404 => "not_found",
                    409 => "already_exists",
                    412 => "failed_precondition",
                    429 => "resource_exhausted",
                    500 => "internal",
                    503 => "unavailable",
                    _ => "unknown",
                };
                self.error(status, code, reason)
            }
            (Dialect::Twilio, 401) => self.json(
                401,
                &json!({
                    "code": 20003,
                    "detail": "Your AccountSid or AuthToken was incorrect.",
                    "message": "Authenticate",
                    "more_info": "https://www.twilio.com/docs/errors/20003",
                    "status": 401,
                }),
            ),
            // Twilio's generic codes are 20000 + the status (20404, 20429, 20500, ...).
            (Dialect::Twilio, _) => {
                self.error(status, &(20000 + u32::from(status)).to_string(), reason)
            }
        }
    }
}
