//! Rendering: tables for people, one JSON document or streamed NDJSON for scripts.
//!
//! Everything printed to stdout goes through here; stderr carries only the progress bar,
//! warnings and errors, so `-o json > file` always yields a clean document.

use std::io::{self, IsTerminal, Write};

use comfy_table::{Cell, Color};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde::Serialize;

use crate::client::pacer::Holds;
use crate::outcome::{Outcome, SessionResult, Summary};
use crate::provider::SessionRow;
use crate::report::{End, ProfileError, Sink};
use crate::stale::Listed;
use crate::table::{Fit, Grid};
// The commands print their warnings and escape what they show with these, as everything
// else on its way to a terminal does.
pub use crate::terminal::{LogWriter, escape, escaped, escaped_line, shortened, warn};
use crate::units::short_time;

/// How results are printed (the command line's `-o`, which maps onto this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Ndjson,
    Ids,
    /// The table plus the fields `--where` selects on (`list`).
    Wide,
}

/// Which profile a document is about (`None` when it sweeps every profile).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Header {
    pub profile: Option<String>,
    pub provider: Option<String>,
}

impl Header {
    pub fn of(profile: &crate::config::Profile) -> Header {
        Header {
            profile: Some(profile.name.clone()),
            provider: Some(profile.provider.name().to_owned()),
        }
    }
}

/// The results of a run on stdout, in the chosen format, in memory that does not grow with
/// the run: NDJSON line by line (each line a `type`d record: results, problems with a
/// profile, then the summary); the JSON document streamed too (its head, each result as it
/// comes, then its tail); a table at the end, of at most a screenful of rows beyond which
/// only the rows that did not succeed are kept.
pub struct ResultSink {
    format: Format,
    header: Header,
    run_id: String,
    /// Table rows.
    kept: Vec<SessionResult>,
    /// More rows came than a table shows: only rows that did not succeed are kept.
    truncated: bool,
    /// Table rows that succeeded and were let go once there were too many to show.
    hidden: usize,
    /// Rows that did not succeed beyond ten screens of them: counted only.
    hidden_problems: usize,
    /// How many rows a table shows in full.
    table_rows: usize,
    /// The JSON document's head is out; this many results follow it.
    json_results: Option<usize>,
    profile_errors: Vec<ProfileError>,
    /// NDJSON: how many of `profile_errors` are out.
    printed_errors: usize,
    failed: usize,
    progress: Option<ProgressBar>,
    /// Stdout's reader has gone (`| head`): stop printing, but finish the run.
    stdout_gone: bool,
}

impl ResultSink {
    /// `progress` asks for a bar, which also shows what holds the run back (a provider's
    /// rate limit) while nothing finishes. It only appears on a terminal and never with
    /// NDJSON (whose lines would interleave with it).
    pub fn new(
        format: Format,
        header: Header,
        progress: Option<Holds>,
        run_id: &str,
    ) -> ResultSink {
        let terminal = format != Format::Ndjson && io::stderr().is_terminal();
        let progress = (progress.filter(|_| terminal && !crate::ids::typed())).map(|holds| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let hold = move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                if let Some(why) = holds.describe(tokio::time::Instant::now()) {
                    let _ = write!(w, " ({why})");
                }
            };
            let done = |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&sessions_done(s.pos(), s.len()));
            };
            // Once the total is known and something is done: how long the rest should take.
            let eta = |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                // Rounded up: "about 0s left" would not be about anything.
                let left = s.eta().as_millis().div_ceil(1000) as u64;
                if s.len().is_some() && s.pos() > 0 && left > 0 {
                    let _ = write!(w, ", about {} left", crate::units::age(left));
                }
            };
            let rate = |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&per_second(s.per_sec()));
            };
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {done}, {rate}{eta} [{elapsed}] {msg}{hold}",
                )
                .expect("template is valid")
                .with_key("done", done)
                .with_key("eta", eta)
                .with_key("rate", rate)
                .with_key("hold", hold),
            );
            bar.enable_steady_tick(TICK);
            bar
        });
        // A screenful on a terminal; a page of a report elsewhere.
        let table_rows = terminal_size::terminal_size_of(io::stdout())
            .map_or(1000, |(_, h)| usize::from(h.0).max(20));
        ResultSink {
            format,
            header,
            run_id: run_id.to_owned(),
            kept: Vec::new(),
            truncated: false,
            hidden: 0,
            hidden_problems: 0,
            table_rows,
            json_results: None,
            profile_errors: Vec::new(),
            printed_errors: 0,
            failed: 0,
            progress,
            stdout_gone: false,
        }
    }
}

