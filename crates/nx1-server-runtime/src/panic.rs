//! A panic in an implementation (a handler or `authenticate`) answers as Starlette's
//! `ServerErrorMiddleware` does, `500 Internal Server Error` in plain text, and is logged
//! with the operation it happened in; the connection and the server stay up. Without this,
//! hyper drops the connection and the client sees no answer at all.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

/// Runs `handler`, turning a panic inside it into FastAPI's 500.
pub async fn guard<F>(operation: &'static str, handler: F) -> Response
where
    F: Future<Output = Response>,
{
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(response) => response,
        Err(payload) => {
            tracing::error!(
                operation,
                panic = %message(payload.as_ref()),
                "the handler panicked; answered 500"
            );
            internal_server_error()
        }
    }
}

/// `500 Internal Server Error`, `text/plain; charset=utf-8`, as Starlette writes it.
pub fn internal_server_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        "Internal Server Error",
    )
        .into_response()
}

fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_a_plain_500() {
        let response = guard("boom", async {
            if true {
                panic!("out of cheese");
            }
            StatusCode::OK.into_response()
        })
        .await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        let ok = guard("fine", async { StatusCode::OK.into_response() }).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
}
