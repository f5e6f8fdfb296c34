//! Where a profile's `protect` list is enforced: a gate ([`crate::gate`]) between the
//! runner and the real provider, so that every path that acts (IDs as arguments, from a file or
//! stdin, a pipe across profiles, a sweep, a resumed journal, a dry run) meets the same
//! check right before the provider is asked to act, and nothing is sent for a protected
//! session. The rules and their matching are [`crate::protect`]'s.
//!
//! A rule on a field the ID alone does not show (`metadata.keep=true`) means reading the
//! session first ([`Provider::read`]); a provider that cannot read one session, or a read
//! that fails, refuses the ID: whether it is protected is never guessed. A sweep's own rows
//! were judged on the listing already ([`Cleared`]) and are not read again.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::gate::{Gate, Gated, Sorted};
use crate::ids::SessionId;
use crate::outcome::{ErrorKind, Outcome, SessionResult};
use crate::protect::{ById, Protect};
use crate::provider::{Action, Provider};
use crate::select::Term;

/// The sessions a listing of this run has checked against the protect list (on the very
/// rows the rules match): the guard lets them through without reading them again.
#[derive(Debug, Clone, Default)]
pub struct Cleared(Arc<Mutex<HashSet<String>>>);

impl Cleared {
    pub fn insert(&self, id: &str) {
        self.lock().insert(id.to_owned());
    }

    fn contains(&self, id: &str) -> bool {
        self.lock().contains(id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The gate that refuses what `protect` matches (see [`crate::gate`]).
struct Guarded {
    inner: Arc<dyn Provider>,
    protect: Protect,
    profile: String,
    cleared: Cleared,
}

/// What the guard decided for one ID.
enum Verdict {
    Free(SessionId),
    Refused(SessionResult),
}

/// `inner` as itself when `protect` is empty (nothing to check), else guarded; with the
/// handle through which a sweep clears the rows it listed.
pub fn wrap(
    inner: Arc<dyn Provider>,
    protect: &Protect,
    profile: &str,
) -> (Arc<dyn Provider>, Cleared) {
    let cleared = Cleared::default();
    if protect.is_empty() {
        return (inner, cleared);
    }
    let guarded = Guarded {
        inner: inner.clone(),
        protect: protect.clone(),
        profile: profile.to_owned(),
        cleared: cleared.clone(),
    };
    (Arc::new(Gated::new(inner, guarded)), cleared)
}

impl Guarded {
    /// The refusal of an ID the list matches: nothing is sent for it.
    fn refused(&self, id: SessionId, term: &Term) -> SessionResult {
        let mut r = SessionResult::new(id, Outcome::Protected);
        r.error = Some(format!(
            "protected by `{term}` (profile `{}`'s protect list): refused, nothing sent",
            self.profile
        ));
        r.error_kind = Some(ErrorKind::Protected);
        r
    }

    /// An ID refused because whether it is protected cannot be told.
    fn untold(&self, id: SessionId, why: &str) -> SessionResult {
        let mut r = SessionResult::new(id, Outcome::Protected);
        r.error = Some(format!(
            "cannot tell whether profile `{}`'s protect list ({}) covers it: {why}; refused, nothing sent",
            self.profile,
            self.protect.row_fields()
        ));
        r.error_kind = Some(ErrorKind::Protected);
        r
    }

    /// Decides `id`, reading the session when a rule needs more than its ID.
    async fn judge(&self, id: SessionId) -> Verdict {
        if self.cleared.contains(id.as_str()) {
            return Verdict::Free(id);
        }
        match self.protect.of_id(id.as_str()) {
            ById::Protected(term) => Verdict::Refused(self.refused(id, term)),
            ById::Free => Verdict::Free(id),
            ById::NeedsRow => match self.inner.read(&id).await {
                // No such session: the action itself says so (`not_found`).
                Ok(None) => Verdict::Free(id),
                Ok(Some(row)) => match self.protect.of_row(&row) {
                    Some(term) => Verdict::Refused(self.refused(id, term)),
                    None => Verdict::Free(id),
                },
                Err(why) => Verdict::Refused(self.untold(id, &why)),
            },
        }
    }
}

#[async_trait]
impl Gate for Guarded {
    async fn sort(&self, _action: Action, ids: Vec<SessionId>) -> Sorted {
        // Each read counted as its ID's own request, as `provider::each` counts them.
        let judged = ids.into_iter().map(|id| async move {
            let key = id.as_str().to_owned();
            crate::client::tally::for_key(&key, self.judge(id)).await
        });
        let mut free = Vec::new();
        let mut refused = Vec::new();
        for verdict in futures::future::join_all(judged).await {
            match verdict {
                Verdict::Free(id) => free.push(id),
                Verdict::Refused(r) => refused.push(r),
            }
        }
        (free, refused)
    }

    /// Sends nothing, so a rule on a field beyond the ID cannot be checked here: the result
    /// says that a real run reads the session first.
    fn sort_dry(&self, action: Action, ids: Vec<SessionId>) -> Sorted {
        let mut free = Vec::new();
        let mut results = Vec::new();
        for id in ids {
            if self.cleared.contains(id.as_str()) {
                free.push(id);
                continue;
            }
            match self.protect.of_id(id.as_str()) {
                ById::Protected(term) => results.push(self.refused(id, term)),
                ById::Free => free.push(id),
                ById::NeedsRow => {
                    let mut r = SessionResult::new(id, crate::provider::would(action));
                    r.note = Some(format!(
                        "not checked against the protect list ({}): a dry run reads nothing; a real run reads it first",
                        self.protect.row_fields()
                    ));
                    results.push(r);
                }
            }
        }
        (free, results)
    }
}
