//! The mock as a test dependency: faults on cue (the next N calls of an operation answer a
//! status, with `Retry-After`, after a delay, or lose their connection) and a journal of the
//! requests received, secrets redacted, so that a test can assert what its code sent.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nx1_server_runtime::{Match, RouteTable};

use crate::Mock;

/// The most requests the journal keeps: the oldest go first, so a mock that runs for days
/// does not grow without bound.
const JOURNAL_LIMIT: usize = 10_000;

/// Headers whose values the journal never keeps.
const SECRET_HEADERS: [&str; 4] = ["authorization", "authorization-psk", "cookie", "x-api-key"];

/// What the next calls of an operation get instead of (or before) their answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    kind: FaultKind,
    times: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FaultKind {
    Status {
        status: u16,
        retry_after: Option<u64>,
        detail: String,
    },
    Delay(Duration),
    Drop,
}

impl Fault {
    /// Answer `status` with FastAPI's `{"detail": …}` body.
    pub fn status(status: u16) -> Self {
        let detail = StatusCode::from_u16(status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("Injected fault")
            .to_owned();
        Fault {
            kind: FaultKind::Status {
                status,
                retry_after: None,
                detail,
            },
            times: 1,
        }
    }

    /// Answer normally, after `delay` (past a client's timeout, say).
    pub fn delay(delay: Duration) -> Self {
        Fault {
            kind: FaultKind::Delay(delay),
            times: 1,
        }
    }

    /// Close the connection without an answer.
    pub fn drop_connection() -> Self {
        Fault {
            kind: FaultKind::Drop,
            times: 1,
        }
    }

    /// With a `Retry-After: seconds` header (a status fault only).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        if let FaultKind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(seconds);
        }
        self
    }

    /// With this `detail` text (a status fault only).
    pub fn detail(mut self, text: impl Into<String>) -> Self {
        if let FaultKind::Status { detail, .. } = &mut self.kind {
            *detail = text.into();
        }
        self
    }

    /// For the next `times` calls instead of one.
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }
}

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The operation it was routed to (`get_training_job_statuses`), if any.
    pub operation: Option<&'static str>,
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    /// Credentials and cookies read `<redacted>`.
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RecordedRequest {
    /// The body as JSON, when it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The journal and the queued faults of one mock.
#[derive(Default)]
pub(crate) struct Harness {
    journal: Mutex<VecDeque<RecordedRequest>>,
    faults: Mutex<HashMap<String, VecDeque<FaultKind>>>,
}

impl Harness {
    pub(crate) fn inject(&self, operation: &str, fault: Fault) {
        let mut faults = self.faults.lock().unwrap_or_else(|err| err.into_inner());
        let queue = faults.entry(operation.to_owned()).or_default();
        for _ in 0..fault.times {
            queue.push_back(fault.kind.clone());
        }
    }

    fn take(&self, operation: &str) -> Option<FaultKind> {
        let mut faults = self.faults.lock().unwrap_or_else(|err| err.into_inner());
        faults.get_mut(operation)?.pop_front()
    }

    fn record(&self, request: RecordedRequest) {
        let mut journal = self.journal.lock().unwrap_or_else(|err| err.into_inner());
        if journal.len() == JOURNAL_LIMIT {
            journal.pop_front();
        }
        journal.push_back(request);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        let journal = self.journal.lock().unwrap_or_else(|err| err.into_inner());
        journal.iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.journal
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .clear();
    }
}

fn redacted(headers: &HeaderMap) -> HeaderMap {
    let mut shown = headers.clone();
    for name in SECRET_HEADERS {
        if shown.contains_key(name) {
            shown.insert(name, HeaderValue::from_static("<redacted>"));
        }
    }
    shown
}

/// Records every request, then applies the fault queued for its operation, if any.
pub(crate) async fn intercept(
    State((mock, routes)): State<(Mock, std::sync::Arc<RouteTable>)>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let limit = nx1_server::ServerConfig::default().body_limit;
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return nx1_server_runtime::problem::payload_too_large(limit);
    };
    let operation = match routes.find(parts.method.as_str(), parts.uri.path()) {
        Match::Found { operation, .. } => nx1_server::OPERATIONS.get(operation).map(|op| op.id),
        _ => None,
    };
    mock.harness().record(RecordedRequest {
        operation,
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: redacted(&parts.headers),
        body: bytes.clone(),
    });
    match operation.and_then(|operation| mock.harness().take(operation)) {
        Some(FaultKind::Status {
            status,
            retry_after,
            detail,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = nx1_server_runtime::problem::detail(status, &detail);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            return response;
        }
        Some(FaultKind::Drop) => return dropped(),
        Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A response whose body fails before a byte is written: hyper closes the connection and
/// the client sees it drop, with no status.
fn dropped() -> Response {
    let failing = futures::stream::once(std::future::ready(Err::<Bytes, _>(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "nx1-mock: injected connection drop",
    ))));
    (StatusCode::OK, Body::from_stream(failing)).into_response()
}
