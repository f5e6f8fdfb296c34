//! Zep v2 memory sessions (`providers.md` §1).

use async_trait::async_trait;
use futures::future::BoxFuture;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::client::http::{Failure, Http, Reply, Request};
use crate::ids::SessionId;
use crate::outcome::{Outcome, SessionResult};
use crate::provider::{
    Action, Features, Fields, ListError, Page, Provider, SessionRow, Staleness, Success, Sweep,
};
use crate::select::{Selectable, ServerFilter};

/// `user=` is `GET /users/{userId}/sessions` (zep-cloud 2.22.1 `user.get_sessions`, a bare
/// array of Session, no paging); `metadata.KEY` and `id` are matched on the listed rows.
pub(super) const SELECTABLE: &[Selectable] = &[
    Selectable::server("user", "GET /users/{userId}/sessions"),
    Selectable::rows("id"),
    Selectable::rows("metadata"),
];

pub(super) fn build(http: Http, batch_size: usize) -> Box<dyn Provider> {
    Box::new(ZepSessions { http, batch_size })
}

/// Rows per list page; the API's own maximum is not published, 100 is what the SDKs use.
const PAGE_SIZE: usize = 100;

struct ZepSessions {
    http: Http,
    batch_size: usize,
}

#[derive(Deserialize)]
struct ListReply {
    #[serde(deserialize_with = "crate::provider::required_list")]
    sessions: Vec<Session>,
    total_count: Option<u64>,
}

#[derive(Deserialize)]
struct Session {
    session_id: String,
    user_id: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    ended_at: Option<String>,
    #[serde(default)]
    deleted_at: Option<String>,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Session {
    fn into_row(self) -> SessionRow {
        SessionRow {
            id: self.session_id,
            owner: self.user_id.clone(),
            created: self.created_at,
            active: self.ended_at.is_none() && self.deleted_at.is_none(),
            // A soft-deleted session's memory is gone already: nothing outlives its end.
            ended: self.ended_at.filter(|_| self.deleted_at.is_none()),
            activity: self.updated_at,
            fields: Fields::default()
                .with("user", self.user_id)
                .metadata(self.metadata),
            ..SessionRow::default()
        }
    }
}

/// `POST /sessions/end`'s reply (zep-cloud 2.22.1 `memory.end_sessions` →
/// `EndSessionsResponse {sessions: Optional[List[Session]]}`): the sessions it ended. Only
/// their IDs matter here.
#[derive(Deserialize)]
struct EndedSessions {
    #[serde(default)]
    sessions: Option<Vec<EndedSession>>,
}

#[derive(Deserialize)]
struct EndedSession {
    session_id: Option<String>,
}

/// `GET /sessions/{id}` for a server dry run: only its state matters.
#[derive(Deserialize)]
struct SessionState {
    ended_at: Option<String>,
    deleted_at: Option<String>,
}

impl ZepSessions {
    /// `POST /sessions/{id}/end`. Zep answers 409 for writes to an ended session (and some
    /// deployments 400 "session ended"): both mean `already_ended`. `carried`: the
    /// attempts of the bulk ends that carried it before.
    async fn end_one(&self, id: SessionId, carried: u32) -> SessionResult {
        let url = match self.http.url(&["sessions", &id, "end"]) {
            Ok(url) => url,
            Err(refused) => return crate::provider::unsent(id, refused),
        };
        let sent = self.http.send(Request::new(Method::POST, url).json(json!({})));
        match carrying(sent.await, carried) {
            Ok(reply) if says_already_ended(&reply) => {
                let mut r = SessionResult::from_reply(id, Outcome::AlreadyEnded, &reply);
                if reply.earlier_lost {
                    // Not claimed as this run's `ended`: the server said only that it had.
                    r.note = Some(
                        "an earlier reply was lost; the server now says it has ended, so that attempt most likely did it"
                            .into(),
                    );
                }
                r
            }
            other => {
                crate::provider::per_id_outcome(&id, other, Outcome::Ended, Success::json(200))
            }
        }
    }

