//! Terminal behaviour: colour (and NO_COLOR), the terminal's width, and the progress bar.
//! The binary runs under `script(1)`, which gives it a pseudo-terminal of a set width.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::{Env, Fault, Options, Seed};

const T: &str = "2024-05-01T12:00:00.000Z";

/// Runs sessionctl with `args` on a 60-column pseudo-terminal; returns what it printed.
fn on_terminal(env: &Env, args: &str, no_color: bool) -> Option<String> {
    on_terminal_at(env, 60, args, no_color)
}

/// [`on_terminal`] on a terminal `cols` columns wide.
fn on_terminal_at(env: &Env, cols: u16, args: &str, no_color: bool) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "script(1) is needed for the terminal tests"
        );
        eprintln!("SKIPPED: script(1) is not installed");
        // A skipped test never sends what its faults or rate limit were set up for.
        env.emu.allow_unused_faults();
        return None;
    }
    let bin = assert_cmd::cargo::cargo_bin("sessionctl");
    let inner = format!(
        "stty cols {cols} rows 40; {} -c {} -p eliza {args}",
        bin.display(),
        env.config.display()
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &inner, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("TERM", "xterm-256color");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn seed(env: &Env, prefix: &str) -> String {
    let ids: Vec<String> = (0..3).map(|i| format!("{prefix}-{i}")).collect();
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, T)));
    ids.join(" ")
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let env = Env::new();
    let Some(coloured) = on_terminal(&env, &format!("-q end-many {}", seed(&env, "c")), false)
    else {
        return;
    };
    assert!(
        coloured.contains("\x1b["),
        "no colour on a terminal: {coloured:?}"
    );
    let plain = on_terminal(&env, &format!("-q end-many {}", seed(&env, "n")), true).unwrap();
    assert!(plain.contains("ended"), "{plain:?}");
    assert!(
        !plain.contains("\x1b["),
        "colour despite NO_COLOR: {plain:?}"
    );
}

#[test]
fn tables_fit_the_terminal_width() {
    let env = Env::new();
    let id = "a-rather-long-session-identifier-that-would-not-fit-in-sixty-columns-at-all";
    env.emu.seed(Seed::messaging(id, T));
    let Some(out) = on_terminal(&env, &format!("-q end {id}"), true) else {
        return;
    };
    assert!(out.contains("ended"), "{out:?}");
    // An ID wider than the terminal is never cut into a table's rows: the row is a record,
    // and only the line that holds the ID is wider than the terminal.
    let wider: Vec<&str> = (out.lines())
        .filter(|l| l.trim_end().chars().count() > 60)
        .collect();
    assert_eq!(wider, [format!("ID        {id}").as_str()], "{out}");
    // The same table piped (not a terminal) is not wrapped.
    let piped = env.cmd("eliza").args(["end", id]).output().unwrap();
    let text = String::from_utf8_lossy(&piped.stdout);
    assert!(text.lines().any(|l| l.contains(id)), "{text}");
}

/// Whether `word` is on one line of `out`, whole.
fn whole(out: &str, word: &str) -> bool {
    out.lines().any(|l| l.contains(word))
}

#[test]
fn at_40_and_80_columns_no_id_uuid_or_header_is_broken_and_detail_gives_way() {
    let env = Env::new();
    // Session IDs as elizaOS makes them (UUIDs), and a reply lost after the end went
    // through: its `already_ended` rests on a note the table shows.
    let ids = [
        "0b7e3c1a-52f4-4d1e-9a57-2f9c1b3e6d80",
        "5d1f0e2b-8c3a-4b7f-a1e6-9d2c4f8b7a31",
    ];
    env.emu.seed_many(ids.map(|id| Seed::messaging(id, T)));
    for cols in [40, 80] {
        let Some(list) = on_terminal_at(&env, cols, "list", true) else {
            return;
        };
        for word in ids
            .iter()
            .chain(&["ID", "USER/ROOM", "AGE", "ACTIVITY", "STATE"])
        {
            assert!(whole(&list, word), "{cols} columns: {word} broken:\n{list}");
        }
        assert!(!list.contains(".000"), "a time with its fraction:\n{list}");
    }
    let line = format!("-q end-many {} nope-{}", ids.join(" "), "x".repeat(30));
    let out = on_terminal_at(&env, 80, &line, true).unwrap();
    for word in ids
        .iter()
        .chain(&["OUTCOME", "ATTEMPTS", "DETAIL", "not_found"])
    {
        assert!(whole(&out, word), "{word} broken:\n{out}");
    }
    // 80 columns hold the whole columns: a table, with only DETAIL wrapped.
    assert!(out.contains("┆ OUTCOME"), "not a table:\n{out}");
    let widest = (out.lines()).map(|l| l.trim_end().chars().count()).max();
    assert!(widest <= Some(80), "{out}");
    // 40 columns do not: each result is a record.
    let out = on_terminal_at(
        &env,
        40,
        &format!("-q end-many nope-1 {}", "n".repeat(24)),
        true,
    )
    .unwrap();
    assert!(out.contains("OUTCOME   not_found"), "{out}");
}

