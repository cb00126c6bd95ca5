//! `cargo xtask contract`: starts the mock, runs schemathesis against it with every phase
//! and check, positive and negative data, a fixed seed, and stops the mock.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::workspace_root;

/// The version `.ci/run` installs; runs with any other are not comparable.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// Kills the mock however `run` ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Examples schemathesis generates per operation and phase.
    #[arg(long, value_name = "N", default_value_t = 50)]
    max_examples: u32,
    /// The seed of schemathesis's generator, for a run that can be replayed.
    #[arg(long, value_name = "N", default_value_t = 42)]
    seed: u64,
}

pub fn run(args: Args) -> Result<()> {
    let max_examples = args.max_examples.to_string();
    let seed = args.seed.to_string();
    let schemathesis = which_schemathesis()?;
    let root = workspace_root();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "--package",
            "nx1-mock",
            "--bin",
            "nx1-mock",
        ])
        .current_dir(&root)
        .status()
        .context("cannot run cargo to build the mock")?;
    if !status.success() {
        bail!("building nx1-mock failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let psk = format!("contract-{}", std::process::id());
    let mut child = Command::new(target.join("debug/nx1-mock"))
        .args(["--listen", "127.0.0.1:0", "--psk", &psk])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start target/debug/nx1-mock")?;
    let stdout = child.stdout.take().context("the mock's stdout")?;
    // The router logs one `answered` event per request on stderr: counting them says how
    // many requests schemathesis really sent.
    let stderr = child.stderr.take().context("the mock's stderr")?;
    let counter = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .filter(|line| line.contains("answered"))
            .count()
    });
    let mock = Running(child);
    let mut base = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if let Some(rest) = line.split("serving on ").nth(1) {
            base = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    let base = base.context("the mock exited before it served")?;
    println!("contract: mock at {base}");

    let config = root.join("crates/nx1-mock/schemathesis.toml");
    let header = format!("Authorization-PSK: {psk}");
    let spec_url = format!("{base}/openapi.json");
    let mut command = Command::new(&schemathesis.0);
    command.args(&schemathesis.1).args([
        "--no-color",
        "--config-file",
        &config.display().to_string(),
        "run",
        &spec_url,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--mode",
        "all",
        "--header",
        &header,
        "--seed",
        &seed,
        "--max-examples",
        &max_examples,
        "--generation-database",
        "none",
        "--workers",
        "2",
    ]);
    println!(
        "contract: schemathesis --config-file crates/nx1-mock/schemathesis.toml run {spec_url} --phases examples,coverage,fuzzing,stateful --mode all --header 'Authorization-PSK: ***' --seed {seed} --max-examples {max_examples}"
    );
    // schemathesis keeps a cache (`.schemathesis/`) in its working directory: inside
    // target/, never in the tree git tracks.
    let scratch = root.join("target/contract");
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    command.current_dir(&scratch);
    let status = command.status().context("cannot run schemathesis")?;
    drop(mock);
    if let Ok(requests) = counter.join() {
        println!("contract: the mock answered {requests} requests");
    }
    if !status.success() {
        bail!("schemathesis found failures (exit status {status})");
    }
    Ok(())
}

/// `st` from PATH, or `python3 -m schemathesis`; an error that says how to install it.
fn which_schemathesis() -> Result<(String, Vec<String>)> {
    let candidates: [(&str, &[&str]); 2] = [("st", &[]), ("python3", &["-m", "schemathesis.cli"])];
    for (program, prefix) in candidates {
        let output = Command::new(program).args(prefix).arg("--version").output();
        if let Ok(output) = output
            && output.status.success()
        {
            let version = String::from_utf8_lossy(&output.stdout);
            if !version.contains(SCHEMATHESIS_VERSION) {
                eprintln!(
                    "contract: warning: schemathesis {} found, {SCHEMATHESIS_VERSION} expected",
                    version.trim()
                );
            }
            return Ok((
                program.to_owned(),
                prefix.iter().map(|s| (*s).to_owned()).collect(),
            ));
        }
    }
    bail!("schemathesis is not installed; run `pip install schemathesis=={SCHEMATHESIS_VERSION}`")
}
