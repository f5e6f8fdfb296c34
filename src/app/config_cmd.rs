//! `config show` and `config check`: the resolved profiles, and whether each one works.

use serde::Serialize;

use super::{AppError, Ctx, Exit};
use crate::cli::OutputFormat;
use crate::config::Profile;
use crate::output;
use crate::provider::{self, ListError, Options};

impl Ctx<'_> {
    pub(super) fn config_show(&self) -> Result<Exit, AppError> {
        let mut profiles: Vec<Profile> = self.config.profiles.values().cloned().collect();
        if !self
            .config
            .profiles
            .contains_key(crate::config::BUILTIN_PROFILE)
        {
            profiles.push(Profile::builtin());
        }
        let default = Some(self.profile()?.name);
        let records: Vec<ShownProfile> = profiles
            .iter()
            .map(|p| ShownProfile {
                name: p.name.clone(),
                selected: default.as_deref() == Some(&p.name),
                provider: p.spec.name,
                api_version: p.api_version,
                base_url: p.base_url.to_string(),
                key: p.key.describe(),
                team_id: p.team_id.clone(),
                timeout: humantime::format_duration(p.timeout).to_string(),
                concurrency: p.concurrency,
                batch_size: p.batch_size,
                retries: p.retries,
                max_backoff: humantime::format_duration(p.max_backoff).to_string(),
                rate: match (p.rate, p.spec.caps.published_rate) {
                    (Some(r), _) => Some(show_rate(r.0)),
                    (None, Some(r)) => Some(format!("{} (built-in)", show_rate(r))),
                    (None, None) => None,
                },
                deadline: p
                    .deadline
                    .map(|d| humantime::format_duration(d).to_string()),
                max_per_run: p.max_per_run,
            })
            .collect();
        if self.cli.output == OutputFormat::Table {
            let state = if self.config.exists {
                ""
            } else {
                " (does not exist; built-in profile only)"
            };
            output::print_text(&format!("config: {}{state}", self.config.path.display()))
                .map_err(AppError::Output)?;
        }
        output::print_records(
            self.cli.output,
            vec![
                "PROFILE",
                "PROVIDER",
                "API",
                "BASE URL",
                "KEY",
                "TIMEOUT",
                "CONCURRENCY",
                "BATCH",
                "RETRIES",
                "RATE",
                "DEADLINE",
                "MAX/RUN",
            ],
            &records,
            |r| {
                vec![
                    format!("{}{}", r.name, if r.selected { " *" } else { "" }),
                    r.provider.to_owned(),
                    r.api_version.to_string(),
                    r.base_url.clone(),
                    r.key.clone(),
                    r.timeout.clone(),
                    r.concurrency.to_string(),
                    r.batch_size.to_string(),
                    r.retries.to_string(),
                    r.rate.clone().unwrap_or_else(|| "paced".into()),
                    r.deadline.clone().unwrap_or_else(|| "-".into()),
                    r.max_per_run.map_or_else(|| "-".into(), |m| m.to_string()),
                ]
            },
        )
        .map_err(AppError::Output)?;
        Ok(Exit::Ok)
    }

    pub(super) async fn config_check(&self, online: bool) -> Result<Exit, AppError> {
        let mut profiles: Vec<Profile> = self.config.profiles.values().cloned().collect();
        if profiles.is_empty() {
            profiles.push(Profile::builtin());
        }
        let mut checks = Vec::new();
        let mut worst = Exit::Ok;
        for profile in profiles {
            let (status, exit) = match provider::build(&profile, &Options::default()) {
                Err(e) => (format!("invalid: {e}"), Exit::Usage),
                Ok(_) if !online => ("ok".to_owned(), Exit::Ok),
                Ok(p) => match p.list_page(None, true, None).await {
                    Ok(_) => ("ok (online)".to_owned(), Exit::Ok),
                    Err(e) if e.auth_refused() => (format!("auth refused: {e}"), Exit::Auth),
                    Err(ListError::Transport(f)) => {
                        (format!("unreachable: {}", f.error), Exit::Partial)
                    }
                    Err(e) => (format!("failed: {e}"), Exit::Partial),
                },
            };
            worst = worst.max_code(exit);
            checks.push(Check {
                profile: profile.name,
                provider: profile.spec.name,
                base_url: profile.base_url.to_string(),
                ok: exit == Exit::Ok,
                status,
            });
        }
        output::print_records(
            self.cli.output,
            vec!["PROFILE", "PROVIDER", "BASE URL", "STATUS"],
            &checks,
            |c| {
                vec![
                    c.profile.clone(),
                    c.provider.to_owned(),
                    c.base_url.clone(),
                    c.status.clone(),
                ]
            },
        )
        .map_err(AppError::Output)?;
        Ok(worst)
    }
}

#[derive(Serialize)]
struct ShownProfile {
    name: String,
    selected: bool,
    provider: &'static str,
    api_version: u8,
    base_url: String,
    key: String,
    team_id: Option<String>,
    timeout: String,
    concurrency: usize,
    batch_size: usize,
    retries: u32,
    max_backoff: String,
    /// The ceiling: the profile's `rate`, else the provider's published limit; without
    /// either the run is paced by what the provider answers.
    rate: Option<String>,
    deadline: Option<String>,
    max_per_run: Option<u64>,
}

/// `16.666…/s` reads better as `1000/min`.
fn show_rate(per_sec: f64) -> String {
    let per_min = per_sec * 60.0;
    if per_sec.fract() != 0.0 && (per_min - per_min.round()).abs() < 1e-6 {
        format!("{}/min", per_min.round())
    } else {
        format!("{per_sec}/s")
    }
}

#[derive(Serialize)]
struct Check {
    profile: String,
    provider: &'static str,
    base_url: String,
    ok: bool,
    status: String,
}
