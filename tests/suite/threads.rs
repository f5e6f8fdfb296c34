//! Zep threads (v3 and v4: delete and list, never end) and Digital Samba's delete and end:
//! what only these providers do. Their outcomes, and that threads have no end, are checked
//! with every other provider's in `conformance`.

use crate::common;

use common::{outcomes_once, result_of};

use std::collections::BTreeSet;
use std::time::Duration;

use common::{Env, Fault, Options, Seed};
use serde_json::Value;

/// "Now" for the sweeps; `--idle-for 1h` cuts off at 11:00:00Z.
const NOW: &str = "2024-06-01T12:00:00Z";
const OLD: &str = "2024-01-01T00:00:00Z";

fn requests(env: &Env, method: &str, path_part: &str) -> Vec<common::emulator::Recorded> {
    env.emu
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.contains(path_part))
        .collect()
}

fn thread(thread_id: &str, uuid: &str, created_at: &str, updated_at: Option<&str>) -> Seed {
    Seed::from(common::emulator::threads::ThreadSeed {
        thread_id: thread_id.to_owned(),
        uuid: uuid.to_owned(),
        user_id: "user-1".to_owned(),
        created_at: created_at.to_owned(),
        updated_at: updated_at.map(str::to_owned),
        delete_fails: false,
    })
}

