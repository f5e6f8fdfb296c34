//! Twilio Video v1 Rooms (`/twilio`), as the OpenAPI document `twilio_video_v1.yaml`
//! (twilio/twilio-oai) says: Basic auth with the account SID and the auth token, `GET
//! /v1/Rooms` (`Status=in-progress` by default, `PageSize` up to 1000, default 50) with the
//! next page as a whole URL in `meta.next_page_url` (`null` on the last), `POST
//! /v1/Rooms/{Sid}` with the form `Status=completed` answering 202 and the room, and errors
//! `{"code", "message", "more_info", "status"}`: 20404 for a room that is not there, 53112
//! ("Status is invalid", sent with 400 here) for completing a room that is not in progress.
//!
//! The page token is the emulator's: `PA` and the SID of the page's last room, whose place
//! in the newest-first order says where the next page starts (rooms completed since keep
//! theirs).

use std::sync::Arc;

use axum::response::Response;
use jiff::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::api::{Api, Served};
use super::http::{Req, header_is, reason};
use super::rooms::{self, Room, RoomApi};
use super::seed::{Kind, Seed};
use super::profiles;
use super::{Emulator, Shared, clock};

/// The Twilio account SID (the Basic-auth user name): the placeholder of
/// `src/provider/declared/examples/twilio.toml`, so that the shipped description runs on the emulator as
/// it is.
pub const TWILIO_ACCOUNT: &str = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
/// The Twilio auth token (the Basic-auth password).
pub const TWILIO_TOKEN: &str = "twilio-test-token";

const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;

/// Path prefix of Twilio Video (`https://video.twilio.com`; its paths start with `/v1`).
const PREFIX: &str = "/twilio";

/// Twilio Video's rooms.
pub(crate) struct Twilio;

impl Api for Twilio {
    fn seeds(&self) -> &'static [Kind] {
        &[rooms::ROOM]
    }

    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn content_type(&self) -> &'static str {
        "application/json; charset=utf-8"
    }

    /// `{"code": <number>, "message", "more_info", "status"}`.
    fn error_body(&self, status: u16, code: &str, message: &str) -> Value {
        json!({
            "code": code.parse::<u64>().map_or(json!(code), |n| json!(n)),
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        })
    }

    fn status_error(&self, status: u16) -> Response {
        match status {
            401 => self.json(
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
            _ => self.error(status, &(20000 + u32::from(status)).to_string(), reason(status)),
        }
    }

    fn authorized(&self, _shared: &Shared, req: &Req) -> bool {
        let basic = STANDARD.encode(format!("{TWILIO_ACCOUNT}:{TWILIO_TOKEN}"));
        header_is(req, "authorization", &[&format!("Basic {basic}")])
    }

    fn route(&self, shared: &Arc<Shared>, req: &Req) -> Response {
        route(shared, req)
    }

    fn title(&self) -> &'static str {
        "Twilio Video rooms"
    }

    fn auth(&self, _served: &Served) -> String {
        format!("account {TWILIO_ACCOUNT}, auth token {TWILIO_TOKEN}")
    }

    /// `twilio`, the shipped declared description run on the emulator as it is.
    fn profiles(&self, served: &Served) -> String {
        profiles::declared("twilio", &self.url(served.base), TWILIO_TOKEN)
    }

    /// Its rooms of [`rooms::demo`], and a completed one: Twilio keeps those.
    fn demo(&self, now: Timestamp) -> Vec<Seed> {
        rooms::demo(RoomApi::Twilio, "twilio", now, true)
    }
}

/// Where a client finds this API.
impl Emulator {
    /// Base URL of Twilio Video.
    pub fn twilio_url(&self) -> String {
        Twilio.url(&self.url())
    }
}

