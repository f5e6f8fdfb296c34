//! Zep: three providers, one per API generation, which a `provider = "zep"` profile's
//! `api_version` picks: v2 memory sessions (end, bulk end, delete memory, list) in
//! [`sessions`], and today's threads (delete and list; threads have no end), v3 in [`v3`]
//! and v4 in [`v4`], sharing [`threads`]; v2 and v3 confirm a sweep candidate by its newest
//! message ([`messages`]).

mod messages;
mod sessions;
mod threads;
mod v3;
mod v4;

use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::client::http::Http;
use crate::provider::fields::Named;
use crate::provider::unit::{self, Flag, ProviderConfig, Row, Slot};
use crate::provider::{Capabilities, Options, Provider};
use crate::section::{Section, SectionError};
use crate::select::Selectable;

/// One generation of Zep's API: a provider of its own, with its base URL and fields.
#[derive(Debug)]
struct Api {
    version: u8,
    base_url: &'static str,
    /// What `--where` selects on (`user=` goes to the server in each).
    selectable: &'static [Selectable],
    build: fn(Http, usize, &Options) -> Box<dyn Provider>,
    /// The provider-only run flags it takes.
    flags: &'static [Flag],
    /// What `delete` removes (see [`ProviderConfig::deletes`]).
    deletes: &'static str,
}

/// The API generations, the first the default.
const APIS: [Api; 3] = [
    Api {
        version: 2,
        base_url: "https://api.getzep.com/api/v2",
        selectable: sessions::SELECTABLE,
        build: |http, batch_size, _| sessions::build(http, batch_size),
        flags: &[],
        // `DELETE /sessions/{id}/memory`: the session is soft-deleted, its memory gone.
        deletes: "each session's memory (its messages); the session is soft-deleted",
    },
    // v3 threads are served under the v2 prefix.
    Api {
        version: 3,
        base_url: "https://api.getzep.com/api/v2",
        selectable: v3::SELECTABLE,
        build: |http, _, _| Box::new(v3::Threads { http }),
        flags: &[],
        deletes: "each thread and its messages",
    },
    Api {
        version: 4,
        base_url: "https://api.getzep.com/api/v4",
        selectable: v4::SELECTABLE,
        build: v4::build,
        flags: &[v4::WAIT, v4::BY_UUID],
        // `DELETE /threads/{uuid}` starts a task that deletes the thread's data.
        deletes: "each thread and its messages (by a delete task Zep runs after it answers)",
    },
];
/// IDs per bulk call unless `batch_size` says otherwise.
const DEFAULT_BATCH_SIZE: usize = 100;
/// Largest `batch_size` accepted: bigger bulk bodies only invite 413s.
const MAX_BATCH_SIZE: usize = 1000;

/// `provider = "zep"`: `api_version` (2, 3 or 4) and `batch_size`.
#[derive(Debug)]
pub struct Factory;

impl unit::Factory for Factory {
    fn name(&self) -> &str {
        "zep"
    }

    fn keys(&self) -> &[&'static str] {
        &["api_version", "batch_size"]
    }

    /// The user a session or thread is for, and (threads) the user's UUID: a v4 user may
    /// have no developer ID.
    fn fields(&self) -> &[Named] {
        const {
            &[
                Named::selected("user", "USER"),
                Named::selected_only("user_uuid"),
            ]
        }
    }

    fn slots(&self) -> &[Slot] {
        &[
            Slot {
                key: "api_version",
                after: "provider",
                unset: "-",
            },
            // Every other provider sends one session per request; shown as the default.
            Slot {
                key: "batch_size",
                after: "concurrency",
                unset: "100",
            },
        ]
    }

    fn flags(&self) -> &[Flag] {
        &[v4::WAIT, v4::BY_UUID]
    }

    fn starter(&self) -> &str {
        r#"# Zep: api_version 2 (memory sessions, the default), 3 or 4 (threads).
# [profiles.zep]
# provider = "zep"
# api_version = 2
# api_key_env = "ZEP_API_KEY"     # or api_key_cmd = "pass show zep" (run without a shell)
# max_per_run = 200               # a run that would act on more sends nothing (exit 4)
"#
    }

    fn parse(&self, section: &mut Section) -> Result<Arc<dyn ProviderConfig>, SectionError> {
        let version = section.take::<u8>("api_version")?;
        let batch_size = section.take::<usize>("batch_size")?;
        let api_version = version.unwrap_or(APIS[0].version);
        let Some(api) = APIS.iter().find(|a| a.version == api_version) else {
            let supported: Vec<u8> = APIS.iter().map(|a| a.version).collect();
            return Err(SectionError::Invalid(format!(
                "api_version {api_version} is not supported by zep (supported: {supported:?})"
            )));
        };
        let size = batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
        if !(1..=MAX_BATCH_SIZE).contains(&size) {
            return Err(SectionError::Invalid(format!(
                "batch_size must be 1..={MAX_BATCH_SIZE}, got {size}"
            )));
        }
        Ok(Arc::new(Config {
            api,
            batch_size: size,
            version_defaulted: version.is_none(),
            batch_defaulted: batch_size.is_none(),
        }))
    }
}

