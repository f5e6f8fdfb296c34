//! The plan of a run that changes sessions (`end`, `end-many`, `delete`): its command line
//! resolved once, as ripgrep turns its low-level args into high-level ones, into what the
//! rest of `app/` acts on: where the sessions come from (IDs or a sweep's selection), which
//! profiles, the provider's options, the run's limits and records. Only this file and
//! `command` (which dispatches) read clap's types; below `app`, nothing sees them.

use std::path::PathBuf;
use std::time::Duration;

use super::{AppError, usage};
use crate::cli::{self, BulkArgs, Cli, Command, RunArgs};
use crate::ids::{self, Item};
use crate::output::Format;
use crate::provider::{self, Action};
use crate::runner::DryRun;
use crate::select::Selector;

/// What a run that changes sessions does, on what, and what it leaves behind.
#[derive(Debug)]
pub(super) struct RunPlan {
    pub(super) action: Action,
    /// Where its sessions come from.
    pub(super) source: Source,
    /// `--all-profiles`: every profile in the config file.
    pub(super) all: bool,
    /// A delete asks first (no `--yes`, not a dry run): what the prompt names.
    pub(super) confirm: Option<Confirm>,
    /// `--empty`, which a sweep no longer needs: only noted.
    pub(super) empty: bool,
    /// What each profile's provider and its client are given: `--wait`, `--by-uuid`, and
    /// `--rate`, `--concurrency` and `--deadline` over the profile's own (the run's
    /// interrupt and holds are set when its providers are built).
    pub(super) provider: provider::Options,
    /// How stdout reports it (`-o`).
    pub(super) format: Format,
    /// `-q`: no notices.
    pub(super) quiet: bool,
    /// Send nothing (client), or read only (server).
    pub(super) dry_run: Option<DryRun>,
    /// No session finished for this long: the rest are skipped (`--max-stall`; else each
    /// profile's own).
    pub(super) max_stall: Option<Duration>,
    /// The most sessions the whole run may act on (`--max`).
    pub(super) max: Option<u64>,
    /// A session that does not exist counts as done (`--ignore-missing`).
    pub(super) missing_ok: bool,
    /// Where the run is recorded: `--journal`, or the `--resume` file it continues.
    pub(super) journal: Option<PathBuf>,
    /// The journal whose job this run continues.
    pub(super) resume: Option<PathBuf>,
    pub(super) metrics: Option<PathBuf>,
    pub(super) lock: LockPolicy,
}

/// Whether a run takes the per-profile locks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum LockPolicy {
    /// `--no-lock`, or a client dry run (which sends nothing).
    Skip,
    /// Take them; if held, wait up to this long (`--wait-lock`), else refuse at once.
    Take { wait: Option<Duration> },
}

/// Where a run's sessions come from.
#[derive(Debug)]
pub(super) enum Source {
    /// IDs given: arguments, a file or stdin.
    Ids(Input),
    /// What a listing selects.
    Sweep(Sweep),
}

/// Where a bulk command's IDs come from.
#[derive(Debug, Clone)]
pub(super) enum Input {
    /// Already in memory: arguments, or input read ahead to check the cap.
    Items(Vec<Item>),
    Stdin,
    File(std::path::PathBuf),
}

/// How a sweep selects: by proven idleness, by age, or both; (retention) by how long ago a
/// session ended; or what sessions left behind. Then `--where` on what is listed, and
/// `--limit` on what is acted on.
#[derive(Debug)]
pub(super) struct Sweep {
    pub(super) idle_for: Option<Duration>,
    pub(super) older_than: Option<Duration>,
    pub(super) ended_for: Option<Duration>,
    pub(super) orphans: bool,
    pub(super) selector: Selector,
    pub(super) limit: Option<u64>,
}

/// What a delete's prompt asks about, fixed from the command line (input read ahead later
/// to check a cap is still what the user gave).
#[derive(Debug)]
pub(super) struct Confirm {
    /// The IDs come from stdin, which cannot then be asked on.
    pub(super) stdin: bool,
    /// What would be deleted, as the prompt says it.
    pub(super) what: String,
}

