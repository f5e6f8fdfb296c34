//! Saved plans (`--plan FILE`, `sessionctl apply FILE`): what a run would act on (a
//! sweep's selection, or the IDs it was given) written down instead of acted on, for
//! review, then acted on exactly (as Terraform's saved plans are). This file owns the
//! plan's format and the checks a plan must pass before it is applied; making one and
//! applying one are the runs' (`app::sweep` lists or reads the plan's rows and goes on as
//! any sweep; `app::sessions` acts on a plan's IDs as on IDs given), with caps, locks,
//! journal, metrics and re-checks as any run.
//!
//! A plan is one JSON document a person can read and a script can filter (`jq` on
//! `.sessions`, then apply the result): what is not in `sessions` is never acted on. An
//! entry can be removed, not added: each carries a seal of what it was made as.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::provider::{Action, SessionRow};
use crate::stale::Listed;

/// The format's version: a plan of another is refused. 2: the seal covers the plan's head
/// and an entry's reason and evidence UUID (a plan of 1 would read as edited).
pub const VERSION: u32 = 2;

/// The bound on a plan's age when `apply --max-age` does not set one.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);

/// How far ahead of this clock a plan's `made_at` may be (clocks of two hosts differ).
const FUTURE: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Plans are read up to this size.
const LIMIT: u64 = 256 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
pub struct Plan {
    pub sessionctl_plan: u32,
    /// The sweep's "now" (RFC 3339): what its cut-offs were measured from.
    pub made_at: String,
    /// `made_at`, read.
    #[serde(skip)]
    pub made: Timestamp,
    pub config: ConfigId,
    pub action: PlanAction,
    pub profiles: Vec<String>,
    #[serde(default)]
    pub all_profiles: bool,
    pub selection: Chosen,
    /// What the plan acts on, each with the evidence it was chosen on.
    pub sessions: Vec<Entry>,
    /// What the sweep selected and the protect list keeps: never acted on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protected: Vec<Kept>,
}

/// The config file a plan was made with: a plan for another config is refused.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct ConfigId {
    pub path: String,
    /// FNV-1a 64 of the file's bytes (`none` without a file).
    pub fingerprint: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum PlanAction {
    End,
    Delete,
}

impl From<Action> for PlanAction {
    fn from(a: Action) -> PlanAction {
        match a {
            Action::End => PlanAction::End,
            Action::Delete => PlanAction::Delete,
        }
    }
}

impl From<PlanAction> for Action {
    fn from(a: PlanAction) -> Action {
        match a {
            PlanAction::End => Action::End,
            PlanAction::Delete => Action::Delete,
        }
    }
}

/// How the run chose: the sweep's selection (durations as humantime writes them: `2h`,
/// `30days`), or where the IDs it was given came from.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Chosen {
    /// Given IDs: `arguments`, `stdin` or `file PATH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_for: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub older_than: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_for: Option<String>,
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub selectors: Vec<String>,
}

/// One session the plan acts on.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub profile: String,
    pub id: String,
    pub action: PlanAction,
    /// Why it was chosen: what was measured, and the selector it matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_secs: Option<u64>,
    /// The row it was chosen on (its last activity, occupancy, fields); none for an ID
    /// given, which was chosen on its ID alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<SessionRow>,
    /// [`seal`] of the entry as the plan made it.
    #[serde(default)]
    pub seal: Option<String>,
}

/// A session the protect list keeps.
#[derive(Debug, Serialize, Deserialize)]
pub struct Kept {
    pub profile: String,
    pub id: String,
    pub note: String,
}

/// FNV-1a 64 of `bytes`, as plans write it.
fn fnv1a64(bytes: impl IntoIterator<Item = u8>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

/// FNV-1a 64 of the config file's bytes: any edit makes a plan another config's.
pub fn fingerprint(path: &Path) -> String {
    match crate::bounded::read_file(path, 1024 * 1024) {
        Ok(bytes) => fnv1a64(bytes),
        Err(_) => "none".to_owned(),
    }
}

fn action_word(action: PlanAction) -> &'static str {
    match action {
        PlanAction::End => "end",
        PlanAction::Delete => "delete",
    }
}

