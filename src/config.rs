//! The TOML config file: where it is, how profiles resolve, and how each is validated.
//!
//! Everything here runs before any request is sent, so that a mistake in the file is a
//! one-line error with exit code 2 rather than a half-finished run.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::provider::registry::registry;
use crate::provider::unit::ProviderConfig;
use crate::section::{Origin, RawSection, Section, SectionError, line_col};
use crate::units::Rate;

/// The profile used when neither the command line, the environment nor the file names one:
/// an elizaOS messaging server on this machine, so the tool works with no config at all.
pub const BUILTIN_PROFILE: &str = "local";

/// What `sessionctl config init` writes: a small, valid file to start from, with the
/// commonest profiles commented out (each provider's own, [`crate::provider::unit::Factory::starter`]).
/// `config.example.toml` documents every key.
pub fn starter() -> String {
    let own = registry().names().into_iter().filter_map(|name| {
        let block = registry().find(name)?.starter();
        (!block.is_empty()).then(|| format!("\n{block}"))
    });
    std::iter::once(STARTER.to_owned()).chain(own).collect()
}

/// The start of [`starter`]: the built-in profile, written out.
const STARTER: &str = r#"# sessionctl configuration, written by `sessionctl config init`.
# Every key is documented in config.example.toml (in the sessionctl sources). Check this file
# with `sessionctl config check`; see what it resolves to with `sessionctl config show`.
#
# A command uses --profile NAME, else $SESSIONCTL_PROFILE, else default_profile below.

default_profile = "local"

# An elizaOS server on this machine (what the built-in `local` profile is without a file).
[profiles.local]
provider = "messaging"
base_url = "http://localhost:3000"
# api_key_env = "ELIZA_SERVER_AUTH_TOKEN"   # if the server sets ELIZA_SERVER_AUTH_TOKEN
"#;

/// The largest config file read: a config is a page or two, not `/dev/zero`.
const CONFIG_LIMIT: u64 = 1 << 20;

/// How long `api_key_cmd` may take to print the key unless `api_key_cmd_timeout` says otherwise.
pub const DEFAULT_KEY_CMD_TIMEOUT: Duration = Duration::from_secs(10);

/// A name from the command line (or an environment variable), as an error line shows it:
/// a pasted 3000-character value is cut like an ID is.
fn shown(value: impl std::fmt::Display) -> String {
    crate::terminal::shortened(&value.to_string()).into_owned()
}

/// A path from the command line, as an error line shows it: whole up to 1,024 characters
/// ([`crate::terminal::shortened_path`]).
fn shown_path(path: &Path) -> String {
    crate::terminal::shortened_path(&path.display().to_string()).into_owned()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {} does not exist", shown_path(.0))]
    NotFound(PathBuf),
    #[error("cannot read config file {}: {}", shown_path(.0), .1)]
    Read(PathBuf, std::io::Error),
    #[error("{}: not valid UTF-8 (byte {})", shown_path(.0), .1)]
    Utf8(PathBuf, usize),
    #[error("{}:{line}:{column}: {message}", shown_path(path))]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unknown profile `{}` (known: {known})", shown(name))]
    UnknownProfile { name: String, known: String },
    #[error("profile `{profile}`: {message}")]
    Invalid { profile: String, message: String },
    #[error("no config directory on this system; pass --config or set SESSIONCTL_CONFIG")]
    NoConfigDir,
    /// Ctrl-C or SIGTERM came while `api_key_cmd` ran: it was killed, nothing was sent.
    #[error("profile `{0}`: interrupted while api_key_cmd ran (killed); nothing was sent")]
    Interrupted(String),
}

impl ConfigError {
    fn invalid(profile: &str, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            profile: profile.to_owned(),
            message: message.into(),
        }
    }
}

/// The file as written, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, RawSection>,
}

/// The keys every provider shares, in the order an unknown key's message lists them; each
/// provider adds its own ([`crate::provider::unit::Factory::keys`]).
const SHARED_KEYS: &[&str] = &[
    "provider",
    "base_url",
    "api_key",
    "api_key_env",
    "api_key_cmd",
    "api_key_cmd_timeout",
    "timeout",
    "concurrency",
    "retries",
    "max_backoff",
    "rate",
    "deadline",
    "max_stall",
    "max_per_run",
    "max_listed",
    "allow_http",
    "protect",
    "recheck_after",
];

/// What a profile sets of the keys every provider shares, before validation.
#[derive(Debug, Default)]
struct Shared {
    base_url: Option<String>,
    api_key: Option<SecretString>,
    api_key_env: Option<String>,
    api_key_cmd: Option<String>,
    api_key_cmd_timeout: Option<Duration>,
    timeout: Option<Duration>,
    concurrency: Option<usize>,
    retries: Option<u32>,
    max_backoff: Option<Duration>,
    rate: Option<String>,
    deadline: Option<Duration>,
    max_stall: Option<String>,
    max_per_run: Option<u64>,
    max_listed: Option<u64>,
    allow_http: Option<bool>,
    protect: Option<Vec<String>>,
    recheck_after: Option<Duration>,
}

