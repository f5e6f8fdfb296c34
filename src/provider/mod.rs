//! The provider abstraction: what every backend must do, and the registry of backends.
//!
//! A new provider is one new folder: its [`unit::Factory`] and config value (its keys, auth,
//! error shape, fields), its [`Provider`] (wire types, staleness rule), plus one line in
//! `providers!` below.

pub mod fields;
pub mod paging;
pub mod registry;
pub mod unit;

/// Declares each built-in provider's module (private: the rest of sessionctl knows a
/// provider only by its [`unit::Factory`]) and lists that `Factory` for
/// [`registry::registry`], in registry order: the order of `names()`, of `config show` and
/// of `-o wide`'s columns. One line per provider, so that a provider's folder is declared
/// and registered at once: no module can be compiled in and left out of the registry, nor
/// registered in an order that its declaration does not show.
macro_rules! providers {
    ($($provider:ident),* $(,)?) => {
        $(mod $provider;)*

        /// The factories of the providers built in, in registry order.
        fn built_in() -> Vec<std::sync::Arc<dyn unit::Factory>> {
            vec![$(std::sync::Arc::new($provider::Factory)),*]
        }
    };
}

providers!(zep, digital_samba, messaging, langgraph, declared);

use std::borrow::Cow;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use reqwest::header::HeaderValue;
use serde::Deserialize;

use crate::client::http::{BadSegment, Failure, Http, Reply};
use crate::ids::SessionId;
use crate::outcome::{ErrorKind, Outcome, SessionResult};
use crate::select::{Field, ServerFilter};
pub use fields::Fields;

/// What a provider needs and can do, in one value: the rest of sessionctl asks this, never
/// which provider it is.
#[derive(Debug)]
pub struct Capabilities {
    pub needs_key: bool,
    /// Its list says how many people are live in a session (what `--empty` filters on).
    pub reports_participants: bool,
    /// Its sessions leave stored data behind that no session holds any more, which
    /// [`Provider::orphans`] lists (`--orphans`).
    pub orphans: bool,
    /// Requests per second it publishes as its limit without announcing it on each reply;
    /// the default ceiling, which a profile's `rate` or `--rate` overrides.
    pub published_rate: Option<f64>,
    /// What a stale sweep can judge from its list.
    pub judges: Judges,
}

/// What a stale sweep can judge from a provider's list, each `Err` saying why not and what
/// would let it: a sweep by a measure its list does not carry is refused for that provider
/// before anything is sent, rather than run to report every row unjudged.
#[derive(Debug, Clone, Copy)]
pub struct Judges {
    /// Idleness, from when each session was last used (`--idle-for`).
    pub idle: Result<(), &'static str>,
    /// Age, from when each session was created (`--older-than`).
    pub age: Result<(), &'static str>,
    /// How long ago each session ended (`--ended-for`), where its configuration can say
    /// why not (a description without `fields.ended`); the provider itself has the last
    /// word ([`Features::ended`]).
    pub ended: Result<(), &'static str>,
}

impl Judges {
    /// A list that says both when each session was last used and when it was created.
    pub const BOTH: Judges = Judges {
        idle: Ok(()),
        age: Ok(()),
        ended: Ok(()),
    };
}

/// Per-run choices that change what a provider sends.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The flags only some providers take (`--wait`): [`check`] refuses them for any other.
    pub extra: unit::Extra,
    /// Requests per second, at most.
    pub rate: Option<f64>,
    /// Requests in flight at once, at most (default: the profile's).
    pub concurrency: Option<usize>,
    /// The run's first interrupt: no retries or task polls after it.
    pub stop: tokio_util::sync::CancellationToken,
    /// The run's `--deadline`, which overrides a profile's `deadline`. Both count from
    /// when the provider is built, at the start of the run.
    pub deadline: Option<Duration>,
    /// Where requests waiting for their turn say so, for the progress display.
    pub holds: crate::client::pacer::Holds,
    /// What the run does to what it selects (`None`: a listing, which acts on nothing), for
    /// a provider whose verdict on a row depends on it (LangGraph ends only busy threads
    /// and never deletes one).
    pub action: Option<Action>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    End,
    Delete,
}

/// Results from what the client layer answered (here, so that `outcome` knows nothing of
/// HTTP).
impl SessionResult {
    /// An outcome decided by `reply`.
    pub fn from_reply(id: impl Into<String>, outcome: Outcome, reply: &Reply) -> SessionResult {
        let mut r = SessionResult::new(id, outcome);
        r.status = Some(reply.status.as_u16());
        r.attempts = reply.attempts;
        if !reply.is_success() {
            r.error = Some(reply.error_message());
            r.error_kind = Some(match outcome {
                Outcome::AlreadyEnded => ErrorKind::AlreadyEnded,
                Outcome::NotFound => ErrorKind::NotFound,
                _ => ErrorKind::from_status(reply.status.as_u16()),
            });
        }
        r
    }

