//! What a provider is to the rest of sessionctl: a factory that reads its own keys of a
//! profile into a typed config value ([`ProviderConfig`]), which says everything else about
//! it (the registry of factories is [`super::registry`]).

use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::SecretString;

use crate::client::http::Http;
use crate::section::{Section, SectionError};
use crate::select::Selectable;

use super::{Capabilities, Options, Provider};

/// Reads a profile's section for one provider (`provider = "<name>"`).
pub trait Factory: std::fmt::Debug + Send + Sync {
    /// What `provider =` names it.
    fn name(&self) -> &str;
    /// The keys of its own it reads, beside the shared ones (for an unknown key's message).
    fn keys(&self) -> &[&'static str];
    /// The rows its configs add to `config show`, where they go, and what a profile of
    /// another provider shows in them.
    fn slots(&self) -> &[Slot] {
        &[]
    }
    /// Takes its keys from `section` (the shared ones are gone) and checks them.
    fn parse(&self, section: &mut Section) -> Result<Arc<dyn ProviderConfig>, SectionError>;
}

/// A row of `config show` that a provider adds.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub key: &'static str,
    /// The shared row it follows.
    pub after: &'static str,
    /// What a profile of a provider that has no such key shows: `-`, or the value that
    /// profile has without it (a default, marked so).
    pub unset: &'static str,
}

/// One provider as one profile configures it: its own keys' values and all the rest of
/// sessionctl asks about it, never which provider it is.
pub trait ProviderConfig: std::fmt::Debug + Send + Sync {
    /// What `provider =` names it.
    fn name(&self) -> &'static str;
    /// The provider as messages name it: `zep (api_version 3)` where it has several APIs.
    fn label(&self) -> String {
        self.name().to_owned()
    }
    /// The base URL without `base_url`.
    fn default_base_url(&self) -> &'static str;
    fn caps(&self) -> &Capabilities;
    /// The provider's own message in an error body (`None`: the client shows the text).
    fn error_message(&self) -> fn(&serde_json::Value) -> Option<String>;
    /// What `--where` can select on, and which of those fields its server filters (with
    /// which call).
    fn selectable(&self) -> &'static [Selectable];
    /// The headers that authenticate with `key` (and whatever else of the profile the
    /// provider sends with it).
    fn auth(&self, key: &SecretString) -> Vec<(HeaderName, HeaderValue)>;
    /// Its own keys as `config show` prints them.
    fn rows(&self) -> Vec<Row> {
        Vec::new()
    }
    /// The provider of profile `profile` on `http`.
    fn build(&self, http: Http, profile: &str, opts: &Options) -> Box<dyn Provider>;
}

/// One of a provider's own settings as `config show` prints it.
#[derive(Debug, Clone)]
pub struct Row {
    pub key: &'static str,
    /// `null` prints as `-`.
    pub value: serde_json::Value,
    /// Left to its default.
    pub defaulted: bool,
}

impl Row {
    pub fn new(key: &'static str, value: impl Into<serde_json::Value>, defaulted: bool) -> Row {
        Row {
            key,
            value: value.into(),
            defaulted,
        }
    }
}
