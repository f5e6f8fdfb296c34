//! What a run leaves behind: the report (stdout, journal, metrics file) and the job a
//! journal records, which a resume must match.

use std::collections::HashMap;
use std::sync::Arc;

use super::plan::{Input, RunPlan, Source, Sweep};
use super::{AppError, usage};
use crate::client::pacer::Holds;
use crate::config::Profile;
use crate::journal::{Job, Journal, Resume};
use crate::output::ResultSink;
use crate::provider::{Action, Provider};
use crate::report::{JournalSink, MetricsSink, Report};
use crate::runner::DryRun;

/// A run's report, gathered before the run goes ahead and started (its files opened) only
/// once the run is sure to: its output on stdout, and the journal and metrics file the
/// plan asks for.
pub(super) struct ReportPlan<'a> {
    pub(super) plan: &'a RunPlan,
    pub(super) header: crate::output::Header,
    pub(super) job: Job,
    pub(super) default: Option<String>,
    pub(super) providers: HashMap<String, &'static str>,
    pub(super) holds: Holds,
    pub(super) resume: Option<Arc<Resume>>,
}

impl ReportPlan<'_> {
    pub(super) fn start(self) -> Result<Report, AppError> {
        // Found now, as the journal's problems are, not after every session was acted on
        // (and before the journal's start record, which would then have no end).
        let plan = self.plan;
        if let Some(path) = &plan.metrics {
            crate::metrics::check(path).map_err(|e| usage(format!("cannot write {e}")))?;
        }
        let run_id = uuid::Uuid::new_v4().to_string();
        let progress = (!plan.quiet).then_some(self.holds);
        let stdout = ResultSink::new(plan.format, self.header, progress, &run_id);
        let mut report = Report::new(self.default, Box::new(stdout));
        if let Some(path) = &plan.journal {
            let earlier = self.resume.as_ref().map_or(&[][..], |r| r.runs.as_slice());
            let journal = Journal::open(path, &run_id, &self.job, earlier)
                .map_err(|e| usage(format!("cannot write journal {}: {e}", path.display())))?;
            report.add(
                format!("journal {}", path.display()),
                Box::new(JournalSink(journal)),
            );
        }
        if let Some(resume) = &self.resume {
            report.resending(resume.clone());
            if !plan.quiet {
                let (done, pending) = (resume.done_count(), resume.pending().len());
                crate::output::warn(format_args!(
                    "resuming: {} {} an outcome and {} not sent again; {} attempted without one {} sent again",
                    crate::units::plural(done as u64, "session"),
                    if done == 1 { "has" } else { "have" },
                    if done == 1 { "is" } else { "are" },
                    pending,
                    if pending == 1 { "is" } else { "are" },
                ));
            }
        }
        if let Some(path) = &plan.metrics {
            let what = format!("metrics file {}", path.display());
            let sink = MetricsSink::new(path.clone(), self.providers);
            report.add(what, Box::new(sink));
        }
        Ok(report)
    }
}

/// What a journal's start record says about this run.
pub(super) fn job(plan: &RunPlan, ready: &[(Profile, Arc<dyn Provider>)]) -> Job {
    let (selectors, input) = match &plan.source {
        Source::Ids(input) => (&[][..], input_of(input)),
        Source::Sweep(sweep) => (&sweep.selector.terms[..], sweep_of(sweep)),
    };
    Job {
        action: match plan.action {
            Action::End => "end",
            Action::Delete => "delete",
        }
        .to_owned(),
        dry_run: plan.dry_run.map(|d| match d {
            DryRun::Client => "client".to_owned(),
            DryRun::Server => "server".to_owned(),
            DryRun::Recheck => "recheck".to_owned(),
        }),
        profiles: ready.iter().map(|(p, _)| p.name.clone()).collect(),
        selectors: selectors.iter().map(ToString::to_string).collect(),
        input: Some(input),
    }
}