impl Shared {
    fn take(s: &mut Section) -> Result<Shared, SectionError> {
        let duration = |v: toml::Value| {
            crate::section::text(v, |t| {
                crate::units::parse_duration(t).map_err(|e| e.to_string())
            })
        };
        Ok(Shared {
            base_url: s.take("base_url")?,
            api_key: s.take("api_key")?,
            api_key_env: s.take("api_key_env")?,
            api_key_cmd: s.take("api_key_cmd")?,
            api_key_cmd_timeout: s.take_with("api_key_cmd_timeout", duration)?,
            timeout: s.take_with("timeout", duration)?,
            concurrency: s.take("concurrency")?,
            retries: s.take("retries")?,
            max_backoff: s.take_with("max_backoff", duration)?,
            rate: s.take("rate")?,
            deadline: s.take_with("deadline", duration)?,
            max_stall: s.take("max_stall")?,
            max_per_run: s.take("max_per_run")?,
            max_listed: s.take("max_listed")?,
            allow_http: s.take("allow_http")?,
            protect: s.take("protect")?,
            recheck_after: s.take_with("recheck_after", duration)?,
        })
    }
}

/// Where a profile's API key comes from. The key itself is only read when a provider is
/// built, so `config show` never runs a key command or needs the variable set.
#[derive(Debug, Clone)]
pub enum KeySource {
    None,
    Literal(SecretString),
    Env(String),
    /// A command line (run without a shell) whose trimmed stdout is the key, and how long it
    /// may take before it is killed.
    Command {
        cmd: String,
        timeout: Duration,
    },
}

impl KeySource {
    /// Reads the key. A command runs without a shell, its stderr is kept from ours, and its
    /// trimmed stdout is the key.
    pub fn resolve(&self, profile: &str) -> Result<Option<SecretString>, ConfigError> {
        let key = match self {
            KeySource::None => return Ok(None),
            KeySource::Literal(key) => secrecy::ExposeSecret::expose_secret(key).to_owned(),
            KeySource::Env(var) => std::env::var(var).map_err(|_| {
                ConfigError::invalid(profile, format!("environment variable {var} is not set"))
            })?,
            KeySource::Command { cmd, timeout } => run_key_command(profile, cmd, *timeout)?,
        };
        let key = key.trim();
        if key.is_empty() {
            // Said of where the key came from: `api_key = *** is empty` would mask a value
            // that is not there.
            let empty = match self {
                KeySource::Literal(_) => "api_key is empty".to_owned(),
                KeySource::Env(var) => format!("environment variable {var} (api_key_env) is empty"),
                KeySource::Command { .. } => format!("{} printed no key", self.describe()),
                KeySource::None => unreachable!("no key is read"),
            };
            return Err(ConfigError::invalid(profile, empty));
        }
        // It travels in an HTTP header; say so here rather than send a mangled key.
        if !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(ConfigError::invalid(
                profile,
                format!(
                    "the key from {} has characters an HTTP header cannot carry",
                    self.describe()
                ),
            ));
        }
        Ok(Some(SecretString::from(key.to_owned())))
    }

    /// How `config show` prints the source: never the key itself.
    pub fn describe(&self) -> String {
        match self {
            KeySource::None => "none".into(),
            KeySource::Literal(_) => "api_key = ***".into(),
            KeySource::Env(var) => format!("api_key_env = {var}"),
            // Only the program: arguments may hold a secret (`echo KEY`, a token flag).
            KeySource::Command { cmd, .. } => describe_command(cmd),
        }
    }
}

/// `api_key_cmd` as it may be shown: only the program, since arguments may hold a secret
/// (`echo KEY`, a token flag).
fn describe_command(cmd: &str) -> String {
    match cmd.split_whitespace().next() {
        Some(program) if program.len() < cmd.trim().len() => format!("api_key_cmd = {program} …"),
        _ => format!("api_key_cmd = {}", cmd.trim()),
    }
}

/// The most `api_key_cmd` may print on stdout: a key is a line, not a file.
const KEY_OUTPUT_LIMIT: u64 = 64 * 1024;
/// What is kept of its stderr: enough for the first line of a complaint.
const KEY_STDERR_KEPT: u64 = 4 * 1024;
/// How often a running `api_key_cmd` is checked for a signal to stop it.
const KEY_SIGNAL_CHECK: Duration = Duration::from_millis(25);

