//! The config file end to end: where it is found, how a profile is chosen, how keys are read,
//! and that every mistake is one line on stderr, exit 2, with nothing sent.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::emulator::samba::{SAMBA_KEY, SAMBA_TEAM};
use common::emulator::zep::ZEP_KEY;
use common::{Env, Seed};
use serde_json::Value;

const T: &str = "2024-05-01T12:00:00Z";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut assert_cmd::Command) -> Out {
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes a config file (mode 0600 unless changed later) into `env`'s directory.
fn write(env: &Env, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let path = env.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// The binary with `path` as its config file and nothing else of the environment.
fn with_config(env: &Env, path: &Path) -> assert_cmd::Command {
    let mut cmd = common::bare_cmd(&env.dir);
    cmd.arg("-c").arg(path);
    cmd
}

/// A messaging profile on the emulator (no key needed).
fn eliza(env: &Env, name: &str) -> String {
    format!(
        "[profiles.{name}]\nprovider = \"messaging\"\nbase_url = \"{}\"\nmax_backoff = \"100ms\"\n",
        env.emu.messaging_url()
    )
}

/// Asserts a config error: exit 2, exactly one line on stderr naming `needles`, nothing on
/// stdout, and not one request at the emulator (whose session `m` still exists).
fn assert_config_error(env: &Env, out: &Out, needles: &[&str]) {
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert_eq!(
        out.stderr.trim_end().lines().count(),
        1,
        "one line: {:?}",
        out.stderr
    );
    assert!(
        out.stderr.starts_with("sessionctl: error: "),
        "{:?}",
        out.stderr
    );
    for needle in needles {
        assert!(
            out.stderr.contains(needle),
            "{needle:?} in {:?}",
            out.stderr
        );
    }
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
    assert!(
        env.emu.requests().is_empty(),
        "nothing may be sent: {:?}",
        env.emu.requests()
    );
}

/// An emulator with one messaging session `m`, and a valid config file at the default
/// location (`$XDG_CONFIG_HOME/sessionctl/config.toml`) whose default profile points at it:
/// a run that wrongly fell back to it would show up in the request log.
fn env_with_default_file() -> Env {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m", T));
    let dir = env.dir.path().join("xdg").join("sessionctl");
    std::fs::create_dir_all(&dir).unwrap();
    let text = format!(
        "default_profile = \"fallback\"\n{}",
        eliza(&env, "fallback")
    );
    std::fs::write(dir.join("config.toml"), text).unwrap();
    env
}

// ---------------------------------------------------------------------------------------
// Config errors: one line, exit 2, nothing sent

#[test]
fn missing_file_named_with_flag_or_env_is_an_error() {
    let env = env_with_default_file();
    let missing = env.dir.path().join("nope.toml");
    let out = run(with_config(&env, &missing).args(["end", "m"]));
    assert_config_error(&env, &out, &[missing.to_str().unwrap(), "does not exist"]);

    let out = run(common::bare_cmd(&env.dir)
        .env("SESSIONCTL_CONFIG", &missing)
        .args(["end", "m"]));
    assert_config_error(&env, &out, &[missing.to_str().unwrap(), "does not exist"]);
    assert!(env.emu.messaging_exists("m"));
}

#[test]
fn bad_toml_names_line_and_column() {
    let env = env_with_default_file();
    let text = format!("{}timeout = \n", eliza(&env, "a"));
    let path = write(&env, "bad.toml", text);
    let out = run(with_config(&env, &path).args(["-p", "a", "end", "m"]));
    // The profile's four lines come first, so the error is on line 5.
    assert_config_error(&env, &out, &[&format!("{}:5:", path.display())]);
    let after = out
        .stderr
        .split(&format!("{}:5:", path.display()))
        .nth(1)
        .unwrap();
    let column: String = after.chars().take_while(char::is_ascii_digit).collect();
    assert!(
        !column.is_empty() && after[column.len()..].starts_with(": "),
        "`:LINE:COL:` in {:?}",
        out.stderr
    );

    let path = write(&env, "bad2.toml", "[profiles.a\nprovider = \"messaging\"\n");
    let out = run(with_config(&env, &path).args(["end", "m"]));
    assert_config_error(&env, &out, &[&format!("{}:1:", path.display())]);
}

#[test]
fn unknown_key_names_the_key_and_its_line() {
    let env = env_with_default_file();
    let text = format!("{}colour = \"blue\"\n", eliza(&env, "a"));
    let path = write(&env, "c.toml", text);
    let out = run(with_config(&env, &path).args(["-p", "a", "end", "m"]));
    assert_config_error(&env, &out, &[&format!("{}:5:", path.display()), "colour"]);

    let path = write(
        &env,
        "top.toml",
        format!("verbose = true\n{}", eliza(&env, "a")),
    );
    let out = run(with_config(&env, &path).args(["-p", "a", "end", "m"]));
    assert_config_error(&env, &out, &[&format!("{}:1:", path.display()), "verbose"]);
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    let env = env_with_default_file();
    let text = format!("{}{}", eliza(&env, "alpha"), eliza(&env, "beta"));
    let path = write(&env, "c.toml", text);
    let known = "(known: alpha, beta, local)";
    let out = run(with_config(&env, &path).args(["-p", "nope", "end", "m"]));
    assert_config_error(&env, &out, &["unknown profile `nope`", known]);

    let out = run(with_config(&env, &path)
        .env("SESSIONCTL_PROFILE", "nada")
        .args(["end", "m"]));
    assert_config_error(&env, &out, &["unknown profile `nada`", known]);

    let text = format!("default_profile = \"gamma\"\n{}", eliza(&env, "alpha"));
    let path = write(&env, "d.toml", text);
    let out = run(with_config(&env, &path).args(["-p", "alpha", "end", "m"]));
    assert_config_error(&env, &out, &["unknown profile `gamma`", "alpha, local"]);
}

#[test]
fn unset_key_variable_is_named() {
    let env = env_with_default_file();
    let path = write(
        &env,
        "c.toml",
        format!(
            "[profiles.z]\nprovider = \"zep\"\nbase_url = \"{}\"\napi_key_env = \"SESSIONCTL_TEST_UNSET_KEY\"\n",
            env.emu.zep_v2_url()
        ),
    );
    env.emu.seed(Seed::zep_session("z1", T));
    let out = run(with_config(&env, &path).args(["-p", "z", "end", "z1"]));
    assert_config_error(
        &env,
        &out,
        &["profile `z`", "SESSIONCTL_TEST_UNSET_KEY", "not set"],
    );
    assert_eq!(env.emu.zep_session_ended("z1"), Some(false));

    // `config show` never reads the key, so it works without the variable.
    let out = run(with_config(&env, &path).args(["config", "show"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("api_key_env = SESSIONCTL_TEST_UNSET_KEY")
    );
}

#[test]
fn invalid_utf8_in_the_file_is_an_error() {
    let env = env_with_default_file();
    let mut bytes = eliza(&env, "a").into_bytes();
    let valid = bytes.len() + "# caf".len();
    bytes.extend_from_slice(b"# caf\xe9\n");
    let path = write(&env, "c.toml", bytes);
    let out = run(with_config(&env, &path).args(["-p", "a", "end", "m"]));
    assert_config_error(
        &env,
        &out,
        &[path.to_str().unwrap(), "UTF-8", &format!("byte {valid}")],
    );
}

#[test]
fn base_urls_with_query_fragment_or_credentials_are_refused() {
    let env = env_with_default_file();
    let url = env.emu.messaging_url(); // http://127.0.0.1:PORT
    let with_creds = url.replace("http://", "http://user:pass@");
    for (base, needle) in [
        (format!("{url}/?token=x"), "query"),
        (format!("{url}/#frag"), "fragment"),
        (with_creds, "credentials"),
        (url.replace("http://", "ftp://"), "scheme"),
        ("not a url".to_owned(), "base_url"),
    ] {
        let text = format!("[profiles.a]\nprovider = \"messaging\"\nbase_url = \"{base}\"\n");
        let path = write(&env, "c.toml", text);
        let out = run(with_config(&env, &path).args(["-p", "a", "end", "m"]));
        assert_config_error(&env, &out, &["profile `a`", needle]);
        assert!(!out.stderr.contains("pass"), "{}", out.stderr);
    }
}

#[test]
fn plain_http_is_only_for_loopback_unless_allowed() {
    let env = Env::new();
    // `config check` (offline) sends nothing, so no test here can reach a real host.
    for base in [
        "http://example.com",
        "http://192.0.2.10:8080/api",
        "http://10.0.0.1",
    ] {
        let text = format!("[profiles.a]\nprovider = \"messaging\"\nbase_url = \"{base}\"\n");
        let path = write(&env, "c.toml", &text);
        let out = run(with_config(&env, &path).args(["config", "check"]));
        assert_config_error(&env, &out, &["profile `a`", "non-loopback", "allow_http"]);

        let path = write(&env, "ok.toml", format!("{text}allow_http = true\n"));
        let out = run(with_config(&env, &path).args(["config", "check"]));
        assert_eq!(out.code, 0, "{base} with allow_http: {}", out.stderr);
    }
    for base in [
        "http://localhost:3000",
        "http://127.0.0.1:9",
        "http://[::1]:9",
        "https://example.com/api",
    ] {
        let text = format!("[profiles.a]\nprovider = \"messaging\"\nbase_url = \"{base}\"\n");
        let path = write(&env, "c.toml", text);
        let out = run(with_config(&env, &path).args(["config", "check"]));
        assert_eq!(out.code, 0, "{base}: {}", out.stderr);
    }
}

// ---------------------------------------------------------------------------------------
// Profile resolution and the config path

/// Which profile a real run used (every profile points at the same emulator).
fn profile_used(cmd: &mut assert_cmd::Command) -> String {
    let (doc, code) = common::run_json(cmd.args(["-o", "json", "end", "gone"]));
    assert_eq!(code, 1, "{doc:#}");
    doc["profile"].as_str().unwrap().to_owned()
}

#[test]
fn profile_resolution_order() {
    let env = Env::new();
    let text = format!(
        "default_profile = \"b\"\n{}{}{}",
        eliza(&env, "a"),
        eliza(&env, "b"),
        eliza(&env, "c")
    );
    let path = write(&env, "c.toml", text);
    assert_eq!(
        profile_used(
            with_config(&env, &path)
                .env("SESSIONCTL_PROFILE", "c")
                .args(["--profile", "a"])
        ),
        "a",
        "--profile beats SESSIONCTL_PROFILE"
    );
    assert_eq!(
        profile_used(with_config(&env, &path).env("SESSIONCTL_PROFILE", "c")),
        "c",
        "SESSIONCTL_PROFILE beats default_profile"
    );
    assert_eq!(profile_used(&mut with_config(&env, &path)), "b");
    assert_eq!(env.emu.requests().len(), 3);

    // Without default_profile: the built-in `local` (only shown, never contacted here).
    let path = write(&env, "nodefault.toml", eliza(&env, "a"));
    let out = run(with_config(&env, &path).args(["-o", "json", "config", "show"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let shown: Value = serde_json::from_str(&out.stdout).unwrap();
    let selected: Vec<&str> = shown
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["selected"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(selected, ["local"]);
}

#[test]
fn without_any_config_file_the_builtin_local_profile_is_shown() {
    let home = tempfile::tempdir().unwrap();
    let out = run(common::bare_cmd(&home).args(["config", "show"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let expected = home.path().join("xdg/sessionctl/config.toml");
    let first = out.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "config: {} (does not exist; built-in profile only)",
            expected.display()
        )
    );
    assert!(out.stdout.contains("local *"), "{}", out.stdout);
    assert!(
        out.stdout.contains("http://localhost:3000/"),
        "{}",
        out.stdout
    );

    let out = run(common::bare_cmd(&home).args(["-o", "json", "config", "show"]));
    let shown: Value = serde_json::from_str(&out.stdout).unwrap();
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["name"], "local");
    assert_eq!(shown[0]["provider"], "messaging");
    assert_eq!(shown[0]["selected"], true);
    assert_eq!(shown[0]["key"], "none");
}

#[test]
fn config_path_honours_flag_env_and_xdg() {
    let home = tempfile::tempdir().unwrap();
    let path_of = |cmd: &mut assert_cmd::Command| {
        let out = run(cmd.args(["config", "path"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stderr.is_empty(), "{}", out.stderr);
        out.stdout.trim_end_matches('\n').to_owned()
    };
    assert_eq!(
        path_of(&mut common::bare_cmd(&home)),
        home.path()
            .join("xdg/sessionctl/config.toml")
            .display()
            .to_string()
    );
    let other = home.path().join("elsewhere");
    assert_eq!(
        path_of(common::bare_cmd(&home).env("XDG_CONFIG_HOME", &other)),
        other.join("sessionctl/config.toml").display().to_string()
    );
    assert_eq!(
        path_of(common::bare_cmd(&home).env("SESSIONCTL_CONFIG", "/etc/from-env.toml")),
        "/etc/from-env.toml"
    );
    assert_eq!(
        path_of(
            common::bare_cmd(&home)
                .env("SESSIONCTL_CONFIG", "/etc/from-env.toml")
                .args(["--config", "/srv/from-flag.toml"])
        ),
        "/srv/from-flag.toml"
    );
    // `config path` reads nothing: a broken or missing file does not matter.
    let bad = home.path().join("broken.toml");
    std::fs::write(&bad, "[[[").unwrap();
    assert_eq!(
        path_of(common::bare_cmd(&home).arg("-c").arg(&bad)),
        bad.display().to_string()
    );
}

// ---------------------------------------------------------------------------------------
// Secrets

const LITERAL: &str = "sk-live-T0PSECRET-4242";

#[test]
fn config_show_masks_a_literal_key_in_every_format() {
    let env = Env::new();
    let path = write(
        &env,
        "c.toml",
        format!(
            "[profiles.z]\nprovider = \"zep\"\nbase_url = \"{}\"\napi_key = \"{LITERAL}\"\n\
             [profiles.s]\nprovider = \"digital-samba\"\nteam_id = \"t\"\napi_key_cmd = \"printf {LITERAL}\"\n",
            env.emu.zep_v2_url()
        ),
    );
    for format in ["table", "json", "ndjson"] {
        let out = run(with_config(&env, &path).args(["-o", format, "config", "show"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout.contains("api_key = ***"),
            "{format}: {}",
            out.stdout
        );
        // A literal key is never shown (a key command is shown as the command, not run).
        let without_cmd = out.stdout.replace(&format!("printf {LITERAL}"), "");
        assert!(!without_cmd.contains(LITERAL), "{format}: {}", out.stdout);
        assert!(!out.stderr.contains(LITERAL), "{format}: {}", out.stderr);
    }
    let out = run(with_config(&env, &path).args(["config", "check"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains(LITERAL) && !out.stderr.contains(LITERAL));
    assert!(env.emu.requests().is_empty());
}

/// Asserts that no form of `key` shows up in a run's output at `-vvv`.
fn assert_never_printed(out: &Out, forms: &[&str]) {
    for form in forms {
        assert!(
            !out.stdout.contains(form),
            "{form} in stdout: {}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(form),
            "{form} in stderr: {}",
            out.stderr
        );
    }
}

#[test]
fn literal_keys_never_appear_even_at_vvv() {
    let env = Env::with(common::Options {
        messaging_token: Some(LITERAL.into()),
        ..common::Options::default()
    });
    env.emu.seed(Seed::zep_session("z1", T));
    env.emu.seed(Seed::samba_live("s1", T));
    env.emu.seed(Seed::messaging("m1", T));
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{SAMBA_TEAM}:{SAMBA_KEY}"));
    let text = format!(
        "[profiles.z]\nprovider = \"zep\"\nbase_url = \"{}\"\napi_key = \"{ZEP_KEY}\"\n\
         [profiles.zbad]\nprovider = \"zep\"\nbase_url = \"{}\"\napi_key = \"{LITERAL}\"\n\
         [profiles.s]\nprovider = \"digital-samba\"\nbase_url = \"{}\"\nteam_id = \"{SAMBA_TEAM}\"\napi_key = \"{SAMBA_KEY}\"\n\
         [profiles.m]\nprovider = \"messaging\"\nbase_url = \"{}\"\napi_key = \"{LITERAL}\"\n",
        env.emu.zep_v2_url(),
        env.emu.zep_v2_url(),
        env.emu.samba_url(),
        env.emu.messaging_url(),
    );
    let path = write(&env, "c.toml", text);

    // A successful run: the key went out (the emulator accepted it) but was never printed.
    let out = run(with_config(&env, &path).args(["-vvv", "-p", "z", "end", "z1"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("z1/end"),
        "-vvv logs requests: {}",
        out.stderr
    );
    assert_eq!(env.emu.zep_session_ended("z1"), Some(true));
    assert_never_printed(&out, &[ZEP_KEY]);

    // A refused key, every output format.
    for format in ["table", "json", "ndjson"] {
        let out =
            run(with_config(&env, &path).args(["-vvv", "-o", format, "-p", "zbad", "end", "x"]));
        assert_eq!(out.code, 3, "{}", out.stderr);
        assert_never_printed(&out, &[LITERAL]);
    }

    // Basic auth: neither the key nor its base64 form.
    let out = run(with_config(&env, &path).args(["-vvv", "-p", "s", "end", "s1"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_never_printed(&out, &[SAMBA_KEY, &basic]);

    // X-API-KEY.
    let out = run(with_config(&env, &path).args(["-vvv", "-o", "json", "-p", "m", "end", "m1"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!env.emu.messaging_exists("m1"));
    assert_never_printed(&out, &[LITERAL]);

    // The online check too.
    let out = run(with_config(&env, &path).args(["-vvv", "config", "check", "--online"]));
    assert_eq!(
        out.code, 3,
        "zbad is refused: {}\n{}",
        out.stdout, out.stderr
    );
    assert_never_printed(&out, &[LITERAL, ZEP_KEY, SAMBA_KEY, &basic]);
}

/// A server that quotes the credentials back (in its error message, in a field a decode
/// error names, in the body `-vvv` logs) has them masked: in the table, JSON, the journal and
/// the logs, in each form they were sent (the key, `Api-Key KEY`, Basic's base64 and pair).
#[test]
fn credentials_a_server_echoes_back_are_masked_everywhere() {
    let env = Env::new();
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{SAMBA_TEAM}:{SAMBA_KEY}"));
    let journal = env.dir.path().join("j.ndjson");
    let echo = |path: &str, status: u16, body: String| {
        env.emu.fault(
            common::Fault::status(status)
                .body(&body)
                .path(path)
                .times(1),
        );
    };
    for format in ["table", "json", "ndjson"] {
        echo(
            "/sessions/zz",
            400,
            format!(r#"{{"message":"bad key Api-Key {ZEP_KEY} for zz ({ZEP_KEY})"}}"#),
        );
        let out = run(env
            .cmd("zep")
            .args(["-vvv", "-o", format, "end", "zz"])
            .arg("--journal")
            .arg(&journal));
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stdout.contains("bad key ***"),
            "{format}: {}",
            out.stdout
        );
        assert_never_printed(&out, &[ZEP_KEY]);
    }
    // A success whose body holds the key where a list belongs: the decode error quotes it.
    env.emu
        .seed_many([Seed::zep_session("a", T), Seed::zep_session("b", T)]);
    echo(
        "/sessions/end",
        200,
        format!(r#"{{"sessions":"Api-Key {ZEP_KEY}"}}"#),
    );
    let out = run(env
        .cmd("zep")
        .args(["-vvv", "-o", "json", "end-many", "a", "b"]));
    assert!(
        out.stderr.contains(r#"reply body: {"sessions":"***"}"#),
        "{}",
        out.stderr
    );
    assert_never_printed(&out, &[ZEP_KEY]);
    env.emu.seed(Seed::samba_live("s1", T));
    echo(
        "/sessions/s1/end",
        403,
        format!(r#"{{"message":"{basic} / {SAMBA_TEAM}:{SAMBA_KEY} / {SAMBA_KEY}"}}"#),
    );
    let out = run(env
        .cmd("samba")
        .args(["-vvv", "-o", "json", "end", "s1"])
        .arg("--journal")
        .arg(&journal));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stdout.contains("*** / *** / ***"), "{}", out.stdout);
    assert_never_printed(&out, &[SAMBA_KEY, &basic]);
    let written = std::fs::read_to_string(&journal).unwrap();
    for form in [ZEP_KEY, SAMBA_KEY, basic.as_str()] {
        assert!(!written.contains(form), "{form} in the journal: {written}");
    }

    // A redirect whose `Location` carries the key, in its path and its query: its error
    // (and the header `-vvv` logs) shows neither.
    env.emu.fault(
        common::Fault::redirect(302, &format!("/login/{ZEP_KEY}?token={ZEP_KEY}"))
            .path("/sessions/zz")
            .times(1),
    );
    let out = run(env.cmd("zep").args(["-vvv", "-o", "json", "end", "zz"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("redirected (302) to /login/***?(query not shown)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("location: /login/***?(query not shown)"),
        "{}",
        out.stderr
    );
    assert_never_printed(&out, &[ZEP_KEY]);

    // A declared header template with text after `{key}`: the bare key a server quotes is
    // masked too, not only the whole header value.
    env.emu.seed(Seed::messaging("m", T));
    let api = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/provider/declared/examples/messaging.toml"
    );
    let template = "style = \"header\"\nheader = \"X-API-KEY\"\nvalue = \"{key};v=2\"";
    let shipped = std::fs::read_to_string(api).unwrap();
    assert!(shipped.contains("style = \"none\""));
    let file = env.dir.path().join("keyed.toml");
    std::fs::write(&file, shipped.replacen("style = \"none\"", template, 1)).unwrap();
    env.add_profile(
        "keyed",
        &format!(
            "provider = \"declared\"\napi = \"keyed.toml\"\nbase_url = \"{}\"\napi_key_env = \"{}\"\nmax_backoff = \"100ms\"\n",
            env.emu.messaging_url(),
            common::ZEP_ENV
        ),
    );
    echo(
        "/sessions/m",
        400,
        format!(r#"{{"message":"token {ZEP_KEY} is not valid with v=2"}}"#),
    );
    let out = run(env.cmd("keyed").args(["-vvv", "-o", "json", "end", "m"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.contains("token *** is not valid"),
        "{}",
        out.stdout
    );
    assert_never_printed(&out, &[ZEP_KEY]);
}

// ---------------------------------------------------------------------------------------
// config check

/// `profile → status` from `config check -o json`.
fn check_statuses(out: &Out) -> std::collections::BTreeMap<String, (bool, String)> {
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    doc.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["profile"].as_str().unwrap().to_owned(),
                (
                    c["ok"].as_bool().unwrap(),
                    c["status"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

#[test]
fn config_check_offline_exit_codes() {
    let env = Env::new();
    let out = run(common::bare_cmd(&env.dir)
        .arg("-c")
        .arg(&env.config)
        .env(common::ZEP_ENV, ZEP_KEY)
        .env(common::SAMBA_ENV, SAMBA_KEY)
        .args(["-o", "json", "config", "check"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let statuses = check_statuses(&out);
    assert_eq!(statuses.len(), 6, "{statuses:?}");
    assert!(
        statuses.values().all(|(ok, s)| *ok && s == "ok"),
        "{statuses:?}"
    );

    // Without the Samba key variable: those profiles are invalid, exit 2.
    let out = run(common::bare_cmd(&env.dir)
        .arg("-c")
        .arg(&env.config)
        .env(common::ZEP_ENV, ZEP_KEY)
        .args(["-o", "json", "config", "check"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let statuses = check_statuses(&out);
    assert_eq!(statuses["zep"], (true, "ok".to_owned()));
    let (ok, status) = &statuses["samba"];
    assert!(!ok && status.starts_with("invalid:"), "{status}");
    assert!(status.contains(common::SAMBA_ENV), "{status}");
    // Offline means offline.
    assert!(env.emu.requests().is_empty());
}

/// A free loopback port with nothing listening on it.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn config_check_online_ok_refused_and_unreachable() {
    let env = Env::new();
    let common_keys = "retries = 0\nmax_backoff = \"100ms\"\ntimeout = \"2s\"\n";
    let good = format!(
        "[profiles.zep]\nprovider = \"zep\"\nbase_url = \"{}\"\napi_key_env = \"{}\"\n{common_keys}\
         [profiles.samba]\nprovider = \"digital-samba\"\nbase_url = \"{}\"\nteam_id = \"{SAMBA_TEAM}\"\napi_key_env = \"{}\"\n{common_keys}\
         [profiles.eliza]\nprovider = \"messaging\"\nbase_url = \"{}\"\n{common_keys}",
        env.emu.zep_v2_url(),
        common::ZEP_ENV,
        env.emu.samba_url(),
        common::SAMBA_ENV,
        env.emu.messaging_url(),
    );
    let path = write(&env, "good.toml", &good);
    let check = |path: &Path, zep_key: &str| {
        run(with_config(&env, path)
            .env(common::ZEP_ENV, zep_key)
            .env(common::SAMBA_ENV, SAMBA_KEY)
            .args(["-o", "json", "config", "check", "--online"]))
    };

    let out = check(&path, ZEP_KEY);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let statuses = check_statuses(&out);
    assert_eq!(statuses.len(), 3);
    assert!(
        statuses.values().all(|(ok, s)| *ok && s == "ok (online)"),
        "{statuses:?}"
    );
    // What the first page held; a built-in provider's fields are its own, not shown.
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    for record in doc.as_array().unwrap() {
        let page = &record["page"];
        assert!(
            page["rows"].is_u64() && page["more"].is_boolean(),
            "{record}"
        );
        assert!(page.get("fields").is_none(), "{record}");
    }
    // One authenticated read per profile, and nothing that changes state.
    let reqs = env.emu.requests();
    assert_eq!(reqs.len(), 3, "{reqs:?}");
    assert!(reqs.iter().all(|r| r.method == "GET"), "{reqs:?}");
    assert!(
        reqs.iter()
            .any(|r| r.header("authorization") == Some(&format!("Api-Key {ZEP_KEY}")))
    );

    // A wrong key: auth refused, exit 3.
    let out = check(&path, "wrong");
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    let statuses = check_statuses(&out);
    let (ok, status) = &statuses["zep"];
    assert!(!ok && status.starts_with("auth refused"), "{status}");
    assert!(status.contains("401"), "{status}");
    assert_eq!(statuses["eliza"], (true, "ok (online)".to_owned()));

    // Nothing listening: unreachable, exit 1.
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let unreachable = format!(
        "[profiles.gone]\nprovider = \"messaging\"\nbase_url = \"{dead}\"\n{common_keys}{}",
        good.split("[profiles.samba]").next().unwrap()
    );
    let path2 = write(&env, "dead.toml", unreachable);
    let out = check(&path2, ZEP_KEY);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let statuses = check_statuses(&out);
    let (ok, status) = &statuses["gone"];
    assert!(!ok && status.starts_with("unreachable"), "{status}");
    assert_eq!(statuses["zep"], (true, "ok (online)".to_owned()));

    // Refused and unreachable together: the refusal decides (3).
    let out = check(&path2, "wrong");
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
}

// ---------------------------------------------------------------------------------------
// Key commands

fn zep_with_cmd(env: &Env, cmd: &str) -> PathBuf {
    let text = format!(
        "[profiles.z]\nprovider = \"zep\"\nbase_url = \"{}\"\napi_key_cmd = \"{cmd}\"\nmax_backoff = \"100ms\"\n",
        env.emu.zep_v2_url()
    );
    write(env, "c.toml", text)
}

#[test]
fn api_key_cmd_supplies_the_key() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("z1", T));
    env.emu.seed(Seed::zep_session("z2", T));
    let path = zep_with_cmd(&env, &format!("printf '  {ZEP_KEY}\\\\n'"));
    let out = run(with_config(&env, &path).args(["-p", "z", "end", "z1"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let path = zep_with_cmd(&env, &format!("sh -c 'echo {ZEP_KEY}'"));
    let out = run(with_config(&env, &path).args(["-p", "z", "end", "z2"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let reqs = env.emu.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        // Trimmed: exactly one space, no newline.
        assert_eq!(
            r.header("authorization"),
            Some(format!("Api-Key {ZEP_KEY}").as_str())
        );
    }
    assert_eq!(env.emu.zep_session_ended("z1"), Some(true));
    assert_eq!(env.emu.zep_session_ended("z2"), Some(true));
}

#[test]
fn failing_api_key_cmd_is_a_clear_error() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m", T));
    env.emu.seed(Seed::zep_session("z1", T));
    for (cmd, needles) in [
        ("false", vec!["api_key_cmd = false", "failed"]),
        ("sh -c 'exit 7'", vec!["api_key_cmd", "failed", "7"]),
        (
            "/nonexistent/key-helper --get",
            // Only the program is named: arguments may carry a secret.
            vec!["api_key_cmd = /nonexistent/key-helper …", "could not start"],
        ),
        ("true", vec!["api_key_cmd = true printed no key"]),
        ("printf 'unterminated", vec!["api_key_cmd", "split"]),
    ] {
        let path = zep_with_cmd(&env, cmd);
        let out = run(with_config(&env, &path).args(["-p", "z", "end", "z1"]));
        let mut needles = needles;
        needles.push("profile `z`");
        assert_config_error(&env, &out, &needles);
    }
    assert_eq!(env.emu.zep_session_ended("z1"), Some(false));
}

/// An empty key is named by where it came from, never as a masked `***` that would hide
/// the fact that there is nothing to mask.
#[test]
fn an_empty_key_says_where_it_was_empty() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("z1", T));
    for (source, said) in [
        ("api_key = \" \"", "profile `z`: api_key is empty"),
        (
            "api_key_env = \"SESSIONCTL_TEST_EMPTY\"",
            "profile `z`: environment variable SESSIONCTL_TEST_EMPTY (api_key_env) is empty",
        ),
    ] {
        let text = format!(
            "[profiles.z]\nprovider = \"zep\"\nbase_url = \"{}\"\n{source}\n",
            env.emu.zep_v2_url()
        );
        let path = write(&env, "c.toml", text);
        let out = run(with_config(&env, &path)
            .env("SESSIONCTL_TEST_EMPTY", "")
            .args(["-p", "z", "end", "z1"]));
        assert_config_error(&env, &out, &[said]);
        assert!(!out.stderr.contains("***"), "{}", out.stderr);
    }
}

#[test]
fn a_hanging_api_key_cmd_is_killed_after_its_timeout() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m", T));
    env.emu.seed(Seed::zep_session("z1", T));
    let with_timeout = |cmd: &str, timeout: &str| {
        let text = format!(
            "[profiles.z]\nprovider = \"zep\"\nbase_url = \"{}\"\napi_key_cmd = \"{cmd}\"\n\
             api_key_cmd_timeout = \"{timeout}\"\nmax_backoff = \"100ms\"\n",
            env.emu.zep_v2_url()
        );
        write(&env, "c.toml", text)
    };
    let path = with_timeout("sleep 100", "300ms");
    let started = Instant::now();
    let out = run(with_config(&env, &path).args(["-p", "z", "end", "z1"]));
    let took = started.elapsed();
    assert_config_error(
        &env,
        &out,
        &[
            "profile `z`",
            "api_key_cmd = sleep …: gave no key within 300 ms (killed)",
        ],
    );
    // The arguments are never echoed: they may hold a secret.
    assert!(!out.stderr.contains("sleep 100"), "{}", out.stderr);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(env.emu.zep_session_ended("z1"), Some(false));

    // A command that answers in time still supplies the key.
    let path = with_timeout(&format!("printf {ZEP_KEY}"), "5s");
    let out = run(with_config(&env, &path).args(["-p", "z", "end", "z1"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(env.emu.zep_session_ended("z1"), Some(true));
}

#[test]
fn api_key_cmd_timeout_needs_api_key_cmd() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("m", T));
    let text = format!("{}api_key_cmd_timeout = \"30s\"\n", eliza(&env, "e"));
    let path = write(&env, "c.toml", text);
    let out = run(with_config(&env, &path).args(["-p", "e", "end", "m"]));
    assert_config_error(
        &env,
        &out,
        &[
            "profile `e`",
            "api_key_cmd_timeout is only used with api_key_cmd, which is not set",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// The world-readable warning

#[test]
fn literal_key_in_a_file_others_can_read_is_warned_about() {
    let env = Env::new();
    let text = format!(
        "[profiles.z]\nprovider = \"zep\"\nbase_url = \"{}\"\napi_key = \"{LITERAL}\"\n",
        env.emu.zep_v2_url()
    );
    let path = write(&env, "c.toml", &text);
    let warned = |mode: u32, quiet: bool| {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let mut cmd = with_config(&env, &path);
        if quiet {
            cmd.arg("-q");
        }
        let out = run(cmd.args(["config", "check"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!out.stderr.contains(LITERAL));
        out.stderr
    };
    let stderr = warned(0o644, false);
    assert!(stderr.contains("readable by others"), "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(stderr.contains(path.to_str().unwrap()), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(warned(0o640, false).contains("readable by others"));
    assert_eq!(warned(0o600, false), "");
    assert_eq!(warned(0o400, false), "");
    // -q (the cron recipe's) must not silence it: that unwatched run is the one to warn.
    assert!(warned(0o644, true).contains("readable by others"));

    // A key from the environment is no secret in the file: no warning at 0644.
    let path2 = write(
        &env,
        "env.toml",
        text.replace(&format!("api_key = \"{LITERAL}\""), "api_key_env = \"K\""),
    );
    std::fs::set_permissions(&path2, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(with_config(&env, &path2).args(["config", "show"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "");
}

#[test]
fn other_config_mistakes_are_one_line_errors() {
    let env = env_with_default_file();
    // A directory is not a config file.
    let out = run(with_config(&env, env.dir.path()).args(["end", "m"]));
    assert_config_error(&env, &out, &["cannot read config file"]);

    let url = env.emu.messaging_url();
    for (body, needles) in [
        (
            "provider = \"slack\"".to_owned(),
            vec!["profile `a`", "unknown provider `slack`", "messaging"],
        ),
        (
            format!("provider = \"messaging\"\nbase_url = \"{url}\"\ntimeout = \"soon\""),
            vec![":4:", "soon"],
        ),
        (
            format!("provider = \"messaging\"\nbase_url = \"{url}\"\nconcurrency = 0"),
            vec!["profile `a`", "concurrency"],
        ),
        (
            format!(
                "provider = \"zep\"\nbase_url = \"{url}\"\napi_key = \"x\"\napi_key_env = \"Y\""
            ),
            vec!["profile `a`", "only one"],
        ),
        (
            format!("provider = \"zep\"\nbase_url = \"{url}\""),
            vec!["profile `a`", "needs an API key"],
        ),
        (
            format!("provider = \"messaging\"\nbase_url = \"{url}\"\nteam_id = \"t\""),
            vec!["profile `a`", "team_id"],
        ),
    ] {
        let path = write(&env, "c.toml", format!("[profiles.a]\n{body}\n"));
        let out = run(with_config(&env, &path).args(["-p", "a", "end", "m"]));
        assert_config_error(&env, &out, &needles);
    }
}

#[test]
fn an_empty_key_variable_is_an_error() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("z1", T));
    let out = run(env
        .cmd("zep")
        .env(common::ZEP_ENV, "  ")
        .args(["end", "z1"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains(common::ZEP_ENV), "{}", out.stderr);
    assert!(out.stderr.contains("empty"), "{}", out.stderr);
    assert!(env.emu.requests().is_empty());
}

#[test]
fn a_key_no_http_header_can_carry_is_a_config_error_and_never_echoed() {
    let env = Env::new();
    env.emu.seed(Seed::zep_session("z1", T));
    // A literal key with a control character (TOML escape), never shown.
    let text = format!(
        "[profiles.z]\nprovider = \"zep\"\nbase_url = \"{}\"\napi_key = \"sk-\\u0001-hidden\"\n",
        env.emu.zep_v2_url()
    );
    let path = write(&env, "c.toml", text);
    let out = run(with_config(&env, &path).args(["-p", "z", "end", "z1"]));
    assert_config_error(&env, &out, &["profile `z`", "header"]);
    assert!(!out.stderr.contains("hidden"), "{}", out.stderr);

    // A non-ASCII key from the environment.
    let out = run(env
        .cmd("zep")
        .env(common::ZEP_ENV, "cl\u{e9}-secr\u{e8}te")
        .args(["end", "z1"]));
    assert_config_error(&env, &out, &["profile `zep`", "header"]);
    assert!(!out.stderr.contains("secr"), "{}", out.stderr);
    assert_eq!(env.emu.zep_session_ended("z1"), Some(false));
}

#[test]
fn config_show_table() {
    let env = Env::new();
    let text = format!(
        "default_profile = \"zep\"\n\
         [profiles.zep]\nprovider = \"zep\"\nbase_url = \"https://zep.example.com/api/v2\"\napi_key = \"{LITERAL}\"\nbatch_size = 50\n\
         [profiles.samba]\nprovider = \"digital-samba\"\nteam_id = \"team-9\"\napi_key_env = \"DS_KEY\"\ntimeout = \"90s\"\n\
         [profiles.threads]\nprovider = \"zep\"\napi_version = 4\napi_key_cmd = \"pass show zep\"\nretries = 2\n",
    );
    let path = write(&env, "c.toml", text);
    let out = run(with_config(&env, &path).args(["config", "show"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains(LITERAL));
    // The temporary directory changes from run to run.
    let shown = out.stdout.replace(path.to_str().unwrap(), "[CONFIG]");
    insta::assert_snapshot!("config_show_table", shown);
}

#[test]
fn empty_environment_variables_count_as_unset() {
    let env = Env::new();
    let path = write(
        &env,
        "c.toml",
        format!("default_profile = \"b\"\n{}", eliza(&env, "b")),
    );
    assert_eq!(
        profile_used(with_config(&env, &path).env("SESSIONCTL_PROFILE", "")),
        "b",
        "an empty SESSIONCTL_PROFILE falls back to default_profile"
    );
    let out = run(common::bare_cmd(&env.dir)
        .env("SESSIONCTL_CONFIG", "")
        .args(["config", "path"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.trim_end().ends_with("sessionctl/config.toml"),
        "{}",
        out.stdout
    );
}

#[test]
fn config_show_with_an_unknown_profile_is_a_config_error() {
    let env = Env::new();
    let path = write(&env, "c.toml", eliza(&env, "a"));
    let out = run(with_config(&env, &path).args(["-p", "nope", "config", "show"]));
    assert_config_error(&env, &out, &["unknown profile `nope`", "a, local"]);
}

#[test]
fn a_key_inline_in_api_key_cmd_is_never_shown() {
    let env = Env::new();
    let text = "[profiles.z]\nprovider = \"zep\"\napi_key_cmd = \"echo INLINE-SECRET-42\"\n";
    let path = write(&env, "c.toml", text);
    for format in ["table", "json"] {
        let out = run(with_config(&env, &path).args(["-o", format, "config", "show"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout.contains("api_key_cmd = echo …"),
            "{}",
            out.stdout
        );
        assert!(
            !out.stdout.contains("INLINE-SECRET-42") && !out.stderr.contains("INLINE-SECRET-42")
        );
    }
}

#[test]
fn an_endless_config_file_is_refused_at_its_bound() {
    let env = Env::new();
    let started = Instant::now();
    let out = run(with_config(&env, Path::new("/dev/zero")).args(["end", "x"]));
    assert_config_error(
        &env,
        &out,
        &["cannot read config file /dev/zero", "longer than 1 MiB"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_stale_sessionctl_profile_is_shown_not_a_wall_and_p_narrows_check() {
    let env = Env::new();
    let text = format!("{}{}", eliza(&env, "a"), eliza(&env, "b"));
    let path = write(&env, "c.toml", text);
    let stale = || {
        let mut cmd = with_config(&env, &path);
        cmd.env("SESSIONCTL_PROFILE", "gone");
        cmd
    };
    // Shown in full, saying which profile commands would use and why it fails: exit 2.
    let out = run(stale().args(["config", "show"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stdout.contains("profile: none: unknown profile `gone`")
            && out.stdout.contains("(from SESSIONCTL_PROFILE)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\na\n") || out.stdout.contains("\na "),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("until SESSIONCTL_PROFILE is fixed or unset"),
        "{}",
        out.stderr
    );
    let out = run(stale().args(["config", "check"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.contains("ok"), "{}", out.stdout);
    assert!(
        out.stderr.contains("unknown profile `gone`"),
        "{}",
        out.stderr
    );
    // `-p` overrides it; `config show` marks it, `config check` checks it alone.
    let out = run(stale().args(["-p", "b", "config", "show"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("profile: b (from --profile)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\nb *\n"), "{}", out.stdout);
    let out = run(stale().args(["-p", "b", "-o", "json", "config", "check"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let checked: Value = serde_json::from_str(&out.stdout).unwrap();
    let names: Vec<&str> = (checked.as_array().unwrap().iter())
        .map(|c| c["profile"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b"], "{}", out.stdout);
    // An unknown `-p` is still an error.
    let out = run(stale().args(["-p", "nope", "config", "check"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(env.emu.requests().is_empty());
}

#[test]
fn config_path_and_profiles_speak_json() {
    let env = Env::new();
    let path = write(&env, "c.toml", eliza(&env, "a"));
    let out = run(with_config(&env, &path).args(["-o", "json", "config", "path"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["path"], path.display().to_string());
    assert_eq!(doc["exists"], true);
    let out = run(with_config(&env, &path).args(["-o", "json", "config", "profiles"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!([{"name": "a", "builtin": false}, {"name": "local", "builtin": true}])
    );
    // The completion scripts read names, one a line.
    let out = run(with_config(&env, &path).args(["config", "profiles"]));
    assert_eq!(out.stdout, "a\nlocal\n");
}

/// A pasted huge `-p` or `-c` (an unset variable's neighbour, a stray file's contents) is cut
/// in the error: a name as an ID is (its first 80 characters and its length), a path only
/// past any real path's length, keeping its end; a long real path is shown whole.
#[test]
fn a_huge_profile_name_or_config_path_is_cut_in_the_error() {
    let env = Env::new();
    let name = "b".repeat(3000);
    let out = run(env.cmd("zep").args(["-p", &name, "list"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("`{}… (3000 bytes)`", &name[..80])),
        "{}",
        out.stderr
    );
    assert!(out.stderr.len() < 300, "{}", out.stderr);
    let home = tempfile::tempdir().unwrap();
    let deep = env.dir.path().join("c".repeat(200)).join("sessionctl.toml");
    let out = run(common::bare_cmd(&home).arg("-c").arg(&deep).arg("list"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let whole = format!("config file {} does not exist", deep.display());
    assert!(out.stderr.contains(&whole), "{}", out.stderr);
    let pasted = format!("{}.toml", "c".repeat(5000));
    let out = run(common::bare_cmd(&home).arg("-c").arg(&pasted).arg("list"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let cut = format!("{}…{}.toml (5005 bytes)", &pasted[..80], &pasted[..75]);
    assert!(out.stderr.contains(&cut), "{}", out.stderr);
    assert!(out.stderr.len() < 400, "{}", out.stderr);
}