/// How often the bar redraws on its own: while a long wait lets nothing finish, so that
/// the countdown moves.
const TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// `1 session done`, `12 sessions done`; with the total known, `3 of 12 sessions done`.
fn sessions_done(n: u64, total: Option<u64>) -> String {
    match (n, total) {
        (n, Some(total)) => format!("{n} of {} done", crate::units::plural(total, "session")),
        (n, None) => format!("{} done", crate::units::plural(n, "session")),
    }
}

/// A rate as people read it: whole numbers from 10/s up (`379/s`), one decimal below
/// (`0.4/s`, what a rate-limited run does).
fn per_second(rate: f64) -> String {
    match rate {
        r if !r.is_finite() || r <= 0.0 => "0/s".to_owned(),
        r if r < 9.95 => format!("{r:.1}/s"),
        r => format!("{r:.0}/s"),
    }
}

/// Prints one NDJSON record, unless stdout's reader has gone (`gone` then says so).
fn print_line(gone: &mut bool, record: &impl Serialize) -> io::Result<()> {
    if *gone {
        return Ok(());
    }
    let line = serde_json::to_string(record).expect("records always serialize");
    print_text_to(gone, &line)
}

/// An NDJSON record: what it is, which run, then its fields.
#[derive(Serialize)]
struct Typed<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    run_id: &'a str,
    #[serde(flatten)]
    data: T,
}

impl ResultSink {
    /// The JSON document's head, once: `{"run_id":…, "profile":…, "provider":…, "results": [`.
    fn json_head(&mut self) -> io::Result<()> {
        if self.json_results.is_some() {
            return Ok(());
        }
        self.json_results = Some(0);
        #[derive(Serialize)]
        struct Head<'a> {
            run_id: &'a str,
            #[serde(flatten)]
            header: &'a Header,
        }
        let head = Head {
            run_id: &self.run_id,
            header: &self.header,
        };
        let head = serde_json::to_string(&head).expect("headers always serialize");
        let open = format!("{},\n\"results\": [", &head[..head.len() - 1]);
        write_to(&mut self.stdout_gone, &open)
    }

    /// NDJSON: the profile errors not printed yet.
    fn flush_profile_errors(&mut self) -> io::Result<()> {
        while let Some(error) = self.profile_errors.get(self.printed_errors) {
            self.printed_errors += 1;
            let record = Typed {
                kind: "profile_error",
                run_id: &self.run_id,
                data: error,
            };
            print_line(&mut self.stdout_gone, &record)?;
        }
        Ok(())
    }

    /// Keeps a table row, up to a screenful. Past that the rows that need a look stay (up
    /// to ten screens of them) and the others are only counted, so that neither memory nor
    /// the time per row grows with the run.
    fn keep_row(&mut self, result: &SessionResult) {
        if self.truncated {
            if succeeded(result.outcome) {
                self.hidden += 1;
            } else if self.kept.len() >= self.table_rows * 10 {
                self.hidden_problems += 1;
            } else {
                self.kept.push(result.clone());
            }
            return;
        }
        self.kept.push(result.clone());
        if self.kept.len() > self.table_rows {
            // Once: from here on successes are counted as they come.
            self.truncated = true;
            let before = self.kept.len();
            self.kept.retain(|r| !succeeded(r.outcome));
            self.hidden += before - self.kept.len();
        }
    }
}

/// Outcomes a table may leave out once it is too long: nothing to look at.
fn succeeded(o: Outcome) -> bool {
    matches!(
        o,
        Outcome::Ended
            | Outcome::AlreadyEnded
            | Outcome::Deleted
            | Outcome::WouldEnd
            | Outcome::WouldDelete
    )
}

