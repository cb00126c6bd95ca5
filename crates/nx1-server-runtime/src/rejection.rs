//! Every way the runtime refuses a request before the implementation sees it, as data with
//! one `IntoResponse` (axum's rejections, dropshot's `HttpError`). The generated trait's
//! `reject` hook receives these, so an implementation can re-map them; the default answers
//! with FastAPI's bytes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::problem;
use crate::validate::ValidationError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The body is not JSON: 422 with one `json_invalid` error, as FastAPI answers before
    /// looking at anything else.
    #[error("the request body is not valid JSON")]
    InvalidJson(Box<ValidationError>),
    /// 422 with every validation error of the request.
    #[error("the request failed validation ({} errors)", .0.len())]
    Invalid(Vec<ValidationError>),
    /// 401 with the challenge of the first scheme the operation accepts.
    #[error("not authenticated: {detail}")]
    NotAuthenticated {
        detail: String,
        challenge: &'static str,
    },
    /// 403: `authenticate` accepted who it is but not what they asked.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 413: the body is larger than the router's limit.
    #[error("the request body exceeds the limit of {limit} bytes")]
    TooLarge { limit: usize },
    /// 404: no route matches the path.
    #[error("no route matches the path")]
    NotFound,
    /// 405 with the methods the path does accept.
    #[error("the path does not accept this method (allowed: {})", .0.join(", "))]
    MethodNotAllowed(Vec<&'static str>),
    /// 307 to the path with its trailing slash toggled, as Starlette redirects.
    #[error("redirected to {0}")]
    Redirect(String),
    /// 414: the request target is longer than the router's limit.
    #[error("the URI exceeds the limit of {limit} bytes")]
    UriTooLong { limit: usize },
    /// 431: the request's headers together are larger than the router's limit.
    #[error("the request headers exceed the limit of {limit} bytes")]
    HeadersTooLarge { limit: usize },
    /// 503 with `Retry-After`: as many requests as the router allows are in flight.
    #[error("too many requests in flight; retry after {retry_after} s")]
    Overloaded { retry_after: u64 },
    /// 504: the request (handler included) took longer than the router allows.
    #[error("the request took longer than {seconds} s")]
    Timeout { seconds: u64 },
    /// 500: the validated input did not fit the typed request. A generator fault, never
    /// the client's.
    #[error("the validated request does not fit its Rust type")]
    Internal,
}

impl Rejection {
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::InvalidJson(_) | Rejection::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Rejection::NotAuthenticated { .. } => StatusCode::UNAUTHORIZED,
            Rejection::Forbidden(_) => StatusCode::FORBIDDEN,
            Rejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::NotFound => StatusCode::NOT_FOUND,
            Rejection::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::Redirect(_) => StatusCode::TEMPORARY_REDIRECT,
            Rejection::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            Rejection::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Rejection::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Rejection::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            Rejection::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::InvalidJson(error) => problem::validation(&[*error]),
            Rejection::Invalid(errors) => problem::validation(&errors),
            Rejection::NotAuthenticated { detail, challenge } => {
                problem::unauthorized(&detail, challenge)
            }
            Rejection::Forbidden(detail) => problem::detail(StatusCode::FORBIDDEN, &detail),
            Rejection::TooLarge { limit } => {
                // The rest of the body is never read: the connection cannot carry another
                // request, and a client must not try (it would race the close).
                let mut response = problem::payload_too_large(limit);
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                response
            }
            Rejection::NotFound => problem::not_found(),
            Rejection::MethodNotAllowed(allowed) => problem::method_not_allowed(&allowed),
            Rejection::Redirect(location) => problem::redirect(&location),
            Rejection::UriTooLong { .. } => {
                problem::detail(StatusCode::URI_TOO_LONG, "URI Too Long")
            }
            Rejection::HeadersTooLarge { .. } => problem::detail(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request Header Fields Too Large",
            ),
            Rejection::Overloaded { retry_after } => {
                let mut response =
                    problem::detail(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                response
            }
            Rejection::Timeout { .. } => {
                problem::detail(StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout")
            }
            Rejection::Internal => problem::internal_error(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_matches_the_response() {
        let all = [
            Rejection::InvalidJson(Box::new(ValidationError::missing(
                &[],
                serde_json::Value::Null,
            ))),
            Rejection::Invalid(vec![]),
            Rejection::NotAuthenticated {
                detail: "Not authenticated".into(),
                challenge: "Bearer",
            },
            Rejection::Forbidden("no".into()),
            Rejection::TooLarge { limit: 1 },
            Rejection::NotFound,
            Rejection::MethodNotAllowed(vec!["GET"]),
            Rejection::Redirect("/a/".into()),
            Rejection::UriTooLong { limit: 1 },
            Rejection::HeadersTooLarge { limit: 1 },
            Rejection::Overloaded { retry_after: 1 },
            Rejection::Timeout { seconds: 1 },
            Rejection::Internal,
        ];
        for rejection in all {
            let status = rejection.status();
            assert_eq!(rejection.into_response().status(), status);
        }
        let response = Rejection::Overloaded { retry_after: 2 }.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let response = Rejection::TooLarge { limit: 1 }.into_response();
        assert_eq!(response.headers()[header::CONNECTION], "close");
    }
}