/// Runs `api_key_cmd`: no shell, stdin null, in a process group of its own; its stdout (the
/// key, at most [`KEY_OUTPUT_LIMIT`]) and stderr (never passed through: a helper that prints
/// the key there must not leak it) are read on threads of their own, so neither can stall the
/// wait. Its whole group is killed and the command reaped when it takes longer than `timeout`,
/// when it exits leaving its output open, or when Ctrl-C or SIGTERM comes: then the run stops
/// (exit 130/143) with nothing sent.
fn run_key_command(profile: &str, cmd: &str, timeout: Duration) -> Result<String, ConfigError> {
    let shown = describe_command(cmd);
    let fail = |why: String| ConfigError::invalid(profile, format!("{shown}: {why}"));
    let argv = shell_words::split(cmd).map_err(|e| fail(format!("cannot be split: {e}")))?;
    let (program, args) = argv.split_first().ok_or_else(|| fail("is empty".into()))?;
    let started = Instant::now();
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| fail(format!("could not start: {e}")))?;
    let stdout = read_capped(child.stdout.take(), KEY_OUTPUT_LIMIT + 1);
    let stderr = read_capped(child.stderr.take(), KEY_STDERR_KEPT);
    let (stdout, stderr) = match (stdout, stderr) {
        (Ok(out), Ok(err)) => (out, err),
        (Err(e), _) | (_, Err(e)) => {
            kill_group(&mut child);
            return Err(fail(format!("output could not be read: {e}")));
        }
    };
    let waited = wait_unless_stopped(&mut child, timeout);
    // Whatever it leaves behind goes with it (a helper's helper holding the pipes open).
    kill_group(&mut child);
    // What it said on stderr, for the messages below: its first line, with the key (if it
    // printed one) hidden.
    let left = |started: Instant| {
        timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(100))
    };
    let out = stdout.recv_timeout(left(started));
    let said = |key: Option<&[u8]>| {
        let err = stderr.recv_timeout(Duration::from_millis(100)).ok()?.ok()?;
        first_line_redacted(&err, key)
    };
    let with_said = |why: String, key: Option<&[u8]>| match said(key) {
        Some(line) => fail(format!("{why}; it said: {line}")),
        None => fail(why),
    };
    let status = match waited {
        Waited::Exited(status) => status,
        Waited::TimedOut => {
            return Err(with_said(
                format!(
                    "gave no key within {} (killed)",
                    crate::units::human(timeout)
                ),
                None,
            ));
        }
        Waited::Stopped => return Err(ConfigError::Interrupted(profile.to_owned())),
        Waited::Failed(e) => return Err(fail(format!("could not be waited for: {e}"))),
    };
    let out = match out {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(fail(format!("output could not be read: {e}"))),
        Err(_) => {
            return Err(fail(format!(
                "gave no key within {} (it exited, but its output stayed open)",
                crate::units::human(timeout)
            )));
        }
    };
    if !status.success() {
        return Err(with_said(format!("failed ({status})"), Some(&out)));
    }
    if out.len() as u64 > KEY_OUTPUT_LIMIT {
        return Err(fail(format!(
            "printed more than {} KiB, which is no key",
            KEY_OUTPUT_LIMIT / 1024
        )));
    }
    if let Some(line) = said(Some(&out)) {
        tracing::info!("profile `{profile}`: {shown} said: {line}");
    }
    String::from_utf8(out).map_err(|_| fail("printed non-UTF-8 output".into()))
}

/// How waiting for `api_key_cmd` ended.
enum Waited {
    Exited(std::process::ExitStatus),
    TimedOut,
    /// A signal came: the run is to stop.
    Stopped,
    Failed(std::io::Error),
}

/// Waits for `child` up to `timeout`, looking for a signal every [`KEY_SIGNAL_CHECK`] (a
/// blocking wait cannot be woken by one: the handlers restart it).
fn wait_unless_stopped(child: &mut std::process::Child, timeout: Duration) -> Waited {
    use wait_timeout::ChildExt;
    let until = Instant::now() + timeout;
    loop {
        if crate::signals::received() > 0 {
            return Waited::Stopped;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Waited::TimedOut;
        }
        match child.wait_timeout(left.min(KEY_SIGNAL_CHECK)) {
            Ok(Some(status)) => return Waited::Exited(status),
            Ok(None) => {}
            Err(e) => return Waited::Failed(e),
        }
    }
}

/// Kills `child`'s process group (all it started, on Unix), then reaps it: no process and
/// no zombie is left behind.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) on the process group this function's caller created for the child
        // (`process_group(0)`: its ID is the child's PID).
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads `pipe` on a thread of its own: its first `keep` bytes are sent when it closes, the
/// rest read and dropped (so that the writer never blocks on a full pipe).
fn read_capped(
    pipe: Option<impl Read + Send + 'static>,
    keep: u64,
) -> std::io::Result<mpsc::Receiver<std::io::Result<Vec<u8>>>> {
    let mut pipe = pipe.expect("the pipe was asked for");
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("api_key_cmd".into())
        .spawn(move || {
            let mut kept = Vec::new();
            let read = (&mut pipe)
                .take(keep)
                .read_to_end(&mut kept)
                .and_then(|_| std::io::copy(&mut pipe, &mut std::io::sink()));
            let _ = tx.send(read.map(|_| kept));
        })?;
    Ok(rx)
}

/// The first non-empty line of `stderr`, at most 200 characters, with `key` (trimmed, if
/// given and not empty) replaced by `***` and control characters escaped.
fn first_line_redacted(stderr: &[u8], key: Option<&[u8]>) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let key = key.map(String::from_utf8_lossy);
    let line = match key.as_deref().map(str::trim) {
        Some(key) if !key.is_empty() => line.replace(key, "***"),
        _ => line.to_owned(),
    };
    let short: String = line.chars().take(200).collect();
    let cut = if short.len() < line.len() { " …" } else { "" };
    Some(format!("{}{cut}", crate::terminal::escape(&short)))
}

