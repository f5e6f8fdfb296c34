//! Zep v3 threads (`zep-cloud` 3.x): delete by developer thread ID, done when it answers;
//! list by page number.

use async_trait::async_trait;
use reqwest::Method;
use serde::Deserialize;

use super::threads::{NO_END, PAGE_SIZE, Thread};
use crate::client::http::{Http, Request};
use crate::ids::SessionId;
use crate::outcome::{Outcome, SessionResult};
use crate::provider::{
    Action, Features, ListError, Page, Provider, SessionRow, Staleness, Success, Sweep,
};
use crate::select::{Selectable, ServerFilter};

/// `user=` is `GET /users/{userId}/threads` (zep-cloud 3.30.0 `user.get_threads`, a bare
/// array of Thread, no paging). The 3.30 Thread has no metadata.
pub(super) const SELECTABLE: &[Selectable] = &[
    Selectable::server("user", "GET /users/{userId}/threads"),
    Selectable::rows("thread"),
    Selectable::rows("id"),
];

pub(super) struct Threads {
    pub(super) http: Http,
}

#[derive(Deserialize)]
struct V3Page {
    #[serde(deserialize_with = "crate::provider::required_list")]
    threads: Vec<Thread>,
    total_count: Option<u64>,
}

impl Threads {
    /// `DELETE /threads/{thread_id}`, final on reply.
    async fn delete(&self, id: SessionId) -> SessionResult {
        let url = match self.http.url(&["threads", &id]) {
            Ok(url) => url,
            Err(refused) => return crate::provider::unsent(id, refused),
        };
        let result = self.http.send(Request::new(Method::DELETE, url)).await;
        crate::provider::per_id_outcome(&id, result, Outcome::Deleted, Success::json(200))
    }

    /// One page by number.
    async fn list(
        &self,
        cursor: Option<String>,
    ) -> Result<(Vec<Thread>, Option<String>), ListError> {
        let at = crate::provider::paging::Position::of(cursor.as_deref());
        let mut url = self.http.url(&["threads"])?;
        url.query_pairs_mut()
            .append_pair("page_number", &at.number.to_string())
            .append_pair("page_size", &PAGE_SIZE.to_string())
            .append_pair("order_by", "updated_at")
            .append_pair("asc", "true");
        let page: V3Page = crate::provider::get_page(&self.http, url).await?;
        let next = at.next(page.threads.len(), page.total_count)?;
        Ok((page.threads, next))
    }
}

#[async_trait]
impl Provider for Threads {
    fn features(&self) -> Features {
        Features {
            lacks: Some(NO_END),
            ..Features::default()
        }
    }

    async fn apply(&self, _action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        crate::provider::each(ids, |id| self.delete(id)).await
    }

    /// Reads the thread's newest message (404 for an unknown thread).
    async fn probe(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        let would = crate::provider::would(action);
        crate::provider::each(ids, |id| async move {
            let mut url = match self.http.url(&["threads", &id, "messages"]) {
                Ok(url) => url,
                Err(refused) => return crate::provider::unsent(id, refused),
            };
            url.query_pairs_mut().append_pair("lastn", "1");
            crate::provider::probe_get(&self.http, id, url, |_| would).await
        })
        .await
    }

    /// Pages by `page_number` (1-based), oldest `updated_at` first. `--where user=` lists
    /// that user's threads with its own call (one reply).
    async fn list_page(
        &self,
        cursor: Option<String>,
        _active_only: bool,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        let (threads, next) = match server {
            Some(user) => {
                let url = self.http.url(&["users", &user.value, "threads"])?;
                // A bare array, or `null` (as Go servers send an empty one).
                let threads: Option<Option<Vec<Thread>>> =
                    crate::provider::get_scoped_page(&self.http, url, user).await?;
                (threads.flatten().unwrap_or_default(), None)
            }
            None => self.list(cursor).await?,
        };
        Ok(super::threads::page(threads, next))
    }

    /// Its rows carry no activity (so every page of a sweep is read): a thread younger than the cut-off (or updated since) is fresh; any other is
    /// confirmed by its newest message before an irreversible delete.
    fn staleness(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        let recent = |t: &Option<String>| {
            t.as_deref()
                .and_then(crate::units::parse_time)
                .is_some_and(|t| t >= sweep.idle_before)
        };
        if recent(&row.created) || recent(&row.activity) {
            Staleness::Fresh
        } else {
            Staleness::Confirm
        }
    }

    /// `GET /threads/{thread_id}/messages?lastn=1`; no messages → `created_at`.
    async fn confirm(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        let mut url = match self.http.url(&["threads", &row.id, "messages"]) {
            Ok(url) => url,
            Err(refused) => return Staleness::Unknown(refused.to_string()),
        };
        url.query_pairs_mut().append_pair("lastn", "1");
        let own = match (&row.activity, &row.created) {
            (Some(updated), _) => Some(("updated", updated.as_str())),
            (None, Some(created)) => Some(("created", created.as_str())),
            (None, None) => None,
        };
        super::messages::confirm_by_messages(&self.http, url, own, sweep).await
    }
}