impl RunPlan {
    /// The plan of `cli`'s command, if it changes sessions; refused if its flags cannot
    /// mean what the user hoped, before anything is read, asked or sent.
    pub(super) fn of(cli: &Cli) -> Option<Result<RunPlan, AppError>> {
        let plan = match &cli.command {
            Command::End { ids, run } => end(cli, ids, run),
            Command::EndMany { bulk, older_than } => check_bulk(bulk).and_then(|()| {
                let sweep = Sweep {
                    older_than: *older_than,
                    ..Sweep::of(bulk)
                };
                let opts = provider::Options::default();
                bulk_plan(cli, Action::End, bulk, sweep, false, opts)
            }),
            Command::Delete {
                bulk,
                yes,
                wait,
                timeout,
                by_uuid,
                ended_for,
                orphans,
            } => check_bulk(bulk).and_then(|()| {
                if *by_uuid && bulk.stale.idle_for.is_some() {
                    return Err(usage(
                        "--by-uuid cannot go with --idle-for (a sweep lists thread IDs)",
                    ));
                }
                let mut extra = provider::unit::Extra::default();
                if *wait {
                    let limit = timeout.unwrap_or(cli::DEFAULT_WAIT_TIMEOUT);
                    extra = extra.with("--wait", Some(limit));
                }
                if *by_uuid {
                    extra = extra.with("--by-uuid", None);
                }
                let opts = provider::Options {
                    extra,
                    ..provider::Options::default()
                };
                let sweep = Sweep {
                    ended_for: *ended_for,
                    orphans: *orphans,
                    ..Sweep::of(bulk)
                };
                let confirm = !yes && bulk.run.dry_run.is_none();
                bulk_plan(cli, Action::Delete, bulk, sweep, confirm, opts)
            }),
            _ => return None,
        };
        Some(plan)
    }

    /// The plan of one profile's run of `source`, with its run options (which cannot be
    /// refused) and what the command gives its providers.
    fn with_run(
        run: &RunArgs,
        cli: &Cli,
        action: Action,
        source: Source,
        provider: provider::Options,
    ) -> RunPlan {
        let dry_run = run.dry_run.map(|d| match d {
            cli::DryRun::Client => DryRun::Client,
            cli::DryRun::Server => DryRun::Server,
        });
        RunPlan {
            action,
            source,
            all: false,
            confirm: None,
            empty: false,
            provider: provider::Options {
                concurrency: run.concurrency.map(|c| c as usize),
                rate: run.rate.map(|r| r.0),
                deadline: run.deadline,
                ..provider
            },
            format: cli.output.into(),
            quiet: cli.quiet,
            dry_run,
            max_stall: run.max_stall,
            max: run.max,
            missing_ok: run.ignore_missing,
            journal: run.journal.clone().or_else(|| run.resume.clone()),
            resume: run.resume.clone(),
            metrics: run.metrics_file.clone(),
            lock: match run.no_lock || dry_run == Some(DryRun::Client) {
                true => LockPolicy::Skip,
                false => LockPolicy::Take {
                    wait: run.wait_lock,
                },
            },
        }
    }

    /// A sweep's selection, if this run is one.
    pub(super) fn sweep(&self) -> Option<&Sweep> {
        match &self.source {
            Source::Sweep(s) => Some(s),
            Source::Ids(_) => None,
        }
    }
}

/// The metrics file a command's run options name, for the report of a run that ended
/// before its plan was made (see [`super::record::refused`]).
pub(super) fn metrics_file(cli: &Cli) -> Option<Option<PathBuf>> {
    cli.command.run_args().map(|r| r.metrics_file.clone())
}

/// `end`: IDs as arguments only.
fn end(cli: &Cli, ids: &[String], run: &RunArgs) -> Result<RunPlan, AppError> {
    check_end_ids(ids, run)?;
    let items: Result<Vec<Item>, String> = ids
        .iter()
        .map(|id| ids::from_arg(id).map(Item::Id))
        .collect();
    let input = Input::Items(items.map_err(usage)?);
    let opts = provider::Options::default();
    Ok(RunPlan::with_run(
        run,
        cli,
        Action::End,
        Source::Ids(input),
        opts,
    ))
}

/// `end-many` and `delete` (their flags checked): a sweep when it selects, else the IDs
/// given.
fn bulk_plan(
    cli: &Cli,
    action: Action,
    bulk: &BulkArgs,
    sweep: Sweep,
    confirm: bool,
    provider: provider::Options,
) -> Result<RunPlan, AppError> {
    let confirm = confirm.then(|| Confirm {
        stdin: bulk.ids.len() == 1 && bulk.ids[0] == "-",
        what: asked(bulk, sweep.ended_for),
    });
    let source = match sweep.sweeps() {
        true => Source::Sweep(sweep),
        false => {
            if !bulk.stale.selectors.is_empty() {
                return Err(usage(
                    "--where selects what a sweep lists: use it with --idle-for, --older-than \
                     or --ended-for (or pipe `list --where … -o ids` into `-`)",
                ));
            }
            if bulk.stale.limit.is_some() {
                return Err(usage(
                    "--limit bounds what a sweep acts on: use it with --idle-for or --older-than \
                     (for a fixed list of IDs, pass fewer)",
                ));
            }
            Source::Ids(input(bulk)?)
        }
    };
    Ok(RunPlan {
        all: bulk.stale.all_profiles,
        confirm,
        empty: bulk.stale.empty,
        ..RunPlan::with_run(&bulk.run, cli, action, source, provider)
    })
}