impl Plan {
    /// The seal of `entry` in this plan: FNV-1a 64 of the plan's head (its time, config,
    /// action, profiles, `all_profiles` and selection) and of the entry (its profile, ID,
    /// action, and the UUID its evidence acts by). Not a secret (whoever can edit a plan can
    /// run `end ID` too): it tells a session added to a plan, one edited into another, or a
    /// plan whose head was edited (a sweep's selection turned into IDs given, which `apply`
    /// would act on without judging them again) from what the run planned, so that `apply`
    /// never acts on a session outside the plan, or on other terms, by mistake.
    pub fn seal(&self, entry: &Entry) -> String {
        // Each part is written with its length, and each list with its count, so that no
        // part can run into the next (`prod`+`s1` is not `pro`+`ds1`, `["a","b"]` is not
        // `["a\u{1f}b"]`) and an absent part is not an empty one.
        let mut bytes = Vec::new();
        let mut part = |p: Option<&str>| match p {
            Some(p) => bytes.extend(format!("{}:{p};", p.len()).bytes()),
            None => bytes.extend(*b"-;"),
        };
        let s = &self.selection;
        let (profiles, selectors) = (self.profiles.len(), s.selectors.len());
        let idle_secs = entry.idle_secs.map(|n| n.to_string());
        part(Some(&self.made_at));
        part(Some(&self.config.fingerprint));
        part(Some(action_word(self.action)));
        part(Some(&profiles.to_string()));
        self.profiles.iter().for_each(|p| part(Some(p)));
        part(Some(if self.all_profiles { "all" } else { "named" }));
        part(s.given.as_deref());
        part(s.idle_for.as_deref());
        part(s.older_than.as_deref());
        part(s.ended_for.as_deref());
        part(Some(&selectors.to_string()));
        s.selectors.iter().for_each(|t| part(Some(t)));
        part(Some(&entry.profile));
        part(Some(&entry.id));
        part(Some(action_word(entry.action)));
        // What a sweep's entry says it was chosen on, as apply reports it.
        part(entry.reason.as_deref());
        part(idle_secs.as_deref());
        part(entry.evidence.as_ref().map(|_| "evidence"));
        part(entry.evidence.as_ref().and_then(|r| r.uuid.as_deref()));
        fnv1a64(bytes)
    }

    /// `entry`, sealed as this plan's.
    pub fn sealed(&self, mut entry: Entry) -> Entry {
        entry.seal = Some(self.seal(&entry));
        entry
    }
}

impl Chosen {
    /// A sweep's selection (else the plan is of IDs given).
    pub fn sweeps(&self) -> bool {
        self.idle_for.is_some() || self.older_than.is_some() || self.ended_for.is_some()
    }
}

