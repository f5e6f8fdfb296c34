//! A sweep (`--idle-for`, `--older-than`, `--ended-for`, `--orphans`): every profile's
//! selection is listed before anything is sent, so that the caps see the whole run; then
//! `--limit` keeps the idlest, and the rest is acted on profile by profile.

use std::collections::HashMap;
use std::sync::Arc;

use super::feed::{Execution, Resumed};
use super::limits::{Caps, keep_idlest};
use super::plan::{Input, RunPlan, Sweep};
use super::staging::{Committed, Staged, ask, finish, part, stall_after, terminal};
use super::{AppError, Ctx, Exit, cutoff, now, scoped};
use crate::ids::{Item, SessionId};
use crate::journal::Resume;
use crate::lock::RunLock;
use crate::outcome::SessionResult;
use crate::prompt::Terminal;
use crate::provider::ListError;
use crate::report::Report;
use crate::runner::{self, Stall, Targets};
use crate::select::Selection;
use crate::stale::{self, Filter};

/// A listed session the sweep would act on: its ID, why it was picked, how long it was
/// idle (for `--limit`).
type Pick = ((SessionId, String), Option<u64>);

/// What the listing found, per profile listed, in order (fewer than the profiles if a
/// signal or a cap stopped it).
struct Listing {
    picked: Vec<Vec<Pick>>,
    /// Listed rows that cannot be acted on, as their results.
    problems: Vec<SessionResult>,
    /// Stopped once a cap was certain to refuse the run (never when resuming: what is done
    /// then does not count), so the counts are not the whole selection.
    cut_short: bool,
}

/// A sweep under way: what its steps share once its report has begun.
struct Sweeping<'a> {
    plan: &'a RunPlan,
    staged: Staged,
    locks: Vec<RunLock>,
    resume: Option<Arc<Resume>>,
    caps: Caps,
    report: Report,
}

impl Ctx<'_> {
    /// Lists every profile's selection, checks it against the caps, then acts on it; a
    /// delete asks on the terminal once the listing says what it would delete.
    pub(super) async fn sweep(&self, plan: &RunPlan, sweep: &Sweep) -> Result<Exit, AppError> {
        let now = now()?;
        let filter = filter(plan, sweep, now)?;
        let mut staged = self.stage(plan)?;
        // After the profiles' own checks, before anything is listed or locked.
        let tty = terminal(plan)?;
        let Committed {
            locks,
            resume,
            caps,
            report,
        } = self.commit(plan, &staged).await?;
        let mut report = self.start(report)?;
        (staged.broken.iter()).for_each(|(p, e)| report.profile_error(p, e));
        let selections = std::mem::take(&mut staged.selections);
        let mut run = Sweeping {
            plan,
            staged,
            locks,
            resume,
            caps,
            report,
        };
        let mut listing = run.list(&filter, now, selections).await;
        let mut run = run.capped(&mut listing)?;
        run.limit(&mut listing.picked);
        if let Some(tty) = tty {
            run = run.confirmed(tty, &listing.picked).await?;
        }
        let sending: u64 = run.counts(&listing.picked).iter().sum();
        (run.report).expect(sending + listing.problems.len() as u64);
        listing
            .problems
            .into_iter()
            .for_each(|r| run.report.result(r));
        run.send(listing.picked).await
    }
}

/// What a sweep lists, with its cutoffs counted back from `now`.
fn filter(plan: &RunPlan, sweep: &Sweep, now: jiff::Timestamp) -> Result<Filter, AppError> {
    Ok(Filter {
        idle_before: sweep.idle_for.map(|d| cutoff(now, d)).transpose()?,
        created_before: sweep.older_than.map(|d| cutoff(now, d)).transpose()?,
        ended_before: sweep.ended_for.map(|d| cutoff(now, d)).transpose()?,
        orphans: sweep.orphans,
        action: Some(plan.action),
        ..Filter::default()
    })
}

/// The sessions a profile's listing picked; a listed row becomes an ID to send only through
/// the same check as input, and one that fails it is a failed result (tagged with its
/// profile, `tag`, in a sweep of every profile).
fn picks(
    listed: Vec<stale::Listed>,
    tag: Option<&str>,
    problems: &mut Vec<SessionResult>,
) -> Vec<Pick> {
    let mut mine = Vec::new();
    for l in listed {
        match l.problem.map_or_else(|| l.row.session_id(), Err) {
            Err(problem) => {
                let mut r = SessionResult::failed(l.row.id, format!("not acted on: {problem}"));
                r.profile = tag.map(str::to_owned);
                problems.push(r);
            }
            Ok(id) => mine.push(((id, l.reason.unwrap_or_default()), l.idle_secs)),
        }
    }
    mine
}

