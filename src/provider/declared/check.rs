//! A description checked once, when the config loads ([`Api::from`]): every mistake is an
//! error at the key or value that makes it, and what passes is typed, so that the provider
//! never meets a style it does not know, a pointer that is not one or a path without `{id}`.

use std::ops::Range;

use reqwest::Method;
use reqwest::header::HeaderName;
use toml::Spanned;

use super::schema;

/// A mistake at a place of the description.
#[derive(Debug, PartialEq)]
pub struct Wrong {
    pub span: Range<usize>,
    pub message: String,
}

fn wrong<T>(at: &Spanned<T>, message: impl Into<String>) -> Wrong {
    Wrong {
        span: at.span(),
        message: message.into(),
    }
}

/// A checked description.
#[derive(Debug)]
pub struct Api {
    pub base_url: Option<String>,
    pub auth: Auth,
    pub list: List,
    pub fields: Fields,
    pub end: Option<Call>,
    pub delete: Option<Call>,
    pub probe: Option<Call>,
    /// JSON pointers, tried in turn.
    pub error_message: Vec<String>,
    /// Where an error body has its code.
    pub error_code: Option<String>,
    pub rate: Option<f64>,
}

#[derive(Debug, PartialEq)]
pub enum Auth {
    /// `name: template`, where the template has `{key}` once.
    Header {
        name: HeaderName,
        template: String,
    },
    /// HTTP Basic with this user and the key as the password.
    Basic {
        user: String,
    },
    None,
}

#[derive(Debug)]
pub struct List {
    pub method: Method,
    pub path: Vec<String>,
    pub query: Vec<(String, String)>,
    pub body: Option<serde_json::Value>,
    pub rows: String,
    pub total: Option<String>,
    pub paging: Paging,
}

#[derive(Debug, PartialEq)]
pub enum Paging {
    /// The whole list in one reply.
    None,
    /// A page number in `param`, counted from 1.
    Page(Numbered),
    /// The rows before the page in `param`.
    Offset(Numbered),
    /// The server's cursor in `param`, read from the reply or from its last row.
    Cursor {
        param: String,
        from: CursorFrom,
        size: Option<Size>,
    },
    /// The next page's URL in a `Link: <…>; rel="next"` header.
    Link { size: Option<Size> },
    /// The next page's URL at `next` in the reply (Twilio's `/meta/next_page_url`).
    NextUrl { next: String, size: Option<Size> },
}

#[derive(Debug, PartialEq)]
pub struct Numbered {
    pub param: String,
    pub size: Option<Size>,
    /// The end is a page with fewer rows than `size` (else: an empty page).
    pub short_stops: bool,
}

/// The rows a page holds, sent as `param` where there is one.
#[derive(Debug, PartialEq)]
pub struct Size {
    pub rows: u64,
    pub param: Option<String>,
}

#[derive(Debug, PartialEq)]
pub enum CursorFrom {
    /// A pointer into the reply.
    Reply(String),
    /// A pointer into the page's last row.
    LastRow(String),
}

#[derive(Debug)]
pub struct Fields {
    pub id: String,
    pub activity: Option<String>,
    pub created: Option<String>,
    /// When a session ended, on a row that is not live (`--ended-for`).
    pub ended: Option<String>,
    /// The pointer, and the value there that means live.
    pub live: Option<(String, serde_json::Value)>,
    pub participants: Option<String>,
    /// What `--idle-for` measures from (`None`: nothing; `--idle-for` is refused).
    pub idle_since: Option<IdleSince>,
    pub user: Option<String>,
    pub room: Option<String>,
    pub metadata: Option<String>,
    pub time: TimeFormat,
}

/// Where a session's idleness is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleSince {
    /// `activity`: when it was last used.
    Activity,
    /// `created`, and only while `participants` says it is empty: a list without a
    /// last-activity field (Digital Samba's sessions, which say when a meeting began and
    /// who is in it). A session with people in it, or whose row does not say, is never idle.
    EmptySinceCreated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    Rfc3339,
    UnixSeconds,
    UnixMillis,
}

impl TimeFormat {
    /// As `time_format` names it.
    pub fn name(self) -> &'static str {
        match self {
            TimeFormat::Rfc3339 => "rfc3339",
            TimeFormat::UnixSeconds => "unix_s",
            TimeFormat::UnixMillis => "unix_ms",
        }
    }
}

#[derive(Debug)]
pub struct Call {
    pub method: Method,
    pub path: Vec<Segment>,
    pub body: Option<Body>,
    pub done: Vec<u16>,
    pub already_ended: Vec<Answer>,
    pub not_found: Vec<Answer>,
    /// What it removes, as the description says (`removes`).
    pub removes: Option<String>,
}

/// A status that means an outcome; with a `code`, only when the error body's code (at
/// `error_code`) is that one.
#[derive(Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub code: Option<String>,
}

impl Answer {
    /// Whether a reply of `status` whose body has `code` is this answer.
    pub fn is(&self, status: u16, code: Option<&str>) -> bool {
        self.status == status && self.code.as_deref().is_none_or(|c| Some(c) == code)
    }
}

