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
use crate::provider::unit::Extra;
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
    /// `--plan FILE`: write what the run would act on there instead of acting (the run is
    /// a dry run: see [`RunPlan::writing`]).
    pub(super) write: Option<PathBuf>,
}

/// Whether a run takes the per-server locks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum LockPolicy {
    /// `--no-lock`, or a dry run: a client one sends nothing, a server one only reads, so
    /// another run's lock must not refuse it (it shows what that run has left).
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
    /// Act on no verdict older than this: read a session again first (`--recheck-after`;
    /// else each profile's `recheck_after`).
    pub(super) recheck_after: Option<Duration>,
    /// `apply FILE`: the saved plan whose sessions stand in for the listing (and whose
    /// "now" is the sweep's).
    pub(super) saved: Option<Box<crate::saved::Plan>>,
}

/// A delete's prompt, as the command line fixes it; the count and the IDs come once what
/// would be deleted is read or listed (see `staging::ask`).
#[derive(Debug)]
pub(super) struct Confirm {
    /// How the sessions were chosen ("idle for more than 2h where …", "listed in ids.txt"),
    /// if not as arguments.
    pub(super) what: Option<String>,
}

impl RunPlan {
    /// The plan of `cli`'s command, if it changes sessions; refused if its flags cannot
    /// mean what the user hoped, before anything is read, asked or sent.
    pub(super) fn of(cli: &Cli) -> Option<Result<RunPlan, AppError>> {
        let plan = match &cli.command {
            Command::End { ids, run, plan } => end(cli, ids, run, plan.as_deref()),
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
                let mut extra = Extra::default();
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
                let confirm = !yes && bulk.run.dry_run.is_none() && bulk.stale.plan.is_none();
                bulk_plan(cli, Action::Delete, bulk, sweep, confirm, opts)
            }),
            _ => return None,
        };
        Some(plan)
    }

    /// A plan of `source` with the command line's run options (which cannot be refused) and
    /// what the command gives its providers; `--all-profiles`, the prompt and `--empty` are
    /// the bulk commands' own (see [`bulk_plan`]).
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
            lock: match run.no_lock || dry_run.is_some() {
                true => LockPolicy::Skip,
                false => LockPolicy::Take {
                    wait: run.wait_lock,
                },
            },
            write: None,
        }
    }

    /// `--plan FILE`: the run writes what it would act on to `file` and sends nothing that
    /// changes state, no lock. A sweep's is a client dry run (its listing read each row);
    /// for IDs given, what the protect list needs beyond an ID is read, as a real run reads
    /// it right before acting, so that the plan names what the list refuses.
    fn writing(self, file: Option<&std::path::Path>) -> RunPlan {
        let dry_run = match self.source {
            Source::Sweep(_) => DryRun::Client,
            Source::Ids(_) => DryRun::Recheck,
        };
        match file {
            None => self,
            Some(file) => RunPlan {
                write: Some(file.to_owned()),
                dry_run: Some(dry_run),
                lock: LockPolicy::Skip,
                ..self
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
/// before its plan was made (see [`super::record::refused`]): `None` for a command that
/// changes no sessions (it has no run report), `Some(None)` for a run without one.
pub(super) fn metrics_file(cli: &Cli) -> Option<Option<PathBuf>> {
    cli.command.run_args().map(|r| r.metrics_file.clone())
}

/// `end`: IDs as arguments only.
fn end(
    cli: &Cli,
    ids: &[String],
    run: &RunArgs,
    plan: Option<&std::path::Path>,
) -> Result<RunPlan, AppError> {
    check_end_ids(ids, run)?;
    let items: Result<Vec<Item>, String> = ids
        .iter()
        .map(|id| ids::from_arg(id).map(Item::Id))
        .collect();
    let input = Input::Items(items.map_err(usage)?);
    let opts = provider::Options::default();
    Ok(RunPlan::with_run(run, cli, Action::End, Source::Ids(input), opts).writing(plan))
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
        what: asked(bulk, &sweep),
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
            if bulk.stale.plan.is_some() && bulk.ids.is_empty() && bulk.file.is_none() {
                return Err(usage(
                    "--plan writes what a run would act on: give it session IDs (arguments, \
                     --file, `-` for stdin) or a sweep (--idle-for, --older-than, --ended-for)",
                ));
            }
            if bulk.stale.recheck_after.is_some() {
                return Err(usage(
                    "--recheck-after re-checks what a sweep listed: use it with --idle-for, \
                     --older-than or --ended-for (IDs carry no verdict to go stale)",
                ));
            }
            Source::Ids(input(bulk)?)
        }
    };
    if bulk.stale.plan.is_some() && matches!(&source, Source::Sweep(s) if s.orphans) {
        return Err(usage(
            "--plan does not cover --orphans: what sessions left behind is not a listing a plan can re-check",
        ));
    }
    let plan = RunPlan {
        all: bulk.stale.all_profiles,
        confirm,
        empty: bulk.stale.empty,
        ..RunPlan::with_run(&bulk.run, cli, action, source, provider)
    };
    Ok(plan.writing(bulk.stale.plan.as_deref()))
}

/// `apply FILE`: the sweep a saved plan was made by (`sweep.saved`), or its IDs, over every
/// profile it names or not (`all`), with `apply`'s run options; a delete asks first unless
/// `--yes` (`yes`) or a dry run. Its `--dry-run` reads what a re-check reads (and never
/// probes): it shows what would still happen.
pub(super) fn applying(cli: &Cli, action: Action, source: Source, all: bool, yes: bool) -> RunPlan {
    let Command::Apply { run, file, .. } = &cli.command else {
        unreachable!("only `apply` applies a saved plan")
    };
    let confirm = (action == Action::Delete && !yes && run.dry_run.is_none()).then(|| Confirm {
        what: match &source {
            // Asked before the re-checks: the count is the plan's, not what will go.
            Source::Sweep(sweep) => sweep.asked().map(|by| {
                format!(
                    "{by} (planned in {}; each re-checked first)",
                    file.display()
                )
            }),
            Source::Ids(_) => Some(format!("planned in {}", file.display())),
        },
    });
    let plan = RunPlan {
        all,
        confirm,
        ..RunPlan::with_run(run, cli, action, source, provider::Options::default())
    };
    match plan.dry_run {
        Some(DryRun::Client) => RunPlan {
            dry_run: Some(DryRun::Recheck),
            ..plan
        },
        _ => plan,
    }
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
            recheck_after: bulk.stale.recheck_after,
            saved: None,
        }
    }

    fn sweeps(&self) -> bool {
        self.idle_for.is_some()
            || self.older_than.is_some()
            || self.ended_for.is_some()
            || self.orphans
    }
}

