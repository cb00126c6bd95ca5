//! `cargo xtask corpus`: the pipeline over every spec of a directory, each generated client
//! compiled in one scratch workspace under `target/` so that dependencies build once.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::roundtrip::{self, Plan};
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
    handlers: usize,
    warnings: usize,
    /// Schemas made untyped (each has a note saying why).
    untyped: usize,
    /// Operations with a streamed answer, and how many of them have typed items.
    streams: usize,
    typed_streams: usize,
    fidelity: nx1_codegen::Fidelity,
    client: Result<(), String>,
    server: Result<(), String>,
    /// With `--roundtrip`: the instances and the harness crate that round-trips them.
    roundtrip: Option<Plan>,
}

impl Entry {
    fn passed(&self) -> bool {
        self.client.is_ok() && self.server.is_ok()
    }
}

/// What the generated types module depends on: all a server crate needs besides the
/// runtime, and all a round-trip harness needs (no HTTP stack to build for it).
const TYPE_DEPENDENCIES: [&str; 5] = ["chrono", "regress", "serde", "serde_json", "uuid"];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A directory of *.json and *.yaml specs (repeatable) [default: ../shared/specs].
    #[arg(long = "specs", value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Run the full `cargo build` rather than `cargo check`.
    #[arg(long)]
    build: bool,
    /// Also round-trip generated instances of every body schema through the Rust types and
    /// validate them against the original schema.
    #[arg(long)]
    roundtrip: bool,
}

