//! An in-memory Nx1 AI API built on the generated `Nx1Api` trait: the project's embedded
//! default, so that examples and contract tests need no network and no real credentials.
//!
//! AutoML training jobs are stateful (`ready → queued → running → complete | failed`);
//! every other operation answers a schema-valid example of its success response (ten
//! example items, with ids, for one that answers only a stream).

mod harness;
mod jobs;
mod spec;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use nx1_server_runtime::{OperationSpec, SchemaSet, example};

pub use harness::{Fault, RecordedRequest};
pub use jobs::{JobStore, SeedError};
pub use nx1_server::types;
pub use spec::served_spec;

/// Who may call the mock.
#[derive(Clone, Default)]
pub struct Access {
    pub psks: Vec<String>,
    pub tokens: Vec<String>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("psks", &self.psks.len())
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

/// The mock API. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Mock {
    inner: Arc<Inner>,
}

struct Inner {
    access: Access,
    jobs: JobStore,
    schemas: SchemaSet,
    harness: harness::Harness,
}

impl std::fmt::Debug for Mock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mock")
            .field("access", &self.inner.access)
            .finish_non_exhaustive()
    }
}

impl Mock {
    pub fn new(access: Access, jobs: JobStore) -> Self {
        let spec = serde_json::from_str(nx1_server::SPEC_JSON).unwrap_or_default();
        Mock {
            inner: Arc::new(Inner {
                access,
                jobs,
                schemas: SchemaSet::new(spec),
                harness: harness::Harness::default(),
            }),
        }
    }

    /// Starts configuring a mock for a test: `Mock::builder().psk("k").spawn().await?`.
    pub fn builder() -> MockBuilder {
        MockBuilder::default()
    }

    pub(crate) fn harness(&self) -> &harness::Harness {
        &self.inner.harness
    }

    /// Makes the next call(s) of `operation` (a client method name, such as
    /// `get_training_job_statuses`) fail as `fault` says; faults queue up in order.
    pub fn inject(&self, operation: &str, fault: Fault) {
        self.inner.harness.inject(operation, fault);
    }

    /// Every request received so far (the last 10,000), oldest first, credentials redacted.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.harness.requests()
    }

    /// The requests received for one operation.
    pub fn requests_for(&self, operation: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| request.operation == Some(operation))
            .collect()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.inner.harness.clear();
    }

    pub fn jobs(&self) -> &JobStore {
        &self.inner.jobs
    }

    /// The generated router around this mock, plus `GET /openapi.json` (the spec as the mock
    /// serves it) and a log line per request.
    pub fn router(&self) -> Router {
        // Serialised once: the document is the same for every request.
        let served = axum::body::Bytes::from(served_spec().to_string());
        let spec_route = get(move || {
            let served = served.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    served,
                )
            }
        });
        let routes = Arc::new(nx1_server_runtime::RouteTable::of(&nx1_server::OPERATIONS));
        Router::new()
            .route("/openapi.json", spec_route)
            .merge(nx1_server::router(self.clone()))
            .layer(axum::middleware::from_fn_with_state(
                (self.clone(), routes),
                harness::intercept,
            ))
    }

    /// Serves on `listen` until SIGTERM or Ctrl-C, then lets in-flight requests finish;
    /// returns the bound address through `on_bound` first (port 0 picks a free one).
    pub async fn serve(
        &self,
        listen: SocketAddr,
        on_bound: impl FnOnce(SocketAddr),
    ) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        on_bound(listener.local_addr()?);
        let config = nx1_server::ServerConfig::default();
        nx1_server_runtime::serve(listener, self.router(), &config).await
    }

    /// Starts the mock on 127.0.0.1 on a free port, in the background of the current tokio
    /// runtime; returns its base URL.
    pub async fn spawn(&self) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let router = self.router();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(format!("http://{address}"))
    }
}

/// A mock being configured for a test.
#[derive(Debug, Default)]
pub struct MockBuilder {
    access: Access,
    jobs: Option<JobStore>,
}

impl MockBuilder {
    /// Accept this pre-shared key (repeatable).
    pub fn psk(mut self, psk: impl Into<String>) -> Self {
        self.access.psks.push(psk.into());
        self
    }

