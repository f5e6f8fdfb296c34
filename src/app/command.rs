//! The commands, dispatched: what needs no configuration, and what loads it and runs one
//! command (a run that changes sessions reports even when it ends early).

use crate::cli::{Cli, Command, ConfigAction, OutputFormat};
use crate::config::Config;
use crate::output;
use crate::runner;

use super::plan::{self, RunPlan};
use super::{AppError, Ctx, Exit, config_cmd, record, usage};

/// Commands that need no configuration and no runtime.
pub fn run_offline(cli: &Cli) -> Option<Result<Exit, AppError>> {
    match &cli.command {
        Command::Completions { shell } => {
            // Generated into memory first: clap_complete panics if stdout cannot be written.
            let script = crate::cli::completion::script(*shell);
            Some(
                output::print_text(script.trim_end())
                    .map(|()| Exit::Ok)
                    .map_err(AppError::Output),
            )
        }
        Command::Config {
            action: ConfigAction::Path,
        } => Some(config_cmd::path(cli)),
        Command::Config {
            action: ConfigAction::Init,
        } => Some(config_cmd::init(cli)),
        Command::Config {
            action: ConfigAction::Profiles,
        } => Some(config_cmd::profiles(cli)),
        _ => None,
    }
}

pub async fn run(cli: Cli) -> Result<Exit, AppError> {
    // Before anything that can take long: a signal from here on stops the command.
    let interrupt = runner::Interrupt::install();
    let reported = std::cell::Cell::new(false);
    let result = command(&cli, &interrupt, &reported).await;
    // A run that changes sessions reports even when it ends before its report began.
    if let (Err(e), Some(metrics)) = (&result, plan::metrics_file(&cli))
        && !reported.get()
    {
        record::refused(cli.output.into(), metrics, refused_header(&cli), e);
    }
    if matches!(result, Ok(Exit::Partial) | Err(AppError::List(..))) {
        say_builtin_was_used(&cli);
    }
    result
}

/// The profile a refused one-profile run was for, as its document names it, the same as a
/// run that began (a cap refusal's): none with `--all-profiles`, nor when the config or the
/// profile is itself what failed.
fn refused_header(cli: &Cli) -> crate::output::Header {
    if cli.all_profiles() {
        return crate::output::Header::default();
    }
    (Config::load(cli.config_path()).and_then(|c| c.select(cli.profile_name())))
        .map(|p| crate::output::Header::of(&p))
        .unwrap_or_default()
}

/// After a run that reached no server, or whose sessions failed, on the built-in profile
/// because there is no config file: says so, since nothing on the command line named the
/// server it tried (a newcomer's first `sessionctl list` fails against localhost:3000).
fn say_builtin_was_used(cli: &Cli) {
    let builtin = crate::config::BUILTIN_PROFILE;
    if cli.quiet
        || cli.config_path().is_some()
        || cli.endpoint_url().is_some()
        || cli.profile_name().is_some_and(|p| p != builtin)
    {
        return;
    }
    let Ok((path, _)) = crate::config::locate(None) else {
        return;
    };
    if path.exists() {
        return;
    }
    crate::output::warn(format_args!(
        "note: there is no config file ({}), so this ran on the built-in profile `{builtin}`: \
         elizaOS messaging at {}. `sessionctl config init` writes a config file; \
         `--endpoint-url URL` sends to another server",
        path.display(),
        crate::config::Profile::builtin().base_url
    ));
}

async fn command(
    cli: &Cli,
    interrupt: &runner::Interrupt,
    reported: &std::cell::Cell<bool>,
) -> Result<Exit, AppError> {
    if let Some(why) = cli.profile_mistake() {
        return Err(usage(why));
    }
    let config = Config::load(cli.config_path())?;
    // Not hidden by -q: the cron job that runs quietly is the one that must hear it.
    if config.world_readable_secret {
        crate::output::warn(format_args!(
            "warning: {} holds an api_key and is readable by others; run `chmod 600` on it",
            config.path.display()
        ));
    }
    if cli.output == OutputFormat::Ids && !matches!(cli.command, Command::List(_)) {
        return Err(usage("`-o ids` is only for `list`"));
    }
    if cli.output == OutputFormat::Wide && !matches!(cli.command, Command::List(_)) {
        return Err(usage(
            "`-o wide` is only for `list` (it adds the fields --where selects on)",
        ));
    }
    let ctx = Ctx {
        cli,
        config,
        reported,
    };
    match &cli.command {
        Command::End { .. } | Command::EndMany { .. } | Command::Delete { .. } => {
            let plan = RunPlan::of(cli).expect("a command that changes sessions has a plan")?;
            ctx.run(&plan).await
        }
        Command::Apply {
            file,
            max_age,
            yes,
            recheck_after,
            ..
        } => {
            let apply = super::apply::Apply {
                file,
                max_age: max_age.unwrap_or(crate::saved::DEFAULT_MAX_AGE),
                yes: *yes,
                recheck_after: *recheck_after,
            };
            ctx.apply(apply).await
        }
        Command::List(args) => stoppable(interrupt, ctx.list(args)).await,
        Command::Config {
            action: ConfigAction::Show,
        } => ctx.config_show(),
        Command::Config {
            action: ConfigAction::Check { online },
        } => stoppable(interrupt, ctx.config_check(*online)).await,
        Command::Completions { .. } | Command::Config { .. } => {
            unreachable!("handled by run_offline")
        }
    }
}

/// A command that changes nothing ends at the first signal, with its code (the output it
/// would have printed is not half-printed: it prints at the end).
async fn stoppable(
    interrupt: &runner::Interrupt,
    command: impl Future<Output = Result<Exit, AppError>>,
) -> Result<Exit, AppError> {
    if interrupt.interrupted() {
        return Err(AppError::Stopped);
    }
    tokio::select! {
        biased;
        _ = interrupt.stop.cancelled() => Err(AppError::Stopped),
        done = command => match done {
            Err(e) if interrupt.interrupted() && !e.stopped() => Err(AppError::Stopped),
            done => done,
        },
    }
}