pub fn run(args: Args) -> Result<()> {
    let Args {
        mut dirs,
        build: full_build,
        roundtrip: round_trip,
    } = args;
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
        let found = nx1_codegen::spec_files(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?;
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

    let dependencies = dependencies(&root)?;
    let started = std::time::Instant::now();
    let crate_name = |index: usize, spec: &Path| {
        let stem = spec
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("spec");
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        format!("corpus-{index:02}-{stem}")
    };
    // Each spec is generated on its own, one per core: the pipeline is single-threaded and
    // the specs are independent (about 150 s in a debug build one after another).
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut entries: Vec<Option<Entry>> = (0..specs.len()).map(|_| None).collect();
    let done = std::sync::Mutex::new(&mut entries);
    std::thread::scope(|scope| {
        for _ in 0..workers.min(specs.len()) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(spec) = specs.get(index) else { break };
                    println!("corpus: generating {}", spec.display());
                    let entry = generate_one(
                        spec,
                        &crate_name(index, spec),
                        &crates_dir,
                        &dependencies,
                        round_trip,
                    );
                    if let Ok(mut done) = done.lock() {
                        done[index] = Some(entry);
                    }
                }
            });
        }
    });
    let mut entries: Vec<Entry> = entries.into_iter().flatten().collect();
    if entries.len() != specs.len() {
        bail!("a corpus worker stopped before generating every spec");
    }
    println!(
        "corpus: generated {} specs in {:.1} s",
        entries.len(),
        started.elapsed().as_secs_f64()
    );
    let mut members = Vec::new();
    for entry in &entries {
        if entry.client.is_ok() {
            members.push(format!("\"crates/{}-client\"", entry.crate_name));
        }
        if entry.server.is_ok() {
            members.push(format!("\"crates/{}-server\"", entry.crate_name));
        }
        if let Some(plan) = &entry.roundtrip {
            members.push(format!("\"crates/{}\"", plan.crate_name));
        }
    }
    std::fs::write(
        scratch.join("Cargo.toml"),
        format!(
            "# Written by `cargo xtask corpus`; not part of the nx1 workspace.\n[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n{PROFILE}",
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
    let round_trip_failures = if round_trip {
        run_round_trips(&scratch, &entries)?
    } else {
        0
    };
    let passed = entries.iter().filter(|entry| entry.passed()).count();
    let typed: usize = entries.iter().map(|entry| entry.fidelity.typed).sum();
    let total: usize = entries.iter().map(|entry| entry.fidelity.total).sum();
    let streams: usize = entries.iter().map(|entry| entry.streams).sum();
    let typed_streams: usize = entries.iter().map(|entry| entry.typed_streams).sum();
    println!(
        "corpus: {passed}/{} specs generated and compiled (client and server); typed schemas {typed}/{total} ({}); typed streams {typed_streams}/{streams}",
        entries.len(),
        percent(typed, total)
    );
    if passed != entries.len() {
        bail!("{} spec(s) failed", entries.len() - passed);
    }
    if round_trip_failures > 0 {
        bail!("{round_trip_failures} instance(s) did not round-trip");
    }
    Ok(())
}

/// Builds every harness, runs it over its instances and prints each failure; returns how
/// many there were.
/// The corpus crates are written afresh on every run and their binaries only run once:
/// incremental caches and debug info are paid for and never used (together about a third
/// of the harnesses' build).
const PROFILE: &str = "[profile.dev]\ndebug = false\nincremental = false\n";

fn run_round_trips(scratch: &Path, entries: &[Entry]) -> Result<usize> {
    let plans: Vec<&Plan> = entries
        .iter()
        .filter(|entry| entry.passed())
        .filter_map(|entry| entry.roundtrip.as_ref())
        .filter(|plan| !plan.targets.is_empty())
        .collect();
    if plans.is_empty() {
        println!("roundtrip: 0 instances over 0 schemas in 0 specs, 0 failures");
        return Ok(0);
    }
    println!("corpus: building {} round-trip harnesses", plans.len());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--message-format=short"])
        .current_dir(scratch)
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .env_remove("RUSTFLAGS")
        // The scratch manifest's profile holds, not one a caller set for its own build.
        .env_remove("CARGO_PROFILE_DEV_DEBUG");
    for plan in &plans {
        build.args(["-p", &plan.crate_name]);
    }
    // The harnesses build the client crates they use too: no total to promise.
    let (status, stderr) = run_with_progress(build, "corpus-", 0, "Compiling")
        .context("cannot run cargo for the harnesses")?;
    if !status.success() {
        bail!("the round-trip harnesses do not build:\n{stderr}");
    }
    let mut failures = Vec::new();
    let (mut instances, mut schemas) = (0, 0);
    for plan in &plans {
        let binary = scratch.join("target/debug").join(&plan.crate_name);
        failures.extend(plan.run(&binary)?);
        instances += plan.instances.len();
        schemas += plan.targets.len();
    }
    for failure in &failures {
        println!("    roundtrip: {failure}");
    }
    println!(
        "roundtrip: {instances} instances over {schemas} schemas in {} specs, {} failures",
        plans.len(),
        failures.len()
    );
    Ok(failures.len())
}

fn generate_one(
    spec: &Path,
    crate_name: &str,
    crates_dir: &Path,
    dependencies: &Dependencies,
    round_trip: bool,
) -> Entry {
    let mut entry = Entry {
        spec: spec.display().to_string(),
        crate_name: crate_name.to_owned(),
        operations: 0,
        methods: 0,
        handlers: 0,
        warnings: 0,
        untyped: 0,
        streams: 0,
        typed_streams: 0,
        fidelity: Default::default(),
        client: Ok(()),
        server: Ok(()),
        roundtrip: None,
    };
    let prepared = nx1_codegen::load_file(spec).and_then(|doc| {
        entry.operations = count_operations(&doc.value);
        nx1_codegen::prepare(doc)
    });
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(err) => {
            entry.client = Err(err.to_string());
            entry.server = Err("not generated: the spec did not load".into());
            return entry;
        }
    };
    entry.warnings = prepared.notes.len();
    entry.untyped = prepared.degraded.len();
    entry.fidelity = prepared.fidelity;
    let streams = prepared.streams();
    entry.streams = streams.len();
    entry.typed_streams = streams.iter().filter(|stream| stream.typed).count();
    // A second method for a stream is not an operation of its own.
    let extra_methods = streams.iter().filter(|stream| stream.extra).count();
    let header = format!(
        "//! Generated by `cargo xtask corpus` from {}.\n#![allow(warnings, clippy::all)]\n\n",
        spec.display()
    );

    let generated = CrateSpec {
        crates_dir,
        crate_name,
        header: &header,
        operations: entry.operations,
    };
    entry.client = nx1_codegen::generate_client(&prepared, &Default::default())
        .map_err(|err| err.to_string())
        .and_then(|client| {
            entry.warnings += client.notes.len();
            entry.methods = client.code.matches("pub async fn ").count() - extra_methods;
            generated.write("client", &client.code, entry.methods, &dependencies.client)
        });
    entry.server = nx1_codegen::generate_server(&prepared, &Default::default())
        .map_err(|err| err.to_string())
        .and_then(|server| {
            entry.handlers = server.operations;
            generated.write("server", &server.code, entry.handlers, &dependencies.server)
        });
    if round_trip && entry.client.is_ok() {
        match harness(spec, crate_name, crates_dir, dependencies, &prepared) {
            Ok(plan) => entry.roundtrip = Some(plan),
            Err(err) => entry.client = Err(format!("round trip: {err:#}")),
        }
    }
    entry
}

