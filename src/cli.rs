//! The command-line interface: every flag and subcommand, and nothing else.
//!
//! The names here are a contract that operators' scripts and cron lines rely on; the
//! generated completions and man pages (in `completions/`) are checked against this file.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

/// End and delete sessions on Zep, Digital Samba, elizaOS messaging and LangGraph servers.
#[derive(Debug, Parser)]
#[command(
    name = "sessionctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = exit_codes_help())]
pub struct Cli {
    /// Profile to use (default: `default_profile` in the config file, else the built-in `local`).
    #[arg(
        short,
        long,
        global = true,
        env = "SESSIONCTL_PROFILE",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub profile: Option<String>,

    /// Config file (default: <config dir>/sessionctl/config.toml).
    #[arg(
        short,
        long,
        global = true,
        env = "SESSIONCTL_CONFIG",
        value_hint = clap::ValueHint::FilePath,
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub config: Option<OsString>,

    /// Send to this base URL instead of the profile's `base_url` (the profile's provider, key
    /// and settings still apply; without a config file, the built-in `local` profile's: elizaOS
    /// messaging). Not with --all-profiles.
    #[arg(
        long,
        global = true,
        env = "SESSIONCTL_ENDPOINT_URL",
        hide_env_values = true,
        value_name = "URL",
        value_hint = clap::ValueHint::Url
    )]
    pub endpoint_url: Option<String>,

    /// Output format. `ids` (bare IDs, one per line) and `wide` are for `list` only.
    #[arg(
        short,
        long,
        global = true,
        value_enum,
        env = "SESSIONCTL_OUTPUT",
        // As the other variables show: clap would print `[env: SESSIONCTL_OUTPUT=]` unset.
        hide_env_values = true,
        default_value_t = OutputFormat::Table
    )]
    pub output: OutputFormat,

    /// Log requests to stderr (-v: each request, -vv: also retries, -vvv: also each reply's
    /// headers and the start of its body).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// No progress bar and no notices on stderr (security warnings and errors still show).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,

    /// Where `--profile` and `--config` came from (the command line or the environment), for
    /// `config show`.
    #[arg(skip)]
    pub origins: Origins,
}

/// Where a global option's value came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    #[default]
    Unset,
    CommandLine,
    Environment,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Origins {
    pub profile: Origin,
    pub config: Origin,
}

/// The exit codes, as `--help`, the man page and the README give them (scripts and alerts
/// depend on them; `app::Exit` is the code that makes them).
pub const EXIT_CODES: &[(u8, &str)] = &[
    (
        0,
        "all ok: every session ended, deleted or already ended (not found too, with --ignore-missing)",
    ),
    (
        1,
        "a session failed, was not found or was skipped at the deadline; --wait ran out; a list failed; with --all-profiles, a profile could not be used (the others ran)",
    ),
    (
        2,
        "usage or configuration error, or a delete declined at its prompt: nothing was sent",
    ),
    (
        3,
        "the provider refused the credentials (401/403); after a 401, that profile's other sessions are skipped",
    ),
    (4, "over a cap (--max, max_per_run): nothing was sent"),
    (
        5,
        "another run holds the lock of the profile's server: nothing was sent",
    ),
    (
        130,
        "interrupted by Ctrl-C (SIGINT): results so far are printed, the rest are skipped; the process then dies of SIGINT",
    ),
    (
        143,
        "stopped by SIGTERM, as 130; the process then dies of SIGTERM",
    ),
];

/// The shell completion scripts, generated from this definition.
pub mod completion;

