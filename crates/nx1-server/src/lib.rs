//! axum server stubs for the Nx1 AI API, generated from `openapi.yaml`.
//!
//! Implement [`Nx1Api`] (only `authenticate` is required; every operation answers 501 until
//! implemented) and serve [`router`]. Requests are validated as the FastAPI original
//! validates them: bad input answers 422 with pydantic's error list, missing credentials
//! 401, unknown paths 404 and wrong methods 405, all as FastAPI's JSON.

#[allow(
    clippy::all,
    clippy::pedantic,
    unused_imports,
    unreachable_patterns,
    missing_docs
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/server.rs"));
}

pub use generated::*;
/// The status type of [`Rejection`]s and responses, so implementations need not name axum.
pub use nx1_server_runtime::http::StatusCode;
pub use nx1_server_runtime::{AuthError, Credentials, Rejection, UploadedFile, serve};
