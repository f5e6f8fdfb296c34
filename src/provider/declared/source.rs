//! Where a profile's description is: `api = "daily.toml"` (a file beside the config) or
//! `[profiles.NAME.api]` in the config itself. Either is read again from its text, so that
//! every nested key keeps its position (a profile's values come without theirs).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use toml::Spanned;

use super::check::{Api, Wrong};
use super::schema::Description;
use crate::section::{Origin, SectionError};

/// A description file is read whole: far more than any API needs.
const FILE_LIMIT: u64 = 1 << 20;

/// The profile's `api`, as the config file has it.
enum Written {
    File(String),
    Inline(Box<Description>),
}

impl<'de> Deserialize<'de> for Written {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Written, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Written;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a file name or a table describing the API")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Written, E> {
                Ok(Written::File(s.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Written, A::Error> {
                Description::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|d| Written::Inline(Box::new(d)))
            }
        }
        d.deserialize_any(V)
    }
}

/// Just enough of the config file to find each profile's `api`.
#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

#[derive(Deserialize)]
struct Profile {
    api: Option<Spanned<Written>>,
}

/// A checked description, and what it was read from (for messages: `daily.toml`, or
/// `inline`).
pub fn read(origin: &Origin) -> Result<(Api, String), SectionError> {
    let file: ConfigFile = toml::from_str(&origin.text).map_err(|e| SectionError::At {
        span: e.span().unwrap_or(0..0),
        message: e.message().trim().replace('\n', " "),
    })?;
    let at = |w: Wrong| SectionError::At {
        span: w.span,
        message: w.message,
    };
    let written = (file.profiles.into_iter())
        .find(|(name, _)| *name == origin.profile)
        .and_then(|(_, p)| p.api)
        .ok_or_else(|| SectionError::Invalid("missing field `api` (a file or a table)".into()))?;
    let span = written.span();
    match written.into_inner() {
        Written::Inline(d) => Ok((Api::from(*d, span).map_err(at)?, "inline".into())),
        Written::File(name) => {
            let path = beside(&origin.path, &name);
            let bytes = crate::bounded::read_file(&path, FILE_LIMIT).map_err(|e| {
                at(Wrong {
                    span: span.clone(),
                    message: format!("cannot read the description {}: {e}", path.display()),
                })
            })?;
            let text = String::from_utf8(bytes).map_err(|_| {
                at(Wrong {
                    span,
                    message: format!("the description {} is not UTF-8", path.display()),
                })
            })?;
            // Its mistakes are at its own lines: `daily.toml:3:5: …`.
            let in_file = |w: Wrong| {
                let (line, column) = crate::section::line_col(&text, w.span.start);
                SectionError::Invalid(format!("{}:{line}:{column}: {}", path.display(), w.message))
            };
            let d: Description = toml::from_str(&text).map_err(|e| {
                in_file(Wrong {
                    span: e.span().unwrap_or(0..0),
                    message: e.message().trim().replace('\n', " "),
                })
            })?;
            Ok((Api::from(d, 0..0).map_err(in_file)?, name))
        }
    }
}

/// `name` resolved beside the config file `config` (an absolute `name` as it is).
fn beside(config: &Path, name: &str) -> PathBuf {
    config
        .parent()
        .map_or_else(|| PathBuf::from(name), |dir| dir.join(name))
}