/// One validated profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    /// Its provider, with the provider's own keys.
    pub provider: Arc<dyn ProviderConfig>,
    pub base_url: Url,
    pub key: KeySource,
    pub timeout: Duration,
    pub concurrency: usize,
    pub retries: u32,
    pub max_backoff: Duration,
    pub rate: Option<Rate>,
    /// A run on this profile starts no request after this long (`--deadline` overrides).
    pub deadline: Option<Duration>,
    /// When no session of a run on this profile has finished for this long, the rest are
    /// skipped (`--max-stall` overrides; default 30m, beyond elizaOS's 15-minute window).
    pub max_stall: Duration,
    /// The most sessions one run may act on here; a run that would act on more sends
    /// nothing (exit 4). A blast-radius cap against a wrong profile or a bad timestamp.
    pub max_per_run: Option<u64>,
    /// The most sessions one listing of this profile may hold: a server whose pages never
    /// run dry is stopped here, with an error, before it exhausts memory.
    pub max_listed: u64,
    /// Plain http to a non-loopback host is allowed (keys then travel in clear).
    pub allow_http: bool,
    /// Sessions no command may act on (`protect = ["metadata.keep=true", …]`).
    pub protect: crate::protect::Protect,
    /// A sweep reads a session again right before acting on it when its evidence is older
    /// than this (`--recheck-after` overrides; default 60s).
    pub recheck_after: Duration,
    /// The keys this profile leaves to their defaults (for `config show`).
    pub defaulted: Vec<&'static str>,
}

/// How long a run may go without a session finishing, unless the profile says otherwise:
/// longer than any rate-limit window a provider publishes (elizaOS: 15 minutes).
pub const DEFAULT_MAX_STALL: Duration = Duration::from_secs(30 * 60);
/// `max_listed` unless a profile sets it: far more than any real account lists, and still
/// a bound on what a list that never ends can hold.
pub const DEFAULT_MAX_LISTED: u64 = 1_000_000;

impl Profile {
    /// The profile used when no file names one.
    pub fn builtin() -> Profile {
        Profile::of(BUILTIN_PROFILE, "messaging".into(), Section::empty())
            .expect("the built-in profile is valid")
    }

    /// This profile sent to `url` instead of its `base_url` (`--endpoint-url`), checked as a
    /// `base_url` in the file is.
    pub fn at(mut self, url: &str) -> Result<Profile, ConfigError> {
        self.base_url = check_base_url(url, self.allow_http)
            .map_err(|m| ConfigError::invalid(&self.name, format!("--endpoint-url: {m}")))?;
        self.defaulted.retain(|key| *key != "base_url");
        Ok(self)
    }

    fn validate(name: &str, raw: RawSection, origin: Origin) -> Result<Profile, SectionError> {
        let mut section = Section::new(raw).read_from(origin);
        let provider = section.require::<String>("provider")?;
        Profile::of(name, provider, section)
    }

    /// The profile `name` of `provider`: the shared keys are taken from `section`, the rest
    /// go to the provider's factory, and a key that neither has is refused.
    fn of(name: &str, provider: String, mut section: Section) -> Result<Profile, SectionError> {
        let bad = SectionError::Invalid;
        let raw = Shared::take(&mut section)?;
        let defaulted = [
            ("base_url", raw.base_url.is_none()),
            ("timeout", raw.timeout.is_none()),
            ("concurrency", raw.concurrency.is_none()),
            ("retries", raw.retries.is_none()),
            ("max_backoff", raw.max_backoff.is_none()),
            ("max_stall", raw.max_stall.is_none()),
            ("max_listed", raw.max_listed.is_none()),
            ("allow_http", raw.allow_http.is_none()),
            ("recheck_after", raw.recheck_after.is_none()),
        ]
        .into_iter()
        .filter_map(|(key, unset)| unset.then_some(key))
        .collect();
        let allow_http = raw.allow_http.unwrap_or(false);
        let providers = registry();
        let factory = providers.find(&provider).ok_or_else(|| {
            bad(format!(
                "unknown provider `{provider}` (known: {})",
                providers.names().join(", ")
            ))
        })?;
        // Keys another provider has: a precise error rather than a setting silently ignored.
        if let Some((key, at)) = section.unknown(factory.keys()) {
            return Err(match providers.owner_of(&key) {
                Some(owner) => bad(format!(
                    "{key} is not used by {provider} (it is a {owner} setting)"
                )),
                None => {
                    let known = (SHARED_KEYS.iter().chain(factory.keys()))
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    SectionError::At {
                        span: at,
                        message: format!("unknown field `{key}`, expected one of {known}"),
                    }
                }
            });
        }
        let config = factory.parse(&mut section)?;
        let base_url = match raw.base_url {
            Some(s) => s,
            None => config.default_base_url().to_owned(),
        };
        let base_url = check_base_url(&base_url, allow_http).map_err(bad)?;

        let key = match (raw.api_key, raw.api_key_env, raw.api_key_cmd) {
            (None, None, None) => KeySource::None,
            (Some(k), None, None) => KeySource::Literal(k),
            (None, Some(v), None) => KeySource::Env(v),
            (None, None, Some(cmd)) => {
                let timeout = raw.api_key_cmd_timeout.unwrap_or(DEFAULT_KEY_CMD_TIMEOUT);
                if timeout.is_zero() {
                    return Err(bad("api_key_cmd_timeout must be more than 0".into()));
                }
                KeySource::Command { cmd, timeout }
            }
            _ => {
                return Err(bad(
                    "set only one of api_key, api_key_env and api_key_cmd".into()
                ));
            }
        };
        if raw.api_key_cmd_timeout.is_some() && !matches!(key, KeySource::Command { .. }) {
            return Err(bad(
                "api_key_cmd_timeout is only used with api_key_cmd, which is not set".into(),
            ));
        }
        if config.caps().needs_key && matches!(key, KeySource::None) {
            return Err(bad(format!(
                "{} needs an API key: set api_key_env, api_key_cmd or api_key",
                config.name()
            )));
        }
        let timeout = raw.timeout.unwrap_or(Duration::from_secs(30));
        if timeout.is_zero() {
            return Err(bad("timeout must be more than 0".into()));
        }
        if raw.deadline.is_some_and(|d| d.is_zero()) {
            return Err(bad("deadline must be more than 0".into()));
        }
        let concurrency = raw.concurrency.unwrap_or(8);
        if !(1..=1024).contains(&concurrency) {
            return Err(bad(format!(
                "concurrency must be 1..=1024, got {concurrency}"
            )));
        }
        let retries = raw.retries.unwrap_or(4);
        if retries > 20 {
            return Err(bad(format!("retries must be 0..=20, got {retries}")));
        }
        let max_backoff = raw.max_backoff.unwrap_or(Duration::from_secs(30));
        let rate = raw
            .rate
            .map(|r| crate::units::parse_rate(&r).map_err(|e| bad(format!("rate: {e}"))))
            .transpose()?;
        let max_stall = match raw.max_stall {
            None => DEFAULT_MAX_STALL,
            Some(s) => {
                crate::units::parse_max_stall(&s).map_err(|e| bad(format!("max_stall: {e}")))?
            }
        };
        if raw.max_per_run == Some(0) {
            return Err(bad("max_per_run must be at least 1".into()));
        }
        let max_listed = raw.max_listed.unwrap_or(DEFAULT_MAX_LISTED);
        if max_listed == 0 {
            return Err(bad("max_listed must be at least 1".into()));
        }
        // Checked here, against the provider's fields: a protection that could never match
        // must fail loudly, not silently stop protecting (cloud-nuke once shipped that).
        let protect = crate::protect::Protect::parse(
            raw.protect.as_deref().unwrap_or_default(),
            config.selectable(),
            config.name(),
        )
        .map_err(|e| bad(format!("protect: {e}")))?;
        Ok(Profile {
            name: name.to_owned(),
            provider: config,
            base_url,
            key,
            timeout,
            concurrency,
            retries,
            max_backoff,
            rate,
            deadline: raw.deadline,
            max_stall,
            max_per_run: raw.max_per_run,
            max_listed,
            allow_http,
            protect,
            recheck_after: raw.recheck_after.unwrap_or(crate::recheck::DEFAULT_AFTER),
            defaulted,
        })
    }
}

