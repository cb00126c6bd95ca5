//! The `nx1` binary end to end against the mock on 127.0.0.1: answers on stdout, one line
//! on stderr and a telling exit code when something is wrong.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use anyhow::Result;
use serde_json::Value;

const PSK: &str = "cli-test-psk";
const READY_JOB: &str = "00000000-0000-4000-8000-000000000001";

async fn mock() -> Result<String> {
    let mock = nx1_mock::Mock::new(
        nx1_mock::Access {
            psks: vec![PSK.to_owned()],
            tokens: Vec::new(),
        },
        nx1_mock::JobStore::demo(),
    );
    Ok(mock.spawn().await?)
}

/// Runs `nx1 args…` with a clean environment (no NX1_* from the developer's shell).
async fn nx1(args: &[&str], stdin: Option<&str>) -> Result<Output> {
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    let stdin = stdin.map(str::to_owned);
    Ok(tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nx1"))
            .args(&args)
            .env_remove("NX1_BASE_URL")
            .env_remove("NX1_PSK")
            .env_remove("NX1_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin is piped")
                .write_all(input.as_bytes())?;
        }
        child.wait_with_output()
    })
    .await??)
}

fn json(output: &Output) -> Result<Value> {
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn jobs_status_the_short_way_and_the_generated_way() -> Result<()> {
    let base = mock().await?;
    let unknown = "00000000-0000-4000-8000-0000000000ff";
    let out = nx1(
        &[
            "jobs",
            "status",
            READY_JOB,
            unknown,
            READY_JOB,
            "--base-url",
            &base,
            "--psk",
            PSK,
        ],
        None,
    )
    .await?;
    assert!(out.status.success(), "{}", stderr(&out));
    let items = json(&out)?;
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
    assert_eq!(items[0]["job_id"], READY_JOB);
    // Piped output is one line.
    assert_eq!(String::from_utf8(out.stdout.clone())?.lines().count(), 1);

    let out = nx1(
        &[
            "get-training-job-statuses",
            "--ids",
            READY_JOB,
            "--base-url",
            &base,
            "--psk",
            PSK,
        ],
        None,
    )
    .await?;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)?["items"][0]["status"], "ready");
    Ok(())
}

#[tokio::test]
async fn a_psk_only_operation_with_a_body_from_stdin() -> Result<()> {
    let base = mock().await?;
    let out = nx1(
        &[
            "trigger-training-job",
            READY_JOB,
            "--base-url",
            &base,
            "--psk",
            PSK,
        ],
        None,
    )
    .await?;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = nx1(
        &[
            "update-training-status",
            READY_JOB,
            "--body",
            "-",
            "--base-url",
            &base,
            "--psk",
            PSK,
        ],
        Some(r#"{"status": "running"}"#),
    )
    .await?;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)?["status"], "running");
    Ok(())
}

#[tokio::test]
async fn failures_have_a_message_and_an_exit_code_of_their_kind() -> Result<()> {
    let base = mock().await?;
    // The server's 422 (the types cannot say "at least one item"), as one readable line.
    let out = nx1(
        &[
            "create-deployment",
            "churn",
            "--body",
            "-",
            "--base-url",
            &base,
            "--psk",
            PSK,
        ],
        Some(
            r#"{"name": "n", "model": {"model_name": "m"}, "domain": "d", "owner": "o",
                "entity_columns": []}"#,
        ),
    )
    .await?;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        "error: create_deployment: 422 Unprocessable Entity: body.entity_columns: List should have at least 1 item after validation, not 0"
    );
    // A body the client's types refuse is a usage error, caught before sending.
    let out = nx1(
        &[
            "update-training-status",
            READY_JOB,
            "--body",
            "-",
            "--base-url",
            &base,
            "--psk",
            PSK,
        ],
        Some(r#"{"status": "sleeping"}"#),
    )
    .await?;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unknown variant `sleeping`"),
        "{}",
        stderr(&out)
    );
    // No credentials: refused before anything is sent.
    let out = nx1(&["jobs", "status", READY_JOB, "--base-url", &base], None).await?;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("needs credentials"),
        "{}",
        stderr(&out)
    );
    // Wrong credentials: the server's 401.
    let out = nx1(
        &[
            "jobs",
            "status",
            READY_JOB,
            "--base-url",
            &base,
            "--psk",
            "wrong",
        ],
        None,
    )
    .await?;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // Not found.
    let out = nx1(
        &[
            "trigger-training-job",
            "00000000-0000-4000-8000-0000000000ff",
            "--base-url",
            &base,
            "--psk",
            PSK,
        ],
        None,
    )
    .await?;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    // Usage: a malformed id, a missing base URL, an unknown flag.
    let out = nx1(
        &[
            "jobs",
            "status",
            "not-a-uuid",
            "--base-url",
            &base,
            "--psk",
            PSK,
        ],
        None,
    )
    .await?;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not-a-uuid"), "{}", stderr(&out));
    let out = nx1(&["jobs", "status", READY_JOB, "--psk", PSK], None).await?;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("NX1_BASE_URL"), "{}", stderr(&out));
    let out = nx1(&["get-all-apps", "--no-such-flag"], None).await?;
    assert_eq!(out.status.code(), Some(2));
    // Nothing listens: no answer.
    let out = nx1(
        &[
            "jobs",
            "status",
            READY_JOB,
            "--base-url",
            "http://127.0.0.1:9",
            "--psk",
            PSK,
        ],
        None,
    )
    .await?;
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(
        stderr(&out).to_lowercase().contains("connection refused"),
        "{}",
        stderr(&out)
    );
    Ok(())
}

#[tokio::test]
async fn help_shows_each_operations_summary() -> Result<()> {
    let out = nx1(&["--help"], None).await?;
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout)?;
    assert!(help.contains("trigger-training-job"), "{help}");
    assert!(
        help.contains("Manually trigger an AutoML training DAG"),
        "{help}"
    );
    let out = nx1(&["update-training-status", "--help"], None).await?;
    let help = String::from_utf8(out.stdout)?;
    assert!(help.contains("<JOB_ID>"), "{help}");
    assert!(help.contains("--body <FILE|->"), "{help}");
    Ok(())
}
