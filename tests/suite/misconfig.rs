//! A misconfiguration must fail loudly: a route the server does not have is not a session it
//! does not have, a web page is not a provider's success, refused credentials stop the run,
//! and flags that would silently mean something else are refused.

use crate::common;

use common::{Env, Fault, FaultKind, Seed, outcomes_once, result_of};

const OLD: &str = "2024-01-01T00:00:00.000Z";

/// Each provider's profile, the command that acts on a session there, and its base URL.
fn profiles(env: &Env) -> Vec<(&'static str, &'static str, &'static str, String)> {
    vec![
        ("zep", "zep", "end-many", env.emu.zep_v2_url()),
        ("zep3", "zep", "delete", env.emu.zep_v2_url()),
        ("zep4", "zep", "delete", env.emu.zep_v4_url()),
        ("samba", "digital-samba", "end-many", env.emu.samba_url()),
        ("eliza", "messaging", "end-many", env.emu.messaging_url()),
    ]
}

#[test]
fn a_wrong_base_path_fails_the_run_instead_of_reading_as_not_found() {
    let env = Env::new();
    for (name, provider, command, base) in profiles(&env) {
        let wrong = format!("{name}-v9");
        // A path under the provider's own prefix that none of its routes serve.
        let base = format!("{}/v9", base.trim_end_matches('/'));
        let key = match provider {
            "messaging" => String::new(),
            "digital-samba" => format!(
                "team_id = \"{}\"\napi_key_env = \"{}\"\n",
                common::emulator::samba::SAMBA_TEAM,
                common::SAMBA_ENV
            ),
            _ => format!("api_key_env = \"{}\"\n", common::ZEP_ENV),
        };
        let version = match name {
            "zep3" => "api_version = 3\n",
            "zep4" => "api_version = 4\n",
            _ => "",
        };
        env.add_profile(
            &wrong,
            &format!("provider = \"{provider}\"\nbase_url = \"{base}\"\n{version}{key}retries = 0"),
        );
        let mut args = vec![command, "s-1", "s-2", "--ignore-missing"];
        if command == "delete" {
            args.push("--yes");
        }
        let (doc, code) = env.json(&wrong, &args);
        assert_eq!(code, 1, "{wrong}: {doc:#}");
        for id in ["s-1", "s-2"] {
            let r = result_of(&doc, id);
            assert_eq!(r["outcome"], "failed", "{wrong}: {doc:#}");
            assert_eq!(r["error_kind"], "protocol", "{wrong}: {doc:#}");
            let error = r["error"].as_str().unwrap();
            assert!(error.contains("no such route"), "{wrong}: {error}");
            assert!(error.contains("check base_url"), "{wrong}: {error}");
            // What a generic router says (the emulator's unknown routes, in a provider's
            // prefix or not, answer as one).
            assert!(error.contains("404 page not found"), "{wrong}: {error}");
        }
        // The right base path still tells a session that does not exist.
        let mut args = vec![command, "never-was"];
        if command == "delete" {
            args.push("--yes");
        }
        let (doc, code) = env.json(name, &args);
        assert_eq!(
            result_of(&doc, "never-was")["outcome"],
            "not_found",
            "{name}: {doc:#}"
        );
        assert_eq!(code, 1, "{name}");
    }
}

#[test]
fn a_web_page_for_every_path_is_failed_for_every_provider() {
    let env = Env::new();
    for (name, _, command, _) in profiles(&env) {
        env.emu.seed_many([
            Seed::zep_session("w-1", OLD),
            Seed::samba_live("w-1", OLD),
            Seed::messaging("w-1", OLD),
        ]);
        env.emu.fault(Fault::new(FaultKind::WebPage));
        let mut args = vec![command, "w-1"];
        if command == "delete" {
            args.push("--yes");
        }
        let (doc, code) = env.json(name, &args);
        assert_eq!(outcomes_once(&doc)["w-1"], "failed", "{name}: {doc:#}");
        let r = result_of(&doc, "w-1");
        let error = r["error"].as_str().unwrap();
        assert!(error.contains("text/html"), "{name}: {error}");
        assert_eq!(code, 1, "{name}");
        env.emu.reset();
    }
}

/// A list answered with a web page says so, and where to look, on every provider (a
/// declared one too): not "malformed reply body: expected value at line 1 column 1".
#[test]
fn a_web_page_for_a_list_is_named_as_one() {
    let env = Env::new();
    env.add_profile(
        "lg",
        &format!(
            "provider = \"langgraph\"\nbase_url = \"{}\"",
            env.emu.langgraph_url()
        ),
    );
    let daily = common::description_path("daily.toml");
    env.add_profile(
        "daily",
        &format!(
            "provider = \"declared\"\napi = \"{daily}\"\nbase_url = \"{}\"\napi_key = \"{}\"",
            env.emu.daily_url(),
            common::emulator::daily::DAILY_KEY
        ),
    );
    let names = profiles(&env).into_iter().map(|(name, ..)| name);
    for name in names.chain(["lg", "daily"]) {
        env.emu.fault(Fault::new(FaultKind::WebPage));
        let (code, out, err) = common::run(env.cmd(name).arg("list"));
        assert_eq!(code, 1, "{name}: {out}\n{err}");
        assert!(
            err.contains("with text/html") && err.contains("is base_url another server?"),
            "{name}: {err}"
        );
        env.emu.reset();
    }
}

