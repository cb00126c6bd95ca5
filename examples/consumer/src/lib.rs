//! What a user's service does with the Nx1 API: read the status of its training jobs, and
//! trigger one when it is ready. Its tests drive the mock as a stand-in for the platform.

use std::time::Duration;

use nx1_client::{Client, ErrorExt, RetryPolicy};
use uuid::Uuid;

/// The client this service uses: retries reads a few times, each attempt short.
pub fn client(base_url: &str, psk: &str) -> anyhow::Result<Client> {
    Ok(Client::builder()
        .base_url(base_url)
        .psk(psk)
        .retry(
            RetryPolicy::default()
                .max_attempts(4)
                .backoff(Duration::from_millis(10), Duration::from_millis(100)),
        )
        .timeout(Duration::from_secs(2))
        .build()?)
}

/// The status of one job, as text; `None` when the platform does not know it.
pub async fn status(client: &Client, job: Uuid) -> anyhow::Result<Option<String>> {
    let answer = client.get_training_job_statuses(&[job]).await?;
    Ok(answer
        .items
        .iter()
        .find(|item| item.job_id == job)
        .map(|item| item.status.to_string()))
}

/// Triggers the job if it is ready; `Ok(false)` when it is not.
pub async fn trigger_if_ready(client: &Client, job: Uuid) -> anyhow::Result<bool> {
    match client.trigger_training_job(&job).await {
        Ok(_) => Ok(true),
        Err(err) if err.status_code() == Some(409) => Ok(false),
        Err(err) => Err(err.into()),
    }
}