    /// No usable reply came back; or, rate limited and interrupted, nothing was done.
    pub fn from_failure(id: impl Into<String>, failure: &Failure) -> SessionResult {
        use crate::client::http::Earlier;
        // Not sent now: `skipped`, unless an earlier attempt lost its reply and so may have
        // been applied; then what became of it is unknown (`failed`), never "nothing done".
        let lost = failure.earlier == Some(Earlier::Lost);
        let outcome = match failure.error.nothing_done() && !lost {
            true => Outcome::Skipped,
            false => Outcome::Failed,
        };
        let mut r = SessionResult::new(id, outcome);
        r.error = Some(match (lost, failure.error.waited_for()) {
            (true, Some(what)) => {
                format!(
                    "{what}; not sent again after an earlier attempt lost its reply: outcome unknown"
                )
            }
            _ => failure.error.describe(failure.attempts),
        });
        r.error_kind = Some(failure.error.kind());
        r.attempts = failure.attempts;
        r.note = failure.earlier.map(|earlier| match earlier {
            Earlier::Lost => {
                "an earlier attempt lost its reply: it may have been applied".to_owned()
            }
            Earlier::Answered(status) => {
                format!("an earlier attempt was answered {status}")
            }
        });
        r
    }
}

/// A failed list call.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("HTTP {status}: {message}")]
    Status {
        status: u16,
        message: String,
        /// The body was the provider's own error shape (a 404 that is not is a route the
        /// server does not have, not a missing user or room).
        provider_shaped: bool,
    },
    #[error("{}", .0.error)]
    Transport(Failure),
    #[error("{0}")]
    Decode(String),
    #[error("{0}")]
    Url(#[from] BadSegment),
    /// The provider answered nothing but 429s (or nothing) for `--max-stall`.
    #[error("{0}")]
    Stalled(String),
}

impl ListError {
    /// A list call's error reply. A 404 not in the provider's error shape says so: the
    /// list's route is not on that server (the first thing a wrong base path shows, in
    /// `config check --online`).
    pub fn of(reply: &Reply) -> ListError {
        let message = match no_such_route(reply) {
            true => format!(
                "{} (the server has no such route: check base_url)",
                reply.error_message()
            ),
            false => reply.error_message(),
        };
        ListError::Status {
            status: reply.status.as_u16(),
            message,
            provider_shaped: reply.provider_message().is_some(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            ListError::Status { status, .. } => ErrorKind::from_status(*status),
            ListError::Transport(f) => f.error.kind(),
            ListError::Decode(_) | ListError::Url(_) => ErrorKind::Protocol,
            ListError::Stalled(_) => ErrorKind::Stalled,
        }
    }

    pub fn auth_refused(&self) -> bool {
        self.kind().auth_refused()
    }
}

/// GETs one list page and decodes it as it arrives (a page may be the whole list, of any
/// size: elizaOS sends every session in one reply), or returns the error it carries.
pub async fn get_page<T: serde::de::DeserializeOwned + Send + 'static>(
    http: &Http,
    url: url::Url,
) -> Result<T, ListError> {
    let request = crate::client::http::Request::new(reqwest::Method::GET, url).streamed();
    let result = http.send(request).await;
    let reply = result.map_err(ListError::Transport)?;
    if !reply.is_success() {
        return Err(ListError::of(&reply));
    }
    reply.json_streamed().await.map_err(ListError::Decode)
}

/// GETs one session for [`Provider::read`]: `Ok(None)` on the provider's own 404 (a 404 in
/// another shape is a route the server does not have, which proves nothing), `Err` (why)
/// when it cannot be read.
pub async fn get_one<T: serde::de::DeserializeOwned + Send + 'static>(
    http: &Http,
    url: url::Url,
) -> Result<Option<T>, String> {
    match get_page::<T>(http, url).await {
        Ok(one) => Ok(Some(one)),
        Err(ListError::Status {
            status: 404,
            provider_shaped: true,
            ..
        }) => Ok(None),
        Err(e) => Err(format!("reading it failed: {e}")),
    }
}

/// How many decoded rows may wait for the listing: what a [`RowStream`] holds at most.
const ROWS_QUEUED: usize = 256;

/// A list reply's rows handed on as they are decoded (elizaOS sends every session in one
/// reply): the listing takes them from a short queue, so neither the reply nor its rows are
/// ever held whole. A listing that stops early drops it, and the decoder stops reading.
pub struct RowStream {
    rows: tokio::sync::mpsc::Receiver<SessionRow>,
    decoded: tokio::task::JoinHandle<Result<(), ListError>>,
}

impl std::fmt::Debug for RowStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream").finish_non_exhaustive()
    }
}

impl RowStream {
    /// GETs `url` and, once it answers with success, decodes the array in its field `field`
    /// (required; `null` is none) row by row, each `T` made a row by `row`.
    pub async fn get<T>(
        http: &Http,
        url: url::Url,
        field: &'static str,
        row: fn(T) -> SessionRow,
    ) -> Result<RowStream, ListError>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        let request = crate::client::http::Request::new(reqwest::Method::GET, url).streamed();
        let reply = http.send(request).await.map_err(ListError::Transport)?;
        if !reply.is_success() {
            return Err(ListError::of(&reply));
        }
        let (tx, rows) = tokio::sync::mpsc::channel(ROWS_QUEUED);
        let seed = rows::Field {
            name: field,
            rows: rows::Each { row, tx },
        };
        let decoded = tokio::spawn(async move {
            reply
                .json_streamed_seed(seed)
                .await
                .map_err(ListError::Decode)
        });
        Ok(RowStream { rows, decoded })
    }

    /// The next row, or `None` once the reply is read (then see [`RowStream::finish`]).
    pub async fn next(&mut self) -> Option<SessionRow> {
        self.rows.recv().await
    }

    /// Whether the whole reply was read and well formed.
    pub async fn finish(self) -> Result<(), ListError> {
        drop(self.rows);
        (self.decoded.await).map_err(|e| ListError::Decode(format!("decoding the reply: {e}")))?
    }
}

