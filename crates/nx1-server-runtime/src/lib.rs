//! The runtime under generated axum servers: request validation with pydantic's semantics
//! and words, FastAPI's error bodies, Starlette's routing and credential extraction. The
//! generated code describes each operation as data; this crate does the work.

pub mod auth;
pub mod example;
pub mod extract;
pub mod listen;
pub mod panic;
pub mod problem;
pub mod rejection;
pub mod respond;
pub mod routing;
pub mod serve;
pub mod stream;
pub mod validate;

pub use auth::{AuthError, Credential, Credentials, Scheme};
pub use extract::{
    ApiSpec, Body, BodySpec, Location, Media, OperationSpec, ParamSpec, UploadedFile,
};
pub use listen::{serve, serve_with_shutdown};
pub use rejection::Rejection;
pub use routing::{Match, RouteTable};
pub use serve::{Answer, App, Gate, Routed, ServerConfig, Service, TypedRequest};
pub use validate::{LocItem, SchemaSet, Source, ValidationError};

/// Re-exported for generated code, so that a generated crate needs no direct dependency.
pub use {axum, bytes, http, nx1_stream, serde_json};
