//! The one handler every request goes through: record it, apply the first matching fault,
//! add the configured latency, check the provider's auth, and dispatch by path prefix to
//! the provider module. Routing is done here by hand (not with axum's path extractors) so
//! that IDs are exactly one percent-decoded segment and faults see the raw path.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::response::Response;

use super::http::{Dialect, Req, reply};
use super::model::{FaultKind, Recorded};
use super::{CONTROL_PREFIX, Shared, clock, control, faults, messaging, samba, threads};
use super::{zep, zep_v4};

/// Largest request body read (a 1000-ID batch is ~50 KB; this only guards memory).
const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

pub(crate) fn app(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BODY).await else {
        return reply(413, "text/plain; charset=utf-8", "request body too large\n");
    };
    let path = parts.uri.path().to_owned();
    if path == CONTROL_PREFIX || path.starts_with(&format!("{CONTROL_PREFIX}/")) {
        return control::handle(&shared, parts.method.as_str(), &path, &body);
    }
    let fault = {
        let mut state = shared.lock();
        state.log.push(record(&parts, &body));
        state.faults.hit(parts.method.as_str(), &path)
    };
    if !shared.opts.latency.is_zero() {
        tokio::time::sleep(shared.opts.latency).await;
    }
    let dialect = Dialect::of_path(&path);
    let response = match fault {
        Some(FaultKind::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            serve(&shared, dialect, parts, body)
        }
        // Applied for real, then the reply is lost: the client cannot tell it happened.
        Some(FaultKind::DropAfterApply) => faults::lose_body(serve(&shared, dialect, parts, body)),
        Some(kind) => faults::reply_for(dialect, &kind),
        None => serve(&shared, dialect, parts, body),
    };
    with_rate_limit_headers(dialect, response)
}

fn record(parts: &Parts, body: &Bytes) -> Recorded {
    Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect(),
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

/// The provider's real answer.
fn serve(shared: &Arc<Shared>, dialect: Option<Dialect>, parts: Parts, body: Bytes) -> Response {
    let Some(dialect) = dialect else {
        return reply(404, "text/plain; charset=utf-8", "404 page not found\n");
    };
    let path = parts.uri.path();
    let req = Req::new(
        parts.method.as_str(),
        &path[dialect.prefix().len()..],
        parts.uri.query(),
        parts.headers,
        body,
    );
    let authorized = match dialect {
        Dialect::Zep | Dialect::ZepV4 => zep::authorized(&req),
        Dialect::Samba => samba::authorized(&req),
        Dialect::Messaging => messaging::authorized(shared, &req),
    };
    if !authorized {
        return dialect.status_error(401);
    }
    match dialect {
        Dialect::Zep if req.segments.first().is_some_and(|s| s == "threads") => {
            threads::route_v3(shared, &req)
        }
        Dialect::Zep => zep::route(shared, &req),
        Dialect::ZepV4 => zep_v4::route(shared, &req),
        Dialect::Samba => samba::route(shared, &req),
        Dialect::Messaging => messaging::route(shared, &req),
    }
}

/// Zep cloud puts `X-RateLimit-*` on every reply; the emulator never runs out except when a
/// fault says 429.
fn with_rate_limit_headers(dialect: Option<Dialect>, mut response: Response) -> Response {
    if !matches!(dialect, Some(Dialect::Zep | Dialect::ZepV4)) {
        return response;
    }
    let remaining = if response.status() == 429 { "0" } else { "999" };
    let reset = (clock::now().as_second() + 60).to_string();
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from_static("1000"));
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static(remaining));
    if let Ok(reset) = HeaderValue::from_str(&reset) {
        headers.insert("x-ratelimit-reset", reset);
    }
    response
}
