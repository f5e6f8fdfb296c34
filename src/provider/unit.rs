//! What a provider is to the rest of sessionctl: a factory that reads its own keys of a
//! profile into a typed config value ([`ProviderConfig`]), which says everything else about
//! it (the registry of factories is [`super::registry`]).

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::SecretString;

use crate::client::http::{Http, MessageOf};
use crate::section::{Section, SectionError};
use crate::select::Selectable;

use super::fields::Named;

use super::{Action, Capabilities, Options, Provider};

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
    /// Its commented-out profile in the file `config init` writes (`""`: none).
    fn starter(&self) -> &str {
        ""
    }
    /// The run flags that only its configs take (some of them: see
    /// [`ProviderConfig::flags`]), with the words that refuse them elsewhere.
    fn flags(&self) -> &[Flag] {
        &[]
    }
    /// What a run says of a shared flag that means most to this provider (`--empty`, for
    /// the one that counts the people in a session).
    fn notes(&self) -> &[Note] {
        &[]
    }
    /// Its own fields, beside those every provider's rows have: what its rows put in
    /// [`super::SessionRow::fields`], in the order of its `-o wide` columns.
    fn fields(&self) -> &[Named] {
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
    /// The provider as messages name it: with the API its profile picks, where it has
    /// several.
    fn label(&self) -> String {
        self.name().to_owned()
    }
    /// The base URL without `base_url`.
    fn default_base_url(&self) -> &'static str;
    fn caps(&self) -> &Capabilities;
    /// The provider's own message in an error body (`None`: not its error shape; the
    /// client shows the text).
    fn error_message(&self) -> MessageOf;
    /// What `--where` can select on, and which of those fields its server filters (with
    /// which call).
    fn selectable(&self) -> &'static [Selectable];
    /// The headers that authenticate with `key` (and whatever else of the profile the
    /// provider sends with it).
    fn auth(&self, key: &SecretString) -> Vec<(HeaderName, HeaderValue)>;
    /// What `delete` removes there, in the words of the provider's docs ("each session's
    /// …"): the delete prompt says it, so that whoever answers knows what goes.
    fn deletes(&self) -> &'static str;
    /// What, beside the base URL, tells one account on the server from another (Digital
    /// Samba's team: teams of one URL are separate accounts), for the run lock.
    fn account(&self) -> Option<&str> {
        None
    }
    /// Its own keys as `config show` prints them.
    fn rows(&self) -> Vec<Row> {
        Vec::new()
    }
    /// The provider-only run flags it takes (the values come in [`Options::extra`]).
    fn flags(&self) -> &[Flag] {
        &[]
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

/// The note a sweep given `flag` prints (unless `-q`).
#[derive(Debug, Clone, Copy)]
pub struct Note {
    pub flag: &'static str,
    /// When one of the run's profiles reports live participants.
    pub counted: &'static str,
    /// When none does.
    pub uncounted: &'static str,
}

/// A run flag that only some providers take (`--wait`).
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    pub name: &'static str,
    /// The one action it goes with (`None`: any).
    pub action: Option<Action>,
    /// Whom it is for, as its refusal elsewhere says: "`--wait` is only for …".
    pub only_for: &'static str,
}

/// The provider-only flags a run sets, in the order given, with their values: the
/// command line's, for a provider whose [`ProviderConfig::flags`] has them.
#[derive(Debug, Clone, Default)]
pub struct Extra(Vec<(&'static str, Option<Duration>)>);

impl Extra {
    /// With flag `name` set (to `value`, where it takes one).
    pub fn with(mut self, name: &'static str, value: Option<Duration>) -> Extra {
        self.0.push((name, value));
        self
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| *n == name)
    }

    /// The value flag `name` was given, if it is set.
    pub fn value(&self, name: &str) -> Option<Duration> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| *v)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(n, _)| *n)
    }
}

/// What `config check --online` read of a profile's list: its first page, and where the
/// provider's fields are mapped at run time (a declared provider), what each mapping read
/// from the first row, so that a wrong pointer is seen before any sweep relies on it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageCheck {
    /// The rows the first page had.
    pub rows: u64,
    /// Whether paging says another page follows (only the first is read).
    pub more: bool,
    /// Each declared field, in the description's order (empty: the provider's fields are
    /// built in, nothing to show).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldRead>,
}

/// One declared field as read from the first row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FieldRead {
    pub field: &'static str,
    pub pointer: String,
    /// The value there (shortened), or why there is none: `missing`, `not a timestamp in
    /// unix_s`, `not a number`; `None` when the page had no row to read.
    pub read: Option<String>,
    /// False where this reading fails the check: an ID that is not there, a timestamp that
    /// does not parse, a count that is not a number (the in-use signal a sweep must see). An
    /// optional field a row lacks is shown, not failed: rows may leave it out. A field no row
    /// of the page has fails where a sweep or a safety rule reads it (`activity`, `created`,
    /// `live`, `participants`; `ended` where a row is not live).
    pub ok: bool,
    /// Why a field no row of the page has may still be right (`user`, `room`, `metadata`;
    /// `ended` on a page of live sessions): shown, not failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PageCheck {
    /// A built-in provider's first page: its rows counted (those still being decoded too).
    pub async fn of(page: super::Page) -> Result<PageCheck, super::ListError> {
        let mut rows = page.rows.len() as u64;
        if let Some(mut rest) = page.rest {
            while rest.next().await.is_some() {
                rows += 1;
            }
            rest.finish().await?;
        }
        Ok(PageCheck {
            rows,
            more: page.next.is_some(),
            fields: Vec::new(),
        })
    }

    /// What fails the check, in one line (`None`: nothing).
    pub fn wrong(&self) -> Option<String> {
        let wrong: Vec<String> = (self.fields.iter())
            .filter(|f| !f.ok)
            .map(|f| {
                let read = f.read.as_deref().unwrap_or("missing");
                format!("{} at `{}`: {read}", f.field, f.pointer)
            })
            .collect();
        (!wrong.is_empty()).then(|| format!("on the first page, {}", wrong.join("; ")))
    }
}