#[derive(Debug, PartialEq)]
pub enum Segment {
    Literal(String),
    /// The session's ID, escaped as one segment.
    Id,
}

#[derive(Debug, PartialEq)]
pub enum Body {
    /// String values carry `{id}` as the ID.
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
}

const ID: &str = "{id}";

impl Api {
    /// Checks `d`, which starts at `whole` (where a missing part is reported).
    pub fn from(d: schema::Description, whole: Range<usize>) -> Result<Api, Wrong> {
        if d.end.is_none() && d.delete.is_none() {
            return Err(Wrong {
                span: whole,
                message: "a description needs `end` or `delete` (or both)".into(),
            });
        }
        let coded = d.error_code.is_some();
        let call =
            |c: Option<Spanned<schema::Call>>, what| c.map(|c| call(c, what, coded)).transpose();
        Ok(Api {
            base_url: d.base_url.map(Spanned::into_inner),
            auth: auth(d.auth)?,
            list: list(d.list)?,
            fields: fields(d.fields)?,
            end: call(d.end, "end")?,
            delete: call(d.delete, "delete")?,
            probe: call(d.probe, "probe")?,
            error_message: match d.error_message {
                None => Vec::new(),
                Some(m) => pointers(m)?,
            },
            error_code: opt_pointer(d.error_code)?,
            rate: match d.rate {
                Some(r) if !(r.get_ref().is_finite() && *r.get_ref() > 0.0) => {
                    return Err(wrong(&r, "rate must be more than 0 requests per second"));
                }
                r => r.map(Spanned::into_inner),
            },
        })
    }
}

/// A JSON pointer (RFC 6901): empty (the whole value) or `/`-separated, `~` only as `~0`
/// or `~1`.
fn pointer(p: &Spanned<String>) -> Result<String, Wrong> {
    let s = p.get_ref();
    if !(s.is_empty() || s.starts_with('/')) {
        return Err(wrong(
            p,
            format!("`{s}` is not a JSON pointer: it must start with `/` (e.g. `/{s}`)"),
        ));
    }
    let mut tildes = s.match_indices('~');
    if tildes.any(|(i, _)| !matches!(s.as_bytes().get(i + 1), Some(b'0' | b'1'))) {
        return Err(wrong(
            p,
            format!("`{s}` is not a JSON pointer: `~` must be `~0` or `~1`"),
        ));
    }
    Ok(s.clone())
}

/// One pointer or a list of them.
fn pointers(v: Spanned<toml::Value>) -> Result<Vec<String>, Wrong> {
    let span = v.span();
    let each = |s: String| pointer(&Spanned::new(span.clone(), s));
    match v.into_inner() {
        toml::Value::String(s) => Ok(vec![each(s)?]),
        toml::Value::Array(a) if !a.is_empty() => (a.into_iter())
            .map(|p| match p {
                toml::Value::String(s) => each(s),
                _ => Err(Wrong {
                    span: span.clone(),
                    message: "a list of JSON pointers holds only strings".into(),
                }),
            })
            .collect(),
        _ => Err(Wrong {
            span,
            message: "a JSON pointer, or a list of them".into(),
        }),
    }
}

fn opt_pointer(p: Option<Spanned<String>>) -> Result<Option<String>, Wrong> {
    p.map(|p| pointer(&p)).transpose()
}

fn method(m: &Spanned<String>) -> Result<Method, Wrong> {
    match m.get_ref().as_str() {
        "GET" => Ok(Method::GET),
        "POST" => Ok(Method::POST),
        "PUT" => Ok(Method::PUT),
        "PATCH" => Ok(Method::PATCH),
        "DELETE" => Ok(Method::DELETE),
        other => Err(wrong(
            m,
            format!("unknown method `{other}` (known: GET, POST, PUT, PATCH, DELETE)"),
        )),
    }
}

fn auth(a: Spanned<schema::Auth>) -> Result<Auth, Wrong> {
    let at = a.span();
    let a = a.into_inner();
    let missing = |key: &str, style: &str| Wrong {
        span: at.clone(),
        message: format!("auth style `{style}` needs `{key}`"),
    };
    let unused = |key: &Option<Spanned<String>>, name: &str, style: &str| match key {
        Some(k) => Err(wrong(k, format!("auth style `{style}` takes no `{name}`"))),
        None => Ok(()),
    };
    match a.style.get_ref().as_str() {
        style @ "header" => {
            unused(&a.user, "user", style)?;
            let name = a.header.ok_or_else(|| missing("header", style))?;
            let value = a.value.ok_or_else(|| missing("value", style))?;
            let name_ok = HeaderName::from_bytes(name.get_ref().as_bytes())
                .map_err(|_| wrong(&name, format!("`{}` is not a header name", name.get_ref())))?;
            if value.get_ref().matches("{key}").count() != 1 {
                return Err(wrong(&value, "the header value must have `{key}` once"));
            }
            Ok(Auth::Header {
                name: name_ok,
                template: value.into_inner(),
            })
        }
        style @ "basic" => {
            unused(&a.header, "header", style)?;
            unused(&a.value, "value", style)?;
            let user = a.user.ok_or_else(|| missing("user", style))?;
            if user.get_ref().is_empty() || user.get_ref().contains(':') {
                return Err(wrong(&user, "a Basic user is not empty and has no `:`"));
            }
            Ok(Auth::Basic {
                user: user.into_inner(),
            })
        }
        style @ "none" => {
            unused(&a.header, "header", style)?;
            unused(&a.value, "value", style)?;
            unused(&a.user, "user", style)?;
            Ok(Auth::None)
        }
        other => Err(wrong(
            &a.style,
            format!("unknown auth style `{other}` (known: header, basic, none)"),
        )),
    }
}

