//! A record a test or the control API puts into the emulator. Each API's module defines its
//! own kinds of record (a struct that is a [`Record`]), builds them with its own `Seed::…`
//! constructors and lists them in [`super::api::Api::seeds`]; this module names none of
//! them, so a new API's records stay in its module.
//!
//! In JSON (control API) a seed is an object tagged by `kind`, with the fields of the kind's
//! struct; omitted timestamps default to now, omitted flags to false/absent. Seeds apply in
//! order, so messages and metadata must come after the session or thread they name.
//! Timestamps are raw strings and are served back verbatim, so tests can seed unparseable
//! ones (they sort as the oldest).

use std::fmt;
use std::sync::Arc;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::state::State;

/// One record of some API's, ready to be put into its table ([`State::seed`]).
#[derive(Clone)]
pub struct Seed(Arc<dyn Record>);

/// What a kind of record does to the emulator's state when seeded.
pub(crate) trait Record: fmt::Debug + Send + Sync + 'static {
    /// Puts the record into its table, replacing one with the same ID. `Err` only for a
    /// record that names another (messages, metadata) that is not there: dropping it
    /// silently would let a test that seeds in the wrong order pass for the wrong reason.
    fn apply(&self, state: &mut State) -> Result<(), String>;
}

impl<R: Record> From<R> for Seed {
    fn from(record: R) -> Seed {
        Seed(Arc::new(record))
    }
}

impl Seed {
    pub(crate) fn apply(&self, state: &mut State) -> Result<(), String> {
        self.0.apply(state)
    }

    /// `metadata` (a JSON object) for the session `id` seeded before, in every API that
    /// keeps metadata under that ID ([`super::api::Api::set_metadata`]).
    ///
    /// # Panics
    /// When `metadata` is not an object: a test bug.
    pub fn metadata(id: &str, metadata: Value) -> Seed {
        let Value::Object(metadata) = metadata else {
            panic!("Seed::metadata needs a JSON object, not {metadata}");
        };
        Seed::from(Metadata {
            id: id.to_owned(),
            metadata,
        })
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A kind of seed as the control API names it, and how its JSON becomes a [`Seed`].
pub(crate) struct Kind {
    pub name: &'static str,
    parse: fn(Value) -> Result<Seed, serde_json::Error>,
}

impl Kind {
    /// The kind `name`, whose JSON is the fields of `R` (unknown fields refused where `R`
    /// says so).
    pub const fn of<R: Record + DeserializeOwned>(name: &'static str) -> Kind {
        Kind {
            name,
            parse: parse::<R>,
        }
    }
}

fn parse<R: Record + DeserializeOwned>(body: Value) -> Result<Seed, serde_json::Error> {
    serde_json::from_value::<R>(body).map(Seed::from)
}

/// The metadata of a session seeded before, replacing what it had: see [`Seed::metadata`].
/// Its own kind, since more than one API keeps metadata.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    id: String,
    metadata: Map<String, Value>,
}

const METADATA: Kind = Kind::of::<Metadata>("metadata");

impl Record for Metadata {
    fn apply(&self, state: &mut State) -> Result<(), String> {
        let mut kept = false;
        for api in super::APIS {
            kept |= api.set_metadata(state, &self.id, &self.metadata);
        }
        match kept {
            true => Ok(()),
            false => Err(format!(
                "metadata for {:?}: no session with that ID keeps metadata (seed it first)",
                self.id
            )),
        }
    }
}

/// Every kind of seed: metadata, then each API's own.
fn kinds() -> impl Iterator<Item = &'static Kind> {
    std::iter::once(&METADATA).chain(super::APIS.iter().flat_map(|api| api.seeds()))
}

impl<'de> Deserialize<'de> for Seed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Seed, D::Error> {
        let mut body = Map::deserialize(deserializer)?;
        let Some(Value::String(name)) = body.remove("kind") else {
            return Err(D::Error::custom("a seed needs a `kind` (a string)"));
        };
        let Some(kind) = kinds().find(|k| k.name == name) else {
            let mut known: Vec<&str> = Vec::new();
            for kind in kinds() {
                if !known.contains(&kind.name) {
                    known.push(kind.name);
                }
            }
            let known = known.join(", ");
            return Err(D::Error::custom(format!(
                "unknown seed kind {name:?} (known: {known})"
            )));
        };
        (kind.parse)(Value::Object(body)).map_err(D::Error::custom)
    }
}

/// A fresh UUID: the default of every seeded UUID.
pub(crate) fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