#[test]
fn at_80_columns_detail_wraps_at_spaces_and_keeps_a_time_whole() {
    let env = Env::new();
    let id = "0b7e3c1a-52f4-4d1e-9a57-2f9c1b3e6d80";
    let message =
        "locked by another client at 2024-05-01T12:00:00Z; retry after 2024-05-01T12:05:00Z";
    let body = format!(r#"{{"error":{{"message":"{message}"}}}}"#);
    env.emu.fault(Fault::status(409).body(&body).path(id));
    let Some(out) = on_terminal_at(&env, 80, &format!("-q end {id}"), true) else {
        return;
    };
    // A table (the whole columns fit), its DETAIL wrapped between words: the times were cut
    // (`2024-05-` / `01T12:00:00Z;`) when DETAIL was squeezed to 18 columns to keep STATUS.
    assert!(out.contains("┆ DETAIL"), "not a table:\n{out}");
    for word in [
        id,
        "2024-05-01T12:00:00Z;",
        "2024-05-01T12:05:00Z",
        "another",
    ] {
        assert!(whole(&out, word), "{word} broken:\n{out}");
    }
    assert!(
        out.contains("(too narrow for ATTEMPTS, STATUS: see -o json)"),
        "{out}"
    );
    let widest = (out.lines()).map(|l| l.trim_end().chars().count()).max();
    assert!(widest <= Some(80), "{out}");
}

/// The last line `out` printed, and the one before it.
fn last_two_lines(out: &str) -> (&str, &str) {
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .expect("no output");
    (lines[end.saturating_sub(1)], lines[end])
}

#[test]
fn at_40_columns_a_blank_line_sets_the_summary_apart_from_the_last_record() {
    let env = Env::new();
    let ids = [
        "0b7e3c1a-52f4-4d1e-9a57-2f9c1b3e6d80",
        "5d1f0e2b-8c3a-4b7f-a1e6-9d2c4f8b7a31",
    ];
    env.emu.seed_many(ids.map(|id| Seed::messaging(id, T)));
    let Some(list) = on_terminal_at(&env, 40, "list", true) else {
        return;
    };
    assert!(list.contains("STATE      active"), "not records:\n{list}");
    // As between two records; the summary was printed right under the last one's STATE.
    assert_eq!(last_two_lines(&list), ("", "2 sessions"), "{list}");
    let line = format!("-q end-many {} nope-1", ids.join(" "));
    let out = on_terminal_at(&env, 40, &line, true).unwrap();
    assert!(
        out.contains("DETAIL    Session not found"),
        "not records:\n{out}"
    );
    assert_eq!(last_two_lines(&out), ("", "ended 2, not_found 1"), "{out}");
    // A table is set apart by its border (or the line under it saying what it left out),
    // as it was.
    let out = on_terminal_at(&env, 80, &format!("-q end-many {}", ids[0]), true).unwrap();
    let (before, summary) = last_two_lines(&out);
    assert_eq!(summary, "not_found 1", "{out}");
    assert!(
        before.starts_with('└') || before.starts_with("(too narrow"),
        "{out}"
    );
}

#[test]
fn progress_bar_on_a_terminal_only_without_quiet() {
    let env = Env::with(Options {
        latency: Duration::from_millis(300),
        ..Options::default()
    });
    let ids = seed(&env, "p");
    let Some(out) = on_terminal(&env, &format!("end-many --concurrency 1 {ids}"), true) else {
        return;
    };
    assert!(out.contains("sessions done"), "no progress bar: {out:?}");
    // The IDs are known up front: the bar counts towards them and says how long is left.
    assert!(out.contains(" of 3 sessions done"), "no total: {out:?}");
    assert!(out.contains(" left ["), "no time left: {out:?}");
    let ids = seed(&env, "q");
    let quiet = on_terminal(&env, &format!("-q end-many --concurrency 1 {ids}"), true).unwrap();
    assert!(
        !quiet.contains("sessions done"),
        "-q still draws a bar: {quiet:?}"
    );
    // Off a terminal there is never a bar.
    let ids = seed(&env, "r");
    let piped = env
        .cmd("eliza")
        .arg("end-many")
        .args(ids.split(' '))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("sessions done"));
}

