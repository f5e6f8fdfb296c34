//! The commands: each one wires config, providers, the runner and output together.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use clap::CommandFactory;
use serde::Serialize;
use tokio::io::BufReader;
use tokio::sync::mpsc;

use crate::cli::{BulkArgs, Cli, Command, ConfigAction, ListArgs, OutputFormat, RunArgs};
use crate::config::{Config, ConfigError, Profile};
use crate::ids::{self, Dedup, Item};
use crate::outcome::{Outcome, SessionResult, Summary};
use crate::output::{self, Header, ResultSink};
use crate::provider::{self, Action, ListError, Options, Provider};
use crate::runner::{self, Interrupt, Plan};
use crate::stale::{self, Filter};

/// The process exit codes, documented in the README; scripts and alerting depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Partial = 1,
    Usage = 2,
    Auth = 3,
    Interrupted = 130,
}

/// Errors that end a command before (or instead of) per-session results.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("profile `{0}`: listing sessions failed: {1}")]
    List(String, ListError),
    #[error("reading IDs: {0}")]
    Input(#[from] std::io::Error),
}

impl AppError {
    pub fn exit(&self) -> Exit {
        match self {
            AppError::Config(_) | AppError::Usage(_) => Exit::Usage,
            AppError::List(_, e) if e.auth_refused() => Exit::Auth,
            AppError::List(..) | AppError::Input(_) => Exit::Partial,
        }
    }
}

fn usage(msg: impl Into<String>) -> AppError {
    AppError::Usage(msg.into())
}

/// Commands that need no configuration and no runtime.
pub fn run_offline(cli: &Cli) -> Option<Result<Exit, AppError>> {
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "sessionctl",
                &mut std::io::stdout(),
            );
            Some(Ok(Exit::Ok))
        }
        Command::Config {
            action: ConfigAction::Path,
        } => Some(
            crate::config::locate(cli.config_path())
                .map_err(AppError::from)
                .map(|(p, _)| {
                    println!("{}", p.display());
                    Exit::Ok
                }),
        ),
        _ => None,
    }
}

pub async fn run(cli: Cli) -> Result<Exit, AppError> {
    let config = Config::load(cli.config_path())?;
    if config.world_readable_secret && !cli.quiet {
        eprintln!(
            "sessionctl: warning: {} holds an api_key and is readable by others; run `chmod 600` on it",
            config.path.display()
        );
    }
    if cli.output == OutputFormat::Ids && !matches!(cli.command, Command::List(_)) {
        return Err(usage("`-o ids` is only for `list`"));
    }
    let ctx = Ctx { cli: &cli, config };
    match &cli.command {
        Command::End { id, run } => {
            let input = Input::Args(vec![ids::from_arg(id).map_err(usage)?]);
            ctx.act(Action::End, input, run, &provider::Options::default())
                .await
        }
        Command::EndMany(bulk) => ctx.bulk(Action::End, bulk, &Options::default()).await,
        Command::Delete {
            bulk,
            yes,
            wait,
            by_uuid,
        } => {
            let opts = Options {
                wait: *wait,
                by_uuid: *by_uuid,
                ..Options::default()
            };
            if !yes && !bulk.run.dry_run {
                ctx.confirm_delete(bulk)?;
            }
            ctx.bulk(Action::Delete, bulk, &opts).await
        }
        Command::List(args) => ctx.list(args).await,
        Command::Config {
            action: ConfigAction::Show,
        } => ctx.config_show(),
        Command::Config {
            action: ConfigAction::Check { online },
        } => ctx.config_check(*online).await,
        Command::Completions { .. } | Command::Config { .. } => {
            unreachable!("handled by run_offline")
        }
    }
}

/// Where a bulk command's IDs come from.
enum Input {
    Args(Vec<String>),
    Stdin,
    File(std::path::PathBuf),
    /// Picked by a stale sweep, with why each was picked.
    Swept(Vec<(String, String)>),
}

struct Ctx<'a> {
    cli: &'a Cli,
    config: Config,
}