/// What the man page says beyond the flags: the variables sessionctl reads, its files, and
/// examples (each a comment and a command line). The README says the same at length.
pub mod man {
    pub const ENVIRONMENT: &[(&str, &str)] = &[
        ("SESSIONCTL_CONFIG", "The config file, as --config."),
        ("SESSIONCTL_PROFILE", "The profile, as --profile."),
        ("SESSIONCTL_OUTPUT", "The output format, as --output."),
        (
            "SESSIONCTL_YES",
            "1 confirms every delete of that environment, as delete --yes. Dangerous: set it only \
             in the one job that needs it.",
        ),
        (
            "SESSIONCTL_ENDPOINT_URL",
            "--endpoint-url: the selected profile at this base URL instead of its own.",
        ),
        (
            "SESSIONCTL_LOCK_DIR",
            "Where the per-server run locks are (default: $XDG_RUNTIME_DIR/sessionctl, else \
             ~/.cache/sessionctl/locks).",
        ),
        (
            "SESSIONCTL_NOW",
            "An RFC 3339 time that --idle-for and --older-than take as now, to replay a sweep \
             (a test clock). A value that does not parse is a usage error (exit 2).",
        ),
        ("NO_COLOR", "Set and not empty: tables have no colour."),
        (
            "COLUMNS",
            "The width tables fit on a terminal that reports none (else 80).",
        ),
        (
            "XDG_CONFIG_HOME",
            "Where the config file is looked for (default ~/.config).",
        ),
    ];

    pub const FILES: &[(&str, &str)] = &[
        (
            "~/.config/sessionctl/config.toml",
            "The config file on Linux (the platform's config directory elsewhere; `sessionctl \
             config path` prints it, `sessionctl config init` writes a starter). A profile's keys \
             come from the variable its api_key_env names, the command api_key_cmd runs, or \
             api_key in the file (which then must not be readable by others).",
        ),
        (
            "$XDG_RUNTIME_DIR/sessionctl/SERVER.lock",
            "A run's lock on a server (a profile's base URL, and team): the kernel's flock, released \
             when the run ends or dies.",
        ),
    ];

    pub const EXAMPLES: &[(&str, &str)] = &[
        (
            "End three sessions on the default profile:",
            "sessionctl end-many s1 s2 s3",
        ),
        (
            "What a sweep of sessions idle for 2 hours would end, and why:",
            "sessionctl -p prod end-many --idle-for 2h --dry-run",
        ),
        (
            "From cron: every profile, the 200 idle longest per run, NDJSON records, a journal to resume:",
            "sessionctl -q -o ndjson end-many --idle-for 2h --all-profiles --limit 200 --max-stall \
             20m --journal /var/lib/sessionctl/journal.ndjson",
        ),
        (
            "IDs from a pipe, each line `profile<TAB>id`:",
            "sessionctl list --all-profiles --idle-for 2h -o ids | sessionctl end-many \
             --all-profiles -",
        ),
        (
            "Retention: delete the stored data of Digital Samba sessions that ended over 30 days ago:",
            "sessionctl -p samba delete --ended-for 30d --yes --max 500",
        ),
        (
            "Delete Zep v4 threads and wait for the delete tasks:",
            "sessionctl -p zep-threads delete t-1 t-2 --yes --wait --timeout 2m",
        ),
    ];
}

fn exit_codes_help() -> String {
    let lines: Vec<String> = EXIT_CODES
        .iter()
        .map(|(code, meaning)| format!("  {code:<4} {meaning}"))
        .collect();
    format!("Exit codes:\n{}", lines.join("\n"))
}

/// The help of `--where` (`when`: what else it needs, after the first sentence): its fields
/// are those the providers in the registry declare, in its order, so that a provider's own
/// (LangGraph's `status`) is listed as soon as it is registered, as `--where` takes it.
fn where_help(when: &str) -> String {
    let fields = crate::select::vocabulary(&crate::provider::registry::registry().vocabulary());
    format!(
        "Only sessions where FIELD=VALUE, FIELD!=VALUE or FIELD~=GLOB (repeatable: all must \
         hold){when}. Fields: {fields}, as each provider has them (README: Selecting sessions)"
    )
}

