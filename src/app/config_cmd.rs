//! `config show`, `config check`, `config init` and `config profiles`: the resolved
//! profiles, whether each one works, a file to start from, and the names for completion.

use serde::Serialize;

use super::{AppError, Ctx, Exit};
use crate::cli::{Cli, Origin, OutputFormat};
use crate::config::{KeySource, Profile};
use crate::output;
use crate::provider::registry::registry;
use crate::provider::unit::PageCheck;
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
        let selected_by = self.selected_by();
        // A stale `SESSIONCTL_PROFILE` is what `config show` is run to find: it is shown,
        // not a reason to show nothing.
        let (selected, stale) = match self.selection()? {
            Ok(p) => (p.name, None),
            Err(e) => (String::new(), Some(e)),
        };

        let records: Vec<ShownProfile> = profiles
            .iter()
            .map(|(p, builtin)| ShownProfile::of(p, *builtin, &selected, selected_by))
            .collect();
        if self.cli.output != OutputFormat::Table {
            return output::print_records(self.cli.output.into(), vec![], &records, |_| vec![])
                .map(|()| self.warn_stale(stale))
                .map_err(AppError::Output);
        }
        let state = match (self.config.exists, self.cli.origins.config) {
            (false, _) => " (does not exist; built-in profile only)",
            (true, Origin::CommandLine) => " (from --config)",
            (true, Origin::Environment) => " (from SESSIONCTL_CONFIG)",
            (true, Origin::Unset) => "",
        };
        let profile = match &stale {
            None => format!("{selected} (from {selected_by})"),
            Some(e) => format!("none: {e} (from {selected_by})"),
        };
        let mut text = format!(
            "config: {}{state}\nprofile: {profile}\n",
            self.config.path.display()
        );
        for r in &records {
            text.push('\n');
            text.push_str(&r.text());
        }
        output::print_text(&output::escaped(text.trim_end())).map_err(AppError::Output)?;
        Ok(self.warn_stale(stale))
    }

    /// The profile `-p` named on the command line: `config check` checks it alone (a
    /// `SESSIONCTL_PROFILE` is a default for commands, not a filter here); `config show`
    /// shows every profile and marks it; `apply` of a plan of every profile refuses it.
    pub(super) fn asked_for(&self) -> Option<&str> {
        (self.cli.origins.profile == Origin::CommandLine)
            .then(|| self.cli.profile_name())
            .flatten()
    }

    /// The profile commands without `-p` would use: an unknown name from the command line
    /// is an error (`Err`), one from `SESSIONCTL_PROFILE` (stale, say) the inner `Err`.
    fn selection(&self) -> Result<Result<Profile, AppError>, AppError> {
        match self.profile() {
            Err(e) if self.asked_for().is_some() => Err(e),
            selection => Ok(selection),
        }
    }

    /// Says on stderr that commands without `-p` fail here, and exits 2 then.
    fn warn_stale(&self, stale: Option<AppError>) -> Exit {
        match stale {
            None => Exit::Ok,
            Some(e) => {
                crate::output::warn(format_args!(
                    "{e}: every command without -p fails until SESSIONCTL_PROFILE is fixed or unset"
                ));
                Exit::Usage
            }
        }
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
        let stale = self.selection()?.err();
        let mut profiles: Vec<Profile> = match self.asked_for() {
            Some(_) => vec![self.profile()?],
            None => self.config.profiles.values().cloned().collect(),
        };
        if profiles.is_empty() {
            profiles.push(Profile::builtin());
        }
        let mut checks = Vec::new();
        let mut worst = Exit::Ok;
        for profile in profiles {
            let mut page = None;
            let (status, exit) = match super::provider_of(&profile, &Options::default()) {
                Err(e) => (format!("invalid: {e}"), Exit::Usage),
                Ok(_) if !online => ("ok".to_owned(), Exit::Ok),
                Ok(p) => match p.check_page().await {
                    Ok(read) => {
                        let status = match read.wrong() {
                            None => ("ok (online)".to_owned(), Exit::Ok),
                            Some(wrong) => (format!("mapping wrong: {wrong}"), Exit::Partial),
                        };
                        page = Some(read);
                        status
                    }
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
                provider: profile.provider.name(),
                base_url: profile.base_url.to_string(),
                ok: exit == Exit::Ok,
                status,
                page,
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
        if self.cli.output == OutputFormat::Table {
            for check in &checks {
                if let Some(page) = check.page.as_ref().filter(|p| !p.fields.is_empty()) {
                    output::print_text(&mapping(&check.profile, page)).map_err(AppError::Output)?;
                }
            }
        }
        Ok(worst.max_code(self.warn_stale(stale)))
    }
}

/// `config init`: writes [`crate::config::starter`] where the config file belongs (or at
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
    std::io::Write::write_all(&mut file, crate::config::starter().as_bytes())
        .map_err(|e| refuse(e.to_string()))?;
    output::print_text(&path.display().to_string()).map_err(AppError::Output)?;
    if !cli.quiet {
        eprintln!(
            "sessionctl: wrote a starter config; edit it, then run `sessionctl config check`"
        );
    }
    Ok(Exit::Ok)
}

/// `config path`: where the config file is, or would be. As JSON (`-o json`, `ndjson`):
/// `{"path","exists"}`.
pub(super) fn path(cli: &Cli) -> Result<Exit, AppError> {
    let (path, _) = crate::config::locate(cli.config_path())?;
    #[derive(Serialize)]
    struct Located {
        path: String,
        exists: bool,
    }
    let located = Located {
        path: path.display().to_string(),
        exists: path.exists(),
    };
    let text = match cli.output {
        OutputFormat::Json => serde_json::to_string_pretty(&located),
        OutputFormat::Ndjson => serde_json::to_string(&located),
        _ => Ok(located.path),
    };
    output::print_text(&text.expect("a path serializes")).map_err(AppError::Output)?;
    Ok(Exit::Ok)
}

/// `config profiles`: the names a `--profile` can take, for the completion scripts (one a
/// line); as JSON, `{"name","builtin"}` each. Needs no key and sends nothing.
pub(super) fn profiles(cli: &Cli) -> Result<Exit, AppError> {
    let config = crate::config::Config::load(cli.config_path())?;
    #[derive(Serialize)]
    struct Name {
        name: String,
        /// The built-in `local`, not a profile of the file.
        builtin: bool,
    }
    let mut names: Vec<Name> = (config.profiles.keys())
        .map(|n| Name {
            name: n.clone(),
            builtin: false,
        })
        .collect();
    if !config.profiles.contains_key(crate::config::BUILTIN_PROFILE) {
        names.push(Name {
            name: crate::config::BUILTIN_PROFILE.to_owned(),
            builtin: true,
        });
    }
    if let OutputFormat::Json | OutputFormat::Ndjson = cli.output {
        return output::print_records(cli.output.into(), vec![], &names, |_| vec![])
            .map(|()| Exit::Ok)
            .map_err(AppError::Output);
    }
    let lines: Vec<String> = names
        .iter()
        .map(|n| output::escaped_line(&n.name))
        .collect();
    output::print_text(&lines.join("\n")).map_err(AppError::Output)?;
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
    base_url: String,
    key: String,
    /// Where the key comes from: `env`, `command`, `file` or `none`.
    key_from: &'static str,
    /// With `key_from = env`: whether that variable is set here.
    #[serde(skip_serializing_if = "Option::is_none")]
    key_set: Option<bool>,
    allow_http: bool,
    timeout: String,
    concurrency: usize,
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
    /// The provider's own keys, as it shows them.
    #[serde(flatten)]
    own: serde_json::Map<String, serde_json::Value>,
}

impl ShownProfile {
    fn of(p: &Profile, builtin: bool, selected: &str, by: &'static str) -> ShownProfile {
        let key_set = match &p.key {
            KeySource::Env(var) => Some(std::env::var_os(var).is_some_and(|v| !v.is_empty())),
            _ => None,
        };
        let rows = p.provider.rows();
        ShownProfile {
            name: p.name.clone(),
            selected: p.name == selected,
            selected_by: (p.name == selected).then_some(by),
            builtin,
            provider: p.provider.name(),
            base_url: p.base_url.to_string(),
            key: p.key.describe(),
            key_from: match p.key {
                KeySource::None => "none",
                KeySource::Literal(_) => "file",
                KeySource::Env(_) => "env",
                KeySource::Command { .. } => "command",
            },
            key_set,
            allow_http: p.allow_http,
            timeout: humantime::format_duration(p.timeout).to_string(),
            concurrency: p.concurrency,
            retries: p.retries,
            max_backoff: humantime::format_duration(p.max_backoff).to_string(),
            rate: match (p.rate, p.provider.caps().published_rate) {
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
            defaults: (p.defaulted.iter().copied())
                .chain(rows.iter().filter(|r| r.defaulted).map(|r| r.key))
                .collect(),
            own: (rows.into_iter())
                .map(|r| (r.key.to_owned(), r.value))
                .collect(),
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
        let shared = [
            ("provider", self.provider.to_owned()),
            ("base_url", self.base_url.clone()),
            ("key", key),
            ("allow_http", self.allow_http.to_string()),
            ("timeout", self.timeout.clone()),
            ("concurrency", self.concurrency.to_string()),
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
        // Each provider's rows go where its registry entry puts them, in every profile's
        // block (so that blocks line up): this profile's value, or the provider's `unset`.
        let mut rows = Vec::new();
        for (key, value) in shared {
            rows.push((key, value, self.defaults.contains(&key)));
            for slot in registry().slots().filter(|s| s.after == key) {
                rows.push(match self.own.get(slot.key) {
                    Some(serde_json::Value::Null) => (slot.key, none(), false),
                    Some(serde_json::Value::String(s)) => {
                        (slot.key, s.clone(), self.defaults.contains(&slot.key))
                    }
                    Some(v) => (slot.key, v.to_string(), self.defaults.contains(&slot.key)),
                    None => (slot.key, slot.unset.to_owned(), true),
                });
            }
        }
        let mut text = format!("{heading}\n");
        // The widest key sets the column (`recheck_after` is wider than the rest).
        let width = rows.iter().map(|(key, ..)| key.len()).max().unwrap_or(0);
        for (key, value, defaulted) in rows {
            let default = match self.builtin || value == "-" || !defaulted {
                true => "",
                false => "  (default)",
            };
            text.push_str(&format!("  {key:<width$} {value}{default}\n"));
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
    /// With `--online`, what the first page held (and, for a declared provider, what each
    /// field read from its first row).
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<PageCheck>,
}

/// A declared profile's mapping as `config check --online` prints it for people: the
/// page, then each field's pointer and what it read from the first row.
fn mapping(profile: &str, page: &PageCheck) -> String {
    let rows = match page.rows {
        1 => "1 row".to_owned(),
        n => format!("{n} rows"),
    };
    let more = match page.more {
        true => "paging says more follow",
        false => "paging says that is all",
    };
    let first = match page.rows {
        0 => ": no row to check the fields against",
        _ => "; the first row:",
    };
    let mut text = format!("\n{profile}: the first page has {rows} ({more}){first}\n");
    if page.rows > 0 {
        let width = (page.fields.iter())
            .map(|f| f.pointer.len())
            .max()
            .unwrap_or(0);
        for f in &page.fields {
            let read = f.read.as_deref().unwrap_or("-");
            let mark = match (f.ok, &f.note) {
                (false, _) => "  <- wrong".to_owned(),
                (true, Some(note)) => format!("  <- {note}"),
                (true, None) => String::new(),
            };
            text.push_str(&format!(
                "  {:<13}{:<width$}  {read}{mark}\n",
                f.field, f.pointer
            ));
        }
    }
    output::escaped(text.trim_end())
}
