//! What a misbehaving server cannot make a run do: list without end, hold more than a
//! bound in memory, or keep a run sending after a cap has decided it.

use crate::common;

use common::{Env, Fault, ZEP_ENV, run};

const TRILLION: u64 = 1_000_000_000_000;

/// A Zep v2 profile whose listing may hold `max_listed` sessions.
fn zep_listing_at_most(env: &Env, max_listed: u64) -> &'static str {
    env.add_profile(
        "bounded",
        &format!(
            "provider = \"zep\"\nbase_url = \"{}\"\napi_key_env = \"{ZEP_ENV}\"\nmax_listed = {max_listed}\n",
            env.emu.zep_v2_url()
        ),
    );
    "bounded"
}

fn pages_read(env: &Env) -> usize {
    let reqs = env.emu.requests();
    (reqs.iter())
        .filter(|r| r.method == "GET" && r.path.ends_with("/sessions-ordered"))
        .count()
}

#[test]
fn a_list_that_never_runs_dry_stops_at_max_listed() {
    let env = Env::new();
    let profile = zep_listing_at_most(&env, 450);
    env.emu
        .fault(Fault::endless_pages(TRILLION).path("sessions-ordered"));
    let (code, out, err) = run(env.cmd(profile).args(["list"]));
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("more than 450 sessions (the profile's `max_listed`)"),
        "{err}"
    );
    // Pages of 100: the fifth one passes the bound.
    assert_eq!(pages_read(&env), 5);
}

#[test]
fn rows_beyond_the_total_the_server_announced_are_an_error() {
    let env = Env::new();
    env.emu
        .fault(Fault::endless_pages(250).path("sessions-ordered"));
    let (code, out, err) = run(env.cmd("zep").args(["list"]));
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("the server announced 250 sessions but sent 300 different ones"),
        "{err}"
    );
    assert_eq!(pages_read(&env), 3);
}

/// `--max 50` over a list that never ends: the first page (100 sessions to act on) makes the
/// refusal certain, so the sweep reads no other, sends nothing and says it found at least 100.
#[test]
fn a_sweep_with_max_stops_listing_once_the_cap_is_certain() {
    let env = Env::new();
    for dry in [true, false] {
        env.emu.reset();
        env.emu
            .fault(Fault::endless_pages(TRILLION).path("sessions-ordered"));
        let mut cmd = env.cmd("zep");
        cmd.args(["end-many", "--older-than", "1h", "--max", "50"]);
        if dry {
            cmd.arg("--dry-run");
        }
        let (code, out, err) = run(&mut cmd);
        assert_eq!(code, 4, "dry run {dry}: {out}\n{err}");
        assert!(
            err.contains("would end at least 100 sessions") && err.contains("the cap is 50"),
            "{err}"
        );
        assert_eq!(pages_read(&env), 1, "dry run {dry}");
        assert_eq!(
            env.emu.requests().len(),
            1,
            "nothing but the listing was sent"
        );
    }
}
