//! The provider conformance suite: the same checks, run over every provider against the
//! emulator. Each provider is one [`Provider`] value saying how to seed a session, which
//! request does `end` and `delete` and what they report, and the provider's own error texts;
//! each check is a function of that value; the `conformance!` macro makes one test per check
//! and provider (`conformance::samba::delete`, ...).
//!
//! A new provider is one `Provider` and one line in `conformance!`. A new behaviour every
//! provider must have is one check function and one line in the macro, not a copy per
//! provider. What only one provider does (Zep's bulk end, Digital Samba's confirming GET,
//! Zep v4's lookup) is tested next to that provider's other tests, not here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::common;

use common::{Emulator, Env, Fault, RoomApi, Seed, brief, expected};
use common::{request_lines, run};

/// "Now" of the staleness check; `--idle-for 1h` cuts off at 11:00:00Z.
const NOW: &str = "2024-06-01T12:00:00Z";
/// Long before [`NOW`], for seeds whose age does not matter.
const T: &str = "2024-05-01T12:00:00Z";

/// A provider as the checks see it.
struct Provider {
    /// Its profile in the tests' config (see `Env::with`).
    profile: &'static str,
    /// The `provider` of its documents.
    name: &'static str,
    /// A session last active (for a provider judged by age: created) at the time given,
    /// which `end` (or, without one, `delete`) applies to and `list` shows.
    seed: fn(&str, &str) -> Seed,
    /// A session `delete` applies to (Digital Samba deletes the resources of ended
    /// sessions only).
    seed_deletable: fn(&str) -> Seed,
    /// `None`: the provider has no end; `end` and `end-many` are usage errors.
    end: Option<End>,
    /// `None`: the provider has no delete; `delete` is a usage error.
    delete: Option<Action>,
    /// What refusing the action it lacks says (a usage error).
    lacks: &'static str,
    /// The sweep that judges its staleness: `--idle-for` from last activity, or
    /// `--older-than` from creation for a provider that says nothing of activity (its
    /// `--idle-for` is refused).
    stale: &'static str,
    /// The result for an ID the provider does not know.
    missing: Reply,
    /// The error texts of the provider's own error replies.
    errors: Errors,
    /// Whether the session is ended (or gone) in the emulator.
    ended: fn(&Emulator, &str) -> bool,
    /// Whether `delete` was done to the session in the emulator.
    deleted: fn(&Emulator, &str) -> bool,
    /// Its list request, `METHOD path` (the only request a sweep may send when no listed ID
    /// can be sent).
    list: &'static str,
    /// Its profile's TOML keys, for a provider that is not one of `Env`'s profiles (it may
    /// write files beside the config).
    own_profile: Option<fn(&Env) -> String>,
}

/// `end` or `delete` on one provider.
struct Action {
    /// The one request that does it for an ID (faults aim at it).
    method: &'static str,
    /// That request's path for an ID, percent-encoded.
    path: fn(&str) -> String,
    /// The outcome and status of a success.
    outcome: &'static str,
    status: u16,
    /// Requests each session gets before that one, whatever it answers (LangGraph reads a
    /// thread before deleting it).
    before: u32,
    /// Requests made after that one when it succeeds, as `METHOD path` (LangGraph's end
    /// reads the runs, then cancels them).
    after: &'static [&'static str],
    /// What that request's body has of an ID, for an API that names the session there and
    /// not in the path (LiveKit's `{"room": ...}`): faults and counts aim at it.
    body: Option<fn(&str) -> String>,
}

impl Action {
    /// `fault`, aimed at this action's request for `id`.
    fn aim(&self, fault: Fault, id: &str) -> Fault {
        let fault = fault.method(self.method).path(&(self.path)(id));
        match self.body {
            Some(body) => fault.body_contains(&body(id)),
            None => fault,
        }
    }

    /// Whether `r` is this action's request for `id`.
    fn is(&self, r: &common::Recorded, id: &str) -> bool {
        r.method == self.method
            && r.path == (self.path)(id)
            && self.body.is_none_or(|body| r.body.contains(&body(id)))
    }

    /// How many of `reqs` are this action's request for `id`.
    fn sent(&self, reqs: &[common::Recorded], id: &str) -> usize {
        reqs.iter().filter(|r| self.is(r, id)).count()
    }

    /// A result's attempts when the request this action names took `tries` and succeeded.
    fn attempts(&self, tries: u32) -> u32 {
        self.before + tries + self.after.len() as u32
    }

    /// A result's attempts when that request took `tries` and failed.
    fn failed_attempts(&self, tries: u32) -> u32 {
        self.before + tries
    }
}

/// `end`, and what ending a session that was ended before reports.
struct End {
    action: Action,
    again: Reply,
    /// Requests `end-many` adds before each ID's own when its batch is refused: Zep v2's
    /// bulk `POST /sessions/end`, which a batch with an unknown ID answers 404, so each ID is
    /// sent again on its own. They count in each ID's attempts.
    bulk: u32,
}

/// One result.
struct Reply {
    outcome: &'static str,
    status: Option<u16>,
    /// `{id}` stands for the session's ID.
    error: Option<&'static str>,
    attempts: u32,
}

impl Reply {
    /// What [`brief`] gives for this result of `id`.
    fn of(&self, id: &str) -> (String, Value, Value, Value) {
        expected(
            self.outcome,
            json!(self.status),
            json!(self.error.map(|e| e.replace("{id}", id))),
            self.attempts,
        )
    }
}

