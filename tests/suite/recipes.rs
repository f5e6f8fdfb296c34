//! The README's unattended recipes as written (issue #24): the crontab line under cron's
//! bare environment (`env -i`), the systemd unit (`systemd-analyze verify`, then its
//! `ExecStart=` as a user without a home) and the Kubernetes CronJob's arguments with the
//! image's environment. Each runs the real binary against the emulator's demo data.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

const README: &str = include_str!("../../README.md");
const DOCKERFILE: &str = include_str!("../../.ci/docker/Dockerfile");
/// What BuildKit leaves out of the context for that Dockerfile (`<Dockerfile>.dockerignore`).
const DOCKERIGNORE: &str = include_str!("../../.ci/docker/Dockerfile.dockerignore");

/// The first fenced block of `lang` after `heading`'s text.
fn block_after(heading: &str, lang: &str) -> &'static str {
    let rest = &README[README
        .find(heading)
        .unwrap_or_else(|| panic!("README has no `{heading}`"))..];
    let fence = format!("```{lang}\n");
    let block = &rest[rest
        .find(&fence)
        .unwrap_or_else(|| panic!("a {lang} block"))
        + fence.len()..];
    &block[..block.find("```").expect("the block ends")]
}

/// The lines of a block that are neither blank nor comments.
fn commands(block: &str) -> Vec<&str> {
    block
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect()
}

/// A config file for the emulator as the recipes want it: the one `mock-server` prints, with
/// each key named by `api_key_env` (the recipes read keys from a file) instead of written in.
fn config_with_key_names(emu: &common::Emulator) -> String {
    let toml = common::emulator::profiles::config_toml(emu.addr(), None);
    let toml = toml.replace(
        &format!("api_key = \"{}\"", common::emulator::zep::ZEP_KEY),
        "api_key_env = \"ZEP_API_KEY\"",
    );
    let toml = toml.replace(
        &format!("api_key = \"{}\"", common::emulator::samba::SAMBA_KEY),
        "api_key_env = \"SAMBA_API_KEY\"",
    );
    let toml = toml.replace(
        &format!("api_key = \"{}\"", common::emulator::daily::DAILY_KEY),
        "api_key_env = \"DAILY_API_KEY\"",
    );
    let toml = toml.replace(
        &format!("api_key = \"{}\"", common::emulator::livekit::LIVEKIT_TOKEN),
        "api_key_env = \"LIVEKIT_TOKEN\"",
    );
    let toml = toml.replace(
        &format!("api_key = \"{}\"", common::emulator::twilio::TWILIO_TOKEN),
        "api_key_env = \"TWILIO_AUTH_TOKEN\"",
    );
    assert!(!toml.contains("api_key ="), "{toml}");
    toml
}

fn keys_env() -> String {
    format!(
        "ZEP_API_KEY={}\nSAMBA_API_KEY={}\nDAILY_API_KEY={}\nLIVEKIT_TOKEN={}\nTWILIO_AUTH_TOKEN={}\n",
        common::emulator::zep::ZEP_KEY,
        common::emulator::samba::SAMBA_KEY,
        common::emulator::daily::DAILY_KEY,
        common::emulator::livekit::LIVEKIT_TOKEN,
        common::emulator::twilio::TWILIO_TOKEN,
    )
}

fn demo() -> common::Emulator {
    common::Emulator::start(common::Options {
        demo: true,
        task_delay: std::time::Duration::from_millis(50),
        ..common::Options::default()
    })
}

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_sessionctl"))
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The last summary record of an NDJSON log.
fn summary(ndjson: &str) -> serde_json::Value {
    ndjson
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .rfind(|v| v["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary record in {ndjson}"))
}

/// The demo data's sweep: what the quick start says, 7 sessions ended.
fn assert_swept_the_demo(doc: &serde_json::Value) {
    assert_eq!(doc["summary"], serde_json::json!({"ended": 7}), "{doc:#}");
    assert_eq!(doc["exit_code"], 0, "{doc:#}");
}

