//! `nx1-mock`: the Nx1 AI API in memory, on 127.0.0.1:8000 by default.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use nx1_mock::{Access, JobStore, Mock};

#[derive(Debug, Parser)]
#[command(
    name = "nx1-mock",
    version,
    about = "The Nx1 AI API in memory: stateful AutoML jobs, schema-valid examples for the rest",
    after_help = "With neither a PSK nor a token the mock makes up a PSK and prints it."
)]
struct Args {
    /// Address to serve on; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
    /// Accept this pre-shared key (Authorization-PSK); repeatable; also NX1_PSK.
    #[arg(long, value_name = "PSK")]
    psk: Vec<String>,
    /// Accept this bearer token; repeatable; also NX1_TOKEN.
    #[arg(long, value_name = "TOKEN")]
    token: Vec<String>,
    /// AutoML jobs to start with: a JSON list, each with at least job_id and status
    /// [default: three demo jobs, ready, running and complete].
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    use std::io::IsTerminal;
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let mut access = Access {
        psks: args.psk,
        tokens: args.token,
    };
    if let Ok(psk) = std::env::var("NX1_PSK") {
        access.psks.push(psk);
    }
    if let Ok(token) = std::env::var("NX1_TOKEN") {
        access.tokens.push(token);
    }
    if access.psks.is_empty() && access.tokens.is_empty() {
        let psk = format!("mock-{}", uuid::Uuid::new_v4().simple());
        println!("nx1-mock: no --psk or --token given; accepting the PSK {psk}");
        access.psks.push(psk);
    }
    let jobs = match &args.seed {
        Some(path) => JobStore::from_seed_file(path)?,
        None => JobStore::demo(),
    };
    let listen = args.listen;
    let mock = Mock::new(access, jobs);
    mock.serve(listen, |address| {
        println!("nx1-mock: serving on http://{address} (spec at /openapi.json)");
    })
    .await
    .with_context(|| format!("cannot serve on {listen}; is the port taken?"))
}
