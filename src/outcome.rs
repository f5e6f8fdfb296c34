//! What happened to each session: the one record every provider produces and every output
//! format prints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ended,
    AlreadyEnded,
    Deleted,
    /// Zep v4: the delete was accepted and runs asynchronously (see `task`).
    Accepted,
    NotFound,
    WouldEnd,
    WouldDelete,
    Failed,
    /// Never started: the run was interrupted, or (with an `error_kind` of `changed`) a
    /// re-check right before acting found it no longer qualifies.
    Skipped,
    /// The profile's `protect` list matches it: nothing was sent for it. From a sweep it is
    /// reported and changes no exit code; an ID given explicitly is refused (with an
    /// `error`, `error_kind` `protected`, exit 1).
    Protected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ended => "ended",
            Outcome::AlreadyEnded => "already_ended",
            Outcome::Deleted => "deleted",
            Outcome::Accepted => "accepted",
            Outcome::NotFound => "not_found",
            Outcome::WouldEnd => "would_end",
            Outcome::WouldDelete => "would_delete",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Protected => "protected",
        }
    }
}

/// What kind of problem a session (or a listing) met, in one vocabulary for every provider:
/// scripts and the exit code read this, not the provider's own statuses and messages (which
/// stay in `status` and `error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    NotFound,
    AlreadyEnded,
    /// The key was refused (401).
    Unauthenticated,
    /// The key may not do this (403).
    Forbidden,
    /// A rate limit stopped it (a 429 past the deadline, or an interrupt while waiting).
    RateLimited,
    /// Never sent: no session of the run had finished for `--max-stall` (the error says what
    /// the provider last said).
    Stalled,
    /// No reply in time (a client timeout or 408).
    Timeout,
    /// The provider cannot do this (405, 501).
    NotSupported,
    /// The reply was not what the API promises (broken, undecodable, too large, redirected).
    Protocol,
    /// The provider failed (5xx).
    Server,
    /// No connection could be made (refused, unresolvable): nothing reached the server.
    Unreachable,
    /// Refused before anything was sent: the profile's `protect` list matches it, or
    /// whether it does could not be told.
    Protected,
    /// Not acted on: read again right before acting, it no longer qualifies (active
    /// again, occupied, no longer matching `--where`). Not a failure: exit 0.
    Changed,
    Other,
}

impl ErrorKind {
    /// The kind an HTTP error status means, for any provider.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            405 | 501 => ErrorKind::NotSupported,
            408 => ErrorKind::Timeout,
            429 => ErrorKind::RateLimited,
            300..=399 => ErrorKind::Protocol,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Other,
        }
    }

    /// Our credentials were refused: exit 3, whatever else happened.
    pub fn auth_refused(self) -> bool {
        matches!(self, ErrorKind::Unauthenticated | ErrorKind::Forbidden)
    }
}

/// One session's outcome. `status` is the last HTTP status seen, `error` the server's own
/// message (or why no reply came), `attempts` how many requests it took.
#[derive(Debug, Clone, Serialize)]
pub struct SessionResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub id: String,
    pub outcome: Outcome,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// What kind of problem `error` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<ErrorKind>,
    pub attempts: u32,
    /// Zep v4: the asynchronous delete task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Why a stale sweep picked this session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What else the outcome rests on (an earlier reply that was lost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Given up on in flight (a second interrupt): whether it was done is unknown, so a
    /// resume sends it again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub abandoned: bool,
    /// When the outcome was known (RFC 3339), stamped as it is reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Where its ID came in the run's input (as read or listed), so that what is printed at
    /// the end can be in that order; results arrive as they finish. Not part of the output.
    #[serde(skip)]
    pub seq: u64,
}

impl SessionResult {
    pub fn new(id: impl Into<String>, outcome: Outcome) -> SessionResult {
        SessionResult {
            profile: None,
            id: id.into(),
            outcome,
            status: None,
            error: None,
            error_kind: None,
            attempts: 0,
            task: None,
            reason: None,
            note: None,
            abandoned: false,
            at: None,
            seq: 0,
        }
    }

    /// Failed before anything was sent, or after, for a reason of our own.
    pub fn failed(id: impl Into<String>, error: impl Into<String>) -> SessionResult {
        SessionResult::new(id, Outcome::Failed).with_error(error)
    }

    /// Says what went wrong; its kind, unless already known, follows from the outcome.
    pub fn with_error(mut self, error: impl Into<String>) -> SessionResult {
        self.error = Some(error.into());
        self.error_kind.get_or_insert(match self.outcome {
            Outcome::NotFound => ErrorKind::NotFound,
            Outcome::AlreadyEnded => ErrorKind::AlreadyEnded,
            _ => ErrorKind::Other,
        });
        self
    }

