//! The checked-in completion scripts and man pages must match the CLI definition.
//! Regenerate them with `UPDATE_GENERATED=1 cargo test --test tests generated::`.

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
        "{} is stale: run `UPDATE_GENERATED=1 cargo test --test tests generated::` and commit it",
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
        let fresh = sessionctl::cli::completion::script(shell);
        check(&shell.file_name("sessionctl"), fresh.as_bytes());
    }
}

/// `sessionctl.1`, and a page for every subcommand it points to (`sessionctl-end.1`,
/// `sessionctl-config-show.1`, …). Any other `sessionctl*.1` in completions/ is stale.
#[test]
fn man_pages_are_fresh() {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![("sessionctl.1".to_owned(), main_page(&cmd))];
    subcommand_pages(&cmd, &mut pages);
    for (name, page) in &pages {
        check(name, page);
    }
    // Every page another one points to is shipped.
    for (name, page) in &pages {
        let text = String::from_utf8_lossy(page).replace("\\-", "-");
        for (at, _) in text.match_indices("(1)") {
            let start = text[..at]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .map_or(0, |i| i + 1);
            let pointed = format!("{}.1", &text[start..at]);
            assert!(
                pointed == "sessionctl.1" || pages.iter().any(|(p, _)| *p == pointed),
                "{name} points to {pointed}, which is not shipped"
            );
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".1") && !pages.iter().any(|(p, _)| *p == name) {
            if std::env::var_os("UPDATE_GENERATED").is_some() {
                std::fs::remove_file(dir.join(&name)).unwrap();
            } else {
                panic!(
                    "completions/{name} is no page of the CLI: run `UPDATE_GENERATED=1 cargo test --test generated`"
                );
            }
        }
    }
}

fn subcommand_pages(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let man = clap_mangen::Man::new(sub.clone());
        let mut page = Vec::new();
        man.render(&mut page).unwrap();
        pages.push((man.get_filename(), page));
        subcommand_pages(sub, pages);
    }
}

/// clap_mangen's sections, then EXIT STATUS, ENVIRONMENT, FILES and EXAMPLES from
/// `sessionctl::cli` (in place of its EXTRA section, which would repeat `--help`'s exit codes).
fn main_page(cmd: &clap::Command) -> Vec<u8> {
    use clap_mangen::roff::{Roff, bold, roman};
    let man = clap_mangen::Man::new(cmd.clone());
    let preamble = Roff::new().render();
    let mut page = String::new();
    let mut add = |render: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| {
        let mut part = Vec::new();
        render(&mut part).unwrap();
        let part = String::from_utf8(part).unwrap();
        let body = part.strip_prefix(&preamble).unwrap_or(&part).to_owned();
        if page.is_empty() {
            page.push_str(&preamble);
        }
        page.push_str(&body);
    };
    add(&|w| man.render_title(w));
    add(&|w| man.render_name_section(w));
    add(&|w| man.render_synopsis_section(w));
    add(&|w| man.render_description_section(w));
    add(&|w| man.render_options_section(w));
    add(&|w| man.render_subcommands_section(w));

    let mut roff = Roff::new();
    let list = |roff: &mut Roff, title: &str, items: &[(String, &str)]| {
        roff.control("SH", [title]);
        for (term, text) in items {
            roff.control("TP", []);
            roff.text([bold(term.as_str())]);
            roff.text([roman(*text)]);
        }
    };
    let codes: Vec<(String, &str)> = (sessionctl::cli::EXIT_CODES.iter())
        .map(|(code, meaning)| (code.to_string(), *meaning))
        .collect();
    list(&mut roff, "EXIT STATUS", &codes);
    let named = |items: &[(&str, &'static str)]| -> Vec<(String, &'static str)> {
        items.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    };
    list(
        &mut roff,
        "ENVIRONMENT",
        &named(sessionctl::cli::man::ENVIRONMENT),
    );
    list(&mut roff, "FILES", &named(sessionctl::cli::man::FILES));
    roff.control("SH", ["EXAMPLES"]);
    for (what, command) in sessionctl::cli::man::EXAMPLES {
        roff.text([roman(*what)]);
        roff.control("PP", []);
        roff.control("RS", ["4"]);
        roff.control("nf", []);
        roff.text([bold(*command)]);
        roff.control("fi", []);
        roff.control("RE", []);
        roff.control("PP", []);
    }
    roff.control("SH", ["SEE ALSO"]);
    let see: Vec<String> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| format!("sessionctl-{}(1)", s.get_name()))
        .collect();
    roff.text([roman(see.join(", "))]);
    add(&|w| roff.to_writer(w));
    add(&|w| man.render_version_section(w));
    page.into_bytes()
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

/// `--where`'s help names every field it takes: each a provider in the registry declares
/// (LangGraph's `status` among them), and those of every provider. The help is built from
/// the registry; a list typed by hand would miss the next provider's fields.
#[test]
fn where_help_names_every_field_the_registry_declares() {
    let mut cmd = Cli::command();
    cmd.build();
    let mut fields = sessionctl::provider::registry::registry().vocabulary();
    assert!(fields.contains(&"status"), "{fields:?}");
    fields.extend(["id", "thread", "metadata.KEY"]);
    let wheres: Vec<_> = (cmd.get_subcommands())
        .filter_map(|sub| {
            let arg = sub
                .get_arguments()
                .find(|a| a.get_long() == Some("where"))?;
            Some((sub.get_name(), arg.get_help()?.to_string()))
        })
        .collect();
    assert!(wheres.iter().any(|(sub, _)| *sub == "list"), "{wheres:?}");
    for (sub, help) in &wheres {
        for field in &fields {
            assert!(
                help.contains(&format!(" {field},")),
                "{sub}: `{field}`: {help}"
            );
        }
    }
}

/// `-o wide`'s help names every column it may add: each provider's own (LangGraph's
/// STATUS among them), as the registry declares them, and the times and metadata of every
/// provider. Built from the registry, like `--where`'s.
#[test]
fn wide_help_names_every_column_the_registry_declares() {
    let mut cmd = Cli::command();
    cmd.build();
    let list = cmd.find_subcommand("list").expect("a list subcommand");
    let output = (list.get_arguments())
        .find(|a| a.get_long() == Some("output"))
        .expect("-o on list");
    let wide = (output.get_possible_values().into_iter())
        .find(|v| v.get_name() == "wide")
        .and_then(|v| v.get_help().map(|h| h.to_string()))
        .expect("wide has a help");
    let mut headers: Vec<&str> = (sessionctl::provider::registry::registry().fields())
        .into_iter()
        .filter_map(|named| Some(named.column?.header))
        .collect();
    assert!(headers.contains(&"STATUS"), "{headers:?}");
    headers.extend(["CREATED", "LAST ACTIVITY", "METADATA"]);
    for header in headers {
        assert!(wide.contains(header), "`{header}`: {wide}");
    }
}
