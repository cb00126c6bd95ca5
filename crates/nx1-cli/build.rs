//! Generates the `nx1` subcommands from the root `openapi.yaml` into `OUT_DIR/cli.rs`, over
//! the client exactly as the root crate generates it.

fn main() -> std::process::ExitCode {
    // The root crate's configuration: the CLI reads the method signatures it produces.
    let config = nx1_codegen::ClientConfig {
        inner_type: Some("crate::Settings".to_owned()),
        hooks_expected: true,
        runtime: Some("crate::call".to_owned()),
    };
    nx1_codegen::build_script::run("../../openapi.yaml", "cli.rs", |prepared| {
        let code = nx1_codegen::generate_cli(prepared, &config, "nx1_client")?;
        // The client's build reports the spec's notes; saying them twice helps nobody.
        Ok((code, Vec::new()))
    })
}