/// The serde side of [`RowStream`]: a reply object whose one field is visited as an array,
/// each element sent on as it is decoded (everything else skipped unread).
mod rows {
    use std::fmt;

    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

    use super::SessionRow;

    pub(super) struct Field<T> {
        pub name: &'static str,
        pub rows: Each<T>,
    }

    pub(super) struct Each<T> {
        pub row: fn(T) -> SessionRow,
        pub tx: tokio::sync::mpsc::Sender<SessionRow>,
    }

    impl<'de, T: de::Deserialize<'de>> DeserializeSeed<'de> for Field<T> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de, T: de::Deserialize<'de>> Visitor<'de> for Field<T> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "an object with `{}`", self.name)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut rows = Some(self.rows);
            while let Some(key) = map.next_key::<String>()? {
                match rows.take_if(|_| key == self.name) {
                    Some(each) => map.next_value_seed(each)?,
                    None if key == self.name => {
                        return Err(de::Error::duplicate_field(self.name));
                    }
                    None => drop(map.next_value::<IgnoredAny>()?),
                }
            }
            match rows {
                Some(_) => Err(de::Error::missing_field(self.name)),
                None => Ok(()),
            }
        }
    }

    impl<'de, T: de::Deserialize<'de>> DeserializeSeed<'de> for Each<T> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_option(self)
        }
    }

    impl<'de, T: de::Deserialize<'de>> Visitor<'de> for Each<T> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array or null")
        }
        fn visit_none<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(item) = seq.next_element::<T>()? {
                // The listing stopped (a limit, a closed output): nothing more to decode.
                if self.tx.blocking_send((self.row)(item)).is_err() {
                    return Err(de::Error::custom("the listing stopped reading"));
                }
            }
            Ok(())
        }
    }
}

/// [`get_page`] for a list scoped to one user or room by a `--where` filter: a 404 means
/// there is no such user or room, so nothing is selected (`None`, and a warning: a typo
/// should not look like an idle-free account).
pub async fn get_scoped_page<T: serde::de::DeserializeOwned + Send + 'static>(
    http: &Http,
    url: url::Url,
    server: &ServerFilter,
) -> Result<Option<T>, ListError> {
    match get_page(http, url).await {
        Err(ListError::Status {
            status: 404,
            provider_shaped: true,
            ..
        }) => {
            tracing::warn!(
                "--where {}={}: the server knows no such {} (404): nothing selected",
                server.field,
                server.value,
                server.field
            );
            Ok(None)
        }
        other => other.map(Some),
    }
}

/// A list reply's list: it may be `null` (Go servers send that for "none"), but it must be
/// there. A reply without it is not an empty list but a broken one, and must not let a
/// sweep quietly do nothing.
pub fn required_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// One page of a provider's session list; `next` is the cursor of the page after it.
#[derive(Debug, Default)]
pub struct Page {
    pub rows: Vec<SessionRow>,
    /// Rows still being decoded, after `rows` (a provider that sends its list in one reply).
    pub rest: Option<RowStream>,
    pub next: Option<String>,
    /// How many sessions the whole list holds, where the server says (`total_count`): a
    /// listing that reads more than that is broken, not long.
    pub total: Option<u64>,
}

/// A session as `list` shows it, the same columns for every provider (read back from a
/// saved plan's evidence).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SessionRow {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// The user (Zep, messaging) or room (Digital Samba).
    pub owner: Option<String>,
    pub created: Option<String>,
    /// Last activity: Zep `updated_at`, Digital Samba `start_time`, messaging `lastActivity`.
    pub activity: Option<String>,
    /// Not ended (Zep) / live (Digital Samba) / present (messaging, threads).
    pub active: bool,
    /// The list leaves out whether it is active (a Digital Samba row without `live`):
    /// neither live nor ended is proven, whatever else the row says.
    #[serde(skip)]
    pub active_unsaid: bool,
    /// When it ended, as the list says (Zep v2 `ended_at`, Digital Samba `end_time` of a row
    /// that is not live): what `--ended-for` measures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participants: Option<u64>,
    /// The provider's own fields (`user`, `room`, `status`, …) and the session's metadata,
    /// in the order its JSON shows them: what `--where` selects on and `-o wide` shows,
    /// as the provider declares them ([`unit::Factory::fields`]).
    #[serde(flatten)]
    pub fields: Fields,
}