/// A path relative to the base URL, as segments: `{id}` only as a whole segment.
fn template(p: &Spanned<String>) -> Result<Vec<Segment>, Wrong> {
    let s = p.get_ref();
    if s.starts_with('/') {
        return Err(wrong(
            p,
            format!(
                "the path is relative to base_url: write `{}`",
                s.trim_start_matches('/')
            ),
        ));
    }
    (s.split('/'))
        .map(|seg| match seg {
            ID => Ok(Segment::Id),
            "" | "." | ".." => Err(wrong(p, format!("`{s}` has an empty, `.` or `..` segment"))),
            seg if seg.contains(['{', '}', '?', '#']) => Err(wrong(
                p,
                format!("`{seg}` in `{s}`: `{{id}}` goes in a segment of its own, and a path has no other `{{…}}`, `?` or `#`"),
            )),
            seg => Ok(Segment::Literal(seg.to_owned())),
        })
        .collect()
}

fn json(t: toml::Table) -> serde_json::Value {
    serde_json::to_value(t).expect("a TOML table is JSON")
}

fn list(l: Spanned<schema::List>) -> Result<List, Wrong> {
    let l = l.into_inner();
    let m = match &l.method {
        Some(m) => method(m)?,
        None => Method::GET,
    };
    if let Some(body) = &l.body
        && m == Method::GET
    {
        return Err(wrong(
            body,
            "a GET list has no body: say `method = \"POST\"`",
        ));
    }
    let path = (template(&l.path)?.into_iter())
        .map(|s| match s {
            Segment::Literal(s) => Ok(s),
            Segment::Id => Err(wrong(&l.path, "the list path has no `{id}`")),
        })
        .collect::<Result<_, _>>()?;
    Ok(List {
        method: m,
        path,
        query: (l.query.into_iter())
            .map(|(k, v)| (k, v.into_inner()))
            .collect(),
        body: l.body.map(|b| json(b.into_inner())),
        rows: pointer(&l.rows)?,
        total: opt_pointer(l.total)?,
        paging: match l.paging {
            None => Paging::None,
            Some(p) => paging(p)?,
        },
    })
}

fn paging(p: Spanned<schema::Paging>) -> Result<Paging, Wrong> {
    let at = p.span();
    let p = p.into_inner();
    let style = p.style.get_ref().clone();
    let missing = |key: &str| Wrong {
        span: at.clone(),
        message: format!("paging style `{style}` needs `{key}`"),
    };
    let refuse = |key: &str, given: Option<Range<usize>>| match given {
        Some(span) => Err(Wrong {
            span,
            message: format!("paging style `{style}` takes no `{key}`"),
        }),
        None => Ok(()),
    };
    let span = |s: &Option<Spanned<String>>| s.as_ref().map(Spanned::span);
    let size = match (p.size, p.size_param) {
        (None, Some(param)) => return Err(wrong(&param, "`size_param` needs `size`")),
        (Some(rows), _) if *rows.get_ref() == 0 => {
            return Err(wrong(&rows, "size must be at least 1"));
        }
        (rows, param) => rows.map(|rows| Size {
            rows: rows.into_inner(),
            param: param.map(Spanned::into_inner),
        }),
    };
    let short_stops = match &p.stop {
        None => false,
        Some(s) => match s.get_ref().as_str() {
            "empty" => false,
            "short" if size.is_none() => return Err(wrong(s, "stop = \"short\" needs `size`")),
            "short" => true,
            other => {
                return Err(wrong(
                    s,
                    format!("unknown stop rule `{other}` (known: empty, short)"),
                ));
            }
        },
    };
    let numbered = |param: Option<Spanned<String>>, size| -> Result<Numbered, Wrong> {
        refuse("next", span(&p.next))?;
        refuse("next_from_row", span(&p.next_from_row))?;
        Ok(Numbered {
            param: param.ok_or_else(|| missing("param"))?.into_inner(),
            size,
            short_stops,
        })
    };
    match style.as_str() {
        "none" => {
            for (key, given) in [
                ("param", span(&p.param)),
                ("next", span(&p.next)),
                ("next_from_row", span(&p.next_from_row)),
                ("stop", span(&p.stop)),
            ] {
                refuse(key, given)?;
            }
            if size.is_some() {
                return Err(missing(
                    "nothing else (a list in one reply has no page size)",
                ));
            }
            Ok(Paging::None)
        }
        "page" => Ok(Paging::Page(numbered(p.param, size)?)),
        "offset" => Ok(Paging::Offset(numbered(p.param, size)?)),
        "cursor" => {
            refuse("stop", span(&p.stop))?;
            let param = p.param.ok_or_else(|| missing("param"))?.into_inner();
            let from = match (p.next, p.next_from_row) {
                (Some(next), None) => CursorFrom::Reply(pointer(&next)?),
                (None, Some(row)) => CursorFrom::LastRow(pointer(&row)?),
                (Some(_), Some(row)) => {
                    return Err(wrong(
                        &row,
                        "a cursor comes from `next` or `next_from_row`, not both",
                    ));
                }
                (None, None) => return Err(missing("`next` or `next_from_row`")),
            };
            Ok(Paging::Cursor { param, from, size })
        }
        "link" => {
            refuse("param", span(&p.param))?;
            refuse("next", span(&p.next))?;
            refuse("next_from_row", span(&p.next_from_row))?;
            refuse("stop", span(&p.stop))?;
            Ok(Paging::Link { size })
        }
        "next_url" => {
            refuse("param", span(&p.param))?;
            refuse("next_from_row", span(&p.next_from_row))?;
            refuse("stop", span(&p.stop))?;
            let next = p.next.ok_or_else(|| missing("next"))?;
            Ok(Paging::NextUrl {
                next: pointer(&next)?,
                size,
            })
        }
        other => Err(wrong(
            &p.style,
            format!(
                "unknown paging style `{other}` (known: page, offset, cursor, link, next_url, none)"
            ),
        )),
    }
}