impl Sink for ResultSink {
    fn result(&mut self, _profile: Option<&str>, result: &SessionResult) -> io::Result<()> {
        if let Some(bar) = &self.progress {
            bar.inc(1);
            if result.outcome == Outcome::Failed {
                self.failed += 1;
                bar.set_message(format!("{} failed", self.failed));
            }
        }
        match self.format {
            Format::Table | Format::Wide => {
                self.keep_row(result);
                Ok(())
            }
            Format::Json | Format::Ids => {
                self.json_head()?;
                let n = self.json_results.as_mut().expect("the head is out");
                let sep = if *n == 0 { "\n  " } else { ",\n  " };
                *n += 1;
                let line = serde_json::to_string(result).expect("results always serialize");
                write_to(&mut self.stdout_gone, &format!("{sep}{line}"))
            }
            Format::Ndjson => {
                self.flush_profile_errors()?;
                let record = Typed {
                    kind: "result",
                    run_id: &self.run_id,
                    data: result,
                };
                print_line(&mut self.stdout_gone, &record)
            }
        }
    }

    fn expect(&mut self, total: u64) {
        if let Some(bar) = &self.progress {
            bar.set_length(total);
        }
    }

    /// The prompt is asked on the same screen: the bar's redraws (a carriage return and a
    /// cleared line every tick) would erase the question, and its last frame would sit in
    /// front of it. So it stops ticking and clears its line first.
    fn asking(&mut self) {
        if let Some(bar) = &self.progress {
            bar.disable_steady_tick();
            bar.finish_and_clear();
        }
    }

    /// Back on the fresh line the answer left, counting from now: the time a person took
    /// to answer is not the run's, and would drag its rate and estimate down.
    fn answered(&mut self) {
        if let Some(bar) = &self.progress {
            bar.reset();
            bar.enable_steady_tick(TICK);
        }
    }

    fn notice(&mut self, text: &str) {
        match &self.progress {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    /// Kept; in NDJSON printed with the first result or the summary, so that a run refused
    /// before it sends anything (a cap) prints them before its summary, never a stream
    /// without its end.
    fn profile_error(&mut self, error: &ProfileError) -> io::Result<()> {
        self.profile_errors.push(error.clone());
        Ok(())
    }

    fn finish(mut self: Box<Self>, end: &End) -> io::Result<()> {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
        if end.refused && matches!(self.format, Format::Table | Format::Wide) {
            return Ok(());
        }
        match self.format {
            Format::Json | Format::Ids => self.json_head()?,
            Format::Ndjson => self.flush_profile_errors()?,
            Format::Table | Format::Wide => {}
        }
        // A table is printed at the end, so in input order (stable: what was reported before
        // anything was sent, such as a sweep's unjudgeable rows, keeps its place first). The
        // JSON document streams, as NDJSON does: completion order.
        self.kept.sort_by_key(|r| r.seq);
        #[derive(Serialize)]
        struct Tail<'a> {
            #[serde(skip_serializing_if = "<[ProfileError]>::is_empty")]
            profile_errors: &'a [ProfileError],
            summary: &'a Summary,
            interrupted: bool,
            exit_code: i32,
            duration_seconds: f64,
        }
        let tail = Tail {
            // NDJSON has printed each as a record of its own already.
            profile_errors: match self.format {
                Format::Ndjson => &[],
                _ => &self.profile_errors,
            },
            summary: end.summary,
            interrupted: end.interrupted,
            exit_code: end.exit_code,
            duration_seconds: end.duration.as_secs_f64(),
        };
        match self.format {
            Format::Ndjson => {
                let record = Typed {
                    kind: "summary",
                    run_id: &self.run_id,
                    data: &tail,
                };
                print_line(&mut self.stdout_gone, &record)
            }
            Format::Json | Format::Ids => {
                let tail = serde_json::to_string(&tail).expect("summaries always serialize");
                let close = match self.json_results {
                    Some(0) => "",
                    _ => "\n",
                };
                print_text_to(&mut self.stdout_gone, &format!("{close}],\n{}", &tail[1..]))
            }
            // (`-o wide` is refused for every command but `list`.)
            Format::Table | Format::Wide => {
                let mut s = results_table(&self.kept, self.header.profile.as_deref());
                if self.hidden > 0 {
                    s.push_str(&format!(
                        "{} sessions that succeeded are not shown (too many for a table; -o ndjson lists every one)\n",
                        self.hidden
                    ));
                }
                if self.hidden_problems > 0 {
                    s.push_str(&format!(
                        "{} more that did not succeed are not shown (-o ndjson lists every one)\n",
                        self.hidden_problems
                    ));
                }
                s.push_str(&end.summary.line());
                if end.interrupted {
                    s.push_str(" (interrupted)");
                }
                print_text_to(&mut self.stdout_gone, &s)
            }
        }
    }
}

/// Writes `text` (no line end) unless stdout's reader has gone.
fn write_to(gone: &mut bool, text: &str) -> io::Result<()> {
    if *gone {
        return Ok(());
    }
    match io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => Ok(()),
        Err(e) => {
            *gone = true;
            match e.kind() {
                io::ErrorKind::BrokenPipe => Ok(()),
                _ => Err(e),
            }
        }
    }
}