/// The error texts of a provider's replies to 401, 400, 404 and 500.
struct Errors {
    unauthorized: &'static str,
    bad_request: &'static str,
    not_found: &'static str,
    server_error: &'static str,
}

// ---------------------------------------------------------------------------------------
// The providers

/// An ID as one percent-encoded path segment (the IDs of this suite need no more than this).
fn seg(id: &str) -> String {
    id.replace('%', "%25")
        .replace(' ', "%20")
        .replace('/', "%2F")
        .replace('?', "%3F")
}

/// A thread's UUID, made from its ID so that faults can aim at its v4 path.
fn uuid_for(id: &str) -> String {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        hash >> 32,
        hash & 0xffff_ffff_ffff
    )
}

fn thread(id: &str, created_at: &str) -> Seed {
    Seed::from(common::emulator::threads::ThreadSeed {
        thread_id: id.to_owned(),
        uuid: uuid_for(id),
        user_id: "user-1".to_owned(),
        created_at: created_at.to_owned(),
        updated_at: None,
        delete_fails: false,
    })
}

/// A live meeting with nobody in it (a sweep acts only on meetings known to be empty).
fn empty_meeting(id: &str, start_time: &str) -> Seed {
    Seed::from(common::emulator::samba::SessionSeed {
        id: id.to_owned(),
        room_id: format!("room-{id}"),
        start_time: start_time.to_owned(),
        live: true,
        participants_live: Some(0),
    })
}

const ZEP_V2: Provider = Provider {
    profile: "zep",
    name: "zep",
    seed: Seed::zep_session,
    seed_deletable: |id| Seed::zep_session(id, T),
    end: Some(End {
        bulk: 1,
        action: Action {
            method: "POST",
            path: |id| format!("/zep/api/v2/sessions/{}/end", seg(id)),
            outcome: "ended",
            status: 200,
            before: 0,
            after: &[],
            body: None,
        },
        again: Reply {
            outcome: "already_ended",
            status: Some(409),
            error: Some("session ended: {id}"),
            attempts: 1,
        },
    }),
    delete: Some(Action {
        method: "DELETE",
        path: |id| format!("/zep/api/v2/sessions/{}/memory", seg(id)),
        outcome: "deleted",
        status: 200,
        before: 0,
        after: &[],
        body: None,
    }),
    missing: Reply {
        outcome: "not_found",
        status: Some(404),
        error: Some("not found"),
        attempts: 1,
    },
    errors: Errors {
        unauthorized: "unauthorized",
        bad_request: "bad request",
        not_found: "not found",
        server_error: "internal server error",
    },
    ended: |emu, id| emu.zep_session_ended(id) == Some(true),
    deleted: |emu, id| emu.zep_memory_deleted(id) == Some(true),
    list: "GET /zep/api/v2/sessions-ordered",
    lacks: "",
    stale: "--idle-for",
    own_profile: None,
};

const ZEP_V3: Provider = Provider {
    profile: "zep3",
    name: "zep",
    seed: thread,
    seed_deletable: |id| thread(id, T),
    end: None,
    delete: Some(Action {
        method: "DELETE",
        path: |id| format!("/zep/api/v2/threads/{}", seg(id)),
        outcome: "deleted",
        status: 200,
        before: 0,
        after: &[],
        body: None,
    }),
    missing: Reply {
        outcome: "not_found",
        status: Some(404),
        error: Some("thread not found"),
        attempts: 1,
    },
    errors: Errors {
        unauthorized: "unauthorized",
        bad_request: "bad request",
        not_found: "not found",
        server_error: "internal server error",
    },
    ended: |emu, id| !emu.thread_exists(id),
    deleted: |emu, id| !emu.thread_exists(id),
    list: "GET /zep/api/v2/threads",
    lacks: "Zep threads have no end; use delete",
    stale: "--idle-for",
    own_profile: None,
};

const ZEP_V4: Provider = Provider {
    profile: "zep4",
    name: "zep",
    seed: thread,
    seed_deletable: |id| thread(id, T),
    end: None,
    delete: Some(Action {
        method: "DELETE",
        path: |id| format!("/zep/api/v4/threads/{}", uuid_for(id)),
        outcome: "accepted",
        status: 202,
        before: 0,
        after: &[],
        body: None,
    }),
    // The batch lookup finds no UUID for it: nothing is sent for it at all.
    missing: Reply {
        outcome: "not_found",
        status: None,
        error: Some("no thread with this ID (lookup)"),
        attempts: 0,
    },
    errors: Errors {
        unauthorized: "unauthorized",
        bad_request: "Bad Request",
        not_found: "Not Found",
        server_error: "internal server error",
    },
    ended: |emu, id| !emu.thread_exists(id),
    // Accepted: a deletion task is queued (it runs in the background).
    deleted: |emu, id| emu.thread_deletion_queued(&uuid_for(id)),
    list: "GET /zep/api/v4/threads",
    lacks: "Zep threads have no end; use delete",
    stale: "--idle-for",
    own_profile: None,
};