fn harness(
    spec: &Path,
    crate_name: &str,
    crates_dir: &Path,
    dependencies: &Dependencies,
    prepared: &nx1_codegen::Prepared,
) -> Result<Plan> {
    let targets = roundtrip::targets(&prepared.original, &prepared.components);
    let plan = Plan::new(
        &spec.display().to_string(),
        crate_name,
        &prepared.original,
        targets,
    )?;
    let types = nx1_codegen::generate_types(prepared)?;
    write_crate(
        crates_dir,
        &plan.crate_name,
        &dependencies.types,
        "main.rs",
        &plan.harness(&types),
    )
    .map_err(anyhow::Error::msg)?;
    Ok(plan)
}

/// Where one spec's generated crates go.
struct CrateSpec<'a> {
    crates_dir: &'a Path,
    crate_name: &'a str,
    header: &'a str,
    operations: usize,
}

impl CrateSpec<'_> {
    /// Writes `<crate>-<side>` once the code has one item per operation of the spec.
    fn write(
        &self,
        side: &str,
        code: &str,
        items: usize,
        dependencies: &str,
    ) -> Result<(), String> {
        if items != self.operations {
            return Err(format!(
                "{} operations but {items} {side} operations",
                self.operations
            ));
        }
        write_crate(
            self.crates_dir,
            &format!("{}-{side}", self.crate_name),
            dependencies,
            "lib.rs",
            &format!("{}{code}", self.header),
        )
    }
}

/// Writes a crate of one source file, `src/<file>` (`lib.rs` or `main.rs`).
fn write_crate(
    crates_dir: &Path,
    name: &str,
    dependencies: &str,
    file: &str,
    code: &str,
) -> Result<(), String> {
    let dir = crates_dir.join(name);
    std::fs::create_dir_all(dir.join("src")).map_err(|err| err.to_string())?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{dependencies}"
        ),
    )
    .map_err(|err| err.to_string())?;
    std::fs::write(dir.join("src").join(file), code).map_err(|err| err.to_string())
}

fn count_operations(value: &serde_json::Value) -> usize {
    value
        .get("paths")
        .and_then(|paths| paths.as_object())
        .map(|paths| {
            paths
                .values()
                .map(|item| {
                    nx1_codegen::spec::HTTP_METHODS
                        .iter()
                        .filter(|method| item.get(**method).is_some())
                        .count()
                })
                .sum()
        })
        .unwrap_or(0)
}

pub(crate) struct Dependencies {
    pub(crate) client: String,
    server: String,
    types: String,
}

/// Dependency lines for generated crates, copied from the root `[workspace.dependencies]`.
pub(crate) fn dependencies(root: &Path) -> Result<Dependencies> {
    let runtime = root.join("crates/nx1-server-runtime");
    let types = dependency_lines(root, &TYPE_DEPENDENCIES)?;
    let mut server = types.clone();
    writeln!(
        server,
        "nx1-server-runtime = {{ path = {:?} }}",
        runtime.display().to_string()
    )?;
    let mut client = dependency_lines(root, &CLIENT_DEPENDENCIES)?;
    writeln!(
        client,
        "nx1-stream = {{ path = {:?} }}",
        root.join("crates/nx1-stream").display().to_string()
    )?;
    Ok(Dependencies {
        client,
        server,
        types,
    })
}

/// The lines of the root `[workspace.dependencies]` that declare `names`, each with its
/// newline, read from one reading of the manifest.
pub(crate) fn dependency_lines(root: &Path, names: &[&str]) -> Result<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let section = manifest
        .split("[workspace.dependencies]")
        .nth(1)
        .context("root Cargo.toml has no [workspace.dependencies]")?;
    let mut out = String::new();
    for name in names {
        let line = section
            .lines()
            .take_while(|line| !line.starts_with('['))
            .find(|line| line.split('=').next().map(str::trim) == Some(*name))
            .with_context(|| format!("root [workspace.dependencies] lacks `{name}`"))?;
        writeln!(out, "{line}")?;
    }
    Ok(out)
}

