//! The delete prompt. It is asked on the terminal itself (`/dev/tty`), as ssh and sudo ask,
//! so that the IDs may come through a pipe while a person still answers; a process with no
//! terminal (cron, CI, `setsid`) has no one to ask, and `--yes` is then required. It is
//! asked once what would be deleted is known (listed, read): it says how many, a few of
//! them, and what delete removes on each provider, in that provider's words.
//!
//! This module knows nothing of runs or profiles: the command hands it the [`Part`]s.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};

use tokio_util::sync::CancellationToken;

/// How many IDs of each profile the prompt names (gh names what will go; a thousand IDs
/// would scroll the question away).
const SHOWN: usize = 3;

/// The controlling terminal, opened for the prompt before anything is listed or sent.
pub struct Terminal(File);

impl Terminal {
    /// `None` when the process has no controlling terminal (opening `/dev/tty` fails with
    /// ENXIO), whatever its stdin is.
    pub fn open() -> Option<Terminal> {
        let tty = File::options().read(true).write(true).open("/dev/tty");
        tty.ok().map(Terminal)
    }

    /// Asks `question` and reads the answer; only `y`/`yes` confirms. The read runs on a
    /// thread of its own, so that Ctrl-C (which does not end a blocking read) cancels the
    /// prompt: `Ok(None)` once `stop` is cancelled.
    pub async fn ask(
        self,
        question: &str,
        stop: &CancellationToken,
    ) -> std::io::Result<Option<bool>> {
        // Ctrl-C before the question (a sweep stopped while it listed, a read ahead cut
        // short): the run stops without asking what it will not do.
        if stop.is_cancelled() {
            return Ok(None);
        }
        let mut tty = self.0;
        write!(tty, "{question} [y/N] ")?;
        tty.flush()?;
        let read = tokio::task::spawn_blocking(move || {
            let mut answer = String::new();
            BufReader::new(&tty)
                .read_line(&mut answer)
                .map(|_| (answer, tty))
        });
        tokio::select! {
            read = read => {
                let (answer, mut tty) = read.expect("reading a line does not panic")?;
                // An end of input (Ctrl-D) leaves the cursor after the question.
                if !answer.ends_with('\n') {
                    let _ = writeln!(tty);
                }
                Ok(Some(matches!(answer.trim(), "y" | "Y" | "yes")))
            }
            _ = stop.cancelled() => {
                // The blocked read keeps its own handle; the line break goes to stderr,
                // where the interruption is reported.
                eprintln!();
                Ok(None)
            }
        }
    }
}

/// What one profile's share of a delete is.
pub struct Part<'a> {
    pub profile: &'a str,
    /// The provider as every other message names it (`ProviderConfig::label`: with the API
    /// its profile picks, so that two Zep APIs, which delete different things, read apart).
    pub provider: String,
    /// What delete removes there (`ProviderConfig::deletes`), e.g. "each session's recordings…".
    pub deletes: &'static str,
    /// Every ID to be deleted there, in the order they go (only a few are shown).
    pub ids: Vec<&'a str>,
}

/// The question: `what` is how the sessions were chosen ("idle for more than 2h"), if they
/// were chosen by a sweep. Every ID is escaped: it may come from a server.
pub fn question(what: Option<&str>, parts: &[Part]) -> String {
    let total: usize = parts.iter().map(|p| p.ids.len()).sum();
    let sessions = crate::units::plural(total as u64, "session");
    let chosen = what.map(|w| format!(" {w}")).unwrap_or_default();
    let acting: Vec<&Part> = parts.iter().filter(|p| !p.ids.is_empty()).collect();
    let scope = match acting.as_slice() {
        [one] => format!("profile `{}` ({})", one.profile, one.provider),
        many => format!("{} profiles", many.len()),
    };
    let mut text = format!("Delete {sessions}{chosen} on {scope}?\n");
    for part in &acting {
        let label = match acting.len() {
            1 => String::new(),
            _ => format!(
                "`{}` ({}, {}): ",
                part.profile,
                part.provider,
                part.ids.len()
            ),
        };
        text += &format!("  {label}{}\n", sample(&part.ids));
    }
    // Once per provider and API: two profiles of one provider delete the same things.
    let mut said: Vec<(&str, &str)> = Vec::new();
    for part in &acting {
        if !said.contains(&(part.provider.as_str(), part.deletes)) {
            said.push((&part.provider, part.deletes));
            text += &format!("  On {}, delete removes {}.\n", part.provider, part.deletes);
        }
    }
    text + "This cannot be undone. Delete them?"
}

