//! A declared provider at run time: lists, ends, deletes and probes as its checked
//! description ([`Api`]) says, and judges staleness only from the fields it declares.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::Value;

use super::check::{Answer, Api, Body, Call, CursorFrom, IdleSince, Paging, Segment};
use super::value::{count, text, time};
use crate::client::http::{Failure, Http, Reply, Request};
use crate::ids::SessionId;
use crate::outcome::{Outcome, SessionResult};
use crate::provider::paging::{Position, Tally, server_cursor};
use crate::provider::unit::PageCheck;
use crate::provider::{
    Action, Features, Fields, ListError, Page, Provider, SessionRow, Staleness, Success, Sweep,
    by_activity,
};
use crate::select::ServerFilter;

pub struct Declared {
    pub http: Http,
    pub api: Arc<Api>,
    /// The `ended` pointer, as `--ended-for`'s reasons name it.
    pub ended: Option<&'static str>,
    /// The rows read before each server cursor, where the reply announces a total.
    pub tally: Tally,
}

const NO_PROBE: &str = "the description has no `probe`: a server dry run cannot read a session";

impl Declared {
    fn call(&self, action: Action) -> Option<&Call> {
        match action {
            Action::End => self.api.end.as_ref(),
            Action::Delete => self.api.delete.as_ref(),
        }
    }

