//! Protected sessions: a profile's `protect` list, in the `--where` vocabulary, marks the
//! sessions no command may act on (as aws-nuke's and cloud-nuke's protect lists do). This file
//! owns the rules and their matching; where they are enforced (right before a provider is
//! asked to act, on every path) is [`crate::guard`].
//!
//! Any one entry protects what it matches (a list of exclusions, not one selector): `["id~=demo-*",
//! "user=ops"]` protects the demo sessions and every session of `ops`.

use crate::outcome::{Outcome, SessionResult};
use crate::provider::SessionRow;
use crate::select::{self, Field, Selectable, Term};

/// A profile's protect list, checked against its provider's fields when the config is read.
#[derive(Debug, Clone, Default)]
pub struct Protect {
    terms: Vec<Term>,
}

/// What the ID alone says about a session.
#[derive(Debug)]
pub enum ById<'a> {
    /// An entry on the ID matches it.
    Protected(&'a Term),
    /// No entry can match it.
    Free,
    /// An entry names a field the ID does not show (`metadata.keep`): the session must be
    /// read first.
    NeedsRow,
}

impl Protect {
    /// The entries as written; each must be a field the provider's listed rows carry, since a
    /// rule matched on a value the rows never show would protect nothing, silently.
    pub fn parse(
        entries: &[String],
        fields: &[Selectable],
        provider: &str,
    ) -> Result<Protect, String> {
        let mut terms = Vec::with_capacity(entries.len());
        for entry in entries {
            let term = crate::provider::registry::parse_term(entry)?;
            if !select::field_of(&term, fields, provider)?.on_rows {
                return Err(format!(
                    "`{term}`: {provider}'s list does not show `{}`, so it cannot protect by it",
                    term.field
                ));
            }
            terms.push(term);
        }
        Ok(Protect { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The entries as `config show` prints them.
    pub fn entries(&self) -> Vec<String> {
        self.terms.iter().map(Term::to_string).collect()
    }

    /// The entry that protects `row`, if one does.
    pub fn of_row(&self, row: &SessionRow) -> Option<&Term> {
        self.terms
            .iter()
            .find(|t| t.matches(row.value(&t.field).as_deref()))
    }

    /// What can be said of the session `id` without reading it.
    pub fn of_id(&self, id: &str) -> ById<'_> {
        let on_id = |t: &&Term| matches!(t.field, Field::Id | Field::Thread);
        if let Some(t) = self
            .terms
            .iter()
            .filter(on_id)
            .find(|t| t.matches(Some(id)))
        {
            return ById::Protected(t);
        }
        match self.needs_rows() {
            false => ById::Free,
            true => ById::NeedsRow,
        }
    }

    /// Whether an entry names a field beyond the ID, which only a session's row can answer.
    pub fn needs_rows(&self) -> bool {
        !(self.terms.iter()).all(|t| matches!(t.field, Field::Id | Field::Thread))
    }

    /// The fields beyond the ID that the list names, for messages (`metadata.keep, user`).
    pub fn row_fields(&self) -> String {
        let fields: Vec<String> = (self.terms.iter())
            .filter(|t| !matches!(t.field, Field::Id | Field::Thread))
            .map(|t| t.field.to_string())
            .collect();
        fields.join(", ")
    }
}

/// A sweep's verdict on a row it selected: `protected` (with the rule that matched, as a
/// note: not an error, a sweep changes no exit code for it) when the list matches it.
pub fn swept(protect: &Protect, row: &SessionRow) -> Option<SessionResult> {
    let term = protect.of_row(row)?;
    let mut r = SessionResult::new(row.id.clone(), Outcome::Protected);
    r.note = Some(format!("protected by `{term}`: left alone"));
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Selectable] = &[
        Selectable::server("user", "GET /users/{userId}/sessions"),
        Selectable::rows("id"),
        Selectable::rows("thread"),
        Selectable::rows("metadata"),
        Selectable::server_only("user_uuid", "POST /users/lookup"),
    ];

    fn protect(entries: &[&str]) -> Result<Protect, String> {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        Protect::parse(&entries, FIELDS, "zep")
    }

    fn row(id: &str, user: Option<&str>, keep: Option<bool>) -> SessionRow {
        SessionRow {
            id: id.into(),
            fields: crate::provider::Fields::default()
                .with("user", user)
                .metadata(keep.map(|k| {
                    let mut m = serde_json::Map::new();
                    m.insert("keep".into(), k.into());
                    m
                })),
            ..SessionRow::default()
        }
    }

    #[test]
    fn any_entry_protects_what_it_matches() {
        let p = protect(&["metadata.keep=true", "id~=demo-*", "user=ops"]).unwrap();
        for (r, protected_by) in [
            (row("s1", None, Some(true)), Some("metadata.keep=true")),
            (row("demo-1", None, None), Some("id~=demo-*")),
            (row("s2", Some("ops"), Some(false)), Some("user=ops")),
            (row("s3", Some("dev"), Some(false)), None),
            (row("s4", None, None), None),
        ] {
            let got = p.of_row(&r).map(|t| t.to_string());
            assert_eq!(got.as_deref(), protected_by, "{}", r.id);
        }
    }

    #[test]
    fn the_id_alone_decides_only_rules_on_the_id() {
        let ids = protect(&["id~=demo-*", "thread=t-1"]).unwrap();
        assert!(matches!(ids.of_id("demo-3"), ById::Protected(_)));
        assert!(matches!(ids.of_id("t-1"), ById::Protected(_)));
        assert!(matches!(ids.of_id("s1"), ById::Free));
        let mixed = protect(&["id~=demo-*", "metadata.keep=true"]).unwrap();
        assert!(matches!(mixed.of_id("demo-3"), ById::Protected(_)));
        assert!(matches!(mixed.of_id("s1"), ById::NeedsRow));
        assert_eq!(mixed.row_fields(), "metadata.keep");
        assert!(matches!(Protect::default().of_id("s1"), ById::Free));
    }

    #[test]
    fn a_rule_that_could_never_match_is_refused() {
        let err = protect(&["room=lobby"]).unwrap_err();
        assert!(err.contains("zep has no field `room`"), "{err}");
        let err = protect(&["user_uuid=u"]).unwrap_err();
        assert!(err.contains("cannot protect by it"), "{err}");
        let err = protect(&["metadata=x"]).unwrap_err();
        assert!(err.contains("needs a key"), "{err}");
    }
}
