//! The one handler every request goes through: record it, check the rate limit, apply the
//! first matching fault, add the configured latency, check the API's auth, and dispatch by
//! path prefix to the [`Api`] whose it is. Routing is done here by hand (not with axum's
//! path extractors) so that IDs are exactly one percent-decoded segment and faults see the
//! raw path.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::Response;

use super::api::{self, Api};
use super::http::{Req, no_route, reply};
use super::model::{FaultKind, Recorded};
use super::ratelimit::{self, Decision};
use super::{CONTROL_PREFIX, Shared, control, faults};

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
    let api = api::of_path(&path);
    // Recorded first (so tests see refused requests), then limited, then faulted; a refused
    // request never reaches the faults. Only provider routes are limited.
    let (decision, fault) = {
        let mut guard = shared.lock();
        let state = &mut *guard;
        state.log.push(record(&parts, &body));
        let decision = match (api, state.limiter.as_mut()) {
            (Some(api), Some(limiter)) => Some(limiter.check(Instant::now()).in_style_of(api)),
            _ => None,
        };
        state.limiter_used |= decision.is_some();
        if decision.is_some_and(|d| !d.allowed) {
            state.rate_limited += 1;
            (decision, None)
        } else {
            let sent = state.log.last().map_or("", |r| r.body.as_str());
            (
                decision,
                state.faults.hit(parts.method.as_str(), &path, sent),
            )
        }
    };
    if !shared.opts.latency.is_zero() {
        tokio::time::sleep(shared.opts.latency).await;
    }
    if let (Some(api), Some(decision)) = (api, decision)
        && !decision.allowed
    {
        return ratelimit::too_many_requests(api, &decision);
    }
    let response = match fault {
        Some(FaultKind::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            serve(&shared, api, parts, body)
        }
        Some(FaultKind::ReplyLate(delay)) => {
            let response = serve(&shared, api, parts, body);
            tokio::time::sleep(delay).await;
            response
        }
        // Applied for real, then the reply is lost: the client cannot tell it happened.
        Some(FaultKind::DropAfterApply) => faults::lose_body(serve(&shared, api, parts, body)),
        // Applied for real, then the reply says something else.
        Some(FaultKind::ApplyThenBody(text)) => {
            faults::replace_body(serve(&shared, api, parts, body), text)
        }
        Some(kind) => faults::reply_for(api, &kind, parts.uri.query()),
        None => serve(&shared, api, parts, body),
    };
    with_rate_limit_headers(decision, response)
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

/// The API's real answer.
fn serve(shared: &Arc<Shared>, api: Option<&dyn Api>, parts: Parts, body: Bytes) -> Response {
    let Some(api) = api else {
        return no_route();
    };
    let path = parts.uri.path();
    let req = Req::new(
        parts.method.as_str(),
        &path[api.prefix().len()..],
        parts.uri.query(),
        parts.headers,
        body,
    );
    match api.refused(shared, &req) {
        Some(refusal) => refusal,
        None => api.route(shared, &req),
    }
}

/// The rate limiter's headers when a limit is on. Without one, no limit headers at all,
/// like a server that has none (a client must then run at full speed).
fn with_rate_limit_headers(decision: Option<Decision>, mut response: Response) -> Response {
    if let Some(decision) = decision {
        decision.apply(&mut response);
    }
    response
}
