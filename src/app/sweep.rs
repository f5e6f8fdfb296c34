//! A sweep (`--idle-for`, `--older-than`, `--ended-for`, `--orphans`): every profile's
//! selection is listed before anything is sent, so that the caps see the whole run; then
//! `--limit` keeps the idlest, and the rest is acted on profile by profile. Its hooks:
//! the protect list (listed rows it matches are reported, never sent), the re-check before
//! acting (each profile's provider behind [`crate::recheck`]), and saved plans (`--plan`
//! writes what was picked; `apply` reads a plan's sessions instead of listing).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::feed::{Execution, Resumed};
use super::limits::{Caps, keep_idlest};
use super::plan::{Input, RunPlan, Sweep};
use super::staging::{Committed, Staged, ask, finish, part, stall_after, terminal};
use super::{AppError, Ctx, Exit, cutoff, now, scoped};
use crate::config::Profile;
use crate::guard::Cleared;
use crate::ids::{Item, SessionId};
use crate::journal::Resume;
use crate::lock::RunLock;
use crate::outcome::SessionResult;
use crate::prompt::Terminal;
use crate::provider::{ListError, SessionRow};
use crate::recheck;
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
    /// Listed rows that cannot be acted on (or that the protect list keeps), as their
    /// results.
    problems: Vec<SessionResult>,
    /// Per profile listed: what a re-check before acting judges again (none where the
    /// listing failed, or for `--orphans`).
    rechecks: Vec<Option<recheck::Listing>>,
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
        let real_now = now()?;
        // A saved plan's sessions are judged again as of when it was made.
        let now = sweep.saved.as_ref().map_or(real_now, |p| p.made);
        let filter = filter(sweep, now)?;
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
        let cleared = std::mem::take(&mut staged.cleared);
        let mut run = Sweeping {
            plan,
            staged,
            locks,
            resume,
            caps,
            report,
        };
        let listed = run.list(&filter, (now, real_now), selections, cleared);
        let mut listing = listed.await;
        let mut run = run.capped(&mut listing)?;
        run.limit(&mut listing.picked);
        if let Some(path) = &plan.write {
            let names: Vec<&str> = (run.staged.ready.iter())
                .map(|(p, _)| p.name.as_str())
                .collect();
            let chosen = super::apply::chosen_by(sweep);
            let mut saved = self.plan_of(plan, chosen, now, &names);
            super::apply::fill(
                &mut saved,
                &listing.picked,
                &listing.rechecks,
                &listing.problems,
            );
            saved.write(path).map_err(AppError::Output)?;
        }
        if let Some(tty) = tty {
            run = run.confirmed(tty, &listing.picked).await?;
        }
        let sending: u64 = run.counts(&listing.picked).iter().sum();
        (run.report).expect(sending + listing.problems.len() as u64);
        listing
            .problems
            .into_iter()
            .for_each(|r| run.report.result(r));
        run.send(listing.picked, listing.rechecks).await
    }
}

/// What a sweep lists, with its cutoffs counted back from `now`.
fn filter(sweep: &Sweep, now: jiff::Timestamp) -> Result<Filter, AppError> {
    Ok(Filter {
        idle_before: sweep.idle_for.map(|d| cutoff(now, d)).transpose()?,
        created_before: sweep.older_than.map(|d| cutoff(now, d)).transpose()?,
        ended_before: sweep.ended_for.map(|d| cutoff(now, d)).transpose()?,
        orphans: sweep.orphans,
        ..Filter::default()
    })
}

/// Where a profile's listed rows are checked against its protect list: `cleared` tells its
/// guard which it need not read again (none for a saved plan's rows: a file anyone may
/// edit), and a row a resume sends again first is left to the guard, which refuses it there.
struct Protecting<'a> {
    profile: &'a Profile,
    cleared: Option<&'a Cleared>,
    resume: Option<&'a Resume>,
}

/// The sessions a profile's listing picked, with the rows they were picked on; a listed row
/// becomes an ID to send only through the same check as input, and one that fails it is a
/// failed result (tagged with its profile, `tag`, in a sweep of every profile). One the
/// protect list matches is reported as `protected`, never sent.
fn picks(
    listed: Vec<stale::Listed>,
    tag: Option<&str>,
    guard: &Protecting<'_>,
    problems: &mut Vec<SessionResult>,
) -> (Vec<Pick>, Vec<SessionRow>) {
    let mut mine = Vec::new();
    let mut rows = Vec::new();
    let name = guard.profile.name.as_str();
    let pending = |id: &SessionId| {
        guard
            .resume
            .is_some_and(|r| r.is_pending(name, id.as_str()))
    };
    for l in listed {
        match l.problem.map_or_else(|| l.row.session_id(), Err) {
            Err(problem) => {
                let mut r = SessionResult::failed(l.row.id, format!("not acted on: {problem}"));
                r.profile = tag.map(str::to_owned);
                problems.push(r);
            }
            Ok(id) => match crate::protect::swept(&guard.profile.protect, &l.row) {
                Some(_) if pending(&id) => {}
                Some(mut r) => {
                    r.reason = l.reason;
                    r.profile = tag.map(str::to_owned);
                    problems.push(r);
                }
                None => {
                    if let Some(cleared) = guard.cleared {
                        cleared.insert(id.as_str());
                    }
                    mine.push(((id, l.reason.unwrap_or_default()), l.idle_secs));
                    rows.push(l.row);
                }
            },
        }
    }
    (mine, rows)
}

