//! Demo data for people trying sessionctl against the `mock-server` binary: something
//! stale and something fresh for every provider, relative to the moment it starts, so
//! `list --idle-for 1h` and friends have work to show.

use jiff::{SignedDuration, Timestamp};

use super::clock;
use super::model::Seed;

pub(crate) fn seeds(now: Timestamp) -> Vec<Seed> {
    let ago = |minutes: i64| now - SignedDuration::from_mins(minutes);
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
        });
    }
    // (updated minutes ago, ended): two stale and open, one fresh, one already ended.
    let zep = [
        (3 * 24 * 60, false),
        (2 * 60, false),
        (5, false),
        (10 * 24 * 60, true),
    ];
    for (n, (idle, ended)) in (1..).zip(zep) {
        seeds.push(Seed::ZepSession {
            id: format!("zep-demo-{n}"),
            user_id: Some("demo-user".to_owned()),
            created_at: clock::nanos(ago(idle + 60)),
            updated_at: clock::nanos(ago(idle)),
            ended,
        });
    }
    for (n, idle) in (1..).zip([2 * 24 * 60, 24 * 60, 10]) {
        seeds.push(Seed::ZepThread {
            thread_id: format!("thread-demo-{n}"),
            uuid: uuid::Uuid::new_v4().to_string(),
            user_id: "demo-user".to_owned(),
            created_at: clock::nanos(ago(idle + 60)),
            updated_at: Some(clock::nanos(ago(idle))),
            delete_fails: false,
        });
    }
    for (n, started) in (1..).zip([6 * 60, 5 * 60, 4 * 60]) {
        seeds.push(Seed::SambaSession {
            id: format!("samba-demo-{n}"),
            room_id: uuid::Uuid::new_v4().to_string(),
            start_time: clock::samba(ago(started)),
            live: true,
            participants_live: (n != 3).then_some(n - 1),
        });
    }
    seeds
}
