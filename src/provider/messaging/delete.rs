//! `delete` on messaging: the session **and** its channel with the channel's messages.
//! 1.7.2's `DELETE /api/messaging/sessions/{id}` only drops the session from the server's
//! memory; `DELETE /api/messaging/channels/{channelId}` (204) deletes the channel and its
//! messages from the database. Each part's result is reported as it is: a session gone
//! whose channel could not be deleted is `failed`, saying so.

use reqwest::Method;

use super::{Messaging, Owner, end_outcome, gone_note, unsendable_channel};
use crate::client::http::Request;
use crate::ids::SessionId;
use crate::outcome::{Outcome, SessionResult};
use crate::provider::{Body, Success, not_the_provider};

/// `DELETE /api/messaging/channels/{id}` answers 204 with no body.
const CHANNEL_DELETED: Success = Success {
    status: 204,
    body: Body::Empty,
};

/// What the session's own DELETE found.
enum Session {
    /// The server had it and dropped it (or an earlier attempt, whose reply was lost, did).
    Deleted,
    /// The server no longer had it (404): ended, expired and cleaned up, or never there.
    Gone,
    /// The server says it expired (410).
    Expired,
}

impl Messaging {
    pub(super) async fn delete(&self, id: SessionId) -> SessionResult {
        // Find the channel first: once the session is gone the list no longer names it.
        let owner = match self.channel_of(&id).await {
            Ok(owner) => owner,
            Err(why) => {
                return SessionResult::failed(id, format!("nothing deleted: {why}"));
            }
        };
        if let Some(refused) = unsendable_channel(&id, &owner) {
            return refused;
        }
        let url = match self.http.url(&["api", "messaging", "sessions", &id]) {
            Ok(url) => url,
            Err(refused) => return super::super::unsent(id, refused),
        };
        let result = self.http.send(Request::new(Method::DELETE, url)).await;
        let session = match &result {
            // Not the provider's answer (a web page, no such route): nothing else is touched.
            Ok(reply) if not_the_provider(&id, reply, Success::json(200)).is_some() => {
                return end_outcome(&id, result, Outcome::Deleted);
            }
            Ok(reply) if reply.is_success() => Session::Deleted,
            Ok(reply) if reply.status.as_u16() == 404 && reply.earlier_lost => Session::Deleted,
            Ok(reply) if reply.status.as_u16() == 404 => Session::Gone,
            Ok(reply) if reply.status.as_u16() == 410 => Session::Expired,
            // Refused or broken: nothing else is touched.
            _ => return end_outcome(&id, result, Outcome::Deleted),
        };
        let channel = match (&owner, &session) {
            // A session the list showed live that the server now calls gone: the answers
            // disagree, so the channel it still holds is left alone.
            (Owner::Live(_), Session::Gone) => None,
            // The server had it, yet the run's reads named neither it nor a channel of its:
            // it began after them. Its channel is looked for now (one read per such
            // session, never per ID), so that it is not left behind under a `deleted`.
            (Owner::LeftBehind(None), Session::Deleted) => match self.channel_now(&id).await {
                Ok(channel) => channel,
                Err(why) => {
                    let why = format!(
                        "the session was deleted, but whether it left a channel is unknown: {why}"
                    );
                    return match &result {
                        Ok(reply) => SessionResult::from_reply(id.as_str(), Outcome::Failed, reply)
                            .with_error(why),
                        Err(_) => SessionResult::failed(id, why),
                    };
                }
            },
            _ => owner.channel().cloned(),
        };
        let Some(channel) = channel else {
            // Nothing (else) to remove: the session's result is the whole result.
            return end_outcome(&id, result, Outcome::Deleted);
        };
        let session_part: std::borrow::Cow<str> = match (&session, &owner) {
            // In memory but not listed when the run read the list: expired (1.7.2 deletes
            // those with a 200), or begun since; the 200 cannot tell which.
            (Session::Deleted, Owner::LeftBehind(_)) => {
                "the session, not listed live when this run read the list (it had expired, or began since), was deleted".into()
            }
            (Session::Deleted, Owner::Live(_)) => "the session was deleted".into(),
            (Session::Gone, _) => "the session was already gone (ended or expired)".into(),
            (Session::Expired, _) => {
                gone_note(result.as_ref().map_or(&[][..], |reply| &reply.body)).into()
            }
        };
        // A channel ID the server gave that fails the ID check (one read again after the
        // session's DELETE, see above) or would leave its segment: never sent.
        let checked = SessionId::new(channel.as_str())
            .map_err(|why| {
                format!(
                    "the server named channel `{}`, which cannot be sent ({why})",
                    channel.escape_default()
                )
            })
            .and_then(|c| {
                (self.http.url(&["api", "messaging", "channels", &c])).map_err(|e| e.to_string())
            });
        let url = match checked {
            Ok(url) => url,
            Err(refused) => {
                let mut r = SessionResult::failed(
                    id,
                    format!("{session_part}, but its channel was not: {refused}"),
                );
                r.error_kind = Some(crate::outcome::ErrorKind::Protocol);
                return r;
            }
        };
        let deleted = self.http.send(Request::new(Method::DELETE, url)).await;
        // Not the provider's answer (a web page, no such route): the channel's fate is unknown.
        if let Ok(reply) = &deleted
            && let Some(mut r) = not_the_provider(&id, reply, CHANNEL_DELETED)
        {
            r.error = Some(format!(
                "{session_part}, but its channel {channel} was not: {}",
                r.error.unwrap_or_default()
            ));
            return r;
        }
        match &deleted {
            Ok(reply) if reply.is_success() => match (&session, &result) {
                // The usual case: the status is the session's (200), as for `end`.
                (Session::Deleted, Ok(session_reply)) if matches!(owner, Owner::Live(_)) => {
                    SessionResult::from_reply(id.as_str(), Outcome::Deleted, session_reply)
                }
                _ => {
                    let mut r = SessionResult::from_reply(id.as_str(), Outcome::Deleted, reply);
                    r.note = Some(format!(
                        "{session_part}; its channel {channel} and the channel's messages were deleted"
                    ));
                    r
                }
            },
            Ok(reply) => {
                let why = reply.error_message();
                let mut r = SessionResult::from_reply(id.as_str(), Outcome::Failed, reply);
                r.error = Some(format!(
                    "{session_part}, but its channel {channel} was not (HTTP {}: {why})",
                    reply.status.as_u16()
                ));
                r
            }
            Err(failure) => {
                let mut r = SessionResult::from_failure(id.as_str(), failure);
                r.outcome = Outcome::Failed;
                r.error = Some(format!(
                    "{session_part}, but its channel {channel} was not: {}",
                    failure.error
                ));
                r
            }
        }
    }
}