fn compile(scratch: &Path, entries: &mut [Entry], full_build: bool) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .arg(if full_build { "build" } else { "check" })
        .args(["--workspace", "--keep-going", "--message-format=short"])
        .current_dir(scratch)
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .env_remove("RUSTFLAGS")
        // The scratch manifest's profile holds, not one a caller set for its own build.
        .env_remove("CARGO_PROFILE_DEV_DEBUG");
    // Clients and servers; the round-trip harnesses too in a full build. A check leaves
    // them out: `run_round_trips` builds them anyway, and checking them first would
    // type-check every spec's types a second time.
    let harnesses: Vec<&str> = entries
        .iter()
        .filter_map(|entry| entry.roundtrip.as_ref())
        .map(|plan| plan.crate_name.as_str())
        .collect();
    if !full_build {
        for harness in &harnesses {
            command.args(["--exclude", harness]);
        }
    }
    let crates = entries
        .iter()
        .map(|entry| usize::from(entry.client.is_ok()) + usize::from(entry.server.is_ok()))
        .sum::<usize>()
        + if full_build { harnesses.len() } else { 0 };
    let verb = if full_build { "Compiling" } else { "Checking" };
    let (status, stderr) = run_with_progress(command, "corpus-", crates, verb)
        .context("cannot run cargo for the corpus workspace")?;
    for entry in entries.iter_mut() {
        for (suffix, result) in [("client", &mut entry.client), ("server", &mut entry.server)] {
            let name = format!("{}-{suffix}", entry.crate_name);
            if result.is_ok() && stderr.contains(&format!("could not compile `{name}`")) {
                let first_error = stderr
                    .lines()
                    .find(|line| {
                        line.contains(&format!("crates/{name}/")) && line.contains("error")
                    })
                    .unwrap_or("compile error")
                    .to_owned();
                *result = Err(first_error);
            }
        }
    }
    if !status.success() && entries.iter().all(Entry::passed) {
        bail!("cargo failed on the corpus workspace:\n{stderr}");
    }
    Ok(())
}

/// Runs cargo, printing a line as each crate whose name starts with `prefix` starts to
/// compile (`[k/total]`; `verb` is cargo's word for it: `Checking` in a check, where a
/// crate's build script shows as `Compiling` too, else `Compiling`), so that minutes of building are not minutes of silence; returns
/// the exit status and everything cargo wrote to stderr.
fn run_with_progress(
    mut command: Command,
    prefix: &str,
    total: usize,
    verb: &str,
) -> Result<(std::process::ExitStatus, String)> {
    use std::io::BufRead;
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().context("cargo's stderr is not piped")?;
    let mut all = String::new();
    let mut started = 0usize;
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line?;
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(verb)
            && let Some(rest) = rest.strip_prefix(' ')
            && rest.starts_with(prefix)
        {
            started += 1;
            let name = rest.split_whitespace().next().unwrap_or(rest);
            let of = if total > 0 {
                format!("/{total}")
            } else {
                String::new()
            };
            println!("corpus: [{started}{of}] {} {name}", verb.to_lowercase());
        }
        all.push_str(&line);
        all.push('\n');
    }
    Ok((child.wait()?, all))
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "100%".to_owned();
    }
    let share = part as f64 * 100.0 / whole as f64;
    // Never round a loss up to a clean 100%.
    if part < whole && share > 99.9 {
        return "99.9%".to_owned();
    }
    format!("{share:.1}%")
}

fn print_table(specs: &[PathBuf], entries: &[Entry]) {
    let width = specs
        .iter()
        .filter_map(|spec| spec.file_name().map(|name| name.to_string_lossy().len()))
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<width$}  {:>10}  {:>7}  {:>8}  {:>5}  {:>7}  {:>13}  {:>13}  client  server",
        "spec",
        "operations",
        "methods",
        "handlers",
        "notes",
        "untyped",
        "typed schemas",
        "typed streams"
    );
    let verdict = |result: &Result<(), String>| match result {
        Ok(()) => "ok".to_owned(),
        Err(_) => "FAILED".to_owned(),
    };
    for entry in entries {
        let name = Path::new(&entry.spec)
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{name:<width$}  {:>10}  {:>7}  {:>8}  {:>5}  {:>7}  {:>13}  {:>13}  {:<6}  {}",
            entry.operations,
            entry.methods,
            entry.handlers,
            entry.warnings,
            entry.untyped,
            format!(
                "{}/{} {}",
                entry.fidelity.typed,
                entry.fidelity.total,
                percent(entry.fidelity.typed, entry.fidelity.total)
            ),
            format!("{}/{}", entry.typed_streams, entry.streams),
            verdict(&entry.client),
            verdict(&entry.server)
        );
        for (side, result) in [("client", &entry.client), ("server", &entry.server)] {
            if let Err(err) = result {
                println!("    {side}: {err}");
            }
        }
    }
}
