//! Digital Samba REST v1 (`providers.md` §2): end live sessions, list them, and hard-delete
//! a session's stored data (there is no way to delete the session record itself).

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use jiff::Timestamp;

use super::fields::Named;
use super::unit::{self, Note, ProviderConfig, Slot};
use super::{
    Action, Capabilities, Features, Fields, ListError, Options, Page, Provider, SessionRow,
    Staleness, Success, Sweep,
};

/// Its end answers 200 `text/plain` with an empty or non-JSON body (never parsed).
const END: Success = Success {
    status: 200,
    body: super::Body::Text,
};
/// Its delete of stored data answers 204 with no body.
const DELETE: Success = Success {
    status: 204,
    body: super::Body::Empty,
};
use crate::client::http::{Http, MessageOf, Request};
use crate::ids::SessionId;
use crate::outcome::{Outcome, SessionResult};
use crate::select::{Selectable, ServerFilter};

/// `provider = "digital-samba"`, with its one key: `team_id`, which the key is sent with.
#[derive(Debug)]
pub struct Factory;

impl unit::Factory for Factory {
    fn name(&self) -> &str {
        "digital-samba"
    }

    fn keys(&self) -> &[&'static str] {
        &["team_id"]
    }

    /// Its sweeps act only on sessions known to be empty, `--empty` or not.
    fn notes(&self) -> &[Note] {
        &[Note {
            flag: "--empty",
            counted: "--empty is now the default: a Digital Samba sweep only acts on sessions known to be empty",
            uncounted: "--empty changes nothing here: only Digital Samba reports participants, and its sweeps act only on sessions known to be empty",
        }]
    }

    /// The room a session is held in.
    fn fields(&self) -> &[Named] {
        const { &[Named::selected("room", "ROOM")] }
    }

    fn slots(&self) -> &[Slot] {
        &[Slot {
            key: "team_id",
            after: "key",
            unset: "-",
        }]
    }

    fn starter(&self) -> &str {
        r#"# Digital Samba.
# [profiles.samba]
# provider = "digital-samba"
# team_id = "your-team-id"
# api_key_env = "DIGITAL_SAMBA_DEVELOPER_KEY"
# max_per_run = 200
"#
    }

    fn parse(
        &self,
        section: &mut crate::section::Section,
    ) -> Result<std::sync::Arc<dyn ProviderConfig>, crate::section::SectionError> {
        let team_id = section.take("team_id")?;
        Ok(std::sync::Arc::new(Config { team_id }))
    }
}

/// A Digital Samba profile's own settings.
#[derive(Debug)]
struct Config {
    team_id: Option<String>,
}

const CAPS: Capabilities = Capabilities {
    needs_key: true,
    reports_participants: true,
    orphans: false,
    // 1000 requests per minute per team (docs); whether replies announce it is not.
    published_rate: Some(1000.0 / 60.0),
    judges: super::Judges::BOTH,
};

impl ProviderConfig for Config {
    fn name(&self) -> &'static str {
        "digital-samba"
    }

    fn default_base_url(&self) -> &'static str {
        "https://api.digitalsamba.com/api/v1"
    }

    fn caps(&self) -> &Capabilities {
        &CAPS
    }

    fn error_message(&self) -> MessageOf {
        MessageOf::new(error_message)
    }

    fn selectable(&self) -> &'static [Selectable] {
        SELECTABLE
    }

    /// The OpenAPI document allows both: Basic with the team ID as user when we know it,
    /// else Bearer with the developer key alone.
    fn auth(&self, key: &SecretString) -> Vec<(HeaderName, HeaderValue)> {
        let value = match &self.team_id {
            Some(team) => format!(
                "Basic {}",
                STANDARD.encode(format!("{team}:{}", key.expose_secret()))
            ),
            None => format!("Bearer {}", key.expose_secret()),
        };
        vec![(AUTHORIZATION, super::secret_header(value))]
    }

    /// `DELETE /sessions/{id}/resources` (the OpenAPI document's `deleteSessionResources`).
    fn deletes(&self) -> &'static str {
        "each session's recordings, chat, transcripts, summaries, polls and questions \
         (the session record itself stays)"
    }

    fn account(&self) -> Option<&str> {
        self.team_id.as_deref()
    }

    fn rows(&self) -> Vec<unit::Row> {
        vec![unit::Row::new("team_id", self.team_id.clone(), false)]
    }

    fn build(&self, http: Http, profile: &str, _opts: &Options) -> Box<dyn Provider> {
        Box::new(DigitalSamba {
            http,
            profile: profile.to_owned(),
        })
    }
}