/// Ends the process on a command line clap refused: help and version as clap prints them,
/// a mistake as one line like every other error, and one line of hint (clap's tip, else the
/// usage), exit 2.
fn usage_exit(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit()
    }
    let (message, hint) = one_line(&e.render().to_string());
    crate::terminal::warn(format_args!("error: {message}"));
    crate::terminal::warn(format_args!("hint: {hint}"));
    std::process::exit(2)
}

/// clap's several lines as one message (its indented parts joined on) and one hint.
fn one_line(rendered: &str) -> (String, String) {
    let mut message = String::new();
    let (mut tip, mut usage) = (None, None);
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(t) = line.strip_prefix("tip: ") {
            tip.get_or_insert_with(|| t.to_owned());
        } else if let Some(u) = line.strip_prefix("Usage: ") {
            usage = Some(format!("usage: {u}"));
        } else if line.starts_with("For more information") {
        } else {
            let line = line.strip_prefix("error: ").unwrap_or(line);
            if !message.is_empty() {
                message.push(' ');
            }
            message.push_str(line);
        }
    }
    let hint = tip
        .or(usage)
        .unwrap_or_else(|| "see `sessionctl --help`".to_owned());
    (message, hint)
}

impl Command {
    /// The run options of a command that changes sessions.
    pub fn run_args(&self) -> Option<&RunArgs> {
        match self {
            Command::End { run, .. } => Some(run),
            Command::EndMany { bulk, .. } | Command::Delete { bulk, .. } => Some(&bulk.run),
            Command::Apply { run, .. } => Some(run),
            _ => None,
        }
    }
}

impl Cli {
    /// Parses the process's arguments (exiting with clap's message and code 2 on a mistake),
    /// noting where the global options came from.
    pub fn parse_with_origins() -> Cli {
        let matches = Cli::command()
            .try_get_matches()
            .unwrap_or_else(|e| usage_exit(e));
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| usage_exit(e));
        let origin = |id: &str| match matches.value_source(id) {
            Some(clap::parser::ValueSource::CommandLine) => Origin::CommandLine,
            Some(clap::parser::ValueSource::EnvVariable) => Origin::Environment,
            _ => Origin::Unset,
        };
        cli.origins = Origins {
            profile: origin("profile"),
            config: origin("config"),
        };
        cli
    }

    /// The profile asked for; an empty `SESSIONCTL_PROFILE=` counts as unset.
    pub fn profile_name(&self) -> Option<&str> {
        self.profile.as_deref().filter(|p| !p.is_empty())
    }

    /// Whether the command covers every profile (`--all-profiles`).
    pub fn all_profiles(&self) -> bool {
        match &self.command {
            Command::EndMany { bulk, .. } | Command::Delete { bulk, .. } => bulk.stale.all_profiles,
            Command::List(args) => args.all_profiles,
            _ => false,
        }
    }

    /// A `-p` that cannot mean what it says: empty on the command line (`-p "$PROFILE"` with
    /// the variable unset, which would quietly run on the default profile), or beside
    /// `--all-profiles` (which would quietly run on every profile). `SESSIONCTL_PROFILE`
    /// is a default, not a request: empty is unset, and `--all-profiles` overrides it.
    pub fn profile_mistake(&self) -> Option<String> {
        if self.endpoint_url().is_some() && self.all_profiles() {
            return Some(
                "--endpoint-url names one server and --all-profiles every profile's own: use one"
                    .into(),
            );
        }
        if self.origins.profile != Origin::CommandLine {
            return None;
        }
        match self.profile.as_deref() {
            Some("") => Some(
                "-p/--profile is empty (an unset variable?): name a profile, or leave -p out for \
                 the default"
                    .into(),
            ),
            Some(name) if self.all_profiles() => Some(format!(
                "-p {name} and --all-profiles contradict each other: use one (--all-profiles \
                 runs on every profile in the config file)"
            )),
            _ => None,
        }
    }

    /// The base URL asked for instead of the profile's; an empty `SESSIONCTL_ENDPOINT_URL=`
    /// counts as unset.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint_url.as_deref().filter(|u| !u.is_empty())
    }

    /// The config file asked for; an empty `SESSIONCTL_CONFIG=` counts as unset.
    pub fn config_path(&self) -> Option<&Path> {
        self.config
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(Path::new)
    }
}

