//! The generated client against axum stubs on 127.0.0.1:0: what goes on the wire and what
//! comes back decoded.

use std::sync::{Arc, Mutex};

use anyhow::Result;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use nx1_client::{Client, ErrorExt, types};
use uuid::Uuid;

/// What the stub saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Answers every request with `status` and the JSON `body`, recording what it got.
async fn stub(status: StatusCode, body: &'static str) -> Result<(String, Log)> {
    let log: Log = Arc::default();
    let record = log.clone();
    let app = Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, request: Bytes| {
            record.lock().unwrap().push(Seen {
                method,
                uri,
                headers,
                body: request,
            });
            std::future::ready((status, [(header::CONTENT_TYPE, "application/json")], body))
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{address}"), log))
}

fn only(log: &Log) -> Seen {
    let seen = log.lock().unwrap();
    assert_eq!(seen.len(), 1, "expected exactly one request, got {seen:?}");
    seen[0].clone()
}

const STATUSES: &str = r#"{"items": [
  {"job_id": "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10", "status": "running", "updated_at": "2026-11-28T10:00:00Z"},
  {"job_id": "0b7d6a0e-2f6c-4d1f-8a8e-5c7b9e2d4f31", "status": "failed", "error_message": "oom", "updated_at": "2026-11-28T10:05:00Z"}
]}"#;

#[tokio::test]
async fn bulk_status_sends_repeated_ids_and_the_psk() -> Result<()> {
    let (base, log) = stub(StatusCode::OK, STATUSES).await?;
    let client = Client::builder()
        .base_url(&base)
        .psk("s3cret-psk")
        .build()?;
    let a: Uuid = "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10".parse()?;
    let b: Uuid = "0b7d6a0e-2f6c-4d1f-8a8e-5c7b9e2d4f31".parse()?;

    let response = client.get_training_job_statuses(&[a, b]).await?;

    let seen = only(&log);
    assert_eq!(seen.method, Method::GET);
    assert_eq!(
        seen.uri.to_string(),
        format!("/api/automl/train/jobs/status?ids={a}&ids={b}")
    );
    assert_eq!(seen.headers["authorization-psk"], "s3cret-psk");
    assert!(seen.headers.get(header::AUTHORIZATION).is_none());
    let statuses = response.into_inner();
    assert_eq!(statuses.items.len(), 2);
    assert_eq!(statuses.items[0].job_id, a);
    assert_eq!(
        statuses.items[0].status,
        types::AutoMlTrainingJobStatus::Running
    );
    assert_eq!(statuses.items[1].error_message.as_deref(), Some("oom"));
    Ok(())
}

#[tokio::test]
async fn a_bearer_token_wins_where_the_spec_lists_oauth2_first() -> Result<()> {
    let (base, log) = stub(StatusCode::OK, STATUSES).await?;
    let client = Client::builder()
        .base_url(&base)
        .psk("psk")
        .bearer_token("tok")
        .build()?;
    client.get_training_job_statuses(&[]).await?;
    let seen = only(&log);
    assert_eq!(seen.uri.path(), "/api/automl/train/jobs/status");
    assert_eq!(seen.uri.query(), None);
    assert_eq!(seen.headers[header::AUTHORIZATION], "Bearer tok");
    assert!(seen.headers.get("authorization-psk").is_none());
    Ok(())
}

#[tokio::test]
async fn psk_only_operations_never_send_a_bearer_token() -> Result<()> {
    let (base, log) = stub(
        StatusCode::OK,
        r#"{"id": "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10"}"#,
    )
    .await?;
    let client = Client::builder()
        .base_url(&base)
        .bearer_token("tok")
        .build()?;
    let update = types::AutoMlTrainingStatusUpdate {
        status: types::AutoMlTrainingJobStatus::Complete,
        error_message: None,
        mlflow_run_id: None,
        registered_model_name: None,
    };
    // The stub's body is not a full job; only the request matters here.
    let _ = client.update_training_status(&Uuid::nil(), &update).await;
    let seen = only(&log);
    assert_eq!(seen.method, Method::PUT);
    assert!(seen.headers.get(header::AUTHORIZATION).is_none());
    assert!(seen.headers.get("authorization-psk").is_none());
    let body: serde_json::Value = serde_json::from_slice(&seen.body)?;
    assert_eq!(body, serde_json::json!({"status": "complete"}));
    Ok(())
}

