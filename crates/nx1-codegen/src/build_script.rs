//! The shared body of the build scripts that generate code from a spec.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::error::SpecError;
use crate::generate::{Prepared, prepare};
use crate::load::load_file;
use crate::spec::Note;

/// Loads and prepares `spec`, runs `generate`, prints its notes as `cargo:warning` lines and
/// writes the code to `$OUT_DIR/<output>`. A failure is printed with its location and turns
/// into a failed build, never a panic.
pub fn run(
    spec: &str,
    output: &str,
    generate: impl FnOnce(&Prepared) -> Result<(String, Vec<Note>), SpecError>,
) -> ExitCode {
    println!("cargo:rerun-if-changed={spec}");
    println!("cargo:rerun-if-changed=build.rs");
    let outcome = (|| -> Result<(), String> {
        let prepared = load_file(Path::new(spec))
            .and_then(prepare)
            .map_err(|err| err.to_string())?;
        let (code, notes) = generate(&prepared).map_err(|err| err.to_string())?;
        for note in notes {
            println!("cargo:warning={spec}#{}: {}", note.pointer, note.message);
        }
        let out_dir = std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set; run through cargo")?;
        let target = PathBuf::from(out_dir).join(output);
        std::fs::write(&target, code)
            .map_err(|err| format!("cannot write {}: {err}", target.display()))
    })();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
