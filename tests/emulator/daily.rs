//! Daily's REST API rooms (`/daily/v1`), as docs.daily.co/reference/rest-api says: Bearer
//! auth (no header: 400 `authorization-header-error`; a wrong key: 401
//! `authentication-error`), errors `{"error": <type>, "info": <text>}`, `GET /rooms` newest
//! first in pages of at most 100 (`limit`) with `{"total_count", "data"}`, paged by
//! `starting_after=<the last room's id>` (the room's `id`, not its name), and `DELETE
//! /rooms/:name` answering `{"deleted": true, "name": ...}`.
//!
//! The `info` texts are the emulator's: Daily calls them debug information that may change.
//! So is the 404's `error` (`not-found`): the reference says only that it is a 404. Names
//! are taken as seeded, where Daily allows only `[A-Za-z0-9_-]`: the conformance suite's
//! IDs (`c 1/x`) test that an ID stays one escaped path segment.

use std::sync::Arc;

use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::api::{Api, Served};
use super::http::{Req, header_is, reason};
use super::rooms::{self, Room, RoomApi};
use super::seed::{Kind, Seed};
use super::profiles;
use super::{Emulator, Shared};

/// The Daily API key (Bearer).
pub const DAILY_KEY: &str = "daily-test-key";

/// Most (and default) rooms per page.
const MAX_LIMIT: usize = 100;

/// Path prefix of Daily's REST API (`https://api.daily.co/v1`).
const PREFIX: &str = "/daily/v1";

/// Daily's REST API.
pub(crate) struct Daily;

impl Api for Daily {
    fn seeds(&self) -> &'static [Kind] {
        &[rooms::ROOM]
    }

    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn content_type(&self) -> &'static str {
        "application/json; charset=utf-8"
    }

    /// `{"error": <type>, "info": ...}`.
    fn error_body(&self, _status: u16, code: &str, message: &str) -> Value {
        json!({ "error": code, "info": message })
    }

    fn status_error(&self, status: u16) -> Response {
        let kind = match status {
            400 => "invalid-request-error",
            401 => "authentication-error",
            403 => "forbidden-error",
            404 => "not-found",
            429 => "rate-limit-error",
            _ => "server-error",
        };
        self.error(status, kind, reason(status))
    }

    /// A missing key and a wrong one are answered differently.
    fn refused(&self, _shared: &Shared, req: &Req) -> Option<Response> {
        match req.header("authorization") {
            None => Some(Daily.error(
                400,
                "authorization-header-error",
                "Authorization header missing",
            )),
            Some(_) if header_is(req, "authorization", &[&format!("Bearer {DAILY_KEY}")]) => None,
            Some(_) => Some(Daily.status_error(401)),
        }
    }

    fn route(&self, shared: &Arc<Shared>, req: &Req) -> Response {
        route(shared, req)
    }

    fn title(&self) -> &'static str {
        "Daily rooms"
    }

    fn auth(&self, _served: &Served) -> String {
        format!("Bearer {DAILY_KEY}")
    }

    /// `daily`, the shipped declared description run on the emulator as it is.
    fn profiles(&self, served: &Served) -> String {
        profiles::declared("daily", &self.url(served.base), DAILY_KEY)
    }

    fn demo(&self, now: Timestamp) -> Vec<Seed> {
        rooms::demo(RoomApi::Daily, "daily", now, false)
    }
}

/// Where a client finds this API.
impl Emulator {
    /// Base URL of Daily's REST API.
    pub fn daily_url(&self) -> String {
        Daily.url(&self.url())
    }
}

fn row(room: &Room) -> Value {
    json!({
        "id": room.uuid,
        "name": room.id,
        "api_created": true,
        "privacy": "public",
        "url": format!("https://emulator.daily.co/{}", room.id),
        "created_at": room.created_at,
        "config": {},
    })
}

fn not_found(name: &str) -> Response {
    Daily.error(404, "not-found", &format!("room {name} does not exist"))
}

fn route(shared: &Shared, req: &Req) -> Response {
    let segs = req.segs();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["rooms"]) => list(shared, req),
        ("GET", ["rooms", name]) => match shared.lock().table::<rooms::Rooms>().get(RoomApi::Daily, name) {
            Some(room) => Daily.json(200, &row(room)),
            None => not_found(name),
        },
        ("DELETE", ["rooms", name]) => match shared.lock().table::<rooms::Rooms>().delete(RoomApi::Daily, name) {
            true => Daily.json(200, &json!({ "deleted": true, "name": name })),
            false => not_found(name),
        },
        _ => super::http::no_route(),
    }
}

/// `GET /rooms?limit=&starting_after=`: the rooms after (older than) the room whose `id` is
/// given, in the newest-first order. (`ending_before`, the other way, no client here uses.)
fn list(shared: &Shared, req: &Req) -> Response {
    let invalid = |info: &str| Daily.error(400, "invalid-request-error", info);
    let limit = match req.query("limit").map(str::parse::<usize>) {
        None => MAX_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => return invalid("limit must be an integer from 1 to 100"),
    };
    let mut state = shared.lock();
    let rooms = state.table::<rooms::Rooms>().ordered(RoomApi::Daily);
    let start = match req.query("starting_after") {
        None => 0,
        Some(id) => match rooms.iter().position(|r| r.uuid == id) {
            Some(i) => i + 1,
            None => return invalid(&format!("starting_after: no room with id {id}")),
        },
    };
    let page: Vec<&Room> = (rooms[start..].iter().copied())
        .filter(|r| !r.deleted)
        .take(limit)
        .collect();
    let total = rooms.iter().filter(|r| !r.deleted).count();
    let data: Vec<Value> = page.iter().map(|r| row(r)).collect();
    Daily.json(200, &json!({ "total_count": total, "data": data }))
}
