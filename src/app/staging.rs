//! What every run that changes sessions does before and after it sends, whether its IDs are
//! given (`sessions`) or listed (`sweep`): build and check each profile's provider, take the
//! locks, match a resumed journal, gather the caps and the report; the delete prompt; and
//! the exit code at the end.

use std::sync::Arc;
use std::time::Duration;

use super::limits::{Caps, lock};
use super::plan::RunPlan;
use super::record::{ReportPlan, job, load_resume};
use super::{AppError, Ctx, Exit, Prepared, build, check_selected, header, usage};
use crate::client::pacer::Holds;
use crate::config::Profile;
use crate::guard::Cleared;
use crate::journal::Resume;
use crate::lock::RunLock;
use crate::outcome::{Outcome, Summary};
use crate::prompt::{self, Part, Terminal};
use crate::provider::{Options, Provider};
use crate::report::Report;
use crate::runner::{DryRun, Interrupt, Target, Targets};
use crate::select::Selection;

/// A run's profiles, each with its provider built and checked for the run: what a run
/// knows before it takes any lock.
pub(super) struct Staged {
    pub(super) interrupt: Interrupt,
    /// Where requests waiting for their turn say so (the progress display, a stall).
    pub(super) holds: Holds,
    pub(super) ready: Vec<(Profile, Arc<dyn Provider>)>,
    /// A sweep's `--where` as each ready profile runs it (none for given IDs).
    pub(super) selections: Vec<Selection>,
    /// Per ready profile, where a sweep tells its protect guard which listed rows it
    /// checked already.
    pub(super) cleared: Vec<Cleared>,
    /// The worst exit code the profiles left out make: problems outside the per-session
    /// results only make it worse.
    pub(super) worst: Exit,
    /// Profiles whose configuration is broken: name and why.
    pub(super) broken: Vec<(String, String)>,
}

/// What a run holds once it is sure to be this run: its locks, the journal it resumes,
/// its caps and its report (not yet started).
pub(super) struct Committed<'a> {
    pub(super) locks: Vec<RunLock>,
    pub(super) resume: Option<Arc<Resume>>,
    pub(super) caps: Caps,
    pub(super) report: ReportPlan<'a>,
}

impl Ctx<'_> {
    /// Builds each profile's provider for `plan` and checks that it can do the run; a
    /// sweep's profiles are checked for what it selects (`--orphans`, what its list can
    /// judge (`--idle-for`, `--older-than`) and `--where` before the
    /// provider is built, so that no key is fetched for a profile that is skipped, and
    /// `--ended-for` after).
    pub(super) fn stage(&self, plan: &RunPlan) -> Result<Staged, AppError> {
        let interrupt = Interrupt::install();
        let holds = Holds::default();
        let opts = options(plan, &interrupt, &holds);
        let sweep = plan.sweep();
        let saved = sweep.and_then(|s| s.saved.as_deref());
        let only = saved.map(|p| p.profiles.as_slice());
        let prepared = self.prepare(plan.all, only, |profile| {
            let selection = (sweep.map(|s| {
                super::check_orphans(profile, s.orphans)?;
                super::check_judged(profile, s.idle_for.is_some(), s.older_than.is_some())?;
                super::selection(profile, &s.selector)
            }))
            .transpose()?;
            // `apply --dry-run` of IDs reads each where it can, to say which is gone; a
            // plan being written reads only what the protect list needs.
            let exists = sweep.is_none() && plan.write.is_none();
            let unsent = (plan.dry_run == Some(DryRun::Recheck)).then_some(exists);
            let (provider, cleared) = build(profile, plan.action, &opts, unsent)?;
            if let Some(s) = sweep {
                super::check_ended(profile, provider.as_ref(), s.ended_for.is_some())?;
            }
            Ok((provider, (selection, cleared)))
        })?;
        if let Some(s) = sweep {
            check_selected(&prepared.ready, &s.selector)?;
        }
        let Prepared {
            ready,
            worst,
            broken,
        } = prepared;
        let (ready, chosen): (Vec<_>, Vec<_>) = (ready.into_iter())
            .map(|(profile, (provider, chosen))| ((profile, provider), chosen))
            .unzip();
        let (selections, cleared): (Vec<_>, Vec<_>) = chosen.into_iter().unzip();
        Ok(Staged {
            interrupt,
            holds,
            ready,
            selections: selections.into_iter().flatten().collect(),
            cleared,
            worst,
            broken,
        })
    }

    /// Takes the profiles' locks, then loads the journal a resume continues (it must be of
    /// this same job) and gathers the caps and the report.
    pub(super) async fn commit<'p>(
        &self,
        plan: &'p RunPlan,
        staged: &Staged,
    ) -> Result<Committed<'p>, AppError> {
        let ready = &staged.ready;
        let locks = lock(plan, ready, &staged.interrupt.stop).await?;
        let job = job(plan, ready);
        let resume = load_resume(plan, &job)?;
        let caps = Caps::of(plan, ready);
        let report = ReportPlan {
            plan,
            header: header(plan.all, ready),
            job,
            default: (!plan.all)
                .then(|| ready.first().map(|(p, _)| p.name.clone()))
                .flatten(),
            providers: (ready.iter())
                .map(|(p, _)| (p.name.clone(), p.provider.name()))
                .collect(),
            holds: staged.holds.clone(),
            resume: resume.clone(),
        };
        Ok(Committed {
            locks,
            resume,
            caps,
            report,
        })
    }

    /// Starts `plan`'s report; from here on the run reports itself (see
    /// [`super::command::run`]).
    pub(super) fn start(&self, plan: ReportPlan<'_>) -> Result<Report, AppError> {
        let report = plan.start()?;
        self.reported.set(true);
        Ok(report)
    }
}

