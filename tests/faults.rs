//! The client against a server on 127.0.0.1 that misbehaves on cue: drops connections,
//! answers 503 with `Retry-After`, 429, or never answers. Idempotent calls come through
//! within their bounds; a POST is never sent twice unless the call says so; errors say what
//! happened.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use nx1_client::{Client, ErrorExt, RetryPolicy, types};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use uuid::Uuid;

/// What the server does with one request.
#[derive(Debug, Clone)]
enum Fault {
    /// Closes the connection without a word.
    Drop,
    /// Answers `status` with `headers` and a JSON body.
    Answer(u16, &'static [(&'static str, &'static str)], &'static str),
    /// Never answers.
    Hang,
}

/// The request line and headers of every request received, in order.
type Journal = Arc<Mutex<Vec<String>>>;

/// Serves `script` in order, one fault per request; past its end every request is answered
/// with the last entry.
async fn server(script: Vec<Fault>) -> Result<(String, Journal)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let journal: Journal = Arc::default();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let seen = journal.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(connection(stream, script.clone(), seen.clone()));
        }
    });
    Ok((base, journal))
}

async fn connection(mut stream: TcpStream, script: Arc<Mutex<VecDeque<Fault>>>, seen: Journal) {
    loop {
        let Some(head) = read_request(&mut stream).await else {
            return;
        };
        seen.lock().unwrap().push(head);
        let fault = {
            let mut script = script.lock().unwrap();
            if script.len() > 1 {
                script.pop_front()
            } else {
                script.front().cloned()
            }
        };
        match fault {
            None | Some(Fault::Drop) => return,
            Some(Fault::Hang) => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                return;
            }
            Some(Fault::Answer(status, headers, body)) => {
                let mut answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    answer.push_str(&format!("{name}: {value}\r\n"));
                }
                answer.push_str("\r\n");
                answer.push_str(body);
                if stream.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// One request's head (its body read and dropped), or `None` when the peer is gone.
async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 1];
    while !buffer.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        buffer.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buffer).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.ok()?;
    Some(head)
}

fn count(journal: &Journal) -> usize {
    journal.lock().unwrap().len()
}

fn quick() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(5)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
}

