//! The two services every server benchmark compares, shared by the in-process bench and
//! the `nx1-bench-serve` binary the loopback load runs against: the generated router (the
//! trait implemented as an application would) and a hand-written axum service doing the
//! same work (PSK check, the repeated `ids` parsed as UUIDs, the items answered as JSON; the
//! status writeback's JSON body read and a job answered).

use axum::Router;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use nx1_server::{AuthError, Credentials, Nx1Api, types};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const PSK: &str = "bench-psk";

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_764_460_800, 0).unwrap_or_default()
}

// ----------------------------------------------------------------------------------------
// The generated side: the trait, implemented as an application would.

pub struct Generated;

fn job(job_id: Uuid, status: types::AutoMlTrainingJobStatus) -> types::AutoMlTrainingJobResponse {
    types::AutoMlTrainingJobResponse {
        airflow_dag_id: None,
        airflow_dag_url: None,
        algorithm: types::AutoMlAlgorithm::LightgbmClassifier,
        created_at: now(),
        domain: "demo".into(),
        error_message: None,
        feature_engineering_job_id: None,
        job_id,
        mlflow_experiment_name: None,
        mlflow_run_id: None,
        name: "bench".into(),
        owner: "bench".into(),
        preset: types::AutoMlPreset::Balanced,
        problem_type: types::AutoMlProblemType::BinaryClassification,
        registered_model_name: None,
        rendered_dag: None,
        source_table: "demo.features".into(),
        status,
        updated_at: now(),
    }
}

impl Nx1Api for Generated {
    type Principal = ();

    async fn authenticate(&self, credentials: Credentials) -> Result<(), AuthError> {
        match credentials.api_key() {
            Some(PSK) => Ok(()),
            _ => Err(AuthError::Unauthorized("Invalid PSK".into())),
        }
    }

    async fn get_training_job_statuses(
        &self,
        _: (),
        request: nx1_server::GetTrainingJobStatusesRequest,
    ) -> nx1_server::GetTrainingJobStatusesResponse {
        let items = request
            .ids
            .unwrap_or_default()
            .into_iter()
            .map(|job_id| types::AutoMlTrainingJobStatusItem {
                job_id,
                status: types::AutoMlTrainingJobStatus::Queued,
                error_message: None,
                updated_at: now(),
            })
            .collect();
        nx1_server::GetTrainingJobStatusesResponse::Ok(types::AutoMlTrainingJobStatuses { items })
    }

    async fn update_training_status(
        &self,
        _: (),
        request: nx1_server::UpdateTrainingStatusRequest,
    ) -> nx1_server::UpdateTrainingStatusResponse {
        nx1_server::UpdateTrainingStatusResponse::Ok(job(request.job_id, request.body.status))
    }
}

// ----------------------------------------------------------------------------------------
// The baseline: what a careful hand-written axum service does for the same two operations.

#[derive(Serialize)]
struct Item {
    job_id: Uuid,
    status: &'static str,
    error_message: Option<String>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize)]
struct Items {
    items: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ready,
    Queued,
    Running,
    Complete,
    Failed,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Update {
    status: Status,
    error_message: Option<String>,
    mlflow_run_id: Option<String>,
    registered_model_name: Option<String>,
}

fn detail(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "detail": text }))).into_response()
}

/// `None` when the PSK is right, else the refusal.
fn refusal(headers: &HeaderMap) -> Option<Response> {
    match headers
        .get("authorization-psk")
        .map(|value| value.as_bytes())
    {
        Some(value) if value == PSK.as_bytes() => None,
        Some(_) => Some(detail(StatusCode::UNAUTHORIZED, "Invalid PSK")),
        None => Some(detail(StatusCode::UNAUTHORIZED, "Not authenticated")),
    }
}

async fn statuses(headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let mut items = Vec::new();
    for (index, pair) in query.as_deref().unwrap_or("").split('&').enumerate() {
        let Some(text) = pair.strip_prefix("ids=") else {
            continue;
        };
        match Uuid::parse_str(text) {
            Ok(job_id) => items.push(Item {
                job_id,
                status: "queued",
                error_message: None,
                updated_at: now(),
            }),
            Err(err) => {
                let body = serde_json::json!({"detail": [{
                    "type": "uuid_parsing",
                    "loc": ["query", "ids", index],
                    "msg": format!("Input should be a valid UUID, {err}"),
                    "input": text,
                }]});
                return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response();
            }
        }
    }
    axum::Json(Items { items }).into_response()
}

async fn writeback(
    Path(job_id): Path<Uuid>,
    headers: HeaderMap,
    axum::Json(update): axum::Json<Update>,
) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let status = match update.status {
        Status::Ready => types::AutoMlTrainingJobStatus::Ready,
        Status::Queued => types::AutoMlTrainingJobStatus::Queued,
        Status::Running => types::AutoMlTrainingJobStatus::Running,
        Status::Complete => types::AutoMlTrainingJobStatus::Complete,
        Status::Failed => types::AutoMlTrainingJobStatus::Failed,
    };
    axum::Json(job(job_id, status)).into_response()
}

pub fn hand_written() -> Router {
    Router::new()
        .route("/api/automl/train/jobs/status", get(statuses))
        .route("/api/automl/train/jobs/{job_id}/status", put(writeback))
}

/// [`hand_written`] with what the generated router does on top of the operation, made of
/// tower-http's layers as a careful author would add them: a request id set and echoed, a
/// `tracing` span per request, a timeout, a body limit and a concurrency limit.
pub fn hand_written_with_layers() -> Router {
    use std::time::Duration;
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

    let request_id = axum::http::HeaderName::from_static("x-request-id");
    hand_written()
        .layer(tower::limit::ConcurrencyLimitLayer::new(512))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            16 * 1024 * 1024,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