impl Plan {
    /// Reads and checks a plan file: its format, its config, its age at `now`.
    pub fn load(
        file: &Path,
        config: &Path,
        now: Timestamp,
        max_age: Duration,
    ) -> Result<Plan, String> {
        let bytes = crate::bounded::read_file(file, LIMIT)
            .map_err(|e| format!("cannot read plan {}: {e}", file.display()))?;
        let mut plan: Plan = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{} is not a sessionctl plan: {e}", file.display()))?;
        plan.made = crate::units::parse_time(&plan.made_at).ok_or_else(|| {
            format!(
                "{}: made_at `{}` is not an RFC 3339 time",
                file.display(),
                plan.made_at.escape_default()
            )
        })?;
        if plan.sessionctl_plan != VERSION {
            return Err(format!(
                "{} is a plan of format {}, this sessionctl reads format {VERSION}",
                file.display(),
                plan.sessionctl_plan
            ));
        }
        let here = ConfigId {
            path: config.display().to_string(),
            fingerprint: fingerprint(config),
        };
        if plan.config != here {
            return Err(format!(
                "the plan was made with another config ({} {}); this one is {} {}: make the plan again",
                plan.config.path, plan.config.fingerprint, here.path, here.fingerprint
            ));
        }
        // A plan from the future (a clock ahead, or SESSIONCTL_NOW) would pass the age
        // bound and look too young to re-check: its evidence has no age anyone can trust.
        if plan.made > now + FUTURE {
            return Err(format!(
                "the plan was made at {}, later than now ({now}): the clock that made it is ahead (or SESSIONCTL_NOW was set); make it again",
                plan.made_at.escape_default()
            ));
        }
        let age = now.duration_since(plan.made);
        if age.as_secs_f64() > max_age.as_secs_f64() {
            let age = Duration::try_from(age).unwrap_or_default();
            let (said, max) = (crate::units::human(age), crate::units::human(max_age));
            // Two units each, rounded down: an age just over the bound could read as the
            // bound itself ("1 hour, more than 1 hour"); then say both to a tenth of a second.
            let (said, max) = match said == max {
                true => (
                    format!("{said} ({:.1} s)", age.as_secs_f64()),
                    format!("{max} ({:.1} s)", max_age.as_secs_f64()),
                ),
                false => (said, max),
            };
            return Err(format!(
                "the plan was made {said} ago, more than --max-age {max}: make it again"
            ));
        }
        let sweeps = plan.selection.sweeps();
        if sweeps == plan.selection.given.is_some() {
            return Err(format!(
                "{}: its selection must be either a sweep's (idle_for, older_than, ended_for) or `given`: make the plan again",
                file.display()
            ));
        }
        for e in &plan.sessions {
            // What a sweep chose an entry on is judged again before acting; a plan of IDs
            // is not, so an entry carrying a sweep's verdict there is not one its run wrote
            // (the seal covers it too; this says what is wrong).
            if !sweeps && (e.evidence.is_some() || e.reason.is_some() || e.idle_secs.is_some()) {
                return Err(format!(
                    "the plan's session `{}` carries a sweep's evidence in a plan of IDs given, which apply does not judge again: make the plan again",
                    e.id.escape_default()
                ));
            }
            if e.seal.as_deref() != Some(plan.seal(e).as_str()) {
                return Err(format!(
                    "the plan's session `{}` (profile `{}`) is not one the plan was made with (its seal does not match): entries can be removed from a plan, not added or changed; make the plan again",
                    e.id.escape_default(),
                    e.profile.escape_default()
                ));
            }
            match (&e.evidence, sweeps) {
                // The ID is what the plan names; an edited ID under another session's
                // evidence (its UUID) would act on that other session.
                (Some(row), true) if row.id != e.id => {
                    return Err(format!(
                        "the plan's session `{}` carries the evidence of `{}`: make the plan again",
                        e.id.escape_default(),
                        row.id.escape_default()
                    ));
                }
                (None, true) => {
                    return Err(format!(
                        "the plan's session `{}` has no evidence, which a sweep's entry is judged again by: make the plan again",
                        e.id.escape_default()
                    ));
                }
                _ => {}
            }
            if !plan.profiles.contains(&e.profile) {
                return Err(format!(
                    "the plan's session `{}` names profile `{}`, which is not among its profiles",
                    e.id.escape_default(),
                    e.profile
                ));
            }
            if e.action != plan.action {
                return Err(format!(
                    "the plan's session `{}` is to {:?}, the plan's action is {:?}",
                    e.id.escape_default(),
                    e.action,
                    plan.action
                ));
            }
        }
        Ok(plan)
    }

    /// How long ago it was made, at `now`.
    pub fn age(&self, now: Timestamp) -> Duration {
        Duration::from_secs(now.duration_since(self.made).as_secs().max(0) as u64)
    }

    /// The plan's sessions on `profile`, as a listing would have kept them.
    pub fn listed(&self, profile: &str) -> Vec<Listed> {
        (self.sessions.iter())
            .filter(|e| e.profile == profile)
            .filter_map(|e| Some((e, e.evidence.clone()?)))
            .map(|(e, row)| Listed {
                profile: None,
                row,
                idle_secs: e.idle_secs,
                reason: e.reason.clone(),
                problem: None,
            })
            .collect()
    }

