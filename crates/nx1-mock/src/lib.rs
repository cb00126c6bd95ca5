//! An in-memory Nx1 AI API built on the generated `Nx1Api` trait: the project's embedded
//! default, so that examples and contract tests need no network and no real credentials.
//!
//! AutoML training jobs are stateful (`ready → queued → running → complete | failed`);
//! every other operation answers a schema-valid example of its success response.

mod jobs;
mod spec;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use nx1_server::types;
use nx1_server_runtime::{OperationSpec, SchemaSet, example};

pub use jobs::{JobStore, SeedError};
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
            }),
        }
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
        Router::new()
            .route("/openapi.json", spec_route)
            .merge(nx1_server::router(self.clone()))
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
        let (status, pointer) = operation.success?;
        let schema = self.inner.schemas.of(operation, pointer)?;
        let body = example::example(&self.inner.schemas, schema);
        let status = axum::http::StatusCode::from_u16(status).ok()?;
        Some(axum::response::IntoResponse::into_response((
            status,
            axum::Json(body),
        )))
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
