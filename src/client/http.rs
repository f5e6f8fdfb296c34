//! The one HTTP layer every provider goes through: client set-up, URL building, auth,
//! timeouts, retries with back-off, rate limiting and error-body parsing.
//!
//! Keeping this in one place is what lets a provider file be nothing but its wire
//! contract: providers build a [`Request`], get a [`Reply`] (any status) or a [`Failure`]
//! (no usable reply after every retry), and map those to outcomes.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, redirect};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::client::pacer::{Hold, Holds, Pacer, Wait};
use crate::client::redact::Redact;
use crate::outcome::ErrorKind;

/// Statuses worth another try, as the official SDKs have it: the server may well answer
/// differently in a moment. 400/401/403/404/409/422 are answers, not accidents, and so are
/// 501 (not implemented) and 505 (HTTP version): never retried.
fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429)
        || (status.is_server_error() && !matches!(status.as_u16(), 501 | 505))
}

/// Why the client itself acts on `status`, so that no provider can give it a meaning of
/// its own for one session (a declared description's `done`, `not_found`, …): a 401 stops
/// the profile's run, the retryable ones are sent again before any provider sees them.
pub fn taken_by_client(status: u16) -> Option<&'static str> {
    match StatusCode::from_u16(status) {
        Ok(s) if s == StatusCode::UNAUTHORIZED => {
            Some("the server refusing the credentials: a run stops sending on it")
        }
        Ok(s) if s == StatusCode::TOO_MANY_REQUESTS => {
            Some("the server's rate limit: the client waits and sends again")
        }
        Ok(s) if retryable(s) => Some("a passing fault the client retries"),
        _ => None,
    }
}

/// A wait longer than this is logged (`-v`) with what holds the run back.
const LOG_WAIT: Duration = Duration::from_secs(1);

/// Most of an error body we keep: enough for any real message (only its first 300
/// characters are shown), small enough that a server answering 50 MB (or never finishing)
/// to every request in flight costs nothing.
const ERROR_BODY_CAP: usize = 4 * 1024;
/// Most of a successful body we accept (any reply but a [`Request::streamed`] list); anything
/// larger is refused.
const BODY_CAP: usize = 16 * 1024 * 1024;
/// What any reply may hold while it is read. A reply growing past it waits for [`LARGE`],
/// so that replies in flight hold at most `concurrency` × this plus one [`BODY_CAP`]
/// together, whatever `--concurrency` is (the cap alone let 64 huge replies take 1 GiB).
const SMALL_BODY: usize = 64 * 1024;
/// The one permit to read a reply past [`SMALL_BODY`], shared by every request of the
/// process. Held only while reading (never while a caller decodes or sends), so no request
/// can wait on another that waits on it.
static LARGE: Semaphore = Semaphore::const_new(1);
/// A [`Request::streamed`] reply (a whole list, of any size) may take this many `timeout`s
/// in all, as long as no chunk is a `timeout` late: a million sessions take longer to send
/// than one reply should, a server trickling bytes is still cut off.
const STREAMED_TIMEOUTS: u32 = 10;
/// Same-host redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;
/// First back-off step; it doubles per attempt up to the profile's `max_backoff`.
const BASE_BACKOFF: Duration = Duration::from_millis(500);

/// A path segment [`Http::url`] refuses to build a URL with (empty, `.` or `..`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` cannot be a path segment (it would change the route); nothing sent")]
pub struct BadSegment(String);

/// Why no usable reply came back.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// No connection to the server (refused, unresolvable): `to` is its origin, so that the
    /// message says where, and `why` the innermost cause.
    #[error("cannot connect to {to}: {why}")]
    Connect { to: String, why: String },
    /// The connection broke after the request may have gone out.
    #[error("connection failed: {0}")]
    Transport(String),
    #[error("reply broken off: {0}")]
    Body(String),
    #[error("reply larger than {} MiB", BODY_CAP >> 20)]
    TooLarge,
    #[error("redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects,
    #[error("TLS: {0}")]
    Tls(String),
    /// Never sent (again): the run was interrupted while the request waited its turn; with
    /// the kind of what it waited for (a rate limit, or a retry's back-off).
    #[error("{0}; interrupted before it was sent: nothing was done")]
    NotSent(String, ErrorKind),
    /// Never sent: the provider's next allowed start is past the run's `--deadline`; with
    /// the kind of what it waited for.
    #[error("not sent: {0}")]
    PastDeadline(String, ErrorKind),
    /// Never sent: that it was being sent could not be recorded in the journal.
    #[error("not sent: the journal could not be written")]
    Unrecorded,
    /// Never sent (again): the provider answered an earlier request of this run 401, so it
    /// refuses these credentials, and every request would only be refused too.
    #[error(
        "not sent: the provider refused the credentials (HTTP 401) to an earlier request of this run; check the key"
    )]
    Refused,
}

