//! The `nx1-mock` binary stops cleanly on SIGTERM: it answers until then and exits 0.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

#[tokio::test]
async fn sigterm_stops_the_mock_with_exit_code_0() -> Result<()> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nx1-mock"))
        .args(["--listen", "127.0.0.1:0", "--psk", "k"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("nx1-mock starts")?;
    let stdout = child.stdout.take().context("stdout is piped")?;
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines.next().context("nx1-mock printed its address")??;
        if let Some(rest) = line.strip_prefix("nx1-mock: serving on ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    let response = nx1_client::http_client_builder()?
        .build()?
        .get(format!("{base}/openapi.json"))
        .send()
        .await?;
    assert_eq!(response.status(), reqwest::StatusCode::OK);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    assert!(status.success(), "kill -TERM failed");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            assert!(status.success(), "nx1-mock exited with {status}");
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(10) {
            child.kill()?;
            bail!("nx1-mock still running 10 s after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
