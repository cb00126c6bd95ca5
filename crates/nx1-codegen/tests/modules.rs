//! The crate's shape, checked: every module says what it is for (`//!`), and no two
//! modules import each other, directly or round a longer loop, so that each stage can be
//! read, tested and replaced on its own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&src).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            out.insert(name, std::fs::read_to_string(&path).expect("a source file"));
        }
    }
    out
}

/// The modules `source` names as `crate::<module>`, outside its unit tests.
fn imports(source: &str, known: &BTreeMap<String, String>) -> BTreeSet<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = BTreeSet::new();
    for (index, _) in code.match_indices("crate::") {
        let rest = &code[index + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if known.contains_key(&name) {
            out.insert(name);
        }
    }
    // `use crate::{a, b::c}` lists.
    for (index, _) in code.match_indices("use crate::{") {
        let list = &code[index + "use crate::{".len()..];
        let list = &list[..list.find("};").unwrap_or(list.len())];
        for item in list.split(',') {
            let name = item.trim().split("::").next().unwrap_or_default().trim();
            if known.contains_key(name) {
                out.insert(name.to_owned());
            }
        }
    }
    out
}

#[test]
fn every_module_says_what_it_is_for() {
    let missing: Vec<String> = modules()
        .into_iter()
        .filter(|(_, source)| !source.trim_start().starts_with("//!"))
        .map(|(name, _)| name)
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a `//!` comment: {missing:?}"
    );
}

#[test]
fn no_import_cycle() {
    let modules = modules();
    let graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|(name, source)| {
            let mut edges = imports(source, &modules);
            edges.remove(name);
            (name.clone(), edges)
        })
        .collect();
    // Depth-first search; a node met again while on the stack closes a cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in &graph[node] {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
    // The shared vocabulary stays at the bottom.
    for leaf in ["pointer", "error", "regex"] {
        assert!(graph[leaf].is_empty(), "{leaf} imports {:?}", graph[leaf]);
    }
    assert_eq!(graph["spec"], BTreeSet::from(["pointer".to_owned()]));
}

/// Long functions hide several steps behind one name; past ~150 lines, split them.
#[test]
fn no_function_is_longer_than_150_lines() {
    let mut long = Vec::new();
    for (module, source) in modules() {
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        let lines: Vec<&str> = code.lines().collect();
        for (start, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let signature = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "async fn ",
                "pub async fn ",
            ]
            .iter()
            .any(|prefix| trimmed.starts_with(prefix));
            if !signature {
                continue;
            }
            let indent = line.len() - trimmed.len();
            let closing = " ".repeat(indent) + "}";
            let end = lines[start + 1..]
                .iter()
                .position(|line| *line == closing)
                .map_or(lines.len(), |offset| start + 1 + offset);
            let length = end - start + 1;
            if length > 150 {
                let name = trimmed.split('(').next().unwrap_or(trimmed);
                long.push(format!("{module}: {name} ({length} lines)"));
            }
        }
    }
    assert!(long.is_empty(), "functions over 150 lines: {long:#?}");
}