    /// `POST /sessions/end` for a batch. How Zep treats a batch with one unknown or ended
    /// ID is not published, so a batch 404/409 is retried one by one (each ID then gets its
    /// true outcome), and a batch too big (400/413) is split in halves. `carried`: the
    /// attempts of the bulk ends that carried these IDs before (a half of a split batch).
    fn end_batch(&self, ids: Vec<SessionId>, carried: u32) -> BoxFuture<'_, Vec<SessionResult>> {
        Box::pin(async move {
            if ids.len() == 1 {
                let id = ids.into_iter().next().expect("one ID");
                return vec![self.end_one(id, carried).await];
            }
            let url = self.http.url(&["sessions", "end"]).expect("a fixed path");
            let names: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
            let body = json!({ "session_ids": names });
            let sent = self.http.send(Request::new(Method::POST, url).json(body));
            match carrying(sent.await, carried) {
                Ok(reply) if reply.is_success() => self.ended_as_listed(ids, &reply).await,
                Ok(reply)
                    if matches!(reply.status.as_u16(), 404 | 409) || says_already_ended(&reply) =>
                {
                    crate::provider::each(ids, |id| self.end_one(id, reply.attempts)).await
                }
                Ok(reply) if matches!(reply.status.as_u16(), 400 | 413) => {
                    let mut first = ids;
                    let second = first.split_off(first.len() / 2);
                    let (mut a, b) = futures::join!(
                        self.end_batch(first, reply.attempts),
                        self.end_batch(second, reply.attempts)
                    );
                    a.extend(b);
                    a
                }
                other => crate::provider::all_failed(ids, &other),
            }
        })
    }

    /// A bulk end's success, read: the IDs its reply lists are `ended`; each other one was
    /// not ended by that call (or the reply does not say), so it is ended on its own and
    /// gets that answer (`already_ended` if the bulk call did end it after all).
    async fn ended_as_listed(&self, ids: Vec<SessionId>, reply: &Reply) -> Vec<SessionResult> {
        let listed: std::collections::HashSet<String> = match reply.json::<EndedSessions>() {
            Ok(r) => (r.sessions.into_iter().flatten())
                .filter_map(|s| s.session_id)
                .collect(),
            Err(e) => {
                tracing::warn!(
                    "the bulk end's reply is unreadable ({e}); ending its sessions one by one"
                );
                Default::default()
            }
        };
        let (ended, unlisted): (Vec<SessionId>, Vec<SessionId>) =
            ids.into_iter().partition(|id| listed.contains(id.as_str()));
        let mut results: Vec<SessionResult> = (ended.into_iter())
            .map(|id| SessionResult::from_reply(id, Outcome::Ended, reply))
            .collect();
        let asked = crate::provider::each(unlisted, |id| async move {
            let mut r = self.end_one(id, reply.attempts).await;
            // The single end's own note (a lost reply, say) is kept after this one.
            let resent = "the bulk end's reply did not list it as ended; sent again on its own";
            r.note = Some(match r.note.take() {
                Some(own) => format!("{resent}; {own}"),
                None => resent.to_owned(),
            });
            r
        });
        results.extend(asked.await);
        results
    }

    /// `DELETE /sessions/{id}/memory`: deletes the memory and soft-deletes the session
    /// (there is no `DELETE /sessions/{id}` in this API).
    async fn delete_one(&self, id: SessionId) -> SessionResult {
        let url = match self.http.url(&["sessions", &id, "memory"]) {
            Ok(url) => url,
            Err(refused) => return crate::provider::unsent(id, refused),
        };
        let result = self.http.send(Request::new(Method::DELETE, url)).await;
        crate::provider::per_id_outcome(&id, result, Outcome::Deleted, Success::json(200))
    }
}

/// A request's result, its attempts counting those of the bulk ends that carried its IDs
/// before (every request that carried a session is one of its attempts). Added before any
/// outcome is made of it, so that one never sent on its own after a bulk end that carried it
/// says "not sent again", not "not sent".
fn carrying(result: Result<Reply, Failure>, carried: u32) -> Result<Reply, Failure> {
    match result {
        Ok(mut reply) => {
            reply.attempts += carried;
            Ok(reply)
        }
        Err(mut failure) => {
            failure.attempts += carried;
            Err(failure)
        }
    }
}

fn says_already_ended(reply: &Reply) -> bool {
    match reply.status.as_u16() {
        409 => true,
        400 => reply.error_message().to_lowercase().contains("ended"),
        _ => false,
    }
}

#[async_trait]
impl Provider for ZepSessions {
    /// An ended session keeps its memory until it is deleted, and says when it ended
    /// (`ended_at`, zep-cloud 2.22.1 `Session`). The list has no filter for ended sessions
    /// and cannot be ordered by `ended_at` (`order_by`: created_at, updated_at, user_id,
    /// session_id), so a retention sweep reads every page.
    fn features(&self) -> Features {
        Features {
            ended: Some("ended_at"),
            reads_one: true,
            ..Features::default()
        }
    }

    fn ids_per_call(&self, action: Action) -> usize {
        match action {
            Action::End => self.batch_size,
            Action::Delete => 1,
        }
    }

