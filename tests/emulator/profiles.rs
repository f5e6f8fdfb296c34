//! The config file for the emulator: one profile per provider API, named as the README's
//! examples name them (`eliza`, `zep`, `zep-v3`, `zep-threads`, `samba`, `langgraph`, and the
//! shipped declared descriptions' `daily`, `livekit`, `twilio`), so that a user who saves
//! what `mock-server` prints can run those examples as written. The
//! `quickstart` example runs on the same file, and `tests/suite/newcomer.rs` runs the README
//! against it.

use std::net::SocketAddr;

use super::{DAILY_KEY, DAILY_PREFIX, LIVEKIT_PREFIX, LIVEKIT_TOKEN, TWILIO_PREFIX, TWILIO_TOKEN};
use super::{LANGGRAPH_PREFIX, SAMBA_KEY, SAMBA_PREFIX, SAMBA_TEAM, ZEP_KEY, ZEP_V2_PREFIX};
use super::{ZEP_V4_PREFIX, base_url};

/// The checkout's shipped descriptions (the emulator is built from it).
const DESCRIPTIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/declared");

/// A whole config file for the emulator at `addr` (with `messaging_token` when it wants one).
/// `default_profile` is the elizaOS one, as the built-in `local` profile is.
pub fn config_toml(addr: SocketAddr, messaging_token: Option<&str>) -> String {
    let base = base_url(addr);
    let messaging_key = messaging_token.map_or(String::new(), |t| format!("api_key = \"{t}\"\n"));
    format!(
        "default_profile = \"eliza\"

[profiles.eliza]
provider = \"messaging\"
base_url = \"{base}\"
{messaging_key}
[profiles.zep]
provider = \"zep\"
base_url = \"{base}{ZEP_V2_PREFIX}\"
api_key = \"{ZEP_KEY}\"

[profiles.zep-v3]
provider = \"zep\"
api_version = 3
base_url = \"{base}{ZEP_V2_PREFIX}\"
api_key = \"{ZEP_KEY}\"

[profiles.zep-threads]
provider = \"zep\"
api_version = 4
base_url = \"{base}{ZEP_V4_PREFIX}\"
api_key = \"{ZEP_KEY}\"

[profiles.samba]
provider = \"digital-samba\"
base_url = \"{base}{SAMBA_PREFIX}\"
team_id = \"{SAMBA_TEAM}\"
api_key = \"{SAMBA_KEY}\"

[profiles.langgraph]
provider = \"langgraph\"
base_url = \"{base}{LANGGRAPH_PREFIX}\"

[profiles.daily]
provider = \"declared\"
api = \"{DESCRIPTIONS}/daily.toml\"
base_url = \"{base}{DAILY_PREFIX}\"
api_key = \"{DAILY_KEY}\"

[profiles.livekit]
provider = \"declared\"
api = \"{DESCRIPTIONS}/livekit.toml\"
base_url = \"{base}{LIVEKIT_PREFIX}\"
api_key = \"{LIVEKIT_TOKEN}\"

[profiles.twilio]
provider = \"declared\"
api = \"{DESCRIPTIONS}/twilio.toml\"
base_url = \"{base}{TWILIO_PREFIX}\"
api_key = \"{TWILIO_TOKEN}\"
"
    )
}