#[test]
fn progress_bar_says_when_the_provider_holds_the_run_back() {
    let env = Env::new();
    // Two requests per 3 s: the third waits for the window's reset.
    env.emu
        .set_rate_limit(Some(common::emulator::RateLimit::fixed_window(
            2,
            Duration::from_secs(3),
        )));
    let ids = seed(&env, "h");
    let Some(out) = on_terminal(&env, &format!("end-many --concurrency 1 {ids}"), true) else {
        return;
    };
    assert!(
        out.contains("(rate limited by provider: 0 left, window resets in")
            || out.contains("(paced to the provider's rate limit: next request in"),
        "the bar does not say what holds the run back: {out:?}"
    );
    assert!(out.contains("ended 3"), "{out:?}");
}

/// Like [`on_terminal`], with `answer` typed at the terminal once the prompt is up; returns
/// the output and the exit code (a shell's: 130 for a death by SIGINT).
fn answering(env: &Env, args: &str, answer: &str) -> Option<(String, i32)> {
    answering_line(env, &format!("SESSIONCTL -p eliza {args}"), answer)
}

/// [`answering`] for a shell `line` run on the terminal, in which `SESSIONCTL` is the
/// binary with the test's config (so that its stdin may be a pipe, its terminal still
/// the one the answer is typed at). The requests the emulator had when the prompt came up
/// are returned too.
fn answering_line(env: &Env, line: &str, answer: &str) -> Option<(String, i32)> {
    answering_seen(env, line, answer).map(|(out, code, _)| (out, code))
}

fn answering_seen(
    env: &Env,
    line: &str,
    answer: &str,
) -> Option<(String, i32, Vec<common::Recorded>)> {
    typed_after(env, line, "[y/N]", answer)
}

/// Runs the shell `line` on a terminal ([`answering_line`]) and types `answer` once `cue` is
/// on it; returns the output, the exit code and the requests sent before `answer` was typed.
fn typed_after(
    env: &Env,
    line: &str,
    cue: &str,
    answer: &str,
) -> Option<(String, i32, Vec<common::Recorded>)> {
    use std::io::Read;
    let (mut child, finished) = on_a_terminal(env, line)?;
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    // Typed once the prompt is up (script forwards our stdin to the terminal).
    while !String::from_utf8_lossy(&seen).contains(cue) {
        match stdout.read(&mut buf).unwrap() {
            0 => break,
            n => seen.extend_from_slice(&buf[..n]),
        }
    }
    let at_prompt = env.emu.requests();
    let typed = std::io::Write::write_all(child.stdin.as_mut().unwrap(), answer.as_bytes());
    stdout.read_to_end(&mut seen).unwrap();
    let status = child.wait().unwrap();
    finished();
    let text = String::from_utf8_lossy(&seen).into_owned();
    assert!(
        typed.is_ok(),
        "the terminal closed before the answer: {text:?}"
    );
    Some((text, common::shell_code(&status), at_prompt))
}

