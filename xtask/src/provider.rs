//! `cargo xtask contract --against URL`: the schemathesis suite against a deployment, held
//! to the vendored spec. Read-only unless `--allow-write`, twice over: schemathesis is asked
//! for GET and HEAD operations only, and its requests pass through a guard on 127.0.0.1
//! that forwards GET and HEAD alone, so that no write reaches the deployment even if a
//! phase or check of schemathesis would send one.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::contract::{Args, exit, scratch, verdict, which_schemathesis};

struct Guard {
    target: String,
    client: reqwest::Client,
    blocked: AtomicUsize,
}

pub fn verify(args: &Args, url: &str) -> Result<u8> {
    let target = url.trim_end_matches('/').to_owned();
    if !(target.starts_with("http://") || target.starts_with("https://")) {
        bail!("--against `{url}` is not an http(s) URL");
    }
    let schemathesis = which_schemathesis()?;
    let spec = args.spec();
    if !spec.is_file() {
        bail!(
            "the spec {} does not exist; pass --spec FILE",
            spec.display()
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = nx1_tls::client_builder()?
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    // Could not run, not findings: a deployment that does not answer at all.
    runtime
        .block_on(async { client.get(&target).send().await })
        .with_context(|| format!("{target} does not answer; check the URL and the network"))?;

    let guard = Arc::new(Guard {
        target: target.clone(),
        client,
        blocked: AtomicUsize::new(0),
    });
    let base = if args.allow_write {
        println!("contract: --allow-write: every method goes to {target}");
        target.clone()
    } else {
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let address = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(guard.clone());
        runtime.spawn(async move { axum::serve(listener, app).await });
        println!("contract: read-only: GET and HEAD only, through a guard at http://{address}");
        format!("http://{address}")
    };

    let mut command = Command::new(&schemathesis.0);
    command.args(&schemathesis.1).args(["--no-color", "run"]);
    command.arg(&spec).args(["--url", &base, "--workers", "2"]);
    if args.allow_write {
        command.args(["--phases", "examples,coverage,fuzzing,stateful"]);
    } else {
        command.args([
            "--phases",
            "examples,coverage,fuzzing",
            "--include-method",
            "GET",
            "--include-method",
            "HEAD",
            // It sends other methods on purpose, to see them refused.
            "--exclude-checks",
            "unsupported_method",
        ]);
    }
    let mut shown = Vec::new();
    if let Ok(psk) = std::env::var("NX1_PSK") {
        command.args(["--header", &format!("Authorization-PSK: {psk}")]);
        shown.push("--header 'Authorization-PSK: ***'");
    }
    if let Ok(token) = std::env::var("NX1_TOKEN") {
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
        shown.push("--header 'Authorization: Bearer ***'");
    }
    command.args(args.common_flags());
    println!(
        "contract: schemathesis run {} --url {target} {} (seed {}, {} examples)",
        spec.display(),
        shown.join(" "),
        args.seed,
        args.max_examples
    );
    command.current_dir(scratch()?);
    let status = command.status().context("cannot run schemathesis")?;
    let blocked = guard.blocked.load(Ordering::Relaxed);
    if blocked > 0 {
        println!("contract: the guard refused {blocked} write request(s); none reached {target}");
    }
    let code = verdict(status)?;
    match code {
        exit::PASSED => println!("contract: {target} answers as {} says", spec.display()),
        _ => eprintln!(
            "contract: {target} differs from {}: see the findings above",
            spec.display()
        ),
    }
    if let Some(junit) = &args.junit {
        println!("contract: JUnit report at {}", junit.display());
    }
    Ok(code)
}

/// Forwards GET and HEAD to the deployment as they came; refuses every other method here.
async fn forward(State(guard): State<Arc<Guard>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if parts.method != Method::GET && parts.method != Method::HEAD {
        guard.blocked.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "nx1 contract guard: read-only run (pass --allow-write to send writes)",
        )
            .into_response();
    }
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let mut outgoing = guard
        .client
        .request(parts.method.clone(), format!("{}{path}", guard.target));
    for (name, value) in &parts.headers {
        if name != axum::http::header::HOST {
            outgoing = outgoing.header(name, value);
        }
    }
    match outgoing.send().await {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                // Hop-by-hop and framing headers belong to each connection, not the answer.
                if !matches!(
                    name.as_str(),
                    "connection" | "keep-alive" | "transfer-encoding" | "content-length"
                ) {
                    response = response.header(name.as_str(), value.as_bytes());
                }
            }
            let body = answer.bytes().await.unwrap_or_default();
            response
                .body(Body::from(body))
                .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Err(err) => (
            StatusCode::BAD_GATEWAY,
            format!("nx1 contract guard: the deployment did not answer: {err}"),
        )
            .into_response(),
    }
}