fn fields(f: Spanned<schema::Fields>) -> Result<Fields, Wrong> {
    let f = f.into_inner();
    // Without `live`, every listed session is taken as not ended: an end time could never
    // be proven, and `--ended-for` would quietly select nothing.
    if let (Some(ended), None) = (&f.ended, &f.live) {
        return Err(wrong(
            ended,
            "`ended` needs `live` (with `live_value` where live is not `true`), which says whether a session is over: without it every listed session is taken as not ended",
        ));
    }
    let idle_since = idle_since(&f)?;
    let live = match (f.live, f.live_value) {
        (None, Some(v)) => return Err(wrong(&v, "`live_value` needs `live`")),
        (None, None) => None,
        (Some(p), v) => {
            let value = match v {
                None => serde_json::Value::Bool(true),
                Some(v) => match v.get_ref() {
                    toml::Value::String(_) | toml::Value::Boolean(_) | toml::Value::Integer(_) => {
                        serde_json::to_value(v.get_ref()).expect("a TOML scalar is JSON")
                    }
                    _ => return Err(wrong(&v, "live_value is a string, a boolean or an integer")),
                },
            };
            Some((pointer(&p)?, value))
        }
    };
    let time = match &f.time_format {
        None => TimeFormat::Rfc3339,
        Some(t) => match t.get_ref().as_str() {
            "rfc3339" => TimeFormat::Rfc3339,
            "unix_s" => TimeFormat::UnixSeconds,
            "unix_ms" => TimeFormat::UnixMillis,
            other => {
                return Err(wrong(
                    t,
                    format!("unknown time_format `{other}` (known: rfc3339, unix_s, unix_ms)"),
                ));
            }
        },
    };
    Ok(Fields {
        id: pointer(&f.id)?,
        activity: opt_pointer(f.activity)?,
        created: opt_pointer(f.created)?,
        ended: opt_pointer(f.ended)?,
        live,
        participants: opt_pointer(f.participants)?,
        idle_since,
        user: opt_pointer(f.user)?,
        room: opt_pointer(f.room)?,
        metadata: opt_pointer(f.metadata)?,
        time,
    })
}

/// What `--idle-for` measures from: `activity` when declared, or `idle_since = "created"`,
/// which needs `created` and `participants` (only a session known to be empty is idle since
/// it began) and no `activity` (one measure, never a choice made at run time).
fn idle_since(f: &schema::Fields) -> Result<Option<IdleSince>, Wrong> {
    let Some(at) = &f.idle_since else {
        return Ok(f.activity.as_ref().map(|_| IdleSince::Activity));
    };
    let needs = |key: &str, what: &str| {
        wrong(
            at,
            format!("`idle_since = \"{}\"` needs `{key}` ({what})", at.get_ref()),
        )
    };
    match at.get_ref().as_str() {
        "activity" => match f.activity {
            Some(_) => Ok(Some(IdleSince::Activity)),
            None => Err(needs("activity", "when each session was last used")),
        },
        "created" => {
            if f.activity.is_some() {
                return Err(wrong(
                    at,
                    "with `activity` declared, idleness is measured from it: drop `idle_since` (\"created\" is for a list without a last-activity field)",
                ));
            }
            if f.created.is_none() {
                return Err(needs("created", "when each session began"));
            }
            if f.participants.is_none() {
                return Err(needs(
                    "participants",
                    "only a session known to be empty is idle since it began",
                ));
            }
            Ok(Some(IdleSince::EmptySinceCreated))
        }
        other => Err(wrong(
            at,
            format!("unknown idle_since `{other}` (known: activity, created)"),
        )),
    }
}

