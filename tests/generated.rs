//! The checked-in completion scripts and man page must match the CLI definition.
//! Regenerate them with `UPDATE_GENERATED=1 cargo test --test generated`.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::{Generator, Shell};
use sessionctl::cli::Cli;

fn check(file: &str, fresh: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(file);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, fresh).unwrap();
        return;
    }
    let stored = std::fs::read(&path).unwrap_or_default();
    assert!(
        stored == fresh,
        "{} is stale: run `UPDATE_GENERATED=1 cargo test --test generated` and commit it",
        path.display()
    );
}

#[test]
fn completions_are_fresh() {
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let fresh = sessionctl::completion::script(shell);
        check(&shell.file_name("sessionctl"), fresh.as_bytes());
    }
}

#[test]
fn man_page_is_fresh() {
    let mut fresh = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut fresh)
        .unwrap();
    check("sessionctl.1", &fresh);
}

#[test]
fn the_completions_command_prints_the_same_script() {
    let out = assert_cmd::Command::cargo_bin("sessionctl")
        .unwrap()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stored =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/sessionctl.bash"))
            .unwrap();
    assert_eq!(out.stdout, stored);
}
