//! The README's server example: one operation implemented, PSK authentication, served on
//! 127.0.0.1:8000. `cargo run -p nx1-server --example jobs`
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    // Until SIGTERM or Ctrl-C; then in-flight requests finish (up to 30 s).
    nx1_server::serve(listener, router, &config).await
}
