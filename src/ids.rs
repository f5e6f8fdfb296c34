//! Session IDs as they come in: from arguments, a file, stdin or a server's list. Validated
//! here, before anything is sent, so that a hostile or mangled ID can never reach a URL:
//! [`SessionId`] is the only ID a provider is handed, and [`SessionId::new`] is the only
//! way to make one.

use std::borrow::Cow;
use std::collections::HashSet;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::sync::mpsc;

/// Set when the IDs are to be typed at the terminal (`-` with stdin a terminal).
static TYPED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Before reading IDs from stdin: when stdin is the terminal, says (unless `quiet`) that
/// IDs are read one a line until Ctrl-D, which a bare spinner never told anyone, and
/// keeps the progress bar off, whose redraws would garble what is typed.
pub fn read_from_stdin(quiet: bool) {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return;
    }
    TYPED.store(true, std::sync::atomic::Ordering::Relaxed);
    if !quiet {
        eprintln!("sessionctl: reading session IDs from the terminal, one a line; Ctrl-D to end");
    }
}

/// Whether the IDs are typed at the terminal ([`read_from_stdin`]).
pub fn typed() -> bool {
    TYPED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Longest ID accepted. Real IDs are UUIDs or short slugs; 1 KiB leaves room for any of
/// them while refusing pasted garbage.
const MAX_ID_BYTES: usize = 1024;

/// Why an ID was refused.
pub fn check(id: &str) -> Result<(), String> {
    if trim(id).is_empty() {
        return Err("empty session ID".into());
    }
    if let Some(c) = id.chars().find(|c| c.is_control()) {
        return Err(format!(
            "session ID contains control character U+{:04X}",
            c as u32
        ));
    }
    if id == "." || id == ".." {
        return Err(format!("`{id}` cannot be a session ID (it is a path step)"));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(format!(
            "session ID is {} bytes long (at most {MAX_ID_BYTES})",
            id.len()
        ));
    }
    Ok(())
}

/// Strips what surrounds an ID by accident: whitespace, and byte-order marks (which
/// `cat a.txt b.txt` leaves at the start of a line in the middle of the input).
fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// A session ID that passed [`check`]. Input lines and listed rows alike become one
/// through [`SessionId::new`], its only constructor, so an ID that could step out of its
/// path segment (`..`, `.`, empty) can never reach a provider, wherever it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionId {
    id: String,
    /// The provider's own handle for the session, where its list gave one beside the ID
    /// (a Zep v4 thread's UUID, checked as an ID too): a provider that addresses sessions
    /// by it uses it as it is, with no lookup.
    uuid: Option<Box<str>>,
}

impl SessionId {
    pub fn new(id: impl Into<String>) -> Result<SessionId, String> {
        let id = id.into();
        check(&id)?;
        Ok(SessionId { id, uuid: None })
    }

    /// This ID, addressed on its server by `uuid` (as the list that named it said).
    pub fn with_uuid(self, uuid: SessionId) -> SessionId {
        SessionId {
            uuid: Some(uuid.id.into_boxed_str()),
            ..self
        }
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The handle its list gave, if any (see [`SessionId::with_uuid`]).
    pub fn uuid(&self) -> Option<&str> {
        self.uuid.as_deref()
    }
}

impl std::ops::Deref for SessionId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.id
    }
}

impl From<SessionId> for String {
    fn from(id: SessionId) -> String {
        id.id
    }
}