impl SessionRow {
    /// The ID a run may send for this row, with the UUID the list gave beside it; why not,
    /// for an ID or a UUID that cannot be sent (`..`, a control character): such a row is
    /// reported, never acted on (a bad UUID is not quietly traded for a lookup by the ID).
    /// An empty UUID is none.
    pub fn session_id(&self) -> Result<SessionId, String> {
        let id = SessionId::new(self.id.as_str())
            .map_err(|why| format!("the server listed an ID that cannot be sent ({why})"))?;
        match self.uuid.as_deref().filter(|u| !u.is_empty()) {
            None => Ok(id),
            Some(uuid) => SessionId::new(uuid)
                .map(|uuid| id.with_uuid(uuid))
                .map_err(|why| format!("the server listed a UUID that cannot be sent ({why})")),
        }
    }

    /// The value `--where` compares for `field`: a string as it is, a number or boolean
    /// as its JSON text; null, objects and arrays count as missing.
    pub fn value(&self, field: &Field) -> Option<Cow<'_, str>> {
        match field {
            Field::Id | Field::Thread => Some(Cow::Borrowed(self.id.as_str())),
            Field::Named(name) => fields::scalar(self.fields.get(name)?),
            Field::Metadata(key) => fields::scalar(self.metadata()?.get(key)?),
        }
    }

    /// The session's own metadata, where the list gives it.
    pub fn metadata(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.fields.get(fields::METADATA)?.as_object()
    }
}

/// What one built provider (a provider at one API version) can do beyond the basics.
#[derive(Debug, Default, Clone, Copy)]
pub struct Features {
    /// It has no such thing as this action; why (a sweep of every profile skips it).
    pub lacks: Option<(Action, &'static str)>,
    /// Its data outlives a session's end and its list says when each ended: `--ended-for`
    /// can find what ended long ago. The name of the field it reads (`end_time`), for
    /// reasons; `None` where the provider cannot tell (a `--ended-for` run skips it).
    pub ended: Option<&'static str>,
    /// It reads one session as its list shows it ([`Provider::read`]); without it, a
    /// session's row is read again by listing.
    pub reads_one: bool,
}

/// Refuses, before any ID is read, an action or option that `provider` (configured by
/// `config`) cannot honour: a provider-only flag is refused in the words of the provider
/// that has it.
pub fn check(
    config: &dyn unit::ProviderConfig,
    provider: &dyn Provider,
    action: Action,
    opts: &Options,
) -> Result<(), Unsupported> {
    if let Some((lacks, why)) = provider.features().lacks
        && lacks == action
    {
        return Err(Unsupported::Action(why.into()));
    }
    for name in opts.extra.names() {
        let takes =
            (config.flags().iter()).any(|f| f.name == name && f.action.is_none_or(|a| a == action));
        if !takes {
            let who = registry::registry()
                .flag(name)
                .map_or("other providers", |f| f.only_for);
            return Err(Unsupported::Option(format!("{name} is only for {who}")));
        }
    }
    Ok(())
}

#[async_trait]
pub trait Provider: Send + Sync {
    /// What it can do beyond the basics (see [`check`]).
    fn features(&self) -> Features {
        Features::default()
    }

    /// How many IDs one `apply` call takes (more than one where the API has bulk calls).
    fn ids_per_call(&self, _action: Action) -> usize {
        1
    }

