//! The commands: each one wires config, providers, the runner and output together. This
//! file holds what they share (exit codes, errors, profile selection) and uses none of the
//! files below it; `command` dispatches to them, and the commands that change sessions,
//! `list` and `config` each have their own file.

mod apply;
pub mod command;
mod config_cmd;
mod feed;
mod limits;
mod listing;
mod plan;
mod record;
mod sessions;
mod staging;
mod sweep;

use std::sync::Arc;

use crate::cli::Cli;
use crate::config::{Config, ConfigError, Profile};
use crate::output;
use crate::provider::{self, Action, ListError, Options, Provider};
use crate::select::{self, Selector};
use crate::stale;

/// The process exit codes, documented in the README; scripts and alerting depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Partial = 1,
    Usage = 2,
    Auth = 3,
    /// A run would have acted on more sessions than a cap allows; nothing was sent.
    OverCap = 4,
    /// Another run holds the lock of a profile's server; nothing was sent.
    Locked = 5,
    /// Stopped by SIGINT (Ctrl-C); the process then dies of it (a shell's `$?` is 130).
    Interrupted = 130,
    /// Stopped by SIGTERM; the process then dies of it (`$?` 143).
    Terminated = 143,
}

impl Exit {
    /// The code of a run stopped by a signal: the first one's.
    pub fn stopped() -> Exit {
        match crate::signals::first() {
            Some(crate::signals::Signal::Terminate) => Exit::Terminated,
            _ => Exit::Interrupted,
        }
    }
}

/// The profiles a command can use, and what became of the others.
struct Prepared<T> {
    ready: Vec<(Profile, T)>,
    /// The worst exit code the profiles left out make.
    worst: Exit,
    /// Profiles whose configuration is broken: name and why.
    broken: Vec<(String, String)>,
}

/// Errors that end a command before (or instead of) per-session results.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    /// The profile's provider cannot do this at all (a sweep of every profile skips it).
    #[error("{0}")]
    Unsupported(String),
    #[error("profile `{0}`: listing sessions failed: {1}")]
    List(String, ListError),
    #[error("reading IDs: {0}")]
    Input(std::io::Error),
    /// The async runtime could not be built.
    #[error("cannot start: {0}")]
    Runtime(std::io::Error),
    /// The answer to a prompt could not be read.
    #[error("reading the answer: {0}")]
    Prompt(std::io::Error),
    #[error("writing output: {0}")]
    Output(std::io::Error),
    #[error("{0}")]
    OverCap(String),
    /// Another run holds the lock of a profile's server.
    #[error("{0}; another run is working on it (--wait-lock DUR waits for it)")]
    Locked(crate::lock::LockError),
    /// The lock could not be taken at all (its directory).
    #[error("{0} (--no-lock runs without it)")]
    Lock(crate::lock::LockError),
    /// The user said no at the delete prompt: not an error, but nothing was done.
    #[error("nothing deleted (not confirmed)")]
    Declined,
    /// Interrupted before anything was sent (waiting for a lock, reading input ahead).
    #[error("interrupted before anything was sent")]
    Interrupted,
    /// A command that changes nothing (`list`, `config check`) was interrupted.
    #[error("interrupted")]
    Stopped,
}

impl AppError {
    pub fn exit(&self) -> Exit {
        match self {
            _ if self.stopped() => Exit::stopped(),
            AppError::Config(_) | AppError::Usage(_) | AppError::Unsupported(_) => Exit::Usage,
            AppError::List(_, e) if e.auth_refused() => Exit::Auth,
            AppError::List(..) | AppError::Input(_) | AppError::Output(_) => Exit::Partial,
            AppError::Runtime(_) | AppError::Prompt(_) => Exit::Usage,
            AppError::OverCap(_) => Exit::OverCap,
            AppError::Locked(_) => Exit::Locked,
            AppError::Lock(_) => Exit::Usage,
            // As gh does for a declined prompt: 2, with usage errors, since nothing was sent.
            AppError::Declined => Exit::Usage,
            AppError::Interrupted | AppError::Stopped => Exit::stopped(),
        }
    }

