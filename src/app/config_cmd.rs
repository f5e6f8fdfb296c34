//! `config show`, `config check`, `config init` and `config profiles`: the resolved
//! profiles, whether each one works, a file to start from, and the names for completion.

use serde::Serialize;

use super::{AppError, Ctx, Exit};
use crate::cli::{Cli, Origin, OutputFormat};
use crate::config::{KeySource, Profile};
use crate::output;
use crate::provider::{ListError, Options};

impl Ctx<'_> {
    pub(super) fn config_show(&self) -> Result<Exit, AppError> {
        let mut profiles: Vec<(Profile, bool)> = (self.config.profiles.values())
            .map(|p| (p.clone(), false))
            .collect();
        if !self
            .config
            .profiles
            .contains_key(crate::config::BUILTIN_PROFILE)
        {
            profiles.push((Profile::builtin(), true));
        }
        let selected = self.profile()?.name;
        let selected_by = self.selected_by();
        let records: Vec<ShownProfile> = profiles
            .iter()
            .map(|(p, builtin)| ShownProfile::of(p, *builtin, &selected, selected_by))
            .collect();
        if self.cli.output != OutputFormat::Table {
            return output::print_records(self.cli.output.into(), vec![], &records, |_| vec![])
                .map(|()| Exit::Ok)
                .map_err(AppError::Output);
        }
        let state = match (self.config.exists, self.cli.origins.config) {
            (false, _) => " (does not exist; built-in profile only)",
            (true, Origin::CommandLine) => " (from --config)",
            (true, Origin::Environment) => " (from SESSIONCTL_CONFIG)",
            (true, Origin::Unset) => "",
        };
        let mut text = format!(
            "config: {}{state}\nprofile: {selected} (from {selected_by})\n",
            self.config.path.display()
        );
        for r in &records {
            text.push('\n');
            text.push_str(&r.text());
        }
        output::print_text(&output::escaped(text.trim_end())).map_err(AppError::Output)?;
        Ok(Exit::Ok)
    }

    /// What chose the profile a command without `-p` would use.
    fn selected_by(&self) -> &'static str {
        match self.cli.origins.profile {
            _ if self.cli.profile_name().is_none() && self.config.default_profile.is_some() => {
                "default_profile in the config file"
            }
            _ if self.cli.profile_name().is_none() => "the built-in default",
            Origin::Environment => "SESSIONCTL_PROFILE",
            Origin::CommandLine | Origin::Unset => "--profile",
        }
    }

    pub(super) async fn config_check(&self, online: bool) -> Result<Exit, AppError> {
        let mut profiles: Vec<Profile> = self.config.profiles.values().cloned().collect();
        if profiles.is_empty() {
            profiles.push(Profile::builtin());
        }
        let mut checks = Vec::new();
        let mut worst = Exit::Ok;
        for profile in profiles {
            let (status, exit) = match super::provider_of(&profile, &Options::default()) {
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
            self.cli.output.into(),
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

/// `config init`: writes [`crate::config::STARTER`] where the config file belongs (or at
/// `--config`), readable by its owner only since it may come to hold a key. An existing
/// file is left alone (exit 2).
pub(super) fn init(cli: &Cli) -> Result<Exit, AppError> {
    let (path, _) = crate::config::locate(cli.config_path())?;
    let refuse = |why: String| AppError::Usage(format!("cannot write {}: {why}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| refuse(e.to_string()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(AppError::Usage(format!(
                "{} already exists; not overwritten (`sessionctl config show` shows what it holds)",
                path.display()
            )));
        }
        Err(e) => return Err(refuse(e.to_string())),
    };
    std::io::Write::write_all(&mut file, crate::config::STARTER.as_bytes())
        .map_err(|e| refuse(e.to_string()))?;
    output::print_text(&path.display().to_string()).map_err(AppError::Output)?;
    if !cli.quiet {
        eprintln!(
            "sessionctl: wrote a starter config; edit it, then run `sessionctl config check`"
        );
    }
    Ok(Exit::Ok)
}

/// `config profiles`: the names a `--profile` can take, for the completion scripts. Needs no
/// key and sends nothing.
pub(super) fn profiles(cli: &Cli) -> Result<Exit, AppError> {
    let config = crate::config::Config::load(cli.config_path())?;
    let mut names: Vec<String> = config
        .profiles
        .keys()
        .map(|n| output::escaped_line(n))
        .collect();
    if !config.profiles.contains_key(crate::config::BUILTIN_PROFILE) {
        names.push(crate::config::BUILTIN_PROFILE.to_owned());
    }
    output::print_text(&names.join("\n")).map_err(AppError::Output)?;
    Ok(Exit::Ok)
}

