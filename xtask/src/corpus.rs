//! `cargo xtask corpus`: the pipeline over every spec of a directory, each generated client
//! compiled in one scratch workspace under `target/` so that dependencies build once.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::workspace_root;

/// Dependencies of a generated client, copied from the root `[workspace.dependencies]` so
/// that corpus crates build against exactly what the Nx1 client does.
const CLIENT_DEPENDENCIES: [&str; 9] = [
    "bytes",
    "chrono",
    "futures",
    "progenitor-client",
    "regress",
    "reqwest",
    "serde",
    "serde_json",
    "uuid",
];

struct Entry {
    spec: String,
    crate_name: String,
    operations: usize,
    methods: usize,
    warnings: usize,
    result: Result<(), String>,
}

pub fn run(args: Vec<String>) -> Result<()> {
    let mut dirs = Vec::new();
    let mut full_build = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--specs" => dirs.push(PathBuf::from(
                args.next().context("--specs needs a directory")?,
            )),
            "--build" => full_build = true,
            // Type-checking is the default; the flag stays accepted for scripts.
            "--check" => full_build = false,
            other => bail!("unknown option `{other}` for corpus; see `cargo xtask help`"),
        }
    }
    let root = workspace_root();
    if dirs.is_empty() {
        dirs.push(root.join("../shared/specs"));
    }
    let mut specs = Vec::new();
    for dir in &dirs {
        if !dir.is_dir() {
            bail!(
                "spec directory {} does not exist; pass --specs DIR (the shared corpus lives in ../shared/specs beside the project)",
                dir.display()
            );
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                path.is_file()
                    && path
                        .extension()
                        .and_then(|ext| ext.to_str())
                        .is_some_and(|ext| matches!(ext, "json" | "yaml" | "yml"))
            })
            .collect();
        found.sort();
        if found.is_empty() {
            bail!("no *.json or *.yaml specs in {}", dir.display());
        }
        specs.extend(found);
    }

    let scratch = root.join("target/corpus");
    let crates_dir = scratch.join("crates");
    if crates_dir.exists() {
        std::fs::remove_dir_all(&crates_dir)
            .with_context(|| format!("cannot clear {}", crates_dir.display()))?;
    }
    std::fs::create_dir_all(&crates_dir)?;

    let dependencies = client_dependencies(&root)?;
    let mut entries = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        let stem = spec
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("spec");
        let crate_name = format!(
            "corpus-{:02}-{}",
            index,
            stem.chars()
                .map(|c| if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                })
                .collect::<String>()
        );
        entries.push(generate_one(spec, &crate_name, &crates_dir, &dependencies));
    }

    let members: Vec<String> = entries
        .iter()
        .filter(|entry| entry.result.is_ok())
        .map(|entry| format!("\"crates/{}\"", entry.crate_name))
        .collect();
    std::fs::write(
        scratch.join("Cargo.toml"),
        format!(
            "# Written by `cargo xtask corpus`; not part of the nx1 workspace.\n[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    )?;
    // The root lock file pins every dependency a generated client can need.
    let lock = root.join("Cargo.lock");
    if lock.exists() {
        std::fs::copy(&lock, scratch.join("Cargo.lock"))?;
    }
    if !members.is_empty() {
        compile(&scratch, &mut entries, full_build)?;
    }
    print_table(&specs, &entries);
    let passed = entries.iter().filter(|entry| entry.result.is_ok()).count();
    println!(
        "corpus: {passed}/{} specs generated and compiled",
        entries.len()
    );
    if passed != entries.len() {
        bail!("{} spec(s) failed", entries.len() - passed);
    }
    Ok(())
}

fn generate_one(spec: &Path, crate_name: &str, crates_dir: &Path, dependencies: &str) -> Entry {
    let mut entry = Entry {
        spec: spec.display().to_string(),
        crate_name: crate_name.to_owned(),
        operations: 0,
        methods: 0,
        warnings: 0,
        result: Ok(()),
    };
    let generated = (|| -> Result<String, String> {
        let doc = nx1_codegen::load_file(spec).map_err(|err| err.to_string())?;
        entry.operations = count_operations(&doc.value);
        let prepared = nx1_codegen::prepare(doc).map_err(|err| err.to_string())?;
        entry.warnings = prepared.notes.len();
        let client = nx1_codegen::generate_client(&prepared, &Default::default())
            .map_err(|err| err.to_string())?;
        entry.warnings += client.notes.len();
        entry.methods = client.code.matches("pub async fn ").count();
        Ok(client.code)
    })();
    let write = |code: String| -> Result<(), String> {
        let dir = crates_dir.join(crate_name);
        std::fs::create_dir_all(dir.join("src")).map_err(|err| err.to_string())?;
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{crate_name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{dependencies}"
            ),
        )
        .map_err(|err| err.to_string())?;
        let header = format!(
            "//! Generated by `cargo xtask corpus` from {}.\n#![allow(warnings, clippy::all)]\n\n",
            spec.display()
        );
        std::fs::write(dir.join("src/lib.rs"), header + &code).map_err(|err| err.to_string())
    };
    entry.result = generated.and_then(write);
    if entry.result.is_ok() && entry.methods != entry.operations {
        entry.result = Err(format!(
            "{} operations but {} methods",
            entry.operations, entry.methods
        ));
    }
    entry
}

