//! `end`, `end-many` and `delete`: acting on IDs, the stale sweep, and the confirmation.
//! Feeding the runner is in `feed`, the caps and locks in `limits`, the report in `record`.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use super::feed::{Execution, Resumed, read_ahead};
use super::limits::{Caps, lock};
use super::plan::{Input, RunPlan, Selection};
use super::record::{ReportPlan, job, load_resume};
use super::{AppError, Ctx, Exit, Prepared, build, check_selected, cutoff, header, now, usage};
use crate::cli::BulkArgs;
use crate::client::pacer::Holds;
use crate::config::Profile;
use crate::ids::{self, Item};
use crate::journal::{Job, Resume};
use crate::outcome::{Outcome, SessionResult, Summary};
use crate::provider::{Action, ListError, Options, Provider};
use crate::report::Report;
use crate::runner::{Interrupt, Stall, Target, Targets};
use crate::select::Selector;
use crate::stale::{self, Filter};
impl Ctx<'_> {
    /// The provider options of a run: the command's own, its flags, and its interrupt.
    fn options(
        &self,
        plan: &RunPlan,
        base: &Options,
        interrupt: &Interrupt,
        holds: &Holds,
    ) -> Options {
        Options {
            stop: interrupt.stop.clone(),
            rate: plan.rate,
            concurrency: plan.concurrency,
            deadline: plan.deadline,
            holds: holds.clone(),
            ..base.clone()
        }
    }

    fn input(&self, bulk: &BulkArgs) -> Result<Input, AppError> {
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
    pub(super) fn check_bulk(&self, bulk: &BulkArgs) -> Result<(), AppError> {
        let stale = &bulk.stale;
        if stale.idle_for.is_none() && stale.empty {
            return Err(usage("--empty only goes with --idle-for"));
        }
        super::plan::check_dry_run_ids(&bulk.ids, &bulk.run)?;
        if stale.all_profiles && !bulk.ids.is_empty() && bulk.ids != ["-"] {
            return Err(usage(
                "--all-profiles takes IDs as `profile<TAB>id` lines from stdin or --file, not as arguments",
            ));
        }
        Ok(())
    }

    /// With `confirm`, asks once the IDs and flags are known to be valid, before any
    /// request.
    pub(super) async fn bulk(
        &self,
        action: Action,
        bulk: &BulkArgs,
        selection: Selection,
        opts: &Options,
        confirm: bool,
    ) -> Result<Exit, AppError> {
        if bulk.stale.empty && !self.cli.quiet {
            // (A profile that cannot be used is the error that follows, not a note.)
            let profiles = self.profiles(bulk.stale.all_profiles).unwrap_or_default();
            let counts = |p: &Profile| p.spec.caps.reports_participants;
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
        let confirm = confirm.then_some(bulk);
        if !selection.sweeps() {
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
            if bulk.stale.plan.is_some() {
                return Err(usage(
                    "--plan writes what a sweep selects: use it with --idle-for, --older-than \
                     or --ended-for",
                ));
            }
            if bulk.stale.recheck_after.is_some() {
                return Err(usage(
                    "--recheck-after re-checks what a sweep listed: use it with --idle-for, \
                     --older-than or --ended-for (IDs carry no verdict to go stale)",
                ));
            }
            let input = self.input(bulk)?;
            let all = bulk.stale.all_profiles;
            let plan = RunPlan::of(&bulk.run);
            return self.act(action, input, all, &plan, opts, confirm).await;
        }
        if bulk.stale.plan.is_some() && selection.orphans {
            return Err(usage(
                "--plan does not cover --orphans: what sessions left behind is not a listing a plan can re-check",
            ));
        }
        self.sweep(action, bulk, selection, opts, confirm, None)
            .await
    }

    /// IDs from arguments, a file or stdin, for one profile or (`profile<TAB>id` lines with
    /// `--all-profiles`) for each line's own.
    pub(super) async fn act(
        &self,
        action: Action,
        input: Input,
        all: bool,
        run: &RunPlan,
        opts: &Options,
        confirm: Option<&BulkArgs>,
    ) -> Result<Exit, AppError> {
        let interrupt = Interrupt::install();
        let holds = Holds::default();
        let prepared = self.prepare(all, |profile| {
            build(
                profile,
                action,
                &self.options(run, opts, &interrupt, &holds),
            )
        })?;
        let Prepared {
            ready,
            worst,
            broken,
        } = prepared;
        let locks = lock(run, &ready, &interrupt.stop).await?;
        let job = job(action, run, &[], &ready, super::record::input_of(&input));
        let resume = load_resume(run, &job)?;
        let caps = Caps::of(run, &ready);
        let concurrency = concurrency(run, &ready);
        let report = self.report(all, run, &ready, &holds, resume.as_ref(), job);
        let max_stall = stall_after(run, ready.iter().map(|(p, _)| p));
        let targets = targets(ready, all);
        let resumed = resume.map(|r| Resumed::new(r, &targets));
        let input = match caps.any() {
            true => {
                let stop = &interrupt.stop;
                let read = read_ahead(input, &targets, &caps, action, resumed.as_ref(), stop);
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
        if let Some(bulk) = confirm {
            self.confirm_delete(bulk, None, &interrupt).await?;
        }
        // Only now is the run on: the journal and the output begin here.
        let mut report = self.start(report)?;
        broken.iter().for_each(|(p, e)| report.profile_error(p, e));
        let exec = Execution {
            action,
            run,
            concurrency,
            interrupt: &interrupt,
            seq: Default::default(),
            quiet: self.cli.quiet,
            stall: Some(Stall {
                after: max_stall,
                holds: holds.clone(),
            }),
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
        let exit = finish(report, interrupt.interrupted(), run, opts, worst);
        fed.and(Ok(exit))
    }

    /// `--idle-for` / `--older-than`: list every profile's selection, check it against the
    /// caps, then act on it (with `--plan`, write it down instead). `saved`: a plan being
    /// applied, whose sessions stand in for the listing (and whose "now" is the sweep's).
    pub(super) async fn sweep(
        &self,
        action: Action,
        bulk: &BulkArgs,
        selection: Selection,
        opts: &Options,
        confirm: Option<&BulkArgs>,
        saved: Option<&crate::saved::Plan>,
    ) -> Result<Exit, AppError> {
        let real_now = now()?;
        let now = saved.map_or(real_now, |p| p.made);
        let filter = Filter {
            idle_before: selection.idle_for.map(|d| cutoff(now, d)).transpose()?,
            created_before: selection.older_than.map(|d| cutoff(now, d)).transpose()?,
            ended_before: selection.ended_for.map(|d| cutoff(now, d)).transpose()?,
            orphans: selection.orphans,
            action: Some(action),
            ..Filter::default()
        };
        let selector = Selector {
            terms: bulk.stale.selectors.clone(),
        };
        let selection_ended = selection.ended_for.is_some();
        let all = bulk.stale.all_profiles;
        let mut run = RunPlan::of(&bulk.run);
        if bulk.stale.plan.is_some() {
            // Writing a plan sends nothing that changes state: a client dry run.
            run.dry_run = Some(crate::runner::DryRun::Client);
            run.lock = super::plan::LockPolicy::Skip;
        }
        let run = &run;
        let interrupt = Interrupt::install();
        let holds = Holds::default();
        // `worst` holds problems outside the per-session results: they can only make the
        // exit code worse.
        let prepared = self.prepare(all, |profile| {
            super::check_orphans(profile, filter.orphans)?;
            let selection = super::selection(profile, &selector)?;
            let (provider, cleared) = super::build_guarded(
                profile,
                action,
                &self.options(run, opts, &interrupt, &holds),
            )?;
            super::check_ended(profile, provider.as_ref(), selection_ended)?;
            Ok((provider, (selection, cleared)))
        })?;
        check_selected(&prepared.ready, &selector)?;
        let Prepared {
            ready,
            mut worst,
            broken,
        } = prepared;
        let (ready, selections): (Vec<_>, Vec<_>) = (ready.into_iter())
            .map(|(profile, (provider, selection))| ((profile, provider), selection))
            .unzip();
        if let Some(bulk) = confirm {
            self.confirm_delete(bulk, selection.ended_for, &interrupt)
                .await?;
        }
        let locks = lock(run, &ready, &interrupt.stop).await?;
        let input = super::record::sweep_of(selection.idle_for, selection.older_than);
        let job = job(action, run, &bulk.stale.selectors, &ready, input);
        let resume = load_resume(run, &job)?;
        let caps = Caps::of(run, &ready);
        let concurrency = concurrency(run, &ready);
        let plan = self.report(all, run, &ready, &holds, resume.as_ref(), job);
        let mut report = self.start(plan)?;
        broken.iter().for_each(|(p, e)| report.profile_error(p, e));
        // Everything is listed before anything is sent, so that the cap sees the whole run.
        let mut picked = Vec::new();
        let mut problems = Vec::new();
        // A listing stopped once a cap was certain to refuse the run (never when resuming:
        // what is done then does not count).
        let mut cut_short = false;
        // Per profile: what a re-check before acting judges again.
        let mut listings = Vec::new();
        for (i, ((profile, provider), (selection, cleared))) in
            ready.iter().zip(selections).enumerate()
        {
            if cut_short {
                break;
            }
            let tag = all.then(|| profile.name.clone());
            let mut filter = super::scoped(&filter, profile, selection);
            if resume.is_none() {
                let so_far = picked.iter().map(|mine: &Vec<_>| mine.len() as u64).sum();
                filter.enough = caps.refused_at(i, so_far);
            }
            let stall = Stall {
                after: stall_after(run, [profile]),
                holds: holds.clone(),
            };
            let mut listed_at = tokio::time::Instant::now();
            // A plan's evidence is as old as the plan (older than an Instant can say: read
            // again at once).
            let mut recheck_after = bulk.stale.recheck_after.unwrap_or(profile.recheck_after);
            let listed = match saved {
                Some(plan) => {
                    match listed_at.checked_sub(plan.age(real_now)) {
                        Some(at) => listed_at = at,
                        None => recheck_after = Duration::ZERO,
                    }
                    Ok((plan.listed(&profile.name), false))
                }
                None => tokio::select! {
                    listed = stale::collect_until(provider.as_ref(), &filter, now) => listed,
                    _ = interrupt.stop.cancelled() => break,
                    why = stall.listing(tokio::time::Instant::now()) => Err(ListError::Stalled(why)),
                },
            };
            let listed = match listed {
                Ok((l, short)) => {
                    cut_short = short;
                    l
                }
                Err(e) => {
                    let err = AppError::List(profile.name.clone(), e);
                    crate::output::warn(format_args!("{err}"));
                    worst = worst.max_code(err.exit());
                    report.profile_error(&profile.name, &err.to_string());
                    picked.push(Vec::new());
                    listings.push(None);
                    continue;
                }
            };
            let mut mine = Vec::new();
            let mut rows = Vec::new();
            for l in listed {
                // A listed row becomes an ID to send only through the same check as input.
                match l.problem.map_or_else(|| l.row.session_id(), Err) {
                    Err(problem) => {
                        let mut r =
                            SessionResult::failed(l.row.id, format!("not acted on: {problem}"));
                        r.profile = tag.clone();
                        problems.push(r);
                    }
                    // Protected: reported, never sent. Cleared: the guard need not read it.
                    Ok(id) => match crate::protect::swept(&profile.protect, &l.row) {
                        // Sent again first by a resume: the guard refuses it there, once.
                        Some(_)
                            if resume
                                .as_ref()
                                .is_some_and(|r| r.is_pending(&profile.name, id.as_str())) => {}
                        Some(mut r) => {
                            r.reason = l.reason;
                            r.profile = tag.clone();
                            problems.push(r);
                        }
                        None => {
                            // A plan's evidence is a file anyone may have edited: only what
                            // the server listed spares the guard its read.
                            if saved.is_none() {
                                cleared.insert(id.as_str());
                            }
                            mine.push(((id, l.reason.unwrap_or_default()), l.idle_secs));
                            rows.push(l.row);
                        }
                    },
                }
            }
            picked.push(mine);
            // What `--orphans` lists is left behind, not in the list a re-check reads.
            listings.push((!filter.orphans).then(|| crate::recheck::Listing {
                rows,
                listed: listed_at,
                filter,
                now,
                protect: profile.protect.clone(),
                after: recheck_after,
            }));
        }
        let names: Vec<&str> = ready.iter().map(|(p, _)| p.name.as_str()).collect();
        // What will be sent: a resumed run adds what it sends again and drops what is done.
        let count = |mine: &Vec<((crate::ids::SessionId, String), Option<u64>)>, name: &str| {
            match &resume {
                Some(r) => r.to_send(name, mine.iter().map(|((id, _), _)| id.as_str())) as u64,
                None => mine.len() as u64,
            }
        };
        let mut counts: Vec<u64> = (picked.iter().zip(&names))
            .map(|(mine, name)| count(mine, name))
            .collect();
        // In a sweep of every profile, a profile over its own `max_per_run` is refused
        // alone (a profile error); the others go on. Only when that leaves nothing to send
        // is the run itself refused (exit 4: nothing was sent).
        if all {
            let over = caps.over_own(&counts, &names, action);
            let sending = (counts.iter().enumerate())
                .any(|(i, c)| *c > 0 && !over.iter().any(|(o, _)| *o == i));
            if sending {
                for (i, why) in over {
                    crate::output::warn(format_args!("skipping profile `{}`: {why}", names[i]));
                    report.profile_error(names[i], &why);
                    picked[i].clear();
                    counts[i] = 0;
                    worst = worst.max_code(Exit::Partial);
                }
            }
        }
        if let Err(over) = caps.check(&counts, &names, action, !cut_short) {
            // The listing happened and is on record; the run ends here, nothing sent, the
            // profiles free before the records are written (they may block).
            drop(locks);
            report.refuse(false, over.exit() as i32);
            return Err(over);
        }
        // After the caps, which count the whole selection: a selection far larger than
        // expected (a clock gone wrong) is still refused; a backlog drains in batches.
        if let Some(n) = bulk.stale.limit {
            let left = super::limits::keep_idlest(&mut picked, n);
            if left > 0 {
                // Not hidden by -q: a cron job's log should say that a backlog remains.
                report.notice(&format!(
                    "sessionctl: --limit {n}: acting on the {n} idle longest; {left} more left for the next run"
                ));
                report.leave(left);
            }
        }
        if let Some(path) = &bulk.stale.plan {
            let mut plan = self.plan_of(action, bulk, &selection, now, &names);
            super::apply::fill(&mut plan, &picked, &listings, &problems);
            plan.write(path).map_err(AppError::Output)?;
        }
        problems.into_iter().for_each(|r| report.result(r));
        let mut exec = Execution {
            action,
            run,
            concurrency,
            interrupt: &interrupt,
            seq: Default::default(),
            quiet: self.cli.quiet,
            stall: None,
        };
        let rechecks = Arc::new(crate::recheck::Stats::default());
        let mut listings = listings.into_iter();
        for ((profile, provider), mine) in ready.into_iter().zip(picked) {
            let provider = match listings.next().flatten() {
                Some(listing) => crate::recheck::wrap(provider, listing, rechecks.clone()),
                None => provider,
            };
            // One profile at a time: its own concurrency and stall bound.
            exec.concurrency = run.concurrency.unwrap_or(profile.concurrency);
            exec.stall = Some(Stall {
                after: stall_after(run, [&profile]),
                holds: holds.clone(),
            });
            let targets = Targets::one(profile.name.clone(), provider, all);
            let resumed = resume.clone().map(|r| Resumed::new(r, &targets));
            // The IDs to send, and apart, why each was picked (for its result).
            let mut reasons = HashMap::new();
            let items = (mine.into_iter())
                .map(|((id, reason), _)| {
                    if !reason.is_empty() {
                        reasons.insert(id.to_string(), reason);
                    }
                    Item::Id(id)
                })
                .collect();
            let input = Input::Items(items);
            exec.execute(&targets, input, reasons, resumed.as_ref(), &mut report)
                .await?;
        }
        let (sessions, requests) = rechecks.counts();
        report.rechecked(sessions, requests);
        // Nothing more is sent: the next run may start while this one writes its end.
        drop(locks);
        Ok(finish(report, interrupt.interrupted(), run, opts, worst))
    }

    /// What the report of a run will be: its output on stdout, and the journal and metrics
    /// file the flags ask for. Started (files opened) only once the run is sure to go ahead.
    fn report(
        &self,
        all: bool,
        run: &RunPlan,
        ready: &[(Profile, Arc<dyn Provider>)],
        holds: &Holds,
        resume: Option<&Arc<Resume>>,
        job: Job,
    ) -> ReportPlan {
        ReportPlan {
            format: self.cli.output.into(),
            quiet: self.cli.quiet,
            header: header(all, ready),
            job,
            default: (!all)
                .then(|| ready.first().map(|(p, _)| p.name.clone()))
                .flatten(),
            providers: (ready.iter())
                .map(|(p, _)| (p.name.clone(), p.spec.name))
                .collect(),
            journal: run.journal.clone(),
            metrics: run.metrics.clone(),
            holds: holds.clone(),
            resume: resume.cloned(),
        }
    }

    /// Starts `plan`'s report; from here on the run reports itself (see [`super::run`]).
    fn start(&self, plan: ReportPlan) -> Result<Report, AppError> {
        let report = plan.start()?;
        self.reported.set(true);
        Ok(report)
    }

    /// `ended_for`: a retention sweep's `--ended-for`.
    async fn confirm_delete(
        &self,
        bulk: &BulkArgs,
        ended_for: Option<Duration>,
        interrupt: &Interrupt,
    ) -> Result<(), AppError> {
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
        let wheres =
            || (bulk.stale.selectors.iter()).fold(String::new(), |s, t| s + &format!(" where {t}"));
        let what = match (&bulk.stale.idle_for, bulk.ids.len(), &bulk.file) {
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
        };
        eprint!("Delete {what} on {scope}? This cannot be undone. [y/N] ");
        let _ = std::io::stderr().flush();
        // Read on a thread of its own, so that Ctrl-C (which does not end a blocking read) can
        // cancel the prompt: nothing was sent, exit 130.
        let read = tokio::task::spawn_blocking(move || {
            let mut answer = String::new();
            stdin.lock().read_line(&mut answer).map(|_| answer)
        });
        let answer = tokio::select! {
            answer = read => answer.expect("reading a line does not panic").map_err(AppError::Prompt)?,
            _ = interrupt.stop.cancelled() => {
                eprintln!();
                return Err(AppError::Interrupted);
            }
        };
        match answer.trim() {
            "y" | "Y" | "yes" => Ok(()),
            _ => Err(AppError::Declined),
        }
    }
}

fn targets(ready: Vec<(Profile, Arc<dyn Provider>)>, all: bool) -> Targets {
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
fn concurrency(run: &RunPlan, ready: &[(Profile, Arc<dyn Provider>)]) -> usize {
    let together = || {
        ready
            .iter()
            .map(|(p, _)| p.concurrency)
            .sum::<usize>()
            .max(1)
    };
    run.concurrency.unwrap_or_else(together)
}

/// How long a run may go without a session finishing: `--max-stall`, else the longest of
/// its profiles' `max_stall` (so that no profile's own window is cut short).
fn stall_after<'a>(run: &RunPlan, profiles: impl IntoIterator<Item = &'a Profile>) -> Duration {
    let longest = profiles.into_iter().map(|p| p.max_stall).max();
    run.max_stall
        .or(longest)
        .unwrap_or(crate::config::DEFAULT_MAX_STALL)
}

/// Ends the run's report: the exit code from its results, made worse by problems outside
/// them (`worst`) or by a sink that could not be written (said on stderr; exit 1 at least,
/// and an interrupted run stays 130).
fn finish(report: Report, interrupted: bool, run: &RunPlan, opts: &Options, worst: Exit) -> Exit {
    let exit = exit_for(report.summary(), interrupted, run, opts).max_code(worst);
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
fn exit_for(summary: &Summary, interrupted: bool, run: &RunPlan, opts: &Options) -> Exit {
    let unfinished = opts.wait.is_some() && summary.count(Outcome::Accepted) > 0;
    if interrupted {
        Exit::stopped()
    } else if summary.auth_refused {
        Exit::Auth
    } else if summary.count(Outcome::Failed) > 0
        // Not interrupted, yet not sent: the --deadline came first.
        || summary.skipped_unfinished() > 0
        // An ID the run was given and refused, as protected.
        || summary.refused > 0
        || (!run.missing_ok && summary.count(Outcome::NotFound) > 0)
        || unfinished
    {
        Exit::Partial
    } else {
        Exit::Ok
    }
}
