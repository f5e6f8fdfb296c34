//! What happened to each session: the one record every provider produces and every output
//! format prints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::client::http::{Failure, Reply};

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
    /// Never started because the run was interrupted.
    Skipped,
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
        }
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
            attempts: 0,
            task: None,
            reason: None,
            note: None,
            abandoned: false,
            at: None,
            seq: 0,
        }
    }

    /// An outcome decided by `reply`.
    pub fn from_reply(id: impl Into<String>, outcome: Outcome, reply: &Reply) -> SessionResult {
        let mut r = SessionResult::new(id, outcome);
        r.status = Some(reply.status.as_u16());
        r.attempts = reply.attempts;
        if !reply.is_success() {
            r.error = Some(reply.error_message());
        }
        r
    }

    /// No usable reply came back; or, rate limited and interrupted, nothing was done.
    pub fn from_failure(id: impl Into<String>, failure: &Failure) -> SessionResult {
        let outcome = match failure.error.nothing_done() {
            true => Outcome::Skipped,
            false => Outcome::Failed,
        };
        let mut r = SessionResult::new(id, outcome);
        r.error = Some(failure.error.to_string());
        r.attempts = failure.attempts;
        r
    }

    /// Failed before anything was sent, or after, for a reason of our own.
    pub fn failed(id: impl Into<String>, error: impl Into<String>) -> SessionResult {
        let mut r = SessionResult::new(id, Outcome::Failed);
        r.error = Some(error.into());
        r
    }

    pub fn with_error(mut self, error: impl Into<String>) -> SessionResult {
        self.error = Some(error.into());
        self
    }

    /// True when the server refused our credentials.
    pub fn auth_refused(&self) -> bool {
        matches!(self.status, Some(401 | 403))
    }
}

/// Counts per outcome, and the facts the exit code depends on.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(transparent)]
pub struct Summary {
    counts: BTreeMap<&'static str, usize>,
    #[serde(skip)]
    pub auth_refused: bool,
}

impl Summary {
    pub fn add(&mut self, r: &SessionResult) {
        *self.counts.entry(r.outcome.as_str()).or_default() += 1;
        self.auth_refused |= r.auth_refused();
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