/// The first few IDs, and how many more there are.
fn sample(ids: &[&str]) -> String {
    let shown: Vec<String> = (ids.iter().take(SHOWN))
        .map(|id| crate::terminal::escaped_line(id))
        .collect();
    match ids.len().saturating_sub(SHOWN) {
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part<'a>(profile: &'a str, provider: &str, ids: &[&'a str]) -> Part<'a> {
        Part {
            profile,
            provider: provider.to_owned(),
            deletes: "each session's recordings",
            ids: ids.to_vec(),
        }
    }

    #[test]
    fn one_profile_names_the_count_a_few_ids_and_what_goes() {
        let q = question(
            Some("idle for more than 1 day"),
            &[part("samba", "digital-samba", &["a", "b", "c", "d", "e"])],
        );
        assert_eq!(
            q,
            "Delete 5 sessions idle for more than 1 day on profile `samba` (digital-samba)?\n  \
             a, b, c, and 2 more\n  \
             On digital-samba, delete removes each session's recordings.\n\
             This cannot be undone. Delete them?"
        );
    }

    #[test]
    fn several_profiles_each_get_their_count_and_a_provider_is_explained_once() {
        let q = question(
            None,
            &[
                part("s1", "digital-samba", &["a"]),
                part("empty", "zep", &[]),
                part("s2", "digital-samba", &["b", "c"]),
            ],
        );
        assert!(q.starts_with("Delete 3 sessions on 2 profiles?\n"), "{q}");
        assert!(q.contains("`s1` (digital-samba, 1): a\n"), "{q}");
        assert!(q.contains("`s2` (digital-samba, 2): b, c\n"), "{q}");
        assert!(!q.contains("empty"), "{q}");
        assert_eq!(q.matches("delete removes").count(), 1, "{q}");
    }

    /// Two profiles of one provider on different APIs (each named by its label) are two
    /// accounts of what delete removes.
    #[test]
    fn two_apis_of_one_provider_are_named_apart() {
        let (v2, v3) = ("p (api one)", "p (api two)");
        let mut parts = vec![part("a", v2, &["x"]), part("b", v3, &["y"])];
        parts[1].deletes = "each thread";
        let q = question(None, &parts);
        assert!(q.contains("`a` (p (api one), 1): x\n"), "{q}");
        assert!(
            q.contains(&format!("On {v2}, delete removes each session's")),
            "{q}"
        );
        assert!(
            q.contains(&format!("On {v3}, delete removes each thread.")),
            "{q}"
        );
    }

    /// Interrupted before it is asked, the question is never written.
    #[tokio::test]
    async fn an_interrupt_before_the_question_asks_nothing() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let tty = Terminal(file.reopen().unwrap());
        let stop = CancellationToken::new();
        stop.cancel();
        assert!(tty.ask("Delete them?", &stop).await.unwrap().is_none());
        assert_eq!(std::fs::read_to_string(file.path()).unwrap(), "");
    }

    #[test]
    fn an_id_from_a_server_is_escaped() {
        let q = question(None, &[part("p", "zep", &["x\x1b[2Jy"])]);
        assert!(q.starts_with("Delete 1 session on"), "{q}");
        assert!(!q.contains('\x1b'), "{q:?}");
    }

    /// Every profile of the example config (one per provider, a declared one included);
    /// each Zep API's words are checked in its folder.
    #[test]
    fn every_provider_says_what_its_delete_removes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let config = crate::config::Config::parse(std::path::Path::new(path), &text).unwrap();
        for profile in config.profiles.values() {
            let deletes = profile.provider.deletes();
            assert!(deletes.starts_with("each "), "{}: {deletes}", profile.name);
        }
    }
}
