//! Declared providers (`provider = "declared"`, issue #23): a description in a file beside
//! the config or in the profile, checked when the config loads; its mistakes are one line
//! at `file:line:column`, exit 2, and nothing is sent.

use crate::common;

use std::path::PathBuf;

use common::{Env, Seed};

const T: &str = "2024-05-01T12:00:00Z";

/// The shipped messaging description.
fn messaging() -> String {
    common::shipped_description("messaging.toml")
}

/// An emulator with one messaging session `m`, a config with profile `d` using the
/// description `api` (written beside it as `api.toml`).
fn env_with(api: &str) -> (Env, PathBuf) {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m", T));
    let file = env.dir.path().join("api.toml");
    std::fs::write(&file, api).unwrap();
    env.add_profile(
        "d",
        &format!(
            "provider = \"declared\"\napi = \"api.toml\"\nbase_url = \"{}\"\nmax_backoff = \"100ms\"\n",
            env.emu.messaging_url()
        ),
    );
    (env, file)
}

/// `config check` of profile `d`: exit code and stderr; asserts nothing was sent.
fn check(env: &Env) -> (i32, String) {
    let (code, stdout, stderr) = common::run(env.cmd("d").args(["config", "check"]));
    assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
    if code != 0 {
        assert!(stdout.is_empty(), "{stdout}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
    (code, stderr)
}

#[test]
fn the_shipped_messaging_description_passes_the_check() {
    let (env, _) = env_with(&messaging());
    let (code, stderr) = check(&env);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_mistake_in_a_description_file_is_reported_at_its_line_and_column() {
    let cases = [
        // (replace, with (its last line is the mistake), what the error says)
        (
            "id = \"/sessionId\"",
            "id = \"sessionId\"",
            "must start with `/`",
        ),
        (
            "path = \"api/messaging/sessions/{id}\"",
            "path = \"api/messaging/sessions\"",
            "must have `{id}`",
        ),
        (
            "paging = { style = \"none\" }",
            "paging = { style = \"page\" }",
            "`page` needs `param`",
        ),
        (
            "rows = \"/sessions\"",
            "rows = \"/sessions\"\nrowz = 1",
            "unknown field `rowz`",
        ),
    ];
    for (from, to, says) in cases {
        let text = messaging().replacen(from, to, 1);
        assert_ne!(text, messaging(), "{from}");
        let (env, file) = env_with(&text);
        let (code, stderr) = check(&env);
        assert_eq!(code, 2, "{to}: {stderr}");
        // The line and column of what is wrong, in the description's own file.
        let wrong = to.lines().last().unwrap();
        let offset = text.rfind(wrong).unwrap();
        let line = text[..offset].matches('\n').count() + 1;
        let at = format!("{}:{line}:", file.display());
        assert!(stderr.contains(&at), "{at} in {stderr}");
        assert!(stderr.contains(says), "{says} in {stderr}");
        assert!(stderr.contains("profile `d`"), "{stderr}");
    }
}

#[test]
fn a_description_in_the_profile_is_checked_at_the_config_file_s_lines() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m", T));
    let inline = messaging()
        .replace("\n[", "\n[profiles.d.api.")
        .replace("base_url = \"http://localhost:3000\"", "")
        .replace("error_message", "api.error_message")
        .replace("\"/sessionId\"", "\"sessionId\"");
    env.add_profile(
        "d",
        &format!(
            "provider = \"declared\"\nbase_url = \"{}\"\n{inline}",
            env.emu.messaging_url()
        ),
    );
    let text = std::fs::read_to_string(&env.config).unwrap();
    let offset = text.find("\"sessionId\"").unwrap();
    let line = text[..offset].matches('\n').count() + 1;
    let column = offset - text[..offset].rfind('\n').unwrap();
    let (code, stderr) = check(&env);
    assert_eq!(code, 2, "{stderr}");
    let at = format!("{}:{line}:{column}: ", env.config.display());
    assert!(stderr.contains(&at), "{at} in {stderr}");
    assert!(stderr.contains("must start with `/`"), "{stderr}");
}

#[test]
fn a_description_file_that_is_not_there_is_named() {
    let (env, file) = env_with(&messaging());
    std::fs::remove_file(&file).unwrap();
    let (code, stderr) = check(&env);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot read the description"), "{stderr}");
    assert!(stderr.contains(file.to_str().unwrap()), "{stderr}");
}

// ---------------------------------------------------------------------------------------
// The messaging description against the emulator's messaging dialect

const NOW: &str = "2024-05-01T15:00:00Z";

/// The `problem` a listing reports for `id` (empty when it has none).
fn problem_of(doc: &serde_json::Value, id: &str) -> String {
    let rows = doc["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc}"));
    let row = (rows.iter().find(|r| r["id"] == id)).unwrap_or_else(|| panic!("no {id}: {doc}"));
    row["problem"].as_str().unwrap_or_default().to_owned()
}

fn listed(doc: &serde_json::Value) -> Vec<String> {
    let rows = doc["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc}"));
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_declared_profile_lists_and_ends_as_its_description_says() {
    let (env, _) = env_with(&messaging());
    env.emu
        .seed(Seed::messaging("idle", "2024-05-01T10:00:00Z"));
    env.emu
        .seed(Seed::messaging("fresh", "2024-05-01T14:50:00Z"));
    let (doc, code) = env.json_at(NOW, "d", &["list"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(listed(&doc), ["fresh", "idle", "m"], "{doc}");
    let row = (doc["sessions"].as_array().unwrap().iter())
        .find(|r| r["id"] == "idle")
        .unwrap();
    assert_eq!(row["activity"], "2024-05-01T10:00:00Z", "{row}");

    // A stale sweep judged by the declared activity field.
    let (doc, code) = env.json_at(NOW, "d", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0, "{doc}");
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(
        outcomes.get("idle").map(String::as_str),
        Some("ended"),
        "{doc}"
    );
    assert_eq!(
        outcomes.get("m").map(String::as_str),
        Some("ended"),
        "{doc}"
    );
    assert!(!outcomes.contains_key("fresh"), "{doc}");
    assert!(!env.emu.messaging_exists("idle"));
    assert!(env.emu.messaging_exists("fresh"));

    // Ending it again: the declared 404 is `not_found`, with the server's message.
    let (doc, code) = env.json("d", &["end", "idle"]);
    assert_eq!(common::outcomes_once(&doc)["idle"], "not_found", "{doc}");
    assert_ne!(code, 0);
    let result = common::result_of(&doc, "idle");
    assert!(
        result["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{doc}"
    );
}

#[test]
fn an_action_the_description_lacks_is_refused_and_nothing_is_sent() {
    let text = messaging();
    let (env, _) = env_with(text.split("\n# The same call").next().unwrap());
    let (code, _, stderr) = common::run(env.cmd("d").args(["delete", "m"]));
    assert_ne!(code, 0);
    assert!(stderr.contains("no `delete`"), "{stderr}");
    assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
    assert!(env.emu.messaging_exists("m"));
}

/// Runs `args` on profile `d` at [`NOW`]: exit code and stderr.
fn refused(env: &Env, args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = common::run(env.cmd("d").env("SESSIONCTL_NOW", NOW).args(args));
    (code, stderr)
}

#[test]
fn without_an_activity_field_an_idle_sweep_is_refused_and_nothing_is_sent() {
    let api = messaging().replace("activity = \"/lastActivity\"\n", "");
    assert_ne!(api, messaging());
    let (env, _) = env_with(&api);
    env.emu
        .seed(Seed::messaging("idle", "2024-05-01T10:00:00Z"));
    for args in [
        &["end-many", "--idle-for", "1h"][..],
        &["delete", "--idle-for", "1h", "--yes"],
        &["list", "--idle-for", "1h"],
    ] {
        let (code, stderr) = refused(&env, args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        for says in ["--idle-for", "profile `d`", "fields.activity"] {
            assert!(stderr.contains(says), "{args:?}: {says} in {stderr}");
        }
        // Not even the list call.
        assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
    }
    assert!(env.emu.messaging_exists("idle"));

    // Over every profile, only this one is left out: the built-in one beside it ends the
    // idle session.
    let (code, stdout, stderr) = common::run(env.cmd("d").env("SESSIONCTL_NOW", NOW).args([
        "-o",
        "json",
        "end-many",
        "--idle-for",
        "1h",
        "--all-profiles",
    ]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("skipping profile `d`") && stderr.contains("fields.activity"),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(common::outcomes_once(&doc)["idle"], "ended", "{doc}");
    assert_eq!(common::result_of(&doc, "idle")["profile"], "eliza", "{doc}");
}

#[test]
fn without_a_creation_field_a_sweep_by_age_is_refused_and_nothing_is_sent() {
    let api = messaging().replace("created = \"/createdAt\"\n", "");
    assert_ne!(api, messaging());
    let (env, _) = env_with(&api);
    let (code, stderr) = refused(&env, &["end-many", "--older-than", "1h"]);
    assert_eq!(code, 2, "{stderr}");
    for says in ["--older-than", "profile `d`", "fields.created"] {
        assert!(stderr.contains(says), "{says} in {stderr}");
    }
    assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
    assert!(env.emu.messaging_exists("m"));
    // Idleness is still judged from the activity field it declares.
    let (doc, code) = env.json_at(NOW, "d", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(common::outcomes_once(&doc)["m"], "ended", "{doc}");
}

// ---------------------------------------------------------------------------------------
// The Digital Samba description against the emulator's Digital Samba dialect

fn meeting(id: &str, start_time: &str, participants: Option<u32>) -> Seed {
    Seed::from(common::emulator::samba::SessionSeed {
        id: id.to_owned(),
        room_id: format!("room-{id}"),
        start_time: start_time.to_owned(),
        live: true,
        participants_live: participants,
    })
}

#[test]
fn the_digital_samba_description_lists_ends_and_deletes() {
    let env = Env::declared_samba();
    env.emu.seed_many([
        meeting("empty", "2024-05-01T10:00:00Z", Some(0)),
        meeting("busy", "2024-05-01T10:00:00Z", Some(3)),
        meeting("unsaid", "2024-05-01T10:00:00Z", None),
        meeting("new", "2024-05-01T14:30:00Z", Some(0)),
        Seed::samba_ended("over", "2024-04-01T10:00:00Z"),
    ]);
    let (doc, code) = env.json_at(NOW, "ds", &["list", "--all"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        listed(&doc),
        ["busy", "empty", "new", "over", "unsaid"],
        "{doc}"
    );
    let row = (doc["sessions"].as_array().unwrap().iter())
        .find(|r| r["id"] == "busy")
        .unwrap();
    assert_eq!(
        (&row["participants"], &row["active"]),
        (&3.into(), &true.into()),
        "{row}"
    );

    // No activity field: idle is empty since it started (`idle_since = "created"`); a
    // meeting with people in it is left alone, and one whose row does not count them is
    // reported, never acted on.
    let (doc, code) = env.json_at(NOW, "ds", &["list", "--idle-for", "1h"]);
    assert_eq!(code, 1, "unsaid is reported: {doc}");
    assert_eq!(listed(&doc), ["empty", "unsaid"], "{doc}");
    let problem = problem_of(&doc, "unsaid");
    assert!(
        problem.contains("no /participants_live"),
        "{problem:?} in {doc}"
    );
    let (doc, _) = env.json_at(NOW, "ds", &["end-many", "--idle-for", "1h", "--dry-run"]);
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(outcomes["empty"], "would_end", "{doc}");
    assert_eq!(outcomes["unsaid"], "failed", "{doc}");
    assert!(
        !outcomes.contains_key("busy") && !outcomes.contains_key("new"),
        "{doc}"
    );
    let reason = common::result_of(&doc, "empty")["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.starts_with("empty, created 5h ago"), "{doc}");
    assert_eq!(env.emu.samba_live("empty"), Some(true));

    // By age: `--empty` lists only the meetings known to be empty, and reports the one
    // whose row lacks the declared count (exit 1), as a sweep does; a sweep by age ends
    // the old ones whoever is in them (the policy `--older-than` is for).
    let (doc, code) = env.json_at(NOW, "ds", &["list", "--older-than", "1h", "--empty"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(listed(&doc), ["empty", "unsaid"], "{doc}");
    assert!(problem_of(&doc, "empty").is_empty(), "{doc}");
    assert!(
        problem_of(&doc, "unsaid").contains("no /participants_live"),
        "{doc}"
    );
    let (doc, code) = env.json_at(NOW, "ds", &["end-many", "--older-than", "1h"]);
    assert_eq!(code, 0, "{doc}");
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(
        outcomes.keys().collect::<Vec<_>>(),
        ["busy", "empty", "unsaid"],
        "{doc}"
    );
    assert!(outcomes.values().all(|o| o == "ended"), "{doc}");
    assert_eq!(env.emu.samba_live("empty"), Some(false));
    assert_eq!(env.emu.samba_live("new"), Some(true));

    // Deleting stored data: 204 is done, a live session's 422 a failure with its message.
    let (doc, _) = env.json("ds", &["delete", "--yes", "over", "new", "nope"]);
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(outcomes["over"], "deleted", "{doc}");
    assert_eq!(outcomes["new"], "failed", "{doc}");
    assert_eq!(outcomes["nope"], "not_found", "{doc}");
    assert!(
        common::result_of(&doc, "new")["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert_eq!(env.emu.samba_resources_deleted("over"), Some(true));

    // A server dry run reads each session with the declared probe.
    let (doc, _) = env.json("ds", &["end", "new", "nope", "--dry-run=server"]);
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(
        (outcomes["new"].as_str(), outcomes["nope"].as_str()),
        ("would_end", "not_found"),
        "{doc}"
    );
}

#[test]
fn the_id_goes_into_a_json_or_form_body_as_declared() {
    let api = messaging()
        .replacen(
            "[end]\nmethod = \"DELETE\"\npath = \"api/messaging/sessions/{id}\"\n",
            "[end]\nmethod = \"DELETE\"\npath = \"api/messaging/sessions/{id}\"\njson = { room = \"{id}\", names = [\"{id}\"] }\n",
            1,
        )
        .replacen(
            "[delete]\nmethod = \"DELETE\"\npath = \"api/messaging/sessions/{id}\"\n",
            "[delete]\nmethod = \"DELETE\"\npath = \"api/messaging/sessions/{id}\"\nform = { Status = \"completed\", Why = \"idle {id}\" }\n",
            1,
        );
    assert!(api.contains("json = ") && api.contains("form = "), "{api}");
    let (env, _) = env_with(&api);
    env.emu.seed(Seed::messaging("a&b", T));
    let (doc, _) = env.json("d", &["end", "m"]);
    assert_eq!(common::outcomes_once(&doc)["m"], "ended", "{doc}");
    let (doc, _) = env.json("d", &["delete", "--yes", "a&b"]);
    assert_eq!(common::outcomes_once(&doc)["a&b"], "deleted", "{doc}");
    let requests = env.emu.requests();
    let end = requests.iter().find(|r| r.path.ends_with("/m")).unwrap();
    let body: serde_json::Value = serde_json::from_str(&end.body).unwrap();
    assert_eq!(body, serde_json::json!({"room": "m", "names": ["m"]}));
    assert_eq!(end.header("content-type"), Some("application/json"));
    let delete = requests
        .iter()
        .find(|r| r.method == "DELETE" && r.path.ends_with("b"))
        .unwrap();
    assert_eq!(delete.body, "Status=completed&Why=idle+a%26b");
    assert_eq!(
        delete.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
}

#[test]
fn where_selects_on_the_declared_fields_only() {
    let (env, _) = env_with(&messaging());
    env.emu.seed(Seed::messaging("other", T));
    let (doc, code) = env.json("d", &["list", "--where", "id=m"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(listed(&doc), ["m"], "{doc}");
    // The messaging description declares no room: refused, nothing more sent.
    let sent = env.emu.requests().len();
    let (code, _, stderr) = common::run(env.cmd("d").args(["list", "--where", "room=r"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no field `room`"), "{stderr}");
    assert_eq!(env.emu.requests().len(), sent, "{:?}", env.emu.requests());
}

#[test]
fn a_404_that_is_not_the_api_s_error_is_a_wrong_route_not_a_missing_session() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m", T));
    let api = common::description_path("messaging.toml");
    env.add_profile(
        "d",
        &format!(
            "provider = \"declared\"\napi = \"{api}\"\nbase_url = \"{}/nope\"\n",
            env.emu.messaging_url()
        ),
    );
    let (doc, code) = env.json("d", &["end", "m"]);
    assert_eq!(common::outcomes_once(&doc)["m"], "failed", "{doc}");
    assert_eq!(code, 1, "{doc}");
    let error = common::result_of(&doc, "m")["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(error.contains("no such route"), "{error}");
    assert!(env.emu.messaging_exists("m"));
}

#[test]
fn offset_and_last_row_cursor_paging_read_every_page_once() {
    let offset =
        "paging = { style = \"offset\", param = \"offset\", size = 100, size_param = \"limit\" }";
    for (paging, page_query) in [
        (
            "paging = { style = \"offset\", param = \"offset\", size = 2, size_param = \"limit\" }",
            "offset=",
        ),
        (
            "paging = { style = \"cursor\", param = \"after\", next_from_row = \"/id\", size = 2, size_param = \"limit\" }",
            "after=",
        ),
    ] {
        let env = Env::new();
        env.write_edited_description("digital-samba.toml", "ds.toml", offset, paging);
        env.add_declared_samba("ds", "ds.toml", "", "");
        let ids = ["s1", "s2", "s3", "s4", "s5"];
        env.emu.seed_many(ids.map(|id| meeting(id, T, Some(0))));
        let (doc, code) = env.json("ds", &["list"]);
        assert_eq!(code, 0, "{paging}: {doc}");
        assert_eq!(listed(&doc), ids, "{paging}: {doc}");
        let pages = env.emu.requests();
        // Three pages of at most 2, each asked for once (a cursor's last page is empty or
        // short; an offset's ends at the total).
        assert!((3..=4).contains(&pages.len()), "{paging}: {pages:?}");
        let later = pages.iter().skip(1);
        assert!(
            later
                .clone()
                .all(|r| r.query.as_deref().is_some_and(|q| q.contains(page_query))),
            "{paging}: {pages:?}"
        );
        let queries: std::collections::BTreeSet<_> =
            pages.iter().map(|r| r.query.clone()).collect();
        assert_eq!(
            queries.len(),
            pages.len(),
            "a page asked for twice: {pages:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The shipped room descriptions, on what only their own API does

/// The shipped description `src/provider/declared/examples/<file>` with `edit` applied, as `<file>`
/// beside a config whose profile `d` uses it at `base_url` with its key in `key_env`.
fn room_env(file: &str, edit: (&str, &str), base_url: fn(&Env) -> String, key_env: &str) -> Env {
    let env = Env::new();
    env.write_edited_description(file, file, edit.0, edit.1);
    let profile = format!(
        "provider = \"declared\"\napi = \"{file}\"\nbase_url = \"{}\"\napi_key_env = \"{key_env}\"\n",
        base_url(&env)
    );
    env.add_profile("d", &profile);
    env
}

/// The value of query parameter `name` in a recorded request.
fn query_param(r: &common::Recorded, name: &str) -> Option<String> {
    let query = r.query.as_deref()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn daily_pages_by_the_last_room_s_id_and_deletes_by_name() {
    let env = room_env(
        "daily.toml",
        ("size = 100", "size = 2"),
        |env| env.emu.daily_url(),
        common::DAILY_ENV,
    );
    let names = ["r1", "r2", "r3", "r4", "r5"];
    for (n, name) in names.iter().enumerate() {
        let created = format!("2024-05-01T1{n}:00:00.000Z");
        env.emu
            .seed(Seed::room(common::RoomApi::Daily, name, &created));
    }
    let (doc, code) = env.json("d", &["list"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(listed(&doc), names, "{doc}");
    let pages = env.emu.requests();
    // Newest first, two a page: r5 r4 | r3 r2 | r1, which reaches the `total_count` of 5:
    // no page is asked for after it, though its last row names a cursor.
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(
        pages
            .iter()
            .all(|r| query_param(r, "limit").as_deref() == Some("2"))
    );
    let cursors: Vec<Option<String>> = pages
        .iter()
        .map(|r| query_param(r, "starting_after"))
        .collect();
    assert_eq!(cursors[0], None, "{pages:?}");
    // The cursor is the room's `id` (a UUID), never its name, which `DELETE` takes.
    for cursor in &cursors[1..] {
        let cursor = cursor.as_deref().unwrap_or_default();
        assert!(uuid::Uuid::parse_str(cursor).is_ok(), "{cursor}: {pages:?}");
    }
    let distinct: std::collections::BTreeSet<_> = cursors.iter().collect();
    assert_eq!(
        distinct.len(),
        cursors.len(),
        "a page asked for twice: {pages:?}"
    );

    // `end` is not described (Daily's only end deletes the room): refused, nothing sent.
    let before = env.emu.requests().len();
    let (code, _, stderr) = common::run(env.cmd("d").env("SESSIONCTL_NOW", NOW).args([
        "end-many",
        "--older-than",
        "2h",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no `end`"), "{stderr}");
    assert_eq!(env.emu.requests().len(), before, "nothing sent");

    // A sweep by age (the file's recipe: `list --older-than` piped into `delete -`) deletes
    // by name: the three created before 13:00 of a 15:00 run.
    let (code, ids, stderr) = common::run(env.cmd("d").env("SESSIONCTL_NOW", NOW).args([
        "list",
        "--older-than",
        "2h",
        "-o",
        "ids",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let (doc, code) = common::run_json(
        env.cmd("d")
            .args(["-o", "json", "delete", "--yes", "-"])
            .write_stdin(ids),
    );
    assert_eq!(code, 0, "{doc}");
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(
        outcomes.keys().collect::<Vec<_>>(),
        ["r1", "r2", "r3"],
        "{doc}"
    );
    // The deletes run concurrently: their order is not the list's.
    let mut deletes: Vec<String> = (common::request_lines(&env.emu.requests()).into_iter())
        .filter(|l| l.starts_with("DELETE"))
        .collect();
    deletes.sort();
    assert_eq!(
        deletes,
        ["r1", "r2", "r3"].map(|n| format!("DELETE /daily/v1/rooms/{n}")),
    );
    assert!(env.emu.room_exists(common::RoomApi::Daily, "r4"));

    // A wrong key is Daily's 401 `authentication-error`: exit 3, nothing deleted.
    let (code, _, stderr) = common::run(
        env.cmd("d")
            .env(common::DAILY_ENV, "not-the-key")
            .args(["delete", "--yes", "r4"]),
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(env.emu.room_exists(common::RoomApi::Daily, "r4"));
}

/// Daily's reply says how many rooms there are (`total_count`): a first page that holds them
/// all is all there is, whatever cursor its last room gives, and the check says so.
#[test]
fn daily_s_online_check_says_a_page_that_holds_the_total_is_all() {
    let env = room_env(
        "daily.toml",
        ("", ""),
        |env| env.emu.daily_url(),
        common::DAILY_ENV,
    );
    for (n, name) in ["r1", "r2", "r3"].iter().enumerate() {
        let created = format!("2024-05-01T1{n}:00:00.000Z");
        env.emu
            .seed(Seed::room(common::RoomApi::Daily, name, &created));
    }
    let (code, text, record) = check_online(&env, "d");
    assert_eq!(code, 0, "{text}\n{record}");
    assert_eq!(
        (&record["page"]["rows"], &record["page"]["more"]),
        (&3.into(), &false.into()),
        "{record}"
    );
    assert!(
        text.contains("the first page has 3 rows (paging says that is all)"),
        "{text}"
    );
    // The list itself stops there too: one request.
    let before = env.emu.requests().len();
    let (doc, code) = env.json("d", &["list"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(listed(&doc), ["r1", "r2", "r3"], "{doc}");
    let requests = env.emu.requests();
    assert_eq!(requests.len(), before + 1, "{requests:?}");
}

/// `src/provider/declared/examples/twilio.toml` with `size`, as profile `d` (its placeholder account
/// SID is the emulator's).
fn twilio_env(size: &str) -> Env {
    room_env(
        "twilio.toml",
        ("size = 1000", size),
        |env| env.emu.twilio_url(),
        common::TWILIO_ENV,
    )
}

#[test]
fn twilio_pages_by_the_next_page_url_and_never_leaves_its_host() {
    let env = twilio_env("size = 2");
    let sids = ["RM1", "RM2", "RM3", "RM4", "RM5"];
    for (n, sid) in sids.iter().enumerate() {
        let created = format!("2024-05-01T1{n}:00:00Z");
        env.emu
            .seed(Seed::room(common::RoomApi::Twilio, sid, &created));
    }
    env.emu.seed(Seed::from(common::emulator::rooms::RoomSeed {
        api: common::RoomApi::Twilio,
        id: "RM-over".to_owned(),
        created_at: T.to_owned(),
        participants: 0,
        completed: true,
    }));
    let (doc, code) = env.json("d", &["list"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(listed(&doc), sids, "in progress only: {doc}");
    let pages = env.emu.requests();
    // Two a page, and the last page's `next_page_url` is null: three requests, no more.
    assert_eq!(pages.len(), 3, "{pages:?}");
    for (n, page) in pages.iter().enumerate() {
        assert_eq!(page.path, "/twilio/v1/Rooms", "{pages:?}");
        assert_eq!(
            query_param(page, "PageSize").as_deref(),
            Some("2"),
            "{pages:?}"
        );
        assert_eq!(query_param(page, "Status").as_deref(), Some("in-progress"));
        // Later pages are the URLs the server gave, its page token in them.
        assert_eq!(query_param(page, "PageToken").is_some(), n > 0, "{pages:?}");
    }

    // A next page on another host is never asked for: the list fails, saying why.
    let elsewhere = serde_json::json!({
        "rooms": [{"sid": "RM9", "status": "in-progress", "date_created": T}],
        "meta": {"next_page_url": "https://elsewhere.example/v1/Rooms?PageToken=PA1"},
    });
    env.emu.fault(
        common::Fault::status(200)
            .path("/twilio/v1/Rooms")
            .body(&elsewhere.to_string())
            .times(1),
    );
    let (code, _, stderr) = common::run(env.cmd("d").args(["list"]));
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("leaves the base URL's host"), "{stderr}");
}

/// A Twilio reply shows the room: the outcome says what it shows, never more. A server dry
/// run of a completed room finds it ended already (the read answers 200 either way); an
/// end answered 202 whose room still shows `in-progress` was accepted, not seen ended.
#[test]
fn twilio_outcomes_follow_the_room_its_reply_shows() {
    let env = twilio_env("size = 1000");
    env.emu.seed_many([
        Seed::room(common::RoomApi::Twilio, "RM1", T),
        Seed::room(common::RoomApi::Twilio, "RM2", T),
    ]);
    let (doc, code) = env.json("d", &["end", "RM1", "--dry-run=server"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        common::result_of(&doc, "RM1")["outcome"],
        "would_end",
        "{doc}"
    );
    let (_, code) = env.json("d", &["end", "RM1"]);
    assert_eq!(code, 0);
    let (doc, code) = env.json("d", &["end", "RM1", "--dry-run=server"]);
    assert_eq!(code, 0, "{doc}");
    let r = common::result_of(&doc, "RM1");
    assert_eq!(r["outcome"], "already_ended", "{doc}");
    assert_eq!(
        r["note"], "the read shows /status completed: not live",
        "{doc}"
    );
    // The end is applied, but its reply shows the room as it was.
    let still = serde_json::json!({"sid": "RM2", "status": "in-progress", "date_created": T});
    env.emu.fault(
        common::Fault::apply_then_body(&still.to_string())
            .method("POST")
            .path("/v1/Rooms/RM2")
            .times(1),
    );
    let (doc, code) = env.json("d", &["end", "RM2"]);
    assert_eq!(code, 0, "{doc}");
    let r = common::result_of(&doc, "RM2");
    assert_eq!(
        (&r["outcome"], &r["status"]),
        (&"accepted".into(), &202.into()),
        "{doc}"
    );
    assert_eq!(
        r["note"], "accepted, not seen ended: the reply still shows /status in-progress",
        "{doc}"
    );
}

#[test]
fn twilio_tells_a_completed_room_from_a_bad_request_by_its_code() {
    let env = twilio_env("size = 1000");
    env.emu.seed(Seed::room(common::RoomApi::Twilio, "RM1", T));
    let (doc, code) = env.json("d", &["end", "RM1"]);
    assert_eq!(
        (code, common::outcomes_once(&doc)["RM1"].as_str()),
        (0, "ended"),
        "{doc}"
    );
    let end = env.emu.requests().pop().unwrap();
    assert_eq!(
        (end.method.as_str(), end.body.as_str()),
        ("POST", "Status=completed")
    );
    // Completing it again: 400 with 53112, already ended.
    let (doc, code) = env.json("d", &["end", "RM1"]);
    assert_eq!(
        (code, common::outcomes_once(&doc)["RM1"].as_str()),
        (0, "already_ended"),
        "{doc}"
    );
    // Another 400 (another code) is a failure, with Twilio's message.
    let invalid = r#"{"code": 21201, "message": "No valid parameters", "status": 400}"#;
    env.emu.fault(
        common::Fault::status(400)
            .path("/v1/Rooms/RM1")
            .body(invalid)
            .times(1),
    );
    let (doc, code) = env.json("d", &["end", "RM1"]);
    assert_eq!(code, 1, "{doc}");
    let result = common::result_of(&doc, "RM1");
    assert_eq!(
        (&result["outcome"], &result["error"]),
        (&"failed".into(), &"No valid parameters".into()),
        "{doc}"
    );
    // No delete in Twilio's API: refused before anything is sent.
    let sent = env.emu.requests().len();
    let (code, _, stderr) = common::run(env.cmd("d").args(["delete", "--yes", "RM1"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no `delete`"), "{stderr}");
    assert_eq!(env.emu.requests().len(), sent);
}

#[test]
fn livekit_lists_by_post_and_tells_a_missing_room_from_a_wrong_route() {
    let env = room_env(
        "livekit.toml",
        (
            "[end]\nmethod = \"POST\"\npath = \"twirp/livekit.RoomService/DeleteRoom\"",
            "[end]\nmethod = \"POST\"\npath = \"twirp/livekit.RoomService/EndRoom\"",
        ),
        |env| env.emu.livekit_url(),
        common::LIVEKIT_ENV,
    );
    env.emu.seed(Seed::room(
        common::RoomApi::Livekit,
        "standup",
        "2024-05-01T12:00:00Z",
    ));
    env.emu.seed(Seed::from(common::emulator::rooms::RoomSeed {
        api: common::RoomApi::Livekit,
        id: "busy".to_owned(),
        created_at: T.to_owned(),
        participants: 2,
        completed: false,
    }));
    // One POST with a JSON body lists every room; creation_time (unix seconds, as text) reads
    // as a time.
    let (doc, code) = env.json("d", &["list"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(listed(&doc), ["busy", "standup"], "{doc}");
    let rows = doc["sessions"].as_array().unwrap();
    let standup = rows.iter().find(|r| r["id"] == "standup").unwrap();
    assert_eq!(standup["created"], "2024-05-01T12:00:00Z", "{standup}");
    let busy = rows.iter().find(|r| r["id"] == "busy").unwrap();
    assert_eq!(busy["participants"], 2, "{busy}");
    let list = env.emu.requests().pop().unwrap();
    assert_eq!(
        (list.method.as_str(), list.path.as_str(), list.body.as_str()),
        ("POST", "/livekit/twirp/livekit.RoomService/ListRooms", "{}")
    );
    assert_eq!(list.header("content-type"), Some("application/json"));

    // A method the server has no handler for is Twirp's 404 `bad_route`: a failure saying
    // so, never "not found", and the room stays.
    let (doc, code) = env.json("d", &["end", "standup"]);
    assert_eq!(code, 1, "{doc}");
    let result = common::result_of(&doc, "standup");
    assert_eq!(
        (&result["outcome"], &result["status"]),
        (&"failed".into(), &404.into()),
        "{doc}"
    );
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .contains("no handler for path"),
        "{doc}"
    );
    assert!(env.emu.room_exists(common::RoomApi::Livekit, "standup"));

    // The real DeleteRoom: the name in the body; a room that is not there is `not_found`.
    let (doc, code) = env.json("d", &["delete", "--yes", "standup", "gone"]);
    assert_eq!(code, 1, "{doc}");
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(
        (outcomes["standup"].as_str(), outcomes["gone"].as_str()),
        ("deleted", "not_found"),
        "{doc}"
    );
    assert!(!env.emu.room_exists(common::RoomApi::Livekit, "standup"));
    let delete = (env.emu.requests().into_iter())
        .find(|r| r.path.ends_with("/DeleteRoom") && r.body.contains("standup"))
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&delete.body).unwrap();
    assert_eq!(body, serde_json::json!({"room": "standup"}));

    // A token the server cannot verify: its plain-text 401, exit 3.
    let (code, _, stderr) = common::run(
        env.cmd("d")
            .env(common::LIVEKIT_ENV, "not-a-token")
            .args(["delete", "--yes", "busy"]),
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(env.emu.room_exists(common::RoomApi::Livekit, "busy"));
}

/// One raw HTTP/1.1 request to the emulator ([`common::raw_http`]): the status and the body.
fn raw(emu: &common::Emulator, method: &str, path: &str, headers: &[&str]) -> (u16, String) {
    let (status, _, body) = common::raw_http(emu, method, path, headers);
    (status, body)
}

#[test]
fn each_room_api_refuses_a_key_and_a_rate_in_its_own_shape() {
    let emu = common::Emulator::start(common::Options::default());
    let daily = format!(
        "Authorization: Bearer {}",
        common::emulator::daily::DAILY_KEY
    );
    let livekit = format!(
        "Authorization: Bearer {}",
        common::emulator::livekit::LIVEKIT_TOKEN
    );
    let json = "Content-Type: application/json";
    let list_rooms = "/livekit/twirp/livekit.RoomService/ListRooms";
    // Keys: each API's own refusal.
    let refusals = [
        (
            raw(&emu, "GET", "/daily/v1/rooms", &[]),
            400,
            "\"authorization-header-error\"",
        ),
        (
            raw(
                &emu,
                "GET",
                "/daily/v1/rooms",
                &["Authorization: Bearer nope"],
            ),
            401,
            "\"authentication-error\"",
        ),
        (
            raw(
                &emu,
                "POST",
                list_rooms,
                &["Authorization: Basic eDp5", json],
            ),
            401,
            "Must start with Bearer",
        ),
        (
            raw(
                &emu,
                "POST",
                list_rooms,
                &["Authorization: Bearer nope", json],
            ),
            401,
            "invalid authorization token",
        ),
        (
            raw(
                &emu,
                "GET",
                "/twilio/v1/Rooms",
                &["Authorization: Basic eDp5"],
            ),
            401,
            "\"code\":20003",
        ),
    ];
    for ((status, body), want, says) in refusals {
        assert_eq!(status, want, "{body}");
        assert!(body.contains(says), "{says} in {body}");
    }
    // Twirp answers a method it has no handler for as a route, never as a missing room.
    let (status, body) = raw(
        &emu,
        "POST",
        "/livekit/twirp/livekit.RoomService/Nope",
        &[&livekit, json],
    );
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("\"code\":\"bad_route\""), "{body}");
    // A rate limit: one request a minute, then each API's 429.
    emu.set_rate_limit(Some(common::emulator::RateLimit::fixed_window(
        1,
        std::time::Duration::from_secs(60),
    )));
    assert_eq!(raw(&emu, "GET", "/daily/v1/rooms", &[&daily]).0, 200);
    let limited = [
        (
            raw(&emu, "GET", "/daily/v1/rooms", &[&daily]),
            "\"error\":\"rate-limit-error\"",
        ),
        (
            raw(&emu, "POST", list_rooms, &[&livekit, json]),
            "\"code\":\"resource_exhausted\"",
        ),
        (raw(&emu, "GET", "/twilio/v1/Rooms", &[]), "\"code\":20429"),
    ];
    for ((status, body), says) in limited {
        assert_eq!(status, 429, "{body}");
        assert!(body.contains(says), "{says} in {body}");
    }
}

#[test]
fn the_emulator_s_printed_config_runs_the_shipped_room_descriptions_on_its_demo_rooms() {
    let emu = common::Emulator::start(common::Options {
        demo: true,
        ..common::Options::default()
    });
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        common::emulator::profiles::config_toml(emu.addr(), None),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let list = |profile: &str, args: &[&str]| {
        let mut cmd = common::bare_cmd(&home);
        cmd.arg("-c")
            .arg(&config)
            .args(["-p", profile, "-o", "json", "list"]);
        let (doc, code) = common::run_json(cmd.args(args));
        assert_eq!(code, 0, "{profile} {args:?}: {doc}");
        listed(&doc)
    };
    assert_eq!(list("daily", &["--older-than", "1d"]), ["daily-demo-1"]);
    // In progress only: the completed room is not listed.
    assert_eq!(
        list("twilio", &[]),
        ["twilio-demo-1", "twilio-demo-2", "twilio-demo-3"]
    );
    // Older than an hour and known to be empty: not the one with two people in it.
    assert_eq!(
        list("livekit", &["--older-than", "1h", "--empty"]),
        ["livekit-demo-1"]
    );
}

// ---------------------------------------------------------------------------------------
// `config check --online`: the mapping shown on the first row

/// `config check --online` of profile `d` as text and as JSON: exit code, the text, and
/// the JSON record of `d`; asserts only list calls were sent.
fn check_online(env: &Env, profile: &str) -> (i32, String, serde_json::Value) {
    let (code, text, stderr) = common::run(
        env.cmd(profile)
            .args(["-p", profile, "config", "check", "--online"]),
    );
    let (doc, json_code) = common::run_json(
        env.cmd(profile)
            .args(["-p", profile, "-o", "json", "config", "check", "--online"]),
    );
    assert_eq!(code, json_code, "{text}{stderr}\n{doc}");
    let requests = env.emu.requests();
    assert!(
        requests.len() == 2 && requests.iter().all(|r| r.method == "GET"),
        "one read of the first page each time: {requests:?}"
    );
    let record = doc.as_array().and_then(|a| a.first()).cloned();
    (code, text, record.unwrap_or_else(|| panic!("{doc}")))
}

/// `field → (read, ok)` of a check record's first row.
fn reads(record: &serde_json::Value) -> std::collections::BTreeMap<String, (String, bool)> {
    let fields = record["page"]["fields"].as_array();
    (fields.unwrap_or_else(|| panic!("{record}")).iter())
        .map(|f| {
            let read = f["read"].as_str().unwrap_or("-").to_owned();
            (
                f["field"].as_str().unwrap().to_owned(),
                (read, f["ok"] == true),
            )
        })
        .collect()
}

#[test]
fn the_online_check_shows_what_each_declared_field_read_from_the_first_row() {
    let (env, _) = env_with(&messaging());
    let (code, text, record) = check_online(&env, "d");
    assert_eq!(code, 0, "{text}\n{record}");
    assert_eq!(record["status"], "ok (online)", "{record}");
    assert_eq!(
        (&record["page"]["rows"], &record["page"]["more"]),
        (&1.into(), &false.into()),
        "{record}"
    );
    let read = reads(&record);
    assert_eq!(read["id"], ("m".to_owned(), true), "{record}");
    assert_eq!(read["activity"], (T.to_owned(), true), "{record}");
    assert_eq!(read["created"], (T.to_owned(), true), "{record}");
    assert_eq!(read["metadata"], ("{}".to_owned(), true), "{record}");
    assert_eq!(
        read.keys().collect::<Vec<_>>(),
        ["activity", "created", "id", "metadata", "user"],
        "only the declared fields: {record}"
    );
    // For people: the page, then each pointer beside what it read.
    assert!(
        text.contains("d: the first page has 1 row (paging says that is all); the first row:"),
        "{text}"
    );
    let line = |pointer: &str| text.lines().find(|l| l.contains(pointer)).unwrap_or("");
    assert!(line("/sessionId").trim().starts_with("id"), "{text}");
    assert!(line("/sessionId").trim_end().ends_with(" m"), "{text}");
    assert!(line("/lastActivity").ends_with(T), "{text}");
    assert!(env.emu.messaging_exists("m"));
}

#[test]
fn a_wrong_id_pointer_or_an_unreadable_timestamp_fails_the_online_check() {
    // A pointer no row has, of a field sessions may lack: a note on its line, not a failure.
    let (env, _) = env_with(&messaging().replace("\"/userId\"", "\"/user_id\""));
    let (code, text, record) = check_online(&env, "d");
    assert_eq!(code, 0, "{text}");
    assert_eq!(reads(&record)["user"], ("missing".to_owned(), true));
    let line = text.lines().find(|l| l.contains("/user_id")).unwrap_or("");
    assert!(
        line.trim().starts_with("user")
            && line
                .contains(" missing  <- missing on the page's one row: fine if no session has one"),
        "{text}"
    );
    let fields = record["page"]["fields"].as_array().unwrap();
    let user = fields.iter().find(|f| f["field"] == "user").unwrap();
    assert!(user["note"].as_str().is_some(), "{record}");

    // One a sweep judges by: every row would be reported and none acted on.
    let (env, _) = env_with(&messaging().replace("\"/lastActivity\"", "\"/lastActive\""));
    let (code, text, record) = check_online(&env, "d");
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        reads(&record)["activity"],
        ("missing on the page's one row".to_owned(), false)
    );
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("activity"))
        .unwrap_or("");
    assert!(
        line.contains("/lastActive") && line.ends_with("<- wrong"),
        "{text}"
    );

    // A wrong ID pointer: every row would be refused.
    let (env, _) = env_with(&messaging().replace("\"/sessionId\"", "\"/sessionID\""));
    let (code, text, record) = check_online(&env, "d");
    assert_eq!(code, 1, "{text}");
    assert_eq!(record["ok"], false, "{record}");
    assert_eq!(reads(&record)["id"], ("missing".to_owned(), false));
    let status = record["status"].as_str().unwrap();
    assert!(status.starts_with("mapping wrong"), "{status}");
    assert!(status.contains("id at `/sessionID`: missing"), "{status}");
    assert!(text.contains("<- wrong"), "{text}");
    assert!(env.emu.messaging_exists("m"));

    // A timestamp pointer at something that is not one.
    let (env, _) = env_with(&messaging().replace("\"/lastActivity\"", "\"/userId\""));
    let (code, text, record) = check_online(&env, "d");
    assert_eq!(code, 1, "{text}");
    let (read, ok) = &reads(&record)["activity"];
    assert!(
        !ok && read.starts_with("not a timestamp in rfc3339 ("),
        "{record}"
    );

    // A page that cannot be read: the rows are not where the description says.
    let (env, _) = env_with(&messaging().replace("rows = \"/sessions\"", "rows = \"/items\""));
    let (code, text, record) = check_online(&env, "d");
    assert_eq!(code, 1, "{text}");
    let status = record["status"].as_str().unwrap();
    assert!(status.contains("no list of rows at `/items`"), "{status}");
    assert!(record.get("page").is_none(), "{record}");

    // A wrong base path: the list's route is not on that server.
    let env = Env::new();
    let api = common::description_path("messaging.toml");
    env.add_profile(
        "d",
        &format!(
            "provider = \"declared\"\napi = \"{api}\"\nbase_url = \"{}/nope\"\nretries = 0\n",
            env.emu.messaging_url()
        ),
    );
    let (code, text, record) = check_online(&env, "d");
    assert_eq!(code, 1, "{text}");
    let status = record["status"].as_str().unwrap();
    assert!(status.contains("no such route: check base_url"), "{status}");
}

#[test]
fn an_empty_list_passes_the_online_check_saying_nothing_was_checked() {
    let env = Env::new();
    let file = env.dir.path().join("api.toml");
    std::fs::write(&file, messaging()).unwrap();
    env.add_profile(
        "d",
        &format!(
            "provider = \"declared\"\napi = \"api.toml\"\nbase_url = \"{}\"\n",
            env.emu.messaging_url()
        ),
    );
    let (code, text, record) = check_online(&env, "d");
    assert_eq!(code, 0, "{text}");
    assert_eq!(record["page"]["rows"], 0, "{record}");
    assert!(
        reads(&record).values().all(|(read, ok)| read == "-" && *ok),
        "{record}"
    );
    assert!(text.contains("0 rows"), "{text}");
    assert!(
        text.contains("no row to check the fields against"),
        "{text}"
    );
}

#[test]
fn the_online_check_of_a_keyed_description_pages_and_shows_no_secret() {
    let env = Env::declared_samba();
    env.emu
        .seed_many([meeting("first", T, Some(2)), meeting("second", T, Some(2))]);
    env.write_edited_description("digital-samba.toml", "ds.toml", "size = 100,", "size = 1,");
    env.add_declared_samba("paged", "ds.toml", "", "");
    let (code, text, record) = check_online(&env, "paged");
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        (&record["page"]["rows"], &record["page"]["more"]),
        (&1.into(), &true.into()),
        "{record}"
    );
    let read = reads(&record);
    assert_eq!(read["participants"].0, "2", "{record}");
    assert_eq!(read["live"].0, "true (live)", "{record}");
    assert!(text.contains("paging says more follow"), "{text}");
    for shown in [&text, &record.to_string()] {
        assert!(
            !shown.contains(common::emulator::samba::SAMBA_KEY),
            "{shown}"
        );
    }
}

/// A typo in a pointer a sweep relies on (the shipped Samba description's `participants`)
/// reads nothing on any row: the check fails naming it, instead of passing and leaving the
/// first sweep to report every row. A page where some row has it passes (rows may lack it).
#[test]
fn a_field_pointer_that_reads_nothing_on_the_whole_first_page_fails_the_online_check() {
    let env = Env::declared_samba();
    env.emu.seed_many([
        meeting("a", T, Some(0)),
        meeting("b", T, Some(2)),
        meeting("c", T, None),
    ]);
    let typo = ("\"/participants_live\"", "\"/participant_live\"");
    env.write_edited_description("digital-samba.toml", "typo.toml", typo.0, typo.1);
    env.add_declared_samba("typo", "typo.toml", "", "");
    let (code, text, record) = check_online(&env, "typo");
    assert_eq!(code, 1, "{text}\n{record}");
    assert_eq!(record["ok"], false, "{record}");
    let status = record["status"].as_str().unwrap();
    assert!(
        status.starts_with("mapping wrong")
            && status.contains(
                "participants at `/participant_live`: missing on every row of the page (3)"
            ),
        "{status}"
    );
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("participants"))
        .unwrap_or("");
    assert!(line.ends_with("<- wrong"), "{text}");
    // A page of live sessions says nothing of when one ended: a note, not a failure.
    let ended = text.lines().find(|l| l.contains("/end_time")).unwrap_or("");
    assert!(ended.contains("fine if none has ended yet"), "{text}");

    // The shipped pointer: one row lacks the count, the others have it.
    let (code, text, record) = {
        env.emu.reset();
        env.emu
            .seed_many([meeting("c", T, None), meeting("a", T, Some(0))]);
        check_online(&env, "ds")
    };
    assert_eq!(code, 0, "{text}\n{record}");
    assert_eq!(record["status"], "ok (online)", "{record}");
}

/// `list --empty` on a declared list whose rows lack the count it declares (a typo in
/// `participants`) reports each row as a problem, exit 1, as a sweep does: never `0
/// sessions`, exit 0.
#[test]
fn list_empty_reports_rows_without_the_declared_count_instead_of_dropping_them() {
    let typo = ("\"/num_participants\"", "\"/numParticipants\"");
    let env = room_env(
        "livekit.toml",
        typo,
        |env| env.emu.livekit_url(),
        common::LIVEKIT_ENV,
    );
    env.emu.seed(Seed::room(
        common::RoomApi::Livekit,
        "standup",
        "2024-05-01T12:00:00Z",
    ));
    let (doc, code) = env.json("d", &["list", "--empty"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(listed(&doc), ["standup"], "{doc}");
    let problem = problem_of(&doc, "standup");
    assert!(
        problem.contains("not known to be empty") && problem.contains("/numParticipants"),
        "{problem}"
    );
    // The shipped pointer: the empty room is listed, no problem.
    let env = room_env(
        "livekit.toml",
        ("", ""),
        |env| env.emu.livekit_url(),
        common::LIVEKIT_ENV,
    );
    env.emu.seed(Seed::room(
        common::RoomApi::Livekit,
        "standup",
        "2024-05-01T12:00:00Z",
    ));
    let (doc, code) = env.json("d", &["list", "--empty"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(listed(&doc), ["standup"], "{doc}");
}

/// The shipped room descriptions have no activity field because their APIs have none: the
/// refusal of `--idle-for` says what the description can do (`--older-than`; LiveKit's rows
/// count participants, so `idle_since = "created"` too), not to declare a field the API lacks.
#[test]
fn an_idle_sweep_on_a_room_description_points_to_what_it_can_do() {
    for (file, base_url, key_env, created_idle) in [
        (
            "daily.toml",
            (|env: &Env| env.emu.daily_url()) as fn(&Env) -> String,
            common::DAILY_ENV,
            false,
        ),
        (
            "livekit.toml",
            |env: &Env| env.emu.livekit_url(),
            common::LIVEKIT_ENV,
            true,
        ),
        (
            "twilio.toml",
            |env: &Env| env.emu.twilio_url(),
            common::TWILIO_ENV,
            false,
        ),
    ] {
        let env = room_env(file, ("", ""), base_url, key_env);
        let (code, stderr) = refused(&env, &["list", "--idle-for", "1h"]);
        assert_eq!(code, 2, "{file}: {stderr}");
        assert!(
            stderr.contains("sweep by age with `--older-than`"),
            "{file}: {stderr}"
        );
        assert!(
            !stderr.contains("declare `fields.activity`, a JSON pointer"),
            "{file}: {stderr}"
        );
        assert_eq!(
            stderr.contains("idle_since = \"created\""),
            created_idle,
            "{file}: {stderr}"
        );
        assert!(env.emu.requests().is_empty(), "{file}: nothing sent");
    }
}

// ---------------------------------------------------------------------------------------
// Error replies: the declared message on every path; a 404 not in the API's shape is no
// route of the API's

/// A reply of `status` with `body` (JSON when it is JSON, else text) to the next request
/// of `method` whose path has `path`.
fn answer(method: &str, path: &str, status: u16, body: &str) -> common::Fault {
    common::Fault::status(status)
        .body(body)
        .method(method)
        .path(path)
        .times(1)
}

#[test]
fn every_error_shows_the_message_at_the_declared_pointers() {
    let (env, _) = env_with(&messaging());
    // A list's error: the message, not the body's text.
    let body = r#"{"error":{"code":"BAD","message":"the list is closed"},"trace":"at x.js:1"}"#;
    env.emu
        .fault(answer("GET", "api/messaging/sessions", 400, body));
    let (code, stdout, stderr) = common::run(env.cmd("d").args(["list"]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("HTTP 400: the list is closed"), "{stderr}");
    assert!(!stderr.contains("trace"), "{stderr}");

    // An end's and a delete's: each at the first pointer that has text.
    let busy = r#"{"error":{"message":"the session is busy"}}"#;
    env.emu.fault(answer("DELETE", "sessions/m", 409, busy));
    let (doc, code) = env.json("d", &["end", "m"]);
    assert_eq!(code, 1, "{doc}");
    let r = common::result_of(&doc, "m");
    assert_eq!(
        (&r["outcome"], &r["error"]),
        (&"failed".into(), &"the session is busy".into()),
        "{doc}"
    );
    env.emu.fault(answer(
        "DELETE",
        "sessions/m",
        423,
        r#"{"message":"locked","n":1}"#,
    ));
    let (doc, _) = env.json("d", &["delete", "--yes", "m"]);
    assert_eq!(common::result_of(&doc, "m")["error"], "locked", "{doc}");
    assert!(env.emu.messaging_exists("m"));

    // A probe's (the Digital Samba description has one).
    let env = Env::declared_samba();
    env.emu.seed(meeting("p", T, Some(0)));
    let refused = r#"{"message":"reads are paused","detail":"x"}"#;
    env.emu.fault(answer("GET", "sessions/p", 400, refused));
    let (doc, _) = env.json("ds", &["end", "p", "--dry-run=server"]);
    let r = common::result_of(&doc, "p");
    assert_eq!(
        (&r["outcome"], &r["error"]),
        (&"failed".into(), &"reads are paused".into()),
        "{doc}"
    );
}

#[test]
fn a_404_that_is_not_the_api_s_own_is_failed_whatever_the_statuses_say() {
    // The 404 is declared `already_ended` here: a route's 404 must not read as that either.
    let api = messaging()
        .replace("not_found = [404]\n", "")
        .replace("already_ended = [410]", "already_ended = [404, 410]");
    assert_ne!(api, messaging());
    let (env, _) = env_with(&api);
    for body in [
        "404 page not found",
        "<html><body>Not Found</body></html>",
        r#"{"detail":"Not Found"}"#,
    ] {
        env.emu.fault(answer("DELETE", "sessions/m", 404, body));
        let (doc, code) = env.json("d", &["end", "m", "--ignore-missing"]);
        assert_eq!(code, 1, "{body}: {doc}");
        let r = common::result_of(&doc, "m");
        assert_eq!(r["outcome"], "failed", "{body}: {doc}");
        assert_eq!(r["error_kind"], "protocol", "{body}: {doc}");
        let error = r["error"].as_str().unwrap();
        assert!(
            error.contains("no such route") && error.contains("check base_url"),
            "{error}"
        );
    }
    assert!(env.emu.messaging_exists("m"));
    // The API's own 404 (its error shape, a message at a declared pointer) is what it says.
    let (doc, _) = env.json("d", &["end", "gone"]);
    assert_eq!(
        common::outcomes_once(&doc)["gone"],
        "already_ended",
        "{doc}"
    );
    assert_eq!(
        common::result_of(&doc, "gone")["error"],
        "Session not found",
        "{doc}"
    );

    // A description without `error_message`: any JSON object is the API's own error, text
    // or a web page is not.
    let bare = messaging().replacen(
        "error_message = [\"/error/message\", \"/message\", \"/error\"]\n",
        "",
        1,
    );
    assert_ne!(bare, messaging());
    let (env, _) = env_with(&bare);
    env.emu
        .fault(answer("DELETE", "sessions/m", 404, "404 page not found"));
    let (doc, _) = env.json("d", &["end", "m"]);
    assert_eq!(
        common::result_of(&doc, "m")["error_kind"],
        "protocol",
        "{doc}"
    );
    let (doc, _) = env.json("d", &["end", "gone"]);
    assert_eq!(common::outcomes_once(&doc)["gone"], "not_found", "{doc}");

    // A probe on a wrong base path: no such route, not `not_found`.
    let env = Env::declared_samba();
    let api = common::description_path("digital-samba.toml");
    env.add_declared_samba("wrong", &api, "/v9", "");
    let (doc, code) = env.json(
        "wrong",
        &["end", "p", "--dry-run=server", "--ignore-missing"],
    );
    assert_eq!(code, 1, "{doc}");
    let error = common::result_of(&doc, "p")["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(error.contains("no such route"), "{error}");
}

#[test]
fn a_not_found_after_a_lost_reply_is_the_lost_attempt_s_doing() {
    let (env, _) = env_with(&messaging());
    env.emu.seed(Seed::messaging("other", T));
    // The first DELETE is applied and its reply lost; the retry is told the session is gone.
    env.emu
        .fault(common::Fault::drop_after_apply().method("DELETE").times(1));
    let (doc, code) = env.json("d", &["end", "m"]);
    assert_eq!(code, 0, "{doc}");
    let r = common::result_of(&doc, "m");
    assert_eq!(
        (&r["outcome"], &r["attempts"]),
        (&"already_ended".into(), &2.into()),
        "{doc}"
    );
    assert!(r.get("error").is_none_or(|e| e.is_null()), "{doc}");
    let note = r["note"].as_str().unwrap_or_default();
    assert!(note.contains("most likely did it"), "{doc}");
    assert!(!env.emu.messaging_exists("m"));
    // Without a lost reply, a 404 is still `not_found`.
    let (doc, code) = env.json("d", &["end", "m"]);
    assert_eq!(
        (common::outcomes_once(&doc)["m"].as_str(), code),
        ("not_found", 1),
        "{doc}"
    );
}

#[test]
fn ended_for_measures_the_declared_ended_field_and_is_refused_without_one() {
    let env = Env::declared_samba();
    env.emu.seed_many([
        Seed::samba_ended_at("old", "2024-03-01T10:00:00Z", Some("2024-03-01T11:00:00Z")),
        Seed::samba_ended_at(
            "recent",
            "2024-04-30T10:00:00Z",
            Some("2024-04-30T11:00:00Z"),
        ),
        Seed::samba_ended_at("unsaid", "2024-03-01T10:00:00Z", None),
        meeting("live", "2024-01-01T10:00:00Z", Some(0)),
    ]);
    // Without `ended`: refused, nothing sent.
    let ended = "ended = \"/end_time\"\n";
    let file = env.write_edited_description("digital-samba.toml", "ds.toml", ended, "");
    env.add_declared_samba("unended", "ds.toml", "", "");
    let (code, stderr) = {
        let (code, _, stderr) = common::run(env.cmd("unended").env("SESSIONCTL_NOW", NOW).args([
            "delete",
            "--ended-for",
            "30d",
            "--yes",
        ]));
        (code, stderr)
    };
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--ended-for"), "{stderr}");
    // It says what to declare.
    assert!(stderr.contains("declare `fields.ended`"), "{stderr}");
    assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());

    // The shipped description has `ended` (beside `live`, which it needs): what ended over
    // 30 days ago, by it.
    let (doc, code) = env.json_at(NOW, "ds", &["list", "--ended-for", "30d"]);
    assert_eq!(code, 1, "unsaid is reported: {doc}");
    assert_eq!(listed(&doc), ["old", "unsaid"], "{doc}");
    let problem = problem_of(&doc, "unsaid");
    assert!(
        problem.contains("does not say when it ended"),
        "{problem:?} in {doc}"
    );
    let (doc, code) = env.json_at(NOW, "ds", &["delete", "--ended-for", "30d", "--yes"]);
    assert_eq!(code, 1, "{doc}");
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(outcomes["old"], "deleted", "{doc}");
    assert_eq!(outcomes["unsaid"], "failed", "{doc}");
    assert!(
        !outcomes.contains_key("recent") && !outcomes.contains_key("live"),
        "{doc}"
    );
    let reason = common::result_of(&doc, "old")["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.contains("/end_time 2024-03-01T11:00:00Z"), "{doc}");
    assert_eq!(env.emu.samba_resources_deleted("old"), Some(true));
    assert_ne!(env.emu.samba_resources_deleted("unsaid"), Some(true));

    // `ended` without `live` is refused where it is written.
    let shipped = common::shipped_description("digital-samba.toml");
    let no_live = shipped.replace("live = \"/live\"\nlive_value = true\n", "");
    assert_ne!(no_live, shipped);
    std::fs::write(&file, no_live).unwrap();
    let (code, _, stderr) = common::run(
        env.cmd("unended")
            .args(["-p", "unended", "config", "check"]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`ended` needs `live`"), "{stderr}");
    assert!(stderr.contains("ds.toml:"), "{stderr}");
}

#[test]
fn a_web_page_is_no_declared_api_s_answer() {
    let (env, _) = env_with(&messaging());
    env.emu
        .fault(common::Fault::new(common::FaultKind::WebPage).times(1));
    let (doc, code) = env.json("d", &["end", "m"]);
    assert_eq!(code, 1, "{doc}");
    let r = common::result_of(&doc, "m");
    assert_eq!(
        (&r["outcome"], &r["error_kind"]),
        (&"failed".into(), &"protocol".into()),
        "{doc}"
    );
    let error = r["error"].as_str().unwrap();
    assert!(
        error.contains("text/html") && error.contains("base_url"),
        "{error}"
    );
    // A probe too: a web page is not a session that is there.
    let env = Env::declared_samba();
    env.emu.seed(meeting("p", T, Some(0)));
    env.emu
        .fault(common::Fault::new(common::FaultKind::WebPage).times(1));
    let (doc, _) = env.json("ds", &["end", "p", "--dry-run=server"]);
    assert_eq!(common::outcomes_once(&doc)["p"], "failed", "{doc}");
    assert_eq!(env.emu.samba_live("p"), Some(true));
}

#[test]
fn the_online_check_reads_each_shipped_room_description_s_fields_from_the_first_room() {
    for (file, base_url, key_env, api) in [
        (
            "daily.toml",
            (|env: &Env| env.emu.daily_url()) as fn(&Env) -> String,
            common::DAILY_ENV,
            common::RoomApi::Daily,
        ),
        (
            "livekit.toml",
            |env: &Env| env.emu.livekit_url(),
            common::LIVEKIT_ENV,
            common::RoomApi::Livekit,
        ),
        (
            "twilio.toml",
            |env: &Env| env.emu.twilio_url(),
            common::TWILIO_ENV,
            common::RoomApi::Twilio,
        ),
    ] {
        let env = room_env(file, ("", ""), base_url, key_env);
        env.emu
            .seed(Seed::room(api, "standup", "2024-05-01T12:00:00Z"));
        let (doc, code) = common::run_json(
            env.cmd("d")
                .args(["-p", "d", "-o", "json", "config", "check", "--online"]),
        );
        assert_eq!(code, 0, "{file}: {doc}");
        let record = &doc[0];
        assert_eq!(record["status"], "ok (online)", "{file}: {record}");
        let read = reads(record);
        assert_eq!(read["id"], ("standup".to_owned(), true), "{file}: {record}");
        assert!(
            read["created"].0.contains("2024-05-01T12:00:00"),
            "{file}: {record}"
        );
        assert!(read["created"].1, "{file}: {record}");
        assert!(env.emu.room_exists(api, "standup"), "{file}: only read");
    }
}

/// The README's complete example (`## Declared providers`), followed as written: its profile
/// and its `messaging.toml` (the shipped file's keys, as the README says) check, check
/// online, list and sweep on the emulator's messaging API.
#[test]
fn the_readme_s_example_works_as_written() {
    const README: &str = include_str!("../../README.md");
    let from = README
        .find("The built-in messaging API, described this way")
        .expect("the README's example");
    let blocks: Vec<&str> = README[from..]
        .split("```toml\n")
        .skip(1)
        .take(2)
        .map(|b| &b[..b.find("```").unwrap()])
        .collect();
    let (profile, description) = (blocks[0], blocks[1]);
    // What the README shows is what ships.
    let keys = |text: &str| -> Vec<String> {
        (text.lines())
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(keys(description), keys(&messaging()));
    let env = Env::new();
    std::fs::write(env.dir.path().join("messaging.toml"), description).unwrap();
    let body = (profile.lines())
        .filter(|l| !l.starts_with('#') && !l.starts_with("[profiles."))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("http://127.0.0.1:3000", &env.emu.messaging_url());
    assert!(profile.contains("[profiles.eliza]"), "{profile}");
    // (The test config has an `eliza` profile of its own.)
    env.add_profile("readme", &body);
    env.emu.seed_many([
        Seed::messaging("idle", "2024-05-01T12:00:00.000Z"),
        Seed::messaging("fresh", "2024-05-01T14:50:00.000Z"),
    ]);
    let (code, out, err) = common::run(env.cmd("readme").args(["config", "check"]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(env.emu.requests().is_empty(), "config check sends nothing");
    let (code, out, err) = common::run(env.cmd("readme").args(["config", "check", "--online"]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("ok (online)") && out.contains("/sessionId"),
        "{out}"
    );
    let (doc, code) = env.json_at(NOW, "readme", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0, "{doc}");
    let outcomes = common::outcomes_once(&doc);
    assert_eq!(outcomes.len(), 1, "{doc}");
    assert_eq!(outcomes["idle"], "ended", "{doc}");
}
