//! The one table of video rooms that the Daily ([`super::daily`]), LiveKit
//! ([`super::livekit`]) and Twilio Video ([`super::twilio`]) dialects share: a room is the
//! same thing in all three (a name or SID, when it was created, who is in it, whether it has
//! ended or been deleted); each dialect only renders it and routes its own calls. A fourth
//! room API is one more [`RoomApi`] and one module of routes, not another table.
//!
//! Deleted rooms stay as tombstones, in their place in the list's order, so that a cursor
//! naming a room deleted since (a sweep deletes the last room of the page it just read)
//! still says where the next page starts, as the servers' own cursors do.

use jiff::Timestamp;
use serde::Deserialize;

use super::seed::{Kind, Record, Seed};
use super::state::State;
use super::{Emulator, clock, demo};

/// The room APIs that share this table, each rendering it in its own dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomApi {
    /// Daily REST rooms (`/daily/v1`).
    Daily,
    /// LiveKit's Twirp RoomService (`/livekit`).
    Livekit,
    /// Twilio Video v1 Rooms (`/twilio`).
    Twilio,
}

/// A room of the Daily, LiveKit or Twilio Video API (`api`; kind `room`), known there by
/// `id` (Daily's and LiveKit's room name, Twilio's room SID), created at `created_at`, with
/// `participants` in it; `completed` is a Twilio room that has ended. Build with
/// [`Seed::room`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSeed {
    pub api: RoomApi,
    pub id: String,
    #[serde(default = "clock::now_millis")]
    pub created_at: String,
    #[serde(default)]
    pub participants: u32,
    #[serde(default)]
    pub completed: bool,
}

/// The kind every room API lists as its own.
pub(crate) const ROOM: Kind = Kind::of::<RoomSeed>("room");

impl Record for RoomSeed {
    fn apply(&self, state: &mut State) -> Result<(), String> {
        let r = self.clone();
        (state.table::<Rooms>()).seed(r.api, r.id, r.created_at, r.participants, r.completed);
        Ok(())
    }
}

impl Seed {
    /// An empty, open room of `api` created at `created_at`.
    pub fn room(api: RoomApi, id: &str, created_at: &str) -> Seed {
        Seed::from(RoomSeed {
            api,
            id: id.to_owned(),
            created_at: created_at.to_owned(),
            participants: 0,
            completed: false,
        })
    }
}

/// The demo rooms of `api`, named `{name}-demo-{n}`: one left over from days ago, one of
/// this morning with someone in it, one fresh, and with `completed_too` one completed two
/// days ago.
pub(crate) fn demo(api: RoomApi, name: &str, now: Timestamp, completed_too: bool) -> Vec<Seed> {
    // (created minutes ago, people in it, completed)
    let rooms = [(3 * 24 * 60, 0, false), (5 * 60, 2, false), (10, 0, false)];
    let completed = completed_too.then_some((2 * 24 * 60, 0, true));
    (1..)
        .zip(rooms.into_iter().chain(completed))
        .map(|(n, (created, participants, completed))| {
            Seed::from(RoomSeed {
                api,
                id: format!("{name}-demo-{n}"),
                created_at: clock::millis(demo::ago(now, created)),
                participants,
                completed,
            })
        })
        .collect()
}

#[derive(Clone, Debug)]
pub(crate) struct Room {
    pub api: RoomApi,
    /// The name (Daily, LiveKit) or SID (Twilio) the API addresses it by.
    pub id: String,
    /// The server's own other ID: Daily's room `id`, LiveKit's `sid` (its list cursor and
    /// its display, never its address).
    pub uuid: String,
    /// As seeded, served back as it is where the API uses RFC 3339.
    pub created_at: String,
    pub participants: u32,
    /// When a Twilio room was completed.
    pub ended_at: Option<Timestamp>,
    pub deleted: bool,
}

impl Room {
    pub fn created(&self) -> Option<Timestamp> {
        clock::parse(&self.created_at)
    }
}

#[derive(Default)]
pub(crate) struct Rooms {
    rooms: Vec<Room>,
}

impl Rooms {
    /// Adds a room, replacing one of the same API and ID (a tombstone too).
    pub fn seed(
        &mut self,
        api: RoomApi,
        id: String,
        created_at: String,
        participants: u32,
        completed: bool,
    ) {
        self.rooms.retain(|r| !(r.api == api && r.id == id));
        let uuid = match api {
            RoomApi::Livekit => format!("RM_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
            RoomApi::Daily | RoomApi::Twilio => uuid::Uuid::new_v4().to_string(),
        };
        self.rooms.push(Room {
            api,
            id,
            uuid,
            created_at,
            participants,
            ended_at: completed.then(clock::now),
            deleted: false,
        });
    }

    /// The API's rooms newest first (ties by ID), tombstones included in their place.
    pub fn ordered(&self, api: RoomApi) -> Vec<&Room> {
        let mut rooms: Vec<&Room> = self.rooms.iter().filter(|r| r.api == api).collect();
        rooms.sort_by(|a, b| b.created().cmp(&a.created()).then_with(|| a.id.cmp(&b.id)));
        rooms
    }

    /// A room that exists (not deleted).
    pub fn get(&self, api: RoomApi, id: &str) -> Option<&Room> {
        (self.rooms.iter()).find(|r| r.api == api && r.id == id && !r.deleted)
    }

    pub fn get_mut(&mut self, api: RoomApi, id: &str) -> Option<&mut Room> {
        (self.rooms.iter_mut()).find(|r| r.api == api && r.id == id && !r.deleted)
    }

    /// Deletes a room; whether it existed.
    pub fn delete(&mut self, api: RoomApi, id: &str) -> bool {
        self.get_mut(api, id).map(|r| r.deleted = true).is_some()
    }
}

/// What a test asks of these records.
impl Emulator {
    /// Whether a room of `api` exists (not deleted).
    pub fn room_exists(&self, api: RoomApi, id: &str) -> bool {
        self.shared.lock().table::<Rooms>().get(api, id).is_some()
    }

    /// `Some(ended)` for a room of `api` that exists (a Twilio room is ended when completed).
    pub fn room_ended(&self, api: RoomApi, id: &str) -> Option<bool> {
        (self.shared.lock().table::<Rooms>().get(api, id)).map(|r| r.ended_at.is_some())
    }
}