/// A base URL may carry a path (`/api/v2`) but no query, fragment or credentials, and plain
/// http is only for loopback unless the profile opts in: keys must not cross a network in
/// clear text by accident.
fn check_base_url(s: &str, allow_http: bool) -> Result<Url, String> {
    let mut url = Url::parse(s).map_err(|e| format!("base_url is not a URL: {e}"))?;
    // The URL itself is not echoed from here on: a query or user:pass@ may hold a token.
    if url.query().is_some() || url.fragment().is_some() {
        return Err("base_url must not have a query or fragment".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("base_url must not contain credentials; use api_key_env".into());
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "base_url is plain http to a non-loopback host ({}); use https or set allow_http = true",
                url.host_str().unwrap_or("?")
            ));
        }
        other => return Err(format!("base_url scheme `{other}` is not http(s)")),
    }
    // Path segments are appended to the base, so it must end in a directory.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The loaded file: every profile validated, plus which one the user meant.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    /// False when the default path does not exist (the built-in profile still works).
    pub exists: bool,
    pub default_profile: Option<String>,
    pub profiles: BTreeMap<String, Profile>,
    /// True when a literal `api_key` sits in a file others can read.
    pub world_readable_secret: bool,
}

/// Where the config file is: `--config` / `SESSIONCTL_CONFIG` (already merged by clap),
/// else the platform's config directory. Returns whether the user named it explicitly.
pub fn locate(explicit: Option<&Path>) -> Result<(PathBuf, bool), ConfigError> {
    match explicit {
        Some(p) => Ok((p.to_owned(), true)),
        None => {
            let dir = dirs::config_dir().ok_or(ConfigError::NoConfigDir)?;
            Ok((dir.join("sessionctl").join("config.toml"), false))
        }
    }
}

