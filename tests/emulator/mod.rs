//! The provider emulator: one stateful fake HTTP server on loopback that speaks the wire
//! contracts of `shared/providers.md` and the room APIs the shipped declared descriptions
//! (`src/provider/declared/examples/`) speak (the list is `apis!` below), rough edges included, so
//! sessionctl can be tried offline and tested end to end.
//!
//! Layout (each module has one job):
//! - [`api`]: what one emulated API is to the rest (its prefix, auth, routes, reply
//!   conventions, 429, kinds of seed, demo data, banner line and profiles); `apis!` below
//!   lists the APIs, one line each, and each API's module (named there) implements it once,
//!   with its own tables, seed structs and `impl Emulator` accessors.
//! - [`seed`]: the open `Seed` type every API's records are put in with, and its JSON.
//! - [`model`]: the public fault, rate-limit and request-log types, with builders.
//! - [`state`]: what the emulator remembers (each API's tables, by type) behind one
//!   `std::sync::Mutex`.
//! - [`router`]: records every request, applies the rate limit, faults and latency,
//!   dispatches by prefix to the [`api::Api`] whose it is.
//! - [`http`]: helpers every API shares (decoded path segments, query, replies, reason
//!   phrases, header-based auth).
//! - [`clock`]: timestamp parsing and formats.
//! - [`listing`]: ordering and page-number paging shared by the list routes.
//! - Tables that more than one API's routes render: [`threads`] (Zep threads, v3 and v4),
//!   [`rooms`] (video rooms), [`messages`] (message histories), [`channels`] (elizaOS
//!   channels, which outlive the sessions that made them).
//! - [`faults`]: turns a [`FaultKind`] into a (possibly broken) reply, or breaks a served one.
//! - [`ratelimit`]: the token bucket and fixed window of a [`RateLimit`], and their headers.
//! - [`control`]: the `/_emulator/...` HTTP control API.
//! - [`demo`]: the demo data a user sees when running the binary without `--empty`.
//! - [`profiles`]: the config file for the emulator and the banner, from each API's own.
//!
//! Four crates include this file with `#[path]`: the integration tests (once, through
//! `tests/common`), the `mock-server` and `quickstart` examples and the `compare` bench; none
//! uses every item.
#![allow(dead_code)]

mod api;
pub mod channels;
mod clock;
mod control;
mod demo;
mod faults;
mod http;
mod listing;
mod messages;
mod model;
pub mod profiles;
mod ratelimit;
pub mod rooms;
mod router;
mod seed;
mod state;
pub mod threads;

/// Declares each emulated API's module and lists the [`api::Api`] it implements, in the
/// order the banner and the profiles show them: one line per API, so that an API's module
/// is declared and served at once (the router, the rate limiter and the faults find it in
/// [`APIS`], never by name; the longest prefix wins, so the order decides nothing else).
macro_rules! apis {
    ($($module:ident::$api:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Every API the emulator serves.
        static APIS: &[&dyn api::Api] = &[$(&$module::$api),*];
    };
}

apis!(
    messaging::Messaging,
    zep::Zep,
    zep_v4::ZepV4,
    samba::Samba,
    langgraph::LangGraph,
    daily::Daily,
    livekit::LiveKit,
    twilio::Twilio,
);

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

// Not every crate that includes this module names every type.
#[allow(unused_imports)]
pub use model::{Fault, FaultKind, HeaderStyle, RateLimit, Recorded};
pub use seed::Seed;

/// Path prefix of the emulator's own control API (never faulted, never recorded).
pub const CONTROL_PREFIX: &str = "/_emulator";

/// How the emulator behaves. `Options::default()` is what tests usually want: an ephemeral
/// port, no latency, instant v4 task completion, no messaging auth, no demo data.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Fixed delay added before every provider reply (not the control API).
    pub latency: Duration,
    /// How long a Zep v4 deletion task takes from `pending` to its final status.
    pub task_delay: Duration,
    /// When set, every `/api` route needs `X-API-KEY: <token>` (elizaOS's
    /// `ELIZA_SERVER_AUTH_TOKEN`).
    pub messaging_token: Option<String>,
    /// Port to bind on 127.0.0.1 in [`Emulator::start`]; 0 picks a free one.
    pub port: u16,
    /// Seed the demo data of [`demo`].
    pub demo: bool,
    /// Rate-limit every provider route (one limiter for all of them); `None` = no limit.
    /// Change it later with [`Emulator::set_rate_limit`] or `POST /_emulator/rate_limit`.
    pub rate_limit: Option<RateLimit>,
    /// Panic when the [`Emulator`] is dropped if an armed fault was never used (unless it is
    /// [`Fault::optional`]) or a rate limit never saw a request: a test that sets up what it
    /// never exercises proves nothing. The tests' `Env` sets it; the `mock-server` binary does
    /// not. [`Emulator::allow_unused_faults`] lifts it for one emulator.
    pub fail_unused: bool,
}

/// What the request handlers share: the options and the state.
pub(crate) struct Shared {
    pub(crate) opts: Options,
    state: Mutex<state::State>,
    started: Instant,
    /// Set by [`Emulator::allow_unused_faults`].
    allow_unused: AtomicBool,
}

impl Shared {
    fn new(opts: Options) -> Arc<Shared> {
        let mut state = state::State::default();
        if let Some(limit) = opts.rate_limit {
            limit
                .validate()
                .unwrap_or_else(|e| panic!("emulator: invalid rate limit: {e}"));
            state.limiter = Some(ratelimit::Limiter::new(limit, Instant::now()));
        }
        if opts.demo {
            for seed in demo::seeds(clock::now()) {
                state
                    .seed(seed)
                    .expect("the demo seeds messages after their sessions");
            }
        }
        Arc::new(Shared {
            opts,
            state: Mutex::new(state),
            started: Instant::now(),
            allow_unused: AtomicBool::new(false),
        })
    }