fn uuid_of(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

// ---------------------------------------------------------------------------------------
// Zep v3

#[test]
fn v3_list_pages_by_page_number_oldest_first() {
    let env = Env::new();
    env.emu.seed_many((0..230).map(|i| {
        Seed::zep_thread(
            &format!("v3-{i:03}"),
            &format!("2024-05-01T{:02}:{:02}:00Z", i / 60, i % 60),
        )
    }));
    let (doc, code) = env.json("zep3", &["list"]);
    assert_eq!(code, 0);
    assert_eq!(doc["count"], 230);
    let sessions = doc["sessions"].as_array().unwrap();
    assert_eq!(sessions[0]["id"], "v3-000");
    assert_eq!(sessions[229]["id"], "v3-229");
    let unique: BTreeSet<&str> = sessions.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(unique.len(), 230);
    let pages = requests(&env, "GET", "/zep/api/v2/threads");
    assert_eq!(pages.len(), 3);
    for (n, page) in pages.iter().enumerate() {
        let q = page.query.as_deref().unwrap_or_default();
        assert!(q.contains(&format!("page_number={}", n + 1)), "{q}");
    }
}

// ---------------------------------------------------------------------------------------
// Zep v4

#[test]
fn v4_delete_looks_up_once_per_batch_then_deletes_by_uuid() {
    let env = Env::new();
    for n in 1..=5 {
        env.emu
            .seed(thread(&format!("t-{n}"), &uuid_of(n), OLD, None));
    }
    let ids = ["t-1", "t-2", "t-3", "t-4", "t-5", "t-missing"];
    let (doc, code) = env.json("zep4", &[&["delete", "--yes"][..], &ids].concat());
    assert_eq!(code, 1, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes["t-missing"], "not_found", "{doc:#}");
    for n in 1..=5 {
        let id = format!("t-{n}");
        let r = result_of(&doc, &id);
        assert_eq!(r["outcome"], "accepted", "{doc:#}");
        assert_eq!(r["status"], 202);
        let task = r["task"].as_str().expect("accepted carries its task");
        assert!(env.emu.task_status(task).is_some(), "unknown task {task}");
    }
    let lookups = requests(&env, "POST", "/lookup");
    assert_eq!(lookups.len(), 1, "one lookup for the whole batch");
    let body: Value = serde_json::from_str(&lookups[0].body).unwrap();
    let asked: BTreeSet<&str> = body["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(asked, ids.iter().copied().collect());
    // Deletes go to UUIDs, and nothing is deleted for the ID that was not found.
    let deletes = requests(&env, "DELETE", "/threads/");
    assert_eq!(deletes.len(), 5);
    let paths: BTreeSet<String> = deletes.iter().map(|r| r.path.clone()).collect();
    let want: BTreeSet<String> = (1..=5)
        .map(|n| format!("/zep/api/v4/threads/{}", uuid_of(n)))
        .collect();
    assert_eq!(paths, want);
}

#[test]
fn v4_lookup_batches_follow_batch_size() {
    let env = Env::new();
    env.add_profile(
        "zep4-small",
        &format!(
            "provider = \"zep\"\napi_version = 4\nbase_url = \"{}\"\napi_key_env = \"{}\"\nbatch_size = 2\n",
            env.emu.zep_v4_url(),
            common::ZEP_ENV
        ),
    );
    for n in 1..=5 {
        env.emu
            .seed(thread(&format!("b-{n}"), &uuid_of(n), OLD, None));
    }
    let (doc, code) = env.json(
        "zep4-small",
        &["delete", "--yes", "b-1", "b-2", "b-3", "b-4", "b-5"],
    );
    assert_eq!(code, 0, "{doc:#}");
    assert!(outcomes_once(&doc).values().all(|o| o == "accepted"));
    assert_eq!(requests(&env, "POST", "/lookup").len(), 3);
}

/// `delete --yes --wait --timeout 10s` of `args` on `zep4`: its document and exit code.
fn delete_waiting(env: &Env, args: &[&str]) -> (serde_json::Value, i32) {
    let mut all = vec!["delete", "--yes", "--wait", "--timeout", "10s"];
    all.extend_from_slice(args);
    env.json("zep4", &all)
}

#[test]
fn v4_wait_reports_the_task_outcome() {
    let env = Env::with(Options {
        task_delay: Duration::from_millis(300),
        ..Options::default()
    });
    env.emu.seed(thread("w-ok", &uuid_of(1), OLD, None));
    env.emu
        .seed(Seed::from(common::emulator::threads::ThreadSeed {
            thread_id: "w-bad".to_owned(),
            uuid: uuid_of(2),
            user_id: "user-1".to_owned(),
            created_at: OLD.to_owned(),
            updated_at: None,
            delete_fails: true,
        }));
    let (doc, code) = delete_waiting(&env, &["w-ok", "w-bad"]);
    assert_eq!(code, 1, "{doc:#}");
    let ok = result_of(&doc, "w-ok");
    assert_eq!(ok["outcome"], "deleted", "{doc:#}");
    assert!(ok["task"].is_string());
    let bad = result_of(&doc, "w-bad");
    assert_eq!(bad["outcome"], "failed", "{doc:#}");
    assert!(
        bad["error"]
            .as_str()
            .unwrap_or_default()
            .contains("thread deletion failed"),
        "{doc:#}"
    );
    assert!(!env.emu.thread_exists("w-ok"));
    assert!(env.emu.thread_exists("w-bad"));
    assert!(!requests(&env, "GET", "/tasks/").is_empty());

    // Without --wait the same delete is only accepted.
    env.emu.seed(thread("w-nowait", &uuid_of(3), OLD, None));
    let (doc, code) = env.json("zep4", &["delete", "--yes", "w-nowait"]);
    assert_eq!(code, 0);
    assert_eq!(result_of(&doc, "w-nowait")["outcome"], "accepted");
}

#[test]
fn v4_by_uuid_skips_the_lookup() {
    let env = Env::new();
    env.emu.seed(thread("u-1", &uuid_of(7), OLD, None));
    let uuid = uuid_of(7);
    let (doc, code) = env.json("zep4", &["delete", "--yes", "--by-uuid", &uuid]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, &uuid)["outcome"], "accepted");
    assert!(requests(&env, "POST", "/lookup").is_empty());
    let deletes = requests(&env, "DELETE", "/threads/");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].path, format!("/zep/api/v4/threads/{uuid}"));
}

#[test]
fn v4_retried_delete_reuses_its_idempotency_key() {
    let env = Env::new();
    env.emu.seed(thread("i-1", &uuid_of(9), OLD, None));
    env.emu.fault(
        Fault::status(503)
            .times(1)
            .method("DELETE")
            .path("/threads/"),
    );
    let (doc, code) = env.json("zep4", &["delete", "--yes", "i-1"]);
    assert_eq!(code, 0, "{doc:#}");
    let r = result_of(&doc, "i-1");
    assert_eq!(r["outcome"], "accepted");
    assert_eq!(r["attempts"], 2);
    let deletes = requests(&env, "DELETE", "/threads/");
    assert_eq!(deletes.len(), 2);
    let keys: Vec<&str> = deletes
        .iter()
        .map(|d| d.header("idempotency-key").expect("Idempotency-Key sent"))
        .collect();
    assert!(!keys[0].is_empty());
    assert_eq!(keys[0], keys[1], "a retry must reuse the key");
    assert!(env.emu.task_status(r["task"].as_str().unwrap()).is_some());
}

