//! A user's tests with `nx1-mock` as the platform: faults on cue, the journal, job state.

use std::time::Duration;

use nx1_consumer_example::{client, status, trigger_if_ready};
use nx1_mock::{Fault, Mock, types::AutoMlTrainingJobStatus};
use uuid::Uuid;

const PSK: &str = "consumer-psk";
const JOB: &str = "00000000-0000-4000-8000-000000000001";

#[tokio::test]
async fn reads_ride_out_a_restarting_platform() -> anyhow::Result<()> {
    let mock = Mock::builder().psk(PSK).spawn().await?;
    let client = client(mock.base_url(), PSK)?;
    let job: Uuid = JOB.parse()?;
    // The platform restarts: two 503s asking for a second, then a dropped connection.
    mock.inject(
        "get_training_job_statuses",
        Fault::status(503).retry_after(1).times(2),
    );
    mock.inject("get_training_job_statuses", Fault::drop_connection());
    let started = std::time::Instant::now();
    assert_eq!(status(&client, job).await?.as_deref(), Some("ready"));
    assert_eq!(mock.requests_for("get_training_job_statuses").len(), 4);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After was honoured"
    );
    Ok(())
}

#[tokio::test]
async fn a_trigger_is_never_sent_twice() -> anyhow::Result<()> {
    let mock = Mock::builder().psk(PSK).spawn().await?;
    let client = client(mock.base_url(), PSK)?;
    let job: Uuid = JOB.parse()?;
    mock.inject("trigger_training_job", Fault::status(502));
    assert!(trigger_if_ready(&client, job).await.is_err());
    let sent = mock.requests_for("trigger_training_job");
    assert_eq!(sent.len(), 1, "a POST is not retried on its own");
    assert_eq!(sent[0].headers["authorization-psk"], "<redacted>");
    // The job is still ready; the next try goes through, and a second finds it queued.
    assert!(trigger_if_ready(&client, job).await?);
    assert!(!trigger_if_ready(&client, job).await?);
    Ok(())
}

#[tokio::test]
async fn state_arranged_by_the_test_is_what_the_code_sees() -> anyhow::Result<()> {
    let mock = Mock::builder().psk(PSK).spawn().await?;
    let client = client(mock.base_url(), PSK)?;
    let job: Uuid = JOB.parse()?;
    mock.jobs().set_status(job, AutoMlTrainingJobStatus::Failed);
    assert_eq!(status(&client, job).await?.as_deref(), Some("failed"));
    assert!(!trigger_if_ready(&client, job).await?);
    assert_eq!(status(&client, Uuid::nil()).await?, None);
    Ok(())
}
