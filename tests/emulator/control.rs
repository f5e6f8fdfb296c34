//! The control API for users of the `mock-server` binary, who cannot call Rust methods:
//!
//! - `POST /_emulator/seed`: a JSON array of seeds, each tagged by `kind`, e.g.
//!   `[{"kind":"messaging_session","id":"s1","last_activity":"2024-01-01T00:00:00.000Z"},
//!   {"kind":"metadata","id":"s1","metadata":{"env":"staging"}}]` (the kinds are those the
//!   APIs list, each with the fields of its module's seed struct, see [`Seed`]; omitted
//!   timestamps are now; applied in order, so messages and metadata follow the record they
//!   name) → `{"seeded": N}`. An unknown kind (the 400 names every known one) or field, or
//!   a record naming one not seeded, is a 400 `{"message"}`; the seeds before it stay.
//! - `POST /_emulator/faults`: one fault, e.g. `{"path_contains":"/sessions/","times":3,
//!   "kind":{"type":"status","status":429,"retry_after":"1"}}` or `{"method":"DELETE",
//!   "kind":{"type":"drop_after_apply"}}` (every kind is listed at [`super::Fault`])
//!   → `{"armed": total armed}`.
//! - `POST /_emulator/rate_limit`: rate-limit every provider route (one limiter for all),
//!   starting over, e.g. `{"kind":"token_bucket","rate":200.0,"burst":20,"headers":"none"}`
//!   or `{"kind":"fixed_window","limit":100,"window_ms":8000,"headers":"x_rate_limit"}`
//!   (`headers`: `native` (default: each API's own), `draft6`, `x_rate_limit` or `none`; see [`super::RateLimit`]), or
//!   `null` to turn it off → `{"rate_limit": true|false}` (whether one is on). A bucket
//!   without `rate > 0` and `burst >= 1`, or a window not 1 ms to a year long, is a 400.
//! - `GET /_emulator/stats`: `{"requests": N, "rate_limited": M}`: provider requests
//!   recorded, and how many of them the rate limiter refused with 429.
//! - `GET /_emulator/requests`: every recorded provider request, as [`super::Recorded`].
//! - `POST /_emulator/reset`: forget all state, faults, requests and the rate-limited count
//!   → `{"reset": true}`. A rate limit stays on, but starts over.
//!
//! No auth; bad JSON is a 400 `{"message"}`. Control requests are neither faulted,
//! rate-limited nor recorded.

use std::time::Instant;

use axum::body::Bytes;
use axum::response::Response;
use serde_json::json;

use super::Shared;
use super::http::reply;
use super::model::{Fault, RateLimit};
use super::ratelimit::Limiter;
use super::seed::Seed;

pub(crate) fn handle(shared: &Shared, method: &str, path: &str, body: &Bytes) -> Response {
    let route = path.trim_start_matches(super::CONTROL_PREFIX);
    match (method, route) {
        ("POST", "/seed") => match serde_json::from_slice::<Vec<Seed>>(body) {
            Ok(seeds) => {
                let count = seeds.len();
                let mut state = shared.lock();
                let seeded = (seeds.into_iter().enumerate()).try_for_each(|(i, seed)| {
                    state.seed(seed).map_err(|e| format!("seed {i}: {e}"))
                });
                match seeded {
                    Ok(()) => ok(json!({ "seeded": count })),
                    Err(message) => bad_request(&message),
                }
            }
            Err(e) => bad_request(&format!("invalid JSON: {e}")),
        },
        ("POST", "/faults") => match serde_json::from_slice::<Fault>(body) {
            Ok(fault) => {
                let mut state = shared.lock();
                state.faults.add(fault);
                ok(json!({ "armed": state.faults.len() }))
            }
            Err(e) => bad_request(&format!("invalid JSON: {e}")),
        },
        ("POST", "/rate_limit") => match serde_json::from_slice::<Option<RateLimit>>(body) {
            Ok(limit) => match limit.map(|l| l.validate()) {
                Some(Err(message)) => bad_request(&message),
                _ => {
                    (shared.lock()).set_limiter(limit.map(|l| Limiter::new(l, Instant::now())));
                    ok(json!({ "rate_limit": limit.is_some() }))
                }
            },
            Err(e) => bad_request(&format!("invalid JSON: {e}")),
        },
        ("GET", "/stats") => {
            let state = shared.lock();
            ok(json!({ "requests": state.log.len(), "rate_limited": state.rate_limited }))
        }
        ("GET", "/requests") => ok(json!(shared.lock().log)),
        ("POST", "/reset") => {
            shared.lock().reset();
            ok(json!({ "reset": true }))
        }
        _ => {
            let message = "unknown control route: use POST /_emulator/seed, POST \
                           /_emulator/faults, POST /_emulator/rate_limit, GET \
                           /_emulator/stats, GET /_emulator/requests or POST /_emulator/reset";
            reply(
                404,
                "application/json",
                json!({ "message": message }).to_string(),
            )
        }
    }
}

fn ok(value: serde_json::Value) -> Response {
    reply(200, "application/json", value.to_string())
}

fn bad_request(message: &str) -> Response {
    let body = json!({ "message": message });
    reply(400, "application/json", body.to_string())
}
