//! A per-server run lock, so that two cron-grade runs against one server (a sweep that
//! outlasts its interval, a bulk run started by hand during one) never work the same
//! sessions at once, whichever profiles they name it by: three profiles of one base URL are
//! one lock ([`server_key`]).
//!
//! The lock is the OS's file lock (`File::try_lock`: `flock` on Unix) on a file named after
//! the server. The kernel drops such a lock when the holder's last descriptor closes, which
//! includes the process dying however it dies (`kill -9`, OOM, a reboot), so a lock left by
//! a dead run is simply free: the next run takes it over and overwrites the dead run's
//! record. Nothing guesses from PIDs whether the holder still lives, which would be
//! wrong after PID reuse and impossible for a holder on another host.
//!
//! The file also carries a record of who holds it (PID, host, start time), for the message
//! that tells a second run who is in its way. That record is informational: only the OS lock
//! decides who holds the server.

use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// How often a run that may wait for the lock tries it again.
const POLL: Duration = Duration::from_millis(100);
/// A server key longer than this is cut (and hashed), to keep well under the 255 bytes
/// file systems allow in a name.
const MAX_NAME: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// `holder` is `None` while the holder is still writing its record, or if it never did.
    /// `server` is the [`server_key`]: the profile's base URL (which holds no secret).
    #[error("profile `{profile}`: its server {server} is locked by {}", by(.holder))]
    Held {
        profile: String,
        server: String,
        holder: Option<Holder>,
    },
    #[error("lock file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no runtime or cache directory on this system for lock files; set SESSIONCTL_LOCK_DIR")]
    NoDir,
}

/// Who holds a server's lock, as its holder recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    /// When the holder took the lock (RFC 3339).
    pub started: String,
}

fn by(holder: &Option<Holder>) -> String {
    match holder {
        Some(h) => format!("pid {} on {} since {}", h.pid, h.host, h.started),
        None => "an unknown holder".to_owned(),
    }
}

/// A server's lock, held until this is dropped.
///
/// Dropping unlocks the file and leaves it in place. Removing it would open a race: a run
/// that opened the file just before the removal would then lock the unlinked file, while the
/// next run creates and locks a new one under the same name, and both would think they hold
/// the profile.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
}

impl RunLock {
    /// Takes the lock on `server` (a [`server_key`]) in `dir` (created if missing), for a run
    /// on `profile` (named when it is held). With `wait`, a held lock is
    /// tried again every 100 ms until `wait` has passed (`--wait-lock`), sleeping on the tokio
    /// timer so that the runtime stays free; without it, a held lock fails at once.
    ///
    /// The file operations themselves are blocking, but they touch one small local file.
    pub async fn acquire(
        dir: &Path,
        server: &str,
        profile: &str,
        wait: Option<Duration>,
    ) -> Result<RunLock, LockError> {
        let path = dir.join(file_name(server));
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|source| LockError::Io {
            path: dir.to_owned(),
            source,
        })?;
        // Not truncated on open: the record belongs to whoever holds the lock.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let deadline = wait.map(|w| Instant::now() + w);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::Error(e)) => return Err(io(e)),
                Err(TryLockError::WouldBlock) => match deadline {
                    Some(d) if Instant::now() < d => {
                        tokio::time::sleep(POLL.min(d.saturating_duration_since(Instant::now())))
                            .await;
                    }
                    _ => {
                        return Err(LockError::Held {
                            profile: profile.to_owned(),
                            server: server.to_owned(),
                            holder: read_holder(&path),
                        });
                    }
                },
            }
        }
        write_holder(&file).map_err(io)?;
        Ok(RunLock { file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Closing the file releases it too, unless another descriptor shares it: a child
        // process being spawned at that moment holds a copy until its exec closes it.
        let _ = self.file.unlock();
    }
}

/// Where lock files live unless the caller names a directory: `SESSIONCTL_LOCK_DIR`, else
/// `sessionctl` in the user's runtime directory (`$XDG_RUNTIME_DIR`: per user, cleared at
/// logout and reboot, like the locks), else `sessionctl/locks` in the cache directory (macOS
/// and Windows have no runtime directory).
pub fn default_dir() -> Result<PathBuf, LockError> {
    dir_from(
        std::env::var_os("SESSIONCTL_LOCK_DIR"),
        dirs::runtime_dir(),
        dirs::cache_dir(),
    )
}

fn dir_from(
    env: Option<OsString>,
    runtime: Option<PathBuf>,
    cache: Option<PathBuf>,
) -> Result<PathBuf, LockError> {
    match (env.filter(|e| !e.is_empty()), runtime, cache) {
        (Some(env), _, _) => Ok(PathBuf::from(env)),
        (None, Some(runtime), _) => Ok(runtime.join("sessionctl")),
        (None, None, Some(cache)) => Ok(cache.join("sessionctl").join("locks")),
        (None, None, None) => Err(LockError::NoDir),
    }
}