#[derive(Serialize)]
struct ShownProfile {
    name: String,
    selected: bool,
    /// On the selected profile: what selected it (`--profile`, `SESSIONCTL_PROFILE`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    selected_by: Option<&'static str>,
    /// The built-in `local`, not a profile of the file.
    builtin: bool,
    provider: &'static str,
    api_version: u8,
    /// The provider has API versions to choose from (else `api_version` means nothing).
    #[serde(skip)]
    versioned: bool,
    base_url: String,
    key: String,
    /// Where the key comes from: `env`, `command`, `file` or `none`.
    key_from: &'static str,
    /// With `key_from = env`: whether that variable is set here.
    #[serde(skip_serializing_if = "Option::is_none")]
    key_set: Option<bool>,
    team_id: Option<String>,
    allow_http: bool,
    timeout: String,
    concurrency: usize,
    batch_size: usize,
    retries: u32,
    max_backoff: String,
    /// The ceiling: the profile's `rate`, else the provider's published limit; without
    /// either the run is paced by what the provider answers.
    rate: Option<String>,
    deadline: Option<String>,
    max_stall: String,
    max_per_run: Option<u64>,
    max_listed: u64,
    /// The sessions no command may act on.
    protect: Vec<String>,
    recheck_after: String,
    /// The keys left to their defaults.
    defaults: Vec<&'static str>,
}

impl ShownProfile {
    fn of(p: &Profile, builtin: bool, selected: &str, by: &'static str) -> ShownProfile {
        let key_set = match &p.key {
            KeySource::Env(var) => Some(std::env::var_os(var).is_some_and(|v| !v.is_empty())),
            _ => None,
        };
        ShownProfile {
            name: p.name.clone(),
            selected: p.name == selected,
            selected_by: (p.name == selected).then_some(by),
            builtin,
            provider: p.spec.name,
            api_version: p.api_version,
            versioned: p.spec.api_versions.len() > 1,
            base_url: p.base_url.to_string(),
            key: p.key.describe(),
            key_from: match p.key {
                KeySource::None => "none",
                KeySource::Literal(_) => "file",
                KeySource::Env(_) => "env",
                KeySource::Command { .. } => "command",
            },
            key_set,
            team_id: p.team_id.clone(),
            allow_http: p.allow_http,
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
            max_stall: humantime::format_duration(p.max_stall).to_string(),
            max_per_run: p.max_per_run,
            max_listed: p.max_listed,
            protect: p.protect.entries(),
            recheck_after: humantime::format_duration(p.recheck_after).to_string(),
            defaults: p.defaulted.clone(),
        }
    }

    /// The profile as `config show` prints it for people: one `key value` line per setting,
    /// saying which are defaults.
    fn text(&self) -> String {
        let heading = match (self.selected, self.builtin) {
            (true, true) => format!("{} * (built-in)", self.name),
            (true, false) => format!("{} *", self.name),
            (false, true) => format!("{} (built-in)", self.name),
            (false, false) => self.name.clone(),
        };
        let key = match self.key_set {
            Some(true) => format!("{} (set)", self.key),
            Some(false) => format!("{} (not set here)", self.key),
            None => self.key.clone(),
        };
        let none = || "-".to_owned();
        let rows = [
            ("provider", self.provider.to_owned()),
            (
                "api_version",
                match self.versioned {
                    true => self.api_version.to_string(),
                    false => none(),
                },
            ),
            ("base_url", self.base_url.clone()),
            ("key", key),
            ("team_id", self.team_id.clone().unwrap_or_else(none)),
            ("allow_http", self.allow_http.to_string()),
            ("timeout", self.timeout.clone()),
            ("concurrency", self.concurrency.to_string()),
            ("batch_size", self.batch_size.to_string()),
            ("retries", self.retries.to_string()),
            ("max_backoff", self.max_backoff.clone()),
            ("rate", self.rate.clone().unwrap_or_else(|| "paced".into())),
            ("deadline", self.deadline.clone().unwrap_or_else(none)),
            ("max_stall", self.max_stall.clone()),
            (
                "max_per_run",
                self.max_per_run.map_or_else(none, |m| m.to_string()),
            ),
            ("max_listed", self.max_listed.to_string()),
            ("recheck_after", self.recheck_after.clone()),
            (
                "protect",
                match self.protect.is_empty() {
                    true => none(),
                    false => self.protect.join(", "),
                },
            ),
        ];
        let mut text = format!("{heading}\n");
        for (key, value) in rows {
            let default = match self.builtin || value == "-" || !self.defaults.contains(&key) {
                true => "",
                false => "  (default)",
            };
            text.push_str(&format!("  {key:<12} {value}{default}\n"));
        }
        text
    }
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