impl HttpError {
    /// The kind of problem, in the vocabulary every result uses.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HttpError::Timeout(_) => ErrorKind::Timeout,
            HttpError::Connect { .. } => ErrorKind::Unreachable,
            HttpError::Transport(_) | HttpError::Tls(_) => ErrorKind::Other,
            HttpError::Body(_) | HttpError::TooLarge | HttpError::TooManyRedirects => {
                ErrorKind::Protocol
            }
            HttpError::NotSent(_, kind) | HttpError::PastDeadline(_, kind) => *kind,
            HttpError::Unrecorded => ErrorKind::Other,
            HttpError::Refused => ErrorKind::Unauthenticated,
        }
    }

    /// The message for a request that ends so after `attempts` tries: one refused earlier
    /// (a 429) and not tried again was sent, so "not sent" alone would claim too little
    /// happened; it says "not sent again".
    pub fn describe(&self, attempts: u32) -> String {
        let again = if attempts > 0 { " again" } else { "" };
        match self {
            HttpError::NotSent(what, _) => {
                format!("{what}; interrupted before it was sent{again}: nothing was done")
            }
            HttpError::PastDeadline(what, _) => format!("not sent{again}: {what}"),
            HttpError::Refused => format!(
                "not sent{again}: the provider refused the credentials (HTTP 401) to an earlier request of this run; check the key"
            ),
            other => other.to_string(),
        }
    }

    /// What a request given up on waited for (`rate limited (429)`, a hold), without the
    /// conclusion the message draws from it.
    pub fn waited_for(&self) -> Option<&str> {
        match self {
            HttpError::NotSent(what, _) | HttpError::PastDeadline(what, _) => Some(what),
            _ => None,
        }
    }

    /// Not sent now: it can simply be run again (what an earlier attempt met is in
    /// [`Failure::earlier`]).
    pub fn nothing_done(&self) -> bool {
        matches!(
            self,
            HttpError::NotSent(..)
                | HttpError::PastDeadline(..)
                | HttpError::Unrecorded
                | HttpError::Refused
        )
    }
}

impl HttpError {
    /// Transport trouble may clear up; a redirect loop, an oversized reply or a certificate
    /// we refuse will not.
    fn retryable(&self) -> bool {
        !matches!(
            self,
            HttpError::TooManyRedirects
                | HttpError::TooLarge
                | HttpError::Tls(_)
                | HttpError::NotSent(..)
                | HttpError::PastDeadline(..)
                | HttpError::Unrecorded
                | HttpError::Refused
        )
    }
}

/// A request that failed for good, with how many attempts it took.
#[derive(Debug, Clone)]
pub struct Failure {
    pub error: HttpError,
    pub attempts: u32,
    /// Given up on while rate limited after an attempt that was not: what that one met.
    pub earlier: Option<Earlier>,
}

/// What the last attempt before a rate limit met, when it was not a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Earlier {
    /// An answer with this status: the server said what became of it.
    Answered(u16),
    /// No answer after the request went out: it may have been applied.
    Lost,
}

/// A complete reply, whatever its status.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub attempts: u32,
    /// An earlier attempt's reply was lost after the request went out (a timeout, a broken
    /// connection): the server may have applied it, so a 404 now may be our own doing.
    pub earlier_lost: bool,
    /// Where the provider puts its message in an error body.
    message_of: MessageOf,
    /// The credentials it may echo, masked in every text made from it.
    redact: Redact,
    /// A successful reply to a [`Request::streamed`] request: its body, still unread.
    unread: Option<reqwest::Response>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// Decodes a JSON body; the error says what was wrong without echoing the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, String> {
        // A web page is named as one only when it does not decode: a server may label its
        // JSON text/html.
        serde_json::from_slice(&self.body).map_err(|e| {
            (self.web_page())
                .unwrap_or_else(|| self.redact.apply(&format!("malformed reply body: {e}")))
        })
    }

    /// Why a reply that says it is a web page (`text/html`) is not the JSON asked for: what
    /// a web app on the port a base_url names sends to every path, where "expected value at
    /// line 1 column 1" would say nothing of it.
    fn web_page(&self) -> Option<String> {
        let kind = self
            .headers
            .get(reqwest::header::CONTENT_TYPE)?
            .to_str()
            .ok()?;
        if !kind
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("text/html")
        {
            return None;
        }
        let size = match &self.unread {
            Some(resp) => resp.content_length().map(|n| format!(" ({n} bytes)")),
            None => Some(format!(" ({} bytes)", self.body.len())),
        };
        Some(format!(
            "HTTP {} with text/html{} is a web page, not this provider's JSON: is base_url another server?",
            self.status.as_u16(),
            size.unwrap_or_default()
        ))
    }

    /// The message where its provider puts one in a JSON error body; `None` for any other
    /// body (a generic router's `404 page not found`, a web page): what tells a provider's
    /// own 404 from a route the server does not have.
    pub fn provider_message(&self) -> Option<String> {
        let parsed: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        self.message_of.of(&parsed).map(|m| self.redact.apply(&m))
    }

    /// Decodes a JSON body as it arrives, for a [`Request::streamed`] reply of any size:
    /// the decoder (on a blocking thread, as serde_json reads synchronously) takes chunks
    /// from a short queue, so a list of a million rows holds its rows, never its text.
    pub async fn json_streamed<T: DeserializeOwned + Send + 'static>(self) -> Result<T, String> {
        self.json_streamed_seed(std::marker::PhantomData::<T>).await
    }

    /// [`Reply::json_streamed`] with a seed: one that hands each row on as it is decoded (see
    /// `provider::RowStream`) lets a list of any size pass through holding none of it.
    pub async fn json_streamed_seed<S>(self, seed: S) -> Result<S::Value, String>
    where
        // `'static`: the decoder reads (`from_reader`), so nothing borrows from the text.
        S: serde::de::DeserializeSeed<'static> + Send + 'static,
        S::Value: Send + 'static,
    {
        // Said instead of a decode error, as in `json`.
        let page = self.web_page();
        let redact = self.redact;
        let Some(mut resp) = self.unread else {
            // On a blocking thread too: a seed may wait on its reader (`blocking_send`).
            let body = self.body;
            let decoded = tokio::task::spawn_blocking(move || {
                let mut de = serde_json::Deserializer::from_reader(&body[..]);
                seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v))
            });
            let decoded = (decoded.await).map_err(|e| format!("decoding the reply: {e}"))?;
            return decoded.map_err(|e| {
                page.unwrap_or_else(|| redact.apply(&format!("malformed reply body: {e}")))
            });
        };
        let (tx, rx) = tokio::sync::mpsc::channel(8);
        let decoder = tokio::task::spawn_blocking(move || {
            let reader = ChunkReader {
                rx,
                chunk: bytes::Bytes::new(),
            };
            let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
            seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v))
        });
        loop {
            let chunk = match resp.chunk().await {
                Ok(Some(chunk)) => Ok(chunk),
                Ok(None) => break,
                Err(e) => Err(std::io::Error::other(format!("reply broken off: {e}"))),
            };
            let failed = chunk.is_err();
            // The decoder hung up: it has its answer (or its error) without the rest.
            if tx.send(chunk).await.is_err() || failed {
                break;
            }
        }
        drop(tx);
        let decoded = decoder
            .await
            .map_err(|e| format!("decoding the reply: {e}"))?;
        decoded.map_err(|e| match e.io_error_kind() {
            Some(_) => e.to_string(),
            None => page.unwrap_or_else(|| redact.apply(&format!("malformed reply body: {e}"))),
        })
    }

    /// The server's own message: where its provider puts it in a JSON body, else the body's
    /// text, else the status's reason.
    pub fn error_message(&self) -> String {
        if self.status.is_redirection() {
            let to = self.headers.get(reqwest::header::LOCATION);
            let to = to.map_or("?".into(), |l| {
                self.redact.apply(&without_query(l.as_bytes()))
            });
            return truncate(
                &format!(
                    "redirected ({}) to {to}: not followed (only 307/308 to the same host keep the method)",
                    self.status.as_u16()
                ),
                300,
            );
        }
        let text = (self.provider_message())
            .unwrap_or_else(|| self.redact.apply(&String::from_utf8_lossy(&self.body)));
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = if text.is_empty() {
            self.status
                .canonical_reason()
                .unwrap_or("no message")
                .to_owned()
        } else {
            text
        };
        truncate(&text, 300)
    }
}

