//! The commands, dispatched: what needs no configuration, and what loads it and runs one
//! command (a run that changes sessions reports even when it ends early).

use crate::cli::{Cli, Command, ConfigAction, OutputFormat};
use crate::config::Config;
use crate::ids::{self, Item};
use crate::output;
use crate::provider::{Action, Options};
use crate::runner;

use super::plan::{self, Input, Selection};
use super::{AppError, Ctx, Exit, config_cmd, record, usage};

/// Commands that need no configuration and no runtime.
pub fn run_offline(cli: &Cli) -> Option<Result<Exit, AppError>> {
    match &cli.command {
        Command::Completions { shell } => {
            // Generated into memory first: clap_complete panics if stdout cannot be written.
            let script = crate::completion::script(*shell);
            Some(
                output::print_text(script.trim_end())
                    .map(|()| Exit::Ok)
                    .map_err(AppError::Output),
            )
        }
        Command::Config {
            action: ConfigAction::Path,
        } => Some(
            crate::config::locate(cli.config_path())
                .map_err(AppError::from)
                .and_then(|(p, _)| {
                    output::print_text(&p.display().to_string()).map_err(AppError::Output)
                })
                .map(|()| Exit::Ok),
        ),
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
    if let (Err(e), Some(run)) = (&result, cli.command.run_args())
        && !reported.get()
    {
        record::refused(cli.output.into(), &plan::RunPlan::of(run), e);
    }
    result
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
        Command::End { ids, run } => {
            plan::check_end_ids(ids, run)?;
            let items: Result<Vec<Item>, String> = ids
                .iter()
                .map(|id| ids::from_arg(id).map(Item::Id))
                .collect();
            let input = Input::Items(items.map_err(usage)?);
            let plan = plan::RunPlan::of(run);
            ctx.act(Action::End, input, false, &plan, &Options::default(), None)
                .await
        }
        Command::EndMany { bulk, older_than } => {
            ctx.check_bulk(bulk)?;
            let selection = Selection {
                idle_for: bulk.stale.idle_for,
                older_than: *older_than,
                ended_for: None,
                orphans: false,
            };
            ctx.bulk(Action::End, bulk, selection, &Options::default(), false)
                .await
        }
        Command::Delete {
            bulk,
            yes,
            wait,
            timeout,
            by_uuid,
            ended_for,
            orphans,
        } => {
            let opts = Options {
                wait: wait.then(|| timeout.unwrap_or(crate::cli::DEFAULT_WAIT_TIMEOUT)),
                by_uuid: *by_uuid,
                ..Options::default()
            };
            ctx.check_bulk(bulk)?;
            if *by_uuid && bulk.stale.idle_for.is_some() {
                return Err(usage(
                    "--by-uuid cannot go with --idle-for (a sweep lists thread IDs)",
                ));
            }
            let confirm = !yes && bulk.run.dry_run.is_none() && bulk.stale.plan.is_none();
            let selection = Selection {
                idle_for: bulk.stale.idle_for,
                older_than: None,
                ended_for: *ended_for,
                orphans: *orphans,
            };
            ctx.bulk(Action::Delete, bulk, selection, &opts, confirm)
                .await
        }
        Command::Apply {
            file,
            max_age,
            yes,
            recheck_after,
            run,
        } => {
            let apply = super::apply::Apply {
                file,
                max_age: max_age.unwrap_or(crate::saved::DEFAULT_MAX_AGE),
                yes: *yes,
                recheck_after: *recheck_after,
                run,
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
