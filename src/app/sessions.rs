//! `end`, `end-many` and `delete`: where the IDs come from, the stale sweep, the
//! blast-radius cap, the confirmation, and feeding the runner.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::BufReader;
use tokio::sync::mpsc;

use super::{AppError, Ctx, Exit, Prepared, build, check_selected, cutoff, header, now, usage};
use crate::cli::{BulkArgs, RunArgs};
use crate::client::pacer::Holds;
use crate::config::Profile;
use crate::ids::{self, Dedup, Item};
use crate::journal::{Job, Journal, Resume};
use crate::lock::RunLock;
use crate::outcome::{Outcome, SessionResult, Summary};
use crate::output::ResultSink;
use crate::provider::{Action, Options, Provider};
use crate::report::{JournalSink, MetricsSink, Report};
use crate::runner::{self, Interrupt, Plan, Target, Targets};
use crate::select::Selector;
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
            crate::output::warn(format_args!(
                "note: --empty is now the default: a Digital Samba sweep only acts on sessions known to be empty"
            ));
        }
        let confirm = confirm.then_some(bulk);
        if selection.idle_for.is_none() && selection.older_than.is_none() {
            if !bulk.stale.selectors.is_empty() {
                return Err(usage(
                    "--where selects what a sweep lists: use it with --idle-for or --older-than \
                     (or pipe `list --where … -o ids` into `-`)",
                ));
            }
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
        let prepared = self.prepare(all, |profile| {
            build(
                profile,
                action,
                &self.options(run, opts, &interrupt, &holds),
            )
        })?;
        let Prepared {
            ready,
            worst,
            broken,
        } = prepared;
        let _locks = lock(run, &ready).await?;
        let job = job(action, run, &[], &ready);
        let resume = load_resume(run, &job)?;
        let caps = Caps::of(run, &ready);
        let concurrency = concurrency(run, &ready);
        let report = self.report(all, run, &ready, &holds, resume.as_ref(), job);
        let targets = targets(ready, all);
        let resumed = resume.map(|r| Resumed::new(r, &targets));
        let input = match caps.any() {
            true => read_ahead(input, &targets, &caps, action, resumed.as_ref()).await?,
            false => input,
        };
        if let Some(bulk) = confirm {
            self.confirm_delete(bulk)?;
        }
        // Only now is the run on: the journal and the output begin here.
        let mut report = report.start()?;
        broken.iter().for_each(|(p, e)| report.profile_error(p, e));
        let exec = Execution {
            action,
            run,
            concurrency,
            interrupt: &interrupt,
            seq: Default::default(),
            quiet: self.cli.quiet,
        };
        exec.execute(&targets, input, resumed.as_ref(), &mut report)
            .await?;
        finish(report, interrupt.interrupted(), run, opts, worst)
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
        let now = now()?;
        let filter = Filter {
            idle_before: selection.idle_for.map(|d| cutoff(now, d)).transpose()?,
            created_before: selection.older_than.map(|d| cutoff(now, d)).transpose()?,
            ..Filter::default()
        };
        let selector = Selector {
            terms: bulk.stale.selectors.clone(),
        };
        let all = bulk.stale.all_profiles;
        let run = &bulk.run;
        let interrupt = Interrupt::install();
        let holds = Holds::default();
        // `worst` holds problems outside the per-session results: they can only make the
        // exit code worse.
        let prepared = self.prepare(all, |profile| {
            super::selection(profile, &selector)?;
            build(
                profile,
                action,
                &self.options(run, opts, &interrupt, &holds),
            )
        })?;
        check_selected(&prepared.ready, &selector)?;
        let Prepared {
            ready,
            mut worst,
            broken,
        } = prepared;
        if let Some(bulk) = confirm {
            self.confirm_delete(bulk)?;
        }
        let _locks = lock(run, &ready).await?;
        let job = job(action, run, &bulk.stale.selectors, &ready);
        let resume = load_resume(run, &job)?;
        let caps = Caps::of(run, &ready);
        let concurrency = concurrency(run, &ready);
        let plan = self.report(all, run, &ready, &holds, resume.as_ref(), job);
        let mut report = plan.start()?;
        broken.iter().for_each(|(p, e)| report.profile_error(p, e));
        // Everything is listed before anything is sent, so that the cap sees the whole run.
        let mut picked = Vec::new();
        let mut problems = Vec::new();
        for (profile, provider) in &ready {
            let tag = all.then(|| profile.name.clone());
            let filter = Filter {
                selection: super::selection(profile, &selector)?,
                ..filter.clone()
            };
            if !filter.selection.is_empty() {
                tracing::info!(
                    "profile `{}`: --where {}",
                    profile.name,
                    filter.selection.plan()
                );
            }
            let listed = tokio::select! {
                listed = stale::collect(provider.as_ref(), &filter, now) => listed,
                _ = interrupt.stop.cancelled() => break,
            };
            let listed = match listed {
                Ok(l) => l,
                Err(e) => {
                    let err = AppError::List(profile.name.clone(), e);
                    crate::output::warn(format_args!("{err}"));
                    worst = worst.max_code(err.exit());
                    report.profile_error(&profile.name, &err.to_string());
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
        let names: Vec<&str> = ready.iter().map(|(p, _)| p.name.as_str()).collect();
        // What will be sent: a resumed run adds what it sends again and drops what is done.
        let counts: Vec<u64> = (picked.iter().zip(&names))
            .map(|(mine, name)| match &resume {
                Some(r) => r.to_send(name, mine.iter().map(|(id, _)| id.as_str())) as u64,
                None => mine.len() as u64,
            })
            .collect();
        if let Err(over) = caps.check(&counts, &names, action, true) {
            // The listing happened and is on record; the run ends here, nothing sent.
            report.refuse(over.exit() as i32);
            return Err(over);
        }
        problems.into_iter().for_each(|r| report.result(r));
        let mut exec = Execution {
            action,
            run,
            concurrency,
            interrupt: &interrupt,
            seq: Default::default(),
            quiet: self.cli.quiet,
        };
        for ((profile, provider), mine) in ready.into_iter().zip(picked) {
            // One profile at a time: its own concurrency.
            exec.concurrency = run.concurrency.map_or(profile.concurrency, |c| c as usize);
            let targets = Targets::one(profile.name.clone(), provider, all);
            let resumed = resume.clone().map(|r| Resumed::new(r, &targets));
            exec.execute(&targets, Input::Swept(mine), resumed.as_ref(), &mut report)
                .await?;
        }
        finish(report, interrupt.interrupted(), run, opts, worst)
    }

    /// What the report of a run will be: its output on stdout, and the journal and metrics
    /// file the flags ask for. Started (files opened) only once the run is sure to go ahead.
    fn report(
        &self,
        all: bool,
        run: &RunArgs,
        ready: &[(Profile, Arc<dyn Provider>)],
        holds: &Holds,
        resume: Option<&Arc<Resume>>,
        job: Job,
    ) -> ReportPlan {
        ReportPlan {
            format: self.cli.output.into(),
            quiet: self.cli.quiet,
            header: header(all, ready),
            job,
            default: (!all)
                .then(|| ready.first().map(|(p, _)| p.name.clone()))
                .flatten(),
            providers: (ready.iter())
                .map(|(p, _)| (p.name.clone(), p.spec.name))
                .collect(),
            journal: run.journal.clone().or_else(|| run.resume.clone()),
            metrics: run.metrics_file.clone(),
            holds: holds.clone(),
            resume: resume.cloned(),
        }
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
                "every session idle for more than {}{}",
                humantime::format_duration(*d),
                (bulk.stale.selectors.iter())
                    .fold(String::new(), |s, t| s + &format!(" where {t}"))
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
            _ => Err(AppError::Declined),
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

/// Batches in flight: the flag, else what the profiles allow together (each profile's
/// client still holds its own requests to its own `concurrency`).
fn concurrency(run: &RunArgs, ready: &[(Profile, Arc<dyn Provider>)]) -> usize {
    run.concurrency.map_or_else(
        || {
            ready
                .iter()
                .map(|(p, _)| p.concurrency)
                .sum::<usize>()
                .max(1)
        },
        |c| c as usize,
    )
}

type Reader = tokio::task::JoinHandle<std::io::Result<()>>;

/// Starts reading `input` (a file or stdin, in its own task) into chunks of `chunk` items;
/// in a resumed run, through [`Resumed`].
async fn spawn_reader(
    input: Input,
    chunk: usize,
    tx: mpsc::Sender<Vec<Item>>,
    resumed: Option<&Resumed>,
) -> Result<Reader, AppError> {
    let Some(resumed) = resumed.cloned() else {
        return spawn_input(input, chunk, tx).await;
    };
    let (inner, mut read) = mpsc::channel(4);
    let reader = spawn_input(input, chunk, inner).await?;
    Ok(tokio::spawn(async move {
        for part in resumed.first().chunks(chunk) {
            if tx.send(part.to_vec()).await.is_err() {
                reader.abort();
                return Ok(());
            }
        }
        while let Some(items) = read.recv().await {
            let kept: Vec<Item> = items.into_iter().filter(|i| resumed.keep(i)).collect();
            if !kept.is_empty() && tx.send(kept).await.is_err() {
                reader.abort();
                return Ok(());
            }
        }
        reader.await.expect("the ID reader does not panic")
    }))
}

async fn spawn_input(
    input: Input,
    chunk: usize,
    tx: mpsc::Sender<Vec<Item>>,
) -> Result<Reader, AppError> {
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

/// A run's report, gathered before the run goes ahead (see [`Ctx::report`]).
struct ReportPlan {
    format: crate::output::Format,
    quiet: bool,
    header: crate::output::Header,
    job: Job,
    default: Option<String>,
    providers: HashMap<String, &'static str>,
    journal: Option<std::path::PathBuf>,
    metrics: Option<std::path::PathBuf>,
    holds: Holds,
    resume: Option<Arc<Resume>>,
}

impl ReportPlan {
    fn start(self) -> Result<Report, AppError> {
        let run_id = uuid::Uuid::new_v4().to_string();
        let progress = (!self.quiet).then_some(self.holds);
        let stdout = ResultSink::new(self.format, self.header, progress, &run_id);
        let mut report = Report::new(run_id.clone(), self.default, Box::new(stdout));
        if let Some(path) = &self.journal {
            let earlier = self.resume.as_ref().map_or(&[][..], |r| r.runs.as_slice());
            let journal = Journal::open(path, &run_id, &self.job, earlier)
                .map_err(|e| usage(format!("cannot write journal {}: {e}", path.display())))?;
            report.add(
                format!("journal {}", path.display()),
                Box::new(JournalSink(journal)),
            );
        }
        if let Some(resume) = &self.resume {
            report.resending(resume);
            if !self.quiet {
                crate::output::warn(format_args!(
                    "resuming: {} session(s) already have an outcome and are not sent again; {} attempted without one are sent again",
                    resume.done_count(),
                    resume.pending().len()
                ));
            }
        }
        if let Some(path) = self.metrics {
            let what = format!("metrics file {}", path.display());
            report.add(what, Box::new(MetricsSink::new(path, self.providers)));
        }
        Ok(report)
    }
}

/// What every part of one run shares.
struct Execution<'a> {
    action: Action,
    run: &'a RunArgs,
    /// Batches in flight.
    concurrency: usize,
    interrupt: &'a Interrupt,
    /// The next input place: a sweep runs once per profile, numbered in one sequence.
    seq: std::cell::Cell<u64>,
    /// `-q`: no notices.
    quiet: bool,
}

impl Execution<'_> {
    /// Streams `input` through the runner into `report`.
    async fn execute(
        &self,
        targets: &Targets,
        input: Input,
        resumed: Option<&Resumed>,
        report: &mut Report,
    ) -> Result<(), AppError> {
        let batch = (targets.list.iter())
            .map(|t| t.provider.batch_size(self.action))
            .max()
            .unwrap_or(1);
        let (tx, rx) = mpsc::channel(self.concurrency.max(2));
        let mut reasons = HashMap::new();
        if let Input::Swept(picked) = &input {
            reasons.extend(picked.iter().cloned());
        }
        let reader = spawn_reader(input, batch, tx, resumed).await?;
        let plan = Plan {
            action: self.action,
            dry_run: self.run.dry_run.map(|d| match d {
                crate::cli::DryRun::Client => runner::DryRun::Client,
                crate::cli::DryRun::Server => runner::DryRun::Server,
            }),
            batches_in_flight: self.concurrency,
        };
        let mut events = Events {
            report,
            reasons,
            quiet: self.quiet,
            interrupt: self.interrupt,
        };
        let mut seq = self.seq.get();
        runner::run(targets, plan, rx, self.interrupt, &mut events, &mut seq).await;
        self.seq.set(seq);
        if self.interrupt.interrupted() {
            // The runner stopped reading; the reader may be blocked on a pipe held open.
            reader.abort();
            return Ok(());
        }
        reader.await.expect("the ID reader does not panic")?;
        Ok(())
    }
}

/// The runner's events, into the report, with each swept session's reason.
struct Events<'a> {
    report: &'a mut Report,
    reasons: HashMap<String, String>,
    /// `-q`: no notices.
    quiet: bool,
    interrupt: &'a Interrupt,
}

impl runner::Events for Events<'_> {
    fn attempt(&mut self, profile: &str, ids: &[String]) -> bool {
        self.report.attempt(profile, ids)
    }

    fn result(&mut self, mut r: SessionResult) {
        if let Some(reason) = self.reasons.remove(&r.id).filter(|r| !r.is_empty()) {
            r.reason = Some(reason);
        }
        self.report.result(r);
    }

    fn stopping(&mut self, in_flight: usize) {
        if self.quiet || in_flight == 0 {
            return;
        }
        let sessions = match in_flight {
            1 => "1 session".to_owned(),
            n => format!("{n} sessions"),
        };
        let (what, again) = match self.interrupt.signal() {
            Some(runner::Signal::Terminate) => ("terminated", "a second signal abandons them"),
            _ => ("interrupted", "Ctrl-C again to abandon them"),
        };
        self.report.notice(&format!(
            "sessionctl: {what}: finishing {sessions} in flight; {again}"
        ));
    }
}

/// Ends the run's report: the exit code from its results, made worse by problems outside
/// them (`worst`) or by a sink that could not be written.
fn finish(
    report: Report,
    interrupted: bool,
    run: &RunArgs,
    opts: &Options,
    worst: Exit,
) -> Result<Exit, AppError> {
    let exit = exit_for(report.summary(), interrupted, run, opts).max_code(worst);
    match report.finish(interrupted, exit as i32).problem {
        None => Ok(exit),
        Some(problem) => Err(AppError::Report(problem)),
    }
}

/// The per-profile run locks of a sweep or bulk run, taken in name order (so that two runs
/// waiting for each other's profiles cannot deadlock). None for a client dry run, which
/// sends nothing, or with `--no-lock`.
async fn lock(
    run: &RunArgs,
    ready: &[(Profile, Arc<dyn Provider>)],
) -> Result<Vec<RunLock>, AppError> {
    if run.no_lock || run.dry_run == Some(crate::cli::DryRun::Client) {
        return Ok(Vec::new());
    }
    let dir = crate::lock::default_dir().map_err(AppError::Lock)?;
    let mut names: Vec<&str> = ready.iter().map(|(p, _)| p.name.as_str()).collect();
    names.sort_unstable();
    let mut locks = Vec::with_capacity(names.len());
    for name in names {
        locks.push(
            RunLock::acquire(&dir, name, run.wait_lock)
                .await
                .map_err(|e| match e {
                    e @ crate::lock::LockError::Held { .. } => AppError::Locked(e),
                    e => AppError::Lock(e),
                })?,
        );
    }
    Ok(locks)
}

/// What a journal's start record says about this run.
fn job(
    action: Action,
    run: &RunArgs,
    selectors: &[crate::select::Term],
    ready: &[(Profile, Arc<dyn Provider>)],
) -> Job {
    Job {
        action: match action {
            Action::End => "end",
            Action::Delete => "delete",
        }
        .to_owned(),
        dry_run: run.dry_run.map(|d| match d {
            crate::cli::DryRun::Client => "client".to_owned(),
            crate::cli::DryRun::Server => "server".to_owned(),
        }),
        profiles: ready.iter().map(|(p, _)| p.name.clone()).collect(),
        selectors: selectors.iter().map(ToString::to_string).collect(),
    }
}

/// `--resume FILE`: what the journal says was done, if it is a journal of this same job.
fn load_resume(run: &RunArgs, this: &Job) -> Result<Option<Arc<Resume>>, AppError> {
    let Some(path) = &run.resume else {
        return Ok(None);
    };
    let resume = Resume::load(path).map_err(|e| usage(e.to_string()))?;
    if resume.job.as_ref() != Some(this) {
        return Err(usage(format!(
            "{} records another job ({}); resume runs the same command, profiles, --where and dry-run mode",
            path.display(),
            resume.job.as_ref().map_or_else(String::new, |j| format!(
                "{} on {}{}{}",
                j.action,
                j.profiles.join(", "),
                j.dry_run
                    .as_ref()
                    .map_or_else(String::new, |d| format!(", dry run {d}")),
                match j.selectors.as_slice() {
                    [] => String::new(),
                    terms => format!(", --where {}", terms.join(" --where ")),
                }
            ))
        )));
    }
    Ok(Some(Arc::new(resume)))
}

/// A resumed run's view of its input: sessions attempted without an outcome come first,
/// sessions with one are dropped.
#[derive(Clone)]
pub(super) struct Resumed {
    resume: Arc<Resume>,
    /// The run's one profile, for bare IDs.
    default: Option<String>,
    /// Profiles this part of the run sends to.
    names: Vec<String>,
}

impl Resumed {
    fn new(resume: Arc<Resume>, targets: &Targets) -> Resumed {
        Resumed {
            default: targets.default.map(|t| targets.list[t].name.clone()),
            names: targets.list.iter().map(|t| t.name.clone()).collect(),
            resume,
        }
    }

    /// The sessions to send again, routed to their profiles.
    fn first(&self) -> Vec<Item> {
        (self.resume.pending().iter())
            .filter(|(profile, _)| self.names.contains(profile))
            .map(|(profile, id)| Item::Routed {
                profile: profile.clone(),
                id: id.clone(),
            })
            .collect()
    }

    /// False for a session already done, or already sent again by [`Resumed::first`].
    fn keep(&self, item: &Item) -> bool {
        let (profile, id) = match item {
            Item::Id(id) => (self.default.as_deref(), id),
            Item::Routed { profile, id } => (Some(profile.as_str()), id),
            Item::Invalid { .. } => return true,
        };
        let Some(profile) = profile else { return true };
        !self.resume.is_done(profile, id)
            && !(self.resume.pending().iter()).any(|(p, i)| p == profile && i == id)
    }
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
    resumed: Option<&Resumed>,
) -> Result<Input, AppError> {
    let (tx, mut rx) = mpsc::channel(4);
    let reader = spawn_reader(input, 256, tx, resumed).await?;
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
