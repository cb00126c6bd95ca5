//! The quickstart against a standalone mock, as a user would run it against a deployment:
//! read-only without `--apply`, re-runnable with it, and clear when something is missing.

use std::process::{Command, Output};

use anyhow::{Context, Result};

const PSK: &str = "quickstart-test-psk";
const READY_JOB: &str = "00000000-0000-4000-8000-000000000001";

/// `target/debug/examples/quickstart`, which `cargo test` builds beside the tests.
fn quickstart() -> Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("the test binary is not in target/<profile>/deps")?;
    let path = dir
        .join("examples")
        .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        path.exists(),
        "{} is missing: run the tests with `cargo test`, which builds the examples",
        path.display()
    );
    Ok(path)
}

async fn run(base: Option<&str>, args: &[&str]) -> Result<Output> {
    let mut command = Command::new(quickstart()?);
    command
        .args(args)
        .env_remove("NX1_BASE_URL")
        .env_remove("NX1_PSK")
        .env_remove("NX1_TOKEN")
        .env_remove("NX1_JOB_IDS");
    if let Some(base) = base {
        command.env("NX1_BASE_URL", base).env("NX1_PSK", PSK);
    }
    Ok(tokio::task::spawn_blocking(move || command.output()).await??)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn read_only_by_default_and_re_runnable_with_apply() -> Result<()> {
    let mock = nx1_mock::Mock::new(
        nx1_mock::Access {
            psks: vec![PSK.to_owned()],
            tokens: Vec::new(),
        },
        nx1_mock::JobStore::demo(),
    );
    let base = mock.spawn().await?;
    let job = READY_JOB.parse()?;

    let out = run(Some(&base), &[READY_JOB]).await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("ready"), "{}", text(&out));
    assert_eq!(
        mock.jobs().get(job).map(|job| job.status.to_string()),
        Some("ready".into()),
        "a run without --apply changed the job"
    );

    let out = run(Some(&base), &["--apply", READY_JOB]).await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("--apply: triggering"), "{}", text(&out));
    assert_eq!(
        mock.jobs().get(job).map(|job| job.status.to_string()),
        Some("complete".into())
    );
    // Again: the job is no longer ready; the run says so and succeeds.
    let out = run(Some(&base), &["--apply", READY_JOB]).await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("not ready to trigger"),
        "{}",
        text(&out)
    );
    Ok(())
}

#[tokio::test]
async fn what_is_missing_is_said() -> Result<()> {
    let out = run(Some("http://127.0.0.1:9"), &[]).await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("give the ids of the jobs"),
        "{}",
        text(&out)
    );
    let out = run(Some("http://127.0.0.1:9"), &["not-a-uuid"]).await?;
    assert!(
        text(&out).contains("`not-a-uuid` is not a job id"),
        "{}",
        text(&out)
    );
    let out = run(Some("http://127.0.0.1:9"), &[READY_JOB]).await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).to_lowercase().contains("connection refused"),
        "{}",
        text(&out)
    );
    let out = run(None, &["--apply", READY_JOB]).await?;
    assert!(text(&out).contains("set NX1_BASE_URL"), "{}", text(&out));
    // And with nothing set, the whole walk-through on the in-process mock.
    let out = run(None, &[]).await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("after writeback"), "{}", text(&out));
    Ok(())
}