/// `-o`'s values. `ValueEnum` is written out (not derived) so that `wide`'s help can name
/// the columns the registry's providers declare, as `--where`'s names their fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
    Ndjson,
    Ids,
    Wide,
}

impl ValueEnum for OutputFormat {
    fn value_variants<'a>() -> &'a [Self] {
        use OutputFormat::*;
        &[Table, Json, Ndjson, Ids, Wide]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        use clap::builder::PossibleValue;
        Some(match self {
            OutputFormat::Table => PossibleValue::new("table").help("A table for people"),
            OutputFormat::Json => {
                PossibleValue::new("json").help("One JSON document, streamed as sessions finish")
            }
            OutputFormat::Ndjson => PossibleValue::new("ndjson")
                .help("One JSON object per line, printed as each session finishes"),
            OutputFormat::Ids => PossibleValue::new("ids").help(
                "Session IDs, one per line (for `list`), to pipe into `end-many -`; with \
                 `--all-profiles`, `profile<TAB>id`",
            ),
            OutputFormat::Wide => PossibleValue::new("wide").help(format!(
                "The table plus the columns {}, each where a row has it (for `list`)",
                crate::output::wide_headers().join(", ")
            )),
        })
    }
}

impl From<OutputFormat> for crate::output::Format {
    fn from(f: OutputFormat) -> Self {
        use crate::output::Format;
        match f {
            OutputFormat::Table => Format::Table,
            OutputFormat::Json => Format::Json,
            OutputFormat::Ndjson => Format::Ndjson,
            OutputFormat::Ids => Format::Ids,
            OutputFormat::Wide => Format::Wide,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// End one session, or several (each ID an argument; for IDs from stdin or a file, see
    /// `end-many`).
    End {
        /// The session ID(s).
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
        /// Write the plan to FILE instead of acting (nothing that changes state is sent):
        /// each ID with its action, for review and `sessionctl apply FILE`. A dry run of its
        /// own, so not with `--dry-run`.
        #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath,
              conflicts_with = "dry_run")]
        plan: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// End many sessions: IDs from arguments, `--file`, stdin (`-`), `--idle-for` or `--older-than`.
    EndMany {
        #[command(flatten)]
        bulk: BulkArgs,
        /// Act on every live session created (started) longer ago than this, people in it or
        /// not: a policy for over-long meetings, never implied by `--idle-for`.
        #[arg(long, value_name = "DUR", value_parser = parse_duration, conflicts_with_all = ["ids", "file"])]
        older_than: Option<Duration>,
    },
    /// Delete sessions (destructive; asks for confirmation unless `--yes`).
    Delete {
        #[command(flatten)]
        bulk: BulkArgs,
        /// Do not ask for confirmation (required with no terminal to ask on). Dangerous
        /// in the environment: `SESSIONCTL_YES=1` confirms every delete of that shell.
        #[arg(short, long, env = "SESSIONCTL_YES", hide_env_values = true,
              action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
        yes: bool,
        /// Zep v4: wait until each asynchronous delete task has finished (for at most
        /// `--timeout`).
        #[arg(long)]
        wait: bool,
        /// With `--wait`: how long to wait for the delete tasks (default 5m); a task still
        /// running then stays `accepted` (exit 1).
        #[arg(long, value_name = "DUR", value_parser = parse_duration, requires = "wait")]
        timeout: Option<Duration>,
        /// Zep v4: the IDs are thread UUIDs already; skip the lookup.
        #[arg(long, conflicts_with = "ended_for")]
        by_uuid: bool,
        /// Retention: delete the stored data of every session that ended longer ago than
        /// this (e.g. `30d`), as the provider's own end time proves (Digital Samba, Zep v2);
        /// live sessions and sessions without an end time are never acted on.
        #[arg(long, value_name = "DUR", value_parser = parse_duration,
              conflicts_with_all = ["ids", "file", "idle_for", "limit"])]
        ended_for: Option<Duration>,
        /// elizaOS: delete what sessions left behind (channels and their messages of
        /// sessions that were ended, expired, or forgotten by a restart) instead of sessions.
        #[arg(long, conflicts_with_all = ["ids", "file", "idle_for", "ended_for", "by_uuid", "wait", "limit"])]
        orphans: bool,
    },
    /// Act on exactly the sessions of a saved plan (`--plan FILE`), re-checking each first;
    /// refuses a plan made for another config or profile, or older than `--max-age`, or with
    /// entries added. `--dry-run` reads what the re-checks read: what would still happen.
    Apply {
        /// The plan file.
        #[arg(value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
        file: PathBuf,
        /// Refuse a plan older than this (default 1h).
        #[arg(long, value_name = "DUR", value_parser = parse_duration)]
        max_age: Option<Duration>,
        /// A plan that deletes: do not ask for confirmation (required when stdin is not a
        /// terminal).
        #[arg(short, long, env = "SESSIONCTL_YES", hide_env_values = true,
              action = ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
        yes: bool,
        /// A sweep's plan: re-read a session before acting when the plan's evidence is older
        /// than this (default: the profile's `recheck_after`, else 60s). Refused on a plan of
        /// IDs, which carries no evidence.
        #[arg(long, value_name = "DUR", value_parser = parse_duration)]
        recheck_after: Option<Duration>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// List sessions, optionally only the stale ones.
    List(ListArgs),
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell to generate for.
        shell: clap_complete::Shell,
    },
}