/// What two runs must not work at once: one server, as its base URL says (scheme, host,
/// port and path, without a trailing `/`; never the URL's user or password), and the account
/// when its provider has one (Digital Samba's team: teams of one URL are separate accounts). Profile
/// names do not enter it: two profiles of one server, or a Zep v2 and a v3 profile of one
/// base URL, are one lock, and renaming a profile does not let two runs in.
pub fn server_key(base_url: &url::Url, account: Option<&str>) -> String {
    let mut key = format!(
        "{}{}",
        base_url.origin().ascii_serialization(),
        base_url.path().trim_end_matches('/')
    );
    if let Some(account) = account {
        key.push_str("#account=");
        key.push_str(account);
    }
    key
}

/// The lock file's name for a server key. A key of `[A-Za-z0-9_.-]` (and not too long) is
/// kept as it is; any other has the rest replaced with `_` and gets `@` and a hash of the
/// whole key, so that two servers never share a file: `a/b` and `a:b` differ by the hash,
/// and neither can meet a name kept as it is, which never has an `@`.
fn file_name(profile: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let mut name: String = profile
        .chars()
        .take(MAX_NAME)
        .map(|c| if safe(c) { c } else { '_' })
        .collect();
    if profile.is_empty() || profile.len() > MAX_NAME || !profile.chars().all(safe) {
        name.push_str(&format!("@{:016x}", fnv1a(profile.as_bytes())));
    }
    name.push_str(".lock");
    name
}

/// FNV-1a, 64 bits: a hash that, unlike std's, never changes between Rust releases, so two
/// builds of sessionctl find one profile's lock under the same name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The holder's record, or `None` if there is none yet or it is cut short: the holder
/// truncates the file before writing, so a reader can catch it empty or half written.
fn read_holder(path: &Path) -> Option<Holder> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(text.trim()).ok()
}

