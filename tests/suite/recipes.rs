//! The README's unattended recipes as written (issue #24): the crontab line under cron's
//! bare environment (`env -i`), the systemd unit (`systemd-analyze verify`, then its
//! `ExecStart=` as a user without a home), and the Kubernetes CronJob: its arguments with the
//! image's environment, its manifests checked as an API server would take them, and its pod
//! run from the image a real Docker engine built. Each runs the real binary against the
//! emulator's demo data.

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
    run_the_cronjob();
}

/// The CronJob's arguments, from the README's manifest.
fn cronjob_args() -> Vec<String> {
    let yaml = manifests();
    let args_text = &yaml[yaml.find("args: [").unwrap() + 6..];
    let args_text = &args_text[..args_text.find(']').unwrap() + 1];
    serde_json::from_str(&args_text.replace('\n', " ")).unwrap()
}

/// Runs the README's CronJob arguments with this machine's binary, the Dockerfile's ENV and
/// the pod's config and keys, against the emulator's demo data; checks that it swept the demo
/// and kept its journal.
fn run_the_cronjob() {
    let image_env: Vec<(&str, &str)> = DOCKERFILE
        .lines()
        .filter_map(|l| l.strip_prefix("ENV ")?.split_once('='))
        .collect();
    let args = cronjob_args();
    assert!(args.iter().any(|a| a == "--no-lock"), "{args:?}");

    let emu = demo();
    let pod = tempfile::tempdir().unwrap();
    let state = pod.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let config = pod.path().join("config.toml");
    std::fs::write(&config, config_with_key_names(&emu)).unwrap();
    let mut cmd = Command::new(binary());
    let state_seen = state.display().to_string();
    cmd.args(args.iter().map(|a| a.replace("/state", &state_seen)))
        .env_clear()
        .env("HOME", "/nonexistent")
        .env("SESSIONCTL_CONFIG", &config);
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
    assert!(state.join("journal.ndjson").is_file());
}

/// The Kubernetes releases the manifests must be valid for: those upstream supported on
/// 2026-12-03 (kubernetes-validate 1.37.0, `.ci/kubernetes/install.sh`, bundles each schema).
const KUBERNETES: [&str; 3] = ["1.35.0", "1.36.0", "1.37.0"];

/// The README's `sessionctl.yaml`.
fn manifests() -> &'static str {
    let yaml = block_after("The CronJob:", "yaml");
    assert!(yaml.starts_with("# sessionctl.yaml\n"), "{yaml}");
    yaml
}

/// What CI installs for `test` at the path `var` names (`.ci/run` sets it), or None once the
/// test said it was skipped. Under CI=true a missing one fails the test instead.
fn installed(var: &str, what: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set: .ci/run sets it for {test}")
        }
        _ => {
            common::say_skipped(what, test, &format!("{var} is not set (see .ci/run)"));
            None
        }
    }
}