impl Config {
    /// Loads and validates the file. A file the user named must exist; the default one may
    /// be absent.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let (path, named) = locate(explicit)?;
        let bytes = match crate::bounded::read_file(&path, CONFIG_LIMIT) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => {
                return Ok(Config {
                    path,
                    exists: false,
                    default_profile: None,
                    profiles: BTreeMap::new(),
                    world_readable_secret: false,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::NotFound(path));
            }
            Err(e) => return Err(ConfigError::Read(path, e)),
        };
        let text = String::from_utf8(bytes)
            .map_err(|e| ConfigError::Utf8(path.clone(), e.utf8_error().valid_up_to()))?;
        let mut config = Config::parse(&path, &text)?;
        config.world_readable_secret = config
            .profiles
            .values()
            .any(|p| matches!(p.key, KeySource::Literal(_)))
            && readable_by_others(&path);
        Ok(config)
    }

    /// Parses and validates file contents (separate from I/O so it can be fuzzed).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            at(path, text, offset, e.message().trim().replace('\n', " "))
        })?;
        let shared: std::sync::Arc<str> = text.into();
        let origin = |profile: &str| Origin {
            path: path.to_owned(),
            text: shared.clone(),
            profile: profile.to_owned(),
        };
        let profiles = (raw.profiles.into_iter())
            .map(
                |(name, p)| match Profile::validate(&name, p, origin(&name)) {
                    Ok(p) => Ok((name, p)),
                    Err(SectionError::Invalid(message)) => {
                        Err(ConfigError::invalid(&name, message))
                    }
                    Err(SectionError::At { span, message }) => {
                        Err(at(path, text, span.start, message))
                    }
                },
            )
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        if let Some(d) = &raw.default_profile
            && !profiles.contains_key(d)
            && d != BUILTIN_PROFILE
        {
            return Err(ConfigError::UnknownProfile {
                name: d.clone(),
                known: known_list(&profiles),
            });
        }
        Ok(Config {
            path: path.to_owned(),
            exists: true,
            default_profile: raw.default_profile,
            profiles,
            world_readable_secret: false,
        })
    }

    /// Picks the profile: `--profile`/`SESSIONCTL_PROFILE` (merged by clap), then
    /// `default_profile`, then the built-in `local`.
    pub fn select(&self, wanted: Option<&str>) -> Result<Profile, ConfigError> {
        let name = wanted
            .or(self.default_profile.as_deref())
            .unwrap_or(BUILTIN_PROFILE);
        match self.profiles.get(name) {
            Some(p) => Ok(p.clone()),
            None if name == BUILTIN_PROFILE => Ok(Profile::builtin()),
            None => Err(ConfigError::UnknownProfile {
                name: name.to_owned(),
                known: known_list(&self.profiles),
            }),
        }
    }
}

fn known_list(profiles: &BTreeMap<String, Profile>) -> String {
    let mut names: Vec<&str> = profiles.keys().map(String::as_str).collect();
    if !names.contains(&BUILTIN_PROFILE) {
        names.push(BUILTIN_PROFILE);
    }
    names.join(", ")
}