/// Options shared by every command that changes sessions.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Requests in flight at once (default: the profile's `concurrency`, else 8).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: Option<u32>,
    /// Stop starting requests after this long (e.g. `10m`); what is left is `skipped`
    /// (exit 1), and the message says when the provider accepts requests again.
    #[arg(long, value_name = "DUR", value_parser = parse_positive_duration)]
    pub deadline: Option<Duration>,
    /// When no session has finished for this long (a provider answering 429 for ever), the
    /// rest are `skipped` with what the provider last said (exit 1); default: the profile's
    /// `max_stall`, else 30m.
    #[arg(long, value_name = "DUR", value_parser = crate::units::parse_max_stall)]
    pub max_stall: Option<Duration>,
    /// Cap the request rate, e.g. `10/s` or `600/m` (sessionctl also paces itself to the
    /// provider's limit without it).
    #[arg(long, value_name = "N/s", value_parser = parse_rate)]
    pub rate: Option<Rate>,
    /// Show what would be done; send nothing that changes state. `--dry-run=server` also
    /// reads each session from the provider, to report `not_found` or `already_ended`.
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, require_equals = true,
          default_missing_value = "client")]
    pub dry_run: Option<DryRun>,
    /// Refuse the whole run (exit 4, nothing sent) if it would act on more than N sessions;
    /// with `--all-profiles`, N is the total (each profile's `max_per_run` holds too). A
    /// refusal, not a batch size: a sweep's `--limit` is that.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max: Option<u64>,
    /// Treat sessions that do not exist as done (exit 0).
    #[arg(long, visible_alias = "ignore-not-found")]
    pub ignore_missing: bool,
    /// Record the run in FILE (appended, NDJSON, flushed to disk every second): its start,
    /// each session's attempt right before its request goes out, and each outcome. See
    /// `--resume`.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub journal: Option<PathBuf>,
    /// Run the job recorded in FILE again after a crash: sessions with an outcome there are
    /// not sent again, attempted ones without one are; the run is recorded in FILE too.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, conflicts_with = "journal")]
    pub resume: Option<PathBuf>,
    /// Write the run's metrics to PATH (Prometheus text format, atomically), for
    /// node_exporter's textfile collector.
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
    pub metrics_file: Option<PathBuf>,
    /// If another run holds the lock of a profile's server, wait up to DUR for it instead of
    /// exiting 5.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub wait_lock: Option<Duration>,
    /// Take no run lock (two runs may then work the same sessions at once).
    #[arg(long, conflicts_with = "wait_lock")]
    pub no_lock: bool,
}

