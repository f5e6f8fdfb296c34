//! Fault injection: which armed fault a request hits, the broken replies themselves, and
//! breaking the body of a reply that was served for real (`DropAfterApply`).
//! Bodies that are large or endless are streamed from a static buffer, so a 50 MB reply
//! costs no memory and an endless one stops as soon as the client hangs up.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures::{StreamExt, stream};

use super::api::Api;
use super::http::{empty, reply};
use super::model::{Fault, FaultKind};

/// Filler for huge and endless bodies.
static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// How fast an endless body flows: one chunk of this size per [`ENDLESS_TICK`] (~16 MB/s),
/// fast enough to trip a size cap quickly, slow enough not to flood the loopback.
const ENDLESS_CHUNK: usize = 16 * 1024;
const ENDLESS_TICK: Duration = Duration::from_millis(1);

/// How long a dropped reply waits after its first bytes, so the status line and the
/// partial body surely reach the client before the connection is cut.
const DROP_AFTER: Duration = Duration::from_millis(50);

struct ArmedFault {
    fault: Fault,
    used: u32,
}

impl ArmedFault {
    fn matches(&self, method: &str, path: &str, body: &str) -> bool {
        let fault = &self.fault;
        fault
            .method
            .as_ref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && fault
                .path_contains
                .as_ref()
                .is_none_or(|p| path.contains(p))
            && (fault.body_contains.as_ref()).is_none_or(|b| body.contains(b))
            && fault.times.is_none_or(|times| self.used < times)
    }
}

/// The armed faults, in the order they were added, and the generator for their
/// probability rolls: seeded, so that a run whose requests arrive in a fixed order (one at a
/// time) meets exactly the same faults every time, and tests of random faults cannot flake.
pub(crate) struct Armed(Vec<ArmedFault>, fastrand::Rng);

impl Default for Armed {
    fn default() -> Self {
        Armed(Vec::new(), fastrand::Rng::with_seed(0x5e55_10c7))
    }
}

impl Armed {
    pub fn add(&mut self, fault: Fault) {
        self.0.push(ArmedFault { fault, used: 0 });
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Each armed fault that no request ever hit and that is not [`Fault::optional`].
    pub fn unused(&self) -> impl Iterator<Item = String> + '_ {
        (self.0.iter())
            .filter(|armed| armed.used == 0 && !armed.fault.optional)
            .map(|armed| format!("{:?}", armed.fault))
    }

    /// The fault this request hits, if any, counting it against that fault's `times`. A
    /// fault whose probability roll misses is skipped and later ones are tried.
    pub fn hit(&mut self, method: &str, raw_path: &str, body: &str) -> Option<FaultKind> {
        let rng = &mut self.1;
        let armed = self.0.iter_mut().find(|armed| {
            armed.matches(method, raw_path, body)
                && armed.fault.probability.is_none_or(|p| rng.f64() < p)
        })?;
        armed.used += 1;
        match &armed.fault.kind {
            FaultKind::Numbered(body) => Some(FaultKind::Numbered(
                body.replace("{n}", &armed.used.to_string()),
            )),
            kind => Some(kind.clone()),
        }
    }
}

/// The reply a fault puts in place of the real one (`Delay`, `DropAfterApply` and
/// `ApplyThenBody` serve the request, so the router handles them). `query` is the request's, for the pages of
/// `EndlessPages`.
pub(crate) fn reply_for(api: Option<&dyn Api>, kind: &FaultKind, query: Option<&str>) -> Response {
    let json_type = api.map_or("application/json", |api| api.content_type());
    match kind {
        FaultKind::Status {
            status,
            retry_after,
            body,
        } => {
            let mut response = match (body, api) {
                // Typed as what it is: a text body is not sent as JSON.
                (Some(body), _) if serde_json::from_str::<serde::de::IgnoredAny>(body).is_err() => {
                    reply(*status, "text/plain; charset=utf-8", body.clone())
                }
                (Some(body), _) => reply(*status, json_type, body.clone()),
                (None, Some(api)) => api.status_error(*status),
                (None, None) => reply(*status, "text/plain; charset=utf-8", ""),
            };
            if let Some(value) = retry_after
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                response.headers_mut().insert("retry-after", value);
            }
            response
        }
        FaultKind::Delay(_) | FaultKind::ReplyLate(_) => {
            unreachable!("the router serves delayed requests normally")
        }
        FaultKind::DropAfterApply => unreachable!("the router serves it, then calls lose_body"),
        FaultKind::ApplyThenBody(_) => unreachable!("the router serves it, then replaces the body"),
        FaultKind::DropMidReply => reply(200, json_type, dropped_body()),
        FaultKind::Malformed => reply(200, "application/json", "{\"sessions\": [{\"session_id\": "),
        FaultKind::WebPage => reply(
            200,
            "text/html; charset=utf-8",
            "<!doctype html><html><body><div id=\"root\"></div></body></html>\n",
        ),
        FaultKind::HugeBody { status, bytes } => {
            reply(*status, "text/plain; charset=utf-8", huge_body(*bytes))
        }
        FaultKind::EndlessBody { status } => reply(*status, json_type, endless_body()),
        FaultKind::InvalidUtf8 { status } => reply(
            *status,
            json_type,
            &b"{\"message\":\"invalid \xff\xfe\xfd bytes\",\"error\":\"\xc3\x28\"}"[..],
        ),
        FaultKind::EndlessPages { total } => endless_page(query, *total),
        FaultKind::ManySessions { count } => reply(200, json_type, many_sessions(*count)),
        FaultKind::Numbered(body) => reply(200, json_type, body.clone()),
        FaultKind::Redirect { status, location } => {
            let mut response = empty(*status);
            if let Ok(value) = HeaderValue::from_str(location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
    }
}

/// A served reply whose body is lost on the way (`DropAfterApply`): status and headers stay,
/// the body breaks off. hyper sends no body at all with 204 or 304, which would make the
/// reply look complete, so those become 200.
pub(crate) fn lose_body(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    if [StatusCode::NO_CONTENT, StatusCode::NOT_MODIFIED].contains(&parts.status) {
        parts.status = StatusCode::OK;
    }
    // The real body's length would not match the broken one.
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, dropped_body())
}

