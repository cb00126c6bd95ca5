//! The drift crawl against its latency bound: the Nx1 docs mirror (`../shared/nx1-docs`)
//! served on loopback as a 200-page site, every answer held back 50 ms, crawled by
//! `nx1_drift::crawl` with the default concurrency. The bound is ⌈pages / concurrency⌉ ×
//! 50 ms: what a crawler that always keeps `concurrency` requests in flight would take.
//! `cargo bench -p nx1-bench --bench crawl`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use nx1_drift::fetch::{Docs, FetchConfig};

const PAGES: usize = 200;
const LATENCY: Duration = Duration::from_millis(50);

struct Site {
    mirror: PathBuf,
    index: String,
}

/// `/llms.txt` is the 200-entry index; `/c{n}/<path>` is the mirror's page at `<path>`.
async fn answer(State(site): State<Arc<Site>>, uri: Uri) -> Response {
    tokio::time::sleep(LATENCY).await;
    let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    if path == "/llms.txt" {
        return site.index.clone().into_response();
    }
    let page = path
        .trim_start_matches('/')
        .split_once('/')
        .map(|(_, page)| page)
        .unwrap_or_default();
    match std::fs::read_to_string(site.mirror.join(page)) {
        Ok(text) => text.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The mirror's page paths, in the order its index lists them.
fn page_paths(mirror: &Path) -> anyhow::Result<Vec<String>> {
    let index = std::fs::read_to_string(mirror.join("llms.txt"))?;
    Ok(index
        .lines()
        .filter_map(|line| line.split_once("](https://docs.nx1cloud.com/"))
        .filter_map(|(_, rest)| rest.split_once(')'))
        .map(|(path, _)| path.to_owned())
        .collect())
}

fn main() -> anyhow::Result<()> {
    let mirror = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/nx1-docs");
    if !mirror.join("llms.txt").is_file() {
        println!(
            "crawl: skipped: the docs mirror is not at {} (it sits beside the project)",
            mirror.display()
        );
        return Ok(());
    }
    let paths = page_paths(&mirror)?;
    anyhow::ensure!(
        !paths.is_empty(),
        "no pages listed in the mirror's llms.txt"
    );
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let index: String = (0..PAGES)
            .map(|n| {
                let path = &paths[n % paths.len()];
                format!("- [Page {n}](http://{address}/c{n}/{path})\n")
            })
            .collect();
        let site = Arc::new(Site { mirror, index });
        let app = axum::Router::new().fallback(answer).with_state(site);
        tokio::spawn(async move { axum::serve(listener, app).await });
        let config = FetchConfig::default();
        let concurrency = config.concurrency;
        let docs = Docs::open(&format!("http://{address}/llms.txt"), config)?;
        let mut times = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let crawl = nx1_drift::crawl(&docs).await?;
            times.push(started.elapsed());
            anyhow::ensure!(
                crawl.failed.is_empty() && crawl.fetched == PAGES,
                "the crawl read {} pages of {PAGES}; failed: {:?}",
                crawl.fetched,
                crawl.failed
            );
        }
        times.sort();
        let median = times[times.len() / 2];
        let rounds = PAGES.div_ceil(concurrency) as u32;
        let bound = LATENCY * rounds;
        println!("| crawl | pages | concurrency | latency bound | crawl (median of 5) | ratio |");
        println!("|---|---|---|---|---|---|");
        println!(
            "| {PAGES}-page mirror, +{} ms per answer | {PAGES} | {concurrency} | {} ms | {} ms | {:.2}× |",
            LATENCY.as_millis(),
            bound.as_millis(),
            median.as_millis(),
            median.as_secs_f64() / bound.as_secs_f64()
        );
        println!(
            "(the crawl includes reading the index, one more round trip: {} ms of the bound's own kind)",
            LATENCY.as_millis()
        );
        anyhow::Ok(())
    })
}