/// A `Read` over the chunks of a body, for a decoder on a blocking thread.
struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>,
    chunk: bytes::Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.chunk = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// One request, before it is sent (and possibly re-sent).
#[derive(Debug)]
pub struct Request {
    method: Method,
    url: Url,
    json: Option<serde_json::Value>,
    /// A form-encoded body (Twilio's `Status=completed`), encoded.
    form: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// A 409 is worth another try (see [`Request::idempotent`]).
    retry_conflict: bool,
    /// It only reads, whatever its method (see [`Request::reads`]).
    reads: bool,
    /// A successful reply's body is left for [`Reply::json_streamed`] (see
    /// [`Request::streamed`]).
    streamed: bool,
}

impl Request {
    pub fn new(method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            json: None,
            form: None,
            headers: Vec::new(),
            retry_conflict: false,
            reads: false,
            streamed: false,
        }
    }

    /// A POST that only reads (Zep v4's `POST /lookup`): its sending is no attempt on the
    /// sessions it names.
    pub fn reads(mut self) -> Request {
        self.reads = true;
        self
    }

    /// It may change the sessions it is for: anything but a read.
    fn changes(&self) -> bool {
        !self.reads && !matches!(self.method, Method::GET | Method::HEAD)
    }

    /// A list: a successful reply may be of any size, so it is not read into memory (nor
    /// refused past [`BODY_CAP`]) but decoded as it arrives, by [`Reply::json_streamed`].
    /// Error replies are read, and capped, as any other.
    pub fn streamed(mut self) -> Request {
        self.streamed = true;
        self
    }

    pub fn json(mut self, body: serde_json::Value) -> Request {
        self.json = Some(body);
        self
    }

    /// `pairs` as an `application/x-www-form-urlencoded` body.
    pub fn form<'a>(mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Request {
        let mut encoded = url::form_urlencoded::Serializer::new(String::new());
        encoded.extend_pairs(pairs);
        self.form = Some(encoded.finish());
        self
    }

    /// Sends `key` as the `Idempotency-Key` of every attempt. The server then treats a
    /// repeat as the same request, and its 409 (the same key still being processed) is a
    /// moment's conflict worth a retry, as the official SDKs treat it.
    pub fn idempotent(mut self, key: &str) -> Request {
        self.retry_conflict = true;
        self.header("idempotency-key", key)
    }

    fn retryable(&self, status: StatusCode) -> bool {
        retryable(status) || (self.retry_conflict && status == StatusCode::CONFLICT)
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Request {
        let value = HeaderValue::from_str(value).expect("header values we build are ASCII");
        self.headers.push((HeaderName::from_static(name), value));
        self
    }
}