/// A served reply with `text` as its body (`ApplyThenBody`): status and headers stay.
pub(crate) fn replace_body(response: Response, text: String) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

/// The start of a JSON body, a pause, then an I/O error: hyper aborts the connection.
fn dropped_body() -> Body {
    let start =
        stream::once(async { Ok(Bytes::from_static(b"{\"sessions\":[{\"session_id\":\"")) });
    let cut = stream::once(async {
        tokio::time::sleep(DROP_AFTER).await;
        Err(std::io::Error::other(
            "emulator: connection dropped mid-reply",
        ))
    });
    Body::from_stream(start.chain(cut))
}

/// Exactly `bytes` bytes of filler, without a Content-Length (chunked).
fn huge_body(bytes: usize) -> Body {
    let chunks = stream::unfold(bytes, |left| async move {
        let n = left.min(FILLER.len());
        (n > 0).then(|| {
            (
                Ok::<_, std::io::Error>(Bytes::from_static(&FILLER[..n])),
                left - n,
            )
        })
    });
    Body::from_stream(chunks)
}

/// Filler forever (a JSON-looking start, then an unterminated string).
fn endless_body() -> Body {
    let start =
        stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(b"{\"message\":\"")) });
    let rest = stream::unfold((), |()| async {
        tokio::time::sleep(ENDLESS_TICK).await;
        Some((Ok(Bytes::from_static(&FILLER[..ENDLESS_CHUNK])), ()))
    });
    Body::from_stream(start.chain(rest))
}

/// One page of [`FaultKind::EndlessPages`]: as many sessions as the page size asks for (100
/// without one), each new (`endless-<page>-<n>`), long idle, and a total that never comes.
fn endless_page(query: Option<&str>, total: u64) -> Response {
    let param = |names: &[&str]| {
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(k, _)| names.contains(&k.as_ref()))
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    let page = param(&["page_number", "pageNumber"]).unwrap_or(1);
    let size = param(&["page_size", "pageSize"]).unwrap_or(100).min(1000);
    let old = "2020-01-01T00:00:00Z";
    let sessions: Vec<serde_json::Value> = (0..size)
        .map(|n| {
            serde_json::json!({
                "session_id": format!("endless-{page}-{n}"),
                "user_id": "u-endless",
                "created_at": old,
                "updated_at": old,
            })
        })
        .collect();
    let body = serde_json::json!({
        "sessions": sessions,
        "total_count": total,
        "response_count": size,
    });
    reply(200, "application/json", body.to_string())
}

/// The body of [`FaultKind::ManySessions`], made up a thousand rows at a time as it is sent.
fn many_sessions(count: u64) -> Body {
    const ROWS: u64 = 1000;
    let old = "2024-01-01T00:00:00.000Z";
    let rows = stream::unfold(0, move |from| async move {
        (from < count).then(|| {
            let mut text = String::new();
            for n in from..(from + ROWS).min(count) {
                if n > 0 {
                    text.push(',');
                }
                text.push_str(&format!(
                    "{{\"sessionId\":\"gen-{n}\",\"agentId\":\"a-1\",\"channelId\":\"c-{n}\",\
                     \"userId\":\"u-1\",\"createdAt\":\"{old}\",\"lastActivity\":\"{old}\",\
                     \"metadata\":{{}}}}"
                ));
            }
            (Ok::<_, std::io::Error>(Bytes::from(text)), from + ROWS)
        })
    });
    let start = stream::once(async { Ok(Bytes::from_static(b"{\"sessions\":[")) });
    let end = format!("],\"total\":{count}}}");
    let end = stream::once(async move { Ok(Bytes::from(end)) });
    Body::from_stream(start.chain(rows).chain(end))
}
