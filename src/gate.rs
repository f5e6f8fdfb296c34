//! A gate before acting: a check that runs right before a provider is asked to act on (or
//! probe) a batch, on every path, and answers for the IDs it stops. [`Gated`] puts one in
//! front of a provider and passes everything else through unchanged, so that each check
//! (the protect list in [`crate::guard`], the re-check of old evidence in
//! [`crate::recheck`]) is one small type, never another copy of the provider's interface.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::ids::SessionId;
use crate::outcome::SessionResult;
use crate::provider::{
    Action, Features, ListError, Orphan, Page, Provider, SessionRow, Staleness, Sweep,
};
use crate::select::ServerFilter;

/// What a gate decides for a batch: the IDs that go on, and the results of those it stopped.
pub type Sorted = (Vec<SessionId>, Vec<SessionResult>);

#[async_trait]
pub trait Gate: Send + Sync {
    /// Before an action or a server dry run; may read the server (never change it).
    async fn sort(&self, action: Action, ids: Vec<SessionId>) -> Sorted;

    /// Before a client dry run, which sends nothing: what can be decided without a request.
    fn sort_dry(&self, _action: Action, ids: Vec<SessionId>) -> Sorted {
        (ids, Vec::new())
    }

    /// After the provider answered for the IDs the gate let through: what the gate learnt
    /// deciding them that their results should say (a re-check's fresh reason).
    fn amend(&self, _results: &mut [SessionResult]) {}
}

/// `inner` behind `gate`.
pub struct Gated<G> {
    inner: Arc<dyn Provider>,
    gate: G,
}

impl<G: Gate> Gated<G> {
    pub fn new(inner: Arc<dyn Provider>, gate: G) -> Gated<G> {
        Gated { inner, gate }
    }
}

#[async_trait]
impl<G: Gate> Provider for Gated<G> {
    fn features(&self) -> Features {
        self.inner.features()
    }

    fn ids_per_call(&self, action: Action) -> usize {
        self.inner.ids_per_call(action)
    }

    async fn apply(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        let (go, mut results) = self.gate.sort(action, ids).await;
        if !go.is_empty() {
            let mut answered = self.inner.apply(action, go).await;
            self.gate.amend(&mut answered);
            results.extend(answered);
        }
        results
    }

    async fn probe(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        let (go, mut results) = self.gate.sort(action, ids).await;
        if !go.is_empty() {
            let mut answered = self.inner.probe(action, go).await;
            self.gate.amend(&mut answered);
            results.extend(answered);
        }
        results
    }

    fn dry(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        let (go, mut results) = self.gate.sort_dry(action, ids);
        results.extend(self.inner.dry(action, go));
        results
    }

    async fn list_page(
        &self,
        cursor: Option<String>,
        active_only: bool,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        self.inner.list_page(cursor, active_only, server).await
    }

    fn ordered_by_activity(&self, server: Option<&ServerFilter>) -> bool {
        self.inner.ordered_by_activity(server)
    }

    fn staleness(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        self.inner.staleness(row, sweep)
    }

    fn uncounted(&self, row: &SessionRow) -> Option<String> {
        self.inner.uncounted(row)
    }

    async fn list_ended_page(
        &self,
        cursor: Option<String>,
        before: Timestamp,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        self.inner.list_ended_page(cursor, before, server).await
    }

    fn ended(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        self.inner.ended(row, sweep)
    }

    async fn confirm(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        self.inner.confirm(row, sweep).await
    }

    async fn read(&self, id: &SessionId) -> Result<Option<SessionRow>, String> {
        self.inner.read(id).await
    }

    fn expires(&self, row: &SessionRow) -> Option<Timestamp> {
        self.inner.expires(row)
    }

    async fn orphans(&self) -> Result<Vec<Orphan>, ListError> {
        self.inner.orphans().await
    }

    async fn check_page(&self) -> Result<crate::provider::unit::PageCheck, ListError> {
        self.inner.check_page().await
    }
}
