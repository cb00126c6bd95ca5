//! The shared body of the build scripts that generate code from a spec.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::error::SpecError;
use crate::generate::{Prepared, prepare};
use crate::load::load_file;
use crate::spec::Note;

/// Loads and prepares `spec`, runs `generate`, writes the code to `$OUT_DIR/<output>` and its
/// notes to `$OUT_DIR/<output>.notes`. A failure is printed with its location and turns into
/// a failed build, never a panic.
///
/// Notes are said in one `cargo:warning` line, and only when building the workspace the spec
/// belongs to: a crate that depends on the generated one cannot act on them. `NX1_NOTES=all`
/// prints every note as a warning, wherever the build; `NX1_NOTES=off` prints none.
pub fn run(
    spec: &str,
    output: &str,
    generate: impl FnOnce(&Prepared) -> Result<(String, Vec<Note>), SpecError>,
) -> ExitCode {
    println!("cargo:rerun-if-changed={spec}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=NX1_NOTES");
    let outcome = (|| -> Result<(), String> {
        let prepared = load_file(Path::new(spec))
            .and_then(prepare)
            .map_err(|err| err.to_string())?;
        let (code, notes) = generate(&prepared).map_err(|err| err.to_string())?;
        let out_dir = std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set; run through cargo")?;
        let out_dir = PathBuf::from(out_dir);
        let target = out_dir.join(output);
        std::fs::write(&target, code)
            .map_err(|err| format!("cannot write {}: {err}", target.display()))?;
        let listed = out_dir.join(format!("{output}.notes"));
        let lines: Vec<String> = notes
            .iter()
            .map(|note| format!("{}: {}", prepared.locate(note), note.message))
            .collect();
        std::fs::write(&listed, lines.join("\n"))
            .map_err(|err| format!("cannot write {}: {err}", listed.display()))?;
        match std::env::var("NX1_NOTES").as_deref() {
            Ok("all") => lines
                .iter()
                .for_each(|line| println!("cargo:warning={line}")),
            Ok("off") => {}
            _ if !lines.is_empty() && own_workspace(spec, &out_dir) => {
                let untyped = notes.iter().filter(|note| note.is_untyped()).count();
                println!(
                    "cargo:warning={spec}: {} notes on lossy steps ({untyped} left a schema untyped); \
                     NX1_NOTES=all to print them, or read {}",
                    lines.len(),
                    listed.display()
                );
            }
            _ => {}
        }
        Ok(())
    })();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Whether this build's output lies inside the directory of the spec, i.e. the build is
/// of the workspace that vendors the spec rather than of a crate depending on it.
fn own_workspace(spec: &str, out_dir: &Path) -> bool {
    let root = match Path::new(spec).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    match (root.canonicalize(), out_dir.canonicalize()) {
        (Ok(root), Ok(out_dir)) => out_dir.starts_with(root),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_for_the_workspace_that_vendors_the_spec() {
        let base = std::env::temp_dir().join(format!("nx1-notes-{}", std::process::id()));
        let own = base.join("ws/target/debug/build/x/out");
        let other = base.join("consumer/target/debug/build/x/out");
        for dir in [&own, &other] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let spec = base.join("ws/openapi.yaml");
        std::fs::write(&spec, "openapi: 3.1.0").unwrap();
        let spec = spec.display().to_string();
        assert!(own_workspace(&spec, &own));
        assert!(!own_workspace(&spec, &other));
        std::fs::remove_dir_all(&base).unwrap();
    }
}