/// An error at byte `offset` of the file, as `path:line:column: message`.
fn at(path: &Path, text: &str, offset: usize, message: String) -> ConfigError {
    let (line, column) = line_col(text, offset);
    // TOML's messages quote the offending value; for a literal key that is the secret.
    let on_key_line = text.lines().nth(line - 1).is_some_and(|l| {
        l.trim_start()
            .strip_prefix("api_key")
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    });
    let message = if on_key_line {
        "invalid api_key (it must be a string; the value is not shown)".to_owned()
    } else {
        message
    };
    ConfigError::Parse {
        path: path.to_owned(),
        line,
        column,
        message,
    }
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("c.toml"), text)
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let err = parse("[profiles.a]\nprovider = \"messaging\"\ncolour = 1\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("c.toml:3:1:"), "{msg}");
        assert!(msg.contains("colour"), "{msg}");
    }

    #[test]
    fn the_starter_file_is_valid_and_uses_local() {
        let starter = starter();
        let c = parse(&starter).unwrap();
        assert_eq!(c.default_profile.as_deref(), Some(BUILTIN_PROFILE));
        assert_eq!(c.profiles[BUILTIN_PROFILE].provider.name(), "messaging");
        // Its commented-out profiles are valid once uncommented.
        let uncommented = starter
            .replace("\n# [", "\n[")
            .replace("\n# provider", "\nprovider");
        let uncommented: String = uncommented
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest.contains(" = ") && !rest.starts_with("api_key_env = \"ELIZA") =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        assert_eq!(c.profiles.len(), 3, "{uncommented}");
    }

    #[test]
    fn defaults_apply() {
        let c = parse("[profiles.z]\nprovider = \"zep\"\napi_key_env = \"K\"\n").unwrap();
        let z = &c.profiles["z"];
        assert_eq!(z.base_url.as_str(), "https://api.getzep.com/api/v2/");
        assert_eq!((z.timeout, z.concurrency), (Duration::from_secs(30), 8));
    }

    #[test]
    fn rejects_bad_values() {
        for (body, needle) in [
            ("provider=\"messaging\"\ntimeout=\"0s\"", "timeout"),
            ("provider=\"messaging\"\nconcurrency=0", "concurrency"),
            (
                "provider=\"messaging\"\nconcurrency=\"many\"",
                "invalid type",
            ),
            ("provider=\"zep\"", "needs an API key"),
            (
                "provider=\"zep\"\napi_key=\"a\"\napi_key_env=\"K\"",
                "only one",
            ),
            ("provider=\"nope\"", "unknown provider"),
            (
                "provider=\"messaging\"\nbase_url=\"http://example.com\"",
                "non-loopback",
            ),
            (
                "provider=\"messaging\"\nbase_url=\"https://u:p@example.com\"",
                "credentials",
            ),
            (
                "provider=\"messaging\"\nbase_url=\"https://example.com/?a=b\"",
                "query",
            ),
            (
                "provider=\"messaging\"\nbase_url=\"https://example.com/#x\"",
                "fragment",
            ),
        ] {
            let err = parse(&format!("[profiles.p]\n{body}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{body}: {err}");
        }
    }

    #[test]
    fn duplicate_profiles_are_a_parse_error() {
        let err =
            parse("[profiles.a]\nprovider=\"messaging\"\n[profiles.a]\nprovider=\"messaging\"\n")
                .unwrap_err()
                .to_string();
        assert!(err.starts_with("c.toml:3:"), "{err}");
    }

    #[test]
    fn selection_order_and_builtin() {
        let c = parse("default_profile=\"b\"\n[profiles.b]\nprovider=\"messaging\"\n").unwrap();
        assert_eq!(c.select(None).unwrap().name, "b");
        assert_eq!(
            c.select(Some("local")).unwrap().base_url.as_str(),
            "http://localhost:3000/"
        );
        let err = c.select(Some("x")).unwrap_err().to_string();
        assert_eq!(err, "unknown profile `x` (known: b, local)");
    }

    #[test]
    fn example_config_is_valid_and_shows_every_key() {
        let text = include_str!("../config.example.toml");
        let c = parse(text).unwrap();
        // A profile of every provider (so a new one is documented there, not counted here).
        for name in registry().names() {
            assert!(
                c.profiles.values().any(|p| p.provider.name() == name),
                "config.example.toml has no {name} profile"
            );
        }
        // Every key a profile accepts, as an unknown key's message lists them, and every
        // provider's own: a new key cannot be added without documenting it.
        let err = parse("[profiles.x]\nprovider = \"zep\"\nbogus = 1\n").unwrap_err();
        let err = err.to_string();
        let (_, expected) = err
            .split_once("expected one of")
            .expect("the message lists the keys");
        let keys: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        assert!(
            keys.len() >= 16 && keys.contains(&"max_per_run"),
            "{keys:?}"
        );
        for key in (keys.into_iter())
            .chain(every_key())
            .chain(["default_profile"])
        {
            assert!(
                text.contains(&format!("{key} = ")),
                "config.example.toml lacks {key}"
            );
        }
    }

    /// Every key some profile accepts: the shared ones and each provider's own.
    fn every_key() -> Vec<&'static str> {
        let registry = registry();
        let own = (registry.names().into_iter())
            .flat_map(|name| registry.find(name).unwrap().keys().iter().copied());
        SHARED_KEYS.iter().copied().chain(own).collect()
    }

    #[test]
    fn a_key_of_another_provider_is_a_precise_error() {
        let registry = registry();
        let mut seen = 0;
        for owner in registry.names() {
            for key in registry.find(owner).unwrap().keys() {
                for other in registry.names().into_iter().filter(|&n| n != owner) {
                    let body = format!("provider=\"{other}\"\napi_key_env=\"K\"\n{key}=1");
                    let e = parse(&format!("[profiles.p]\n{body}\n"))
                        .unwrap_err()
                        .to_string();
                    let want = format!("{key} is not used by {other}");
                    assert!(e.contains(&want) && e.contains("`p`"), "{e}");
                    seen += 1;
                }
            }
        }
        assert!(seen > 0, "some provider has keys of its own");
    }

    #[test]
    fn literal_key_never_prints() {
        let c = parse("[profiles.z]\nprovider=\"zep\"\napi_key=\"s3cr3t\"\n").unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(c.profiles["z"].key.describe(), "api_key = ***");
    }

    #[test]
    fn errors_never_echo_what_may_be_a_secret() {
        for (body, secret) in [
            ("provider=\"zep\"\napi_key=123456789", "123456789"),
            ("provider=\"zep\"\napi_key = [\"s3cr3t\"]", "s3cr3t"),
            (
                "provider=\"messaging\"\nbase_url=\"https://h/?token=s3cr3t\"",
                "s3cr3t",
            ),
            (
                "provider=\"messaging\"\nbase_url=\"http://u:s3cr3t@example.com\"",
                "s3cr3t",
            ),
            (
                "provider=\"messaging\"\nbase_url=\"http://example.com/s3cr3t\"",
                "s3cr3t",
            ),
        ] {
            let err = parse(&format!("[profiles.p]\n{body}\n"))
                .unwrap_err()
                .to_string();
            assert!(!err.contains(secret), "{body}: {err}");
        }
    }

    #[test]
    fn keys_must_fit_in_a_header() {
        let err = KeySource::Literal("a\u{7f}b".into())
            .resolve("p")
            .unwrap_err()
            .to_string();
        assert!(err.contains("HTTP header"), "{err}");
        assert!(!err.contains("a\u{7f}b"));
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        /// Profiles built from the real keys with arbitrary values reach validation (not
        /// just the TOML parser): a config or a one-line error, never a panic.
        #[test]
        fn any_profile_validates_or_fails_cleanly(
            pairs in proptest::collection::vec((
                proptest::sample::select(
                    every_key().into_iter().chain(["bogus"]).collect::<Vec<_>>()
                ),
                proptest::prop_oneof![
                    proptest::sample::select(vec![
                        "\"zep\"", "\"digital-samba\"", "\"messaging\"", "\"http://localhost:1/\"",
                        "\"https://h/p?q\"", "\"0s\"", "\"30s\"", "\"10/s\"", "\"1e99/s\"", "true",
                        "0", "4", "-1", "99999999999", "\"K\"", "\"\"",
                    ]).prop_map(str::to_owned),
                    "[a-z0-9:/ .]{0,12}".prop_map(|s| format!("{s:?}")),
                    proptest::num::i64::ANY.prop_map(|n| n.to_string()),
                ],
            ), 0..10)
        ) {
            let mut text = String::from("[profiles.p]\n");
            let mut seen = std::collections::HashSet::new();
            for (key, value) in pairs {
                if seen.insert(key) {
                    text.push_str(&format!("{key} = {value}\n"));
                }
            }
            if let Err(e) = parse(&text) {
                proptest::prop_assert!(!e.to_string().contains('\n'), "{e}");
            }
        }

        /// Whatever the text, parsing gives a config or a one-line error; it never panics.
        #[test]
        fn any_text_parses_or_fails_cleanly(text in "(\\PC|\n|\\[|\\]|=|\"){0,300}") {
            if let Err(e) = parse(&text) {
                proptest::prop_assert!(!e.to_string().contains('\n'), "{e}");
            }
        }
    }

    fn key_cmd(cmd: &str) -> KeySource {
        KeySource::Command {
            cmd: cmd.into(),
            timeout: DEFAULT_KEY_CMD_TIMEOUT,
        }
    }

    #[test]
    fn key_command_runs_without_a_shell() {
        let k = key_cmd("printf '  abc \\n'").resolve("p").unwrap().unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&k), "abc");
        let err = key_cmd("false").resolve("p").unwrap_err().to_string();
        assert!(err.contains("failed"), "{err}");
        let err = key_cmd("true").resolve("p").unwrap_err().to_string();
        assert!(err.contains("printed no key"), "{err}");
        let err = key_cmd("echo a | cat").resolve("p").unwrap().unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&err), "a | cat");
    }

    #[test]
    fn key_command_timeout_is_parsed_and_checked() {
        let c = parse("[profiles.z]\nprovider=\"zep\"\napi_key_cmd=\"pass show z\"\n").unwrap();
        assert!(matches!(
            &c.profiles["z"].key,
            KeySource::Command { timeout, .. } if *timeout == DEFAULT_KEY_CMD_TIMEOUT
        ));
        let c = parse(
            "[profiles.z]\nprovider=\"zep\"\napi_key_cmd=\"pass show z\"\napi_key_cmd_timeout=\"30s\"\n",
        )
        .unwrap();
        assert!(matches!(
            &c.profiles["z"].key,
            KeySource::Command { timeout, .. } if *timeout == Duration::from_secs(30)
        ));
        for (body, needle) in [
            (
                "api_key_env=\"K\"\napi_key_cmd_timeout=\"30s\"",
                "profile `z`: api_key_cmd_timeout is only used with api_key_cmd, which is not set",
            ),
            (
                "api_key_cmd=\"pass show z\"\napi_key_cmd_timeout=\"0s\"",
                "profile `z`: api_key_cmd_timeout must be more than 0",
            ),
            (
                "api_key_cmd=\"pass show z\"\ndeadline=\"0s\"",
                "profile `z`: deadline must be more than 0",
            ),
            (
                "api_key_cmd=\"pass show z\"\napi_key_cmd_timeout=\"soon\"",
                "`soon`",
            ),
        ] {
            let err = parse(&format!("[profiles.z]\nprovider=\"zep\"\n{body}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{body}: {err}");
        }
    }

    /// A command that exits but leaves a process outside its group holding its output
    /// (`setsid cmd &`: the group is killed when the command exits) gives no key:
    /// said so, at the timeout, not waited on until the child ends.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_key_command_whose_output_stays_open_gives_no_key() {
        let started = Instant::now();
        let err = KeySource::Command {
            // Exits once the child is in a session of its own (field 6 of its stat), so that
            // killing the command's group cannot reach it.
            cmd: "sh -c 'setsid sleep 3 & s() { cut -d\" \" -f6 /proc/$1/stat; }; \
                  while [ \"$(s $!)\" = \"$(s $$)\" ]; do :; done'"
                .into(),
            timeout: Duration::from_millis(300),
        }
        .resolve("p")
        .unwrap_err()
        .to_string();
        assert!(started.elapsed() < Duration::from_secs(2), "{err}");
        assert_eq!(
            err,
            "profile `p`: api_key_cmd = sh …: gave no key within 300 ms (it exited, but its \
             output stayed open)"
        );
    }

    #[test]
    fn a_slow_key_command_is_killed() {
        let started = Instant::now();
        let err = KeySource::Command {
            cmd: "sleep 100".into(),
            timeout: Duration::from_millis(300),
        }
        .resolve("p")
        .unwrap_err()
        .to_string();
        assert!(started.elapsed() < Duration::from_secs(5), "{err}");
        assert_eq!(
            err,
            "profile `p`: api_key_cmd = sleep …: gave no key within 300 ms (killed)"
        );
        // Only the program is named, never its arguments.
        assert!(!err.contains("100"), "{err}");
        // A big output is read (and past 64 KiB dropped) while the command runs, so it
        // cannot stall the wait, nor fill memory: refused, at once.
        let started = Instant::now();
        let err = KeySource::Command {
            cmd: "sh -c 'head -c 1000000 /dev/zero | tr \\\\0 a; echo'".into(),
            timeout: Duration::from_secs(10),
        }
        .resolve("p")
        .unwrap_err()
        .to_string();
        assert!(started.elapsed() < Duration::from_secs(5), "{err}");
        assert!(
            err.ends_with("printed more than 64 KiB, which is no key"),
            "{err}"
        );
        // Up to the limit is a key.
        let k = KeySource::Command {
            cmd: "sh -c 'head -c 65536 /dev/zero | tr \\\\0 a'".into(),
            timeout: Duration::from_secs(10),
        }
        .resolve("p")
        .unwrap()
        .unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&k).len(), 65536);
    }
}
