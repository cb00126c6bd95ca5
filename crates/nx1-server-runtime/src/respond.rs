//! The responses a generated per-status enum turns into: JSON, raw bytes with their media
//! type, or a status alone.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::problem;

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

/// `body` as `application/json`; a body that cannot be serialised answers 500.
pub fn json<T: serde::Serialize>(code: u16, body: &T) -> Response {
    // Room for a typical answer up front: growing from serde_json's 128 bytes costs a
    // reallocation and a copy per doubling.
    let mut bytes = Vec::with_capacity(512);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => problem::json_bytes(status(code), bytes),
        Err(_) => problem::internal_error(),
    }
}

/// `body` as it is, under the media type the spec documents.
pub fn raw(code: u16, media_type: &'static str, body: Bytes) -> Response {
    (status(code), [(header::CONTENT_TYPE, media_type)], body).into_response()
}

/// The status alone.
pub fn empty(code: u16) -> Response {
    status(code).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_types() {
        let response = json(201, &serde_json::json!({"a": 1}));
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let response = raw(200, "text/csv", Bytes::from_static(b"a,b"));
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/csv");
        assert_eq!(empty(204).status(), StatusCode::NO_CONTENT);
    }
}
