//! A typed client for the Nx1 AI API, generated from the vendored `openapi.yaml`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = nx1_client::Client::builder()
//!     .base_url("https://aiapi.example.nx1cloud.com")
//!     .psk(std::env::var("NX1_PSK")?)
//!     .build()?;
//! let ids = vec![uuid::Uuid::new_v4()];
//! let statuses = client.get_training_job_statuses(&ids).await?;
//! for job in statuses.into_inner().items {
//!     println!("{} {}", job.job_id, job.status);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every operation of the spec is a method on [`Client`]; request and response types live in
//! [`types`], multipart forms in [`forms`]. Credentials are applied per operation as the
//! spec's `security` says: the PSK as `Authorization-PSK`, a token as `Authorization: Bearer`.

mod auth;
mod builder;
mod bulk;
mod call;
mod errors;
mod retry;

#[allow(
    clippy::all,
    clippy::pedantic,
    unused_imports,
    unreachable_patterns,
    missing_docs
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/client.rs"));
}

pub use auth::Credentials;
pub use builder::{BuildError, ClientBuilder};
pub use bulk::BatchOptions;
pub use call::Settings;
pub use errors::{Error, ErrorExt, ErrorKind};
pub use generated::{ByteStream, Client, ResponseValue, forms, security, types};
/// Typed streamed answers: what the methods of streamed operations return.
pub use nx1_stream as stream;
pub use nx1_tls::TlsError;
pub use retry::RetryPolicy;

/// `reqwest::Client::builder()` with this client's TLS (rustls on ring, the platform
/// verifier): start from it to build a reqwest client of your own for
/// [`ClientBuilder::http_client`]. The workspace's reqwest has no TLS provider of its own,
/// so `reqwest::Client::new()` refuses to build unless your program brings one.
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, BuildError> {
    nx1_tls::client_builder().map_err(BuildError::Tls)
}