impl From<&SessionId> for String {
    fn from(id: &SessionId) -> String {
        id.id.clone()
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

/// An ID given as an argument: trimmed like a line of a file, then checked.
pub fn from_arg(arg: &str) -> Result<SessionId, String> {
    SessionId::new(trim(arg)).map_err(|e| {
        format!(
            "{e}: `{}`",
            crate::terminal::shortened(&arg.escape_default().to_string())
        )
    })
}

/// One line of input, decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Id(SessionId),
    /// `profile<TAB>id`, as `list --all-profiles -o ids` prints: this ID belongs to that
    /// profile and is sent nowhere else.
    Routed {
        profile: String,
        id: SessionId,
    },
    /// A line that cannot be an ID: reported as `failed`, never sent.
    Invalid {
        id: String,
        why: String,
    },
}

/// Turns raw lines into items: strips a BOM and CR, skips blank lines and `#` comments.
/// Returns `None` for lines that are not IDs at all.
pub fn parse_line(raw: &[u8]) -> Option<Item> {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let text = match std::str::from_utf8(raw) {
        Ok(t) => trim(t),
        Err(_) => {
            return Some(Item::Invalid {
                id: trim(&String::from_utf8_lossy(raw))
                    .escape_default()
                    .to_string(),
                why: "session ID is not valid UTF-8".into(),
            });
        }
    };
    if text.is_empty() || text.starts_with('#') {
        return None;
    }
    let invalid = |why: String| Item::Invalid {
        id: text.escape_default().to_string(),
        why,
    };
    // An ID never holds a tab (control characters are refused), so a tab can only be
    // the profile separator.
    if let Some((profile, id)) = text.split_once('\t') {
        let (profile, id) = (trim(profile), trim(id));
        // (The line is trimmed, so the profile is never empty.)
        if profile.chars().any(char::is_control) {
            return Some(invalid(
                "a profile name cannot hold control characters".into(),
            ));
        }
        return Some(match SessionId::new(id) {
            Ok(id) => Item::Routed {
                profile: profile.to_owned(),
                id,
            },
            Err(why) => invalid(why),
        });
    }
    Some(match SessionId::new(text) {
        Ok(id) => Item::Id(id),
        Err(why) => invalid(why),
    })
}

/// How many different sessions `items` name: one result each (a repeated line is sent and
/// reported once).
pub fn distinct(items: &[Item]) -> usize {
    let keys: std::collections::HashSet<Cow<'_, str>> = items.iter().map(Item::key).collect();
    keys.len()
}

impl Item {
    /// What makes two lines the same session: the ID, and the profile it is routed to.
    pub fn key(&self) -> Cow<'_, str> {
        match self {
            Item::Id(id) => Cow::Borrowed(id.as_str()),
            Item::Invalid { id, .. } => Cow::Borrowed(id),
            Item::Routed { profile, id } => Cow::Owned(format!("{profile}\t{id}")),
        }
    }

    /// The ID to send, unless the line cannot be one.
    pub fn session_id(&self) -> Option<&str> {
        match self {
            Item::Id(id) | Item::Routed { id, .. } => Some(id.as_str()),
            Item::Invalid { .. } => None,
        }
    }
}

/// Skips IDs already seen, so each session is acted on (and reported) once.
///
/// It keeps a 64-bit fingerprint of each ID (SipHash with keys random per run), not the ID:
/// 8 bytes whatever the ID's length, so a million IDs cost ~19 MB instead of ~100 MB. The
/// fingerprints are spread over [`SHARDS`] sets that each grow on their own: one set that
/// doubles holds both tables for a moment (28 MB at a million IDs, for 19 MB of them),
/// while a shard that doubles adds 1/64 of that. Two
/// distinct IDs share a fingerprint with a chance of about n²/2⁶⁵ (3·10⁻⁸ for a million), and
/// no input can be crafted to collide; even then the later one would be taken for a
/// duplicate: not acted on, never acted on twice.
pub struct Dedup {
    /// Fingerprints are uniform hashes already: each set uses them as they are.
    seen: Vec<HashSet<u64, nohash_hasher::BuildNoHashHasher<u64>>>,
    key: std::hash::RandomState,
}

/// How many sets [`Dedup`] spreads its fingerprints over.
const SHARDS: usize = 64;

/// Which set a fingerprint goes to: bits 40 to 45, which a set's own table never reads (it
/// takes its bucket from the low bits and its tag from the top 7), so each set's
/// fingerprints stay as uniform to it as the whole.
fn shard(fingerprint: u64) -> usize {
    (fingerprint >> 40) as usize % SHARDS
}