impl Ctx<'_> {
    fn profile(&self) -> Result<Profile, AppError> {
        Ok(self.config.select(self.cli.profile_name())?)
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

    fn input(&self, bulk: &BulkArgs) -> Result<Input, AppError> {
        match (&bulk.file, bulk.ids.as_slice()) {
            (Some(_), [_, ..]) => Err(usage("give IDs as arguments or with --file, not both")),
            (Some(f), []) => Ok(Input::File(f.clone())),
            (None, [one]) if one == "-" => Ok(Input::Stdin),
            (None, []) => Err(usage(
                "no session IDs given (arguments, --file, `-` for stdin, or --idle-for)",
            )),
            (None, args) => {
                let ids = args
                    .iter()
                    .map(|a| ids::from_arg(a))
                    .collect::<Result<_, _>>();
                Ok(Input::Args(ids.map_err(usage)?))
            }
        }
    }

    async fn bulk(
        &self,
        action: Action,
        bulk: &BulkArgs,
        opts: &Options,
    ) -> Result<Exit, AppError> {
        match bulk.stale.idle_for {
            None => self.act(action, self.input(bulk)?, &bulk.run, opts).await,
            Some(idle) => self.sweep(action, bulk, idle, opts).await,
        }
    }

    fn options(&self, run: &RunArgs, base: &Options) -> Options {
        Options {
            rate: run.rate.map(|r| r.0),
            concurrency: run.concurrency.map(|c| c as usize),
            ..base.clone()
        }
    }

    /// One profile, IDs from arguments, a file or stdin.
    async fn act(
        &self,
        action: Action,
        input: Input,
        run: &RunArgs,
        opts: &Options,
    ) -> Result<Exit, AppError> {
        let profile = self.profile()?;
        let provider = build(&profile, action, &self.options(run, opts))?;
        let header = Header {
            profile: Some(profile.name.clone()),
            provider: Some(profile.spec.name.to_owned()),
        };
        let mut sink = ResultSink::new(self.cli.output, header, !self.cli.quiet);
        let interrupt = Interrupt::install();
        execute(&provider, &profile, action, input, run, &interrupt, |r| {
            sink.emit(r)
        })
        .await?;
        let summary = sink.finish(interrupt.interrupted());
        Ok(exit_for(&summary, interrupt.interrupted(), run, opts))
    }

    /// `--idle-for`: list each profile's stale sessions, then act on them.
    async fn sweep(
        &self,
        action: Action,
        bulk: &BulkArgs,
        idle: std::time::Duration,
        opts: &Options,
    ) -> Result<Exit, AppError> {
        let filter = Filter {
            idle_before: Some(cutoff(idle)?),
            empty_only: bulk.stale.empty,
            ..Filter::default()
        };
        let all = bulk.stale.all_profiles;
        // Problems outside the per-session results: they can only make the exit code worse.
        let mut worst = Exit::Ok;
        let mut targets = Vec::new();
        for profile in self.profiles(all)? {
            match build(&profile, action, &self.options(&bulk.run, opts)) {
                Ok(p) => targets.push((profile, p)),
                // One broken profile must not stop a sweep of every other one.
                // (A threads profile in an `end` sweep is skipped by design, not an error.)
                Err(e) if all => {
                    let by_design = matches!(e, AppError::Usage(_));
                    if !by_design {
                        worst = worst.max_code(e.exit());
                    }
                    if !(by_design && self.cli.quiet) {
                        eprintln!("sessionctl: skipping profile `{}`: {e}", profile.name);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let header = match (all, targets.first()) {
            (false, Some((p, _))) => Header {
                profile: Some(p.name.clone()),
                provider: Some(p.spec.name.to_owned()),
            },
            _ => Header::default(),
        };
        let mut sink = ResultSink::new(self.cli.output, header, !self.cli.quiet);
        let interrupt = Interrupt::install();
        for (profile, provider) in targets {
            let tag = all.then(|| profile.name.clone());
            let listed = tokio::select! {
                listed = stale::collect(provider.as_ref(), &filter) => listed,
                _ = interrupt.stop.cancelled() => break,
            };
            let listed = match listed {
                Ok(l) => l,
                Err(e) => {
                    let err = AppError::List(profile.name.clone(), e);
                    eprintln!("sessionctl: {err}");
                    worst = worst.max_code(err.exit());
                    continue;
                }
            };
            let mut picked = Vec::new();
            for l in listed {
                match l.problem {
                    Some(problem) => {
                        let mut r =
                            SessionResult::failed(l.row.id, format!("not acted on: {problem}"));
                        r.profile = tag.clone();
                        sink.emit(r);
                    }
                    None => {
                        let idle = l.idle_secs.unwrap_or(0);
                        let reason = format!(
                            "idle {} (last activity {})",
                            humantime::format_duration(std::time::Duration::from_secs(
                                idle - idle % 60
                            )),
                            l.row.activity.as_deref().unwrap_or("?")
                        );
                        picked.push((l.row.id, reason));
                    }
                }
            }
            execute(
                &provider,
                &profile,
                action,
                Input::Swept(picked),
                &bulk.run,
                &interrupt,
                |mut r| {
                    r.profile = tag.clone();
                    sink.emit(r)
                },
            )
            .await?;
        }
        let interrupted = interrupt.interrupted();
        let summary = sink.finish(interrupted);
        let exit = exit_for(&summary, interrupted, &bulk.run, opts);
        Ok(exit.max_code(worst))
    }

    fn confirm_delete(&self, bulk: &BulkArgs) -> Result<(), AppError> {
        let stdin = std::io::stdin();
        let reads_ids_from_stdin = bulk.ids.len() == 1 && bulk.ids[0] == "-";
        if !stdin.is_terminal() || reads_ids_from_stdin {
            return Err(usage(
                "delete is irreversible: pass --yes (stdin is not a terminal to ask on)",
            ));
        }
        let names: Vec<String> = self
            .profiles(bulk.stale.all_profiles)?
            .into_iter()
            .map(|p| format!("`{}` ({})", p.name, p.spec.name))
            .collect();
        let scope = match names.as_slice() {
            [one] => format!("profile {one}"),
            many => format!("EVERY profile: {}", many.join(", ")),
        };
        let what = match (&bulk.stale.idle_for, bulk.ids.len(), &bulk.file) {
            (Some(d), _, _) => format!(
                "every session idle for more than {}",
                humantime::format_duration(*d)
            ),
            (None, _, Some(f)) => format!("the sessions listed in {}", f.display()),
            (None, n, None) => format!("{n} session(s)"),
        };
        eprint!("Delete {what} on {scope}? This cannot be undone. [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        match answer.trim() {
            "y" | "Y" | "yes" => Ok(()),
            _ => Err(usage("not confirmed; nothing deleted")),
        }
    }

    async fn list(&self, args: &ListArgs) -> Result<Exit, AppError> {
        let filter = Filter {
            idle_before: args.idle_for.map(cutoff).transpose()?,
            created_before: args.older_than.map(cutoff).transpose()?,
            include_inactive: args.all,
            empty_only: args.empty,
            limit: args.limit,
        };
        let mut all = Vec::new();
        let mut worst = Exit::Ok;
        for profile in self.profiles(args.all_profiles)? {
            let provider = match provider::build(&profile, &Options::default()) {
                Ok(p) => p,
                Err(e) if args.all_profiles => {
                    eprintln!("sessionctl: skipping profile `{}`: {e}", profile.name);
                    worst = worst.max_code(Exit::Usage);
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            match stale::collect(provider.as_ref(), &filter).await {
                Ok(listed) => all.extend(listed.into_iter().map(|mut l| {
                    l.profile = args.all_profiles.then(|| profile.name.clone());
                    l
                })),
                Err(e) => {
                    let err = AppError::List(profile.name.clone(), e);
                    if !args.all_profiles {
                        return Err(err);
                    }
                    eprintln!("sessionctl: {err}");
                    worst = worst.max_code(err.exit());
                }
            }
        }
        let problems = all.iter().filter(|l| l.problem.is_some()).count();
        if problems > 0 {
            eprintln!("sessionctl: {problems} session(s) have unreadable timestamps (see IDLE)");
            worst = worst.max_code(Exit::Partial);
        }
        let header = if args.all_profiles {
            Header::default()
        } else {
            let p = self.profile()?;
            Header {
                profile: Some(p.name),
                provider: Some(p.spec.name.to_owned()),
            }
        };
        output::print_sessions(self.cli.output, &header, &all);
        Ok(worst)
    }

    fn config_show(&self) -> Result<Exit, AppError> {
        let mut profiles: Vec<Profile> = self.config.profiles.values().cloned().collect();
        if !self
            .config
            .profiles
            .contains_key(crate::config::BUILTIN_PROFILE)
        {
            profiles.push(Profile::builtin());
        }
        let default = Some(self.profile()?.name);
        let records: Vec<ShownProfile> = profiles
            .iter()
            .map(|p| ShownProfile {
                name: p.name.clone(),
                selected: default.as_deref() == Some(&p.name),
                provider: p.spec.name,
                api_version: p.api_version,
                base_url: p.base_url.to_string(),
                key: p.key.describe(),
                team_id: p.team_id.clone(),
                timeout: humantime::format_duration(p.timeout).to_string(),
                concurrency: p.concurrency,
                batch_size: p.batch_size,
                retries: p.retries,
            })
            .collect();
        if self.cli.output == OutputFormat::Table {
            let state = if self.config.exists {
                ""
            } else {
                " (does not exist; built-in profile only)"
            };
            println!("config: {}{state}", self.config.path.display());
        }
        output::print_records(
            self.cli.output,
            vec![
                "PROFILE",
                "PROVIDER",
                "API",
                "BASE URL",
                "KEY",
                "TIMEOUT",
                "CONCURRENCY",
                "BATCH",
                "RETRIES",
            ],
            &records,
            |r| {
                vec![
                    format!("{}{}", r.name, if r.selected { " *" } else { "" }),
                    r.provider.to_owned(),
                    r.api_version.to_string(),
                    r.base_url.clone(),
                    r.key.clone(),
                    r.timeout.clone(),
                    r.concurrency.to_string(),
                    r.batch_size.to_string(),
                    r.retries.to_string(),
                ]
            },
        );
        Ok(Exit::Ok)
    }

    async fn config_check(&self, online: bool) -> Result<Exit, AppError> {
        let mut profiles: Vec<Profile> = self.config.profiles.values().cloned().collect();
        if profiles.is_empty() {
            profiles.push(Profile::builtin());
        }
        let mut checks = Vec::new();
        let mut worst = Exit::Ok;
        for profile in profiles {
            let (status, exit) = match provider::build(&profile, &Options::default()) {
                Err(e) => (format!("invalid: {e}"), Exit::Usage),
                Ok(_) if !online => ("ok".to_owned(), Exit::Ok),
                Ok(p) => match p.list_page(None, true).await {
                    Ok(_) => ("ok (online)".to_owned(), Exit::Ok),
                    Err(e) if e.auth_refused() => (format!("auth refused: {e}"), Exit::Auth),
                    Err(ListError::Transport(f)) => {
                        (format!("unreachable: {}", f.error), Exit::Partial)
                    }
                    Err(e) => (format!("failed: {e}"), Exit::Partial),
                },
            };
            worst = worst.max_code(exit);
            checks.push(Check {
                profile: profile.name,
                provider: profile.spec.name,
                base_url: profile.base_url.to_string(),
                ok: exit == Exit::Ok,
                status,
            });
        }
        output::print_records(
            self.cli.output,
            vec!["PROFILE", "PROVIDER", "BASE URL", "STATUS"],
            &checks,
            |c| {
                vec![
                    c.profile.clone(),
                    c.provider.to_owned(),
                    c.base_url.clone(),
                    c.status.clone(),
                ]
            },
        );
        Ok(worst)
    }
}

#[derive(Serialize)]
struct ShownProfile {
    name: String,
    selected: bool,
    provider: &'static str,
    api_version: u8,
    base_url: String,
    key: String,
    team_id: Option<String>,
    timeout: String,
    concurrency: usize,
    batch_size: usize,
    retries: u32,
}

#[derive(Serialize)]
struct Check {
    profile: String,
    provider: &'static str,
    base_url: String,
    ok: bool,
    status: String,
}

impl Exit {
    /// The more serious of two codes (interrupted > auth > usage > partial > ok).
    fn max_code(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Ok => 0,
            Exit::Partial => 1,
            Exit::Usage => 2,
            Exit::Auth => 3,
            Exit::Interrupted => 4,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

fn build(profile: &Profile, action: Action, opts: &Options) -> Result<Arc<dyn Provider>, AppError> {
    let provider: Arc<dyn Provider> = provider::build(profile, opts)?.into();
    provider.supports(action).map_err(usage)?;
    Ok(provider)
}

fn cutoff(d: std::time::Duration) -> Result<jiff::Timestamp, AppError> {
    let span = jiff::SignedDuration::try_from(d).map_err(|e| usage(format!("duration: {e}")))?;
    stale::now()
        .checked_sub(span)
        .map_err(|e| usage(format!("duration too long: {e}")))
}

/// Streams `input` through the runner for one profile.
async fn execute(
    provider: &Arc<dyn Provider>,
    profile: &Profile,
    action: Action,
    input: Input,
    run: &RunArgs,
    interrupt: &Interrupt,
    mut emit: impl FnMut(SessionResult),
) -> Result<(), AppError> {
    let batch = provider.batch_size(action);
    let concurrency = run.concurrency.map_or(profile.concurrency, |c| c as usize);
    let (tx, rx) = mpsc::channel(concurrency.max(2));
    let mut reasons = HashMap::new();
    let endless_input = matches!(input, Input::Stdin) && std::io::stdin().is_terminal();
    let reader = match input {
        Input::Stdin => tokio::spawn(ids::stream_lines(
            BufReader::new(tokio::io::stdin()),
            batch,
            tx,
        )),
        Input::File(path) => {
            let file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
            tokio::spawn(ids::stream_lines(BufReader::new(file), batch, tx))
        }
        Input::Args(list) => tokio::spawn(send_chunks(list, batch, tx)),
        Input::Swept(picked) => {
            let list = picked.iter().map(|(id, _)| id.clone()).collect();
            reasons.extend(picked);
            tokio::spawn(send_chunks(list, batch, tx))
        }
    };
    let plan = Plan {
        action,
        dry_run: run.dry_run,
        batches_in_flight: concurrency,
        endless_input,
    };
    runner::run(provider.clone(), plan, rx, interrupt, |mut r| {
        r.reason = reasons.remove(&r.id);
        emit(r)
    })
    .await;
    reader.await.expect("the ID reader does not panic")?;
    Ok(())
}

/// IDs already in memory, deduplicated and chunked like a stream would be.
async fn send_chunks(
    ids: Vec<String>,
    chunk: usize,
    tx: mpsc::Sender<Vec<Item>>,
) -> std::io::Result<()> {
    let mut seen = Dedup::default();
    let unique: Vec<Item> = ids
        .into_iter()
        .filter(|id| seen.first_time(id))
        .map(Item::Id)
        .collect();
    for part in unique.chunks(chunk) {
        if tx.send(part.to_vec()).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// 0 all ok; 1 anything failed or not found (unless ignored), or still running after
/// `--wait`; 3 credentials refused; 130 interrupted.
fn exit_for(summary: &Summary, interrupted: bool, run: &RunArgs, opts: &Options) -> Exit {
    let unfinished = opts.wait.is_some() && summary.count(Outcome::Accepted) > 0;
    if interrupted {
        Exit::Interrupted
    } else if summary.auth_refused {
        Exit::Auth
    } else if summary.count(Outcome::Failed) > 0
        || (!run.ignore_missing && summary.count(Outcome::NotFound) > 0)
        || unfinished
    {
        Exit::Partial
    } else {
        Exit::Ok
    }
}
