//! What one emulated API is to the rest of the emulator: its path prefix, its auth, its
//! routes, its conventions for replies and its 429, so that the router, the rate limiter and
//! the faults ask an [`Api`] and never name one. Each API's module implements it once; the
//! list of them is `apis!` in `mod.rs` (one line each).

use std::sync::Arc;

use axum::response::Response;

use super::Shared;
use super::http::{Dialect, Req};

/// One API the emulator serves under its own path prefix.
pub(crate) trait Api: Sync {
    /// The path prefix every route of this API lives under (and no other API's).
    fn prefix(&self) -> &'static str;

    /// Its replies' content type and error shapes.
    fn dialect(&self) -> Dialect;

    /// Whether the request carries what this API's auth wants; `true` for one that checks
    /// nothing.
    fn authorized(&self, _shared: &Shared, _req: &Req) -> bool {
        true
    }

    /// `None` when the request may be served, else this API's refusal: by default its bare
    /// 401 for a request it does not find [`Api::authorized`].
    fn refused(&self, shared: &Shared, req: &Req) -> Option<Response> {
        (!self.authorized(shared, req)).then(|| self.dialect().status_error(401))
    }

    /// Its answer to a request it did not refuse (`req` holds the path after the prefix).
    fn route(&self, shared: &Arc<Shared>, req: &Req) -> Response;

    /// What it sends when the emulator's rate limit refuses a request (the limiter adds the
    /// headers): by default its bare 429.
    fn too_many_requests(&self) -> Response {
        self.dialect().status_error(429)
    }
}

/// The API whose prefix a raw request path is under, `None` outside every API's.
pub(crate) fn of_path(path: &str) -> Option<&'static dyn Api> {
    super::APIS.iter().copied().find(|api| {
        path.strip_prefix(api.prefix())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}
