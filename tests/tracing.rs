//! Each call is a `tracing` span with the operation, method, status, attempts and latency;
//! retries are logged with their cause; credentials never appear.

use std::io::Write;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use axum::Router;
use axum::http::StatusCode;
use nx1_client::{Client, RetryPolicy};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_call_is_a_span_with_its_outcome_and_no_secret() -> Result<()> {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let answers = Arc::new(Mutex::new(vec![
        (StatusCode::OK, r#"{"items": []}"#),
        (StatusCode::SERVICE_UNAVAILABLE, r#"{"detail": "busy"}"#),
    ]));
    let app = Router::new().fallback(move || {
        let answers = answers.clone();
        async move {
            let mut answers = answers.lock().unwrap();
            let answer = if answers.len() > 1 {
                answers.pop().unwrap()
            } else {
                answers[0]
            };
            (answer.0, [("content-type", "application/json")], answer.1)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Client::builder()
        .base_url(&base)
        .psk("very-secret-psk")
        .retry(RetryPolicy::default().backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(5),
        ))
        .build()?;
    client
        .get_training_job_statuses(&[uuid::Uuid::nil()])
        .await?;

    let log = String::from_utf8(captured.0.lock().unwrap().clone())?;
    assert!(
        log.contains("operation=\"get_training_job_statuses\""),
        "{log}"
    );
    assert!(log.contains("method=\"GET\""), "{log}");
    assert!(log.contains("status=200"), "{log}");
    assert!(log.contains("attempts=2"), "{log}");
    assert!(log.contains("latency_ms="), "{log}");
    assert!(
        log.contains("retrying") && log.contains("status=503"),
        "{log}"
    );
    assert!(!log.contains("very-secret-psk"), "{log}");
    Ok(())
}