/// How a delete of `bulk` chose its sessions, as its prompt says it: by the sweep's
/// selection, or where the IDs were read (none for IDs given as arguments).
fn asked(bulk: &BulkArgs, sweep: &Sweep) -> Option<String> {
    if sweep.sweeps() {
        return sweep.asked();
    }
    match (&bulk.file, bulk.ids.as_slice()) {
        (Some(f), _) => Some(format!("listed in {}", f.display())),
        (None, [one]) if one == "-" => Some("read from stdin".to_owned()),
        _ => None,
    }
}

impl Sweep {
    /// How the sweep chooses, as a delete's prompt says it (`None` if it selects nothing).
    fn asked(&self) -> Option<String> {
        let by = match self {
            Sweep {
                ended_for: Some(d), ..
            } => format!("that ended more than {} ago", crate::units::human(*d)),
            Sweep {
                idle_for: Some(d), ..
            } => format!("idle for more than {}", crate::units::human(*d)),
            Sweep { orphans: true, .. } => "left behind by ended sessions".to_owned(),
            _ => return None,
        };
        Some((self.selector.terms.iter()).fold(by, |s, t| s + &format!(" where {t}")))
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
            bulk.run
                .resume
                .as_deref()
                .and_then(what_to_resume_with)
                .unwrap_or_else(|| {
                    "no session IDs given (arguments, --file, `-` for stdin, --idle-for or \
                     --older-than)"
                        .to_owned()
                }),
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

/// For a `--resume` given no input at all: what the journal's job took its sessions from,
/// as what to add to the command line (a journal holds the IDs a run got to, never those
/// it had not read yet, so the input must come again). None if the journal says nothing.
fn what_to_resume_with(journal: &std::path::Path) -> Option<String> {
    let job = crate::journal::Resume::load(journal).ok()?.job?;
    let input = job.input?;
    let j = journal.display();
    let command = match job.action.as_str() {
        "delete" => "delete",
        _ => "end-many",
    };
    let add = if input == "stdin" {
        format!(
            "it read its IDs from stdin: pipe them in again with `-` (`... | sessionctl \
             {command} - --resume {j}`)"
        )
    } else if let Some(path) = input.strip_prefix("file ") {
        format!("it read its IDs from a file: add `--file {path}`")
    } else if let Some(sweep) = input.strip_prefix("sweep ") {
        format!("it was a sweep (the journal says `{sweep}`): give the same selection again")
    } else if let Some((n, _)) = input.split_once(" ids #") {
        format!("it was given {n} IDs as arguments: give the same {n} again")
    } else {
        return None;
    };
    Some(format!(
        "--resume {j} needs the run's input again: {add}; sessions with an outcome in the \
         journal are not sent again"
    ))
}