/// The terminal a delete's prompt is asked on, opened before anything is listed or sent:
/// with none (cron, CI), the delete is refused up front unless `--yes` is given.
pub(super) fn terminal(plan: &RunPlan) -> Result<Option<Terminal>, AppError> {
    match &plan.confirm {
        None => Ok(None),
        Some(_) => Terminal::open().map(Some).ok_or_else(|| {
            usage("delete is irreversible: pass --yes (there is no terminal to ask on)")
        }),
    }
}

/// Asks at `tty` whether to delete what `parts` hold, now that it is known; with nothing
/// to delete, nothing is asked.
pub(super) async fn ask(
    tty: Terminal,
    plan: &RunPlan,
    parts: &[Part<'_>],
    interrupt: &Interrupt,
) -> Result<(), AppError> {
    if parts.iter().all(|p| p.ids.is_empty()) {
        return Ok(());
    }
    let what = plan.confirm.as_ref().and_then(|c| c.what.as_deref());
    match tty
        .ask(&prompt::question(what, parts), &interrupt.stop)
        .await
    {
        Ok(Some(true)) => Ok(()),
        Ok(Some(false)) => Err(AppError::Declined),
        Ok(None) => Err(AppError::Interrupted),
        Err(e) => Err(AppError::Prompt(e)),
    }
}

/// `profile`'s share of a delete, in the words of its provider.
pub(super) fn part<'a>(profile: &'a Profile, ids: Vec<&'a str>) -> Part<'a> {
    Part {
        profile: &profile.name,
        provider: profile.provider.label(),
        deletes: profile.provider.deletes(),
        ids,
    }
}

/// The provider options of a run: the plan's, with the run's interrupt and holds.
fn options(plan: &RunPlan, interrupt: &Interrupt, holds: &Holds) -> Options {
    Options {
        stop: interrupt.stop.clone(),
        holds: holds.clone(),
        ..plan.provider.clone()
    }
}

/// The run's profiles as the runner's targets: bare IDs go to the one profile, unless the
/// run covers every profile (then each line names its own, and results are tagged).
pub(super) fn targets(ready: Vec<(Profile, Arc<dyn Provider>)>, all: bool) -> Targets {
    Targets {
        list: ready
            .into_iter()
            .map(|(profile, provider)| Target {
                name: profile.name,
                provider,
            })
            .collect(),
        default: (!all).then_some(0),
        tag: all,
    }
}

/// Batches in flight: the flag, else what the profiles allow together (each profile's
/// client still holds its own requests to its own `concurrency`).
pub(super) fn concurrency(plan: &RunPlan, ready: &[(Profile, Arc<dyn Provider>)]) -> usize {
    let together = || {
        ready
            .iter()
            .map(|(p, _)| p.concurrency)
            .sum::<usize>()
            .max(1)
    };
    plan.provider.concurrency.unwrap_or_else(together)
}

/// How long a run may go without a session finishing: `--max-stall`, else the longest of
/// its profiles' `max_stall` (so that no profile's own window is cut short).
pub(super) fn stall_after<'a>(
    plan: &RunPlan,
    profiles: impl IntoIterator<Item = &'a Profile>,
) -> Duration {
    let longest = profiles.into_iter().map(|p| p.max_stall).max();
    plan.max_stall
        .or(longest)
        .unwrap_or(crate::config::DEFAULT_MAX_STALL)
}

/// Ends the run's report: the exit code from its results, made worse by problems outside
/// them (`worst`) or by a sink that could not be written (said on stderr; exit 1 at least,
/// and an interrupted run stays 130).
pub(super) fn finish(report: Report, interrupted: bool, plan: &RunPlan, worst: Exit) -> Exit {
    let exit = exit_for(report.summary(), interrupted, plan).max_code(worst);
    match report.finish(interrupted, exit as i32).problem {
        None => exit,
        Some(problem) => {
            crate::output::warn(format_args!("error: {problem}"));
            exit.max_code(Exit::Partial)
        }
    }
}

/// 0 all ok; 1 anything failed, skipped (past `--deadline`) or not found (unless
/// ignored), or still running after `--wait`; 3 credentials refused; 130 interrupted.
fn exit_for(summary: &Summary, interrupted: bool, plan: &RunPlan) -> Exit {
    let unfinished = plan.provider.extra.has("--wait") && summary.count(Outcome::Accepted) > 0;
    if interrupted {
        Exit::stopped()
    } else if summary.auth_refused {
        Exit::Auth
    } else if summary.count(Outcome::Failed) > 0
        // Not interrupted, yet not sent: the --deadline came first.
        || summary.skipped_unfinished() > 0
        // An ID the run was given and refused, as protected.
        || summary.refused > 0
        || (!plan.missing_ok && summary.count(Outcome::NotFound) > 0)
        || unfinished
    {
        Exit::Partial
    } else {
        Exit::Ok
    }
}