    /// A signal ended the command (nothing more is to be tried, in any profile).
    pub(crate) fn stopped(&self) -> bool {
        matches!(
            self,
            AppError::Interrupted
                | AppError::Stopped
                | AppError::Config(ConfigError::Interrupted(_))
        )
    }

    /// How the message is introduced: `error: …`, except for a choice the user made.
    pub fn label(&self) -> &'static str {
        match self {
            AppError::Declined => "",
            _ => "error: ",
        }
    }
}

fn usage(msg: impl Into<String>) -> AppError {
    AppError::Usage(msg.into())
}

struct Ctx<'a> {
    cli: &'a Cli,
    config: Config,
    /// The run's report has begun (it then ends itself, whatever happens).
    reported: &'a std::cell::Cell<bool>,
}

impl Ctx<'_> {
    fn profile(&self) -> Result<Profile, AppError> {
        let profile = self.config.select(self.cli.profile_name())?;
        Ok(match self.cli.endpoint_url() {
            Some(url) => profile.at(url)?,
            None => profile,
        })
    }

    /// The profiles a command covers: one, or with `--all-profiles` every one in the file.
    fn profiles(&self, all: bool) -> Result<Vec<Profile>, AppError> {
        if !all {
            return Ok(vec![self.profile()?]);
        }
        if self.config.profiles.is_empty() {
            return Err(usage(format!(
                "--all-profiles: {} defines no profiles",
                self.config.path.display()
            )));
        }
        Ok(self.config.profiles.values().cloned().collect())
    }

    /// The profiles a command covers, each with what `prepare` made of it (its provider).
    /// With `--all-profiles` one profile must not stop the others: a profile that cannot do
    /// this at all (threads have no end; no participant counts for `list --empty`) is skipped by
    /// design, one whose configuration is broken is skipped and makes the exit code 1 (when
    /// every profile is broken, the run is a configuration error, 2: nothing was sent).
    /// Anything else, such as a flag a profile cannot honour, is refused up front. `only`:
    /// the profiles a saved sweep of every profile names (`apply`), the others left out
    /// without a word, since its sweep skipped them already when it was made.
    fn prepare<T>(
        &self,
        all: bool,
        only: Option<&[String]>,
        mut prepare: impl FnMut(&Profile) -> Result<T, AppError>,
    ) -> Result<Prepared<T>, AppError> {
        let mut done = Prepared {
            ready: Vec::new(),
            worst: Exit::Ok,
            broken: Vec::new(),
        };
        let named = |p: &Profile| only.is_none_or(|only| only.contains(&p.name));
        for profile in self.profiles(all)?.into_iter().filter(named) {
            match prepare(&profile) {
                Ok(t) => done.ready.push((profile, t)),
                Err(e) if e.stopped() => return Err(e),
                Err(e @ AppError::Unsupported(_)) if all => {
                    if !self.cli.quiet {
                        let why = without_name(&profile.name, &e);
                        crate::output::warn(format_args!(
                            "skipping profile `{}`: {why}",
                            profile.name
                        ));
                    }
                }
                Err(e @ AppError::Config(_)) if all => {
                    // The others still run, so "nothing was sent" (2) would be untrue: a
                    // profile left out is a part of the run that failed (1).
                    done.worst = done.worst.max_code(Exit::Partial);
                    // Not hidden by -q: the run is not what it was asked to be.
                    let why = without_name(&profile.name, &e);
                    crate::output::warn(format_args!("skipping profile `{}`: {why}", profile.name));
                    done.broken.push((profile.name.clone(), e.to_string()));
                }
                Err(e) => return Err(e),
            }
        }
        if done.ready.is_empty()
            && let Some((name, why)) = done.broken.first()
        {
            return Err(usage(format!(
                "--all-profiles: no profile can be used (`{name}`: {why}); nothing was sent"
            )));
        }
        Ok(done)
    }
}

