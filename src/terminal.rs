//! Text on its way to a terminal: escaped (IDs and messages come from servers and input
//! files), shortened, and the warnings and logs on stderr. Below every other module, so
//! that the configuration, the ID parser and the listing can say what they found without
//! depending on `output`, which renders their results.

use std::io::{self, Write};

/// `text` with control characters escaped (`\u{1b}`), line ends too, and the invisible
/// characters that reorder or hide text (bidi overrides and isolates, zero-width spaces and
/// joiners): IDs and messages come from servers and input files, and must neither drive the
/// terminal nor make one ID look like another. Everything such text meets on its way to a
/// terminal (table cells, warnings, errors, logs) goes through here.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(unsafe_on_a_terminal) {
        return text.into();
    }
    escape_but(text, |_| false).into()
}

/// Control characters, and the format characters that change how the text around them
/// reads (as fd's `sanitize` and rustc's lint for "trojan source" list them).
fn unsafe_on_a_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Lines of text with every control character but the line ends escaped.
pub fn escaped(text: &str) -> String {
    escape_but(text, |c| c == '\n')
}

/// One line of text with every control character escaped, line ends too.
pub fn escaped_line(text: &str) -> String {
    escape(text).into_owned()
}

fn escape_but(text: &str, keep: impl Fn(char) -> bool) -> String {
    text.chars()
        .map(|c| match unsafe_on_a_terminal(c) && !keep(c) {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// What an error line shows of a value that may be huge (a pasted 10 KiB "ID"): its first
/// 80 characters, then how long it was.
pub fn shortened(text: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN: usize = 80;
    match text.char_indices().nth(SHOWN) {
        None => text.into(),
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()).into(),
    }
}

/// What an error line shows of a path: all of it up to 1,024 characters (a deep temporary
/// directory is well over 80, and the file name at its end is what the reader needs); a
/// longer value (most likely pasted text, not a path) keeps its start and its end, then how
/// long it was.
pub fn shortened_path(text: &str) -> std::borrow::Cow<'_, str> {
    const WHOLE: usize = 1024;
    const EACH_END: usize = 80;
    let chars = text.chars().count();
    if chars <= WHOLE {
        return text.into();
    }
    let start: String = text.chars().take(EACH_END).collect();
    let end: String = text.chars().skip(chars - EACH_END).collect();
    format!("{start}…{end} ({} bytes)", text.len()).into()
}

/// One line on stderr, `sessionctl: ` and `message` with its control characters escaped.
pub fn warn(message: impl std::fmt::Display) {
    eprintln!("sessionctl: {}", escape(&message.to_string()));
}

/// Stderr for the logs (`-v`): each line's control characters escaped, the line end kept.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let mut err = io::stderr().lock();
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                err.write_all(b"\n")?;
            }
            err.write_all(escape(line).as_bytes())?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
