//! Project automation: `cargo xtask <task>`.

mod contract;
mod corpus;
mod drift;
mod instances;
mod msrv;
mod roundtrip;

use std::path::PathBuf;

const HELP: &str = "\
usage: cargo xtask <task> [options]

tasks:
  drift [--docs URL|DIR|FILE] [--spec PATH] [--against URL|FILE] [--format text|markdown|json|github]
        [--ignore FILE] [--perspective client|server] [--strict-docs]
        [--timeout SECS] [--retries N]
                                      compare the spec (default openapi.yaml) with the live
                                      docs (default https://docs.nx1cloud.com/llms.txt);
                                      exit 0 in sync, 1 error, 2 drift, 3 breaking drift
  update-spec [--docs URL|DIR|FILE] [--spec PATH]
                                      write the docs' merged spec to the spec file
                                      (canonical, atomic, only if every page was read)
  contract [--max-examples N] [--seed N]
                                      start the mock and run schemathesis against it: all
                                      phases, all checks, positive and negative data
  msrv                                the declared rust-version against the highest one of
                                      every locked (normal or build) dependency
  corpus [--specs DIR]... [--build] [--roundtrip]
                                      generate a client and a server for every spec in DIR
                                      (default ../shared/specs) and type-check them (`cargo
                                      check`); --build runs the full `cargo build`;
                                      --roundtrip also round-trips generated instances of
                                      every body schema through the Rust types and validates
                                      them against the original schema; fails if any spec
                                      or instance fails
";

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let outcome = match args.next().as_deref() {
        Some("corpus") => corpus::run(args.collect()).map(|()| 0),
        Some("contract") => contract::run(args.collect()).map(|()| 0),
        Some("drift") => drift::drift(args.collect()),
        Some("update-spec") => drift::update_spec(args.collect()),
        Some("msrv") => msrv::run(args.collect()).map(|()| 0),
        Some("help" | "--help" | "-h") | None => {
            print!("{HELP}");
            Ok(0)
        }
        Some(other) => Err(anyhow::anyhow!(
            "unknown task `{other}`; run `cargo xtask help` for the list"
        )),
    };
    match outcome {
        Ok(code) => std::process::ExitCode::from(code as u8),
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::from(1)
        }
    }
}

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
