//! Everything the emulator remembers, in one struct behind one mutex (see
//! [`super::Shared::lock`]): each provider's table, the armed faults, the rate limiter and
//! the request log.

use std::time::Instant;

use super::model::{DeleteTask, Recorded, Seed};
use super::zep_v4::TaskStatus;
use super::{channels, faults, langgraph, messaging, ratelimit, rooms, samba, threads};
use super::{zep, zep_v4};

#[derive(Default)]
pub(crate) struct State {
    pub zep: zep::Sessions,
    pub threads: threads::Threads,
    pub tasks: zep_v4::Tasks,
    pub samba: samba::Sessions,
    pub messaging: messaging::Sessions,
    /// elizaOS channels: they outlive the sessions that made them.
    pub channels: channels::Channels,
    pub langgraph: langgraph::Threads,
    /// The rooms of Daily, LiveKit and Twilio.
    pub rooms: rooms::Rooms,
    pub faults: faults::Armed,
    pub log: Vec<Recorded>,
    /// The rate limit, when one is on. It sits under the same lock as the log, so a request
    /// is recorded and counted against the limit in one step. Replace it with
    /// [`State::set_limiter`].
    pub limiter: Option<ratelimit::Limiter>,
    /// Whether a request has reached the current `limiter`.
    pub limiter_used: bool,
    /// Faults and rate limits that were never used, from before a [`State::reset`] or a
    /// change of the rate limit (see [`State::unused`]).
    pub unused_earlier: Vec<String>,
    /// How many requests the limiter refused (429).
    pub rate_limited: usize,
    /// Bumped by [`State::reset`]; background work started before a reset compares it and
    /// gives up, so a pending v4 task cannot delete a thread seeded after the reset.
    pub generation: u64,
}

impl State {
    /// Adds one record to its provider's table, replacing one with the same ID. Fails only
    /// for messages naming no known session or thread: silently dropping them would let a
    /// test that seeds in the wrong order pass for the wrong reason.
    pub fn seed(&mut self, seed: Seed) -> Result<(), String> {
        match seed {
            Seed::ZepSession {
                id,
                user_id,
                created_at,
                updated_at,
                ended,
            } => self.zep.seed(id, user_id, created_at, updated_at, ended),
            Seed::ZepMessages { session_id, times } => {
                let in_session = self.zep.add_messages(&session_id, &times);
                let in_thread = self.threads.add_messages(&session_id, &times);
                if !(in_session || in_thread) {
                    return Err(format!(
                        "zep_messages for {session_id:?}: no such v2 session or thread \
                         (seed it first)"
                    ));
                }
            }
            Seed::Metadata { id, metadata } => {
                let in_session = self.zep.set_metadata(&id, &metadata);
                let in_messaging =
                    (self.messaging).set_metadata(&id, &metadata, &mut self.channels);
                if !(in_session || in_messaging) {
                    return Err(format!(
                        "metadata for {id:?}: no such Zep v2 session or elizaOS session \
                         (seed it first)"
                    ));
                }
            }
            Seed::ZepThread {
                thread_id,
                uuid,
                user_id,
                created_at,
                updated_at,
                delete_fails,
            } => self.threads.seed(threads::Thread::new(
                Some(thread_id),
                uuid,
                Some(user_id),
                created_at,
                updated_at,
                match delete_fails {
                    true => TaskStatus::Failed,
                    false => TaskStatus::Succeeded,
                },
            )),
            Seed::ZepV4Thread {
                uuid,
                user_uuid,
                created_at,
                updated_at,
                delete_task,
            } => {
                let ends = match delete_task {
                    DeleteTask::Succeeds => TaskStatus::Succeeded,
                    DeleteTask::Fails => TaskStatus::Failed,
                    DeleteTask::Partial => TaskStatus::Partial,
                };
                let mut thread =
                    threads::Thread::new(None, uuid, None, created_at, updated_at, ends);
                thread.user_uuid = user_uuid;
                self.threads.seed(thread);
            }
            Seed::SambaSession {
                id,
                room_id,
                start_time,
                live,
                participants_live,
            } => self
                .samba
                .seed(id, room_id, start_time, live, participants_live),
            Seed::SambaEnded {
                id,
                room_id,
                start_time,
                end_time,
            } => self.samba.seed_ended(id, room_id, start_time, end_time),
            Seed::LanggraphThread {
                thread_id,
                created_at,
                updated_at,
                status,
                metadata,
            } => (self.langgraph).seed(thread_id, created_at, updated_at, status, metadata),
            Seed::MessagingSession {
                id,
                user_id,
                agent_id,
                created_at,
                last_activity,
                timeout_config,
                expires_at,
                messages,
            } => {
                let seed = messaging::SessionSeed {
                    id,
                    user_id,
                    agent_id,
                    created_at,
                    last_activity,
                    timeout_config,
                    expires_at,
                    messages,
                };
                self.messaging.seed(seed, &mut self.channels);
            }
            Seed::MessagingChannel {
                id,
                name,
                metadata,
                messages,
            } => self.channels.add(id, name, metadata, messages),
            Seed::Room {
                api,
                id,
                created_at,
                participants,
                completed,
            } => (self.rooms).seed(api, id, created_at, participants, completed),
        }
        Ok(())
    }

    /// Forgets every record, fault and logged request, and the refusal count. A rate limit
    /// stays on (like the options), but starts over: a full bucket, no window yet. What was
    /// never used is still remembered (it is the same test's setup).
    pub fn reset(&mut self) {
        let limiter = (self.limiter.as_ref())
            .map(|limiter| ratelimit::Limiter::new(limiter.config(), Instant::now()));
        let mut unused_earlier = std::mem::take(&mut self.unused_earlier);
        unused_earlier.extend(self.faults.unused());
        *self = State {
            generation: self.generation + 1,
            limiter,
            limiter_used: self.limiter_used,
            unused_earlier,
            ..State::default()
        };
    }

    /// Turns the rate limit on, replaces it or turns it off; a limit that no request ever
    /// reached is remembered as unused.
    pub fn set_limiter(&mut self, limiter: Option<ratelimit::Limiter>) {
        self.unused_earlier.extend(self.unused_limiter());
        self.limiter = limiter;
        self.limiter_used = false;
    }

    /// What a test set up and never exercised: armed faults no request hit (optional ones
    /// aside) and rate limits no request reached, in the order they were set up.
    pub fn unused(&self) -> Vec<String> {
        let mut unused = self.unused_earlier.clone();
        unused.extend(self.faults.unused());
        unused.extend(self.unused_limiter());
        unused
    }

    fn unused_limiter(&self) -> Option<String> {
        let limiter = self.limiter.as_ref().filter(|_| !self.limiter_used)?;
        Some(format!(
            "{:?} (no request ever reached it)",
            limiter.config()
        ))
    }
}
