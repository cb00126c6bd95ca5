//! How every operation runs: the generated method's body goes through [`call`], which opens
//! a `tracing` span, lets the hooks apply credentials and send with retries, and turns
//! progenitor's error into [`Error`] with the operation, the attempts and the body read.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use tracing::Instrument;

use crate::auth::Credentials;
pub use crate::errors::Error;
use crate::errors::{BODY_LIMIT, ErrorKind};
use crate::generated::Client;
use crate::retry::{self, RetryPolicy};

/// What a [`Client`] carries beside its HTTP client: credentials, and how to send.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub(crate) credentials: Credentials,
    pub(crate) retry: RetryPolicy,
    /// The limit for each attempt; `None` leaves reqwest's client-wide one.
    pub(crate) timeout: Option<Duration>,
}

/// The reqwest client of progenitor's `Client::new`, with this crate's TLS (the generated
/// constructor calls this instead of `builder.build().unwrap()`).
pub(crate) fn http_client(builder: reqwest::ClientBuilder) -> reqwest::Client {
    nx1_tls::configure(builder, &[])
        .map_err(crate::BuildError::Tls)
        .and_then(|builder| builder.build().map_err(crate::BuildError::Http))
        .unwrap_or_else(|err| panic!("{err}; Client::builder() reports this as an error"))
}

/// What the hooks learn about the call in progress, for the error and the span.
#[derive(Default)]
struct Record {
    attempts: u32,
    status: Option<reqwest::StatusCode>,
    error_body: Option<Bytes>,
}

tokio::task_local! {
    static RECORD: Arc<Mutex<Record>>;
}

fn note(update: impl FnOnce(&mut Record)) {
    let _ = RECORD.try_with(|record| {
        if let Ok(mut record) = record.lock() {
            update(&mut record);
        }
    });
}

/// Runs one operation: the body progenitor generated, inside a span, with its error made
/// an [`Error`].
pub(crate) async fn call<T, E, F>(
    operation: &'static str,
    body: F,
) -> Result<ResponseValue<T>, Error<E>>
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
{
    let span = tracing::debug_span!(
        "nx1_client",
        operation,
        method = tracing::field::Empty,
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    let record = Arc::new(Mutex::new(Record::default()));
    let started = Instant::now();
    let result = RECORD
        .scope(record.clone(), body)
        .instrument(span.clone())
        .await;
    let Record {
        attempts,
        status,
        error_body,
    } = std::mem::take(&mut *record.lock().unwrap_or_else(|poison| poison.into_inner()));
    span.record("attempts", attempts);
    span.record("latency_ms", started.elapsed().as_millis() as u64);
    let result = match result {
        Ok(value) => Ok(value),
        Err(err) => Err(Error {
            operation,
            attempts,
            kind: convert(err, status, error_body).await,
        }),
    };
    let status = match &result {
        Ok(value) => Some(value.status()),
        Err(err) => err.status(),
    };
    if let Some(status) = status {
        span.record("status", status.as_u16());
    }
    span.in_scope(|| match &result {
        Ok(_) => tracing::debug!("answered"),
        Err(err) => tracing::debug!(error = %err, "failed"),
    });
    result
}

async fn convert<E>(
    err: progenitor_client::Error<E>,
    status: Option<reqwest::StatusCode>,
    error_body: Option<Bytes>,
) -> ErrorKind<E> {
    use progenitor_client::Error as P;
    match err {
        P::InvalidRequest(reason) => ErrorKind::InvalidRequest(reason),
        P::CommunicationError(err) | P::InvalidUpgrade(err) | P::ResponseBodyError(err) => {
            ErrorKind::Transport(without_query(err))
        }
        P::ErrorResponse(value) => {
            let status = value.status();
            let headers = value.headers().clone();
            ErrorKind::Status {
                status,
                headers,
                body: Some(value.into_inner()),
                raw: error_body.unwrap_or_default(),
            }
        }
        P::InvalidResponsePayload(raw, err) => ErrorKind::InvalidResponse {
            status,
            raw,
            reason: err.to_string(),
        },
        P::UnexpectedResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let raw = match error_body {
                Some(raw) => raw,
                None => read_bounded(response).await,
            };
            ErrorKind::Status {
                status,
                headers,
                body: None,
                raw,
            }
        }
        P::Custom(reason) => ErrorKind::Hook(reason),
    }
}

/// reqwest's own message shows the URL with its query (8 KiB of ids, say); the error keeps
/// the URL without it, and without user info.
fn without_query(err: reqwest::Error) -> reqwest::Error {
    match err.url().cloned() {
        Some(mut url) => {
            url.set_query(None);
            let _ = url.set_password(None);
            let _ = url.set_username("");
            err.with_url(url)
        }
        None => err,
    }
}

async fn read_bounded(mut response: reqwest::Response) -> Bytes {
    let mut raw = Vec::new();
    while raw.len() < BODY_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => raw.extend_from_slice(&chunk),
            _ => break,
        }
    }
    raw.truncate(BODY_LIMIT);
    raw.into()
}

impl ClientHooks<Settings> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        tracing::Span::current().record("method", request.method().as_str());
        self.inner().credentials.apply(request, info.operation_id);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let settings = self.inner();
        let outcome = retry::send(self.client(), request, &settings.retry, settings.timeout).await;
        let status = outcome.result.as_ref().ok().map(reqwest::Response::status);
        note(|record| {
            record.attempts = outcome.attempts;
            record.status = status;
            record.error_body = outcome.error_body;
        });
        outcome.result
    }
}

impl Client {
    /// This client with another retry policy, for one call or a few:
    /// `client.with_retry(RetryPolicy::default().retry_non_idempotent(true)).create_job(&job)`.
    pub fn with_retry(&self, retry: RetryPolicy) -> Client {
        self.with_settings(|settings| settings.retry = retry)
    }

    /// This client with another limit for each attempt of a call.
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        self.with_settings(|settings| settings.timeout = Some(timeout))
    }

    fn with_settings(&self, change: impl FnOnce(&mut Settings)) -> Client {
        let mut settings = self.inner().clone();
        change(&mut settings);
        Client::new_with_client(self.baseurl(), self.client().clone(), settings)
    }
}
