//! The config file for the emulator: each API's profiles, named as the README's examples
//! name them, so that a user who saves what `mock-server` prints can run those examples as
//! written; the banner lines that say where each API is; and the list of what it serves.
//! Each API writes its own ([`super::api::Api::profiles`], [`super::api::Api::auth`],
//! [`super::api::Api::title`]), in [`APIS`] order. The `quickstart` example runs on the same
//! file, and `tests/suite/newcomer.rs` runs the README against it.

use std::net::SocketAddr;

use super::api::Served;
use super::{APIS, base_url};

/// The checkout's shipped descriptions (the emulator is built from it).
const DESCRIPTIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/src/provider/declared/examples"
);

/// A whole config file for the emulator at `addr` (with `messaging_token` when it wants one).
/// Its `default_profile` is the first one an API asks for ([`super::api::Api::default_profile`]).
pub fn config_toml(addr: SocketAddr, messaging_token: Option<&str>) -> String {
    let base = base_url(addr);
    let served = Served {
        base: &base,
        messaging_token,
    };
    let profiles: Vec<String> = APIS.iter().map(|api| api.profiles(&served)).collect();
    let default = (APIS.iter()).find_map(|api| api.default_profile());
    let default = default.map_or(String::new(), |name| {
        format!("default_profile = \"{name}\"\n\n")
    });
    format!("{default}{}", profiles.join("\n"))
}

/// What the emulator serves, for its about text and greetings: every API's title, in
/// [`APIS`] order.
pub fn served() -> String {
    let titles: Vec<&str> = APIS.iter().map(|api| api.title()).collect();
    titles.join("; ")
}

/// One line per API for the `mock-server` banner: what it is, its base URL and its auth.
pub fn banner(addr: SocketAddr, messaging_token: Option<&str>) -> String {
    let base = base_url(addr);
    let served = Served {
        base: &base,
        messaging_token,
    };
    (APIS.iter())
        .map(|api| {
            let (title, url) = (api.title(), api.url(&base));
            format!("  {title:<23}{url}  ({})\n", api.auth(&served))
        })
        .collect()
}

/// The profile `name` of the shipped declared description `{name}.toml`, at `url` with `key`.
pub(crate) fn declared(name: &str, url: &str, key: &str) -> String {
    format!(
        "[profiles.{name}]
provider = \"declared\"
api = \"{DESCRIPTIONS}/{name}.toml\"
base_url = \"{url}\"
api_key = \"{key}\"
"
    )
}
