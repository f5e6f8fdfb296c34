//! LiveKit's RoomService over Twirp (`/livekit`), as livekit/protocol's
//! `protobufs/livekit_room.proto` and livekit/livekit's `pkg/service` say: `POST
//! /twirp/livekit.RoomService/ListRooms` with a JSON body (`{}`, or `{"names": [...]}`)
//! answers every room at once (`{"rooms": [...]}`, protobuf JSON with the proto's field
//! names, defaults included, 64-bit integers as strings: `"creation_time": "1717243200"`);
//! `DeleteRoom` takes `{"room": <name>}` and answers `{}`, or Twirp's 404 `not_found`
//! ("requested room does not exist"). A path Twirp has no handler for is a 404 too, with the
//! code `bad_route`: only the code tells a missing room from a wrong URL.
//!
//! Auth is a JWT the user mints with the project's key and secret, sent as Bearer; the
//! middleware answers a token it cannot verify with a plain-text 401. The emulator accepts
//! the one token [`super::LIVEKIT_TOKEN`].

use std::sync::Arc;

use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::http::{Req, reason, reply};
use super::rooms::{self, Room, RoomApi};
use super::seed::{Kind, Seed};
use super::profiles;
use super::api::{Api, Served};
use super::{Emulator, Shared};

/// The one LiveKit access token the emulator accepts (Bearer): an HS256 JWT of the
/// development key `devkey` and secret `secret`, with the `roomList` and `roomCreate`
/// grants, as `lk token create` or a server SDK mints one.
pub const LIVEKIT_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJkZXZrZXkiLCJzdWIiOiJzZXNzaW9uY3RsIiwibmJmIjoxNzAwMDAwMDAwLCJ2aWRlbyI6eyJyb29tTGlzdCI6dHJ1ZSwicm9vbUNyZWF0ZSI6dHJ1ZX19.hGY-KhMNDNlhUJqif7qO4AXKdQLPCB0Ex0Kurq3vj8w";

const SERVICE: &str = "livekit.RoomService";

/// Path prefix of the LiveKit server (its paths start with `/twirp`).
const PREFIX: &str = "/livekit";

/// The LiveKit server's room service.
pub(crate) struct LiveKit;

impl Api for LiveKit {
    fn seeds(&self) -> &'static [Kind] {
        &[rooms::ROOM]
    }

    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn content_type(&self) -> &'static str {
        "application/json"
    }

    /// Twirp: `{"code": <twirp code>, "msg": ...}`.
    fn error_body(&self, _status: u16, code: &str, message: &str) -> Value {
        json!({ "code": code, "msg": message })
    }

    fn status_error(&self, status: u16) -> Response {
        match status {
            // What LiveKit's auth middleware writes for a token it cannot verify.
            401 => reply(
                401,
                "text/plain; charset=utf-8",
                "invalid authorization token",
            ),
            // Twirp's error codes by the status they are sent with.
            _ => {
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
                self.error(status, code, reason(status))
            }
        }
    }

    /// A missing token, a malformed header and a wrong token are answered differently.
    fn refused(&self, _shared: &Shared, req: &Req) -> Option<Response> {
        let text = |body: &'static str| Some(reply(401, "text/plain; charset=utf-8", body));
        match req.header("authorization") {
            Some(v) if v == format!("Bearer {LIVEKIT_TOKEN}") => None,
            Some(v) if !v.starts_with("Bearer ") => {
                text("invalid authorization header. Must start with Bearer ")
            }
            Some(_) => Some(LiveKit.status_error(401)),
            // No token: the call is made without grants, and refused by the service.
            None => Some(LiveKit.error(401, "unauthenticated", "permissions denied")),
        }
    }

    fn route(&self, shared: &Arc<Shared>, req: &Req) -> Response {
        route(shared, req)
    }

    fn title(&self) -> &'static str {
        "LiveKit rooms"
    }

    fn auth(&self, _served: &Served) -> String {
        "Bearer: the token LIVEKIT_TOKEN of tests/emulator/livekit.rs".to_owned()
    }

    /// `livekit`, the shipped declared description run on the emulator as it is.
    fn profiles(&self, served: &Served) -> String {
        profiles::declared("livekit", &self.url(served.base), LIVEKIT_TOKEN)
    }

    fn demo(&self, now: Timestamp) -> Vec<Seed> {
        rooms::demo(RoomApi::Livekit, "livekit", now, false)
    }
}

/// Where a client finds this API.
impl Emulator {
    /// Base URL of the LiveKit server.
    pub fn livekit_url(&self) -> String {
        LiveKit.url(&self.url())
    }
}

fn row(room: &Room) -> Value {
    let created = room.created();
    let seconds = created.map_or_else(|| room.created_at.clone(), |t| t.as_second().to_string());
    let millis = created.map_or_else(|| "0".to_owned(), |t| t.as_millisecond().to_string());
    json!({
        "sid": room.uuid,
        "name": room.id,
        "empty_timeout": 300,
        "departure_timeout": 20,
        "max_participants": 0,
        "creation_time": seconds,
        "creation_time_ms": millis,
        "turn_password": "",
        "enabled_codecs": [],
        "metadata": "",
        "num_participants": room.participants,
        "num_publishers": 0,
        "active_recording": false,
        "version": null,
    })
}

fn bad_route(req: &Req, why: &str) -> Response {
    let path = format!("/twirp/{}", req.segments[1..].join("/"));
    let body = json!({
        "code": "bad_route",
        "msg": format!("{why} {path:?}"),
        "meta": { "twirp_invalid_route": format!("{} {path}", req.method) },
    });
    LiveKit.json(404, &body)
}

fn route(shared: &Shared, req: &Req) -> Response {
    let segs = req.segs();
    let ["twirp", service, method] = segs.as_slice() else {
        return super::http::no_route();
    };
    if *service != SERVICE || !matches!(*method, "ListRooms" | "DeleteRoom") {
        return bad_route(req, "no handler for path");
    }
    if req.method != "POST" {
        return bad_route(req, "unsupported method");
    }
    let json = (req.header("content-type")).is_some_and(|t| t.starts_with("application/json"));
    if !json {
        return bad_route(req, "unexpected Content-Type for path");
    }
    let body: Value = match req.json() {
        Ok(body) => body,
        Err(why) => return LiveKit.error(400, "malformed", &why),
    };
    match *method {
        "ListRooms" => list(shared, &body),
        _ => delete(shared, &body),
    }
}

fn list(shared: &Shared, body: &Value) -> Response {
    let names: Option<Vec<&str>> = (body.get("names").and_then(Value::as_array))
        .map(|names| names.iter().filter_map(Value::as_str).collect());
    let mut state = shared.lock();
    let rooms: Vec<Value> = (state.table::<rooms::Rooms>().ordered(RoomApi::Livekit).into_iter())
        .filter(|r| !r.deleted)
        .filter(|r| names.as_ref().is_none_or(|n| n.contains(&r.id.as_str())))
        .map(row)
        .collect();
    LiveKit.json(200, &json!({ "rooms": rooms }))
}

fn delete(shared: &Shared, body: &Value) -> Response {
    let name = body.get("room").and_then(Value::as_str).unwrap_or_default();
    match shared.lock().table::<rooms::Rooms>().delete(RoomApi::Livekit, name) {
        true => LiveKit.json(200, &json!({})),
        false => LiveKit.error(404, "not_found", "requested room does not exist"),
    }
}