fn count_operations(value: &serde_json::Value) -> usize {
    value
        .get("paths")
        .and_then(|paths| paths.as_object())
        .map(|paths| {
            paths
                .values()
                .map(|item| {
                    nx1_codegen::normalize::HTTP_METHODS
                        .iter()
                        .filter(|method| item.get(**method).is_some())
                        .count()
                })
                .sum()
        })
        .unwrap_or(0)
}

fn client_dependencies(root: &Path) -> Result<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let section = manifest
        .split("[workspace.dependencies]")
        .nth(1)
        .context("root Cargo.toml has no [workspace.dependencies]")?;
    let mut out = String::new();
    for name in CLIENT_DEPENDENCIES {
        let line = section
            .lines()
            .take_while(|line| !line.starts_with('['))
            .find(|line| line.split('=').next().map(str::trim) == Some(name))
            .with_context(|| format!("root [workspace.dependencies] lacks `{name}`"))?;
        writeln!(out, "{line}")?;
    }
    Ok(out)
}

fn compile(scratch: &Path, entries: &mut [Entry], full_build: bool) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .arg(if full_build { "build" } else { "check" })
        .args(["--workspace", "--keep-going", "--message-format=short"])
        .current_dir(scratch)
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .context("cannot run cargo for the corpus workspace")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    for entry in entries.iter_mut().filter(|entry| entry.result.is_ok()) {
        let marker = format!("could not compile `{}`", entry.crate_name);
        if stderr.contains(&marker) {
            let first_error = stderr
                .lines()
                .find(|line| {
                    line.contains(&format!("crates/{}/", entry.crate_name))
                        && line.contains("error")
                })
                .unwrap_or("compile error")
                .to_owned();
            entry.result = Err(first_error);
        }
    }
    if !output.status.success() && entries.iter().all(|entry| entry.result.is_ok()) {
        bail!("cargo failed on the corpus workspace:\n{stderr}");
    }
    Ok(())
}

fn print_table(specs: &[PathBuf], entries: &[Entry]) {
    let width = specs
        .iter()
        .filter_map(|spec| spec.file_name().map(|name| name.to_string_lossy().len()))
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<width$}  {:>10}  {:>7}  {:>8}  result",
        "spec", "operations", "methods", "warnings"
    );
    for entry in entries {
        let name = Path::new(&entry.spec)
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = match &entry.result {
            Ok(()) => "ok".to_owned(),
            Err(err) => format!("FAILED: {err}"),
        };
        println!(
            "{name:<width$}  {:>10}  {:>7}  {:>8}  {result}",
            entry.operations, entry.methods, entry.warnings
        );
    }
}
