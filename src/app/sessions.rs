//! `end`, `end-many` and `delete`: where the IDs come from, the stale sweep, the
//! blast-radius cap, the confirmation, and feeding the runner.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::BufReader;
use tokio::sync::mpsc;

use super::{AppError, Ctx, Exit, build, cutoff, header, usage};
use crate::cli::{BulkArgs, RunArgs};
use crate::config::Profile;
use crate::ids::{self, Dedup, Item};
use crate::outcome::{Outcome, SessionResult, Summary};
use crate::output::ResultSink;
use crate::pacer::Holds;
use crate::provider::{Action, Options, Provider};
use crate::runner::{self, Interrupt, Plan, Target, Targets};
use crate::stale::{self, Filter};

/// Where a bulk command's IDs come from.
pub(super) enum Input {
    /// Already in memory: arguments, or input read ahead to check the cap.
    Items(Vec<Item>),
    Stdin,
    File(std::path::PathBuf),
    /// Picked by a stale sweep, with why each was picked.
    Swept(Vec<(String, String)>),
}

/// How a sweep selects: by proven idleness, by age, or both.
pub(super) struct Selection {
    pub idle_for: Option<Duration>,
    pub older_than: Option<Duration>,
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
                "no session IDs given (arguments, --file, `-` for stdin, --idle-for or --older-than)",
            )),
            (None, args) => {
                let ids = args
                    .iter()
                    .map(|a| ids::from_arg(a).map(Item::Id))
                    .collect::<Result<_, _>>();
                Ok(Input::Items(ids.map_err(usage)?))
            }
        }
    }

    /// Flag combinations that cannot mean what the user hoped: refused before anything is
    /// read, asked or sent.
    pub(super) fn check_bulk(&self, bulk: &BulkArgs) -> Result<(), AppError> {
        let stale = &bulk.stale;
        if stale.idle_for.is_none() && stale.empty {
            return Err(usage("--empty only goes with --idle-for"));
        }
        if stale.all_profiles && !bulk.ids.is_empty() && bulk.ids != ["-"] {
            return Err(usage(
                "--all-profiles takes IDs as `profile<TAB>id` lines from stdin or --file, not as arguments",
            ));
        }
        Ok(())
    }

    /// With `confirm`, asks once the IDs and flags are known to be valid, before any
    /// request.
    pub(super) async fn bulk(
        &self,
        action: Action,
        bulk: &BulkArgs,
        selection: Selection,
        opts: &Options,
        confirm: bool,
    ) -> Result<Exit, AppError> {
        if bulk.stale.empty {
            eprintln!(
                "sessionctl: note: --empty is now the default: a Digital Samba sweep only acts on sessions known to be empty"
            );
        }
        let confirm = confirm.then_some(bulk);
        if selection.idle_for.is_none() && selection.older_than.is_none() {
            let input = self.input(bulk)?;
            let all = bulk.stale.all_profiles;
            return self.act(action, input, all, &bulk.run, opts, confirm).await;
        }
        self.sweep(action, bulk, selection, opts, confirm).await
    }

    /// IDs from arguments, a file or stdin, for one profile or (`profile<TAB>id` lines with
    /// `--all-profiles`) for each line's own.
    pub(super) async fn act(
        &self,
        action: Action,
        input: Input,
        all: bool,
        run: &RunArgs,
        opts: &Options,
        confirm: Option<&BulkArgs>,
    ) -> Result<Exit, AppError> {
        let interrupt = Interrupt::install();
        let holds = Holds::default();
        let (ready, worst) = self.prepare(all, |profile| {
            build(
                profile,
                action,
                &self.options(run, opts, &interrupt, &holds),
            )
        })?;
        let caps = Caps::of(run, &ready);
        let header = header(all, &ready);
        let concurrency = concurrency(run, &ready);
        let targets = targets(ready, all);
        let input = match caps.any() {
            true => read_ahead(input, &targets, &caps, action).await?,
            false => input,
        };
        if let Some(bulk) = confirm {
            self.confirm_delete(bulk)?;
        }
        let mut sink = ResultSink::new(self.cli.output, header, (!self.cli.quiet).then_some(holds));
        execute(&targets, action, input, run, concurrency, &interrupt, |r| {
            sink.emit(r)
        })
        .await?;
        let summary = sink
            .finish(interrupt.interrupted())
            .map_err(AppError::Output)?;
        Ok(exit_for(&summary, interrupt.interrupted(), run, opts).max_code(worst))
    }

    /// `--idle-for` / `--older-than`: list every profile's selection, check it against the
    /// caps, then act on it.
    async fn sweep(
        &self,
        action: Action,
        bulk: &BulkArgs,
        selection: Selection,
        opts: &Options,
        confirm: Option<&BulkArgs>,
    ) -> Result<Exit, AppError> {
        let filter = Filter {
            idle_before: selection.idle_for.map(cutoff).transpose()?,
            created_before: selection.older_than.map(cutoff).transpose()?,
            ..Filter::default()
        };
        let all = bulk.stale.all_profiles;
        let interrupt = Interrupt::install();
        let holds = Holds::default();
        // `worst` holds problems outside the per-session results: they can only make the
        // exit code worse.
        let (ready, mut worst) = self.prepare(all, |profile| {
            build(
                profile,
                action,
                &self.options(&bulk.run, opts, &interrupt, &holds),
            )
        })?;
        if let Some(bulk) = confirm {
            self.confirm_delete(bulk)?;
        }
        let caps = Caps::of(&bulk.run, &ready);
        let header = header(all, &ready);
        let concurrency = concurrency(&bulk.run, &ready);
        // Everything is listed before anything is sent, so that the cap sees the whole run.
        let mut picked = Vec::new();
        let mut problems = Vec::new();
        for (profile, provider) in &ready {
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
                    picked.push(Vec::new());
                    continue;
                }
            };
            let mut mine = Vec::new();
            for l in listed {
                match (l.problem, l.reason) {
                    (Some(problem), _) => {
                        let mut r =
                            SessionResult::failed(l.row.id, format!("not acted on: {problem}"));
                        r.profile = tag.clone();
                        problems.push(r);
                    }
                    (None, reason) => mine.push((l.row.id, reason.unwrap_or_default())),
                }
            }
            picked.push(mine);
        }
        let counts: Vec<u64> = picked.iter().map(|p| p.len() as u64).collect();
        let names: Vec<&str> = ready.iter().map(|(p, _)| p.name.as_str()).collect();
        caps.check(&counts, &names, action, true)?;
        let mut sink = ResultSink::new(self.cli.output, header, (!self.cli.quiet).then_some(holds));
        problems.into_iter().for_each(|r| sink.emit(r));
        for ((profile, provider), mine) in ready.into_iter().zip(picked) {
            let targets = Targets::one(profile.name.clone(), provider, all);
            let input = Input::Swept(mine);
            execute(
                &targets,
                action,
                input,
                &bulk.run,
                concurrency,
                &interrupt,
                |r| sink.emit(r),
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

fn targets(ready: Vec<(Profile, Arc<dyn Provider>)>, all: bool) -> Targets {
    Targets {
        list: ready
            .into_iter()
            .map(|(profile, provider)| Target {
                name: profile.name,
                provider,
            })
            .collect(),
        default: (!all).then_some(0),
        tag: all,
    }
}

/// Batches in flight: the flag, else the first profile's setting.
fn concurrency(run: &RunArgs, ready: &[(Profile, Arc<dyn Provider>)]) -> usize {
    run.concurrency.map_or_else(
        || ready.first().map_or(8, |(p, _)| p.concurrency),
        |c| c as usize,
    )
}

/// Starts reading `input` (a file or stdin, in its own task) into chunks of `chunk` items.
async fn spawn_reader(
    input: Input,
    chunk: usize,
    tx: mpsc::Sender<Vec<Item>>,
) -> Result<tokio::task::JoinHandle<std::io::Result<()>>, AppError> {
    Ok(match input {
        Input::Stdin => tokio::spawn(ids::stream_lines(
            BufReader::with_capacity(READ_BUFFER, tokio::io::stdin()),
            chunk,
            tx,
        )),
        Input::File(path) => {
            let file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
            tokio::spawn(ids::stream_lines(
                BufReader::with_capacity(READ_BUFFER, file),
                chunk,
                tx,
            ))
        }
        Input::Items(items) => tokio::spawn(send_chunks(items, chunk, tx)),
        Input::Swept(picked) => {
            let items = picked.into_iter().map(|(id, _)| Item::Id(id)).collect();
            tokio::spawn(send_chunks(items, chunk, tx))
        }
    })
}

/// Streams `input` through the runner.
async fn execute(
    targets: &Targets,
    action: Action,
    input: Input,
    run: &RunArgs,
    concurrency: usize,
    interrupt: &Interrupt,
    mut emit: impl FnMut(SessionResult),
) -> Result<(), AppError> {
    let batch = (targets.list.iter())
        .map(|t| t.provider.batch_size(action))
        .max()
        .unwrap_or(1);
    let (tx, rx) = mpsc::channel(concurrency.max(2));
    let mut reasons = HashMap::new();
    if let Input::Swept(picked) = &input {
        reasons.extend(picked.iter().cloned());
    }
    let reader = spawn_reader(input, batch, tx).await?;
    let plan = Plan {
        action,
        dry_run: run.dry_run,
        batches_in_flight: concurrency,
    };
    runner::run(targets, plan, rx, interrupt, |mut r| {
        if let Some(reason) = reasons.remove(&r.id).filter(|r| !r.is_empty()) {
            r.reason = Some(reason);
        }
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

/// Items already in memory, deduplicated and chunked like a stream would be.
async fn send_chunks(
    items: Vec<Item>,
    chunk: usize,
    tx: mpsc::Sender<Vec<Item>>,
) -> std::io::Result<()> {
    let mut seen = Dedup::default();
    let unique: Vec<Item> = items
        .into_iter()
        .filter(|item| seen.first_time(&item.key()))
        .collect();
    for part in unique.chunks(chunk) {
        if tx.send(part.to_vec()).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// The blast-radius caps of a run: `--max` (the total) and each profile's `max_per_run`.
struct Caps {
    total: Option<u64>,
    per_profile: Vec<Option<u64>>,
}

impl Caps {
    fn of(run: &RunArgs, ready: &[(Profile, Arc<dyn Provider>)]) -> Caps {
        Caps {
            total: run.max,
            per_profile: ready.iter().map(|(p, _)| p.max_per_run).collect(),
        }
    }

    fn any(&self) -> bool {
        self.total.is_some() || self.per_profile.iter().any(Option::is_some)
    }

    /// Refuses the run (exit 4) when `counts` (sessions to act on, per profile) break a
    /// cap. `exact`: the counts are the whole selection, else reading stopped one past a cap.
    fn check(
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

/// Reads IDs until the input ends or a cap is broken, before anything is sent: a run that
/// would act on more than it may sends nothing. Only what is held is at most a cap (+1).
async fn read_ahead(
    input: Input,
    targets: &Targets,
    caps: &Caps,
    action: Action,
) -> Result<Input, AppError> {
    let (tx, mut rx) = mpsc::channel(4);
    let reader = spawn_reader(input, 256, tx).await?;
    let mut counts = vec![0u64; targets.list.len()];
    let mut held = Vec::new();
    let names: Vec<&str> = targets.list.iter().map(|t| t.name.as_str()).collect();
    while let Some(items) = rx.recv().await {
        for t in items.iter().filter_map(|item| targets.target_of(item)) {
            counts[t] += 1;
        }
        held.extend(items);
        if let Err(over) = caps.check(&counts, &names, action, false) {
            reader.abort();
            return Err(over);
        }
    }
    reader.await.expect("the ID reader does not panic")?;
    Ok(Input::Items(held))
}

/// 0 all ok; 1 anything failed, skipped (past `--deadline`) or not found (unless
/// ignored), or still running after `--wait`; 3 credentials refused; 130 interrupted.
fn exit_for(summary: &Summary, interrupted: bool, run: &RunArgs, opts: &Options) -> Exit {
    let unfinished = opts.wait.is_some() && summary.count(Outcome::Accepted) > 0;
    if interrupted {
        Exit::Interrupted
    } else if summary.auth_refused {
        Exit::Auth
    } else if summary.count(Outcome::Failed) > 0
        // Not interrupted, yet not sent: the --deadline came first.
        || summary.count(Outcome::Skipped) > 0
        || (!run.ignore_missing && summary.count(Outcome::NotFound) > 0)
        || unfinished
    {
        Exit::Partial
    } else {
        Exit::Ok
    }
}