/// Spawns the shell `line` on a terminal (see [`answering_line`]), with a watchdog that kills
/// it after 20 s; call the returned function once it has been waited for. `None` without
/// script(1).
fn on_a_terminal(env: &Env, line: &str) -> Option<(std::process::Child, impl FnOnce())> {
    Command::new("script").arg("--version").output().ok()?;
    let bin = assert_cmd::cargo::cargo_bin("sessionctl");
    let inner = line.replace(
        "SESSIONCTL",
        &format!("{} -c {}", bin.display(), env.config.display()),
    );
    let child = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env(common::ZEP_ENV, common::emulator::zep::ZEP_KEY)
        .env(common::SAMBA_ENV, common::emulator::samba::SAMBA_KEY)
        .env("NO_COLOR", "1")
        // A terminal as a person's is: with TERM unset (or `dumb`) no progress bar is drawn,
        // and what it does beside a prompt would go untested.
        .env("TERM", "xterm-256color")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A run that never ends fails the test rather than hangs it.
    let pid = child.id() as libc::pid_t;
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(20)).is_err() {
            // SAFETY: kill(2) on the script(1) this test spawned, which has not been reaped
            // (the test waits for it only after this thread was told it finished).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    Some((child, move || {
        let _ = done.send(());
        watchdog.join().unwrap();
    }))
}

/// Ctrl-C while a deleting sweep still lists (its list reply held back) stops the run
/// before the question is asked: it is never printed, nothing is deleted.
#[test]
fn ctrl_c_while_a_delete_sweep_lists_asks_nothing() {
    for (seed, line) in [
        (
            Seed::samba_ended_at("old-0", "2024-03-27 08:15:36", Some("2024-03-27 09:15:36")),
            "SESSIONCTL -p samba delete --ended-for 30d",
        ),
        (
            Seed::messaging("old-0", T),
            "SESSIONCTL -p eliza delete --idle-for 1m",
        ),
        (
            Seed::zep_session("old-0", T),
            "SESSIONCTL -p zep delete --idle-for 1m",
        ),
    ] {
        interrupted_while_listing(seed, line);
    }
}

fn interrupted_while_listing(seed: Seed, line: &str) {
    use std::io::Read;
    let env = Env::new();
    env.emu.seed(seed);
    env.emu
        .fault(Fault::delay(Duration::from_secs(10)).method("GET").times(1));
    let Some((mut child, finished)) = on_a_terminal(&env, line) else {
        return;
    };
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        stdout.read_to_end(&mut seen).unwrap();
        String::from_utf8_lossy(&seen).into_owned()
    });
    common::wait_until("the list request", Duration::from_secs(10), || {
        (env.emu.requests().iter()).any(|r| r.method == "GET")
    });
    // script forwards it to the terminal, whose line discipline sends SIGINT.
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"\x03").unwrap();
    let out = reader.join().unwrap();
    let status = child.wait().unwrap();
    finished();
    assert_eq!(common::shell_code(&status), 130, "{out:?}");
    assert!(
        !out.contains("Delete"),
        "asked after the interrupt: {out:?}"
    );
    assert!(
        !(env.emu.requests().iter()).any(|r| r.method == "DELETE"),
        "{out:?}"
    );
}

#[test]
fn delete_asks_on_a_terminal_and_only_yes_deletes() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("keep", T));
    let Some((out, code)) = answering(&env, "delete keep", "n\n") else {
        return;
    };
    assert!(
        out.contains("Delete 1 session on profile `eliza` (messaging)?"),
        "{out:?}"
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("sessionctl: nothing deleted (not confirmed)") && !out.contains("error"),
        "declining is not an error: {out:?}"
    );
    assert!(env.emu.messaging_exists("keep"), "deleted without a yes");
    assert!(env.emu.requests().is_empty());

    let (out, code) = answering(&env, "delete keep", "y\n").unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(!env.emu.messaging_exists("keep"));

    // An invalid ID is refused before anyone is asked.
    let out = on_terminal(&env, "delete ok ' '", true).unwrap();
    assert!(
        out.contains("empty session ID") && !out.contains("Delete"),
        "{out:?}"
    );
    // (A messaging delete reads the session list first and deletes the channel after.)
    let sessions_deleted = (env.emu.requests().iter())
        .filter(|r| r.method == "DELETE" && r.path.starts_with("/api/messaging/sessions/"))
        .count();
    assert_eq!(sessions_deleted, 1, "only the confirmed delete was sent");
}

