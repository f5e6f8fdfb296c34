use std::io::Write;

use sessionctl::app::{self, AppError, Exit};
use sessionctl::cli::Cli;

fn main() {
    // First of all: a signal at any later moment is a report and exit 130/143, never the
    // default action's silent death.
    if let Err(e) = sessionctl::signals::install() {
        sessionctl::output::warn(format_args!(
            "warning: Ctrl-C and SIGTERM cannot be caught: {e}"
        ));
    }
    // A command line clap refuses is one line of error and one of hint, exit 2 (usage).
    let cli = Cli::parse_with_origins();
    init_logging(cli.verbose);
    let result = app::command::run_offline(&cli).unwrap_or_else(|| {
        // One thread is plenty: the work is waiting on the network, and it keeps CPU use
        // and start-up small. The runtime is only built for commands that need it.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(AppError::Runtime)
            .and_then(|rt| {
                let result = rt.block_on(app::command::run(cli));
                // Do not wait for a read of stdin that may never return.
                rt.shutdown_background();
                result
            })
    });
    let code = match result {
        Ok(exit) => exit,
        Err(e) => {
            sessionctl::output::warn(format_args!("{}{e}", e.label()));
            e.exit()
        }
    };
    let _ = std::io::stdout().flush();
    // Stopped by a signal: die of it, so that a shell loop around us stops as well.
    if matches!(code, Exit::Interrupted | Exit::Terminated)
        && let Some(signal) = sessionctl::signals::first()
    {
        sessionctl::signals::reraise(signal);
    }
    // Exit at once: a reader still blocked on an interactive stdin must not hold us up.
    std::process::exit(code as i32);
}

/// `-v` logs each request, `-vv` retries and timings, `-vvv` each reply's headers and the
/// start of its body, and the HTTP stack's connections. Request logs carry method, URL and
/// status only; credentials live in request headers, never logged.
fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 => "warn",
        1 => "sessionctl=info",
        2 => "sessionctl=debug",
        _ => "sessionctl=trace,reqwest=debug,hyper_util=debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(|| sessionctl::output::LogWriter)
        .with_ansi(false)
        .event_format(Warnings(
            tracing_subscriber::fmt::format().with_target(false),
        ))
        .init();
}

/// A warning (or error) event reads as every other warning does, `sessionctl: warning: …`,
/// whatever the verbosity; the log lines of `-v` keep their times and levels.
struct Warnings(tracing_subscriber::fmt::format::Format);

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Warnings
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        use tracing_subscriber::fmt::FormatFields as _;
        let label = match *event.metadata().level() {
            tracing::Level::ERROR => "error",
            tracing::Level::WARN => "warning",
            _ => return self.0.format_event(ctx, writer, event),
        };
        write!(writer, "sessionctl: {label}: ")?;
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
