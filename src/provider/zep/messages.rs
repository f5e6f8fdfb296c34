//! What Zep v2 sessions and v3 threads share to confirm a sweep candidate: its newest
//! message (v4 threads carry `updated_at`, and need none).

use jiff::Timestamp;
use serde::Deserialize;

use crate::client::http::Http;
use crate::provider::{Staleness, Sweep};

/// A reply that carries a session's or thread's newest messages (Zep v2 memory with
/// `lastn`, v3 thread messages with `lastn`); only their times matter here. `messages` must
/// be there (it may be `null`): a reply without it proves nothing about idleness
/// (`providers.md`, corrected 2026-12-01), so it is refused, not read as "no messages".
#[derive(Deserialize)]
struct Messages {
    #[serde(deserialize_with = "crate::provider::required_list")]
    messages: Vec<MessageTime>,
}

#[derive(Deserialize)]
struct MessageTime {
    created_at: Option<String>,
}

/// Confirms a sweep candidate by its newest message, read from `url` (one GET). The
/// latest of that message and `own` (the row's own time, named: `("updated", raw)`) is its
/// last activity. Anything unreadable leaves it `Unknown`: never acted on.
pub(super) async fn confirm_by_messages(
    http: &Http,
    url: url::Url,
    own: Option<(&str, &str)>,
    sweep: &Sweep,
) -> Staleness {
    let messages = match crate::provider::get_page::<Messages>(http, url).await {
        Ok(m) => m.messages,
        Err(e) => return Staleness::Unknown(format!("reading its newest message failed: {e}")),
    };
    let mut newest: Option<(Timestamp, String)> = None;
    for m in messages {
        let Some(raw) = m.created_at else {
            return Staleness::Unknown("a message has no created_at".into());
        };
        match crate::units::parse_time(&raw) {
            Some(t) if newest.as_ref().is_none_or(|(n, _)| t > *n) => newest = Some((t, raw)),
            Some(_) => {}
            None => return Staleness::Unknown(format!("unreadable message time `{raw}`")),
        }
    }
    let own = own.and_then(|(label, raw)| Some((crate::units::parse_time(raw)?, label, raw)));
    match (newest, own) {
        (Some((m, _)), Some((o, label, raw))) if o > m => {
            sweep.judge(o, &format!("{label} {raw}, after its newest message"))
        }
        (Some((m, raw)), _) => sweep.judge(m, &format!("newest message {raw}")),
        (None, Some((o, label, raw))) => sweep.judge(o, &format!("{label} {raw}, no messages")),
        (None, None) => Staleness::Unknown("no messages and no readable timestamp".into()),
    }
}