impl Sweep {
    /// What a bulk command's stale flags select (the command adds its own).
    fn of(bulk: &BulkArgs) -> Sweep {
        Sweep {
            idle_for: bulk.stale.idle_for,
            older_than: None,
            ended_for: None,
            orphans: false,
            selector: Selector {
                terms: bulk.stale.selectors.clone(),
            },
            limit: bulk.stale.limit,
        }
    }

    fn sweeps(&self) -> bool {
        self.idle_for.is_some()
            || self.older_than.is_some()
            || self.ended_for.is_some()
            || self.orphans
    }
}

/// What a delete of `bulk` would delete, as its prompt says it; `ended_for`: a retention
/// sweep's `--ended-for`.
fn asked(bulk: &BulkArgs, ended_for: Option<Duration>) -> String {
    let wheres =
        || (bulk.stale.selectors.iter()).fold(String::new(), |s, t| s + &format!(" where {t}"));
    match (&bulk.stale.idle_for, bulk.ids.len(), &bulk.file) {
        _ if let Some(d) = ended_for => format!(
            "the stored data of every session that ended more than {} ago{}",
            humantime::format_duration(d),
            wheres()
        ),
        (Some(d), _, _) => format!(
            "every session idle for more than {}{}",
            humantime::format_duration(*d),
            wheres()
        ),
        (None, _, Some(f)) => format!("the sessions listed in {}", f.display()),
        (None, n, None) => format!("{n} session(s)"),
    }
}

/// The IDs a bulk command is given: arguments, `--file`, or `-` for stdin.
fn input(bulk: &BulkArgs) -> Result<Input, AppError> {
    match (&bulk.file, bulk.ids.as_slice()) {
        (Some(_), [_, ..]) => Err(usage("give IDs as arguments or with --file, not both")),
        (Some(f), []) => match std::fs::metadata(f) {
            Ok(m) if m.is_dir() => Err(usage(format!(
                "cannot read {}: it is a directory",
                f.display()
            ))),
            Ok(_) => Ok(Input::File(f.clone())),
            Err(e) => Err(usage(format!("cannot read {}: {e}", f.display()))),
        },
        (None, [one]) if one == "-" => Ok(Input::Stdin),
        (None, args) if args.iter().any(|a| a == "-") => Err(usage(
            "`-` (read IDs from stdin) must be the only ID argument",
        )),
        (None, []) => Err(usage(
            "no session IDs given (arguments, --file, `-` for stdin, --idle-for or --older-than)",
        )),
        (None, args) => {
            let ids = args
                .iter()
                .map(|a| ids::from_arg(a).map(Item::Id))
                .collect::<Result<_, _>>();
            Ok(Input::Items(ids.map_err(usage)?))
        }
    }
}

/// Flag combinations that cannot mean what the user hoped: refused before anything is
/// read, asked or sent.
fn check_bulk(bulk: &BulkArgs) -> Result<(), AppError> {
    let stale = &bulk.stale;
    if stale.idle_for.is_none() && stale.empty {
        return Err(usage("--empty only goes with --idle-for"));
    }
    check_dry_run_ids(&bulk.ids, &bulk.run)?;
    if stale.all_profiles && !bulk.ids.is_empty() && bulk.ids != ["-"] {
        return Err(usage(
            "--all-profiles takes IDs as `profile<TAB>id` lines from stdin or --file, not as arguments",
        ));
    }
    Ok(())
}

/// `end`'s IDs are arguments only: `-` would be sent as an ID, so it is refused with where
/// stdin is read.
fn check_end_ids(ids: &[String], run: &RunArgs) -> Result<(), AppError> {
    if ids.iter().any(|id| id == "-") {
        return Err(usage(
            "`end` takes IDs as arguments; to read them from stdin use `end-many -`",
        ));
    }
    check_dry_run_ids(ids, run)
}

/// `--dry-run server` (a space) parses as a client dry run and an extra ID `server`, which
/// a user meant as the mode: refused, naming `--dry-run=server`.
fn check_dry_run_ids(ids: &[String], run: &RunArgs) -> Result<(), AppError> {
    use clap::ValueEnum;
    if run.dry_run.is_none() {
        return Ok(());
    }
    let modes = cli::DryRun::value_variants();
    let mode = ids.iter().find_map(|id| {
        modes
            .iter()
            .filter_map(|m| m.to_possible_value())
            .find(|m| m.get_name() == id)
    });
    match mode {
        Some(m) => Err(usage(format!(
            "`{0}` is a --dry-run mode, not a session ID here: write `--dry-run={0}` (an ID \
             named `{0}` can come from --file or stdin)",
            m.get_name()
        ))),
        None => Ok(()),
    }
}