/// Prints `text` and a line end unless stdout's reader has gone.
fn print_text_to(gone: &mut bool, text: &str) -> io::Result<()> {
    write_to(gone, text)?;
    write_to(gone, "\n")
}

/// Prints a line. `Ok(false)` when the reader has gone (`| head`): not an error, but
/// nothing more will be read.
fn print_stdout(text: &str) -> io::Result<bool> {
    match writeln!(io::stdout().lock(), "{text}") {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

/// Prints one piece of text (and a newline) for commands that print no results; a closed
/// pipe is fine, any other failure is the command's.
pub fn print_text(text: &str) -> io::Result<()> {
    print_stdout(text).map(|_| ())
}

fn cell(text: &str) -> Cell {
    Cell::new(escape(text))
}

/// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
fn color() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn outcome_cell(o: Outcome, color: bool) -> Cell {
    let cell = Cell::new(o.as_str());
    if !color {
        return cell;
    }
    match o {
        Outcome::Ended | Outcome::Deleted | Outcome::AlreadyEnded => cell.fg(Color::Green),
        Outcome::Failed => cell.fg(Color::Red),
        Outcome::NotFound | Outcome::Skipped | Outcome::Accepted => cell.fg(Color::Yellow),
        Outcome::WouldEnd | Outcome::WouldDelete => cell.fg(Color::Cyan),
        Outcome::Protected => cell.fg(Color::Blue),
    }
}

/// The results table, ready for the lines below it (see [`Grid::render_above`]).
fn results_table(results: &[SessionResult], own: Option<&str>) -> String {
    use crate::table::Fit::{Drops, Whole, Wraps};
    let with_profile = results.iter().any(|r| r.profile.is_some());
    let mut header = vec![
        ("ID", Whole),
        ("OUTCOME", Whole),
        ("STATUS", Drops),
        ("ATTEMPTS", Drops),
        ("DETAIL", Wraps),
    ];
    if with_profile {
        header.insert(0, ("PROFILE", Whole));
    }
    let mut table = Grid::new(header);
    let color = color();
    for r in results {
        // Everything a result says beyond its outcome; `note` is what an `already_ended`
        // after a lost reply rests on.
        let detail = [&r.error, &r.reason, &r.task, &r.note]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("; ");
        let mut row = vec![
            cell(&r.id),
            outcome_cell(r.outcome, color),
            Cell::new(r.status.map(|s| s.to_string()).unwrap_or_default()),
            Cell::new(r.attempts),
            cell(&detail),
        ];
        if with_profile {
            // A one-profile run tags only the lines routed elsewhere: its own are its own.
            row.insert(0, cell(r.profile.as_deref().or(own).unwrap_or("")));
        }
        table.row(row);
    }
    table.render_above()
}

/// Prints a session list in any format, each session as it comes for `-o ids`, `ndjson`
/// and `json` (a listing of any size holds none of them); a table needs every row for its
/// column widths, so it keeps them until [`SessionPrinter::finish`].
pub struct SessionPrinter<'a> {
    format: Format,
    header: &'a Header,
    count: usize,
    left_out: usize,
    /// Stdout still takes lines (a closed pipe ends the listing, not as a failure).
    open: bool,
    table: Vec<Listed>,
    ages: Ages,
    /// NDJSON records' `run_id`, as a run's (a listing has no journal to share it with).
    run_id: String,
    failed: Option<io::Error>,
    /// JSON: the profiles that could not be used or listed, for the document's end.
    profile_errors: Vec<ProfileError>,
}

impl<'a> SessionPrinter<'a> {
    pub fn new(format: Format, header: &'a Header, ages: Ages) -> SessionPrinter<'a> {
        SessionPrinter {
            format,
            header,
            ages,
            run_id: uuid::Uuid::new_v4().to_string(),
            count: 0,
            left_out: 0,
            open: true,
            table: Vec::new(),
            failed: None,
            profile_errors: Vec::new(),
        }
    }

    /// Prints (or, for a table, keeps) one session; `false` once nothing more can be shown.
    pub fn print(&mut self, l: Listed) -> bool {
        let line = match self.format {
            // IDs feed `end-many -`: a session whose age could not be read, or whose ID
            // could never be sent, is left out (the caller says so) so that a pipe never
            // acts on it. Across profiles a line is `profile<TAB>id`, so that `end-many -`
            // sends each ID to its own profile (an ID can never hold a tab).
            Format::Ids if l.problem.is_some() || l.row.session_id().is_err() => {
                self.left_out += 1;
                return true;
            }
            Format::Ids => match &l.profile {
                Some(p) => format!("{p}\t{}", l.row.id),
                None => l.row.id.clone(),
            },
            // Typed like a run's records, so one reader takes both.
            Format::Ndjson => serde_json::to_string(&Typed {
                kind: "session",
                run_id: &self.run_id,
                data: &l,
            })
            .expect("rows always serialize"),
            Format::Json => {
                let row = serde_json::to_string_pretty(&l).expect("rows always serialize");
                let row = row.replace('\n', "\n    ");
                match self.count {
                    0 => format!("{}\n    {row}", self.json_head()),
                    _ => format!(",\n    {row}"),
                }
            }
            Format::Table | Format::Wide => {
                self.count += 1;
                self.table.push(l);
                return true;
            }
        };
        self.count += 1;
        let written = match self.format {
            Format::Json => write!(io::stdout().lock(), "{line}").map(|()| true),
            _ => print_stdout(&line),
        };
        match written {
            Ok(open) => self.open = open,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => self.open = false,
            Err(e) => {
                self.failed = Some(e);
                self.open = false;
            }
        }
        self.open
    }

    /// What a JSON document prints before its first session: the header's fields, then
    /// `"sessions": [` (as `serde_json::to_string_pretty` lays out the whole document).
    fn json_head(&self) -> String {
        let serde_json::Value::Object(fields) =
            serde_json::to_value(self.header).expect("headers always serialize")
        else {
            unreachable!("a header is an object")
        };
        let mut head = String::from("{");
        for (k, v) in fields {
            let (k, v) = (serde_json::Value::String(k), v);
            head.push_str(&format!("\n  {k}: {v},"));
        }
        head.push_str("\n  \"sessions\": [");
        head
    }

    /// A profile of an `--all-profiles` listing that could not be used or listed: NDJSON
    /// says so in the stream, as a run's `profile_error` record, and JSON in its
    /// `profile_errors` (stderr says it in every format).
    pub fn profile_error(&mut self, profile: &str, error: &str) {
        let error = ProfileError {
            profile: profile.to_owned(),
            error: error.to_owned(),
            at: crate::journal::now(),
        };
        if self.format == Format::Json {
            self.profile_errors.push(error);
            return;
        }
        if self.format != Format::Ndjson || !self.open {
            return;
        }
        let record = Typed {
            kind: "profile_error",
            run_id: &self.run_id,
            data: error,
        };
        let mut gone = false;
        if let Err(e) = print_line(&mut gone, &record) {
            self.failed = Some(e);
        }
        self.open = !gone && self.failed.is_none();
    }

    /// Ends the document (`exit_code`: what the listing exits with); returns how many
    /// sessions `-o ids` left out.
    pub fn finish(self, exit_code: i32) -> io::Result<usize> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match self.format {
            // The last line, as a run's: a reader knows the listing is whole.
            Format::Ndjson if self.open => {
                #[derive(Serialize)]
                struct Tail {
                    count: usize,
                    exit_code: i32,
                }
                let tail = Typed {
                    kind: "summary",
                    run_id: &self.run_id,
                    data: Tail {
                        count: self.count,
                        exit_code,
                    },
                };
                print_line(&mut false, &tail)?;
            }
            Format::Json if self.open => {
                let end = match self.count {
                    0 => format!("{}]", self.json_head()),
                    _ => "\n  ]".to_owned(),
                };
                // After the sessions, as a run's document has them: `profile_errors` only
                // when a profile could not be used or listed.
                let errors = match self.profile_errors.is_empty() {
                    true => String::new(),
                    false => {
                        let errors = serde_json::to_string_pretty(&self.profile_errors)
                            .expect("profile errors always serialize");
                        format!(",\n  \"profile_errors\": {}", errors.replace('\n', "\n  "))
                    }
                };
                print_stdout(&format!("{end}{errors},\n  \"count\": {}\n}}", self.count))?;
            }
            Format::Table | Format::Wide => {
                let table = sessions_table(&self.table, self.format == Format::Wide, self.ages);
                let sessions = crate::units::plural(self.count as u64, "session");
                print_stdout(&format!("{table}{sessions}"))?;
            }
            _ => {}
        }
        Ok(self.left_out)
    }
}

/// How a `-o wide` column reads its value from a row.
type Reads = Box<dyn Fn(&SessionRow) -> Option<String>>;

/// A `-o wide` column: its header, how it fits, and its value in a row.
struct WideColumn {
    header: &'static str,
    fit: Fit,
    value: Reads,
    /// It shows one of the provider's own fields as text (which USER/ROOM need not repeat).
    text: bool,
}

/// The columns `-o wide` adds, each shown when any row has a value for it: the times, the
/// providers' own fields (as they declare them, in registry order), the metadata.
fn wide_columns() -> Vec<WideColumn> {
    use crate::provider::fields::Shows;
    let engine = |header, fit, value: fn(&SessionRow) -> Option<String>| WideColumn {
        header,
        fit,
        value: Box::new(value),
        text: false,
    };
    let mut columns = vec![
        engine("CREATED", Fit::Whole, |r| {
            r.created.as_deref().map(short_time)
        }),
        engine("LAST ACTIVITY", Fit::Whole, |r| {
            r.activity.as_deref().map(short_time)
        }),
    ];
    let named = crate::provider::registry::registry().fields().into_iter();
    columns.extend(named.filter_map(|named| {
        let column = named.column?;
        let value = move |r: &SessionRow| {
            let v = r.fields.get(named.name)?;
            match column.shows {
                Shows::Text => v.as_str().map(str::to_owned),
                Shows::Time => v.as_str().map(short_time),
                Shows::Millis => Some(crate::units::age(v.as_u64()? / 1000)),
            }
        };
        Some(WideColumn {
            header: column.header,
            fit: Fit::Whole,
            value: Box::new(value),
            text: column.shows == Shows::Text,
        })
    }));
    columns.push(engine("METADATA", Fit::Wraps, |r| {
        let pairs = r.metadata()?.iter().map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        });
        Some(pairs.collect::<Vec<_>>().join(", ")).filter(|s| !s.is_empty())
    }));
    columns
}

