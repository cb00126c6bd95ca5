//! Serves one side of the server benchmark on loopback for a load generator:
//! `nx1-bench-serve generated|hand-written|hand-written-layers ADDR`. The generated router runs under
//! `nx1_server::serve` (what an implementation of the trait is served with, limits and
//! timeouts on), the hand-written service under `axum::serve`, as its author would.

use anyhow::{Context, bail};
use nx1_bench::services::{Generated, hand_written, hand_written_with_layers};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(side), Some(address)) = (args.next(), args.next()) else {
        bail!("usage: nx1-bench-serve generated|hand-written|hand-written-layers ADDR");
    };
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    println!("serving {side} on http://{}", listener.local_addr()?);
    match side.as_str() {
        "generated" => {
            let config = nx1_server::ServerConfig::default();
            let router = nx1_server::router_with(Generated, config.clone());
            nx1_server::serve(listener, router, &config).await?;
        }
        // The generated router under plain `axum::serve`: what the serving loop costs.
        "generated-axum-serve" => {
            axum::serve(listener, nx1_server::router(Generated)).await?;
        }
        "hand-written" => axum::serve(listener, hand_written()).await?,
        "hand-written-layers" => axum::serve(listener, hand_written_with_layers()).await?,
        other => {
            bail!("unknown side {other}: expected generated, hand-written or hand-written-layers")
        }
    }
    Ok(())
}