/// The prompt names the provider as every other message does: with the API its profile
/// picks (Zep's APIs delete different things).
#[test]
fn the_prompt_names_the_provider_with_its_api() {
    let env = Env::new();
    env.emu.seed(Seed::zep_thread("t-1", T));
    let Some((out, code)) = answering_line(&env, "SESSIONCTL -p zep3 delete t-1", "n\n") else {
        return;
    };
    assert!(
        out.contains("Delete 1 session on profile `zep3` (zep (api_version 3))?"),
        "{out:?}"
    );
    assert!(
        out.contains("On zep (api_version 3), delete removes "),
        "{out:?}"
    );
    assert_eq!(code, 2, "{out}");
    assert!(env.emu.thread_exists("t-1"), "deleted without a yes");
}

#[test]
fn ctrl_c_at_the_delete_prompt_cancels_with_or_without_a_cap() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("keep", T));
    // `--max` reads the IDs ahead (with the signal handlers up) before it asks.
    for args in ["delete keep", "delete --max 5 keep"] {
        let Some((out, code)) = answering(&env, args, "\x03") else {
            return;
        };
        assert!(out.contains("Delete 1 session on"), "{args}: {out:?}");
        assert_eq!(code, 130, "{args}: {out:?}");
        assert!(
            out.contains("interrupted before anything was sent"),
            "{args}: {out:?}"
        );
    }
    assert!(env.emu.messaging_exists("keep"));
    assert!(env.emu.requests().is_empty());
}

#[test]
fn a_sweep_asks_after_listing_with_the_count_some_ids_and_what_delete_removes() {
    let env = Env::new();
    let ids: Vec<String> = (0..5).map(|i| format!("old-{i}")).collect();
    env.emu
        .seed_many((ids.iter()).map(|id| {
            Seed::samba_ended_at(id, "2024-03-27 08:15:36", Some("2024-03-27 09:15:36"))
        }));
    let line = "SESSIONCTL -p samba delete --ended-for 30d";
    let Some((out, code, at_prompt)) = answering_seen(&env, line, "n\n") else {
        return;
    };
    assert!(
        at_prompt.iter().any(|r| r.method == "GET"),
        "asked before listing: {at_prompt:?}"
    );
    assert!(
        out.contains(
            "Delete 5 sessions that ended more than 30 days ago on profile `samba` (digital-samba)?"
        ),
        "{out:?}"
    );
    assert!(out.contains("old-0, old-1, old-2, and 2 more"), "{out:?}");
    // The provider's own account of what goes (src/provider/digital_samba).
    assert!(
        out.contains(
            "On digital-samba, delete removes each session's recordings, chat, transcripts"
        ),
        "{out:?}"
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        !(env.emu.requests().iter()).any(|r| r.method == "DELETE"),
        "deleted without a yes"
    );
    let (out, code) = answering_line(&env, line, "y\n").unwrap();
    assert_eq!(code, 0, "{out}");
    let deleted = (env.emu.requests().iter())
        .filter(|r| r.method == "DELETE" && r.path.ends_with("/resources"))
        .count();
    assert_eq!(deleted, 5, "{out}");
}

#[test]
fn ids_piped_in_are_counted_and_the_answer_comes_from_the_terminal() {
    let env = Env::new();
    env.emu
        .seed_many(["p-1", "p-2"].map(|id| Seed::messaging(id, T)));
    let line = "printf 'p-1\\np-2\\n' | SESSIONCTL -p eliza delete -";
    let Some((out, code)) = answering_line(&env, line, "y\n") else {
        return;
    };
    assert!(
        out.contains("Delete 2 sessions read from stdin on profile `eliza` (messaging)?"),
        "{out:?}"
    );
    assert!(out.contains("p-1, p-2\r\n"), "{out:?}");
    assert_eq!(code, 0, "{out}");
    assert!(!env.emu.messaging_exists("p-1") && !env.emu.messaging_exists("p-2"));
}

