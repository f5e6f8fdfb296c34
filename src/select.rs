//! `--where`: parsing `FIELD=VALUE`, `FIELD!=VALUE` and `FIELD~=GLOB`, and matching. The
//! fields read from what sessionctl keeps of every row (`id`, its alias `thread`,
//! `metadata.KEY`) are this file's; the others (`user`, `room`, `status`, …) are named by
//! the providers that have them.
//!
//! Which fields a provider has, and which it can filter on its server, each provider
//! declares ([`Selectable`], in its own folder); this file turns a selector and that
//! declaration into a [`Selection`] for one profile. It knows nothing of providers or rows:
//! a caller hands [`Selection::matches`] a way to read a field's value, and
//! [`parse_term`] the names the providers declare.

use std::borrow::Cow;
use std::fmt;

/// A selectable field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The session's (or thread's) own ID.
    Id,
    /// The same ID, named as Zep threads name it.
    Thread,
    /// One of the fields a provider declares as its own (`user`, `room`, `status`, …).
    Named(String),
    /// One top-level key of the session's metadata.
    Metadata(String),
}

/// The fields read from what sessionctl itself keeps of every row (`thread` is the ID as
/// thread providers name it), after those the providers name.
const EVERY_PROVIDER: &str = "thread, id, metadata.KEY";

impl Field {
    /// The name a provider declares it under (`metadata` for every `metadata.KEY`).
    pub(crate) fn kind(&self) -> &str {
        match self {
            Field::Id => "id",
            Field::Thread => "thread",
            Field::Named(name) => name,
            Field::Metadata(_) => "metadata",
        }
    }

    /// `name` as a field, among the providers' `named` fields (for errors).
    fn parse(name: &str, named: &[&str]) -> Result<Field, String> {
        Ok(match name {
            "id" => Field::Id,
            "thread" => Field::Thread,
            "metadata" | "metadata." => {
                return Err("`metadata` needs a key: `metadata.KEY`".into());
            }
            other if named.contains(&other) => Field::Named(other.to_owned()),
            other => match other.strip_prefix("metadata.") {
                Some(key) => Field::Metadata(key.to_owned()),
                None => {
                    return Err(format!(
                        "unknown field `{other}` (the fields are {})",
                        vocabulary(named)
                    ));
                }
            },
        })
    }
}