    async fn apply(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        match action {
            Action::End => self.end_batch(ids, 0).await,
            Action::Delete => crate::provider::each(ids, |id| self.delete_one(id)).await,
        }
    }

    /// `GET /sessions/{id}`: a soft-deleted session is gone; an ended one cannot be ended.
    async fn probe(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        crate::provider::each(ids, |id| async move {
            let url = match self.http.url(&["sessions", &id]) {
                Ok(url) => url,
                Err(refused) => return crate::provider::unsent(id, refused),
            };
            crate::provider::probe_get(&self.http, id, url, |reply| {
                match reply.json::<SessionState>() {
                    Ok(s) if s.deleted_at.is_some() => Outcome::NotFound,
                    Ok(s) if s.ended_at.is_some() && action == Action::End => Outcome::AlreadyEnded,
                    _ => crate::provider::would(action),
                }
            })
            .await
        })
        .await
    }

    /// `GET /sessions/{id}` (zep-cloud 2.22.1 `memory.get_session`): the Session its list
    /// shows. A soft-deleted one is read as it is (`active` false), as the list would.
    async fn read(&self, id: &SessionId) -> Result<Option<SessionRow>, String> {
        let url = self
            .http
            .url(&["sessions", id])
            .map_err(|e| e.to_string())?;
        let session = crate::provider::get_one::<Session>(&self.http, url).await?;
        Ok(session.map(Session::into_row))
    }

    /// `GET /sessions-ordered`, oldest `updated_at` first. The SDKs send
    /// `page_number`/`page_size` but the Community Edition reads `pageNumber`/`pageSize`, so
    /// both spellings go out; pages are 1-based. `--where user=` lists the user's sessions
    /// instead, all in one reply.
    async fn list_page(
        &self,
        cursor: Option<String>,
        _active_only: bool,
        server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        if let Some(user) = server {
            let url = self.http.url(&["users", &user.value, "sessions"])?;
            // A bare array, or `null` (as Go servers send an empty one).
            let sessions: Option<Option<Vec<Session>>> =
                crate::provider::get_scoped_page(&self.http, url, user).await?;
            let rows = sessions.flatten().unwrap_or_default().into_iter();
            return Ok(Page {
                rows: rows.map(Session::into_row).collect(),
                ..Page::default()
            });
        }
        let at = crate::provider::paging::Position::of(cursor.as_deref());
        let mut url = self.http.url(&["sessions-ordered"])?;
        let (n, size) = (at.number.to_string(), PAGE_SIZE.to_string());
        url.query_pairs_mut()
            .append_pair("page_number", &n)
            .append_pair("page_size", &size)
            .append_pair("pageNumber", &n)
            .append_pair("pageSize", &size)
            .append_pair("order_by", "updated_at")
            .append_pair("asc", "true");
        let reply: ListReply = crate::provider::get_page(&self.http, url).await?;
        let next = at.next(reply.sessions.len(), reply.total_count)?;
        Ok(Page {
            rows: reply.sessions.into_iter().map(Session::into_row).collect(),
            next,
            rest: None,
            total: reply.total_count,
        })
    }

    /// A row neither open nor ended is soft-deleted (its memory is gone): left alone.
    fn ended(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        match (row.active, &row.ended) {
            (false, None) => Staleness::Fresh,
            _ => crate::provider::by_end(row, sweep, "ended_at"),
        }
    }

    /// A user's sessions come in no promised order.
    fn ordered_by_activity(&self, server: Option<&ServerFilter>) -> bool {
        server.is_none()
    }

    /// `updated_at` is not documented as "last used" (the SDK marks it deprecated), so it
    /// only rules sessions out: one updated after the cut-off is fresh (and, the list being
    /// ordered by it, so is every later one); an older one is confirmed by its newest message.
    fn staleness(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        match crate::provider::by_activity(row, sweep) {
            Staleness::Stale { .. } => Staleness::Confirm,
            other => other,
        }
    }

    /// `GET /sessions/{id}/memory?lastn=1` (zep-cloud 2.x `memory.get`): the session's most
    /// recent message, in one request.
    async fn confirm(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        let mut url = match self.http.url(&["sessions", &row.id, "memory"]) {
            Ok(url) => url,
            Err(refused) => return Staleness::Unknown(refused.to_string()),
        };
        url.query_pairs_mut().append_pair("lastn", "1");
        let own = row.activity.as_deref().map(|raw| ("updated", raw));
        super::messages::confirm_by_messages(&self.http, url, own, sweep).await
    }
}