#[test]
fn v4_distinct_deletes_use_distinct_idempotency_keys() {
    let env = Env::new();
    env.emu.seed(thread("k-1", &uuid_of(1), OLD, None));
    env.emu.seed(thread("k-2", &uuid_of(2), OLD, None));
    let (doc, code) = env.json("zep4", &["delete", "--yes", "k-1", "k-2"]);
    assert_eq!(code, 0, "{doc:#}");
    let keys: BTreeSet<String> = requests(&env, "DELETE", "/threads/")
        .iter()
        .map(|d| d.header("idempotency-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 2);
    let tasks: BTreeSet<&str> = ["k-1", "k-2"]
        .iter()
        .map(|id| result_of(&doc, id)["task"].as_str().unwrap())
        .collect();
    assert_eq!(tasks.len(), 2, "two deletes, two tasks");
}

#[test]
fn v4_list_follows_the_cursor() {
    let env = Env::new();
    env.emu.seed_many((0..230).map(|i| {
        thread(
            &format!("v4-{i:03}"),
            &uuid_of(i + 1),
            "2024-04-01T00:00:00Z",
            Some(&format!("2024-05-01T{:02}:{:02}:00Z", i / 60, i % 60)),
        )
    }));
    let (doc, code) = env.json("zep4", &["list"]);
    assert_eq!(code, 0);
    assert_eq!(doc["count"], 230);
    let sessions = doc["sessions"].as_array().unwrap();
    assert_eq!(sessions[0]["id"], "v4-000");
    assert_eq!(sessions[0]["uuid"], uuid_of(1));
    assert_eq!(sessions[229]["id"], "v4-229");
    let unique: BTreeSet<&str> = sessions.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(unique.len(), 230);
    let pages = requests(&env, "GET", "/zep/api/v4/threads");
    assert_eq!(pages.len(), 3);
    let q0 = pages[0].query.as_deref().unwrap_or_default();
    assert!(!q0.contains("cursor="), "{q0}");
    for page in &pages[1..] {
        let q = page.query.as_deref().unwrap_or_default();
        assert!(q.contains("cursor="), "{q}");
    }
}

// ---------------------------------------------------------------------------------------
// Stale sweeps of threads

fn seed_stale_threads(env: &Env) {
    env.emu.seed_many([
        thread("s-old", &uuid_of(1), "2024-06-01T09:00:00Z", None),
        thread(
            "s-old-updated",
            &uuid_of(2),
            "2024-05-01T00:00:00Z",
            Some("2024-06-01T10:00:00.5Z"),
        ),
        thread(
            "s-recently-updated",
            &uuid_of(3),
            "2024-05-01T00:00:00Z",
            Some("2024-06-01T11:30:00Z"),
        ),
        thread("s-edge", &uuid_of(4), "2024-06-01T11:00:00Z", None),
        thread("s-new", &uuid_of(5), "2024-06-01T11:59:00Z", None),
        // v3 threads carry no `updated_at`: only a recent message shows this one in use.
        Seed::messages("s-recently-updated", &["2024-06-01T11:30:00Z"]),
    ]);
}

#[test]
fn v3_delete_idle_for_deletes_only_idle_threads() {
    let env = Env::new();
    seed_stale_threads(&env);
    let (doc, code) = env.json_at(NOW, "zep3", &["delete", "--idle-for", "1h", "--yes"]);
    assert_eq!(code, 0, "{doc:#}");
    common::assert_exactly(&doc, &["s-old", "s-old-updated"], "deleted");
    assert!(
        result_of(&doc, "s-old")["reason"]
            .as_str()
            .unwrap()
            .starts_with("idle 3h")
    );
    assert!(!env.emu.thread_exists("s-old"));
    assert!(!env.emu.thread_exists("s-old-updated"));
    for id in ["s-recently-updated", "s-edge", "s-new"] {
        assert!(env.emu.thread_exists(id), "{id} was deleted");
    }
}

#[test]
fn v4_delete_idle_for_dry_run_sends_no_lookup_and_no_delete() {
    let env = Env::new();
    seed_stale_threads(&env);
    let (doc, code) = env.json_at(NOW, "zep4", &["delete", "--idle-for", "1h", "--dry-run"]);
    assert_eq!(code, 0, "{doc:#}");
    common::assert_exactly(&doc, &["s-old", "s-old-updated"], "would_delete");
    assert_eq!(
        result_of(&doc, "s-old-updated")["reason"],
        "idle 1h 59m (last activity 2024-06-01T10:00:00.5Z)"
    );
    assert!(env.emu.requests().iter().all(|r| r.method == "GET"));

    // And for real: accepted, by UUID.
    let (doc, code) = env.json_at(NOW, "zep4", &["delete", "--idle-for", "1h", "--yes"]);
    assert_eq!(code, 0, "{doc:#}");
    assert!(outcomes_once(&doc).values().all(|o| o == "accepted"));
    let paths: BTreeSet<String> = requests(&env, "DELETE", "/threads/")
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        paths,
        [uuid_of(1), uuid_of(2)]
            .iter()
            .map(|u| format!("/zep/api/v4/threads/{u}"))
            .collect()
    );
}

/// A thread created through v4 has no `thread_id` (zep-cloud 4.0.1 `thread.create` takes
/// only `user_uuid`): the list gives its UUID alone. A sweep deletes every listed thread by
/// the UUID the list gave, with no lookup (the UUID sent to `POST /lookup` as a developer
/// ID came back not found, and nothing was deleted).
#[test]
fn v4_sweep_deletes_listed_threads_by_their_uuid_without_a_lookup() {
    let env = Env::new();
    let (bare, named) = (uuid_of(41), uuid_of(42));
    env.emu.seed(Seed::v4_thread(
        &bare,
        &uuid_of(900),
        "2024-06-01T09:00:00Z",
    ));
    env.emu
        .seed(thread("named", &named, OLD, Some("2024-06-01T09:00:00Z")));
    let (doc, code) = env.json("zep4", &["list"]);
    assert_eq!(code, 0, "{doc:#}");
    let (doc, code) = env.json_at(NOW, "zep4", &["delete", "--yes", "--idle-for", "1h"]);
    assert_eq!(code, 0, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes[bare.as_str()], "accepted", "{doc:#}");
    assert_eq!(outcomes["named"], "accepted", "{doc:#}");
    assert!(
        requests(&env, "POST", "/lookup").is_empty(),
        "a lookup was sent"
    );
    let paths: BTreeSet<String> = requests(&env, "DELETE", "/threads/")
        .iter()
        .map(|r| r.path.clone())
        .collect();
    let want: BTreeSet<String> = [&bare, &named]
        .iter()
        .map(|u| format!("/zep/api/v4/threads/{u}"))
        .collect();
    assert_eq!(paths, want);
    assert!(env.emu.thread_deletion_queued(&bare));
}

/// `--dry-run=server --by-uuid` reads each thread with `GET /threads/{uuid}` (4.0.1
/// `thread.get`): an existing one is `would_delete`, an unknown one `not_found`.
#[test]
fn v4_server_dry_run_by_uuid_reads_the_thread() {
    let env = Env::new();
    let (known, unknown) = (uuid_of(51), uuid_of(52));
    env.emu.seed(Seed::v4_thread(&known, &uuid_of(900), OLD));
    let (doc, code) = env.json(
        "zep4",
        &["delete", "--dry-run=server", "--by-uuid", &known, &unknown],
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(
        result_of(&doc, &known)["outcome"],
        "would_delete",
        "{doc:#}"
    );
    assert_eq!(result_of(&doc, &unknown)["outcome"], "not_found", "{doc:#}");
    assert!(env.emu.requests().iter().all(|r| r.method == "GET"));
    assert_eq!(requests(&env, "GET", &format!("/threads/{known}")).len(), 1);
    assert!(env.emu.thread_uuid_exists(&known));
}

/// A v4 user may have no developer ID: `--where user_uuid=` selects its threads with the
/// list's own `user_uuid` filter (no user lookup), and the rows are checked for it too.
#[test]
fn v4_where_user_uuid_selects_that_users_threads() {
    let env = Env::new();
    let (mine, theirs) = (uuid_of(900), uuid_of(901));
    env.emu
        .seed(Seed::v4_thread(&uuid_of(61), &mine, "2024-06-01T09:00:00Z"));
    env.emu.seed(Seed::v4_thread(
        &uuid_of(62),
        &theirs,
        "2024-06-01T09:00:00Z",
    ));
    let filter = format!("user_uuid={mine}");
    let (doc, code) = env.json_at(NOW, "zep4", &["list", "--where", &filter]);
    assert_eq!(code, 0, "{doc:#}");
    let ids: Vec<&str> = (doc["sessions"].as_array().unwrap().iter())
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [uuid_of(61).as_str()], "{doc:#}");
    let lists = requests(&env, "GET", "/v4/threads");
    assert!(
        lists.iter().all(|r| r
            .query
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("user_uuid={mine}"))),
        "{lists:#?}"
    );
    assert!(requests(&env, "POST", "/users/lookup").is_empty());
    let (doc, code) = env.json_at(
        NOW,
        "zep4",
        &["delete", "--yes", "--idle-for", "1h", "--where", &filter],
    );
    assert_eq!(code, 0, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes.len(), 1, "{doc:#}");
    assert!(env.emu.thread_deletion_queued(&uuid_of(61)));
    assert!(!env.emu.thread_deletion_queued(&uuid_of(62)));
}

