//! The main job: list AutoML training job statuses, trigger a job, write back its status with
//! the PSK, and show the change.
//!
//! With no `NX1_BASE_URL` it starts the in-process mock (no network, no credentials needed).
//! With `NX1_BASE_URL` and `NX1_PSK` (and optionally `NX1_TOKEN`) set it talks to a real
//! deployment; pick the job with `NX1_JOB_ID`.
//!
//! `cargo run --example quickstart`

use anyhow::{Context, Result, bail};
use nx1_client::{Client, ErrorExt, types};
use uuid::Uuid;

const DEMO_JOB: &str = "00000000-0000-4000-8000-000000000001";

#[tokio::main]
async fn main() -> Result<()> {
    let (base_url, psk, token) = match std::env::var("NX1_BASE_URL") {
        Ok(url) => (
            url,
            std::env::var("NX1_PSK").context("NX1_BASE_URL is set, so NX1_PSK must be too")?,
            std::env::var("NX1_TOKEN").ok(),
        ),
        Err(_) => {
            let psk = "quickstart-psk".to_owned();
            let mock = nx1_mock::Mock::new(
                nx1_mock::Access {
                    psks: vec![psk.clone()],
                    tokens: Vec::new(),
                },
                nx1_mock::JobStore::demo(),
            );
            let url = mock
                .spawn()
                .await
                .context("cannot start the in-process mock")?;
            println!("no NX1_BASE_URL: using the in-process mock at {url}");
            (url, psk, None)
        }
    };
    let job_id: Uuid = std::env::var("NX1_JOB_ID")
        .unwrap_or_else(|_| DEMO_JOB.to_owned())
        .parse()
        .context("NX1_JOB_ID is not a UUID")?;

    let mut builder = Client::builder().base_url(&base_url).psk(&psk);
    if let Some(token) = token {
        builder = builder.bearer_token(token);
    }
    let client = builder.build()?;
    // The DAG's writeback accepts only the PSK, so it gets a client of its own.
    let dag = Client::builder().base_url(&base_url).psk(&psk).build()?;

    show(&client, job_id, "before").await?;

    match client.trigger_training_job(&job_id).await {
        Ok(job) => println!("triggered {job_id}: now {}", job.status),
        Err(err) if err.status_code() == Some(409) => {
            println!("{job_id} is not ready; it was triggered before")
        }
        Err(err) => return Err(err).context("trigger failed"),
    }
    show(&client, job_id, "after trigger").await?;

    for (status, error) in [
        (types::AutoMlTrainingJobStatus::Running, None),
        (
            types::AutoMlTrainingJobStatus::Failed,
            Some("out of memory on executor 3"),
        ),
    ] {
        let update = types::AutoMlTrainingStatusUpdate {
            status,
            error_message: error.map(str::to_owned),
            mlflow_run_id: None,
            registered_model_name: None,
        };
        match dag.update_training_status(&job_id, &update).await {
            Ok(job) => println!("DAG wrote back {status}: job is {}", job.status),
            Err(err) if err.is_unauthorized() => bail!("the PSK was refused by {base_url}"),
            Err(err) => return Err(err).context("status writeback failed"),
        }
    }
    show(&client, job_id, "after writeback").await?;
    Ok(())
}

async fn show(client: &Client, job_id: Uuid, when: &str) -> Result<()> {
    let statuses = client
        .get_training_job_statuses(&[job_id])
        .await
        .context("listing job statuses failed")?
        .into_inner();
    for item in statuses.items {
        println!(
            "{when:>16}: {} {:<8} updated {}{}",
            item.job_id,
            item.status.to_string(),
            item.updated_at.format("%H:%M:%S%.6f"),
            item.error_message
                .map(|message| format!(" ({message})"))
                .unwrap_or_default()
        );
    }
    Ok(())
}
