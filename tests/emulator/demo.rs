//! Demo data for people trying sessionctl against the `mock-server` binary: something
//! stale and something fresh for every provider, relative to the moment it starts, so
//! `list --idle-for 1h` and friends have work to show. Zep v2 and elizaOS sessions and
//! LangGraph threads carry an `env` in their metadata (for `--where`). The Daily, LiveKit and
//! Twilio rooms say only when they were created (for `--older-than`). Zep sessions and threads also get messages, and
//! one of each looks old but has a recent message: only a client that reads messages sees
//! that it is in use.

use jiff::{SignedDuration, Timestamp};

use super::clock;
use super::model::{RoomApi, Seed, TimeoutConfig};

pub(crate) fn seeds(now: Timestamp) -> Vec<Seed> {
    let ago = |minutes: i64| now - SignedDuration::from_mins(minutes);
    // Metadata to try `--where metadata.env=staging` on: odd sessions are staging.
    let env = |id: &str, n: u32| {
        let env = if n % 2 == 1 { "staging" } else { "prod" };
        Seed::metadata(id, serde_json::json!({ "env": env }))
    };
    let mut seeds = Vec::new();
    for n in 1..=5 {
        // demo-1..3 idle for three hours, demo-4..5 active a minute ago.
        let idle = if n <= 3 { 180 } else { 1 };
        seeds.push(Seed::MessagingSession {
            id: format!("demo-{n}"),
            user_id: uuid::Uuid::new_v4().to_string(),
            agent_id: uuid::Uuid::new_v4().to_string(),
            created_at: clock::millis(ago(idle + 60)),
            last_activity: clock::millis(ago(idle)),
            // A server whose sessions time out after a day (1.7.2's longest `timeoutMinutes`),
            // so the three-hour-idle ones are still there to sweep.
            timeout_config: Some(TimeoutConfig {
                timeout_minutes: 1440,
                max_duration_minutes: 2880,
                ..TimeoutConfig::default()
            }),
            expires_at: None,
            messages: 2,
        });
        seeds.push(env(&format!("demo-{n}"), n));
    }
    // One message when created, one when last used.
    let messages = |id: &str, created: i64, used: i64| {
        Seed::messages(id, &[&clock::nanos(ago(created)), &clock::nanos(ago(used))])
    };
    // (updated minutes ago, ended, last message minutes ago): two stale and open, one fresh,
    // one already ended, and one not updated for days whose last message is two minutes old.
    let zep = [
        (3 * 24 * 60, false, 3 * 24 * 60),
        (2 * 60, false, 2 * 60),
        (5, false, 5),
        (10 * 24 * 60, true, 10 * 24 * 60),
        (4 * 24 * 60, false, 2),
    ];
    for (n, (idle, ended, used)) in (1..).zip(zep) {
        let id = format!("zep-demo-{n}");
        seeds.push(Seed::ZepSession {
            id: id.clone(),
            user_id: Some("demo-user".to_owned()),
            created_at: clock::nanos(ago(idle + 60)),
            updated_at: clock::nanos(ago(idle)),
            ended,
        });
        seeds.push(messages(&id, idle + 60, used));
        seeds.push(env(&id, n));
    }
    // (created minutes ago, seeded updated_at minutes ago, last message minutes ago): v3
    // reports no `updated_at`, so the messages say which threads are fresh. thread-demo-4
    // is a month old, never updated, and had a message three minutes ago.
    let threads = [
        (2 * 24 * 60 + 60, Some(2 * 24 * 60), 2 * 24 * 60),
        (24 * 60 + 60, Some(24 * 60), 24 * 60),
        (70, Some(10), 10),
        (30 * 24 * 60, None, 3),
    ];
    for (n, (created, updated, used)) in (1..).zip(threads) {
        let thread_id = format!("thread-demo-{n}");
        seeds.push(Seed::ZepThread {
            thread_id: thread_id.clone(),
            uuid: uuid::Uuid::new_v4().to_string(),
            user_id: "demo-user".to_owned(),
            created_at: clock::nanos(ago(created)),
            updated_at: updated.map(|idle| clock::nanos(ago(idle))),
            delete_fails: false,
        });
        seeds.push(messages(&thread_id, created, used));
    }
    // Digital Samba: (started minutes ago, people in it): an empty meeting for a sweep, two
    // with people in them. Every row says how many are in it, so a sweep over the demo data
    // exits 0 (a row without `participants_live` is a failure; tests seed that one).
    for (n, (started, people)) in (1..).zip([(6 * 60, 0), (5 * 60, 1), (4 * 60, 2)]) {
        seeds.push(Seed::SambaSession {
            id: format!("samba-demo-{n}"),
            room_id: uuid::Uuid::new_v4().to_string(),
            start_time: clock::samba(ago(started)),
            live: true,
            participants_live: Some(people),
        });
    }
    // LangGraph: (status, updated minutes ago): an idle thread for `delete --idle-for`, a
    // run going on for hours for `end-many --idle-for`, and a fresh one of each.
    let langgraph = [("idle", 5 * 60), ("busy", 3 * 60), ("idle", 2), ("busy", 1)];
    for (n, (status, idle)) in (1..).zip(langgraph) {
        seeds.push(Seed::LanggraphThread {
            thread_id: format!("langgraph-demo-{n}"),
            created_at: clock::nanos(ago(idle + 60)),
            updated_at: clock::nanos(ago(idle)),
            status: status.to_owned(),
            metadata: serde_json::json!({ "env": if n % 2 == 1 { "staging" } else { "prod" } })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        });
    }
    // Rooms: (created minutes ago, people in it, completed): one left over from days ago,
    // one of this morning with someone in it, one fresh; Twilio also keeps a completed one.
    let rooms = [(3 * 24 * 60, 0, false), (5 * 60, 2, false), (10, 0, false)];
    for (api, name) in [
        (RoomApi::Daily, "daily"),
        (RoomApi::Livekit, "livekit"),
        (RoomApi::Twilio, "twilio"),
    ] {
        let completed = (api == RoomApi::Twilio).then_some((2 * 24 * 60, 0, true));
        for (n, (created, participants, completed)) in (1..).zip(rooms.into_iter().chain(completed))
        {
            seeds.push(Seed::Room {
                api,
                id: format!("{name}-demo-{n}"),
                created_at: clock::millis(ago(created)),
                participants,
                completed,
            });
        }
    }
    seeds
}
