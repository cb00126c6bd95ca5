//! Keeps a vendored OpenAPI spec true to the live docs: crawls a Mintlify site's llms.txt,
//! extracts each API page's OpenAPI block, merges them into one spec, and diffs it against
//! the vendored one with rules classified from the generated client's point of view.

pub mod canonical;
pub mod cli;
pub mod diff;
pub mod fetch;
pub mod ignore;
pub mod index;
pub mod merge;
pub mod page;
pub mod report;

use std::io::IsTerminal;

use futures::StreamExt;

pub use diff::{Change, DiffOptions, Level, Perspective, diff};
pub use fetch::{Docs, FetchConfig};
pub use merge::{Merged, merge};
pub use page::Page;

#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("cannot fetch {url}: {message}")]
    Fetch { url: String, message: String },
    #[error("page {url}: {message}")]
    Page { url: String, message: String },
    #[error(
        "{what} differs between {first} and {second} ({difference}); the docs contradict themselves"
    )]
    Conflict {
        what: String,
        first: String,
        second: String,
        /// Where they first differ, with both values.
        difference: String,
    },
    #[error("{0}")]
    Spec(String),
    #[error("{count} page(s) could not be read, so the docs cannot be trusted:\n{list}")]
    Pages { count: usize, list: String },
    #[error("ignore file {path}: {message}")]
    Ignore { path: String, message: String },
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
}

/// What a crawl found.
#[derive(Debug, Clone)]
pub struct Crawl {
    /// API pages, in index order.
    pub pages: Vec<Page>,
    /// Pages fetched (API pages and guides).
    pub fetched: usize,
    /// Pages that failed, with why.
    pub failed: Vec<(String, String)>,
}

/// Fetches the index and every page it lists. Failed pages are collected, not skipped: the
/// caller must treat them as an error, never as removed operations.
pub async fn crawl(docs: &Docs) -> Result<Crawl, DriftError> {
    let (index_url, index_text) = docs.index().await?;
    let entries = index::parse(&index_text, &index_url);
    let total = entries.len();
    // A bar on a terminal; in CI, where a bar is noise, a line to start and one per failure.
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "reading docs pages {bar:30} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        eprintln!("drift: reading {total} docs pages listed in {index_url}");
        indicatif::ProgressBar::hidden()
    };
    let mut results: Vec<(usize, String, Result<Option<Page>, DriftError>)> =
        futures::stream::iter(entries.into_iter().enumerate())
            .map(|(position, entry)| async move {
                let result = match docs.fetch(&entry.url).await {
                    Ok(text) => page::extract(&entry.url, &text),
                    Err(err) => Err(err),
                };
                (position, entry.url, result)
            })
            .buffer_unordered(docs.concurrency())
            .inspect(|(_, url, result)| {
                bar.inc(1);
                if let Err(err) = result {
                    bar.suspend(|| eprintln!("drift: {url}: {err}"));
                }
            })
            .collect()
            .await;
    bar.finish_and_clear();
    results.sort_by_key(|(position, _, _)| *position);
    let mut crawl = Crawl {
        pages: Vec::new(),
        fetched: 0,
        failed: Vec::new(),
    };
    for (_, url, result) in results {
        match result {
            Ok(page) => {
                crawl.fetched += 1;
                crawl.pages.extend(page);
            }
            Err(err) => crawl.failed.push((url, err.to_string())),
        }
    }
    Ok(crawl)
}

impl Crawl {
    /// The merged spec, provided every page was read.
    pub fn merged(&self) -> Result<Merged, DriftError> {
        if !self.failed.is_empty() {
            let list = self
                .failed
                .iter()
                .map(|(_, message)| format!("  - {message}"))
                .collect::<Vec<_>>()
                .join("\n");
            return Err(DriftError::Pages {
                count: self.failed.len(),
                list,
            });
        }
        merge(&self.pages)
    }
}