/// How a dry run finds out what it would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    /// Send nothing at all; every session is reported `would_end`/`would_delete`.
    Client,
    /// Read each session (never change it) to report what a real run would find.
    Server,
}

/// Where the IDs of a bulk command come from.
#[derive(Debug, Clone, Args)]
pub struct BulkArgs {
    /// Session IDs; a single `-` reads them from stdin, one per line (`profile<TAB>id`
    /// lines go to that profile only).
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Read IDs from a file, one per line (blank lines and `#` comments are skipped).
    #[arg(short, long, value_name = "FILE", conflicts_with = "idle_for")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub stale: StaleArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Selects stale sessions by listing them first.
#[derive(Debug, Clone, Args)]
pub struct StaleArgs {
    /// Act on every session idle for longer than this (e.g. `90m`, `2h`, `1d`).
    #[arg(long, value_name = "DUR", value_parser = parse_duration, conflicts_with = "ids")]
    pub idle_for: Option<Duration>,
    /// A sweep acts on at most N sessions: the N idle longest (across every profile), the
    /// rest left for the next run (the summary's `left`). Unlike `--max`, it never refuses:
    /// it is how a cron job drains a backlog in batches.
    #[arg(long, value_name = "N", value_parser = parse_limit,
          conflicts_with_all = ["ids", "file"])]
    pub limit: Option<u64>,
    /// A sweep acts on no verdict older than this: a session whose listing is older when the
    /// run reaches it is read again and acted on only if it still qualifies (else `skipped`,
    /// with why). Default: the profile's `recheck_after`, else 60s.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub recheck_after: Option<Duration>,
    /// Write the plan to FILE instead of acting (nothing that changes state is sent): each
    /// session with its action and the evidence it was chosen on (a sweep's listed row; for
    /// IDs given, the ID), for review and `sessionctl apply FILE`. A dry run of its own, so
    /// not with `--dry-run`.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath,
          conflicts_with = "dry_run")]
    pub plan: Option<PathBuf>,
    /// No longer needed: a Digital Samba sweep only ever acts on empty sessions.
    #[arg(long, hide = true)]
    pub empty: bool,
    /// Sweep every profile in the config file; with IDs from stdin or a file, send each
    /// `profile<TAB>id` line to its profile.
    #[arg(long)]
    pub all_profiles: bool,
    /// Only sessions where FIELD=VALUE, … (the help: [`where_help`]).
    #[arg(long = "where", value_name = "EXPR", value_parser = crate::provider::registry::parse_term,
          help = where_help("; with --idle-for or --older-than"),
          conflicts_with_all = ["ids", "file"])]
    pub selectors: Vec<crate::select::Term>,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only sessions idle for longer than this (e.g. `90m`, `2h`, `1d`).
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub idle_for: Option<Duration>,
    /// Only sessions created longer ago than this.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub older_than: Option<Duration>,
    /// Only sessions that ended longer ago than this, by the provider's own end time (what
    /// `delete --ended-for` would delete).
    #[arg(long, value_name = "DUR", value_parser = parse_duration,
          conflicts_with_all = ["idle_for", "older_than", "empty"])]
    pub ended_for: Option<Duration>,
    /// Stop after this many sessions (at least 1).
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    pub limit: Option<u64>,
    /// Include ended (or not live) sessions.
    #[arg(long)]
    pub all: bool,
    /// Digital Samba: only sessions with no live participants.
    #[arg(long)]
    pub empty: bool,
    /// elizaOS: what sessions left behind instead of sessions (channels and their messages
    /// of sessions that were ended, expired, or forgotten by a restart).
    #[arg(long, conflicts_with_all = ["idle_for", "older_than", "ended_for", "all", "empty"])]
    pub orphans: bool,
    /// List every profile in the config file.
    #[arg(long)]
    pub all_profiles: bool,
    /// Only sessions where FIELD=VALUE, … (the help: [`where_help`]).
    #[arg(long = "where", value_name = "EXPR", value_parser = crate::provider::registry::parse_term,
          help = where_help(""))]
    pub selectors: Vec<crate::select::Term>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the config file's path.
    Path,
    /// Write a starter config file and print its path (never overwrites one).
    ///
    /// The file goes to `--config PATH`, else the default path (see `config path`); it is
    /// small, valid and commented, with the common profiles ready to uncomment.
    Init,
    /// Print the profile names, one per line (what shell completion offers for `-p`).
    Profiles,
    /// Print the resolved profiles, secrets masked.
    Show,
    /// Validate every profile; with `--online`, also read each one's first page.
    Check {
        /// Read the first page of each profile's list (one authenticated request, nothing
        /// changed), saying how many rows it had and whether paging says more follow. For a
        /// declared provider, also each declared field's JSON pointer and what it read from
        /// the first row; exit 1 when the row has no ID there, a declared timestamp or count
        /// does not parse, or a field a sweep reads (activity, created, live, participants)
        /// is on no row of the page.
        #[arg(long)]
        online: bool,
    },
}