    /// Accept this bearer token (repeatable).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.access.tokens.push(token.into());
        self
    }

    /// The AutoML jobs to start with. Default: [`JobStore::demo`].
    pub fn jobs(mut self, jobs: JobStore) -> Self {
        self.jobs = Some(jobs);
        self
    }

    pub fn build(self) -> Mock {
        Mock::new(self.access, self.jobs.unwrap_or_else(JobStore::demo))
    }

    /// Builds the mock and serves it on 127.0.0.1 on a free port, in the background of the
    /// current tokio runtime, until the runtime ends.
    pub async fn spawn(self) -> std::io::Result<Running> {
        let mock = self.build();
        let base_url = mock.spawn().await?;
        Ok(Running { mock, base_url })
    }
}

/// A mock serving on 127.0.0.1: its base URL, and the mock itself (through `Deref`) for
/// faults, the journal and job state.
#[derive(Debug, Clone)]
pub struct Running {
    mock: Mock,
    base_url: String,
}

impl Running {
    /// `http://127.0.0.1:<port>`, for `Client::builder().base_url(..)`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl std::ops::Deref for Running {
    type Target = Mock;

    fn deref(&self) -> &Mock {
        &self.mock
    }
}

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Psk,
    Token,
}

impl nx1_server::Nx1Api for Mock {
    type Principal = Caller;

    async fn authenticate(
        &self,
        credentials: nx1_server::Credentials,
    ) -> Result<Caller, nx1_server::AuthError> {
        let access = &self.inner.access;
        if let Some(psk) = credentials.api_key()
            && access.psks.iter().any(|known| known == psk)
        {
            return Ok(Caller::Psk);
        }
        if let Some(token) = credentials.bearer()
            && access.tokens.iter().any(|known| known == token)
        {
            return Ok(Caller::Token);
        }
        Err(nx1_server::AuthError::Unauthorized(
            "Invalid credentials".into(),
        ))
    }

    async fn fallback(
        &self,
        operation: &'static OperationSpec,
    ) -> Option<axum::response::Response> {
        // An operation that answers only a stream streams examples of its items.
        if operation.success.is_none() && operation.stream.is_some() {
            return nx1_server_runtime::stream::examples(&self.inner.schemas, operation, 10, None);
        }
        let (status, pointer) = operation.success?;
        let schema = self.inner.schemas.of(operation, pointer)?;
        let body = example::example(&self.inner.schemas, schema);
        let status = axum::http::StatusCode::from_u16(status).ok()?;
        Some(axum::response::IntoResponse::into_response((
            status,
            axum::Json(body),
        )))
    }

    async fn fallback_stream(
        &self,
        operation: &'static OperationSpec,
        last_event_id: Option<String>,
    ) -> Option<axum::response::Response> {
        // Resumed where the client stopped: no example event twice.
        let schemas = &self.inner.schemas;
        nx1_server_runtime::stream::examples(schemas, operation, 10, last_event_id.as_deref())
    }

    async fn get_training_job_statuses(
        &self,
        _caller: Caller,
        request: nx1_server::GetTrainingJobStatusesRequest,
    ) -> nx1_server::GetTrainingJobStatusesResponse {
        let items = self.jobs().statuses(&request.ids.unwrap_or_default());
        nx1_server::GetTrainingJobStatusesResponse::Ok(types::AutoMlTrainingJobStatuses { items })
    }

    async fn trigger_training_job(
        &self,
        _caller: Caller,
        request: nx1_server::TriggerTrainingJobRequest,
    ) -> nx1_server::TriggerTrainingJobResponse {
        use nx1_server::TriggerTrainingJobResponse as Response;
        match self.jobs().trigger(request.job_id) {
            Ok(job) => Response::Ok(job),
            Err(err) => Response::Detail(err.status(), err.to_string()),
        }
    }

    async fn update_training_status(
        &self,
        _caller: Caller,
        request: nx1_server::UpdateTrainingStatusRequest,
    ) -> nx1_server::UpdateTrainingStatusResponse {
        use nx1_server::UpdateTrainingStatusResponse as Response;
        match self.jobs().write_back(request.job_id, &request.body) {
            Ok(job) => Response::Ok(job),
            Err(jobs::TransitionError::UnknownJob(_)) => Response::NotFound(types::ErrorResponse {
                detail: "Training job not found".into(),
            }),
            Err(err) => Response::Detail(err.status(), err.to_string()),
        }
    }
}
