//! Generates the Nx1 client from the vendored `openapi.yaml` into `OUT_DIR/client.rs`.

fn main() -> std::process::ExitCode {
    let config = nx1_codegen::ClientConfig {
        inner_type: Some("crate::Settings".to_owned()),
        hooks_expected: true,
        runtime: Some("crate::call".to_owned()),
    };
    nx1_codegen::build_script::run("openapi.yaml", "client.rs", |prepared| {
        let client = nx1_codegen::generate_client(prepared, &config)?;
        // The pipeline's lossy steps are reported here, once for the workspace.
        let notes = prepared.notes.iter().cloned().chain(client.notes).collect();
        Ok((client.code, notes))
    })
}