/// `{"message": "..."}`, as every Digital Samba error.
fn error_message(body: &serde_json::Value) -> Option<String> {
    body.get("message")?.as_str().map(str::to_owned)
}

/// `room=` is the `room_id` query parameter of `GET /sessions` (the OpenAPI document's
/// `getAllSessions`: "The UUID of the room to filter session by specific room").
const SELECTABLE: &[Selectable] = &[
    Selectable::server("room", "GET /sessions?room_id="),
    Selectable::rows("id"),
];

/// Which sessions a listing asks for.
#[derive(Debug, Clone, Copy)]
enum Which {
    Live,
    /// Not live, and possibly ended before this instant.
    Ended(Timestamp),
}

/// The API's maximum (and default) page size.
const PAGE_SIZE: u64 = 100;

struct DigitalSamba {
    http: Http,
    /// The profile's name, for hints that give a full command.
    profile: String,
}

#[derive(Deserialize)]
struct ListReply {
    #[serde(default, deserialize_with = "string_or_number")]
    total_count: Option<u64>,
    #[serde(deserialize_with = "super::required_list")]
    data: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    room_id: Option<String>,
    start_time: Option<String>,
    /// Also on live rows (the OpenAPI example has one): it proves an end only where `live`
    /// is false.
    end_time: Option<String>,
    live: Option<bool>,
    participants_live: Option<u64>,
}

impl Row {
    fn listed(self) -> SessionRow {
        SessionRow {
            id: self.id,
            owner: self.room_id.clone(),
            fields: Fields::default().with("room", self.room_id),
            // The list has no last-activity field: `start_time` is when the meeting began.
            created: self.start_time,
            active: self.live == Some(true),
            active_unsaid: self.live.is_none(),
            // A row that does not say it is over proves no end, whatever its end_time.
            ended: self.end_time.filter(|_| self.live == Some(false)),
            participants: self.participants_live,
            ..SessionRow::default()
        }
    }
}

/// `GET /sessions/{id}`: note `session_id`/`session_live`, not `id`/`live`.
#[derive(Deserialize)]
struct Statistics {
    session_id: Option<String>,
    session_live: Option<bool>,
    session_start_time: Option<String>,
    session_end_time: Option<String>,
    room_id: Option<String>,
    live_participants: Option<u64>,
}

impl Statistics {
    /// The session `id` as its list row says it; a reply about another session is refused
    /// (judged, it would speak for the wrong one).
    fn listed(self, id: &str) -> Result<SessionRow, String> {
        if let Some(other) = self.session_id.as_deref().filter(|s| *s != id) {
            return Err(format!(
                "reading it failed: the reply is about session `{}`",
                other.escape_default()
            ));
        }
        Ok(Row {
            id: id.to_owned(),
            room_id: self.room_id,
            start_time: self.session_start_time,
            end_time: self.session_end_time,
            live: self.session_live,
            participants_live: self.live_participants,
        }
        .listed())
    }
}

/// The OpenAPI document types `total_count` as a string (`"2"`); servers may send a number.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

