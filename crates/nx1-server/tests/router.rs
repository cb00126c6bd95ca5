//! The generated router, driven with `tower::ServiceExt::oneshot` (no socket): FastAPI's
//! answers to bad input, missing credentials, unknown paths and methods, compared as whole
//! JSON documents.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use nx1_server::{
    AuthError, Credentials, GetTrainingJobStatusesRequest, GetTrainingJobStatusesResponse, Nx1Api,
    OPERATIONS, types,
};
use serde_json::{Value, json};
use tower::ServiceExt;

const PSK: &str = "good-psk";
const TOKEN: &str = "good-token";

/// Serves the bulk-status operation; everything else keeps its 501 default.
struct Stub;

impl Nx1Api for Stub {
    type Principal = String;

    async fn authenticate(&self, credentials: Credentials) -> Result<String, AuthError> {
        match (credentials.api_key(), credentials.bearer()) {
            (Some(PSK), _) => Ok("psk-user".into()),
            (_, Some(TOKEN)) => Ok("token-user".into()),
            (_, Some("forbidden")) => Err(AuthError::Forbidden("Not enough roles".into())),
            _ => Err(AuthError::Unauthorized("Invalid credentials".into())),
        }
    }

    async fn get_training_job_statuses(
        &self,
        _principal: String,
        request: GetTrainingJobStatusesRequest,
    ) -> GetTrainingJobStatusesResponse {
        let items = request
            .ids
            .unwrap_or_default()
            .into_iter()
            .map(|job_id| types::AutoMlTrainingJobStatusItem {
                job_id,
                status: types::AutoMlTrainingJobStatus::Queued,
                error_message: None,
                updated_at: "2026-11-28T10:00:00Z".parse().unwrap(),
            })
            .collect();
        GetTrainingJobStatusesResponse::Ok(types::AutoMlTrainingJobStatuses { items })
    }
}

async fn send(request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = nx1_server::router(Stub).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
    };
    (status, headers, body)
}

fn get(uri: &str) -> axum::http::request::Builder {
    Request::builder().method("GET").uri(uri)
}

#[tokio::test]
async fn bulk_status_validates_each_id_with_pydantics_words() {
    let (status, _, body) = send(
        get("/api/automl/train/jobs/status?ids=6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10&ids=nope")
            .header("authorization-psk", PSK)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{
            "type": "uuid_parsing",
            "loc": ["query", "ids", 1],
            "msg": "Input should be a valid UUID, invalid character: found `n` at 0",
            "input": "nope",
            "ctx": {"error": "invalid character: found `n` at 0"}
        }]})
    );
}

