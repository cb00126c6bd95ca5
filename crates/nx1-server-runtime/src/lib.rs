//! The runtime under generated axum servers: request validation with pydantic's semantics
//! and words, FastAPI's error bodies, Starlette's routing and credential extraction. The
//! generated code describes each operation as data; this crate does the work.

// Each request step fails with the finished response to send; boxing it would only add an
// allocation to the error path of every handler.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod example;
pub mod extract;
pub mod panic;
pub mod problem;
pub mod routing;
pub mod validate;

pub use auth::{AuthError, Credential, Credentials, Scheme};
pub use extract::{
    ApiSpec, Body, BodySpec, Location, Media, OperationSpec, ParamSpec, UploadedFile,
};
pub use routing::{Match, RouteTable};
pub use validate::{LocItem, SchemaSet, Source, ValidationError};

/// Re-exported for generated code, so that a generated crate needs no direct dependency.
pub use {axum, bytes, http, serde_json};