impl DigitalSamba {
    /// `POST /sessions/{id}/end`. Success is 200 with an empty or plain-text body, which is
    /// never parsed. What the API answers for a session that is no longer live is not
    /// documented, so a 400/409/422 is checked against `GET /sessions/{id}`.
    async fn end_one(&self, id: SessionId) -> SessionResult {
        let url = match self.http.url(&["sessions", &id, "end"]) {
            Ok(url) => url,
            Err(refused) => return super::unsent(id, refused),
        };
        let reply = match self.http.send(Request::new(Method::POST, url)).await {
            Ok(reply) if matches!(reply.status.as_u16(), 400 | 409 | 422) => reply,
            other => return super::per_id_outcome(&id, other, Outcome::Ended, END),
        };
        let url = self.http.url(&["sessions", &id]).expect("checked above");
        let live = match self.http.send(Request::new(Method::GET, url)).await {
            Ok(r) if r.is_success() => r.json::<Statistics>().ok().and_then(|s| s.session_live),
            _ => None,
        };
        let outcome = if live == Some(false) {
            Outcome::AlreadyEnded
        } else {
            Outcome::Failed
        };
        let mut result = SessionResult::from_reply(id, outcome, &reply);
        if outcome == Outcome::AlreadyEnded {
            result.error = None;
        }
        result
    }

    /// `DELETE /sessions/{id}/resources`: irreversibly deletes recordings, chat,
    /// transcripts, summaries, polls and questions. Refused (422) while the session is live.
    async fn delete_one(&self, id: SessionId) -> SessionResult {
        let url = match self.http.url(&["sessions", &id, "resources"]) {
            Ok(url) => url,
            Err(refused) => return super::unsent(id, refused),
        };
        let result = self.http.send(Request::new(Method::DELETE, url)).await;
        let mut r = super::per_id_outcome(&id, result, Outcome::Deleted, DELETE);
        if r.status == Some(422) {
            let message = r.error.take().unwrap_or_default();
            r.error = Some(format!("{message} (end it first: {})", self.end_hint(&id)));
        }
        r
    }

    /// `GET /sessions` with offset paging (`room_id=` for `--where room=`), live sessions
    /// only, ended ones only, or all (`which` is `None`). Which field `order` sorts by is
    /// not documented, so a sweep reads every page rather than trust an order.
    async fn list(
        &self,
        cursor: Option<String>,
        which: Option<Which>,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        let at = super::paging::Position::of(cursor.as_deref());
        let mut url = self.http.url(&["sessions"])?;
        {
            let mut q = url.query_pairs_mut();
            match which {
                None => {}
                Some(Which::Live) => {
                    q.append_pair("live", "true");
                }
                Some(Which::Ended(before)) => {
                    let margin = jiff::SignedDuration::from_hours(48);
                    let end = before.saturating_add(margin).expect("a bounded span");
                    let day = end.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
                    q.append_pair("live", "false")
                        .append_pair("date_end", &day.strftime("%Y-%m-%d").to_string());
                }
            }
            if let Some(room) = server {
                q.append_pair("room_id", &room.value);
            }
            q.append_pair("limit", &PAGE_SIZE.to_string())
                .append_pair("offset", &at.offset.to_string())
                .append_pair("order", "asc");
        }
        let reply: ListReply = super::get_page(&self.http, url).await?;
        let next = at.next(reply.data.len(), reply.total_count)?;
        let rows = reply.data.into_iter().map(Row::listed).collect();
        Ok(Page {
            rows,
            next,
            rest: None,
            total: reply.total_count,
        })
    }

    /// The command that ends `id` on this profile, for hints.
    fn end_hint(&self, id: &str) -> String {
        format!("sessionctl -p {} end {id}", self.profile)
    }
}

#[async_trait]
impl Provider for DigitalSamba {
    async fn apply(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        super::each(ids, |id| async move {
            match action {
                Action::End => self.end_one(id).await,
                Action::Delete => self.delete_one(id).await,
            }
        })
        .await
    }

