//! The source's shape: no module of `src/` reaches itself through the `crate::` and
//! `super::` paths the modules use (issue #21), so that each one can be read knowing only
//! the ones below it. A circle is named with the modules in it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of `src/` (`app::plan`), with the text of its code: no comments (a doc link
/// names a module without using it), no unit tests.
fn modules() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("src/ is readable").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = (rel.iter())
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).expect("a source file is readable");
            found.insert(parts.join("::"), code_of(&text));
        }
    }
    found
}

fn code_of(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    (code.lines())
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths `code` names after `prefix` (`crate::`, `super::`): `client::http` of
/// `crate::client::http::{Http, Request}`.
fn paths<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    let named = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    (code.match_indices(prefix))
        .filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, _)| {
            let rest = &code[at + prefix.len()..];
            rest[..rest.find(|c| !named(c)).unwrap_or(rest.len())].trim_end_matches(':')
        })
        .collect()
}

/// Which modules each one uses: the longest module a path it names begins with (not itself).
fn uses(modules: &BTreeMap<String, String>) -> BTreeMap<&str, BTreeSet<&str>> {
    let module_of = |path: &str| {
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        (1..=segments.len())
            .rev()
            .map(|n| segments[..n].join("::"))
            .find_map(|m| modules.get_key_value(&m).map(|(k, _)| k.as_str()))
    };
    let mut graph = BTreeMap::new();
    for (name, code) in modules {
        let parent = name.rsplit_once("::").map_or("", |(p, _)| p);
        let mut used = BTreeSet::new();
        for path in paths(code, "crate::") {
            used.extend(module_of(path));
        }
        for path in paths(code, "super::") {
            used.extend(module_of(&format!("{parent}::{path}")).or(Some(parent)));
        }
        used.remove(name.as_str());
        used.remove("");
        graph.insert(name.as_str(), used);
    }
    graph
}

/// A path from `from` back to itself, if there is one.
fn circle<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>, from: &'a str) -> Option<Vec<&'a str>> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![vec![from]];
    while let Some(path) = stack.pop() {
        let last = *path.last().expect("a path is never empty");
        for &next in graph.get(last).into_iter().flatten() {
            if next == from {
                return Some([path.as_slice(), &[from]].concat());
            }
            if seen.insert(next) {
                stack.push([path.as_slice(), &[next]].concat());
            }
        }
    }
    None
}

#[test]
fn no_module_of_src_uses_itself_through_others() {
    let modules = modules();
    assert!(
        modules.contains_key("app::plan") && modules.contains_key("provider"),
        "the modules are found: {:?}",
        modules.keys().collect::<Vec<_>>()
    );
    let graph = uses(&modules);
    let circles: Vec<String> = (graph.keys())
        .filter_map(|m| circle(&graph, m))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(
        circles.is_empty(),
        "import circles in src/:\n{}",
        circles.join("\n")
    );
}

#[test]
fn a_circle_is_found() {
    let modules: BTreeMap<String, String> = [
        ("a", "use crate::b::Thing;"),
        ("b", "use crate::c::{self, Other};"),
        ("c", "fn f() { crate::a::g() }"),
        ("c::d", "use super::Other; // crate::x is a comment"),
    ]
    .into_iter()
    .map(|(m, code)| (m.to_owned(), code_of(code)))
    .collect();
    let graph = uses(&modules);
    assert_eq!(graph["c::d"], BTreeSet::from(["c"]));
    assert_eq!(circle(&graph, "a"), Some(vec!["a", "b", "c", "a"]));
    assert_eq!(circle(&graph, "c::d"), None);
}
