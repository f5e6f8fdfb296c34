//! The provider abstraction: what every backend must do, and the registry of backends.
//!
//! A new provider is one new folder implementing [`Provider`] (its wire types, error shape,
//! staleness rule) plus one line in [`PROVIDERS`].

mod digital_samba;
mod messaging;
mod zep;

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::SecretString;
use serde::Deserialize;

use crate::client::http::{Failure, Http, Reply};
use crate::config::Profile;
use crate::outcome::{Outcome, SessionResult};

/// Every backend sessionctl can talk to. The first `api_versions` entry is the default.
pub static PROVIDERS: &[&ProviderSpec] = &[&zep::SPEC, &digital_samba::SPEC, &messaging::SPEC];

/// What the config layer needs to know about a provider, and how to build it.
#[derive(Debug)]
pub struct ProviderSpec {
    pub name: &'static str,
    pub api_versions: &'static [u8],
    pub default_base_url: fn(api_version: u8) -> &'static str,
    pub needs_key: bool,
    pub uses_team_id: bool,
    /// Its list says how many people are live in a session (what `--empty` filters on).
    pub reports_participants: bool,
    /// Requests per second it publishes as its limit without announcing it on each reply;
    /// the default ceiling, which a profile's `rate` or `--rate` overrides.
    pub default_rate: Option<f64>,
    /// The auth header for a key (and team ID, where the provider has one).
    pub auth: fn(key: &SecretString, team_id: Option<&str>) -> (HeaderName, HeaderValue),
    pub build: fn(http: Http, profile: &Profile, opts: &Options) -> Box<dyn Provider>,
}

pub fn spec(name: &str) -> Option<&'static ProviderSpec> {
    PROVIDERS.iter().copied().find(|s| s.name == name)
}

pub fn names() -> Vec<&'static str> {
    PROVIDERS.iter().map(|s| s.name).collect()
}

/// Per-run choices that change what a provider sends.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Zep v4: poll each delete task until it finishes, for at most this long.
    pub wait: Option<Duration>,
    /// Zep v4: IDs are thread UUIDs; skip the lookup.
    pub by_uuid: bool,
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
}

/// Resolves the profile's key (running `api_key_cmd` if that is the source) and builds its
/// provider.
pub fn build(
    profile: &Profile,
    opts: &Options,
) -> Result<Box<dyn Provider>, crate::config::ConfigError> {
    let key = profile.key.resolve(&profile.name)?;
    let auth = key.map(|k| (profile.spec.auth)(&k, profile.team_id.as_deref()));
    let rate = (opts.rate.or(profile.rate.map(|r| r.0))).or(profile.spec.default_rate);
    let concurrency = opts.concurrency.unwrap_or(profile.concurrency);
    let deadline = (opts.deadline.or(profile.deadline)).map(|d| tokio::time::Instant::now() + d);
    let client = crate::client::http::ClientOptions {
        base_url: profile.base_url.clone(),
        auth,
        timeout: profile.timeout,
        retries: profile.retries,
        max_backoff: profile.max_backoff,
        rate,
        concurrency,
        deadline,
    };
    let http = Http::new(client, opts.stop.clone(), opts.holds.clone());
    Ok((profile.spec.build)(http, profile, opts))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    End,
    Delete,
}

/// A failed list call.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("{}", .0.error)]
    Transport(Failure),
    #[error("{0}")]
    Decode(String),
}

impl ListError {
    pub fn auth_refused(&self) -> bool {
        matches!(
            self,
            ListError::Status {
                status: 401 | 403,
                ..
            }
        )
    }
}

/// GETs one list page and decodes it, or returns the error it carries.
pub async fn get_page<T: serde::de::DeserializeOwned>(
    http: &Http,
    url: url::Url,
) -> Result<T, ListError> {
    let result = http
        .send(crate::client::http::Request::new(reqwest::Method::GET, url))
        .await;
    let reply = result.map_err(ListError::Transport)?;
    if !reply.is_success() {
        return Err(ListError::Status {
            status: reply.status.as_u16(),
            message: reply.error_message(),
        });
    }
    reply.json().map_err(ListError::Decode)
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

/// Whether a numbered or offset page was not the last: it was full, and the total (when
/// the API gives one) says more rows exist beyond the `seen` ones.
pub fn more_pages(returned: usize, page_size: usize, seen: u64, total: Option<u64>) -> bool {
    returned == page_size && total.is_none_or(|t| seen < t)
}

/// One page of a provider's session list; `next` is the cursor of the page after it.
#[derive(Debug, Default)]
pub struct Page {
    pub rows: Vec<SessionRow>,
    pub next: Option<String>,
}

/// A session as `list` shows it, the same columns for every provider.
#[derive(Debug, Clone, serde::Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participants: Option<u64>,
}