/// `yaml` checked by `.ci/kubernetes/check.py` (in the virtualenv `dir`) for every release in
/// [`KUBERNETES`]: the documents as it read them, or why it refused them.
fn check_manifests(dir: &str, yaml: &str) -> Result<Vec<serde_json::Value>, String> {
    use std::io::Write;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/kubernetes/check.py");
    let mut child = Command::new(Path::new(dir).join("bin/python"))
        .arg(script)
        .args(KUBERNETES)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(yaml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The document of `kind` among `docs`.
fn of_kind<'a>(docs: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    (docs.iter())
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {docs:#?}"))
}

/// The README's `kubectl create …` line for `what` (`configmap`, `secret generic`): the
/// object's name and its one `--{flag}=` value.
fn kubectl_create(what: &str, flag: &str) -> (String, String) {
    let setup = block_after("Then the config file (without keys) as a ConfigMap", "sh");
    let line = (commands(setup).into_iter())
        .find(|l| l.starts_with(&format!("kubectl create {what} ")))
        .unwrap_or_else(|| panic!("no `kubectl create {what}` in {setup}"));
    let words = shell_words::split(line).unwrap();
    let name = words[2 + what.split(' ').count()].clone();
    let prefix = format!("--{flag}=");
    let value = (words.iter())
        .find_map(|w| w.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {line}"));
    (name, value.to_owned())
}

/// The pod spec of the CronJob's Jobs.
fn pod_spec(cronjob: &serde_json::Value) -> &serde_json::Value {
    &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
}

/// Seconds in a `--deadline`-style duration of whole minutes or hours (`13m`).
fn minutes(text: &str) -> u64 {
    match text.split_at(text.len() - 1) {
        (n, "m") => n.parse::<u64>().unwrap() * 60,
        (n, "h") => n.parse::<u64>().unwrap() * 3600,
        _ => panic!("{text}: not whole minutes or hours"),
    }
}

#[test]
fn the_kubernetes_manifests_are_valid_for_each_supported_release() {
    let test = "recipes::the_kubernetes_manifests_are_valid_for_each_supported_release";
    let Some(dir) = installed("SESSIONCTL_KUBERNETES_DIR", "Kubernetes manifest", test) else {
        return;
    };
    let yaml = manifests();
    let docs = check_manifests(&dir, yaml).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<_> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["PersistentVolumeClaim", "CronJob"]);
    let cronjob = of_kind(&docs, "CronJob");
    let pod = pod_spec(cronjob);
    let container = &pod["containers"][0];

    // The objects the README's kubectl lines make are the ones the pod names, and the
    // ConfigMap's key is the file SESSIONCTL_CONFIG names where its volume is mounted.
    let setup = block_after("Then the config file (without keys) as a ConfigMap", "sh");
    assert!(
        commands(setup).contains(&"kubectl apply -f sessionctl.yaml"),
        "{setup}"
    );
    let volume = |name: &str| {
        (pod["volumes"].as_array().unwrap().iter())
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no volume {name}"))
    };
    let mount = |name: &str| {
        (container["volumeMounts"].as_array().unwrap().iter())
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("no mount of {name}"))
    };
    let (configmap, from_file) = kubectl_create("configmap", "from-file");
    let (key, _) = from_file.split_once('=').expect("--from-file=KEY=PATH");
    let config_volume = (pod["volumes"].as_array().unwrap().iter())
        .find(|v| v["configMap"]["name"] == configmap.as_str())
        .expect("the ConfigMap is a volume");
    let config_mount = mount(config_volume["name"].as_str().unwrap());
    let config_env = (container["env"].as_array().unwrap().iter())
        .find(|e| e["name"] == "SESSIONCTL_CONFIG")
        .expect("SESSIONCTL_CONFIG");
    assert_eq!(
        config_env["value"].as_str().unwrap(),
        format!("{}/{key}", config_mount["mountPath"].as_str().unwrap())
    );
    let (secret, _) = kubectl_create("secret generic", "from-env-file");
    assert_eq!(
        container["envFrom"][0]["secretRef"]["name"],
        secret.as_str()
    );
    let claim = of_kind(&docs, "PersistentVolumeClaim")["metadata"]["name"].clone();
    assert_eq!(volume("state")["persistentVolumeClaim"]["claimName"], claim);
    // The journal is on that volume.
    let args = cronjob_args();
    let journal = &args[args.iter().position(|a| a == "--journal").unwrap() + 1];
    assert!(journal.starts_with(&format!(
        "{}/",
        mount("state")["mountPath"].as_str().unwrap()
    )));

    // A run ends by itself (--deadline) before the Job's deadline kills it, and that comes
    // before the next run is due (so `Forbid` never has to skip one).
    let deadline = minutes(&args[args.iter().position(|a| a == "--deadline").unwrap() + 1]);
    let killed = cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"]
        .as_u64()
        .unwrap();
    let schedule = cronjob["spec"]["schedule"].as_str().unwrap();
    let every = (schedule
        .strip_prefix("*/")
        .and_then(|s| s.strip_suffix(" * * * *")))
    .unwrap_or_else(|| panic!("{schedule}: not every N minutes"));
    let every = 60 * every.parse::<u64>().unwrap();
    assert!(
        deadline < killed && killed < every,
        "{deadline} {killed} {every}"
    );
    assert_eq!(cronjob["spec"]["concurrencyPolicy"], "Forbid");
    assert!(args.iter().any(|a| a == "--no-lock"), "{args:?}");
    // The pod runs as the image's USER.
    let user = DOCKERFILE
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .unwrap();
    let security = &pod["securityContext"];
    assert_eq!(
        format!("{}:{}", security["runAsUser"], security["runAsGroup"]),
        user
    );

    // What the API server takes, the check takes too (cron.ParseStandard's other forms).
    let schedule = "\"*/15 * * * *\"";
    assert!(yaml.contains(schedule), "{yaml}");
    for other in [
        "@hourly",
        "@every 1h30m",
        "0 9 * jan-DEC MON-FRI",
        "5/10 * ? * *",
        "0 0 1,15 * SUN",
    ] {
        let yaml = yaml.replacen(schedule, &format!("\"{other}\""), 1);
        check_manifests(&dir, &yaml).unwrap_or_else(|e| panic!("{other}: {e}"));
    }

    // Each kind of mistake is refused, in one line: the check can fail, and says why.
    let long = format!("metadata: {{name: {}}}\nspec:\n  schedule", "s".repeat(53));
    let containers = "          containers:\n";
    let init = |container: &str| {
        format!("          initContainers:\n            - {container}\n{containers}")
    };
    let init_named_as_the_container = init("{name: sessionctl, image: busybox}");
    let init_mounting_no_volume =
        init("{name: init, image: busybox, volumeMounts: [{name: cache, mountPath: /cache}]}");
    let job_template = &yaml[yaml.find("  jobTemplate:\n").expect("a jobTemplate")..];
    for (from, to, says) in [
        (
            "restartPolicy: Never",
            "restartPolicy: Always",
            "restart Never or OnFailure",
        ),
        (
            "readOnly: true",
            "readonly: true",
            "'readonly' was unexpected",
        ),
        (schedule, "\"*/15 * * *\"", "exactly 5 fields"),
        (
            schedule,
            "\"*/15 24 * * *\"",
            "end of range (24) above maximum (23)",
        ),
        (
            schedule,
            "\"*/15 17-9 * * *\"",
            "beginning of range (17) beyond end of range (9)",
        ),
        (
            schedule,
            "\"*/15 * * * 7\"",
            "end of range (7) above maximum (6)",
        ),
        (
            schedule,
            "\"*/0 * * * *\"",
            "step of range should be a positive number",
        ),
        (
            schedule,
            "\"@every banana\"",
            "failed to parse duration @every banana",
        ),
        (schedule, "\"@every  15m\"", "invalid duration \" 15m\""),
        (schedule, "\"@daily \"", "unrecognized descriptor: @daily "),
        (
            schedule,
            "\" @daily\"",
            "expected exactly 5 fields, found 1",
        ),
        (
            schedule,
            "\"CRON_TZ=UTC */15 * * * *\"",
            "cannot use TZ or CRON_TZ in schedule",
        ),
        (
            "backoffLimit: 0",
            "backoffLimit: \"0\"",
            "is not of type 'integer'",
        ),
        (
            "apiVersion: batch/v1",
            "apiVersion: batch/v1beta1",
            "Couldn't find schema",
        ),
        (
            "{name: state, mountPath",
            "{name: stat, mountPath",
            "no volume 'stat'",
        ),
        (
            containers,
            init_mounting_no_volume.as_str(),
            "initContainers[init].volumeMounts: no volume 'cache'",
        ),
        (
            containers,
            init_named_as_the_container.as_str(),
            "duplicate container name 'sessionctl'",
        ),
        (
            job_template,
            "  jobTemplate: {}\n",
            "spec.jobTemplate.spec: Required value",
        ),
        (
            "metadata: {name: sessionctl}\nspec:\n  schedule",
            long.as_str(),
            "no more than 52 characters",
        ),
    ] {
        assert!(yaml.contains(from), "{from}");
        let err = check_manifests(&dir, &yaml.replacen(from, to, 1)).unwrap_err();
        assert!(err.contains(says), "{to}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{to}: {err}");
    }
}

/// What the README's `kubectl create` lines and the manifest's PVC make, for [`run_pod`].
struct Objects {
    /// ConfigMap name → its entries (file name → contents).
    configmaps: Vec<(String, Vec<(String, String)>)>,
    /// Secret name → its entries (`NAME=value`).
    secrets: Vec<(String, Vec<(String, String)>)>,
    claims: Vec<String>,
}

/// The fields of a pod spec (and of its container, security contexts and volumes) that
/// [`run_pod`] carries out. Any other fails the test: a manifest cannot grow a field this
/// runner would silently leave out.
const POD_FIELDS: [&str; 4] = ["restartPolicy", "securityContext", "containers", "volumes"];
const POD_SECURITY: [&str; 5] = [
    "runAsNonRoot",
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "seccompProfile",
];
const CONTAINER_FIELDS: [&str; 8] = [
    "name",
    "image",
    "args",
    "env",
    "envFrom",
    "securityContext",
    "volumeMounts",
    "imagePullPolicy",
];
const CONTAINER_SECURITY: [&str; 3] = [
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "capabilities",
];

fn only_fields(v: &serde_json::Value, known: &[&str], what: &str) {
    for key in v.as_object().unwrap().keys() {
        assert!(
            known.contains(&key.as_str()),
            "{what}.{key}: run_pod does not carry it out"
        );
    }
}

/// Runs `pod` (a Job's pod spec, one container) from `image` with the Docker engine
/// (`docker`), as a kubelet would with its container runtime: once (a Job's pod); as the
/// pod's user and groups (`fsGroup` among them), with the container's capabilities,
/// `no-new-privileges` and read-only root file system; with its `env` after the Secret's
/// entries (`envFrom`), as Kubernetes orders them; a ConfigMap as a read-only directory of
/// its entries; a claim as a new root-owned directory that `fsGroup` makes group-writable and
/// set-group-ID, as the kubelet does to the volumes it mounts. On the host's network, where
/// the emulator listens. Returns the run and the claims' directories.
fn run_pod(
    docker: &str,
    image: &str,
    pod: &serde_json::Value,
    objects: &Objects,
) -> (Output, tempfile::TempDir) {
    use std::os::unix::fs::PermissionsExt;
    only_fields(pod, &POD_FIELDS, "spec");
    let security = &pod["securityContext"];
    only_fields(security, &POD_SECURITY, "spec.securityContext");
    assert_eq!(pod["restartPolicy"], "Never", "run once");
    assert_eq!(pod["containers"].as_array().unwrap().len(), 1);
    let container = &pod["containers"][0];
    only_fields(container, &CONTAINER_FIELDS, "container");
    let csecurity = &container["securityContext"];
    only_fields(csecurity, &CONTAINER_SECURITY, "container.securityContext");
    // The engine's default seccomp profile is the runtime's default.
    assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault");

    let mut cmd = Command::new(docker);
    cmd.args(["run", "--rm", "--network=host"]);
    let uid = match &security["runAsUser"] {
        serde_json::Value::Null => {
            assert!(
                security["runAsGroup"].is_null(),
                "runAsGroup without runAsUser: run_pod does not carry it out"
            );
            let out = Command::new(docker)
                .args(["image", "inspect", "-f", "{{.Config.User}}", image])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        }
        uid => {
            // containerd makes the OCI user "uid[:gid]" of the CRI's runAsUser and runAsGroup
            // (generateUserString); with the uid alone, its WithUserID takes the group that the
            // image's /etc/passwd gives that uid, or 0 when it has none (never the image's
            // USER group). Docker does the same with a --user of the uid alone.
            match &security["runAsGroup"] {
                serde_json::Value::Null => cmd.arg(format!("--user={uid}")),
                gid => cmd.arg(format!("--user={uid}:{gid}")),
            };
            uid.to_string()
        }
    };
    if security["runAsNonRoot"] == true {
        // The kubelet refuses to start the container otherwise.
        let uid: u32 = uid
            .split(':')
            .next()
            .unwrap()
            .parse()
            .expect("a numeric user");
        assert_ne!(uid, 0, "runAsNonRoot");
    }
    let fs_group = security["fsGroup"].as_u64();
    if let Some(group) = fs_group {
        cmd.arg(format!("--group-add={group}"));
    }
    if csecurity["allowPrivilegeEscalation"] == false {
        cmd.arg("--security-opt=no-new-privileges");
    }
    if csecurity["readOnlyRootFilesystem"] == true {
        cmd.arg("--read-only");
    }
    only_fields(&csecurity["capabilities"], &["drop"], "capabilities");
    for cap in csecurity["capabilities"]["drop"].as_array().unwrap() {
        cmd.arg(format!("--cap-drop={}", cap.as_str().unwrap()));
    }
    for from in container["envFrom"].as_array().unwrap() {
        only_fields(from, &["secretRef"], "envFrom");
        let name = from["secretRef"]["name"].as_str().unwrap();
        let (_, entries) = (objects.secrets.iter())
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no Secret {name}"));
        for (k, v) in entries {
            cmd.arg(format!("--env={k}={v}"));
        }
    }
    for env in container["env"].as_array().unwrap() {
        only_fields(env, &["name", "value"], "env");
        cmd.arg(format!(
            "--env={}={}",
            env["name"].as_str().unwrap(),
            env["value"].as_str().unwrap()
        ));
    }

    let volumes = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for volume in pod["volumes"].as_array().unwrap() {
        let name = volume["name"].as_str().unwrap();
        let dir = volumes.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let read_only = if let Some(map) = volume["configMap"]["name"].as_str() {
            let (_, entries) = (objects.configmaps.iter())
                .find(|(n, _)| n == map)
                .unwrap_or_else(|| panic!("no ConfigMap {map}"));
            for (file, text) in entries {
                std::fs::write(dir.join(file), text).unwrap();
            }
            true
        } else if let Some(claim) = volume["persistentVolumeClaim"]["claimName"].as_str() {
            assert!(
                objects.claims.iter().any(|c| c == claim),
                "no claim {claim}"
            );
            if let Some(group) = fs_group {
                let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
                assert_eq!(unsafe { libc::chown(c.as_ptr(), 0, group as u32) }, 0);
                let mode = std::fs::Permissions::from_mode(0o2775);
                std::fs::set_permissions(&dir, mode).unwrap();
            }
            false
        } else {
            panic!("volume {volume}: run_pod knows configMap and persistentVolumeClaim");
        };
        dirs.push((name.to_owned(), dir, read_only));
    }
    for mount in container["volumeMounts"].as_array().unwrap() {
        only_fields(mount, &["name", "mountPath", "readOnly"], "volumeMounts");
        let (_, dir, read_only) = (dirs.iter())
            .find(|(n, ..)| mount["name"] == n.as_str())
            .unwrap();
        let ro = *read_only || mount["readOnly"] == true;
        let path = mount["mountPath"].as_str().unwrap();
        cmd.arg(format!(
            "--volume={}:{path}{}",
            dir.display(),
            if ro { ":ro" } else { "" }
        ));
    }
    cmd.arg(image);
    for arg in container["args"].as_array().unwrap() {
        cmd.arg(arg.as_str().unwrap());
    }
    (cmd.output().unwrap(), volumes)
}

/// The objects the README's `kubectl create` lines and the manifest's PVC (among `docs`) make
/// for a run against `emu`, for [`run_pod`].
fn pod_objects(emu: &common::Emulator, docs: &[serde_json::Value]) -> Objects {
    // The config file with the descriptions its declared profiles name beside it, as an
    // operator puts them in the ConfigMap (`api` relative to the config file).
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/provider/declared/examples");
    let config = config_with_key_names(emu).replace(&format!("{}/", shipped.display()), "");
    let (configmap, from_file) = kubectl_create("configmap", "from-file");
    let (key, _) = from_file.split_once('=').unwrap();
    let mut entries = vec![(key.to_owned(), config.clone())];
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        if config.contains(&format!("api = \"{file}\"")) {
            entries.push((
                file.clone(),
                std::fs::read_to_string(shipped.join(&file)).unwrap(),
            ));
        }
    }
    assert!(
        entries.len() > 1,
        "the demo has declared profiles: {config}"
    );
    let (secret, _) = kubectl_create("secret generic", "from-env-file");
    let keys = (keys_env().lines())
        .map(|l| l.split_once('=').unwrap())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Objects {
        configmaps: vec![(configmap, entries)],
        secrets: vec![(secret, keys)],
        claims: vec![
            of_kind(docs, "PersistentVolumeClaim")["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_owned(),
        ],
    }
}

#[test]
fn the_cronjobs_pod_runs_from_the_built_image() {
    let test = "recipes::the_cronjobs_pod_runs_from_the_built_image";
    if unsafe { libc::geteuid() } != 0 {
        return common::say_skipped("image", test, "dockerd (.ci/docker/build.sh) needs root");
    }
    let Some(image) = installed("SESSIONCTL_IMAGE", "image", test) else {
        return;
    };
    let Some(dir) = installed("SESSIONCTL_KUBERNETES_DIR", "Kubernetes manifest", test) else {
        return;
    };
    let docker = std::env::var("SESSIONCTL_DOCKER").unwrap_or_else(|_| "docker".into());
    let docs = check_manifests(&dir, manifests()).unwrap_or_else(|e| panic!("{e}"));
    let cronjob = of_kind(&docs, "CronJob");

    // As written, and without runAsGroup, whose group run_pod then leaves to the image as a
    // kubelet's runtime does (a made-up one would not run at all).
    let mut without_group = pod_spec(cronjob).clone();
    let security = without_group["securityContext"].as_object_mut().unwrap();
    assert!(security.remove("runAsGroup").is_some());
    for pod in [pod_spec(cronjob), &without_group] {
        let emu = demo();
        let (out, volumes) = run_pod(&docker, &image, pod, &pod_objects(&emu, &docs));
        assert!(out.status.success(), "{}", show(&out));
        assert_swept_the_demo(&summary(&String::from_utf8_lossy(&out.stdout)));
        // Written by the pod's user, on the claim's volume.
        use std::os::unix::fs::MetadataExt;
        let journal = volumes.path().join("state/journal.ndjson");
        let uid = std::fs::metadata(&journal).unwrap().uid();
        assert_eq!(
            Some(uid),
            pod["securityContext"]["runAsUser"]
                .as_u64()
                .map(|u| u as u32)
        );
    }
}
