//! The README's server example: one operation implemented, PSK authentication, served on
//! 127.0.0.1:8000 (or the address in `NX1_LISTEN`; port 0 picks a free one).
//! `cargo run -p nx1-server --example jobs`
use nx1_server::{AuthError, Credentials, Nx1Api, types};
use nx1_server::{
    GetTrainingJobStatusesRequest as StatusRequest,
    GetTrainingJobStatusesResponse as StatusResponse,
};

struct Jobs;

impl Nx1Api for Jobs {
    type Principal = String;

    async fn authenticate(&self, credentials: Credentials) -> Result<String, AuthError> {
        match credentials.api_key() {
            Some("my-psk") => Ok("dag".into()),
            _ => Err(AuthError::Unauthorized("Invalid PSK".into())),
        }
    }

    async fn get_training_job_statuses(
        &self,
        _who: String,
        request: StatusRequest,
    ) -> StatusResponse {
        let items = request.ids.unwrap_or_default().into_iter().map(|job_id| {
            types::AutoMlTrainingJobStatusItem {
                job_id,
                status: types::AutoMlTrainingJobStatus::Queued,
                error_message: None,
                updated_at: chrono::Utc::now(),
            }
        });
        StatusResponse::Ok(types::AutoMlTrainingJobStatuses {
            items: items.collect(),
        })
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = nx1_server::ServerConfig::default();
    let router = nx1_server::router_with(Jobs, config.clone());
    let address = std::env::var("NX1_LISTEN").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|err| {
            std::io::Error::new(
                err.kind(),
                format!("cannot listen on {address} ({err}); set NX1_LISTEN to another address"),
            )
        })?;
    println!(
        "jobs: serving the Nx1 API on http://{} (PSK `my-psk`; Ctrl-C stops)",
        listener.local_addr()?
    );
    // Until SIGTERM or Ctrl-C; then in-flight requests finish (up to 30 s).
    nx1_server::serve(listener, router, &config).await
}