#[test]
fn the_crontab_line_runs_as_pasted_under_crons_environment() {
    let emu = demo();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // What the README's install put in place: the binary in ~/.cargo/bin, a config file.
    std::fs::create_dir_all(h.join(".cargo/bin")).unwrap();
    std::os::unix::fs::symlink(binary(), h.join(".cargo/bin/sessionctl")).unwrap();
    let sh = |line: &str| {
        Command::new("/bin/sh")
            .args(["-c", line])
            .env_clear()
            .env("HOME", h)
            .env("PATH", "/usr/bin:/bin")
            .current_dir(h)
            .output()
            .unwrap()
    };
    // The "once" lines, but `crontab -e`.
    for line in commands(block_after("## Cron", "sh")) {
        if line.starts_with("crontab ") {
            continue;
        }
        let out = sh(line);
        assert!(out.status.success(), "{line}: {}", show(&out));
    }
    let keys = h.join(".config/sessionctl/keys.env");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&keys).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "keys.env is the owner's only");
    std::fs::write(&keys, keys_env()).unwrap();
    std::fs::write(
        h.join(".config/sessionctl/config.toml"),
        config_with_key_names(&emu),
    )
    .unwrap();

    let cron = commands(block_after("## Cron", "cron"));
    assert_eq!(cron.len(), 1, "{cron:?}");
    let fields: Vec<&str> = cron[0].splitn(6, ' ').collect();
    assert_eq!(fields[..5], ["*/15", "*", "*", "*", "*"], "{cron:?}");
    assert!(!fields[5].contains('%'), "cron turns % into a newline");
    // What cron gives a job (Debian's cron, as `env` in a job shows): HOME, LOGNAME, SHELL
    // and PATH=/usr/bin:/bin, nothing of the login's environment.
    let out = Command::new("env")
        .args([
            "-i",
            &format!("HOME={}", h.display()),
            "LOGNAME=cron-user",
            "SHELL=/bin/sh",
        ])
        .args(["PATH=/usr/bin:/bin", "/bin/sh", "-c", fields[5]])
        .current_dir("/")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let state = h.join(".local/state/sessionctl");
    let log = std::fs::read_to_string(state.join("log.ndjson")).unwrap();
    assert_swept_the_demo(&summary(&log));
    let journal = std::fs::read_to_string(state.join("journal.ndjson")).unwrap();
    assert!(journal.contains("\"type\":\"end\""), "{journal}");
    let metrics = std::fs::read_to_string(state.join("sessionctl.prom")).unwrap();
    assert!(metrics.contains("sessionctl_exit_code 0"), "{metrics}");
    // The keys were read from the file: nothing on stderr says a key is missing.
    let err = std::fs::read_to_string(state.join("err.log")).unwrap();
    assert!(!err.contains("not set"), "{err}");

    // The next run, 15 minutes later, finds nothing more to do and appends to the same files.
    let again = Command::new("env")
        .args(["-i", &format!("HOME={}", h.display()), "PATH=/usr/bin:/bin"])
        .args(["/bin/sh", "-c", fields[5]])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", show(&again));
    let log = std::fs::read_to_string(state.join("log.ndjson")).unwrap();
    assert_eq!(summary(&log)["summary"], serde_json::json!({}), "{log}");
}

/// The unit files of the README's systemd recipe, by the path each comment names.
fn systemd_units() -> Vec<(&'static str, String)> {
    let block = block_after("A systemd timer", "ini");
    let mut units: Vec<(&str, String)> = Vec::new();
    for line in block.lines() {
        if let Some(path) = line.strip_prefix("# /etc/systemd/system/") {
            units.push((path.trim(), String::new()));
        } else if let Some((_, text)) = units.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    assert_eq!(
        units.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["sessionctl.service", "sessionctl.timer"]
    );
    units
}

/// The value of `key=` in a unit's text (the last one, as systemd reads it).
fn unit_value<'a>(unit: &'a str, key: &str) -> &'a str {
    unit.lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .next_back()
        .unwrap_or_else(|| panic!("no {key}= in {unit}"))
}

