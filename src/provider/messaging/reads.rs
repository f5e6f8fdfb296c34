//! What an elizaOS server holds, read without side effects. In `@elizaos/server` 1.7.2
//! (`dist/index.js`, sessions router) `GET /api/messaging/sessions/{id}` of an expired session
//! answers 410 **and deletes it**, so nothing here reads a session by its ID: the session
//! list (which hides expired sessions) says what is live, and the message server's channel
//! list says which channels sessions left behind.

use std::collections::HashMap;

use serde::Deserialize;

use crate::client::http::Http;
use crate::provider::{ListError, get_page};

/// `GET /api/messaging/sessions`: every live session (no paging, no filters).
#[derive(Deserialize)]
pub(super) struct ListReply {
    #[serde(deserialize_with = "crate::provider::required_list")]
    pub sessions: Vec<SessionInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SessionInfo {
    pub session_id: String,
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub channel_id: Option<String>,
    pub created_at: Option<String>,
    pub last_activity: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub expires_at: Option<String>,
    /// Milliseconds (1.7.2 sends `max(0, expiresAt - now)`).
    pub time_remaining: Option<f64>,
}

pub(super) async fn sessions(http: &Http) -> Result<ListReply, ListError> {
    get_page(http, http.url(&["api", "messaging", "sessions"])?).await
}

/// The live sessions and their channels (a session without one maps to `None`).
pub(super) type Live = HashMap<String, Option<String>>;

pub(super) async fn live(http: &Http) -> Result<Live, ListError> {
    let reply = sessions(http).await?;
    Ok((reply.sessions.into_iter())
        .map(|s| (s.session_id, s.channel_id))
        .collect())
}

/// A channel that provably belongs to a session: 1.7.2's `POST /sessions` names it
/// `session-<sessionId>` and puts `sessionId` in its metadata; both must agree.
#[derive(Debug, Clone)]
pub(super) struct SessionChannel {
    /// The channel's ID.
    pub id: String,
    pub session_id: String,
    pub created: Option<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Wrapped<T> {
    data: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Current {
    message_server_id: String,
}

#[derive(Deserialize)]
struct ChannelList {
    channels: Vec<Channel>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Channel {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
    created_at: Option<String>,
}

impl Channel {
    fn of_session(self) -> Option<SessionChannel> {
        let session_id = self.name.strip_prefix("session-")?;
        let metadata = self.metadata?;
        let claimed = metadata.get("sessionId")?.as_str()?;
        (claimed == session_id && !session_id.is_empty()).then(|| SessionChannel {
            session_id: session_id.to_owned(),
            id: self.id,
            created: self.created_at,
            metadata,
        })
    }
}

/// The session channels of the server's own message server (where 1.7.2 creates them):
/// `GET /api/messaging/message-server/current`, then
/// `GET /api/messaging/message-servers/{id}/channels`. Keyed by session ID.
pub(super) async fn session_channels(
    http: &Http,
) -> Result<HashMap<String, SessionChannel>, ListError> {
    let url = http.url(&["api", "messaging", "message-server", "current"])?;
    let current: Wrapped<Current> = get_page(http, url).await?;
    let server = current.data.message_server_id;
    let url = http.url(&["api", "messaging", "message-servers", &server, "channels"])?;
    let list: Wrapped<ChannelList> = get_page(http, url).await?;
    Ok((list.data.channels.into_iter())
        .filter_map(Channel::of_session)
        .map(|c| (c.session_id.clone(), c))
        .collect())
}
