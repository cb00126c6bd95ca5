//! The main job: list AutoML training job statuses, trigger a job, write back its status with
//! the PSK as the training DAG does, and show the change.
//!
//! `cargo run --example quickstart` runs it all on the in-process mock (no network, no
//! credentials). With `NX1_BASE_URL` and `NX1_PSK` (or `NX1_TOKEN`) set it talks to that
//! deployment and only reads: the statuses of the job ids given as arguments (or in
//! `NX1_JOB_IDS`, comma-separated). `--apply JOB_ID` walks one job of that deployment
//! through trigger and writeback, after saying what it will change.
//!
//! `cargo run --example quickstart -- [--apply JOB_ID] [JOB_ID…]`

use anyhow::{Context, Result, bail};
use nx1_client::{Client, ErrorExt, types};
use uuid::Uuid;

/// The job of the mock's demo store that starts `ready`.
const DEMO_JOB: &str = "00000000-0000-4000-8000-000000000001";

const USAGE: &str = "usage: cargo run --example quickstart -- [--apply JOB_ID] [JOB_ID…]";

struct Args {
    ids: Vec<Uuid>,
    apply: Option<Uuid>,
}

fn parse_args() -> Result<Args> {
    let mut ids = Vec::new();
    let mut apply = None;
    let mut args = std::env::args().skip(1);
    let id = |text: &str| -> Result<Uuid> {
        text.trim()
            .parse()
            .with_context(|| format!("`{text}` is not a job id (a UUID); {USAGE}"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--apply" => {
                let value = args
                    .next()
                    .with_context(|| format!("--apply needs a job id; {USAGE}"))?;
                apply = Some(id(&value)?);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            flag if flag.starts_with('-') => bail!("unknown option `{flag}`; {USAGE}"),
            text => ids.push(id(text)?),
        }
    }
    if let Ok(listed) = std::env::var("NX1_JOB_IDS") {
        for text in listed.split(',').filter(|text| !text.trim().is_empty()) {
            ids.push(id(text).context("in NX1_JOB_IDS")?);
        }
    }
    Ok(Args { ids, apply })
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let Ok(base_url) = std::env::var("NX1_BASE_URL") else {
        return on_the_mock(args).await;
    };
    let psk = std::env::var("NX1_PSK").ok();
    let token = std::env::var("NX1_TOKEN").ok();
    if psk.is_none() && token.is_none() {
        bail!(
            "NX1_BASE_URL is set, so NX1_PSK or NX1_TOKEN must be too (the status read takes either)"
        );
    }
    let client = client(&base_url, psk.as_deref(), token.as_deref())?;
    let mut ids = Vec::new();
    for id in args.ids.iter().chain(&args.apply) {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    if ids.is_empty() {
        bail!("give the ids of the jobs to show, as arguments or in NX1_JOB_IDS; {USAGE}");
    }
    println!("reading from {base_url} (nothing is changed without --apply)");
    show(&client, &ids, "status").await?;
    if let Some(job) = args.apply {
        let psk = psk.context("--apply writes back as the DAG does, which takes NX1_PSK")?;
        println!(
            "--apply: triggering the training DAG of {job} on {base_url}, then writing its \
             status back as `running` and `complete`, as the DAG would"
        );
        let dag = client_with_psk(&base_url, &psk)?;
        walk_through(&client, &dag, job, types::AutoMlTrainingJobStatus::Complete).await?;
    }
    Ok(())
}

/// The whole walk-through on a mock started here: fresh state, so it runs the same way
/// every time.
async fn on_the_mock(args: Args) -> Result<()> {
    if args.apply.is_some() {
        bail!("--apply acts on a deployment: set NX1_BASE_URL (and NX1_PSK)");
    }
    let psk = "quickstart-psk";
    let mock = nx1_mock::Mock::new(
        nx1_mock::Access {
            psks: vec![psk.to_owned()],
            tokens: Vec::new(),
        },
        nx1_mock::JobStore::demo(),
    );
    let url = mock
        .spawn()
        .await
        .context("cannot start the in-process mock")?;
    println!("no NX1_BASE_URL: using the in-process mock at {url}");
    let job: Uuid = DEMO_JOB.parse()?;
    let client = client_with_psk(&url, psk)?;
    let mut ids = vec![job];
    ids.extend(args.ids);
    show(&client, &ids, "before").await?;
    walk_through(
        &client,
        &client,
        job,
        types::AutoMlTrainingJobStatus::Failed,
    )
    .await
}

fn client(base_url: &str, psk: Option<&str>, token: Option<&str>) -> Result<Client> {
    let mut builder = Client::builder().base_url(base_url);
    if let Some(psk) = psk {
        builder = builder.psk(psk);
    }
    if let Some(token) = token {
        builder = builder.bearer_token(token);
    }
    builder.build().context("cannot build the client")
}

/// The DAG's writeback accepts only the PSK, so it gets a client of its own.
fn client_with_psk(base_url: &str, psk: &str) -> Result<Client> {
    client(base_url, Some(psk), None)
}

/// Trigger, then write back `running` and `last` as the DAG does. A job that is not
/// `ready` is shown and left alone: running this again is safe.
async fn walk_through(
    client: &Client,
    dag: &Client,
    job: Uuid,
    last: types::AutoMlTrainingJobStatus,
) -> Result<()> {
    match client.trigger_training_job(&job).await {
        Ok(answer) => println!("triggered {job}: now {}", answer.status),
        Err(err) if err.status_code() == Some(409) => {
            println!(
                "{job} is not ready to trigger ({}); nothing was changed",
                err.detail().unwrap_or_else(|| "409 Conflict".into())
            );
            return Ok(());
        }
        Err(err) if err.is_not_found() => bail!("there is no training job {job} ({err})"),
        Err(err) => return Err(err).context("triggering the job failed"),
    }
    show(client, &[job], "after trigger").await?;
    let error = (last == types::AutoMlTrainingJobStatus::Failed)
        .then(|| "out of memory on executor 3 (the mock's example failure)".to_owned());
    for (status, error_message) in [
        (types::AutoMlTrainingJobStatus::Running, None),
        (last, error),
    ] {
        let update = types::AutoMlTrainingStatusUpdate {
            status,
            error_message,
            mlflow_run_id: None,
            registered_model_name: None,
        };
        match dag.update_training_status(&job, &update).await {
            Ok(answer) => println!("DAG wrote back {status}: job is {}", answer.status),
            Err(err) if err.is_unauthorized() => bail!("the PSK was refused: {err}"),
            Err(err) => return Err(err).context("the status writeback failed"),
        }
    }
    show(client, &[job], "after writeback").await
}

async fn show(client: &Client, ids: &[Uuid], when: &str) -> Result<()> {
    let items = match client.training_job_statuses(ids).await {
        Ok(items) => items,
        Err(err) if err.is_unauthorized() || err.is_forbidden() => {
            bail!("the credentials were refused: {err}")
        }
        Err(err) => return Err(err).context("reading job statuses failed"),
    };
    for id in ids {
        match items.iter().find(|item| item.job_id == *id) {
            Some(item) => println!(
                "{when:>16}: {} {:<8} updated {}{}",
                item.job_id,
                item.status.to_string(),
                item.updated_at.format("%Y-%m-%d %H:%M:%S%.6f"),
                item.error_message
                    .as_ref()
                    .map(|message| format!(" ({message})"))
                    .unwrap_or_default()
            ),
            None => println!("{when:>16}: {id} unknown to the server"),
        }
    }
    Ok(())
}