/// Digital Samba's end: `POST /sessions/{id}/end`.
const SAMBA_END: End = End {
    bulk: 0,
    action: Action {
        method: "POST",
        path: |id| format!("/samba/api/v1/sessions/{}/end", seg(id)),
        outcome: "ended",
        status: 200,
        before: 0,
        after: &[],
        body: None,
    },
    // 422 "Session is not live.", confirmed by a GET: already ended, no error.
    again: Reply {
        outcome: "already_ended",
        status: Some(422),
        error: None,
        attempts: 1,
    },
};

const SAMBA: Provider = Provider {
    profile: "samba",
    name: "digital-samba",
    seed: empty_meeting,
    seed_deletable: |id| Seed::samba_ended(id, T),
    end: Some(SAMBA_END),
    delete: Some(Action {
        method: "DELETE",
        path: |id| format!("/samba/api/v1/sessions/{}/resources", seg(id)),
        outcome: "deleted",
        status: 204,
        before: 0,
        after: &[],
        body: None,
    }),
    missing: Reply {
        outcome: "not_found",
        status: Some(404),
        error: Some("Not Found"),
        attempts: 1,
    },
    errors: Errors {
        unauthorized: "Unauthenticated.",
        bad_request: "Bad Request",
        not_found: "Not Found",
        server_error: "Server Error",
    },
    ended: |emu, id| emu.samba_live(id) == Some(false),
    deleted: |emu, id| emu.samba_resources_deleted(id) == Some(true),
    list: "GET /samba/api/v1/sessions",
    lacks: "",
    stale: "--idle-for",
    own_profile: None,
};

const MESSAGING: Provider = Provider {
    profile: "eliza",
    name: "messaging",
    seed: Seed::messaging,
    seed_deletable: |id| Seed::messaging(id, T),
    // Ending is deleting: the server can only say 404 (gone or never was).
    end: Some(End {
        bulk: 0,
        action: Action {
            method: "DELETE",
            path: |id| format!("/api/messaging/sessions/{}", seg(id)),
            outcome: "ended",
            status: 200,
            before: 0,
            after: &[],
            body: None,
        },
        again: Reply {
            outcome: "not_found",
            status: Some(404),
            error: Some("Session not found"),
            attempts: 1,
        },
    }),
    delete: Some(Action {
        method: "DELETE",
        path: |id| format!("/api/messaging/sessions/{}", seg(id)),
        outcome: "deleted",
        status: 200,
        before: 0,
        after: &[],
        body: None,
    }),
    missing: Reply {
        outcome: "not_found",
        status: Some(404),
        error: Some("Session not found"),
        attempts: 1,
    },
    errors: Errors {
        unauthorized: "Missing or invalid X-API-KEY header",
        bad_request: "Bad Request",
        not_found: "Not Found",
        server_error: "An unexpected error occurred",
    },
    ended: |emu, id| !emu.messaging_exists(id),
    deleted: |emu, id| !emu.messaging_exists(id),
    list: "GET /api/messaging/sessions",
    lacks: "",
    stale: "--idle-for",
    own_profile: None,
};

/// The messaging API as `src/provider/declared/examples/messaging.toml` describes it
/// (`provider = "declared"`): the same answers as the built-in provider's.
const MESSAGING_DECLARED: Provider = Provider {
    profile: "eliza-declared",
    name: "declared",
    own_profile: Some(|env| {
        let api = common::description_path("messaging.toml");
        format!(
            "provider = \"declared\"\napi = \"{api}\"\nbase_url = \"{}\"\nmax_backoff = \"100ms\"\n",
            env.emu.messaging_url()
        )
    }),
    ..MESSAGING
};

/// A profile of the shipped description `src/provider/declared/examples/<file>` at `base_url`, its key
/// in `key_env`.
fn declared_profile(file: &str, base_url: &str, key_env: &str) -> String {
    let api = common::description_path(file);
    format!(
        "provider = \"declared\"\napi = \"{api}\"\nbase_url = \"{base_url}\"\n\
         api_key_env = \"{key_env}\"\nmax_backoff = \"100ms\"\n"
    )
}

/// Digital Samba as `src/provider/declared/examples/digital-samba.toml` describes it
/// (`provider = "declared"`, its Bearer key): the same answers as the built-in provider's
/// but one. The built-in confirms the undocumented 422 to ending a session that is no longer
/// live with a read (`already_ended`); a description has no such read, so it reports the
/// 422 as the server says it (its header says so).
const SAMBA_DECLARED: Provider = Provider {
    profile: "samba-declared",
    name: "declared",
    end: Some(End {
        bulk: 0,
        again: Reply {
            outcome: "failed",
            status: Some(422),
            error: Some("Session is not live."),
            attempts: 1,
        },
        ..SAMBA_END
    }),
    own_profile: Some(|env| {
        declared_profile(
            "digital-samba.toml",
            &env.emu.samba_url(),
            common::SAMBA_ENV,
        )
    }),
    ..SAMBA
};

