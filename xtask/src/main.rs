//! Project automation: `cargo xtask <task>`.

mod contract;
mod corpus;

use std::path::PathBuf;

use anyhow::{Result, bail};

const HELP: &str = "\
usage: cargo xtask <task> [options]

tasks:
  contract [--max-examples N] [--seed N]
                                      start the mock and run schemathesis against it: all
                                      phases, all checks, positive and negative data
  corpus [--specs DIR]... [--build]   generate a client for every spec in DIR (default
                                      ../shared/specs) and type-check it (`cargo check`);
                                      --build runs the full `cargo build`; fails if any
                                      spec fails
";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("corpus") => corpus::run(args.collect()),
        Some("contract") => contract::run(args.collect()),
        Some("help" | "--help" | "-h") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => bail!("unknown task `{other}`; run `cargo xtask help` for the list"),
    }
}

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
