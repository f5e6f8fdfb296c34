//! A local elizaOS-style messaging server (`@elizaos/server` 1.x), `providers.md` §3.
//!
//! `end` is the server's own `DELETE /api/messaging/sessions/{id}`, which only drops the
//! session from the server's memory: a 404 means "not found or already ended" (the server
//! cannot tell the two apart, so neither can we). `delete` also removes the session's
//! channel and its messages ([`delete`]), which 1.7.2 otherwise keeps forever. Dry runs and
//! lookups never read a session by its ID ([`reads`]): in 1.7.2 that read deletes an expired
//! session.

mod delete;
mod reads;

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::SecretString;
use tokio::sync::OnceCell;

use super::fields::{Named, Shows};
use super::unit::{self, ProviderConfig};
use super::{
    Action, Capabilities, Fields, ListError, Options, Orphan, Page, Provider, SessionRow, Success,
};
use crate::client::http::{Http, MessageOf, Request};
use crate::ids::SessionId;
use crate::outcome::{Outcome, SessionResult};
use crate::select::{Selectable, ServerFilter};

/// `provider = "messaging"`: no keys of its own.
#[derive(Debug)]
pub struct Factory;

impl unit::Factory for Factory {
    fn name(&self) -> &str {
        "messaging"
    }

    fn keys(&self) -> &[&'static str] {
        &[]
    }

    /// Whose a session is (its user, its agent), its channel, and when the server will
    /// expire it on its own (`expiresAt`) with how long it had left when it answered
    /// (`timeRemaining`).
    fn fields(&self) -> &[Named] {
        const {
            &[
                Named::selected("user", "USER"),
                Named::selected("agent", "AGENT"),
                Named::selected("channel", "CHANNEL"),
                Named::shown("expires", "EXPIRES", Shows::Time),
                Named::shown("remaining_ms", "LEFT", Shows::Millis),
            ]
        }
    }

    fn parse(
        &self,
        _: &mut crate::section::Section,
    ) -> Result<std::sync::Arc<dyn ProviderConfig>, crate::section::SectionError> {
        Ok(std::sync::Arc::new(Config))
    }
}

#[derive(Debug)]
struct Config;

const CAPS: Capabilities = Capabilities {
    needs_key: false,
    reports_participants: false,
    orphans: true,
    published_rate: None,
    judges: super::Judges::BOTH,
};

impl ProviderConfig for Config {
    fn name(&self) -> &'static str {
        "messaging"
    }

    fn default_base_url(&self) -> &'static str {
        "http://localhost:3000"
    }

    fn caps(&self) -> &Capabilities {
        &CAPS
    }

    fn error_message(&self) -> MessageOf {
        MessageOf::new(error_message)
    }

    fn deletes(&self) -> &'static str {
        "each session and its channel with the channel's messages"
    }

    fn selectable(&self) -> &'static [Selectable] {
        SELECTABLE
    }

    /// Only servers started with `ELIZA_SERVER_AUTH_TOKEN` check a key, in this header.
    fn auth(&self, key: &SecretString) -> Vec<(HeaderName, HeaderValue)> {
        super::x_api_key(key)
    }

    fn build(&self, http: Http, _profile: &str, _opts: &Options) -> Box<dyn Provider> {
        Box::new(Messaging {
            http,
            live: OnceCell::new(),
            channels: OnceCell::new(),
        })
    }
}

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

/// A cached read: its value, or the one error it met (the run does not ask again).
type Cached<T> = OnceCell<Result<T, String>>;

struct Messaging {
    http: Http,
    /// The live sessions, read once per run (dry runs, channel lookups).
    live: Cached<reads::Live>,
    /// The channels sessions made, by session ID, read once per run and only when needed.
    channels: Cached<std::collections::HashMap<String, reads::SessionChannel>>,
}

impl Messaging {
    async fn live(&self) -> Result<&reads::Live, String> {
        let read = self.live.get_or_init(|| async {
            (reads::live(&self.http).await).map_err(|e| format!("listing sessions: {e}"))
        });
        read.await.as_ref().map_err(Clone::clone)
    }

    async fn channels(
        &self,
    ) -> Result<&std::collections::HashMap<String, reads::SessionChannel>, String> {
        let read = self.channels.get_or_init(|| async {
            (reads::session_channels(&self.http).await)
                .map_err(|e| format!("listing channels: {e}"))
        });
        read.await.as_ref().map_err(Clone::clone)
    }

