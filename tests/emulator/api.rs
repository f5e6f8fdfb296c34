//! What one emulated API is to the rest of the emulator: its path prefix, its auth, its
//! routes, its conventions for replies and its 429, its demo data, its banner line and its
//! profiles, its kinds of seed, so that the router, the rate limiter, the faults, the demo, the banner and the
//! config file ask an [`Api`] and never name one. Each API's module implements it once; the
//! list of them is `apis!` in `mod.rs` (one line each).

use std::sync::Arc;

use axum::response::Response;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::Shared;
use super::http::{Req, reply};
use super::model::HeaderStyle;
use super::seed::{Kind, Seed};
use super::state::State;

/// One API the emulator serves under its own path prefix.
pub(crate) trait Api: Sync {
    /// The path prefix every route of this API lives under (and no other API's).
    fn prefix(&self) -> &'static str;

    /// The content type of its JSON replies.
    fn content_type(&self) -> &'static str;

    /// Its error body. `code` is the machine-readable part where the API has one (v4
    /// `code`, Samba `error` slug, elizaOS `code`, Daily's `error`, Twirp's `code`, Twilio's
    /// number); the others drop it.
    fn error_body(&self, status: u16, code: &str, message: &str) -> Value;

    /// The body the API itself sends for a bare status: used by status faults without a
    /// body and by unknown routes. Rate limits ([`Api::too_many_requests`]) and auth
    /// failures may have their own shapes.
    fn status_error(&self, status: u16) -> Response;

    /// A JSON reply in its content type.
    fn json(&self, status: u16, value: &impl Serialize) -> Response
    where
        Self: Sized,
    {
        let body = serde_json::to_vec(value).expect("reply bodies serialize");
        reply(status, self.content_type(), body)
    }

    /// An error in its shape ([`Api::error_body`]).
    fn error(&self, status: u16, code: &str, message: &str) -> Response {
        let body = serde_json::to_vec(&self.error_body(status, code, message));
        reply(
            status,
            self.content_type(),
            body.expect("reply bodies serialize"),
        )
    }

    /// Whether the request carries what this API's auth wants; `true` for one that checks
    /// nothing.
    fn authorized(&self, _shared: &Shared, _req: &Req) -> bool {
        true
    }

    /// `None` when the request may be served, else this API's refusal: by default its bare
    /// 401 for a request it does not find [`Api::authorized`].
    fn refused(&self, shared: &Shared, req: &Req) -> Option<Response> {
        (!self.authorized(shared, req)).then(|| self.status_error(401))
    }

    /// Its answer to a request it did not refuse (`req` holds the path after the prefix).
    fn route(&self, shared: &Arc<Shared>, req: &Req) -> Response;

    /// The rate-limit headers it sends when the emulator's limit has the `native` style: by
    /// default none (an API whose headers are not documented; a client paces it from
    /// `Retry-After` and its published limit).
    fn rate_limit_headers(&self) -> HeaderStyle {
        HeaderStyle::None
    }

    /// What it sends when the emulator's rate limit refuses a request (the limiter adds the
    /// headers): by default its bare 429.
    fn too_many_requests(&self) -> Response {
        self.status_error(429)
    }

    /// What it is, in its line of the `mock-server` banner.
    fn title(&self) -> &'static str;

    /// Its base URL on the emulator at `base` (`http://127.0.0.1:PORT`): what a profile's
    /// `base_url` is, by default `base` and its prefix.
    fn url(&self, base: &str) -> String {
        format!("{base}{}", self.prefix())
    }

    /// How a client authenticates to it, for the banner.
    fn auth(&self, served: &Served) -> String;

    /// Its profiles in the config file for the emulator ([`super::profiles`]), each a
    /// `[profiles.NAME]` table ending in a newline, one blank line between two.
    fn profiles(&self, served: &Served) -> String;