/// Daily rooms as `src/provider/declared/examples/daily.toml` describes them, judged by age and deleted:
/// Daily's only end of a meeting deletes its room, so `end` is not described (it would
/// destroy the room without the delete prompt).
const DAILY: Provider = Provider {
    profile: "daily",
    name: "declared",
    seed: |id, at| Seed::room(RoomApi::Daily, id, at),
    seed_deletable: |id| Seed::room(RoomApi::Daily, id, T),
    // Daily's only end deletes the room: it is shipped as `delete` alone.
    end: None,
    delete: Some(Action {
        method: "DELETE",
        path: |id| format!("/daily/v1/rooms/{}", seg(id)),
        outcome: "deleted",
        status: 200,
        before: 0,
        after: &[],
        body: None,
    }),
    missing: Reply {
        outcome: "not_found",
        status: Some(404),
        error: Some("room {id} does not exist"),
        attempts: 1,
    },
    errors: Errors {
        unauthorized: "Unauthorized",
        bad_request: "Bad Request",
        not_found: "Not Found",
        server_error: "Internal Server Error",
    },
    ended: |emu, id| !emu.room_exists(RoomApi::Daily, id),
    deleted: |emu, id| !emu.room_exists(RoomApi::Daily, id),
    list: "GET /daily/v1/rooms",
    lacks: "",
    stale: "--older-than",
    own_profile: Some(|env| {
        declared_profile("daily.toml", &env.emu.daily_url(), common::DAILY_ENV)
    }),
};

/// Twilio Video rooms as `src/provider/declared/examples/twilio.toml` describes them (its placeholder
/// account SID is the emulator's), judged by age: a room is completed, never deleted.
const TWILIO: Provider = Provider {
    profile: "twilio",
    name: "declared",
    seed: |id, at| Seed::room(RoomApi::Twilio, id, at),
    seed_deletable: |id| Seed::room(RoomApi::Twilio, id, T),
    end: Some(End {
        bulk: 0,
        action: Action {
            method: "POST",
            path: |id| format!("/twilio/v1/Rooms/{}", seg(id)),
            outcome: "ended",
            status: 202,
            before: 0,
            after: &[],
            body: None,
        },
        // 400 with code 53112: the room is not in progress.
        again: Reply {
            outcome: "already_ended",
            status: Some(400),
            error: Some("Status is invalid"),
            attempts: 1,
        },
    }),
    delete: None,
    missing: Reply {
        outcome: "not_found",
        status: Some(404),
        error: Some("The requested resource /Rooms/{id} was not found"),
        attempts: 1,
    },
    errors: Errors {
        unauthorized: "Authenticate",
        bad_request: "Bad Request",
        not_found: "Not Found",
        server_error: "Internal Server Error",
    },
    ended: |emu, id| emu.room_ended(RoomApi::Twilio, id) == Some(true),
    deleted: |emu, id| !emu.room_exists(RoomApi::Twilio, id),
    list: "GET /twilio/v1/Rooms",
    lacks: "the description has no `delete`",
    stale: "--older-than",
    own_profile: Some(|env| {
        declared_profile("twilio.toml", &env.emu.twilio_url(), common::TWILIO_ENV)
    }),
};

/// LiveKit's DeleteRoom as `src/provider/declared/examples/livekit.toml` describes it: the room's name is
/// in the body (`{"room": ...}`), every call has the same path.
const LIVEKIT_DELETE_ROOM: Action = Action {
    method: "POST",
    path: |_| "/livekit/twirp/livekit.RoomService/DeleteRoom".to_owned(),
    outcome: "deleted",
    status: 200,
    before: 0,
    after: &[],
    body: Some(|id| format!("\"room\":\"{id}\"")),
};

/// LiveKit rooms (Twirp) as `src/provider/declared/examples/livekit.toml` describes them, judged by age:
/// ending a room deletes it, as `delete` does, so ending it again is Twirp's `not_found`.
const LIVEKIT: Provider = Provider {
    profile: "livekit",
    name: "declared",
    seed: |id, at| Seed::room(RoomApi::Livekit, id, at),
    seed_deletable: |id| Seed::room(RoomApi::Livekit, id, T),
    end: Some(End {
        bulk: 0,
        action: Action {
            outcome: "ended",
            ..LIVEKIT_DELETE_ROOM
        },
        again: Reply {
            outcome: "not_found",
            status: Some(404),
            error: Some("requested room does not exist"),
            attempts: 1,
        },
    }),
    delete: Some(LIVEKIT_DELETE_ROOM),
    missing: Reply {
        outcome: "not_found",
        status: Some(404),
        error: Some("requested room does not exist"),
        attempts: 1,
    },
    errors: Errors {
        unauthorized: "invalid authorization token",
        bad_request: "Bad Request",
        not_found: "Not Found",
        server_error: "Internal Server Error",
    },
    ended: |emu, id| !emu.room_exists(RoomApi::Livekit, id),
    deleted: |emu, id| !emu.room_exists(RoomApi::Livekit, id),
    list: "POST /livekit/twirp/livekit.RoomService/ListRooms",
    lacks: "",
    stale: "--older-than",
    own_profile: Some(|env| {
        declared_profile("livekit.toml", &env.emu.livekit_url(), common::LIVEKIT_ENV)
    }),
};