    /// The request `call` makes for `id`: `{id}` one escaped segment of the path, or in
    /// the body's strings.
    fn request(&self, call: &Call, id: &str) -> Result<Request, Box<SessionResult>> {
        let segments: Vec<&str> = (call.path.iter())
            .map(|s| match s {
                Segment::Literal(s) => s.as_str(),
                Segment::Id => id,
            })
            .collect();
        let url = (self.http.url(&segments))
            .map_err(|refused| Box::new(crate::provider::unsent(id, refused)))?;
        let request = Request::new(call.method.clone(), url);
        match &call.body {
            None => Ok(request),
            Some(Body::Json(body)) => Ok(request.json(with_id(body, id))),
            Some(Body::Form(pairs)) => {
                let pairs: Vec<(String, String)> = (pairs.iter())
                    .map(|(k, v)| (k.clone(), v.replace("{id}", id)))
                    .collect();
                Ok(request.form(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            }
        }
    }

    /// The declared code of an error body (a number as its text).
    fn code(&self, reply: &Reply) -> Option<String> {
        let pointer = self.api.error_code.as_deref()?;
        let body: Value = serde_json::from_slice(&reply.body).ok()?;
        body.pointer(pointer).and_then(text)
    }

    /// The outcome of `call`'s reply as its statuses say: `ok` for `done`, then
    /// `already_ended`, `not_found`; anything else `failed` with the server's message (at
    /// the declared `error_message` pointers, else the body's text). A 404 not in the API's
    /// error shape is a route the server does not have, and a 2xx web page another server,
    /// whatever the statuses say.
    fn outcome(
        &self,
        id: &str,
        call: &Call,
        ok: Outcome,
        result: Result<Reply, Failure>,
    ) -> SessionResult {
        let reply = match result {
            Ok(reply) => reply,
            Err(failure) => return SessionResult::from_failure(id, &failure),
        };
        if let Some(failed) = crate::provider::no_route(id, &reply) {
            return failed;
        }
        let status = reply.status.as_u16();
        let page = Success {
            status,
            body: crate::provider::Body::NotPage,
        };
        if let Some(why) = reply.is_success().then(|| page.mismatch(&reply)).flatten() {
            return crate::provider::protocol_failure(id, &reply, why);
        }
        let code = self.code(&reply);
        let is = |answers: &[Answer]| answers.iter().any(|a| a.is(status, code.as_deref()));
        let outcome = if call.done.contains(&status) {
            ok
        } else if is(&call.already_ended) {
            Outcome::AlreadyEnded
        } else if is(&call.not_found) {
            Outcome::NotFound
        } else if reply.is_success() {
            // A 2xx the description does not name: the server did something unsaid.
            return crate::provider::protocol_failure(
                id,
                &reply,
                format!("HTTP {status} is not among the statuses the description names"),
            );
        } else {
            Outcome::Failed
        };
        // An end or a delete retried after its reply was lost, now told the session is
        // gone or ended: the lost attempt most likely did it (a probe changes nothing).
        let acted = matches!(ok, Outcome::Ended | Outcome::Deleted);
        match outcome {
            // The session the reply shows, where it shows whether it is live: an end whose
            // reply still shows it live was accepted, not seen done (a 202); a probe for an
            // end that shows it no longer live finds it ended already.
            o @ (Outcome::Ended | Outcome::WouldEnd) if o == ok => match self.live_in(&reply, id) {
                Some((true, shown)) if o == Outcome::Ended => {
                    let mut r = SessionResult::from_reply(id, Outcome::Accepted, &reply);
                    r.note = Some(format!(
                        "accepted, not seen ended: the reply still shows {shown}"
                    ));
                    r
                }
                Some((false, shown)) if o == Outcome::WouldEnd => {
                    let mut r = SessionResult::from_reply(id, Outcome::AlreadyEnded, &reply);
                    r.note = Some(format!("the read shows {shown}: not live"));
                    r
                }
                _ => SessionResult::from_reply(id, o, &reply),
            },
            Outcome::NotFound | Outcome::AlreadyEnded if acted && reply.earlier_lost => {
                let says = match outcome {
                    Outcome::NotFound => "says it is gone",
                    _ => "says it has ended",
                };
                crate::provider::after_lost_reply(id, &reply, says)
            }
            outcome => SessionResult::from_reply(id, outcome, &reply),
        }
    }

    /// Whether the session a reply's body shows is live, by the declared `live` field at the
    /// body's top (the resource itself, as Twilio's room, its `id` field the ID asked for):
    /// with what it shows, for the note. `None` where nothing is declared or the body does
    /// not say.
    fn live_in(&self, reply: &Reply, id: &str) -> Option<(bool, String)> {
        let (pointer, live) = self.api.fields.live.as_ref()?;
        let body: Value = serde_json::from_slice(&reply.body).ok()?;
        // Only a body that is this session (its `id` field the ID asked for): an envelope
        // with a key of the same name says nothing of it.
        if body.pointer(&self.api.fields.id).and_then(text).as_deref() != Some(id) {
            return None;
        }
        let value = body.pointer(pointer).filter(|v| !v.is_null())?;
        let shown = format!(
            "{pointer} {}",
            text(value).unwrap_or_else(|| value.to_string())
        );
        Some((value == live, shown.escape_default().to_string()))
    }

    /// The first page's URL (or the page `cursor` names), with its parameters.
    fn page_url(&self, cursor: Option<&str>) -> Result<url::Url, ListError> {
        let list = &self.api.list;
        if let (Paging::Link { .. } | Paging::NextUrl { .. }, Some(next)) = (&list.paging, cursor) {
            return self.same_origin(next);
        }
        let segments: Vec<&str> = list.path.iter().map(String::as_str).collect();
        let mut url = self.http.url(&segments)?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in &list.query {
                q.append_pair(k, v);
            }
            let size = match &list.paging {
                Paging::None => None,
                Paging::Page(n) | Paging::Offset(n) => n.size.as_ref(),
                Paging::Cursor { size, .. }
                | Paging::Link { size }
                | Paging::NextUrl { size, .. } => size.as_ref(),
            };
            if let Some(s) = size
                && let Some(param) = &s.param
            {
                q.append_pair(param, &s.rows.to_string());
            }
            match &list.paging {
                Paging::Page(n) => {
                    q.append_pair(&n.param, &Position::of(cursor).number.to_string());
                }
                Paging::Offset(n) => {
                    q.append_pair(&n.param, &Position::of(cursor).offset.to_string());
                }
                Paging::Cursor { param, .. } => {
                    if let Some(c) = cursor {
                        q.append_pair(param, c);
                    }
                }
                Paging::None | Paging::Link { .. } | Paging::NextUrl { .. } => {}
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(url)
    }

    /// The next page's URL (a `Link` header's, or one in the reply), resolved against the
    /// base URL, which must stay on the base URL's host: the key is never sent anywhere
    /// else.
    fn same_origin(&self, next: &str) -> Result<url::Url, ListError> {
        let base = self.http.url(&[]).map_err(ListError::Url)?;
        let url = base.join(next).map_err(|e| {
            ListError::Decode(format!("the next page's link `{next}` is not a URL: {e}"))
        })?;
        if url.origin() != base.origin() {
            return Err(ListError::Decode(format!(
                "the next page's link `{next}` leaves the base URL's host; stopping"
            )));
        }
        Ok(url)
    }

    /// The cursor of the page after the one `reply` answered, which held `rows`.
    fn next(
        &self,
        cursor: Option<&str>,
        reply: &Reply,
        body: &Value,
        rows: &[Value],
        total: Option<u64>,
    ) -> Result<Option<String>, ListError> {
        match &self.api.list.paging {
            Paging::None => Ok(None),
            Paging::Page(n) | Paging::Offset(n) => {
                let at = Position::of(cursor);
                match &n.size {
                    Some(size) if n.short_stops && (rows.len() as u64) < size.rows => Ok(None),
                    _ => at.next(rows.len(), total),
                }
            }
            // A server's cursor says nothing of how far the list is read: the total does.
            Paging::Cursor { from, .. } => {
                let named = server_cursor(match from {
                    CursorFrom::Reply(p) => body.pointer(p).and_then(text),
                    CursorFrom::LastRow(p) => {
                        rows.last().and_then(|r| r.pointer(p)).and_then(text)
                    }
                });
                Ok(self.tally.next(cursor, rows.len(), total, named))
            }
            Paging::Link { .. } => Ok(self.tally.next(cursor, rows.len(), total, next_link(reply))),
            Paging::NextUrl { next, .. } => {
                let named = server_cursor(body.pointer(next).and_then(text));
                Ok(self.tally.next(cursor, rows.len(), total, named))
            }
        }
    }

    /// The page `cursor` names (the first: `None`) as the server sent it: its rows
    /// unread, with the next page's cursor and the total the reply gives.
    async fn raw_page(&self, cursor: Option<String>) -> Result<RawPage, ListError> {
        let list = &self.api.list;
        let url = self.page_url(cursor.as_deref())?;
        let mut request = Request::new(list.method.clone(), url);
        if list.method != Method::GET {
            request = request.reads();
        }
        if let Some(body) = &list.body {
            request = request.json(body.clone());
        }
        let reply = self
            .http
            .send(request)
            .await
            .map_err(ListError::Transport)?;
        if !reply.is_success() {
            return Err(ListError::of(&reply));
        }
        let mut body: Value = reply.json().map_err(ListError::Decode)?;
        let rows = match body.pointer(&list.rows) {
            Some(Value::Array(rows)) => rows.as_slice(),
            Some(Value::Null) => &[],
            _ => {
                return Err(ListError::Decode(format!(
                    "the reply has no list of rows at `{}`",
                    list.rows
                )));
            }
        };
        let total = (list.total.as_deref())
            .and_then(|p| body.pointer(p))
            .and_then(count);
        let next = self.next(cursor.as_deref(), &reply, &body, rows, total)?;
        let rows = match body.pointer_mut(&list.rows).map(Value::take) {
            Some(Value::Array(rows)) => rows,
            _ => Vec::new(),
        };
        Ok(RawPage { rows, next, total })
    }

    fn row(&self, raw: &Value) -> Result<SessionRow, String> {
        let f = &self.api.fields;
        // A `null` is no value (a live room's `end_time: null`), never an unreadable one.
        let value = |p: &str| raw.pointer(p).filter(|v| !v.is_null());
        let at = |p: &Option<String>| p.as_deref().and_then(value);
        let id = raw
            .pointer(&f.id)
            .and_then(text)
            .ok_or_else(|| format!("a listed row has no ID at `{}`", f.id))?;
        let live = (f.live.as_ref()).map(|(p, live)| value(p).map(|v| v == live));
        let user = at(&f.user).and_then(text);
        let room = at(&f.room).and_then(text);
        Ok(SessionRow {
            id,
            owner: user.clone().or_else(|| room.clone()),
            created: at(&f.created).map(|v| time(v, f.time)),
            activity: at(&f.activity).map(|v| time(v, f.time)),
            ended: at(&f.ended).map(|v| time(v, f.time)),
            // Without a declared `live`, a listed session is taken as not ended (the safe
            // reading: it is never judged ended); with one, a row without it says neither.
            active: live.is_none_or(|l| l.unwrap_or(false)),
            active_unsaid: live.is_some_and(|l| l.is_none()),
            participants: at(&f.participants).and_then(count),
            fields: Fields::default()
                .with("user", user)
                .with("room", room)
                .metadata(at(&f.metadata).and_then(|m| m.as_object().cloned())),
            ..SessionRow::default()
        })
    }
}

/// `idle_since = "created"`: a session known to be empty (its row counts 0 participants) is
/// idle since it was created; a row without the count is not known to be empty, and one
/// without a readable creation time proves nothing. The reason says what was measured,
/// never "last activity".
fn empty_since_created(f: &super::check::Fields, row: &SessionRow, sweep: &Sweep) -> Staleness {
    let pointer = |p: &Option<String>| p.clone().unwrap_or_default();
    if row.participants.is_none() {
        return Staleness::Unknown(format!(
            "the row does not say how many people are in it (no {})",
            pointer(&f.participants)
        ));
    }
    let created = pointer(&f.created);
    match row.created.as_deref() {
        None => Staleness::Unknown(format!("no creation time (no {created})")),
        Some(raw) => match crate::units::parse_time(raw) {
            None => Staleness::Unknown(format!("unreadable creation time `{raw}`")),
            Some(at) if at < sweep.idle_before => Staleness::Stale {
                since: at,
                reason: format!("empty, created {} ago ({created} {raw})", sweep.age(at)),
            },
            Some(_) => Staleness::Fresh,
        },
    }
}

/// One list page as the server sent it.
struct RawPage {
    rows: Vec<Value>,
    next: Option<String>,
    total: Option<u64>,
}

/// `body` with `{id}` in each of its strings made `id` (JSON-escaped as the body is sent).
fn with_id(body: &Value, id: &str) -> Value {
    match body {
        Value::String(s) => Value::String(s.replace("{id}", id)),
        Value::Array(a) => Value::Array(a.iter().map(|v| with_id(v, id)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), with_id(v, id))).collect())
        }
        other => other.clone(),
    }
}

