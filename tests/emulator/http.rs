//! What every API module shares, so none of them re-implements it: the request as a list
//! of decoded path segments plus query and headers, replies, the reason phrases and slugs
//! that error shapes are made of (each API's own shape is its [`super::api::Api`]) and
//! header-based auth checks.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::de::DeserializeOwned;

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
pub(crate) fn reason(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// `"Too Many Requests"` → `too_many_requests` with `sep = '_'`.
pub(crate) fn slug(text: &str, sep: char) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}
