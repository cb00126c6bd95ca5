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
    /// Verify a deployment instead of the mock: its base URL. Only GET and HEAD reach it
    /// unless --allow-write; credentials come from NX1_PSK and NX1_TOKEN.
    #[arg(long, value_name = "URL")]
    pub(crate) against: Option<String>,
    /// Also send POST, PUT, PATCH and DELETE to the deployment (never to production).
    #[arg(long, requires = "against")]
    pub(crate) allow_write: bool,
    /// The spec the deployment is held to [default: openapi.yaml of the workspace].
    #[arg(long, value_name = "FILE", requires = "against")]
    pub(crate) spec: Option<std::path::PathBuf>,
    /// Requests per time unit, as schemathesis takes it: `10/s`, `100/m`.
    #[arg(long, value_name = "RATE")]
    pub(crate) rate_limit: Option<String>,
    /// Write a JUnit XML report here, for CI annotations.
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<std::path::PathBuf>,
    /// Examples schemathesis generates per operation and phase.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub(crate) max_examples: u32,
    /// The seed of schemathesis's generator, for a run that can be replayed.
    #[arg(long, value_name = "N", default_value_t = 42)]
    pub(crate) seed: u64,
    /// Run this nx1-mock binary instead of building one (CI passes the one its test build
    /// made, so that nothing is built twice).
    #[arg(long, value_name = "FILE", conflicts_with = "against")]
    pub(crate) mock_bin: Option<std::path::PathBuf>,
}

/// Exit codes: the verdict, or that there is none.
pub mod exit {
    pub const PASSED: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const COULD_NOT_RUN: u8 = 2;
}

/// Runs the suite against the mock, or against `--against`; `Ok` holds the verdict's exit
/// code, `Err` means the suite could not run.
pub fn run(args: Args) -> Result<u8> {
    match args.against.clone() {
        Some(url) => crate::provider::verify(&args, &url),
        None => against_the_mock(&args),
    }
}

impl Args {
    /// The schemathesis flags every run shares.
    pub(crate) fn common_flags(&self) -> Vec<String> {
        let mut flags: Vec<String> = [
            "--seed",
            &self.seed.to_string(),
            "--max-examples",
            &self.max_examples.to_string(),
            "--generation-database",
            "none",
        ]
        .iter()
        .map(|flag| (*flag).to_owned())
        .collect();
        if let Some(rate) = &self.rate_limit {
            flags.extend(["--rate-limit".to_owned(), rate.clone()]);
        }
        if let Some(junit) = &self.junit {
            let path = std::path::absolute(junit).unwrap_or_else(|_| junit.clone());
            flags.extend([
                "--report".to_owned(),
                "junit".to_owned(),
                "--report-junit-path".to_owned(),
                path.display().to_string(),
            ]);
        }
        flags
    }

    pub(crate) fn spec(&self) -> std::path::PathBuf {
        self.spec
            .clone()
            .unwrap_or_else(|| workspace_root().join("openapi.yaml"))
    }
}

/// schemathesis's exit status as ours: 1 is findings, anything else but 0 is a failed run.
pub(crate) fn verdict(status: std::process::ExitStatus) -> Result<u8> {
    match status.code() {
        Some(0) => Ok(exit::PASSED),
        Some(1) => Ok(exit::FINDINGS),
        _ => bail!("schemathesis did not complete (exit status {status})"),
    }
}

/// schemathesis keeps a cache (`.schemathesis/`) in its working directory: inside target/,
/// never in the tree git tracks.
pub(crate) fn scratch() -> Result<std::path::PathBuf> {
    let scratch = workspace_root().join("target/contract");
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    Ok(scratch)
}

fn against_the_mock(args: &Args) -> Result<u8> {
    let max_examples = args.max_examples.to_string();
    let seed = args.seed.to_string();
    let schemathesis = which_schemathesis()?;
    let root = workspace_root();

    let mock = match &args.mock_bin {
        Some(path) => path.clone(),
        None => {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(&cargo)
                // `--workspace`, not `--package nx1-mock`: the workspace's features, so that
                // a mock an earlier workspace build made is reused.
                .args(["build", "--quiet", "--workspace", "--bin", "nx1-mock"])
                .current_dir(&root)
                .status()
                .context("cannot run cargo to build the mock")?;
            if !status.success() {
                bail!("building nx1-mock failed");
            }
            std::env::var_os("CARGO_TARGET_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| root.join("target"))
                .join("debug/nx1-mock")
        }
    };
    let psk = format!("contract-{}", std::process::id());
    let mut child = Command::new(&mock)
        .args(["--listen", "127.0.0.1:0", "--psk", &psk])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", mock.display()))?;
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
        "--workers",
        "2",
    ]);
    command.args(args.common_flags());
    println!(
        "contract: schemathesis --config-file crates/nx1-mock/schemathesis.toml run {spec_url} --phases examples,coverage,fuzzing,stateful --mode all --header 'Authorization-PSK: ***' --seed {seed} --max-examples {max_examples}"
    );
    command.current_dir(scratch()?);
    let status = command.status().context("cannot run schemathesis")?;
    drop(mock);
    if let Ok(requests) = counter.join() {
        println!("contract: the mock answered {requests} requests");
    }
    let code = verdict(status)?;
    if code == exit::FINDINGS {
        eprintln!("contract: schemathesis found failures");
    }
    Ok(code)
}

/// `st` from PATH, or `python3 -m schemathesis`; an error that says how to install it.
pub(crate) fn which_schemathesis() -> Result<(String, Vec<String>)> {
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
