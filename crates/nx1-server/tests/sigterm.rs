//! SIGTERM during a slow request: `serve` stops accepting, the request completes, then
//! `serve` returns `Ok` (a binary's `main` then exits 0). The test sends SIGTERM to its own
//! process, which is why it lives alone in this file: once `serve` listens for the signal,
//! tokio's handler replaces the default that would end the process.

#![cfg(unix)]

use std::time::Duration;

use nx1_server::{
    AuthError, Credentials, GetTrainingJobStatusesRequest, GetTrainingJobStatusesResponse, Nx1Api,
    ServerConfig, types,
};

struct Slow;

impl Nx1Api for Slow {
    type Principal = ();

    async fn authenticate(&self, _: Credentials) -> Result<(), AuthError> {
        Ok(())
    }

    async fn get_training_job_statuses(
        &self,
        _: (),
        _: GetTrainingJobStatusesRequest,
    ) -> GetTrainingJobStatusesResponse {
        tokio::time::sleep(Duration::from_millis(800)).await;
        GetTrainingJobStatusesResponse::Ok(types::AutoMlTrainingJobStatuses { items: vec![] })
    }
}

#[tokio::test]
async fn sigterm_during_a_slow_request_lets_it_finish_then_serve_returns() {
    let config = ServerConfig::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = nx1_server::router_with(Slow, config.clone());
    let server = tokio::spawn(async move { nx1_server::serve(listener, router, &config).await });
    // `serve` listens for the signal from its first poll, long before the kill below.
    let url = format!("http://{address}/api/automl/train/jobs/status");
    let in_flight = tokio::spawn(
        nx1_client::http_client_builder()
            .unwrap()
            .build()
            .unwrap()
            .get(url)
            .header("authorization-psk", "any")
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let served = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns after the drain");
    served.unwrap().unwrap();
}
