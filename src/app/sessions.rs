//! `end`, `end-many` and `delete`: a run as its plan says, on the IDs given (here) or on
//! what a sweep lists (`sweep`). What both prepare is in `staging`, feeding the runner in
//! `feed`, the caps and locks in `limits`, the report in `record`.

use std::collections::HashMap;

use super::feed::{Execution, Resumed, read_ahead};
use super::plan::{Input, RunPlan, Source};
use super::staging::{
    Committed, Staged, ask, concurrency, finish, part, stall_after, targets, terminal,
};
use super::{AppError, Ctx, Exit};
use crate::config::Profile;
use crate::ids::{self, Item};
use crate::runner::{self, Stall};
use crate::saved::Chosen;

impl Ctx<'_> {
    /// Runs `plan`: on its IDs, or as a sweep.
    pub(super) async fn run(&self, plan: &RunPlan) -> Result<Exit, AppError> {
        let empty_note = crate::provider::registry::registry().note("--empty");
        if let (true, false, Some(note)) = (plan.empty, plan.quiet, empty_note) {
            // (A profile that cannot be used is the error that follows, not a note.)
            let profiles = self.profiles(plan.all).unwrap_or_default();
            let counts = |p: &Profile| p.provider.caps().reports_participants;
            let note = match profiles.iter().any(counts) {
                true => note.counted,
                false => note.uncounted,
            };
            crate::output::warn(format_args!("note: {note}"));
        }
        match &plan.source {
            Source::Ids(input) => self.act(plan, input.clone()).await,
            Source::Sweep(sweep) => self.sweep(plan, sweep).await,
        }
    }

    /// IDs from arguments, a file or stdin, for one profile or (`profile<TAB>id` lines with
    /// `--all-profiles`) for each line's own. A delete asks on the terminal once its IDs
    /// are read, before any is sent.
    async fn act(&self, plan: &RunPlan, input: Input) -> Result<Exit, AppError> {
        let staged = self.stage(plan)?;
        // After the profiles' own checks (a refusal for what cannot be done comes first),
        // before anything is read or locked.
        let tty = terminal(plan)?;
        if let Input::Stdin = input {
            ids::read_from_stdin(plan.quiet);
        }
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
        // The prompt's account of each profile (`ready` becomes the targets).
        let profiles: Vec<Profile> = match tty {
            Some(_) => ready.iter().map(|(p, _)| p.clone()).collect(),
            None => Vec::new(),
        };
        // Where a plan written of these IDs says they came from.
        let given = given(&input);
        let targets = targets(ready, plan.all);
        let resumed = resume.map(|r| Resumed::new(r, &targets));
        // What is to be deleted is read in full before the question that names it.
        let input = match caps.any() || tty.is_some() {
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
        if let (Some(tty), Input::Items(items)) = (tty, &input) {
            let parts = (profiles.iter().enumerate())
                .map(|(i, profile)| {
                    let mine = (items.iter()).filter(|item| targets.target_of(item) == Some(i));
                    part(profile, mine.filter_map(Item::session_id).collect())
                })
                .collect::<Vec<_>>();
            ask(tty, plan, &parts, &interrupt).await?;
        }
        // Only now is the run on: the journal and the output begin here.
        let mut report = self.start(report)?;
        if let Some(path) = &plan.write {
            // The plan is what the run reports: each ID it would act on, and what it refused.
            let names: Vec<&str> = targets.list.iter().map(|t| t.name.as_str()).collect();
            let chosen = Chosen {
                given: Some(given),
                ..Chosen::default()
            };
            let saved = self.plan_of(plan, chosen, super::now()?, &names);
            let sink = super::apply::Given::new(saved, path.clone());
            report.add(format!("plan {}", path.display()), Box::new(sink));
        }
        broken.iter().for_each(|(p, e)| report.profile_error(p, e));
        if let (Input::Items(items), None) = (&input, &resumed) {
            report.expect(ids::distinct(items) as u64);
        }
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

/// Where a plan of IDs given says they came from.
fn given(input: &Input) -> String {
    match input {
        Input::Items(_) => "arguments".to_owned(),
        Input::Stdin => "stdin".to_owned(),
        Input::File(path) => format!("file {}", path.display()),
    }
}