/// Whether `{id}` is in one of `v`'s strings.
fn has_id(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains(ID),
        serde_json::Value::Array(a) => a.iter().any(has_id),
        serde_json::Value::Object(o) => o.values().any(has_id),
        _ => false,
    }
}

fn statuses(list: Vec<Spanned<u16>>) -> Result<Vec<u16>, Wrong> {
    (list.into_iter())
        .map(|s| answerable(&s, i64::from(*s.get_ref())))
        .collect()
}

/// `n` as a status a description may give a meaning: an HTTP status the client does not
/// act on itself (a 401 in `not_found` would never reach it: the run stops first).
fn answerable<T>(at: &Spanned<T>, n: i64) -> Result<u16, Wrong> {
    let n = match u16::try_from(n) {
        Ok(n @ 100..=599) => n,
        _ => return Err(wrong(at, format!("{n} is not an HTTP status"))),
    };
    match crate::client::http::taken_by_client(n) {
        Some(why) => Err(wrong(
            at,
            format!("{n} cannot answer for one session: it is {why}"),
        )),
        None => Ok(n),
    }
}

/// `already_ended` or `not_found`: statuses, or `{ status, code }` tables where the
/// description declares `error_code` (`coded`).
fn answers(list: Vec<Spanned<toml::Value>>, coded: bool) -> Result<Vec<Answer>, Wrong> {
    let status = |v: &Spanned<toml::Value>, n: Option<&toml::Value>| match n {
        Some(toml::Value::Integer(n)) => answerable(v, *n),
        _ => Err(wrong(
            v,
            "a status, or a table `{ status = 400, code = \"...\" }`",
        )),
    };
    (list.into_iter())
        .map(|v| match v.get_ref() {
            toml::Value::Table(t) => {
                if let Some(key) = t.keys().find(|k| !matches!(k.as_str(), "status" | "code")) {
                    return Err(wrong(&v, format!("unknown key `{key}` (known: status, code)")));
                }
                let code = match t.get("code") {
                    None => None,
                    Some(_) if !coded => {
                        return Err(wrong(
                            &v,
                            "a status with a `code` needs `error_code`, where an error body has its code",
                        ));
                    }
                    Some(toml::Value::String(c)) => Some(c.clone()),
                    Some(toml::Value::Integer(c)) => Some(c.to_string()),
                    Some(_) => return Err(wrong(&v, "a code is a string or an integer")),
                };
                Ok(Answer {
                    status: status(&v, t.get("status"))?,
                    code,
                })
            }
            one => Ok(Answer {
                status: status(&v, Some(one))?,
                code: None,
            }),
        })
        .collect()
}