#[async_trait]
pub trait Provider: Send + Sync {
    /// Refuses, before any ID is read, an action (or option) this provider cannot honour.
    fn supports(&self, _action: Action, opts: &Options) -> Result<(), Unsupported> {
        only_for_zep_v4(opts)
    }

    /// How many IDs one `apply` call takes (more than one where the API has bulk calls).
    fn batch_size(&self, _action: Action) -> usize {
        1
    }

    /// Applies `action` to `ids`, returning exactly one result per ID.
    async fn apply(&self, action: Action, ids: Vec<String>) -> Vec<SessionResult>;

    /// `--dry-run=server`: reads each of `ids` (never changes it) and reports what `apply`
    /// would find: `would_end`/`would_delete`, `not_found` or `already_ended`. One result
    /// per ID.
    async fn probe(&self, action: Action, ids: Vec<String>) -> Vec<SessionResult>;

    /// Fetches one page of the session list (`cursor` is `None` for the first). With
    /// `active_only`, a provider whose API can filter live sessions server-side does so.
    async fn list_page(&self, cursor: Option<String>, active_only: bool)
    -> Result<Page, ListError>;

    /// True when pages come oldest activity first, so a stale sweep may stop at the first
    /// session that [`Provider::staleness`] calls [`Staleness::Fresh`]. A provider that says
    /// so answers `Fresh` only from the field its list is ordered by.
    fn ordered_by_activity(&self) -> bool {
        false
    }

    /// What a stale sweep may conclude from a listed row alone. Each provider knows what its
    /// list measures; the default trusts `activity` as the last time the session was used.
    fn staleness(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        by_activity(row, sweep)
    }

    /// For a row that [`Provider::staleness`] sent to [`Staleness::Confirm`]: reads its real
    /// last activity from the server (one request) and decides.
    async fn confirm(&self, _row: &SessionRow, _sweep: &Sweep) -> Staleness {
        Staleness::Unknown("this provider cannot confirm activity".into())
    }
}

/// The instant a stale sweep measures from, and its cut-off.
#[derive(Debug, Clone, Copy)]
pub struct Sweep {
    pub now: Timestamp,
    /// Idle means no activity at or after this instant.
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

    /// How long ago `t` was, in whole minutes (`3h 2m`).
    pub fn age(&self, t: Timestamp) -> String {
        let secs = self.now.duration_since(t).as_secs().max(0) as u64;
        humantime::format_duration(Duration::from_secs(secs - secs % 60)).to_string()
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
        Some(raw) => match crate::stale::parse_time(raw) {
            None => Staleness::Unknown(format!("unreadable timestamp `{raw}`")),
            Some(at) => sweep.judge(at, &format!("last activity {raw}")),
        },
    }
}

/// A reply that carries a session's or thread's newest messages (Zep v2 memory with
/// `lastn`, v3 thread messages with `lastn`); only their times matter here.
#[derive(Deserialize)]
struct Messages {
    #[serde(default, deserialize_with = "required_list")]
    messages: Vec<MessageTime>,
}

#[derive(Deserialize)]
struct MessageTime {
    created_at: Option<String>,
}

/// Confirms a sweep candidate by its newest message, read from `url` (one GET). The
/// latest of that message and `own` (the row's own time, named: `("updated", raw)`) is its
/// last activity. Anything unreadable leaves it `Unknown`: never acted on.
pub async fn confirm_by_messages(
    http: &Http,
    url: url::Url,
    own: Option<(&str, &str)>,
    sweep: &Sweep,
) -> Staleness {
    let messages = match get_page::<Messages>(http, url).await {
        Ok(m) => m.messages,
        Err(e) => return Staleness::Unknown(format!("reading its newest message failed: {e}")),
    };
    let mut newest: Option<(Timestamp, String)> = None;
    for m in messages {
        let Some(raw) = m.created_at else {
            return Staleness::Unknown("a message has no created_at".into());
        };
        match crate::stale::parse_time(&raw) {
            Some(t) if newest.as_ref().is_none_or(|(n, _)| t > *n) => newest = Some((t, raw)),
            Some(_) => {}
            None => return Staleness::Unknown(format!("unreadable message time `{raw}`")),
        }
    }
    let own = own.and_then(|(label, raw)| Some((crate::stale::parse_time(raw)?, label, raw)));
    match (newest, own) {
        (Some((m, _)), Some((o, label, raw))) if o > m => {
            sweep.judge(o, &format!("{label} {raw}, after its newest message"))
        }
        (Some((m, raw)), _) => sweep.judge(m, &format!("newest message {raw}")),
        (None, Some((o, label, raw))) => sweep.judge(o, &format!("{label} {raw}, no messages")),
        (None, None) => Staleness::Unknown("no messages and no readable timestamp".into()),
    }
}