    /// Applies `action` to `ids`, returning exactly one result per ID.
    async fn apply(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult>;

    /// `--dry-run=server`: reads each of `ids` (never changes it) and reports what `apply`
    /// would find: `would_end`/`would_delete`, `not_found` or `already_ended`. One result
    /// per ID.
    async fn probe(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult>;

    /// Fetches one page of the session list (`cursor` is `None` for the first). With
    /// `active_only`, a provider whose API can filter live sessions server-side does so;
    /// with `server`, it lists only sessions whose field has that value, with the call its
    /// [`unit::ProviderConfig::selectable`] names for that field.
    async fn list_page(
        &self,
        cursor: Option<String>,
        active_only: bool,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError>;

    /// True when pages come oldest activity first (listed with `server`), so a stale sweep
    /// may stop at the first session that [`Provider::staleness`] calls
    /// [`Staleness::Fresh`]. A provider that says so answers `Fresh` only from the field
    /// its list is ordered by.
    fn ordered_by_activity(&self, _server: Option<&ServerFilter>) -> bool {
        false
    }

    /// Why `row`, which lacks a participant count, is a problem to report under `list
    /// --empty` rather than a session to leave out: a declared provider's description says
    /// its rows carry the count, so a row without it is reported, as a sweep reports it.
    /// `None` (the default): a row without a count is taken as occupied and left out.
    fn uncounted(&self, _row: &SessionRow) -> Option<String> {
        None
    }

    /// What a stale sweep may conclude from a listed row alone. Each provider knows what its
    /// list measures; the default trusts `activity` as the last time the session was used.
    fn staleness(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        by_activity(row, sweep)
    }

    /// One page of the sessions that have ended (`--ended-for`), where ended before `before`
    /// would be enough: a provider whose list can narrow to those (not live, a date range)
    /// does so. Only called where [`Features::ended`] names the field that says when.
    async fn list_ended_page(
        &self,
        cursor: Option<String>,
        _before: Timestamp,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        self.list_page(cursor, false, server).await
    }

    /// What a retention sweep (`--ended-for`) may conclude from a listed row: ended before
    /// `sweep.idle_before` (the cut-off), proven by the row's own end time.
    fn ended(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        by_end(row, sweep, self.features().ended.unwrap_or("end time"))
    }

    /// For a row that [`Provider::staleness`] sent to [`Staleness::Confirm`]: reads its real
    /// last activity from the server (one request) and decides.
    async fn confirm(&self, _row: &SessionRow, _sweep: &Sweep) -> Staleness {
        Staleness::Unknown("this provider cannot confirm activity".into())
    }

    /// Reads one session as its list shows it, for a `protect` rule on a field its ID does
    /// not show (`metadata.keep`): `Ok(None)` when the server has no such session, `Err`
    /// (why) when it cannot be read. A provider that has no way to read one session leaves
    /// this default, and such an ID is refused rather than guessed about.
    async fn read(&self, _id: &SessionId) -> Result<Option<SessionRow>, String> {
        Err("this provider cannot read one session".into())
    }

    /// What a client dry run (`--dry-run`, nothing sent) says of `ids`: what a real run would
    /// do to each.
    fn dry(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        let would = would(action);
        (ids.into_iter())
            .map(|id| SessionResult::new(id, would))
            .collect()
    }

    /// When the server will end `row`'s session on its own, where its row says (elizaOS
    /// expires idle sessions): a sweep that selects nothing, with an `--idle-for` no listed
    /// session can reach, says so.
    fn expires(&self, _row: &SessionRow) -> Option<Timestamp> {
        None
    }

    /// `--orphans` ([`Capabilities::orphans`]): what sessions left behind and no live
    /// session holds, one row per session, ready for `delete`. Only what provably belongs
    /// to a session is listed.
    async fn orphans(&self) -> Result<Vec<Orphan>, ListError> {
        Err(ListError::Decode(
            "this provider's sessions leave nothing behind".into(),
        ))
    }

    /// `config check --online`: reads the list's first page, nothing else and never a
    /// change, and says what it found ([`unit::PageCheck`]). A provider whose fields are
    /// mapped at run time (a declared one) says what each mapping read from the first row.
    async fn check_page(&self) -> Result<unit::PageCheck, ListError> {
        unit::PageCheck::of(self.list_page(None, true, None).await?).await
    }
}

/// What a session left behind ([`Provider::orphans`]).
#[derive(Debug, Clone)]
pub struct Orphan {
    /// The session, as `delete` takes it.
    pub row: SessionRow,
    /// What is left of it, for the listing's reason (`channel …`).
    pub left: String,
}

/// The instant a stale sweep measures from, and its cut-off.
#[derive(Debug, Clone, Copy)]
pub struct Sweep {
    pub now: Timestamp,
    /// Idle means no activity at or after this instant (for `--ended-for`: ended before it).
    pub idle_before: Timestamp,
}

impl Sweep {
    /// `since` (last activity) as the sweep's verdict; `what` says what was measured
    /// (`last activity 2024-06-01T09:00:00Z`).
    pub fn judge(&self, since: Timestamp, what: &str) -> Staleness {
        if since >= self.idle_before {
            return Staleness::Fresh;
        }
        Staleness::Stale {
            since,
            reason: format!("idle {} ({what})", self.age(since)),
        }
    }

    /// How long ago `t` was, in whole minutes, counted in days at most (`3h 2m`,
    /// `81days 14h`): a month is no fixed length, and humantime's 30.44-day month would
    /// leave odd seconds in a retention sweep's `2months 19days 16h 52m 48s`. Under ten
    /// minutes it keeps its seconds (`53s`, `3m 12s`), as the list's IDLE column does
    /// ([`crate::units::age`]): rounded down to the minute, 53 seconds said `idle 0s`.
    pub fn age(&self, t: Timestamp) -> String {
        const DAY: u64 = 24 * 3600;
        let secs = self.now.duration_since(t).as_secs().max(0) as u64;
        let minutes = |s: u64| humantime::format_duration(Duration::from_secs(s - s % 60));
        match (secs / DAY, secs % DAY) {
            (0, rest) if rest < 600 => {
                humantime::format_duration(Duration::from_secs(rest)).to_string()
            }
            (0, rest) => minutes(rest).to_string(),
            (1, rest) if rest < 60 => "1day".into(),
            (1, rest) => format!("1day {}", minutes(rest)),
            (days, rest) if rest < 60 => format!("{days}days"),
            (days, rest) => format!("{days}days {}", minutes(rest)),
        }
    }
}

/// A sweep's verdict on one session.
#[derive(Debug, Clone, PartialEq)]
pub enum Staleness {
    /// Proven idle; `reason` says what was measured.
    Stale { since: Timestamp, reason: String },
    /// In use, or not idle long enough: left alone.
    Fresh,
    /// Cannot be proven either way: reported with why, never acted on.
    Unknown(String),
    /// The list cannot prove it; [`Provider::confirm`] asks the server.
    Confirm,
}

/// The rule for lists whose `activity` is the last time the session was used.
pub fn by_activity(row: &SessionRow, sweep: &Sweep) -> Staleness {
    match row.activity.as_deref() {
        None => Staleness::Unknown("no activity timestamp".into()),
        Some(raw) => match crate::units::parse_time(raw) {
            None => Staleness::Unknown(format!("unreadable timestamp `{raw}`")),
            Some(at) => sweep.judge(at, &format!("last activity {raw}")),
        },
    }
}

/// The rule for lists whose `ended` says when a session ended (read from `field`): a live
/// session is never touched, and one that is not live but does not say when it ended (or
/// says it unreadably) is reported, never acted on.
pub fn by_end(row: &SessionRow, sweep: &Sweep, field: &str) -> Staleness {
    if row.active {
        return Staleness::Fresh;
    }
    if row.active_unsaid {
        return Staleness::Unknown("the list does not say whether it is live".into());
    }
    let Some(raw) = row.ended.as_deref() else {
        return Staleness::Unknown(format!(
            "not live, but the list does not say when it ended (no {field})"
        ));
    };
    match crate::units::parse_time(raw) {
        None => Staleness::Unknown(format!("unreadable {field} `{raw}`")),
        Some(at) if at < sweep.idle_before => Staleness::Stale {
            since: at,
            reason: format!("ended {} ago ({field} {raw})", sweep.age(at)),
        },
        Some(_) => Staleness::Fresh,
    }
}

/// Why a provider refuses a run: an action it has no such thing as (a sweep of every
/// profile skips it), or an option it cannot honour (the user's mistake, always refused).
#[derive(Debug)]
pub enum Unsupported {
    Action(String),
    Option(String),
}

/// What a provider's success looks like for one call: its status and body. A reply that
/// is 2xx but not this (a web app on the default port answering `200 text/html` to every
/// path) is not the provider's, and must not read as `ended`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Success {
    pub status: u16,
    pub body: Body,
}

/// The body of a provider's success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// A JSON object.
    Json,
    /// `text/plain`, whatever it says (Digital Samba's end: never parsed).
    Text,
    /// Nothing (204).
    Empty,
    /// Anything but a web page: a declared API, whose description names statuses, not
    /// bodies (no API answers a call with `text/html`; a web app on the port does).
    NotPage,
}

impl Success {
    pub const fn json(status: u16) -> Success {
        Success {
            status,
            body: Body::Json,
        }
    }