/// Whether systemd's tools could be installed here, for a CI that must not skip them: a
/// Debian or Ubuntu whose package lists know `systemd`.
fn systemd_installable() -> bool {
    Command::new("apt-cache")
        .args(["show", "systemd"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

#[test]
fn the_systemd_unit_verifies_and_runs_as_a_user_without_a_home() {
    let units = systemd_units();
    let dir = tempfile::tempdir().unwrap();
    let service = &units[0].1;
    // The unit as written but its binary, which is this test's build (not installed).
    let exec = unit_value(service, "ExecStart");
    assert!(exec.starts_with("/usr/local/bin/sessionctl "), "{exec}");
    assert!(
        README.contains("sudo install -m 755 ~/.cargo/bin/sessionctl /usr/local/bin/sessionctl"),
        "the recipe says how the binary gets to /usr/local/bin"
    );
    let local = format!("{} ", binary().display());
    for (name, text) in &units {
        let text = text.replace("/usr/local/bin/sessionctl ", &local);
        std::fs::write(dir.path().join(name), text).unwrap();
    }

    match Command::new("systemd-analyze").arg("--version").output() {
        Ok(_) => {
            let out = Command::new("systemd-analyze")
                .arg("verify")
                .args(units.iter().map(|(n, _)| dir.path().join(n)))
                .output()
                .unwrap();
            // An unknown key or a bad value is only a warning (exit 0): none is allowed.
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "systemd-analyze verify: {}",
                show(&out)
            );
        }
        Err(e) if std::env::var("CI").as_deref() == Ok("true") && systemd_installable() => {
            panic!("systemd-analyze: {e}; CI must install systemd (apt-get install systemd)")
        }
        Err(e) => common::say_skipped(
            "systemd-analyze verify",
            "recipes::the_systemd_unit_verifies_and_runs_as_a_user_without_a_home",
            &format!("systemd-analyze: {e}"),
        ),
    }

    // Its ExecStart as systemd would run it: the unit's Environment= and EnvironmentFile=,
    // the user's home `/nonexistent`, %t and %S (/run and /var/lib for a system unit) made
    // here, with the directories RuntimeDirectory= and StateDirectory= create.
    assert_eq!(unit_value(service, "RuntimeDirectory"), "sessionctl");
    assert_eq!(unit_value(service, "StateDirectory"), "sessionctl");
    assert_eq!(
        unit_value(service, "EnvironmentFile"),
        "/etc/sessionctl/keys.env"
    );
    let emu = demo();
    let root = tempfile::tempdir().unwrap();
    let (run, lib) = (root.path().join("run"), root.path().join("var/lib"));
    std::fs::create_dir_all(run.join("sessionctl")).unwrap();
    std::fs::create_dir_all(lib.join("sessionctl")).unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(&config, config_with_key_names(&emu)).unwrap();
    let expand = |s: &str| {
        s.replace("%t", &run.display().to_string())
            .replace("%S", &lib.display().to_string())
            .replace("/etc/sessionctl/config.toml", &config.display().to_string())
    };
    let mut cmd = Command::new(binary());
    cmd.args(shell_words::split(&expand(exec)).unwrap().iter().skip(1))
        .env_clear()
        .env("HOME", "/nonexistent")
        .env("PATH", "/usr/bin:/bin")
        .current_dir("/");
    for assignment in shell_words::split(unit_value(service, "Environment")).unwrap() {
        let (k, v) = assignment.split_once('=').unwrap();
        cmd.env(k, expand(v));
    }
    for line in keys_env().lines() {
        let (k, v) = line.split_once('=').unwrap();
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_swept_the_demo(&summary(&String::from_utf8_lossy(&out.stdout)));
    assert!(lib.join("sessionctl/journal.ndjson").is_file());
    assert!(lib.join("sessionctl/sessionctl.prom").is_file());
    let locks: Vec<_> = std::fs::read_dir(run.join("sessionctl"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(!locks.is_empty(), "the locks are in the RuntimeDirectory");
}

/// The CronJob's arguments with the image's environment (the Dockerfile's `ENV`, `USER`
/// with no home) and the pod's: its ConfigMap's config file and its Secret's keys.
#[test]
fn the_cronjob_runs_the_images_binary_as_written() {
    assert!(
        DOCKERFILE.contains("cargo build --release --locked"),
        "the image keeps to Cargo.lock"
    );
    assert!(DOCKERFILE.contains("ENTRYPOINT [\"/usr/local/bin/sessionctl\"]"));
    // The README builds that file from the checkout's root, and the build output stays out
    // of the context (gigabytes of target/ otherwise).
    let build = block_after("A Kubernetes CronJob needs an image.", "sh");
    assert!(
        build.contains("docker build -f .ci/docker/Dockerfile ") && build.contains(" . "),
        "{build}"
    );
    let ignored: Vec<&str> = DOCKERIGNORE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert!(ignored.contains(&"/target"), "{ignored:?}");
    run_the_cronjob(None);
}

/// The same inside the image as far as this machine can make it without a Docker engine:
/// the runtime stage's Debian bookworm with its own RUN lines run (`.ci/docker/root.sh`, as
/// `SESSIONCTL_IMAGE_ROOT`), the binary where COPY puts it, run there as `USER 65534:65534`
/// with the image's ENV: what the pod has (its libc, its CA certificates, no home, no lock
/// directory of its own but the ENV's).
#[test]
fn the_cronjob_runs_in_the_images_root() {
    if unsafe { libc::geteuid() } != 0 {
        return common::say_skipped(
            "image root",
            "recipes::the_cronjob_runs_in_the_images_root",
            "chroot needs root",
        );
    }
    let Some(root) = std::env::var_os("SESSIONCTL_IMAGE_ROOT") else {
        let why = "SESSIONCTL_IMAGE_ROOT is not set: run .ci/docker/root.sh (as root) and set it";
        // CI makes it (.ci/run) wherever it runs as root, as this session does.
        if std::env::var("CI").as_deref() == Ok("true") && unsafe { libc::geteuid() } == 0 {
            panic!("{why}");
        }
        return common::say_skipped(
            "image root",
            "recipes::the_cronjob_runs_in_the_images_root",
            why,
        );
    };
    let root = Path::new(&root);
    assert!(
        root.join(".sessionctl-root").is_file(),
        "{root:?} is no root .ci/docker/root.sh made"
    );
    run_the_cronjob(Some(root));
}

/// Runs the README's CronJob arguments, with the Dockerfile's ENV and the pod's config and
/// keys, against the emulator's demo data: on this machine, or (`root`) chrooted into the
/// image's root as its USER. Checks that it swept the demo and kept its journal.
fn run_the_cronjob(root: Option<&Path>) {
    let image_env: Vec<(&str, &str)> = DOCKERFILE
        .lines()
        .filter_map(|l| l.strip_prefix("ENV ")?.split_once('='))
        .collect();
    let user = DOCKERFILE
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("the image names its USER");
    let yaml = block_after("The CronJob:", "yaml");
    let args_text = &yaml[yaml.find("args: [").unwrap() + 6..];
    let args_text = &args_text[..args_text.find(']').unwrap() + 1];
    let args: Vec<String> = serde_json::from_str(&args_text.replace('\n', " ")).unwrap();
    assert!(args.iter().any(|a| a == "--no-lock"), "{args:?}");

    let emu = demo();
    // The pod's volumes: inside the root when there is one, named as the process sees them.
    let pod = match root {
        Some(root) => tempfile::tempdir_in(root.join("tmp")).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let seen = |path: &Path| match root {
        Some(root) => Path::new("/").join(path.strip_prefix(root).unwrap()),
        None => path.to_owned(),
    };
    let state = pod.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let config = pod.path().join("config.toml");
    std::fs::write(&config, config_with_key_names(&emu)).unwrap();
    let mut cmd = match root {
        None => Command::new(binary()),
        Some(root) => {
            // COPY --from=build …/sessionctl /usr/local/bin/sessionctl, and the shipped
            // descriptions the declared profiles name, at their path.
            // Copied beside it and renamed into place: another test process may be running
            // the one there (a copy over it would fail, "Text file busy").
            let bin = root.join("usr/local/bin");
            let copy = bin.join(format!(".sessionctl.{}", std::process::id()));
            std::fs::copy(binary(), &copy).unwrap();
            std::fs::rename(&copy, bin.join("sessionctl")).unwrap();
            let shipped =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("src/provider/declared/examples");
            let there = root.join(shipped.strip_prefix("/").unwrap());
            std::fs::create_dir_all(&there).unwrap();
            for entry in std::fs::read_dir(&shipped).unwrap() {
                let entry = entry.unwrap();
                std::fs::copy(entry.path(), there.join(entry.file_name())).unwrap();
            }
            let (uid, gid) = user.split_once(':').expect("USER uid:gid");
            let owner = |p: &Path| {
                let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
                let (uid, gid) = (uid.parse().unwrap(), gid.parse().unwrap());
                assert_eq!(unsafe { libc::chown(c.as_ptr(), uid, gid) }, 0, "{p:?}");
            };
            owner(pod.path());
            owner(&state);
            // Found on this PATH: the command's own environment is cleared below.
            let chroot = (std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()))
                .map(|dir| dir.join("chroot"))
                .find(|p| p.is_file())
                .expect("chroot on PATH");
            let mut cmd = Command::new(chroot);
            cmd.arg(format!("--userspec={user}"))
                .arg(root)
                .arg("/usr/local/bin/sessionctl");
            cmd
        }
    };
    let state_seen = seen(&state).display().to_string();
    cmd.args(args.iter().map(|a| a.replace("/state", &state_seen)))
        .env_clear()
        .env("HOME", "/nonexistent")
        .env("SESSIONCTL_CONFIG", seen(&config));
    for (k, v) in image_env {
        cmd.env(k, v);
    }
    for line in keys_env().lines() {
        let (k, v) = line.split_once('=').unwrap();
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_swept_the_demo(&summary(&String::from_utf8_lossy(&out.stdout)));
    let journal = state.join("journal.ndjson");
    assert!(journal.is_file());
    if root.is_some() {
        // Written by the image's USER, on the pod's volume.
        use std::os::unix::fs::MetadataExt;
        let uid = std::fs::metadata(&journal).unwrap().uid();
        assert_eq!(Some(uid.to_string().as_str()), user.split(':').next());
    }
}
