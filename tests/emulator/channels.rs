//! elizaOS server 1.x message channels (`/api/messaging/channels`, `/message-servers`): the
//! database side of a messaging session. `@elizaos/server` 1.7.2 (`dist/index.js`) creates a
//! DM channel named `session-<sessionId>` with metadata `{sessionId, agentId, userId,
//! timeoutConfig}` for every `POST /sessions`, and keeps it (and its messages) when the
//! session is deleted, expires, or the server restarts: only `DELETE /channels/{id}` removes
//! them.
//!
//! Deviation: messages are only counted (their content is never read by sessionctl); one
//! message server (the default one, ID all zeros).

use std::collections::HashMap;

use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::api::Api;
use super::http::{Req, empty};
use super::messaging::Messaging;
use super::seed::{Kind, Record, new_uuid};
use super::state::State;
use super::{Emulator, Shared, clock};

/// The server's own message server (`serverInstance.messageServerId` in 1.7.2).
pub(crate) const MESSAGE_SERVER_ID: &str = "00000000-0000-0000-0000-000000000000";

/// An elizaOS channel that belongs to no session (kind `messaging_channel`; a group chat an
/// operator made), to show that sessionctl never takes it for a session's.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSeed {
    #[serde(default = "new_uuid")]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub metadata: Value,
    #[serde(default)]
    pub messages: u32,
}

pub(crate) const CHANNEL: Kind = Kind::of::<ChannelSeed>("messaging_channel");

impl Record for ChannelSeed {
    fn apply(&self, state: &mut State) -> Result<(), String> {
        let c = self.clone();
        (state.table::<Channels>()).add(c.id, c.name, c.metadata, c.messages);
        Ok(())
    }
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Channel {
    id: String,
    message_server_id: &'static str,
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    metadata: Value,
    created_at: String,
    updated_at: String,
    #[serde(skip)]
    messages: u32,
}

#[derive(Default)]
pub(crate) struct Channels {
    map: HashMap<String, Channel>,
}

impl Channels {
    /// The DM channel `POST /sessions` creates for a session.
    pub fn add_session_channel(&mut self, id: String, session_metadata: Value, messages: u32) {
        let session_id = session_metadata["sessionId"].as_str().unwrap_or_default();
        let now = clock::now_millis();
        let channel = Channel {
            id: id.clone(),
            message_server_id: MESSAGE_SERVER_ID,
            name: format!("session-{session_id}"),
            kind: "DM",
            metadata: session_metadata,
            created_at: now.clone(),
            updated_at: now,
            messages,
        };
        self.map.insert(id, channel);
    }

    /// Any other channel (a group chat, a channel an operator made): sessionctl must never
    /// take it for a session's.
    pub fn add(&mut self, id: String, name: String, metadata: Value, messages: u32) {
        let now = clock::now_millis();
        let channel = Channel {
            id: id.clone(),
            message_server_id: MESSAGE_SERVER_ID,
            name,
            kind: "GROUP",
            metadata,
            created_at: now.clone(),
            updated_at: now,
            messages,
        };
        self.map.insert(id, channel);
    }

    pub fn set_metadata(&mut self, id: &str, metadata: Value) {
        if let Some(channel) = self.map.get_mut(id) {
            channel.metadata = metadata;
        }
    }

    /// How many messages a channel holds; `None` when there is no such channel.
    pub fn messages(&self, id: &str) -> Option<u32> {
        self.map.get(id).map(|c| c.messages)
    }
}

/// The channel routes sessionctl uses; `segs` start after `/api/messaging`.
pub(crate) fn route(shared: &Shared, req: &Req, segs: &[&str]) -> Response {
    match (req.method.as_str(), segs) {
        ("GET", ["message-server", "current"]) => {
            ok(json!({ "messageServerId": MESSAGE_SERVER_ID }))
        }
        ("GET", ["message-servers", server, "channels"]) => {
            if uuid::Uuid::parse_str(server).is_err() {
                return invalid("messageServerId");
            }
            let mut state = shared.lock();
            let mut channels: Vec<&Channel> = (state.table::<Channels>().map.values())
                .filter(|c| c.message_server_id == *server)
                .collect();
            channels.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
            ok(json!({ "channels": channels }))
        }
        ("GET", ["channels", id, "details"]) => {
            if uuid::Uuid::parse_str(id).is_err() {
                return invalid("channelId");
            }
            match shared.lock().table::<Channels>().map.get(*id) {
                Some(channel) => ok(json!(channel)),
                None => Messaging.json(
                    404,
                    &json!({ "success": false, "error": "Channel not found" }),
                ),
            }
        }
        ("GET", ["channels", id, "messages"]) => {
            if uuid::Uuid::parse_str(id).is_err() {
                return invalid("channelId");
            }
            let count = shared.lock().table::<Channels>().messages(id).unwrap_or(0);
            let messages: Vec<Value> = (0..count)
                .map(|n| json!({ "id": format!("{id}-{n}"), "channelId": id }))
                .collect();
            ok(json!({ "messages": messages }))
        }
        // 204 whether or not the channel existed (1.7.2 deletes by ID and never checks).
        ("DELETE", ["channels", id]) => {
            if uuid::Uuid::parse_str(id).is_err() {
                return invalid("channelId");
            }
            shared.lock().table::<Channels>().map.remove(*id);
            empty(204)
        }
        _ => Messaging.status_error(404),
    }
}

fn ok(data: Value) -> Response {
    Messaging.json(200, &json!({ "success": true, "data": data }))
}

fn invalid(what: &str) -> Response {
    Messaging.json(
        400,
        &json!({ "success": false, "error": format!("Invalid {what}") }),
    )
}

/// What a test asks of these records.
impl Emulator {
    /// `Some(messages)` while the elizaOS channel exists, `None` once it is deleted.
    pub fn channel_messages(&self, channel_id: &str) -> Option<u32> {
        self.shared.lock().table::<Channels>().messages(channel_id)
    }
}