/// Threads are busy (one running run) when `end` should apply; `delete` applies to idle ones.
const LANGGRAPH: Provider = Provider {
    profile: "langgraph",
    name: "langgraph",
    seed: |id, at| Seed::langgraph(id, at, "busy"),
    seed_deletable: |id| Seed::langgraph(id, T, "idle"),
    // Named by its first request, the thread's runs (the cancel names no thread in its path).
    end: Some(End {
        bulk: 0,
        action: Action {
            method: "GET",
            path: |id| format!("/langgraph/threads/{}/runs", seg(id)),
            outcome: "ended",
            status: 204,
            before: 0,
            after: &["POST /langgraph/runs/cancel"],
            body: None,
        },
        again: Reply {
            outcome: "already_ended",
            status: Some(200),
            error: None,
            attempts: 1,
        },
    }),
    delete: Some(Action {
        method: "DELETE",
        path: |id| format!("/langgraph/threads/{}", seg(id)),
        outcome: "deleted",
        status: 204,
        before: 1,
        after: &[],
        body: None,
    }),
    missing: Reply {
        outcome: "not_found",
        status: Some(404),
        error: Some("Thread with ID {id} not found"),
        attempts: 1,
    },
    errors: Errors {
        unauthorized: "Unauthorized",
        bad_request: "Bad Request",
        not_found: "Not Found",
        server_error: "Internal Server Error",
    },
    ended: |emu, id| emu.langgraph_active_runs(id).is_none_or(|n| n == 0),
    deleted: |emu, id| emu.langgraph_active_runs(id).is_none(),
    lacks: "",
    stale: "--idle-for",
    own_profile: Some(|env| super::langgraph::profile(&env.emu)),
    list: "POST /langgraph/threads/search",
};

/// One test per check and provider: `conformance::<provider>::<check>`.
macro_rules! conformance {
    ($($module:ident: $provider:ident,)*) => {$(
        mod $module {
            conformance!(@checks $provider:
                end,
                end_many,
                delete,
                dry_runs_send_nothing,
                error_replies_map_to_outcomes_and_exit_codes,
                a_failure_that_passes_is_retried,
                list_shows_every_session,
                idle_for_selects_only_idle_sessions,
                listed_ids_that_leave_their_segment_are_reported_never_sent,
            );
        }
    )*};
    (@checks $provider:ident: $($check:ident,)*) => {$(
        #[test]
        fn $check() {
            super::$check(&super::$provider);
        }
    )*};
}

conformance! {
    zep_v2: ZEP_V2,
    zep_v3: ZEP_V3,
    zep_v4: ZEP_V4,
    samba: SAMBA,
    samba_declared: SAMBA_DECLARED,
    messaging: MESSAGING,
    messaging_declared: MESSAGING_DECLARED,
    langgraph: LANGGRAPH,
    daily: DAILY,
    twilio: TWILIO,
    livekit: LIVEKIT,
}

// ---------------------------------------------------------------------------------------
// The checks

/// Which action a check runs.
#[derive(Clone, Copy, Debug)]
enum Which {
    End,
    Delete,
}

impl Provider {
    /// An emulator and a config with this provider's profile.
    fn env(&self) -> Env {
        let env = Env::new();
        if let Some(profile) = self.own_profile {
            env.add_profile(self.profile, &profile(&env));
        }
        env
    }

    fn action(&self, which: Which) -> &Action {
        let action = match which {
            Which::End => self.end.as_ref().map(|end| &end.action),
            Which::Delete => self.delete.as_ref(),
        };
        action.unwrap_or_else(|| panic!("{} has no {which:?}", self.profile))
    }

    /// Each action the provider has.
    fn actions(&self) -> Vec<Which> {
        let end = self.end.as_ref().map(|_| Which::End);
        let delete = self.delete.as_ref().map(|_| Which::Delete);
        end.into_iter().chain(delete).collect()
    }

    /// The action of a sweep: `end` where there is one, else `delete`.
    fn sweep_action(&self) -> Which {
        self.actions()[0]
    }

    /// Whether its staleness can be swept: `delete` has no `--older-than` (what "old" may
    /// delete differs by provider), so a provider judged by age that only deletes (Daily)
    /// is swept by piping `list --older-than` into `delete -`, as its README recipe does.
    fn sweeps(&self) -> bool {
        self.stale != "--older-than" || self.end.is_some()
    }

    /// A session `which` applies to.
    fn seed_for(&self, which: Which, id: &str) -> Seed {
        match which {
            Which::End => (self.seed)(id, T),
            Which::Delete => (self.seed_deletable)(id),
        }
    }

    /// Whether `which` was done to the session.
    fn done(&self, env: &Env, which: Which, id: &str) -> bool {
        match which {
            Which::End => (self.ended)(&env.emu, id),
            Which::Delete => (self.deleted)(&env.emu, id),
        }
    }
}

/// The command line of `which`, without IDs.
fn command(which: Which) -> &'static [&'static str] {
    match which {
        Which::End => &["end-many"],
        Which::Delete => &["delete", "--yes"],
    }
}

