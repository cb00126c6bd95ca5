//! The pipeline and the drift diff, each against parsing its input alone (the floor any
//! tool has to pay) in the same run. `cargo bench -p nx1-bench --bench pipeline`
//!
//! Reads `openapi.yaml`, the largest specs of `../shared/specs` and the airflow drift pair;
//! it says which are missing rather than skipping them silently.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nx1_bench::compare;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(path: &Path) -> nx1_codegen::Document {
    nx1_codegen::load_file(path).unwrap_or_else(|err| panic!("{err}"))
}

/// The median wall time of `runs` runs of openapi-generator's `rust-axum` generator on
/// `spec` (a JVM process each, as it is used), or why it could not run.
fn openapi_generator(jar: &Path, spec: &Path, runs: usize) -> Result<Duration, String> {
    let out = std::env::temp_dir().join(format!(
        "nx1-bench-openapi-generator-{}",
        std::process::id()
    ));
    let mut times = Vec::new();
    for _ in 0..runs {
        let _ = std::fs::remove_dir_all(&out);
        let started = Instant::now();
        let output = std::process::Command::new("java")
            .arg("-jar")
            .arg(jar)
            .args(["generate", "-g", "rust-axum", "--skip-validate-spec", "-i"])
            .arg(spec)
            .arg("-o")
            .arg(&out)
            .output()
            .map_err(|err| format!("cannot run java: {err}"))?;
        times.push(started.elapsed());
        if !output.status.success() {
            let text = String::from_utf8_lossy(&output.stdout);
            let last = text
                .lines()
                .rfind(|line| !line.trim().is_empty())
                .unwrap_or("");
            let _ = std::fs::remove_dir_all(&out);
            return Err(format!(
                "failed ({}): {}",
                output.status,
                last.replace('|', "/")
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    times.sort();
    Ok(times[times.len() / 2])
}

fn main() {
    let shared = root().join("../shared/specs");
    let specs = [
        root().join("openapi.yaml"),
        shared.join("openai-openapi.yaml"),
        shared.join("fastapi-airflow.yaml"),
    ];
    // `bench/run.sh` installs openapi-generator (its jar ships in the PyPI package) and
    // names the jar here; without it that column says so.
    let jar = std::env::var_os("NX1_OPENAPI_GENERATOR_JAR").map(PathBuf::from);
    println!(
        "| spec | load + normalise + client + server | load alone | ratio | openapi-generator rust-axum | nx1 ÷ openapi-generator |\n|---|---|---|---|---|---|"
    );
    for spec in &specs {
        if !spec.is_file() {
            println!("| {} | missing | | |", spec.display());
            continue;
        }
        let text_len = std::fs::metadata(spec).map(|meta| meta.len()).unwrap_or(0);
        let rounds = if text_len > 1_000_000 { 3 } else { 5 };
        let comparison = compare(
            &spec.file_name().unwrap_or_default().to_string_lossy(),
            rounds,
            1,
            || {
                let prepared = nx1_codegen::prepare(load(spec)).expect("prepares");
                let client = nx1_codegen::generate_client(&prepared, &Default::default());
                let server = nx1_codegen::generate_server(&prepared, &Default::default());
                assert!(client.is_ok() && server.is_ok());
            },
            || {
                let _ = load(spec);
            },
        );
        let peer = match &jar {
            Some(jar) => openapi_generator(jar, spec, if text_len > 1_000_000 { 1 } else { 3 }),
            None => Err("not run: set NX1_OPENAPI_GENERATOR_JAR (bench/run.sh does)".into()),
        };
        let (peer_cell, ratio_cell) = match peer {
            Ok(time) => (
                format!("{:.0} ms", time.as_secs_f64() * 1e3),
                format!(
                    "{:.3}×",
                    comparison.candidate.as_secs_f64() / time.as_secs_f64()
                ),
            ),
            Err(why) => (why, String::new()),
        };
        println!(
            "{} {peer_cell} | {ratio_cell} |",
            comparison.cost_row(0, "")
        );
    }

    let old = shared.join("drift-pairs/airflow-241405e.yaml");
    let new = shared.join("drift-pairs/airflow-d71f13a.yaml");
    if !(old.is_file() && new.is_file()) {
        println!(
            "\nthe airflow drift pair is missing from {}",
            shared.display()
        );
        return;
    }
    let (old_value, new_value) = (load(&old).value, load(&new).value);
    let pages = Default::default();
    let comparison = compare(
        "airflow pair",
        9,
        3,
        || {
            let changes =
                nx1_drift::diff(&old_value, &new_value, &pages, Default::default()).expect("diffs");
            assert!(!changes.is_empty());
        },
        || {
            let _ = (load(&old), load(&new));
        },
    );
    println!("\n| drift | diff alone | loading both specs | ratio |\n|---|---|---|---|");
    println!("{}", comparison.cost_row(1, ""));

    // The largest spec against a copy of itself with one change per family.
    let largest = shared.join("openai-openapi.yaml");
    if !largest.is_file() {
        println!("| openai, mutated | missing | | |");
        return;
    }
    let original = load(&largest).value;
    let mutated = mutate(original.clone());
    let comparison = compare(
        "openai against a mutated copy",
        5,
        1,
        || {
            let changes =
                nx1_drift::diff(&original, &mutated, &pages, Default::default()).expect("diffs");
            assert!(changes.len() >= 3, "{}", changes.len());
        },
        || {
            let _ = load(&largest);
        },
    );
    println!("{}", comparison.cost_row(1, " (loading once)"));

    // Self-diffs of the largest specs: nothing to report, so the cost is that of proving
    // it, which must stay a small multiple of loading the spec.
    for name in [
        "openai-openapi.yaml",
        "more/fastapi-polar.json",
        "more/iceberg-rest-catalog.yaml",
    ] {
        let path = shared.join(name);
        if !path.is_file() {
            println!("| {name} against itself | missing | | |");
            continue;
        }
        let spec = load(&path).value;
        let comparison = compare(
            &format!("{name} against itself"),
            5,
            1,
            || {
                let changes =
                    nx1_drift::diff(&spec, &spec, &pages, Default::default()).expect("diffs");
                assert!(changes.is_empty(), "{name}: {} changes", changes.len());
            },
            || {
                let _ = load(&path);
            },
        );
        println!("{}", comparison.cost_row(1, " (loading once)"));
    }
}

/// One operation gone, one new, and every enum of the components one value longer.
fn mutate(mut spec: serde_json::Value) -> serde_json::Value {
    if let Some(paths) = spec
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    {
        if let Some(first) = paths.keys().next().cloned() {
            paths.remove(&first);
        }
        paths.insert(
            "/bench/new".into(),
            serde_json::json!({"get": {"operationId": "bench_new", "responses": {"200": {"description": "ok"}}}}),
        );
    }
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            if let Some(values) = schema
                .get_mut("enum")
                .and_then(serde_json::Value::as_array_mut)
            {
                values.push(serde_json::json!("bench-added"));
            }
        }
    }
    spec
}