    /// Locks the state. A panic in one handler must not take the whole emulator down, so a
    /// poisoned lock is simply taken over. Callers keep the guard for a few map operations
    /// only and never across an `.await`.
    pub(crate) fn lock(&self) -> MutexGuard<'_, state::State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}

/// A running emulator on 127.0.0.1, served by its own tokio runtime on a background thread,
/// so sync and async tests alike can use it. Dropping it stops the server and closes every
/// connection, even ones stuck in an endless-body fault.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds 127.0.0.1:`opts.port` and serves in the background. Returns once the socket is
    /// listening (connections made from then on are queued), so no readiness polling is needed.
    pub fn start(opts: Options) -> Emulator {
        let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port))
            .expect("emulator: cannot bind 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("emulator: cannot make the listener non-blocking");
        let addr = listener.local_addr().expect("emulator: no local address");
        let shared = Shared::new(opts);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("emulator-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("emulator: cannot build a tokio runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("emulator: cannot register the listener");
                    let _ = serve_shared(listener, server_shared, async {
                        let _ = stopped.await;
                    })
                    .await;
                });
                // Dropping the runtime here cancels every connection task still running.
            })
            .expect("emulator: cannot spawn its thread");
        Emulator {
            shared,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Serves on `listener` until `shutdown` completes, then returns without waiting for open
    /// connections (an endless-body reply would otherwise hold the shutdown forever). This is
    /// what the `mock-server` binary runs; state is only reachable through the control API.
    pub async fn serve(
        listener: tokio::net::TcpListener,
        opts: Options,
        shutdown: impl Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        serve_shared(listener, Shared::new(opts), shutdown).await
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        base_url(self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds one record; a seed with an existing ID replaces the old record.
    ///
    /// # Panics
    /// On a seed naming a record not seeded before it (messages, metadata).
    pub fn seed(&self, seed: Seed) {
        // The guard is gone before the panic, so the lock is not poisoned.
        let seeded = self.shared.lock().seed(seed);
        seeded.unwrap_or_else(|e| panic!("emulator: {e}"));
    }

    /// Adds many records under one lock (100,000 messaging sessions take well under a second).
    ///
    /// # Panics
    /// As [`Emulator::seed`]; the seeds before the bad one stay.
    pub fn seed_many(&self, seeds: impl IntoIterator<Item = Seed>) {
        let seeded = {
            let mut state = self.shared.lock();
            seeds.into_iter().try_for_each(|seed| state.seed(seed))
        };
        seeded.unwrap_or_else(|e| panic!("emulator: {e}"));
    }

    /// Arms a fault; faults are tried in the order they were added. With
    /// [`Options::fail_unused`], one that no request hits fails the test.
    pub fn fault(&self, fault: Fault) {
        self.shared.lock().faults.add(fault);
    }

    /// Lets this emulator be dropped with faults or a rate limit never used, for a test that
    /// cannot know whether its requests are made (say, one skipped for a missing tool). Say
    /// why where it is called; a fault that only some runs hit is better [`Fault::optional`].
    pub fn allow_unused_faults(&self) {
        self.shared.allow_unused.store(true, Ordering::Relaxed);
    }

    /// What was set up and never used: see [`Options::fail_unused`].
    pub fn unused_faults(&self) -> Vec<String> {
        self.shared.lock().unused()
    }

    /// Turns the rate limit on (starting over: a full bucket, no window yet), replaces it, or
    /// turns it off (`None`). The count of refusals so far stays.
    ///
    /// # Panics
    /// On a limit [`RateLimit::validate`] rejects.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        if let Some(Err(e)) = limit.map(|l| l.validate()) {
            panic!("emulator: invalid rate limit: {e}");
        }
        (self.shared.lock()).set_limiter(limit.map(|l| ratelimit::Limiter::new(l, Instant::now())));
    }

    /// How many requests the rate limiter refused with 429 (faults that reply 429 are not
    /// counted); they are in [`Emulator::requests`] too.
    pub fn rate_limited_count(&self) -> usize {
        self.shared.lock().rate_limited
    }

    /// Every provider request received so far, in arrival order (control requests excluded).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().log.clone()
    }

    /// Clears all records, faults, the request log and the rate-limited count (the demo data
    /// is not re-seeded), and makes pending v4 tasks forget to complete. A rate limit stays
    /// on but starts over. Faults cleared unused still count as unused
    /// ([`Options::fail_unused`]).
    pub fn reset(&self) {
        self.shared.lock().reset();
    }
}

impl Drop for Emulator {
    /// Stops the server, then, with [`Options::fail_unused`], fails the test if it set up a
    /// fault or a rate limit that it never used (not when the test is failing already: its
    /// own panic says more).
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let checked = self.shared.opts.fail_unused
            && !self.shared.allow_unused.load(Ordering::Relaxed)
            && !std::thread::panicking();
        let unused = if checked {
            self.unused_faults()
        } else {
            Vec::new()
        };
        assert!(
            unused.is_empty(),
            "emulator: the test set up what no request ever used, so it proves nothing \
             about it; make the test hit it, remove it, or mark a fault that only some runs \
             hit `.optional()`:\n  {}",
            unused.join("\n  ")
        );
    }
}

/// `http://ADDR` (IPv6 addresses come bracketed).
pub fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

async fn serve_shared(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let app = router::app(shared);
    tokio::select! {
        served = axum::serve(listener, app).into_future() => served,
        () = shutdown => Ok(()),
    }
}
