//! The shell completion scripts: clap_complete's, with `--profile` completing the names of
//! the profiles in the config file (`sessionctl config profiles`), where clap's static
//! scripts could only offer file names. `sessionctl completions SHELL` prints these, and
//! `completions/` holds them (checked by tests/generated.rs).
//!
//! Each patch must apply: should a clap_complete release write its scripts differently, the
//! tests fail here rather than the scripts quietly going back to file names.

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// What lists the profile names, from any shell: nothing on stderr, nothing if the config
/// file cannot be read.
const PROFILES: &str = "sessionctl config profiles 2>/dev/null";

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sessionctl", &mut script);
    let script = String::from_utf8(script).expect("clap_complete writes UTF-8");
    match shell {
        Shell::Bash => bash(&script),
        Shell::Zsh => zsh(&script),
        Shell::Fish => fish(&script),
        // Neither completes option values at all.
        _ => script,
    }
}

/// bash: the value after `-p`/`--profile` (a `case "${prev}"` branch) is a profile name.
fn bash(script: &str) -> String {
    let files = r#"COMPREPLY=($(compgen -f "${cur}"))"#;
    let names = format!(r#"COMPREPLY=($(compgen -W "$({PROFILES})" -- "${{cur}}"))"#);
    let mut out = Vec::new();
    let mut after_profile = false;
    let mut patched = 0;
    for line in script.lines() {
        if after_profile && line.trim() == files {
            out.push(line.replace(files, &names));
            patched += 1;
        } else {
            out.push(line.to_owned());
        }
        after_profile = matches!(line.trim(), "--profile)" | "-p)");
    }
    patched_all(
        script,
        "bash",
        patched,
        script.matches("--profile)").count() * 2,
    );
    out.join("\n") + "\n"
}

/// zsh: the `_arguments` specs of `-p` and `--profile` complete with the names.
fn zsh(script: &str) -> String {
    let files = ":NAME:_default'";
    let names = format!(r#":NAME:{{compadd -- ${{(f)"$({PROFILES})"}}}}'"#);
    let mut patched = 0;
    let out: Vec<String> = script
        .lines()
        .map(|line| {
            let profile = line.starts_with("'-p+[") || line.starts_with("'--profile=[");
            if profile && line.contains(files) {
                patched += 1;
                line.replace(files, &names)
            } else {
                line.to_owned()
            }
        })
        .collect();
    let specs = script.matches("'-p+[").count() + script.matches("'--profile=[").count();
    patched_all(script, "zsh", patched, specs);
    out.join("\n") + "\n"
}

/// fish: `-p`/`--profile` takes no file names but the names.
fn fish(script: &str) -> String {
    let mut patched = 0;
    let mut out: Vec<String> = script
        .lines()
        .map(|line| {
            if line.contains(" -s p -l profile ") && line.ends_with(" -r") {
                patched += 1;
                format!("{line} -f -a \"({PROFILES})\"")
            } else {
                line.to_owned()
            }
        })
        .collect();
    patched_all(
        script,
        "fish",
        patched,
        script.matches(" -l profile ").count(),
    );
    // Before the subcommand (`sessionctl -p NAME end …`) clap's conditions above fail (their
    // argparse sees `-p` without its value), so fish would offer files: this one sees it.
    out.push(format!(
        "complete -c sessionctl -n 'string match -qr -- \"^(-p|--profile)\\$\" (commandline -opc)[-1]' \
         -f -a \"({PROFILES})\" -d 'Profile'"
    ));
    out.join("\n") + "\n"
}

fn patched_all(script: &str, shell: &str, patched: usize, expected: usize) {
    assert!(
        patched > 0 && patched == expected,
        "the {shell} completion script is not shaped as expected: {patched} of {expected} \
         `--profile` completions patched ({} bytes)",
        script.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_with_value_completion_completes_profile_names() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let text = script(shell);
            assert!(text.contains(PROFILES), "{shell}");
        }
    }
}