#[test]
fn with_no_terminal_to_ask_on_a_delete_needs_yes_and_lists_nothing() {
    let env = Env::new();
    env.emu.seed(Seed::samba_ended_at(
        "kept",
        "2024-03-27 08:15:36",
        Some("2024-03-27 09:15:36"),
    ));
    // The harness runs the binary with no controlling terminal (common::detached).
    let out = env
        .cmd("samba")
        .args(["delete", "--ended-for", "30d"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("delete is irreversible: pass --yes (there is no terminal to ask on)"),
        "{err}"
    );
    assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
}

#[test]
fn ids_typed_at_the_terminal_are_asked_for_and_draw_no_bar() {
    let env = Env::new();
    env.emu
        .seed_many(["t-1", "t-2"].map(|id| Seed::messaging(id, T)));
    let cue = "one a line; Ctrl-D to end";
    // Ctrl-D at the start of a line ends the input.
    let Some((out, code, _)) = typed_after(
        &env,
        "SESSIONCTL -p eliza end-many -",
        cue,
        "t-1\nt-2\n\x04",
    ) else {
        return;
    };
    assert!(
        out.contains(
            "sessionctl: reading session IDs from the terminal, one a line; Ctrl-D to end"
        ),
        "{out:?}"
    );
    assert!(
        !out.contains("sessions done"),
        "a bar over what is typed: {out:?}"
    );
    assert_eq!(code, 0, "{out}");
    assert!(!env.emu.messaging_exists("t-1") && !env.emu.messaging_exists("t-2"));
}

/// A resumed sweep's prompt names what the run sends: the journal's session whose delete
/// failed (sent again), not the one it already deleted, although the listing shows both
/// (a Digital Samba session stays listed once its stored data is gone).
#[test]
fn a_resumed_sweep_asks_about_what_it_will_send_not_what_it_listed() {
    let env = Env::new();
    for id in ["done-a", "failed-b"] {
        env.emu.seed(Seed::samba_ended_at(
            id,
            "2024-03-27 08:15:36",
            Some("2024-03-27 09:15:36"),
        ));
    }
    // Every attempt of the first run fails for one session (retries = 4: five attempts).
    env.emu.fault(
        common::Fault::status(500)
            .method("DELETE")
            .path("/sessions/failed-b/resources")
            .times(5),
    );
    let journal = env.dir.path().join("sweep.journal");
    let j = journal.to_str().unwrap();
    let (doc, code) = env.json(
        "samba",
        &["delete", "--ended-for", "30d", "--yes", "--journal", j],
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(common::outcomes_once(&doc)["done-a"], "deleted", "{doc:#}");
    assert_eq!(common::outcomes_once(&doc)["failed-b"], "failed", "{doc:#}");
    let line = format!("SESSIONCTL -p samba delete --ended-for 30d --resume {j}");
    let Some((out, code)) = answering_line(&env, &line, "n\n") else {
        return;
    };
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("Delete 1 session that ended more than 30 days ago"),
        "{out:?}"
    );
    assert!(
        out.contains("failed-b") && !out.contains("done-a"),
        "{out:?}"
    );
}

/// `apply` of a sweep's delete plan asks before its re-checks, so its count is the plan's:
/// the question says so, and where the plan came from.
#[test]
fn apply_asks_with_the_plans_count_and_says_each_is_re_checked_first() {
    let env = Env::new();
    env.emu
        .seed_many(["old-0", "old-1"].map(|id| {
            Seed::samba_ended_at(id, "2024-03-27 08:15:36", Some("2024-03-27 09:15:36"))
        }));
    let plan = env.dir.path().join("retention.json");
    let made = common::run(
        env.cmd("samba")
            .args(["delete", "--ended-for", "30d", "--plan"])
            .arg(&plan),
    );
    assert_eq!(made.0, 0, "{}", made.2);
    let line = format!("SESSIONCTL -p samba apply {}", plan.display());
    let Some((out, code)) = answering_line(&env, &line, "n\n") else {
        return;
    };
    let asked = format!(
        "Delete 2 sessions that ended more than 30 days ago (planned in {}; each re-checked first) on profile `samba` (digital-samba)?",
        plan.display()
    );
    assert!(out.contains(&asked), "{asked} in {out:?}");
    assert_eq!(code, 2, "{out}");
    assert_eq!(env.emu.samba_resources_deleted("old-0"), Some(false));
}

/// A sweep's progress bar (drawn while it lists) leaves the screen while the delete prompt
/// waits: its redraws (a carriage return and a cleared line every tick) erased the
/// question, and its last frame sat in front of it. After a yes the run goes on and ends.
#[test]
fn the_progress_bar_leaves_a_sweeps_prompt_alone_until_it_is_answered() {
    let env = Env::with(Options {
        latency: Duration::from_millis(200),
        ..Options::default()
    });
    env.emu
        .seed_many((0..3).map(|i| Seed::messaging(&format!("s-{i}"), T)));
    let Some(()) = prompt_stays_until_yes(&env, "SESSIONCTL -p eliza delete --idle-for 1m") else {
        return;
    };
    assert!((0..3).all(|i| !env.emu.messaging_exists(&format!("s-{i}"))));
}

/// The same for `apply` of a saved delete plan, which asks as the sweep does.
#[test]
fn the_progress_bar_leaves_applys_prompt_alone_until_it_is_answered() {
    let env = Env::with(Options {
        latency: Duration::from_millis(200),
        ..Options::default()
    });
    env.emu
        .seed_many((0..3).map(|i| Seed::messaging(&format!("a-{i}"), T)));
    let plan = env.dir.path().join("plan.json");
    let (code, _, err) = common::run(
        env.cmd("eliza")
            .args(["delete", "--idle-for", "1m", "--plan"])
            .arg(&plan),
    );
    assert_eq!(code, 0, "{err}");
    let line = format!("SESSIONCTL -p eliza apply {}", plan.display());
    let Some(()) = prompt_stays_until_yes(&env, &line) else {
        return;
    };
    assert!((0..3).all(|i| !env.emu.messaging_exists(&format!("a-{i}"))));
}

/// Runs the delete `line` on a terminal; once its prompt is up, checks that the question
/// starts a line of its own and that nothing more is drawn for a while (the bar ticks every
/// 250 ms: a second sees several frames), then answers `y` and checks that the run ends 0.
/// `None` without script(1).
fn prompt_stays_until_yes(env: &Env, line: &str) -> Option<()> {
    use std::io::Read;
    use std::sync::{Arc, Mutex};
    let (mut child, finished) = on_a_terminal(env, line)?;
    let mut stdout = child.stdout.take().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reader = std::thread::spawn({
        let seen = seen.clone();
        move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        }
    });
    let text = || String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    let cue = "Delete them? [y/N] ";
    common::wait_until("the prompt", Duration::from_secs(10), || {
        text().contains(cue)
    });
    let at_prompt = text();
    let asked = at_prompt.find(cue).unwrap() + cue.len();
    // Output after the question, waited for (up to a second, longer than several ticks):
    // none may come before the answer.
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    while text().len() == asked && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let before_answer = text();
    assert_eq!(
        before_answer.len(),
        asked,
        "drawn over the waiting prompt: {:?}",
        &before_answer[asked..]
    );
    // The question's first line holds nothing before it but a cleared line.
    let start = at_prompt
        .find("Delete 3 sessions idle for more than 1 minute")
        .unwrap();
    let line_start = at_prompt[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let before = &at_prompt[line_start..start];
    assert!(
        before.is_empty() || before == "\x1b[2K",
        "the question does not start its line: {:?}",
        &at_prompt[line_start..]
    );
    assert!(
        !env.emu.requests().iter().any(|r| r.method == "DELETE"),
        "deleted before the answer"
    );
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"y\n").unwrap();
    let status = child.wait().unwrap();
    finished();
    reader.join().unwrap();
    let out = text();
    assert_eq!(common::shell_code(&status), 0, "{out:?}");
    assert!(out.contains("deleted 3"), "{out:?}");
    // The bar comes back once answered (the emulator's latency keeps the run long enough
    // to draw it), after the answer's line break, counting towards what is sent.
    assert!(
        out[asked..].contains("y\r\n") && out[asked..].contains(" of 3 sessions done"),
        "no progress after the answer: {:?}",
        &out[asked..]
    );
    Some(())
}
