//! Output that does not grow with the run: a table of more rows than a screen keeps only
//! what needs a look, and the JSON document is streamed yet always whole.

mod common;

use common::{Env, Seed};
use serde_json::Value;

const OLD: &str = "2026-01-01T00:00:00.000Z";

#[test]
fn a_table_longer_than_a_page_shows_what_did_not_succeed_and_counts_the_rest() {
    let env = Env::new();
    let ids: Vec<String> = (0..1100).map(|i| format!("t-{i:04}")).collect();
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, OLD)));
    let mut input = ids.join("\n");
    input.push_str("\ngone-1\ngone-2\n");
    let out = env
        .cmd("eliza")
        .args(["end-many", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("gone-1") && stdout.contains("gone-2"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("t-0001 "),
        "successful rows were kept: {stdout}"
    );
    assert!(
        stdout.contains("1100 sessions that succeeded are not shown"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("ended 1100, not_found 2"),
        "{stdout}"
    );
    assert_eq!(env.emu.messaging_count(), 0);
}

#[test]
fn a_short_table_shows_every_row() {
    let env = Env::new();
    env.emu.seed(Seed::messaging("s-1", OLD));
    let out = env.cmd("eliza").args(["end", "s-1"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("s-1") && !stdout.contains("not shown"),
        "{stdout}"
    );
}

#[test]
fn the_streamed_json_document_is_whole_with_no_results_and_with_many() {
    let env = Env::new();
    // No results at all (an empty sweep): still one valid document.
    let (doc, code) = env.json("eliza", &["end-many", "--idle-for", "1h"]);
    assert_eq!(code, 0);
    assert_eq!(doc["results"], Value::Array(vec![]));
    assert_eq!(doc["summary"], serde_json::json!({}));
    let ids: Vec<String> = (0..300).map(|i| format!("j-{i:03}")).collect();
    env.emu
        .seed_many(ids.iter().map(|id| Seed::messaging(id, OLD)));
    let (doc, code) = common::run_json(
        env.cmd("eliza")
            .args(["-o", "json", "end-many", "-"])
            .write_stdin(ids.join("\n")),
    );
    assert_eq!(code, 0);
    assert_eq!(doc["results"].as_array().unwrap().len(), 300);
    assert_eq!(doc["summary"]["ended"], 300);
    assert_eq!(doc["profile"], "eliza");
}
