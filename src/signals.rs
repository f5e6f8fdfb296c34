//! Ctrl-C and SIGTERM for the whole process: caught from the first line of `main` on, so that
//! no moment of a run (reading the config, running `api_key_cmd`, a prompt, a listing) is left
//! to the default action, which would end it without a report.
//!
//! The handler only counts (an atomic store is all a signal handler may safely do). The async
//! side ([`crate::runner::Interrupt`]) and the blocking parts (`api_key_cmd`, the delete
//! prompt) read the count. At the very end the process dies of the first signal again
//! ([`reraise`]), as fd does: a shell loop or `make` around sessionctl then sees that its
//! child was interrupted (`$?` 130 for SIGINT, 143 for SIGTERM) and stops too.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

/// What stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C at a terminal.
    Interrupt,
    /// SIGTERM: `timeout`, systemd, Kubernetes.
    Terminate,
}

impl Signal {
    fn number(self) -> i32 {
        match self {
            Signal::Interrupt => libc::SIGINT,
            Signal::Terminate => libc::SIGTERM,
        }
    }

    /// The code a shell gives a process this signal killed (128 + its number), which is
    /// also the code the run records.
    pub fn exit_code(self) -> i32 {
        128 + self.number()
    }
}

/// Signals received so far.
static RECEIVED: AtomicUsize = AtomicUsize::new(0);
/// The first one's number (0: none yet).
static FIRST: AtomicI32 = AtomicI32::new(0);

/// Catches SIGINT and SIGTERM for the rest of the process. Call it before anything that can
/// take time; a second call adds nothing.
pub fn install() -> std::io::Result<()> {
    static ONCE: std::sync::OnceLock<Result<(), std::io::ErrorKind>> = std::sync::OnceLock::new();
    let installed = ONCE.get_or_init(|| {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            let record = move || {
                let _ = FIRST.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
                RECEIVED.fetch_add(1, Ordering::SeqCst);
            };
            // SAFETY: the action only touches atomics, which is async-signal-safe.
            unsafe { signal_hook_registry::register(signal, record) }.map_err(|e| e.kind())?;
        }
        Ok(())
    });
    installed.map_err(std::io::Error::from)
}

/// How many signals came so far: the first stops new work, the second abandons the rest.
pub fn received() -> usize {
    RECEIVED.load(Ordering::SeqCst)
}

/// The first signal, if one came.
pub fn first() -> Option<Signal> {
    match FIRST.load(Ordering::SeqCst) {
        libc::SIGINT => Some(Signal::Interrupt),
        libc::SIGTERM => Some(Signal::Terminate),
        _ => None,
    }
}

/// Ends the process by `signal`'s default action (after the report was written), so that
/// the caller sees it was killed by it; exits with its code should that not happen.
pub fn reraise(signal: Signal) -> ! {
    let number = signal.number();
    // SAFETY: restoring the default action and raising a signal on our own process.
    unsafe {
        libc::signal(number, libc::SIG_DFL);
        libc::raise(number);
    }
    std::process::exit(signal.exit_code())
}