impl Sweeping<'_> {
    /// Lists each profile's selection in turn; a profile whose listing fails is a profile
    /// error (the others go on).
    async fn list(
        &mut self,
        filter: &Filter,
        now: jiff::Timestamp,
        selections: Vec<Selection>,
    ) -> Listing {
        let mut listing = Listing {
            picked: Vec::new(),
            problems: Vec::new(),
            cut_short: false,
        };
        let staged = &mut self.staged;
        for (i, ((profile, provider), selection)) in staged.ready.iter().zip(selections).enumerate()
        {
            if listing.cut_short {
                break;
            }
            let mut filter = scoped(filter, profile, selection);
            if self.resume.is_none() {
                let so_far = listing.picked.iter().map(|mine| mine.len() as u64).sum();
                filter.enough = self.caps.refused_at(i, so_far);
            }
            let stall = Stall {
                after: stall_after(self.plan, [profile]),
                holds: staged.holds.clone(),
            };
            let listed = tokio::select! {
                listed = stale::collect_until(provider.as_ref(), &filter, now) => listed,
                _ = staged.interrupt.stop.cancelled() => break,
                why = stall.listing(tokio::time::Instant::now()) => Err(ListError::Stalled(why)),
            };
            let listed = match listed {
                Ok((l, short)) => {
                    listing.cut_short = short;
                    l
                }
                Err(e) => {
                    let err = AppError::List(profile.name.clone(), e);
                    crate::output::warn(format_args!("{err}"));
                    staged.worst = staged.worst.max_code(err.exit());
                    self.report.profile_error(&profile.name, &err.to_string());
                    listing.picked.push(Vec::new());
                    continue;
                }
            };
            let tag = self.plan.all.then_some(profile.name.as_str());
            listing
                .picked
                .push(picks(listed, tag, &mut listing.problems));
        }
        listing
    }

    /// Refuses the run (exit 4, nothing sent) when what was listed breaks a cap. In a sweep
    /// of every profile, a profile over its own `max_per_run` is refused alone (a profile
    /// error) and the others go on; only when that leaves nothing to send is the run itself
    /// refused.
    fn capped(mut self, listing: &mut Listing) -> Result<Self, AppError> {
        let action = self.plan.action;
        let names: Vec<String> = (self.staged.ready.iter())
            .map(|(p, _)| p.name.clone())
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut counts = self.counts(&listing.picked);
        if self.plan.all {
            let over = self.caps.over_own(&counts, &names, action);
            let sending = (counts.iter().enumerate())
                .any(|(i, c)| *c > 0 && !over.iter().any(|(o, _)| *o == i));
            if sending {
                for (i, why) in over {
                    crate::output::warn(format_args!("skipping profile `{}`: {why}", names[i]));
                    self.report.profile_error(names[i], &why);
                    listing.picked[i].clear();
                    counts[i] = 0;
                    self.staged.worst = self.staged.worst.max_code(Exit::Partial);
                }
            }
        }
        if let Err(over) = self.caps.check(&counts, &names, action, !listing.cut_short) {
            // The listing happened and is on record; the run ends here, nothing sent, the
            // profiles free before the records are written (they may block).
            drop(self.locks);
            self.report.refuse(false, over.exit() as i32);
            return Err(over);
        }
        Ok(self)
    }

    /// What will be sent per profile: a resumed run adds what it sends again and drops what
    /// is done.
    fn counts(&self, picked: &[Vec<Pick>]) -> Vec<u64> {
        (picked.iter().zip(&self.staged.ready))
            .map(|(mine, (profile, _))| match &self.resume {
                Some(r) => {
                    let ids = mine.iter().map(|((id, _), _)| id.as_str());
                    r.to_send(&profile.name, ids) as u64
                }
                None => mine.len() as u64,
            })
            .collect()
    }

    /// A delete's prompt, once the listing (after the caps and `--limit`) says what would
    /// go. Declined or interrupted: the listing is on record, nothing is sent, and the
    /// profiles are free before the records are written.
    async fn confirmed(self, tty: Terminal, picked: &[Vec<Pick>]) -> Result<Self, AppError> {
        let parts = (self.staged.ready.iter().zip(picked))
            .map(|((profile, _), mine)| {
                part(
                    profile,
                    mine.iter().map(|((id, _), _)| id.as_str()).collect(),
                )
            })
            .collect::<Vec<_>>();
        let asked = ask(tty, self.plan, &parts, &self.staged.interrupt).await;
        match asked {
            Ok(()) => Ok(self),
            Err(e) => {
                let report = self.report;
                drop(self.locks);
                report.refuse(e.stopped(), e.exit() as i32);
                Err(e)
            }
        }
    }

    /// `--limit`: after the caps, which count the whole selection (a selection far larger
    /// than expected, a clock gone wrong, is still refused), a backlog drains in batches.
    fn limit(&mut self, picked: &mut [Vec<Pick>]) {
        let Some(n) = self.plan.sweep().and_then(|s| s.limit) else {
            return;
        };
        let left = keep_idlest(picked, n);
        if left > 0 {
            // Not hidden by -q: a cron job's log should say that a backlog remains.
            self.report.notice(&format!(
                "sessionctl: --limit {n}: acting on the {n} idle longest; {left} more left for the next run"
            ));
            self.report.leave(left);
        }
    }

    /// Acts on what was picked, one profile at a time (its own concurrency and stall
    /// bound), then ends the report.
    async fn send(mut self, picked: Vec<Vec<Pick>>) -> Result<Exit, AppError> {
        let plan = self.plan;
        let Staged {
            interrupt,
            holds,
            ready,
            worst,
            ..
        } = self.staged;
        let mut exec = Execution {
            runner: runner::Plan {
                action: plan.action,
                dry_run: plan.dry_run,
                batches_in_flight: 0,
                max_stall: None,
            },
            interrupt: &interrupt,
            seq: Default::default(),
            quiet: plan.quiet,
        };
        for ((profile, provider), mine) in ready.into_iter().zip(picked) {
            exec.runner.batches_in_flight =
                plan.provider.concurrency.unwrap_or(profile.concurrency);
            exec.runner.max_stall = Some(Stall {
                after: stall_after(plan, [&profile]),
                holds: holds.clone(),
            });
            let targets = Targets::one(profile.name.clone(), provider, plan.all);
            let resumed = self.resume.clone().map(|r| Resumed::new(r, &targets));
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
            (exec.execute(&targets, input, reasons, resumed.as_ref(), &mut self.report)).await?;
        }
        // Nothing more is sent: the next run may start while this one writes its end.
        drop(self.locks);
        Ok(finish(self.report, interrupt.interrupted(), plan, worst))
    }
}
