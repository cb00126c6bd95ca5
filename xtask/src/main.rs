//! Project automation: `cargo xtask <task>`; `cargo xtask help <task>` for each task's flags.

mod contract;
mod corpus;
mod generate;
mod instances;
mod msrv;
mod provider;
mod roundtrip;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Automation of the nx1 workspace"
)]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Compare the spec (default openapi.yaml) with the live docs; exit 0 in sync, 1 error,
    /// 2 drift, 3 breaking drift.
    Drift(nx1_drift::cli::Check),
    /// Write the docs' merged spec to the spec file (canonical, atomic, only if every page
    /// was read).
    UpdateSpec(nx1_drift::cli::UpdateSpec),
    /// Run schemathesis against the mock (all phases, all checks, positive and negative
    /// data), or against a deployment with --against (read-only unless --allow-write); exit
    /// 0 passed, 1 findings, 2 could not run.
    Contract(contract::Args),
    /// Generate a client and a server for every spec of the corpus and compile them.
    Corpus(corpus::Args),
    /// Write a standalone client crate for a spec: no code generation at build time.
    Generate(generate::Args),
    /// Check the declared rust-version against every locked dependency's.
    Msrv,
}

fn main() -> ExitCode {
    let xtask = Xtask::parse();
    let spec = workspace_root().join("openapi.yaml");
    let outcome = match xtask.task {
        Task::Drift(check) => {
            return ExitCode::from(nx1_drift::cli::check(&check, &spec, &workspace_root()));
        }
        Task::UpdateSpec(update) => {
            return ExitCode::from(nx1_drift::cli::update_spec(&update, &spec));
        }
        Task::Contract(args) => {
            return match contract::run(args) {
                Ok(code) => ExitCode::from(code),
                Err(err) => {
                    eprintln!("error: {err:#}");
                    ExitCode::from(contract::exit::COULD_NOT_RUN)
                }
            };
        }
        Task::Corpus(args) => corpus::run(args),
        Task::Generate(args) => generate::run(args),
        Task::Msrv => msrv::run(),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
