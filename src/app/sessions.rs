//! `end`, `end-many` and `delete`: where the IDs come from, the stale sweep, the
//! confirmation, and feeding the runner.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use tokio::io::BufReader;
use tokio::sync::mpsc;

use super::{AppError, Ctx, Exit, build, check_empty, cutoff, header, usage};
use crate::cli::{BulkArgs, RunArgs};
use crate::config::Profile;
use crate::ids::{self, Dedup, Item};
use crate::outcome::{Outcome, SessionResult, Summary};
use crate::output::{Header, ResultSink};
use crate::provider::{Action, Options, Provider};
use crate::runner::{self, Interrupt, Plan};
use crate::stale::{self, Filter};

/// Where a bulk command's IDs come from.
pub(super) enum Input {
    Args(Vec<String>),
    Stdin,
    File(std::path::PathBuf),
    /// Picked by a stale sweep, with why each was picked.
    Swept(Vec<(String, String)>),
}

impl Ctx<'_> {
    fn input(&self, bulk: &BulkArgs) -> Result<Input, AppError> {
        match (&bulk.file, bulk.ids.as_slice()) {
            (Some(_), [_, ..]) => Err(usage("give IDs as arguments or with --file, not both")),
            (Some(f), []) => match std::fs::metadata(f) {
                Ok(m) if m.is_dir() => Err(usage(format!(
                    "cannot read {}: it is a directory",
                    f.display()
                ))),
                Ok(_) => Ok(Input::File(f.clone())),
                Err(e) => Err(usage(format!("cannot read {}: {e}", f.display()))),
            },
            (None, [one]) if one == "-" => Ok(Input::Stdin),
            (None, args) if args.iter().any(|a| a == "-") => Err(usage(
                "`-` (read IDs from stdin) must be the only ID argument",
            )),
            (None, []) => Err(usage(
                "no session IDs given (arguments, --file, `-` for stdin, or --idle-for)",
            )),
            (None, args) => {
                let ids = args
                    .iter()
                    .map(|a| ids::from_arg(a))
                    .collect::<Result<_, _>>();
                Ok(Input::Args(ids.map_err(usage)?))
            }
        }
    }

    /// Flag combinations that cannot mean what the user hoped: refused before anything is
    /// read, asked or sent.
    pub(super) fn check_bulk(&self, bulk: &BulkArgs) -> Result<(), AppError> {
        let stale = &bulk.stale;
        if stale.idle_for.is_none() && (stale.all_profiles || stale.empty) {
            return Err(usage("--all-profiles and --empty only go with --idle-for"));
        }
        Ok(())
    }

    /// With `confirm`, asks once the IDs and flags are known to be valid, before any
    /// request.
    pub(super) async fn bulk(
        &self,
        action: Action,
        bulk: &BulkArgs,
        opts: &Options,
        confirm: bool,
    ) -> Result<Exit, AppError> {
        let confirm = confirm.then_some(bulk);
        match bulk.stale.idle_for {
            None => {
                let input = self.input(bulk)?;
                self.act(action, input, &bulk.run, opts, confirm).await
            }
            Some(idle) => self.sweep(action, bulk, idle, opts, confirm).await,
        }
    }

    /// One profile, IDs from arguments, a file or stdin.
    pub(super) async fn act(
        &self,
        action: Action,
        input: Input,
        run: &RunArgs,
        opts: &Options,
        confirm: Option<&BulkArgs>,
    ) -> Result<Exit, AppError> {
        let profile = self.profile()?;
        let interrupt = Interrupt::install();
        let provider = build(&profile, action, &self.options(run, opts, &interrupt))?;
        if let Some(bulk) = confirm {
            self.confirm_delete(bulk)?;
        }
        let mut sink = ResultSink::new(self.cli.output, Header::of(&profile), !self.cli.quiet);
        execute(&provider, &profile, action, input, run, &interrupt, |r| {
            sink.emit(r)
        })
        .await?;
        let summary = sink
            .finish(interrupt.interrupted())
            .map_err(AppError::Output)?;
        Ok(exit_for(&summary, interrupt.interrupted(), run, opts))
    }

    /// `--idle-for`: list each profile's stale sessions, then act on them.
    async fn sweep(
        &self,
        action: Action,
        bulk: &BulkArgs,
        idle: std::time::Duration,
        opts: &Options,
        confirm: Option<&BulkArgs>,
    ) -> Result<Exit, AppError> {
        let filter = Filter {
            idle_before: Some(cutoff(idle)?),
            empty_only: bulk.stale.empty,
            ..Filter::default()
        };
        let all = bulk.stale.all_profiles;
        let interrupt = Interrupt::install();
        // `worst` holds problems outside the per-session results: they can only make the
        // exit code worse.
        let (targets, mut worst) = self.prepare(all, |profile| {
            check_empty(profile, bulk.stale.empty)?;
            build(profile, action, &self.options(&bulk.run, opts, &interrupt))
        })?;
        if let Some(bulk) = confirm {
            self.confirm_delete(bulk)?;
        }
        let header = header(all, &targets);
        let mut sink = ResultSink::new(self.cli.output, header, !self.cli.quiet);
        for (profile, provider) in targets {
            let tag = all.then(|| profile.name.clone());
            let listed = tokio::select! {
                listed = stale::collect(provider.as_ref(), &filter) => listed,
                _ = interrupt.stop.cancelled() => break,
            };
            let listed = match listed {
                Ok(l) => l,
                Err(e) => {
                    let err = AppError::List(profile.name.clone(), e);
                    eprintln!("sessionctl: {err}");
                    worst = worst.max_code(err.exit());
                    continue;
                }
            };
            let mut picked = Vec::new();
            for l in listed {
                match l.problem {
                    Some(problem) => {
                        let mut r =
                            SessionResult::failed(l.row.id, format!("not acted on: {problem}"));
                        r.profile = tag.clone();
                        sink.emit(r);
                    }
                    None => {
                        let idle = l.idle_secs.unwrap_or(0);
                        let reason = format!(
                            "idle {} (last activity {})",
                            humantime::format_duration(std::time::Duration::from_secs(
                                idle - idle % 60
                            )),
                            l.row.activity.as_deref().unwrap_or("?")
                        );
                        picked.push((l.row.id, reason));
                    }
                }
            }
            execute(
                &provider,
                &profile,
                action,
                Input::Swept(picked),
                &bulk.run,
                &interrupt,
                |mut r| {
                    r.profile = tag.clone();
                    sink.emit(r)
                },
            )
            .await?;
        }
        let interrupted = interrupt.interrupted();
        let summary = sink.finish(interrupted).map_err(AppError::Output)?;
        let exit = exit_for(&summary, interrupted, &bulk.run, opts);
        Ok(exit.max_code(worst))
    }

    fn confirm_delete(&self, bulk: &BulkArgs) -> Result<(), AppError> {
        let stdin = std::io::stdin();
        let reads_ids_from_stdin = bulk.ids.len() == 1 && bulk.ids[0] == "-";
        if !stdin.is_terminal() || reads_ids_from_stdin {
            return Err(usage(
                "delete is irreversible: pass --yes (stdin is not a terminal to ask on)",
            ));
        }
        let names: Vec<String> = self
            .profiles(bulk.stale.all_profiles)?
            .into_iter()
            .map(|p| format!("`{}` ({})", p.name, p.spec.name))
            .collect();
        let scope = match names.as_slice() {
            [one] => format!("profile {one}"),
            many => format!("EVERY profile: {}", many.join(", ")),
        };
        let what = match (&bulk.stale.idle_for, bulk.ids.len(), &bulk.file) {
            (Some(d), _, _) => format!(
                "every session idle for more than {}",
                humantime::format_duration(*d)
            ),
            (None, _, Some(f)) => format!("the sessions listed in {}", f.display()),
            (None, n, None) => format!("{n} session(s)"),
        };
        eprint!("Delete {what} on {scope}? This cannot be undone. [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        match answer.trim() {
            "y" | "Y" | "yes" => Ok(()),
            _ => Err(usage("not confirmed; nothing deleted")),
        }
    }
}