/// A task that ends `partial` deleted part of the thread, not all: never `deleted`; the
/// result says what the task said, and the run exits 1.
#[test]
fn v4_wait_reports_a_partial_task_as_such() {
    let env = Env::new();
    let uuid = uuid_of(71);
    env.emu
        .seed(Seed::from(common::emulator::threads::V4ThreadSeed {
            uuid: uuid.clone(),
            user_uuid: uuid_of(900),
            created_at: OLD.to_owned(),
            updated_at: None,
            delete_task: common::emulator::threads::DeleteTask::Partial,
        }));
    let (doc, code) = delete_waiting(&env, &["--by-uuid", &uuid]);
    assert_eq!(code, 1, "{doc:#}");
    let r = result_of(&doc, &uuid);
    assert_eq!(r["outcome"], "failed", "{doc:#}");
    let error = r["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("partial")
            && error.contains("only part of the thread was deleted")
            && error.contains("could not be deleted"),
        "{error}"
    );
    assert!(env.emu.thread_uuid_exists(&uuid));
}

// ---------------------------------------------------------------------------------------
// Digital Samba

fn samba(id: &str, live: bool) -> Seed {
    Seed::from(common::emulator::samba::SessionSeed {
        id: id.to_owned(),
        room_id: format!("room-{id}"),
        start_time: "2024-06-01T08:00:00.000000Z".to_owned(),
        live,
        participants_live: None,
    })
}