fn call(c: Spanned<schema::Call>, what: &str, coded: bool) -> Result<Call, Wrong> {
    let at = c.span();
    let c = c.into_inner();
    // Words the delete prompt shows on the terminal: escaped there like an ID.
    let removes = match c.removes {
        Some(r) if what != "delete" => {
            return Err(wrong(
                &r,
                format!("`removes` says what a delete removes: not on {what}"),
            ));
        }
        Some(r) if r.get_ref().trim().is_empty() => {
            return Err(wrong(
                &r,
                "`removes` is empty: say what a delete removes, or leave it out",
            ));
        }
        Some(r) => Some(crate::terminal::escaped_line(r.get_ref())),
        None => None,
    };
    let m = method(&c.method)?;
    let path = template(&c.path)?;
    let body = match (c.json, c.form) {
        (Some(_), Some(form)) => {
            return Err(wrong(&form, "a body is `json` or `form`, not both"));
        }
        (Some(j), None) if m == Method::GET => {
            return Err(wrong(&j, format!("a GET {what} has no body")));
        }
        (Some(j), None) => Some(Body::Json(json(j.into_inner()))),
        (None, Some(f)) => Some(Body::Form(
            (f.into_inner().into_iter())
                .map(|(k, v)| (k, v.into_inner()))
                .collect(),
        )),
        (None, None) => None,
    };
    let in_body = match &body {
        Some(Body::Json(v)) => has_id(v),
        Some(Body::Form(f)) => f.iter().any(|(_, v)| v.contains(ID)),
        None => false,
    };
    if !path.contains(&Segment::Id) && !in_body {
        return Err(wrong(
            &c.path,
            format!("the {what} path (or its body) must have `{{id}}`, the session's ID"),
        ));
    }
    let done = match c.done {
        Some(d) => {
            let span = d.span();
            let d = statuses(d.into_inner())?;
            if d.is_empty() {
                return Err(Wrong {
                    span,
                    message: "`done` names at least one status".into(),
                });
            }
            d
        }
        None if what == "probe" => vec![200],
        None => {
            return Err(Wrong {
                span: at,
                message: format!("{what} needs `done`, the statuses that mean it was done"),
            });
        }
    };
    let already_ended = answers(c.already_ended, coded)?;
    let not_found = answers(c.not_found, coded)?;
    // A reply may mean one thing only: a status in two lists is one mistake, unless each
    // names a code of its own there.
    let done_answers: Vec<Answer> = (done.iter())
        .map(|&status| Answer { status, code: None })
        .collect();
    let lists = [&done_answers, &already_ended, &not_found];
    let clash = |a: &Answer, b: &Answer| {
        a.status == b.status && (a.code.is_none() || b.code.is_none() || a.code == b.code)
    };
    for (i, a) in lists.iter().enumerate() {
        for b in &lists[i + 1..] {
            if let Some(s) = a.iter().find(|x| b.iter().any(|y| clash(x, y))) {
                return Err(Wrong {
                    span: at,
                    message: format!(
                        "status {} is in two of done, already_ended and not_found",
                        s.status
                    ),
                });
            }
        }
    }
    Ok(Call {
        method: m,
        path,
        body,
        done,
        already_ended,
        not_found,
        removes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messaging description (src/provider/declared/examples/messaging.toml) with `edit` applied.
    const GOOD: &str = r#"
[auth]
style = "header"
header = "X-API-KEY"
value = "{key}"

[list]
path = "api/messaging/sessions"
rows = "/sessions"

[fields]
id = "/sessionId"
activity = "/lastActivity"

[end]
method = "DELETE"
path = "api/messaging/sessions/{id}"
done = [200]
not_found = [404]
"#;

    fn check(text: &str) -> Result<Api, (String, String)> {
        let d: schema::Description = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap();
            (text[span].to_owned(), e.message().to_owned())
        })?;
        Api::from(d, 0..0).map_err(|w| (text[w.span].to_owned(), w.message))
    }

    /// The error `text` with `from` replaced by `to` gets: what it points at, its message.
    fn error(from: &str, to: &str) -> (String, String) {
        assert!(GOOD.contains(from), "{from}");
        check(&GOOD.replacen(from, to, 1)).unwrap_err()
    }

    /// `removes` is the delete prompt's words: only on `delete`, never empty, and escaped.
    #[test]
    fn removes_says_what_a_delete_removes_and_nothing_else() {
        let on_end = error("not_found = [404]", "not_found = [404]\nremoves = \"x\"");
        assert_eq!(on_end.0, "\"x\"");
        assert!(on_end.1.contains("not on end"), "{on_end:?}");
        let as_delete = |removes: &str| {
            let text = format!(
                "{GOOD}\n[delete]\nmethod = \"DELETE\"\npath = \"s/{{id}}\"\ndone = [200]\nremoves = {removes}\n"
            );
            check(&text).map(|api| api.delete.unwrap().removes)
        };
        assert!(as_delete("\" \"").unwrap_err().1.contains("is empty"));
        let words = as_delete("\"each room\\u001b[2J\"").unwrap().unwrap();
        assert!(
            words.starts_with("each room") && !words.contains('\x1b'),
            "{words:?}"
        );
    }

    #[test]
    fn a_good_description_is_typed() {
        let api = check(GOOD).unwrap();
        assert_eq!(api.list.path, ["api", "messaging", "sessions"]);
        assert_eq!(api.list.paging, Paging::None);
        let end = api.end.unwrap();
        assert_eq!(end.path.last(), Some(&Segment::Id));
        assert_eq!(
            (end.done, end.not_found),
            (
                vec![200],
                vec![Answer {
                    status: 404,
                    code: None
                }]
            )
        );
        assert_eq!(api.fields.time, TimeFormat::Rfc3339);
    }

    #[test]
    fn each_mistake_is_reported_where_it_is_written() {
        let cases = [
            (
                "id = \"/sessionId\"",
                "id = \"sessionId\"",
                "\"sessionId\"",
                "must start with `/`",
            ),
            (
                "rows = \"/sessions\"",
                "rows = \"/a~2\"",
                "\"/a~2\"",
                "`~0` or `~1`",
            ),
            (
                "sessions/{id}\"",
                "sessions\"",
                "\"api/messaging/sessions\"",
                "must have `{id}`",
            ),
            (
                "sessions/{id}\"",
                "sessions/x{id}\"",
                "\"api/messaging/sessions/x{id}\"",
                "segment of its own",
            ),
            (
                "path = \"api/messaging/sessions\"",
                "path = \"/api/messaging/sessions\"",
                "\"/api/messaging/sessions\"",
                "relative to base_url",
            ),
            (
                "value = \"{key}\"",
                "value = \"Bearer\"",
                "\"Bearer\"",
                "`{key}` once",
            ),
            (
                "style = \"header\"",
                "style = \"oauth\"",
                "\"oauth\"",
                "unknown auth style",
            ),
            (
                "method = \"DELETE\"",
                "method = \"delete\"",
                "\"delete\"",
                "unknown method",
            ),
            (
                "done = [200]",
                "done = [200]\nalready_ended = [999]",
                "999",
                "not an HTTP status",
            ),
            (
                "done = [200]",
                "done = [200]\nalready_ended = [401]",
                "401",
                "refusing the credentials",
            ),
            (
                "done = [200]",
                "done = [200]\nalready_ended = [{ status = 429 }]",
                "{ status = 429 }",
                "rate limit",
            ),
            ("done = [200]", "done = [200, 503]", "503", "retries"),
            (
                "activity = \"/lastActivity\"",
                "activity = \"/lastActivity\"\ntime_format = \"iso\"",
                "\"iso\"",
                "unknown time_format",
            ),
            (
                "activity = \"/lastActivity\"",
                "live_value = 1",
                "1",
                "needs `live`",
            ),
            (
                "activity = \"/lastActivity\"",
                "ended = \"/endedAt\"",
                "\"/endedAt\"",
                "`ended` needs `live`",
            ),
            (
                "activity = \"/lastActivity\"",
                "activity = \"/lastActivity\"\nidle_since = \"created\"",
                "\"created\"",
                "drop `idle_since`",
            ),
            (
                "activity = \"/lastActivity\"",
                "participants = \"/n\"\nidle_since = \"created\"",
                "\"created\"",
                "needs `created`",
            ),
            (
                "activity = \"/lastActivity\"",
                "created = \"/createdAt\"\nidle_since = \"created\"",
                "\"created\"",
                "needs `participants`",
            ),
            (
                "activity = \"/lastActivity\"",
                "idle_since = \"activity\"",
                "\"activity\"",
                "needs `activity`",
            ),
            (
                "activity = \"/lastActivity\"",
                "activity = \"/lastActivity\"\nidle_since = \"seen\"",
                "\"seen\"",
                "unknown idle_since",
            ),
        ];
        for (from, to, at, says) in cases {
            let (got_at, message) = error(from, to);
            assert_eq!(got_at, at, "{to}: {message}");
            assert!(message.contains(says), "{to}: {message}");
        }
    }

    /// `--idle-for` measures from `activity` where it is declared, from `created` on an
    /// empty session where the description says so, and from nothing otherwise.
    #[test]
    fn idle_since_is_activity_when_declared_and_created_only_when_asked() {
        let idle = |from: &str, to: &str| check(&GOOD.replacen(from, to, 1)).unwrap();
        let activity = "activity = \"/lastActivity\"";
        assert_eq!(
            idle(activity, activity).fields.idle_since,
            Some(IdleSince::Activity)
        );
        assert_eq!(idle(activity, "").fields.idle_since, None);
        let created = "created = \"/start\"\nparticipants = \"/n\"\nidle_since = \"created\"";
        assert_eq!(
            idle(activity, created).fields.idle_since,
            Some(IdleSince::EmptySinceCreated)
        );
    }

    #[test]
    fn an_error_message_is_one_pointer_or_a_list_of_them() {
        let with = |m: &str| check(&format!("error_message = {m}\n{GOOD}"));
        assert_eq!(with("\"/msg\"").unwrap().error_message, ["/msg"]);
        let api = with("[\"/error/message\", \"/message\"]").unwrap();
        assert_eq!(api.error_message, ["/error/message", "/message"]);
        for bad in ["[\"/a\", \"b\"]", "[]", "[1]", "3"] {
            let (at, _) = with(bad).unwrap_err();
            assert_eq!(at, bad);
        }
    }

    #[test]
    fn an_unknown_key_is_refused_where_it_is() {
        let (at, message) = error("rows = ", "colour = 1\nrows = ");
        assert_eq!(at, "colour");
        assert!(message.contains("unknown field `colour`"), "{message}");
    }

    #[test]
    fn a_paging_style_needs_its_parameters_and_no_others() {
        let paged = |paging: &str| {
            let text = GOOD.replacen(
                "[fields]",
                &format!("[list.paging]\n{paging}\n\n[fields]"),
                1,
            );
            check(&text)
        };
        let refused = |paging: &str, says: &str| {
            let (_, message) = paged(paging).unwrap_err();
            assert!(message.contains(says), "{paging}: {message}");
        };
        refused("style = \"page\"", "`page` needs `param`");
        refused(
            "style = \"cursor\"\nparam = \"after\"",
            "`next` or `next_from_row`",
        );
        refused("style = \"none\"\nparam = \"p\"", "takes no `param`");
        refused("style = \"link\"\nnext = \"/n\"", "takes no `next`");
        refused(
            "style = \"page\"\nparam = \"p\"\nstop = \"short\"",
            "needs `size`",
        );
        refused("style = \"scroll\"", "unknown paging style");
        refused(
            "style = \"offset\"\nparam = \"o\"\nsize_param = \"n\"",
            "needs `size`",
        );
        let api = paged(
            "style = \"cursor\"\nparam = \"starting_after\"\nnext_from_row = \"/id\"\nsize = 100\nsize_param = \"limit\"\nstop = \"short\"",
        );
        assert!(api.is_err(), "a cursor stops where the server says");
        let api = paged("style = \"cursor\"\nparam = \"starting_after\"\nnext_from_row = \"/id\"\nsize = 100\nsize_param = \"limit\"").unwrap();
        assert_eq!(
            api.list.paging,
            Paging::Cursor {
                param: "starting_after".into(),
                from: CursorFrom::LastRow("/id".into()),
                size: Some(Size {
                    rows: 100,
                    param: Some("limit".into())
                }),
            }
        );
    }

    /// Twilio's `next_page_url`: a pointer to the next page's whole URL.
    #[test]
    fn next_url_paging_needs_the_pointer_to_the_next_page_s_url() {
        let paged = |paging: &str| {
            check(&GOOD.replacen(
                "[fields]",
                &format!("[list.paging]\n{paging}\n\n[fields]"),
                1,
            ))
        };
        let (at, message) = paged("style = \"next_url\"").unwrap_err();
        assert!(
            message.contains("`next_url` needs `next`"),
            "{at}: {message}"
        );
        let (at, _) = paged("style = \"next_url\"\nnext = \"/n\"\nparam = \"p\"").unwrap_err();
        assert_eq!(at, "\"p\"");
        let api = paged("style = \"next_url\"\nnext = \"/meta/next_page_url\"\nsize = 50\nsize_param = \"PageSize\"").unwrap();
        assert_eq!(
            api.list.paging,
            Paging::NextUrl {
                next: "/meta/next_page_url".into(),
                size: Some(Size {
                    rows: 50,
                    param: Some("PageSize".into())
                }),
            }
        );
    }

    /// Twilio's "not in progress" is a 400 like any bad request: only its code tells.
    #[test]
    fn a_status_may_need_the_error_s_code_too() {
        let coded = "already_ended = [{ status = 400, code = 53112 }]";
        let (at, message) = error("not_found = [404]", &format!("not_found = [404]\n{coded}"));
        assert_eq!(at, "{ status = 400, code = 53112 }");
        assert!(message.contains("needs `error_code`"), "{message}");
        let with_code = |extra: &str| {
            let text = format!(
                "error_code = \"/code\"\n{}",
                GOOD.replacen("not_found = [404]", extra, 1)
            );
            check(&text)
        };
        let end = with_code(&format!("not_found = [404]\n{coded}"))
            .unwrap()
            .end
            .unwrap();
        let answer = &end.already_ended[0];
        assert!(answer.is(400, Some("53112")));
        assert!(!answer.is(400, Some("21201")) && !answer.is(400, None));
        // One status for two outcomes, told apart by their codes; without one, a clash.
        let two = "not_found = [{ status = 404, code = \"not_found\" }]\nalready_ended = [{ status = 404, code = \"gone\" }]";
        assert!(with_code(two).is_ok());
        let (_, message) =
            with_code("not_found = [404]\nalready_ended = [{ status = 404, code = \"gone\" }]")
                .unwrap_err();
        assert!(message.contains("status 404 is in two"), "{message}");
        for (bad, says) in [
            ("{ status = 40 }", "not an HTTP status"),
            ("{ status = 404, colour = 1 }", "unknown key `colour`"),
            ("\"404\"", "a status, or a table"),
        ] {
            let (at, message) = with_code(&format!("not_found = [{bad}]")).unwrap_err();
            assert_eq!(at, bad);
            assert!(message.contains(says), "{bad}: {message}");
        }
    }

    #[test]
    fn the_id_may_go_in_the_body_as_livekit_wants() {
        let text = GOOD.replacen(
            "path = \"api/messaging/sessions/{id}\"",
            "path = \"twirp/livekit.RoomService/DeleteRoom\"\njson = { room = \"{id}\" }",
            1,
        );
        let end = check(&text).unwrap().end.unwrap();
        assert_eq!(
            end.body,
            Some(Body::Json(serde_json::json!({"room": "{id}"})))
        );
        let form = GOOD.replacen(
            "done = [200]",
            "form = { Status = \"completed\" }\ndone = [202]",
            1,
        );
        let end = check(&form).unwrap().end.unwrap();
        assert_eq!(
            end.body,
            Some(Body::Form(vec![("Status".into(), "completed".into())]))
        );
    }

    #[test]
    fn statuses_mean_one_thing_and_an_action_is_described() {
        let (_, message) = error("not_found = [404]", "not_found = [200]");
        assert!(message.contains("status 200 is in two"), "{message}");
        let (_, message) = error("done = [200]\n", "");
        assert!(message.contains("end needs `done`"), "{message}");
        let text = GOOD.split("[end]").next().unwrap();
        let d: schema::Description = toml::from_str(text).unwrap();
        let wrong = Api::from(d, 0..0).unwrap_err();
        assert!(
            wrong.message.contains("needs `end` or `delete`"),
            "{wrong:?}"
        );
    }
}