#[tokio::test]
async fn validation_errors_decode_as_typed_422s() -> Result<()> {
    let (base, _log) = stub(
        StatusCode::UNPROCESSABLE_ENTITY,
        r#"{"detail": [{"type": "uuid_parsing", "loc": ["query", "ids", 0], "msg": "Input should be a valid UUID", "input": "x"}]}"#,
    )
    .await?;
    let client = Client::builder().base_url(&base).psk("psk").build()?;
    let err = client.get_training_job_statuses(&[]).await.unwrap_err();
    assert_eq!(err.status_code(), Some(422));
    assert_eq!(
        err.to_string(),
        "get_training_job_statuses: 422 Unprocessable Entity: query.ids.0: Input should be a valid UUID"
    );
    let Some(body) = err.body() else {
        panic!("expected a typed error response, got {err:?}");
    };
    let detail = &body.detail;
    assert_eq!(detail.len(), 1);
    assert_eq!(detail[0].msg, "Input should be a valid UUID");
    Ok(())
}

#[tokio::test]
async fn several_error_schemas_decode_into_one_union() -> Result<()> {
    let (base, _log) = stub(StatusCode::BAD_REQUEST, r#"{"detail": "app name taken"}"#).await?;
    let client = Client::builder().base_url(&base).psk("psk").build()?;
    let request = types::CreateAppRequest {
        app_name: "demo".into(),
        app_type: types::AppTypeEnum::HandAuthored,
    };
    let err = client.create_app(&request).await.unwrap_err();
    assert_eq!(err.status_code(), Some(400));
    assert_eq!(err.detail().as_deref(), Some("app name taken"));
    let Some(body) = err.body() else {
        panic!("expected a typed error response, got {err:?}");
    };
    match body {
        types::CreateAppError::ErrorResponse(body) => assert_eq!(body.detail, "app name taken"),
        other => panic!("decoded as the wrong variant: {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn bodiless_401_keeps_its_status() -> Result<()> {
    let (base, _log) = stub(
        StatusCode::UNAUTHORIZED,
        r#"{"detail": "Not authenticated"}"#,
    )
    .await?;
    let client = Client::builder().base_url(&base).build()?;
    let err = client.get_training_job_statuses(&[]).await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(!err.is_retryable());
    // Undocumented bodies are still read: the server's words reach the caller.
    assert_eq!(err.detail().as_deref(), Some("Not authenticated"));
    Ok(())
}

#[tokio::test]
async fn multipart_uploads_carry_the_file_and_its_name() -> Result<()> {
    let (base, log) = stub(
        StatusCode::OK,
        r#"{"id": 1, "file_name": "data.csv", "file_url": "s3://b/data.csv"}"#,
    )
    .await?;
    let client = Client::builder().base_url(&base).psk("psk").build()?;
    let form = nx1_client::forms::UploadFileForm {
        file: Some(
            nx1_client::forms::FilePart::new("data.csv", b"a,b\n1,2\n".to_vec())
                .with_content_type("text/csv"),
        ),
    };
    let _ = client.upload_file(form).await;
    let seen = only(&log);
    assert_eq!(seen.uri.path(), "/api/files/file");
    let content_type = seen.headers[header::CONTENT_TYPE].to_str()?;
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let body = String::from_utf8_lossy(&seen.body);
    assert!(
        body.contains(r#"name="file"; filename="data.csv""#),
        "{body}"
    );
    assert!(body.contains("Content-Type: text/csv"), "{body}");
    assert!(
        body.contains("a,b\r\n1,2\r\n") || body.contains("a,b\n1,2\n"),
        "{body}"
    );
    assert_eq!(seen.headers["authorization-psk"], "psk");
    Ok(())
}

#[test]
fn secrets_never_show_in_debug_output() -> Result<()> {
    let builder = Client::builder()
        .base_url("http://127.0.0.1:1")
        .psk("top-secret-psk")
        .bearer_token("top-secret-token");
    assert!(!format!("{builder:?}").contains("top-secret"));
    let client = builder.build()?;
    assert!(!format!("{client:?}").contains("top-secret"), "{client:?}");
    Ok(())
}

#[test]
fn builder_errors_say_what_to_do() {
    let err = Client::builder().build().unwrap_err().to_string();
    assert!(err.contains("call .base_url"), "{err}");
    let err = Client::builder()
        .base_url("ftp://x")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("scheme `ftp`"), "{err}");
    let err = Client::builder()
        .base_url("http://x")
        .psk("bad\nvalue")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("psk contains characters"), "{err}");
}

#[tokio::test]
async fn the_proxy_path_keeps_its_slashes() -> Result<()> {
    let (base, log) = stub(StatusCode::OK, r#"{"score": 0.9}"#).await?;
    let client = Client::builder().base_url(&base).psk("psk").build()?;
    let answer = client
        .proxy_online_deployment_get("churn model", "online", "v1/models/score")
        .await?
        .into_inner();
    assert_eq!(answer["score"], 0.9);
    let seen = only(&log);
    // Each segment encoded, the separators kept: FastAPI's `{path:path}`.
    assert_eq!(
        seen.uri.path(),
        "/api/models/churn%20model/deployments/online/run/v1/models/score"
    );
    Ok(())
}

/// A bulk-status server that answers every id it is asked for except `unknown`, and
/// records each request's URI and how many requests were in flight at once.
async fn status_server(
    unknown: Uuid,
) -> Result<(
    String,
    Arc<Mutex<Vec<Uri>>>,
    Arc<std::sync::atomic::AtomicUsize>,
)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let uris: Arc<Mutex<Vec<Uri>>> = Arc::default();
    let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let record = (uris.clone(), in_flight.clone(), peak.clone());
    let app = Router::new().fallback(move |uri: Uri| {
        let (uris, in_flight, peak) = record.clone();
        async move {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap();
            let items: Vec<serde_json::Value> = pairs
                .iter()
                .filter(|(key, id)| key == "ids" && *id != unknown.to_string())
                .map(|(_, id)| {
                    serde_json::json!({"job_id": id, "status": "queued", "updated_at": "2026-11-28T10:00:00Z"})
                })
                .collect();
            uris.lock().unwrap().push(uri);
            in_flight.fetch_sub(1, Ordering::SeqCst);
            axum::Json(serde_json::json!({"items": items}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{address}"), uris, peak))
}

#[tokio::test]
async fn ten_thousand_statuses_in_urls_under_the_limit_in_the_callers_order() -> Result<()> {
    let unknown = Uuid::new_v4();
    let (base, uris, peak) = status_server(unknown).await?;
    let client = Client::builder().base_url(&base).psk("k").build()?;
    // 10,000 ids: 9,000 distinct, every tenth a repeat of an earlier one, one unknown.
    let distinct: Vec<Uuid> = (0..9_000).map(|_| Uuid::new_v4()).collect();
    let mut ids = Vec::new();
    for (index, id) in distinct.iter().enumerate() {
        ids.push(*id);
        if index % 9 == 0 {
            ids.push(distinct[index / 2]);
        }
    }
    ids.insert(5_000, unknown);
    assert_eq!(ids.len(), 10_001);

    let items = client.training_job_statuses(&ids).await?;
    let returned: Vec<Uuid> = items.iter().map(|item| item.job_id).collect();
    assert_eq!(
        returned, distinct,
        "one item per known id, in first-occurrence order"
    );

    let uris = uris.lock().unwrap().clone();
    let longest = uris
        .iter()
        .map(|uri| base.len() + uri.to_string().len())
        .max()
        .unwrap_or(0);
    assert!(longest <= 8 * 1024, "a URL of {longest} bytes");
    let sent: Vec<String> = uris
        .iter()
        .flat_map(|uri| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or_default())
                .unwrap()
        })
        .map(|(_, id)| id)
        .collect();
    let unique: std::collections::HashSet<&String> = sent.iter().collect();
    assert_eq!(sent.len(), 9_001, "each distinct id is sent once");
    assert_eq!(unique.len(), 9_001);
    let peak = peak.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (2..=4).contains(&peak),
        "{peak} requests were in flight at once"
    );
    println!(
        "bulk: {} requests, longest URL {longest} bytes, {peak} in flight",
        uris.len()
    );
    Ok(())
}