    /// The kinds of record it keeps, as the control API names them ([`super::seed`]): by
    /// default none (an API that shares another's records). APIs that share a table may
    /// each list its kind; the first one listed parses it.
    fn seeds(&self) -> &'static [Kind] {
        &[]
    }

    /// Replaces the metadata of its session `id` (a metadata seed); `false` when it keeps no
    /// metadata or has no such session.
    fn set_metadata(
        &self,
        _state: &mut State,
        _id: &str,
        _metadata: &serde_json::Map<String, Value>,
    ) -> bool {
        false
    }

    /// The profile the emulator's config file makes its `default_profile`, when this API
    /// is the first in `apis!` to name one: by default none.
    fn default_profile(&self) -> Option<&'static str> {
        None
    }

    /// What it holds when `mock-server` starts with demo data (see [`super::demo`]): by
    /// default nothing (an API that shares another's table, as Zep v4 does v3's threads).
    fn demo(&self, _now: Timestamp) -> Vec<Seed> {
        Vec::new()
    }
}

/// Where the emulator serves and how it was started: what an API's banner line and profiles
/// say.
pub(crate) struct Served<'a> {
    /// `http://127.0.0.1:PORT`
    pub base: &'a str,
    /// See [`super::Options::messaging_token`].
    pub messaging_token: Option<&'a str>,
}

/// The API whose prefix a raw request path is under, `None` outside every API's. The
/// longest prefix wins, so an API added under another's path (`/zep/api/v2/x` beside
/// `/zep/api/v2`) takes its own requests whatever its place in `apis!`.
pub(crate) fn of_path(path: &str) -> Option<&'static dyn Api> {
    let prefix = longest(super::APIS.iter().map(|api| api.prefix()), path)?;
    (super::APIS.iter().copied()).find(|api| api.prefix() == prefix)
}

/// The longest of `prefixes` that `path` is [`under`].
fn longest<'p>(prefixes: impl IntoIterator<Item = &'p str>, path: &str) -> Option<&'p str> {
    (prefixes.into_iter())
        .filter(|prefix| under(path, prefix))
        .max_by_key(|prefix| prefix.len())
}

/// Whether `path` is `prefix` or below it, segment by segment (`/zep/api/v20` is not under
/// `/zep/api/v2`).
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    // Paths in full, no `use`: the bench compiles this module with `cfg(test)` but drops
    // its tests, which would leave imports unused.
    /// Each API's own paths reach it, and nothing but its own: no two share a prefix, and a
    /// path that only starts with the same letters reaches none.
    #[test]
    fn every_prefix_routes_to_its_own_api() {
        let mut prefixes: Vec<&str> = super::super::APIS.iter().map(|a| a.prefix()).collect();
        for api in super::super::APIS {
            let prefix = api.prefix();
            for path in [prefix.to_owned(), format!("{prefix}/sessions/x")] {
                let found = super::of_path(&path).map(|a| a.prefix());
                assert_eq!(found, Some(prefix), "{path}");
            }
            assert_eq!(
                super::of_path(&format!("{prefix}x/sessions")).map(|a| a.prefix()),
                None
            );
        }
        let count = prefixes.len();
        prefixes.sort_unstable();
        prefixes.dedup();
        assert_eq!(prefixes.len(), count, "two APIs share a prefix");
    }

    #[test]
    fn the_longest_prefix_wins_and_segments_are_whole() {
        assert!(super::under("/zep/api/v2", "/zep/api/v2"));
        assert!(super::under("/zep/api/v2/sessions", "/zep/api/v2"));
        assert!(!super::under("/zep/api/v20/sessions", "/zep/api/v2"));
        // Nested prefixes, in either order: the deeper one takes its own paths only.
        for prefixes in [
            ["/zep/api/v2", "/zep/api/v2/x"],
            ["/zep/api/v2/x", "/zep/api/v2"],
        ] {
            let at = |path| super::longest(prefixes, path);
            assert_eq!(at("/zep/api/v2/x/sessions"), Some("/zep/api/v2/x"));
            assert_eq!(at("/zep/api/v2/x"), Some("/zep/api/v2/x"));
            assert_eq!(at("/zep/api/v2/xy"), Some("/zep/api/v2"));
            assert_eq!(at("/zep/api/v2/sessions"), Some("/zep/api/v2"));
            assert_eq!(at("/zep/api"), None);
        }
        assert_eq!(super::of_path("/_emulator/seed").map(|a| a.prefix()), None);
    }
}
