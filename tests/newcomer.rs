//! What a newcomer meets first (issue #15): the quick start and install lines as the README
//! writes them, `config init`, flags that read the way they look, and what the terminal
//! shows while a run works and when it is stopped.

mod common;

use common::{Env, Seed, result_of};

const OLD: &str = "2024-01-01T00:00:00Z";

// ---------------------------------------------------------------------------------------
// delete --wait

#[test]
fn delete_wait_is_a_flag_so_the_next_word_is_an_id() {
    let env = Env::new();
    env.emu.seed(Seed::zep_thread("t-next", OLD));
    // `--wait t-next`: t-next is the thread to delete, not the wait's duration.
    let (doc, code) = env.json("zep4", &["delete", "--yes", "--wait", "t-next"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result_of(&doc, "t-next")["outcome"], "deleted", "{doc:#}");

    // `--timeout` is how long; alone it means nothing, and is refused.
    let sent = env.emu.requests().len();
    let out = env
        .cmd("zep4")
        .args(["delete", "--yes", "--timeout", "1m", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--wait"), "{stderr}");
    assert_eq!(
        env.emu.requests().len(),
        sent,
        "the refused run sent something"
    );
}

// ---------------------------------------------------------------------------------------
// SESSIONCTL_NOW

#[test]
fn an_unreadable_sessionctl_now_is_a_usage_error_before_anything_is_sent() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("idle", OLD));
    for args in [
        &["list", "--idle-for", "1h"][..],
        &["list"],
        &["end-many", "--idle-for", "1h"],
        &["end-many", "--older-than", "1h"],
        &["delete", "--idle-for", "1h", "--yes"],
    ] {
        let out = env
            .cmd("eliza")
            .env("SESSIONCTL_NOW", "yesterday-ish")
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("SESSIONCTL_NOW=`yesterday-ish` is not an RFC 3339 time"),
            "{args:?}: {stderr}"
        );
    }
    assert!(env.emu.requests().is_empty(), "{:?}", env.emu.requests());
    assert!(env.emu.messaging_exists("idle"));
}