/// Where an ID-list run's sessions come from, as its journal records it: IDs given as
/// arguments by a fingerprint of them (FNV-1a, stable across builds), a file by its path.
fn input_of(input: &Input) -> String {
    match input {
        Input::Stdin => "stdin".to_owned(),
        Input::File(path) => format!("file {}", path.display()),
        Input::Items(items) => {
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            for item in items {
                for byte in item.key().bytes().chain([b'\n']) {
                    hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
                }
            }
            format!("{} ids #{hash:016x}", items.len())
        }
    }
}

/// A sweep's input, as its journal records it: what it selects by.
fn sweep_of(sweep: &Sweep) -> String {
    let mut s = "sweep".to_owned();
    let mut flag = |name: &str, d: Option<std::time::Duration>| {
        if let Some(d) = d {
            s.push_str(&format!(" --{name} {}", humantime::format_duration(d)));
        }
    };
    flag("idle-for", sweep.idle_for);
    flag("older-than", sweep.older_than);
    s
}

/// A job as a refusal names it: `end on eliza, from file ids.txt`.
fn job_of(job: &Job) -> String {
    let dry_run = (job.dry_run.as_ref()).map_or_else(String::new, |d| format!(", dry run {d}"));
    let selectors = match job.selectors.as_slice() {
        [] => String::new(),
        terms => format!(", --where {}", terms.join(" --where ")),
    };
    let input = (job.input.as_ref()).map_or_else(String::new, |i| format!(", from {i}"));
    format!(
        "{} on {}{dry_run}{selectors}{input}",
        job.action,
        job.profiles.join(", ")
    )
}

/// `--resume FILE`: what the journal says was done, if it is a journal of this same job.
pub(super) fn load_resume(run: &RunPlan, this: &Job) -> Result<Option<Arc<Resume>>, AppError> {
    let Some(path) = &run.resume else {
        return Ok(None);
    };
    let resume = Resume::load(path).map_err(|e| usage(e.to_string()))?;
    if resume.job.is_none() {
        // Its first record was torn: no request can have been sent.
        crate::output::warn(format_args!(
            "note: {} holds only a torn start record (its run stopped before sending anything): running as new",
            path.display()
        ));
        return Ok(Some(Arc::new(resume)));
    }
    if let Some(job) = resume.job.as_ref().filter(|j| !j.resumed_by(this)) {
        return Err(usage(format!(
            "{} records another job: {}; this run is {}. Resume runs the same command, profiles, --where, dry-run mode and input (the same IDs, file or sweep)",
            path.display(),
            job_of(job),
            job_of(this)
        )));
    }
    Ok(Some(Arc::new(resume)))
}

/// The report of a run that ended before its own began (a usage or config error, a lock held,
/// a signal): stdout's document with an empty summary and the exit code, and the metrics
/// file, so that a script and an alert see every run. No journal: there is no job to record.
pub(super) fn refused(
    format: crate::output::Format,
    metrics: Option<std::path::PathBuf>,
    header: crate::output::Header,
    error: &AppError,
) {
    use crate::output::Format;
    let run_id = uuid::Uuid::new_v4().to_string();
    // A table prints nothing for it; `-o ids` (refused here) is no document either.
    let format = match format {
        Format::Json | Format::Ndjson => format,
        _ => Format::Table,
    };
    let stdout = ResultSink::new(format, header, None, &run_id);
    let mut report = Report::new(None, Box::new(stdout));
    // A metrics file that cannot be written is said once: it is this error, or (a config
    // error found first) the next run's.
    if let Some(path) = metrics.filter(|p| crate::metrics::check(p).is_ok()) {
        let what = format!("metrics file {}", path.display());
        report.add(what, Box::new(MetricsSink::new(path, HashMap::new())));
    }
    let code = error.exit() as i32;
    if let Some(problem) = report.refuse(error.stopped(), code).problem {
        crate::output::warn(format_args!("error: {problem}"));
    }
}
