//! The generated router on a production day: oversized URIs and headers, more requests
//! than it may serve at once, handlers past their deadline, slow clients, request ids, and
//! a shutdown that lets in-flight requests finish. Everything runs on 127.0.0.1.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use nx1_server::{
    AuthError, Credentials, GetTrainingJobStatusesRequest, GetTrainingJobStatusesResponse, Nx1Api,
    ServerConfig, types,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

const PSK: &str = "good-psk";
const STATUS: &str = "/api/automl/train/jobs/status?ids=6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10";

/// Answers the bulk status after `delay`.
#[derive(Clone)]
struct Slow {
    delay: Duration,
}

impl Nx1Api for Slow {
    type Principal = ();

    async fn authenticate(&self, credentials: Credentials) -> Result<(), AuthError> {
        match credentials.api_key() {
            Some(PSK) => Ok(()),
            _ => Err(AuthError::Unauthorized("Invalid credentials".into())),
        }
    }

    async fn get_training_job_statuses(
        &self,
        _: (),
        _: GetTrainingJobStatusesRequest,
    ) -> GetTrainingJobStatusesResponse {
        tokio::time::sleep(self.delay).await;
        GetTrainingJobStatusesResponse::Ok(types::AutoMlTrainingJobStatuses { items: vec![] })
    }
}

fn status_request() -> Request<Body> {
    Request::get(STATUS)
        .header("authorization-psk", PSK)
        .body(Body::empty())
        .unwrap()
}

fn router(delay: Duration, config: ServerConfig) -> axum::Router {
    nx1_server::router_with(Slow { delay }, config)
}

#[tokio::test]
async fn a_64_kib_header_answers_431() {
    let request = Request::get(STATUS)
        .header("authorization-psk", PSK)
        .header("x-padding", "a".repeat(64 * 1024))
        .body(Body::empty())
        .unwrap();
    let response = router(Duration::ZERO, ServerConfig::default())
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
}

#[tokio::test]
async fn a_uri_past_the_limit_answers_414() {
    let ids = "&ids=6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10".repeat(300);
    let request = Request::get(format!("{STATUS}{ids}"))
        .header("authorization-psk", PSK)
        .body(Body::empty())
        .unwrap();
    let response = router(Duration::ZERO, ServerConfig::default())
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::URI_TOO_LONG);
}

#[tokio::test]
async fn over_the_concurrency_limit_answers_503_with_retry_after() {
    let config = ServerConfig {
        max_concurrent: 1,
        retry_after: 2,
        ..Default::default()
    };
    let router = router(Duration::from_millis(400), config);
    let first = tokio::spawn(router.clone().oneshot(status_request()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = router.clone().oneshot(status_request()).await.unwrap();
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second.headers()[header::RETRY_AFTER], "2");
    assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
    // The permit is back: the next one is served.
    let third = router.oneshot(status_request()).await.unwrap();
    assert_eq!(third.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_dropped_in_flight_gives_its_place_back() {
    let config = ServerConfig {
        max_concurrent: 1,
        ..Default::default()
    };
    let router = router(Duration::from_millis(400), config);
    // The client goes away while the handler still works: its future is dropped.
    let gone = tokio::time::timeout(
        Duration::from_millis(100),
        router.clone().oneshot(status_request()),
    )
    .await;
    assert!(gone.is_err(), "the slow handler answered within 100 ms");
    let next = router.oneshot(status_request()).await.unwrap();
    assert_eq!(next.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_handler_past_its_deadline_answers_504() {
    let config = ServerConfig {
        request_timeout: Duration::from_millis(100),
        ..Default::default()
    };
    let response = router(Duration::from_secs(5), config)
        .oneshot(status_request())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let router = router(Duration::ZERO, ServerConfig::default());
    let mut request = status_request();
    request
        .headers_mut()
        .insert("x-request-id", "abc-123".parse().unwrap());
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    let response = router.oneshot(status_request()).await.unwrap();
    let made = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(made).is_ok(), "{made}");
}

/// Serves on a free port until `stop` fires; returns the address and the server task.
async fn spawn(
    delay: Duration,
    config: ServerConfig,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = router(delay, config.clone());
    let server = tokio::spawn(async move {
        nx1_server_runtime::serve_with_shutdown(listener, router, &config, async {
            let _ = stopped.await;
        })
        .await
    });
    (address, stop, server)
}

#[tokio::test]
async fn a_client_that_sends_its_head_too_slowly_is_cut_off() {
    let config = ServerConfig {
        header_read_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let (address, stop, server) = spawn(Duration::ZERO, config).await;
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Never finish the head: the server closes the connection (possibly after a 408).
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was still open after 5 s");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish() {
    let (address, stop, server) = spawn(Duration::from_millis(500), ServerConfig::default()).await;
    let client = nx1_client::http_client_builder().unwrap().build().unwrap();
    let url = format!("http://{address}{STATUS}");
    let in_flight = tokio::spawn(client.get(&url).header("authorization-psk", PSK).send());
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.send(()).unwrap();
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns once drained")
        .unwrap()
        .unwrap();
    // The listener is gone.
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
}

/// Collects what the `fmt` subscriber writes.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_request_is_one_span_with_its_operation_route_and_status() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut request = status_request();
    request
        .headers_mut()
        .insert("x-request-id", "trace-me".parse().unwrap());
    let response = router(Duration::ZERO, ServerConfig::default())
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|line| line.contains("answered"))
        .unwrap_or_else(|| panic!("no `answered` event in:\n{log}"));
    for field in [
        "method=GET",
        "request_id=trace-me",
        "route=/api/automl/train/jobs/status",
        "operation=\"get_training_job_statuses\"",
        "status=200",
        "latency_ms=",
    ] {
        assert!(line.contains(field), "`{field}` missing from: {line}");
    }
    // The route template, never the raw path with its ids.
    assert!(
        !line.contains("6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10"),
        "{line}"
    );
}
