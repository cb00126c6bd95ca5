//! Generates the `nx1` subcommands into `OUT_DIR/cli.rs` from the client source the root
//! crate generated (its build script names the file through `links` metadata): the CLI
//! calls exactly the methods that client has, and the pipeline runs once.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(client) = std::env::var_os("DEP_NX1_CLIENT_CLIENT") else {
        eprintln!("error: nx1-client's build script did not name its generated client");
        return ExitCode::FAILURE;
    };
    let client = std::path::PathBuf::from(client);
    println!("cargo:rerun-if-changed={}", client.display());
    println!("cargo:rerun-if-changed=build.rs");
    let outcome = std::fs::read_to_string(&client)
        .map_err(|err| format!("cannot read {}: {err}", client.display()))
        .and_then(|code| {
            nx1_codegen::generate_cli("openapi.yaml", &code, "nx1_client")
                .map_err(|err| err.to_string())
        })
        .and_then(|cli| {
            let out_dir =
                std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set; run through cargo")?;
            let target = std::path::Path::new(&out_dir).join("cli.rs");
            std::fs::write(&target, cli)
                .map_err(|err| format!("cannot write {}: {err}", target.display()))
        });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
