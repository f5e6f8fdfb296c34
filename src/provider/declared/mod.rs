//! `provider = "declared"`: a provider whose API is described in TOML rather than built in
//! (issue #23): `api = "daily.toml"` (a file beside the config, which several profiles may
//! share) or a `[profiles.NAME.api]` table. The description says how to authenticate, list
//! and page, where each field of a row is, and how to end, delete and probe one session
//! ([`schema`], checked at load by [`check`]).
//!
//! The name says what sets it apart: the provider is *declared*, not built in; `http` would
//! name what every provider speaks, and `rest` would not fit Twirp (LiveKit).

mod check;
mod mapping;
mod run;
mod schema;
mod source;
mod value;

use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::fields::Named;
use super::unit::{self, ProviderConfig, Row};
use super::{Capabilities, Judges, Options, Provider};
use crate::client::http::{Http, MessageOf};
use crate::section::{Section, SectionError};
use crate::select::Selectable;

use check::{Api, Auth};

#[derive(Debug)]
pub struct Factory;

impl unit::Factory for Factory {
    fn name(&self) -> &str {
        "declared"
    }

    fn keys(&self) -> &[&'static str] {
        &["api"]
    }

    /// The fields a description may map onto its rows (`fields.user`, `fields.room`).
    fn fields(&self) -> &[Named] {
        const {
            &[
                Named::selected("user", "USER"),
                Named::selected("room", "ROOM"),
            ]
        }
    }

    fn parse(&self, section: &mut Section) -> Result<Arc<dyn ProviderConfig>, SectionError> {
        // Read again from the file's text, with every nested key's position.
        section.require::<toml::Value>("api")?;
        let origin = (section.origin()).ok_or_else(|| {
            SectionError::Invalid("a declared provider is described in a config file".into())
        })?;
        let (api, source) = source::read(origin)?;
        let caps = Capabilities {
            needs_key: api.auth != Auth::None,
            reports_participants: api.fields.participants.is_some(),
            orphans: false,
            published_rate: api.rate,
            judges: Judges {
                idle: match api.fields.idle_since {
                    Some(_) => Ok(()),
                    None => Err(no_idle(&api.fields)),
                },
                age: match api.fields.created {
                    Some(_) => Ok(()),
                    None => Err(
                        "its description declares no creation field: declare `fields.created`, a JSON pointer to when each session was created",
                    ),
                },
                ended: match api.fields.ended {
                    Some(_) => Ok(()),
                    None => Err(
                        "its description declares no end time: declare `fields.ended`, a JSON pointer to when a session that is not live ended (with `fields.live`)",
                    ),
                },
            },
        };
        // `default_base_url` and `selectable` are `&'static`: a description lives as long
        // as the run (one per profile, read once).
        let base_url: &'static str = match &api.base_url {
            Some(url) => Box::leak(url.clone().into_boxed_str()),
            None => "",
        };
        let f = &api.fields;
        let declared = [
            ("id", true),
            ("user", f.user.is_some()),
            ("room", f.room.is_some()),
            ("metadata", f.metadata.is_some()),
        ];
        let selectable: Vec<Selectable> = (declared.into_iter())
            .filter(|&(_, has)| has)
            .map(|(name, _)| Selectable::rows(name))
            .collect();
        let selectable = Box::leak(selectable.into_boxed_slice());
        // The delete prompt's words: the description's, else a plain admission.
        let deletes: &'static str = match api.delete.as_ref().and_then(|d| d.removes.as_ref()) {
            Some(words) => Box::leak(words.clone().into_boxed_str()),
            None => {
                "each session as this API's delete call does (its description does not say what that removes)"
            }
        };
        let ended = (api.fields.ended.as_ref()).map(|p| &*Box::leak(p.clone().into_boxed_str()));
        Ok(Arc::new(Config {
            ended,
            api: Arc::new(api),
            source,
            caps,
            base_url,
            selectable,
            deletes,
        }))
    }
}

#[derive(Debug)]
struct Config {
    api: Arc<Api>,
    /// The description's file name, or `inline`.
    source: String,
    caps: Capabilities,
    base_url: &'static str,
    /// `--where` matches the declared fields on the listed rows.
    selectable: &'static [Selectable],
    /// What `delete` removes there (`delete.removes`).
    deletes: &'static str,
    /// The `ended` pointer (`--ended-for`'s reasons name it).
    ended: Option<&'static str>,
}