impl Sweeping<'_> {
    /// Lists each profile's selection in turn; a profile whose listing fails is a profile
    /// error (the others go on).
    /// `now` is the sweep's "now" and the clock's (they differ for a saved plan, whose
    /// rows are read from it, as old as it is).
    async fn list(
        &mut self,
        filter: &Filter,
        (now, real_now): (jiff::Timestamp, jiff::Timestamp),
        selections: Vec<Selection>,
        cleared: Vec<Cleared>,
    ) -> Listing {
        let mut listing = Listing {
            picked: Vec::new(),
            problems: Vec::new(),
            rechecks: Vec::new(),
            cut_short: false,
        };
        let sweep = self.plan.sweep();
        let saved = sweep.and_then(|s| s.saved.as_ref());
        let staged = &mut self.staged;
        let profiles = (staged.ready.iter()).zip(selections.into_iter().zip(cleared));
        for (i, ((profile, provider), (selection, cleared))) in profiles.enumerate() {
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
            let mut listed_at = tokio::time::Instant::now();
            let mut recheck_after =
                (sweep.and_then(|s| s.recheck_after)).unwrap_or(profile.recheck_after);
            let listed = match saved {
                Some(plan) => {
                    // A plan's evidence is as old as the plan (older than an Instant can
                    // say: read again at once).
                    match listed_at.checked_sub(plan.age(real_now)) {
                        Some(at) => listed_at = at,
                        None => recheck_after = Duration::ZERO,
                    }
                    // Where the guard cannot read one session, only the re-check's relisting
                    // decides an entry beyond the ID on fresh rows: without it, a plan younger
                    // than `recheck_after` would have every session refused as "cannot tell".
                    if profile.protect.needs_rows() && !provider.features().reads_one {
                        recheck_after = Duration::ZERO;
                    }
                    Ok((plan.listed(&profile.name), false))
                }
                None => tokio::select! {
                    listed = stale::collect_until(provider.as_ref(), &filter, now) => listed,
                    _ = staged.interrupt.stop.cancelled() => break,
                    why = stall.listing(tokio::time::Instant::now()) => Err(ListError::Stalled(why)),
                },
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
                    listing.rechecks.push(None);
                    continue;
                }
            };
            let tag = self.plan.all.then_some(profile.name.as_str());
            let guard = Protecting {
                profile,
                // Only what the server listed spares the guard its read (a saved plan's rows
                // are cleared by their re-check, on what it reads again: `recheck`).
                cleared: saved.is_none().then_some(&cleared),
                resume: self.resume.as_deref(),
            };
            let (mine, rows) = picks(listed, tag, &guard, &mut listing.problems);
            listing.picked.push(mine);
            // What `--orphans` lists is left behind, not in the list a re-check reads.
            listing
                .rechecks
                .push((!filter.orphans).then(|| recheck::Listing {
                    rows,
                    listed: listed_at,
                    filter,
                    now,
                    protect: profile.protect.clone(),
                    after: recheck_after,
                    cleared: cleared.clone(),
                }));
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
    /// go: what [`Sweeping::send`] sends, so a resumed run names the journal's pending
    /// sessions (sent again first, listed or not) and leaves out what is done. Declined or
    /// interrupted: the listing is on record, nothing is sent, and the profiles are free
    /// before the records are written.
    async fn confirmed(mut self, tty: Terminal, picked: &[Vec<Pick>]) -> Result<Self, AppError> {
        let parts = (self.staged.ready.iter().zip(picked))
            .map(|((profile, _), mine)| {
                let listed = mine.iter().map(|((id, _), _)| id.as_str());
                let ids = match &self.resume {
                    None => listed.collect(),
                    Some(r) => {
                        let name = profile.name.as_str();
                        let pending = (r.pending().iter())
                            .filter(|(p, _)| p == name)
                            .map(|(_, id)| id.as_str());
                        let new =
                            listed.filter(|id| !r.is_pending(name, id) && !r.is_done(name, id));
                        pending.chain(new).collect()
                    }
                };
                part(profile, ids)
            })
            .collect::<Vec<_>>();
        // Nothing to delete asks nothing, and leaves the progress display alone.
        let asking = parts.iter().any(|p| !p.ids.is_empty());
        if asking {
            self.report.asking();
        }
        let asked = ask(tty, self.plan, &parts, &self.staged.interrupt).await;
        match asked {
            Ok(()) => {
                if asking {
                    self.report.answered();
                }
                Ok(self)
            }
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
    async fn send(
        mut self,
        picked: Vec<Vec<Pick>>,
        rechecks: Vec<Option<recheck::Listing>>,
    ) -> Result<Exit, AppError> {
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
        let stats = Arc::new(recheck::Stats::default());
        let mut rechecks = rechecks.into_iter();
        for ((profile, provider), mine) in ready.into_iter().zip(picked) {
            let provider = match rechecks.next().flatten() {
                Some(listing) => recheck::wrap(provider, listing, stats.clone()),
                None => provider,
            };
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
        let (sessions, requests) = stats.counts();
        self.report.rechecked(sessions, requests);
        // Nothing more is sent: the next run may start while this one writes its end.
        drop(self.locks);
        Ok(finish(self.report, interrupt.interrupted(), plan, worst))
    }
}
