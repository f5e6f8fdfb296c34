//! One profile's table of the config file, with where each key and value was written: what
//! the shared config layer and each provider take their own keys from.
//!
//! A profile is parsed in two hands (the keys every provider shares, then the provider's
//! own), so it cannot be one serde struct; its keys keep their positions here so that a
//! wrong type or an unknown key is still a `file:line:column` error, as a struct would give.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;

/// A profile's table as the file has it (see [`Section`]).
pub type RawSection = Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>;

/// Why a section's keys cannot make a profile.
#[derive(Debug, PartialEq)]
pub enum SectionError {
    /// Something at this byte range of the file (a key, a value): a `file:line:column` error.
    At { span: Range<usize>, message: String },
    /// The profile as a whole (values that do not go together, a key of another provider).
    Invalid(String),
}

/// The keys of one profile not taken yet.
#[derive(Debug)]
pub struct Section {
    /// Where the table is, for what is missing from it.
    span: Range<usize>,
    /// Key → (where the key is, its value with where the value is).
    entries: BTreeMap<String, (Range<usize>, Spanned<toml::Value>)>,
}

impl Section {
    pub fn new(raw: RawSection) -> Section {
        let span = raw.span();
        let entries = (raw.into_inner().into_iter())
            .map(|(key, value)| {
                let at = key.span();
                (key.into_inner(), (at, value))
            })
            .collect();
        Section { span, entries }
    }

    /// A profile that sets nothing (the built-in one).
    pub fn empty() -> Section {
        Section {
            span: 0..0,
            entries: BTreeMap::new(),
        }
    }

    /// Takes `key` as a `T`: `None` when the profile does not set it; a value of the wrong
    /// type is an error at the value.
    pub fn take<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>, SectionError> {
        self.take_with(key, |value| {
            T::deserialize(value).map_err(|e| e.message().trim().replace('\n', " "))
        })
    }

    /// Takes `key` and reads it with `read` (a duration written as text); what `read`
    /// refuses is an error at the value.
    pub fn take_with<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(toml::Value) -> Result<T, String>,
    ) -> Result<Option<T>, SectionError> {
        let Some((_, value)) = self.entries.remove(key) else {
            return Ok(None);
        };
        let span = value.span();
        read(value.into_inner())
            .map(Some)
            .map_err(|message| SectionError::At { span, message })
    }

    /// Takes `key`, which must be there: its absence is an error at the table.
    pub fn require<T: DeserializeOwned>(&mut self, key: &str) -> Result<T, SectionError> {
        let span = self.span.clone();
        self.take(key)?.ok_or_else(|| SectionError::At {
            span,
            message: format!("missing field `{key}`"),
        })
    }

    /// The first key (in the file) left that is not one of `known`, with where it is.
    pub fn unknown(&self, known: &[&str]) -> Option<(String, Range<usize>)> {
        (self.entries.iter())
            .filter(|(key, _)| !known.contains(&key.as_str()))
            .min_by_key(|(_, (at, _))| at.start)
            .map(|(key, (at, _))| (key.clone(), at.clone()))
    }
}

/// `key`'s value as text that `parse` reads (`"30s"`): the message names the text.
pub fn text<T>(
    value: toml::Value,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, String> {
    let s = String::deserialize(value).map_err(|e| e.message().trim().replace('\n', " "))?;
    parse(&s).map_err(|e| format!("`{s}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        profiles: BTreeMap<String, RawSection>,
    }

    fn section(text: &str) -> Section {
        let file: File = toml::from_str(text).unwrap();
        Section::new(file.profiles.into_values().next().unwrap())
    }

    #[test]
    fn keys_and_values_keep_where_they_were_written() {
        let text = "[profiles.a]\nprovider = \"zep\"\nconcurrency = \"many\"\nbogus = 1\n";
        let mut s = section(text);
        assert_eq!(s.require::<String>("provider").unwrap(), "zep");
        let err = s.take::<usize>("concurrency").unwrap_err();
        let SectionError::At { span, message } = err else {
            panic!("{err:?}")
        };
        assert_eq!(&text[span], "\"many\"");
        assert!(message.contains("invalid type"), "{message}");
        let (key, at) = s.unknown(&[]).unwrap();
        assert_eq!((key.as_str(), &text[at]), ("bogus", "bogus"));
    }
}