/// The shared client for one profile: connection pool, auth, retry and rate policy.
pub struct Http {
    client: reqwest::Client,
    base: Url,
    auth: Vec<(HeaderName, HeaderValue)>,
    timeout: Duration,
    retries: u32,
    max_backoff: Duration,
    /// When each request may start: the provider's limit, learned or announced, under the
    /// `--rate` ceiling. Shared by every request of the run to this provider.
    pacer: Pacer,
    /// Where a request that waits for its turn says so, for the progress display.
    holds: Holds,
    error_message: MessageOf,
    /// No request starts after this (`--deadline`): the rest are `skipped`.
    deadline: Option<Instant>,
    /// One permit per request in flight: `--concurrency` bounds requests, not batches, so a
    /// v4 batch of lookups and deletes or a task poll counts the same as any other call.
    in_flight: Semaphore,
    /// Cancelled by the first Ctrl-C: back-off pauses end early and no retry is sent.
    stop: CancellationToken,
    /// The credentials [`Http::auth`] sends, kept out of what is made of every reply.
    redact: Redact,
    /// Set by the first 401: the provider refuses these credentials, so no request starts
    /// after it, not even one that was already waiting its turn or out a 429 (a run's halt
    /// only stops batches not yet started).
    refused: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// What a client needs to know: plain values, no profile, so that the client layer can be
/// built and tested on its own.
pub struct ClientOptions {
    pub base_url: Url,
    /// The provider's auth headers (none without a key); marked sensitive so that neither
    /// Debug output nor a redirect to another host can carry them away.
    pub auth: Vec<(HeaderName, HeaderValue)>,
    /// The key those headers carry, never sent as it is: what a reply that quotes it back
    /// has masked ([`Redact`]), whatever text a header template put around it.
    pub key: Option<SecretString>,
    /// Per request.
    pub timeout: Duration,
    /// Retries of 408/5xx/transport errors (a 429 spends none).
    pub retries: u32,
    /// Longest blind back-off.
    pub max_backoff: Duration,
    /// Requests per second at most.
    pub rate: Option<f64>,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// No request starts after this.
    pub deadline: Option<Instant>,
    /// The provider's message in a JSON error body.
    pub error_message: MessageOf,
}

/// Where a provider puts its message in a JSON error body (`None`: this body is not in its
/// error shape): a built-in provider's function, or what a declared one's description says
/// (read at run time, so a closure, not a `fn`). Cheap to clone: each reply holds one.
#[derive(Clone)]
pub struct MessageOf(Arc<FindMessage>);

type FindMessage = dyn Fn(&serde_json::Value) -> Option<String> + Send + Sync;

impl MessageOf {
    pub fn new(of: impl Fn(&serde_json::Value) -> Option<String> + Send + Sync + 'static) -> Self {
        MessageOf(Arc::new(of))
    }

    /// The message in `body`, where the provider puts one.
    pub fn of(&self, body: &serde_json::Value) -> Option<String> {
        (self.0)(body)
    }
}

impl std::fmt::Debug for MessageOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageOf")
    }
}