#[test]
fn a_profile_flag_that_cannot_mean_what_it_says_is_refused() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("p-1", OLD));
    let cases: &[(&[&str], &str)] = &[
        // `-p "$PROFILE"` with the variable unset: not the default profile.
        (&["-p", "", "end", "p-1"], "-p/--profile is empty"),
        (&["-p", "eliza", "list", "--all-profiles"], "contradict"),
        (
            &[
                "-p",
                "eliza",
                "end-many",
                "--all-profiles",
                "--idle-for",
                "1h",
            ],
            "contradict",
        ),
    ];
    for (args, says) in cases {
        let out = common::bare_cmd(&env.dir)
            .arg("-c")
            .arg(&env.config)
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    assert!(env.emu.requests().is_empty(), "nothing is sent");
    // SESSIONCTL_PROFILE is a default that --all-profiles overrides, and empty is unset.
    let out = common::bare_cmd(&env.dir)
        .arg("-c")
        .arg(&env.config)
        .env("SESSIONCTL_PROFILE", "")
        .env(common::ZEP_ENV, common::emulator::zep::ZEP_KEY)
        .args(["-o", "json", "end", "p-1"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the default profile (zep) has no p-1"
    );
}

#[test]
fn an_id_that_is_a_dry_run_mode_or_stdin_is_refused_with_the_hint() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("d-1", OLD));
    let cases: &[(&[&str], &str)] = &[
        (&["end", "d-1", "--dry-run", "server"], "--dry-run=server"),
        (
            &["end-many", "--dry-run", "server", "d-1"],
            "--dry-run=server",
        ),
        (
            &["delete", "--yes", "--dry-run", "client", "d-1"],
            "--dry-run=client",
        ),
        (&["end", "-"], "end-many -"),
    ];
    for (args, says) in cases {
        let (code, _, stderr) = common::run(env.cmd("eliza").args(*args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    assert!(env.emu.requests().is_empty(), "nothing is sent");
}

#[test]
fn end_takes_several_ids_and_one_as_before() {
    let env = Env::new();
    env.emu
        .seed_many(["e-1", "e-2", "e-3"].map(|id| Seed::messaging(id, OLD)));
    let (doc, code) = env.json("eliza", &["end", "e-1", "e-2"]);
    assert_eq!(code, 0, "{doc:#}");
    common::assert_all(&doc, 2, "ended");
    let (doc, code) = env.json("eliza", &["end", "e-3"]);
    assert_eq!(code, 0);
    assert_eq!(outcomes_once(&doc)["e-3"], "ended");
    assert_eq!(doc["summary"], serde_json::json!({"ended": 1}));
}

#[test]
fn an_all_profiles_run_with_no_usable_profile_is_a_configuration_error() {
    let env = Env::new();
    // Every profile but `eliza` needs a key; without them and without `eliza`'s server
    // settings there is nothing left that can run.
    std::fs::write(
        &env.config,
        format!(
            "[profiles.nokey]\nprovider = \"zep\"\nbase_url = \"{}\"\napi_key_env = \"SESSIONCTL_TEST_UNSET\"\n",
            env.emu.zep_v2_url()
        ),
    )
    .unwrap();
    let (code, _, stderr) =
        common::run(common::bare_cmd(&env.dir).arg("-c").arg(&env.config).args([
            "end-many",
            "--all-profiles",
            "--idle-for",
            "1h",
        ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no profile can be used"), "{stderr}");
    assert!(env.emu.requests().is_empty());
}

#[test]
fn limit_drains_a_backlog_idle_longest_first_and_says_what_is_left() {
    let env = Env::new();
    // Five idle sessions, the oldest `b-4`; each run ends two.
    env.emu.seed_many((0..5).map(|i| {
        Seed::messaging(
            &format!("b-{i}"),
            &format!("2024-01-0{}T00:00:00.000Z", 5 - i),
        )
    }));
    // --max still counts the whole selection: five selected is over a cap of 3.
    let (code, _, stderr) = common::run(env.cmd("eliza").args([
        "end-many",
        "--idle-for",
        "1h",
        "--limit",
        "2",
        "--max",
        "3",
    ]));
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(env.emu.messaging_count(), 5, "nothing sent");
    let (doc, code) = env.json("eliza", &["end-many", "--idle-for", "1h", "--limit", "2"]);
    assert_eq!(code, 0, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    assert_eq!(
        outcomes.keys().collect::<Vec<_>>(),
        ["b-3", "b-4"],
        "the two idle longest"
    );
    assert_eq!(doc["summary"], serde_json::json!({"ended": 2, "left": 3}));
    let (code, _, stderr) =
        common::run(
            env.cmd("eliza")
                .args(["end-many", "--idle-for", "1h", "--limit", "2"]),
        );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 more left for the next run"), "{stderr}");
    let (doc, code) = env.json("eliza", &["end-many", "--idle-for", "1h", "--limit", "2"]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"], serde_json::json!({"ended": 1}), "drained");
    assert_eq!(env.emu.messaging_count(), 0);
    // `--limit 0` is refused, for a sweep and for `list`; `--limit` is only for sweeps by
    // idleness or age (what it keeps is the idle longest: orphans and ended sessions are
    // neither).
    for args in [
        &["end-many", "--idle-for", "1h", "--limit", "0"][..],
        &["list", "--limit", "0"],
        &["end-many", "x", "--limit", "2"],
        &["delete", "--orphans", "--limit", "2"],
        &["delete", "--ended-for", "1d", "--limit", "2"],
    ] {
        let (code, _, stderr) = common::run(env.cmd("eliza").args(args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("--limit"), "{args:?}: {stderr}");
        if args.contains(&"0") {
            assert!(
                stderr.contains("must be at least 1 (`--limit 0` would select nothing)"),
                "{args:?}: {stderr}"
            );
        }
    }
}

/// The binary on profile `zep3` with a Zep key the server refuses.
fn with_wrong_key(env: &Env) -> assert_cmd::Command {
    let mut cmd = env.cmd("zep3");
    cmd.env(common::ZEP_ENV, "not-the-key");
    cmd
}

/// Seeds `n` Zep threads `t-00`, `t-01`, … and deletes them all with a refused key and
/// `flags`; asserts that the run exits 3, the first one fails and no request but its one
/// 401 is sent. Returns the IDs and the result document.
fn delete_with_wrong_key(env: &Env, n: usize, flags: &[&str]) -> (Vec<String>, serde_json::Value) {
    let ids: Vec<String> = (0..n).map(|i| format!("t-{i:02}")).collect();
    env.emu
        .seed_many(ids.iter().map(|id| Seed::zep_thread(id, OLD)));
    let (doc, code) = common::run_json(
        with_wrong_key(env)
            .args(["-o", "json", "delete", "--yes"])
            .args(flags)
            .args(&ids),
    );
    assert_eq!(code, 3, "{doc:#}");
    assert_eq!(outcomes_once(&doc)["t-00"], "failed", "{doc:#}");
    assert_eq!(
        env.emu.requests().len(),
        1,
        "one 401, then nothing more is sent"
    );
    (ids, doc)
}

#[test]
fn refused_credentials_stop_the_run_and_the_rest_are_skipped() {
    let env = Env::new();
    let (ids, doc) = delete_with_wrong_key(&env, 20, &["--concurrency", "1"]);
    let outcomes = outcomes_once(&doc);
    assert_eq!(result_of(&doc, "t-00")["error_kind"], "unauthenticated");
    for id in &ids[1..] {
        assert_eq!(outcomes[id], "skipped", "{id}: {doc:#}");
        let error = result_of(&doc, id)["error"].as_str().unwrap();
        assert!(error.contains("refused the credentials"), "{error}");
    }
}

/// With requests in flight at once, those already waiting their turn (here, paced 2 a
/// second) or waiting out a 429 when the 401 comes are not sent either: a wrong key costs
/// the requests already on the wire, never one per session.
#[test]
fn refused_credentials_stop_requests_already_waiting_their_turn() {
    let env = Env::new();
    let (ids, doc) = delete_with_wrong_key(&env, 10, &["--rate", "2/s"]);
    for id in &ids[1..] {
        let r = result_of(&doc, id);
        assert_eq!(
            (&r["outcome"], &r["attempts"]),
            (&"skipped".into(), &0.into()),
            "{r}"
        );
        assert!(
            r["error"]
                .as_str()
                .unwrap()
                .contains("refused the credentials"),
            "{r}"
        );
    }

    // One waiting out a 429 (Retry-After: 1) when another's 401 arrives is not sent again.
    env.emu.reset();
    env.emu
        .seed_many([Seed::zep_thread("b", OLD), Seed::zep_thread("a", OLD)]);
    env.emu.fault(
        Fault::status(429)
            .retry_after("1")
            .path("/threads/b")
            .times(1),
    );
    let (doc, code) = common::run_json(with_wrong_key(&env).args([
        "-o",
        "json",
        "delete",
        "--yes",
        "--concurrency",
        "2",
        "b",
        "a",
    ]));
    assert_eq!(code, 3, "{doc:#}");
    let b = result_of(&doc, "b");
    assert_eq!(
        (&b["outcome"], &b["attempts"]),
        (&"skipped".into(), &1.into()),
        "{b}"
    );
    assert!(
        b["error"]
            .as_str()
            .unwrap()
            .contains("to an earlier request"),
        "{b}"
    );
    assert_eq!(outcomes_once(&doc)["a"], "failed", "{doc:#}");
    let sent = env.emu.requests();
    let b_sent = (sent.iter()).filter(|r| r.method == "DELETE" && r.path.ends_with("/threads/b"));
    assert_eq!(b_sent.count(), 1, "b not sent again: {sent:?}");
}

#[test]
fn an_unreachable_server_stops_the_run_after_a_few_sessions() {
    let env = Env::new();
    // A port nothing listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    env.add_profile(
        "gone",
        &format!(
            "provider = \"messaging\"\nbase_url = \"http://127.0.0.1:{port}\"\nretries = 1\nmax_backoff = \"100ms\""
        ),
    );
    let ids: Vec<String> = (0..20).map(|i| format!("u-{i:02}")).collect();
    let mut args = vec!["end-many", "--concurrency", "1"];
    args.extend(ids.iter().map(String::as_str));
    let (doc, code) = env.json("gone", &args);
    assert_eq!(code, 1, "{doc:#}");
    let outcomes = outcomes_once(&doc);
    let failed: Vec<&String> = ids.iter().filter(|id| outcomes[*id] == "failed").collect();
    assert_eq!(failed.len(), 3, "{doc:#}");
    assert_eq!(result_of(&doc, "u-00")["error_kind"], "unreachable");
    let skipped = result_of(&doc, "u-19");
    assert_eq!(skipped["outcome"], "skipped");
    assert!(
        skipped["error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{skipped}"
    );
}

#[test]
fn a_list_on_a_wrong_base_path_says_to_check_it() {
    let env = Env::new();
    env.add_profile(
        "eliza-v9",
        &format!(
            "provider = \"messaging\"\nbase_url = \"{}/v9\"\nretries = 0",
            env.emu.messaging_url().trim_end_matches('/')
        ),
    );
    let (code, _, stderr) = common::run(env.cmd("eliza-v9").arg("list"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("404 page not found"), "{stderr}");
    assert!(stderr.contains("no such route: check base_url"), "{stderr}");
    // The provider's own 404 of a list is not a route's: no hint.
    let (code, _, stderr) = common::run(env.cmd("zep4").args(["list", "--where", "user=nobody"]));
    assert!(stderr.contains("knows no such user"), "{code}: {stderr}");
    assert!(!stderr.contains("check base_url"), "{code}: {stderr}");
}

/// A Zep v2 session a bulk end carried, then never sent on its own (a 401 to another's
/// single end stopped the run), counts the bulk end among its attempts and says "not sent
/// again": it was sent once, in the batch.
#[test]
fn a_session_a_bulk_end_carried_and_a_401_stopped_says_not_sent_again() {
    let env = Env::new();
    env.emu.seed_many([
        Seed::zep_session("a", OLD),
        Seed::zep_session("b", OLD),
        Seed::zep_session("c", OLD),
    ]);
    // The batch: 404, so each is ended on its own; the first of those: 401.
    env.emu
        .fault(Fault::status(404).path("/sessions/end").times(1));
    env.emu.fault(Fault::status(401).path("/end").times(1));
    let (doc, code) = common::run_json(env.cmd("zep").args([
        "-o",
        "json",
        "end-many",
        "--concurrency",
        "1",
        "a",
        "b",
        "c",
    ]));
    assert_eq!(code, 3, "{doc:#}");
    let results = doc["results"].as_array().unwrap();
    let refused: Vec<_> = (results.iter()).filter(|r| r["status"] == 401).collect();
    assert_eq!(refused.len(), 1, "{doc:#}");
    assert_eq!(refused[0]["attempts"], 2, "the batch and its own: {doc:#}");
    let stopped: Vec<_> = (results.iter()).filter(|r| r["status"].is_null()).collect();
    assert_eq!(stopped.len(), 2, "{doc:#}");
    for r in stopped {
        assert_eq!(
            (&r["outcome"], &r["attempts"]),
            (&"skipped".into(), &1.into()),
            "{r}"
        );
        let error = r["error"].as_str().unwrap();
        assert!(
            error.starts_with("not sent again: the provider refused the credentials"),
            "{r}"
        );
    }
    let singles = (env.emu.requests().iter())
        .filter(|r| r.path.ends_with("/end") && !r.path.ends_with("/sessions/end"))
        .count();
    assert_eq!(singles, 1, "nothing sent after the 401");
}