    /// `GET /sessions/{id}` (its statistics): a session no longer live cannot be ended,
    /// and a live one's data cannot be deleted until it is.
    async fn probe(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        super::each(ids, |id| async move {
            let url = match self.http.url(&["sessions", &id]) {
                Ok(url) => url,
                Err(refused) => return super::unsent(id, refused),
            };
            let mut r = super::probe_get(&self.http, id.clone(), url, |reply| {
                let live = reply.json::<Statistics>().ok().and_then(|s| s.session_live);
                match (action, live) {
                    (Action::End, Some(false)) => Outcome::AlreadyEnded,
                    (Action::Delete, Some(true)) => Outcome::Failed,
                    _ => super::would(action),
                }
            })
            .await;
            // Only the read above fails a session whose read succeeded.
            if r.outcome == Outcome::Failed && r.status.is_some_and(|s| s < 300) {
                r.error = Some(format!(
                    "the session is live: its data cannot be deleted (end it first: {})",
                    self.end_hint(&id)
                ));
            }
            r
        })
        .await
    }

    fn features(&self) -> Features {
        Features {
            ended: Some("end_time"),
            reads_one: true,
            ..Features::default()
        }
    }

    /// `GET /sessions/{id}` (its statistics, one request): live, started when, in which
    /// room, how many people are in it, as the list row says them.
    async fn read(&self, id: &SessionId) -> Result<Option<SessionRow>, String> {
        let url = self
            .http
            .url(&["sessions", id])
            .map_err(|e| e.to_string())?;
        let read = super::get_one::<Statistics>(&self.http, url).await?;
        read.map(|s| s.listed(id)).transpose()
    }

    async fn list_page(
        &self,
        cursor: Option<String>,
        active_only: bool,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        let live = active_only.then_some(Which::Live);
        self.list(cursor, live, server).await
    }

    /// `live=false` (the OpenAPI document: "filter live or archive sessions"), and
    /// `date_end` two days past the cut-off's date: what the period's dates count (start or
    /// end, inclusive or not, in which time zone) is not documented, and every reading of
    /// it keeps every session that ended before the cut-off in range. The rows' `end_time`
    /// decides.
    async fn list_ended_page(
        &self,
        cursor: Option<String>,
        before: Timestamp,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        self.list(cursor, Some(Which::Ended(before)), server).await
    }

    /// A meeting with people in it is in use, however old; the list has no activity field,
    /// so idle means live, known to be empty (`participants_live == 0`), and started
    /// before the cut-off. A row without the count is not known to be empty.
    fn staleness(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        let started = match row.created.as_deref() {
            None => return Staleness::Unknown("no start_time".into()),
            Some(raw) => match crate::units::parse_time(raw) {
                Some(t) => t,
                None => return Staleness::Unknown(format!("unreadable start_time `{raw}`")),
            },
        };
        match row.participants {
            None => Staleness::Unknown(
                "the list does not say how many people are in it (no participants_live)".into(),
            ),
            Some(0) if started < sweep.idle_before => Staleness::Stale {
                since: started,
                reason: format!("empty, started {} ago", sweep.age(started)),
            },
            Some(_) => Staleness::Fresh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_count_may_be_a_string_or_a_number() {
        for (body, want) in [
            (r#"{"total_count":"2","data":[]}"#, Some(2)),
            (r#"{"total_count":2,"data":[]}"#, Some(2)),
            (r#"{"total_count":null,"data":[]}"#, None),
            (r#"{"data":[]}"#, None),
        ] {
            let reply: ListReply = serde_json::from_str(body).unwrap();
            assert_eq!(reply.total_count, want, "{body}");
        }
    }

    #[test]
    fn a_row_without_live_says_that_is_what_is_missing_and_is_never_acted_on() {
        let now: jiff::Timestamp = "2026-04-01T00:00:00Z".parse().unwrap();
        let sweep = crate::provider::Sweep {
            now,
            idle_before: now,
        };
        let body = r#"{"id":"ds-1","end_time":"2026-01-01T00:00:00Z"}"#;
        let row = serde_json::from_str::<Row>(body).unwrap().listed();
        assert_eq!(
            crate::provider::by_end(&row, &sweep, "end_time"),
            crate::provider::Staleness::Unknown("the list does not say whether it is live".into())
        );
    }
}
