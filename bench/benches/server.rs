//! The generated router against a hand-written axum handler doing the same work (PSK check,
//! the repeated `ids` parsed as UUIDs, the items answered as JSON; the status writeback's
//! JSON body read and a job answered), in process through `oneshot`, body read to the end;
//! then against the same service with tower-http's request id, trace, timeout and limits.
//! `cargo bench -p nx1-bench --bench server`

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use nx1_bench::{compare, header as table_header};
use tower::ServiceExt;
use uuid::Uuid;

use nx1_bench::services::{Generated, PSK, hand_written, hand_written_with_layers};

// ----------------------------------------------------------------------------------------

fn request(method: &str, uri: &str, psk: bool, body: Option<&'static str>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if psk {
        builder = builder.header("authorization-psk", PSK);
    }
    if body.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    builder
        .body(body.map_or_else(Body::empty, Body::from))
        .expect("a valid request")
}

fn ids(count: usize) -> String {
    (0..count)
        .map(|n| format!("ids={}", Uuid::from_u128(n as u128 + 1)))
        .collect::<Vec<_>>()
        .join("&")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let generated = nx1_server::router(Generated);
    let baseline = hand_written();
    let layered = hand_written_with_layers();
    let two = Arc::new(format!("/api/automl/train/jobs/status?{}", ids(2)));
    let hundred = Arc::new(format!("/api/automl/train/jobs/status?{}", ids(100)));
    let invalid = Arc::new("/api/automl/train/jobs/status?ids=nope".to_owned());
    let writeback_uri = "/api/automl/train/jobs/6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10/status";
    type MakeRequest = Box<dyn Fn() -> Request<Body>>;
    let scenarios: Vec<(&str, MakeRequest, StatusCode)> = vec![
        (
            "two valid ids",
            Box::new({
                let uri = two.clone();
                move || request("GET", &uri, true, None)
            }),
            StatusCode::OK,
        ),
        (
            "100 valid ids",
            Box::new({
                let uri = hundred.clone();
                move || request("GET", &uri, true, None)
            }),
            StatusCode::OK,
        ),
        (
            "one invalid id (422)",
            Box::new({
                let uri = invalid.clone();
                move || request("GET", &uri, true, None)
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "no credentials (401)",
            Box::new({
                let uri = two.clone();
                move || request("GET", &uri, false, None)
            }),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "JSON body (status writeback)",
            Box::new(move || request("PUT", writeback_uri, true, Some(r#"{"status": "running"}"#))),
            StatusCode::OK,
        ),
    ];
    let call = |router: &Router, request: Request<Body>, expected: StatusCode| {
        runtime.block_on(async {
            let response = router.clone().oneshot(request).await.expect("infallible");
            assert_eq!(response.status(), expected);
            let _ = response
                .into_body()
                .collect()
                .await
                .expect("a body")
                .to_bytes();
        });
    };
    // `NX1_BENCH_ONLY=401` runs the scenarios whose name contains it (for profiling one).
    let only = std::env::var("NX1_BENCH_ONLY").unwrap_or_default();
    let chosen: Vec<_> = scenarios
        .iter()
        .filter(|(name, ..)| name.contains(&only))
        .collect();
    // `NX1_BENCH_PROFILE=generated|hand-written` runs only that side, 10,000 requests per
    // chosen scenario and no timing: a profiler's totals then divide by the count.
    if let Ok(side) = std::env::var("NX1_BENCH_PROFILE") {
        let router = match side.as_str() {
            "generated" => &generated,
            "hand-written" => &baseline,
            "layered" => &layered,
            other => {
                panic!("NX1_BENCH_PROFILE={other}: expected generated, hand-written or layered")
            }
        };
        // `NX1_BENCH_REQUESTS` changes the count (a memory trace wants a few requests).
        let requests = std::env::var("NX1_BENCH_REQUESTS")
            .ok()
            .and_then(|count| count.parse().ok())
            .unwrap_or(10_000);
        for (_, make, expected) in &chosen {
            for _ in 0..requests {
                call(router, make(), *expected);
            }
        }
        return;
    }
    let baselines = [
        ("hand-written axum", &baseline),
        ("hand-written axum + tower-http layers", &layered),
    ];
    for (title, against) in baselines {
        println!("{}", table_header("generated router", title));
        for (name, make, expected) in &chosen {
            let comparison = compare(
                name,
                21,
                2_000,
                || call(&generated, make(), *expected),
                || call(against, make(), *expected),
            );
            println!("{}", comparison.row());
        }
        println!();
    }
}