impl Default for Dedup {
    fn default() -> Dedup {
        Dedup {
            seen: (0..SHARDS).map(|_| HashSet::default()).collect(),
            key: std::hash::RandomState::new(),
        }
    }
}

impl Dedup {
    pub fn first_time(&mut self, id: &str) -> bool {
        use std::hash::BuildHasher;
        let fingerprint = self.key.hash_one(id);
        self.seen[shard(fingerprint)].insert(fingerprint)
    }
}

/// Longest line read whole; longer ones are refused without being held in memory.
const LINE_LIMIT: u64 = MAX_ID_BYTES as u64 + 16;

async fn skip_rest_of_line(reader: &mut (impl AsyncBufRead + Unpin)) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// Streams IDs from `reader` in chunks of `chunk` items, deduplicated, into `tx`. Runs as
/// its own task so that reading never waits on the network and the runner never waits on
/// a half-read line; the channel's bound keeps memory flat however long the input.
///
/// A partial chunk goes out as soon as the reader's buffer is empty, i.e. when the next
/// read may have to wait: IDs trickling in from a pipe start work (and can be reported
/// `skipped`) at once instead of waiting for a full chunk.
pub async fn stream_lines<R: AsyncRead + Unpin>(
    mut reader: BufReader<R>,
    chunk: usize,
    home: Option<String>,
    tx: mpsc::Sender<Vec<Item>>,
) -> std::io::Result<()> {
    let (mut seen, mut seen_invalid) = (Dedup::default(), Dedup::default());
    let mut batch = Vec::with_capacity(chunk);
    let mut line = Vec::new();
    loop {
        line.clear();
        // A line is read up to a bound, so endless input without a newline cannot fill memory.
        if (&mut reader)
            .take(LINE_LIMIT)
            .read_until(b'\n', &mut line)
            .await?
            == 0
        {
            break;
        }
        let item = if line.len() as u64 == LINE_LIMIT && line.last() != Some(&b'\n') {
            skip_rest_of_line(&mut reader).await?;
            let start = String::from_utf8_lossy(&line[..40]).into_owned();
            Some(Item::Invalid {
                id: format!("{}…", start.escape_default()),
                why: format!("line longer than {MAX_ID_BYTES} bytes"),
            })
        } else {
            parse_line(&line)
        };
        // `home<TAB>id` in a run over `home` alone is that profile's bare ID, so that the
        // two spellings of one session are one session.
        let item = match item {
            Some(Item::Routed { profile, id }) if home.as_deref() == Some(&profile) => {
                Some(Item::Id(id))
            }
            other => other,
        };
        if let Some(item) = item {
            // Refused lines are reported once each, apart from the IDs they resemble.
            let seen = match item {
                Item::Invalid { .. } => &mut seen_invalid,
                _ => &mut seen,
            };
            if seen.first_time(&item.key()) {
                batch.push(item);
            }
        }
        if batch.len() == chunk || (!batch.is_empty() && reader.buffer().is_empty()) {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(chunk));
            if tx.send(full).await.is_err() {
                return Ok(()); // the runner has gone: nothing more to read for
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(s: &str) -> SessionId {
        SessionId::new(s).unwrap()
    }

    #[test]
    fn lines_are_cleaned() {
        assert_eq!(
            parse_line(b"\xEF\xBB\xBFabc\r\n"),
            Some(Item::Id(id("abc")))
        );
        assert_eq!(
            parse_line(b"\xEF\xBB\xBF\n"),
            None,
            "a BOM alone is a blank line"
        );
        assert_eq!(parse_line(b"  \r\n"), None);
        assert_eq!(parse_line(b"# note\n"), None);
        assert_eq!(parse_line(b"a b/c?d\n"), Some(Item::Id(id("a b/c?d"))));
        assert!(matches!(parse_line(b"a\0b\n"), Some(Item::Invalid { .. })));
        assert!(matches!(
            parse_line(b"\xff\xfe\n"),
            Some(Item::Invalid { .. })
        ));
        assert!(matches!(parse_line(b"..\n"), Some(Item::Invalid { .. })));
        assert_eq!(
            parse_line(b"prod\tabc\n"),
            Some(Item::Routed {
                profile: "prod".into(),
                id: id("abc")
            })
        );
        assert_eq!(
            parse_line(b"\tabc\n"),
            Some(Item::Id(id("abc"))),
            "only whitespace before"
        );
        assert!(matches!(
            parse_line(b"p\ta\tb\n"),
            Some(Item::Invalid { .. })
        ));
    }

    #[test]
    fn ids_are_checked() {
        assert!(check("").is_err());
        assert!(check("   ").is_err());
        assert!(check("a\tb").is_err());
        assert!(check("a\u{7f}").is_err());
        assert!(check(&"x".repeat(10 * 1024)).is_err());
        for ok in ["a/b", "%", "?", "#x", "ünï", "a b"] {
            assert!(check(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn each_id_is_seen_once_across_the_shards() {
        let mut dedup = Dedup::default();
        let ids: Vec<String> = (0..100_000).map(|n| format!("session-{n}")).collect();
        assert!(ids.iter().all(|id| dedup.first_time(id)));
        assert!(ids.iter().all(|id| !dedup.first_time(id)));
        // The shard is bits 40-45 alone: the bits a set's table reads (the low ones for its
        // bucket, the top 7 for its tag) do not choose it, so they stay uniform within it.
        let f: u64 = 0x0123_4567_89ab_cdef;
        let others = !(0x3f_u64 << 40);
        assert_eq!(shard(f), shard(f ^ others));
        assert_ne!(shard(f), shard(f ^ (1 << 40)));
        // Every shard holds its share: none empty, none more than twice the mean.
        let mean = ids.len() / SHARDS;
        for (n, set) in dedup.seen.iter().enumerate() {
            assert!(
                (1..=2 * mean).contains(&set.len()),
                "shard {n}: {}",
                set.len()
            );
        }
    }

    #[tokio::test]
    async fn streams_deduplicated_chunks() {
        let input: &[u8] = b"a\nb\na\n\nc\r\n#x\nd";
        let (tx, mut rx) = mpsc::channel(8);
        stream_lines(BufReader::new(input), 3, None, tx)
            .await
            .unwrap();
        let mut got = Vec::new();
        while let Some(chunk) = rx.recv().await {
            got.push(chunk.len());
        }
        assert_eq!(got, vec![3, 1]);
    }

    #[tokio::test]
    async fn an_endless_line_is_refused_without_being_held() {
        let mut input = vec![b'x'; 10 * 1024 * 1024];
        input.extend_from_slice(b"\nok\n");
        let (tx, mut rx) = mpsc::channel(8);
        stream_lines(BufReader::new(input.as_slice()), 10, None, tx)
            .await
            .unwrap();
        let chunk = rx.recv().await.unwrap();
        assert!(matches!(&chunk[0], Item::Invalid { why, .. } if why.contains("longer")));
        assert_eq!(chunk[1], Item::Id(id("ok")));
    }

    proptest! {
        /// Whatever the bytes, a line yields nothing, a valid ID, or a refusal; an
        /// accepted ID never carries a control character or surrounding space.
        #[test]
        fn any_line_is_handled(raw in proptest::collection::vec(any::<u8>(), 0..200)) {
            match parse_line(&raw) {
                Some(Item::Id(id)) => {
                    prop_assert!(check(&id).is_ok());
                    prop_assert_eq!(id.trim(), id.as_str());
                }
                Some(Item::Routed { profile, id }) => {
                    prop_assert!(check(&id).is_ok());
                    prop_assert!(!profile.is_empty() && !profile.contains('\t'));
                }
                Some(Item::Invalid { why, .. }) => prop_assert!(!why.is_empty()),
                None => {}
            }
        }
    }
}
