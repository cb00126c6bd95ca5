//! `cargo xtask msrv`: the declared `rust-version` must be at least the highest
//! `rust-version` of every locked dependency a build uses (normal and build dependencies,
//! transitively; dev-dependencies only build the workspace's own tests). Checked from
//! `cargo metadata`, so no second toolchain is needed.

use std::collections::{HashMap, HashSet};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A `rust-version` as numbers: `1.89` is `[1, 89, 0]`.
fn parse(version: &str) -> Option<[u64; 3]> {
    let mut parts = version.split('.').map(|part| part.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some([major, minor, patch])
}

/// The highest `rust-version` among what the workspace members build on, with the package
/// that sets it; and the lowest the members declare.
pub struct Finding {
    pub declared: (String, String),
    pub needed: Option<(String, String)>,
}

pub fn check(metadata: &Value) -> Result<Finding> {
    let packages: HashMap<&str, &Value> = metadata["packages"]
        .as_array()
        .context("cargo metadata has no `packages`")?
        .iter()
        .filter_map(|package| Some((package["id"].as_str()?, package)))
        .collect();
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .context("cargo metadata has no `workspace_members`")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let edges: HashMap<&str, Vec<&str>> = metadata["resolve"]["nodes"]
        .as_array()
        .context("cargo metadata has no `resolve` (was it run with --no-deps?)")?
        .iter()
        .filter_map(|node| {
            let deps = node["deps"]
                .as_array()?
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"].as_array().is_some_and(|kinds| {
                        kinds
                            .iter()
                            .any(|kind| kind["kind"].is_null() || kind["kind"] == "build")
                    })
                })
                .filter_map(|dep| dep["pkg"].as_str())
                .collect();
            Some((node["id"].as_str()?, deps))
        })
        .collect();
    let version_of = |id: &str| -> Option<(String, String)> {
        let package = packages.get(id)?;
        let version = package["rust_version"].as_str()?;
        let name = format!(
            "{} {}",
            package["name"].as_str().unwrap_or("?"),
            package["version"].as_str().unwrap_or("?")
        );
        Some((version.to_owned(), name))
    };
    let declared = members
        .iter()
        .filter_map(|id| version_of(id))
        .min_by_key(|(version, _)| parse(version))
        .context("no workspace member declares a rust-version")?;
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack: Vec<&str> = members.clone();
    let mut needed: Option<(String, String)> = None;
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if !members.contains(&id)
            && let Some((version, name)) = version_of(id)
            && needed
                .as_ref()
                .is_none_or(|(highest, _)| parse(&version) > parse(highest))
        {
            needed = Some((version, name));
        }
        stack.extend(edges.get(id).into_iter().flatten());
    }
    Ok(Finding { declared, needed })
}

pub fn run() -> Result<()> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(crate::workspace_root())
        .output()
        .context("cannot run `cargo metadata`")?;
    if !output.status.success() {
        bail!(
            "`cargo metadata --locked` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let metadata: Value =
        serde_json::from_slice(&output.stdout).context("`cargo metadata` printed no JSON")?;
    let Finding { declared, needed } = check(&metadata)?;
    let (declared_version, member) = declared;
    match needed {
        Some((version, package)) if parse(&version) > parse(&declared_version) => bail!(
            "{member} declares rust-version {declared_version}, but the locked {package} \
             needs {version}; raise `rust-version` in [workspace.package] to {version} \
             (or pin {package} lower)"
        ),
        Some((version, package)) => {
            println!(
                "msrv: rust-version {declared_version} holds (the highest a dependency needs: {version}, {package})"
            );
        }
        None => println!("msrv: rust-version {declared_version} holds (no dependency sets one)"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(id: &str, rust_version: Option<&str>) -> Value {
        serde_json::json!({"id": id, "name": id, "version": "1.0.0", "rust_version": rust_version})
    }

    fn edge(pkg: &str, kind: Option<&str>) -> Value {
        serde_json::json!({"pkg": pkg, "dep_kinds": [{"kind": kind, "target": null}]})
    }

    #[test]
    fn the_highest_normal_or_build_dependency_counts_and_dev_ones_do_not() {
        let metadata = serde_json::json!({
            "packages": [
                package("app", Some("1.88")),
                package("normal", Some("1.70")),
                package("deep", Some("1.89")),
                package("tooling", Some("1.80")),
                package("tests-only", Some("1.95")),
            ],
            "workspace_members": ["app"],
            "resolve": {"nodes": [
                {"id": "app", "deps": [
                    edge("normal", None), edge("tooling", Some("build")),
                    edge("tests-only", Some("dev"))
                ]},
                {"id": "normal", "deps": [edge("deep", None)]},
                {"id": "deep", "deps": []},
                {"id": "tooling", "deps": []},
                {"id": "tests-only", "deps": []},
            ]}
        });
        let finding = check(&metadata).unwrap();
        assert_eq!(finding.declared.0, "1.88");
        assert_eq!(
            finding.needed.unwrap(),
            ("1.89".to_owned(), "deep 1.0.0".to_owned())
        );
        assert!(parse("1.89") > parse("1.88.1"));
        assert_eq!(parse("1.90.0"), Some([1, 90, 0]));
    }
}