/// Replaces whatever record a previous holder left with ours, as one JSON line.
fn write_holder(mut file: &File) -> std::io::Result<()> {
    let holder = Holder {
        pid: std::process::id(),
        host: gethostname::gethostname().to_string_lossy().into_owned(),
        // Whole seconds: the record is for people.
        started: format!("{:.0}", jiff::Timestamp::now()),
    };
    let mut line = serde_json::to_string(&holder)?;
    line.push('\n');
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn acquire(dir: &Path, server: &str) -> Result<RunLock, LockError> {
        RunLock::acquire(dir, server, "p", None).await
    }

    #[tokio::test]
    async fn a_second_acquire_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let lock = acquire(dir.path(), "prod").await.unwrap();
        assert_eq!(lock.path(), dir.path().join("prod.lock"));
        // flock locks belong to an open file description, so a second open in the same
        // process conflicts just as another process would.
        match acquire(dir.path(), "prod").await {
            Err(LockError::Held {
                server,
                holder: Some(holder),
                ..
            }) => {
                assert_eq!(server, "prod");
                assert_eq!(holder.pid, std::process::id());
                assert_eq!(holder.host, gethostname::gethostname().to_string_lossy());
                let started: jiff::Timestamp = holder.started.parse().unwrap();
                assert!(jiff::Timestamp::now().duration_since(started).as_secs() < 60);
            }
            other => panic!("expected Held with a holder, got {other:?}"),
        }
        // Another server is another lock.
        acquire(dir.path(), "staging").await.unwrap();
    }

    #[test]
    fn held_says_who_holds_it() {
        let held = LockError::Held {
            profile: "prod".into(),
            server: "https://api.example.com/v2".into(),
            holder: Some(Holder {
                pid: 1234,
                host: "host-a".into(),
                started: "2026-11-30T00:00:00Z".into(),
            }),
        };
        assert_eq!(
            held.to_string(),
            "profile `prod`: its server https://api.example.com/v2 is locked by pid 1234 on host-a \
             since 2026-11-30T00:00:00Z"
        );
    }

    #[tokio::test]
    async fn dropping_releases() {
        let dir = tempfile::tempdir().unwrap();
        let lock = acquire(dir.path(), "prod").await.unwrap();
        drop(lock);
        let again = acquire(dir.path(), "prod").await.unwrap();
        // The file stays: removing it would let two runs lock two different files.
        assert!(again.path().exists());
    }

    #[tokio::test]
    async fn a_waiting_run_gets_the_lock_once_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let lock = acquire(dir.path(), "prod").await.unwrap();
        let start = Instant::now();
        // The holder lets go on the same single-threaded runtime: the waiter must sleep on
        // the timer, not block the thread, for this to finish at all.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(lock);
        });
        let waited = RunLock::acquire(dir.path(), "prod", "p", Some(Duration::from_secs(10)))
            .await
            .unwrap();
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
        let holder = read_holder(waited.path()).unwrap();
        assert_eq!(holder.pid, std::process::id());
    }

    #[tokio::test]
    async fn a_wait_that_runs_out_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _lock = acquire(dir.path(), "prod").await.unwrap();
        let start = Instant::now();
        let held =
            RunLock::acquire(dir.path(), "prod", "p", Some(Duration::from_millis(250))).await;
        assert!(matches!(held, Err(LockError::Held { .. })), "{held:?}");
        assert!(start.elapsed() >= Duration::from_millis(250));
    }

    #[tokio::test]
    async fn a_dead_holders_record_is_taken_over() {
        // What a run killed while holding the lock leaves behind: its record, and no lock
        // (the kernel dropped it with the process).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prod.lock");
        let stale = r#"{"pid":4000000,"host":"gone-host-with-a-long-name","started":"2000-01-01T00:00:00Z"}"#;
        std::fs::write(&path, format!("{stale}\n{stale}\n")).unwrap();
        let lock = acquire(dir.path(), "prod").await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // Exactly our line: nothing of the longer stale record is left behind it.
        assert_eq!(text.lines().count(), 1, "{text:?}");
        let holder: Holder = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(holder.pid, std::process::id());
        assert_ne!(holder.host, "gone-host-with-a-long-name");
        drop(lock);
    }

    #[tokio::test]
    async fn a_half_written_record_shows_an_unknown_holder() {
        let dir = tempfile::tempdir().unwrap();
        let lock = acquire(dir.path(), "prod").await.unwrap();
        for partial in ["", r#"{"pid":12"#] {
            std::fs::write(lock.path(), partial).unwrap();
            match acquire(dir.path(), "prod").await {
                Err(e @ LockError::Held { holder: None, .. }) => {
                    assert_eq!(
                        e.to_string(),
                        "profile `p`: its server prod is locked by an unknown holder"
                    );
                }
                other => panic!("expected Held without a holder, got {other:?}"),
            }
        }
    }

    #[test]
    fn profile_names_become_safe_distinct_file_names() {
        assert_eq!(file_name("prod"), "prod.lock");
        assert_eq!(file_name("eu-west_2.v4"), "eu-west_2.v4.lock");
        for unsafe_name in ["a/b", "a:b", "../etc/passwd", "ünï", "a b", ""] {
            let name = file_name(unsafe_name);
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-@".contains(c)),
                "{name}"
            );
            assert!(name.contains('@'), "{name}");
        }
        assert!(file_name("a/b").starts_with("a_b@"));
        assert_ne!(file_name("a/b"), file_name("a:b"));
        // A replaced name never meets a name kept as it is.
        assert_ne!(file_name("a/b"), file_name("a_b"));
        let long = "x".repeat(300);
        let name = file_name(&long);
        assert!(name.len() < 100, "{name}");
        assert_ne!(name, file_name(&"x".repeat(301)));
        // Stable across builds: the same profile finds the same file.
        assert_eq!(file_name("a/b"), format!("a_b@{:016x}.lock", fnv1a(b"a/b")));
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn a_server_is_its_base_url_and_team_never_its_credentials() {
        let key = |u: &str, team| server_key(&url::Url::parse(u).unwrap(), team);
        assert_eq!(
            key("https://api.getzep.com/api/v2/", None),
            "https://api.getzep.com/api/v2"
        );
        // One server however a profile spells it; the default port is no other server.
        assert_eq!(
            key("HTTPS://API.getzep.com:443/api/v2", None),
            key("https://api.getzep.com/api/v2", None)
        );
        assert_ne!(
            key("http://127.0.0.1:3000", None),
            key("http://127.0.0.1:3001", None)
        );
        assert_ne!(key("https://x/api/v2", None), key("https://x/api/v4", None));
        assert_eq!(
            key("https://u:secret@x/api", Some("t-1")),
            "https://x/api#account=t-1"
        );
        assert_ne!(
            key("https://x/api", Some("a")),
            key("https://x/api", Some("b"))
        );
    }

    #[test]
    fn the_default_directory() {
        let runtime = Some(PathBuf::from("/run/user/1000"));
        let cache = Some(PathBuf::from("/home/u/.cache"));
        assert_eq!(
            dir_from(Some("/tmp/locks".into()), runtime.clone(), cache.clone()).unwrap(),
            Path::new("/tmp/locks")
        );
        assert_eq!(
            dir_from(Some("".into()), runtime.clone(), cache.clone()).unwrap(),
            Path::new("/run/user/1000/sessionctl")
        );
        assert_eq!(
            dir_from(None, None, cache).unwrap(),
            Path::new("/home/u/.cache/sessionctl/locks")
        );
        assert!(matches!(dir_from(None, None, None), Err(LockError::NoDir)));
    }
}