#[tokio::test]
async fn bulk_status_serves_the_implementation() {
    let (status, headers, body) = send(
        get("/api/automl/train/jobs/status?ids=6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    // An unset optional that may be null is written as null, as FastAPI's response model
    // writes it.
    assert_eq!(
        body,
        json!({"items": [{"job_id": "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10", "status": "queued", "error_message": null, "updated_at": "2026-11-28T10:00:00Z"}]})
    );
}

#[tokio::test]
async fn static_route_wins_over_the_job_id_route() {
    // `status` must never be read as a `{job_id}`: PUT on the bulk path is a 405, not a
    // validation error of the writeback's job id.
    let (status, headers, body) = send(
        Request::builder()
            .method("PUT")
            .uri("/api/automl/train/jobs/status")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "GET");
    assert_eq!(body, json!({"detail": "Method Not Allowed"}));
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let (status, _, body) = send(get("/api/nothing/here").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Not Found"}));
}

/// A concrete request for an operation, its path variables filled with a UUID.
fn request_for(index: usize) -> Request<Body> {
    let operation = &OPERATIONS[index];
    let (method, template) = (operation.method(), operation.path());
    let path = template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn every_secured_operation_answers_401_without_credentials() {
    assert_eq!(OPERATIONS.len(), 41);
    let mut checked = 0;
    for (index, operation) in OPERATIONS.iter().enumerate() {
        if operation.security.is_empty() {
            continue;
        }
        let (status, headers, body) = send(request_for(index)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", operation.id);
        assert_eq!(
            body,
            json!({"detail": "Not authenticated"}),
            "{}",
            operation.id
        );
        assert!(
            headers.contains_key(header::WWW_AUTHENTICATE),
            "{}",
            operation.id
        );
        checked += 1;
    }
    assert_eq!(checked, 41, "every operation of the Nx1 spec is secured");
}

#[tokio::test]
async fn unimplemented_operations_answer_501() {
    let (status, _, body) = send(
        get("/api/app")
            .header("authorization-psk", PSK)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(body, json!({"detail": "Not Implemented"}));
}

#[tokio::test]
async fn psk_only_operations_refuse_bearer_tokens() {
    let (status, headers, body) = send(
        Request::builder()
            .method("PUT")
            .uri("/api/automl/train/jobs/6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10/status")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"status": "running"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Not authenticated"}));
    assert_eq!(headers[header::WWW_AUTHENTICATE], "APIKey");
}

#[tokio::test]
async fn rejected_and_forbidden_credentials() {
    let (status, _, body) = send(
        get("/api/app")
            .header(header::AUTHORIZATION, "Bearer wrong")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Invalid credentials"}));
    let (status, _, body) = send(
        get("/api/app")
            .header(header::AUTHORIZATION, "Bearer forbidden")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"detail": "Not enough roles"}));
}

fn writeback(body: &'static str) -> Request<Body> {
    Request::builder()
        .method("PUT")
        .uri("/api/automl/train/jobs/not-a-uuid/status")
        .header("authorization-psk", PSK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn json_syntax_errors_answer_before_anything_else() {
    let (status, _, body) = send(writeback("{\"status\": ")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "json_invalid", "loc": ["body", 11], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting value"}}]})
    );
}

#[tokio::test]
async fn all_errors_of_a_request_are_reported_together() {
    let (status, _, body) = send(writeback(r#"{"status": "done", "error_message": 5}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [
            {"type": "uuid_parsing", "loc": ["path", "job_id"], "msg": "Input should be a valid UUID, invalid character: found `n` at 0", "input": "not-a-uuid", "ctx": {"error": "invalid character: found `n` at 0"}},
            {"type": "enum", "loc": ["body", "status"], "msg": "Input should be 'ready', 'queued', 'running', 'complete' or 'failed'", "input": "done", "ctx": {"expected": "'ready', 'queued', 'running', 'complete' or 'failed'"}},
            {"type": "string_type", "loc": ["body", "error_message"], "msg": "Input should be a valid string", "input": 5}
        ]})
    );
}

#[tokio::test]
async fn a_missing_body_is_a_missing_field() {
    let (status, _, body) = send(writeback("")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["detail"][1],
        json!({"type": "missing", "loc": ["body"], "msg": "Field required", "input": null})
    );
}

#[tokio::test]
async fn oversized_bodies_answer_413() {
    let router = nx1_server::router_with(
        Stub,
        nx1_server::ServerConfig {
            body_limit: 16,
            ..Default::default()
        },
    );
    let response = router
        .oneshot(writeback(
            r#"{"status": "running", "error_message": "a long message"}"#,
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        body,
        json!({"detail": "Request body exceeds the limit of 16 bytes"})
    );
}

#[tokio::test]
async fn the_proxy_path_parameter_spans_segments() {
    // Authenticated and routed: the default 501 proves the multi-segment path matched.
    let (status, _, _) = send(
        get("/api/models/m/deployments/d/run/v1/models/score")
            .header("authorization-psk", PSK)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
}

#[tokio::test]
async fn the_generated_client_talks_to_the_generated_router() -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, nx1_server::router(Stub)).await });
    let client = nx1_client::Client::builder()
        .base_url(format!("http://{address}"))
        .psk(PSK)
        .build()?;
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    let statuses = client
        .get_training_job_statuses(&[a, b])
        .await?
        .into_inner();
    let ids: Vec<_> = statuses.items.iter().map(|item| item.job_id).collect();
    assert_eq!(ids, [a, b]);
    assert_eq!(
        statuses.items[0].status,
        nx1_client::types::AutoMlTrainingJobStatus::Queued
    );

    // Without credentials the client sees the server's 401.
    let anonymous = nx1_client::Client::builder()
        .base_url(format!("http://{address}"))
        .build()?;
    let err = anonymous.get_training_job_statuses(&[]).await.unwrap_err();
    assert_eq!(err.status().map(|status| status.as_u16()), Some(401));
    Ok(())
}

#[test]
fn client_and_server_types_write_the_same_json() {
    let document = json!({
        "items": [{"job_id": "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10", "status": "failed",
                   "error_message": "oom", "updated_at": "2026-11-28T10:00:00Z"}]
    });
    let client: nx1_client::types::AutoMlTrainingJobStatuses =
        serde_json::from_value(document.clone()).unwrap();
    let server: types::AutoMlTrainingJobStatuses =
        serde_json::from_value(serde_json::to_value(&client).unwrap()).unwrap();
    assert_eq!(serde_json::to_value(&server).unwrap(), document);
}

#[tokio::test]
async fn trailing_slashes_redirect_like_starlette() {
    let response = nx1_server::router(Stub)
        .oneshot(
            get("/api/automl/train/jobs/status/?ids=a")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/api/automl/train/jobs/status?ids=a",
        "no Host: relative"
    );
    let response = nx1_server::router(Stub)
        .oneshot(
            get("/api/automl/train/jobs/status/?ids=a")
                .header(header::HOST, "api.example.com:8000")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        response.headers()[header::LOCATION],
        "http://api.example.com:8000/api/automl/train/jobs/status?ids=a",
        "absolute, as Starlette's RedirectResponse(request.url.replace(path=…))"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_fails_model_validation() {
    let (status, _, body) = send(
        Request::builder()
            .method("PUT")
            .uri("/api/automl/train/jobs/6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10/status")
            .header("authorization-psk", PSK)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("status=running"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "model_attributes_type", "loc": ["body"],
                "msg": "Input should be a valid dictionary or object to extract fields from",
                "input": "status=running"}]})
    );
}

/// Panics in `authenticate` (for one token) and in a handler; serves nothing else.
struct Panicky;

impl Nx1Api for Panicky {
    type Principal = String;

    async fn authenticate(&self, credentials: Credentials) -> Result<String, AuthError> {
        if credentials.bearer() == Some("explode") {
            panic!("the token store is gone");
        }
        Ok("someone".into())
    }

    async fn get_training_job_statuses(
        &self,
        _principal: String,
        _request: GetTrainingJobStatusesRequest,
    ) -> GetTrainingJobStatusesResponse {
        panic!("out of cheese")
    }
}

#[tokio::test]
async fn a_panic_answers_fastapis_500_and_the_server_keeps_serving() {
    let router = nx1_server::router(Panicky);
    let status_request = |token: &str| {
        get("/api/automl/train/jobs/status?ids=6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10")
            .header("authorization-psk", PSK)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    for token in ["fine", "explode"] {
        let response = router.clone().oneshot(status_request(token)).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{token}"
        );
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"Internal Server Error");
    }
    // The same router answers the next request as usual.
    let response = router.oneshot(request_for(0)).await.unwrap();
    assert_ne!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// Re-maps every refusal to RFC 9457 problem details, keeping the status.
struct ProblemDetails;

impl Nx1Api for ProblemDetails {
    type Principal = ();

    async fn authenticate(&self, _: Credentials) -> Result<(), AuthError> {
        Err(AuthError::Forbidden("nobody".into()))
    }

    fn reject(
        &self,
        operation: Option<&'static nx1_server_runtime::OperationSpec>,
        rejection: nx1_server_runtime::Rejection,
    ) -> axum::response::Response {
        let body = json!({
            "title": rejection.to_string(),
            "status": rejection.status().as_u16(),
            "operation": operation.map(|operation| operation.id),
            "invalid": matches!(rejection, nx1_server_runtime::Rejection::Invalid(_)),
        });
        axum::response::IntoResponse::into_response((rejection.status(), axum::Json(body)))
    }
}

#[tokio::test]
async fn an_implementation_can_remap_every_rejection() {
    let answer = |request: Request<Body>| async {
        let response = nx1_server::router(ProblemDetails)
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice::<Value>(&bytes).unwrap())
    };
    let (status, body) = answer(get("/api/nothing/here").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["operation"], Value::Null);
    assert_eq!(body["title"], "no route matches the path");

    let (status, body) = answer(
        get("/api/automl/train/jobs/status?ids=nope")
            .header("Authorization-PSK", PSK)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["operation"], "get_training_job_statuses");
    assert_eq!(body["title"], "forbidden: nobody");

    let (status, body) = answer(
        get("/api/automl/train/jobs/status?ids=nope")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["status"], 401);
}

#[tokio::test]
async fn the_default_rejection_hook_keeps_fastapis_bytes() {
    let (status, _, body) = send(
        get("/api/automl/train/jobs/status?ids=nope")
            .header("authorization-psk", "wrong")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Invalid credentials"}));
}
