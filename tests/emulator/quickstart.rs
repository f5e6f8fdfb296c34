//! `cargo run --example quickstart`: sessionctl's main job, tried in one command with no
//! account anywhere. Starts the provider emulator with its demo data on 127.0.0.1 (a free
//! port), writes the config file `mock-server` prints for it, runs the cron recipe's sweep
//! through sessionctl's own code (the library the binary is a shell around), prints what the
//! run printed and exits with its exit code.

#[path = "mod.rs"]
mod emulator;

use std::process::ExitCode;

use clap::Parser;
use sessionctl::app;
use sessionctl::cli::Cli;

/// The README's cron line, without what only an unattended run needs (the journal, the
/// metrics file, `-q -o ndjson`): every profile, what it proves idle for 2 hours.
const SWEEP: &[&str] = &[
    "end-many",
    "--idle-for",
    "2h",
    "--all-profiles",
    "--limit",
    "200",
    "--max",
    "5000",
];

fn main() -> ExitCode {
    if let Err(e) = sessionctl::signals::install() {
        eprintln!("warning: Ctrl-C cannot be caught: {e}");
    }
    let emu = emulator::Emulator::start(emulator::Options {
        demo: true,
        // As `mock-server` does: a Zep v4 delete task takes half a second.
        task_delay: std::time::Duration::from_millis(500),
        ..emulator::Options::default()
    });
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return fail(format_args!("cannot make a temporary directory: {e}")),
    };
    let config = dir.path().join("config.toml");
    if let Err(e) = write_private(&config, &emulator::profiles::config_toml(emu.addr(), None)) {
        return fail(format_args!("cannot write {}: {e}", config.display()));
    }
    println!(
        "The provider emulator is serving demo data on {} ({}).\n\n$ sessionctl {}\n",
        emu.url(),
        emulator::profiles::served(),
        SWEEP.join(" ")
    );
    let args = ["sessionctl".as_ref(), "-c".as_ref(), config.as_os_str()]
        .into_iter()
        .chain(SWEEP.iter().map(|a| a.as_ref()));
    let cli = Cli::parse_from(args);
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(app::AppError::Runtime)
        .and_then(|rt| rt.block_on(app::command::run(cli)));
    let exit = match result {
        Ok(exit) => exit,
        Err(e) => {
            sessionctl::output::warn(format_args!("{}{e}", e.label()));
            e.exit()
        }
    };
    println!(
        "\nexit code {code}. Next: `cargo test` runs every test; `cargo run --example \
         mock-server` keeps the emulator running on localhost:3000 and prints this config \
         file, to try the README's examples on.",
        code = exit as u8
    );
    ExitCode::from(exit as u8)
}

/// Writes a file only its owner can read: sessionctl warns about keys in a file others can.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

fn fail(message: std::fmt::Arguments<'_>) -> ExitCode {
    eprintln!("quickstart: {message}");
    ExitCode::from(2)
}