    /// The channel that belongs to session `id`: the one its live row names, else the
    /// session channel it left behind (none when it has none on this server).
    async fn channel_of(&self, id: &str) -> Result<Owner, String> {
        if let Some(channel) = self.live().await?.get(id) {
            return Ok(Owner::Live(channel.clone()));
        }
        Ok(Owner::LeftBehind(
            self.channels().await?.get(id).map(|c| c.id.clone()),
        ))
    }

    /// The channel of a session the run's cached reads do not know, read afresh (uncached:
    /// only for a session a DELETE just showed existed, see [`delete`]).
    async fn channel_now(&self, id: &str) -> Result<Option<String>, String> {
        let channels = (reads::session_channels(&self.http).await)
            .map_err(|e| format!("listing channels: {e}"))?;
        Ok(channels.get(id).map(|c| c.id.clone()))
    }

    /// `--dry-run=server`: what `apply` would find, from the lists alone.
    async fn probe_one(&self, action: Action, id: SessionId) -> SessionResult {
        let live = match self.live().await {
            Ok(live) => live.contains_key(id.as_str()),
            Err(why) => return SessionResult::failed(id, why),
        };
        if live {
            return SessionResult::new(id, super::would(action));
        }
        let channel = match action {
            Action::End => None,
            Action::Delete => match self.channel_of(&id).await {
                Ok(owner) => match unsendable_channel(&id, &owner) {
                    None => owner.channel().cloned(),
                    Some(refused) => return refused,
                },
                Err(why) => return SessionResult::failed(id, why),
            },
        };
        match channel {
            Some(channel) => {
                let mut r = SessionResult::new(id, Outcome::WouldDelete);
                r.note = Some(format!(
                    "{NOT_LIVE}; its channel {channel} and the channel's messages would be deleted"
                ));
                r
            }
            None => SessionResult::new(id, Outcome::NotFound).with_error(NOT_LIVE),
        }
    }
}

