//! Zep: v2 memory sessions (end, bulk end, delete memory, list) in [`sessions`], and
//! today's threads, v3 and v4 (delete and list; threads have no end), in [`threads`]. One
//! provider, `zep`, whose profile's `api_version` picks the generation.

mod sessions;
mod threads;

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::client::http::Http;
use crate::provider::{Capabilities, Options, Provider, ProviderSpec, Settings};
use crate::select::Selectable;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "zep",
    api_versions: &[2, 3, 4],
    default_base_url: |version| match version {
        4 => "https://api.getzep.com/api/v4",
        _ => "https://api.getzep.com/api/v2",
    },
    caps: Capabilities {
        needs_key: true,
        team_id: false,
        batches: true,
        reports_participants: false,
        orphans: false,
        published_rate: None,
    },
    deletes: |version| match version {
        // `DELETE /sessions/{id}/memory`: the session is soft-deleted, its memory gone.
        2 => "each session's memory (its messages); the session is soft-deleted",
        3 => "each thread and its messages",
        // `DELETE /threads/{uuid}` starts a task that deletes the thread's data.
        _ => "each thread and its messages (by a delete task Zep runs after it answers)",
    },
    error_message,
    selectable,
    auth,
    build,
};

/// `{"message": "..."}` (v2, v3) or `{"error": {"message": "..."}}` (v4); Zep CE's 401 is
/// plain text, which the client shows as it is.
fn error_message(body: &serde_json::Value) -> Option<String> {
    let nested = body.pointer("/error/message").and_then(|m| m.as_str());
    nested
        .or_else(|| body.get("message")?.as_str())
        .map(str::to_owned)
}

/// What `--where` selects on in each generation: `user=` goes to the server.
fn selectable(version: u8) -> &'static [Selectable] {
    match version {
        2 => sessions::SELECTABLE,
        3 => threads::SELECTABLE_V3,
        _ => threads::SELECTABLE_V4,
    }
}

/// Every Zep API generation authenticates the same way: `Api-Key <key>`, one space.
fn auth(key: &SecretString, _team: Option<&str>) -> (HeaderName, HeaderValue) {
    let value = format!("Api-Key {}", key.expose_secret());
    (AUTHORIZATION, crate::provider::secret_header(value))
}

fn build(http: Http, settings: &Settings, opts: &Options) -> Box<dyn Provider> {
    match settings.api_version {
        2 => sessions::build(http, settings),
        version => threads::build(http, version, settings, opts),
    }
}