/// Runs each of `commands` on a provider that lacks their action: each is a usage error
/// that says why and sends nothing.
fn refused(p: &Provider, env: &Env, commands: &[Vec<&str>]) {
    for args in commands {
        let (code, stdout, stderr) = run(env.cmd(p.profile).args(args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(p.lacks), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
    }
    assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
}

/// `end` ends one session with one request; ending it again reports what the provider says
/// about an ended session; an unknown ID is `not_found`, exit 1, or 0 with `--ignore-missing`.
/// Without an end, `end` and `end-many` are usage errors and send nothing.
fn end(p: &Provider) {
    let env = p.env();
    let id = "c 1/x";
    env.emu.seed((p.seed)(id, T));
    let Some(end) = &p.end else {
        let commands = [
            vec!["end", id],
            vec!["end-many", id],
            vec!["end-many", id, "c-2"],
            vec!["end-many", p.stale, "1h"],
        ];
        refused(p, &env, &commands);
        assert!(!(p.ended)(&env.emu, id));
        return;
    };
    let action = &end.action;
    let (doc, code) = env.json(p.profile, &["end", id]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        brief(&doc, id),
        expected(
            action.outcome,
            json!(action.status),
            Value::Null,
            action.attempts(1)
        )
    );
    assert_eq!(doc["provider"], p.name, "{doc:#}");
    assert!((p.ended)(&env.emu, id));
    let named = format!("{} {}", action.method, (action.path)(id));
    let after = action.after.iter().map(|line| line.to_string());
    assert_eq!(
        request_lines(&env.emu.requests()),
        [named].into_iter().chain(after).collect::<Vec<_>>(),
        "one request (and what follows it), the ID one path segment"
    );

    let (doc, code) = env.json(p.profile, &["end", id]);
    let exit = if end.again.outcome == "already_ended" {
        0
    } else {
        1
    };
    assert_eq!(code, exit, "{doc:#}");
    assert_eq!(brief(&doc, id), end.again.of(id));

    let (doc, code) = env.json(p.profile, &["end", "missing"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(brief(&doc, "missing"), p.missing.of("missing"));
    let (doc, code) = env.json(p.profile, &["end", "missing", "--ignore-missing"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(brief(&doc, "missing"), p.missing.of("missing"));
}

/// `end-many`: every outcome in one run, each ID reported once with its status, error and
/// attempts; a 500 is retried (`retries` = 4), then reported with the provider's own text.
fn end_many(p: &Provider) {
    let Some(end) = &p.end else {
        return; // `end` checks that it is a usage error
    };
    let action = &end.action;
    let env = p.env();
    for id in ["ok-1", "ok 2/x", "ended-before", "c-fail"] {
        env.emu.seed((p.seed)(id, T));
    }
    let (doc, code) = env.json(p.profile, &["end", "ended-before"]);
    assert_eq!(code, 0, "{doc:#}");
    env.emu.fault(action.aim(Fault::status(500), "c-fail"));

    let ids = ["ok-1", "ok 2/x", "ended-before", "missing", "c-fail"];
    let (doc, code) = env.json(p.profile, &[&["end-many"][..], &ids].concat());
    assert_eq!(code, 1, "{doc:#}");
    let attempts = end.bulk + action.attempts(1);
    let success = expected(action.outcome, json!(action.status), Value::Null, attempts);
    let bulk = |(outcome, status, error, attempts): (String, Value, Value, Value)| {
        let attempts = json!(attempts.as_u64().unwrap() + u64::from(end.bulk));
        (outcome, status, error, attempts)
    };
    assert_eq!(brief(&doc, "ok-1"), success);
    assert_eq!(brief(&doc, "ok 2/x"), success);
    assert_eq!(
        brief(&doc, "ended-before"),
        bulk(end.again.of("ended-before"))
    );
    assert_eq!(brief(&doc, "missing"), bulk(p.missing.of("missing")));
    assert_eq!(
        brief(&doc, "c-fail"),
        expected(
            "failed",
            json!(500),
            json!(p.errors.server_error),
            end.bulk + action.failed_attempts(5)
        )
    );
    let mut summary: BTreeMap<&str, u32> = BTreeMap::new();
    for outcome in [action.outcome, action.outcome, end.again.outcome]
        .into_iter()
        .chain(["not_found", "failed"])
    {
        *summary.entry(outcome).or_default() += 1;
    }
    assert_eq!(doc["summary"], json!(summary), "{doc:#}");
    assert_eq!(common::outcomes_once(&doc).len(), ids.len());
    assert!((p.ended)(&env.emu, "ok-1"));
    assert!((p.ended)(&env.emu, "ok 2/x"));
    assert!(!(p.ended)(&env.emu, "c-fail"));
}

/// `delete --yes`: each outcome with its status, error and attempts, one request per session
/// deleted and one per attempt, no other; `--ignore-missing` makes an unknown ID no failure.
/// Without a delete, `delete` is a usage error and sends nothing.
fn delete(p: &Provider) {
    let env = p.env();
    let Some(action) = &p.delete else {
        env.emu.seed((p.seed_deletable)("d-1"));
        let commands = [
            vec!["delete", "--yes", "d-1"],
            vec!["delete", "--yes", "d-1", "d-2"],
        ];
        refused(p, &env, &commands);
        assert!(!(p.deleted)(&env.emu, "d-1"));
        return;
    };
    for id in ["d-1", "d 2/x", "d-fail"] {
        env.emu.seed((p.seed_deletable)(id));
    }
    env.emu.fault(action.aim(Fault::status(500), "d-fail"));
    let ids = ["d-1", "d 2/x", "missing", "d-fail"];
    let (doc, code) = env.json(p.profile, &[&["delete", "--yes"][..], &ids].concat());
    assert_eq!(code, 1, "{doc:#}");
    let attempts = action.attempts(1);
    let success = expected(action.outcome, json!(action.status), Value::Null, attempts);
    assert_eq!(brief(&doc, "d-1"), success);
    assert_eq!(brief(&doc, "d 2/x"), success);
    assert_eq!(brief(&doc, "missing"), p.missing.of("missing"));
    assert_eq!(
        brief(&doc, "d-fail"),
        expected(
            "failed",
            json!(500),
            json!(p.errors.server_error),
            action.failed_attempts(5)
        )
    );
    assert_eq!(common::outcomes_once(&doc).len(), ids.len());
    let reqs = env.emu.requests();
    for id in ["d-1", "d 2/x"] {
        assert!((p.deleted)(&env.emu, id), "{id}");
        assert_eq!(
            action.sent(&reqs, id),
            1,
            "{id}: {:#?}",
            request_lines(&reqs)
        );
    }
    assert!(!(p.deleted)(&env.emu, "d-fail"));
    let attempts: u64 = (doc["results"].as_array().unwrap().iter())
        .map(|r| r["attempts"].as_u64().unwrap())
        .sum();
    // The requests the sessions' results count: each session's own (a messaging delete also
    // deletes the session's channel), and the reads before it where it has them (a batch
    // lookup, as Zep v4's, counts for no one session).
    let sent = (reqs.iter())
        .filter(|r| action.before > 0 || ids.iter().any(|id| action.is(r, id)))
        .count();
    assert_eq!(sent as u64, attempts, "{:#?}", request_lines(&reqs));

    let (doc, code) = env.json(
        p.profile,
        &["delete", "--yes", "--ignore-missing", "missing"],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(brief(&doc, "missing"), p.missing.of("missing"));
}

/// `--dry-run` reports what would be done and sends nothing; `delete --dry-run` needs no
/// `--yes`.
fn dry_runs_send_nothing(p: &Provider) {
    let env = p.env();
    env.emu.seed((p.seed)("dry-1", T));
    if p.end.is_some() {
        let would_end = expected("would_end", Value::Null, Value::Null, 0);
        let (doc, code) = env.json(p.profile, &["end-many", "dry-1", "dry-other", "--dry-run"]);
        assert_eq!(code, 0, "{doc:#}");
        assert_eq!(brief(&doc, "dry-1"), would_end);
        assert_eq!(brief(&doc, "dry-other"), would_end);
        let (doc, code) = env.json(p.profile, &["end", "dry-1", "--dry-run"]);
        assert_eq!(code, 0, "{doc:#}");
        assert_eq!(brief(&doc, "dry-1"), would_end);
    }
    if p.delete.is_some() {
        let (doc, code) = env.json(p.profile, &["delete", "dry-1", "--dry-run"]);
        assert_eq!(code, 0, "{doc:#}");
        assert_eq!(
            brief(&doc, "dry-1"),
            expected("would_delete", Value::Null, Value::Null, 0)
        );
    }
    assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
    assert!(!(p.ended)(&env.emu, "dry-1"));
    assert!(!(p.deleted)(&env.emu, "dry-1"));
}

/// The provider's answers to each action, in its own error shape: a 401 is exit 3, a 400 a
/// failure and a 404 `not_found` (exit 1); none of them is retried, and nothing is done.
fn error_replies_map_to_outcomes_and_exit_codes(p: &Provider) {
    let env = p.env();
    for which in p.actions() {
        let action = p.action(which);
        for (answer, outcome, text, exit) in [
            (401, "failed", p.errors.unauthorized, 3),
            (400, "failed", p.errors.bad_request, 1),
            (404, "not_found", p.errors.not_found, 1),
        ] {
            let id = format!("e-{answer}-{which:?}");
            env.emu.seed(p.seed_for(which, &id));
            // Once only: a retry would pass, and show as a second attempt.
            env.emu
                .fault(action.aim(Fault::status(answer), &id).times(1));
            let (doc, code) = env.json(p.profile, &[command(which), &[id.as_str()]].concat());
            assert_eq!(code, exit, "{which:?} answered {answer}: {doc:#}");
            assert_eq!(
                brief(&doc, &id),
                expected(
                    outcome,
                    json!(answer),
                    json!(text),
                    action.failed_attempts(1)
                ),
                "{which:?} answered {answer}"
            );
            assert!(!p.done(&env, which, &id), "{which:?} answered {answer}");
        }
    }
}

/// A 503 that passes is retried: the action is done, in two attempts, two requests.
fn a_failure_that_passes_is_retried(p: &Provider) {
    let env = p.env();
    for which in p.actions() {
        let action = p.action(which);
        let id = format!("r-{which:?}");
        env.emu.seed(p.seed_for(which, &id));
        env.emu.fault(action.aim(Fault::status(503), &id).times(1));
        let (doc, code) = env.json(p.profile, &[command(which), &[id.as_str()]].concat());
        assert_eq!(code, 0, "{which:?}: {doc:#}");
        assert_eq!(
            brief(&doc, &id),
            expected(
                action.outcome,
                json!(action.status),
                Value::Null,
                action.attempts(2)
            ),
            "{which:?}"
        );
        assert!(p.done(&env, which, &id), "{which:?}");
        let reqs = env.emu.requests();
        assert_eq!(action.sent(&reqs, &id), 2, "{which:?}");
    }
}

/// `list` shows every session, once, with the profile and provider of the run.
fn list_shows_every_session(p: &Provider) {
    let env = p.env();
    let ids = ["l-1", "l 2/x", "l-3"];
    env.emu.seed_many(ids.map(|id| (p.seed)(id, T)));
    let (doc, code) = env.json(p.profile, &["list"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["profile"], p.profile, "{doc:#}");
    assert_eq!(doc["provider"], p.name, "{doc:#}");
    assert_eq!(doc["count"], ids.len(), "{doc:#}");
    assert_eq!(listed(&doc), BTreeSet::from(ids), "{doc:#}");
}

/// `--idle-for` lists, and a sweep acts on, the sessions idle past the cut-off and no other;
/// for a provider judged by age, `--older-than` does so and `--idle-for` is refused, with
/// nothing sent.
fn idle_for_selects_only_idle_sessions(p: &Provider) {
    let env = p.env();
    if p.stale != "--idle-for" {
        let (code, _, stderr) = run(env.cmd(p.profile).args(["list", "--idle-for", "1h"]));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("--idle-for"), "{stderr}");
        assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
    }
    env.emu.seed_many([
        (p.seed)("idle-1", "2024-06-01T09:00:00Z"),
        (p.seed)("idle 2/x", "2024-06-01T10:00:00Z"),
        (p.seed)("fresh", "2024-06-01T11:30:00Z"),
    ]);
    let idle = BTreeSet::from(["idle-1", "idle 2/x"]);
    let (doc, code) = env.json_at(NOW, p.profile, &["list", p.stale, "1h"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(listed(&doc), idle, "{doc:#}");

    let which = p.sweep_action();
    let doc = match p.sweeps() {
        true => {
            let sweep = [command(which), &[p.stale, "1h"]].concat();
            let (doc, code) = env.json_at(NOW, p.profile, &sweep);
            assert_eq!(code, 0, "{sweep:?}: {doc:#}");
            doc
        }
        false => {
            let (code, ids, stderr) = run(env
                .cmd(p.profile)
                .env("SESSIONCTL_NOW", NOW)
                .args(["list", p.stale, "1h", "-o", "ids"]));
            assert_eq!(code, 0, "{stderr}");
            let (doc, code) = common::run_json(
                env.cmd(p.profile)
                    .args(["-o", "json", "delete", "--yes", "-"])
                    .write_stdin(ids),
            );
            assert_eq!(code, 0, "{doc:#}");
            doc
        }
    };
    let outcomes = common::outcomes_once(&doc);
    let acted: BTreeSet<&str> = outcomes.keys().map(String::as_str).collect();
    assert_eq!(acted, idle, "{doc:#}");
    let outcome = p.action(which).outcome;
    assert!(outcomes.values().all(|o| o == outcome), "{doc:#}");
    for id in idle {
        assert!(p.done(&env, which, id), "{id}");
        let reason = &common::result_of(&doc, id)["reason"];
        assert!(
            reason.is_string() || !p.sweeps(),
            "a sweep says why it acted on {id}: {doc:#}"
        );
    }
    assert!(
        !p.done(&env, which, "fresh"),
        "the fresh session was acted on"
    );
}

/// A listed ID that would step out of its path segment (`..`, `.`, empty) is a problem the
/// sweep reports (`failed`, with why, exit 1), never a request: `url` drops `.` and `..`
/// segments, so `..` sent as an ID reaches another route (`POST /sessions/end`, `DELETE
/// /threads`, `DELETE /sessions/resources`, `DELETE /api/messaging/sessions`).
fn listed_ids_that_leave_their_segment_are_reported_never_sent(p: &Provider) {
    let env = p.env();
    let bad = ["..", ".", ""];
    env.emu
        .seed_many(bad.map(|id| (p.seed)(id, "2024-06-01T09:00:00Z")));
    let which = p.sweep_action();
    if p.sweeps() {
        let sweep = [command(which), &[p.stale, "1h"]].concat();
        let (doc, code) = env.json_at(NOW, p.profile, &sweep);
        assert_eq!(code, 1, "{doc:#}");
        let outcomes = common::outcomes_once(&doc);
        assert_eq!(outcomes.len(), bad.len(), "{doc:#}");
        for id in bad {
            let r = common::result_of(&doc, id);
            assert_eq!(r["outcome"], "failed", "{id:?}: {doc:#}");
            let error = r["error"].as_str().unwrap_or_default();
            assert!(
                error.contains("the server listed an ID that cannot be sent"),
                "{id:?}: {error}"
            );
        }
    } else {
        // Piped on, `list -o ids` must not hand them to `delete -`: it leaves them out and
        // says so.
        let (code, ids, stderr) = run(env
            .cmd(p.profile)
            .env("SESSIONCTL_NOW", NOW)
            .args(["list", p.stale, "1h", "-o", "ids"]));
        assert_eq!(code, 0, "{ids}\n{stderr}");
        assert!(
            stderr.contains("3 sessions left out of `-o ids`"),
            "{stderr}"
        );
        for id in bad {
            assert!(!ids.lines().any(|l| l == id), "{id:?} in {ids:?}");
        }
    }
    let reqs = env.emu.requests();
    assert!(!reqs.is_empty(), "the sweep listed nothing");
    let others: Vec<String> = (request_lines(&reqs).into_iter())
        .filter(|line| line != p.list)
        .collect();
    assert!(others.is_empty(), "requests beside the list: {others:?}");
    for id in bad {
        assert!(!p.done(&env, which, id), "{id:?} was acted on");
    }
}

/// The IDs of a `list` document.
fn listed(doc: &Value) -> BTreeSet<&str> {
    (doc["sessions"].as_array().expect("sessions").iter())
        .map(|s| s["id"].as_str().unwrap())
        .collect()
}