#[test]
fn samba_delete_removes_resources_of_ended_sessions_only() {
    let env = Env::new();
    env.emu.seed(samba("ds-done", false));
    env.emu.seed(samba("ds-live", true));
    let (doc, code) = env.json(
        "samba",
        &["delete", "--yes", "ds-done", "ds-live", "ds-missing"],
    );
    assert_eq!(code, 1, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes["ds-done"], "deleted");
    assert_eq!(result_of(&doc, "ds-done")["status"], 204);
    assert_eq!(outcomes["ds-missing"], "not_found");
    assert_eq!(outcomes["ds-live"], "failed");
    let live = result_of(&doc, "ds-live");
    assert_eq!(live["status"], 422, "{doc:#}");
    assert_eq!(live["attempts"], 1, "{doc:#}");
    assert_eq!(
        live["error"],
        "Cannot delete resources of a live session. (end it first: sessionctl -p samba end \
         ds-live)"
    );
    assert_eq!(env.emu.samba_resources_deleted("ds-done"), Some(true));
    assert_eq!(env.emu.samba_resources_deleted("ds-live"), Some(false));
    assert_eq!(
        env.emu.samba_live("ds-live"),
        Some(true),
        "delete must not end it"
    );
    // `DELETE /sessions/{id}/resources`, never the session record itself.
    let deletes = requests(&env, "DELETE", "/samba/api/v1/sessions/");
    assert_eq!(deletes.len(), 3);
    assert!(deletes.iter().all(|r| r.path.ends_with("/resources")));
}

