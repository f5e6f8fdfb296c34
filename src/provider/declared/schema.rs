//! A description as it is written: every key with where it was written, so that what
//! [`super::check`] refuses is a `file:line:column` error. Styles are plain strings (never
//! serde enums, which would lose the positions of what is inside them); `check` reads them.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole description: `api = "daily.toml"`'s file, or a profile's `[profiles.NAME.api]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    /// The base URL without a profile's `base_url`.
    pub base_url: Option<Spanned<String>>,
    pub auth: Spanned<Auth>,
    pub list: Spanned<List>,
    pub fields: Spanned<Fields>,
    pub end: Option<Spanned<Call>>,
    pub delete: Option<Spanned<Call>>,
    /// A read of one session, for `--dry-run=server`.
    pub probe: Option<Spanned<Call>>,
    /// Where an error body has its message: a JSON pointer, or a list of them tried in
    /// turn (an API whose auth layer answers in another shape).
    pub error_message: Option<Spanned<toml::Value>>,
    /// Where an error body has its machine-readable code (Twirp's `/code`, Twilio's
    /// numeric `/code`), which a status of `already_ended` or `not_found` may require.
    pub error_code: Option<Spanned<String>>,
    /// The requests per second the provider publishes as its limit.
    pub rate: Option<Spanned<f64>>,
}

/// `style = "header"` (with `header` and `value`, which has `{key}`), `"basic"` (with
/// `user`; the key is the password) or `"none"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    pub style: Spanned<String>,
    pub header: Option<Spanned<String>>,
    pub value: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct List {
    pub method: Option<Spanned<String>>,
    pub path: Spanned<String>,
    /// Parameters every list request carries (`limit = "100"`).
    #[serde(default)]
    pub query: BTreeMap<String, Spanned<String>>,
    /// A JSON body (a POST list: LiveKit's `{}`).
    pub body: Option<Spanned<toml::Table>>,
    /// Where the reply has its rows.
    pub rows: Spanned<String>,
    /// Where the reply says how many sessions the whole list holds.
    pub total: Option<Spanned<String>>,
    pub paging: Option<Spanned<Paging>>,
}

/// `style` is `page`, `offset`, `cursor`, `link`, `next_url` or `none`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    pub style: Spanned<String>,
    /// The query parameter that carries the page number, offset or cursor.
    pub param: Option<Spanned<String>>,
    /// A cursor: where the reply has the next one; `next_url`: where it has the next page's
    /// URL (Twilio's `/meta/next_page_url`).
    pub next: Option<Spanned<String>>,
    /// A cursor: where the last row of a page has it (Daily's `starting_after` = `/id`).
    pub next_from_row: Option<Spanned<String>>,
    /// `empty` (the default: a page without rows) or `short` (fewer rows than `size`).
    pub stop: Option<Spanned<String>>,
    /// The rows a page holds (what `short` compares with); sent as `size_param`.
    pub size: Option<Spanned<u64>>,
    pub size_param: Option<Spanned<String>>,
}

/// Where each field is in a row (JSON pointers).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    pub id: Spanned<String>,
    pub activity: Option<Spanned<String>>,
    pub created: Option<Spanned<String>>,
    /// When a session ended (what `--ended-for` measures); needs `live`.
    pub ended: Option<Spanned<String>>,
    pub live: Option<Spanned<String>>,
    /// The value of `live` that means live (default `true`).
    pub live_value: Option<Spanned<toml::Value>>,
    pub participants: Option<Spanned<String>>,
    /// What `--idle-for` measures from: `activity` (the default), or `created` for a list
    /// that says when a session began and how many people are in it, but not when it was
    /// last used (an empty session is idle since it began).
    pub idle_since: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    pub room: Option<Spanned<String>>,
    pub metadata: Option<Spanned<String>>,
    /// `rfc3339` (the default), `unix_s` or `unix_ms`.
    pub time_format: Option<Spanned<String>>,
}

/// One call on one session: `end`, `delete` or `probe`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    pub method: Spanned<String>,
    /// Relative to the base URL; `{id}` is always one escaped path segment.
    pub path: Spanned<String>,
    /// A JSON body, where string values may carry `{id}` (LiveKit's `{room = "{id}"}`).
    pub json: Option<Spanned<toml::Table>>,
    /// A form-encoded body (Twilio's `{Status = "completed"}`).
    pub form: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    /// The statuses that mean it was done (for a probe: the session is there).
    pub done: Option<Spanned<Vec<Spanned<u16>>>>,
    /// Each a status, or `{ status = 400, code = 53112 }`: that status with that code at
    /// `error_code` (Twilio's "not in progress" is a 400 like any bad request).
    #[serde(default)]
    pub already_ended: Vec<Spanned<toml::Value>>,
    #[serde(default)]
    pub not_found: Vec<Spanned<toml::Value>>,
    /// What the call removes, in the API's own words ("each room and its recordings"): the
    /// delete prompt says it. Only read on `delete`.
    pub removes: Option<Spanned<String>>,
}