/// `e`'s message without the `profile `NAME`: ` it starts with, for a line that names the
/// profile already ("skipping profile `c1`: profile `c1`: …" otherwise).
fn without_name(name: &str, e: &AppError) -> String {
    let text = e.to_string();
    match text.strip_prefix(&format!("profile `{name}`: ")) {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

impl Exit {
    /// The more serious of two codes (interrupted > locked > over cap > auth > usage >
    /// partial > ok).
    fn max_code(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Ok => 0,
            Exit::Partial => 1,
            Exit::Usage => 2,
            Exit::Auth => 3,
            Exit::OverCap => 4,
            Exit::Locked => 5,
            Exit::Interrupted | Exit::Terminated => 6,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// Resolves the profile's key (running `api_key_cmd` if that is the source) and builds its
/// provider on a client of its settings.
pub(crate) fn provider_of(
    profile: &Profile,
    opts: &Options,
) -> Result<Box<dyn Provider>, ConfigError> {
    let provider = &profile.provider;
    let key = profile.key.resolve(&profile.name)?;
    let auth = (key.as_ref()).map(|k| provider.auth(k)).unwrap_or_default();
    let rate = (opts.rate.or(profile.rate.map(|r| r.0))).or(provider.caps().published_rate);
    let deadline = (opts.deadline.or(profile.deadline)).map(|d| tokio::time::Instant::now() + d);
    let client = crate::client::http::ClientOptions {
        base_url: profile.base_url.clone(),
        auth,
        key,
        timeout: profile.timeout,
        retries: profile.retries,
        max_backoff: profile.max_backoff,
        rate,
        concurrency: opts.concurrency.unwrap_or(profile.concurrency),
        deadline,
        error_message: provider.error_message(),
    };
    let http = crate::client::http::Http::new(client, opts.stop.clone(), opts.holds.clone());
    Ok(provider.build(http, &profile.name, opts))
}

/// Builds `profile`'s provider for `action`, checked that it can do it, behind the guard of
/// the profile's protect list; with the handle through which a sweep tells the guard which
/// of the sessions it listed it checked against that list already. For a run that reads to
/// judge but never probes ([`crate::runner::DryRun::Recheck`], `unsent`), under the guard is
/// [`crate::recheck::unsent`] (`Some(exists)`), never the provider's own probe.
fn build(
    profile: &Profile,
    action: Action,
    opts: &Options,
    unsent: Option<bool>,
) -> Result<(Arc<dyn Provider>, crate::guard::Cleared), AppError> {
    let opts = &Options {
        action: Some(action),
        ..opts.clone()
    };
    let mut provider: Arc<dyn Provider> = provider_of(profile, opts)?.into();
    provider::check(profile.provider.as_ref(), provider.as_ref(), action, opts).map_err(
        |u| match u {
            provider::Unsupported::Action(why) => AppError::Unsupported(why),
            provider::Unsupported::Option(why) => usage(why),
        },
    )?;
    if let Some(exists) = unsent {
        provider = crate::recheck::unsent(provider, exists);
    }
    // Every action of every command passes the profile's protect list.
    Ok(crate::guard::wrap(
        provider,
        &profile.protect,
        &profile.name,
    ))
}

/// `--orphans` can only be honoured where the provider's sessions leave data behind that it
/// can list.
fn check_orphans(profile: &Profile, orphans: bool) -> Result<(), AppError> {
    if orphans && !profile.provider.caps().orphans {
        return Err(AppError::Unsupported(format!(
            "--orphans: {} sessions leave nothing behind to list",
            profile.provider.name()
        )));
    }
    Ok(())
}

/// `--idle-for` and `--older-than` can only be honoured where the provider's list says when
/// each session was last used, and when it was created ([`provider::Judges`]): refused
/// alone, skipped in a run over every profile, never run to report every row unjudged.
fn check_judged(profile: &Profile, idle: bool, age: bool) -> Result<(), AppError> {
    let judges = profile.provider.caps().judges;
    let asked = [
        (idle, "--idle-for", judges.idle),
        (age, "--older-than", judges.age),
    ];
    let refused = (asked.into_iter())
        .find_map(|(asked, flag, can)| can.err().filter(|_| asked).map(|why| (flag, why)));
    match refused {
        None => Ok(()),
        Some((flag, why)) => Err(AppError::Unsupported(format!(
            "{flag}: profile `{}` ({}): {why}; nothing is sent to it",
            profile.name,
            profile.provider.label()
        ))),
    }
}

/// `list --empty` can only be honoured where the provider reports live participants.
fn check_empty(profile: &Profile, empty: bool) -> Result<(), AppError> {
    if empty && !profile.provider.caps().reports_participants {
        return Err(AppError::Unsupported(format!(
            "--empty: {} does not report live participants",
            profile.provider.name()
        )));
    }
    Ok(())
}

/// `--ended-for` can only be honoured where the provider's list says when sessions ended
/// (and its data outlives the end): refused alone, skipped in a run over every profile.
fn check_ended(profile: &Profile, provider: &dyn Provider, ended: bool) -> Result<(), AppError> {
    if ended && provider.features().ended.is_none() {
        let why = match profile.provider.caps().judges.ended {
            Err(why) => format!(": {why}"),
            Ok(()) => String::new(),
        };
        return Err(AppError::Unsupported(format!(
            "--ended-for: {} does not list ended sessions with when they ended{why}; nothing is sent to it",
            profile.provider.label()
        )));
    }
    Ok(())
}

/// `--where` as `profile` runs it: what its server filters, what its rows must match. A
/// field its provider does not have makes the profile unusable for this run (`Unsupported`:
/// refused alone, skipped in a sweep of every profile), never listed unfiltered.
fn selection(profile: &Profile, selector: &Selector) -> Result<select::Selection, AppError> {
    let provider = profile.provider.label();
    (selector.for_provider(profile.provider.selectable(), &provider))
        .map_err(|why| AppError::Unsupported(format!("--where {why}; nothing is sent to it")))
}

/// `filter` for one profile's listing with its `--where` selection, saying in the log
/// (`-v`) what its server filters and what is matched on the rows.
fn scoped(
    filter: &stale::Filter,
    profile: &Profile,
    selection: select::Selection,
) -> stale::Filter {
    if !selection.is_empty() {
        tracing::info!("profile `{}`: --where {}", profile.name, selection.plan());
    }
    stale::Filter {
        selection,
        max_rows: Some(profile.max_listed),
        ..filter.clone()
    }
}

/// After [`Ctx::prepare`]: with `--where`, a run whose every profile lacked a field it names
/// has nothing to do, which is the user's mistake, not an empty result.
fn check_selected<T>(ready: &[(Profile, T)], selector: &Selector) -> Result<(), AppError> {
    if ready.is_empty() && !selector.is_empty() {
        let terms: Vec<String> = selector.terms.iter().map(|t| format!("`{t}`")).collect();
        return Err(usage(format!(
            "--where {}: no profile has the fields it names; nothing was sent",
            terms.join(" ")
        )));
    }
    Ok(())
}

/// The document header: the one profile a run covered, or none for `--all-profiles`.
fn header<T>(all: bool, ready: &[(Profile, T)]) -> output::Header {
    match (all, ready.first()) {
        (false, Some((p, _))) => output::Header::of(p),
        _ => output::Header::default(),
    }
}

/// The run's "now" (`SESSIONCTL_NOW`, else the clock): read once, before anything is sent,
/// so that a value that does not parse is a usage error (exit 2) for every command.
fn now() -> Result<jiff::Timestamp, AppError> {
    stale::now().map_err(usage)
}

/// The instant `d` before `now`.
fn cutoff(now: jiff::Timestamp, d: std::time::Duration) -> Result<jiff::Timestamp, AppError> {
    let span = jiff::SignedDuration::try_from(d).map_err(|e| usage(format!("duration: {e}")))?;
    now.checked_sub(span)
        .map_err(|e| usage(format!("duration too long: {e}")))
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn the_documented_exit_codes_are_the_ones_made() {
        let made = [
            Exit::Ok,
            Exit::Partial,
            Exit::Usage,
            Exit::Auth,
            Exit::OverCap,
            Exit::Locked,
            Exit::Interrupted,
            Exit::Terminated,
        ]
        .map(|e| e as u8);
        let documented: Vec<u8> = crate::cli::EXIT_CODES.iter().map(|(c, _)| *c).collect();
        assert_eq!(documented, made);
    }
}
