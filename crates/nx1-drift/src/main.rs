//! `nx1-drift`: the drift check as an installable binary (`cargo install --path
//! crates/nx1-drift`), with the flags and exit codes of `cargo xtask drift`.

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nx1_drift::cli::{self, Check, UpdateSpec};

#[derive(Debug, Parser)]
#[command(
    name = "nx1-drift",
    version,
    about = "Check an OpenAPI spec against the live Mintlify docs that publish it",
    after_help = "Exit codes: 0 in sync, 1 could not run, 2 drift, 3 breaking drift."
)]
struct Args {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Compare the spec (default ./openapi.yaml) with the docs.
    Check(Check),
    /// Write the docs' merged spec to the spec file.
    UpdateSpec(UpdateSpec),
}

fn main() -> ExitCode {
    let args = Args::parse();
    let spec = Path::new("openapi.yaml");
    ExitCode::from(match &args.task {
        Task::Check(check) => cli::check(check, spec, Path::new(".")),
        Task::UpdateSpec(update) => cli::update_spec(update, spec),
    })
}