impl Http {
    /// `stop` is the run's first interrupt; `holds` where waiting requests say why.
    pub fn new(opts: ClientOptions, stop: CancellationToken, holds: Holds) -> Http {
        // rustls needs one process-wide crypto provider; a second install is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let origin = opts.base_url.clone();
        let client = reqwest::Client::builder()
            .user_agent(concat!("sessionctl/", env!("CARGO_PKG_VERSION")))
            .timeout(opts.timeout)
            // A streamed list may take longer in all (see `STREAMED_TIMEOUTS`), never
            // longer than this between two chunks.
            .read_timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .redirect(redirect::Policy::custom(move |attempt| {
                // 301/302/303 turn a POST or DELETE into a GET that changes nothing; the
                // provider must see the 3xx, never report success for it.
                let keeps_method = matches!(attempt.status().as_u16(), 307 | 308);
                if !keeps_method {
                    attempt.stop()
                } else if attempt.previous().len() > MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if attempt.url().host_str() != origin.host_str()
                    || attempt.url().port_or_known_default() != origin.port_or_known_default()
                {
                    // Another host must never see our credentials: hand the 3xx back.
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .expect("a client with these settings always builds");
        let redact = Redact::new(&opts.auth, opts.key.as_ref().map(|k| k.expose_secret()));
        let auth = (opts.auth.into_iter())
            .map(|(name, mut value)| {
                value.set_sensitive(true);
                (name, value)
            })
            .collect();
        Http {
            client,
            base: opts.base_url,
            auth,
            timeout: opts.timeout,
            retries: opts.retries,
            max_backoff: opts.max_backoff,
            pacer: Pacer::new(opts.rate),
            holds,
            error_message: opts.error_message,
            deadline: opts.deadline,
            in_flight: Semaphore::new(opts.concurrency),
            stop,
            redact,
            refused: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The base URL with `segments` appended, each percent-encoded as exactly ONE path
    /// segment: an ID like `a b/c?d` can never become extra path or a query. An empty, `.`
    /// or `..` segment is refused: `url` would silently drop or fold it and the request
    /// would go to another route (`DELETE /sessions/../memory` is `DELETE /memory`). IDs
    /// are checked before they get here ([`crate::ids::SessionId`]); this holds on its own.
    pub fn url(&self, segments: &[&str]) -> Result<Url, BadSegment> {
        if let Some(bad) = segments.iter().find(|s| matches!(**s, "" | "." | "..")) {
            return Err(BadSegment((*bad).to_owned()));
        }
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("http(s) URLs have a path")
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// Sends `req`, retrying what is worth retrying. Any reply that is not retryable (or
    /// is the last try) comes back as `Ok`, whatever its status.
    pub async fn send(&self, req: Request) -> Result<Reply, Failure> {
        let mut attempt = 0;
        // Retries spent on errors; a 429 spends none (a rate limit is not a failure).
        let mut failures = 0;
        // 429s this request met: each one without a usable wait backs off further.
        let mut throttled = 0;
        let mut lost = false;
        // Every attempt so far was turned away by a rate limit or never connected: only
        // then may a request that is given up on claim that nothing was done.
        let mut untouched = true;
        // The last attempt that may have been applied, and what it met.
        let mut earlier: Option<Earlier> = None;
        let mut last: Option<Result<Reply, HttpError>> = None;
        loop {
            attempt += 1;
            let permit = self.in_flight.acquire().await.expect("never closed");
            if let Err(error) = self.wait_turn().await {
                self.pacer.forget(); // reserved, never sent
                // Waiting out a rate limit, the session is not sent now (`skipped`), even
                // after an attempt that may have been applied (said in `earlier`); after
                // any other answer, that answer stands.
                return match last {
                    Some(last) if !untouched && !rate_limited(&last) => {
                        settle(last, attempt - 1, lost)
                    }
                    _ => Err(Failure {
                        error,
                        attempts: attempt - 1,
                        earlier,
                    }),
                };
            }
            // After every wait: credentials refused meanwhile are refused for this one too.
            if self.refused.load(std::sync::atomic::Ordering::Acquire) {
                self.pacer.forget(); // reserved, never sent
                return match last {
                    Some(last) if !untouched && !rate_limited(&last) => {
                        settle(last, attempt - 1, lost)
                    }
                    _ => Err(Failure {
                        error: HttpError::Refused,
                        attempts: attempt - 1,
                        earlier,
                    }),
                };
            }
            // Right before it is written, after every wait: only now is it an attempt.
            if !crate::client::tally::attempt(req.changes()) {
                self.pacer.forget(); // reserved, never sent
                return Err(Failure {
                    error: HttpError::Unrecorded,
                    attempts: attempt - 1,
                    earlier,
                });
            }
            let started = Instant::now();
            let result = self.send_once(&req).await;
            drop(permit);
            let lost_now = matches!(&result, Err((_, true)));
            untouched &= match &result {
                Ok(reply) => reply.status == StatusCode::TOO_MANY_REQUESTS,
                Err(_) => !lost_now,
            };
            match &result {
                Ok(reply) if reply.status != StatusCode::TOO_MANY_REQUESTS => {
                    earlier = Some(Earlier::Answered(reply.status.as_u16()));
                }
                Err(_) if lost_now => earlier = Some(Earlier::Lost),
                _ => {}
            }
            let result = result.map_err(|(e, _)| e);
            let delay =
                match &result {
                    Ok(reply) => {
                        tracing::info!(
                            "{} {} -> {} in {:?}",
                            req.method,
                            req.url,
                            reply.status.as_u16(),
                            started.elapsed()
                        );
                        tracing::trace!("{}", reply_detail(reply));
                        let hint = server_hint(&reply.headers, reply.status);
                        self.pacer
                            .observe(reply.status, &reply.headers, hint, Instant::now());
                        if reply.status != StatusCode::TOO_MANY_REQUESTS {
                            self.holds.answered(Instant::now());
                        }
                        if reply.status == StatusCode::UNAUTHORIZED {
                            self.refused
                                .store(true, std::sync::atomic::Ordering::Release);
                        }
                        if reply.status == StatusCode::TOO_MANY_REQUESTS {
                            throttled += 1;
                            Some(self.throttle_delay(hint, throttled))
                        } else if req.retryable(reply.status) && failures < self.retries {
                            failures += 1;
                            Some(hint.map_or_else(
                                || self.backoff(failures),
                                |h| h.min(self.max_backoff),
                            ))
                        } else {
                            None
                        }
                    }
                    Err(e) => {
                        self.pacer.forget();
                        tracing::info!("{} {} -> {e}", req.method, req.url);
                        (e.retryable() && failures < self.retries).then(|| {
                            failures += 1;
                            self.backoff(failures)
                        })
                    }
                };
            let Some(delay) = delay else {
                return settle(result, attempt, lost);
            };
            let status = result.as_ref().ok().map(|r| r.status);
            let what = status.map_or_else(|| "no reply".to_owned(), |s| s.as_u16().to_string());
            // Logged before the pause, with what it answered, so that a slow run says why.
            let answer = match &result {
                Ok(reply) => reply.status.to_string(),
                Err(e) => e.to_string(),
            };
            tracing::debug!(
                "{} {} -> {answer}: retrying in {} (attempt {attempt})",
                req.method,
                req.url,
                crate::units::human(delay)
            );
            let limited = status == Some(StatusCode::TOO_MANY_REQUESTS);
            if self.deadline.is_some_and(|d| Instant::now() + delay > d) {
                if !untouched && !limited {
                    return settle(result, attempt, lost); // it may have been done: say what we know
                }
                // Rate limited, or never connected: not sent now.
                let (wait, kind) = match status {
                    Some(StatusCode::TOO_MANY_REQUESTS) => {
                        (Hold::Asked.describe(delay), ErrorKind::RateLimited)
                    }
                    _ => (
                        format!(
                            "the next try was due in {} ({what})",
                            crate::units::human(delay.max(Duration::from_secs(1)))
                        ),
                        status.map_or(ErrorKind::Other, |s| ErrorKind::from_status(s.as_u16())),
                    ),
                };
                return Err(Failure {
                    error: HttpError::PastDeadline(
                        format!("{wait}; past the run's deadline"),
                        kind,
                    ),
                    attempts: attempt,
                    earlier,
                });
            }
            self.holds.said(format!(
                "the provider last answered {answer} (retrying in {})",
                crate::units::human(delay)
            ));
            if !self.pause(delay).await {
                // Interrupted. Waiting out a rate limit, it is not sent now (an earlier
                // attempt that may have been applied is said in `earlier`). Otherwise the
                // last answer stands.
                if limited {
                    return Err(Failure {
                        error: HttpError::NotSent(
                            "rate limited (429)".into(),
                            ErrorKind::RateLimited,
                        ),
                        attempts: attempt,
                        earlier,
                    });
                }
                return settle(result, attempt, lost);
            }
            lost |= lost_now;
            last = Some(result);
        }
    }

    /// One attempt. An error comes with whether the request may have reached the server
    /// (anything but a failure to connect).
    async fn send_once(&self, req: &Request) -> Result<Reply, (HttpError, bool)> {
        match self.attempt(req).await {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err((HttpError::TooLarge, true)),
            Err(e) => {
                let sent = !e.is_connect();
                Err((self.classify(e, &req.url), sent))
            }
        }
    }

    /// One attempt; `None` for a successful reply too large to accept.
    async fn attempt(&self, req: &Request) -> Result<Option<Reply>, reqwest::Error> {
        let mut builder = self.client.request(req.method.clone(), req.url.clone());
        for (name, value) in &self.auth {
            builder = builder.header(name, value);
        }
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &req.json {
            builder = builder.json(body);
        }
        if let Some(body) = &req.form {
            builder = (builder.header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            ))
            .body(body.clone());
        }
        if req.streamed {
            builder = builder.timeout(self.timeout.saturating_mul(STREAMED_TIMEOUTS));
        }
        let mut resp = builder.send().await?;
        let status = resp.status();
        let headers = std::mem::take(resp.headers_mut());
        let cap = if status.is_success() {
            BODY_CAP
        } else {
            ERROR_BODY_CAP
        };
        if req.streamed && status.is_success() {
            return Ok(Some(Reply {
                status,
                headers,
                body: Vec::new(),
                attempts: 0,
                earlier_lost: false,
                message_of: self.error_message.clone(),
                redact: self.redact.clone(),
                unread: Some(resp),
            }));
        }
        if resp.content_length().is_some_and(|n| n > cap as u64) && status.is_success() {
            return Ok(None); // refused before a byte of it is read
        }
        let mut body = Vec::new();
        let mut large = None;
        while let Some(chunk) = resp.chunk().await? {
            let room = cap - body.len();
            let take = chunk.len().min(room);
            if large.is_none() && body.len() + take > SMALL_BODY {
                large = Some(LARGE.acquire().await.expect("never closed"));
            }
            body.extend_from_slice(&chunk[..take]);
            if body.len() == cap {
                if status.is_success() {
                    return Ok(None);
                }
                break; // an error body: what we have is plenty
            }
        }
        drop(large);
        Ok(Some(Reply {
            status,
            headers,
            body,
            attempts: 0,
            earlier_lost: false,
            message_of: self.error_message.clone(),
            redact: self.redact.clone(),
            unread: None,
        }))
    }

    fn classify(&self, e: reqwest::Error, url: &Url) -> HttpError {
        if e.is_timeout() {
            return HttpError::Timeout(self.timeout);
        }
        if e.is_redirect() {
            return HttpError::TooManyRedirects;
        }
        // The innermost cause says what happened ("Connection refused"); the outer layers
        // only repeat the URL.
        if let Some(tls) = find_tls_error(&e) {
            return HttpError::Tls(tls.to_string());
        }
        let mut cause: &dyn std::error::Error = &e;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        if e.is_body() || e.is_decode() {
            HttpError::Body(cause.to_string())
        } else if e.is_connect() {
            HttpError::Connect {
                to: url.origin().ascii_serialization(),
                why: cause.to_string(),
            }
        } else {
            HttpError::Transport(cause.to_string())
        }
    }

    /// How long a request waits after its `n`th 429. The server's own hint is honoured in
    /// full (`max_backoff` caps blind back-off only), but a hint shorter than the first
    /// back-off step (`Retry-After: 0`, a date already past) is no wait at all: obeyed, it
    /// would make a rate limit send faster, not slower. Such a 429 backs off blind.
    fn throttle_delay(&self, hint: Option<Duration>, n: u32) -> Duration {
        match hint {
            Some(hint) if hint >= BASE_BACKOFF => hint,
            _ => self.backoff(n),
        }
    }

    /// Blind back-off before retry `n`: a jittered exponential step, at most `max_backoff`.
    fn backoff(&self, n: u32) -> Duration {
        let step = BASE_BACKOFF.saturating_mul(1 << n.min(16).saturating_sub(1));
        step.min(self.max_backoff)
            .mul_f64(0.5 + fastrand::f64() / 2.0)
    }

    /// Sleeps for `d` unless the run is interrupted first; false when it was.
    pub async fn pause(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.stop.is_cancelled(),
            _ = self.stop.cancelled() => false,
        }
    }

    /// Waits until the pacer lets this request start. Interrupted, or past the deadline,
    /// it is not sent at all.
    async fn wait_turn(&self) -> Result<(), HttpError> {
        let Wait::Until(at, why) = self.pacer.reserve(Instant::now()) else {
            return Ok(());
        };
        let left = at.saturating_duration_since(Instant::now());
        if self.deadline.is_some_and(|d| at > d) {
            return Err(HttpError::PastDeadline(
                format!("{}; past the run's deadline", why.describe(left)),
                ErrorKind::RateLimited,
            ));
        }
        if left > LOG_WAIT {
            tracing::info!("waiting: {}", why.describe(left));
            self.holds.waiting(at, why);
        }
        tokio::select! {
            _ = tokio::time::sleep_until(at) => Ok(()),
            _ = self.stop.cancelled() => Err(HttpError::NotSent(
                format!("waiting to be sent ({})", why.describe(left)),
                ErrorKind::RateLimited,
            )),
        }
    }
}

/// True for a 429 answer.
fn rate_limited(result: &Result<Reply, HttpError>) -> bool {
    matches!(result, Ok(reply) if reply.status == StatusCode::TOO_MANY_REQUESTS)
}

/// How a send ends: the last answer stands, with the attempts it took.
fn settle(
    result: Result<Reply, HttpError>,
    attempts: u32,
    earlier_lost: bool,
) -> Result<Reply, Failure> {
    match result {
        Ok(reply) => Ok(Reply {
            attempts,
            earlier_lost,
            ..reply
        }),
        Err(error) => Err(Failure {
            error,
            attempts,
            earlier: None,
        }),
    }
}

/// The TLS refusal behind a request error, if that is what it was. rustls' error travels
/// inside nested io::Errors, whose `source()` skips past what they wrap, so each one is
/// opened with `get_ref()`.
fn find_tls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(inner) = err
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        return find_tls_error(inner);
    }
    err.source().and_then(find_tls_error)
}

fn server_hint(headers: &HeaderMap, status: StatusCode) -> Option<Duration> {
    let text = |name: &str| super::header(headers, name);
    // A hint that is not a sane number (negative, NaN, huge) is no hint at all.
    let seconds = |v: &str| {
        v.parse::<f64>()
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
    };
    if let Some(d) = text("retry-after-ms").and_then(&seconds) {
        return Some(d / 1000);
    }
    if let Some(v) = text(RETRY_AFTER.as_str()) {
        if let Some(d) = seconds(v) {
            return Some(d);
        }
        if let Ok(at) = httpdate::parse_http_date(v) {
            return Some(at.duration_since(SystemTime::now()).unwrap_or_default());
        }
    }
    // Read as the pacer reads it (a unix time, or a small number of seconds from now).
    if status == StatusCode::TOO_MANY_REQUESTS {
        let reset = text("x-ratelimit-reset")?.parse::<f64>().ok()?;
        return super::until_reset(reset);
    }
    None
}

/// A URL from a reply header (`Location`) as messages show it: its query left out, since a
/// signed URL carries its signature there.
fn without_query(value: &[u8]) -> String {
    let value = String::from_utf8_lossy(value);
    match value.split_once('?') {
        Some((path, _)) => format!("{path}?(query not shown)"),
        None => value.into_owned(),
    }
}

/// One reply header as `-vvv` logs it. A secret a server may send back (a cookie, a
/// credential echoed in an auth header, a signed URL's query in `Location`) is left out,
/// and the credentials this client sent are masked in every other header (a server may put
/// a refused key in `WWW-Authenticate` or a header of its own); the rest is escaped, as
/// everything on its way to a terminal is.
fn shown_header(name: &str, value: &[u8], redact: &Redact) -> String {
    const SECRET: [&str; 6] = [
        "set-cookie",
        "cookie",
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
    ];
    let value = match name {
        _ if SECRET.contains(&name) => return format!("{name}: (not shown)"),
        "location" | "content-location" => without_query(value),
        _ => String::from_utf8_lossy(value).into_owned(),
    };
    format!(
        "{name}: {}",
        crate::terminal::escaped(&redact.apply(&value))
    )
}

/// What `-vvv` shows of a reply: its headers (a cookie's value left out) and the start of
/// its body (escaped), which say what a status alone does not (a web server's HTML where an
/// API was expected). A streamed body is not read here.
fn reply_detail(reply: &Reply) -> String {
    const SHOWN: usize = 300;
    let headers: Vec<String> = (reply.headers.iter())
        .map(|(name, value)| shown_header(name.as_str(), value.as_bytes(), &reply.redact))
        .collect();
    if reply.unread.is_some() {
        return format!(
            "  reply headers: {}\n  reply body: (read as it streams)",
            headers.join("; ")
        );
    }
    let body = reply.redact.apply(&String::from_utf8_lossy(&reply.body));
    let cut: String = body.chars().take(SHOWN).collect();
    let more = match body.chars().count() > SHOWN {
        true => format!(" … ({} bytes)", reply.body.len()),
        false => String::new(),
    };
    format!(
        "  reply headers: {}\n  reply body: {}{more}",
        headers.join("; "),
        crate::terminal::escaped(&cut)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_reply_header_never_shows_a_secret_the_server_sent_back() {
        let none = Redact::default();
        for name in ["set-cookie", "authorization", "x-api-key"] {
            let shown = shown_header(name, b"secret-value", &none);
            assert_eq!(shown, format!("{name}: (not shown)"));
        }
        assert_eq!(
            shown_header("location", b"https://x/a?sig=secret", &none),
            "location: https://x/a?(query not shown)"
        );
        assert_eq!(shown_header("retry-after", b"3", &none), "retry-after: 3");
        assert!(!shown_header("x-note", b"a\x1b[2Jb", &none).contains('\x1b'));
        // The credentials this client sent, quoted back in any other header or a path.
        let sent = Redact::new(&[], Some("zk_quoted_key"));
        assert_eq!(
            shown_header("www-authenticate", b"Api-Key realm=zk_quoted_key", &sent),
            "www-authenticate: Api-Key realm=***"
        );
        assert_eq!(
            shown_header("location", b"/login/zk_quoted_key?k=zk_quoted_key", &sent),
            "location: /login/***?(query not shown)"
        );
    }

    #[test]
    fn a_redirect_s_error_shows_neither_its_query_nor_a_credential_in_its_path() {
        let mut reply = reply(302, "");
        reply.headers.insert(
            reqwest::header::LOCATION,
            HeaderValue::from_static("https://x/login/zk_quoted_key?sig=s3cr3t"),
        );
        reply.redact = Redact::new(&[], Some("zk_quoted_key"));
        assert_eq!(
            reply.error_message(),
            "redirected (302) to https://x/login/***?(query not shown): not followed (only 307/308 to the same host keep the method)"
        );
    }

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
            attempts: 1,
            earlier_lost: false,
            message_of: MessageOf::new(|v| v.get("message")?.as_str().map(str::to_owned)),
            redact: Redact::default(),
            unread: None,
        }
    }

    #[test]
    fn the_url_builder_refuses_segments_that_would_change_the_route() {
        let http = Http::new(
            ClientOptions {
                base_url: Url::parse("http://127.0.0.1:9/api/v2/").unwrap(),
                auth: Vec::new(),
                key: None,
                timeout: Duration::from_secs(1),
                retries: 0,
                max_backoff: Duration::from_secs(1),
                rate: None,
                concurrency: 1,
                deadline: None,
                error_message: MessageOf::new(|_| None),
            },
            CancellationToken::new(),
            Holds::default(),
        );
        for bad in ["", ".", ".."] {
            assert_eq!(
                http.url(&["sessions", bad, "memory"]),
                Err(BadSegment(bad.to_owned())),
                "{bad:?}"
            );
        }
        let url = http.url(&["sessions", "a b/c?d", "%2e%2e", "..."]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/api/v2/sessions/a%20b%2Fc%3Fd/%252e%252e/..."
        );
    }

    #[test]
    fn error_messages_where_the_provider_puts_them_else_the_text() {
        assert_eq!(
            reply(404, r#"{"message":"not found"}"#).error_message(),
            "not found"
        );
        // A JSON body of another shape is shown as it is.
        assert_eq!(
            reply(404, r#"{"other":1}"#).error_message(),
            r#"{"other":1}"#
        );
        assert_eq!(reply(401, "unauthorized\n").error_message(), "unauthorized");
        assert_eq!(reply(502, "").error_message(), "Bad Gateway");
        assert!(
            reply(500, &"x".repeat(1000))
                .error_message()
                .chars()
                .count()
                <= 301
        );
        let bad_utf8 = Reply {
            body: vec![0xff, 0xfe, b'o', b'k'],
            ..reply(500, "")
        };
        assert_eq!(bad_utf8.error_message(), "\u{fffd}\u{fffd}ok");
    }

    #[test]
    fn tls_refusals_are_found_inside_nested_io_errors() {
        use std::io::{Error, ErrorKind};
        let inner = Error::new(
            ErrorKind::InvalidData,
            rustls::Error::General("bad cert".into()),
        );
        let outer = Error::other(inner);
        assert!(find_tls_error(&outer).is_some());
        assert!(find_tls_error(&Error::other("refused")).is_none());
    }

    #[test]
    fn retry_after_in_every_form() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(
            server_hint(&h, StatusCode::TOO_MANY_REQUESTS),
            Some(Duration::from_secs(3))
        );
        let later = SystemTime::now() + Duration::from_secs(120);
        h.insert(RETRY_AFTER, httpdate::fmt_http_date(later).parse().unwrap());
        let d = server_hint(&h, StatusCode::SERVICE_UNAVAILABLE).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        let mut h = HeaderMap::new();
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(
            server_hint(&h, StatusCode::TOO_MANY_REQUESTS),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            server_hint(&HeaderMap::new(), StatusCode::TOO_MANY_REQUESTS),
            None
        );
        // A 429 with only Zep's reset: a unix time, or a small number of seconds from now,
        // as the pacer reads it.
        let epoch = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap();
        let mut h = HeaderMap::new();
        let at = (epoch.as_secs() + 30).to_string();
        h.insert("x-ratelimit-reset", at.parse().unwrap());
        let d = server_hint(&h, StatusCode::TOO_MANY_REQUESTS).unwrap();
        assert!(
            d > Duration::from_secs(28) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        h.insert("x-ratelimit-reset", HeaderValue::from_static("5"));
        assert_eq!(
            server_hint(&h, StatusCode::TOO_MANY_REQUESTS),
            Some(Duration::from_secs(5))
        );
        assert_eq!(server_hint(&h, StatusCode::SERVICE_UNAVAILABLE), None);
    }
}