/// IDs are read in large gulps: a chunk is sent early whenever the buffer runs dry, so a
/// big buffer keeps Zep's bulk batches full when reading a file or a fast pipe.
const READ_BUFFER: usize = 64 * 1024;

/// Streams `input` through the runner for one profile.
async fn execute(
    provider: &Arc<dyn Provider>,
    profile: &Profile,
    action: Action,
    input: Input,
    run: &RunArgs,
    interrupt: &Interrupt,
    mut emit: impl FnMut(SessionResult),
) -> Result<(), AppError> {
    let batch = provider.batch_size(action);
    let concurrency = run.concurrency.map_or(profile.concurrency, |c| c as usize);
    let (tx, rx) = mpsc::channel(concurrency.max(2));
    let mut reasons = HashMap::new();
    let reader = match input {
        Input::Stdin => tokio::spawn(ids::stream_lines(
            BufReader::with_capacity(READ_BUFFER, tokio::io::stdin()),
            batch,
            tx,
        )),
        Input::File(path) => {
            let file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
            tokio::spawn(ids::stream_lines(
                BufReader::with_capacity(READ_BUFFER, file),
                batch,
                tx,
            ))
        }
        Input::Args(list) => tokio::spawn(send_chunks(list, batch, tx)),
        Input::Swept(picked) => {
            let list = picked.iter().map(|(id, _)| id.clone()).collect();
            reasons.extend(picked);
            tokio::spawn(send_chunks(list, batch, tx))
        }
    };
    let plan = Plan {
        action,
        dry_run: run.dry_run,
        batches_in_flight: concurrency,
    };
    runner::run(provider.clone(), plan, rx, interrupt, |mut r| {
        r.reason = reasons.remove(&r.id);
        emit(r)
    })
    .await;
    if interrupt.abort.is_cancelled() {
        // The runner gave up on input that stalled; the reader may be blocked on it forever.
        reader.abort();
        return Ok(());
    }
    reader.await.expect("the ID reader does not panic")?;
    Ok(())
}

/// IDs already in memory, deduplicated and chunked like a stream would be.
async fn send_chunks(
    ids: Vec<String>,
    chunk: usize,
    tx: mpsc::Sender<Vec<Item>>,
) -> std::io::Result<()> {
    let mut seen = Dedup::default();
    let unique: Vec<Item> = ids
        .into_iter()
        .filter(|id| seen.first_time(id))
        .map(Item::Id)
        .collect();
    for part in unique.chunks(chunk) {
        if tx.send(part.to_vec()).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// 0 all ok; 1 anything failed or not found (unless ignored), or still running after
/// `--wait`; 3 credentials refused; 130 interrupted.
fn exit_for(summary: &Summary, interrupted: bool, run: &RunArgs, opts: &Options) -> Exit {
    let unfinished = opts.wait.is_some() && summary.count(Outcome::Accepted) > 0;
    if interrupted {
        Exit::Interrupted
    } else if summary.auth_refused {
        Exit::Auth
    } else if summary.count(Outcome::Failed) > 0
        || (!run.ignore_missing && summary.count(Outcome::NotFound) > 0)
        || unfinished
    {
        Exit::Partial
    } else {
        Exit::Ok
    }
}
