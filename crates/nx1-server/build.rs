//! Generates the Nx1 server stubs from the root `openapi.yaml` into `OUT_DIR/server.rs`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const SPEC: &str = "../../openapi.yaml";

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    match generate() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn generate() -> Result<(), String> {
    let doc = nx1_codegen::load_file(Path::new(SPEC)).map_err(|err| err.to_string())?;
    let prepared = nx1_codegen::prepare(doc).map_err(|err| err.to_string())?;
    let config = nx1_codegen::ServerConfig {
        trait_name: "Nx1Api".to_owned(),
        runtime: "::nx1_server_runtime".to_owned(),
        rest_params: vec!["path".to_owned()],
    };
    let server = nx1_codegen::generate_server(&prepared, &config).map_err(|err| err.to_string())?;
    for note in &server.notes {
        println!("cargo:warning={SPEC}#{}: {}", note.pointer, note.message);
    }
    let out_dir = std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set; run through cargo")?;
    let target = PathBuf::from(out_dir).join("server.rs");
    std::fs::write(&target, server.code)
        .map_err(|err| format!("cannot write {}: {err}", target.display()))
}
