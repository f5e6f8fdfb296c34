//! `end`, `end-many` and `delete`: a run as its plan says, on the IDs given (here) or on
//! what a sweep lists (`sweep`). What both prepare is in `staging`, feeding the runner in
//! `feed`, the caps and locks in `limits`, the report in `record`.

use std::collections::HashMap;

use super::feed::{Execution, Resumed, read_ahead};
use super::plan::{Input, RunPlan, Source};
use super::staging::{Committed, Staged, concurrency, finish, stall_after, targets};
use super::{AppError, Ctx, Exit};
use crate::config::Profile;
use crate::runner::{self, Stall};

impl Ctx<'_> {
    /// Runs `plan`: on its IDs, or as a sweep.
    pub(super) async fn run(&self, plan: &RunPlan) -> Result<Exit, AppError> {
        if plan.empty && !plan.quiet {
            // (A profile that cannot be used is the error that follows, not a note.)
            let profiles = self.profiles(plan.all).unwrap_or_default();
            let counts = |p: &Profile| p.provider.caps().reports_participants;
            let note = match profiles.iter().any(counts) {
                true => {
                    "--empty is now the default: a Digital Samba sweep only acts on sessions known to be empty"
                }
                false => {
                    "--empty changes nothing here: only Digital Samba reports participants, and its sweeps act only on sessions known to be empty"
                }
            };
            crate::output::warn(format_args!("note: {note}"));
        }
        match &plan.source {
            Source::Ids(input) => self.act(plan, input.clone()).await,
            Source::Sweep(sweep) => self.sweep(plan, sweep).await,
        }
    }

    /// IDs from arguments, a file or stdin, for one profile or (`profile<TAB>id` lines with
    /// `--all-profiles`) for each line's own.
    async fn act(&self, plan: &RunPlan, input: Input) -> Result<Exit, AppError> {
        let staged = self.stage(plan)?;
        let Committed {
            locks,
            resume,
            caps,
            report,
        } = self.commit(plan, &staged).await?;
        let Staged {
            interrupt,
            holds,
            ready,
            worst,
            broken,
            ..
        } = staged;
        let concurrency = concurrency(plan, &ready);
        let max_stall = stall_after(plan, ready.iter().map(|(p, _)| p));
        let targets = targets(ready, plan.all);
        let resumed = resume.map(|r| Resumed::new(r, &targets));
        let input = match caps.any() {
            true => {
                let stop = &interrupt.stop;
                let read = read_ahead(input, &targets, &caps, plan.action, resumed.as_ref(), stop);
                match read.await {
                    Err(over @ AppError::OverCap(_)) => {
                        // Nothing is sent, and the journal and metrics file say so; the
                        // profiles are free before they are written (they may block).
                        drop(locks);
                        self.start(report)?.refuse(false, over.exit() as i32);
                        return Err(over);
                    }
                    other => other?,
                }
            }
            false => input,
        };
        if let Some(confirm) = &plan.confirm {
            self.confirm_delete(plan, confirm, &interrupt).await?;
        }
        // Only now is the run on: the journal and the output begin here.
        let mut report = self.start(report)?;
        broken.iter().for_each(|(p, e)| report.profile_error(p, e));
        let exec = Execution {
            runner: runner::Plan {
                action: plan.action,
                dry_run: plan.dry_run,
                batches_in_flight: concurrency,
                max_stall: Some(Stall {
                    after: max_stall,
                    holds: holds.clone(),
                }),
            },
            interrupt: &interrupt,
            seq: Default::default(),
            quiet: plan.quiet,
        };
        let fed = exec
            .execute(
                &targets,
                input,
                HashMap::new(),
                resumed.as_ref(),
                &mut report,
            )
            .await;
        // Input that fails mid-run (a broken pipe) still ends the report whole.
        let worst = worst.max_code(fed.as_ref().err().map_or(Exit::Ok, AppError::exit));
        // Nothing more is sent: the next run may start while this one writes its end.
        drop(locks);
        let exit = finish(report, interrupt.interrupted(), plan, worst);
        fed.and(Ok(exit))
    }
}