/// A Zep profile's own settings.
#[derive(Debug)]
struct Config {
    api: &'static Api,
    /// IDs per bulk call (v2 bulk end, v4 lookups).
    batch_size: usize,
    version_defaulted: bool,
    batch_defaulted: bool,
}

const CAPS: Capabilities = Capabilities {
    needs_key: true,
    reports_participants: false,
    orphans: false,
    published_rate: None,
    judges: crate::provider::Judges::BOTH,
};

impl ProviderConfig for Config {
    fn name(&self) -> &'static str {
        "zep"
    }

    fn label(&self) -> String {
        format!("zep (api_version {})", self.api.version)
    }

    fn default_base_url(&self) -> &'static str {
        self.api.base_url
    }

    fn caps(&self) -> &Capabilities {
        &CAPS
    }

    fn error_message(&self) -> fn(&serde_json::Value) -> Option<String> {
        error_message
    }

    fn selectable(&self) -> &'static [Selectable] {
        self.api.selectable
    }

    /// Every Zep API generation authenticates the same way: `Api-Key <key>`, one space.
    fn auth(&self, key: &SecretString) -> Vec<(HeaderName, HeaderValue)> {
        let value = format!("Api-Key {}", key.expose_secret());
        vec![(AUTHORIZATION, crate::provider::secret_header(value))]
    }

    fn deletes(&self) -> &'static str {
        self.api.deletes
    }

    fn rows(&self) -> Vec<Row> {
        vec![
            Row::new("api_version", self.api.version, self.version_defaulted),
            Row::new("batch_size", self.batch_size, self.batch_defaulted),
        ]
    }

    fn flags(&self) -> &[Flag] {
        self.api.flags
    }

    fn build(&self, http: Http, _profile: &str, opts: &Options) -> Box<dyn Provider> {
        (self.api.build)(http, self.batch_size, opts)
    }
}

/// `{"message": "..."}` (v2, v3) or `{"error": {"message": "..."}}` (v4); Zep CE's 401 is
/// plain text, which the client shows as it is.
fn error_message(body: &serde_json::Value) -> Option<String> {
    let nested = body.pointer("/error/message").and_then(|m| m.as_str());
    nested
        .or_else(|| body.get("message")?.as_str())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::provider::unit::Row;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(std::path::Path::new("c.toml"), text).map_err(|e| e.to_string())
    }

    /// `(api_version, batch_size)` of profile `p` as `config show` has them.
    fn own(c: &Config, p: &str) -> Vec<(&'static str, serde_json::Value, bool)> {
        (c.profiles[p].provider.rows().into_iter())
            .map(
                |Row {
                     key,
                     value,
                     defaulted,
                 }| (key, value, defaulted),
            )
            .collect()
    }

    /// The delete prompt says what each API's delete removes (see `prompt`).
    #[test]
    fn every_api_says_what_its_delete_removes() {
        for api in &super::APIS {
            assert!(api.deletes.starts_with("each "), "v{}", api.version);
        }
    }

    #[test]
    fn defaults_apply() {
        let c = parse("[profiles.z]\nprovider = \"zep\"\napi_key_env = \"K\"\n").unwrap();
        assert_eq!(
            own(&c, "z"),
            [
                ("api_version", 2.into(), true),
                ("batch_size", 100.into(), true)
            ]
        );
    }

    #[test]
    fn v4_zep_gets_its_own_base_url() {
        let c =
            parse("[profiles.z]\nprovider=\"zep\"\napi_version=4\napi_key_env=\"K\"\n").unwrap();
        assert_eq!(
            c.profiles["z"].base_url.as_str(),
            "https://api.getzep.com/api/v4/"
        );
    }

    #[test]
    fn rejects_bad_values() {
        for (body, needle) in [
            ("api_key_env=\"K\"\nbatch_size=100000", "batch_size"),
            (
                "api_key_env=\"K\"\napi_version=5",
                "api_version 5 is not supported",
            ),
        ] {
            let err = parse(&format!("[profiles.p]\nprovider=\"zep\"\n{body}\n")).unwrap_err();
            assert!(err.contains(needle), "{body}: {err}");
        }
    }

    #[test]
    fn its_own_keys_are_fine() {
        let c = parse("[profiles.p]\nprovider=\"zep\"\napi_key_env=\"K\"\nbatch_size=5\n").unwrap();
        assert_eq!(own(&c, "p")[1], ("batch_size", 5.into(), false));
    }

    #[test]
    fn the_example_config_has_a_v4_profile() {
        let c = parse(include_str!("../../../config.example.toml")).unwrap();
        assert_eq!(own(&c, "zep-threads")[0], ("api_version", 4.into(), false));
    }
}