/// The headers of the columns `-o wide` may add, in their order (its help lists them).
pub fn wide_headers() -> Vec<&'static str> {
    wide_columns().iter().map(|c| c.header).collect()
}

/// What a listing's table measures ages from.
#[derive(Debug, Clone, Copy)]
pub struct Ages {
    /// The run's one "now".
    pub now: jiff::Timestamp,
    /// The listing is a sweep's (`--idle-for`): each row's idle time is the sweep's own
    /// judgement (for Zep, its newest message), shown as IDLE. Otherwise it is the age of
    /// the list's activity field, shown as ACTIVITY, which a sweep may judge otherwise.
    pub judged: bool,
}

/// The listing's table, ready for the lines below it (see [`Grid::render_above`]).
fn sessions_table(listed: &[Listed], wide: bool, ages: Ages) -> String {
    use Fit::{Drops, Whole, Wraps};
    let with_profile = listed.iter().any(|l| l.profile.is_some());
    let with_uuid = listed.iter().any(|l| l.row.uuid.is_some());
    let with_people = listed.iter().any(|l| l.row.participants.is_some());
    // When a session ended, where the list says (what `--ended-for` measures).
    let with_ended = listed.iter().any(|l| l.row.ended.is_some());
    let extra: Vec<_> = (wide_columns().into_iter())
        .filter(|c| wide && listed.iter().any(|l| (c.value)(&l.row).is_some()))
        .collect();
    // Wide shows the user and the room in their own columns; USER/ROOM stays only for what
    // none of them holds (the user UUID of a Zep v4 thread).
    let with_owner = !wide
        || (listed.iter().map(|l| &l.row)).any(|r| {
            r.owner.is_some() && !(extra.iter()).any(|c| c.text && (c.value)(r) == r.owner)
        });
    let mut header = vec![("ID", Whole)];
    if with_uuid {
        header.push(("UUID", Whole));
    }
    if with_owner {
        header.push(("USER/ROOM", Drops));
    }
    header.push(("AGE", Drops));
    // A problem (why a session cannot be judged) is a sentence in the idle column. A list
    // with no activity field (Digital Samba's) has no such column.
    let with_idle = listed
        .iter()
        .any(|l| l.problem.is_some() || l.idle_secs.is_some());
    if with_idle {
        header.push((if ages.judged { "IDLE" } else { "ACTIVITY" }, Wraps));
    }
    header.push(("STATE", Whole));
    if with_ended {
        header.push(("ENDED", Whole));
    }
    if with_people {
        header.push(("LIVE PEOPLE", Whole));
    }
    header.extend(extra.iter().map(|c| (c.header, c.fit)));
    if with_profile {
        header.insert(0, ("PROFILE", Whole));
    }
    let mut table = Grid::new(header);
    for l in listed {
        let r = &l.row;
        let mut row = vec![cell(&r.id)];
        if with_uuid {
            row.push(cell(r.uuid.as_deref().unwrap_or("")));
        }
        if with_owner {
            row.push(cell(r.owner.as_deref().unwrap_or("")));
        }
        let age = (r.created.as_deref().and_then(crate::units::parse_time))
            .map(|c| crate::units::age(ages.now.duration_since(c).as_secs().max(0) as u64));
        let idle = match (&l.problem, l.idle_secs) {
            (Some(p), _) => p.clone(),
            (None, Some(s)) => crate::units::age(s),
            (None, None) => String::new(),
        };
        row.push(Cell::new(age.unwrap_or_default()));
        if with_idle {
            row.push(cell(&idle));
        }
        row.push(Cell::new(if r.active { "active" } else { "ended" }));
        if with_ended {
            row.push(cell(
                &r.ended.as_deref().map(short_time).unwrap_or_default(),
            ));
        }
        if with_people {
            row.push(Cell::new(
                r.participants.map(|p| p.to_string()).unwrap_or_default(),
            ));
        }
        row.extend(
            extra
                .iter()
                .map(|c| cell(&(c.value)(r).unwrap_or_default())),
        );
        if with_profile {
            row.insert(0, cell(l.profile.as_deref().unwrap_or("")));
        }
        table.row(row);
    }
    table.render_above()
}