    /// True when the server refused our credentials.
    pub fn auth_refused(&self) -> bool {
        self.error_kind.is_some_and(ErrorKind::auth_refused)
    }
}

/// Counts per outcome, and the facts the exit code depends on.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(transparent)]
pub struct Summary {
    counts: BTreeMap<&'static str, usize>,
    #[serde(skip)]
    pub auth_refused: bool,
    /// `protected` results refused with an error (IDs given explicitly): exit 1.
    #[serde(skip)]
    pub refused: usize,
    /// `skipped` results a re-check made (`error_kind` `changed`).
    #[serde(skip)]
    changed: usize,
}

impl Summary {
    pub fn add(&mut self, r: &SessionResult) {
        *self.counts.entry(r.outcome.as_str()).or_default() += 1;
        self.auth_refused |= r.auth_refused();
        match (r.outcome, r.error_kind) {
            (Outcome::Protected, Some(_)) => self.refused += 1,
            (Outcome::Skipped, Some(ErrorKind::Changed)) => self.changed += 1,
            _ => {}
        }
    }

    /// Re-checks before acting: how many sessions were read again and the requests that
    /// took beyond the listing (what the run's freshness cost).
    pub fn rechecked(&mut self, sessions: usize, requests: usize) {
        if sessions > 0 {
            *self.counts.entry("rechecked").or_default() += sessions;
            *self.counts.entry("recheck_requests").or_default() += requests;
        }
    }

    /// Sessions skipped for a reason other than a re-check (an interrupt, a deadline): what
    /// makes a run exit 1.
    pub fn skipped_unfinished(&self) -> usize {
        self.count(Outcome::Skipped) - self.changed
    }

    /// A sweep's `--limit` left `n` selected sessions for the next run (`left`): not an
    /// outcome of this run, so it changes no exit code.
    pub fn leave(&mut self, n: usize) {
        *self.counts.entry("left").or_default() += n;
    }

    pub fn count(&self, o: Outcome) -> usize {
        self.counts.get(o.as_str()).copied().unwrap_or(0)
    }

    /// `ended 3, not_found 1`
    pub fn line(&self) -> String {
        if self.counts.is_empty() {
            return "no sessions".into();
        }
        self.counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// When a run stops sending to one of its targets because of what the answers so far say:
/// the provider refused the credentials (401; every further request would be refused too, and a
/// thousand 401s help nobody), or the server could not be reached for a run of sessions in a
/// row (each would take every retry to fail the same way). What is not sent then is
/// `skipped`, with why.
#[derive(Debug)]
pub struct Halt {
    why: Vec<Option<String>>,
    unreachable: Vec<u32>,
}

/// Sessions in a row that could not reach the server before the rest are skipped.
pub const UNREACHABLE_STREAK: u32 = 3;

impl Halt {
    pub fn new(targets: usize) -> Halt {
        Halt {
            why: vec![None; targets],
            unreachable: vec![0; targets],
        }
    }

    /// Takes in one result of `target`.
    pub fn see(&mut self, target: usize, r: &SessionResult) {
        if self.why[target].is_some() {
            return;
        }
        // 401 only: every provider here answers a key it does not accept with 401, while a
        // 403 may be about one session (this key may not touch it), and the next may work.
        // The answered 401 only: one refused unsent after it (`HttpError::Refused`) has no
        // status, and would name the wrong session.
        if r.error_kind == Some(ErrorKind::Unauthenticated) && r.status == Some(401) {
            let status = r.status.map_or(String::new(), |s| format!(" (HTTP {s})"));
            self.why[target] = Some(format!(
                "not sent: the provider refused the credentials{status} for `{}`; check the key",
                r.id
            ));
            return;
        }
        match r.error_kind {
            Some(ErrorKind::Unreachable) => self.unreachable[target] += 1,
            _ if r.outcome != Outcome::Skipped => self.unreachable[target] = 0,
            _ => {}
        }
        if self.unreachable[target] >= UNREACHABLE_STREAK {
            self.why[target] = Some(format!(
                "not sent: the server could not be reached for {UNREACHABLE_STREAK} sessions in a row; check base_url and the network"
            ));
        }
    }

    /// Why nothing more is sent to `target`, once that is so.
    pub fn why(&self, target: usize) -> Option<&str> {
        self.why[target].as_deref()
    }
}
