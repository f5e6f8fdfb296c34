//! A local elizaOS-style messaging server (`@elizaos/server` 1.x), `providers.md` §3.
//!
//! Ending a session *is* deleting it (`DELETE /api/messaging/sessions/{id}`), and a 404 means
//! "not found or already ended": the server cannot tell the two apart, so neither can we.

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{
    Action, Capabilities, ListError, Options, Page, Provider, ProviderSpec, SessionRow, Settings,
};
use crate::client::http::{Http, Request};
use crate::outcome::{Outcome, SessionResult};
use crate::select::{Selectable, ServerFilter};

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "messaging",
    api_versions: &[1],
    default_base_url: |_| "http://localhost:3000",
    caps: Capabilities {
        needs_key: false,
        team_id: false,
        batches: false,
        reports_participants: false,
        published_rate: None,
    },
    error_message,
    selectable: |_| SELECTABLE,
    auth,
    build,
};

/// `{"success": false, "error": {"code", "message"}}`, or from its auth middleware
/// `{"error": "...", "message": "..."}`.
fn error_message(body: &serde_json::Value) -> Option<String> {
    let nested = body.pointer("/error/message").and_then(|m| m.as_str());
    let flat = || body.get("message")?.as_str();
    let slug = || body.get("error")?.as_str();
    nested.or_else(flat).or_else(slug).map(str::to_owned)
}

/// The list takes no filters (`packages/server/src/api/messaging/sessions.ts`): every field
/// is matched on the listed rows.
const SELECTABLE: &[Selectable] = &[
    Selectable::rows("user"),
    Selectable::rows("agent"),
    Selectable::rows("channel"),
    Selectable::rows("id"),
    Selectable::rows("metadata"),
];

/// Only servers started with `ELIZA_SERVER_AUTH_TOKEN` check a key, in this header.
fn auth(key: &SecretString, _team: Option<&str>) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static("x-api-key"),
        super::secret_header(key.expose_secret().to_owned()),
    )
}

fn build(http: Http, _settings: &Settings, _opts: &Options) -> Box<dyn Provider> {
    Box::new(Messaging { http })
}

struct Messaging {
    http: Http,
}

#[derive(Deserialize)]
struct ListReply {
    #[serde(deserialize_with = "super::required_list")]
    sessions: Vec<SessionInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionInfo {
    session_id: String,
    user_id: Option<String>,
    agent_id: Option<String>,
    channel_id: Option<String>,
    created_at: Option<String>,
    last_activity: Option<String>,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

#[async_trait]
impl Provider for Messaging {
    async fn apply(&self, action: Action, ids: Vec<String>) -> Vec<SessionResult> {
        let ok = match action {
            Action::End => Outcome::Ended,
            Action::Delete => Outcome::Deleted,
        };
        super::each(ids, |id| async move {
            let url = self.http.url(&["api", "messaging", "sessions", &id]);
            let result = self.http.send(Request::new(Method::DELETE, url)).await;
            super::per_id_outcome(&id, result, ok)
        })
        .await
    }

    /// `GET /api/messaging/sessions/{id}`: 404, or 410 for one that just expired, is
    /// `not_found`.
    async fn probe(&self, action: Action, ids: Vec<String>) -> Vec<SessionResult> {
        super::each(ids, |id| async move {
            let url = self.http.url(&["api", "messaging", "sessions", &id]);
            super::probe_get(&self.http, id, url, |_| super::would(action)).await
        })
        .await
    }

    /// The server has no paging and no filters: one call returns every live session.
    async fn list_page(
        &self,
        _cursor: Option<String>,
        _active_only: bool,
        _server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        let url = self.http.url(&["api", "messaging", "sessions"]);
        let reply: ListReply = super::get_page(&self.http, url).await?;
        let rows = reply
            .sessions
            .into_iter()
            .map(|s| SessionRow {
                id: s.session_id,
                owner: s.user_id.clone(),
                user: s.user_id,
                agent: s.agent_id,
                channel: s.channel_id,
                metadata: s.metadata,
                created: s.created_at,
                activity: s.last_activity,
                active: true,
                ..SessionRow::default()
            })
            .collect();
        Ok(Page {
            rows,
            ..Page::default()
        })
    }
}
