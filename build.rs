//! Generates the Nx1 client from the vendored `openapi.yaml` into `OUT_DIR/client.rs`, and
//! tells crates that build on the client (the `nx1` CLI) where that file is, through
//! `links` metadata, so that they read it instead of generating it again.

fn main() -> std::process::ExitCode {
    let config = nx1_codegen::ClientConfig {
        inner_type: Some("crate::Settings".to_owned()),
        hooks_expected: true,
        runtime: Some("crate::call".to_owned()),
    };
    let code = nx1_codegen::build_script::run("openapi.yaml", "client.rs", |prepared| {
        let client = nx1_codegen::generate_client(prepared, &config)?;
        // The pipeline's lossy steps are reported here, once for the workspace.
        let notes = prepared.notes.iter().cloned().chain(client.notes).collect();
        Ok((client.code, notes))
    });
    if let Some(out_dir) = std::env::var_os("OUT_DIR") {
        let client = std::path::Path::new(&out_dir).join("client.rs");
        println!("cargo:client={}", client.display());
    }
    code
}