    /// Writes it to `path` (whole, or not at all: a temporary file renamed into place).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        let tmp = path.with_extension("tmp-plan");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            sessionctl_plan: VERSION,
            made_at: "2024-06-01T12:00:00Z".into(),
            made: "2024-06-01T12:00:00Z".parse().unwrap(),
            config: ConfigId {
                path: "c.toml".into(),
                fingerprint: "fnv1a64:1".into(),
            },
            action: PlanAction::End,
            profiles: vec!["prod".into()],
            all_profiles: false,
            selection: Chosen {
                idle_for: Some("2h".into()),
                ..Chosen::default()
            },
            sessions: Vec::new(),
            protected: Vec::new(),
        }
    }

    fn entry() -> Entry {
        Entry {
            profile: "prod".into(),
            id: "s1".into(),
            action: PlanAction::End,
            reason: None,
            idle_secs: None,
            evidence: None,
            seal: None,
        }
    }

    fn row(uuid: Option<&str>) -> SessionRow {
        let mut row: SessionRow =
            serde_json::from_value(serde_json::json!({"id": "s1", "active": true})).unwrap();
        row.uuid = uuid.map(str::to_owned);
        row
    }

    #[test]
    fn a_seal_changes_with_every_part_of_what_it_seals() {
        let base = plan().seal(&entry());
        assert!(base.starts_with("fnv1a64:"), "{base}");
        assert_eq!(plan().seal(&entry()), base, "the same plan and entry");
        let heads: [fn(&mut Plan); 10] = [
            |p| p.made_at = "2024-06-01T12:00:01Z".into(),
            |p| p.config.fingerprint = "fnv1a64:2".into(),
            |p| p.action = PlanAction::Delete,
            |p| p.profiles.push("dev".into()),
            |p| p.all_profiles = true,
            // A sweep's selection edited into IDs given, which apply would not judge again.
            |p| p.selection.given = Some("arguments".into()),
            |p| p.selection.idle_for = Some("1h".into()),
            |p| p.selection.older_than = Some("2h".into()),
            |p| p.selection.ended_for = Some("30days".into()),
            |p| p.selection.selectors.push("user=ops".into()),
        ];
        for (n, edit) in heads.iter().enumerate() {
            let mut p = plan();
            edit(&mut p);
            assert_ne!(p.seal(&entry()), base, "head edit {n}");
        }
        let entries: [fn(&mut Entry); 8] = [
            |e| e.profile = "dev".into(),
            |e| e.id = "s2".into(),
            |e| e.action = PlanAction::Delete,
            // The parts are kept apart: `prod`+`s1` is not `pro`+`ds1`.
            |e| (e.profile, e.id) = ("pro".into(), "ds1".into()),
            |e| e.reason = Some("idle 5h".into()),
            |e| e.idle_secs = Some(18000),
            |e| e.evidence = Some(row(None)),
            // Zep v4 acts by the evidence's UUID: another one is another thread.
            |e| e.evidence = Some(row(Some("u-1"))),
        ];
        for (n, edit) in entries.iter().enumerate() {
            let mut e = entry();
            edit(&mut e);
            assert_ne!(plan().seal(&e), base, "entry edit {n}");
        }
        // Lists are kept apart element by element.
        let mut joined = plan();
        joined.selection.selectors = vec!["user=a\u{1f}room=b".into()];
        let mut two = plan();
        two.selection.selectors = vec!["user=a".into(), "room=b".into()];
        assert_ne!(joined.seal(&entry()), two.seal(&entry()));
        let mut with = entry();
        with.evidence = Some(row(Some("u-1")));
        let mut other = entry();
        other.evidence = Some(row(Some("u-2")));
        assert_ne!(plan().seal(&with), plan().seal(&other));
    }
}
