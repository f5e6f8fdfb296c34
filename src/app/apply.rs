//! Saved plans in a run: what a run with `--plan FILE` writes, and `sessionctl apply
//! FILE`, a saved plan ([`crate::saved`]) checked (its format, config, profiles and age),
//! then run on exactly its sessions: a sweep's plan as the sweep it was made by (which reads
//! them from the plan instead of listing, and re-checks each before acting), a plan of IDs
//! given as those IDs given again (the protect list checks each, as for any ID).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::plan::{Input, RunPlan, Source, Sweep};
use super::{AppError, Ctx, Exit, usage};
use crate::ids::{Item, SessionId};
use crate::outcome::{Outcome, SessionResult};
use crate::provider::{Action, SessionRow};
use crate::recheck::Listing;
use crate::saved::{Chosen, ConfigId, Entry, Kept, Plan};
use crate::select::Selector;

/// What `apply` was asked (its run options are read by [`super::plan::applying`]).
pub(super) struct Apply<'a> {
    pub(super) file: &'a Path,
    pub(super) max_age: Duration,
    pub(super) yes: bool,
    pub(super) recheck_after: Option<Duration>,
}

impl Ctx<'_> {
    pub(super) async fn apply(&self, apply: Apply<'_>) -> Result<Exit, AppError> {
        let now = super::now()?;
        let plan = Plan::load(apply.file, &self.config.path, now, apply.max_age).map_err(usage)?;
        // A plan of every profile runs on the profiles it names, as it was made: a `-p` (or
        // `--endpoint-url`, one server) beside it would be quietly overruled, so it is refused.
        if plan.all_profiles {
            let narrowed = match (self.asked_for(), self.cli.endpoint_url()) {
                (Some(name), _) => Some(format!("-p {name}")),
                (None, Some(_)) => Some("--endpoint-url".to_owned()),
                (None, None) => None,
            };
            if let Some(flag) = narrowed {
                return Err(usage(format!(
                    "{flag}: {} was made with --all-profiles and is applied on the profiles it \
                     names ({}), exactly as made: leave {flag} out (to act on one profile, make \
                     its plan with -p)",
                    apply.file.display(),
                    plan.profiles.join(", ")
                )));
            }
        }
        let mut names: Vec<String> = (self.profiles(plan.all_profiles)?.into_iter())
            .map(|p| p.name)
            .collect();
        let mut planned = plan.profiles.clone();
        names.sort();
        planned.sort();
        // A plan of every profile names those its sweep could use: each must still be here.
        let fits = match plan.all_profiles {
            true => planned.iter().all(|p| names.contains(p)),
            false => names == planned,
        };
        if !fits {
            let unit = if planned.len() == 1 {
                "profile"
            } else {
                "profiles"
            };
            return Err(usage(match plan.all_profiles {
                true => format!(
                    "the plan was made for {unit} {}, and the config has no {}: was it changed since?",
                    planned.join(", "),
                    (planned.iter().filter(|p| !names.contains(p)))
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                false => format!(
                    "the plan was made for profile {}; this run's is {} (pass -p {} as the plan was made)",
                    planned.join(", "),
                    names.join(", "),
                    planned.join(", ")
                ),
            }));
        }
        let action = Action::from(plan.action);
        let all = plan.all_profiles;
        if !plan.selection.sweeps() {
            // A plan of IDs carries no evidence to go stale (see `bulk_plan`'s refusal of
            // `--recheck-after` with IDs): the flag would do nothing, so it is refused.
            if apply.recheck_after.is_some() {
                return Err(usage(format!(
                    "--recheck-after re-checks the evidence a sweep's plan was chosen on; {} is a \
                     plan of IDs given ({}), which carries none to go stale: leave it out",
                    apply.file.display(),
                    plan.selection.given.as_deref().unwrap_or("IDs"),
                )));
            }
            let items = (plan.sessions.iter())
                .map(|e| {
                    let id = crate::ids::from_arg(&e.id)
                        .map_err(|why| usage(format!("the plan's session: {why}")))?;
                    Ok(match all {
                        true => Item::Routed {
                            profile: e.profile.clone(),
                            id,
                        },
                        false => Item::Id(id),
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            let source = Source::Ids(Input::Items(items));
            let run = super::plan::applying(self.cli, action, source, all, apply.yes);
            return self.run(&run).await;
        }
        let duration = |s: &Option<String>| {
            (s.as_deref())
                .map(crate::units::parse_duration)
                .transpose()
                .map_err(|e| usage(format!("the plan's selection: {e}")))
        };
        let terms = (plan.selection.selectors.iter())
            .map(|s| crate::provider::registry::parse_term(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| usage(format!("the plan's --where: {e}")))?;
        let sweep = Sweep {
            idle_for: duration(&plan.selection.idle_for)?,
            older_than: duration(&plan.selection.older_than)?,
            ended_for: duration(&plan.selection.ended_for)?,
            orphans: false,
            selector: Selector { terms },
            limit: None,
            recheck_after: apply.recheck_after,
            saved: Some(Box::new(plan)),
        };
        let source = Source::Sweep(sweep);
        let run = super::plan::applying(self.cli, action, source, all, apply.yes);
        self.run(&run).await
    }
}

/// What a sweep picked, per profile: each ID with why, and how long it has been idle.
type Picked = Vec<((SessionId, String), Option<u64>)>;

impl Ctx<'_> {
    /// The head of the plan a run writes: what it is, made when, with which config, chosen
    /// how.
    pub(super) fn plan_of(
        &self,
        run: &RunPlan,
        selection: Chosen,
        now: jiff::Timestamp,
        names: &[&str],
    ) -> Plan {
        Plan {
            sessionctl_plan: crate::saved::VERSION,
            made_at: now.to_string(),
            made: now,
            config: ConfigId {
                path: self.config.path.display().to_string(),
                fingerprint: crate::saved::fingerprint(&self.config.path),
            },
            action: run.action.into(),
            profiles: names.iter().map(|n| (*n).to_owned()).collect(),
            all_profiles: run.all,
            selection,
            sessions: Vec::new(),
            protected: Vec::new(),
        }
    }
}

/// The plan's sessions: what the sweep picked (after caps and `--limit`), each with the row
/// it was chosen on; and what the protect list kept.
pub(super) fn fill(
    plan: &mut Plan,
    picked: &[Picked],
    listings: &[Option<Listing>],
    problems: &[SessionResult],
) {
    for ((mine, listing), profile) in picked.iter().zip(listings).zip(plan.profiles.clone()) {
        let rows: HashMap<&str, &SessionRow> = (listing.iter())
            .flat_map(|l| l.rows.iter())
            .map(|r| (r.id.as_str(), r))
            .collect();
        for ((id, reason), idle_secs) in mine {
            let Some(row) = rows.get(id.as_str()) else {
                continue; // (an orphan sweep's rows are not in a plan)
            };
            let entry = plan.sealed(Entry {
                profile: profile.clone(),
                id: id.to_string(),
                action: plan.action,
                reason: (!reason.is_empty()).then(|| reason.clone()),
                idle_secs: *idle_secs,
                evidence: Some((*row).clone()),
                seal: None,
            });
            plan.sessions.push(entry);
        }
    }
    let only = plan.profiles.first().cloned().unwrap_or_default();
    for r in problems.iter().filter(|r| r.outcome == Outcome::Protected) {
        plan.protected.push(Kept {
            profile: r.profile.clone().unwrap_or_else(|| only.clone()),
            id: r.id.clone(),
            note: r.note.clone().unwrap_or_default(),
        });
    }
}

/// A sweep's selection, as its plan says it.
pub(super) fn chosen_by(sweep: &Sweep) -> Chosen {
    let human = |d: Option<Duration>| d.map(|d| humantime::format_duration(d).to_string());
    Chosen {
        given: None,
        idle_for: human(sweep.idle_for),
        older_than: human(sweep.older_than),
        ended_for: human(sweep.ended_for),
        selectors: sweep.selector.terms.iter().map(|t| t.to_string()).collect(),
    }
}

/// The plan of a run on IDs given, written from what it reports (a sink of its report):
/// each ID it would act on, once, on its profile, sealed; each it refused as protected (by
/// its ID, or by a field the guard read it for), under `protected`. What it found gone or
/// could not take (not an ID) is in neither. Written when the run ends, whole, unless it was
/// interrupted or refused.
pub(super) struct Given {
    plan: Plan,
    path: std::path::PathBuf,
    /// Results in the order of the input (`seq`), as they came.
    seen: Vec<(u64, Entry)>,
    kept: Vec<(u64, Kept)>,
}

impl Given {
    pub(super) fn new(plan: Plan, path: std::path::PathBuf) -> Given {
        Given {
            plan,
            path,
            seen: Vec::new(),
            kept: Vec::new(),
        }
    }
}

impl crate::report::Sink for Given {
    fn result(&mut self, profile: Option<&str>, r: &SessionResult) -> std::io::Result<()> {
        let profile = profile.unwrap_or_default().to_owned();
        match r.outcome {
            Outcome::WouldEnd | Outcome::WouldDelete => {
                let entry = self.plan.sealed(Entry {
                    profile,
                    id: r.id.clone(),
                    action: self.plan.action,
                    reason: None,
                    idle_secs: None,
                    evidence: None,
                    seal: None,
                });
                self.seen.push((r.seq, entry));
            }
            Outcome::Protected => {
                let note = (r.error.clone().or_else(|| r.note.clone())).unwrap_or_default();
                let kept = Kept {
                    profile,
                    id: r.id.clone(),
                    note,
                };
                self.kept.push((r.seq, kept));
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, end: &crate::report::End) -> std::io::Result<()> {
        if end.interrupted || end.refused {
            crate::output::warn(format_args!(
                "note: the plan was not written to {} (the run did not finish)",
                self.path.display()
            ));
            return Ok(());
        }
        self.seen.sort_by_key(|(seq, _)| *seq);
        self.kept.sort_by_key(|(seq, _)| *seq);
        self.plan.sessions = self.seen.into_iter().map(|(_, e)| e).collect();
        self.plan.protected = self.kept.into_iter().map(|(_, k)| k).collect();
        self.plan.write(&self.path)
    }
}