    /// Why `reply` (a 2xx) is not this success; `None` when it is.
    pub fn mismatch(self, reply: &Reply) -> Option<String> {
        let got = reply.status.as_u16();
        let kind = reply
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let fits = got == self.status
            && match self.body {
                Body::Json => serde_json::from_slice::<serde_json::Value>(&reply.body)
                    .is_ok_and(|v| v.is_object()),
                Body::Text => kind.starts_with("text/plain"),
                Body::Empty => reply.body.is_empty(),
                Body::NotPage => !kind.starts_with("text/html"),
            };
        if fits {
            return None;
        }
        let expected = match self.body {
            Body::Json => "a JSON object",
            Body::Text => "text/plain",
            Body::Empty => "no body",
            Body::NotPage => "anything but a web page",
        };
        let kind = match kind.as_str() {
            "" => "no content type".to_owned(),
            k => k.split(';').next().unwrap_or(k).trim().to_owned(),
        };
        Some(format!(
            "HTTP {got} with {kind} ({} bytes) is not this provider's success ({} with {expected}): is base_url another server?",
            reply.body.len(),
            self.status
        ))
    }
}

/// A 404 whose body is not the provider's own error shape: the server has no such route
/// (a wrong base path), which says nothing about the session and must not read as
/// `not_found`.
fn no_such_route(reply: &Reply) -> bool {
    reply.status == 404 && reply.provider_message().is_none()
}

/// [`no_such_route`] as the result for `id`: `failed` (protocol), saying to check
/// `base_url`; also for a declared provider, whatever outcome its description gives a 404.
pub fn no_route(id: &str, reply: &Reply) -> Option<SessionResult> {
    no_such_route(reply).then(|| {
        protocol_failure(
            id,
            reply,
            format!(
                "the server has no such route (HTTP 404: {}): check base_url",
                reply.error_message()
            ),
        )
    })
}

/// `failed` (protocol) for `reply`, with why it is not the provider's answer.
pub fn protocol_failure(id: &str, reply: &Reply, why: String) -> SessionResult {
    let mut r = SessionResult::from_reply(id, Outcome::Failed, reply);
    r.error = Some(why);
    r.error_kind = Some(ErrorKind::Protocol);
    r
}

/// A 2xx that is not `expected`, or a 404 from no route of the provider's: `failed`
/// (protocol), with why.
fn not_the_provider(id: &str, reply: &Reply, expected: Success) -> Option<SessionResult> {
    if let Some(failed) = no_route(id, reply) {
        return Some(failed);
    }
    if !reply.is_success() {
        return None;
    }
    Some(protocol_failure(id, reply, expected.mismatch(reply)?))
}

/// The outcome of a call on one ID, for the statuses every provider answers alike:
/// `expected` is `ok`, the provider's own 404 `not_found`, anything else a failure carrying
/// the server's message (or why the reply is not the provider's).
/// A 404 after an attempt whose reply was lost means that attempt most likely did it: the
/// session is gone either way, which is what the run was for.
pub fn per_id_outcome(
    id: &str,
    result: Result<Reply, Failure>,
    ok: Outcome,
    expected: Success,
) -> SessionResult {
    let reply = match result {
        Ok(reply) => reply,
        Err(failure) => return SessionResult::from_failure(id, &failure),
    };
    if let Some(failed) = not_the_provider(id, &reply, expected) {
        return failed;
    }
    match reply {
        reply if reply.is_success() => SessionResult::from_reply(id, ok, &reply),
        reply if reply.status == 404 && reply.earlier_lost => {
            after_lost_reply(id, &reply, "says it is gone")
        }
        reply if reply.status == 404 => SessionResult::from_reply(id, Outcome::NotFound, &reply),
        reply => SessionResult::from_reply(id, Outcome::Failed, &reply),
    }
}

/// A reply saying the session is gone or ended (what the server now `says`: "says it is
/// gone"), to a retry after an attempt whose reply was lost: that attempt most likely did it.
/// `already_ended`, noted so, without the reply's error: never `not_found` (which
/// `--ignore-missing` alone forgives), nor this run's `ended` (the server said only that it
/// is so).
pub fn after_lost_reply(id: &str, reply: &Reply, says: &str) -> SessionResult {
    let mut r = SessionResult::from_reply(id, Outcome::AlreadyEnded, reply);
    r.error = None;
    r.note = Some(format!(
        "an earlier reply was lost; the server now {says}, so that attempt most likely did it"
    ));
    r
}

/// A request for `id` that [`Http::url`] refused to build: `failed`, nothing sent.
pub fn unsent(id: impl Into<String>, refused: BadSegment) -> SessionResult {
    let mut r = SessionResult::failed(id, refused.to_string());
    r.error_kind = Some(ErrorKind::Protocol);
    r
}

/// What a dry run reports for a session that a real run would act on.
pub fn would(action: Action) -> Outcome {
    match action {
        Action::End => Outcome::WouldEnd,
        Action::Delete => Outcome::WouldDelete,
    }
}

/// A server dry run's read of one session: the provider's 404 and 410 are `not_found`, a
/// JSON success is what `decide` makes of it, anything else a failure with the server's
/// message.
pub async fn probe_get(
    http: &Http,
    id: SessionId,
    url: url::Url,
    decide: impl FnOnce(&Reply) -> Outcome,
) -> SessionResult {
    let result = http
        .send(crate::client::http::Request::new(reqwest::Method::GET, url))
        .await;
    let reply = match result {
        Ok(reply) => reply,
        Err(failure) => return SessionResult::from_failure(id, &failure),
    };
    if let Some(failed) = not_the_provider(&id, &reply, Success::json(200)) {
        return failed;
    }
    let outcome = match reply.status.as_u16() {
        _ if reply.is_success() => decide(&reply),
        404 | 410 => Outcome::NotFound,
        _ => Outcome::Failed,
    };
    SessionResult::from_reply(id, outcome, &reply)
}

/// One failed answer for a whole batch (a bulk call or a lookup): every ID gets it (a
/// success that is not a JSON object, or a route's 404, with why it is not the provider's).
pub fn all_failed(ids: Vec<SessionId>, result: &Result<Reply, Failure>) -> Vec<SessionResult> {
    ids.into_iter()
        .map(|id| match result {
            Ok(reply) => not_the_provider(&id, reply, Success::json(200))
                .unwrap_or_else(|| SessionResult::from_reply(id, Outcome::Failed, reply)),
            Err(failure) => SessionResult::from_failure(id, failure),
        })
        .collect()
}

/// Runs `one` on each ID concurrently; for providers whose batch is bigger than their API.
/// Each ID's requests are counted as its own (see [`crate::client::tally`]).
pub async fn each<'a, F, Fut>(ids: Vec<SessionId>, one: F) -> Vec<SessionResult>
where
    F: Fn(SessionId) -> Fut,
    Fut: std::future::Future<Output = SessionResult> + Send + 'a,
{
    let ids = ids.into_iter().map(|id| (id, ())).collect();
    each_with(ids, |id, ()| one(id)).await
}

/// [`each`], for IDs that each carry what their call needs (a UUID resolved for it).
pub async fn each_with<'a, T, F, Fut>(ids: Vec<(SessionId, T)>, one: F) -> Vec<SessionResult>
where
    F: Fn(SessionId, T) -> Fut,
    Fut: std::future::Future<Output = SessionResult> + Send + 'a,
{
    let each = ids.into_iter().map(|(id, with)| {
        let key = id.as_str().to_owned();
        let work = one(id, with);
        async move { crate::client::tally::for_key(&key, work).await }
    });
    futures::future::join_all(each).await
}

/// A header value from a secret (which [`crate::config::KeySource::resolve`] has checked
/// to be printable ASCII).
pub fn secret_header(value: String) -> HeaderValue {
    HeaderValue::from_str(&value).expect("keys are checked to fit in a header")
}

/// The key alone in an `x-api-key` header, as the elizaOS server and LangGraph's SDK send
/// it.
pub fn x_api_key(key: &secrecy::SecretString) -> Vec<(reqwest::header::HeaderName, HeaderValue)> {
    use secrecy::ExposeSecret as _;
    vec![(
        reqwest::header::HeaderName::from_static("x-api-key"),
        secret_header(key.expose_secret().to_owned()),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_row_is_sent_only_with_an_id_and_a_uuid_that_pass_the_check() {
        let row = |id: &str, uuid: Option<&str>| SessionRow {
            id: id.into(),
            uuid: uuid.map(str::to_owned),
            ..SessionRow::default()
        };
        let sent = row("t", Some("u-1")).session_id().unwrap();
        assert_eq!((sent.as_str(), sent.uuid()), ("t", Some("u-1")));
        assert_eq!(row("t", Some("")).session_id().unwrap().uuid(), None);
        assert_eq!(row("t", None).session_id().unwrap().uuid(), None);
        for bad in ["..", ".", "u\u{1b}[2J"] {
            let why = row("t", Some(bad)).session_id().unwrap_err();
            assert!(
                why.starts_with("the server listed a UUID"),
                "{bad:?}: {why}"
            );
        }
        assert!(row("..", Some("u-1")).session_id().is_err());
    }

    #[test]
    fn each_provider_finds_its_own_error_message() {
        let message = |provider: &str, body: &str| {
            let body: serde_json::Value = serde_json::from_str(body).unwrap();
            let factory = registry::registry().find(provider).unwrap();
            let config = factory
                .parse(&mut crate::section::Section::empty())
                .unwrap();
            config.error_message().of(&body)
        };
        assert_eq!(
            message("zep", r#"{"message":"not found"}"#).as_deref(),
            Some("not found")
        );
        let v4 = r#"{"error":{"code":"not_found","message":"thread not found"}}"#;
        assert_eq!(message("zep", v4).as_deref(), Some("thread not found"));
        let eliza =
            r#"{"error":"API key required","message":"Missing or invalid X-API-KEY header"}"#;
        assert_eq!(
            message("messaging", eliza).as_deref(),
            Some("Missing or invalid X-API-KEY header")
        );
        let eliza =
            r#"{"success":false,"error":{"code":"NOT_FOUND","message":"Session not found"}}"#;
        assert_eq!(
            message("messaging", eliza).as_deref(),
            Some("Session not found")
        );
        assert_eq!(
            message("digital-samba", r#"{"message":"Room not found."}"#).as_deref(),
            Some("Room not found.")
        );
        assert_eq!(message("digital-samba", r#"{"error":"x"}"#), None);
    }

    #[test]
    fn an_age_is_counted_in_days_at_most_to_the_minute_or_under_ten_minutes_the_second() {
        let now: Timestamp = "2026-04-01T00:00:00Z".parse().unwrap();
        let sweep = Sweep {
            now,
            idle_before: now,
        };
        let ago = |s: &str| sweep.age(s.parse().unwrap());
        assert_eq!(ago("2026-03-31T20:57:30Z"), "3h 2m");
        assert_eq!(ago("2026-03-31T00:00:00Z"), "1day");
        assert_eq!(ago("2026-03-30T22:00:00Z"), "1day 2h");
        assert_eq!(ago("2026-01-10T10:00:00Z"), "80days 14h");
        assert_eq!(ago("2026-01-01T00:00:00Z"), "90days");
        // Under ten minutes, to the second (not `0s` for anything under a minute).
        assert_eq!(ago("2026-03-31T23:59:07Z"), "53s");
        assert_eq!(ago("2026-03-31T23:56:48Z"), "3m 12s");
        assert_eq!(ago("2026-03-31T23:50:00Z"), "10m");
        assert_eq!(ago("2026-03-31T23:49:59Z"), "10m");
        assert_eq!(ago("2026-04-01T00:00:00Z"), "0s");
    }

    #[test]
    fn where_reads_metadata_scalars_as_text_and_the_rest_as_missing() {
        let metadata = serde_json::json!({
            "env": "staging", "n": 42, "on": true, "none": null, "obj": {"a": 1}, "list": [1]
        });
        let row = SessionRow {
            id: "s-1".into(),
            fields: Fields::default()
                .with("user", Some("u-1"))
                .metadata(metadata.as_object().cloned()),
            ..SessionRow::default()
        };
        let meta = |k: &str| {
            row.value(&Field::Metadata(k.into()))
                .map(|v| v.into_owned())
        };
        assert_eq!(meta("env").as_deref(), Some("staging"));
        assert_eq!(meta("n").as_deref(), Some("42"));
        assert_eq!(meta("on").as_deref(), Some("true"));
        for missing in ["none", "obj", "list", "absent"] {
            assert_eq!(meta(missing), None, "{missing}");
        }
        assert_eq!(row.value(&Field::Thread).as_deref(), Some("s-1"));
        let named = |name: &str| {
            row.value(&Field::Named(name.into()))
                .map(|v| v.into_owned())
        };
        assert_eq!(named("user").as_deref(), Some("u-1"));
        assert_eq!(named("room"), None);
    }
}