/// The `rel="next"` target of a reply's `Link` header.
fn next_link(reply: &Reply) -> Option<String> {
    let link = reply.headers.get(reqwest::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let next = params.split(';').any(|p| {
            matches!(
                p.trim().replace(' ', "").as_str(),
                "rel=next" | "rel=\"next\""
            )
        });
        next.then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

#[async_trait]
impl Provider for Declared {
    fn features(&self) -> Features {
        let lacks = match (&self.api.end, &self.api.delete) {
            (None, _) => Some((Action::End, "the description has no `end`")),
            (_, None) => Some((Action::Delete, "the description has no `delete`")),
            _ => None,
        };
        // No `read` of one session yet: a protect rule beyond the ID refuses explicit IDs.
        Features {
            lacks,
            ended: self.ended,
            reads_one: false,
        }
    }

    async fn apply(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        let ok = match action {
            Action::End => Outcome::Ended,
            Action::Delete => Outcome::Deleted,
        };
        crate::provider::each(ids, |id| async move {
            let Some(call) = self.call(action) else {
                return SessionResult::failed(id, "the description does not say how");
            };
            match self.request(call, &id) {
                Err(refused) => *refused,
                Ok(request) => self.outcome(&id, call, ok, self.http.send(request).await),
            }
        })
        .await
    }

    async fn probe(&self, action: Action, ids: Vec<SessionId>) -> Vec<SessionResult> {
        crate::provider::each(ids, |id| async move {
            let Some(call) = self.api.probe.as_ref() else {
                return SessionResult::failed(id, NO_PROBE);
            };
            match self.request(call, &id) {
                Err(refused) => *refused,
                Ok(request) => {
                    let result = self.http.send(request.reads()).await;
                    self.outcome(&id, call, crate::provider::would(action), result)
                }
            }
        })
        .await
    }

    async fn list_page(
        &self,
        cursor: Option<String>,
        _active_only: bool,
        _server: Option<&ServerFilter>,
    ) -> Result<Page, ListError> {
        let page = self.raw_page(cursor).await?;
        Ok(Page {
            rows: (page.rows.iter())
                .map(|r| self.row(r))
                .collect::<Result<_, _>>()
                .map_err(ListError::Decode)?,
            rest: None,
            next: page.next,
            total: page.total,
        })
    }

    async fn check_page(&self) -> Result<PageCheck, ListError> {
        let page = self.raw_page(None).await?;
        Ok(PageCheck {
            rows: page.rows.len() as u64,
            more: page.next.is_some(),
            fields: super::mapping::read(&self.api.fields, &page.rows),
        })
    }

    fn uncounted(&self, row: &SessionRow) -> Option<String> {
        let pointer = self.api.fields.participants.as_deref()?;
        row.participants.is_none().then(|| {
            format!("not known to be empty: the row does not say how many people are in it (no {pointer})")
        })
    }

    /// Only from what the description declares: participants in the room always win. A
    /// description without an activity field (or `idle_since = "created"`) never gets here:
    /// its `--idle-for` is refused before the run ([`super::super::Judges`]).
    fn staleness(&self, row: &SessionRow, sweep: &Sweep) -> Staleness {
        if row.participants.is_some_and(|n| n > 0) {
            return Staleness::Fresh;
        }
        match self.api.fields.idle_since {
            Some(IdleSince::EmptySinceCreated) => empty_since_created(&self.api.fields, row, sweep),
            Some(IdleSince::Activity) | None => by_activity(row, sweep),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a row that counts 0 participants and says, readably, when the session was
    /// created before the cut-off is idle; the reason names what was measured.
    #[test]
    fn an_empty_session_is_idle_since_created_and_an_uncounted_one_never() {
        let fields = super::super::check::Fields {
            id: "/id".into(),
            activity: None,
            created: Some("/start_time".into()),
            ended: None,
            live: None,
            participants: Some("/participants_live".into()),
            idle_since: Some(IdleSince::EmptySinceCreated),
            user: None,
            room: None,
            metadata: None,
            time: super::super::check::TimeFormat::Rfc3339,
        };
        let now: jiff::Timestamp = "2024-06-01T12:00:00Z".parse().unwrap();
        let sweep = Sweep {
            now,
            idle_before: "2024-06-01T11:00:00Z".parse().unwrap(),
        };
        let judged = |participants: Option<u64>, created: Option<&str>| {
            let row = SessionRow {
                id: "s".into(),
                participants,
                created: created.map(str::to_owned),
                ..SessionRow::default()
            };
            empty_since_created(&fields, &row, &sweep)
        };
        let old = Some("2024-06-01T09:00:00Z");
        assert_eq!(
            judged(Some(0), old),
            Staleness::Stale {
                since: "2024-06-01T09:00:00Z".parse().unwrap(),
                reason: "empty, created 3h ago (/start_time 2024-06-01T09:00:00Z)".into(),
            }
        );
        assert_eq!(
            judged(Some(0), Some("2024-06-01T11:30:00Z")),
            Staleness::Fresh
        );
        assert_eq!(
            judged(None, old),
            Staleness::Unknown(
                "the row does not say how many people are in it (no /participants_live)".into()
            )
        );
        assert_eq!(
            judged(Some(0), None),
            Staleness::Unknown("no creation time (no /start_time)".into())
        );
        assert_eq!(
            judged(Some(0), Some("soon")),
            Staleness::Unknown("unreadable creation time `soon`".into())
        );
    }

    #[test]
    fn the_id_goes_into_every_string_of_a_body() {
        let body = serde_json::json!({"room": "{id}", "names": ["{id}"], "n": 1});
        assert_eq!(
            with_id(&body, "a\"b"),
            serde_json::json!({"room": "a\"b", "names": ["a\"b"], "n": 1})
        );
    }
}
