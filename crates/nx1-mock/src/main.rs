//! `nx1-mock`: the Nx1 AI API in memory, on 127.0.0.1:8000 by default.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use nx1_mock::{Access, JobStore, Mock};

const HELP: &str = "\
usage: nx1-mock [--listen ADDR] [--psk PSK]... [--token TOKEN]... [--seed FILE]

  --listen ADDR   address to serve on (default 127.0.0.1:8000; port 0 picks a free one)
  --psk PSK       accept this pre-shared key (Authorization-PSK); also NX1_PSK
  --token TOKEN   accept this bearer token; also NX1_TOKEN
  --seed FILE     AutoML jobs to start with: a JSON list, each with at least job_id and
                  status (default: three demo jobs, ready, running and complete)

With neither a PSK nor a token the mock makes up a PSK and prints it.
";

#[tokio::main]
async fn main() -> Result<()> {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let mut listen: SocketAddr = "127.0.0.1:8000".parse()?;
    let mut access = Access::default();
    let mut seed: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().with_context(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--listen" => {
                let text = value("--listen")?;
                listen = text.parse().with_context(|| {
                    format!("--listen `{text}` is not an address like 127.0.0.1:8000")
                })?;
            }
            "--psk" => access.psks.push(value("--psk")?),
            "--token" => access.tokens.push(value("--token")?),
            "--seed" => seed = Some(PathBuf::from(value("--seed")?)),
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            other => bail!("unknown option `{other}`; see nx1-mock --help"),
        }
    }
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
    let jobs = match seed {
        Some(path) => JobStore::from_seed_file(&path)?,
        None => JobStore::demo(),
    };
    let mock = Mock::new(access, jobs);
    mock.serve(listen, |address| {
        println!("nx1-mock: serving on http://{address} (spec at /openapi.json)");
    })
    .await
    .with_context(|| format!("cannot serve on {listen}; is the port taken?"))
}