/// Prints rows of `key: value` pairs as a table, or the same data as JSON.
pub fn print_records<T: Serialize>(
    format: Format,
    header: Vec<&str>,
    rows: &[T],
    cells: impl Fn(&T) -> Vec<String>,
) -> io::Result<()> {
    match format {
        Format::Table | Format::Wide => {
            // The last column is the free text (a status, a value); the others are names.
            let last = header.len().saturating_sub(1);
            let fit = |i| match i == last {
                true => Fit::Wraps,
                false => Fit::Whole,
            };
            let mut table = Grid::new(
                header
                    .into_iter()
                    .enumerate()
                    .map(|(i, h)| (h, fit(i)))
                    .collect(),
            );
            for r in rows {
                table.row(cells(r).iter().map(|c| cell(c)).collect());
            }
            print_stdout(&table.render())?;
        }
        Format::Ndjson | Format::Ids => {
            for r in rows {
                print_stdout(&serde_json::to_string(r).expect("records serialize"))?;
            }
        }
        Format::Json => {
            print_stdout(&serde_json::to_string_pretty(rows).expect("records serialize"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_bar_counts_in_words_and_rounds_its_rate() {
        assert_eq!(sessions_done(0, None), "0 sessions done");
        assert_eq!(sessions_done(1, None), "1 session done");
        assert_eq!(sessions_done(2, None), "2 sessions done");
        assert_eq!(sessions_done(3, Some(12)), "3 of 12 sessions done");
        assert_eq!(sessions_done(0, Some(1)), "0 of 1 session done");
        for (rate, want) in [
            (379.4333, "379/s"),
            (10.4, "10/s"),
            (9.96, "10/s"),
            (9.94, "9.9/s"),
            (0.4166, "0.4/s"),
            (0.0, "0/s"),
            (f64::NAN, "0/s"),
            (f64::INFINITY, "0/s"),
        ] {
            assert_eq!(per_second(rate), want, "{rate}");
        }
    }
}