impl ProviderConfig for Config {
    fn name(&self) -> &'static str {
        "declared"
    }

    fn label(&self) -> String {
        format!("declared ({})", self.source)
    }

    fn default_base_url(&self) -> &'static str {
        self.base_url
    }

    fn caps(&self) -> &Capabilities {
        &self.caps
    }

    /// The text at the first of the description's `error_message` pointers that has one:
    /// what every error shows (a list call's, an action's, a probe's), and what tells the
    /// API's own 404 from a route the server does not have. A description that declares
    /// none takes any JSON object as the API's error, as it is: a generic router's `404
    /// page not found` or a web page is still no route of the API's.
    fn error_message(&self) -> MessageOf {
        let pointers = self.api.error_message.clone();
        MessageOf::new(move |body| match pointers.is_empty() {
            true => body.is_object().then(|| body.to_string()),
            false => (pointers.iter()).find_map(|p| body.pointer(p)?.as_str().map(str::to_owned)),
        })
    }

    fn selectable(&self) -> &'static [Selectable] {
        self.selectable
    }

    fn deletes(&self) -> &'static str {
        self.deletes
    }

    /// A Basic user names the account on its server (Digital Samba's team, Twilio's
    /// account SID): profiles of one URL with other users are other accounts.
    fn account(&self) -> Option<&str> {
        match &self.api.auth {
            Auth::Basic { user } => Some(user),
            Auth::Header { .. } | Auth::None => None,
        }
    }

    fn auth(&self, key: &SecretString) -> Vec<(HeaderName, HeaderValue)> {
        match &self.api.auth {
            Auth::None => Vec::new(),
            Auth::Header { name, template } => vec![(
                name.clone(),
                super::secret_header(template.replace("{key}", key.expose_secret())),
            )],
            Auth::Basic { user } => {
                use base64::Engine as _;
                let pair = format!("{user}:{}", key.expose_secret());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                vec![(
                    reqwest::header::AUTHORIZATION,
                    super::secret_header(format!("Basic {encoded}")),
                )]
            }
        }
    }

    fn rows(&self) -> Vec<Row> {
        vec![Row::new("api", self.source.clone(), false)]
    }

    fn build(&self, http: Http, _profile: &str, _opts: &Options) -> Box<dyn Provider> {
        Box::new(run::Declared {
            http,
            api: self.api.clone(),
            ended: self.ended,
            tally: Default::default(),
        })
    }
}

/// Why `--idle-for` is refused, saying what this description can do instead: most APIs
/// without a last-activity field (Daily's, LiveKit's, Twilio's rooms) cannot be given one,
/// so the way on is `--older-than` from the `created` it declares, or, where its rows
/// count participants, `idle_since = "created"`; declaring `fields.activity` is only for
/// an API whose rows say when each session was last used.
fn no_idle(f: &check::Fields) -> &'static str {
    match (f.created.is_some(), f.participants.is_some()) {
        (true, true) => {
            "its description declares no last-activity field: sweep by age with `--older-than` (from `fields.created`), or measure an empty session's idleness from its creation with `fields.idle_since = \"created\"` (its rows count participants); declare `fields.activity` only if the API's rows say when each session was last used"
        }
        (true, false) => {
            "its description declares no last-activity field: sweep by age with `--older-than` (from `fields.created`); declare `fields.activity` only if the API's rows say when each session was last used"
        }
        (false, _) => {
            "its description declares no last-activity field: declare `fields.activity`, a JSON pointer to when each session was last used, or `fields.created` to sweep by age with `--older-than` (with `fields.participants` too, `fields.idle_since = \"created\"` measures an empty session's idleness from its creation)"
        }
    }
}

#[cfg(test)]
mod tests {
    /// A profile of `auth` on one URL, as `config.example.toml`'s declared one.
    fn account_of(auth: &str) -> Option<String> {
        let text = format!(
            "[profiles.d]\nprovider = \"declared\"\nbase_url = \"http://127.0.0.1:3000\"\n\
             api_key_env = \"K\"\n\
             [profiles.d.api]\nauth = {auth}\n\
             [profiles.d.api.list]\npath = \"s\"\nrows = \"/s\"\npaging = {{ style = \"none\" }}\n\
             [profiles.d.api.fields]\nid = \"/id\"\n\
             [profiles.d.api.end]\nmethod = \"DELETE\"\npath = \"s/{{id}}\"\ndone = [200]\n"
        );
        let config = crate::config::Config::parse(std::path::Path::new("c.toml"), &text);
        let config = config.unwrap_or_else(|e| panic!("{e}"));
        config.profiles["d"].provider.account().map(str::to_owned)
    }

    /// The run lock tells accounts of one server apart by the Basic user, as it does by
    /// a built-in provider's team or account key.
    #[test]
    fn a_basic_user_is_the_account_the_lock_keeps_apart() {
        let basic = account_of("{ style = \"basic\", user = \"team-1\" }");
        assert_eq!(basic.as_deref(), Some("team-1"));
        let header = "{ style = \"header\", header = \"X-Api-Key\", value = \"{key}\" }";
        assert_eq!(account_of(header), None);
    }
}