/// Twilio's times: RFC 3339 in whole seconds, UTC; a seed that does not parse as it is.
fn time(raw: &str) -> String {
    clock::parse(raw).map_or_else(
        || raw.to_owned(),
        |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

fn row(room: &Room, base: &str) -> Value {
    let ended = room.ended_at.map(|t| time(&t.to_string()));
    let duration = match (room.ended_at, room.created()) {
        (Some(end), Some(start)) => Some(end.duration_since(start).as_secs()),
        _ => None,
    };
    json!({
        "sid": room.id,
        "status": if room.ended_at.is_some() { "completed" } else { "in-progress" },
        "date_created": time(&room.created_at),
        "date_updated": ended.clone().unwrap_or_else(|| time(&room.created_at)),
        "account_sid": TWILIO_ACCOUNT,
        "enable_turn": true,
        "unique_name": room.id,
        "end_time": ended,
        "duration": duration,
        "type": "group",
        "max_participants": 50,
        "url": format!("{base}/v1/Rooms/{}", room.id),
    })
}

fn not_found(sid: &str) -> Response {
    let message = format!("The requested resource /Rooms/{sid} was not found");
    Twilio.error(404, "20404", &message)
}

/// The base URL the client used, for the whole URLs Twilio's replies carry.
fn base(req: &Req) -> String {
    let host = req.header("host").unwrap_or("127.0.0.1");
    format!("http://{host}{PREFIX}")
}

fn route(shared: &Shared, req: &Req) -> Response {
    let segs = req.segs();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["v1", "Rooms"]) => list(shared, req),
        ("GET", ["v1", "Rooms", sid]) => match shared.lock().table::<rooms::Rooms>().get(RoomApi::Twilio, sid) {
            Some(room) => Twilio.json(200, &row(room, &base(req))),
            None => not_found(sid),
        },
        ("POST", ["v1", "Rooms", sid]) => update(shared, req, sid),
        _ => super::http::no_route(),
    }
}

/// `POST /v1/Rooms/{Sid}` with `Status=completed`: 202 and the room, completed.
fn update(shared: &Shared, req: &Req, sid: &str) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect();
    let status = form.iter().find(|(k, _)| k == "Status").map(|(_, v)| v);
    let mut state = shared.lock();
    let Some(room) = state.table::<rooms::Rooms>().get_mut(RoomApi::Twilio, sid) else {
        return not_found(sid);
    };
    if status.map(String::as_str) != Some("completed") || room.ended_at.is_some() {
        return Twilio.error(400, "53112", "Status is invalid");
    }
    room.ended_at = Some(clock::now());
    room.participants = 0;
    Twilio.json(202, &row(room, &base(req)))
}

/// `GET /v1/Rooms?Status=&PageSize=&Page=&PageToken=`, newest first.
fn list(shared: &Shared, req: &Req) -> Response {
    let invalid = |message: &str| Twilio.error(400, "20001", message);
    let size = match req.query("PageSize").map(str::parse::<usize>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        Some(_) => return invalid("PageSize must be from 1 to 1000"),
    };
    let completed = match req.query("Status").unwrap_or("in-progress") {
        "in-progress" => false,
        "completed" => true,
        other => return invalid(&format!("Invalid Status: {other}")),
    };
    let page: u64 = req.query("Page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let mut state = shared.lock();
    let rooms = state.table::<rooms::Rooms>().ordered(RoomApi::Twilio);
    let start = match req.query("PageToken") {
        None => 0,
        Some(token) => match (token.strip_prefix("PA"))
            .and_then(|sid| rooms.iter().position(|r| r.id == sid))
        {
            Some(i) => i + 1,
            None => return invalid(&format!("Invalid PageToken: {token}")),
        },
    };
    let wanted: Vec<&&Room> = (rooms[start..].iter())
        .filter(|r| !r.deleted && r.ended_at.is_some() == completed)
        .collect();
    let shown = &wanted[..wanted.len().min(size)];
    let base = base(req);
    let status = if completed {
        "completed"
    } else {
        "in-progress"
    };
    let url = |page: u64, token: Option<&str>| {
        let token = token.map_or(String::new(), |sid| {
            let sid: String = url::form_urlencoded::byte_serialize(sid.as_bytes()).collect();
            format!("&PageToken=PA{sid}")
        });
        format!("{base}/v1/Rooms?Status={status}&PageSize={size}&Page={page}{token}")
    };
    let next = (wanted.len() > size)
        .then(|| shown.last().map(|r| url(page + 1, Some(&r.id))))
        .flatten();
    Twilio.json(
        200,
        &json!({
            "rooms": shown.iter().map(|r| row(r, &base)).collect::<Vec<_>>(),
            "meta": {
                "page": page,
                "page_size": size,
                "first_page_url": url(0, None),
                "previous_page_url": null,
                "url": url(page, req.query("PageToken").and_then(|t| t.strip_prefix("PA"))),
                "next_page_url": next,
                "key": "rooms",
            },
        }),
    )
}