/// The session's own metadata from its channel's: 1.7.2 stores the session's metadata
/// there with `sessionId`, `agentId`, `userId` and `timeoutConfig` added (shown as columns
/// of their own, or not at all), so `--where metadata.KEY` means the same as on sessions.
fn session_metadata(
    channel: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    const ADDED: [&str; 4] = ["sessionId", "agentId", "userId", "timeoutConfig"];
    let own = channel.iter().filter(|(k, _)| !ADDED.contains(&k.as_str()));
    own.map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A channel ID from the server, checked as every session ID is before a request names it
/// (the URL builder alone refuses only dot segments, and would encode and send a control
/// character): `Some` is the delete's result, refused whole before anything is sent.
fn unsendable_channel(id: &SessionId, owner: &Owner) -> Option<SessionResult> {
    let channel = owner.channel()?;
    let why = SessionId::new(channel.as_str()).err()?;
    let mut r = SessionResult::failed(
        id,
        format!(
            "nothing deleted: the server named channel `{}` for it, which cannot be sent ({why})",
            channel.escape_default()
        ),
    );
    r.error_kind = Some(crate::outcome::ErrorKind::Protocol);
    Some(r)
}

/// Whose channel a delete would remove, as the lists say.
enum Owner {
    /// A live session's (its row may name none).
    Live(Option<String>),
    /// A session the list no longer has: the channel it left behind, if any.
    LeftBehind(Option<String>),
}

impl Owner {
    fn channel(&self) -> Option<&String> {
        match self {
            Owner::Live(c) | Owner::LeftBehind(c) => c.as_ref(),
        }
    }
}

/// Why a session is not in the list; the list cannot say which of these it is (a dry run
/// reads the list once, so a session may also have begun after that read).
const NOT_LIVE: &str = "not among the server's live sessions when this run read them (ended, expired, never there, or begun since)";

/// 1.7.2's `DELETE /sessions/{id}` answers 404 once a session is gone and 200 for one that
/// expired but is still in memory; a server that answers 410 says it is gone:
/// `already_ended`, noted with what its body says (expired on its own only when the code is
/// `SESSION_EXPIRED`, as 1.7.2's `GET` sends).
fn end_outcome(
    id: &str,
    result: Result<crate::client::http::Reply, crate::client::http::Failure>,
    ok: Outcome,
) -> SessionResult {
    match result {
        Ok(reply) if reply.status.as_u16() == 410 => {
            let mut r = SessionResult::from_reply(id, Outcome::AlreadyEnded, &reply);
            r.note = Some(gone_note(&reply.body));
            r
        }
        other => super::per_id_outcome(id, other, ok, Success::json(200)),
    }
}

/// What a 410's body says: its `error.code` when that is an error code (capitals and
/// underscores; anything else is not repeated), and expiry only when it says so.
fn gone_note(body: &[u8]) -> String {
    let value: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let code = (value.as_ref())
        .and_then(|v| v.pointer("/error/code")?.as_str())
        .filter(|c| c.len() <= 64 && !c.is_empty())
        .filter(|c| c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
    match code {
        Some("SESSION_EXPIRED") => {
            "expired: the server ended it on its own (410 SESSION_EXPIRED)".into()
        }
        Some(code) => format!("gone: the server answered 410 {code}, not that it expired"),
        None => "gone: the server answered 410, not that it expired".into(),
    }
}

#[async_trait]
impl Provider for Messaging {
    async fn apply(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        super::each(ids, |id| async move {
            match action {
                Action::End => {
                    let url = match self.http.url(&["api", "messaging", "sessions", &id]) {
                        Ok(url) => url,
                        Err(refused) => return super::unsent(id, refused),
                    };
                    let result = self.http.send(Request::new(Method::DELETE, url)).await;
                    end_outcome(&id, result, Outcome::Ended)
                }
                Action::Delete => self.delete(id).await,
            }
        })
        .await
    }

    /// The session channels whose session is not live: left by sessions that were ended
    /// (1.7.2's DELETE keeps the channel), expired, or forgotten by a server restart. A
    /// channel counts only when its name and metadata both name the session, and no live
    /// session row names it. Both reads are the ones a `delete` of these rows then uses.
    async fn orphans(&self) -> Result<Vec<Orphan>, ListError> {
        let live = self.live().await.map_err(ListError::Decode)?;
        let held: std::collections::HashSet<&String> = live.values().flatten().collect();
        let channels = self.channels().await.map_err(ListError::Decode)?;
        let mut orphans: Vec<Orphan> = (channels.values())
            .filter(|c| !live.contains_key(&c.session_id) && !held.contains(&c.id))
            .map(|c| {
                let text = |key: &str| c.metadata.get(key)?.as_str().map(str::to_owned);
                let row = SessionRow {
                    owner: text("userId"),
                    created: c.created.clone(),
                    active: false,
                    id: c.session_id.clone(),
                    fields: Fields::default()
                        .with("user", text("userId"))
                        .with("agent", text("agentId"))
                        .with("channel", Some(c.id.clone()))
                        .metadata(Some(session_metadata(&c.metadata))),
                    ..SessionRow::default()
                };
                let left = format!("channel {}", c.id);
                Orphan { row, left }
            })
            .collect();
        orphans.sort_by(|a, b| (&a.row.created, &a.row.id).cmp(&(&b.row.created, &b.row.id)));
        Ok(orphans)
    }

    /// `expiresAt`, the list's (see [`Factory::fields`]).
    fn expires(&self, row: &SessionRow) -> Option<jiff::Timestamp> {
        row.fields.str("expires").and_then(crate::units::parse_time)
    }

    /// Reads the lists, never the session: see [`reads`].
    async fn probe(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        super::each(ids, |id| self.probe_one(action, id)).await
    }

    /// The server has no paging and no filters: one call returns every live session.
    async fn list_page(
        &self,
        _cursor: Option<String>,
        _active_only: bool,
        _server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        let url = self.http.url(&["api", "messaging", "sessions"])?;
        let rest = crate::provider::RowStream::get(&self.http, url, "sessions", row_of).await?;
        Ok(Page {
            rest: Some(rest),
            ..Page::default()
        })
    }
}

/// A listed session as `list` shows it.
fn row_of(s: reads::SessionInfo) -> SessionRow {
    SessionRow {
        id: s.session_id,
        owner: s.user_id.clone(),
        created: s.created_at,
        activity: s.last_activity,
        active: true,
        fields: Fields::default()
            .with("user", s.user_id)
            .with("agent", s.agent_id)
            .with("channel", s.channel_id)
            .metadata(s.metadata)
            .with("expires", s.expires_at)
            .with(
                "remaining_ms",
                s.time_remaining.map(|ms| ms.max(0.0) as u64),
            ),
        ..SessionRow::default()
    }
}
