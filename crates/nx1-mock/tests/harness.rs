//! The mock as a test dependency: faults on cue, the request journal, job state.

use std::time::Duration;

use anyhow::Result;
use nx1_client::{Client, ErrorExt, RetryPolicy};
use nx1_mock::{Fault, Mock};
use uuid::Uuid;

const PSK: &str = "harness-psk";
const READY: &str = "00000000-0000-4000-8000-000000000001";

fn quick() -> RetryPolicy {
    RetryPolicy::default().backoff(Duration::from_millis(5), Duration::from_millis(20))
}

#[tokio::test]
async fn faults_answer_in_order_then_the_mock_answers_again() -> Result<()> {
    let mock = Mock::builder().psk(PSK).spawn().await?;
    let client = Client::builder()
        .base_url(mock.base_url())
        .psk(PSK)
        .retry(RetryPolicy::never())
        .build()?;
    let id: Uuid = READY.parse()?;
    mock.inject(
        "get_training_job_statuses",
        Fault::status(503)
            .retry_after(7)
            .detail("restarting")
            .times(2),
    );
    mock.inject("get_training_job_statuses", Fault::drop_connection());
    for _ in 0..2 {
        let err = client.get_training_job_statuses(&[id]).await.unwrap_err();
        assert_eq!(err.status_code(), Some(503));
        assert_eq!(err.detail().as_deref(), Some("restarting"));
        assert_eq!(err.headers().unwrap()["retry-after"], "7");
    }
    let err = client.get_training_job_statuses(&[id]).await.unwrap_err();
    assert_eq!(
        err.status_code(),
        None,
        "a dropped connection has no status: {err}"
    );
    assert!(err.is_retryable(), "{err}");
    let answer = client.get_training_job_statuses(&[id]).await?;
    assert_eq!(answer.items.len(), 1);
    // A delay holds the answer back.
    mock.inject(
        "get_training_job_statuses",
        Fault::delay(Duration::from_millis(300)),
    );
    let err = client
        .with_timeout(Duration::from_millis(100))
        .get_training_job_statuses(&[id])
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    Ok(())
}

#[tokio::test]
async fn the_journal_shows_what_was_sent_without_secrets() -> Result<()> {
    let mock = Mock::builder().psk(PSK).spawn().await?;
    let client = Client::builder()
        .base_url(mock.base_url())
        .psk(PSK)
        .retry(quick())
        .build()?;
    let id: Uuid = READY.parse()?;
    mock.inject("trigger_training_job", Fault::status(503));
    let err = client.trigger_training_job(&id).await.unwrap_err();
    assert_eq!(err.status_code(), Some(503));
    // A POST is sent once, however retryable its failure.
    assert_eq!(mock.requests_for("trigger_training_job").len(), 1);
    client.get_training_job_statuses(&[id, id]).await?;
    let sent = mock.requests_for("get_training_job_statuses");
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/api/automl/train/jobs/status");
    assert_eq!(
        request.query.as_deref(),
        Some(format!("ids={READY}&ids={READY}").as_str())
    );
    assert_eq!(request.headers["authorization-psk"], "<redacted>");
    assert!(!format!("{:?}", mock.requests()).contains(PSK));
    mock.clear_requests();
    assert!(mock.requests().is_empty());
    Ok(())
}

#[tokio::test]
async fn job_state_can_be_read_and_arranged() -> Result<()> {
    let mock = Mock::builder().psk(PSK).spawn().await?;
    let client = Client::builder()
        .base_url(mock.base_url())
        .psk(PSK)
        .build()?;
    let id: Uuid = READY.parse()?;
    assert!(
        mock.jobs()
            .set_status(id, nx1_mock::types::AutoMlTrainingJobStatus::Failed)
    );
    let err = client.trigger_training_job(&id).await.unwrap_err();
    assert_eq!(err.status_code(), Some(409), "{err}");
    assert_eq!(
        mock.jobs().get(id).map(|job| job.status),
        Some(nx1_mock::types::AutoMlTrainingJobStatus::Failed)
    );
    assert!(
        !mock
            .jobs()
            .set_status(Uuid::nil(), nx1_mock::types::AutoMlTrainingJobStatus::Ready)
    );
    Ok(())
}
