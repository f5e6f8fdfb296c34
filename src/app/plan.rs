//! The plan of a run: the command line's run options (`RunArgs`), resolved once into what
//! the rest of `app/` acts on. Only this file reads them; below `app`, nothing sees clap.

use std::path::PathBuf;
use std::time::Duration;

use super::{AppError, usage};
use crate::cli::{self, RunArgs};
use crate::ids::Item;
use crate::runner::DryRun;

/// What a run that changes sessions may do, and what it leaves behind.
#[derive(Debug, Clone)]
pub(super) struct RunPlan {
    /// Send nothing (client), or read only (server).
    pub(super) dry_run: Option<DryRun>,
    /// In flight at once, when the command line says (else each profile's own).
    pub(super) concurrency: Option<usize>,
    /// Requests per second at most (`--rate`).
    pub(super) rate: Option<f64>,
    /// No request starts after this long (`--deadline`; else each profile's own).
    pub(super) deadline: Option<Duration>,
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

/// Whether a run takes the per-server locks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum LockPolicy {
    /// `--no-lock`, or a dry run: a client one sends nothing, a server one only reads, so
    /// another run's lock must not refuse it (it shows what that run has left).
    Skip,
    /// Take them; if held, wait up to this long (`--wait-lock`), else refuse at once.
    Take { wait: Option<Duration> },
}

impl RunPlan {
    pub(super) fn of(run: &RunArgs) -> RunPlan {
        let dry_run = run.dry_run.map(|d| match d {
            cli::DryRun::Client => DryRun::Client,
            cli::DryRun::Server => DryRun::Server,
        });
        RunPlan {
            dry_run,
            concurrency: run.concurrency.map(|c| c as usize),
            rate: run.rate.map(|r| r.0),
            deadline: run.deadline,
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
        }
    }
}

/// Where a bulk command's IDs come from.
pub(super) enum Input {
    /// Already in memory: arguments, or input read ahead to check the cap.
    Items(Vec<Item>),
    Stdin,
    File(std::path::PathBuf),
}

/// How a sweep selects: by proven idleness, by age, or both; (retention) by how long ago a
/// session ended; or what sessions left behind.
pub(super) struct Selection {
    pub idle_for: Option<Duration>,
    pub older_than: Option<Duration>,
    pub ended_for: Option<Duration>,
    pub orphans: bool,
}

impl Selection {
    pub(super) fn sweeps(&self) -> bool {
        self.idle_for.is_some()
            || self.older_than.is_some()
            || self.ended_for.is_some()
            || self.orphans
    }
}

/// `end`'s IDs are arguments only: `-` would be sent as an ID, so it is refused with where
/// stdin is read.
pub(super) fn check_end_ids(ids: &[String], run: &RunArgs) -> Result<(), AppError> {
    if ids.iter().any(|id| id == "-") {
        return Err(usage(
            "`end` takes IDs as arguments; to read them from stdin use `end-many -`",
        ));
    }
    check_dry_run_ids(ids, run)
}

/// `--dry-run server` (a space) parses as a client dry run and an extra ID `server`, which
/// a user meant as the mode: refused, naming `--dry-run=server`.
pub(super) fn check_dry_run_ids(ids: &[String], run: &RunArgs) -> Result<(), AppError> {
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