pub use crate::units::{MAX_DURATION, Rate, parse_duration, parse_positive_duration, parse_rate};

/// `--limit N`, at least 1: a limit of 0 would select nothing, which is never what was meant
/// (was clap's "0 is not in 1..18446744073709551615").
fn parse_limit(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("must be at least 1 (`--limit 0` would select nothing)".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e} (a whole number of sessions, at least 1)")),
    }
}

/// How long `delete --wait` waits for Zep v4 delete tasks without `--timeout`.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

#[cfg(test)]
mod tests {
    use super::*;

    /// No variable reads `[env: NAME=]` in the help, as if set to nothing.
    #[test]
    fn help_shows_no_variable_as_set_to_nothing() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("[env: SESSIONCTL_OUTPUT]"), "{help}");
        assert!(!help.contains("=]"), "{help}");
    }

    /// `OutputFormat`'s `ValueEnum` is written by hand: every variant must be in
    /// `value_variants`, or `-o` could never select it. The match below stops compiling when
    /// a variant is added, which sends its author here.
    #[test]
    fn every_output_format_can_be_selected() {
        let listed = |f: OutputFormat| match f {
            OutputFormat::Table
            | OutputFormat::Json
            | OutputFormat::Ndjson
            | OutputFormat::Ids
            | OutputFormat::Wide => OutputFormat::value_variants().contains(&f),
        };
        use OutputFormat::*;
        for f in [Table, Json, Ndjson, Ids, Wide] {
            assert!(listed(f), "{f:?}");
            let name = f.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(OutputFormat::from_str(&name, false), Ok(f));
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_are_bounded() {
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("500000000000y").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn rates_parse_in_any_unit() {
        assert_eq!(parse_rate("10/s"), Ok(Rate(10.0)));
        assert_eq!(parse_rate("600/m"), Ok(Rate(10.0)));
        assert_eq!(parse_rate("5"), Ok(Rate(5.0)));
        assert!(parse_rate("0/s").is_err());
        for hostile in ["1e10/s", "1e-300/s", "1e-20/s", "inf/s", "NaN/s", "-1/s"] {
            assert!(parse_rate(hostile).is_err(), "{hostile}");
        }
        assert!(parse_rate("x/s").is_err());
        assert!(parse_rate("1/fortnight").is_err());
    }
}