#[test]
fn samba_delete_without_yes_on_a_pipe_sends_nothing() {
    let env = Env::new();
    env.emu.seed(samba("ds-done", false));
    let out = env
        .cmd("samba")
        .args(["delete", "ds-done"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(env.emu.requests().is_empty());
    assert_eq!(env.emu.samba_resources_deleted("ds-done"), Some(false));
}

#[test]
fn samba_end_never_parses_the_success_body() {
    let env = Env::new();
    env.emu.seed(samba("ds-a", true));
    env.emu.seed(samba("ds-b", true));
    env.emu.seed(samba("ds-over", false));
    // A 200 whose body is text, not JSON (the real API's end answers text/plain).
    env.emu.fault(
        Fault::status(200)
            .body("Session ended successfully.")
            .path("/ds-b/end"),
    );
    let (doc, code) = env.json("samba", &["end-many", "ds-a", "ds-b", "ds-over"]);
    assert_eq!(code, 0, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(outcomes["ds-a"], "ended", "{doc:#}");
    assert_eq!(outcomes["ds-b"], "ended", "{doc:#}");
    assert_eq!(outcomes["ds-over"], "already_ended", "{doc:#}");
    assert!(result_of(&doc, "ds-a")["error"].is_null());
    assert_eq!(env.emu.samba_live("ds-a"), Some(false));
    // The empty text/plain 200 of the emulator's own end, too, on a single `end`.
    env.emu.seed(samba("ds-single", true));
    let (doc, code) = env.json("samba-bearer", &["end", "ds-single"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "ds-single")["outcome"], "ended");
    assert_eq!(result_of(&doc, "ds-single")["status"], 200);
}

#[test]
fn v4_wait_that_runs_out_is_exit_1() {
    let env = Env::with(common::Options {
        task_delay: std::time::Duration::from_secs(30),
        ..common::Options::default()
    });
    env.emu.seed(thread("slow", &uuid_of(7), OLD, None));
    let (doc, code) = env.json(
        "zep4",
        &["delete", "--yes", "--wait", "--timeout", "500ms", "slow"],
    );
    assert_eq!(
        code, 1,
        "still running after --wait is not success: {doc:#}"
    );
    let r = result_of(&doc, "slow");
    assert_eq!(r["outcome"], "accepted");
    assert!(
        (r["error"].as_str().unwrap()).contains("task still running after 500 ms"),
        "{r}"
    );
}

/// The UUID a v4 lookup answers is an ID from a server like a listed one: it passes the
/// same check before any request names it (a control character, which the URL builder
/// alone would encode and send), and the delete and its dry run say why nothing was sent.
#[test]
fn v4_a_looked_up_uuid_that_fails_the_id_check_is_never_sent() {
    let env = Env::new();
    env.emu.seed(thread("t-1", "u\u{7}", OLD, None));
    for dry in [true, false] {
        let mut args = vec!["delete", "--yes", "t-1"];
        args.extend(dry.then_some("--dry-run=server"));
        let (doc, code) = env.json("zep4", &args);
        assert_eq!(code, 1, "{doc:#}");
        let r = result_of(&doc, "t-1");
        assert_eq!(r["outcome"], "failed", "{doc:#}");
        let error = r["error"].as_str().unwrap();
        assert!(error.contains("lookup gave UUID"), "{doc:#}");
        assert!(error.contains("control character"), "{doc:#}");
    }
    let sent = env.emu.requests();
    assert!(
        sent.iter().all(|r| r.path.ends_with("/lookup")),
        "{:?}",
        common::request_lines(&sent)
    );
}

/// A delete sweep whose every thread is read again right before it is deleted.
const RECHECKED_SWEEP: &[&str] = &[
    "delete",
    "--idle-for",
    "1h",
    "--yes",
    "--recheck-after",
    "0s",
];

/// v4 reads one thread (`GET /threads/{uuid}`, after the lookup a developer ID needs): a
/// sweep's re-check reads each thread it is about to delete by the UUID its list gave, and
/// `apply --dry-run` of a plan of IDs reads each, so a thread gone since is `not_found`.
#[test]
fn v4_reads_one_thread_to_recheck_and_to_show_a_plan_of_ids() {
    let env = Env::new();
    let stale = "2024-06-01T09:00:00Z";
    env.emu.seed_many([
        thread("r-1", &uuid_of(1), OLD, Some(stale)),
        thread("r-2", &uuid_of(2), OLD, Some(stale)),
    ]);
    let (doc, code) = env.json_at(NOW, "zep4", RECHECKED_SWEEP);
    assert_eq!(code, 0, "{doc:#}");
    assert!(
        outcomes_once(&doc).values().all(|o| o == "accepted"),
        "{doc:#}"
    );
    for n in [1, 2] {
        let path = format!("/threads/{}", uuid_of(n));
        assert_eq!(requests(&env, "GET", &path).len(), 1, "read again: {path}");
    }
    assert_eq!(doc["summary"]["rechecked"], 2, "{doc:#}");
    // A plan of IDs, applied as a dry run.
    env.emu.seed(thread("r-3", &uuid_of(3), OLD, Some(stale)));
    let plan = env.dir.path().join("plan.json");
    let (doc, code) = common::run_json(
        env.cmd("zep4")
            .args(["delete", "r-3", "nosuch", "--plan"])
            .arg(&plan)
            .args(["-o", "json"]),
    );
    assert_eq!(code, 0, "{doc:#}");
    let before = env.emu.requests().len();
    let (doc, code) = common::run_json(
        env.cmd("zep4")
            .args(["apply", "--dry-run", "-o", "json"])
            .arg(&plan),
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(result_of(&doc, "r-3")["outcome"], "would_delete", "{doc:#}");
    assert_eq!(result_of(&doc, "nosuch")["outcome"], "not_found", "{doc:#}");
    let sent = env.emu.requests().split_off(before);
    let lines: Vec<String> = sent
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        lines.contains(&format!("GET /zep/api/v4/threads/{}", uuid_of(3))),
        "{lines:?}"
    );
    assert!(
        sent.iter()
            .all(|r| r.method == "GET" || r.path.ends_with("/lookup")),
        "only reads: {lines:?}"
    );
    assert!(env.emu.thread_exists("r-3"));
}

/// A v4 read that answers with another thread (its `uuid` or `thread_id` not the one asked
/// for) is no evidence for this one: the re-check cannot read it, so it is not deleted.
#[test]
fn v4_a_read_that_returns_another_thread_is_never_evidence() {
    let env = Env::new();
    let stale = "2024-06-01T09:00:00Z";
    env.emu.seed_many([
        thread("r-1", &uuid_of(1), OLD, Some(stale)),
        thread("r-2", &uuid_of(2), OLD, Some(stale)),
    ]);
    for (n, other) in [
        // Another thread's UUID (and ID) under the one asked for.
        serde_json::json!({"uuid": uuid_of(2), "thread_id": "r-2", "created_at": OLD,
                           "updated_at": stale}),
        // The UUID asked for, but another developer ID.
        serde_json::json!({"uuid": uuid_of(1), "thread_id": "r-2", "created_at": OLD,
                           "updated_at": stale}),
        // A thread that does not say which it is.
        serde_json::json!({"created_at": OLD, "updated_at": stale}),
    ]
    .into_iter()
    .enumerate()
    {
        env.emu.fault(
            Fault::apply_then_body(&other.to_string())
                .times(1)
                .method("GET")
                .path(&format!("/threads/{}", uuid_of(1))),
        );
        let (doc, code) = env.json_at(NOW, "zep4", RECHECKED_SWEEP);
        let r = result_of(&doc, "r-1");
        assert_eq!(r["outcome"], "skipped", "case {n}: {doc:#}");
        assert!(
            r["error"]
                .as_str()
                .unwrap()
                .contains("could not be read again"),
            "case {n}: {doc:#}"
        );
        assert!(env.emu.thread_exists("r-1"), "case {n}: r-1 never deleted");
        assert_eq!(code, 1, "case {n}: {doc:#}");
        assert_eq!(
            requests(&env, "DELETE", &format!("/threads/{}", uuid_of(1))).len(),
            0,
            "case {n}"
        );
    }
    // r-2 was read as itself and deleted in the first run.
    assert!(!env.emu.thread_exists("r-2"));
}
