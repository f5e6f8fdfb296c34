//! What a run may do: the blast-radius caps (`--max`, `max_per_run`), a sweep's batch
//! bound (`--limit`) and the per-server run locks.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::AppError;
use super::plan::{LockPolicy, RunPlan};
use crate::config::Profile;
use crate::lock::RunLock;
use crate::provider::{Action, Provider};

/// The run locks of a sweep or bulk run, one per server its profiles are on
/// ([`crate::lock::server_key`]: two profiles of one server are one lock), taken in key order
/// (so that two runs waiting for each other's servers cannot deadlock). None for a dry run,
/// which changes nothing, or with `--no-lock`.
pub(super) async fn lock(
    run: &RunPlan,
    ready: &[(Profile, Arc<dyn Provider>)],
    stop: &CancellationToken,
) -> Result<Vec<RunLock>, AppError> {
    let LockPolicy::Take { wait } = run.lock else {
        return Ok(Vec::new());
    };
    let dir = crate::lock::default_dir().map_err(AppError::Lock)?;
    let mut servers: Vec<(String, &str)> = ready
        .iter()
        .map(|(p, _)| {
            let key = crate::lock::server_key(&p.base_url, p.provider.account());
            (key, p.name.as_str())
        })
        .collect();
    servers.sort_unstable();
    // A second profile of a server it already holds: its own lock would refuse it.
    servers.dedup_by(|b, a| a.0 == b.0);
    let mut locks = Vec::with_capacity(servers.len());
    for (server, name) in &servers {
        // A run told to stop while it waits for the lock (`--wait-lock`) stops.
        let taken = tokio::select! {
            taken = RunLock::acquire(&dir, server, name, wait) => taken,
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

    /// The profiles whose own `max_per_run` `counts` break, each with why: in a sweep of
    /// every profile, each is refused alone and the others go on.
    pub(super) fn over_own(
        &self,
        counts: &[u64],
        names: &[&str],
        action: Action,
    ) -> Vec<(usize, String)> {
        let own = Caps {
            total: None,
            per_profile: self.per_profile.clone(),
        };
        (0..counts.len())
            .filter_map(|i| {
                let mut alone = vec![0; counts.len()];
                alone[i] = counts[i];
                match own.check(&alone, names, action, true) {
                    Err(AppError::OverCap(why)) => Some((i, why)),
                    _ => None,
                }
            })
            .collect()
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

/// `--limit N`: keeps, across every profile of a sweep, the `n` sessions idle longest
/// (`idle` of each; one not measured counts as the least idle) and drops the rest, which a
/// later run will find again. Returns how many were dropped. Unlike a cap, it never refuses:
/// it is how a cron job drains a backlog in batches.
pub(super) fn keep_idlest<T>(picked: &mut [Vec<(T, Option<u64>)>], n: u64) -> usize {
    let mut all: Vec<(usize, usize, u64)> = (picked.iter().enumerate())
        .flat_map(|(p, mine)| {
            (mine.iter().enumerate()).map(move |(i, (_, idle))| (p, i, idle.unwrap_or(0)))
        })
        .collect();
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if all.len() <= n {
        return 0;
    }
    // Idle longest first; ties in listing order, so the same state picks the same sessions.
    all.sort_by_key(|&(p, i, idle)| (std::cmp::Reverse(idle), p, i));
    let keep: std::collections::HashSet<(usize, usize)> =
        all[..n].iter().map(|&(p, i, _)| (p, i)).collect();
    for (p, mine) in picked.iter_mut().enumerate() {
        let mut i = 0;
        mine.retain(|_| {
            i += 1;
            keep.contains(&(p, i - 1))
        });
    }
    all.len() - n
}

#[cfg(test)]
mod tests {
    use super::keep_idlest;

    #[test]
    fn limit_keeps_the_sessions_idle_longest_across_profiles() {
        let mut picked = vec![
            vec![("a1", Some(10)), ("a2", Some(500)), ("a3", None)],
            vec![("b1", Some(300)), ("b2", Some(20))],
        ];
        assert_eq!(keep_idlest(&mut picked, 2), 3);
        let ids: Vec<Vec<&str>> = (picked.iter())
            .map(|m| m.iter().map(|(id, _)| *id).collect())
            .collect();
        assert_eq!(ids, [vec!["a2"], vec!["b1"]]);
        assert_eq!(
            keep_idlest(&mut picked, 5),
            0,
            "under the limit, nothing is left"
        );
    }
}
