//! Message histories of Zep v2 sessions and threads, and the query (`lastn`, `limit`,
//! `cursor`) their routes share. sessionctl reads messages only to learn when a session or
//! thread was last used (neither a v3 thread nor a v2 session reports that itself), so a
//! message here is just a time, with a fixed role and numbered content around it.

use serde_json::{Value, json};

use super::api::Api;
use super::clock;
use super::http::{Rejection, Req};
use super::zep::Zep;

/// Page size of a message listing without `limit`.
const DEFAULT_LIMIT: usize = 100;

#[derive(Clone)]
struct Message {
    uuid: String,
    /// Raw, as seeded: served back verbatim.
    created_at: String,
}

/// Which API's message shape a reply uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// zep-cloud 2.x: a free-form `role` plus the `role_type` enum.
    V2,
    /// zep-cloud 3.x: `role` is the enum.
    V3,
}

/// One history, kept oldest first (unparseable times first, as in listings), so the newest
/// N are always the tail whatever order the times were seeded in.
#[derive(Clone, Default)]
pub(crate) struct Messages(Vec<Message>);

impl Messages {
    /// Adds messages written at `times`.
    pub fn add(&mut self, times: &[String]) {
        self.0.extend(times.iter().map(|created_at| Message {
            uuid: uuid::Uuid::new_v4().to_string(),
            created_at: created_at.clone(),
        }));
        // Stable: messages with equal times keep their seeded order.
        self.0.sort_by_cached_key(|m| clock::parse(&m.created_at));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// When the newest message was written (raw), if there is one.
    pub fn newest(&self) -> Option<&str> {
        self.0.last().map(|m| m.created_at.as_str())
    }

    /// The newest `n` messages (all when `None`), oldest first.
    pub fn last(&self, n: Option<usize>, shape: Shape) -> Vec<Value> {
        let skip = n.map_or(0, |n| self.len().saturating_sub(n));
        self.render(skip, self.len(), shape)
    }

    /// Page `page` (1-based) of `limit` messages, oldest first; past the end is empty.
    pub fn page(&self, limit: usize, page: usize, shape: Shape) -> Vec<Value> {
        let skip = (page - 1).saturating_mul(limit).min(self.len());
        self.render(skip, skip.saturating_add(limit).min(self.len()), shape)
    }

    /// Messages `from..to` as JSON; content numbers count from the oldest message (1).
    fn render(&self, from: usize, to: usize, shape: Shape) -> Vec<Value> {
        (from..to)
            .map(|i| {
                let message = &self.0[i];
                let mut value = json!({
                    "uuid": message.uuid,
                    "role": "user",
                    "content": format!("message {}", i + 1),
                    "created_at": message.created_at,
                });
                if shape == Shape::V2 {
                    value["role_type"] = json!("user");
                }
                value
            })
            .collect()
    }
}

/// The query of the message routes.
pub(crate) struct MessageQuery {
    /// The newest N messages; `lastn=0` counts as absent, as Go's zero value does upstream.
    pub lastn: Option<usize>,
    /// Page size, at least 1.
    pub limit: usize,
    /// 1-based page number (Zep CE reads `cursor` that way).
    pub cursor: usize,
}

impl MessageQuery {
    /// Reads `lastn`, `limit` (default 100) and `cursor` (default 1); empty values count as
    /// absent, and anything not a number (or a zero `limit`/`cursor`) is a 400, so a client
    /// that pages from 0 fails loudly here rather than reading page 1 twice.
    pub fn parse(req: &Req) -> Result<MessageQuery, Rejection> {
        let bad = |what: &str| Box::new(Zep.error(400, "", &format!("invalid value for {what}")));
        let number = |name: &str| {
            req.query(name)
                .filter(|raw| !raw.is_empty())
                .map(|raw| raw.parse::<usize>().map_err(|_| bad(name)))
                .transpose()
        };
        let lastn = number("lastn")?.filter(|&n| n > 0);
        let limit = number("limit")?.unwrap_or(DEFAULT_LIMIT);
        let cursor = number("cursor")?.unwrap_or(1);
        if limit == 0 {
            return Err(bad("limit"));
        }
        if cursor == 0 {
            return Err(bad("cursor"));
        }
        Ok(MessageQuery {
            lastn,
            limit,
            cursor,
        })
    }

    /// The newest `lastn` when given (it overrides paging), else page `cursor` of `limit`.
    pub fn select(&self, messages: &Messages, shape: Shape) -> Vec<Value> {
        match self.lastn {
            Some(n) => messages.last(Some(n), shape),
            None => messages.page(self.limit, self.cursor, shape),
        }
    }
}