/// `--wait` and `--by-uuid` mean something only where deletes are asynchronous tasks on
/// thread UUIDs (Zep v4); anywhere else they would be silently ignored.
pub fn only_for_zep_v4(opts: &Options) -> Result<(), Unsupported> {
    if opts.wait.is_some() || opts.by_uuid {
        return Err(Unsupported::Option(
            "--wait and --by-uuid are only for Zep v4 (api_version = 4) profiles".into(),
        ));
    }
    Ok(())
}

/// Why a provider refuses a run: an action it has no such thing as (a sweep of every
/// profile skips it), or an option it cannot honour (the user's mistake, always refused).
#[derive(Debug)]
pub enum Unsupported {
    Action(String),
    Option(String),
}

/// The outcome of a call on one ID, for the statuses every provider answers alike:
/// 2xx is `ok`, 404 `not_found`, anything else a failure carrying the server's message.
/// A 404 after an attempt whose reply was lost means that attempt most likely did it: the
/// session is gone either way, which is what the run was for.
pub fn per_id_outcome(id: &str, result: Result<Reply, Failure>, ok: Outcome) -> SessionResult {
    match result {
        Ok(reply) if reply.is_success() => SessionResult::from_reply(id, ok, &reply),
        Ok(reply) if reply.status == 404 && reply.earlier_lost => {
            let mut r = SessionResult::from_reply(id, Outcome::AlreadyEnded, &reply);
            r.error = None;
            r.note = Some(
                "an earlier reply was lost; the server now says it is gone, so that attempt most likely did it"
                    .into(),
            );
            r
        }
        Ok(reply) if reply.status == 404 => {
            SessionResult::from_reply(id, Outcome::NotFound, &reply)
        }
        Ok(reply) => SessionResult::from_reply(id, Outcome::Failed, &reply),
        Err(failure) => SessionResult::from_failure(id, &failure),
    }
}

/// What a dry run reports for a session that a real run would act on.
pub fn would(action: Action) -> Outcome {
    match action {
        Action::End => Outcome::WouldEnd,
        Action::Delete => Outcome::WouldDelete,
    }
}

/// A server dry run's read of one session: 404 and 410 are `not_found`, a success is what
/// `decide` makes of it, anything else a failure with the server's message.
pub async fn probe_get(
    http: &Http,
    id: String,
    url: url::Url,
    decide: impl FnOnce(&Reply) -> Outcome,
) -> SessionResult {
    match http
        .send(crate::client::http::Request::new(reqwest::Method::GET, url))
        .await
    {
        Ok(reply) if reply.is_success() => {
            let outcome = decide(&reply);
            SessionResult::from_reply(id, outcome, &reply)
        }
        Ok(reply) if matches!(reply.status.as_u16(), 404 | 410) => {
            SessionResult::from_reply(id, Outcome::NotFound, &reply)
        }
        other => per_id_outcome(&id, other, Outcome::Failed),
    }
}

/// One failed answer for a whole batch (a bulk call or a lookup): every ID gets it.
pub fn all_failed(ids: Vec<String>, result: &Result<Reply, Failure>) -> Vec<SessionResult> {
    ids.into_iter()
        .map(|id| match result {
            Ok(reply) => SessionResult::from_reply(id, Outcome::Failed, reply),
            Err(failure) => SessionResult::from_failure(id, failure),
        })
        .collect()
}

/// Runs `one` on each ID concurrently; for providers whose batch is bigger than their API.
/// Each ID's requests are counted as its own (see [`crate::client::tally`]).
pub async fn each<'a, F, Fut>(ids: Vec<String>, one: F) -> Vec<SessionResult>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = SessionResult> + Send + 'a,
{
    let each = ids.into_iter().map(|id| {
        let work = one(id.clone());
        async move { crate::client::tally::for_key(&id, work).await }
    });
    futures::future::join_all(each).await
}

/// A header value from a secret (which [`crate::config::KeySource::resolve`] has checked
/// to be printable ASCII).
pub fn secret_header(value: String) -> HeaderValue {
    HeaderValue::from_str(&value).expect("keys are checked to fit in a header")
}
