//! A provider's own fields: what its rows say beside what sessionctl judges on (the ID, the
//! times, live or not, the people in it), such as `user`, `room` or `status`. Each provider
//! declares its own ([`Named`], in its folder: its name, whether `--where` may select on it,
//! its `-o wide` column) and puts their values on its rows ([`Fields`]), so that nothing
//! shared spells out one provider's vocabulary.

use std::borrow::Cow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde_json::Value;

/// The key of a row's metadata among its fields: every provider's `metadata.KEY` for
/// `--where`, placed among its fields where its JSON shows it.
pub const METADATA: &str = "metadata";

/// One of a provider's own fields, as it declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named {
    /// Its JSON key, and what `--where` and `protect` call it.
    pub name: &'static str,
    /// `--where` may name it (how each API of the provider selects it, its
    /// [`super::unit::ProviderConfig::selectable`] says).
    pub selects: bool,
    /// Its `-o wide` column, if it has one.
    pub column: Option<Column>,
}

/// A field's `-o wide` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub header: &'static str,
    pub shows: Shows,
}

/// How a column shows its field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shows {
    /// The text as it is.
    Text,
    /// An RFC 3339 time, shortened as the table's other times are.
    Time,
    /// A number of milliseconds, as a duration (`29m`).
    Millis,
}

impl Named {
    /// A field `--where` selects on, shown as text under `header`.
    pub const fn selected(name: &'static str, header: &'static str) -> Named {
        Named {
            name,
            selects: true,
            column: Some(Column {
                header,
                shows: Shows::Text,
            }),
        }
    }

    /// A field `--where` selects on that has no column of its own.
    pub const fn selected_only(name: &'static str) -> Named {
        Named {
            name,
            selects: true,
            column: None,
        }
    }

    /// A field shown under `header`, which `--where` does not select on.
    pub const fn shown(name: &'static str, header: &'static str, shows: Shows) -> Named {
        Named {
            name,
            selects: false,
            column: Some(Column { header, shows }),
        }
    }
}

/// A row's own fields, in the order its provider puts them: the order of their keys in
/// `list -o json` (a field without a value is left out).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Vec<(Cow<'static, str>, Value)>);

impl Fields {
    /// With field `name` set to `value`, after those set before it; `None` leaves it out.
    pub fn with(mut self, name: &'static str, value: Option<impl Into<Value>>) -> Fields {
        if let Some(value) = value {
            self.0.push((Cow::Borrowed(name), value.into()));
        }
        self
    }

    /// With the row's metadata (see [`METADATA`]).
    pub fn metadata(self, metadata: Option<serde_json::Map<String, Value>>) -> Fields {
        self.with(METADATA, metadata)
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        (self.0.iter()).find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Field `name` when its value is text.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name)?.as_str()
    }
}

/// The value `--where` compares: a string as it is, a number or boolean as its JSON text;
/// null, objects and arrays count as missing.
pub fn scalar(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        v @ (Value::Number(_) | Value::Bool(_)) => Some(Cow::Owned(v.to_string())),
        _ => None,
    }
}

impl serde::Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Read back (a saved plan's evidence) in the order written.
impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fields, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a row's fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, Value>()? {
                    fields.push((Cow::Owned(name), value));
                }
                Ok(Fields(fields))
            }
        }
        d.deserialize_map(InOrder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::SessionRow;

    #[test]
    fn a_row_shows_its_fields_in_its_order_and_reads_back_the_same() {
        let row = SessionRow {
            id: "s-1".into(),
            active: true,
            fields: Fields::default()
                .with("user", Some("u-1"))
                .with("agent", None::<String>)
                .metadata(serde_json::json!({"env": "prod"}).as_object().cloned())
                .with("remaining_ms", Some(60_000u64)),
            ..SessionRow::default()
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(
            json,
            r#"{"id":"s-1","owner":null,"created":null,"activity":null,"active":true,"user":"u-1","metadata":{"env":"prod"},"remaining_ms":60000}"#
        );
        let back: SessionRow = serde_json::from_str(&json).unwrap();
        assert_eq!(back.fields, row.fields);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert_eq!(back.metadata().unwrap()["env"], "prod");
    }
}
