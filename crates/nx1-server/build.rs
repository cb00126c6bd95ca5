//! Generates the Nx1 server stubs from the root `openapi.yaml` into `OUT_DIR/server.rs`.

fn main() -> std::process::ExitCode {
    let config = nx1_codegen::ServerConfig {
        trait_name: "Nx1Api".to_owned(),
        builders: true,
        ..nx1_codegen::ServerConfig::default()
    };
    nx1_codegen::build_script::run("../../openapi.yaml", "server.rs", |prepared| {
        let server = nx1_codegen::generate_server(prepared, &config)?;
        Ok((server.code, server.notes))
    })
}