const STATUSES: &str = r#"{"items": []}"#;
const JOB: &str = r#"{"job_id": 1, "status": "queued"}"#;
const UNAVAILABLE: Fault =
    Fault::Answer(503, &[("retry-after", "1")], r#"{"detail": "restarting"}"#);

#[tokio::test]
async fn a_get_comes_through_drops_503s_and_429s() -> Result<()> {
    let (base, journal) = server(vec![
        Fault::Drop,
        UNAVAILABLE,
        Fault::Answer(429, &[], r#"{"detail": "slow down"}"#),
        Fault::Answer(200, &[], STATUSES),
    ])
    .await?;
    let client = Client::builder()
        .base_url(&base)
        .psk("k")
        .retry(quick())
        .build()?;
    let started = Instant::now();
    let answer = client.get_training_job_statuses(&[Uuid::nil()]).await?;
    assert!(answer.items.is_empty());
    assert_eq!(count(&journal), 4);
    // The 503 asked for a second's pause, and got it.
    assert!(started.elapsed() >= Duration::from_secs(1));
    for head in journal.lock().unwrap().iter() {
        assert!(!head.to_ascii_lowercase().contains("api-version"), "{head}");
    }
    Ok(())
}

#[tokio::test]
async fn attempts_are_bounded_and_counted_in_the_error() -> Result<()> {
    let (base, journal) =
        server(vec![Fault::Answer(502, &[], r#"{"detail": "upstream"}"#)]).await?;
    let client = Client::builder()
        .base_url(&base)
        .psk("k")
        .retry(quick().max_attempts(3))
        .build()?;
    let err = client.get_training_job_statuses(&[]).await.unwrap_err();
    assert_eq!(count(&journal), 3);
    assert_eq!(err.attempts(), 3);
    assert_eq!(
        err.to_string(),
        "get_training_job_statuses: 502 Bad Gateway: upstream (after 3 attempts)"
    );
    Ok(())
}

#[tokio::test]
async fn the_deadline_holds_against_a_server_that_never_answers() -> Result<()> {
    let (base, journal) = server(vec![Fault::Hang]).await?;
    let client = Client::builder()
        .base_url(&base)
        .retry(
            quick()
                .max_attempts(100)
                .deadline(Duration::from_millis(1500)),
        )
        .timeout(Duration::from_secs(30))
        .build()?;
    let started = Instant::now();
    let err = client.get_training_job_statuses(&[]).await.unwrap_err();
    // Generous: the point is 1.5 s, not the 30 s timeout nor 100 attempts of it.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_timeout(), "{err}");
    assert!(count(&journal) >= 1);
    Ok(())
}

#[tokio::test]
async fn a_per_call_timeout_beside_the_client_wide_one() -> Result<()> {
    let (base, _journal) = server(vec![Fault::Hang]).await?;
    let client = Client::builder()
        .base_url(&base)
        .retry(RetryPolicy::never())
        .build()?;
    let err = client
        .with_timeout(Duration::from_millis(200))
        .get_training_job_statuses(&[])
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains("in time"), "{err}");
    Ok(())
}

fn job() -> types::CreateJobRequest {
    types::CreateJobRequest {
        job_name: "nightly".into(),
        job_type: "sql".into(),
        destination: None,
        properties_json: None,
        schedule: None,
        source: None,
    }
}

#[tokio::test]
async fn a_failed_post_is_sent_exactly_once() -> Result<()> {
    for first in [Fault::Drop, UNAVAILABLE, Fault::Answer(429, &[], "{}")] {
        let (base, journal) = server(vec![first.clone(), Fault::Answer(200, &[], JOB)]).await?;
        let client = Client::builder()
            .base_url(&base)
            .psk("k")
            .retry(quick())
            .build()?;
        let err = client.create_job(&job()).await.unwrap_err();
        assert_eq!(count(&journal), 1, "{first:?} → {err}");
        assert_eq!(err.attempts(), 1);
    }
    Ok(())
}

#[tokio::test]
async fn a_post_is_retried_only_when_the_call_opts_in() -> Result<()> {
    let (base, journal) = server(vec![Fault::Drop, Fault::Answer(200, &[], JOB)]).await?;
    let client = Client::builder()
        .base_url(&base)
        .psk("k")
        .retry(quick())
        .build()?;
    let _ = client
        .with_retry(quick().retry_non_idempotent(true))
        .create_job(&job())
        .await;
    assert_eq!(count(&journal), 2);
    Ok(())
}

#[tokio::test]
async fn an_undocumented_conflict_shows_the_servers_detail() -> Result<()> {
    let (base, _journal) = server(vec![Fault::Answer(
        409,
        &[],
        r#"{"detail": "Training job cannot move from failed to running"}"#,
    )])
    .await?;
    let client = Client::builder().base_url(&base).psk("k").build()?;
    let err = client.trigger_training_job(&Uuid::nil()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "trigger_training_job: 409 Conflict: Training job cannot move from failed to running"
    );
    assert_eq!(err.operation(), "trigger_training_job");
    assert!(!err.is_retryable());
    Ok(())
}

#[tokio::test]
async fn a_refused_connection_names_its_cause_and_no_secret() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    drop(listener);
    let client = Client::builder()
        .base_url(format!("http://{address}"))
        .psk("secret-psk-value")
        .retry(quick().max_attempts(2))
        .build()?;
    let ids = [Uuid::nil()];
    let err = client.get_training_job_statuses(&ids).await.unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.to_lowercase().contains("connection refused"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("http://{address}/api/automl/train/jobs/status")),
        "{shown}"
    );
    assert!(!shown.contains("ids="), "the query is left out: {shown}");
    assert!(!shown.contains("secret-psk-value"), "{shown}");
    assert!(!format!("{err:?}").contains("secret-psk-value"));
    assert!(err.is_retryable());
    assert_eq!(err.attempts(), 2);
    // Nor anywhere down the source chain, which reqwest's own message would otherwise show.
    let chain = format!("{:?}", anyhow::Error::new(err));
    assert!(!chain.contains("ids="), "{chain}");
    Ok(())
}
