//! What a run may do: the blast-radius caps (`--max`, `max_per_run`) and the per-profile
//! run locks.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::AppError;
use super::plan::{LockPolicy, RunPlan};
use crate::config::Profile;
use crate::lock::RunLock;
use crate::provider::{Action, Provider};

/// The per-profile run locks of a sweep or bulk run, taken in name order (so that two runs
/// waiting for each other's profiles cannot deadlock). None for a client dry run, which
/// sends nothing, or with `--no-lock`.
pub(super) async fn lock(
    run: &RunPlan,
    ready: &[(Profile, Arc<dyn Provider>)],
    stop: &CancellationToken,
) -> Result<Vec<RunLock>, AppError> {
    let LockPolicy::Take { wait } = run.lock else {
        return Ok(Vec::new());
    };
    let dir = crate::lock::default_dir().map_err(AppError::Lock)?;
    let mut names: Vec<&str> = ready.iter().map(|(p, _)| p.name.as_str()).collect();
    names.sort_unstable();
    let mut locks = Vec::with_capacity(names.len());
    for name in names {
        // A run told to stop while it waits for the lock (`--wait-lock`) stops.
        let taken = tokio::select! {
            taken = RunLock::acquire(&dir, name, wait) => taken,
            _ = stop.cancelled() => return Err(AppError::Interrupted),
        };
        locks.push(taken.map_err(|e| match e {
            e @ crate::lock::LockError::Held { .. } => AppError::Locked(e),
            e => AppError::Lock(e),
        })?);
    }
    Ok(locks)
}

/// The blast-radius caps of a run: `--max` (the total) and each profile's `max_per_run`.
pub(super) struct Caps {
    total: Option<u64>,
    per_profile: Vec<Option<u64>>,
}

impl Caps {
    pub(super) fn of(run: &RunPlan, ready: &[(Profile, Arc<dyn Provider>)]) -> Caps {
        Caps {
            total: run.max,
            per_profile: ready.iter().map(|(p, _)| p.max_per_run).collect(),
        }
    }

    pub(super) fn any(&self) -> bool {
        self.total.is_some() || self.per_profile.iter().any(Option::is_some)
    }

    /// How many sessions to act on, listed on profile `i` after `so_far` on the profiles
    /// before it, make a refusal certain: one past its `max_per_run` or past what `--max`
    /// leaves. A listing may stop there.
    pub(super) fn refused_at(&self, i: usize, so_far: u64) -> Option<usize> {
        let per = self.per_profile.get(i).copied().flatten();
        let left = self.total.map(|t| t.saturating_sub(so_far));
        let at = [per, left].into_iter().flatten().min()?;
        Some(usize::try_from(at.saturating_add(1)).unwrap_or(usize::MAX))
    }

    /// Refuses the run (exit 4) when `counts` (sessions to act on, per profile) break a
    /// cap. `exact`: the counts are the whole selection, else reading stopped one past a cap.
    pub(super) fn check(
        &self,
        counts: &[u64],
        names: &[&str],
        action: Action,
        exact: bool,
    ) -> Result<(), AppError> {
        let verb = match action {
            Action::End => "end",
            Action::Delete => "delete",
        };
        let n = |count: u64| match exact {
            true => count.to_string(),
            false => format!("at least {count}"),
        };
        let over = |count: u64, cap: Option<u64>| cap.is_some_and(|c| count > c);
        let refuse = |count: u64, scope: String, cap: u64, name: &str| {
            Err(AppError::OverCap(format!(
                "would {verb} {} sessions on {scope}; the cap is {cap} ({name}); nothing was sent",
                n(count)
            )))
        };
        for ((count, cap), name) in counts.iter().zip(&self.per_profile).zip(names) {
            if over(*count, *cap) {
                let scope = format!("`{name}`");
                return refuse(*count, scope, cap.unwrap_or_default(), "`max_per_run`");
            }
        }
        let total: u64 = counts.iter().sum();
        if over(total, self.total) {
            let scope = match names {
                [one] => format!("`{one}`"),
                many => format!("{} profiles", many.len()),
            };
            return refuse(total, scope, self.total.unwrap_or_default(), "--max");
        }
        Ok(())
    }
}
