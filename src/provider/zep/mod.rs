//! Zep: v2 memory sessions (end, bulk end, delete memory, list) in [`sessions`], and
//! today's threads, v3 and v4 (delete and list; threads have no end), in [`threads`]. One
//! provider, `zep`, whose profile's `api_version` picks the generation.

mod sessions;
mod threads;

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::client::http::Http;
use crate::config::Profile;
use crate::provider::{Options, Provider, ProviderSpec};
use crate::select::Selectable;

pub static SPEC: ProviderSpec = ProviderSpec {
    name: "zep",
    api_versions: &[2, 3, 4],
    default_base_url: |version| match version {
        4 => "https://api.getzep.com/api/v4",
        _ => "https://api.getzep.com/api/v2",
    },
    needs_key: true,
    uses_team_id: false,
    default_rate: None,
    reports_participants: false,
    selectable,
    auth,
    build,
};

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

fn build(http: Http, profile: &Profile, opts: &Options) -> Box<dyn Provider> {
    match profile.api_version {
        2 => sessions::build(http, profile),
        version => threads::build(http, version, profile, opts),
    }
}
