//! FastAPI's error bodies: `{"detail": "..."}` for HTTP errors, `{"detail": [...]}` for
//! validation errors.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::validate::ValidationError;

/// `{"detail": ...}`, serialised straight to bytes: going through a `serde_json::Value`
/// and its `Display` cost more than the rest of a refused request.
#[derive(Serialize)]
struct Detail<T> {
    detail: T,
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    // `to_vec` starts at 128 bytes; one pydantic error is about 300, so a 422 grew twice.
    let mut bytes = Vec::with_capacity(512);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => json_bytes(status, bytes),
        // A `detail` is strings and JSON values, which always serialise.
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A JSON response from bytes already serialised.
pub(crate) fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = Response::new(axum::body::Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `raise HTTPException(status, detail)`.
pub fn detail(status: StatusCode, detail: &str) -> Response {
    json_response(status, &Detail { detail })
}

/// 422 with every validation error of the request.
pub fn validation(errors: &[ValidationError]) -> Response {
    json_response(StatusCode::UNPROCESSABLE_ENTITY, &Detail { detail: errors })
}

pub fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not Found")
}

/// 405 with the methods the path does accept, as Starlette answers.
pub fn method_not_allowed(allowed: &[&str]) -> Response {
    let mut response = detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    if let Ok(allow) = HeaderValue::from_str(&allowed.join(", ")) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

pub fn unauthorized(message: &str, challenge: &'static str) -> Response {
    let mut response = detail(StatusCode::UNAUTHORIZED, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

pub fn not_implemented() -> Response {
    detail(StatusCode::NOT_IMPLEMENTED, "Not Implemented")
}

pub fn payload_too_large(limit: usize) -> Response {
    detail(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("Request body exceeds the limit of {limit} bytes"),
    )
}

/// A response body the handler built that could not be serialised.
pub fn internal_error() -> Response {
    detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// 307 to the same request with the trailing slash toggled, as Starlette redirects.
pub fn redirect(location: &str) -> Response {
    let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