/// Every field name, for errors and `--where`'s help: the providers' `named` ones, then
/// every provider's.
pub(crate) fn vocabulary(named: &[&str]) -> String {
    let mut names = named.to_vec();
    names.push(EVERY_PROVIDER);
    names.join(", ")
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Metadata(key) => write!(f, "metadata.{key}"),
            other => f.write_str(other.kind()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`: the field has exactly this value.
    Eq,
    /// `!=`: the field is missing or has another value.
    Ne,
    /// `~=`: the field matches a glob (`*`, `?`, `[abc]`), the whole value.
    Glob,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Glob => "~=",
        }
    }
}

/// One `--where` expression.
#[derive(Debug, Clone)]
pub struct Term {
    pub field: Field,
    pub op: Op,
    pub value: String,
    /// For `~=`, the compiled glob.
    pattern: Option<glob::Pattern>,
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.field, self.op.as_str(), self.value)
    }
}

/// Parses one `--where` expression: `FIELD=VALUE`, `FIELD!=VALUE` or `FIELD~=GLOB`, where
/// FIELD is one of every provider's (`id`, `thread`, `metadata.KEY`) or one of `named`, the
/// fields the providers declare as their own. The first `=` splits it, so a value may hold
/// `=`; a field never does.
pub fn parse_term(s: &str, named: &[&str]) -> Result<Term, String> {
    let Some((left, value)) = s.split_once('=') else {
        return Err(format!(
            "`{s}` is not FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB"
        ));
    };
    let (name, op) = if let Some(name) = left.strip_suffix('!') {
        (name, Op::Ne)
    } else if let Some(name) = left.strip_suffix('~') {
        (name, Op::Glob)
    } else {
        (left, Op::Eq)
    };
    if name.trim().is_empty() {
        return Err(format!(
            "`{s}` names no field (the fields are {})",
            vocabulary(named)
        ));
    }
    let field = Field::parse(name.trim(), named)?;
    if value.is_empty() {
        return Err(format!("`{s}`: the value is empty"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "`{}`: the value holds a control character",
            s.escape_default()
        ));
    }
    let pattern = match op {
        Op::Glob => {
            Some(glob::Pattern::new(value).map_err(|e| format!("`{s}`: not a glob: {}", e.msg))?)
        }
        _ => None,
    };
    Ok(Term {
        field,
        op,
        value: value.to_owned(),
        pattern,
    })
}

impl Term {
    /// Whether a session whose field has `value` (`None`: it has no such field) is selected.
    /// As kubectl's field selectors: a missing field is never `=` nor `~=` anything, and
    /// always `!=`.
    pub fn matches(&self, value: Option<&str>) -> bool {
        match (self.op, value) {
            (Op::Eq, v) => v == Some(self.value.as_str()),
            (Op::Ne, v) => v != Some(self.value.as_str()),
            (Op::Glob, None) => false,
            (Op::Glob, Some(v)) => self.pattern.as_ref().is_some_and(|p| p.matches(v)),
        }
    }
}

/// A field as a provider declares it: its name, and how (or whether) its server filters it.
#[derive(Debug)]
pub struct Selectable {
    /// `thread`, `id`, `metadata` (any `metadata.KEY`), or one of the provider's own
    /// fields (`user`, `room`, …).
    pub name: &'static str,
    /// The call that filters `name=VALUE` on the server (for the `-v` log and the README);
    /// `None`: matched on every listed row.
    pub server: Option<&'static str>,
    /// Whether listed rows carry the value. When they do not (Zep v4 threads name only their
    /// user's UUID), only `=` works, by the server, and the provider fills the field in on
    /// the rows the server selected.
    pub on_rows: bool,
}

impl Selectable {
    /// A field matched on the listed rows only.
    pub const fn rows(name: &'static str) -> Selectable {
        Selectable {
            name,
            server: None,
            on_rows: true,
        }
    }

    /// A field whose `=` the server filters with `call`; the rows carry it too.
    pub const fn server(name: &'static str, call: &'static str) -> Selectable {
        Selectable {
            name,
            server: Some(call),
            on_rows: true,
        }
    }

    /// A field only the server can filter (`=` only).
    pub const fn server_only(name: &'static str, call: &'static str) -> Selectable {
        Selectable {
            name,
            server: Some(call),
            on_rows: false,
        }
    }
}

/// The `--where` expressions of a run: every one must hold.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    pub terms: Vec<Term>,
}

/// What a provider's server is asked to filter: one field, exactly this value.
#[derive(Debug, Clone)]
pub struct ServerFilter {
    pub field: Field,
    pub value: String,
    /// The call that does it, for the log.
    pub call: &'static str,
}

/// A selector as one profile runs it: at most one term goes to the server (its list call
/// takes one filter), and every term is checked on every listed row, the server's too, so
/// that a server that ignored the filter can never widen a sweep.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub server: Option<ServerFilter>,
    terms: Vec<Term>,
}

impl Selector {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// This selector on a provider that has `fields`; `provider` names it in errors. An
    /// error names the fields it has: such a profile must be refused or skipped, never
    /// listed unfiltered.
    pub fn for_provider(&self, fields: &[Selectable], provider: &str) -> Result<Selection, String> {
        let mut server = None;
        for term in &self.terms {
            let decl = field_of(term, fields, provider)?;
            if !decl.on_rows && term.op != Op::Eq {
                return Err(format!(
                    "`{term}`: {provider} can only select `{}` with `=` (its server filters it; its list does not show it)",
                    term.field
                ));
            }
            if let (Some(call), Op::Eq, None) = (decl.server, term.op, &server) {
                server = Some(ServerFilter {
                    field: term.field.clone(),
                    value: term.value.clone(),
                    call,
                });
            }
        }
        Ok(Selection {
            server,
            terms: self.terms.clone(),
        })
    }
}

/// The declaration of `term`'s field among a provider's `fields`; none is an error that
/// names the fields it has (for `--where` and for a profile's `protect` list alike).
pub fn field_of<'a>(
    term: &Term,
    fields: &'a [Selectable],
    provider: &str,
) -> Result<&'a Selectable, String> {
    fields
        .iter()
        .find(|f| f.name == term.field.kind())
        .ok_or_else(|| {
            let names: Vec<String> = fields
                .iter()
                .map(|f| match f.name {
                    "metadata" => "metadata.KEY".to_owned(),
                    name => name.to_owned(),
                })
                .collect();
            format!(
                "`{term}`: {provider} has no field `{}` (its fields: {})",
                term.field,
                names.join(", ")
            )
        })
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every term holds, reading each field's value with `value`.
    pub fn matches<'a>(&self, value: impl Fn(&Field) -> Option<Cow<'a, str>>) -> bool {
        self.terms
            .iter()
            .all(|t| t.matches(value(&t.field).as_deref()))
    }

    /// `user=u-1, metadata.env=staging`: what a sweep's reason adds.
    pub fn describe(&self) -> String {
        let terms: Vec<String> = self.terms.iter().map(Term::to_string).collect();
        terms.join(", ")
    }

    /// For `-v`: what the server filters, and what is matched here.
    pub fn plan(&self) -> String {
        match &self.server {
            Some(s) => format!(
                "{}={} filtered by the server ({}); every listed row checked for {}",
                s.field,
                s.value,
                s.call,
                self.describe()
            ),
            None => format!("{} matched on every listed row", self.describe()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields the providers name, as a registry would give them.
    const NAMED: &[&str] = &["user", "room", "agent", "channel", "user_uuid", "status"];

    fn term(s: &str) -> Term {
        parse_term(s, NAMED).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn named(name: &str) -> Field {
        Field::Named(name.into())
    }

    #[test]
    fn every_operator_and_field_parses() {
        for (s, field, op, value) in [
            ("user=u-1", named("user"), Op::Eq, "u-1"),
            ("room!=lobby", named("room"), Op::Ne, "lobby"),
            ("agent~=retire-*", named("agent"), Op::Glob, "retire-*"),
            ("channel=c", named("channel"), Op::Eq, "c"),
            ("user_uuid=9b1d", named("user_uuid"), Op::Eq, "9b1d"),
            ("thread=t-1", Field::Thread, Op::Eq, "t-1"),
            ("id~=*", Field::Id, Op::Glob, "*"),
            (
                "metadata.env=staging",
                Field::Metadata("env".into()),
                Op::Eq,
                "staging",
            ),
            // The first `=` splits: a value may hold `=`, `!=` or `~=`.
            ("metadata.q=a=b", Field::Metadata("q".into()), Op::Eq, "a=b"),
            ("user!=a!=b", named("user"), Op::Ne, "a!=b"),
            ("metadata.a.b=1", Field::Metadata("a.b".into()), Op::Eq, "1"),
        ] {
            let t = term(s);
            assert_eq!(
                (t.field.clone(), t.op, t.value.as_str()),
                (field, op, value),
                "{s}"
            );
            assert_eq!(t.to_string(), s, "a term prints as typed");
        }
    }

    #[test]
    fn parse_errors_say_precisely_what_is_wrong() {
        for (s, says) in [
            (
                "user",
                "`user` is not FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB",
            ),
            ("=x", "`=x` names no field"),
            ("!=x", "`!=x` names no field"),
            (
                "owner=x",
                "unknown field `owner` (the fields are user, room, agent",
            ),
            ("metadata=x", "`metadata` needs a key: `metadata.KEY`"),
            ("metadata.=x", "`metadata` needs a key"),
            ("user=", "`user=`: the value is empty"),
            ("user~=", "`user~=`: the value is empty"),
            ("id~=[a", "`id~=[a`: not a glob: invalid range pattern"),
            ("user=a\u{1b}b", "control character"),
        ] {
            let err = parse_term(s, NAMED).unwrap_err();
            assert!(err.contains(says), "{s}: {err}");
        }
    }

    #[test]
    fn matching_follows_field_selector_rules() {
        for (s, value, want) in [
            ("user=u-1", Some("u-1"), true),
            ("user=u-1", Some("u-10"), false),
            ("user=u-1", None, false),
            ("user!=u-1", Some("u-2"), true),
            ("user!=u-1", None, true),
            ("user!=u-1", Some("u-1"), false),
            ("id~=test-*", Some("test-42"), true),
            ("id~=test-*", Some("prod-test-42"), false),
            ("id~=test-*", None, false),
            // `*` crosses `/` (values are not paths), `?` is one character, classes work.
            ("id~=a*z", Some("a/b/z"), true),
            ("id~=t-?", Some("t-1"), true),
            ("id~=t-?", Some("t-10"), false),
            ("id~=t-[12]", Some("t-2"), true),
            ("id~=t-[12]", Some("t-3"), false),
            // Case matters, as it does to the servers.
            ("user=U-1", Some("u-1"), false),
            ("id~=T*", Some("t-1"), false),
        ] {
            assert_eq!(term(s).matches(value), want, "{s} on {value:?}");
        }
    }

    const FIELDS: &[Selectable] = &[
        Selectable::server("user", "GET /users/{userId}/sessions"),
        Selectable::rows("id"),
        Selectable::rows("metadata"),
    ];

    fn selector(terms: &[&str]) -> Selector {
        Selector {
            terms: terms.iter().map(|s| term(s)).collect(),
        }
    }

    #[test]
    fn only_the_first_equality_on_a_server_field_goes_to_the_server() {
        let sel = selector(&["metadata.env=a", "user!=x", "user=u-1", "user=u-2"]);
        let s = sel.for_provider(FIELDS, "zep").unwrap();
        let server = s.server.as_ref().unwrap();
        assert_eq!(
            (&server.field, server.value.as_str()),
            (&named("user"), "u-1")
        );
        // Every term is still checked on the rows.
        assert_eq!(s.describe(), "metadata.env=a, user!=x, user=u-1, user=u-2");
        let client = selector(&["user~=u-*"])
            .for_provider(FIELDS, "zep")
            .unwrap();
        assert!(client.server.is_none());
        assert!(client.plan().contains("matched on every listed row"));
    }

    #[test]
    fn a_field_the_provider_lacks_is_refused_naming_the_fields_it_has() {
        let err = selector(&["user=u", "room=lobby"])
            .for_provider(FIELDS, "zep (v2)")
            .unwrap_err();
        assert_eq!(
            err,
            "`room=lobby`: zep (v2) has no field `room` (its fields: user, id, metadata.KEY)"
        );
    }

    #[test]
    fn a_server_only_field_takes_only_equality() {
        let fields = [Selectable::server_only("user", "POST /users/lookup")];
        assert!(selector(&["user=u"]).for_provider(&fields, "v4").is_ok());
        for s in ["user!=u", "user~=u*"] {
            let err = selector(&[s]).for_provider(&fields, "v4").unwrap_err();
            assert!(err.contains("can only select `user` with `=`"), "{err}");
        }
    }

    #[test]
    fn every_term_must_hold() {
        let s = selector(&["user=u-1", "metadata.env!=prod"])
            .for_provider(FIELDS, "zep")
            .unwrap();
        let row = |user: &'static str, env: Option<&'static str>| {
            move |f: &Field| match f {
                Field::Named(n) if n == "user" => Some(Cow::Borrowed(user)),
                Field::Metadata(_) => env.map(Cow::Borrowed),
                _ => None,
            }
        };
        assert!(s.matches(row("u-1", Some("staging"))));
        assert!(s.matches(row("u-1", None)));
        assert!(!s.matches(row("u-1", Some("prod"))));
        assert!(!s.matches(row("u-2", Some("staging"))));
        assert!(Selection::default().matches(row("anyone", None)));
    }
}
